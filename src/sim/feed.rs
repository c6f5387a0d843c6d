//! The hot path: viewers who open the app get their feed slots filled (expose), scroll through
//! them (react), and what they shared or followed is passed on (spread).
//!
//! Viewers are split into fixed chunks of `CHUNK`; each chunk has its own random streams and
//! buffers, and chunks are processed in parallel. Results never depend on how many threads run:
//! the chunking is fixed, counters are integer adds, and everything order-sensitive (shares,
//! follows) is merged afterwards in chunk order.

use super::agents::*;
use super::behaviour::{ReactionModel, react as draw_reaction};
use super::ladder::Ladder;
use super::prefetch::{prefetch, prefetch_for_write, prefetch_slice};
use super::rng::{Stream, stream};
use super::sessions::schedule_next_session;
use super::{Audience, Clock, ScenarioRes};
use crate::recommender::{PickContext, Recommender};
use bevy::prelude::*;
use rand::Rng;
use rayon::prelude::*;
use std::sync::atomic::Ordering::Relaxed;

/// Viewers per chunk: big enough to amortise scheduling, small enough to balance two cores.
pub const CHUNK: usize = 4096;
/// Failed picks (nothing to show, or already seen) before a session's feed is given up as exhausted.
const MAX_MISSES: u32 = 12;
/// How many slots ahead the react loop asks for a note's data.
const PREFETCH_SLOTS: usize = 4;

#[derive(Clone, Copy, Debug)]
struct Session {
    /// Viewer index within the chunk.
    viewer: u32,
    start: u32,
    len: u32,
}

/// Totals of one chunk for one tick.
#[derive(Clone, Copy, Debug, Default)]
pub struct Tally {
    pub sessions: u64,
    pub impressions: u64,
    pub engagements: u64,
    pub churned: u32,
    /// Change in the summed satisfaction of this chunk's viewers.
    pub satisfaction_change: f64,
}

/// Reused per-chunk buffers (no allocation per impression once warmed up).
#[derive(Default)]
pub struct ChunkBuffer {
    /// Viewers (index within the chunk) who open the app this tick.
    due: Vec<u32>,
    /// Viewers (global id) who left for good this tick.
    left: Vec<u32>,
    sessions: Vec<Session>,
    slots: Vec<u32>,
    shares: Vec<(u32, u32)>,
    follows: Vec<u32>,
    /// Notes whose impressions crossed a ladder bracket this tick (each crossing seen once).
    crossed: Vec<u32>,
    /// Notes liked this tick (their visible like count is refreshed after the tick).
    liked: Vec<u32>,
    tally: Tally,
}

#[derive(Resource, Default)]
pub struct FeedBuffers {
    chunks: Vec<ChunkBuffer>,
    followable: Vec<[u32; 3]>,
}

/// How far back the following tab shows a followed account's notes.
const FOLLOWING_HOURS: f64 = 72.0;

/// Running totals across ticks.
#[derive(Resource, Default, Clone, Debug)]
pub struct TickStats {
    pub last_tick_impressions: u64,
    pub impressions: u64,
    pub engagements: u64,
    pub sessions: u64,
}

pub(super) fn expose(
    viewers: Res<Viewers>,
    notes: Res<Notes>,
    creators: Res<Creators>,
    recommender: Res<Recommender>,
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
    mut buffers: ResMut<FeedBuffers>,
) {
    let chunks = viewers.list.len().div_ceil(CHUNK);
    buffers.chunks.resize_with(chunks, ChunkBuffer::default);
    let tick = clock.tick;
    let config = &recommender.config;
    let following_since = tick.saturating_sub(clock.hours_to_ticks(FOLLOWING_HOURS));
    let mut followable = std::mem::take(&mut buffers.followable);
    followable.clear();
    followable.extend(creators.list.iter().map(|c| {
        c.latest.map(|n| {
            if n != NONE && notes.list[n as usize].created_tick >= following_since {
                n
            } else {
                NONE
            }
        })
    }));
    let ctx = PickContext {
        notes: &notes,
        creators: &creators.list,
        config,
        tick,
        window_start: notes
            .first_since(tick.saturating_sub(clock.hours_to_ticks(config.window_hours))),
        followable: &followable,
        following_share: config.following_share,
    };
    let seed = scenario.0.seed;
    let recommender = &*recommender;
    let chunks = viewers
        .list
        .par_chunks(CHUNK)
        .zip(viewers.next_session.par_chunks(CHUNK));
    chunks
        .zip(buffers.chunks.par_iter_mut())
        .enumerate()
        .for_each(|(c, ((chunk, next), buf))| {
            buf.sessions.clear();
            buf.slots.clear();
            let mut rng = stream(seed, Stream::Expose, tick as u64, c as u64);
            buf.due.clear();
            buf.due
                .extend((0..next.len() as u32).filter(|&i| next[i as usize] <= tick));
            for k in 0..buf.due.len() {
                if let Some(&ahead) = buf.due.get(k + 2) {
                    prefetch(&chunk[ahead as usize]);
                }
                if let Some(&next) = buf.due.get(k + 1) {
                    prefetch_slice(&chunk[next as usize].follows);
                }
                let local = buf.due[k] as usize;
                let viewer = &chunk[local];
                let depth = session_depth(viewer, rng.random::<f32>());
                let start = buf.slots.len();
                for &note in &viewer.inbox[..viewer.inbox_len as usize] {
                    if buf.slots.len() - start < depth && !viewer.has_seen(note) {
                        buf.slots.push(note);
                    }
                }
                let mut misses = 0;
                while buf.slots.len() - start < depth && misses < MAX_MISSES {
                    match recommender.pick(&ctx, viewer, &mut rng) {
                        Some(note)
                            if !viewer.has_seen(note) && !buf.slots[start..].contains(&note) =>
                        {
                            buf.slots.push(note);
                        }
                        Some(_) => misses += 1,
                        None => misses += 2,
                    }
                }
                buf.sessions.push(Session {
                    viewer: local as u32,
                    start: start as u32,
                    len: (buf.slots.len() - start) as u32,
                });
            }
        });
    buffers.followable = followable;
}

