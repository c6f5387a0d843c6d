//! The agents and what they make. Every user is an entity whose components say what it is and
//! does (`Interests`, `SessionRhythm`, `Satisfaction`, `Memory`, `Follows`, ...); a creator is a
//! user with `Creator` and `Followers` on the same entity. Users are named by `UserId`, creators by
//! creator id, so ids mean the same in a fork of the world.
//!
//! Notes are not entities: they stay a columnar store (`Notes`), because the feed reads them at
//! random by id from both cores a hundred million times a run, the fields it reads sit together in
//! one 20-byte record (`NoteLook`), and the counters it adds to are atomics a `Query` could not
//! share between threads. The design card asks for viewer and creator entities, not note entities.

use crate::scenario::{Archetype, EngagementWeights};
use bevy::prelude::*;
use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

pub const NONE: u32 = u32::MAX;
/// Impressions a viewer remembers, so the feed does not repeat itself.
pub const SEEN_MEMORY: usize = 32;
/// Recent creators a viewer remembers, for creative fatigue.
pub const CREATOR_MEMORY: usize = 8;
pub const INBOX: usize = 4;
pub const MAX_CIRCLE: usize = 8;
pub const MAX_FOLLOWS: usize = 2_000;

/// A user's stable id: its index in `Users::entities`, the order users joined in. Notes, follows,
/// circles and reach sketches name users by this id, so it survives a fork into a new world.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UserId(pub u32);

/// What a user likes: up to three topics, strongest first; `interest[i]` is the match (top
/// topic = 1).
#[derive(Component, Clone, Copy, Debug)]
pub struct Interests {
    pub topics: [u8; 3],
    pub interest: [f32; 3],
    pub n_topics: u8,
}

impl Interests {
    /// How well a topic matches (0 when it is not one of them).
    #[inline]
    pub fn interest_in(&self, topic: u8) -> f32 {
        for i in 0..self.n_topics as usize {
            if self.topics[i] == topic {
                return self.interest[i];
            }
        }
        0.0
    }
    pub fn topics(&self) -> &[u8] {
        &self.topics[..self.n_topics as usize]
    }
}

/// Multipliers on the chance to like, comment, save, share and follow.
#[derive(Component, Clone, Copy, Debug)]
pub struct Propensity(pub [f32; 5]);

/// How often a user opens the app and how far they scroll.
#[derive(Component, Clone, Copy, Debug)]
pub struct SessionRhythm {
    pub sessions_per_day: f32,
    pub session_length: f32,
}

/// The tick of a user's next session (`u32::MAX` once they left). A component of its own so the
/// per-tick scan for who opens the app reads 4 bytes per user.
#[derive(Component, Clone, Copy, Debug, PartialEq, Eq)]
pub struct NextSession(pub u32);

/// How happy a user is with the feed lately, 0..=1; it sets how often and how long they come
/// back, and below `behaviour.churn_below` they may leave for good.
#[derive(Component, Clone, Copy, Debug)]
pub struct Satisfaction(pub f32);

/// What a user saw lately: the notes (so the feed does not repeat itself) and their creators
/// (for creative fatigue).
#[derive(Component, Clone, Copy, Debug)]
pub struct Memory {
    /// Fingerprints of the last notes seen (16 bits each keep the record small: about one note
    /// in 2,000 is mistaken for one in memory).
    pub seen: [u16; SEEN_MEMORY],
    pub recent_creators: [u32; CREATOR_MEMORY],
    pub seen_pos: u8,
    pub recent_pos: u8,
}

impl Default for Memory {
    fn default() -> Self {
        Self {
            seen: [fingerprint(NONE); SEEN_MEMORY],
            recent_creators: [NONE; CREATOR_MEMORY],
            seen_pos: 0,
            recent_pos: 0,
        }
    }
}

impl Memory {
    #[inline]
    pub fn has_seen(&self, note: u32) -> bool {
        let print = fingerprint(note);
        // No early exit: a branch-free scan of the whole ring vectorises and beats `contains`.
        self.seen
            .iter()
            .fold(false, |found, &seen| found | (seen == print))
    }
    #[inline]
    pub fn recent_count(&self, creator: u32) -> u32 {
        self.recent_creators
            .iter()
            .fold(0, |n, &c| n + (c == creator) as u32)
    }
    #[inline]
    pub fn remember(&mut self, note: u32, creator: u32) {
        self.seen[self.seen_pos as usize % SEEN_MEMORY] = fingerprint(note);
        self.seen_pos = self.seen_pos.wrapping_add(1);
        self.recent_creators[self.recent_pos as usize % CREATOR_MEMORY] = creator;
        self.recent_pos = self.recent_pos.wrapping_add(1);
    }
}

