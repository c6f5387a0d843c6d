//! The traffic-pool recommender of seed 002: a content score at publication, a cold-start pool
//! matched by topic, graduation on the weighted engagement rate into pools ~10x larger with a
//! broader audience, stage skips, saturation, and a long tail with freshness and evergreen decay.
//!
//! Pool sizes: stage s asks for `cold_start_impressions * growth^s` impressions (the first pool
//! scaled by content score and creator authority), capped at `max_audience_share` of the audience
//! it may reach (active viewers of the topic for narrow stages, all active viewers after). A stage
//! that hits that cap is saturated: the note stops there with `saturated` however well it does.

use super::tables::{WeightedTable, pick_interest_topic};
use super::{PickContext, Policy, TickContext, engagement_rate, pick_followed};
use crate::scenario::{PolicyKind, TrafficPoolParams};
use crate::sim::agents::*;
use crate::sim::rng::{SimRng, Stream, stream};
use rand::Rng;

pub struct TrafficPool {
    /// Notes before this id were posted before the policy was active and never enter pools.
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
    pub fn new(notes_so_far: usize) -> Self {
        Self {
            admitted_upto: notes_so_far,
            live: Vec::new(),
            narrow: Vec::new(),
            broad: WeightedTable::default(),
            long_tail: WeightedTable::default(),
            narrow_accept: Vec::new(),
            broad_accept: 1.0,
            broad_fraction: 0.0,
        }
    }

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

    fn threshold_for(params: &TrafficPoolParams, creator: &Creator) -> f64 {
        params.graduation_threshold / Self::authority_factor(params, creator.authority)
    }

    /// Puts a note into `stage`, sizing the pool against the audience it may reach.
    fn enter_stage(ctx: &mut TickContext, id: usize, stage: u8) {
        let params = &ctx.config.traffic_pool;
        let counts = ctx.notes.counts(id);
        let note = &ctx.notes.list[id];
        let creator = &ctx.creators.list[note.creator as usize];
        let mut size =
            params.cold_start_impressions as f64 * libm::pow(params.growth, stage as f64);
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
        let reachable = (audience * params.max_audience_share - counts.reach as f64).max(0.0);
        let saturated = size >= reachable;
        let target = size.min(reachable).round().max(1.0) as u32;
        let threshold = Self::threshold_for(params, creator) as f32;
        let tick = ctx.clock.tick;
        let note = &mut ctx.notes.list[id];
        note.pool = PoolState {
            status: PoolStatus::InPool,
            stage,
            entered_tick: tick,
            base_impressions: counts.impressions,
            base_weighted: counts.weighted(&ctx.config.weights) as f32,
            base_quick: counts.quick_scrolls,
            target,
            saturated,
            evergreen: false,
        };
        note.max_stage = note.max_stage.max(stage);
        note.stop_reason = StopReason::StillRunning;
        ctx.notes.trace[id].push(StageRecord {
            stage,
            entered_tick: tick,
            target,
            start_impressions: counts.impressions,
            start_weighted: counts.weighted(&ctx.config.weights) as f32,
            start_quick: counts.quick_scrolls,
            impressions: 0,
            engagement_rate: 0.0,
            threshold,
            negative_rate: 0.0,
            outcome: StageOutcome::Running,
        });
    }

    fn stop(ctx: &mut TickContext, id: usize, reason: StopReason) {
        let note = &mut ctx.notes.list[id];
        note.pool.status = PoolStatus::Stopped;
        note.stop_reason = reason;
        if let Some(last) = ctx.notes.trace[id].last_mut()
            && last.outcome == StageOutcome::Running
        {
            last.outcome = StageOutcome::Stopped(reason);
        }
    }

