//! The feed: users who open the app are served notes by the recommender and scroll them
//! (`scroll`, in `React`), then what they shared reaches their circles, follows reach the
//! creators and those who left leave (`spread`, in `Spread`), and notes that crossed a ladder
//! bracket get their stage (`record_crossings`, in `Learn`).
//!
//! `scroll` walks the users' tables as component slices (`Query::contiguous_iter_mut`), in runs
//! of `BATCH` rows spread over Bevy's compute pool. Nothing it computes depends on which thread
//! handles whom or in what order: each user draws from a random stream keyed by their id and the
//! tick, policies only read tables prepared before the turn, note counters are integer adds,
//! satisfaction is summed in fixed point, and everything order-sensitive (shares, follows,
//! leavers, crossings) is collected per thread and sorted into user-id order before it is used.

pub mod behaviour;

use crate::recommender::{PickContext, Recommender};
use crate::sim::agents::*;
use crate::sim::ladder::Ladder;
use crate::sim::rng::{SimRng, Stream, stream};
use crate::sim::sessions::schedule_next_session;
use crate::sim::{
    Audience, Clock, ScenarioRes, SimTick, TickSet, TickStats, prefetch, prefetch_for_write,
    satisfaction_units,
};
use behaviour::{ReactionModel, react as draw_reaction};
use bevy::ecs::change_detection::{ContiguousComponentTicksMut, ContiguousMut, Tick};
use bevy::ecs::query::QueryData;
use bevy::prelude::*;
use bevy::tasks::ComputeTaskPool;
use bevy::utils::Parallel;
use rand::Rng;
use std::sync::atomic::Ordering::Relaxed;

/// Failed picks (nothing to show, or already seen) before a session's feed is given up as exhausted.
const MAX_MISSES: u32 = 12;
/// How many slots ahead the scroll loop asks for a note's data.
const PREFETCH_SLOTS: usize = 4;
/// How many due users ahead the feed filling asks for a user's components. About 2% of users
/// open the app in a tick, so each due user's rows are cold: without this every session starts
/// with a dozen cache misses one after another.
const PREFETCH_USERS: usize = 4;
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
    /// The feeds of one run of rows, filled before any of them is scrolled.
    slots: Vec<u32>,
    /// For each slot, the reach-sketch register its viewer writes (so the scroll loop can ask
    /// for it ahead, across the end of one feed into the next).
    registers: Vec<u16>,
    /// Rows of the run whose session is due this tick.
    due_rows: Vec<u32>,
    due: Vec<Due>,
    shares: Vec<(u32, u32)>,
    follows: Vec<(u32, u32)>,
    crossed: Vec<u32>,
    liked: Vec<u32>,
    left: Vec<u32>,
    tally: Tally,
}

/// A user whose session is due in the run being scrolled: their row, their feed
/// (`Scratch::slots[start..end]`) and their random stream, left where filling the feed left it.
struct Due {
    row: u32,
    start: u32,
    end: u32,
    rng: SimRng,
    /// Where the user lands in every reach sketch (its register is also in `Scratch::registers`).
    reach: ReachSlot,
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

/// The users the scroll loop reads and changes. It is iterated a table at a time
/// (`contiguous_iter_mut`): each component as one slice, so the per-tick question "whose session
/// is due?" reads 4 bytes per user from one array, and only the users it picks touch the rest.
#[derive(QueryData)]
#[query_data(mutable, contiguous(mutable))]
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

/// A mutable component column of one table, as the query hands it over: values and ticks.
struct Owned<'w, T> {
    values: &'w mut [T],
    ticks: ContiguousComponentTicksMut<'w>,
}

impl<'w, T> Owned<'w, T> {
    /// Takes the column without marking every row changed: `Rows::user` marks the rows it
    /// changes.
    fn new(column: ContiguousMut<'w, T>) -> Self {
        let (values, ticks) = ContiguousMut::bypass_change_detection_split(column);
        Self { values, ticks }
    }
    fn column(&mut self) -> Column<'_, T> {
        Column {
            values: self.values,
            changed: self.ticks.changed_mut(),
        }
    }
}

/// Some rows of a mutable column: values and their change ticks.
struct Column<'a, T> {
    values: &'a mut [T],
    changed: &'a mut [Tick],
}

impl<'a, T> Column<'a, T> {
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a, b) = self.values.split_at_mut(mid);
        let (ta, tb) = self.changed.split_at_mut(mid);
        (
            Column {
                values: a,
                changed: ta,
            },
            Column {
                values: b,
                changed: tb,
            },
        )
    }
}

