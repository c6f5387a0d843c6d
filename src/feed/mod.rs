//! The feed: users who open the app are served notes by the recommender and scroll them
//! (`scroll`, in `React`), then what they shared reaches their circles, follows reach the
//! creators and those who left leave (`spread`, in `Spread`), and notes that crossed a ladder
//! bracket get their stage (`record_crossings`, in `Learn`).
//!
//! `scroll` runs over the users in parallel (`Query::par_iter_mut`). Nothing it computes depends
//! on which thread handles whom or in what order: each user draws from a random stream keyed by
//! their id and the tick, policies only read tables prepared before the turn, note counters are
//! integer adds, satisfaction is summed in fixed point, and everything order-sensitive (shares,
//! follows, leavers, crossings) is collected per thread and sorted into user-id order before it
//! is used.

pub mod behaviour;

use crate::recommender::{PickContext, Recommender};
use crate::sim::agents::*;
use crate::sim::ladder::Ladder;
use crate::sim::rng::{Stream, stream};
use crate::sim::sessions::schedule_next_session;
use crate::sim::{
    Audience, Clock, ScenarioRes, SimTick, TickSet, TickStats, prefetch, prefetch_for_write,
    satisfaction_units,
};
use behaviour::{ReactionModel, react as draw_reaction};
use bevy::ecs::batching::BatchingStrategy;
use bevy::ecs::query::QueryData;
use bevy::prelude::*;
use bevy::utils::Parallel;
use rand::Rng;
use std::sync::atomic::Ordering::Relaxed;

/// Failed picks (nothing to show, or already seen) before a session's feed is given up as exhausted.
const MAX_MISSES: u32 = 12;
/// How many slots ahead the scroll loop asks for a note's data.
const PREFETCH_SLOTS: usize = 4;
/// Users per parallel batch: big enough to amortise scheduling, small enough to balance cores.
const BATCH: usize = 4096;
/// How far back the following tab shows a followed account's notes.
const FOLLOWING_HOURS: f64 = 72.0;

/// Adds the feed's systems: `scroll` in `React`, `spread` and `sync_accounts` in `Spread`,
/// `record_crossings` in `Learn`.
pub struct FeedPlugin;

impl Plugin for FeedPlugin {
    fn build(&self, app: &mut App) {
        app.init_resource::<FeedState>().add_systems(
            SimTick,
            (
                scroll.in_set(TickSet::React),
                (spread, sync_accounts).chain().in_set(TickSet::Spread),
                record_crossings
                    .in_set(TickSet::Learn)
                    .before(crate::recommender::learn),
            ),
        );
    }
}

/// Per-thread results of one tick's scrolling (reused, so no allocation once warmed up).
#[derive(Default)]
struct Scratch {
    slots: Vec<u32>,
    shares: Vec<(u32, u32)>,
    follows: Vec<(u32, u32)>,
    crossed: Vec<u32>,
    liked: Vec<u32>,
    left: Vec<u32>,
    tally: Tally,
}

/// Totals of one thread for one tick.
#[derive(Clone, Copy, Debug, Default)]
struct Tally {
    sessions: u64,
    impressions: u64,
    engagements: u64,
    /// Change in summed satisfaction, in `satisfaction_units`.
    satisfaction_change: i64,
}

/// What this tick's scrolling produced, in user-id order, for the systems after it.
#[derive(Resource, Default)]
pub struct FeedState {
    scratch: Parallel<Scratch>,
    followable: Vec<[u32; 3]>,
    /// (sharer, note), in sharer order, each sharer's in the order they shared.
    pub shares: Vec<(u32, u32)>,
    /// (follower, creator id), in follower order.
    pub follows: Vec<(u32, u32)>,
    /// Users who left for good this tick.
    pub left: Vec<u32>,
    /// Notes whose impressions crossed a ladder bracket this tick, each once, in id order.
    pub crossed: Vec<u32>,
    /// Notes liked this tick (their visible like count is refreshed after the turn).
    pub liked: Vec<u32>,
}

