//! `feedlab compare`: two policies on the same population and the same run seeds, each run
//! written as `feedlab run` writes it, and `comparison.csv`: every final metric under A and B,
//! the difference B − A and, with replicates, its 95% confidence interval paired by seed.
//!
//! Pairing: replicate K of A and replicate K of B share the population seed and the run seed, so
//! they differ in the policy alone; the interval is Student's t on the K paired differences,
//! which is much narrower than comparing two independent means when seeds matter.
//!
//! With `--fork-at-day D` the two sides are one world up to day D: each replicate runs once
//! under A to day D, is forked, and the fork continues under B ("same platform until today;
//! from now on, another feed"). The pairing is the same: replicate K of B is the fork of
//! replicate K of A.

use crate::batch::{run_each, thread_pool};
use crate::metrics::collector::MetricsRow;
use crate::metrics::estimate;
use crate::output::RunInfo;
use crate::output::{ResultSet, num, run_files};
use crate::runs::simulate_forked;
use crate::runs::{
    ScenarioOverrides, check_memory, last_row, load_scenario, progress_bar, replicate_scenarios,
    replicates_set, simulate,
};
use crate::scenario::Scenario;
use crate::sim::Clock;
use anyhow::{Result, bail};
use bevy::ecs::world::World;
use clap::Args;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct CompareArgs {
    pub scenario: PathBuf,
    /// The two policies, A then B: --policy traffic_pool --policy follower_feed.
    #[arg(long = "policy", value_name = "POLICY", required = true)]
    pub policies: Vec<String>,
    /// Replicate worlds per policy (seeds seed..seed+N, one population); pairs A and B by seed.
    #[arg(long, value_name = "N")]
    pub replicates: Option<u32>,
    /// Simulated days to run (replaces the scenario's `days`).
    #[arg(long, conflicts_with = "ticks")]
    pub days: Option<f64>,
    /// Ticks to run instead of days.
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Random seed (replaces the scenario's `seed`).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Override any field, for both sides: --set viewers.count=4000 (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
    /// Run both sides as one world under A up to this simulated day, then fork it and let the
    /// copy continue under B. Both sides' metrics.csv agree row for row up to the fork.
    #[arg(long, value_name = "D")]
    pub fork_at_day: Option<f64>,
    /// Folder for A/, B/ (named after the policies) and comparison.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// Worker threads (default: all cores). Results are identical for any value.
    #[arg(long)]
    pub threads: Option<usize>,
    #[arg(long, short)]
    pub quiet: bool,
}

/// Metrics left out of the comparison: the clock, equal on both sides by construction.
const NOT_COMPARED: [&str; 2] = ["tick", "hours"];

/// One side of a comparison: its policy's scenario and the scenarios of its runs.
pub struct Side {
    pub scenario: Scenario,
    pub runs: Vec<Scenario>,
}

/// The two sides of `args`: the same scenario, changes and seeds, each with its policy.
pub fn sides(args: &CompareArgs) -> Result<[Side; 2]> {
    let [a, b] = args.policies.as_slice() else {
        bail!(
            "--policy: expected exactly two (A and B), got {}",
            args.policies.len()
        );
    };
    if a == b {
        bail!("--policy: A and B are both {a}; compare two different policies");
    }
    if args.replicates == Some(0) || args.replicates.is_some_and(|n| n > 10_000) {
        bail!("--replicates: expected 1..=10000");
    }
    let side = |policy: &str| -> Result<Side> {
        let overrides = ScenarioOverrides {
            days: args.days,
            ticks: args.ticks,
            seed: args.seed,
            policy: Some(policy.to_string()),
            set: args.set.clone(),
        };
        let scenario = load_scenario(&args.scenario, &overrides)?;
        let runs = replicate_scenarios(&scenario, args.replicates.unwrap_or(1));
        Ok(Side { scenario, runs })
    };
    Ok([side(a)?, side(b)?])
}

/// The tick a `--fork-at-day` falls on, checked to lie inside the run.
pub fn fork_tick(scenario: &Scenario, day: f64) -> Result<u32> {
    let clock = Clock::new(scenario);
    let days = clock.ticks_to_hours(clock.total_ticks) / 24.0;
    if !(day.is_finite() && day > 0.0 && day < days) {
        bail!(
            "--fork-at-day {day}: expected a day after the start and before the end (0 < D < {days})"
        );
    }
    let tick = clock.hours_to_ticks(day * 24.0);
    if tick == 0 || tick >= clock.total_ticks {
        bail!(
            "--fork-at-day {day}: falls on tick {tick}, outside 1..{}",
            clock.total_ticks
        );
    }
    Ok(tick)
}

/// What one run leaves for the comparison: its files and its final metrics.
type Outcome = Result<(ResultSet, MetricsRow)>;

fn outcome(world: &World, info: &RunInfo) -> Outcome {
    let last = last_row(world);
    run_files(world, info).map(|files| (files, last))
}

pub fn compare(args: &CompareArgs) -> Result<()> {
    let [a, b] = sides(args)?;
    let fork = args
        .fork_at_day
        .map(|day| fork_tick(&a.scenario, day))
        .transpose()?;
    let pool = thread_pool(args.threads)?;
    let threads = pool.current_num_threads();
    let n = a.runs.len();
    // As many worlds at once as there are threads; both sides share one population.
    check_memory(&args.scenario, &a.scenario, (2 * n).min(threads) as u32)?;
    let shared = fork.unwrap_or(0) as u64;
    let ticks =
        (a.scenario.total_ticks() as u64 + b.scenario.total_ticks() as u64 - shared) * n as u64;
    let bar = progress_bar(
        args.quiet,
        ticks,
        format!(
            "{}: {} vs {}",
            a.scenario.name, a.scenario.recommender.policy, b.scenario.recommender.policy
        ),
    );
    let outcomes: Vec<Outcome> = match fork {
        // Both sides in one queue, so every core stays busy until the last run.
        None => run_each(2 * n, &pool, |i| {
            let s = if i < n { &a.runs[i] } else { &b.runs[i - n] };
            let (app, info) = simulate(s, &bar, threads);
            outcome(app.world(), &info)
        }),
        // One job per replicate: the shared part once, then both sides.
        Some(tick) => {
            let policy = b.scenario.recommender.policy;
            let pairs = run_each(n, &pool, |i| {
                simulate_forked(&a.runs[i], policy, tick, &bar, threads)
                    .map(|(sim, info)| outcome(sim.world(), &info))
            });
            let (mut a_side, mut b_side) = (Vec::with_capacity(2 * n), Vec::with_capacity(n));
            for [x, y] in pairs {
                a_side.push(x);
                b_side.push(y);
            }
            a_side.append(&mut b_side);
            a_side
        }
    };
    bar.finish_and_clear();
    let mut outcomes = outcomes.into_iter().collect::<Result<Vec<_>>>()?;
    let b_runs = outcomes.split_off(n);
    let mut set = ResultSet::default();
    let mut finals = Vec::new();
    for (side, runs) in [(&a, outcomes), (&b, b_runs)] {
        let policy = side.scenario.recommender.policy.name();
        let (files, side_finals) = if args.replicates.is_some() {
            replicates_set(&side.scenario, &side.runs, runs)?
        } else {
            let (files, last) = runs.into_iter().next().expect("one run per side");
            (files, vec![last])
        };
        set.nest(policy, files);
        finals.push(side_finals);
    }
    let rows = comparison(&finals[0], &finals[1]);
    let names = [
        a.scenario.recommender.policy.name(),
        b.scenario.recommender.policy.name(),
    ];
    set.add("comparison.csv", comparison_csv(names, &rows));
    set.commit(&args.out)?;
    if !args.quiet {
        if let Some(day) = args.fork_at_day {
            eprintln!("one world under {} until day {day}, then forked", names[0]);
        }
        eprintln!("{}", comparison_table(names, &rows, n));
        eprintln!("results in {}", args.out.display());
    }
    Ok(())
}

/// One metric compared.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    pub metric: &'static str,
    /// Mean over A's runs and over B's runs (each over the runs with a value).
    pub a: f64,
    pub b: f64,
    /// Mean of the paired differences B − A (over seeds where both have a value).
    pub difference: f64,
    /// Half-width of the 95% CI of the mean paired difference (Student's t, pairs − 1 degrees of
    /// freedom); NaN below two pairs.
    pub ci95: f64,
    pub pairs: usize,
}

