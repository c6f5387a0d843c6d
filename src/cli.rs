//! The command line: `feedlab run`, `feedlab validate` and `feedlab gui`.

use crate::memory;
use crate::metrics::collector::{MetricsHistory, MetricsRow};
use crate::metrics::estimate;
use crate::output::{ResultSet, RunInfo, json_num, num, run_files, write_results};
use crate::scenario::{
    self, MAX_DAYS, PolicyKind, Scenario, ScenarioError, apply_override, parse_assignment,
};
use crate::sim::{Clock, SimTick, simulation_app};
use anyhow::{Result, bail};
use bevy::app::App;
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};
use std::time::Instant;

pub const DEFAULT_SCENARIO: &str = "scenarios/baseline.ron";

#[derive(Parser, Debug)]
#[command(
    name = "feedlab",
    version,
    about = "Simulate a note-sharing platform and see whom its feed algorithm rewards"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a scenario headless and write CSV and JSON results.
    Run(RunArgs),
    /// Check scenario files and report every problem found.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Open the window on a scenario (default: scenarios/baseline.ron).
    Gui(GuiArgs),
}

/// Changes to a scenario given on the command line.
#[derive(Args, Debug, Clone, Default)]
pub struct ScenarioOverrides {
    /// Simulated days to run (replaces the scenario's `days`).
    #[arg(long, conflicts_with = "ticks")]
    pub days: Option<f64>,
    /// Ticks to run instead of days.
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Random seed (replaces the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Run this policy instead of the scenario's (every other parameter stays the scenario's):
    /// traffic_pool, predicted_engagement, follower_feed, popularity, random, following, blend.
    #[arg(long)]
    pub policy: Option<String>,
    /// Override any field: --set recommender.following_share=0.3 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

#[derive(Args, Debug)]
pub struct RunArgs {
    pub scenario: PathBuf,
    #[command(flatten)]
    pub overrides: ScenarioOverrides,
    /// Directory for metrics.csv, creators.csv, notes.csv, funnel.csv and summary.json.
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long)]
    pub threads: Option<usize>,
    /// Run N replicate worlds of the same population (seeds seed..seed+N): DIR/run-K/ holds each
    /// run, DIR/replicates.csv one row per run, DIR/summary.json mean, sd and 95% CI.
    #[arg(long, value_name = "N")]
    pub replicates: Option<u32>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Args, Debug, Default)]
pub struct GuiArgs {
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub overrides: ScenarioOverrides,
    /// Save a PNG of the window after `--after-ticks` ticks, then exit.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    #[arg(long, default_value_t = 300)]
    pub after_ticks: u32,
}