/// A user as the scroll loop reads and changes them.
#[derive(QueryData)]
#[query_data(mutable)]
pub struct Scroller {
    id: &'static UserId,
    next: &'static mut NextSession,
    interests: &'static Interests,
    propensity: &'static Propensity,
    rhythm: &'static SessionRhythm,
    satisfaction: &'static mut Satisfaction,
    memory: &'static mut Memory,
    inbox: &'static mut Inbox,
    follows: &'static mut Follows,
    creator: Option<&'static Creator>,
}

/// Notes a user is willing to scroll this session: around their usual length, shorter when bored.
#[inline]
fn session_depth(rhythm: &SessionRhythm, satisfaction: f32, u: f32) -> usize {
    let mood = 0.6 + 0.8 * satisfaction;
    (rhythm.session_length * (0.5 + u) * mood).round().max(1.0) as usize
}

/// Each user whose session is due opens the app, is served a feed and scrolls it.
#[allow(clippy::too_many_arguments)]
pub fn scroll(
    mut users: Query<Scroller, Without<Churned>>,
    notes: Res<Notes>,
    creators: Res<Creators>,
    recommender: Res<Recommender>,
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
    ladder: Res<Ladder>,
    mut feed: ResMut<FeedState>,
    (mut stats, mut audience): (ResMut<TickStats>, ResMut<Audience>),
) {
    let s = &scenario.0;
    let config = &s.recommender;
    let tick = clock.tick;
    let following_since = tick.saturating_sub(clock.hours_to_ticks(FOLLOWING_HOURS));
    let feed = &mut *feed;
    let mut followable = std::mem::take(&mut feed.followable);
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
    let model = ReactionModel::new(&s.behaviour);
    let churn_below = s.behaviour.churn_below as f32;
    let churn_chance = s.behaviour.churn_chance as f32;
    let seed = s.seed;
    let (recommender, ladder, clock) = (&*recommender, &*ladder, &*clock);
    let scratch = &feed.scratch;
    users
        .par_iter_mut()
        .batching_strategy(BatchingStrategy::fixed(BATCH))
        .for_each(|mut user| {
            if user.next.0 > tick {
                return;
            }
            scratch.scope(|out| {
                session(
                    &mut user,
                    (&ctx, recommender, &model, ladder, clock),
                    (seed, tick, churn_below, churn_chance),
                    out,
                )
            });
        });
    feed.followable = followable;

    // Merge the threads' results in a canonical order.
    let (shares, follows, crossed, liked, left) = (
        &mut feed.shares,
        &mut feed.follows,
        &mut feed.crossed,
        &mut feed.liked,
        &mut feed.left,
    );
    for list in [&mut *crossed, &mut *liked, &mut *left] {
        list.clear();
    }
    shares.clear();
    follows.clear();
    let mut tally = Tally::default();
    for out in feed.scratch.iter_mut() {
        shares.append(&mut out.shares);
        follows.append(&mut out.follows);
        crossed.append(&mut out.crossed);
        liked.append(&mut out.liked);
        left.append(&mut out.left);
        tally.sessions += out.tally.sessions;
        tally.impressions += out.tally.impressions;
        tally.engagements += out.tally.engagements;
        tally.satisfaction_change += out.tally.satisfaction_change;
        out.tally = Tally::default();
    }
    // Stable sorts: one user's shares and follows stay in the order they made them.
    shares.sort_by_key(|&(sharer, _)| sharer);
    follows.sort_by_key(|&(follower, _)| follower);
    left.sort_unstable();
    // Which thread saw a crossing depends on timing; the set of crossings does not.
    crossed.sort_unstable();
    crossed.dedup();
    liked.sort_unstable();
    liked.dedup();
    stats.impressions += tally.impressions;
    stats.last_tick_impressions = tally.impressions;
    stats.engagements += tally.engagements;
    stats.sessions += tally.sessions;
    audience.satisfaction += tally.satisfaction_change;
}

