//! The traffic-pool recommender of seed 002: a content score at publication, a cold-start pool
//! matched by topic, graduation on the weighted engagement rate (early engagement counting more)
//! into pools ~10x larger with a broader audience, stage skips, saturation, and a long tail with
//! freshness and evergreen decay.
//!
//! Pool sizes: stage s asks for `cold_start × growth^s` impressions (the first pool scaled by
//! content score and creator authority), capped at `max_audience_share` of the audience it may
//! reach (active viewers of the topic for narrow stages, all active viewers after) minus the
//! viewers the note already reached. A stage that hits that cap is saturated: if the note passes
//! it, it moves to the long tail (the seed's sustained distribution) instead of a larger pool.
//!
//! Evidence: a stage is judged when its pool is filled, or at its deadline if it has at least
//! `min_evidence` impressions (or its whole pool, when that is smaller); short of that it waits
//! up to three times its window, then stops as `expired`. A weighted rate over a dozen
//! impressions is mostly noise; over a hundred it separates a good note from a poor one.

use super::tables::{WeightedTable, pick_interest_topic};
use super::{PickContext, Policy, TickContext, engagement_rate, following_tab, unpooled_status};
use crate::scenario::{PolicyKind, TrafficPoolParams};
use crate::sim::agents::*;
use crate::sim::rng::{SimRng, Stream, stream};
use rand::Rng;

/// How many windows a stage short of evidence may wait before it expires.
const EVIDENCE_PATIENCE: u32 = 3;
/// Weight of a cold-start pool's demand against a later pool's when attention is short.
const COLD_START_PRIORITY: f64 = 10.0;

#[derive(Clone, Default)]
pub struct TrafficPool {
    /// Notes from this id on have not been seen by the policy yet.
    admitted_upto: usize,
    /// Notes still in a pool or in the long tail (the rest are finished for good).
    live: Vec<u32>,
    narrow: Vec<WeightedTable>,
    broad: WeightedTable,
    long_tail: WeightedTable,
    /// Chance that a narrow draw in each topic, or a broad draw, is granted (demand / supply).
    narrow_accept: Vec<f64>,
    broad_accept: f64,
    broad_fraction: f64,
}

impl TrafficPool {
    /// Hours a stage has before it is judged on what it got.
    fn stage_hours(params: &TrafficPoolParams, stage: u8) -> f64 {
        if stage == 0 {
            params.cold_start_hours
        } else {
            params.stage_hours * stage as f64
        }
    }

    /// Authority multiplier on the first pool and divisor of the threshold.
    fn authority_factor(params: &TrafficPoolParams, authority: f32) -> f64 {
        libm::pow(authority.clamp(0.5, 2.0) as f64, params.authority_strength)
    }

    fn threshold_for(params: &TrafficPoolParams, creator: &Account) -> f64 {
        params.graduation_threshold / Self::authority_factor(params, creator.authority)
    }

    /// Puts a note into `stage`, sizing the pool against the audience it may still reach.
    fn enter_stage(ctx: &mut TickContext, id: usize, stage: u8) {
        let params = &ctx.config.traffic_pool;
        let counts = ctx.notes.counts(id);
        let reach = ctx.notes.reach(id);
        let note = &ctx.notes.list[id];
        let creator = &ctx.creators.list[note.creator as usize];
        // A fixed size edited live applies to new stages; `auto` is the size resolved at build.
        let cold_start = match params.cold_start_impressions {
            crate::scenario::ColdStart::Fixed(n) => n,
            crate::scenario::ColdStart::Auto => ctx.ladder.cold_start,
        };
        let mut size = cold_start as f64 * libm::pow(params.growth, stage as f64);
        if stage == 0 {
            let content = 1.0 - params.content_score_weight
                + params.content_score_weight * 2.0 * note.content_score as f64;
            size *= content * Self::authority_factor(params, creator.authority);
        }
        let audience = if (stage as u32) < params.narrow_stages {
            ctx.audience
                .by_topic
                .get(note.topic as usize)
                .copied()
                .unwrap_or(0)
        } else {
            ctx.audience.active
        } as f64;
        let reachable = (audience * params.max_audience_share - reach as f64).max(0.0);
        let saturated = size >= reachable;
        let target = size.min(reachable).round().max(1.0) as u32;
        let threshold = Self::threshold_for(params, creator) as f32;
        let tick = ctx.clock.tick;
        let note = &mut ctx.notes.list[id];
        note.pool = PoolState {
            status: PoolStatus::InPool,
            stage,
            entered_tick: tick,
            base: counts,
            target,
            saturated,
            evergreen: false,
        };
        note.pool_stage = Some(note.pool_stage.map_or(stage, |s| s.max(stage)));
        note.stop_reason = StopReason::StillRunning;
        ctx.notes.trace[id].push(StageRecord {
            kind: StageKind::Pool,
            stage,
            entered_tick: tick,
            target,
            start: counts,
            impressions: 0,
            engagement_rate: 0.0,
            threshold,
            negative_rate: 0.0,
            outcome: StageOutcome::Running,
        });
    }

