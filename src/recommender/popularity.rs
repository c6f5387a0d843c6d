//! The engagement-maximising trending feed: exposure in proportion to accumulated weighted
//! engagement (the note's own, plus a share of its creator's record), with a small exploration
//! share, plus the platform's following tab. The rich get richer: early engagement (often from
//! followers) buys more exposure, which buys more engagement.

use super::tables::TopicTables;
use super::totals::{CreatorTotals, SETTLE_HOURS};
use super::{PickContext, Policy, TickContext, pick_followed};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

#[derive(Default)]
pub struct Popularity {
    tables: TopicTables,
    totals: CreatorTotals,
}

impl Policy for Popularity {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Popularity
    }
    fn adopt(&mut self, _ctx: &mut TickContext) {
        self.totals.revisit_all();
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        let tick = ctx.clock.tick;
        let start = ctx
            .notes
            .first_since(tick.saturating_sub(ctx.window_ticks()));
        let settle = ctx.window_ticks().max(ctx.clock.hours_to_ticks(72.0))
            + ctx.clock.hours_to_ticks(SETTLE_HOURS);
        let live_from = ctx.notes.first_since(tick.saturating_sub(settle));
        self.totals
            .update(ctx.notes, ctx.creators.list.len(), live_from);
        let exponent = ctx.config.popularity.exponent;
        let weights = ctx.config.weights;
        let carry = ctx.config.popularity.creator_carry;
        let items: Vec<(u32, u8, f64)> = (start..ctx.notes.len())
            .map(|id| {
                let note = &ctx.notes.list[id];
                let own = ctx.notes.counts(id).weighted(&weights);
                let record = self.totals.by_creator[note.creator as usize].weighted(&weights);
                let score = own + carry * record;
                (id as u32, note.topic, libm::pow(1.0 + score, exponent))
            })
            .collect();
        self.tables = TopicTables::build(ctx.clock.topics, &items);
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        if rng.random::<f64>() < ctx.following_share
            && let Some(id) = pick_followed(ctx, viewer, rng)
        {
            return Some(id);
        }
        let len = ctx.notes.len();
        if rng.random::<f64>() < ctx.config.popularity.exploration && ctx.window_start < len {
            return Some(rng.random_range(ctx.window_start..len) as u32);
        }
        self.tables
            .draw_for(viewer, ctx.config.popularity.interest_share, rng)
    }
}