/// Loads a scenario and applies command-line changes, then validates the result.
pub fn load_scenario(path: &Path, o: &ScenarioOverrides) -> Result<Scenario, ScenarioError> {
    let mut s = scenario::load(path)?;
    if let Some(name) = &o.policy {
        let policy = PolicyKind::parse(name).ok_or_else(|| ScenarioError::Flag {
            flag: format!("--policy {name}"),
            message: format!(
                "unknown policy, expected one of: {}",
                PolicyKind::ALL
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
        // The policy and nothing else: pool sizes, weights and every other parameter stay the
        // scenario's, so runs under different policies are measured on the same ladder.
        s.recommender.policy = policy;
    }
    for assignment in &o.set {
        // Input repeated in a message is cut short: a value may be 64 KiB.
        let fail = |message: String| ScenarioError::Override {
            assignment: scenario::echo(assignment, scenario::MAX_ECHO_CHARS).into_owned(),
            message: scenario::echo(&message, scenario::MAX_MESSAGE_CHARS).into_owned(),
        };
        let (field, value) = parse_assignment(assignment).map_err(fail)?;
        apply_override(&mut s, &field, &value).map_err(fail)?;
    }
    if let Some(seed) = o.seed {
        s.seed = seed;
    }
    if let Some(days) = o.days {
        s.days = days;
    }
    if let Some(ticks) = o.ticks {
        // Checked here: below, ticks become `days`, and a problem with `days` would puzzle the user.
        let most = (MAX_DAYS * 1440.0 / s.tick_minutes.max(1) as f64).floor() as u64;
        if ticks == 0 || ticks > most {
            return Err(ScenarioError::Flag {
                flag: "--ticks".into(),
                message: format!(
                    "{ticks} is out of range, expected 1..={most} ({MAX_DAYS} days of {}-minute ticks)",
                    s.tick_minutes
                ),
            });
        }
        s.days = ticks as f64 * s.tick_minutes as f64 / 1440.0;
    }
    scenario::check(path, &s)?;
    check_memory(path, &s, 1)?;
    Ok(s)
}

/// Refuses a run of `worlds` worlds side by side that would not fit in the memory this machine
/// has (see `crate::memory`), with the numbers. Skipped where the memory cannot be read.
pub fn check_memory(path: &Path, s: &Scenario, worlds: u32) -> Result<(), ScenarioError> {
    let Some(limit) = memory::available() else {
        return Ok(());
    };
    memory::check(s, worlds, &limit)
        .map(|_| ())
        .map_err(|message| ScenarioError::Memory {
            path: path.to_path_buf(),
            message,
        })
}

pub fn run(args: &RunArgs) -> Result<()> {
    let scenario = load_scenario(&args.scenario, &args.overrides)?;
    if args.out.exists() && !args.out.is_dir() {
        bail!(
            "--out {}: exists and is not a directory",
            args.out.display()
        );
    }
    if args.replicates == Some(0) || args.replicates.is_some_and(|n| n > 10_000) {
        bail!("--replicates: expected 1..=10000");
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads: expected 1 or more");
        }
        builder = builder.num_threads(n);
    }
    let pool = builder.build()?;
    if let Some(n) = args.replicates {
        // Replicates run as many worlds at once as there are threads.
        let worlds = n.min(pool.current_num_threads() as u32);
        check_memory(&args.scenario, &scenario, worlds)?;
    }
    match args.replicates {
        None => pool.install(|| run_once(&scenario, args, pool.current_num_threads())),
        Some(n) => run_replicates(&scenario, args, n, &pool),
    }
}

fn progress_bar(quiet: bool, total: u64, message: String) -> ProgressBar {
    let bar = if quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} ticks, {elapsed} elapsed, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(message);
    bar
}

/// The last metrics row of a finished run.
fn last_row(app: &App) -> MetricsRow {
    app.world()
        .resource::<MetricsHistory>()
        .rows
        .last()
        .cloned()
        .unwrap_or_default()
}

/// Builds a world and runs every tick of it, advancing `bar` by one per tick.
pub fn simulate(scenario: &Scenario, bar: &ProgressBar, threads: usize) -> (App, RunInfo) {
    let start = Instant::now();
    let mut app = simulation_app(scenario.clone());
    let setup_seconds = start.elapsed().as_secs_f64();
    let total = app.world().resource::<Clock>().total_ticks;
    let sim_start = Instant::now();
    for _ in 0..total {
        app.world_mut().run_schedule(SimTick);
        bar.inc(1);
    }
    let info = RunInfo {
        setup_seconds,
        simulate_seconds: sim_start.elapsed().as_secs_f64(),
        threads,
    };
    (app, info)
}

fn run_once(scenario: &Scenario, args: &RunArgs, threads: usize) -> Result<()> {
    let bar = progress_bar(
        args.quiet,
        scenario.total_ticks() as u64,
        scenario.name.clone(),
    );
    let (app, info) = simulate(scenario, &bar, threads);
    bar.finish_and_clear();
    write_results(app.world(), &args.out, &info)?;
    if !args.quiet {
        let last = last_row(&app);
        let wall = info.setup_seconds + info.simulate_seconds;
        eprintln!(
            "{}: {} ticks, {} impressions in {:.2}s ({:.0} impressions/s); gini {:.3}, meritocracy {:.3}, note meritocracy {:.3}, influencer advantage {:.3}, newcomer breakthrough {:.3}\nresults in {}",
            scenario.name,
            scenario.total_ticks(),
            last.impressions,
            wall,
            last.impressions as f64 / wall.max(1e-9),
            last.gini_impressions,
            last.meritocracy,
            last.note_meritocracy,
            last.influencer_advantage,
            last.newcomer_breakthrough,
            args.out.display()
        );
    }
    Ok(())
}

/// The scenarios of `n` replicate worlds: one population (the scenario's population seed),
/// run seeds `seed..seed + n`.
pub fn replicate_scenarios(scenario: &Scenario, n: u32) -> Vec<Scenario> {
    let population_seed = scenario.population_seed();
    (0..n as u64)
        .map(|k| {
            let mut s = scenario.clone();
            s.seed = scenario.seed.wrapping_add(k);
            s.population_seed = Some(population_seed);
            s
        })
        .collect()
}

/// A finished replicate: its files and its last metrics row.
type Finished = (ResultSet, MetricsRow);

/// Runs `n` replicates, as many at once as there are threads (each also spreads its ticks over
/// the pool), and writes them with their summary as one result set.
fn run_replicates(
    scenario: &Scenario,
    args: &RunArgs,
    n: u32,
    pool: &rayon::ThreadPool,
) -> Result<()> {
    let scenarios = replicate_scenarios(scenario, n);
    let threads = pool.current_num_threads();
    let bar = progress_bar(
        args.quiet,
        scenario.total_ticks() as u64 * n as u64,
        format!("{} x{n}", scenario.name),
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<Result<Finished>>>> =
        (0..n).map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.min(n as usize) {
            scope.spawn(|| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(s) = scenarios.get(k) else { break };
                    let outcome = pool.install(|| {
                        let (app, info) = simulate(s, &bar, threads);
                        let last = last_row(&app);
                        run_files(app.world(), &info).map(|files| (files, last))
                    });
                    if let Ok(mut slot) = results[k].lock() {
                        *slot = Some(outcome);
                    }
                }
            });
        }
    });
    bar.finish_and_clear();
    let mut set = ResultSet::default();
    let mut finals = Vec::with_capacity(n as usize);
    for (k, slot) in results.into_iter().enumerate() {
        let outcome = slot
            .into_inner()
            .ok()
            .flatten()
            .ok_or_else(|| anyhow::anyhow!("replicate {k} did not finish"))?;
        let (files, last) = outcome?;
        set.nest(&format!("run-{k}"), files);
        finals.push(last);
    }
    set.add("replicates.csv", replicates_csv(&scenarios, &finals));
    let summary = replicates_summary(scenario, &scenarios, &finals);
    set.add("summary.json", serde_json::to_string_pretty(&summary)?);
    set.commit(&args.out)?;
    if !args.quiet {
        eprintln!("{}", replicates_table(&finals));
        eprintln!("results in {}", args.out.display());
    }
    Ok(())
}