/// The components the scroll loop only reads, for some rows of one table.
#[derive(Clone, Copy)]
struct Reads<'a> {
    ids: &'a [UserId],
    interests: &'a [Interests],
    propensity: &'a [Propensity],
    rhythm: &'a [SessionRhythm],
    creator: Option<&'a [Creator]>,
}

impl<'a> Reads<'a> {
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (ids, ids2) = self.ids.split_at(mid);
        let (interests, interests2) = self.interests.split_at(mid);
        let (propensity, propensity2) = self.propensity.split_at(mid);
        let (rhythm, rhythm2) = self.rhythm.split_at(mid);
        let (creator, creator2) = match self.creator {
            Some(c) => {
                let (a, b) = c.split_at(mid);
                (Some(a), Some(b))
            }
            None => (None, None),
        };
        (
            Reads {
                ids,
                interests,
                propensity,
                rhythm,
                creator,
            },
            Reads {
                ids: ids2,
                interests: interests2,
                propensity: propensity2,
                rhythm: rhythm2,
                creator: creator2,
            },
        )
    }
}

/// One table of users, each component as a slice.
struct UserTable<'w> {
    reads: Reads<'w>,
    next: Owned<'w, NextSession>,
    satisfaction: Owned<'w, Satisfaction>,
    memory: Owned<'w, Memory>,
    inbox: Owned<'w, Inbox>,
    follows: Owned<'w, Follows>,
    this_run: Tick,
}

impl<'w> UserTable<'w> {
    fn new(t: ScrollerContiguousItem<'w, '_>) -> Self {
        let next = Owned::new(t.next);
        let this_run = next.ticks.this_run();
        Self {
            reads: Reads {
                ids: t.id,
                interests: t.interests,
                propensity: t.propensity,
                rhythm: t.rhythm,
                creator: t.creator,
            },
            next,
            satisfaction: Owned::new(t.satisfaction),
            memory: Owned::new(t.memory),
            inbox: Owned::new(t.inbox),
            follows: Owned::new(t.follows),
            this_run,
        }
    }

    /// The table's rows in runs of at most `size`, to be scrolled in parallel.
    fn chunks<'a>(&'a mut self, size: usize, into: &mut Vec<Rows<'a>>) {
        let mut rest = Rows {
            reads: self.reads,
            next: self.next.column(),
            satisfaction: self.satisfaction.column(),
            memory: self.memory.column(),
            inbox: self.inbox.column(),
            follows: self.follows.column(),
            this_run: self.this_run,
        };
        while rest.len() > size {
            let (head, tail) = rest.split_at(size);
            into.push(head);
            rest = tail;
        }
        if rest.len() > 0 {
            into.push(rest);
        }
    }
}

/// A run of rows of one table of users.
struct Rows<'a> {
    reads: Reads<'a>,
    next: Column<'a, NextSession>,
    satisfaction: Column<'a, Satisfaction>,
    memory: Column<'a, Memory>,
    inbox: Column<'a, Inbox>,
    follows: Column<'a, Follows>,
    this_run: Tick,
}

impl<'a> Rows<'a> {
    fn len(&self) -> usize {
        self.reads.ids.len()
    }

    fn split_at(self, mid: usize) -> (Self, Self) {
        let (reads, reads2) = self.reads.split_at(mid);
        let (next, next2) = self.next.split_at(mid);
        let (satisfaction, satisfaction2) = self.satisfaction.split_at(mid);
        let (memory, memory2) = self.memory.split_at(mid);
        let (inbox, inbox2) = self.inbox.split_at(mid);
        let (follows, follows2) = self.follows.split_at(mid);
        (
            Rows {
                reads,
                next,
                satisfaction,
                memory,
                inbox,
                follows,
                this_run: self.this_run,
            },
            Rows {
                reads: reads2,
                next: next2,
                satisfaction: satisfaction2,
                memory: memory2,
                inbox: inbox2,
                follows: follows2,
                this_run: self.this_run,
            },
        )
    }

