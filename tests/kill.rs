//! A run killed at any moment (SIGKILL: no chance to clean up) leaves its results folder holding
//! one complete run: the previous one or the new one, never a mix, never nothing. The built binary
//! is started into a folder that holds a complete run of another seed and killed after increasing
//! delays that cover the simulation, the writing of every file and the swap; the test hook
//! `FEEDLAB_TEST_WRITE_PAUSE_MS` widens the writing phase so that kills land inside it.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

const BIN: &str = env!("CARGO_BIN_EXE_feedlab");
const OUTPUTS: [&str; 5] = [
    "creators.csv",
    "funnel.csv",
    "metrics.csv",
    "notes.csv",
    "summary.json",
];
const CSVS: [&str; 4] = ["creators.csv", "funnel.csv", "metrics.csv", "notes.csv"];
/// Pause after each file and before the swap: six pauses widen the writing phase to ~0.2 s.
const PAUSE_MS: &str = "35";

fn start(out: &Path, seed: u64, pause: bool) -> Child {
    let mut command = Command::new(BIN);
    command
        .args(["run", "scenarios/baseline.ron", "--days", "0.5", "--quiet"])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(out)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if pause {
        command.env("FEEDLAB_TEST_WRITE_PAUSE_MS", PAUSE_MS);
    }
    command.spawn().expect("feedlab starts")
}

fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The seed of the complete run in `dir`, after checking that every file belongs to it.
fn complete_run(dir: &Path, references: &[(u64, PathBuf)]) -> u64 {
    assert_eq!(
        names(dir),
        OUTPUTS,
        "{} is not one complete run",
        dir.display()
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let seed = summary["seed"].as_u64().unwrap();
    let (_, reference) = references
        .iter()
        .find(|(s, _)| *s == seed)
        .unwrap_or_else(|| panic!("summary.json names seed {seed}"));
    for name in CSVS {
        assert!(
            std::fs::read(dir.join(name)).unwrap() == std::fs::read(reference.join(name)).unwrap(),
            "{name} is not from the run of seed {seed} that summary.json names"
        );
    }
    seed
}

#[test]
fn a_run_killed_at_any_moment_leaves_the_old_results_or_the_new_ones() {
    let root = tempfile::tempdir().unwrap();
    let refs = root.path().join("refs");
    std::fs::create_dir_all(&refs).unwrap();
    let references: Vec<(u64, PathBuf)> = [1u64, 2]
        .iter()
        .map(|&seed| {
            let dir = refs.join(format!("seed-{seed}"));
            assert!(start(&dir, seed, false).wait().unwrap().success());
            (seed, dir)
        })
        .collect();

    let parent = root.path().join("work");
    let out = parent.join("results");
    assert!(start(&out, 1, false).wait().unwrap().success());
    // How long a whole run with the pauses takes: kills are spread from 0 to past its end.
    let timer = Instant::now();
    assert!(start(&out, 2, true).wait().unwrap().success());
    let whole = timer.elapsed();
    let mut current = complete_run(&out, &references);
    assert_eq!(current, 2);

    let (mut during_write, mut before_write, mut landed) = (0, 0, 0);
    let kills = 24;
    for k in 0..kills {
        let next = 3 - current;
        let mut child = start(&out, next, true);
        let delay = whole.mul_f64(1.5 * k as f64 / (kills - 1) as f64);
        std::thread::sleep(delay);
        let tmp = format!(".results.tmp-{}", child.id());
        let writing = names(&parent)
            .iter()
            .any(|n| n == &tmp || n.starts_with(&format!("{tmp}@")));
        let _ = child.kill();
        let _ = child.wait();
        let seed = complete_run(&out, &references);
        assert!(seed == current || seed == next, "seed {seed}");
        if writing {
            during_write += 1;
        } else if seed == current {
            before_write += 1;
        }
        landed += (seed == next) as u32;
        current = seed;
        // Whatever a killed run left beside the folder is hidden, never the result itself.
        for name in names(&parent) {
            assert!(
                name == "results" || name.starts_with(".results.tmp-"),
                "{name} beside the results"
            );
        }
    }
    eprintln!(
        "{kills} kills over {whole:?}: {before_write} before writing, {during_write} while writing, {landed} after the new run landed"
    );
    assert!(during_write >= 2 && before_write >= 2, "{whole:?}");

    // The next complete run clears what the killed ones left behind.
    assert!(start(&out, 1, false).wait().unwrap().success());
    assert_eq!(names(&parent), ["results"]);
    assert_eq!(complete_run(&out, &references), 1);
}

#[test]
fn a_result_set_that_cannot_be_moved_in_leaves_no_temporary_files() {
    // A results folder whose `metrics.csv` is a folder holding someone's file: the set cannot
    // replace it (feedlab never deletes what it did not write), and nothing is left behind.
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("d");
    std::fs::create_dir_all(out.join("metrics.csv")).unwrap();
    std::fs::write(out.join("metrics.csv").join("notes.txt"), "mine").unwrap();
    let o = Command::new(BIN)
        .args([
            "run",
            "scenarios/baseline.ron",
            "--days",
            "0.1",
            "--quiet",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("metrics.csv"), "{err}");
    assert_eq!(names(root.path()), ["d"]);
    assert_eq!(names(&out), ["metrics.csv"]);
    assert_eq!(
        std::fs::read_to_string(out.join("metrics.csv").join("notes.txt")).unwrap(),
        "mine"
    );
}
