//! The data collector: samples the world into `MetricsRow`s (one per `sample_every_hours`).

use super::{gini, pearson, ranks, ranks_of_keys, top_share};
use crate::sim::agents::*;
use crate::sim::{Audience, Clock, ScenarioRes, SimTick, TickSet, TickStats, par};
use bevy::ecs::system::SystemParam;
use bevy::prelude::*;
use serde::Serialize;

/// One sample of the platform. Counts are cumulative unless the name says otherwise.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct MetricsRow {
    pub tick: u32,
    pub hours: f64,
    pub active_viewers: u32,
    pub churned_viewers: u32,
    pub notes: u32,
    pub impressions: u64,
    pub impressions_last_interval: u64,
    pub engagements: u64,
    pub engagement_rate: f64,
    pub gini_impressions: f64,
    /// Gini of the impressions received in the last 24 simulated hours only (attention now).
    pub gini_impressions_24h: f64,
    pub gini_followers: f64,
    pub top1_share: f64,
    pub top10_share: f64,
    pub meritocracy: f64,
    /// Spearman of note appeal vs note impressions (see `note_meritocracy`).
    pub note_meritocracy: f64,
    pub influencer_advantage: f64,
    pub newcomer_breakthrough: f64,
    pub mean_satisfaction: f64,
    /// Exposure per archetype, in `Archetype::ALL` order.
    pub exposure: [ArchetypeExposure; 5],
}

/// How one archetype fares: its share of notes, its share of impressions and its creators'
/// mean skill, so posting volume and the algorithm's treatment of each note can be told apart.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq)]
pub struct ArchetypeExposure {
    pub notes_share: f64,
    pub impressions_share: f64,
    pub mean_skill: f64,
}

/// Notes younger than this are left out of `note_meritocracy`: every policy gives a brand-new
/// note a first showing whatever its appeal, so they would only dilute the measure.
pub const NOTE_MIN_AGE_HOURS: f64 = 6.0;
/// Notes older than this are left out of `note_meritocracy`, so a sample's cost stays bounded
/// over long runs (their exposure has long settled).
pub const NOTE_MAX_AGE_HOURS: f64 = 30.0 * 24.0;

impl MetricsRow {
    /// Column names and values in CSV order (also the keys of `summary.json`'s `final`).
    pub fn fields(&self) -> Vec<(&'static str, f64)> {
        let mut fields = vec![
            ("tick", self.tick as f64),
            ("hours", self.hours),
            ("active_viewers", self.active_viewers as f64),
            ("churned_viewers", self.churned_viewers as f64),
            ("notes", self.notes as f64),
            ("impressions", self.impressions as f64),
            (
                "impressions_last_interval",
                self.impressions_last_interval as f64,
            ),
            ("engagements", self.engagements as f64),
            ("engagement_rate", self.engagement_rate),
            ("gini_impressions", self.gini_impressions),
            ("gini_impressions_24h", self.gini_impressions_24h),
            ("gini_followers", self.gini_followers),
            ("top1_share", self.top1_share),
            ("top10_share", self.top10_share),
            ("meritocracy", self.meritocracy),
            ("note_meritocracy", self.note_meritocracy),
            ("influencer_advantage", self.influencer_advantage),
            ("newcomer_breakthrough", self.newcomer_breakthrough),
            ("mean_satisfaction", self.mean_satisfaction),
        ];
        for (names, e) in EXPOSURE_COLUMNS.iter().zip(&self.exposure) {
            fields.push((names[0], e.notes_share));
            fields.push((names[1], e.impressions_share));
            fields.push((names[2], e.mean_skill));
        }
        fields
    }
}

/// Exposure columns per archetype, in `Archetype::ALL` order.
pub const EXPOSURE_COLUMNS: [[&str; 3]; 5] = [
    [
        "notes_share_influencer",
        "impressions_share_influencer",
        "mean_skill_influencer",
    ],
    [
        "notes_share_regular",
        "impressions_share_regular",
        "mean_skill_regular",
    ],
    [
        "notes_share_newcomer",
        "impressions_share_newcomer",
        "mean_skill_newcomer",
    ],
    [
        "notes_share_niche_expert",
        "impressions_share_niche_expert",
        "mean_skill_niche_expert",
    ],
    [
        "notes_share_spammer",
        "impressions_share_spammer",
        "mean_skill_spammer",
    ],
];

