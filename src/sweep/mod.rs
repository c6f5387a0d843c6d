//! Sweeps: every point of a grid of scenario values, each run with several seeds, on all cores or
//! split into shards for a batch scheduler (`feedlab sweep`), and shard outputs joined into one
//! (`feedlab merge`).
//!
//! A run of a sweep is a replicate in the sense of `--replicates`: seed K of every point shares
//! the population seed, so across points the runs differ in the varied values alone. What each
//! run leaves is one row (varied values, seed, final metrics); see `store` for the folder and
//! `grid` for the order of points, runs and shards. `table` reads sweep.csv back for plots.

pub mod grid;
pub mod store;
pub mod table;

use crate::batch::{run_each, thread_pool};
use crate::memory::estimate;
use crate::output::ResultSet;
use crate::runs::{ScenarioOverrides, check_memory, last_row, load_scenario, simulate};
use crate::scenario::{self, Scenario, apply_override};
use anyhow::{Context, Result, anyhow, bail};
use clap::Args;
use grid::{Axis, Grid, Shard};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use store::SweepDir;

#[derive(Args, Debug)]
pub struct SweepArgs {
    pub scenario: PathBuf,
    #[command(flatten)]
    pub overrides: ScenarioOverrides,
    /// Vary a scenario field over STEPS evenly spaced values, ends included (repeatable):
    /// --vary recommender.traffic_pool.graduation_threshold=0.04..0.08:5
    #[arg(long = "vary", value_name = "PATH=FROM..TO:STEPS")]
    pub vary: Vec<String>,
    /// Vary a scenario field over listed values (repeatable; after every --vary in the grid):
    /// --values recommender.policy=traffic_pool,follower_feed
    #[arg(long = "values", value_name = "PATH=A,B,C")]
    pub values: Vec<String>,
    /// Run seeds per point: seed, seed+1, ..., all on the scenario's population seed.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub seeds: u32,
    /// Folder for sweep.csv, sweep.json and runs/ (rerunning into it skips finished runs).
    #[arg(long)]
    pub out: PathBuf,
    /// Run only share I of N of the runs (I from 0); join the shards with `feedlab merge`.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// Worker threads (default: all cores), one run per thread. Results are identical for any value.
    #[arg(long)]
    pub threads: Option<usize>,
    /// No progress bar and no summary.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// Shard folders of one sweep.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Folder for the joined sweep (replaced as a whole).
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, short)]
    pub quiet: bool,
}

/// The grid of `args` around its base scenario.
pub fn grid_of(args: &SweepArgs, base: &Scenario) -> Result<Grid> {
    let mut axes = Vec::new();
    for spec in &args.vary {
        axes.push(Axis::range(spec).map_err(|e| anyhow!("--vary {e}"))?);
    }
    for spec in &args.values {
        axes.push(Axis::list(spec).map_err(|e| anyhow!("--values {e}"))?);
    }
    if args.seeds == 0 || args.seeds > 10_000 {
        bail!("--seeds: expected 1..=10000");
    }
    let seeds = (0..args.seeds as u64)
        .map(|k| base.seed.wrapping_add(k))
        .collect();
    Grid::new(axes, seeds, base).map_err(|e| anyhow!(e))
}

/// The scenario of one grid point: the base with the point's values set and checked.
pub fn point_scenario(
    base: &Scenario,
    grid: &Grid,
    point: usize,
    file: &Path,
) -> Result<Scenario, String> {
    let mut s = base.clone();
    for (axis, value) in grid.axes.iter().zip(grid.point_values(point)) {
        apply_override(&mut s, &axis.path, value)
            .map_err(|e| format!("{}={value}: {e}", axis.path))?;
    }
    scenario::check(file, &s).map_err(|e| e.to_string())?;
    Ok(s)
}

/// The scenario of one run: its point's, with the run seed and the point's population seed.
pub fn run_scenario(point: &Scenario, seed: u64) -> Scenario {
    let mut s = point.clone();
    s.population_seed = Some(point.population_seed());
    s.seed = seed;
    s
}

