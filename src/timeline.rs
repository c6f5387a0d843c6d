//! Scenario timeline events (switch policy, change a parameter, add creators), applied at the
//! start of the tick they fall on.

use crate::population::creators_join;
use crate::scenario::{Action, Scenario, apply_override};
use crate::sim::rng::{Stream, stream};
use crate::sim::{Clock, ScenarioRes, SimTick, TickSet};
use bevy::prelude::*;

/// Applies timeline events first thing in `Post`.
pub struct TimelinePlugin;

impl Plugin for TimelinePlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(
            SimTick,
            apply_timeline
                .in_set(TickSet::Post)
                .before(crate::population::arrive),
        );
    }
}

/// Events not yet applied, in time order.
#[derive(Resource, Clone, Default)]
pub struct Timeline {
    pending: Vec<(u32, usize, Action)>,
}

impl Timeline {
    pub fn new(scenario: &Scenario) -> Self {
        let ticks_per_day = scenario.ticks_per_day();
        let mut pending: Vec<(u32, usize, Action)> = scenario
            .timeline
            .iter()
            .enumerate()
            .map(|(i, e)| ((e.day * ticks_per_day).round() as u32, i, e.action.clone()))
            .collect();
        pending.sort_by_key(|(tick, i, _)| (*tick, *i));
        pending.reverse();
        Self { pending }
    }
}

/// Applies the events that fall on this tick. Parameter changes edit the scenario, the one owner
/// of live parameters (the recommender reads its parameters from there every tick).
pub fn apply_timeline(world: &mut World) {
    let tick = world.resource::<Clock>().tick;
    loop {
        let mut timeline = world.resource_mut::<Timeline>();
        if timeline.pending.last().is_none_or(|(t, _, _)| *t > tick) {
            break;
        }
        let Some((_, index, action)) = timeline.pending.pop() else {
            break;
        };
        match action {
            Action::SwitchPolicy(policy) => {
                world.resource_mut::<ScenarioRes>().0.recommender.policy = policy;
            }
            Action::Set { path, value } => {
                let mut scenario = world.resource_mut::<ScenarioRes>();
                // Applied to a copy, so a change that fails leaves the scenario as it was.
                let mut updated = scenario.0.clone();
                match apply_override(&mut updated, &path, &value) {
                    Ok(()) => scenario.0 = updated,
                    Err(message) => warn!("timeline[{index}]: {message}"),
                }
            }
            Action::AddCreators(group) => {
                let scenario = world.resource::<ScenarioRes>().0.clone();
                let clock = world.resource::<Clock>().clone();
                let mut rng = stream(scenario.seed, Stream::Timeline, tick as u64, index as u64);
                let group_index = scenario.creators.len() as u32 + index as u32;
                creators_join(
                    world,
                    &scenario,
                    (&group, group_index),
                    group.count,
                    &clock,
                    &mut rng,
                );
            }
        }
    }
}
