//! A self-contained mutation fuzzer for scenario input: mutates the shipped scenarios, feeds each
//! mutant to `scenario::parse`, `scenario::check` (the range checks) and `apply_override`, and
//! fails on any panic or any input slower than a time limit.
//!
//! It needs only the stable toolchain (cargo-fuzz expects nightly) and no extra dependency.
//! `cargo run --release --example fuzz_scenario -- --seconds 30 [--seed 1] [--iterations N]
//! [--slow 2] [--hang 60] [--out target/fuzz-failures]`. Failing inputs are saved under `--out`
//! with a note saying what happened; the exit status is non-zero when there are any. An input
//! still running after `--hang` seconds is saved and ends the run at once (it would block CI
//! otherwise). A seed gives the same inputs every time: `--seed S --iterations N` replays a run.

use feedlab::scenario::{self, MAX_FILE_BYTES, Scenario};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The message of the last panic, recorded by the panic hook instead of printed, so that the
/// report shows it next to the saved input.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// The input being tried and since when, for the watchdog that catches a hang.
static CURRENT: Mutex<Option<(Instant, u64, Arc<str>)>> = Mutex::new(None);

/// Largest corpus kept; beyond it new survivors replace old ones at random.
const CORPUS_LIMIT: usize = 512;
/// Mutants above this size are cut, so that iterations stay fast (still over the 4 MiB limit).
const MAX_INPUT: usize = MAX_FILE_BYTES + 4096;

struct Options {
    seconds: f64,
    seed: u64,
    iterations: Option<u64>,
    slow: Duration,
    hang: Duration,
    out: PathBuf,
}

fn options() -> Result<Options, String> {
    let mut o = Options {
        seconds: 30.0,
        seed: 1,
        iterations: None,
        slow: Duration::from_secs(2),
        hang: Duration::from_secs(60),
        out: PathBuf::from("target/fuzz-failures"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag}: expected a value"));
        let number = |v: String| v.parse::<f64>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--seconds" => o.seconds = number(value()?)?,
            "--seed" => {
                let v = value()?;
                o.seed = v.parse().map_err(|e| format!("{flag} {v}: {e}"))?;
            }
            "--iterations" => o.iterations = Some(number(value()?)? as u64),
            "--slow" => o.slow = Duration::from_secs_f64(number(value()?)?),
            "--hang" => o.hang = Duration::from_secs_f64(number(value()?)?),
            "--out" => o.out = PathBuf::from(value()?),
            _ => {
                return Err(format!(
                    "unknown argument {flag}; expected --seconds S, --seed N, --iterations N, \
                     --slow S, --hang S, --out DIR"
                ));
            }
        }
    }
    Ok(o)
}

/// SplitMix64: small, fast, and the same sequence on every platform.
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
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    /// Mostly small sizes, sometimes large ones: long runs are where blow-ups hide.
    fn size(&mut self, max: usize) -> usize {
        let bits = self.below(usize::BITS as usize - max.leading_zeros() as usize + 1);
        1 + self.below((1usize << bits).min(max))
    }
}

