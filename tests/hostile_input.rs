//! Hostile and malformed scenario text: every parse returns Ok or Err without panicking, errors
//! over the size limits name the place and the limit, and time stays linear in the input size
//! (a generous time budget per case catches a quadratic blow-up, which takes seconds to minutes).

use feedlab::scenario::{
    self, MAX_CREATOR_GROUPS, MAX_FILE_BYTES, MAX_OVERRIDE_VALUE_BYTES, MAX_STRING_BYTES,
    MAX_STRING_ESCAPES, MAX_TIMELINE_EVENTS, Scenario, ScenarioError,
};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::{Duration, Instant};

/// Per case. Linear work on these inputs takes well under a second even on a slow CI machine;
/// the quadratic paths this guards against took 76 s (2 MB of `\n`) and 22 s (140 KB of lists).
const BUDGET: Duration = Duration::from_secs(5);

fn parse(text: &str) -> Result<Scenario, ScenarioError> {
    scenario::parse(Path::new("hostile.ron"), text)
}

/// Runs `f`, failing the test if it panics or takes longer than `BUDGET`.
fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let result = catch_unwind(AssertUnwindSafe(f))
        .unwrap_or_else(|_| panic!("{what}: panicked (see the message above)"));
    let took = start.elapsed();
    assert!(took < BUDGET, "{what}: took {took:?}, budget {BUDGET:?}");
    result
}

/// Parses, and checks too when the text parsed, as `scenario::load` does.
fn parse_and_check(what: &str, text: &str) -> Result<(), String> {
    timed(what, || {
        let s = parse(text).map_err(|e| e.to_string())?;
        scenario::check(Path::new("hostile.ron"), &s).map_err(|e| e.to_string())
    })
}

fn baseline() -> String {
    std::fs::read_to_string("scenarios/baseline.ron").unwrap()
}

/// SplitMix64: a fixed seed gives the same inputs on every machine, with no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[test]
fn long_escape_runs_are_refused_quickly_with_file_line_and_column() {
    // Before the limits, ron took 76 s on this file (1,000,000 escapes, 2 MB).
    let two_mb = format!("(\n  name: \"{}\",\n)\n", "\\n".repeat(1_000_000));
    let err = timed("2 MB of \\n escapes", || parse(&two_mb)).unwrap_err();
    let msg = err.to_string();
    assert!(msg.starts_with("hostile.ron:2:9: "), "{msg}");
    assert!(
        msg.contains("2000000 bytes long") && msg.contains("64 KiB"),
        "{msg}"
    );

    // Within the length limit but over the escape limit.
    let escapes = format!("(lesson: \"{}\")", "\\\"".repeat(MAX_STRING_ESCAPES + 1));
    let msg = timed("escape limit", || parse(&escapes))
        .unwrap_err()
        .to_string();
    assert!(msg.contains("1025 escapes"), "{msg}");

    // No closing quote, but a last escaped quote that ron would rescan up to from every escape.
    let open = format!("(name: \"{}\\\"", "\\n".repeat(1_000_000));
    let msg = timed("unterminated", || parse(&open))
        .unwrap_err()
        .to_string();
    assert!(
        msg.contains("hostile.ron:1:8") && msg.contains("no closing quote"),
        "{msg}"
    );

    // Raw strings have no escapes but the same length limit.
    let raw = format!("(name: r#\"{}\"#)", "\\".repeat(MAX_STRING_BYTES + 1));
    let msg = timed("raw", || parse(&raw)).unwrap_err().to_string();
    assert!(msg.contains("65537 bytes long"), "{msg}");
}

