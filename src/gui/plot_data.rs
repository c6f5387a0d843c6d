//! What the distribution plots draw, computed once per metrics sample instead of every frame.
//!
//! The Lorenz curve, the follower distribution, the funnel and the reach curve read every
//! creator or every note; at 20,000 creators that (and the 20,000 dots of the follower chart) cost
//! more than the rest of the window. They are rebuilt when a world records a new sample (every
//! simulated hour by default), when the world is rebuilt or forked, and never in between. The dots
//! of a log-log chart are thinned to one per hundredth of a decade on each axis: more than a plot
//! a few hundred pixels wide can show apart.

use super::state::{GuiCache, WorldView};
use crate::metrics::lorenz;
use crate::scenario::Archetype;
use bevy::prelude::Resource;

/// Funnel counts: notes by the furthest stage they reached (0..=9).
pub type StageCounts = [u32; 10];

/// One world's plot data.
#[derive(Default)]
pub struct PlotData {
    key: Option<Key>,
    pub lorenz_impressions: Vec<[f64; 2]>,
    pub lorenz_followers: Vec<[f64; 2]>,
    /// Follower distribution (log10 followers, log10 share of creators with at least that many):
    /// per archetype, and all creators together.
    pub followers_by_archetype: Vec<Vec<[f64; 2]>>,
    pub followers_all: Vec<[f64; 2]>,
    pub funnel_by_archetype: [StageCounts; 5],
    pub funnel_all: StageCounts,
    /// Reach per note (log10 viewers, log10 share of notes with at least that many).
    pub reach: Vec<[f64; 2]>,
}

/// What the data was computed from: a new sample, a rebuilt world or another world changes it.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Key {
    generation: u32,
    samples: usize,
    creators: usize,
    notes: usize,
    /// Tells two worlds with as many samples apart (side by side, or after "keep this one").
    impressions: f64,
}

/// The plot data of every world the window holds, by position.
#[derive(Resource, Default)]
pub struct PlotCaches {
    worlds: Vec<PlotData>,
}

impl PlotCaches {
    /// Brings world `i`'s data up to date, if stale.
    pub fn refresh(&mut self, i: usize, cache: &GuiCache, view: &WorldView) {
        if self.worlds.len() <= i {
            self.worlds.resize_with(i + 1, PlotData::default);
        }
        let key = Key {
            generation: cache.generation,
            samples: view.history.rows.len(),
            creators: view.creators.list.len(),
            notes: view.notes.len(),
            impressions: view
                .history
                .rows
                .last()
                .map_or(0.0, |r| r.impressions as f64),
        };
        let data = &mut self.worlds[i];
        if data.key != Some(key) {
            *data = PlotData::build(cache, view);
            data.key = Some(key);
        }
    }

    /// World `i`'s data, as last refreshed.
    pub fn data(&self, i: usize) -> &PlotData {
        &self.worlds[i]
    }
}

impl PlotData {
    fn build(cache: &GuiCache, view: &WorldView) -> Self {
        let curve = |values: &[f64]| -> Vec<[f64; 2]> {
            lorenz(values, 200)
                .into_iter()
                .map(|(x, y)| [100.0 * x, 100.0 * y])
                .collect()
        };
        let creators = &view.creators.list;
        let followers: Vec<f64> = creators.iter().map(|c| c.followers as f64).collect();

        // Follower distribution: rank among all creators, largest first.
        let mut ranked: Vec<(u32, Archetype)> = creators
            .iter()
            .filter(|c| c.followers > 0)
            .map(|c| (c.followers, c.archetype))
            .collect();
        ranked.sort_by_key(|&(f, _)| std::cmp::Reverse(f));
        let n = creators.len().max(1) as f64;
        let point = |rank: usize, f: u32| [(f as f64).log10(), ((rank + 1) as f64 / n).log10()];
        let followers_all = thin(ranked.iter().enumerate().map(|(r, (f, _))| point(r, *f)));
        let followers_by_archetype = Archetype::ALL
            .iter()
            .map(|&a| {
                thin(
                    ranked
                        .iter()
                        .enumerate()
                        .filter(|(_, (_, arch))| *arch == a)
                        .map(|(r, (f, _))| point(r, *f)),
                )
            })
            .collect();

        let mut funnel_by_archetype = [[0u32; 10]; 5];
        let mut funnel_all = [0u32; 10];
        for note in &view.notes.list {
            let stage = (note.max_stage as usize).min(9);
            let a = creators[note.creator as usize].archetype.index();
            funnel_by_archetype[a][stage] += 1;
            funnel_all[stage] += 1;
        }

        Self {
            key: None,
            lorenz_impressions: curve(&cache.impressions),
            lorenz_followers: curve(&followers),
            followers_by_archetype,
            followers_all,
            funnel_by_archetype,
            funnel_all,
            reach: reach_points(&cache.reach),
        }
    }
}

/// Drops points that fall in the same hundredth of a decade (on both axes) as the one kept
/// before them; the first and last points are always kept.
pub fn thin(points: impl Iterator<Item = [f64; 2]>) -> Vec<[f64; 2]> {
    let cell = |p: [f64; 2]| ((p[0] * 100.0).floor() as i64, (p[1] * 100.0).floor() as i64);
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut last: Option<[f64; 2]> = None;
    for p in points {
        if out.last().is_none_or(|&q| cell(q) != cell(p)) {
            out.push(p);
            last = None;
        } else {
            last = Some(p);
        }
    }
    out.extend(last);
    out
}

/// Every distinct reach value once (its highest rank), thinned to a few hundred points.
fn reach_points(reach: &[f64]) -> Vec<[f64; 2]> {
    let n = reach.len().max(1) as f64;
    let stride = reach.len().div_ceil(400).max(1);
    reach
        .iter()
        .enumerate()
        .filter(|(i, r)| **r > 0.0 && (i % stride == 0 || *i + 1 == reach.len()))
        .map(|(i, r)| [r.log10(), ((i + 1) as f64 / n).log10()])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_one_point_per_cell_and_the_ends() {
        // 1000 points along a line in 0..1 on both axes: 100 cells of a hundredth each.
        let points = (0..1000).map(|k| {
            let v = k as f64 / 1000.0;
            [v, v]
        });
        let thinned = thin(points);
        assert!(thinned.len() <= 102, "{} points", thinned.len());
        assert!(thinned.len() >= 100);
        assert_eq!(thinned[0], [0.0, 0.0]);
        assert_eq!(*thinned.last().unwrap(), [0.999, 0.999]);
        // Points far apart are all kept.
        let sparse: Vec<[f64; 2]> = (0..10).map(|k| [k as f64, 0.0]).collect();
        assert_eq!(thin(sparse.iter().copied()), sparse);
    }
}
