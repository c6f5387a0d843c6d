//! Running engagement totals per creator and for the whole platform, kept up to date each tick
//! by visiting only notes that can still gain impressions, so the cost follows the live notes
//! rather than the whole history. Totals are integer sums: exact, whatever the order.

use crate::scenario::EngagementWeights;
use crate::sim::agents::{Counts, Notes};

/// How long after a note leaves every candidate window it can still gain impressions (a share
/// waits in a viewer's inbox until their next session); after that its totals are final.
pub const SETTLE_HOURS: f64 = 168.0;

/// Integer totals of the counters that make up a weighted engagement rate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Totals {
    pub impressions: u64,
    pub clicks: u64,
    pub likes: u64,
    pub short_comments: u64,
    pub deep_comments: u64,
    pub saves: u64,
    pub shares: u64,
    pub follows: u64,
}

impl Totals {
    fn add(&mut self, now: &Counts, before: &Counts) {
        let step = |total: &mut u64, a: u32, b: u32| {
            *total += a.saturating_sub(b) as u64;
        };
        step(&mut self.impressions, now.impressions, before.impressions);
        step(&mut self.clicks, now.clicks, before.clicks);
        step(&mut self.likes, now.likes, before.likes);
        step(
            &mut self.short_comments,
            now.short_comments,
            before.short_comments,
        );
        step(
            &mut self.deep_comments,
            now.deep_comments,
            before.deep_comments,
        );
        step(&mut self.saves, now.saves, before.saves);
        step(&mut self.shares, now.shares, before.shares);
        step(&mut self.follows, now.follows, before.follows);
    }

    pub fn weighted(&self, w: &EngagementWeights) -> f64 {
        w.score([
            self.clicks as f64,
            self.likes as f64,
            self.short_comments as f64,
            self.deep_comments as f64,
            self.saves as f64,
            self.shares as f64,
            self.follows as f64,
        ])
    }

    /// Weighted engagement per impression, `None` without impressions.
    pub fn rate(&self, w: &EngagementWeights) -> Option<f64> {
        (self.impressions > 0).then(|| self.weighted(w) / self.impressions as f64)
    }
}

/// Per-creator and platform totals over all notes so far.
#[derive(Clone, Default)]
pub struct CreatorTotals {
    pub by_creator: Vec<Totals>,
    pub platform: Totals,
    /// What each note had contributed when last visited.
    counted: Vec<Counts>,
    /// Notes before this id are settled: visited one last time after they could gain no more.
    settled_upto: usize,
}

impl CreatorTotals {
    /// Brings the totals up to date. `live_from` is the first note that may still gain
    /// impressions (older ones are visited one last time, then never again).
    pub fn update(&mut self, notes: &Notes, creators: usize, live_from: usize) {
        self.by_creator.resize(creators, Totals::default());
        self.counted.resize(notes.len(), Counts::default());
        let first = self.settled_upto.min(live_from);
        for id in first..notes.len() {
            let now = notes.counts(id);
            let before = self.counted[id];
            if now != before {
                let creator = notes.list[id].creator as usize;
                self.by_creator[creator].add(&now, &before);
                self.platform.add(&now, &before);
                self.counted[id] = now;
            }
        }
        self.settled_upto = self.settled_upto.max(live_from);
    }

    /// Brings the totals up to date for the tick in `ctx`: notes older than every candidate
    /// window and the following tab, plus `SETTLE_HOURS`, are settled.
    pub fn update_from(&mut self, ctx: &super::TickContext) {
        let settle = ctx.window_ticks().max(ctx.clock.hours_to_ticks(72.0))
            + ctx.clock.hours_to_ticks(SETTLE_HOURS);
        let live_from = ctx.notes.first_since(ctx.clock.tick.saturating_sub(settle));
        self.update(ctx.notes, ctx.creators.list.len(), live_from);
    }

    /// Forgets what was settled, so the next update visits every note again (when a policy
    /// takes over notes another policy may have kept alive for longer).
    pub fn revisit_all(&mut self) {
        self.settled_upto = 0;
    }
}