/// One row per replicate: run, seed, then every final metric.
pub fn replicates_csv(scenarios: &[Scenario], finals: &[MetricsRow]) -> String {
    let names: Vec<&str> = MetricsRow::default().fields().iter().map(|f| f.0).collect();
    let mut out = format!("run,seed,{}\n", names.join(","));
    for (k, (s, row)) in scenarios.iter().zip(finals).enumerate() {
        let values: Vec<String> = row.fields().iter().map(|f| num(f.1)).collect();
        out.push_str(&format!("{k},{},{}\n", s.seed, values.join(",")));
    }
    out
}

/// Mean, sd and 95% CI of every final metric over the replicates.
pub fn replicates_summary(
    scenario: &Scenario,
    scenarios: &[Scenario],
    finals: &[MetricsRow],
) -> serde_json::Value {
    let names: Vec<&str> = MetricsRow::default().fields().iter().map(|f| f.0).collect();
    let mut metrics = serde_json::Map::new();
    for (i, name) in names.iter().enumerate() {
        let values: Vec<f64> = finals.iter().map(|r| r.fields()[i].1).collect();
        let e = estimate(&values);
        metrics.insert(
            name.to_string(),
            serde_json::json!({
                "n": e.n,
                "mean": json_num(e.mean),
                "sd": json_num(e.sd),
                "ci95_low": json_num(e.mean - e.ci95),
                "ci95_high": json_num(e.mean + e.ci95),
            }),
        );
    }
    serde_json::json!({
        "scenario": scenario.name,
        "policy": scenario.recommender.policy.name(),
        "replicates": scenarios.len(),
        "population_seed": scenario.population_seed(),
        "seeds": scenarios.iter().map(|s| s.seed).collect::<Vec<_>>(),
        "confidence": "95% interval of the mean, Student's t with n - 1 degrees of freedom",
        "metrics": serde_json::Value::Object(metrics),
    })
}

/// The main final metrics as mean ± 95% CI, for the terminal.
pub fn replicates_table(finals: &[MetricsRow]) -> String {
    let mut out = format!(
        "{:<24} {:>10} {:>10}  ({} replicates)\n",
        "metric",
        "mean",
        "± 95% CI",
        finals.len()
    );
    let names = [
        "gini_impressions",
        "meritocracy",
        "note_meritocracy",
        "influencer_advantage",
        "newcomer_breakthrough",
        "mean_satisfaction",
    ];
    let all = MetricsRow::default().fields();
    for name in names {
        let Some(i) = all.iter().position(|f| f.0 == name) else {
            continue;
        };
        let e = estimate(&finals.iter().map(|r| r.fields()[i].1).collect::<Vec<_>>());
        out.push_str(&format!("{name:<24} {:>10.4} {:>10.4}\n", e.mean, e.ci95));
    }
    out
}

/// Checks each file; prints every problem and returns an error when any file has one.
pub fn validate(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for file in files {
        match scenario::load(file).and_then(|s| check_memory(file, &s, 1).map(|_| s)) {
            Ok(s) => println!(
                "{}: ok ({}: {} viewers, {} creators, {} days, policy {}; memory {})",
                file.display(),
                s.name,
                s.viewers.count,
                s.creator_count(),
                s.days,
                s.recommender.policy,
                memory::estimate(&s)
            ),
            Err(e) => {
                failed += 1;
                eprintln!("{e}");
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of {} scenario file(s) have problems", files.len());
    }
    Ok(())
}