/// Notes a viewer is willing to scroll this session: around their usual length, shorter when bored.
#[inline]
fn session_depth(viewer: &Viewer, u: f32) -> usize {
    let mood = 0.6 + 0.8 * viewer.satisfaction;
    (viewer.session_length * (0.5 + u) * mood).round().max(1.0) as usize
}

#[allow(clippy::too_many_arguments)]
pub(super) fn react(
    mut viewers: ResMut<Viewers>,
    notes: Res<Notes>,
    creators: Res<Creators>,
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
    ladder: Res<Ladder>,
    mut buffers: ResMut<FeedBuffers>,
    (mut stats, mut audience): (ResMut<TickStats>, ResMut<Audience>),
) {
    let ladder = &*ladder;
    let model = ReactionModel::new(&scenario.0.behaviour);
    let churn_below = scenario.0.behaviour.churn_below as f32;
    let churn_chance = scenario.0.behaviour.churn_chance as f32;
    let seed = scenario.0.seed;
    let tick = clock.tick;
    let clock = &*clock;
    let notes = &*notes;
    let creators = &creators.list;
    let Viewers {
        list,
        next_session,
        churned,
        ..
    } = &mut *viewers;
    let chunks = list
        .par_chunks_mut(CHUNK)
        .zip(next_session.par_chunks_mut(CHUNK));
    chunks
        .zip(buffers.chunks.par_iter_mut())
        .enumerate()
        .for_each(|(c, ((chunk, next), buf))| {
            let mut rng = stream(seed, Stream::React, tick as u64, c as u64);
            buf.shares.clear();
            buf.follows.clear();
            buf.left.clear();
            buf.crossed.clear();
            buf.liked.clear();
            let mut tally = Tally::default();
            let base = (c * CHUNK) as u32;
            for (k, session) in buf.sessions.iter().enumerate() {
                if let Some(ahead) = buf.sessions.get(k + 1) {
                    prefetch(&chunk[ahead.viewer as usize]);
                }
                let viewer = &mut chunk[session.viewer as usize];
                let me = base + session.viewer;
                let reach_slot = ReachSlot::of(me);
                tally.sessions += 1;
                viewer.inbox_len = 0;
                let satisfaction_before = viewer.satisfaction;
                let first = session.start as usize;
                for g in first..first + session.len as usize {
                    if let Some(&ahead) = buf.slots.get(g + PREFETCH_SLOTS) {
                        prefetch(&notes.look[ahead as usize]);
                        prefetch_for_write(&notes.counters[ahead as usize]);
                        prefetch(notes.reach[ahead as usize].register(reach_slot));
                    }
                    let id = buf.slots[g];
                    let note = &notes.look[id as usize];
                    let counters = &notes.counters[id as usize];
                    let author = note.creator;
                    let quality = model.quality(
                        note,
                        viewer.interest_in(note.topic),
                        viewer.recent_count(author),
                    );
                    let follows = &viewer.follows;
                    let can_follow = || {
                        creators[author as usize].user != me
                            && follows.len() < MAX_FOLLOWS
                            && !follows.contains(&author)
                    };
                    let r = draw_reaction(
                        &model,
                        quality,
                        model.social_proof(note.visible_likes),
                        &viewer.propensity,
                        can_follow,
                        note.format == Format::Video,
                        &mut rng,
                    );
                    if ladder.crosses(counters.impressions.fetch_add(1, Relaxed)) {
                        buf.crossed.push(id);
                    }
                    notes.reach[id as usize].add(reach_slot);
                    viewer.remember(id, author);
                    tally.impressions += 1;
                    if r.opened {
                        counters.clicks.fetch_add(1, Relaxed);
                        counters.dwell_seconds.fetch_add(r.dwell_seconds, Relaxed);
                        if r.like {
                            counters.likes.fetch_add(1, Relaxed);
                            buf.liked.push(id);
                        }
                        if r.short_comment {
                            counters.short_comments.fetch_add(1, Relaxed);
                        }
                        if r.deep_comment {
                            counters.deep_comments.fetch_add(1, Relaxed);
                        }
                        if r.save {
                            counters.saves.fetch_add(1, Relaxed);
                        }
                        if r.share {
                            counters.shares.fetch_add(1, Relaxed);
                            buf.shares.push((me, id));
                        }
                        if r.follow {
                            counters.follows.fetch_add(1, Relaxed);
                            viewer.follows.push(author);
                            buf.follows.push(author);
                        }
                        tally.engagements += (r.like as u64)
                            + (r.short_comment as u64)
                            + (r.deep_comment as u64)
                            + (r.save as u64)
                            + (r.share as u64)
                            + (r.follow as u64);
                    }
                    viewer.satisfaction +=
                        model.satisfaction_memory * (r.reward - viewer.satisfaction);
                    if r.quick_scroll {
                        counters.quick_scrolls.fetch_add(1, Relaxed);
                        if rng.random::<f32>()
                            < model.leave_after_quick_scroll * (1.0 - viewer.satisfaction)
                        {
                            break;
                        }
                    }
                }
                tally.satisfaction_change += (viewer.satisfaction - satisfaction_before) as f64;
                if viewer.satisfaction < churn_below
                    && viewer.creator == NONE
                    && rng.random::<f32>() < churn_chance
                {
                    viewer.active = false;
                    next[session.viewer as usize] = u32::MAX;
                    tally.churned += 1;
                    buf.left.push(me);
                    continue;
                }
                next[session.viewer as usize] =
                    schedule_next_session(viewer, tick, clock, &mut rng);
            }
            buf.tally = tally;
        });
    let mut tick_impressions = 0;
    for buf in &buffers.chunks {
        tick_impressions += buf.tally.impressions;
        stats.engagements += buf.tally.engagements;
        stats.sessions += buf.tally.sessions;
        *churned += buf.tally.churned;
        audience.satisfaction += buf.tally.satisfaction_change;
        for &gone in &buf.left {
            audience.remove(&list[gone as usize]);
        }
    }
    stats.impressions += tick_impressions;
    stats.last_tick_impressions = tick_impressions;
}

