//! The independent baseline: a random recent note, with no feedback from engagement and no
//! follow graph. `per: note` draws every note of the window with the same chance (so a creator
//! who posts eight times a day gets eight times the slots); `per: creator` draws a creator with a
//! recent note first, then one of their recent notes, so posting volume buys nothing.

use super::{PickContext, Policy, TickContext};
use crate::scenario::{PolicyKind, RandomUnit};
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

#[derive(Clone, Default)]
pub struct RandomFeed {
    /// Notes of the window grouped by creator: creator k's notes are
    /// `notes[offsets[k]..offsets[k + 1]]` (only for `per: creator`).
    notes: Vec<u32>,
    offsets: Vec<u32>,
}

impl Policy for RandomFeed {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Random
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        self.notes.clear();
        self.offsets.clear();
        if ctx.config.random.per != RandomUnit::Creator {
            return;
        }
        let start = ctx.window_start();
        // A counting sort by creator keeps note order within a creator, so draws are reproducible.
        let mut count = vec![0u32; ctx.creators.list.len()];
        for note in &ctx.notes.list[start..] {
            count[note.creator as usize] += 1;
        }
        let mut first = vec![0u32; count.len()];
        let mut total = 0;
        for (c, &n) in count.iter().enumerate() {
            first[c] = total;
            if n > 0 {
                self.offsets.push(total);
            }
            total += n;
        }
        self.offsets.push(total);
        self.notes.resize(total as usize, 0);
        for (i, note) in ctx.notes.list[start..].iter().enumerate() {
            let slot = &mut first[note.creator as usize];
            self.notes[*slot as usize] = (start + i) as u32;
            *slot += 1;
        }
    }
    fn pick(&self, ctx: &PickContext, _viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        match ctx.config.random.per {
            RandomUnit::Note => {
                let len = ctx.notes.len();
                (ctx.window_start < len).then(|| rng.random_range(ctx.window_start..len) as u32)
            }
            RandomUnit::Creator => {
                let creators = self.offsets.len().checked_sub(1).filter(|&n| n > 0)?;
                let k = rng.random_range(0..creators);
                let (a, b) = (self.offsets[k] as usize, self.offsets[k + 1] as usize);
                Some(self.notes[rng.random_range(a..b)])
            }
        }
    }
}
