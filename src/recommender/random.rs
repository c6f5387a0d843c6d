//! The independent baseline: a uniformly random recent note, with no feedback from engagement.

use super::{PickContext, Policy, TickContext};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

pub struct RandomFeed;

impl Policy for RandomFeed {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Random
    }
    fn prepare(&mut self, _ctx: &mut TickContext) {}
    fn pick(&self, ctx: &PickContext, _viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        let len = ctx.notes.len();
        (ctx.window_start < len).then(|| rng.random_range(ctx.window_start..len) as u32)
    }
}
