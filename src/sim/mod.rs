//! The simulation core: no rendering here. `simulation_app` builds a Bevy `App` from a scenario;
//! each run of the `SimTick` schedule is one tick, with its systems in one fixed order:
//!
//! 1. `Post`    timeline events, new viewers arrive, creators post notes
//! 2. `Expose`  the recommender prepares, then fills the feed slots of viewers who open the app
//! 3. `React`   viewers scroll their slots: dwell or flick away, like, comment, save, share, follow
//! 4. `Spread`  shares reach the sharer's circle, follows update follower counts
//! 5. `Learn`   the recommender reads the signals (stages, authority, decay)
//! 6. `Measure` metrics are sampled, the clock advances

pub mod agents;
pub mod behaviour;
mod feed;
pub mod ladder;
pub mod population;
mod post;
mod prefetch;
pub mod rng;
pub mod sessions;
mod timeline;

pub use feed::{CHUNK, FeedBuffers, TickStats};
pub use ladder::Ladder;

use crate::metrics::collector::{MetricsHistory, measure};
use crate::recommender::{Recommender, TickContext};
use crate::scenario::Scenario;
use agents::*;
use bevy::ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// The schedule that advances the world by one tick.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct SimTick;

/// The phases of a tick, chained in this order.
#[derive(SystemSet, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TickSet {
    Post,
    Expose,
    React,
    Spread,
    Learn,
    Measure,
}

/// The scenario the world was built from, with live edits applied.
#[derive(Resource, Clone)]
pub struct ScenarioRes(pub Scenario);

/// Simulated time.
#[derive(Resource, Clone, Debug)]
pub struct Clock {
    /// The tick being simulated (ticks completed so far, between ticks).
    pub tick: u32,
    pub tick_minutes: u32,
    pub ticks_per_day: f64,
    pub total_ticks: u32,
    pub topics: usize,
    pub diurnal_amplitude: f64,
    pub peak_hour: f64,
    /// `diurnal` for each tick of a day, when a day is a whole number of ticks.
    diurnal_by_tick: Vec<f64>,
}

impl Clock {
    pub fn new(s: &Scenario) -> Self {
        let mut clock = Self {
            tick: 0,
            tick_minutes: s.tick_minutes,
            ticks_per_day: s.ticks_per_day(),
            total_ticks: s.total_ticks(),
            topics: s.topics as usize,
            diurnal_amplitude: s.viewers.diurnal_amplitude,
            peak_hour: s.viewers.peak_hour,
            diurnal_by_tick: Vec::new(),
        };
        if 1440 % s.tick_minutes == 0 {
            let per_day = 1440 / s.tick_minutes;
            clock.diurnal_by_tick = (0..per_day).map(|t| clock.diurnal_at(t as f64)).collect();
        }
        clock
    }
    pub fn hours_to_ticks(&self, hours: f64) -> u32 {
        (hours * 60.0 / self.tick_minutes as f64).round().max(0.0) as u32
    }
    pub fn ticks_to_hours(&self, ticks: u32) -> f64 {
        ticks as f64 * self.tick_minutes as f64 / 60.0
    }
    pub fn hours(&self) -> f64 {
        self.ticks_to_hours(self.tick)
    }
    /// Session-rate multiplier during tick `t` (its start hour): 1 + A cos(2π (hour − peak) / 24).
    pub fn diurnal(&self, t: f64) -> f64 {
        let day = self.diurnal_by_tick.len();
        if day > 0 {
            self.diurnal_by_tick[(t.max(0.0) as u64 % day as u64) as usize]
        } else {
            self.diurnal_at(t.floor())
        }
    }

    fn diurnal_at(&self, t: f64) -> f64 {
        let hour = (t * self.tick_minutes as f64 / 60.0).rem_euclid(24.0);
        1.0 + self.diurnal_amplitude
            * libm::cos(std::f64::consts::TAU * (hour - self.peak_hour) / 24.0)
    }
}

/// Live totals over active viewers, kept up to date as viewers arrive, change and leave (so no
/// system has to walk a million viewer records to know who is around).
#[derive(Resource, Clone, Debug, Default)]
pub struct Audience {
    pub active: u32,
    /// Active viewers with each topic among their interests.
    pub by_topic: Vec<u32>,
    /// Interest weight on each topic, each viewer's weights summing to 1.
    pub topic_weight: Vec<f64>,
    /// Sum of active viewers' satisfaction.
    pub satisfaction: f64,
}

impl Audience {
    pub fn measure(viewers: &Viewers, topics: usize) -> Self {
        let mut out = Self {
            by_topic: vec![0; topics],
            topic_weight: vec![0.0; topics],
            ..Default::default()
        };
        for v in viewers.list.iter().filter(|v| v.active) {
            out.add(v);
        }
        out
    }

    /// Counts a viewer who joined (or whose interests were just set).
    pub fn add(&mut self, v: &Viewer) {
        self.change(v, 1.0);
    }

    /// Forgets a viewer who left.
    pub fn remove(&mut self, v: &Viewer) {
        self.change(v, -1.0);
    }

    fn change(&mut self, v: &Viewer, sign: f64) {
        let n = v.n_topics as usize;
        let total: f32 = v.interest[..n].iter().sum();
        for i in 0..n {
            let t = v.topics[i] as usize;
            self.by_topic[t] = (self.by_topic[t] as i64 + sign as i64) as u32;
            self.topic_weight[t] += sign * (v.interest[i] / total) as f64;
        }
        self.active = (self.active as i64 + sign as i64) as u32;
        self.satisfaction += sign * v.satisfaction as f64;
    }