/// `path=value` for every axis of a point.
fn point_label(grid: &Grid, point: usize) -> String {
    grid.axes
        .iter()
        .zip(grid.point_values(point))
        .map(|(a, v)| format!("{}={v}", a.path))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A run that did not finish, and why.
struct Failure {
    key: String,
    message: String,
}

pub fn sweep(args: &SweepArgs) -> Result<()> {
    let base = load_scenario(&args.scenario, &args.overrides)?;
    let grid = grid_of(args, &base)?;
    let shard = match &args.shard {
        Some(text) => Shard::parse(text).map_err(|e| anyhow!(e))?,
        None => Shard::WHOLE,
    };
    let pool = thread_pool(args.threads)?;
    let dir = SweepDir::open(&args.out, &store::manifest(&grid, &base)?)?;
    let header = store::header(&grid);
    let points: Vec<Result<Scenario, String>> = (0..grid.points())
        .map(|p| point_scenario(&base, &grid, p, &args.scenario))
        .collect();
    let mine: Vec<usize> = (0..grid.runs()).filter(|&r| shard.takes(r)).collect();
    let pending: Vec<usize> = mine
        .iter()
        .copied()
        .filter(|&r| dir.finished(&grid.key(grid.run(r)), &header).is_none())
        .collect();
    let ticks_of = |r: usize| match &points[grid.run(r).point] {
        Ok(s) => s.total_ticks() as u64,
        Err(_) => 0,
    };
    let bar = sweep_bar(
        args.quiet,
        pending.iter().map(|&r| ticks_of(r)).sum(),
        pending.len(),
    );
    let finished = AtomicUsize::new(0);
    let threads = pool.current_num_threads();
    // As many worlds at once as there are threads: the grid's largest must fit that many times.
    let largest = pending
        .iter()
        .filter_map(|&r| points[grid.run(r).point].as_ref().ok())
        .max_by(|a, b| estimate(a).total().total_cmp(&estimate(b).total()));
    if let Some(s) = largest {
        check_memory(&args.scenario, s, pending.len().min(threads) as u32)?;
    }
    let start = Instant::now();
    let outcomes = run_each(pending.len(), &pool, |i| {
        let number = pending[i];
        let run = grid.run(number);
        let key = grid.key(run);
        let outcome = match &points[run.point] {
            Err(e) => Err(e.clone()),
            Ok(point) => {
                let s = run_scenario(point, grid.seeds[run.seed_index]);
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let (app, _) = simulate(&s, &bar, threads);
                    last_row(app.world())
                }))
                .map_err(|_| "the run panicked".to_string())
                .and_then(|last| {
                    let row = store::row(&grid.point_values(run.point), s.seed, &last);
                    dir.record(&key, &header, &row)
                        .map_err(|e| format!("{e:#}"))
                })
            }
        };
        let done = finished.fetch_add(1, Ordering::Relaxed) + 1;
        bar.set_message(format!("{done}/{} runs", pending.len()));
        let failure = outcome.err().map(|message| Failure {
            // One line per failure: checks list their problems on lines of their own.
            message: message.lines().map(str::trim).collect::<Vec<_>>().join(" "),
            key: format!("{key} ({})", point_label(&grid, run.point)),
        });
        if let Some(f) = &failure
            && !args.quiet
        {
            let line = format!("run {} failed: {}", f.key, f.message);
            if bar.is_hidden() {
                eprintln!("{line}")
            } else {
                bar.println(line)
            }
        }
        failure
    });
    bar.finish_and_clear();
    let seconds = start.elapsed().as_secs_f64();
    let failures: Vec<Failure> = outcomes.into_iter().flatten().collect();
    let rows: Vec<String> = mine
        .iter()
        .filter_map(|&r| dir.finished(&grid.key(grid.run(r)), &header))
        .collect();
    dir.write_table(&header, &rows)?;
    if !args.quiet {
        let share = if shard == Shard::WHOLE {
            String::new()
        } else {
            format!(
                " (shard {}/{} of {})",
                shard.index,
                shard.count,
                grid.runs()
            )
        };
        eprintln!(
            "{}: {} runs{share}: {} run now in {seconds:.1} s on {threads} thread(s), {} done before, {} failed\nsweep.csv in {}",
            base.name,
            mine.len(),
            pending.len() - failures.len(),
            mine.len() - pending.len(),
            failures.len(),
            args.out.display(),
        );
    }
    if !failures.is_empty() {
        let list: Vec<String> = failures
            .iter()
            .take(10)
            .map(|f| format!("  {}: {}", f.key, f.message))
            .collect();
        bail!(
            "{} of {} runs failed (the others are in sweep.csv; rerun to retry only the failed ones):\n{}{}",
            failures.len(),
            mine.len(),
            list.join("\n"),
            if failures.len() > 10 { "\n  ..." } else { "" }
        );
    }
    Ok(())
}