/// Tokens that mean something to RON or to the scenario format.
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    "\"",
    "'",
    "r#\"",
    "\"#",
    "b\"",
    "/*",
    "*/",
    "//",
    "\\",
    "\\n",
    "\\u{1F600}",
    "\\x7f",
    "Some(",
    "None",
    "true",
    "false",
    "NaN",
    "inf",
    "-inf",
    "-",
    "+",
    ".",
    "e",
    "1e308",
    "-1e-320",
    "0x",
    "0b",
    "_",
    "0",
    "-1",
    "18446744073709551616",
    "4294967295",
    "0.5",
    "Fixed(",
    "Uniform(low: ",
    "Normal(mean: ",
    "LogNormal(median: ",
    "SwitchPolicy(",
    "Set(path: \"",
    "AddCreators((archetype: ",
    "regular",
    "niche_expert",
    "spammer",
    "blend",
    "popularity",
    "following",
    "creators: [",
    "timeline: [",
    "day: ",
    "count: ",
    "recommender: (",
    "viewers: (",
    "behaviour: (",
    "r#type",
    "\u{feff}",
    "é",
    "\0",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    let at = |rng: &mut Rng, input: &Vec<u8>| rng.below(input.len() + 1);
    match rng.below(12) {
        0 => {
            if !input.is_empty() {
                let i = rng.below(input.len());
                input[i] ^= 1 << rng.below(8);
            }
        }
        1 => {
            let i = at(rng, input);
            input.insert(i, rng.next() as u8);
        }
        2 | 3 => {
            let i = at(rng, input);
            let token = rng.pick(TOKENS).as_bytes();
            input.splice(i..i, token.iter().copied());
        }
        4 => {
            let i = at(rng, input);
            let n = rng.size(256).min(input.len() - i);
            input.drain(i..i + n);
        }
        5 => {
            // Repeat a chunk: long lists, long runs of one token.
            let i = at(rng, input);
            let n = rng.size(200).min(input.len() - i);
            let chunk = input[i..i + n].to_vec();
            let times = rng.size(5000).min(MAX_INPUT / n.max(1));
            for _ in 0..times {
                input.splice(i..i, chunk.iter().copied());
            }
        }
        6 => {
            // Splice lines from another input.
            let other = rng.pick(corpus);
            let a = rng.below(other.len() + 1);
            let b = (a + rng.size(2000)).min(other.len());
            let i = at(rng, input);
            input.splice(i..i, other[a..b].iter().copied());
        }
        7 => {
            // An escape run just after a quote, so it lands inside a string.
            let quotes: Vec<usize> = (0..input.len()).filter(|&i| input[i] == b'"').collect();
            if !quotes.is_empty() {
                let q = *rng.pick(&quotes) + 1;
                let run = *rng.pick(&["\\n", "\\\"", "\\\\", "\\u{4e2d}", "\\x41", "\\"]);
                let text = run.repeat(rng.size(500_000));
                input.splice(q..q, text.into_bytes());
            }
        }
        8 => {
            let i = at(rng, input);
            let open = *rng.pick(&["(", "[", "{", "Some(", "Fixed(", "(a:"]);
            input.splice(i..i, open.repeat(rng.size(200_000)).into_bytes());
        }
        9 => {
            let i = at(rng, input);
            let digits = "9".repeat(rng.size(100_000));
            let number = *rng.pick(&["", "-", "0x", "0.", "1e"]);
            input.splice(i..i, format!("{number}{digits}").into_bytes());
        }
        10 => {
            let i = at(rng, input);
            input.truncate(i);
        }
        _ => {
            // Swap two ranges: fields out of place, values under the wrong key.
            if input.len() > 4 {
                let mut cut = [rng.below(input.len()), rng.below(input.len())];
                cut.sort();
                let n = rng.size(300).min(cut[1] - cut[0]).min(input.len() - cut[1]);
                let first = input[cut[0]..cut[0] + n].to_vec();
                let second = input[cut[1]..cut[1] + n].to_vec();
                input.splice(cut[1]..cut[1] + n, first);
                input.splice(cut[0]..cut[0] + n, second);
            }
        }
    }
    input.truncate(MAX_INPUT);
}