    /// Row `i` as the scroll loop uses it.
    #[inline(always)]
    fn user(&mut self, i: usize) -> User<'_> {
        let r = self.reads;
        User {
            id: r.ids[i].0,
            next: &mut self.next.values[i],
            interests: &r.interests[i],
            propensity: &r.propensity[i],
            rhythm: &r.rhythm[i],
            satisfaction: &mut self.satisfaction.values[i],
            memory: &mut self.memory.values[i],
            inbox: &mut self.inbox.values[i],
            follows: &mut self.follows.values[i],
            creator: r.creator.map(|c| &c[i]),
        }
    }

    /// Asks for the components a session reads and writes in row `i`, their change ticks, and
    /// the first line of its follow list, ahead of use.
    #[inline(always)]
    fn prefetch_user(&self, i: usize) {
        let r = &self.reads;
        prefetch(&r.interests[i]);
        prefetch(&r.propensity[i]);
        prefetch(&r.rhythm[i]);
        prefetch(&r.ids[i]);
        if let Some(c) = r.creator {
            prefetch(&c[i]);
        }
        prefetch_for_write(&self.satisfaction.values[i]);
        prefetch_for_write(&self.memory.values[i]);
        prefetch_for_write(&self.inbox.values[i]);
        // The change ticks `mark_scrolled` writes.
        prefetch_for_write(&self.next.changed[i]);
        prefetch_for_write(&self.satisfaction.changed[i]);
        prefetch_for_write(&self.memory.changed[i]);
        let follows = &self.follows.values[i].0;
        if let Some(first) = follows.first() {
            prefetch(first);
        }
    }

    /// Asks for row `i`'s follow list header, a step before `prefetch_user` reads it to find the
    /// list (reading it cold there stalled the loop on a cache miss).
    #[inline(always)]
    fn prefetch_follows(&self, i: usize) {
        prefetch(&self.follows.values[i]);
    }

    /// Marks what a session changed in row `i` as changed this run, for Bevy's change
    /// detection: next session, satisfaction and memory, and the follow list when it grew.
    /// (`scroll_run` marks the inbox, only when it had notes: most are empty, and sparing their
    /// change tick spares a cache line per session.)
    #[inline]
    fn mark_scrolled(&mut self, i: usize, followed: bool) {
        let tick = self.this_run;
        self.next.changed[i] = tick;
        self.satisfaction.changed[i] = tick;
        self.memory.changed[i] = tick;
        if followed {
            self.follows.changed[i] = tick;
        }
    }
}

/// One user whose session is due, as the scroll loop reads and changes them.
struct User<'r> {
    id: u32,
    next: &'r mut NextSession,
    interests: &'r Interests,
    propensity: &'r Propensity,
    rhythm: &'r SessionRhythm,
    satisfaction: &'r mut Satisfaction,
    memory: &'r mut Memory,
    inbox: &'r mut Inbox,
    follows: &'r mut Follows,
    creator: Option<&'r Creator>,
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
    // Each table's rows in runs, scrolled on the compute pool: a run reads its users' due ticks
    // (one 4-byte array) and opens the sessions of those due.
    let mut tables: Vec<UserTable> = users
        .contiguous_iter_mut()
        .expect("user components are stored in tables")
        .map(UserTable::new)
        .collect();
    let mut runs = Vec::new();
    for table in &mut tables {
        table.chunks(BATCH, &mut runs);
    }
    let context = (&ctx, recommender, &model, ladder, clock);
    let params = (seed, tick, churn_below, churn_chance);
    ComputeTaskPool::get().scope(|scope| {
        for mut rows in runs {
            scope.spawn(async move {
                scratch.scope(|out| scroll_run(&mut rows, context, params, out));
            });
        }
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

/// The sessions due in one run of rows, in two passes: every due user's feed is filled (friends'
/// shares first, then the recommender), then each feed is scrolled. Filling them together keeps
/// the recommender's tables in cache; scrolling touches the notes' records and reach sketches.
/// Each user's random stream carries over from their filling to their scrolling, so the result
/// is the same as one user at a time.
#[inline]
fn scroll_run(
    rows: &mut Rows,
    context: (&PickContext, &Recommender, &ReactionModel, &Ladder, &Clock),
    params: (u64, u32, f32, f32),
    out: &mut Scratch,
) {
    let (ctx, recommender, ..) = context;
    let (seed, tick, ..) = params;
    out.slots.clear();
    out.registers.clear();
    out.due.clear();
    out.due_rows.clear();
    out.due_rows
        .extend((0..rows.len() as u32).filter(|&i| rows.next.values[i as usize].0 <= tick));
    for k in 0..out.due_rows.len() {
        if let Some(&far) = out.due_rows.get(k + 2 * PREFETCH_USERS) {
            rows.prefetch_follows(far as usize);
        }
        if let Some(&ahead) = out.due_rows.get(k + PREFETCH_USERS) {
            rows.prefetch_user(ahead as usize);
        }
        let i = out.due_rows[k] as usize;
        let mut user = rows.user(i);
        let mut rng = stream(seed, Stream::React, tick as u64, user.id as u64);
        let start = out.slots.len() as u32;
        let emptied = fill_feed(&mut user, ctx, recommender, &mut rng, &mut out.slots);
        let reach = ReachSlot::of(user.id);
        out.registers.resize(out.slots.len(), reach.register);
        if emptied {
            rows.inbox.changed[i] = rows.this_run;
        }
        out.due.push(Due {
            row: i as u32,
            start,
            end: out.slots.len() as u32,
            rng,
            reach,
        });
    }
    let mut due = std::mem::take(&mut out.due);
    let slots = std::mem::take(&mut out.slots);
    let registers = std::mem::take(&mut out.registers);
    let feeds = Feeds {
        notes: &slots,
        registers: &registers,
    };
    for p in 0..PREFETCH_SLOTS.min(slots.len()) {
        feeds.prefetch(ctx.notes, p);
    }
    for d in &mut due {
        let followed = scroll_feed(
            &mut rows.user(d.row as usize),
            &feeds,
            d,
            context,
            params,
            out,
        );
        rows.mark_scrolled(d.row as usize, followed);
    }
    out.due = due;
    out.slots = slots;
    out.registers = registers;
}

/// The feeds of one run of rows, one after another: each slot's note and the reach-sketch
/// register its viewer writes.
struct Feeds<'a> {
    notes: &'a [u32],
    registers: &'a [u16],
}

impl Feeds<'_> {
    /// Asks for what scrolling slot `p` touches: the note's look and counters and its viewer's
    /// register in the note's reach sketch. Slots run on from one feed into the next, so the
    /// first notes of a session are asked for while the one before it is still scrolling.
    #[inline(always)]
    fn prefetch(&self, notes: &Notes, p: usize) {
        if let (Some(&note), Some(&register)) = (self.notes.get(p), self.registers.get(p)) {
            let i = note as usize;
            prefetch(&notes.look[i]);
            prefetch_for_write(&notes.counters[i]);
            prefetch(notes.reach[i].register_at(register));
        }
    }
}

