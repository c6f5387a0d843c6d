//! The command line as a user meets it: results on disk, identical bytes for identical runs
//! (whatever the thread count or core count), and clear errors that leave nothing behind.

use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_feedlab");
const OUTPUTS: [&str; 5] = [
    "metrics.csv",
    "creators.csv",
    "notes.csv",
    "funnel.csv",
    "summary.json",
];

fn feedlab(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("feedlab runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn small_run(out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "scenarios/baseline.ron",
        "--days",
        "1",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    feedlab(&args)
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_run_writes_every_output_with_the_documented_columns() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    let o = small_run(&out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in OUTPUTS {
        assert!(out.join(name).is_file(), "{name} missing");
    }
    let header = |name: &str| {
        String::from_utf8(read(&out, name))
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .to_string()
    };
    let metrics = header("metrics.csv");
    for column in [
        "tick",
        "hours",
        "active_viewers",
        "impressions",
        "engagements",
        "engagement_rate",
        "gini_impressions",
        "gini_followers",
        "top1_share",
        "top10_share",
        "meritocracy",
        "influencer_advantage",
        "newcomer_breakthrough",
    ] {
        assert!(
            metrics.split(',').any(|c| c == column),
            "metrics.csv lacks {column}: {metrics}"
        );
    }
    assert!(header("creators.csv").starts_with(
        "id,archetype,skill,initial_followers,followers,posts,impressions,likes,comments,saves,shares,max_stage"
    ));
    let notes = header("notes.csv");
    for column in [
        "id",
        "creator_id",
        "created_hours",
        "appeal",
        "format",
        "max_stage",
        "impressions",
        "reach",
        "likes",
        "comments",
        "saves",
        "shares",
        "follows",
        "quick_scrolls",
        "stop_reason",
    ] {
        assert!(
            notes.split(',').any(|c| c == column),
            "notes.csv lacks {column}"
        );
    }
    let metrics_text = String::from_utf8(read(&out, "metrics.csv")).unwrap();
    assert_eq!(
        metrics_text.lines().count(),
        1 + 24,
        "one row per simulated hour"
    );
    let summary: serde_json::Value = serde_json::from_slice(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["scenario"], "baseline");
    assert_eq!(summary["seed"], 42);
    assert_eq!(summary["ticks"], 144);
    assert!(summary["impressions_per_sec"].as_f64().unwrap() > 0.0);
    assert!(summary["wall_seconds"].as_f64().unwrap() > 0.0);
    let last_row: Vec<&str> = metrics_text.lines().last().unwrap().split(',').collect();
    let names: Vec<&str> = metrics.split(',').collect();
    let gini = last_row[names.iter().position(|c| *c == "gini_impressions").unwrap()]
        .parse::<f64>()
        .unwrap();
    assert_eq!(summary["final"]["gini_impressions"].as_f64().unwrap(), gini);
    assert_eq!(summary["final"]["tick"], 144.0);
}

#[test]
fn same_scenario_and_seed_give_identical_bytes_on_one_or_two_threads_and_one_core() {
    let dir = tempfile::tempdir().unwrap();
    let runs = [
        ("a", vec!["--threads", "2"]),
        ("b", vec!["--threads", "2"]),
        ("c", vec!["--threads", "1"]),
    ];
    for (name, extra) in &runs {
        let o = small_run(&dir.path().join(name), extra);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // Pinned to one core, as `taskset -c 0` does, when the machine has taskset.
    let pinned = dir.path().join("pinned");
    let taskset = Command::new("taskset")
        .args([
            "-c",
            "0",
            BIN,
            "run",
            "scenarios/baseline.ron",
            "--days",
            "1",
            "--quiet",
            "--out",
            pinned.to_str().unwrap(),
        ])
        .output();
    let mut compare = vec!["b", "c"];
    if taskset.as_ref().is_ok_and(|o| o.status.success()) {
        compare.push("pinned");
    }
    for name in ["metrics.csv", "creators.csv", "notes.csv", "funnel.csv"] {
        let reference = read(&dir.path().join("a"), name);
        assert!(reference.len() > 100, "{name} is nearly empty");
        for other in &compare {
            assert!(
                reference == read(&dir.path().join(other), name),
                "{name} differs between run a and run {other}"
            );
        }
    }
    // A different seed must change the results (the comparison above can fail).
    let other_seed = dir.path().join("seed7");
    assert!(small_run(&other_seed, &["--seed", "7"]).status.success());
    assert_ne!(
        read(&dir.path().join("a"), "notes.csv"),
        read(&other_seed, "notes.csv")
    );
}

fn scenario_file(dir: &Path, text: &str) -> String {
    let path = dir.join("bad.ron");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// Runs a scenario expected to fail: non-zero exit, message with all `needles`, no output.
fn expect_failure(args: &[&str], out: &Path, needles: &[&str]) {
    let o = feedlab(args);
    let err = stderr(&o);
    assert!(!o.status.success(), "expected failure for {args:?}");
    assert!(!err.contains("panicked"), "panic: {err}");
    for needle in needles {
        assert!(err.contains(needle), "error lacks `{needle}`:\n{err}");
    }
    assert!(
        !out.exists(),
        "output directory was created for a failed run"
    );
}

#[test]
fn broken_unknown_and_out_of_range_scenarios_get_clear_errors_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();

    let broken = scenario_file(
        dir.path(),
        "(\n  name: \"x\",\n  days: 2.0\n  seed: 3,\n)\n",
    );
    expect_failure(
        &["run", &broken, "--out", o],
        &out,
        &["bad.ron:4:", "Expected"],
    );

    let unknown = scenario_file(
        dir.path(),
        "(\n  name: \"x\",\n  viewers: (count: 100, sesions_per_day: 3.0),\n)\n",
    );
    expect_failure(
        &["run", &unknown, "--out", o],
        &out,
        &[
            "bad.ron:3:",
            "viewers",
            "sesions_per_day",
            "sessions_per_day",
        ],
    );

    let out_of_range = scenario_file(
        dir.path(),
        "(\n  tick_minutes: 0,\n  behaviour: (like: 1.5),\n  viewers: (count: 0),\n  recommender: (traffic_pool: (graduation_threshold: -0.1)),\n)\n",
    );
    expect_failure(
        &["run", &out_of_range, "--out", o],
        &out,
        &[
            "tick_minutes: 0 is out of range, expected 1..=1440",
            "behaviour.like: 1.5 is not a probability, expected 0..=1",
            "viewers.count: 0 is out of range",
            "recommender.traffic_pool.graduation_threshold",
        ],
    );

    let huge = scenario_file(
        dir.path(),
        "(viewers: (count: 25000000), creators: [(archetype: influencer, count: 1000, followers: Fixed(20000000.0))])",
    );
    expect_failure(
        &["run", &huge, "--out", o],
        &out,
        &["population too large for memory"],
    );

    expect_failure(
        &["run", "scenarios/does-not-exist.ron", "--out", o],
        &out,
        &["does-not-exist.ron", "no such file"],
    );
    expect_failure(
        &[
            "run",
            "scenarios/baseline.ron",
            "--set",
            "recommender.folowing_share=0.3",
            "--out",
            o,
        ],
        &out,
        &["unknown field `folowing_share`", "following_share"],
    );
    expect_failure(
        &[
            "run",
            "scenarios/baseline.ron",
            "--set",
            "recommender.following_share=2",
            "--out",
            o,
        ],
        &out,
        &["recommender.following_share: 2 is not a probability"],
    );
    expect_failure(
        &[
            "run",
            "scenarios/baseline.ron",
            "--policy",
            "chronological",
            "--out",
            o,
        ],
        &out,
        &["unknown policy", "traffic_pool"],
    );
}

#[test]
fn validate_reports_every_problem_in_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = scenario_file(
        dir.path(),
        "(topics: 0, viewers: (interests: 5), creators: [])",
    );
    let o = feedlab(&["validate", "scenarios/baseline.ron", &bad]);
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("baseline.ron: ok"));
    for needle in [
        "3 problem(s)",
        "topics: 0",
        "viewers.interests: 5",
        "creators: no creator groups",
    ] {
        assert!(err.contains(needle), "lacks `{needle}`:\n{err}");
    }
}

#[test]
fn every_shipped_scenario_is_valid() {
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    let o = feedlab(&args);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn policy_and_ticks_errors_name_their_own_option() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    let o = out.to_str().unwrap();
    let base = ["run", "scenarios/baseline.ron", "--out", o];

    let mut args = base.to_vec();
    args.extend(["--policy", "bogus"]);
    expect_failure(
        &args,
        &out,
        &["error: --policy bogus: unknown policy, expected one of: traffic_pool, follower_feed"],
    );
    assert!(!stderr(&feedlab(&args)).contains("--set"));

    let mut args = base.to_vec();
    args.extend(["--ticks", "0"]);
    expect_failure(
        &args,
        &out,
        &["error: --ticks: 0 is out of range, expected 1 or more"],
    );
    assert!(!stderr(&feedlab(&args)).contains("days"));
}

#[test]
fn oversized_files_strings_and_values_get_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.ron");
    std::fs::write(&big, " ".repeat(5 << 20)).unwrap();
    let long = dir.path().join("long.ron");
    let text = format!("(\n  name: \"{}\",\n)\n", "\\n".repeat(1_000_000));
    std::fs::write(&long, text).unwrap();
    let o = feedlab(&["validate", big.to_str().unwrap(), long.to_str().unwrap()]);
    let err = stderr(&o);
    assert!(!o.status.success());
    for needle in [
        "big.ron: scenario file is 5242880 bytes, over the limit of 4194304 bytes (4 MiB)",
        "long.ron:2:9: string is 2000000 bytes long, over the limit of 65536 bytes (64 KiB)",
    ] {
        assert!(err.contains(needle), "lacks `{needle}`:\n{err}");
    }

    let out = dir.path().join("never");
    let value = format!("name={}", "x".repeat(100_000));
    expect_failure(
        &[
            "run",
            "scenarios/baseline.ron",
            "--set",
            &value,
            "--out",
            out.to_str().unwrap(),
        ],
        &out,
        &["the value is 100000 bytes, over the limit of 65536 bytes (64 KiB)"],
    );
}
