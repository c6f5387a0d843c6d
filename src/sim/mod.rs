//! The world's shared types, below every domain: the clock, the audience totals, the agents'
//! components and the note store, ids, random streams, the ladder, and the `SimTick` schedule with
//! its phases. No rendering, no systems of a domain here: each domain is its own plugin
//! (`population`, `posting`, `feed`, `recommender`, `timeline`, `metrics`) that puts its systems in
//! its `TickSet`, and `simulation` names them all. One tick runs the sets in this order:
//!
//! 1. `Post`    timeline events, new users arrive, creators post notes
//! 2. `Expose`  the recommender reads the live parameters and prepares this tick's tables
//! 3. `React`   users who open the app are served a feed and scroll it: dwell or flick away,
//!    like, comment, save, share, follow
//! 4. `Spread`  shares reach the sharer's circle, follows update follower counts, leavers leave
//! 5. `Learn`   the recommender reads the signals (stages, authority, decay)
//! 6. `Measure` metrics are sampled
//! 7. `Advance` the clock moves to the next tick

pub mod agents;
pub mod ladder;
pub mod par;
mod prefetch;
pub mod rng;
pub mod sessions;

pub use ladder::Ladder;
pub use prefetch::{prefetch, prefetch_for_write};

use crate::scenario::Scenario;
use agents::*;
use bevy::ecs::schedule::ScheduleLabel;
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
    /// The clock moves on (last, after everything has seen this tick's time).
    Advance,
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

/// Live totals over active users, kept up to date as users arrive, change and leave (so no
/// system has to walk a million users to know who is around). Changes are applied in user-id
/// order, and satisfaction is summed in fixed point, so the totals do not depend on the order
/// threads finish in.
#[derive(Resource, Clone, Debug, Default)]
pub struct Audience {
    pub active: u32,
    /// Active users with each topic among their interests.
    pub by_topic: Vec<u32>,
    /// Interest weight on each topic, each user's weights summing to 1.
    pub topic_weight: Vec<f64>,
    /// Sum of active users' satisfaction, in units of 2^-32 (see `satisfaction_units`).
    pub satisfaction: i64,
}

/// A satisfaction value in the fixed-point units `Audience` sums (integer sums do not depend on
/// their order).
#[inline]
pub fn satisfaction_units(s: f32) -> i64 {
    (s as f64 * 4_294_967_296.0).round() as i64
}

impl Audience {
    pub fn new(topics: usize) -> Self {
        Self {
            by_topic: vec![0; topics],
            topic_weight: vec![0.0; topics],
            ..Default::default()
        }
    }

    /// Counts a user who joined (or whose interests were just set).
    pub fn add(&mut self, interests: &Interests, satisfaction: f32) {
        self.change(interests, satisfaction, 1.0);
    }

    /// Forgets a user who left.
    pub fn remove(&mut self, interests: &Interests, satisfaction: f32) {
        self.change(interests, satisfaction, -1.0);
    }

    fn change(&mut self, v: &Interests, satisfaction: f32, sign: f64) {
        let n = v.n_topics as usize;
        let total: f32 = v.interest[..n].iter().sum();
        for i in 0..n {
            let t = v.topics[i] as usize;
            self.by_topic[t] = (self.by_topic[t] as i64 + sign as i64) as u32;
            self.topic_weight[t] += sign * (v.interest[i] / total) as f64;
        }
        self.active = (self.active as i64 + sign as i64) as u32;
        self.satisfaction += sign as i64 * satisfaction_units(satisfaction);
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
            self.satisfaction as f64 / 4_294_967_296.0 / self.active as f64
        } else {
            0.0
        }
    }
}

/// Running totals of the feed across ticks.
#[derive(Resource, Default, Clone, Debug)]
pub struct TickStats {
    pub last_tick_impressions: u64,
    pub impressions: u64,
    pub engagements: u64,
    pub sessions: u64,
}