    /// Moves a note that passed its last stage (or a saturated one) to sustained distribution.
    fn enter_long_tail(ctx: &mut TickContext, id: usize, threshold: f64) {
        let counts = ctx.notes.counts(id);
        let tick = ctx.clock.tick;
        let final_stage = ctx.config.traffic_pool.stages as u8;
        let note = &mut ctx.notes.list[id];
        note.pool = PoolState {
            status: PoolStatus::LongTail,
            stage: final_stage,
            entered_tick: tick,
            base: counts,
            target: 0,
            saturated: false,
            evergreen: false,
        };
        note.pool_stage = Some(final_stage);
        note.stop_reason = StopReason::StillRunning;
        ctx.notes.trace[id].push(StageRecord {
            kind: StageKind::Pool,
            stage: final_stage,
            entered_tick: tick,
            target: 0,
            start: counts,
            impressions: 0,
            engagement_rate: 0.0,
            threshold: threshold as f32,
            negative_rate: 0.0,
            outcome: StageOutcome::LongTail,
        });
    }

    fn stop(ctx: &mut TickContext, id: usize, reason: StopReason) {
        let note = &mut ctx.notes.list[id];
        note.pool.status = PoolStatus::Stopped;
        note.stop_reason = reason;
        if let Some(last) = ctx.notes.trace[id].last_mut()
            && matches!(last.outcome, StageOutcome::Running | StageOutcome::LongTail)
        {
            last.outcome = StageOutcome::Stopped(reason);
        }
    }

    /// Admits a note the policy has not seen: a new note gets its content checked and enters
    /// the cold start; a note posted while another policy ran enters the stage its impressions
    /// reached on the ladder, or the long tail above it; one past the candidate window expires.
    fn admit(&mut self, ctx: &mut TickContext, id: usize) {
        let params = ctx.config.traffic_pool;
        let note = &ctx.notes.list[id];
        match note.pool.status {
            PoolStatus::InPool | PoolStatus::LongTail => {
                self.live.push(id as u32);
                return;
            }
            PoolStatus::Stopped => return,
            PoolStatus::Unpooled => {}
        }
        let tick = ctx.clock.tick;
        if tick.saturating_sub(note.created_tick) > ctx.window_ticks() {
            ctx.notes.list[id].stop_reason = StopReason::Expired;
            ctx.notes.list[id].pool.status = PoolStatus::Stopped;
            return;
        }
        let counts = ctx.notes.counts(id);
        let stage = ctx.ladder.stage_of(counts.impressions);
        if counts.impressions > 0 {
            // Posted under another policy: its first hour is behind it, no velocity to credit.
            ctx.notes.list[id].golden.get_or_insert(counts);
        }
        if stage as u32 >= params.stages {
            let creator = ctx.notes.list[id].creator as usize;
            let threshold = Self::threshold_for(&params, &ctx.creators.list[creator]);
            Self::enter_long_tail(ctx, id, threshold);
            self.live.push(id as u32);
            return;
        }
        let mut rng = stream(ctx.seed, Stream::Recommender, tick as u64, id as u64);
        let note = &ctx.notes.list[id];
        // Promotional, low-effort notes are likelier to be held for review.
        let hold = params.safety_hold
            * (0.5 + note.promotional as f64 + (1.0 - note.content_score as f64));
        Self::enter_stage(ctx, id, stage);
        if stage == 0 && rng.random::<f64>() < hold {
            Self::stop(ctx, id, StopReason::Safety);
        } else {
            self.live.push(id as u32);
        }
    }

