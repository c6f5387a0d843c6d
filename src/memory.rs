//! How much memory a run will need, estimated from the sizes of the tables it fills, and the check
//! that refuses a run this machine cannot hold (with the numbers, before anything is built).
//!
//! A run's resident memory peaks at one of two moments:
//!
//! - **Building the starting follow graph.** Every follow drawn is first an 8-byte edge; the
//!   edges are sorted, deduplicated and poured into the viewers' follow lists while the edge list
//!   still exists. A world of big accounts peaks here: 8 bytes per follow drawn plus about 6 per
//!   distinct follow kept, on top of the viewers.
//! - **Writing the results.** The world is at its largest (every note ever posted, each with a
//!   1 KiB reach sketch, every viewer who arrived, every follow made), and the text of every
//!   output file is held until the result set is moved into place. A long run peaks here.
//!
//! Sizes come from the types themselves (`size_of`); what the types cannot say (allocator
//! overhead, the growth slack of lists filled one at a time, the length of a CSV line, funnel
//! lines per note, the fixed cost of the process) was measured on runs of several shapes and is
//! kept in the constants below. `tests/memory.rs` holds the estimate to the measured peak.

use crate::metrics::collector::MetricsRow;
use crate::population::{follows_beside_spawn, topic_popularity};
use crate::scenario::{Action, Dist, PolicyKind, Scenario};
use crate::sim::agents::{
    Account, Creator, Followers, NewUser, Note, NoteCounters, NoteLook, ReachSketch, StageRecord,
    USER_COMPONENTS, UserBundle,
};
use std::fmt;
use std::mem::size_of;

const MIB: f64 = (1u64 << 20) as f64;
const GIB: f64 = (1u64 << 30) as f64;

/// The process before any world exists: code, the allocator's arenas, the thread pool's stacks
/// (measured: 6.8 MiB headless; the window's libraries add 25 MiB to the binary with `gui`).
const BASE_BYTES: f64 = if cfg!(feature = "gui") {
    31.5 * MIB
} else {
    6.5 * MIB
};
/// Bytes per follow drawn while the starting follow graph is built: one (viewer, creator) edge.
const EDGE_BYTES: f64 = 8.0;
/// The average slack of a list (or a Bevy table) that grows by doubling.
const GROWTH_SLACK: f64 = 1.45;
/// Bytes per follow kept in a viewer's follow list: 4, times the slack of a growing list.
const FOLLOW_BYTES: f64 = 4.0 * GROWTH_SLACK;
/// The allocator's smallest block, which a viewer's first follow takes.
const FOLLOW_LIST_MIN_BYTES: f64 = 32.0;
/// Allocator overhead per heap block.
const BLOCK_OVERHEAD: f64 = 16.0;
/// Funnel lines per note (a cold-start line for almost every note, more for those that climb).
const TRACE_RECORDS_PER_NOTE: f64 = 1.6;
/// Text per line of notes.csv, funnel.csv, creators.csv and metrics.csv.
const NOTE_LINE_BYTES: f64 = 150.0;
const FUNNEL_LINE_BYTES: f64 = 75.0;
const CREATOR_LINE_BYTES: f64 = 90.0;
const METRICS_LINE_BYTES: f64 = 420.0;
/// Follows viewers make during a run, per impression served (measured on the shipped scenarios:
/// about one in 400 impressions).
const FOLLOWS_PER_IMPRESSION: f64 = 0.0025;
/// Share of a creator's drawn followers who come from the niche audience (`population.rs`).
const NICHE_FOLLOWER_SHARE: f64 = 0.8;

/// What holds memory at a run's peak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    Program,
    /// The starting follow graph while it is built (edges and follow lists).
    FollowGraph,
    Viewers,
    Follows,
    Notes,
    /// The text of notes.csv and funnel.csv, held until the results are moved into place.
    NoteText,
    Creators,
    MetricsRows,
}

