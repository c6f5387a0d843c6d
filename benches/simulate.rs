//! `cargo bench`: the bench scenario (1,000,000 users, 50,000 creators, one simulated day) under
//! each policy, reporting impressions per second end to end (population build included) and for
//! the ticks alone, and each policy's peak memory (on Linux: the process's high-water mark, reset
//! before each policy). `FEEDLAB_BENCH_POLICIES=random,traffic_pool` picks policies.
//!
//! Then the cost of history: baseline.ron for a week and for a year (`FEEDLAB_BENCH_LONG_DAYS`,
//! default 365; `0` skips it). Per-tick work follows the live notes, so a year should run at about
//! the speed of a week per impression.

use feedlab::scenario::{self, PolicyKind};
use feedlab::sim::{Clock, TickStats};
use feedlab::simulation::{run_ticks, simulation_app};
use std::path::Path;
use std::time::Instant;

fn main() {
    let base = scenario::load(Path::new("scenarios/bench.ron")).expect("scenarios/bench.ron loads");
    let wanted = std::env::var("FEEDLAB_BENCH_POLICIES").unwrap_or_else(|_| {
        "traffic_pool,follower_feed,popularity,predicted_engagement,random,following,blend".into()
    });
    println!(
        "{:<20} {:>12} {:>9} {:>9} {:>16} {:>16} {:>9}",
        "policy", "impressions", "setup s", "ticks s", "impr/s (e2e)", "impr/s (ticks)", "peak MiB"
    );
    for name in wanted.split(',') {
        let Some(policy) = PolicyKind::parse(name.trim()) else {
            eprintln!("unknown policy {name}");
            continue;
        };
        let mut s = base.clone();
        s.recommender.policy = policy;
        let peak_reset = reset_peak_memory();
        let start = Instant::now();
        let mut app = simulation_app(s);
        let setup = start.elapsed().as_secs_f64();
        let ticks = app.world().resource::<Clock>().total_ticks;
        let sim_start = Instant::now();
        run_ticks(&mut app, ticks);
        let simulate = sim_start.elapsed().as_secs_f64();
        let impressions = app.world().resource::<TickStats>().impressions as f64;
        let peak = peak_reset
            .then(feedlab::output::peak_memory_mib)
            .flatten()
            .map_or("-".to_string(), |m| format!("{m:.0}"));
        drop(app);
        println!(
            "{:<20} {:>12} {:>9.2} {:>9.2} {:>16.0} {:>16.0} {:>9}",
            policy.name(),
            impressions,
            setup,
            simulate,
            impressions / (setup + simulate),
            impressions / simulate,
            peak
        );
    }
    history();
}

/// Resets the process's peak resident memory (`VmHWM`) to what it holds now, so the next world's
/// peak is its own; false where that cannot be done (not Linux).
fn reset_peak_memory() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Impressions per second over a week of baseline and over a long run of it.
fn history() {
    let long: f64 = std::env::var("FEEDLAB_BENCH_LONG_DAYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(365.0);
    if long <= 0.0 {
        return;
    }
    let base =
        scenario::load(Path::new("scenarios/baseline.ron")).expect("scenarios/baseline.ron loads");
    println!(
        "\n{:<14} {:>12} {:>9} {:>16}",
        "baseline", "impressions", "ticks s", "impr/s (ticks)"
    );
    let mut rates = Vec::new();
    for days in [7.0, long] {
        let mut s = base.clone();
        s.days = days;
        let mut app = simulation_app(s);
        let ticks = app.world().resource::<Clock>().total_ticks;
        let start = Instant::now();
        run_ticks(&mut app, ticks);
        let simulate = start.elapsed().as_secs_f64();
        let impressions = app.world().resource::<TickStats>().impressions as f64;
        rates.push(impressions / simulate);
        println!(
            "{:<14} {:>12} {:>9.2} {:>16.0}",
            format!("{days} days"),
            impressions,
            simulate,
            impressions / simulate
        );
    }
    println!(
        "{long} days run at {:.2}x the speed of 7 days per impression",
        rates[1] / rates[0]
    );
}
