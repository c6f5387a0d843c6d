//! Sweeps, shards, merges and comparisons as a user runs them: a sweep's runs are replicates of
//! each grid point, shards merged are the sweep byte for byte whatever the thread count, reruns
//! skip what is done, a bad value fails its runs and nothing else, and a comparison pairs A and B
//! by seed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_feedlab");

fn feedlab(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("feedlab runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A tiny world: 1,000 viewers for half a day.
const TINY: [&str; 5] = [
    "scenarios/baseline.ron",
    "--days",
    "0.5",
    "--set",
    "viewers.count=1000",
];

/// A 2 x 2 grid of 2 seeds each.
const GRID: [&str; 6] = [
    "--vary",
    "recommender.traffic_pool.graduation_threshold=0.04..0.08:2",
    "--values",
    "recommender.policy=traffic_pool,popularity",
    "--seeds",
    "2",
];

fn sweep(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["sweep"];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(&GRID);
    args.extend_from_slice(&["--quiet", "--out", out.to_str().unwrap()]);
    args.extend_from_slice(extra);
    feedlab(&args)
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn shards_merged_equal_the_unsharded_sweep_byte_for_byte_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("whole");
    let o = sweep(&whole, &["--threads", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let table = text(&whole.join("sweep.csv"));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 1 + 8, "{table}");
    assert!(lines[0].starts_with(
        "recommender.traffic_pool.graduation_threshold,recommender.policy,seed,tick,hours,"
    ));
    // first axis slowest, seeds fastest
    assert!(
        lines[1].starts_with("0.04,traffic_pool,42,"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].starts_with("0.04,traffic_pool,43,"),
        "{}",
        lines[2]
    );
    assert!(lines[3].starts_with("0.04,popularity,42,"), "{}", lines[3]);
    assert!(lines[8].starts_with("0.08,popularity,43,"), "{}", lines[8]);

    let one_thread = dir.path().join("one-thread");
    assert!(sweep(&one_thread, &["--threads", "1"]).status.success());
    assert_eq!(files(&whole), files(&one_thread));

    let shards: Vec<PathBuf> = (0..3)
        .map(|i| dir.path().join(format!("shard-{i}")))
        .collect();
    for (i, shard) in shards.iter().enumerate() {
        let threads = if i == 1 { "2" } else { "1" };
        let o = sweep(shard, &["--shard", &format!("{i}/3"), "--threads", threads]);
        assert!(o.status.success(), "{}", stderr(&o));
        // 8 runs dealt round-robin: 3, 3 and 2
        let rows = text(&shard.join("sweep.csv")).lines().count() - 1;
        assert_eq!(rows, if i == 2 { 2 } else { 3 });
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge", "--quiet"];
    // any order of folders gives the same result
    for s in shards.iter().rev() {
        args.push(s.to_str().unwrap());
    }
    args.extend_from_slice(&["--out", merged.to_str().unwrap()]);
    let o = feedlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(files(&merged), files(&whole));

    // Two shards of three leave runs out: merge writes what it has and says what is missing.
    let partial = dir.path().join("partial");
    let o = feedlab(&[
        "merge",
        "--quiet",
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
        "--out",
        partial.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("2 of 8 runs are in none of the folders"),
        "{}",
        stderr(&o)
    );
    assert_eq!(text(&partial.join("sweep.csv")).lines().count(), 1 + 6);
}

#[test]
fn a_sweep_point_runs_the_replicates_of_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let swept = dir.path().join("sweep");
    assert!(sweep(&swept, &[]).status.success());
    // The point graduation_threshold=0.08, popularity with seeds 42 and 43 is `feedlab run
    // --replicates 2` with those values: same population, same run seeds, same numbers.
    let replicates = dir.path().join("replicates");
    let mut args = vec!["run"];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(&[
        "--set",
        "recommender.traffic_pool.graduation_threshold=0.08",
        "--policy",
        "popularity",
        "--replicates",
        "2",
        "--quiet",
        "--out",
        replicates.to_str().unwrap(),
    ]);
    let o = feedlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let expected: Vec<String> = text(&replicates.join("replicates.csv"))
        .lines()
        .skip(1)
        .map(|l| l.split_once(',').unwrap().1.to_string()) // drop `run`
        .collect();
    let got: Vec<String> = text(&swept.join("sweep.csv"))
        .lines()
        .filter_map(|l| l.strip_prefix("0.08,popularity,").map(str::to_string))
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn reruns_skip_finished_runs_and_a_bad_value_fails_only_its_own_runs() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let bad = |extra: &[&str]| {
        let mut args = vec!["sweep"];
        args.extend_from_slice(&TINY);
        args.extend_from_slice(&[
            "--vary",
            "behaviour.like=0.5..1.5:3",
            "--seeds",
            "2",
            "--out",
            out.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        feedlab(&args)
    };
    let o = bad(&[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("2 of 6 runs failed"), "{err}");
    assert!(err.contains("p2-seed42 (behaviour.like=1.5)"), "{err}");
    assert!(err.contains("1.5 is not a probability"), "{err}");
    let table = text(&out.join("sweep.csv"));
    assert_eq!(table.lines().count(), 1 + 4, "{table}");
    assert!(table.lines().all(|l| !l.starts_with("1.5,")));

    // A rerun runs only what is not done: here the failed runs again, and one removed file.
    std::fs::remove_file(out.join("runs/p1-seed43.csv")).unwrap();
    let o = bad(&[]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("6 runs: 1 run now"), "{err}");
    assert!(err.contains("3 done before, 2 failed"), "{err}");
    assert_eq!(text(&out.join("sweep.csv")), table);
    // No temporary files are left behind.
    for name in std::fs::read_dir(out.join("runs")).unwrap() {
        let name = name.unwrap().file_name().to_string_lossy().into_owned();
        assert!(name.ends_with(".csv") && !name.starts_with('.'), "{name}");
    }

    // Another sweep into the same folder is refused, and so is a misspelt path, before any run.
    let o = bad(&["--seed", "7"]);
    assert!(
        stderr(&o).contains("holds a different sweep (its seeds"),
        "{}",
        stderr(&o)
    );
    let mut args = vec!["sweep"];
    args.extend_from_slice(&TINY);
    let fresh = dir.path().join("fresh");
    args.extend_from_slice(&[
        "--vary",
        "behaviour.lik=0..1:2",
        "--out",
        fresh.to_str().unwrap(),
    ]);
    let o = feedlab(&args);
    assert!(
        stderr(&o).contains("unknown field `lik` in `behaviour`"),
        "{}",
        stderr(&o)
    );
    assert!(!fresh.exists());
}

/// Column `name` of a CSV text, as numbers.
fn column(csv: &str, name: &str) -> Vec<f64> {
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let i = header.iter().position(|c| *c == name).unwrap();
    csv.lines()
        .skip(1)
        .map(|l| l.split(',').nth(i).unwrap().parse().unwrap())
        .collect()
}

#[test]
fn a_comparison_writes_both_sides_and_pairs_their_difference_by_seed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("compare");
    let mut args = vec!["compare"];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(&[
        "--policy",
        "traffic_pool",
        "--policy",
        "follower_feed",
        "--replicates",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    let o = feedlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    // The printed table names both policies and the interval.
    let err = stderr(&o);
    assert!(
        err.contains("traffic_pool")
            && err.contains("follower_feed")
            && err.contains("95% CI, 3 pairs"),
        "{err}"
    );

    // Each side is exactly `feedlab run --policy P --replicates 3`.
    for policy in ["traffic_pool", "follower_feed"] {
        let alone = dir.path().join(policy);
        let mut run = vec!["run"];
        run.extend_from_slice(&TINY);
        run.extend_from_slice(&[
            "--policy",
            policy,
            "--replicates",
            "3",
            "--quiet",
            "--out",
            alone.to_str().unwrap(),
        ]);
        assert!(feedlab(&run).status.success());
        assert_eq!(
            std::fs::read(out.join(policy).join("replicates.csv")).unwrap(),
            std::fs::read(alone.join("replicates.csv")).unwrap()
        );
        assert!(out.join(policy).join("run-2").join("notes.csv").is_file());
    }
    let a = text(&out.join("traffic_pool/replicates.csv"));
    let b = text(&out.join("follower_feed/replicates.csv"));
    let comparison = text(&out.join("comparison.csv"));
    assert!(
        comparison
            .starts_with("metric,policy_a,policy_b,a,b,difference,ci95_low,ci95_high,pairs\n")
    );
    for metric in [
        "gini_impressions",
        "note_meritocracy",
        "influencer_advantage",
    ] {
        let diffs: Vec<f64> = column(&a, metric)
            .iter()
            .zip(column(&b, metric))
            .map(|(x, y)| y - x)
            .collect();
        let mean = diffs.iter().sum::<f64>() / 3.0;
        let sd = (diffs.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
        let half = 4.303 * sd / 3f64.sqrt();
        let line = comparison
            .lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .unwrap();
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells[1..3], ["traffic_pool", "follower_feed"]);
        let cell = |i: usize| cells[i].parse::<f64>().unwrap();
        assert!((cell(5) - mean).abs() < 1e-9, "{line}");
        assert!((cell(6) - (mean - half)).abs() < 1e-9, "{line}");
        assert!((cell(7) - (mean + half)).abs() < 1e-9, "{line}");
        assert_eq!(cells[8], "3");
    }

    // Without replicates: one run per side with its usual files, and no interval.
    let single = dir.path().join("single");
    let mut args = vec!["compare"];
    args.extend_from_slice(&TINY);
    args.extend_from_slice(&[
        "--policy",
        "random",
        "--policy",
        "popularity",
        "--quiet",
        "--out",
        single.to_str().unwrap(),
    ]);
    let o = feedlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    for side in ["random", "popularity"] {
        for file in [
            "metrics.csv",
            "creators.csv",
            "notes.csv",
            "funnel.csv",
            "summary.json",
        ] {
            assert!(single.join(side).join(file).is_file(), "{side}/{file}");
        }
    }
    let line = text(&single.join("comparison.csv"))
        .lines()
        .find(|l| l.starts_with("gini_impressions,"))
        .unwrap()
        .to_string();
    assert!(line.ends_with(",,,1"), "{line}");

    // One policy, or the same one twice, is refused.
    let refused = dir.path().join("refused");
    for policies in [
        vec!["--policy", "random"],
        vec!["--policy", "random", "--policy", "random"],
    ] {
        let mut args = vec!["compare"];
        args.extend_from_slice(&TINY);
        args.extend_from_slice(&policies);
        args.extend_from_slice(&["--out", refused.to_str().unwrap()]);
        let o = feedlab(&args);
        assert!(!o.status.success());
        assert!(stderr(&o).contains("--policy"), "{}", stderr(&o));
    }
}

#[test]
fn a_forked_comparison_is_one_world_until_the_fork_day_and_two_after() {
    let dir = tempfile::tempdir().unwrap();
    let compare = |out: &Path, extra: &[&str]| {
        let mut args = vec!["compare"];
        args.extend_from_slice(&TINY);
        args.extend_from_slice(&[
            "--policy",
            "traffic_pool",
            "--policy",
            "follower_feed",
            "--replicates",
            "2",
            "--quiet",
            "--out",
            out.to_str().unwrap(),
        ]);
        args.extend_from_slice(extra);
        feedlab(&args)
    };
    let forked = dir.path().join("forked");
    let o = compare(&forked, &["--fork-at-day", "0.25"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for run in ["run-0", "run-1"] {
        let a = text(&forked.join("traffic_pool").join(run).join("metrics.csv"));
        let b = text(&forked.join("follower_feed").join(run).join("metrics.csv"));
        let hours = column(&a, "hours");
        assert_eq!(hours, column(&b, "hours"));
        let (mut before, mut after_differ) = (0, 0);
        for ((h, x), y) in hours.iter().zip(a.lines().skip(1)).zip(b.lines().skip(1)) {
            if *h <= 6.0 {
                assert_eq!(
                    x, y,
                    "{run}: rows before the fork (day 0.25 = hour 6) differ"
                );
                before += 1;
            } else if x != y {
                after_differ += 1;
            }
        }
        assert!(before >= 6, "{run}: only {before} rows before the fork");
        assert!(
            after_differ > 0,
            "{run}: the sides never diverged after the fork"
        );
    }
    // The same bytes whatever the thread count (the two sides finish at once on the pool).
    let csvs = |dir: &Path| {
        let mut all = files(dir);
        all.retain(|path, _| path.extension().is_some_and(|e| e == "csv"));
        all
    };
    for threads in ["1", "3"] {
        let again = dir.path().join(format!("threads-{threads}"));
        let o = compare(&again, &["--fork-at-day", "0.25", "--threads", threads]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(
            csvs(&again) == csvs(&forked),
            "--threads {threads} changed the CSVs"
        );
    }
    // The side that kept its policy is the unforked run, byte for byte.
    let plain = dir.path().join("plain");
    assert!(compare(&plain, &[]).status.success());
    for file in ["replicates.csv", "run-0/metrics.csv", "run-1/notes.csv"] {
        assert_eq!(
            std::fs::read(forked.join("traffic_pool").join(file)).unwrap(),
            std::fs::read(plain.join("traffic_pool").join(file)).unwrap(),
            "{file}"
        );
    }
    assert_ne!(
        text(&forked.join("follower_feed/replicates.csv")),
        text(&plain.join("follower_feed/replicates.csv")),
        "forking at day 0.25 changed nothing on B's side"
    );
    // Paired by seed: replicate K of B is the fork of replicate K of A.
    let a = text(&forked.join("traffic_pool/replicates.csv"));
    let b = text(&forked.join("follower_feed/replicates.csv"));
    assert_eq!(column(&a, "seed"), column(&b, "seed"));
    let comparison = text(&forked.join("comparison.csv"));
    for metric in ["gini_impressions", "influencer_advantage"] {
        let diffs: Vec<f64> = column(&a, metric)
            .iter()
            .zip(column(&b, metric))
            .map(|(x, y)| y - x)
            .collect();
        let mean = (diffs[0] + diffs[1]) / 2.0;
        // Two pairs: t = 12.706 with one degree of freedom, sd = |d0 - d1| / sqrt(2).
        let half = 12.706 * (diffs[0] - diffs[1]).abs() / 2f64.sqrt() / 2f64.sqrt();
        let line = comparison
            .lines()
            .find(|l| l.starts_with(&format!("{metric},")))
            .unwrap();
        let cells: Vec<f64> = line
            .split(',')
            .skip(3)
            .map(|c| c.parse().unwrap())
            .collect();
        assert!((cells[2] - mean).abs() < 1e-9, "{line}");
        assert!(
            (cells[4] - (mean + half)).abs() < 1e-6 * half.max(1.0),
            "{line}"
        );
    }
    // A fork day outside the run is refused with the flag's name.
    for day in ["0", "0.5", "7", "nan"] {
        let o = compare(&dir.path().join("refused"), &["--fork-at-day", day]);
        assert!(!o.status.success(), "--fork-at-day {day} accepted");
        assert!(stderr(&o).contains("--fork-at-day"), "{}", stderr(&o));
    }
}
