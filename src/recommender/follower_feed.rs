//! The influencer-centric feed: the following tab plus suggestions weighted by the author's
//! follower count, whatever the note itself does.

use super::tables::TopicTables;
use super::{PickContext, Policy, TickContext, following_tab};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;

#[derive(Clone, Default)]
pub struct FollowerFeed {
    tables: TopicTables,
}

impl Policy for FollowerFeed {
    fn kind(&self) -> PolicyKind {
        PolicyKind::FollowerFeed
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        let start = ctx.window_start();
        let exponent = ctx.config.follower_feed.follower_exponent;
        let items: Vec<(u32, u8, f64)> = (start..ctx.notes.len())
            .map(|id| {
                let note = &ctx.notes.list[id];
                let followers = ctx.creators.list[note.creator as usize].followers as f64;
                (id as u32, note.topic, libm::pow(followers + 1.0, exponent))
            })
            .collect();
        self.tables = TopicTables::build(ctx.clock.topics, &items);
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        if let Some(id) = following_tab(ctx, viewer, rng) {
            return Some(id);
        }
        self.tables
            .draw_for(viewer, ctx.config.follower_feed.interest_share, rng)
    }
}