#[derive(Resource, Default, Clone)]
pub struct MetricsHistory {
    pub rows: Vec<MetricsRow>,
    /// Impressions per creator at recent samples (tick, values), for the 24-hour Gini.
    recent: std::collections::VecDeque<(u32, Vec<f64>)>,
    /// Per-creator impressions and note counts, kept up to date sample by sample.
    tally: NoteTally,
    /// Note meritocracy's window, kept sorted sample by sample.
    ranked: RankedWindow,
}

/// Notes created less than this long ago are visited at every sample: every policy's candidate
/// window (`window_hours`, 72 h by default) and the following tab (72 h) lie within it, so
/// nearly all impressions land here.
pub const RECENT_HOURS: f64 = 14.0 * 24.0;
/// An older note that gained impressions is watched (visited at every sample) until it has
/// gained none for this many samples in a row.
pub const WATCH_QUIET_SAMPLES: u32 = 48;

/// What a sample needs from every note (impressions per creator, notes per archetype, newcomer
/// notes and breakthroughs), brought up to date by visiting only the notes that can still change,
/// so a sample costs what the live notes cost, not the whole history.
///
/// Recent notes are visited every time; older ones only while they keep gaining impressions (a
/// long-tail note, a share waiting in an inbox). Nothing is left to chance: counters only grow and
/// their sum is the platform's impression count, so when the visited notes do not add up to it
/// some unvisited note moved, and every note is visited once more. The result is exactly what a
/// scan of every note gives.
#[derive(Clone, Default, Debug)]
pub struct NoteTally {
    /// Each note's impressions when last visited.
    counted: Vec<u32>,
    /// Whether each note was a newcomer's note at stage >= 2 when last visited.
    broke_out: Vec<bool>,
    /// Notes that gained impressions in the last update, and a flag per note for them.
    gained: Vec<u32>,
    gained_flag: Vec<bool>,
    /// Impressions per creator: the sum of `counted` over the creator's notes.
    by_creator: Vec<u64>,
    /// Sum of `counted`.
    total: u64,
    notes_by_archetype: [u64; 5],
    newcomer_notes: u32,
    newcomer_breakouts: u32,
    /// Notes from this id on are recent (visited at every sample).
    recent_from: usize,
    /// Older notes still gaining impressions: (note, samples in a row without a gain).
    watch: Vec<(u32, u32)>,
    /// Samples that had to visit every note (reported by tests and benchmarks).
    pub full_visits: u32,
}

impl NoteTally {
    /// Brings the tally up to date with the world after a tick; `impressions` is the platform's
    /// impression count (the sum of every note's counter).
    pub fn update(&mut self, creators: &Creators, notes: &Notes, clock: &Clock, impressions: u64) {
        self.by_creator.resize(creators.list.len(), 0);
        let known = self.counted.len();
        self.counted.resize(notes.len(), 0);
        self.broke_out.resize(notes.len(), false);
        for &id in &self.gained {
            self.gained_flag[id as usize] = false;
        }
        self.gained.clear();
        self.gained_flag.resize(notes.len(), false);
        for note in &notes.list[known..] {
            let creator = &creators.list[note.creator as usize];
            self.notes_by_archetype[creator.archetype.index()] += 1;
            self.newcomer_notes += (creator.initial_followers == 0) as u32;
        }
        // Watched notes: keep those that still gain impressions.
        let mut watch = std::mem::take(&mut self.watch);
        watch.retain_mut(|(id, quiet)| {
            if self.visit(creators, notes, *id as usize) {
                *quiet = 0;
            } else {
                *quiet += 1;
            }
            *quiet < WATCH_QUIET_SAMPLES
        });
        self.watch = watch;
        // Recent notes; those that age out of the recent span are watched while they gain.
        let recent_since = clock
            .tick
            .saturating_sub(clock.hours_to_ticks(RECENT_HOURS));
        let recent_from = notes.first_since(recent_since).max(self.recent_from);
        for id in self.recent_from..notes.len() {
            let gained = self.visit(creators, notes, id);
            if id < recent_from && gained {
                self.watch.push((id as u32, 0));
            }
        }
        self.recent_from = recent_from;
        if self.total != impressions {
            // Some note outside the recent span and the watch list gained impressions.
            // (Watched notes are up to date already, so none is added twice.)
            self.full_visits += 1;
            for id in 0..self.recent_from {
                if self.visit(creators, notes, id) {
                    self.watch.push((id as u32, 0));
                }
            }
        }
    }

