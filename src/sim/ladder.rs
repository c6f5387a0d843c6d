//! The common yardstick: one ladder of impression brackets that gives every note a comparable
//! stage under every policy, fixed when the world is built so that switching or comparing
//! policies never moves it.

use super::agents::Counts;
use bevy::prelude::*;

/// Brackets of the ladder a run is measured on (at most this many stages above stage 0).
pub const MAX_LADDER_STAGES: usize = 8;

/// The traffic pool's ladder of stage sizes: stage `s` once a note's impressions pass the sizes
/// of stages `0..s` (cold start, then `growth` times larger each stage). Built from the
/// scenario's traffic-pool sizes whatever policy runs.
#[derive(Resource, Clone, Debug, PartialEq)]
pub struct Ladder {
    /// `entry[s]`: impressions a note must exceed to be in stage `s` (entry[0] = 0).
    pub entry: Vec<u64>,
    /// `entry[1..]` as u32 (u32::MAX where unused), for the per-impression crossing check.
    crossings: [u32; MAX_LADDER_STAGES],
    /// The cold-start size the ladder was built from (after `auto` was resolved).
    pub cold_start: u32,
}

impl Ladder {
    pub fn new(cold_start: u32, growth: f64, stages: u32) -> Self {
        let mut entry = vec![0u64];
        let mut size = cold_start as f64;
        let mut total = 0.0;
        for _ in 0..(stages as usize).min(MAX_LADDER_STAGES) {
            total += size;
            entry.push(total.round() as u64);
            size *= growth;
        }
        let mut crossings = [u32::MAX; MAX_LADDER_STAGES];
        for (c, &e) in crossings.iter_mut().zip(&entry[1..]) {
            *c = e.min(u32::MAX as u64 - 1) as u32;
        }
        Self {
            entry,
            crossings,
            cold_start,
        }
    }

    /// The stage bracket `impressions` reach: stage s once they pass the sizes of stages 0..s.
    pub fn stage_of(&self, impressions: u32) -> u8 {
        let i = impressions as u64;
        (self.entry.partition_point(|&e| e < i).saturating_sub(1)) as u8
    }

    /// Whether the impression that follows `before` earlier ones moves a note up a bracket.
    /// Exactly one impression crosses each bracket, so whichever thread adds it sees it.
    #[inline]
    pub fn crosses(&self, before: u32) -> bool {
        self.crossings
            .iter()
            .fold(false, |hit, &entry| hit | (entry == before))
    }
}

/// A funnel line for a ladder bracket reached by impressions alone.
pub fn ladder_record(
    stage: u8,
    tick: u32,
    counts: &crate::sim::agents::Counts,
    weights: &crate::scenario::EngagementWeights,
) -> crate::sim::agents::StageRecord {
    crate::sim::agents::StageRecord {
        kind: crate::sim::agents::StageKind::Ladder,
        stage,
        entered_tick: tick,
        target: 0,
        start: *counts,
        impressions: counts.impressions,
        engagement_rate: engagement_rate(counts, weights) as f32,
        threshold: f32::NAN,
        negative_rate: counts.negative_rate() as f32,
        outcome: crate::sim::agents::StageOutcome::Reached,
    }
}

/// The weighted engagement rate of counts (0 with no impressions; never negative).
pub fn engagement_rate(counts: &Counts, weights: &crate::scenario::EngagementWeights) -> f64 {
    if counts.impressions == 0 {
        0.0
    } else {
        (counts.weighted(weights) / counts.impressions as f64).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_brackets_match_the_pool_sizes() {
        let ladder = Ladder::new(100, 10.0, 3);
        assert_eq!(ladder.entry, vec![0, 100, 1100, 11100]);
        assert_eq!(ladder.stage_of(0), 0);
        assert_eq!(ladder.stage_of(100), 0);
        assert_eq!(ladder.stage_of(101), 1);
        assert_eq!(ladder.stage_of(1100), 1);
        assert_eq!(ladder.stage_of(1101), 2);
        assert_eq!(ladder.stage_of(50_000), 3);
    }

    #[test]
    fn exactly_the_impressions_that_enter_a_bracket_cross_it() {
        let ladder = Ladder::new(100, 10.0, 3);
        let crossing: Vec<u32> = (0..20_000).filter(|&b| ladder.crosses(b)).collect();
        assert_eq!(crossing, vec![100, 1100, 11100]);
        for &before in &crossing {
            assert_eq!(ladder.stage_of(before + 1), ladder.stage_of(before) + 1);
        }
    }
}