    /// Weight of a long-tail note: its engagement rate, faded by age, boosted while fresh.
    fn long_tail_weight(
        params: &TrafficPoolParams,
        rate: f64,
        age_hours: f64,
        evergreen: bool,
    ) -> f64 {
        let half_life = if evergreen {
            params.evergreen_half_life_hours
        } else {
            params.half_life_hours
        };
        let decay = libm::exp2(-age_hours / half_life);
        rate * decay * Self::freshness(params, age_hours)
    }

    fn freshness(params: &TrafficPoolParams, age_hours: f64) -> f64 {
        1.0 + params.freshness_boost * (1.0 - age_hours / params.freshness_hours).max(0.0)
    }

    /// The weighted rate a stage is judged on: what the stage brought, with engagement from the
    /// note's golden hour (its first `golden_hour_hours`) counting `velocity_weight` times.
    pub fn judged_rate(
        params: &TrafficPoolParams,
        weights: &crate::scenario::EngagementWeights,
        now: &Counts,
        base: &Counts,
        golden: Option<&Counts>,
    ) -> f64 {
        let delivered = now.since(base);
        if delivered.impressions == 0 {
            return 0.0;
        }
        let early = golden.unwrap_or(now).since(base);
        let bonus = (params.velocity_weight - 1.0).max(0.0) * early.weighted(weights);
        ((delivered.weighted(weights) + bonus) / delivered.impressions as f64).max(0.0)
    }

    /// Judges a note in a pool; returns whether it stays live.
    fn judge(ctx: &mut TickContext, id: usize) -> bool {
        let params = ctx.config.traffic_pool;
        let weights = ctx.config.weights;
        let tick = ctx.clock.tick;
        let counts = ctx.notes.counts(id);
        let note = &ctx.notes.list[id];
        let pool = note.pool;
        let delivered = counts.since(&pool.base);
        let window = ctx
            .clock
            .hours_to_ticks(Self::stage_hours(&params, pool.stage))
            .max(1);
        let filled = delivered.impressions >= pool.target;
        if !filled && tick < pool.entered_tick + window {
            return true;
        }
        let evidence = pool.target.min(params.min_evidence).max(1);
        if delivered.impressions < evidence {
            if tick < pool.entered_tick + EVIDENCE_PATIENCE * window {
                return true;
            }
            if let Some(last) = ctx.notes.trace[id].last_mut() {
                last.impressions = delivered.impressions;
                last.engagement_rate = engagement_rate(&delivered, &weights) as f32;
                last.negative_rate = delivered.negative_rate() as f32;
            }
            Self::stop(ctx, id, StopReason::Expired);
            return false;
        }
        let rate = Self::judged_rate(&params, &weights, &counts, &pool.base, note.golden.as_ref());
        let negative = delivered.negative_rate();
        let creator_id = note.creator as usize;
        let threshold = Self::threshold_for(&params, &ctx.creators.list[creator_id]);
        if let Some(last) = ctx.notes.trace[id].last_mut() {
            last.impressions = delivered.impressions;
            last.engagement_rate = rate as f32;
            // Authority may have moved since the stage began: record the bar applied.
            last.threshold = threshold as f32;
            last.negative_rate = negative as f32;
        }
        let passed = negative <= params.negative_limit && rate >= threshold;
        if pool.stage == 0 {
            // Authority: a creator's record of cold starts moves their next first pools.
            let a = &mut ctx.creators.list[creator_id].authority;
            *a = (*a * if passed { 1.08 } else { 0.96 }).clamp(0.5, 2.0);
        }
        if negative > params.negative_limit {
            Self::stop(ctx, id, StopReason::NegativeSignals);
            return false;
        }
        if rate < threshold {
            Self::stop(ctx, id, StopReason::BelowThreshold);
            return false;
        }
        // Far above the threshold a note skips a stage (never past the long tail).
        let wanted = if rate >= params.skip_rate { 2 } else { 1 };
        let next = (pool.stage as u32 + wanted).min(params.stages);
        if let Some(last) = ctx.notes.trace[id].last_mut() {
            last.outcome = if pool.saturated {
                StageOutcome::Saturated
            } else if next == pool.stage as u32 + 2 {
                StageOutcome::Skipped
            } else {
                StageOutcome::Graduated
            };
        }
        if pool.saturated || next >= params.stages {
            Self::enter_long_tail(ctx, id, threshold);
        } else {
            Self::enter_stage(ctx, id, next as u8);
        }
        true
    }