/// Notes friends shared with a user, shown first in their next session.
#[derive(Component, Clone, Copy, Debug)]
pub struct Inbox {
    pub notes: [u32; INBOX],
    pub len: u8,
}

impl Default for Inbox {
    fn default() -> Self {
        Self {
            notes: [NONE; INBOX],
            len: 0,
        }
    }
}

impl Inbox {
    pub fn notes(&self) -> &[u32] {
        &self.notes[..self.len as usize]
    }
    pub fn push(&mut self, note: u32) {
        if self.notes().contains(&note) {
            return;
        }
        if (self.len as usize) < INBOX {
            self.notes[self.len as usize] = note;
            self.len += 1;
        } else {
            self.notes.rotate_left(1);
            self.notes[INBOX - 1] = note;
        }
    }
}

/// The creators (by creator id) a user follows, in the order they followed them.
///
/// A plain list rather than Bevy relationships: following is many-to-many (a relationship
/// component holds one target), the feed asks "does this viewer follow that creator" and "pick
/// one they follow" thousands of times per tick from both cores, which a short contiguous list
/// answers from one cache line, and a world of a million users starts with tens of millions of
/// follows, which as entities would cost far more memory than 4 bytes each.
#[derive(Component, Clone, Debug, Default)]
pub struct Follows(pub Vec<u32>);

impl Follows {
    #[inline]
    pub fn contains(&self, creator: u32) -> bool {
        self.0.contains(&creator)
    }
}

/// The people who see what a user shares (their personal followers).
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct ShareCircle {
    pub members: [u32; MAX_CIRCLE],
    pub len: u8,
}

impl ShareCircle {
    pub fn members(&self) -> &[u32] {
        &self.members[..self.len as usize]
    }
}

/// Marks a user who left for good: no more sessions, no longer in the audience.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Churned;

/// What a policy sees of the viewer it fills a feed slot for (borrowed from their components).
#[derive(Clone, Copy)]
pub struct Viewer<'a> {
    pub id: u32,
    pub interests: &'a Interests,
    pub memory: &'a Memory,
    pub follows: &'a [u32],
}

impl Viewer<'_> {
    #[inline]
    pub fn recent_count(&self, creator: u32) -> u32 {
        self.memory.recent_count(creator)
    }
    #[inline]
    pub fn has_seen(&self, note: u32) -> bool {
        self.memory.has_seen(note)
    }
}

/// How many components `UserBundle` has (the memory estimate counts Bevy's change ticks per
/// component; `tests/worlds.rs` checks it against a spawned user).
pub const USER_COMPONENTS: usize = 10;

/// Everything a new user is made of.
pub type UserBundle = (
    UserId,
    Interests,
    Propensity,
    SessionRhythm,
    NextSession,
    Satisfaction,
    Memory,
    Inbox,
    Follows,
    ShareCircle,
);

/// A user as drawn before it is spawned (the population is built in parallel, then spawned in
/// id order).
#[derive(Clone, Debug)]
pub struct NewUser {
    pub interests: Interests,
    pub propensity: Propensity,
    pub rhythm: SessionRhythm,
    pub satisfaction: Satisfaction,
    pub follows: Follows,
    pub circle: ShareCircle,
    pub next_session: u32,
}

impl NewUser {
    pub fn bundle(self, id: u32) -> UserBundle {
        (
            UserId(id),
            self.interests,
            self.propensity,
            self.rhythm,
            NextSession(self.next_session),
            self.satisfaction,
            Memory::default(),
            Inbox::default(),
            self.follows,
            self.circle,
        )
    }
}

/// A fingerprint of a note id, for a viewer's memory of what they saw.
#[inline]
pub fn fingerprint(note: u32) -> u16 {
    (note.wrapping_mul(0x9E37_79B1) >> 16) as u16
}

