//! The recommender's systems: before the viewers' turn it follows the live parameters (a policy
//! switch hands every note over) and prepares this tick's tables; after it, it reads the signals.

use super::{Recommender, TickContext};
use crate::sim::agents::{Creators, Notes};
use crate::sim::{Audience, Clock, Ladder, ScenarioRes, TickSet, TickStats};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;

/// Adds the recommender's systems to `Expose` and `Learn`.
pub struct RecommenderPlugin;

impl Plugin for RecommenderPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            crate::sim::SimTick,
            (
                prepare_recommender.in_set(TickSet::Expose),
                learn.in_set(TickSet::Learn),
            ),
        );
    }
}

/// Everything the recommender reads and changes outside the per-impression loop.
#[derive(SystemParam)]
pub struct PolicyWorld<'w> {
    recommender: ResMut<'w, Recommender>,
    notes: ResMut<'w, Notes>,
    creators: ResMut<'w, Creators>,
    clock: Res<'w, Clock>,
    audience: Res<'w, Audience>,
    ladder: Res<'w, Ladder>,
    scenario: Res<'w, ScenarioRes>,
    stats: Res<'w, TickStats>,
}

impl PolicyWorld<'_> {
    /// Calls `step` with the recommender and a context over the rest.
    fn with_context(&mut self, step: impl FnOnce(&mut Recommender, &mut TickContext)) {
        let scenario = &self.scenario.0;
        let config = &scenario.recommender;
        let mut ctx = TickContext {
            notes: &mut self.notes,
            creators: &mut self.creators,
            config,
            clock: &self.clock,
            audience: &self.audience,
            ladder: &self.ladder,
            seed: scenario.seed,
            last_tick_impressions: self.stats.last_tick_impressions,
            slot_share: 1.0,
            following_share: config.following_share,
        };
        step(&mut self.recommender, &mut ctx);
    }
}

fn prepare_recommender(mut world: PolicyWorld) {
    world.with_context(|recommender, ctx| {
        recommender.sync(ctx);
        recommender.prepare(ctx);
    });
}

/// The recommender reads this tick's signals (after the feed has recorded ladder crossings).
pub fn learn(mut world: PolicyWorld) {
    world.with_context(|recommender, ctx| recommender.learn(ctx));
}
