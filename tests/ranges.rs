//! Every column of every output file, after long runs, holds only values its documentation allows:
//! shares and rates in 0..=1, counts non-negative integers that only grow where they are
//! cumulative, Gini in 0..=1, rank correlations in -1..=1 or empty, names from their lists, and
//! never `NaN` or `inf`. Long runs are where float drift, overflow and stale bookkeeping show.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_feedlab");

/// One CSV file: its header and rows, every row as long as the header.
struct Table {
    name: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(dir: &Path, name: &str) -> Table {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let mut lines = text.lines();
        let header: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
        let rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(String::from).collect())
            .collect();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(row.len(), header.len(), "{name} row {i}: {row:?}");
            for cell in row {
                let not_finite = cell.parse::<f64>().is_ok_and(|v| !v.is_finite());
                assert!(!not_finite, "{name} row {i}: `{cell}`");
            }
        }
        assert!(!rows.is_empty(), "{name} has no rows");
        Table {
            name: name.into(),
            header,
            rows,
        }
    }

    fn column(&self, name: &str) -> Vec<&str> {
        let i = self
            .header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{} has no column {name}", self.name));
        self.rows.iter().map(|r| r[i].as_str()).collect()
    }

    /// Every value of a column as a number in `low..=high` (empty cells only where allowed).
    fn numbers(&self, name: &str, low: f64, high: f64, empty_ok: bool) -> Vec<Option<f64>> {
        self.column(name)
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if cell.is_empty() {
                    assert!(empty_ok, "{} {name} row {i} is empty", self.name);
                    return None;
                }
                let v: f64 = cell
                    .parse()
                    .unwrap_or_else(|_| panic!("{} {name} row {i}: `{cell}`", self.name));
                assert!(
                    v.is_finite() && v >= low && v <= high,
                    "{} {name} row {i}: {v} outside {low}..={high}",
                    self.name
                );
                Some(v)
            })
            .collect()
    }

    /// A column of non-negative integers (at most `high`).
    fn counts(&self, name: &str, high: u64) -> Vec<u64> {
        self.column(name)
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                let v: u64 = cell
                    .parse()
                    .unwrap_or_else(|_| panic!("{} {name} row {i}: `{cell}`", self.name));
                assert!(v <= high, "{} {name} row {i}: {v} > {high}", self.name);
                v
            })
            .collect()
    }

    fn names(&self, name: &str, allowed: &[&str]) {
        for (i, cell) in self.column(name).iter().enumerate() {
            assert!(
                allowed.contains(cell),
                "{} {name} row {i}: `{cell}`",
                self.name
            );
        }
    }

    /// Checks that every column was checked.
    fn all_checked(&self, checked: &[&str]) {
        for h in &self.header {
            assert!(
                checked.contains(&h.as_str()),
                "{}: column {h} has no range check",
                self.name
            );
        }
    }
}

fn non_decreasing(name: &str, values: &[u64]) {
    for w in values.windows(2) {
        assert!(w[0] <= w[1], "{name} fell from {} to {}", w[0], w[1]);
    }
}

const ARCHETYPES: [&str; 5] = [
    "influencer",
    "regular",
    "newcomer",
    "niche_expert",
    "spammer",
];
const BIG: u64 = u32::MAX as u64;