/// One session of one user: the feed is filled (friends' shares first, then the recommender),
/// then scrolled slot by slot.
#[inline]
fn session(
    user: &mut ScrollerItem,
    (ctx, recommender, model, ladder, clock): (
        &PickContext,
        &Recommender,
        &ReactionModel,
        &Ladder,
        &Clock,
    ),
    (seed, tick, churn_below, churn_chance): (u64, u32, f32, f32),
    out: &mut Scratch,
) {
    let me = user.id.0;
    let mut rng = stream(seed, Stream::React, tick as u64, me as u64);
    let satisfaction_before = user.satisfaction.0;
    let depth = session_depth(user.rhythm, satisfaction_before, rng.random::<f32>());

    // Fill the feed.
    let slots = &mut out.slots;
    slots.clear();
    for &note in user.inbox.notes() {
        if slots.len() < depth && !user.memory.has_seen(note) {
            slots.push(note);
        }
    }
    user.inbox.len = 0;
    {
        let viewer = Viewer {
            id: me,
            interests: user.interests,
            memory: &user.memory,
            follows: &user.follows.0,
        };
        let mut misses = 0;
        while slots.len() < depth && misses < MAX_MISSES {
            match recommender.pick(ctx, &viewer, &mut rng) {
                Some(note) if !viewer.has_seen(note) && !slots.contains(&note) => {
                    slots.push(note);
                }
                Some(_) => misses += 1,
                None => misses += 2,
            }
        }
    }

    // Scroll it.
    let notes = ctx.notes;
    let reach_slot = ReachSlot::of(me);
    let own_creator = user.creator.map_or(NONE, |c| c.id);
    let memory = &mut *user.memory;
    let follows = &mut user.follows.0;
    let mut satisfaction = satisfaction_before;
    out.tally.sessions += 1;
    for g in 0..slots.len() {
        if let Some(&ahead) = slots.get(g + PREFETCH_SLOTS) {
            prefetch(&notes.look[ahead as usize]);
            prefetch_for_write(&notes.counters[ahead as usize]);
            prefetch(notes.reach[ahead as usize].register(reach_slot));
        }
        let id = slots[g];
        let note = &notes.look[id as usize];
        let counters = &notes.counters[id as usize];
        let author = note.creator;
        let quality = model.quality(
            note,
            user.interests.interest_in(note.topic),
            memory.recent_count(author),
        );
        let can_follow =
            || author != own_creator && follows.len() < MAX_FOLLOWS && !follows.contains(&author);
        let r = draw_reaction(
            model,
            quality,
            model.social_proof(note.visible_likes),
            &user.propensity.0,
            can_follow,
            note.format == Format::Video,
            &mut rng,
        );
        if ladder.crosses(counters.impressions.fetch_add(1, Relaxed)) {
            out.crossed.push(id);
        }
        notes.reach[id as usize].add(reach_slot);
        memory.remember(id, author);
        out.tally.impressions += 1;
        if r.opened {
            counters.clicks.fetch_add(1, Relaxed);
            counters.dwell_seconds.fetch_add(r.dwell_seconds, Relaxed);
            if r.like {
                counters.likes.fetch_add(1, Relaxed);
                out.liked.push(id);
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
                out.shares.push((me, id));
            }
            if r.follow {
                counters.follows.fetch_add(1, Relaxed);
                follows.push(author);
                out.follows.push((me, author));
            }
            out.tally.engagements += (r.like as u64)
                + (r.short_comment as u64)
                + (r.deep_comment as u64)
                + (r.save as u64)
                + (r.share as u64)
                + (r.follow as u64);
        }
        satisfaction += model.satisfaction_memory * (r.reward - satisfaction);
        if r.quick_scroll {
            counters.quick_scrolls.fetch_add(1, Relaxed);
            if rng.random::<f32>() < model.leave_after_quick_scroll * (1.0 - satisfaction) {
                break;
            }
        }
    }
    user.satisfaction.0 = satisfaction;
    out.tally.satisfaction_change +=
        satisfaction_units(satisfaction) - satisfaction_units(satisfaction_before);
    if satisfaction < churn_below && user.creator.is_none() && rng.random::<f32>() < churn_chance {
        user.next.0 = u32::MAX;
        out.left.push(me);
        return;
    }
    user.next.0 = schedule_next_session(user.rhythm, satisfaction, tick, clock, &mut rng);
}

