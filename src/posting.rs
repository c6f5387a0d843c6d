//! Creators post notes: a Poisson rate per creator (plus any fixed posting days of their group),
//! each note with a topic from their niches, a format, images, text, hashtags and how
//! promotional it is.

use crate::sim::agents::*;
use crate::sim::rng::{SimRng, Stream, normal, poisson, stream};
use crate::sim::{Clock, ScenarioRes, SimTick, TickSet};
use bevy::prelude::*;
use bevy::utils::Parallel;
use rand::Rng;

/// Adds posting to `Post` (after arrivals and timeline events).
pub struct PostingPlugin;

impl Plugin for PostingPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<Drafts>().add_systems(
            SimTick,
            post_notes
                .in_set(TickSet::Post)
                .after(crate::population::arrive),
        );
    }
}

/// Notes written this tick, per thread, before they are published in creator order.
#[derive(Resource, Default)]
struct Drafts(Parallel<Vec<(u32, Note)>>);

/// The fixed posting days of a creator group (in the scenario's list, then timeline groups).
fn schedule_of(scenario: &crate::scenario::Scenario, group: u32) -> &[f64] {
    let g = group as usize;
    if let Some(group) = scenario.creators.get(g) {
        return &group.post_at_days;
    }
    match scenario
        .timeline
        .get(g - scenario.creators.len())
        .map(|e| &e.action)
    {
        Some(crate::scenario::Action::AddCreators(group)) => &group.post_at_days,
        _ => &[],
    }
}

/// Every creator writes this tick's notes (from a random stream of their own, in parallel); the
/// notes are then published in creator-id order, so note ids do not depend on thread timing.
fn post_notes(
    writers: Query<&Creator>,
    mut creators: ResMut<Creators>,
    mut notes: ResMut<Notes>,
    mut drafts: ResMut<Drafts>,
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
) {
    let s = &scenario.0;
    let tick = clock.tick;
    // Groups with a fixed posting day that falls on this tick (usually none).
    let groups = s.creators.len() + s.timeline.len();
    let scheduled: Vec<bool> = (0..groups as u32)
        .map(|g| {
            schedule_of(s, g)
                .iter()
                .any(|&day| (day * clock.ticks_per_day).round() as u32 == tick)
        })
        .collect();
    let drafts = &mut drafts.0;
    writers.par_iter().for_each(|creator| {
        let fixed = scheduled
            .get(creator.group as usize)
            .copied()
            .unwrap_or(false) as u32;
        let mut rng = stream(s.seed, Stream::Post, tick as u64, creator.id as u64);
        let n = fixed + poisson(&mut rng, creator.posts_per_day as f64 / clock.ticks_per_day);
        if n > 0 {
            drafts.scope(|out| {
                for _ in 0..n {
                    out.push((creator.id, compose(creator, tick, &mut rng)));
                }
            });
        }
    });
    let mut written: Vec<(u32, Note)> = drafts.drain().collect();
    // Stable: one creator's notes keep the order they were written in.
    written.sort_by_key(|(id, _)| *id);
    for (id, note) in written {
        let note_id = notes.push(note);
        let account = &mut creators.list[id as usize];
        account.push_latest(note_id);
        account.posts += 1;
    }
}

/// Draws one note by this creator.
pub fn compose(creator: &Creator, tick: u32, rng: &mut SimRng) -> Note {
    // The first niche topic carries most of a creator's posts.
    let topic = if creator.n_niche > 1 && rng.random::<f32>() > 0.6 {
        creator.niche[rng.random_range(1..creator.n_niche as usize)]
    } else {
        creator.niche[0]
    };
    let u: f32 = rng.random();
    let format = if u < creator.formats[0] {
        Format::Carousel
    } else if u < creator.formats[0] + creator.formats[1] {
        Format::Video
    } else {
        Format::Live
    };
    let effort = (creator.effort as f64 + 0.15 * normal(rng)).clamp(0.0, 1.0);
    let images = match format {
        Format::Carousel => (1.0 + 8.0 * effort).round() as u8,
        _ => 1,
    };
    let text_len = (20.0 + 300.0 * effort * (0.5 + rng.random::<f64>())).round() as u16;
    let hashtags = (8.0 * effort * rng.random::<f64>()).round() as u8;
    let promotional = (creator.promotional as f64 + 0.1 * normal(rng)).clamp(0.0, 1.0) as f32;
    let appeal = (creator.skill as f64 + 0.1 * normal(rng)).clamp(0.01, 1.0) as f32;
    Note {
        creator: creator.id,
        topic,
        format,
        images,
        hashtags,
        text_len,
        promotional,
        appeal,
        content_score: content_score(format, images, text_len, hashtags, promotional),
        created_tick: tick,
        max_stage: 0,
        pool_stage: None,
        stop_reason: StopReason::StillRunning,
        pool: PoolState::default(),
        golden: None,
    }
}

/// Completeness (images, text beyond ~100 characters, hashtags) and authenticity, 0..=1.
pub fn content_score(
    format: Format,
    images: u8,
    text_len: u16,
    hashtags: u8,
    promotional: f32,
) -> f32 {
    let image_score = match format {
        Format::Carousel => (images as f32 / 5.0).min(1.0),
        _ => 1.0,
    };
    let text_score = (text_len as f32 / 100.0).min(1.0);
    let hashtag_score = (hashtags as f32 / 3.0).min(1.0);
    let completeness = (image_score + text_score + hashtag_score) / 3.0;
    0.6 * completeness + 0.4 * (1.0 - promotional)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_score_rewards_completeness_and_authenticity() {
        assert!((content_score(Format::Carousel, 6, 150, 5, 0.0) - 1.0).abs() < 1e-6);
        // one image (0.2), 50 chars (0.5), no hashtags (0): completeness 0.2333; fully promotional
        assert!((content_score(Format::Carousel, 1, 50, 0, 1.0) - 0.14).abs() < 1e-6);
        assert!(
            content_score(Format::Video, 1, 150, 3, 0.5)
                > content_score(Format::Video, 1, 150, 3, 0.9)
        );
    }
}
