//! The engagement-maximising trending feed: exposure in proportion to accumulated weighted
//! engagement (the note's own, plus a share of its creator's record), with a small exploration
//! share, plus the platform's following tab. The rich get richer: early engagement (often from
//! followers) buys more exposure, which buys more engagement.

use super::tables::TopicTables;
use super::totals::CreatorTotals;
use super::{PickContext, Policy, TickContext, explore, following_tab};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;

#[derive(Clone, Default)]
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
        let start = ctx.window_start();
        self.totals.update_from(ctx);
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
        if let Some(id) = following_tab(ctx, viewer, rng)
            .or_else(|| explore(ctx, ctx.config.popularity.exploration, rng))
        {
            return Some(id);
        }
        self.tables
            .draw_for(viewer, ctx.config.popularity.interest_share, rng)
    }
}