/// Every final metric of A's and B's runs, compared run K with run K.
pub fn comparison(a: &[MetricsRow], b: &[MetricsRow]) -> Vec<Compared> {
    let names = MetricsRow::default().fields();
    let column = |runs: &[MetricsRow], i: usize| -> Vec<f64> {
        runs.iter().map(|r| r.fields()[i].1).collect()
    };
    names
        .iter()
        .enumerate()
        .filter(|(_, (name, _))| !NOT_COMPARED.contains(name))
        .map(|(i, &(metric, _))| {
            let (xa, xb) = (column(a, i), column(b, i));
            let differences: Vec<f64> = xa
                .iter()
                .zip(&xb)
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|(x, y)| y - x)
                .collect();
            let d = estimate(&differences);
            Compared {
                metric,
                a: estimate(&xa).mean,
                b: estimate(&xb).mean,
                difference: d.mean,
                ci95: d.ci95,
                pairs: d.n,
            }
        })
        .collect()
}

pub fn comparison_csv(policies: [&str; 2], rows: &[Compared]) -> String {
    let mut out =
        String::from("metric,policy_a,policy_b,a,b,difference,ci95_low,ci95_high,pairs\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{}",
            r.metric,
            policies[0],
            policies[1],
            num(r.a),
            num(r.b),
            num(r.difference),
            num(r.difference - r.ci95),
            num(r.difference + r.ci95),
            r.pairs
        );
    }
    out
}

