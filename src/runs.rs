//! What running a scenario takes, shared by `run`, `compare` and `sweep`: command-line changes to
//! a scenario, building and running a world with a progress bar, replicate seeds and their
//! summaries. Below the commands, so none of them imports another.

use crate::memory;
use crate::metrics::collector::{MetricsHistory, MetricsRow};
use crate::metrics::estimate;
use crate::output::{ResultSet, RunInfo, json_num, num};
use crate::scenario::{
    self, MAX_DAYS, PolicyKind, Scenario, ScenarioError, apply_override, parse_assignment,
};
use crate::sim::{Clock, SimTick};
use crate::simulation::{Simulation, simulation_app};
use anyhow::Result;
use bevy::app::App;
use bevy::ecs::world::World;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::Path;
use std::time::Instant;

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

pub fn progress_bar(quiet: bool, total: u64, message: String) -> ProgressBar {
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
pub fn last_row(world: &World) -> MetricsRow {
    world
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

/// Runs `scenario` to tick `fork_tick`, forks the world, switches the copy to policy `b`, and
/// runs both to the end (at once, on the pool this is called in): two worlds that are one world
/// up to the fork, the classroom's "same platform until today". Advances `bar` by one per tick
/// of either world. Returns the world that kept the scenario's policy, then the fork.
pub fn simulate_forked(
    scenario: &Scenario,
    b: PolicyKind,
    fork_tick: u32,
    bar: &ProgressBar,
    threads: usize,
) -> [(Simulation, RunInfo); 2] {
    let start = Instant::now();
    let mut a = Simulation::new(scenario);
    let setup_seconds = start.elapsed().as_secs_f64();
    let shared_start = Instant::now();
    for _ in 0..fork_tick.min(a.ticks_left()) {
        a.step();
        bar.inc(1);
    }
    let shared_seconds = shared_start.elapsed().as_secs_f64();
    let fork_start = Instant::now();
    let mut fork = a.fork();
    fork.edit(|s| s.recommender.policy = b);
    let fork_seconds = fork_start.elapsed().as_secs_f64();
    let finish = |sim: &mut Simulation| {
        let start = Instant::now();
        while sim.ticks_left() > 0 {
            sim.step();
            bar.inc(1);
        }
        start.elapsed().as_secs_f64()
    };
    let (a_seconds, b_seconds) = rayon::join(|| finish(&mut a), || finish(&mut fork));
    let info = |setup_seconds: f64, simulate_seconds: f64| RunInfo {
        setup_seconds,
        simulate_seconds,
        threads,
    };
    [
        (a, info(setup_seconds, shared_seconds + a_seconds)),
        (fork, info(fork_seconds, b_seconds)),
    ]
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

/// The result set of replicate runs of `scenario`: `run-K/` folders, replicates.csv and
/// summary.json, and the final metrics row of each run.
pub fn replicates_set(
    scenario: &Scenario,
    scenarios: &[Scenario],
    runs: Vec<(ResultSet, MetricsRow)>,
) -> Result<(ResultSet, Vec<MetricsRow>)> {
    let mut set = ResultSet::default();
    let mut finals = Vec::with_capacity(runs.len());
    for (k, (files, last)) in runs.into_iter().enumerate() {
        set.nest(&format!("run-{k}"), files);
        finals.push(last);
    }
    set.add("replicates.csv", replicates_csv(scenarios, &finals));
    let summary = replicates_summary(scenario, scenarios, &finals);
    set.add("summary.json", serde_json::to_string_pretty(&summary)?);
    Ok((set, finals))
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