#[test]
fn strings_at_the_limits_parse_and_a_full_file_of_them_stays_fast() {
    // Exactly at both limits: accepted, and ron decodes the escapes.
    let at_limit = format!(
        "(name: \"{}{}\", lesson: r#\"{}\"#)",
        "\\n".repeat(MAX_STRING_ESCAPES),
        "a".repeat(MAX_STRING_BYTES - 2 * MAX_STRING_ESCAPES),
        "\"".repeat(MAX_STRING_BYTES)
    );
    let s = timed("one string at the limits", || parse(&at_limit)).unwrap();
    assert_eq!(s.name.len(), MAX_STRING_BYTES - MAX_STRING_ESCAPES);
    assert!(s.name.starts_with("\n\n"));
    assert_eq!(s.lesson.len(), MAX_STRING_BYTES);

    // The slowest file the limits allow: as many such strings as fit in MAX_FILE_BYTES, escapes
    // first (ron's cost per escape is the distance to the next quote). Well under a second.
    let value = format!(
        "{}{}",
        "\\n".repeat(MAX_STRING_ESCAPES),
        "a".repeat(MAX_STRING_BYTES - 2 * MAX_STRING_ESCAPES)
    );
    let event = format!("(day: 1.0, action: Set(path: \"lesson\", value: \"{value}\")),");
    let events = (MAX_FILE_BYTES - 100) / event.len();
    let text = format!("(timeline: [{}])", event.repeat(events));
    assert!(text.len() <= MAX_FILE_BYTES && events > 50);
    let s = timed("a full file of strings at the limits", || parse(&text)).unwrap();
    assert_eq!(s.timeline.len(), events);
    timed("checking it", || {
        scenario::check(Path::new("hostile.ron"), &s).unwrap()
    });
}