    /// Brings one note up to date; returns whether it gained impressions since the last visit.
    /// A note's stage on the ladder moves only when its impressions do (`record_crossings`), so
    /// a note whose impressions did not move has nothing else to update.
    #[inline]
    fn visit(&mut self, creators: &Creators, notes: &Notes, id: usize) -> bool {
        let now = notes.counters[id]
            .impressions
            .load(std::sync::atomic::Ordering::Relaxed);
        let before = self.counted[id];
        if now == before {
            return false;
        }
        let note = &notes.list[id];
        let gain = now.saturating_sub(before) as u64;
        self.by_creator[note.creator as usize] += gain;
        self.total += gain;
        self.counted[id] = now;
        if !self.gained_flag[id] {
            self.gained_flag[id] = true;
            self.gained.push(id as u32);
        }
        let newcomer = creators.list[note.creator as usize].initial_followers == 0;
        let broke_out = newcomer && note.max_stage >= 2;
        if broke_out && !self.broke_out[id] {
            self.newcomer_breakouts += 1;
            self.broke_out[id] = true;
        }
        true
    }

    /// Impressions received by each creator, as of the last update.
    pub fn creator_impressions(&self) -> Vec<f64> {
        self.by_creator.iter().map(|&n| n as f64).collect()
    }
}

/// The parts of the world a metrics sample reads.
#[derive(SystemParam)]
pub struct Platform<'w> {
    pub users: Res<'w, Users>,
    pub audience: Res<'w, Audience>,
    pub creators: Res<'w, Creators>,
    pub notes: Res<'w, Notes>,
    pub stats: Res<'w, TickStats>,
}

/// Impressions received by each creator (summed over their notes).
pub fn creator_impressions(creators: &Creators, notes: &Notes) -> Vec<f64> {
    let mut out = vec![0.0; creators.list.len()];
    for (id, note) in notes.list.iter().enumerate() {
        out[note.creator as usize] += notes.counters[id]
            .impressions
            .load(std::sync::atomic::Ordering::Relaxed)
            as f64;
    }
    out
}

