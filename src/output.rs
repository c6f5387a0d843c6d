//! Writing a run's results: metrics.csv, creators.csv, notes.csv, funnel.csv and summary.json.
//! Each file is written under a temporary name and renamed into place, so a reader never sees a
//! half-written file.

use crate::metrics::collector::{MetricsHistory, creator_impressions};
use crate::recommender::Recommender;
use crate::sim::agents::*;
use crate::sim::{Clock, ScenarioRes};
use anyhow::{Context, Result};
use bevy::prelude::*;
use serde_json::{Map, Value, json};
use std::fmt::Write as _;
use std::path::Path;

/// Timing and environment of a run, for summary.json.
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub setup_seconds: f64,
    pub simulate_seconds: f64,
    pub threads: usize,
}

/// Writes `contents` to `dir/name` atomically (temporary file, then rename).
pub fn write_atomic(dir: &Path, name: &str, contents: &[u8]) -> Result<()> {
    let tmp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, dir.join(name))
        .with_context(|| format!("cannot move {} into place", tmp.display()))?;
    Ok(())
}

fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        "NaN".into()
    }
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

pub fn notes_csv(notes: &Notes, clock: &Clock, recommender: &Recommender) -> String {
    let mut out = String::from(
        "id,creator_id,created_hours,topic,appeal,format,images,content_score,promotional,max_stage,impressions,reach,clicks,likes,comments,deep_comments,saves,shares,follows,quick_scrolls,dwell_seconds,engagement_rate,stop_reason\n",
    );
    for (id, n) in notes.list.iter().enumerate() {
        let c = notes.counts(id);
        let _ = writeln!(
            out,
            "{id},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            n.creator,
            num(clock.ticks_to_hours(n.created_tick)),
            n.topic,
            num(n.appeal as f64),
            n.format.name(),
            n.images,
            num(n.content_score as f64),
            num(n.promotional as f64),
            n.max_stage,
            c.impressions,
            c.reach,
            c.clicks,
            c.likes,
            c.comments(),
            c.deep_comments,
            c.saves,
            c.shares,
            c.follows,
            c.quick_scrolls,
            c.dwell_seconds,
            num(crate::recommender::engagement_rate(
                &c,
                &recommender.config.weights
            )),
            n.stop_reason.name(),
        );
    }
    out
}

pub fn funnel_csv(notes: &Notes, clock: &Clock) -> String {
    let mut out = String::from(
        "note_id,stage,entered_hours,target,impressions,engagement_rate,threshold,negative_rate,outcome\n",
    );
    for (id, trace) in notes.trace.iter().enumerate() {
        for r in trace {
            let _ = writeln!(
                out,
                "{id},{},{},{},{},{},{},{},{}",
                r.stage,
                num(clock.ticks_to_hours(r.entered_tick)),
                r.target,
                r.impressions,
                num(r.engagement_rate as f64),
                if r.threshold.is_nan() {
                    String::new()
                } else {
                    num(r.threshold as f64)
                },
                num(r.negative_rate as f64),
                r.outcome.name(),
            );
        }
    }
    out
}

/// Peak resident memory of this process in MiB (Linux), if known.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
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
            last.insert(
                name.into(),
                if value.is_finite() {
                    json!(value)
                } else {
                    Value::Null
                },
            );
        }
    }
    let wall = info.setup_seconds + info.simulate_seconds;
    json!({
        "scenario": scenario.name,
        "seed": scenario.seed,
        "policy": world.resource::<Recommender>().config.policy.name(),
        "ticks": clock.tick,
        "tick_minutes": clock.tick_minutes,
        "days": clock.hours() / 24.0,
        "viewers": world.resource::<Viewers>().list.len(),
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
        "final": Value::Object(last),
    })
}

/// Writes every output file of a run into `dir` (created if needed).
pub fn write_results(world: &World, dir: &Path, info: &RunInfo) -> Result<()> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create output directory {}", dir.display()))?;
    let clock = world.resource::<Clock>();
    let notes = world.resource::<Notes>();
    let creators = world.resource::<Creators>();
    write_atomic(
        dir,
        "metrics.csv",
        metrics_csv(world.resource::<MetricsHistory>()).as_bytes(),
    )?;
    write_atomic(
        dir,
        "creators.csv",
        creators_csv(creators, notes).as_bytes(),
    )?;
    write_atomic(
        dir,
        "notes.csv",
        notes_csv(notes, clock, world.resource::<Recommender>()).as_bytes(),
    )?;
    write_atomic(dir, "funnel.csv", funnel_csv(notes, clock).as_bytes())?;
    let summary = serde_json::to_string_pretty(&summary_json(world, info))?;
    write_atomic(dir, "summary.json", summary.as_bytes())?;
    Ok(())
}