/// After the turn: shares reach `share_fanout` people of the sharer's circle (into their inbox),
/// follows reach the creators, and users who left are marked `Churned` and leave the audience.
#[allow(clippy::too_many_arguments)]
pub fn spread(
    mut commands: Commands,
    feed: Res<FeedState>,
    mut inboxes: Query<(&mut Inbox, &ShareCircle), Without<Churned>>,
    mut followers: Query<&mut Followers>,
    leavers: Query<(&Interests, &Satisfaction)>,
    mut counts: (ResMut<Creators>, ResMut<Audience>, ResMut<Users>),
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
) {
    let (creators, audience, users) = (&mut *counts.0, &mut *counts.1, &mut *counts.2);
    let mut rng = stream(scenario.0.seed, Stream::Spread, clock.tick as u64, 0);
    let fanout = scenario.0.behaviour.share_fanout as usize;
    for &(_, creator) in &feed.follows {
        if let Ok(mut f) = followers.get_mut(creators.list[creator as usize].entity) {
            f.count += 1;
        }
    }
    for &(sharer, note) in &feed.shares {
        let Ok((_, circle)) = inboxes.get(users.entities[sharer as usize]) else {
            continue;
        };
        let circle = *circle;
        let members = circle.members();
        if members.is_empty() {
            continue;
        }
        // Reach `fanout` distinct people of the circle, starting at a random one.
        let first = rng.random_range(0..members.len());
        for k in 0..fanout.min(members.len()) {
            let friend = members[(first + k) % members.len()];
            if feed.left.binary_search(&friend).is_ok() {
                continue;
            }
            if let Some(&entity) = users.entities.get(friend as usize)
                && let Ok((mut inbox, _)) = inboxes.get_mut(entity)
            {
                inbox.push(note);
            }
        }
    }
    for &gone in &feed.left {
        let entity = users.entities[gone as usize];
        if let Ok((interests, satisfaction)) = leavers.get(entity) {
            audience.remove(interests, satisfaction.0);
        }
        commands.entity(entity).insert(Churned);
    }
    users.churned += feed.left.len() as u32;
}

/// Copies each creator's follower count into the platform's account table, where policies and
/// metrics read it by creator id.
pub fn sync_accounts(mut creators: ResMut<Creators>, followers: Query<(&Creator, &Followers)>) {
    for (creator, f) in &followers {
        if let Some(account) = creators.list.get_mut(creator.id as usize) {
            account.followers = f.count;
            account.initial_followers = f.initial;
        }
    }
}

/// After the viewers' turn: notes that crossed a ladder bracket get their stage on the common
/// yardstick (and, where no pool handles them, a `reached` line in their funnel trace); liked
/// notes show their new like count from the next tick. Touches only the notes concerned.
pub fn record_crossings(
    mut notes: ResMut<Notes>,
    feed: Res<FeedState>,
    ladder: Res<Ladder>,
    clock: Res<Clock>,
    scenario: Res<ScenarioRes>,
) {
    let notes = &mut *notes;
    for &id in &feed.liked {
        notes.look[id as usize].visible_likes = notes.counters[id as usize].likes.load(Relaxed);
    }
    let weights = scenario.0.recommender.weights;
    for &id in &feed.crossed {
        let i = id as usize;
        let counts = notes.counts(i);
        let stage = ladder.stage_of(counts.impressions);
        let note = &mut notes.list[i];
        let trace = &mut notes.trace[i];
        if note.pool.status == PoolStatus::Unpooled && trace.is_empty() {
            trace.push(crate::sim::ladder::ladder_record(
                0,
                note.created_tick,
                &Counts::default(),
                &weights,
            ));
        }
        while note.max_stage < stage {
            note.max_stage += 1;
            if note.pool.status == PoolStatus::Unpooled {
                trace.push(crate::sim::ladder::ladder_record(
                    note.max_stage,
                    clock.tick,
                    &counts,
                    &weights,
                ));
            }
        }
    }
}