impl Holder {
    /// What to change to need less of it.
    pub fn advice(self) -> &'static str {
        match self {
            Holder::FollowGraph | Holder::Follows => {
                "fewer initial followers (creators[i].followers) or fewer viewers"
            }
            Holder::Viewers => "fewer viewers (viewers.count, viewers.arrivals_per_day)",
            Holder::Notes | Holder::NoteText => "fewer days, or fewer posts per day",
            Holder::Creators => "fewer creators",
            Holder::MetricsRows => "a longer sample_every_hours",
            Holder::Program => "a smaller scenario",
        }
    }
}

/// One part of a run's peak memory.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    pub holder: Holder,
    /// What it is, with its count: "1,010,000 viewers".
    pub label: String,
    pub bytes: f64,
}

/// What a run's peak memory is made of, largest first.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryEstimate {
    pub parts: Vec<Part>,
    /// The moment of the peak.
    pub peak: Peak,
}

/// When a run's memory peaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peak {
    /// While the starting follow graph is built.
    FollowGraph,
    /// At the end, while the results are written.
    Results,
}

impl Peak {
    fn when(self) -> &'static str {
        match self {
            Peak::FollowGraph => "while the starting follow graph is built",
            Peak::Results => "at the end, while the results are written",
        }
    }
}

impl MemoryEstimate {
    pub fn total(&self) -> f64 {
        self.parts.iter().map(|p| p.bytes).sum()
    }

    /// The largest part: what to cut to make the run fit.
    pub fn dominant(&self) -> &Part {
        &self.parts[0]
    }
}

impl fmt::Display for MemoryEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let top = self.dominant();
        write!(
            f,
            "about {} at its peak, most of it {} ({})",
            human(self.total()),
            top.label,
            human(top.bytes)
        )
    }
}

/// Bytes as MiB or GiB, one decimal.
pub fn human(bytes: f64) -> String {
    if bytes >= GIB {
        format!("{:.1} GiB", bytes / GIB)
    } else {
        format!("{:.1} MiB", bytes / MIB)
    }
}

/// What a scenario will put in memory, from its population, duration and posting rates.
struct Shape {
    viewers_start: f64,
    viewers_end: f64,
    creators_end: f64,
    /// Follows drawn for the starting population (before duplicates are dropped), and kept.
    drawn: f64,
    kept_start: f64,
    /// Follows the viewers hold at the end.
    follows_end: f64,
    /// Viewers holding at least one follow at the end.
    following_viewers: f64,
    notes: f64,
    samples: f64,
    keeps_totals: bool,
}