/// Every field path of a scenario, as `--set` spells them, found by walking its JSON form.
fn field_paths(value: &serde_json::Value, prefix: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                field_paths(v, path, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                field_paths(v, format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
    if !prefix.is_empty() {
        out.push(prefix);
    }
}

const VALUES: &[&str] = &[
    "0",
    "1",
    "-1",
    "0.5",
    "1e309",
    "-1e309",
    "NaN",
    "true",
    "null",
    "\"x\"",
    "{}",
    "[]",
    "popularity",
    "blend",
    "niche_expert",
    "{\"Fixed\":0.9}",
    "{\"Normal\":{\"mean\":1e308,\"sd\":-1}}",
    "{\"LogNormal\":{\"median\":0,\"sigma\":9}}",
    "[{\"policy\":\"blend\",\"weight\":1}]",
    "[{\"day\":1,\"action\":{\"Set\":{\"path\":\"timeline\",\"value\":\"[]\"}}}]",
    "{\"archetype\":\"spammer\",\"count\":4294967295}",
    "18446744073709551616",
    "",
];
const BAD_PATHS: &[&str] = &[
    "",
    ".",
    "[",
    "]",
    "a..b",
    "creators[",
    "creators[]",
    "creators[-1]",
    "creators[99999999999999999999]",
    "timeline[0].action.Set.value",
    "recommender.blend[0].policy.x",
    "name.x",
    "creators.0.skill.Fixed",
];

fn override_pair(rng: &mut Rng, paths: &[String]) -> (String, String) {
    let path = if rng.below(8) == 0 {
        rng.pick(BAD_PATHS).to_string()
    } else {
        rng.pick(paths).clone()
    };
    let value = match rng.below(10) {
        0 => "[".repeat(rng.size(70_000)),
        1 => "x".repeat(rng.size(70_000)),
        2 => String::from_utf8_lossy(
            &(0..rng.size(40))
                .map(|_| rng.next() as u8)
                .collect::<Vec<_>>(),
        )
        .into_owned(),
        _ => rng.pick(VALUES).to_string(),
    };
    (path, value)
}

/// What happened to one input.
enum Outcome {
    /// No panic; `parsed` when the text was a scenario (valid or not).
    Fine {
        parsed: bool,
    },
    Panicked(String),
}

/// Parses and checks `text`, then applies `overrides` and checks again, as `feedlab run` does.
fn exercise(text: &str, overrides: &[(String, String)]) -> Outcome {
    let path = Path::new("fuzz.ron");
    let result = catch_unwind(AssertUnwindSafe(|| {
        let parsed = scenario::parse(path, text).ok();
        if let Some(s) = &parsed {
            let _ = scenario::check(path, s);
        }
        let mut s = parsed.clone().unwrap_or_default();
        for (field, value) in overrides {
            let _ = scenario::parse_assignment(&format!("{field}={value}"));
            if scenario::apply_override(&mut s, field, value).is_ok() {
                let _ = scenario::check(path, &s);
            }
        }
        parsed.is_some()
    }));
    match result {
        Ok(parsed) => Outcome::Fine { parsed },
        Err(_) => Outcome::Panicked(
            LAST_PANIC
                .lock()
                .map(|m| m.clone().unwrap_or_default())
                .unwrap_or_default(),
        ),
    }
}

fn save(out: &Path, name: &str, input: &[u8], note: &str) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(out)?;
    let file = out.join(format!("{name}.ron"));
    std::fs::write(&file, input)?;
    std::fs::write(out.join(format!("{name}.txt")), note)?;
    Ok(file)
}

/// Saves the current input and exits when one input runs longer than `hang`.
fn watchdog(hang: Duration, out: PathBuf, seed: u64) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(250));
            let current = CURRENT.lock().ok().and_then(|c| c.clone());
            if let Some((began, iteration, text)) = current
                && began.elapsed() > hang
            {
                let problem = format!("still running after {hang:?}: a hang");
                let note = format!(
                    "{problem}\nreplay: cargo run --release --example fuzz_scenario -- --seed \
                     {seed} --iterations {}\n",
                    iteration + 1
                );
                match save(
                    &out,
                    &format!("seed{seed}-iteration{iteration}"),
                    text.as_bytes(),
                    &note,
                ) {
                    Ok(file) => {
                        eprintln!("FAILURE: {problem}\n  input saved to {}", file.display())
                    }
                    Err(e) => eprintln!("FAILURE: {problem}\n  could not save the input: {e}"),
                }
                std::process::exit(1);
            }
        }
    });
}

