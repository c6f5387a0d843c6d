//! The recommender: one interface every policy implements, the `Recommender` resource that holds
//! the active policy and its live parameters, and the stage ladder shared by all policies.

mod blend;
mod follower_feed;
mod following;
mod plugin;
mod popularity;
mod predicted_engagement;
mod random;
mod tables;
mod totals;
mod traffic_pool;

pub use crate::sim::ladder::{Ladder, engagement_rate};
pub use following::{explore, following_tab, pick_followed};
pub use plugin::{RecommenderPlugin, learn};
pub use tables::WeightedTable;
pub use traffic_pool::TrafficPool;

use crate::scenario::{PolicyKind, RecommenderConfig};
use crate::sim::agents::*;
use crate::sim::rng::SimRng;
use crate::sim::{Audience, Clock};
use bevy::prelude::*;

/// What a policy may read while filling feed slots, from both cores at once.
#[derive(Clone, Copy)]
pub struct PickContext<'a> {
    pub notes: &'a Notes,
    pub creators: &'a [Account],
    pub config: &'a RecommenderConfig,
    pub tick: u32,
    /// First note inside the candidate window (`window_hours`).
    pub window_start: usize,
    /// Each creator's latest notes still young enough for the following tab (`NONE` elsewhere).
    pub followable: &'a [[u32; 3]],
    /// Share of its slots a policy gives to the following tab: `config.following_share` on its
    /// own, 0 inside a blend (where the following tab is a part of its own, counted once).
    pub following_share: f64,
}

/// What a policy may change before and after the viewers' turn (one thread, in order).
pub struct TickContext<'a> {
    pub notes: &'a mut Notes,
    pub creators: &'a mut Creators,
    pub config: &'a RecommenderConfig,
    pub clock: &'a Clock,
    pub audience: &'a Audience,
    pub ladder: &'a Ladder,
    pub seed: u64,
    /// Impressions served in the previous tick: the attention available to share out.
    pub last_tick_impressions: u64,
    /// Share of all feed slots this policy fills (1 on its own, its weight inside a blend).
    pub slot_share: f64,
    /// As `PickContext::following_share`.
    pub following_share: f64,
}

impl TickContext<'_> {
    /// Ticks in the candidate window (`window_hours`).
    pub fn window_ticks(&self) -> u32 {
        self.clock.hours_to_ticks(self.config.window_hours)
    }
    /// First note inside the candidate window.
    pub fn window_start(&self) -> usize {
        self.notes
            .first_since(self.clock.tick.saturating_sub(self.window_ticks()))
    }
}

/// A feed algorithm. `prepare` builds lookup tables for this tick, `pick` fills one feed slot
/// (called in parallel, must not change anything), `learn` reads the engagement signals.
/// `adopt` and `release` make a switch keep every note: the policy switched in takes over every
/// note posted so far, the one switched out hands back the notes it was distributing.
pub trait Policy: PolicyClone + Send + Sync {
    fn kind(&self) -> PolicyKind;
    fn prepare(&mut self, ctx: &mut TickContext);
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32>;
    fn learn(&mut self, _ctx: &mut TickContext) {}
    fn adopt(&mut self, _ctx: &mut TickContext) {}
    fn release(&mut self, _ctx: &mut TickContext) {}
}

/// Builds a fresh policy of the given kind; `adopt` then hands it the notes posted so far.
/// Copies a boxed policy with its state (forking a world copies its recommender).
pub trait PolicyClone {
    fn clone_box(&self) -> Box<dyn Policy>;
}

impl<T: Policy + Clone + 'static> PolicyClone for T {
    fn clone_box(&self) -> Box<dyn Policy> {
        Box::new(self.clone())
    }
}

impl Clone for Box<dyn Policy> {
    fn clone(&self) -> Self {
        self.clone_box()
    }
}