impl Shape {
    fn of(s: &Scenario) -> Self {
        let days = s.days.max(0.0);
        let v0 = s.viewers.count as f64;
        // Initial followers are drawn from the viewers there are, at most half of them.
        let cap = (v0 / 2.0).floor();
        let audiences = niche_audiences(s);
        // (group, creators at the start or when the group is added, the day they join)
        let start = s.creators.iter().map(|g| (g, true, 0.0));
        let added = s.timeline.iter().filter_map(|e| match &e.action {
            Action::AddCreators(g) if e.day < days => Some((g, false, e.day.max(0.0))),
            _ => None,
        });
        let mut shape = Shape {
            viewers_start: v0,
            viewers_end: v0 + s.viewers.arrivals_per_day.max(0.0) * days,
            creators_end: 0.0,
            drawn: 0.0,
            kept_start: 0.0,
            follows_end: 0.0,
            following_viewers: 0.0,
            notes: 0.0,
            samples: 0.0,
            keeps_totals: false,
        };
        for (g, at_start, from_day) in start.chain(added) {
            let span = (days - from_day).max(0.0);
            let count = g.count as f64;
            // Creators who arrive over the run are there, on average, for half of it.
            let arrivals = g.arrivals_per_day.max(0.0) * span;
            let posts = |span: f64| {
                let scheduled = g
                    .post_at_days
                    .iter()
                    .filter(|&&d| d >= days - span && d < days)
                    .count() as f64;
                g.posts_per_day.max(0.0) * span + scheduled
            };
            shape.creators_end += count + arrivals;
            shape.notes += count * posts(span) + arrivals * posts(span / 2.0);
            let distinct = distinct_followers(&g.followers, cap, v0, &audiences);
            if at_start {
                shape.drawn += count * clamped_mean(&g.followers, cap);
                shape.kept_start += count * distinct;
            } else {
                shape.viewers_end += count;
            }
            shape.viewers_end += arrivals;
            shape.follows_end += (count + arrivals) * distinct;
        }
        // Impressions: each viewer's sessions times what a session scrolls (an upper bound:
        // bored viewers scroll less, and some leave); a few of them end in a follow.
        let impressions = (v0 + s.viewers.arrivals_per_day.max(0.0) * days / 2.0)
            * s.viewers.sessions_per_day.max(0.0)
            * s.viewers.session_length.max(0.0)
            * days;
        shape.follows_end += FOLLOWS_PER_IMPRESSION * impressions;
        shape.following_viewers = shape.viewers_end.min(shape.follows_end);
        let sample_hours = s.sample_every_hours.max(s.tick_minutes as f64 / 60.0);
        shape.samples = days * 24.0 / sample_hours + 1.0;
        let policies_run = std::iter::once(s.recommender.policy)
            .chain(s.timeline.iter().filter_map(|e| match e.action {
                Action::SwitchPolicy(p) => Some(p),
                _ => None,
            }))
            .chain(s.recommender.blend.iter().map(|b| b.policy));
        shape.keeps_totals = policies_run
            .into_iter()
            .any(|p| matches!(p, PolicyKind::Popularity | PolicyKind::PredictedEngagement));
        shape
    }
}

/// Bytes Bevy keeps beside each component of an entity: the tick it was added and the tick it
/// last changed (4 bytes each).
const CHANGE_TICK_BYTES: f64 = 8.0;
/// Bytes Bevy keeps per entity outside its components: the entity in its table's entity column
/// (8) and its record in the entity allocator (generation, location, when it was spawned: 24),
/// plus its slot in `Users::entities` (8). Measured: the estimate below then matches the growth
/// of the peak between 100,000 and 1,000,000 users within 2%.
const ENTITY_BYTES: f64 = 8.0 + 24.0 + 8.0;

/// Bytes of one user entity: its components (`UserBundle`), each with its change ticks, and
/// Bevy's record of the entity. The follow list's heap block is counted with the follows.
fn user_bytes() -> f64 {
    size_of::<UserBundle>() as f64 + USER_COMPONENTS as f64 * CHANGE_TICK_BYTES + ENTITY_BYTES
}

/// Bytes per user that exist only while the starting population is spawned: the user as drawn
/// (`NewUser`, consumed by the spawn but freed only at its end) and the list of spawned entities.
fn spawn_bytes() -> f64 {
    (size_of::<NewUser>() + size_of::<u64>()) as f64
}

/// Bytes of one note in the world: its record, feed record, counters, reach sketch, funnel
/// trace (a list of stage records), the metrics tally's entries and, for the notes of the last
/// 30 days (`window_share`), note meritocracy's two sorted keys.
fn note_bytes(keeps_totals: bool, window_share: f64) -> f64 {
    let columns = size_of::<Note>()
        + size_of::<NoteLook>()
        + size_of::<NoteCounters>()
        + size_of::<ReachSketch>()
        + size_of::<Vec<StageRecord>>()
        + size_of::<u32>()
        + 2 * size_of::<bool>();
    let window = window_share * 2.0 * size_of::<u64>() as f64;
    // A trace list's first block holds four records.
    let trace = 4.0 * size_of::<StageRecord>() as f64 + BLOCK_OVERHEAD;
    let totals = if keeps_totals {
        size_of::<crate::sim::agents::Counts>() as f64
    } else {
        0.0
    };
    columns as f64 + trace + totals + window
}

