//! Scenario timeline events (switch policy, change a parameter, add creators), applied at the
//! start of the tick they fall on.

use super::agents::*;
use super::population::creators_join;
use super::rng::{Stream, stream};
use super::{Audience, Clock, ScenarioRes};
use crate::recommender::Recommender;
use crate::scenario::{Action, Scenario, apply_override};
use bevy::prelude::*;

/// Events not yet applied, in time order.
#[derive(Resource, Default)]
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

pub(super) fn apply_timeline(
    mut timeline: ResMut<Timeline>,
    clock: Res<Clock>,
    mut scenario: ResMut<ScenarioRes>,
    mut recommender: ResMut<Recommender>,
    mut viewers: ResMut<Viewers>,
    mut creators: ResMut<Creators>,
    mut audience: ResMut<Audience>,
) {
    while timeline
        .pending
        .last()
        .is_some_and(|(tick, _, _)| *tick <= clock.tick)
    {
        let Some((_, index, action)) = timeline.pending.pop() else {
            break;
        };
        match action {
            Action::SwitchPolicy(policy) => {
                recommender.config.policy = policy;
                scenario.0.recommender.policy = policy;
            }
            Action::Set { path, value } => {
                let mut updated = scenario.0.clone();
                updated.recommender = recommender.config.clone();
                match apply_override(&mut updated, &path, &value) {
                    Ok(()) => {
                        recommender.config = updated.recommender.clone();
                        scenario.0 = updated;
                    }
                    Err(message) => warn!("timeline[{index}]: {message}"),
                }
            }
            Action::AddCreators(group) => {
                let s = &scenario.0;
                let mut rng = stream(s.seed, Stream::Timeline, clock.tick as u64, index as u64);
                let group_index = s.creators.len() as u32 + index as u32;
                creators_join(
                    s,
                    &mut viewers,
                    &mut creators,
                    &mut audience,
                    (&group, group_index),
                    group.count,
                    &clock,
                    &mut rng,
                );
            }
        }
    }
}