    /// Keeps a long-tail note's trace and evergreen status current; returns whether it stays live.
    fn sustain(ctx: &mut TickContext, id: usize) -> bool {
        let params = ctx.config.traffic_pool;
        let weights = ctx.config.weights;
        let tick = ctx.clock.tick;
        let counts = ctx.notes.counts(id);
        let pool = ctx.notes.list[id].pool;
        if let Some(last) = ctx.notes.trace[id].last_mut() {
            let gained = counts.since(&last.start);
            last.impressions = gained.impressions;
            last.engagement_rate = engagement_rate(&gained, &weights) as f32;
            last.negative_rate = gained.negative_rate() as f32;
        }
        let check_ticks = ctx.clock.hours_to_ticks(params.stage_hours).max(1);
        let delivered = counts.since(&pool.base);
        if tick >= pool.entered_tick + check_ticks && delivered.impressions > 0 {
            // Evergreen check: a note still earning the threshold keeps a slow decay.
            let note = &mut ctx.notes.list[id];
            note.pool.evergreen =
                engagement_rate(&delivered, &weights) >= params.graduation_threshold;
            note.pool.entered_tick = tick;
            note.pool.base = counts;
        }
        let note = &ctx.notes.list[id];
        let age_hours = ctx
            .clock
            .ticks_to_hours(tick.saturating_sub(note.created_tick));
        if Self::long_tail_weight(&params, 1.0, age_hours, note.pool.evergreen) < 0.01 {
            Self::stop(ctx, id, StopReason::Expired);
            return false;
        }
        true
    }
}

impl Policy for TrafficPool {
    fn kind(&self) -> PolicyKind {
        PolicyKind::TrafficPool
    }

    fn adopt(&mut self, ctx: &mut TickContext) {
        self.live.clear();
        for id in 0..ctx.notes.len() {
            self.admit(ctx, id);
        }
        self.admitted_upto = ctx.notes.len();
    }

    fn release(&mut self, ctx: &mut TickContext) {
        let tick = ctx.clock.tick;
        let window = ctx.window_ticks();
        let weights = ctx.config.weights;
        for &id in &self.live {
            let i = id as usize;
            let counts = ctx.notes.counts(i);
            if let Some(last) = ctx.notes.trace[i].last_mut()
                && matches!(last.outcome, StageOutcome::Running | StageOutcome::LongTail)
            {
                let gained = counts.since(&last.start);
                last.impressions = gained.impressions;
                last.engagement_rate = engagement_rate(&gained, &weights) as f32;
                last.negative_rate = gained.negative_rate() as f32;
                last.outcome = StageOutcome::HandedOver;
            }
            let note = &mut ctx.notes.list[i];
            note.pool.status = PoolStatus::Unpooled;
            note.stop_reason = unpooled_status(note, tick, window);
        }
        self.live.clear();
    }

