//! The following tab: recent notes from accounts the viewer follows. Used on its own, as a part
//! of a blend, and as the following share of the traffic-pool and follower feeds.

use super::{PickContext, Policy, TickContext};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

/// A recent note by a random account the viewer follows, if any.
#[inline]
pub fn pick_followed(ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
    if viewer.follows.is_empty() {
        return None;
    }
    for _ in 0..3 {
        let creator = viewer.follows[rng.random_range(0..viewer.follows.len())];
        let latest = &ctx.followable[creator as usize];
        let note = latest[rng.random_range(0..latest.len())];
        if note != crate::sim::agents::NONE {
            return Some(note);
        }
    }
    None
}

/// The following tab's share of a policy's slots: with chance `ctx.following_share`, a recent
/// note by an account the viewer follows (none when they follow nobody with a recent note).
#[inline]
pub fn following_tab(ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
    if rng.random::<f64>() < ctx.following_share {
        pick_followed(ctx, viewer, rng)
    } else {
        None
    }
}

/// Exploration: with chance `share`, a uniformly random note of the candidate window.
#[inline]
pub fn explore(ctx: &PickContext, share: f64, rng: &mut SimRng) -> Option<u32> {
    let len = ctx.notes.len();
    if rng.random::<f64>() < share && ctx.window_start < len {
        Some(rng.random_range(ctx.window_start..len) as u32)
    } else {
        None
    }
}

#[derive(Clone)]
pub struct FollowingTab;

impl Policy for FollowingTab {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Following
    }
    fn prepare(&mut self, _ctx: &mut TickContext) {}
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        pick_followed(ctx, viewer, rng)
    }
}