/// Bytes of one creator: the `Creator` and `Followers` components on its user (with change
/// ticks), its row in the platform's account table, the following tab's entry, and the
/// per-creator lists a metrics sample builds (impressions, ranks, Ginis, a day of impressions for
/// the 24-hour Gini).
fn creator_bytes(samples_per_day: f64) -> f64 {
    (size_of::<Creator>() + size_of::<Followers>() + size_of::<Account>()) as f64
        + 2.0 * CHANGE_TICK_BYTES
        + 12.0
        + 16.0 * 8.0
        + (samples_per_day + 1.0) * 8.0
}

/// Estimates a run's peak resident memory.
pub fn estimate(s: &Scenario) -> MemoryEstimate {
    let shape = Shape::of(s);
    let follow_lists = |follows: f64, viewers: f64| {
        if follows <= 0.0 {
            0.0
        } else {
            (follows * FOLLOW_BYTES + viewers * BLOCK_OVERHEAD).max(viewers * FOLLOW_LIST_MIN_BYTES)
        }
    };
    let part = |holder, label: String, bytes| Part {
        holder,
        label,
        bytes,
    };
    let samples_per_day = 24.0 / s.sample_every_hours.max(s.tick_minutes as f64 / 60.0);
    let creators_start = s.creator_count() as f64;
    let program = part(Holder::Program, "the program itself".into(), BASE_BYTES);

    // Building the population has moments of its own: the follow graph is drawn as a list of
    // edges bucketed into follow lists, and the users are spawned as entities while the drawn
    // users still exist. When the edges are small (`follows_beside_spawn`) both happen at once
    // and everything is held together; otherwise the edges come first and are gone before the
    // spawn. Each moment holds the drawn users, the follow lists and the users of each topic (a
    // list a user's topics long) followers came from.
    let interests = s.viewers.interests.clamp(1, 3) as f64;
    let edges = EDGE_BYTES * shape.drawn;
    let spawned = shape.viewers_start * user_bytes();
    let lists = follow_lists(shape.kept_start, shape.viewers_start.min(shape.kept_start));
    let drawn_users = shape.viewers_start * (spawn_bytes() + 4.0 * interests * GROWTH_SLACK);
    let beside = follows_beside_spawn(shape.drawn, shape.viewers_start);
    let build = vec![
        part(
            Holder::FollowGraph,
            format!(
                "the starting follow graph ({} follows drawn)",
                count(shape.drawn)
            ),
            if beside || edges > spawned {
                edges + lists
            } else {
                lists
            },
        ),
        part(
            Holder::Viewers,
            format!("{} viewers", count(shape.viewers_start)),
            if beside || edges <= spawned {
                drawn_users + spawned
            } else {
                drawn_users
            },
        ),
        part(
            Holder::Creators,
            format!("{} creators", count(creators_start)),
            creators_start * creator_bytes(samples_per_day),
        ),
        program.clone(),
    ];

    // The end of the run: the whole world plus the text of every output file.
    let note_text = NOTE_LINE_BYTES + TRACE_RECORDS_PER_NOTE * FUNNEL_LINE_BYTES;
    let results = vec![
        part(
            Holder::Notes,
            format!("{} notes with their reach sketches", count(shape.notes)),
            shape.notes * note_bytes(shape.keeps_totals, (30.0 / s.days.max(1e-9)).min(1.0)),
        ),
        part(
            Holder::NoteText,
            "notes.csv and funnel.csv".into(),
            shape.notes * note_text,
        ),
        part(
            Holder::Viewers,
            format!("{} viewers", count(shape.viewers_end)),
            // Users who join during the run land in tables that grow by doubling.
            (shape.viewers_start + GROWTH_SLACK * (shape.viewers_end - shape.viewers_start))
                * user_bytes(),
        ),
        part(
            Holder::Follows,
            format!("{} follows", count(shape.follows_end)),
            follow_lists(shape.follows_end, shape.following_viewers),
        ),
        part(
            Holder::Creators,
            format!("{} creators", count(shape.creators_end)),
            shape.creators_end * (creator_bytes(samples_per_day) + CREATOR_LINE_BYTES),
        ),
        part(
            Holder::MetricsRows,
            format!("{} metrics rows", count(shape.samples)),
            shape.samples * (size_of::<MetricsRow>() as f64 + METRICS_LINE_BYTES),
        ),
        program,
    ];
    let total = |parts: &[Part]| parts.iter().map(|p| p.bytes).sum::<f64>();
    let (mut parts, peak) = if total(&build) > total(&results) {
        (build, Peak::FollowGraph)
    } else {
        (results, Peak::Results)
    };
    parts.retain(|p| p.bytes > 0.0);
    parts.sort_by(|a, b| b.bytes.total_cmp(&a.bytes));
    MemoryEstimate { parts, peak }
}

