//! A weighted mix of policies (for example 70% traffic pool, 30% following tab). Each slot goes
//! to one part by weight; when that part has nothing to show, the next part fills it. Every
//! source is counted once: inside a blend the parts give no slots to the following tab of their
//! own (add `following` as a part for that), and each part's share of attention is its weight.

use super::{PickContext, Policy, TickContext, make_policy};
use crate::scenario::{PolicyKind, RecommenderConfig};
use crate::sim::agents::Viewer;
use crate::sim::rng::SimRng;
use rand::Rng;

#[derive(Clone)]
pub struct Blend {
    parts: Vec<Box<dyn Policy>>,
    /// Each part's share of slots, in part order.
    shares: Vec<f64>,
    cumulative: Vec<f64>,
}

impl Blend {
    pub fn new(config: &RecommenderConfig) -> Self {
        let parts = config
            .blend
            .iter()
            .filter(|p| p.policy != PolicyKind::Blend)
            .map(|p| make_policy(p.policy, config))
            .collect();
        Self {
            parts,
            shares: Vec::new(),
            cumulative: Vec::new(),
        }
    }

    fn update_shares(&mut self, config: &RecommenderConfig) {
        let weights: Vec<f64> = config
            .blend
            .iter()
            .filter(|p| p.policy != PolicyKind::Blend)
            .map(|p| p.weight.max(0.0))
            .collect();
        let total: f64 = weights.iter().sum::<f64>().max(1e-12);
        self.shares = weights.iter().map(|w| w / total).collect();
        let mut acc = 0.0;
        self.cumulative = self
            .shares
            .iter()
            .map(|s| {
                acc += s;
                acc
            })
            .collect();
    }

    /// Runs `step` on every part with its own share of slots and no following tab of its own.
    fn each_part(
        &mut self,
        ctx: &mut TickContext,
        step: impl Fn(&mut dyn Policy, &mut TickContext),
    ) {
        self.update_shares(ctx.config);
        let (slot_share, following_share) = (ctx.slot_share, ctx.following_share);
        for (k, part) in self.parts.iter_mut().enumerate() {
            ctx.slot_share = slot_share * self.shares.get(k).copied().unwrap_or(0.0);
            ctx.following_share = 0.0;
            step(part.as_mut(), ctx);
        }
        ctx.slot_share = slot_share;
        ctx.following_share = following_share;
    }
}

impl Policy for Blend {
    fn kind(&self) -> PolicyKind {
        PolicyKind::Blend
    }
    fn adopt(&mut self, ctx: &mut TickContext) {
        self.each_part(ctx, |part, ctx| part.adopt(ctx));
    }
    fn release(&mut self, ctx: &mut TickContext) {
        self.each_part(ctx, |part, ctx| part.release(ctx));
    }
    fn prepare(&mut self, ctx: &mut TickContext) {
        self.each_part(ctx, |part, ctx| part.prepare(ctx));
    }
    fn pick(&self, ctx: &PickContext, viewer: &Viewer, rng: &mut SimRng) -> Option<u32> {
        let n = self.parts.len().min(self.cumulative.len());
        if n == 0 {
            return None;
        }
        let inner = PickContext {
            following_share: 0.0,
            ..*ctx
        };
        let u: f64 = rng.random();
        let first = self.cumulative[..n].partition_point(|&c| c <= u).min(n - 1);
        (0..n).find_map(|k| self.parts[(first + k) % n].pick(&inner, viewer, rng))
    }
    fn learn(&mut self, ctx: &mut TickContext) {
        self.each_part(ctx, |part, ctx| part.learn(ctx));
    }
}
