//! The engagement-maximising trending feed: exposure in proportion to accumulated weighted
//! engagement, with a small exploration share. The rich get richer.

use super::tables::TopicTables;
use super::{PickContext, Policy, TickContext};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

#[derive(Default)]
pub struct Popularity {
    tables: TopicTables,
}

impl Policy for Popularity {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Popularity
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        let start = ctx.notes.first_since(ctx.clock.tick.saturating_sub(ctx.clock.hours_to_ticks(ctx.config.window_hours)));
        let exponent = ctx.config.popularity.exponent;
        let weights = ctx.config.weights;
        let items: Vec<(u32, u8, f64)> = (start..ctx.notes.len())
            .map(|id| {
                let engagement = ctx.notes.counts(id).weighted(&weights);
                (id as u32, ctx.notes.list[id].topic, libm::pow(1.0 + engagement, exponent))
            })
            .collect();
        self.tables = TopicTables::build(ctx.clock.topics, &items);
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        let len = ctx.notes.len();
        if rng.random::<f64>() < ctx.config.popularity.exploration && ctx.window_start < len {
            return Some(rng.random_range(ctx.window_start..len) as u32);
        }
        self.tables.draw_for(viewer, ctx.config.popularity.interest_share, rng)
    }
}