pub fn make_policy(kind: PolicyKind, config: &RecommenderConfig) -> Box<dyn Policy> {
    match kind {
        PolicyKind::TrafficPool => Box::new(TrafficPool::default()),
        PolicyKind::PredictedEngagement => {
            Box::new(predicted_engagement::PredictedEngagement::default())
        }
        PolicyKind::FollowerFeed => Box::new(follower_feed::FollowerFeed::default()),
        PolicyKind::Popularity => Box::new(popularity::Popularity::default()),
        PolicyKind::Random => Box::new(random::RandomFeed::default()),
        PolicyKind::Following => Box::new(following::FollowingTab),
        PolicyKind::Blend => Box::new(blend::Blend::new(config)),
    }
}

/// The active policy and its state. Its parameters have one owner, `ScenarioRes`
/// (`scenario.recommender`), which the window and timeline events edit; every tick the
/// recommender reads them from there (`TickContext::config`, `PickContext::config`).
#[derive(Resource, Clone)]
pub struct Recommender {
    policy: Box<dyn Policy>,
    /// Blend parts the current policy was built with (a blend is rebuilt when they change).
    built_blend: Vec<PolicyKind>,
    /// The policy has not yet taken over the notes posted before it (set when it is built).
    adopted: bool,
    /// Notes before this id are past the candidate window and marked expired where no pool
    /// handles them (so that bookkeeping follows the live notes, not the whole history).
    expired_upto: usize,
}

impl Recommender {
    pub fn new(config: &RecommenderConfig) -> Self {
        let policy = make_policy(config.policy, config);
        let built_blend = config.blend.iter().map(|p| p.policy).collect();
        Self {
            policy,
            built_blend,
            adopted: false,
            expired_upto: 0,
        }
    }

    pub fn active(&self) -> PolicyKind {
        self.policy.kind()
    }

    /// Makes the policy match `config.policy` (after a switch or an edit). The old policy hands
    /// back its notes and the new one takes over every note, so a switch loses none.
    pub fn sync(&mut self, ctx: &mut TickContext) {
        let config = ctx.config;
        let blend: Vec<PolicyKind> = config.blend.iter().map(|p| p.policy).collect();
        if self.policy.kind() != config.policy
            || (config.policy == PolicyKind::Blend && blend != self.built_blend)
        {
            self.policy.release(ctx);
            self.policy = make_policy(config.policy, config);
            self.built_blend = blend;
            self.adopted = false;
        }
        if !self.adopted {
            self.policy.adopt(ctx);
            self.adopted = true;
        }
    }

    pub fn prepare(&mut self, ctx: &mut TickContext) {
        self.policy.prepare(ctx);
    }

    pub fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        self.policy.pick(ctx, viewer, rng)
    }

    /// Lets the policy read signals, then marks notes that no pool handles as expired once they
    /// leave the candidate window. Only notes entering or leaving the window are touched.
    pub fn learn(&mut self, ctx: &mut TickContext) {
        self.policy.learn(ctx);
        // Notes posted this tick that no pool took get the first line of their ladder trace.
        let weights = ctx.config.weights;
        let posted = ctx.notes.first_since(ctx.clock.tick);
        for id in posted..ctx.notes.len() {
            let note = &ctx.notes.list[id];
            if note.pool.status == PoolStatus::Unpooled && ctx.notes.trace[id].is_empty() {
                let record = crate::sim::ladder::ladder_record(
                    0,
                    note.created_tick,
                    &Counts::default(),
                    &weights,
                );
                ctx.notes.trace[id].push(record);
            }
        }
        let window_start = ctx.window_start();
        for note in &mut ctx.notes.list[self.expired_upto.min(window_start)..window_start] {
            if note.pool.status == PoolStatus::Unpooled {
                note.stop_reason = StopReason::Expired;
            }
        }
        self.expired_upto = self.expired_upto.max(window_start);
    }
}

/// Gives a note that no pool handles the stop reason the window implies: running while it is a
/// candidate, expired after (used when a pool hands a note back).
pub fn unpooled_status(note: &Note, tick: u32, window_ticks: u32) -> StopReason {
    if tick.saturating_sub(note.created_tick) > window_ticks {
        StopReason::Expired
    } else {
        StopReason::StillRunning
    }
}