/// Every user's entity, by `UserId`, and how many left.
#[derive(Resource, Clone, Default)]
pub struct Users {
    pub entities: Vec<Entity>,
    pub churned: u32,
}

impl Users {
    pub fn len(&self) -> usize {
        self.entities.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }
}

/// A user who posts: who they are as a creator. On the same entity as their user components
/// (a creator is a user).
#[derive(Component, Clone, Debug)]
pub struct Creator {
    /// Creator id: index in `Creators::list`.
    pub id: u32,
    pub archetype: Archetype,
    pub group: u32,
    pub skill: f32,
    pub promotional: f32,
    pub effort: f32,
    pub posts_per_day: f32,
    pub niche: [u8; 3],
    pub n_niche: u8,
    pub verified: bool,
    pub formats: [f32; 3],
    pub joined_tick: u32,
}

/// A creator's audience: how many follow them now and how many did when they joined.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Followers {
    pub count: u32,
    pub initial: u32,
}

/// The platform's record of one creator account: what the platform keeps about it (authority,
/// posts, latest notes) and, for policies and metrics that read creators by id at random, a copy
/// of the creator's profile and follower count (`Creator` and `Followers` on the creator's
/// entity own them; the follower count is copied after each tick's follows, see
/// `feed::sync_accounts`).
#[derive(Clone, Debug)]
pub struct Account {
    pub user: u32,
    pub entity: Entity,
    pub archetype: Archetype,
    pub group: u32,
    pub skill: f32,
    pub promotional: f32,
    pub posts_per_day: f32,
    pub verified: bool,
    pub niche: [u8; 3],
    pub n_niche: u8,
    pub initial_followers: u32,
    pub followers: u32,
    /// History of how this creator's notes did in pools: 1 = neutral, above = good record.
    pub authority: f32,
    pub posts: u32,
    pub joined_tick: u32,
    /// The creator's latest notes, newest last (for the following tab).
    pub latest: [u32; 3],
}

impl Account {
    pub fn new(user: u32, entity: Entity, creator: &Creator, followers: &Followers) -> Self {
        Self {
            user,
            entity,
            archetype: creator.archetype,
            group: creator.group,
            skill: creator.skill,
            promotional: creator.promotional,
            posts_per_day: creator.posts_per_day,
            verified: creator.verified,
            niche: creator.niche,
            n_niche: creator.n_niche,
            initial_followers: followers.initial,
            followers: followers.count,
            authority: 1.0,
            posts: 0,
            joined_tick: creator.joined_tick,
            latest: [NONE; 3],
        }
    }
    pub fn latest_notes(&self) -> impl Iterator<Item = u32> + '_ {
        self.latest.iter().copied().filter(|&n| n != NONE)
    }
    pub fn push_latest(&mut self, note: u32) {
        self.latest.rotate_left(1);
        self.latest[2] = note;
    }
}

/// Every creator account, by creator id.
#[derive(Resource, Clone, Default)]
pub struct Creators {
    pub list: Vec<Account>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Carousel,
    Video,
    Live,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::Carousel => "carousel",
            Format::Video => "video",
            Format::Live => "live",
        }
    }
}

/// Why a note stopped being distributed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    StillRunning,
    BelowThreshold,
    NegativeSignals,
    Expired,
    Safety,
}

impl StopReason {
    pub fn name(self) -> &'static str {
        match self {
            StopReason::StillRunning => "still_running",
            StopReason::BelowThreshold => "below_threshold",
            StopReason::NegativeSignals => "negative_signals",
            StopReason::Expired => "expired",
            StopReason::Safety => "safety",
        }
    }
}

/// Where a note is in the traffic-pool funnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PoolStatus {
    /// Not in a pool: posted or handed over while a policy without pools ran.
    Unpooled,
    InPool,
    /// Passed the last stage (or passed a stage that had used up its audience): sustained
    /// long-tail distribution.
    LongTail,
    Stopped,
}

/// Traffic-pool bookkeeping for one note; the policy reads and writes it, every policy can show it.
#[derive(Clone, Copy, Debug)]
pub struct PoolState {
    pub status: PoolStatus,
    pub stage: u8,
    pub entered_tick: u32,
    /// The note's counts when it entered this stage: the stage is rated on what came after.
    /// Kept as integers so rates never come from subtracting rounded float totals.
    pub base: Counts,
    /// Impressions this stage asks for.
    pub target: u32,
    pub saturated: bool,
    pub evergreen: bool,
}