fn sweep_bar(quiet: bool, ticks: u64, runs: usize) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(ticks)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} sweep {msg} [{bar:30}] {percent}%, {elapsed} elapsed, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(format!("0/{runs} runs"));
    bar
}

/// Joins the folders of a sweep's shards into one folder, the same as the sweep run in one piece.
pub fn merge(args: &MergeArgs) -> Result<()> {
    let mut manifest_text: Option<(PathBuf, String, serde_json::Value)> = None;
    for dir in &args.dirs {
        let path = dir.join(store::MANIFEST);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "{}: not a sweep folder (no {})",
                dir.display(),
                store::MANIFEST
            )
        })?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a sweep manifest", path.display()))?;
        match &manifest_text {
            None => manifest_text = Some((dir.clone(), text, value)),
            Some((first, _, first_value)) if *first_value != value => bail!(
                "{} and {} hold different sweeps ({})",
                first.display(),
                dir.display(),
                store::difference(first_value, &value)
            ),
            Some(_) => {}
        }
    }
    let Some((_, text, manifest)) = manifest_text else {
        bail!("merge: name the shard folders to join");
    };
    let grid = grid_from_manifest(&manifest)?;
    let header = store::header(&grid);
    let mut set = ResultSet::default();
    set.add(store::MANIFEST, text);
    let mut rows = Vec::new();
    let mut missing = Vec::new();
    for number in 0..grid.runs() {
        let key = grid.key(grid.run(number));
        let mut found: Option<String> = None;
        for dir in &args.dirs {
            let file = dir.join(store::RUNS).join(format!("{key}.csv"));
            let Some(row) = std::fs::read_to_string(&file)
                .ok()
                .and_then(|t| store::parse_run_file(&t, &header))
            else {
                continue;
            };
            match &found {
                Some(other) if *other != row => bail!(
                    "run {key} differs between shards ({}): the shards are not of one sweep",
                    file.display()
                ),
                _ => found = Some(row),
            }
        }
        match found {
            Some(row) => {
                set.add(
                    Path::new(store::RUNS).join(format!("{key}.csv")),
                    format!("{header}\n{row}\n"),
                );
                rows.push(row);
            }
            None => missing.push(key),
        }
    }
    set.add(store::TABLE, store::table(&header, &rows));
    set.commit(&args.out)?;
    if !args.quiet {
        eprintln!(
            "merged {} folder(s): {} of {} runs; sweep.csv in {}",
            args.dirs.len(),
            rows.len(),
            grid.runs(),
            args.out.display()
        );
    }
    if !missing.is_empty() {
        bail!(
            "{} of {} runs are in none of the folders (first: {}); run their shards again, then merge",
            missing.len(),
            grid.runs(),
            missing[..missing.len().min(5)].join(", ")
        );
    }
    Ok(())
}

/// The axes and seeds a manifest records.
fn grid_from_manifest(manifest: &serde_json::Value) -> Result<Grid> {
    let bad = || anyhow!("not a sweep manifest: no axes or seeds");
    let axes = manifest
        .get("axes")
        .and_then(|a| a.as_array())
        .ok_or_else(bad)?
        .iter()
        .map(|a| {
            let path = a.get("path")?.as_str()?.to_string();
            let values = a
                .get("values")?
                .as_array()?
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()?;
            (!values.is_empty()).then_some(Axis { path, values })
        })
        .collect::<Option<Vec<_>>>()
        .ok_or_else(bad)?;
    let seeds = manifest
        .get("seeds")
        .and_then(|s| s.as_array())
        .ok_or_else(bad)?
        .iter()
        .map(|s| s.as_u64())
        .collect::<Option<Vec<_>>>()
        .filter(|s| !s.is_empty())
        .ok_or_else(bad)?;
    let runs = axes
        .iter()
        .try_fold(seeds.len(), |n, a| n.checked_mul(a.values.len()));
    if runs.is_none_or(|n| n > grid::MAX_RUNS) {
        bail!("not a sweep manifest: more than {} runs", grid::MAX_RUNS);
    }
    Ok(Grid { axes, seeds })
}