/// A count for a message: 1,234,567.
fn count(x: f64) -> String {
    let digits = format!("{:.0}", x.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// For each topic, its share of creators' main topics (by popularity, as creators pick them) and
/// the viewers interested in it, as shares of all viewers: the audiences 80% of a creator's
/// followers are drawn from.
fn niche_audiences(s: &Scenario) -> Vec<(f64, f64)> {
    let interests = s.viewers.interests.clamp(1, 3) as f64;
    topic_popularity(s.topics.max(1))
        .into_iter()
        .map(|p| (p, 1.0 - libm::pow(1.0 - p, interests)))
        .collect()
}

/// Expected distinct followers of a creator of a group whose follower counts follow `dist`
/// (clamped to `cap`), drawn from `viewers` as `population.rs` draws them (80% from the niche
/// audience, with repeats dropped); averaged over the distribution's quantiles and the topics.
fn distinct_followers(dist: &Dist, cap: f64, viewers: f64, audiences: &[(f64, f64)]) -> f64 {
    let distinct = |draws: f64, pool: f64| {
        if pool <= 0.0 {
            0.0
        } else {
            -pool * libm::expm1(-draws / pool)
        }
    };
    const QUANTILES: usize = 32;
    let mut total = 0.0;
    for k in 0..QUANTILES {
        let u = (k as f64 + 0.5) / QUANTILES as f64;
        let n = quantile(dist, u).clamp(0.0, cap);
        let niche: f64 = audiences
            .iter()
            .map(|&(weight, share)| weight * distinct(NICHE_FOLLOWER_SHARE * n, viewers * share))
            .sum();
        total += niche + distinct((1.0 - NICHE_FOLLOWER_SHARE) * n, viewers);
    }
    total / QUANTILES as f64
}

/// The `u` quantile of a distribution.
fn quantile(dist: &Dist, u: f64) -> f64 {
    use crate::sim::rng::inverse_normal_cdf;
    match *dist {
        Dist::Fixed(v) => v,
        Dist::Uniform { low, high } => low + (high - low) * u,
        Dist::Normal { mean, sd } => mean + sd * inverse_normal_cdf(u),
        Dist::LogNormal { median, sigma } => median * libm::exp(sigma * inverse_normal_cdf(u)),
    }
}

/// E[clamp(X, 0, cap)] for a follower-count distribution (the population clamps draws so).
fn clamped_mean(dist: &Dist, cap: f64) -> f64 {
    (excess(dist, 0.0) - excess(dist, cap)).max(0.0)
}

/// E[max(X − t, 0)].
fn excess(dist: &Dist, t: f64) -> f64 {
    let phi = |z: f64| libm::exp(-0.5 * z * z) / (2.0 * std::f64::consts::PI).sqrt();
    let cdf = |z: f64| 0.5 * libm::erfc(-z / std::f64::consts::SQRT_2);
    match *dist {
        Dist::Fixed(v) => (v - t).max(0.0),
        Dist::Uniform { low, high } => {
            if t <= low {
                0.5 * (low + high) - t
            } else if t >= high {
                0.0
            } else {
                (high - t) * (high - t) / (2.0 * (high - low))
            }
        }
        Dist::Normal { mean, sd } => {
            if sd <= 0.0 {
                (mean - t).max(0.0)
            } else {
                let z = (mean - t) / sd;
                (mean - t) * cdf(z) + sd * phi(z)
            }
        }
        Dist::LogNormal { median, sigma } => {
            if median <= 0.0 {
                0.0
            } else if sigma <= 0.0 || t <= 0.0 {
                (median * libm::exp(0.5 * sigma * sigma) - t.max(0.0)).max(0.0)
            } else {
                let d2 = (libm::log(median) - libm::log(t)) / sigma;
                median * libm::exp(0.5 * sigma * sigma) * cdf(d2 + sigma) - t * cdf(d2)
            }
        }
    }
}

/// Memory a run may use, and where that number came from.
#[derive(Clone, Debug, PartialEq)]
pub struct MemoryLimit {
    pub bytes: u64,
    /// Where the number came from, for messages: "MemAvailable in /proc/meminfo".
    pub source: String,
}

/// Environment variable that sets the memory a run may use, in MiB, in place of what the system
/// reports (for a batch job whose limit the system does not show, or to try the check).
pub const MEMORY_LIMIT_VAR: &str = "FEEDLAB_MEMORY_MIB";

/// The memory available to a run: `FEEDLAB_MEMORY_MIB` if set, else the least of the system's
/// available memory (`MemAvailable` in /proc/meminfo) and the room left under this process's
/// cgroup limit. `None` where neither can be read (the check is then skipped).
pub fn available() -> Option<MemoryLimit> {
    if let Some(mib) = std::env::var(MEMORY_LIMIT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Some(MemoryLimit {
            bytes: mib.saturating_mul(1 << 20),
            source: format!("{MEMORY_LIMIT_VAR}={mib}"),
        });
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let kib: u64 = text
                .lines()
                .find(|l| l.starts_with("MemAvailable:"))?
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some(MemoryLimit {
                bytes: kib * 1024,
                source: "MemAvailable in /proc/meminfo".into(),
            })
        });
    let cgroup = cgroup_room().map(|bytes| MemoryLimit {
        bytes,
        source: "left under this process's cgroup memory.max".into(),
    });
    match (meminfo, cgroup) {
        (Some(m), Some(c)) => Some(if c.bytes < m.bytes { c } else { m }),
        (m, c) => m.or(c),
    }
}

/// Room left under a cgroup v2 memory limit, if one is set.
fn cgroup_room() -> Option<u64> {
    let read = |name: &str| {
        std::fs::read_to_string(format!("/sys/fs/cgroup/{name}"))
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()
    };
    let max = read("memory.max")?;
    Some(max.saturating_sub(read("memory.current").unwrap_or(0)))
}

/// Refuses a run of `worlds` copies of `s` at once (replicates run several worlds side by side)
/// whose estimated peak exceeds `limit`, saying what it needs, what there is and what dominates.
/// Returns the estimate of one world when it fits.
pub fn check(s: &Scenario, worlds: u32, limit: &MemoryLimit) -> Result<MemoryEstimate, String> {
    let one = estimate(s);
    let worlds = worlds.max(1);
    let needed = BASE_BYTES + worlds as f64 * (one.total() - BASE_BYTES);
    if needed <= limit.bytes as f64 {
        return Ok(one);
    }
    let top = one.dominant();
    let side_by_side = if worlds > 1 {
        format!(
            " for {worlds} worlds side by side ({} each)",
            human(one.total())
        )
    } else {
        String::new()
    };
    Err(format!(
        "too large for memory: the run needs about {}{side_by_side} at its peak ({}), but {} is \
         available ({}); most of it is {} ({}). Use {}, or a machine with more memory",
        human(needed),
        one.peak.when(),
        human(limit.bytes as f64),
        limit.source,
        top.label,
        human(top.bytes),
        top.holder.advice(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(mib: u64) -> MemoryLimit {
        MemoryLimit {
            bytes: mib << 20,
            source: "a test limit".into(),
        }
    }

    #[test]
    fn clamped_means_match_their_distributions() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
        assert!(close(clamped_mean(&Dist::Fixed(30.0), 100.0), 30.0));
        assert!(close(clamped_mean(&Dist::Fixed(300.0), 100.0), 100.0));
        assert!(close(clamped_mean(&Dist::Fixed(-3.0), 100.0), 0.0));
        let u = Dist::Uniform {
            low: 0.0,
            high: 200.0,
        };
        // Half below 100 (mean 50), half clamped to 100.
        assert!(close(clamped_mean(&u, 100.0), 75.0));
        // A lognormal far from its cap keeps its mean, median * exp(sigma^2 / 2).
        let ln = Dist::LogNormal {
            median: 100.0,
            sigma: 0.8,
        };
        assert!(close(clamped_mean(&ln, 1e12), 100.0 * libm::exp(0.32)));
        // Capped at its median: E[min(X, m)] by numerical integration over the quantiles.
        let n = 200_000;
        let numeric: f64 = (0..n)
            .map(|i| {
                let z = crate::sim::rng::inverse_normal_cdf((i as f64 + 0.5) / n as f64);
                (100.0 * libm::exp(0.8 * z)).min(100.0)
            })
            .sum::<f64>()
            / n as f64;
        assert!(
            (clamped_mean(&ln, 100.0) - numeric).abs() < 0.05,
            "{numeric}"
        );
        let normal = Dist::Normal {
            mean: 0.0,
            sd: 10.0,
        };
        // E[max(X, 0)] of a centred normal is sd / sqrt(2 pi).
        assert!(close(
            clamped_mean(&normal, 1e9),
            10.0 / (2.0 * std::f64::consts::PI).sqrt()
        ));
    }

    #[test]
    fn a_run_that_does_not_fit_is_refused_with_the_numbers() {
        let mut s = Scenario::default();
        s.viewers.count = 1_000_000;
        s.creators[0].count = 4_000;
        s.creators[0].followers = Dist::LogNormal {
            median: 100_000.0,
            sigma: 0.8,
        };
        let e = estimate(&s);
        assert_eq!(e.peak, Peak::FollowGraph);
        assert_eq!(e.dominant().holder, Holder::FollowGraph, "{e:?}");
        // 4,000 creators x 137,700 followers drawn, 8 bytes each, plus the follow lists.
        assert!((5.5 * GIB..7.5 * GIB).contains(&e.total()), "{}", e);
        let message = check(&s, 1, &limit(4 << 10)).unwrap_err();
        for needle in [
            "too large for memory: the run needs about 6.",
            "GiB at its peak (while the starting follow graph is built)",
            "but 4.0 GiB is available (a test limit)",
            "most of it is the starting follow graph (53",
            "follows drawn) (6.",
            "fewer initial followers",
        ] {
            assert!(message.contains(needle), "lacks `{needle}`: {message}");
        }
        assert!(check(&s, 1, &limit(12 << 10)).is_ok());
        // Replicates side by side need a world each.
        let message = check(&s, 2, &limit(12 << 10)).unwrap_err();
        assert!(message.contains("for 2 worlds side by side"), "{message}");
    }

    #[test]
    fn long_runs_are_dominated_by_notes() {
        let mut s = Scenario {
            days: 3650.0,
            ..Default::default()
        };
        s.creators[4].posts_per_day = 200.0;
        s.creators[4].count = 5_000;
        let e = estimate(&s);
        assert_eq!(e.peak, Peak::Results);
        assert_eq!(e.dominant().holder, Holder::Notes, "{e:?}");
        let message = check(&s, 1, &limit(16 << 10)).unwrap_err();
        assert!(
            message.contains("at the end, while the results are written"),
            "{message}"
        );
        assert!(message.contains("fewer days"), "{message}");
    }
}