impl Default for PoolState {
    fn default() -> Self {
        Self {
            status: PoolStatus::Unpooled,
            stage: 0,
            entered_tick: 0,
            base: Counts::default(),
            target: 0,
            saturated: false,
            evergreen: false,
        }
    }
}

/// A post and its fixed attributes.
#[derive(Clone, Debug)]
pub struct Note {
    pub creator: u32,
    pub topic: u8,
    pub format: Format,
    pub images: u8,
    pub hashtags: u8,
    pub text_len: u16,
    pub promotional: f32,
    pub appeal: f32,
    /// Completeness and authenticity at publication, 0..=1.
    pub content_score: f32,
    pub created_tick: u32,
    /// The common yardstick: the ladder bracket the note's impressions reached (the same under
    /// every policy, see `Ladder`).
    pub max_stage: u8,
    /// The highest traffic pool the note entered, if it ever was in one.
    pub pool_stage: Option<u8>,
    pub stop_reason: StopReason,
    pub pool: PoolState,
    /// Counts at the end of the note's golden hour (engagement velocity), once it has passed.
    pub golden: Option<Counts>,
}

impl Note {
    pub fn look(&self) -> NoteLook {
        NoteLook {
            creator: self.creator,
            appeal: self.appeal,
            promotional: self.promotional,
            visible_likes: 0,
            topic: self.topic,
            format: self.format,
            images: self.images,
        }
    }
}

/// What a viewer sees of a note in the feed: the few fields the per-impression loop reads, kept
/// in their own 20-byte records so picking and reacting stay in cache. Fixed at posting, except
/// `visible_likes`, the like count shown to viewers, refreshed once per tick (social proof).
#[derive(Clone, Copy, Debug)]
pub struct NoteLook {
    pub creator: u32,
    pub appeal: f32,
    pub promotional: f32,
    pub visible_likes: u32,
    pub topic: u8,
    pub format: Format,
    pub images: u8,
}

/// Per-note counters, added to from both cores during a tick (integer adds commute, so the totals
/// do not depend on thread timing).
#[derive(Default, Debug)]
pub struct NoteCounters {
    pub impressions: AtomicU32,
    pub clicks: AtomicU32,
    pub likes: AtomicU32,
    pub short_comments: AtomicU32,
    pub deep_comments: AtomicU32,
    pub saves: AtomicU32,
    pub shares: AtomicU32,
    pub follows: AtomicU32,
    pub quick_scrolls: AtomicU32,
    pub dwell_seconds: AtomicU32,
}

/// A plain copy of a note's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Counts {
    pub impressions: u32,
    pub clicks: u32,
    pub likes: u32,
    pub short_comments: u32,
    pub deep_comments: u32,
    pub saves: u32,
    pub shares: u32,
    pub follows: u32,
    pub quick_scrolls: u32,
    pub dwell_seconds: u32,
}

impl Counts {
    pub fn comments(&self) -> u32 {
        self.short_comments + self.deep_comments
    }
    /// Meaningful actions (likes, comments, saves, shares, follows), unweighted.
    pub fn engagements(&self) -> u32 {
        self.likes + self.comments() + self.saves + self.shares + self.follows
    }
    /// Weighted meaningful actions, the numerator of the weighted engagement rate.
    pub fn weighted(&self, w: &EngagementWeights) -> f64 {
        w.score([
            self.clicks as f64,
            self.likes as f64,
            self.short_comments as f64,
            self.deep_comments as f64,
            self.saves as f64,
            self.shares as f64,
            self.follows as f64,
        ])
    }
    /// What happened since `base` (counters only grow, so no field goes below zero).
    pub fn since(&self, base: &Counts) -> Counts {
        Counts {
            impressions: self.impressions.saturating_sub(base.impressions),
            clicks: self.clicks.saturating_sub(base.clicks),
            likes: self.likes.saturating_sub(base.likes),
            short_comments: self.short_comments.saturating_sub(base.short_comments),
            deep_comments: self.deep_comments.saturating_sub(base.deep_comments),
            saves: self.saves.saturating_sub(base.saves),
            shares: self.shares.saturating_sub(base.shares),
            follows: self.follows.saturating_sub(base.follows),
            quick_scrolls: self.quick_scrolls.saturating_sub(base.quick_scrolls),
            dwell_seconds: self.dwell_seconds.saturating_sub(base.dwell_seconds),
        }
    }
    /// Share of impressions flicked away at once (0 with no impressions).
    pub fn negative_rate(&self) -> f64 {
        if self.impressions == 0 {
            0.0
        } else {
            self.quick_scrolls as f64 / self.impressions as f64
        }
    }
}