fn main() -> ExitCode {
    let o = match options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("fuzz_scenario: {e}");
            return ExitCode::from(2);
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut corpus: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .map(|entries| {
            let mut files: Vec<PathBuf> = entries.filter_map(|e| Some(e.ok()?.path())).collect();
            files.sort();
            files
                .iter()
                .filter(|p| p.extension().is_some_and(|e| e == "ron"))
                .filter_map(|p| std::fs::read(p).ok())
                .collect()
        })
        .unwrap_or_default();
    if corpus.is_empty() {
        eprintln!("fuzz_scenario: no scenarios found in {}", dir.display());
        return ExitCode::from(2);
    }
    let mut paths = Vec::new();
    field_paths(
        &serde_json::to_value(Scenario::default()).expect("the default scenario is JSON"),
        String::new(),
        &mut paths,
    );
    std::panic::set_hook(Box::new(|info| {
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(info.to_string());
        }
    }));

    watchdog(o.hang, o.out.clone(), o.seed);

    let mut rng = Rng(o.seed);
    let start = Instant::now();
    let deadline = Duration::from_secs_f64(o.seconds);
    let (mut iterations, mut parsed_ok, mut failures) = (0u64, 0u64, 0u64);
    let mut slowest = Duration::ZERO;
    while start.elapsed() < deadline && o.iterations.is_none_or(|n| iterations < n) {
        let mut input = rng.pick(&corpus).clone();
        for _ in 0..1 + rng.below(6) {
            mutate(&mut rng, &mut input, &corpus);
        }
        let overrides: Vec<(String, String)> = (0..rng.below(4))
            .map(|_| override_pair(&mut rng, &paths))
            .collect();
        let text: Arc<str> = String::from_utf8_lossy(&input).into();
        let began = Instant::now();
        if let Ok(mut current) = CURRENT.lock() {
            *current = Some((began, iterations, text.clone()));
        }
        let outcome = exercise(&text, &overrides);
        let took = began.elapsed();
        slowest = slowest.max(took);
        let problem = match &outcome {
            Outcome::Panicked(message) => Some(format!("panicked: {message}")),
            Outcome::Fine { .. } if took > o.slow => Some(format!(
                "took {took:.2?}, over the --slow limit of {:?} (quadratic time?)",
                o.slow
            )),
            Outcome::Fine { .. } => None,
        };
        if let Some(problem) = problem {
            failures += 1;
            let name = format!("seed{}-iteration{iterations}", o.seed);
            let note = format!(
                "{problem}\noverrides (path=value, applied after parsing): {overrides:?}\n\
                 replay: cargo run --release --example fuzz_scenario -- --seed {} --iterations {}\n",
                o.seed,
                iterations + 1
            );
            match save(&o.out, &name, text.as_bytes(), &note) {
                Ok(file) => eprintln!("FAILURE: {problem}\n  input saved to {}", file.display()),
                Err(e) => eprintln!("FAILURE: {problem}\n  could not save the input: {e}"),
            }
        }
        if let Outcome::Fine { parsed: true } = outcome {
            parsed_ok += 1;
            // Survivors are valid RON: mutating them further reaches the range checks.
            if input.len() < 256 << 10 && rng.below(4) == 0 {
                if corpus.len() < CORPUS_LIMIT {
                    corpus.push(input);
                } else {
                    let i = rng.below(CORPUS_LIMIT);
                    corpus[i] = input;
                }
            }
        }
        iterations += 1;
    }
    println!(
        "fuzz_scenario: seed {}, {iterations} inputs in {:.1}s, {parsed_ok} parsed, corpus {}, \
         slowest input {slowest:.2?}, {failures} failure(s)",
        o.seed,
        start.elapsed().as_secs_f64(),
        corpus.len()
    );
    if failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
