//! A weighted mix of policies (for example 70% traffic pool, 30% following tab). Each slot goes
//! to one part by weight; when that part has nothing to show, the next part fills it.

use super::{PickContext, Policy, TickContext, make_policy};
use crate::scenario::{PolicyKind, RecommenderConfig};
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

pub struct Blend {
    parts: Vec<Box<dyn Policy>>,
    cumulative: Vec<f64>,
}

impl Blend {
    pub fn new(config: &RecommenderConfig, notes_so_far: usize) -> Self {
        let parts = config
            .blend
            .iter()
            .filter(|p| p.policy != PolicyKind::Blend)
            .map(|p| make_policy(p.policy, config, notes_so_far))
            .collect();
        Self {
            parts,
            cumulative: Vec::new(),
        }
    }
}

impl Policy for Blend {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Blend
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        let weights: Vec<f64> = ctx
            .config
            .blend
            .iter()
            .filter(|p| p.policy != PolicyKind::Blend)
            .map(|p| p.weight.max(0.0))
            .collect();
        let total: f64 = weights.iter().sum::<f64>().max(1e-12);
        let mut acc = 0.0;
        self.cumulative = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        for part in &mut self.parts {
            part.prepare(ctx);
        }
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        let n = self.parts.len().min(self.cumulative.len());
        if n == 0 {
            return None;
        }
        let u: f64 = rng.random();
        let first = self.cumulative[..n].partition_point(|&c| c <= u).min(n - 1);
        (0..n).find_map(|k| self.parts[(first + k) % n].pick(ctx, viewer, rng))
    }
    fn learn(&mut self, ctx: &mut TickContext) {
        for part in &mut self.parts {
            part.learn(ctx);
        }
    }
}
