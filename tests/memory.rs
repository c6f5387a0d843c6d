//! The memory estimate against what runs really use: each shape is run by the built binary (its
//! own process, so `peak_memory_mib` in summary.json is that run's peak alone) and the estimate
//! must be within 25% of it. The shapes are small enough to run in seconds and large enough that
//! the world, not the program itself, fills the memory; each is dominated by something else.

use feedlab::cli::{ScenarioOverrides, load_scenario};
use feedlab::memory::{MEMORY_LIMIT_VAR, estimate};
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_feedlab");

struct Shape {
    name: &'static str,
    scenario: &'static str,
    sets: &'static [&'static str],
    length: (&'static str, &'static str),
    /// What the estimate should say dominates the peak.
    dominant: &'static str,
}

const SHAPES: [Shape; 4] = [
    Shape {
        name: "many viewers, few follows",
        scenario: "scenarios/baseline.ron",
        sets: &["viewers.count=300000"],
        length: ("--ticks", "3"),
        dominant: "300,000 viewers",
    },
    Shape {
        name: "big accounts: 4 million follows on 50,000 viewers",
        scenario: "scenarios/baseline.ron",
        sets: &[
            "viewers.count=50000",
            "creators[0].count=200",
            "creators[0].followers={\"Fixed\":20000.0}",
        ],
        length: ("--ticks", "3"),
        dominant: "the starting follow graph",
    },
    Shape {
        name: "many notes: 600 creators posting 200 a day",
        scenario: "scenarios/baseline.ron",
        sets: &[
            "viewers.count=3000",
            "creators[4].count=600",
            "creators[4].posts_per_day=200.0",
        ],
        length: ("--days", "1"),
        dominant: "notes with their reach sketches",
    },
    Shape {
        name: "niche experts with a median of 2,000 followers (bench-like, smaller)",
        scenario: "scenarios/bench.ron",
        sets: &[
            "viewers.count=200000",
            "creators[1].count=5000",
            "creators[3].count=2000",
            "creators[3].followers={\"LogNormal\":{\"median\":2000.0,\"sigma\":0.8}}",
        ],
        length: ("--ticks", "2"),
        dominant: "starting follow graph",
    },
];

fn estimated_mib(shape: &Shape) -> (f64, String) {
    let (flag, value) = shape.length;
    let mut o = ScenarioOverrides {
        set: shape.sets.iter().map(|s| s.to_string()).collect(),
        ..Default::default()
    };
    match flag {
        "--ticks" => o.ticks = Some(value.parse().unwrap()),
        _ => o.days = Some(value.parse().unwrap()),
    }
    let s = load_scenario(Path::new(shape.scenario), &o).unwrap();
    let e = estimate(&s);
    (e.total() / (1 << 20) as f64, e.dominant().label.clone())
}

fn measured_mib(shape: &Shape, out: &Path) -> f64 {
    let mut args = vec![
        "run",
        shape.scenario,
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend([shape.length.0, shape.length.1]);
    for set in shape.sets {
        args.extend(["--set", set]);
    }
    let o = Command::new(BIN).args(&args).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("summary.json")).unwrap()).unwrap();
    summary["peak_memory_mib"]
        .as_f64()
        .expect("peak_memory_mib is known on Linux")
}

#[test]
fn the_estimate_is_within_a_quarter_of_the_measured_peak_across_shapes() {
    let dir = tempfile::tempdir().unwrap();
    let mut report = String::new();
    let mut worst: f64 = 0.0;
    for (i, shape) in SHAPES.iter().enumerate() {
        let (estimated, dominant) = estimated_mib(shape);
        let measured = measured_mib(shape, &dir.path().join(format!("run-{i}")));
        let error = estimated / measured - 1.0;
        worst = worst.max(error.abs());
        report.push_str(&format!(
            "{}: estimated {estimated:.1} MiB, measured {measured:.1} MiB ({:+.0}%), mostly {dominant}\n",
            shape.name,
            100.0 * error
        ));
        assert!(dominant.contains(shape.dominant), "{report}");
        // The world fills the memory, not the program.
        assert!(measured > 50.0, "{report}");
    }
    eprint!("{report}");
    assert!(worst <= 0.25, "{report}");
}

#[test]
fn a_run_that_would_not_fit_is_refused_with_the_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("never");
    // bench.ron needs about 600 MiB; with 100 MiB to spare it is refused before anything is built.
    for command in [
        vec!["run", "scenarios/bench.ron", "--out", out.to_str().unwrap()],
        vec!["validate", "scenarios/bench.ron"],
    ] {
        let o = Command::new(BIN)
            .args(&command)
            .env(MEMORY_LIMIT_VAR, "100")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{err}");
        for needle in [
            "scenarios/bench.ron: too large for memory: the run needs about ",
            " MiB at its peak (",
            "but 100.0 MiB is available (FEEDLAB_MEMORY_MIB=100); most of it is 1,000,000 viewers (",
            "Use fewer viewers",
        ] {
            assert!(err.contains(needle), "lacks `{needle}`:\n{err}");
        }
        assert!(!out.exists());
    }
    // Replicates run worlds side by side: with room for one baseline world, four at once do not fit.
    let one = load_scenario(
        Path::new("scenarios/baseline.ron"),
        &ScenarioOverrides {
            days: Some(0.1),
            ..Default::default()
        },
    )
    .unwrap();
    let room = format!("{:.0}", estimate(&one).total() / (1 << 20) as f64 + 2.0);
    let o = Command::new(BIN)
        .args(["run", "scenarios/baseline.ron", "--days", "0.1", "--quiet"])
        .args(["--replicates", "4", "--threads", "4"])
        .args(["--out", out.to_str().unwrap()])
        .env(MEMORY_LIMIT_VAR, &room)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{err}");
    assert!(err.contains("for 4 worlds side by side"), "{err}");
    let o = Command::new(BIN)
        .args(["run", "scenarios/baseline.ron", "--days", "0.1", "--quiet"])
        .args(["--out", out.to_str().unwrap()])
        .env(MEMORY_LIMIT_VAR, &room)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