/// Computes a row for the world as it is after `clock.tick` ticks, and the impressions per
/// creator it was computed from. `day_ago` holds each creator's impressions 24 hours earlier
/// (shorter at the start of a run).
pub fn sample(
    platform: &Platform,
    clock: &Clock,
    previous: Option<&MetricsRow>,
    day_ago: Option<&[f64]>,
    (tally, ranked): (&mut NoteTally, &mut RankedWindow),
) -> (MetricsRow, Vec<f64>) {
    let Platform {
        users,
        audience,
        creators,
        notes,
        stats,
    } = platform;
    tally.update(creators, notes, clock, stats.impressions);
    let impressions = tally.creator_impressions();
    let last_day: Vec<f64> = impressions
        .iter()
        .enumerate()
        .map(|(i, now)| now - day_ago.and_then(|d| d.get(i)).copied().unwrap_or(0.0))
        .collect();
    let followers: Vec<f64> = creators.list.iter().map(|c| c.followers as f64).collect();
    let skill: Vec<f64> = creators.list.iter().map(|c| c.skill as f64).collect();
    let initial: Vec<f64> = creators
        .list
        .iter()
        .map(|c| c.initial_followers as f64)
        .collect();
    // Newcomer breakthrough is on the common yardstick: the ladder bracket a note reached.
    let (newcomer_notes, newcomer_breakouts) = (tally.newcomer_notes, tally.newcomer_breakouts);
    let exposure = archetype_exposure(creators, &impressions, &tally.notes_by_archetype);
    let (first, last) = note_window(notes, clock);
    let note_meritocracy = ranked.spearman(notes, tally, first, last);
    // The sorts behind these dominate a sample at scale; spread them over the cores.
    let (
        (impression_ranks, skill_ranks),
        (initial_ranks, (gini_impressions, (gini_impressions_24h, gini_followers))),
    ) = par::join(
        || par::join(|| ranks(&impressions), || ranks(&skill)),
        || {
            par::join(
                || ranks(&initial),
                || {
                    par::join(
                        || gini(&impressions),
                        || par::join(|| gini(&last_day), || gini(&followers)),
                    )
                },
            )
        },
    );
    let row = MetricsRow {
        tick: clock.tick,
        hours: clock.hours(),
        active_viewers: audience.active,
        churned_viewers: users.churned,
        notes: notes.len() as u32,
        impressions: stats.impressions,
        impressions_last_interval: stats.impressions - previous.map_or(0, |p| p.impressions),
        engagements: stats.engagements,
        engagement_rate: if stats.impressions > 0 {
            stats.engagements as f64 / stats.impressions as f64
        } else {
            0.0
        },
        gini_impressions,
        gini_impressions_24h,
        gini_followers,
        top1_share: top_share(&impressions, 0.01),
        top10_share: top_share(&impressions, 0.10),
        meritocracy: pearson(&skill_ranks, &impression_ranks),
        note_meritocracy,
        influencer_advantage: pearson(&initial_ranks, &impression_ranks),
        newcomer_breakthrough: if newcomer_notes > 0 {
            newcomer_breakouts as f64 / newcomer_notes as f64
        } else {
            0.0
        },
        mean_satisfaction: audience.mean_satisfaction(),
        exposure,
    };
    (row, impressions)
}

/// The notes `note_meritocracy` ranks: those between `NOTE_MIN_AGE_HOURS` and
/// `NOTE_MAX_AGE_HOURS` old, or every note while none is old enough.
pub fn note_window(notes: &Notes, clock: &Clock) -> (usize, usize) {
    let now = clock.tick;
    let young = now.saturating_sub(clock.hours_to_ticks(NOTE_MIN_AGE_HOURS));
    let old = now.saturating_sub(clock.hours_to_ticks(NOTE_MAX_AGE_HOURS));
    let (first, last) = (notes.first_since(old), notes.first_since(young + 1));
    if first >= last {
        (0, notes.len())
    } else {
        (first, last)
    }
}

/// Spearman between note appeal and note impressions over `note_window`; NaN without
/// variation. (Samples compute the same number incrementally, see `RankedWindow`.)
pub fn note_meritocracy(notes: &Notes, clock: &Clock) -> f64 {
    let (first, last) = note_window(notes, clock);
    // Ranked by integer keys: appeal is 0.01..=1 (set at posting), and the bits of positive
    // floats sort as the floats do. The ranks are those of the values, from a cheaper sort.
    let appeal: Vec<u32> = notes.look[first..last]
        .iter()
        .map(|n| n.appeal.to_bits())
        .collect();
    let impressions: Vec<u32> = notes.counters[first..last]
        .iter()
        .map(|c| c.impressions.load(std::sync::atomic::Ordering::Relaxed))
        .collect();
    let (appeal, impressions) =
        par::join(|| ranks_of_keys(&appeal), || ranks_of_keys(&impressions));
    pearson(&appeal, &impressions)
}

/// `note_meritocracy`'s window kept sorted by appeal and by impressions from one sample to the
/// next: a sample drops the notes that left the window, and merges in the notes that entered it
/// or gained impressions (few: most notes of the last 30 days have stopped moving), instead of
/// sorting 30 days of notes twice. Keys are `value << 32 | note id`, so the order, and the ranks,
/// are exactly those of a sort of the window.
#[derive(Clone, Default, Debug)]
pub struct RankedWindow {
    first: usize,
    last: usize,
    by_appeal: Vec<u64>,
    by_impressions: Vec<u64>,
}

const ID_BITS: u64 = 0xFFFF_FFFF;