#[test]
fn files_over_the_size_limit_are_refused_naming_file_size_and_limit() {
    // A comment pads to exactly the limit: accepted. One byte more: refused before parsing.
    let body = "(name: \"x\")\n";
    let pad = MAX_FILE_BYTES - body.len() - 3;
    let exact = format!("{body}//{}\n", " ".repeat(pad));
    assert_eq!(exact.len(), MAX_FILE_BYTES);
    timed("exactly the limit", || parse(&exact)).unwrap();
    let over = format!("{exact} ");
    match timed("one byte over", || parse(&over)) {
        Err(ScenarioError::TooLarge { bytes, .. }) => assert_eq!(bytes, MAX_FILE_BYTES as u64 + 1),
        other => panic!("expected TooLarge, got {other:?}"),
    }

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.ron");
    std::fs::write(&path, "/".repeat(20 << 20)).unwrap();
    let msg = timed("load a 20 MiB file", || scenario::load(&path))
        .unwrap_err()
        .to_string();
    for needle in ["huge.ron", "20971520 bytes", "4194304 bytes (4 MiB)"] {
        assert!(msg.contains(needle), "lacks `{needle}`: {msg}");
    }

    std::fs::write(&path, b"(name: \"ok\",\n name: \"\xff\")").unwrap();
    let msg = scenario::load(&path).unwrap_err().to_string();
    assert!(
        msg.contains("not UTF-8 text") && msg.contains("line 2"),
        "{msg}"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    // Test threads have a 2 MiB stack: unbounded recursion would abort the whole test binary.
    // The scenario types do not nest, so ron meets the extra brackets where a value of known shape
    // is due and stops; its recursion limit (128) would stop anything deeper. serde_json has the
    // same limit for `--set` values.
    const DEPTH: usize = 100_000;
    for (field, open) in [
        ("name", "("),
        ("creators", "["),
        ("viewers", "{"),
        ("seed", "Some("),
        ("creators: [(archetype: regular, count: 1, skill", "Fixed("),
        ("timeline: [(day: 1.0, action", "Set("),
        ("lesson", "["),
    ] {
        let text = format!("({field}: {}", open.repeat(DEPTH));
        timed(&format!("{field} {open}"), || parse(&text)).unwrap_err();
    }
    let mut s = Scenario::default();
    for value in ["[".repeat(60_000), "{\"a\":".repeat(10_000)] {
        for path in ["name", "creators", "creators[0].skill", "timeline"] {
            let _ = timed("nested --set value", || {
                scenario::apply_override(&mut s, path, &value)
            });
        }
    }
}

#[test]
fn huge_and_odd_numbers_are_errors_or_values() {
    let digits = "9".repeat(1_000_000);
    for (field, value) in [
        ("seed", digits.clone()),
        ("seed", format!("-{digits}")),
        ("seed", format!("0x{}", "f".repeat(1_000_000))),
        ("seed", format!("1{}", "_".repeat(1_000_000))),
        ("days", format!("{digits}.{digits}")),
        ("days", format!("0.{}1", "0".repeat(1_000_000))),
        ("days", "1e999999999999".into()),
        ("days", "-1e-999999999999".into()),
        ("days", "NaN".into()),
        ("days", "inf".into()),
        ("days", "1.5f32".into()),
        ("topics", "4294967296".into()),
        ("topics", "-1".into()),
    ] {
        let text = format!("(creators: [(archetype: regular, count: 1)], {field}: {value})");
        let _ = parse_and_check(
            &format!("{field}: {}", &value[..value.len().min(20)]),
            &text,
        );
    }
}

#[test]
fn long_lists_are_refused_before_the_checks_they_would_slow() {
    // Before this limit, 2,000 creator groups and 2,000 `Set` events (140 KB) took 22 s to check.
    let groups = "(archetype: regular, count: 1),".repeat(2000);
    let events = "(day: 1.0, action: Set(path: \"seed\", value: \"2\")),".repeat(2000);
    let text = format!("(creators: [{groups}], timeline: [{events}])");
    let msg = parse_and_check("2,000 groups and events", &text).unwrap_err();
    assert!(
        msg.contains(&format!(
            "creators: 2000 groups, more than the limit of {MAX_CREATOR_GROUPS}"
        )) && msg.contains(&format!(
            "timeline: 2000 events, more than the limit of {MAX_TIMELINE_EVENTS}"
        )),
        "{msg}"
    );

    // The slowest lists allowed: every group and every event, each event re-checking every group.
    let groups = "(archetype: regular, count: 1),".repeat(MAX_CREATOR_GROUPS);
    let events =
        "(day: 1.0, action: Set(path: \"seed\", value: \"2\")),".repeat(MAX_TIMELINE_EVENTS);
    let text = format!("(viewers: (count: 100000), creators: [{groups}], timeline: [{events}])");
    parse_and_check("lists at their limits", &text).unwrap();
}

#[test]
fn override_values_have_a_length_limit() {
    let mut s = Scenario::default();
    let before = s.clone();
    let huge = "1".repeat(MAX_OVERRIDE_VALUE_BYTES + 1);
    let msg = timed("huge --set", || {
        scenario::apply_override(&mut s, "seed", &huge)
    })
    .unwrap_err();
    assert!(
        msg.contains("65537 bytes") && msg.contains("64 KiB"),
        "{msg}"
    );
    assert_eq!(s, before);
    let long_name = "x".repeat(MAX_OVERRIDE_VALUE_BYTES);
    scenario::apply_override(&mut s, "name", &long_name).unwrap();
    assert_eq!(s.name, long_name);
}

#[test]
fn every_truncation_of_baseline_is_an_error_or_a_scenario() {
    let text = baseline();
    let start = Instant::now();
    for end in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
        let prefix = &text[..end];
        if let Err(panic) = catch_unwind(|| parse(prefix).map(|s| scenario::validate(&s))) {
            panic!("truncation at byte {end} panicked: {panic:?}");
        }
    }
    assert!(start.elapsed() < BUDGET * 2, "took {:?}", start.elapsed());
}

/// Interesting bytes to insert: RON punctuation, string and comment openers, escapes, digits.
const ALPHABET: &[u8] = b"()[]{},:\"'\\/*#r_-+.eE0159 \nxu{}SomeNaNinf";

