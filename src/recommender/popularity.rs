//! The engagement-maximising trending feed: exposure in proportion to accumulated weighted
//! engagement (the note's own, plus a share of its creator's record), with a small exploration
//! share, plus the platform's following tab. The rich get
//! richer: early engagement (often from followers) buys more exposure, which buys more engagement.

use super::tables::TopicTables;
use super::{PickContext, Policy, TickContext, pick_followed};
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
        let start = ctx.notes.first_since(
            ctx.clock
                .tick
                .saturating_sub(ctx.clock.hours_to_ticks(ctx.config.window_hours)),
        );
        let exponent = ctx.config.popularity.exponent;
        let weights = ctx.config.weights;
        let carry = ctx.config.popularity.creator_carry;
        // Accumulated engagement per creator, over all their notes so far.
        let mut by_creator = vec![0.0; ctx.creators.list.len()];
        let engagement: Vec<f64> = (0..ctx.notes.len())
            .map(|id| ctx.notes.counts(id).weighted(&weights))
            .collect();
        for (id, e) in engagement.iter().enumerate() {
            by_creator[ctx.notes.list[id].creator as usize] += e;
        }
        let items: Vec<(u32, u8, f64)> = (start..ctx.notes.len())
            .map(|id| {
                let note = &ctx.notes.list[id];
                let score = engagement[id] + carry * by_creator[note.creator as usize];
                (id as u32, note.topic, libm::pow(1.0 + score, exponent))
            })
            .collect();
        self.tables = TopicTables::build(ctx.clock.topics, &items);
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        if rng.random::<f64>() < ctx.config.following_share
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