impl RankedWindow {
    /// Spearman between appeal and impressions over notes `first..last`. `tally` was just
    /// updated: its counts are every note's impressions, and it lists the notes that gained.
    pub fn spearman(&mut self, notes: &Notes, tally: &NoteTally, first: usize, last: usize) -> f64 {
        let appeal_key = |id: usize| ((notes.look[id].appeal.to_bits() as u64) << 32) | id as u64;
        let impressions_key = |id: usize| ((tally.counted[id] as u64) << 32) | id as u64;
        if first < self.first || last < self.last {
            // The window moved back (the start of a run): sort it afresh.
            self.by_appeal = (first..last).map(appeal_key).collect();
            self.by_impressions = (first..last).map(impressions_key).collect();
            self.by_appeal.sort_unstable();
            self.by_impressions.sort_unstable();
        } else {
            let entered = self.last..last;
            let mut fresh: Vec<u64> = entered.clone().map(appeal_key).collect();
            fresh.sort_unstable();
            self.by_appeal.retain(|&k| (k & ID_BITS) as usize >= first);
            self.by_appeal = merge(&self.by_appeal, &fresh);
            let moved = tally
                .gained
                .iter()
                .map(|&id| id as usize)
                .filter(|&id| id >= first && id < self.last);
            let mut fresh: Vec<u64> = moved.chain(entered).map(impressions_key).collect();
            fresh.sort_unstable();
            self.by_impressions.retain(|&k| {
                let id = (k & ID_BITS) as usize;
                id >= first && !tally.gained_flag[id]
            });
            self.by_impressions = merge(&self.by_impressions, &fresh);
        }
        (self.first, self.last) = (first, last);
        let (appeal, impressions) = par::join(
            || ranks_of_sorted(&self.by_appeal, first, last),
            || ranks_of_sorted(&self.by_impressions, first, last),
        );
        pearson(&appeal, &impressions)
    }
}

/// Two sorted lists as one.
fn merge(a: &[u64], b: &[u64]) -> Vec<u64> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] <= b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// Ranks of notes `first..last` from their sorted `value << 32 | id` keys, ties sharing the
/// average of the ranks they span (as `ranks`).
fn ranks_of_sorted(sorted: &[u64], first: usize, last: usize) -> Vec<f64> {
    debug_assert_eq!(sorted.len(), last - first);
    let mut out = vec![0.0; last - first];
    let mut i = 0;
    while i < sorted.len() {
        let value = sorted[i] >> 32;
        let mut j = i;
        while j + 1 < sorted.len() && sorted[j + 1] >> 32 == value {
            j += 1;
        }
        let rank = (i + j) as f64 / 2.0 + 1.0;
        for &k in &sorted[i..=j] {
            out[(k & ID_BITS) as usize - first] = rank;
        }
        i = j + 1;
    }
    out
}

/// Each archetype's share of notes and of impressions, and its creators' mean skill (NaN for
/// an archetype with no creators).
pub fn archetype_exposure(
    creators: &Creators,
    impressions: &[f64],
    notes_by_archetype: &[u64; 5],
) -> [ArchetypeExposure; 5] {
    let mut impressions_by = [0.0f64; 5];
    let mut skill = [0.0f64; 5];
    let mut count = [0u32; 5];
    for (c, creator) in creators.list.iter().enumerate() {
        let a = creator.archetype.index();
        impressions_by[a] += impressions[c];
        skill[a] += creator.skill as f64;
        count[a] += 1;
    }
    let total_notes: u64 = notes_by_archetype.iter().sum();
    let total_impressions: f64 = impressions_by.iter().sum();
    let share = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
    std::array::from_fn(|a| ArchetypeExposure {
        notes_share: share(notes_by_archetype[a] as f64, total_notes as f64),
        impressions_share: share(impressions_by[a], total_impressions),
        mean_skill: if count[a] > 0 {
            skill[a] / count[a] as f64
        } else {
            f64::NAN
        },
    })
}

/// Samples the metrics in `Measure`.
pub struct MetricsPlugin;

impl Plugin for MetricsPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, measure.in_set(TickSet::Measure));
    }
}

