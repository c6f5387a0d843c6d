//! The simulation, assembled: `SimulationPlugin` names every domain plugin and fixes the order of
//! a tick; `Simulation` is a world you can hold as a value: build it from a scenario, step it,
//! read or export it, and fork it at any tick into an independent copy.
//!
//! ```text
//!   simulation ──► timeline ─► population ─┐
//!        │    ──► posting ───────────────┤
//!        │    ──► feed ──► recommender ──┤
//!        │    ──► metrics ───────────────┴──► sim (clock, audience, agents, notes, rng, ladder)
//!        └──────────────────────────────────► scenario
//! ```

use crate::feed::FeedPlugin;
use crate::metrics::collector::{MetricsHistory, MetricsPlugin};
use crate::population::{PopulationPlugin, populate};
use crate::posting::PostingPlugin;
use crate::recommender::{Recommender, RecommenderPlugin};
use crate::scenario::Scenario;
use crate::sim::agents::*;
use crate::sim::{Audience, Clock, Ladder, ScenarioRes, SimTick, TickSet, TickStats};
use crate::timeline::{Timeline, TimelinePlugin};
use bevy::app::Plugins;
use bevy::ecs::schedule::SingleThreadedExecutor;
use bevy::prelude::*;
use bevy::tasks::{ComputeTaskPool, TaskPoolBuilder};

/// The `SimTick` schedule, its phases in order, and every domain's systems. Adds no world data:
/// `insert_world` (or a fork) does.
pub struct SimulationPlugin;

impl Plugin for SimulationPlugin {
    fn build(&self, app: &mut App) {
        // Hot systems iterate users in parallel on Bevy's compute pool, unless the app made the
        // pool already (the window). The thread that opens a scope runs its tasks too, so the
        // pool gets one thread fewer than rayon has (`--threads`): as many threads as cores
        // asked for, and with `--threads 1` none but the caller's.
        ComputeTaskPool::get_or_init(|| {
            TaskPoolBuilder::new()
                .num_threads(crate::sim::par::current_num_threads().saturating_sub(1))
                .thread_name("feedlab compute".into())
                .build()
        });
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
                TickSet::Advance,
            )
                .chain(),
        );
        app.add_schedule(schedule);
        app.init_resource::<ForkRegistry>();
        app.add_plugins((
            TimelinePlugin,
            PopulationPlugin,
            PostingPlugin,
            RecommenderPlugin,
            FeedPlugin,
            MetricsPlugin,
        ));
        app.add_systems(SimTick, advance_clock.in_set(TickSet::Advance));
    }
}

fn advance_clock(mut clock: ResMut<Clock>) {
    clock.tick += 1;
}

