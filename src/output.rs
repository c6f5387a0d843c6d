//! Writing a run's results: metrics.csv, creators.csv, notes.csv, funnel.csv and summary.json
//! (and, for replicates, a folder per run beside replicates.csv).
//!
//! A results folder holds one complete result set or none (`folder`, native only): the whole set
//! is written into a temporary sibling folder, which then replaces the target folder by renames.
//! A run that fails or is killed part-way leaves the previous contents untouched (and at worst a
//! hidden `.NAME.tmp-PID` sibling, never a half-filled target). Numbers that cannot be computed
//! (a correlation without variation) are written as an empty field in CSV and `null` in JSON,
//! which pandas and Polars read as missing.

use crate::metrics::collector::{MetricsHistory, creator_impressions};
use crate::scenario::EngagementWeights;
use crate::sim::agents::*;
use crate::sim::{Clock, ScenarioRes};
use anyhow::Result;
use bevy::prelude::*;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Timing and environment of a run, for summary.json.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub setup_seconds: f64,
    pub simulate_seconds: f64,
    pub threads: usize,
}

/// A complete result set: relative paths and contents, written all at once by `commit`.
#[derive(Default)]
pub struct ResultSet {
    pub files: Vec<(PathBuf, Vec<u8>)>,
}

impl ResultSet {
    pub fn add(&mut self, path: impl Into<PathBuf>, contents: impl Into<Vec<u8>>) {
        self.files.push((path.into(), contents.into()));
    }

