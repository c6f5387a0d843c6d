//! Predicted engagement with an author prior: the ranking most real feeds use, with one knob
//! between merit and size. A note's predicted weighted engagement rate is its own evidence
//! (weighted engagement `E` over impressions `n`) shrunk toward a prior:
//!
//! ```text
//! score = (E + k' m) / (n + k'),   m = (1 - a) mu + a pi_author,   k' = k / (1 - a)
//! ```
//!
//! where `mu` is the platform's mean rate, `k` is `prior_strength`, `a` is `author_prior`, and the
//! author prior is `pi_author = mu x size x record^(1 - a)`: `size` is the author's followers
//! relative to the median creator's, `((f + 1) / (median + 1))^size_exponent`, and `record` their
//! own past rate (shrunk toward `mu`) relative to `mu`. At `a = 0` a new note starts at the
//! platform mean and its own engagement soon decides; as `a` grows the prior pulls harder and
//! leans on the author's size and record; at `a = 1` the author's size alone decides, whatever
//! the note does. Exposure is in proportion
//! to `score^sharpness`, within the viewer's topics for `interest_share` of slots.

use super::tables::TopicTables;
use super::totals::CreatorTotals;
use super::{PickContext, Policy, TickContext, explore, following_tab};
use crate::scenario::PolicyKind;
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;

/// The platform rate assumed before any impression was served.
const DEFAULT_RATE: f64 = 0.05;

#[derive(Clone, Default)]
pub struct PredictedEngagement {
    tables: TopicTables,
    totals: CreatorTotals,
}

/// The predicted rate of a note with evidence (`weighted`, `impressions`) under prior mean
/// `prior` and slider `a` (see the module doc).
pub fn predicted_rate(weighted: f64, impressions: f64, prior: f64, strength: f64, a: f64) -> f64 {
    if a >= 1.0 {
        return prior;
    }
    let k = strength / (1.0 - a);
    if impressions + k <= 0.0 {
        return prior;
    }
    (weighted + k * prior) / (impressions + k)
}

impl Policy for PredictedEngagement {
    fn kind(&self) -> PolicyKind {
        PolicyKind::PredictedEngagement
    }
    fn adopt(&mut self, _ctx: &mut TickContext) {
        self.totals.revisit_all();
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        let params = ctx.config.predicted_engagement;
        let weights = ctx.config.weights;
        let start = ctx.window_start();
        self.totals.update_from(ctx);
        let creators = &ctx.creators.list;
        let mu = self.totals.platform.rate(&weights).unwrap_or(DEFAULT_RATE);
        let a = params.author_prior.clamp(0.0, 1.0);
        let median_followers = {
            let mut f: Vec<u32> = creators.iter().map(|c| c.followers).collect();
            let mid = f.len() / 2;
            if f.is_empty() {
                0.0
            } else {
                *f.select_nth_unstable(mid).1 as f64
            }
        };
        let items: Vec<(u32, u8, f64)> = (start..ctx.notes.len())
            .map(|id| {
                let note = &ctx.notes.list[id];
                let creator = note.creator as usize;
                let record = &self.totals.by_creator[creator];
                let own_record = predicted_rate(
                    record.weighted(&weights),
                    record.impressions as f64,
                    mu,
                    params.prior_strength,
                    0.0,
                );
                let size = libm::pow(
                    (1.0 + creators[creator].followers as f64) / (1.0 + median_followers),
                    params.size_exponent,
                );
                let record = libm::pow(own_record / mu.max(1e-9), 1.0 - a);
                let prior = (1.0 - a) * mu + a * mu * size * record;
                let counts = ctx.notes.counts(id);
                let score = predicted_rate(
                    counts.weighted(&weights),
                    counts.impressions as f64,
                    prior,
                    params.prior_strength,
                    a,
                );
                (
                    id as u32,
                    note.topic,
                    libm::pow(score.max(1e-9), params.sharpness),
                )
            })
            .collect();
        self.tables = TopicTables::build(ctx.clock.topics, &items);
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        let params = &ctx.config.predicted_engagement;
        if let Some(id) =
            following_tab(ctx, viewer, rng).or_else(|| explore(ctx, params.exploration, rng))
        {
            return Some(id);
        }
        self.tables.draw_for(viewer, params.interest_share, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::predicted_rate;

    #[test]
    fn the_slider_moves_the_score_from_the_note_to_the_prior() {
        // A note with 20 weighted actions in 100 impressions (rate 0.2), prior 0.05, strength 50.
        // a = 0: (20 + 50 * 0.05) / (100 + 50) = 22.5 / 150 = 0.15
        assert!((predicted_rate(20.0, 100.0, 0.05, 50.0, 0.0) - 0.15).abs() < 1e-12);
        // a = 0.5: k' = 100: (20 + 5) / 200 = 0.125
        assert!((predicted_rate(20.0, 100.0, 0.05, 50.0, 0.5) - 0.125).abs() < 1e-12);
        // a = 1: the prior alone
        assert_eq!(predicted_rate(20.0, 100.0, 0.05, 50.0, 1.0), 0.05);
        // no evidence: the prior
        assert!((predicted_rate(0.0, 0.0, 0.07, 50.0, 0.0) - 0.07).abs() < 1e-12);
        // strength 0 and a = 0: the note's own rate
        assert!((predicted_rate(20.0, 100.0, 0.05, 0.0, 0.0) - 0.2).abs() < 1e-12);
    }
}
