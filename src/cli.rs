//! The command line: `feedlab run`, `feedlab validate` and `feedlab gui` (`compare`, `sweep` and
//! `merge` live in their own modules).

use crate::memory;
use crate::output::{run_files, write_results};
use crate::scenario::{self, PolicyKind, Scenario};
use anyhow::{Result, bail};
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

pub use crate::runs::{
    ScenarioOverrides, check_memory, last_row, load_scenario, progress_bar, replicate_scenarios,
    replicates_csv, replicates_set, replicates_summary, replicates_table, simulate,
};

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
    /// Run two policies on the same population and seeds; compare their final metrics.
    Compare(crate::compare::CompareArgs),
    /// Run a grid of parameter values times seeds (all cores, or one shard of it).
    Sweep(crate::sweep::SweepArgs),
    /// Join the folders of a sharded sweep into one.
    Merge(crate::sweep::MergeArgs),
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
    /// With --screenshot: write how fast the window ran (frames and ticks per second, mean and
    /// 95th-percentile frame time, time in the simulation and in the interface) to FILE as JSON.
    #[arg(long, value_name = "FILE", requires = "screenshot")]
    pub frame_stats: Option<PathBuf>,
    /// Open a sweep.csv (from `feedlab sweep` or `merge`) in the sweep view: heatmap or line plot.
    #[arg(long, value_name = "FILE")]
    pub sweep: Option<PathBuf>,
    /// The metric the sweep view shows first (default: gini_impressions).
    #[arg(long, value_name = "NAME", requires = "sweep")]
    pub sweep_metric: Option<String>,
    /// Two worlds side by side from the same population and seed, policy A on the left and B on
    /// the right: --compare traffic_pool,follower_feed.
    #[arg(long, value_name = "A,B", value_parser = policy_pair)]
    pub compare: Option<[PolicyKind; 2]>,
    /// With --compare A,B: one world under A until this simulated day, then forked; the copy
    /// continues under B on the right.
    #[arg(long, value_name = "D", requires = "compare")]
    pub fork_at_day: Option<f64>,
}

/// `A,B`: two different policy names.
pub fn policy_pair(arg: &str) -> Result<[PolicyKind; 2], String> {
    let names = || {
        PolicyKind::ALL
            .iter()
            .map(|p| p.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let parse = |name: &str| {
        PolicyKind::parse(name.trim())
            .ok_or_else(|| format!("unknown policy {name:?}, expected one of: {}", names()))
    };
    match arg.split(',').collect::<Vec<_>>()[..] {
        [a, b] => {
            let pair = [parse(a)?, parse(b)?];
            if pair[0] == pair[1] {
                return Err(format!(
                    "A and B are both {}; compare two different policies",
                    pair[0]
                ));
            }
            Ok(pair)
        }
        _ => Err(format!(
            "expected two policies, A,B (e.g. traffic_pool,follower_feed); got {arg:?}"
        )),
    }
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
    let pool = crate::batch::thread_pool(args.threads)?;
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
        let last = last_row(app.world());
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
    let outcomes = crate::batch::run_each(scenarios.len(), pool, |k| {
        let (app, info) = simulate(&scenarios[k], &bar, threads);
        let last = last_row(app.world());
        run_files(app.world(), &info).map(|files| (files, last))
    });
    bar.finish_and_clear();
    let runs = outcomes.into_iter().collect::<Result<Vec<_>>>()?;
    let (set, finals) = replicates_set(scenario, &scenarios, runs)?;
    set.commit(&args.out)?;
    if !args.quiet {
        eprintln!("{}", replicates_table(&finals));
        eprintln!("results in {}", args.out.display());
    }
    Ok(())
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
