//! Weighted candidate tables rebuilt each tick: note ids with an O(1) weighted draw (alias method).

use crate::sim::rng::SimRng;
use rand::{Rng, RngCore};

/// One column of the alias table: keep `id` when the draw's fraction is at most `keep`,
/// else take `alias`. Twelve bytes, so a draw touches one cache line.
#[derive(Clone, Copy, Debug)]
struct Column {
    keep: u32,
    id: u32,
    alias: u32,
    /// A number carried along with each id (the traffic pool carries the creator, so creative
    /// fatigue can be checked without touching the note).
    id_tag: u32,
    alias_tag: u32,
}

/// Note ids with an O(1) weighted draw (Vose's alias method, one 64-bit random number a draw);
/// empty when no note has positive weight.
#[derive(Clone, Default)]
pub struct WeightedTable {
    columns: Vec<Column>,
}

impl WeightedTable {
    /// Builds from `(note, weight)` pairs; non-positive weights are left out.
    pub fn build(items: impl IntoIterator<Item = (u32, f64)>) -> Self {
        Self::build_tagged(items.into_iter().map(|(id, w)| (id, 0, w)))
    }

    /// Builds from `(note, tag, weight)`; `draw_tagged` gives the tag back with the note.
    pub fn build_tagged(items: impl IntoIterator<Item = (u32, u32, f64)>) -> Self {
        let items: Vec<(u32, u32, f64)> = items
            .into_iter()
            .filter(|&(_, _, w)| w > 0.0 && w.is_finite())
            .collect();
        let n = items.len();
        let total: f64 = items.iter().map(|x| x.2).sum();
        if n == 0 {
            return Self::default();
        }
        let mut scaled: Vec<f64> = items.iter().map(|x| x.2 * n as f64 / total).collect();
        let mut columns: Vec<Column> = items
            .iter()
            .map(|&(id, tag, _)| Column {
                keep: u32::MAX,
                id,
                alias: id,
                id_tag: tag,
                alias_tag: tag,
            })
            .collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) =
            (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            columns[s].keep = (scaled[s] * u32::MAX as f64) as u32;
            columns[s].alias = items[l].0;
            columns[s].alias_tag = items[l].1;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Whatever is left has probability 1 up to rounding: it keeps its own id.
        Self { columns }
    }
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }
    pub fn len(&self) -> usize {
        self.columns.len()
    }
    #[inline]
    pub fn draw(&self, rng: &mut SimRng) -> Option<u32> {
        self.draw_tagged(rng).map(|(id, _)| id)
    }

    #[inline]
    pub fn draw_tagged(&self, rng: &mut SimRng) -> Option<(u32, u32)> {
        if self.columns.is_empty() {
            return None;
        }
        let r = rng.next_u64();
        let column = self.columns[(((r & 0xFFFF_FFFF) * self.columns.len() as u64) >> 32) as usize];
        Some(if (r >> 32) as u32 <= column.keep {
            (column.id, column.id_tag)
        } else {
            (column.alias, column.alias_tag)
        })
    }
}

/// Per-topic tables plus one over all topics.
#[derive(Clone, Default)]
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
    let interests = viewer.interests;
    let n = interests.n_topics as usize;
    let total: f32 = interests.interest[..n].iter().sum();
    let mut u = rng.random::<f32>() * total;
    for i in 0..n {
        if u < interests.interest[i] {
            return interests.topics[i];
        }
        u -= interests.interest[i];
    }
    interests.topics[n.saturating_sub(1)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};

    #[test]
    fn draws_follow_the_weights() {
        let table = WeightedTable::build([(10, 1.0), (20, 0.0), (30, 3.0), (40, 6.0), (50, -1.0)]);
        assert_eq!(table.len(), 3);
        let mut rng = stream(9, Stream::Recommender, 0, 0);
        let mut counts = std::collections::BTreeMap::new();
        let n = 200_000;
        for _ in 0..n {
            *counts.entry(table.draw(&mut rng).unwrap()).or_insert(0u32) += 1;
        }
        assert_eq!(counts.keys().copied().collect::<Vec<_>>(), vec![10, 30, 40]);
        for (id, expected) in [(10, 0.1), (30, 0.3), (40, 0.6)] {
            let share = counts[&id] as f64 / n as f64;
            assert!((share - expected).abs() < 0.005, "{id}: {share}");
        }
        assert!(WeightedTable::build([(1, 0.0)]).draw(&mut rng).is_none());
        assert_eq!(WeightedTable::build([(7, 2.0)]).draw(&mut rng), Some(7));
    }
}