/// Fills a user's feed for this session onto the end of `slots`: friends' shares from their
/// inbox first, then the recommender's picks. Returns whether the inbox had notes (and so was
/// emptied).
#[inline]
fn fill_feed(
    user: &mut User,
    ctx: &PickContext,
    recommender: &Recommender,
    rng: &mut SimRng,
    slots: &mut Vec<u32>,
) -> bool {
    let start = slots.len();
    let depth = start + session_depth(user.rhythm, user.satisfaction.0, rng.random::<f32>());
    let emptied = user.inbox.len > 0;
    if emptied {
        for &note in user.inbox.notes() {
            if slots.len() < depth && !user.memory.has_seen(note) {
                slots.push(note);
            }
        }
        user.inbox.len = 0;
    }
    let viewer = Viewer {
        id: user.id,
        interests: user.interests,
        memory: user.memory,
        follows: &user.follows.0,
    };
    let mut misses = 0;
    while slots.len() < depth && misses < MAX_MISSES {
        match recommender.pick(ctx, &viewer, rng) {
            Some(note) if !viewer.has_seen(note) && !slots[start..].contains(&note) => {
                slots.push(note);
            }
            Some(_) => misses += 1,
            None => misses += 2,
        }
    }
    emptied
}

/// One user scrolls their feed: reactions, counters, memory, satisfaction, and when they come
/// back (or leave). Their feed is `feeds` at `due.start..due.end`. Returns whether they followed
/// someone.
#[inline]
fn scroll_feed(
    user: &mut User,
    feeds: &Feeds,
    due: &mut Due,
    (ctx, _, model, ladder, clock): (&PickContext, &Recommender, &ReactionModel, &Ladder, &Clock),
    (_, tick, churn_below, churn_chance): (u64, u32, f32, f32),
    out: &mut Scratch,
) -> bool {
    let (reach_slot, rng) = (due.reach, &mut due.rng);
    let me = user.id;
    let satisfaction_before = user.satisfaction.0;
    // Scroll it.
    let notes = ctx.notes;
    let own_creator = user.creator.map_or(NONE, |c| c.id);
    let memory = &mut *user.memory;
    let follows = &mut user.follows.0;
    let follows_before = follows.len();
    let mut satisfaction = satisfaction_before;
    out.tally.sessions += 1;
    for p in due.start as usize..due.end as usize {
        feeds.prefetch(notes, p + PREFETCH_SLOTS);
        let id = feeds.notes[p];
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
            rng,
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
    let followed = follows.len() > follows_before;
    if satisfaction < churn_below && user.creator.is_none() && rng.random::<f32>() < churn_chance {
        user.next.0 = u32::MAX;
        out.left.push(me);
        return followed;
    }
    user.next.0 = schedule_next_session(user.rhythm, satisfaction, tick, clock, rng);
    followed
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

/// Copies the follower counts that changed since the last tick (Bevy's change detection) into
/// the platform's account table, where policies and metrics read them by creator id. A new
/// creator's `Followers` counts as changed, so the first run copies them all.
pub fn sync_accounts(
    mut creators: ResMut<Creators>,
    followers: Query<(&Creator, &Followers), Changed<Followers>>,
) {
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