/// (Re)creates every simulation resource and spawns the population from a scenario; also how
/// the window resets a run. Users who were there are despawned first.
pub fn insert_world(world: &mut World, scenario: &Scenario) {
    if let Some(users) = world.get_resource::<Users>() {
        for entity in users.entities.clone() {
            world.despawn(entity);
        }
    }
    let clock = Clock::new(scenario);
    populate(world, scenario, &clock);
    let ladder = build_ladder(scenario, world.resource::<Audience>());
    world.insert_resource(ladder);
    world.insert_resource(Recommender::new(&scenario.recommender));
    world.insert_resource(TickStats::default());
    world.insert_resource(MetricsHistory::default());
    world.insert_resource(Timeline::new(scenario));
    world.insert_resource(Notes::default());
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

/// Builds the simulation app for a scenario: schedule, systems, population. Used by the command
/// line, the tests and the window alike.
pub fn simulation_app(scenario: Scenario) -> App {
    let mut app = App::new();
    app.add_plugins(SimulationPlugin);
    insert_world(app.world_mut(), &scenario);
    app
}

/// Runs `n` ticks on an app built by `simulation_app`.
pub fn run_ticks(app: &mut App, n: u32) {
    for _ in 0..n {
        app.world_mut().run_schedule(SimTick);
    }
}

/// A simulation world held as a value: build, step, read, fork. It owns a Bevy `World` with the
/// `SimTick` schedule inside, so several can live side by side (the window holds them in a
/// resource) and each can be sent to another thread.
pub struct Simulation {
    world: World,
}

/// The world of an app whose plugins are all added, with the population spawned.
fn take_world(mut app: App) -> World {
    app.finish();
    app.cleanup();
    std::mem::take(app.world_mut())
}

impl Simulation {
    /// A world built from `scenario`, at tick 0.
    pub fn new(scenario: &Scenario) -> Self {
        Self::with_plugins(scenario, ())
    }

    /// A world with extra plugins (systems or components of your own, see `examples/`), built
    /// from `scenario`. Plugins are added before the population is spawned.
    pub fn with_plugins<M>(scenario: &Scenario, plugins: impl Plugins<M>) -> Self {
        let mut app = App::new();
        app.add_plugins(SimulationPlugin).add_plugins(plugins);
        insert_world(app.world_mut(), scenario);
        Self {
            world: take_world(app),
        }
    }

    /// Runs one tick.
    pub fn step(&mut self) {
        self.world.run_schedule(SimTick);
    }

    /// Runs `n` ticks, stopping at the end of the scenario.
    pub fn run(&mut self, n: u32) {
        for _ in 0..n.min(self.ticks_left()) {
            self.step();
        }
    }

    /// Runs to the end of the scenario.
    pub fn run_to_end(&mut self) {
        self.run(self.ticks_left());
    }

    /// Ticks completed so far.
    pub fn tick(&self) -> u32 {
        self.world().resource::<Clock>().tick
    }

    pub fn ticks_left(&self) -> u32 {
        let clock = self.world().resource::<Clock>();
        clock.total_ticks.saturating_sub(clock.tick)
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    pub fn world_mut(&mut self) -> &mut World {
        &mut self.world
    }

    /// The live scenario (parameters edited during the run included).
    pub fn scenario(&self) -> &Scenario {
        &self.world().resource::<ScenarioRes>().0
    }

    /// Changes live parameters (the scenario is their one owner); a changed policy takes over at
    /// the next tick.
    pub fn edit(&mut self, change: impl FnOnce(&mut Scenario)) {
        change(&mut self.world_mut().resource_mut::<ScenarioRes>().0);
    }

    /// An independent copy of this world as it is now: every resource and every user with all
    /// their registered components. Stepping the copy and the original with the same
    /// parameters gives the same results; changing one changes only that one, from now on.
    ///
    /// The copy has this world's systems (the ones `SimulationPlugin` adds); extra plugins are
    /// added with `fork_with`.
    pub fn fork(&self) -> Self {
        self.fork_with(())
    }

    /// `fork` for a world built `with_plugins`: pass the same plugins again.
    pub fn fork_with<M>(&self, plugins: impl Plugins<M>) -> Self {
        let mut app = App::new();
        app.add_plugins(SimulationPlugin).add_plugins(plugins);
        let source = self.world();
        let registry = source.resource::<ForkRegistry>().clone();
        let target = app.world_mut();
        for copy in &registry.resources {
            copy(source, target);
        }
        // Users in id order, with the components every user has, in one batch.
        let users = source.resource::<Users>();
        let mut core = source
            .try_query::<CoreUser>()
            .expect("user components are registered");
        let bundles: Vec<UserBundle> = users
            .entities
            .iter()
            .map(|&e| {
                let user = core
                    .get(source, e)
                    .expect("every user has the core components");
                (
                    *user.0,
                    *user.1,
                    *user.2,
                    *user.3,
                    *user.4,
                    *user.5,
                    *user.6,
                    *user.7,
                    user.8.clone(),
                    *user.9,
                )
            })
            .collect();
        let entities: Vec<Entity> = target.spawn_batch(bundles).collect();
        for copy in &registry.components {
            for (from, to) in users.entities.iter().zip(&entities) {
                copy(source, *from, target, *to);
            }
        }
        let mut creators = source.resource::<Creators>().clone();
        for account in &mut creators.list {
            account.entity = entities[account.user as usize];
        }
        target.insert_resource(creators);
        target.insert_resource(Users {
            entities,
            churned: users.churned,
        });
        Self {
            world: take_world(app),
        }
    }
}

/// The components every user has (`UserBundle`), as a query.
type CoreUser = (
    &'static UserId,
    &'static Interests,
    &'static Propensity,
    &'static SessionRhythm,
    &'static NextSession,
    &'static Satisfaction,
    &'static Memory,
    &'static Inbox,
    &'static Follows,
    &'static ShareCircle,
);

type CopyResource = fn(&World, &mut World);
type CopyComponent = fn(&World, Entity, &mut World, Entity);

/// What a fork copies besides the components every user has: resources, and components only some
/// users carry (`Creator`, `Followers`, `Churned`, and yours: register them with
/// `ForkRegistry::component` in your plugin so forks keep them).
#[derive(Resource, Clone)]
pub struct ForkRegistry {
    resources: Vec<CopyResource>,
    components: Vec<CopyComponent>,
}

impl Default for ForkRegistry {
    fn default() -> Self {
        let mut registry = Self {
            resources: Vec::new(),
            components: Vec::new(),
        };
        registry
            .resource::<Clock>()
            .resource::<ScenarioRes>()
            .resource::<Audience>()
            .resource::<Ladder>()
            .resource::<Recommender>()
            .resource::<TickStats>()
            .resource::<MetricsHistory>()
            .resource::<Timeline>()
            .resource::<Notes>()
            .component::<Creator>()
            .component::<Followers>()
            .component::<Churned>();
        registry
    }
}

impl ForkRegistry {
    /// A resource a fork copies (by `Clone`).
    pub fn resource<R: Resource + Clone>(&mut self) -> &mut Self {
        self.resources.push(|from, to| {
            if let Some(r) = from.get_resource::<R>() {
                to.insert_resource(r.clone());
            }
        });
        self
    }

    /// A component a fork copies (by `Clone`) onto the copy of each user that has it.
    pub fn component<C: Component + Clone>(&mut self) -> &mut Self {
        self.components.push(|from, e, to, copy| {
            if let Some(c) = from.get::<C>(e) {
                to.entity_mut(copy).insert(c.clone());
            }
        });
        self
    }
}
