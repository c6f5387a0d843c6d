//! The recommender: one interface every policy implements, the `Recommender` resource that holds
//! the active policy and its live parameters, and the stage ladder shared by all policies.

mod blend;
mod follower_feed;
mod following;
mod popularity;
mod random;
mod tables;
mod traffic_pool;

pub use following::pick_followed;
pub use tables::WeightedTable;
pub use traffic_pool::TrafficPool;

use crate::scenario::{PolicyKind, RecommenderConfig, TrafficPoolParams};
use crate::sim::agents::*;
use crate::sim::rng::SimRng;
use crate::sim::{Audience, Clock};
use bevy::prelude::*;

/// What a policy may read while filling feed slots, from both cores at once.
pub struct PickContext<'a> {
    pub notes: &'a Notes,
    pub creators: &'a [Creator],
    pub config: &'a RecommenderConfig,
    pub tick: u32,
    /// First note inside the candidate window (`window_hours`).
    pub window_start: usize,
    /// Each creator's latest notes still young enough for the following tab (`NONE` elsewhere).
    pub followable: &'a [[u32; 3]],
}

/// What a policy may change before and after the viewers' turn (one thread, in order).
pub struct TickContext<'a> {
    pub notes: &'a mut Notes,
    pub creators: &'a mut Creators,
    pub config: &'a RecommenderConfig,
    pub clock: &'a Clock,
    pub audience: &'a Audience,
    pub seed: u64,
    /// Impressions served in the previous tick: the attention available to share out.
    pub last_tick_impressions: u64,
}

/// A feed algorithm. `prepare` builds lookup tables for this tick, `pick` fills one feed slot
/// (called in parallel, must not change anything), `learn` reads the engagement signals.
pub trait Policy: Send + Sync {
    fn kind(&self) -> PolicyKind;
    fn prepare(&mut self, ctx: &mut TickContext);
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32>;
    fn learn(&mut self, _ctx: &mut TickContext) {}
}

/// Builds a fresh policy of the given kind.
pub fn make_policy(
    kind: PolicyKind,
    config: &RecommenderConfig,
    notes_so_far: usize,
) -> Box<dyn Policy> {
    match kind {
        PolicyKind::TrafficPool => Box::new(TrafficPool::new(notes_so_far)),
        PolicyKind::FollowerFeed => Box::new(follower_feed::FollowerFeed::default()),
        PolicyKind::Popularity => Box::new(popularity::Popularity::default()),
        PolicyKind::Random => Box::new(random::RandomFeed),
        PolicyKind::Following => Box::new(following::FollowingTab),
        PolicyKind::Blend => Box::new(blend::Blend::new(config, notes_so_far)),
    }
}

/// The active policy and the parameters of all policies; the GUI and timeline events change it.
#[derive(Resource)]
pub struct Recommender {
    pub config: RecommenderConfig,
    policy: Box<dyn Policy>,
    /// Blend parts the current policy was built with (a blend is rebuilt when they change).
    built_blend: Vec<PolicyKind>,
}

impl Recommender {
    pub fn new(config: RecommenderConfig) -> Self {
        let policy = make_policy(config.policy, &config, 0);
        let built_blend = config.blend.iter().map(|p| p.policy).collect();
        Self {
            config,
            policy,
            built_blend,
        }
    }

    pub fn active(&self) -> PolicyKind {
        self.policy.kind()
    }

    /// Makes the policy match `config.policy` (after a switch or an edit), keeping note state.
    pub fn sync(&mut self, notes_so_far: usize) {
        let blend: Vec<PolicyKind> = self.config.blend.iter().map(|p| p.policy).collect();
        if self.policy.kind() != self.config.policy
            || (self.config.policy == PolicyKind::Blend && blend != self.built_blend)
        {
            self.policy = make_policy(self.config.policy, &self.config, notes_so_far);
            self.built_blend = blend;
        }
    }

    pub fn prepare(&mut self, ctx: &mut TickContext) {
        self.policy.prepare(ctx);
    }