/// Samples at the end of every `sample_every_hours` and of the last tick. Runs before the clock
/// advances, so the row describes `clock.tick + 1` completed ticks.
pub fn measure(
    clock: Res<Clock>,
    platform: Platform,
    scenario: Res<ScenarioRes>,
    mut history: ResMut<MetricsHistory>,
) {
    let done = clock.tick + 1;
    let every = clock.hours_to_ticks(scenario.0.sample_every_hours).max(1);
    if !done.is_multiple_of(every) && done != clock.total_ticks {
        return;
    }
    let mut after = clock.clone();
    after.tick = done;
    let day = clock.hours_to_ticks(24.0);
    let history = &mut *history;
    while history.recent.len() > 1 && history.recent[1].0 + day <= done {
        history.recent.pop_front();
    }
    let day_ago = history
        .recent
        .front()
        .filter(|(tick, _)| tick + day <= done)
        .map(|(_, v)| v.as_slice());
    let (row, impressions) = sample(
        &platform,
        &after,
        history.rows.last(),
        day_ago,
        (&mut history.tally, &mut history.ranked),
    );
    history.rows.push(row);
    history.recent.push_back((done, impressions));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulation::{run_ticks, simulation_app};
    use std::sync::atomic::Ordering::Relaxed;

    /// What the tally keeps, computed the slow way from every note.
    fn scan(world: &World) -> (Vec<f64>, [u64; 5], u32, u32) {
        let creators = world.resource::<Creators>();
        let notes = world.resource::<Notes>();
        let mut by_archetype = [0u64; 5];
        let (mut newcomer, mut breakouts) = (0, 0);
        for note in &notes.list {
            let creator = &creators.list[note.creator as usize];
            by_archetype[creator.archetype.index()] += 1;
            if creator.initial_followers == 0 {
                newcomer += 1;
                breakouts += (note.max_stage >= 2) as u32;
            }
        }
        (
            creator_impressions(creators, notes),
            by_archetype,
            newcomer,
            breakouts,
        )
    }

    fn tallied(world: &World) -> (Vec<f64>, [u64; 5], u32, u32) {
        let t = &world.resource::<MetricsHistory>().tally;
        (
            t.creator_impressions(),
            t.notes_by_archetype,
            t.newcomer_notes,
            t.newcomer_breakouts,
        )
    }

    #[test]
    fn the_tally_and_the_ranked_window_match_a_scan_of_every_note_at_every_sample() {
        let mut s = crate::scenario::load(std::path::Path::new("scenarios/baseline.ron")).unwrap();
        // Past 30 days, so notes leave note meritocracy's window too.
        s.viewers.count = 2000;
        s.days = 34.0;
        let mut app = simulation_app(s);
        let per_sample = app.world().resource::<Clock>().hours_to_ticks(1.0);
        for hour in 0..34 * 24 {
            run_ticks(&mut app, per_sample);
            assert_eq!(tallied(app.world()), scan(app.world()), "hour {hour}");
            let world = app.world();
            let direct = note_meritocracy(world.resource::<Notes>(), world.resource::<Clock>());
            let sampled = world
                .resource::<MetricsHistory>()
                .rows
                .last()
                .unwrap()
                .note_meritocracy;
            assert!(
                direct.to_bits() == sampled.to_bits(),
                "hour {hour}: {direct} sorted afresh, {sampled} kept sorted"
            );
            if hour == 20 * 24 {
                // An old note no sample would visit gains impressions (as a share read in an
                // inbox weeks later would): the next sample must notice and visit every note.
                let world = app.world_mut();
                world.resource::<Notes>().counters[3]
                    .impressions
                    .fetch_add(5, Relaxed);
                world.resource_mut::<TickStats>().impressions += 5;
            }
        }
        let tally = &app.world().resource::<MetricsHistory>().tally;
        assert!(tally.full_visits >= 1, "{tally:?}");
        // The recent span keeps the work per sample small: most notes are not visited.
        let notes = app.world().resource::<Notes>().len();
        assert!(
            tally.recent_from > notes / 3,
            "{} of {notes}",
            tally.recent_from
        );
        assert!(
            tally.watch.len() < notes / 10,
            "{} of {notes}",
            tally.watch.len()
        );
    }
}
