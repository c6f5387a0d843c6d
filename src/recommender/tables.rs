//! Weighted candidate tables rebuilt each tick: note ids with an O(1) weighted draw (alias method).

use crate::sim::rng::SimRng;
use rand::Rng;
use rand_distr::Distribution;
use rand_distr::weighted::WeightedAliasIndex;

/// Note ids and an alias table over their weights; empty when no note has positive weight.
#[derive(Default)]
pub struct WeightedTable {
    ids: Vec<u32>,
    alias: Option<WeightedAliasIndex<f64>>,
    total: f64,
}

impl WeightedTable {
    /// Builds from `(note, weight)` pairs; non-positive weights are left out.
    pub fn build(items: impl IntoIterator<Item = (u32, f64)>) -> Self {
        let (ids, weights): (Vec<u32>, Vec<f64>) = items
            .into_iter()
            .filter(|&(_, w)| w > 0.0 && w.is_finite())
            .unzip();
        let total = weights.iter().sum();
        let alias = if ids.is_empty() {
            None
        } else {
            WeightedAliasIndex::new(weights).ok()
        };
        Self { ids, alias, total }
    }
    pub fn is_empty(&self) -> bool {
        self.alias.is_none()
    }
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    /// Sum of the weights (for policies that split attention by demand).
    pub fn total(&self) -> f64 {
        self.total
    }
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> Option<u32> {
        self.alias.as_ref().map(|a| self.ids[a.sample(rng)])
    }
}

/// Per-topic tables plus one over all topics.
#[derive(Default)]
pub struct TopicTables {
    pub by_topic: Vec<WeightedTable>,
    pub all: WeightedTable,
}

impl TopicTables {
    pub fn build(topics: usize, items: &[(u32, u8, f64)]) -> Self {
        let mut per: Vec<Vec<(u32, f64)>> = vec![Vec::new(); topics];
        for &(id, topic, w) in items {
            if let Some(list) = per.get_mut(topic as usize) {
                list.push((id, w));
            }
        }
        Self {
            by_topic: per.into_iter().map(WeightedTable::build).collect(),
            all: WeightedTable::build(items.iter().map(|&(id, _, w)| (id, w))),
        }
    }

    /// Draws from one of the viewer's topics (by interest) with probability `interest_share`,
    /// otherwise (or when that topic has nothing) from everything.
    #[inline]
    pub fn draw_for(
        &self,
        viewer: &crate::sim::agents::Viewer,
        interest_share: f64,
        rng: &mut SimRng,
    ) -> Option<u32> {
        if rng.random::<f64>() < interest_share {
            let topic = pick_interest_topic(viewer, rng);
            if let Some(id) = self.by_topic.get(topic as usize).and_then(|t| t.draw(rng)) {
                return Some(id);
            }
        }
        self.all.draw(rng)
    }
}

/// One of the viewer's topics, chosen in proportion to interest.
#[inline]
pub fn pick_interest_topic(viewer: &crate::sim::agents::Viewer, rng: &mut SimRng) -> u8 {
    let n = viewer.n_topics as usize;
    let total: f32 = viewer.interest[..n].iter().sum();
    let mut u = rng.random::<f32>() * total;
    for i in 0..n {
        if u < viewer.interest[i] {
            return viewer.topics[i];
        }
        u -= viewer.interest[i];
    }
    viewer.topics[n.saturating_sub(1)]
}