    pub fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        self.policy.pick(ctx, viewer, rng)
    }

    /// Lets the policy read signals, then places notes outside pools on the stage ladder.
    pub fn learn(&mut self, ctx: &mut TickContext) {
        self.policy.learn(ctx);
        let ladder = Ladder::new(&ctx.config.traffic_pool);
        let window_ticks = ctx.clock.hours_to_ticks(ctx.config.window_hours);
        let weights = ctx.config.weights;
        let tick = ctx.clock.tick;
        let notes = &mut *ctx.notes;
        for id in 0..notes.list.len() {
            notes.look[id].visible_likes = notes.counters[id]
                .likes
                .load(std::sync::atomic::Ordering::Relaxed);
            let note = &mut notes.list[id];
            if note.pool.status != PoolStatus::Unpooled {
                continue;
            }
            let counts = notes.counters[id].get();
            let stage = ladder.stage_of(counts.impressions);
            let trace = &mut notes.trace[id];
            if trace.is_empty() {
                trace.push(ladder_record(0, note.created_tick, &counts, &weights));
            }
            while note.max_stage < stage {
                note.max_stage += 1;
                trace.push(ladder_record(note.max_stage, tick, &counts, &weights));
            }
            note.stop_reason = if tick.saturating_sub(note.created_tick) > window_ticks {
                StopReason::Expired
            } else {
                StopReason::StillRunning
            };
        }
    }
}

fn ladder_record(
    stage: u8,
    tick: u32,
    counts: &Counts,
    weights: &crate::scenario::EngagementWeights,
) -> StageRecord {
    StageRecord {
        stage,
        entered_tick: tick,
        target: 0,
        start_impressions: counts.impressions,
        start_weighted: counts.weighted(weights) as f32,
        start_quick: counts.quick_scrolls,
        impressions: counts.impressions,
        engagement_rate: if counts.impressions > 0 {
            (counts.weighted(weights) / counts.impressions as f64) as f32
        } else {
            0.0
        },
        threshold: f32::NAN,
        negative_rate: if counts.impressions > 0 {
            counts.quick_scrolls as f32 / counts.impressions as f32
        } else {
            0.0
        },
        outcome: StageOutcome::Reached,
    }
}

/// The traffic pool's ladder of stage sizes, used to give every policy's notes a comparable stage.
#[derive(Clone, Debug)]
pub struct Ladder {
    /// `entry[s]`: impressions a note must exceed to be in stage `s` (entry[0] = 0).
    pub entry: Vec<u64>,
}

impl Ladder {
    pub fn new(params: &TrafficPoolParams) -> Self {
        let mut entry = vec![0u64];
        let mut size = params.cold_start_impressions as f64;
        let mut total = 0.0;
        for _ in 0..params.stages {
            total += size;
            entry.push(total.round() as u64);
            size *= params.growth;
        }
        Self { entry }
    }
    /// The stage bracket `impressions` reach: stage s once they pass the sizes of stages 0..s.
    pub fn stage_of(&self, impressions: u32) -> u8 {
        let i = impressions as u64;
        (self.entry.partition_point(|&e| e < i).saturating_sub(1)) as u8
    }
}

/// The weighted engagement rate of counts (0 with no impressions).
pub fn engagement_rate(counts: &Counts, weights: &crate::scenario::EngagementWeights) -> f64 {
    if counts.impressions == 0 {
        0.0
    } else {
        counts.weighted(weights) / counts.impressions as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_brackets_match_the_pool_sizes() {
        let params = TrafficPoolParams {
            cold_start_impressions: 100,
            growth: 10.0,
            stages: 3,
            ..Default::default()
        };
        let ladder = Ladder::new(&params);
        assert_eq!(ladder.entry, vec![0, 100, 1100, 11100]);
        assert_eq!(ladder.stage_of(0), 0);
        assert_eq!(ladder.stage_of(100), 0);
        assert_eq!(ladder.stage_of(101), 1);
        assert_eq!(ladder.stage_of(1100), 1);
        assert_eq!(ladder.stage_of(1101), 2);
        assert_eq!(ladder.stage_of(50_000), 3);
    }
}