    fn prepare(&mut self, ctx: &mut TickContext) {
        for id in self.admitted_upto..ctx.notes.len() {
            self.admit(ctx, id);
        }
        self.admitted_upto = ctx.notes.len();
        let params = ctx.config.traffic_pool;
        let topics = ctx.clock.topics;
        let tick = ctx.clock.tick;
        // (note, creator, weight): the creator rides along for the creative-fatigue check.
        let mut narrow: Vec<Vec<(u32, u32, f64)>> = vec![Vec::new(); topics];
        let mut broad = Vec::new();
        let mut long_tail = Vec::new();
        for &id in &self.live {
            let note = &ctx.notes.list[id as usize];
            let counts = ctx.notes.counts(id as usize);
            let age_hours = ctx
                .clock
                .ticks_to_hours(tick.saturating_sub(note.created_tick));
            match note.pool.status {
                PoolStatus::InPool => {
                    let delivered = counts.since(&note.pool.base).impressions;
                    let remaining = note.pool.target.saturating_sub(delivered) as f64;
                    if remaining <= 0.0 {
                        continue;
                    }
                    let window_end = note.pool.entered_tick
                        + ctx
                            .clock
                            .hours_to_ticks(Self::stage_hours(&params, note.pool.stage));
                    let ticks_left = window_end.saturating_sub(tick).max(1) as f64;
                    // Cold starts come first: every new note gets its test audience even when
                    // larger pools ask for more attention than viewers have.
                    let priority = if note.pool.stage == 0 {
                        COLD_START_PRIORITY
                    } else {
                        1.0
                    };
                    let demand =
                        priority * remaining / ticks_left * Self::freshness(&params, age_hours);
                    if (note.pool.stage as u32) < params.narrow_stages {
                        narrow[note.topic as usize].push((id, note.creator, demand));
                    } else {
                        broad.push((id, note.creator, demand));
                    }
                }
                PoolStatus::LongTail => {
                    let rate = engagement_rate(&counts, &ctx.config.weights);
                    long_tail.push((
                        id,
                        note.creator,
                        Self::long_tail_weight(&params, rate, age_hours, note.pool.evergreen),
                    ));
                }
                _ => {}
            }
        }
        // Limited attention: compare what pools ask for with what viewers will scroll this tick
        // in the slots this policy fills.
        let attention = ctx.last_tick_impressions.max(1) as f64
            * ctx.slot_share
            * params.pool_share
            * (1.0 - ctx.following_share);
        let narrow_demand: Vec<f64> = narrow.iter().map(|l| l.iter().map(|x| x.2).sum()).collect();
        let broad_demand: f64 = broad.iter().map(|x| x.2).sum();
        let total_demand = narrow_demand.iter().sum::<f64>() + broad_demand;
        self.broad_fraction = if total_demand > 0.0 {
            broad_demand / total_demand
        } else {
            0.0
        };
        self.broad_accept = (broad_demand / (attention * self.broad_fraction).max(1e-9)).min(1.0);
        let narrow_attention = attention * (1.0 - self.broad_fraction);
        self.narrow_accept = narrow_demand
            .iter()
            .enumerate()
            .map(|(t, &d)| {
                (d / (narrow_attention * ctx.audience.topic_share(t)).max(1e-9)).min(1.0)
            })
            .collect();
        self.narrow = narrow
            .into_iter()
            .map(WeightedTable::build_tagged)
            .collect();
        self.broad = WeightedTable::build_tagged(broad);
        self.long_tail = WeightedTable::build_tagged(long_tail);
    }

    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        let params = &ctx.config.traffic_pool;
        if let Some(id) = following_tab(ctx, viewer, rng) {
            return Some(id);
        }
        let limit = params.creative_fatigue_limit;
        for _ in 0..3 {
            let candidate = if rng.random::<f64>() < params.pool_share {
                if rng.random::<f64>() < self.broad_fraction {
                    if rng.random::<f64>() < self.broad_accept {
                        self.broad.draw_tagged(rng)
                    } else {
                        None
                    }
                } else {
                    let topic = pick_interest_topic(viewer, rng) as usize;
                    let accept = self.narrow_accept.get(topic).copied().unwrap_or(0.0);
                    if rng.random::<f64>() < accept {
                        self.narrow.get(topic).and_then(|t| t.draw_tagged(rng))
                    } else {
                        None
                    }
                }
            } else {
                None
            };
            let candidate = candidate
                .or_else(|| self.long_tail.draw_tagged(rng))
                .or_else(|| {
                    // Nothing in pools or the long tail yet (the first hours): a random recent note.
                    let len = ctx.notes.len();
                    (ctx.window_start < len).then(|| {
                        let id = rng.random_range(ctx.window_start..len) as u32;
                        (id, ctx.notes.look[id as usize].creator)
                    })
                });
            let (id, creator) = candidate?;
            // Creative fatigue: space out a creator this viewer has just seen several times.
            if viewer.recent_count(creator) < limit {
                return Some(id);
            }
        }
        None
    }

    fn learn(&mut self, ctx: &mut TickContext) {
        let golden_ticks = ctx
            .clock
            .hours_to_ticks(ctx.config.traffic_pool.golden_hour_hours);
        let tick = ctx.clock.tick;
        let live = std::mem::take(&mut self.live);
        let mut still_live = Vec::with_capacity(live.len());
        for id in live {
            let i = id as usize;
            // Engagement velocity: remember where the note stood when its golden hour ended.
            // (Learn runs at the end of a tick, so a note is tick - created + 1 ticks old.)
            let note = &ctx.notes.list[i];
            if note.golden.is_none() && tick + 1 >= note.created_tick + golden_ticks {
                let counts = ctx.notes.counts(i);
                ctx.notes.list[i].golden = Some(counts);
            }
            let keep = match ctx.notes.list[i].pool.status {
                PoolStatus::InPool => Self::judge(ctx, i),
                PoolStatus::LongTail => Self::sustain(ctx, i),
                _ => false,
            };
            if keep {
                still_live.push(id);
            }
        }
        self.live = still_live;
    }
}
