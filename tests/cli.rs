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
        "note_meritocracy",
        "influencer_advantage",
        "newcomer_breakthrough",
        "notes_share_spammer",
        "impressions_share_influencer",
        "mean_skill_newcomer",
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
        "pool_stage",
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
        &[
            "too large for memory: the run needs about ",
            " GiB at its peak (while the starting follow graph is built)",
            "12,500,000,000 follows drawn",
            "fewer initial followers",
        ],
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
        .chain(
            std::fs::read_dir("scenarios/lessons")
                .unwrap()
                .map(|e| e.unwrap().path()),
        )
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

/// A baseline run of `days` into `out`.
fn run_days(out: &Path, days: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "run",
        "scenarios/baseline.ron",
        "--days",
        days,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    feedlab(&args)
}

fn text(dir: &Path, name: &str) -> String {
    String::from_utf8(read(dir, name)).unwrap()
}

#[test]
fn replicates_share_a_population_and_report_confidence_intervals() {
    let dir = tempfile::tempdir().unwrap();
    let run = |name: &str, threads: &str| {
        let out = dir.path().join(name);
        let o = run_days(&out, "0.5", &["--replicates", "3", "--threads", threads]);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let out = run("a", "2");
    for k in 0..3 {
        for name in OUTPUTS {
            assert!(
                out.join(format!("run-{k}")).join(name).is_file(),
                "run-{k}/{name}"
            );
        }
        let summary: serde_json::Value =
            serde_json::from_slice(&read(&out.join(format!("run-{k}")), "summary.json")).unwrap();
        assert_eq!(summary["seed"], 42 + k);
        assert_eq!(summary["population_seed"], 42);
    }
    // Same people at the start of every replicate (400 creators), different events (and the
    // newcomers who arrive later differ, as arrivals are events).
    let people = |k: usize| -> Vec<String> {
        text(&out.join(format!("run-{k}")), "creators.csv")
            .lines()
            .take(401)
            .map(|l| l.split(',').take(4).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(people(0), people(1));
    assert_eq!(people(0), people(2));
    assert_ne!(
        read(&out.join("run-0"), "metrics.csv"),
        read(&out.join("run-1"), "metrics.csv")
    );
    let table = text(&out, "replicates.csv");
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 4, "{table}");
    assert!(lines[0].starts_with("run,seed,tick,"));
    assert!(lines[2].starts_with("1,43,"));
    let summary: serde_json::Value = serde_json::from_slice(&read(&out, "summary.json")).unwrap();
    assert_eq!(summary["replicates"], 3);
    let column = |name: &str| -> Vec<f64> {
        let names: Vec<&str> = lines[0].split(',').collect();
        let i = names.iter().position(|c| *c == name).unwrap();
        lines[1..]
            .iter()
            .map(|l| l.split(',').nth(i).unwrap().parse().unwrap())
            .collect()
    };
    let gini = column("gini_impressions");
    let mean = gini.iter().sum::<f64>() / 3.0;
    let m = &summary["metrics"]["gini_impressions"];
    assert!((m["mean"].as_f64().unwrap() - mean).abs() < 1e-12);
    let sd = (gini.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / 2.0).sqrt();
    assert!((m["sd"].as_f64().unwrap() - sd).abs() < 1e-12);
    let half = 4.303 * sd / 3f64.sqrt();
    assert!((m["ci95_high"].as_f64().unwrap() - (mean + half)).abs() < 1e-9);
    assert!((m["ci95_low"].as_f64().unwrap() - (mean - half)).abs() < 1e-9);
    // The same bytes whatever the thread count.
    let again = run("b", "1");
    assert_eq!(read(&out, "replicates.csv"), read(&again, "replicates.csv"));
    for k in 0..3 {
        for name in ["metrics.csv", "creators.csv", "notes.csv", "funnel.csv"] {
            let sub = format!("run-{k}");
            assert_eq!(
                read(&out.join(&sub), name),
                read(&again.join(&sub), name),
                "{sub}/{name}"
            );
        }
    }
}

#[test]
fn a_policy_flag_changes_the_policy_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let summary = |policy: &str| {
        let out = dir.path().join(policy);
        let o = feedlab(&[
            "run",
            "scenarios/traffic_pool.ron",
            "--days",
            "0.2",
            "--quiet",
            "--policy",
            policy,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&read(&out, "summary.json")).unwrap()
    };
    let (pool, random) = (summary("traffic_pool"), summary("random"));
    assert_eq!(random["policy"], "random");
    assert_eq!(pool["ladder"], random["ladder"]);
    assert_eq!(pool["ladder"]["cold_start"], 100);
}

#[test]
fn a_results_folder_holds_one_complete_run_or_none() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("results");
    // Replicates first, then a single run into the same folder: nothing of the first is left.
    let o = run_days(&out, "0.1", &["--replicates", "2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("run-1").is_dir());
    let o = run_days(&out, "0.1", &["--seed", "5"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = OUTPUTS.iter().map(|s| s.to_string()).collect();
    expected.sort();
    assert_eq!(names, expected);
    // A folder with files feedlab did not write is refused, and left as it was.
    let mine = dir.path().join("mine");
    std::fs::create_dir_all(&mine).unwrap();
    std::fs::write(mine.join("thesis.tex"), "keep me").unwrap();
    let o = run_days(&mine, "0.1", &[]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("thesis.tex"), "{}", stderr(&o));
    assert_eq!(std::fs::read_dir(&mine).unwrap().count(), 1);
    // Where a file name is taken by a folder, the run still lands whole and leaves no temporaries.
    let odd = dir.path().join("odd");
    std::fs::create_dir_all(odd.join("metrics.csv")).unwrap();
    let o = run_days(&odd, "0.1", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(odd.join("metrics.csv").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn numbers_that_cannot_be_computed_are_empty_cells_never_nan_or_negative_rates() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = run_days(&out, "0.3", &["--set", "sample_every_hours=0.0001"]);
    assert!(o.status.success(), "{}", stderr(&o));
    for name in ["metrics.csv", "notes.csv", "funnel.csv", "creators.csv"] {
        let t = text(&out, name);
        let bad = t
            .lines()
            .flat_map(|l| l.split(','))
            .any(|c| matches!(c.to_ascii_lowercase().as_str(), "nan" | "inf" | "-inf"));
        assert!(!bad, "{name}");
    }
    let metrics = text(&out, "metrics.csv");
    let names: Vec<&str> = metrics.lines().next().unwrap().split(',').collect();
    let merit = names.iter().position(|c| *c == "meritocracy").unwrap();
    let impressions = names.iter().position(|c| *c == "impressions").unwrap();
    let first: Vec<&str> = metrics.lines().nth(1).unwrap().split(',').collect();
    // The first tick serves the viewers who open the app at once.
    assert!(first[impressions].parse::<u64>().unwrap() > 0, "{first:?}");
    assert!(
        metrics
            .lines()
            .skip(1)
            .all(|l| l.split(',').count() == names.len())
    );
    let _ = merit;
    let funnel = text(&out, "funnel.csv");
    let rate = funnel
        .lines()
        .next()
        .unwrap()
        .split(',')
        .position(|c| c == "engagement_rate")
        .unwrap();
    for line in funnel.lines().skip(1) {
        let v: f64 = line.split(',').nth(rate).unwrap().parse().unwrap();
        assert!(v >= 0.0, "{line}");
    }
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
        &[
            "error: --policy bogus: unknown policy, expected one of: traffic_pool, predicted_engagement, follower_feed",
        ],
    );
    assert!(!stderr(&feedlab(&args)).contains("--set"));

    for ticks in ["0", "525601", "4294967296"] {
        let mut args = base.to_vec();
        args.extend(["--ticks", ticks]);
        expect_failure(
            &args,
            &out,
            &[&format!(
                "error: --ticks: {ticks} is out of range, expected 1..=525600 (3650 days of 10-minute ticks)"
            )],
        );
    }
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
    // A long value is echoed by its ends, not whole: the message stays readable.
    for value in [
        format!("name={}", "x".repeat(100_000)),
        format!("seed={}", "x".repeat(60_000)),
    ] {
        let o = feedlab(&[
            "run",
            "scenarios/baseline.ron",
            "--set",
            &value,
            "--out",
            "x",
        ]);
        let err = stderr(&o);
        assert!(!o.status.success());
        assert!(err.len() < 1000, "{} bytes: {err}", err.len());
        assert!(err.contains("bytes]…xxx"), "{err}");
    }
    let o = feedlab(&[
        "run",
        "scenarios/baseline.ron",
        "--set",
        &format!("seed={}", "x".repeat(60_000)),
        "--out",
        "x",
    ]);
    assert!(stderr(&o).contains("expected u64"), "{}", stderr(&o));
}

#[test]
fn the_window_refuses_a_bad_comparison_before_it_opens() {
    // Without a display, so a good comparison would stop at "no display", after its checks.
    let gui = |extra: &[&str]| {
        let mut args = vec!["gui", "scenarios/baseline.ron"];
        args.extend_from_slice(extra);
        Command::new(BIN)
            .args(&args)
            .env_remove("DISPLAY")
            .env_remove("WAYLAND_DISPLAY")
            .output()
            .expect("feedlab runs")
    };
    for (extra, expected) in [
        (vec!["--compare", "traffic_pool"], "expected two policies"),
        (vec!["--compare", "random,random"], "both random"),
        (vec!["--compare", "traffic_pool,nonsense"], "unknown policy"),
        (vec!["--fork-at-day", "1"], "--compare"),
        (
            vec![
                "--compare",
                "traffic_pool,follower_feed",
                "--fork-at-day",
                "9",
            ],
            "--fork-at-day 9",
        ),
        (
            vec![
                "--compare",
                "traffic_pool,follower_feed",
                "--fork-at-day",
                "0",
            ],
            "--fork-at-day 0",
        ),
    ] {
        let o = gui(&extra);
        assert!(!o.status.success(), "{extra:?} accepted");
        assert!(stderr(&o).contains(expected), "{extra:?}: {}", stderr(&o));
    }
    for extra in [
        vec!["--compare", "traffic_pool,follower_feed"],
        vec![
            "--compare",
            "traffic_pool,follower_feed",
            "--fork-at-day",
            "2.5",
        ],
    ] {
        let o = gui(&extra);
        assert!(
            stderr(&o).contains("no display"),
            "{extra:?}: {}",
            stderr(&o)
        );
    }
}