impl Clone for NoteCounters {
    fn clone(&self) -> Self {
        Self::from(self.get())
    }
}

impl From<Counts> for NoteCounters {
    fn from(c: Counts) -> Self {
        Self {
            impressions: AtomicU32::new(c.impressions),
            clicks: AtomicU32::new(c.clicks),
            likes: AtomicU32::new(c.likes),
            short_comments: AtomicU32::new(c.short_comments),
            deep_comments: AtomicU32::new(c.deep_comments),
            saves: AtomicU32::new(c.saves),
            shares: AtomicU32::new(c.shares),
            follows: AtomicU32::new(c.follows),
            quick_scrolls: AtomicU32::new(c.quick_scrolls),
            dwell_seconds: AtomicU32::new(c.dwell_seconds),
        }
    }
}

impl NoteCounters {
    pub fn get(&self) -> Counts {
        Counts {
            impressions: self.impressions.load(Relaxed),
            clicks: self.clicks.load(Relaxed),
            likes: self.likes.load(Relaxed),
            short_comments: self.short_comments.load(Relaxed),
            deep_comments: self.deep_comments.load(Relaxed),
            saves: self.saves.load(Relaxed),
            shares: self.shares.load(Relaxed),
            follows: self.follows.load(Relaxed),
            quick_scrolls: self.quick_scrolls.load(Relaxed),
            dwell_seconds: self.dwell_seconds.load(Relaxed),
        }
    }
}

/// Registers of a note's reach sketch: 2^REACH_BITS of them.
pub const REACH_BITS: u32 = 10;
pub const REACH_REGISTERS: usize = 1 << REACH_BITS;

/// Distinct viewers of one note, estimated with a HyperLogLog sketch (Flajolet et al. 2007) of
/// 1,024 one-byte registers, with linear counting for small counts: about 2% relative error up
/// to a few thousand viewers, 3.3% beyond. A viewer who sees a note twice does not move it, so
/// reach never exceeds impressions and is exact in expectation whatever the feed repeats.
/// Registers only grow (an atomic max), so the result does not depend on thread timing.
pub struct ReachSketch {
    registers: [std::sync::atomic::AtomicU8; REACH_REGISTERS],
}

impl Clone for ReachSketch {
    fn clone(&self) -> Self {
        Self {
            registers: std::array::from_fn(|i| {
                std::sync::atomic::AtomicU8::new(self.registers[i].load(Relaxed))
            }),
        }
    }
}

impl Default for ReachSketch {
    fn default() -> Self {
        Self {
            registers: std::array::from_fn(|_| std::sync::atomic::AtomicU8::new(0)),
        }
    }
}

/// Where a viewer lands in every reach sketch: a register and the rank that viewer writes.
#[derive(Clone, Copy, Debug)]
pub struct ReachSlot {
    pub register: u16,
    pub rank: u8,
}

impl ReachSlot {
    #[inline]
    pub fn of(viewer: u32) -> Self {
        let h = crate::sim::rng::splitmix(viewer as u64);
        let register = (h >> (64 - REACH_BITS)) as u16;
        let rest = (h << REACH_BITS) | (1 << (REACH_BITS - 1));
        Self {
            register,
            rank: rest.leading_zeros() as u8 + 1,
        }
    }
}