    /// New notes get their content score checked and enter the cold-start pool.
    fn admit(&mut self, ctx: &mut TickContext) {
        let params = ctx.config.traffic_pool;
        for id in self.admitted_upto..ctx.notes.len() {
            if ctx.notes.list[id].pool.status != PoolStatus::Unpooled {
                continue;
            }
            let mut rng = stream(
                ctx.seed,
                Stream::Recommender,
                ctx.clock.tick as u64,
                id as u64,
            );
            let note = &ctx.notes.list[id];
            // Promotional, low-effort notes are likelier to be held for review.
            let hold = params.safety_hold
                * (0.5 + note.promotional as f64 + (1.0 - note.content_score as f64));
            Self::enter_stage(ctx, id, 0);
            if rng.random::<f64>() < hold {
                Self::stop(ctx, id, StopReason::Safety);
            } else {
                self.live.push(id as u32);
            }
        }
        self.admitted_upto = ctx.notes.len();
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
}

impl Policy for TrafficPool {
    fn kind(&self) -> PolicyKind {
        PolicyKind::TrafficPool
    }

    fn prepare(&mut self, ctx: &mut TickContext) {
        self.admit(ctx);
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
                    let delivered = counts
                        .impressions
                        .saturating_sub(note.pool.base_impressions);
                    let remaining = note.pool.target.saturating_sub(delivered) as f64;
                    if remaining <= 0.0 {
                        continue;
                    }
                    let window_end = note.pool.entered_tick
                        + ctx
                            .clock
                            .hours_to_ticks(Self::stage_hours(&params, note.pool.stage));
                    let ticks_left = window_end.saturating_sub(tick).max(1) as f64;
                    let demand = remaining / ticks_left * Self::freshness(&params, age_hours);
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
        // Limited attention: compare what pools ask for with what viewers will scroll this tick.
        let attention = ctx.last_tick_impressions.max(1) as f64
            * params.pool_share
            * (1.0 - ctx.config.following_share);
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
        if rng.random::<f64>() < ctx.config.following_share
            && let Some(id) = pick_followed(ctx, viewer, rng)
        {
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
        let params = ctx.config.traffic_pool;
        let weights = ctx.config.weights;
        let tick = ctx.clock.tick;
        let check_ticks = ctx.clock.hours_to_ticks(params.stage_hours).max(1);
        let mut still_live = Vec::with_capacity(self.live.len());
        let live = std::mem::take(&mut self.live);
        for id in live {
            let i = id as usize;
            let counts = ctx.notes.counts(i);
            let pool = ctx.notes.list[i].pool;
            let delivered = counts.impressions.saturating_sub(pool.base_impressions);
            let weighted = counts.weighted(&weights) - pool.base_weighted as f64;
            let rate = if delivered > 0 {
                weighted / delivered as f64
            } else {
                0.0
            };
            let negative = if delivered > 0 {
                counts.quick_scrolls.saturating_sub(pool.base_quick) as f64 / delivered as f64
            } else {
                0.0
            };
            match pool.status {
                PoolStatus::InPool => {
                    let window = ctx
                        .clock
                        .hours_to_ticks(Self::stage_hours(&params, pool.stage));
                    let filled = delivered >= pool.target;
                    let timed_out = tick >= pool.entered_tick + window;
                    if !filled && !timed_out {
                        still_live.push(id);
                        continue;
                    }
                    let creator_id = ctx.notes.list[i].creator as usize;
                    let threshold = Self::threshold_for(&params, &ctx.creators.list[creator_id]);
                    if let Some(last) = ctx.notes.trace[i].last_mut() {
                        last.impressions = delivered;
                        last.engagement_rate = rate as f32;
                        // Authority may have moved since the stage began: record the bar applied.
                        last.threshold = threshold as f32;
                        last.negative_rate = negative as f32;
                    }
                    let enough_sample = delivered >= (pool.target / 4).max(1);
                    let passed =
                        enough_sample && negative <= params.negative_limit && rate >= threshold;
                    if pool.stage == 0 && enough_sample {
                        // Authority: a creator's record of cold starts moves their next first pools.
                        let a = &mut ctx.creators.list[creator_id].authority;
                        *a = (*a * if passed { 1.08 } else { 0.96 }).clamp(0.5, 2.0);
                    }
                    if !enough_sample {
                        Self::stop(ctx, i, StopReason::Expired);
                    } else if negative > params.negative_limit {
                        Self::stop(ctx, i, StopReason::NegativeSignals);
                    } else if rate < threshold {
                        Self::stop(ctx, i, StopReason::BelowThreshold);
                    } else if pool.saturated {
                        Self::stop(ctx, i, StopReason::Saturated);
                    } else {
                        // Far above the threshold a note skips a stage (never past the long tail).
                        let wanted = if rate >= params.skip_rate { 2 } else { 1 };
                        let next = (pool.stage as u32 + wanted).min(params.stages);
                        if let Some(last) = ctx.notes.trace[i].last_mut() {
                            last.outcome = if next == pool.stage as u32 + 2 {
                                StageOutcome::Skipped
                            } else {
                                StageOutcome::Graduated
                            };
                        }
                        if next >= params.stages {
                            let note = &mut ctx.notes.list[i];
                            let final_stage = params.stages as u8;
                            note.max_stage = note.max_stage.max(final_stage);
                            note.pool = PoolState {
                                status: PoolStatus::LongTail,
                                stage: final_stage,
                                entered_tick: tick,
                                base_impressions: counts.impressions,
                                base_weighted: counts.weighted(&weights) as f32,
                                base_quick: counts.quick_scrolls,
                                target: 0,
                                saturated: false,
                                evergreen: false,
                            };
                            ctx.notes.trace[i].push(StageRecord {
                                stage: final_stage,
                                entered_tick: tick,
                                target: 0,
                                start_impressions: counts.impressions,
                                start_weighted: counts.weighted(&ctx.config.weights) as f32,
                                start_quick: counts.quick_scrolls,
                                impressions: 0,
                                engagement_rate: 0.0,
                                threshold: threshold as f32,
                                negative_rate: 0.0,
                                outcome: StageOutcome::LongTail,
                            });
                        } else {
                            Self::enter_stage(ctx, i, next as u8);
                        }
                        still_live.push(id);
                    }
                }
                PoolStatus::LongTail => {
                    if let Some(last) = ctx.notes.trace[i].last_mut() {
                        last.impressions =
                            counts.impressions.saturating_sub(last.start_impressions);
                        if last.impressions > 0 {
                            let gained = counts.weighted(&weights) - last.start_weighted as f64;
                            last.engagement_rate = (gained / last.impressions as f64) as f32;
                            last.negative_rate =
                                counts.quick_scrolls.saturating_sub(last.start_quick) as f32
                                    / last.impressions as f32;
                        }
                    }
                    let age = tick.saturating_sub(ctx.notes.list[i].created_tick);
                    let age_hours = ctx.clock.ticks_to_hours(age);
                    if tick >= pool.entered_tick + check_ticks && delivered > 0 {
                        // Evergreen check: a note still earning the threshold keeps a slow decay.
                        let threshold = params.graduation_threshold;
                        let note = &mut ctx.notes.list[i];
                        note.pool.evergreen = rate >= threshold;
                        note.pool.entered_tick = tick;
                        note.pool.base_impressions = counts.impressions;
                        note.pool.base_weighted = counts.weighted(&weights) as f32;
                        note.pool.base_quick = counts.quick_scrolls;
                    }
                    let note = &ctx.notes.list[i];
                    let weight =
                        Self::long_tail_weight(&params, 1.0, age_hours, note.pool.evergreen);
                    if weight < 0.01 {
                        Self::stop(ctx, i, StopReason::Expired);
                        if let Some(last) = ctx.notes.trace[i].last_mut() {
                            last.outcome = StageOutcome::Stopped(StopReason::Expired);
                        }
                    } else {
                        still_live.push(id);
                    }
                }
                _ => {}
            }
        }
        self.live = still_live;
    }
}