/// The main metrics for the terminal: A, B, B − A and its 95% interval.
pub fn comparison_table(policies: [&str; 2], rows: &[Compared], runs: usize) -> String {
    let shown = [
        "gini_impressions",
        "top10_share",
        "meritocracy",
        "note_meritocracy",
        "influencer_advantage",
        "newcomer_breakthrough",
        "engagement_rate",
        "mean_satisfaction",
    ];
    let interval = if runs > 1 {
        format!("95% CI, {runs} pairs")
    } else {
        "one run each".into()
    };
    let mut out = format!(
        "{:<22} {:>13} {:>13} {:>9}  {interval}\n",
        "metric", policies[0], policies[1], "B - A"
    );
    for r in rows.iter().filter(|r| shown.contains(&r.metric)) {
        let ci = if r.ci95.is_finite() {
            format!(
                "{:.4} .. {:.4}",
                r.difference - r.ci95,
                r.difference + r.ci95
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{:<22} {:>13.4} {:>13.4} {:>9.4}  {ci}",
            r.metric, r.a, r.b, r.difference
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(gini: f64, merit: f64) -> MetricsRow {
        MetricsRow {
            gini_impressions: gini,
            meritocracy: merit,
            ..Default::default()
        }
    }

    #[test]
    fn differences_are_paired_by_seed() {
        // A: 0.40, 0.50, 0.60; B: 0.45, 0.56, 0.64. Differences 0.05, 0.06, 0.04: mean 0.05,
        // sd 0.01, CI = 4.303 * 0.01 / sqrt(3) = 0.02484. Unpaired, the seeds' spread (0.1)
        // would swamp it.
        let a = [row(0.40, 0.1), row(0.50, f64::NAN), row(0.60, 0.3)];
        let b = [row(0.45, 0.2), row(0.56, 0.5), row(0.64, 0.3)];
        let rows = comparison(&a, &b);
        let gini = rows
            .iter()
            .find(|r| r.metric == "gini_impressions")
            .unwrap();
        assert!((gini.difference - 0.05).abs() < 1e-12);
        assert!((gini.ci95 - 4.303 * 0.01 / 3f64.sqrt()).abs() < 1e-9);
        assert_eq!(gini.pairs, 3);
        assert!((gini.a - 0.5).abs() < 1e-12 && (gini.b - 0.55).abs() < 1e-12);
        // a run without a value drops its pair
        let merit = rows.iter().find(|r| r.metric == "meritocracy").unwrap();
        assert_eq!(merit.pairs, 2);
        assert!((merit.difference - 0.05).abs() < 1e-12);
        assert!(
            rows.iter()
                .all(|r| r.metric != "tick" && r.metric != "hours")
        );
        let csv = comparison_csv(["x", "y"], &rows);
        assert!(
            csv.starts_with("metric,policy_a,policy_b,a,b,difference,ci95_low,ci95_high,pairs\n")
        );
        let line = csv
            .lines()
            .find(|l| l.starts_with("gini_impressions,"))
            .unwrap();
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[..4], ["gini_impressions", "x", "y", "0.5"], "{line}");
        assert_eq!(cells.len(), 9);
        assert_eq!(cells[8], "3");
        // one run each: no interval, empty cells rather than NaN
        let single = comparison_csv(["x", "y"], &comparison(&a[..1], &b[..1]));
        assert!(
            single.contains("\ngini_impressions,x,y,0.4,0.45,"),
            "{single}"
        );
        assert!(single.lines().all(|l| !l.contains("NaN")));
    }
}