impl ReachSketch {
    /// Counts `slot`'s viewer (a no-op when they were already counted).
    #[inline]
    pub fn add(&self, slot: ReachSlot) {
        let r = &self.registers[slot.register as usize];
        if r.load(Relaxed) < slot.rank {
            r.fetch_max(slot.rank, Relaxed);
        }
    }
    /// The register a viewer's sighting touches, for prefetching.
    #[inline]
    pub fn register_at(&self, register: u16) -> &std::sync::atomic::AtomicU8 {
        &self.registers[register as usize]
    }
    /// The estimated number of distinct viewers, rounded, never above `impressions`.
    pub fn estimate(&self, impressions: u32) -> u32 {
        // 2^-v for every rank a register can hold (ranks never exceed 64 - REACH_BITS + 1).
        static POWERS: std::sync::OnceLock<[f64; 64]> = std::sync::OnceLock::new();
        let powers = POWERS.get_or_init(|| std::array::from_fn(|v| libm::exp2(-(v as f64))));
        let m = REACH_REGISTERS as f64;
        let mut zeros = 0u32;
        let mut sum = 0.0;
        for r in &self.registers {
            let v = r.load(Relaxed);
            zeros += (v == 0) as u32;
            sum += powers[(v as usize).min(63)];
        }
        let alpha = 0.7213 / (1.0 + 1.079 / m);
        let raw = alpha * m * m / sum;
        let estimate = if raw <= 2.5 * m && zeros > 0 {
            m * libm::log(m / zeros as f64)
        } else {
            raw
        };
        (libm::round(estimate) as u32).min(impressions)
    }
}

/// What happened to a note at one stage of its funnel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageOutcome {
    Running,
    Graduated,
    /// Graduated far above the threshold and jumped one stage.
    Skipped,
    /// Passed, but the stage had used up the audience it may reach: on to the long tail.
    Saturated,
    LongTail,
    Stopped(StopReason),
    /// Stage reached by impressions alone (on the ladder, while no pool handled the note).
    Reached,
    /// The policy was switched while the note was in this stage; the new policy took it over.
    HandedOver,
}

impl StageOutcome {
    pub fn name(self) -> &'static str {
        match self {
            StageOutcome::Running => "running",
            StageOutcome::Graduated => "graduated",
            StageOutcome::Skipped => "skipped",
            StageOutcome::Saturated => "saturated",
            StageOutcome::LongTail => "long_tail",
            StageOutcome::Stopped(reason) => reason.name(),
            StageOutcome::Reached => "reached",
            StageOutcome::HandedOver => "handed_over",
        }
    }
}

/// Whether a funnel record is a traffic-pool stage or a bracket of the common ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageKind {
    Pool,
    Ladder,
}

impl StageKind {
    pub fn name(self) -> &'static str {
        match self {
            StageKind::Pool => "pool",
            StageKind::Ladder => "ladder",
        }
    }
}

/// One line of a note's funnel trace.
#[derive(Clone, Copy, Debug)]
pub struct StageRecord {
    pub kind: StageKind,
    pub stage: u8,
    pub entered_tick: u32,
    /// Impressions the stage asked for (0 for ladder records).
    pub target: u32,
    /// The note's counts when it entered this stage (to rate the stage on its own).
    pub start: Counts,
    /// Impressions received during this stage.
    pub impressions: u32,
    pub engagement_rate: f32,
    /// The graduation threshold in force for this note (NaN for ladder records).
    pub threshold: f32,
    pub negative_rate: f32,
    pub outcome: StageOutcome,
}

/// Every note, in id (= posting) order.
#[derive(Resource, Clone, Default)]
pub struct Notes {
    pub list: Vec<Note>,
    /// `look[id]` mirrors the feed-facing fields of `list[id]` for the hot loop.
    pub look: Vec<NoteLook>,
    pub counters: Vec<NoteCounters>,
    /// Distinct-viewer sketches, one per note.
    pub reach: Vec<ReachSketch>,
    pub trace: Vec<Vec<StageRecord>>,
}

impl Notes {
    pub fn len(&self) -> usize {
        self.list.len()
    }
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
    pub fn push(&mut self, note: Note) -> u32 {
        let id = self.list.len() as u32;
        self.look.push(note.look());
        self.list.push(note);
        self.counters.push(NoteCounters::default());
        self.reach.push(ReachSketch::default());
        self.trace.push(Vec::new());
        id
    }
    pub fn counts(&self, id: usize) -> Counts {
        self.counters[id].get()
    }
    /// Estimated distinct viewers of a note (see `ReachSketch`).
    pub fn reach(&self, id: usize) -> u32 {
        self.reach[id].estimate(self.counters[id].impressions.load(Relaxed))
    }
    /// First note created at or after `tick` (notes are stored in posting order).
    pub fn first_since(&self, tick: u32) -> usize {
        self.list.partition_point(|n| n.created_tick < tick)
    }
}