pub(super) fn spread(
    mut viewers: ResMut<Viewers>,
    mut creators: ResMut<Creators>,
    buffers: Res<FeedBuffers>,
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
) {
    let mut rng = stream(scenario.0.seed, Stream::Spread, clock.tick as u64, 0);
    let fanout = scenario.0.behaviour.share_fanout as usize;
    for buf in &buffers.chunks {
        for &creator in &buf.follows {
            creators.list[creator as usize].followers += 1;
        }
        for &(sharer, note) in &buf.shares {
            let circle = viewers.circles[sharer as usize];
            let members = circle.members();
            if members.is_empty() {
                continue;
            }
            // Reach `fanout` distinct people of the circle, starting at a random one.
            let first = rng.random_range(0..members.len());
            for k in 0..fanout.min(members.len()) {
                let friend = members[(first + k) % members.len()];
                if let Some(v) = viewers.list.get_mut(friend as usize)
                    && v.active
                {
                    v.push_inbox(note);
                }
            }
        }
    }
}

/// After the viewers' turn: notes that crossed a ladder bracket get their stage on the common
/// yardstick (and, where no pool handles them, a `reached` line in their funnel trace); liked
/// notes show their new like count from the next tick. Touches only the notes concerned.
pub(super) fn record_crossings(
    mut notes: ResMut<Notes>,
    buffers: Res<FeedBuffers>,
    ladder: Res<Ladder>,
    clock: Res<Clock>,
    recommender: Res<crate::recommender::Recommender>,
) {
    let notes = &mut *notes;
    for buf in &buffers.chunks {
        for &id in &buf.liked {
            notes.look[id as usize].visible_likes = notes.counters[id as usize].likes.load(Relaxed);
        }
    }
    // Which chunk saw a crossing depends on thread timing; the set of crossings does not.
    let mut crossed: Vec<u32> = buffers
        .chunks
        .iter()
        .flat_map(|b| b.crossed.iter().copied())
        .collect();
    crossed.sort_unstable();
    crossed.dedup();
    let weights = recommender.config.weights;
    for id in crossed {
        let i = id as usize;
        let counts = notes.counts(i);
        let stage = ladder.stage_of(counts.impressions);
        let note = &mut notes.list[i];
        let trace = &mut notes.trace[i];
        if note.pool.status == PoolStatus::Unpooled && trace.is_empty() {
            trace.push(super::ladder::ladder_record(
                0,
                note.created_tick,
                &Counts::default(),
                &weights,
            ));
        }
        while note.max_stage < stage {
            note.max_stage += 1;
            if note.pool.status == PoolStatus::Unpooled {
                trace.push(super::ladder::ladder_record(
                    note.max_stage,
                    clock.tick,
                    &counts,
                    &weights,
                ));
            }
        }
    }
}