fn mutate(rng: &mut Rng, input: &mut Vec<u8>) {
    let len = input.len().max(1);
    match rng.below(9) {
        0 => {
            let i = rng.below(len).min(input.len().saturating_sub(1));
            if let Some(b) = input.get_mut(i) {
                *b ^= 1 << rng.below(8);
            }
        }
        1 => {
            let i = rng.below(input.len() + 1);
            input.insert(i, ALPHABET[rng.below(ALPHABET.len())]);
        }
        2 => {
            let i = rng.below(input.len() + 1);
            input.insert(i, rng.next() as u8);
        }
        3 => {
            let i = rng.below(input.len() + 1);
            let n = rng.below(64).min(input.len() - i);
            input.drain(i..i + n);
        }
        4 => {
            // Repeat a chunk a few times: long lists, long runs of one token.
            let i = rng.below(input.len() + 1);
            let n = rng.below(80).min(input.len() - i);
            let chunk = input[i..i + n].to_vec();
            for _ in 0..rng.below(20) {
                input.splice(i..i, chunk.iter().copied());
            }
        }
        5 => {
            // An escape run just after a quote, so it lands inside a string.
            if let Some(q) = input.iter().position(|&c| c == b'"') {
                let run = ["\\n", "\\\"", "\\\\", "\\u{1F600}", "\\x41"][rng.below(5)];
                let text = run.repeat(1 + rng.below(3000));
                input.splice(q + 1..q + 1, text.into_bytes());
            }
        }
        6 => {
            let i = rng.below(input.len() + 1);
            let open = [b'(', b'[', b'{'][rng.below(3)];
            let n = 1 + rng.below(5000);
            input.splice(i..i, std::iter::repeat_n(open, n));
        }
        7 => input.truncate(rng.below(input.len() + 1)),
        _ => {
            // Swap two lines: fields out of place, a creator group inside behaviour, ...
            let lines: Vec<usize> = input
                .iter()
                .enumerate()
                .filter(|&(_, &c)| c == b'\n')
                .map(|(i, _)| i)
                .collect();
            if lines.len() > 2 {
                let a = rng.below(lines.len() - 1);
                let line = input[lines[a] + 1..=lines[a + 1]].to_vec();
                let at = lines[rng.below(lines.len())] + 1;
                input.splice(at..at, line);
            }
        }
    }
}

#[test]
fn random_mutations_of_baseline_are_errors_or_scenarios() {
    let original = baseline().into_bytes();
    let mut rng = Rng(11);
    let start = Instant::now();
    let (mut ok, mut err) = (0, 0);
    for case in 0..400 {
        let mut input = original.clone();
        for _ in 0..1 + rng.below(4) {
            mutate(&mut rng, &mut input);
        }
        let text = String::from_utf8_lossy(&input);
        match parse_and_check(&format!("mutant {case}"), &text) {
            Ok(()) => ok += 1,
            Err(_) => err += 1,
        }
    }
    // Some mutants must survive, or the mutations only test the first syntax error.
    assert!(ok > 10 && err > 100, "{ok} parsed, {err} refused");
    assert!(start.elapsed() < BUDGET * 4, "took {:?}", start.elapsed());
}

#[test]
fn many_set_events_with_long_values_are_checked_in_linear_time() {
    // Each `Set` is checked against the scenario. A copy of the whole scenario per event made this
    // events x timeline: 256 events of 16 KB values took five times as long as 256 short ones.
    let check = |value_bytes: usize| {
        let value = "a".repeat(value_bytes);
        let event = format!("(day: 1.0, action: Set(path: \"lesson\", value: \"{value}\")),");
        let text = format!("(timeline: [{}])", event.repeat(MAX_TIMELINE_EVENTS));
        assert!(text.len() <= MAX_FILE_BYTES, "{}", text.len());
        let s = parse(&text).unwrap();
        // The quickest of three, to see through a busy machine.
        (0..3)
            .map(|_| {
                let start = Instant::now();
                scenario::check(Path::new("hostile.ron"), &s).unwrap();
                start.elapsed()
            })
            .min()
            .unwrap()
    };
    let short = check(16);
    let long = check((MAX_FILE_BYTES - 4096) / MAX_TIMELINE_EVENTS - 64);
    assert!(
        long < 2 * short + Duration::from_millis(40),
        "256 events of 16 KB took {long:?}, 256 short ones {short:?}"
    );
}