    /// Share of all interest weight on `topic` (the topics' shares sum to 1).
    pub fn topic_share(&self, topic: usize) -> f64 {
        let total: f64 = self.topic_weight.iter().sum();
        if total > 0.0 {
            self.topic_weight.get(topic).copied().unwrap_or(0.0) / total
        } else {
            0.0
        }
    }

    pub fn mean_satisfaction(&self) -> f64 {
        if self.active > 0 {
            self.satisfaction / self.active as f64
        } else {
            0.0
        }
    }
}

/// Builds the simulation app for a scenario: population, recommender, systems. Used by the
/// command line, the tests and the window alike.
pub fn simulation_app(scenario: Scenario) -> App {
    let mut app = App::new();
    app.add_plugins(SimPlugin { scenario });
    app
}

/// Adds the whole simulation (resources and the `SimTick` schedule) to an app.
pub struct SimPlugin {
    pub scenario: Scenario,
}

impl Plugin for SimPlugin {
    fn build(&self, app: &mut App) {
        insert_world(app.world_mut(), &self.scenario);
        let mut schedule = Schedule::new(SimTick);
        // Systems run one after another anyway; the heavy ones spread over the cores themselves.
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.configure_sets(
            (
                TickSet::Post,
                TickSet::Expose,
                TickSet::React,
                TickSet::Spread,
                TickSet::Learn,
                TickSet::Measure,
            )
                .chain(),
        );
        schedule.add_systems((
            (timeline::apply_timeline, post::arrive, post::post_notes)
                .chain()
                .in_set(TickSet::Post),
            (prepare_recommender, feed::expose)
                .chain()
                .in_set(TickSet::Expose),
            feed::react.in_set(TickSet::React),
            feed::spread.in_set(TickSet::Spread),
            (feed::record_crossings, learn)
                .chain()
                .in_set(TickSet::Learn),
            (measure, advance_clock).chain().in_set(TickSet::Measure),
        ));
        app.add_schedule(schedule);
    }
}

/// (Re)creates every simulation resource from a scenario; also how the window resets a run.
pub fn insert_world(world: &mut World, scenario: &Scenario) {
    let clock = Clock::new(scenario);
    let (viewers, creators) = population::build(scenario, &clock);
    let audience = Audience::measure(&viewers, clock.topics);
    world.insert_resource(build_ladder(scenario, &audience));
    world.insert_resource(Recommender::new(scenario.recommender.clone()));
    world.insert_resource(FeedBuffers::default());
    world.insert_resource(TickStats::default());
    world.insert_resource(MetricsHistory::default());
    world.insert_resource(timeline::Timeline::new(scenario));
    world.insert_resource(Notes::default());
    world.insert_resource(viewers);
    world.insert_resource(creators);
    world.insert_resource(audience);
    world.insert_resource(clock);
    world.insert_resource(ScenarioRes(scenario.clone()));
}

/// The run's yardstick, from the scenario's traffic-pool sizes (`auto` resolved against the
/// starting audience), whatever policy runs.
pub fn build_ladder(scenario: &Scenario, audience: &Audience) -> Ladder {
    let params = &scenario.recommender.traffic_pool;
    let mut by_topic = audience.by_topic.clone();
    by_topic.sort_unstable();
    let median = by_topic.get(by_topic.len() / 2).copied().unwrap_or(0);
    let cold_start = params.cold_start_impressions.resolve(params, median).max(1);
    Ladder::new(cold_start, params.growth, params.stages)
}

/// Everything the recommender reads and changes outside the per-impression loop.
#[derive(SystemParam)]
struct PolicyWorld<'w> {
    recommender: ResMut<'w, Recommender>,
    notes: ResMut<'w, Notes>,
    creators: ResMut<'w, Creators>,
    clock: Res<'w, Clock>,
    audience: Res<'w, Audience>,
    ladder: Res<'w, Ladder>,
    scenario: Res<'w, ScenarioRes>,
    stats: Res<'w, TickStats>,
}

impl PolicyWorld<'_> {
    /// Calls `step` with the recommender and a context over the rest.
    fn with_context(&mut self, step: impl FnOnce(&mut Recommender, &mut TickContext)) {
        let config = self.recommender.config.clone();
        let mut ctx = TickContext {
            notes: &mut self.notes,
            creators: &mut self.creators,
            config: &config,
            clock: &self.clock,
            audience: &self.audience,
            ladder: &self.ladder,
            seed: self.scenario.0.seed,
            last_tick_impressions: self.stats.last_tick_impressions,
            slot_share: 1.0,
            following_share: config.following_share,
        };
        step(&mut self.recommender, &mut ctx);
    }
}

fn prepare_recommender(mut world: PolicyWorld) {
    world.with_context(|recommender, ctx| {
        recommender.sync(ctx);
        recommender.prepare(ctx);
    });
}

fn learn(mut world: PolicyWorld) {
    world.with_context(|recommender, ctx| recommender.learn(ctx));
}

fn advance_clock(mut clock: ResMut<Clock>) {
    clock.tick += 1;
}

/// Runs `n` ticks on an app built by `simulation_app`.
pub fn run_ticks(app: &mut App, n: u32) {
    for _ in 0..n {
        app.world_mut().run_schedule(SimTick);
    }
}