    /// Adds another set's files under `folder`.
    pub fn nest(&mut self, folder: &str, other: ResultSet) {
        for (path, contents) in other.files {
            self.files.push((Path::new(folder).join(path), contents));
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod folder;
#[cfg(not(target_arch = "wasm32"))]
pub use folder::WRITE_PAUSE_VAR;

/// A number for a CSV cell: empty when it cannot be computed.
pub fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// A number for JSON: `null` when it cannot be computed.
pub fn json_num(x: f64) -> Value {
    if x.is_finite() { json!(x) } else { Value::Null }
}

pub fn metrics_csv(history: &MetricsHistory) -> String {
    let mut out = String::new();
    let header: Vec<&str> = crate::metrics::collector::MetricsRow::default()
        .fields()
        .iter()
        .map(|f| f.0)
        .collect();
    out.push_str(&header.join(","));
    out.push('\n');
    for row in &history.rows {
        let values: Vec<String> = row.fields().iter().map(|f| num(f.1)).collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

pub fn creators_csv(creators: &Creators, notes: &Notes) -> String {
    let impressions = creator_impressions(creators, notes);
    let mut totals = vec![Counts::default(); creators.list.len()];
    let mut max_stage = vec![0u8; creators.list.len()];
    for (id, note) in notes.list.iter().enumerate() {
        let c = notes.counts(id);
        let t = &mut totals[note.creator as usize];
        t.likes += c.likes;
        t.short_comments += c.short_comments;
        t.deep_comments += c.deep_comments;
        t.saves += c.saves;
        t.shares += c.shares;
        let m = &mut max_stage[note.creator as usize];
        *m = (*m).max(note.max_stage);
    }
    let mut out = String::from(
        "id,archetype,skill,initial_followers,followers,posts,impressions,likes,comments,saves,shares,max_stage,authority,verified,niche_topic\n",
    );
    for (id, c) in creators.list.iter().enumerate() {
        let t = &totals[id];
        let _ = writeln!(
            out,
            "{id},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            c.archetype,
            num(c.skill as f64),
            c.initial_followers,
            c.followers,
            c.posts,
            impressions[id],
            t.likes,
            t.comments(),
            t.saves,
            t.shares,
            max_stage[id],
            num(c.authority as f64),
            c.verified,
            c.niche[0],
        );
    }
    out
}

pub fn notes_csv(notes: &Notes, clock: &Clock, weights: &EngagementWeights) -> String {
    let mut out = String::from(
        "id,creator_id,created_hours,topic,appeal,format,images,content_score,promotional,max_stage,pool_stage,impressions,reach,clicks,likes,comments,deep_comments,saves,shares,follows,quick_scrolls,dwell_seconds,engagement_rate,stop_reason\n",
    );
    for (id, n) in notes.list.iter().enumerate() {
        let c = notes.counts(id);
        let _ = writeln!(
            out,
            "{id},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            n.creator,
            num(clock.ticks_to_hours(n.created_tick)),
            n.topic,
            num(n.appeal as f64),
            n.format.name(),
            n.images,
            num(n.content_score as f64),
            num(n.promotional as f64),
            n.max_stage,
            n.pool_stage.map(|s| s.to_string()).unwrap_or_default(),
            c.impressions,
            notes.reach(id),
            c.clicks,
            c.likes,
            c.comments(),
            c.deep_comments,
            c.saves,
            c.shares,
            c.follows,
            c.quick_scrolls,
            c.dwell_seconds,
            num(crate::recommender::engagement_rate(&c, weights)),
            n.stop_reason.name(),
        );
    }
    out
}

pub fn funnel_csv(notes: &Notes, clock: &Clock) -> String {
    let mut out = String::from(
        "note_id,kind,stage,entered_hours,target,impressions,engagement_rate,threshold,negative_rate,outcome\n",
    );
    for (id, trace) in notes.trace.iter().enumerate() {
        for r in trace {
            let _ = writeln!(
                out,
                "{id},{},{},{},{},{},{},{},{},{}",
                r.kind.name(),
                r.stage,
                num(clock.ticks_to_hours(r.entered_tick)),
                r.target,
                r.impressions,
                num(r.engagement_rate as f64),
                num(r.threshold as f64),
                num(r.negative_rate as f64),
                r.outcome.name(),
            );
        }
    }
    out
}

/// Peak resident memory of this process in MiB (Linux), if known; never in the browser.
#[cfg(not(target_arch = "wasm32"))]
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

#[cfg(target_arch = "wasm32")]
pub fn peak_memory_mib() -> Option<f64> {
    None
}

pub fn summary_json(world: &World, info: &RunInfo) -> Value {
    let scenario = &world.resource::<ScenarioRes>().0;
    let history = world.resource::<MetricsHistory>();
    let clock = world.resource::<Clock>();
    let notes = world.resource::<Notes>();
    let impressions = history.rows.last().map_or(0, |r| r.impressions);
    let mut last = Map::new();
    if let Some(row) = history.rows.last() {
        for (name, value) in row.fields() {
            last.insert(name.into(), json_num(value));
        }
    }
    let exposure: Map<String, Value> = crate::scenario::Archetype::ALL
        .iter()
        .zip(history.rows.last().map(|r| r.exposure).unwrap_or_default())
        .map(|(a, e)| {
            (
                a.name().to_string(),
                json!({
                    "notes_share": json_num(e.notes_share),
                    "impressions_share": json_num(e.impressions_share),
                    "mean_skill": json_num(e.mean_skill),
                }),
            )
        })
        .collect();
    let ladder = world.resource::<crate::sim::Ladder>();
    let wall = info.setup_seconds + info.simulate_seconds;
    json!({
        "scenario": scenario.name,
        "seed": scenario.seed,
        "population_seed": scenario.population_seed(),
        "policy": scenario.recommender.policy.name(),
        "ticks": clock.tick,
        "tick_minutes": clock.tick_minutes,
        "days": clock.hours() / 24.0,
        "viewers": world.resource::<Users>().len(),
        "creators": world.resource::<Creators>().list.len(),
        "notes": notes.len(),
        "impressions": impressions,
        "threads": info.threads,
        "setup_seconds": info.setup_seconds,
        "simulate_seconds": info.simulate_seconds,
        "wall_seconds": wall,
        "impressions_per_sec": if wall > 0.0 { impressions as f64 / wall } else { 0.0 },
        "simulate_impressions_per_sec": if info.simulate_seconds > 0.0 { impressions as f64 / info.simulate_seconds } else { 0.0 },
        "peak_memory_mib": peak_memory_mib(),
        "ladder": {
            "cold_start": ladder.cold_start,
            "stage_entry_impressions": ladder.entry,
        },
        "exposure": Value::Object(exposure),
        "final": Value::Object(last),
    })
}

/// Every output file of a run.
pub fn run_files(world: &World, info: &RunInfo) -> Result<ResultSet> {
    let clock = world.resource::<Clock>();
    let notes = world.resource::<Notes>();
    let creators = world.resource::<Creators>();
    let mut set = ResultSet::default();
    set.add(
        "metrics.csv",
        metrics_csv(world.resource::<MetricsHistory>()),
    );
    set.add("creators.csv", creators_csv(creators, notes));
    set.add(
        "notes.csv",
        notes_csv(
            notes,
            clock,
            &world.resource::<ScenarioRes>().0.recommender.weights,
        ),
    );
    set.add("funnel.csv", funnel_csv(notes, clock));
    let summary = serde_json::to_string_pretty(&summary_json(world, info))?;
    set.add("summary.json", summary);
    Ok(set)
}

#[cfg(not(target_arch = "wasm32"))]
/// Writes every output file of a run into `dir`, all or nothing (see the module doc).
pub fn write_results(world: &World, dir: &Path, info: &RunInfo) -> Result<()> {
    run_files(world, info)?.commit(dir)
}