fn check_metrics(dir: &Path, hours: f64) -> (u64, usize) {
    let t = Table::read(dir, "metrics.csv");
    let mut checked = vec![];
    let mut check = |name: &'static str| checked.push(name);
    let ticks = t.counts("tick", BIG);
    check("tick");
    assert!(
        ticks.windows(2).all(|w| w[0] < w[1]),
        "ticks not increasing"
    );
    let h = t.numbers("hours", 0.0, hours, false);
    check("hours");
    assert!(h.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(h.last().unwrap().unwrap(), hours);
    t.counts("active_viewers", BIG);
    check("active_viewers");
    for cumulative in ["churned_viewers", "notes", "impressions", "engagements"] {
        non_decreasing(cumulative, &t.counts(cumulative, u64::MAX));
        check(cumulative);
    }
    let impressions = t.counts("impressions", u64::MAX);
    let last_interval = t.counts("impressions_last_interval", u64::MAX);
    check("impressions_last_interval");
    for i in 0..impressions.len() {
        let before = if i == 0 { 0 } else { impressions[i - 1] };
        assert_eq!(last_interval[i], impressions[i] - before, "row {i}");
    }
    let engagements = t.counts("engagements", u64::MAX);
    let rate = t.numbers("engagement_rate", 0.0, 1.0, false);
    check("engagement_rate");
    for i in 0..rate.len() {
        if impressions[i] > 0 {
            let expected = engagements[i] as f64 / impressions[i] as f64;
            assert!((rate[i].unwrap() - expected).abs() < 1e-12, "row {i}");
        }
    }
    for share in [
        "gini_impressions",
        "gini_impressions_24h",
        "gini_followers",
        "top1_share",
        "top10_share",
        "newcomer_breakthrough",
        "mean_satisfaction",
    ] {
        t.numbers(share, 0.0, 1.0, false);
        check(share);
    }
    let top1 = t.numbers("top1_share", 0.0, 1.0, false);
    let top10 = t.numbers("top10_share", 0.0, 1.0, false);
    assert!(top1.iter().zip(&top10).all(|(a, b)| a <= b));
    for correlation in ["meritocracy", "note_meritocracy", "influencer_advantage"] {
        let values = t.numbers(correlation, -1.0, 1.0, true);
        check(correlation);
        // Empty only where nothing varies yet: never at the end of a long run.
        assert!(values.last().unwrap().is_some(), "{correlation} at the end");
    }
    let (mut notes_total, mut impressions_total) =
        (vec![0.0; t.rows.len()], vec![0.0; t.rows.len()]);
    for a in ARCHETYPES {
        let notes = t.numbers(&format!("notes_share_{a}"), 0.0, 1.0, false);
        let imps = t.numbers(&format!("impressions_share_{a}"), 0.0, 1.0, false);
        t.numbers(&format!("mean_skill_{a}"), 0.0, 1.0, true);
        for i in 0..t.rows.len() {
            notes_total[i] += notes[i].unwrap();
            impressions_total[i] += imps[i].unwrap();
        }
    }
    let notes = t.counts("notes", u64::MAX);
    for i in 0..t.rows.len() {
        if notes[i] > 0 {
            assert!(
                (notes_total[i] - 1.0).abs() < 1e-9,
                "row {i}: {}",
                notes_total[i]
            );
        }
        if impressions[i] > 0 {
            assert!((impressions_total[i] - 1.0).abs() < 1e-9, "row {i}");
        }
    }
    let exposure: Vec<String> = ARCHETYPES
        .iter()
        .flat_map(|a| {
            ["notes_share", "impressions_share", "mean_skill"].map(|c| format!("{c}_{a}"))
        })
        .collect();
    let mut all: Vec<&str> = checked;
    all.extend(exposure.iter().map(String::as_str));
    t.all_checked(&all);
    (
        *impressions.last().unwrap(),
        *notes.last().unwrap() as usize,
    )
}

/// Checks creators.csv; returns the creator count.
fn check_creators(dir: &Path, topics: u64, stages: u64, impressions: u64) -> usize {
    let t = Table::read(dir, "creators.csv");
    let ids = t.counts("id", BIG);
    assert!(ids.iter().enumerate().all(|(i, &id)| id == i as u64));
    t.names("archetype", &ARCHETYPES);
    t.numbers("skill", 0.0, 1.0, false);
    for count in [
        "initial_followers",
        "followers",
        "posts",
        "impressions",
        "likes",
        "comments",
        "saves",
        "shares",
    ] {
        t.counts(count, u64::MAX);
    }
    let total: u64 = t.counts("impressions", u64::MAX).iter().sum();
    assert_eq!(
        total, impressions,
        "creators' impressions add up to the platform's"
    );
    t.counts("max_stage", stages);
    t.numbers("authority", 0.5, 2.0, false);
    t.names("verified", &["true", "false"]);
    t.counts("niche_topic", topics - 1);
    t.all_checked(&[
        "id",
        "archetype",
        "skill",
        "initial_followers",
        "followers",
        "posts",
        "impressions",
        "likes",
        "comments",
        "saves",
        "shares",
        "max_stage",
        "authority",
        "verified",
        "niche_topic",
    ]);
    ids.len()
}

/// Checks notes.csv; returns each note's created hour.
fn check_notes(dir: &Path, creators: usize, run: &Run, impressions: u64) -> Vec<f64> {
    let t = Table::read(dir, "notes.csv");
    let ids = t.counts("id", BIG);
    assert!(ids.iter().enumerate().all(|(i, &id)| id == i as u64));
    t.counts("creator_id", creators as u64 - 1);
    let created: Vec<f64> = t
        .numbers("created_hours", 0.0, run.hours, false)
        .into_iter()
        .map(Option::unwrap)
        .collect();
    assert!(created.windows(2).all(|w| w[0] <= w[1]));
    t.counts("topic", run.topics - 1);
    t.numbers("appeal", 0.0, 1.0, false);
    t.names("format", &["carousel", "video", "live"]);
    t.counts("images", 9);
    t.numbers("content_score", 0.0, 1.0, false);
    t.numbers("promotional", 0.0, 1.0, false);
    t.counts("max_stage", run.stages);
    t.numbers("pool_stage", 0.0, run.stages as f64, true);
    let get = |name| t.counts(name, u64::MAX);
    let (imps, reach, clicks, quick) = (
        get("impressions"),
        get("reach"),
        get("clicks"),
        get("quick_scrolls"),
    );
    assert_eq!(imps.iter().sum::<u64>(), impressions);
    let (comments, deep) = (get("comments"), get("deep_comments"));
    for i in 0..imps.len() {
        assert!(
            reach[i] <= imps[i] && clicks[i] <= imps[i] && quick[i] <= imps[i],
            "note {i}"
        );
        assert!(deep[i] <= comments[i], "note {i}");
    }
    for action in ["likes", "saves", "shares", "follows"] {
        let v = get(action);
        assert!(
            v.iter().zip(&clicks).all(|(a, c)| a <= c),
            "{action} above clicks"
        );
    }
    get("dwell_seconds");
    // The weighted rate: never negative; share and save weights are several times a like's.
    t.numbers("engagement_rate", 0.0, 100.0, false);
    t.names(
        "stop_reason",
        &[
            "still_running",
            "below_threshold",
            "negative_signals",
            "expired",
            "safety",
        ],
    );
    t.all_checked(&[
        "id",
        "creator_id",
        "created_hours",
        "topic",
        "appeal",
        "format",
        "images",
        "content_score",
        "promotional",
        "max_stage",
        "pool_stage",
        "impressions",
        "reach",
        "clicks",
        "likes",
        "comments",
        "deep_comments",
        "saves",
        "shares",
        "follows",
        "quick_scrolls",
        "dwell_seconds",
        "engagement_rate",
        "stop_reason",
    ]);
    created
}

fn check_funnel(dir: &Path, created: &[f64], run: &Run) {
    let t = Table::read(dir, "funnel.csv");
    let notes = t.counts("note_id", created.len() as u64 - 1);
    let kinds = t.column("kind");
    t.names("kind", &["pool", "ladder"]);
    t.counts("stage", run.stages);
    let entered = t.numbers("entered_hours", 0.0, run.hours, false);
    for (i, (&note, hours)) in notes.iter().zip(&entered).enumerate() {
        assert!(hours.unwrap() >= created[note as usize], "funnel row {i}");
    }
    t.counts("target", BIG);
    t.counts("impressions", BIG);
    t.numbers("engagement_rate", 0.0, 100.0, false);
    let threshold = t.numbers("threshold", 0.0, 1.0, true);
    for (i, kind) in kinds.iter().enumerate() {
        // Ladder lines have no threshold; pool lines always do.
        assert_eq!(threshold[i].is_none(), *kind == "ladder", "funnel row {i}");
    }
    t.numbers("negative_rate", 0.0, 1.0, false);
    t.names(
        "outcome",
        &[
            "running",
            "graduated",
            "skipped",
            "saturated",
            "long_tail",
            "reached",
            "handed_over",
            "still_running",
            "below_threshold",
            "negative_signals",
            "expired",
            "safety",
        ],
    );
    t.all_checked(&[
        "note_id",
        "kind",
        "stage",
        "entered_hours",
        "target",
        "impressions",
        "engagement_rate",
        "threshold",
        "negative_rate",
        "outcome",
    ]);
    // Each note's lines are in the order they happened.
    let mut last: HashMap<u64, f64> = HashMap::new();
    for (&note, hours) in notes.iter().zip(&entered) {
        let h = hours.unwrap();
        assert!(last.insert(note, h).is_none_or(|before| before <= h));
    }
}

struct Run {
    hours: f64,
    topics: u64,
    stages: u64,
}

fn run_and_check(args: &[&str], run: Run) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r");
    let o = Command::new(BIN)
        .args(args)
        .args(["--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (impressions, notes) = check_metrics(&out, run.hours);
    let creators = check_creators(&out, run.topics, run.stages, impressions);
    let created = check_notes(&out, creators, &run, impressions);
    assert_eq!(created.len(), notes);
    check_funnel(&out, &created, &run);
}

#[test]
fn every_column_stays_in_range_over_a_long_traffic_pool_run() {
    // 75 days of a small baseline world: long tails, evergreen notes and authority at work.
    run_and_check(
        &[
            "run",
            "scenarios/baseline.ron",
            "--days",
            "75",
            "--set",
            "viewers.count=2000",
        ],
        Run {
            hours: 75.0 * 24.0,
            topics: 12,
            stages: 3,
        },
    );
}

#[test]
fn every_column_stays_in_range_over_a_long_run_with_a_policy_switch() {
    // Traffic pools, then a follower feed from day 3 (notes handed over), for 60 days.
    run_and_check(
        &[
            "run",
            "scenarios/policy_switch.ron",
            "--days",
            "60",
            "--set",
            "viewers.count=2000",
            "--set",
            "sample_every_hours=3.0",
        ],
        Run {
            hours: 60.0 * 24.0,
            topics: 12,
            stages: 3,
        },
    );
}
