//! The command line: `feedlab run`, `feedlab validate` and `feedlab gui`.

use crate::metrics::collector::MetricsHistory;
use crate::output::{RunInfo, write_results};
use crate::scenario::{
    self, PolicyKind, Scenario, ScenarioError, apply_override, parse_assignment,
};
use crate::sim::{Clock, SimTick, simulation_app};
use anyhow::{Result, bail};
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
    pub ticks: Option<u32>,
    /// Random seed (replaces the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Replace the scenario's policy by this one with its default parameters
    /// (traffic_pool, follower_feed, popularity, random, following, blend).
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
        s.recommender = s.recommender.with_default_policy(policy);
    }
    for assignment in &o.set {
        let fail = |message: String| ScenarioError::Override {
            assignment: assignment.clone(),
            message,
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
        if ticks == 0 {
            return Err(ScenarioError::Flag {
                flag: "--ticks".into(),
                message: "0 is out of range, expected 1 or more".into(),
            });
        }
        s.days = ticks as f64 * s.tick_minutes as f64 / 1440.0;
    }
    scenario::check(path, &s)?;
    Ok(s)
}

pub fn run(args: &RunArgs) -> Result<()> {
    let scenario = load_scenario(&args.scenario, &args.overrides)?;
    if args.out.exists() && !args.out.is_dir() {
        bail!(
            "--out {}: exists and is not a directory",
            args.out.display()
        );
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = args.threads {
        if n == 0 {
            bail!("--threads: expected 1 or more");
        }
        builder = builder.num_threads(n);
    }
    let pool = builder.build()?;
    pool.install(|| run_in_pool(&scenario, args, pool.current_num_threads()))
}

fn run_in_pool(scenario: &Scenario, args: &RunArgs, threads: usize) -> Result<()> {
    let start = Instant::now();
    let mut app = simulation_app(scenario.clone());
    let setup_seconds = start.elapsed().as_secs_f64();
    let total = app.world().resource::<Clock>().total_ticks;
    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total as u64)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} ticks, {elapsed} elapsed, {eta} left",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.set_message(scenario.name.clone());
    let sim_start = Instant::now();
    for _ in 0..total {
        app.world_mut().run_schedule(SimTick);
        bar.inc(1);
    }
    let simulate_seconds = sim_start.elapsed().as_secs_f64();
    bar.finish_and_clear();
    let info = RunInfo {
        setup_seconds,
        simulate_seconds,
        threads,
    };
    write_results(app.world(), &args.out, &info)?;
    if !args.quiet {
        let world = app.world();
        let last = world
            .resource::<MetricsHistory>()
            .rows
            .last()
            .cloned()
            .unwrap_or_default();
        let wall = setup_seconds + simulate_seconds;
        eprintln!(
            "{}: {} ticks, {} impressions in {:.2}s ({:.0} impressions/s); gini {:.3}, meritocracy {:.3}, influencer advantage {:.3}, newcomer breakthrough {:.3}\nresults in {}",
            scenario.name,
            total,
            last.impressions,
            wall,
            last.impressions as f64 / wall.max(1e-9),
            last.gini_impressions,
            last.meritocracy,
            last.influencer_advantage,
            last.newcomer_breakthrough,
            args.out.display()
        );
    }
    Ok(())
}

/// Checks each file; prints every problem and returns an error when any file has one.
pub fn validate(files: &[PathBuf]) -> Result<()> {
    let mut failed = 0;
    for file in files {
        match scenario::load(file) {
            Ok(s) => println!(
                "{}: ok ({}: {} viewers, {} creators, {} days, policy {})",
                file.display(),
                s.name,
                s.viewers.count,
                s.creator_count(),
                s.days,
                s.recommender.policy
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
