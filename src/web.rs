//! The browser build's side of the page (wasm32 only; `src/bin/feedlab-web.rs` calls `start` and
//! opens the window; the window uses the downloads, file chooser and bundled scenarios here).
//!
//! The page's address chooses what runs:
//! - `index.html` or `?scenario=NAME`: the window on a bundled scenario (default: baseline);
//!   `&stop_at=N` runs as fast as possible to tick N, pauses and tells the page (tests,
//!   start-up measurements); `&compare=A,B[&fork_at_day=D]` opens two worlds side by side, as
//!   `feedlab gui --compare A,B [--fork-at-day D]` does.
//! - `?run=NAME&ticks=N[&seed=S][&policy=P][&export=metrics,notes|all]`: no window; runs the
//!   scenario headless, exactly as `feedlab run NAME --ticks N` does, and writes the chosen result
//!   files into the page as `<pre class="result" data-file="metrics.csv">` elements. The
//!   same-numbers test (`web/same_numbers.sh`) compares them byte for byte with `feedlab run`.
//!
//! NAME is a bundled scenario: `baseline`, `lessons/controlled_influencers`, or its path
//! `scenarios/baseline.ron`. The page hears about progress through `window.feedlabEvent(name,
//! tick)` when it defines one: `first-frame`, `stopped`, `done` (headless), `error`.
//!
//! Threads: plain wasm32 has none. The simulation's parallel loops run in sequence here
//! (`sim::par`: no rayon in this build) and Bevy's compute pool is single-threaded; results do not
//! depend on the thread count, which the same-numbers test checks. Nothing here touches files,
//! process ids or /proc: result folders, the memory check and the command line are native only.

use crate::output::{RunInfo, run_files};
use crate::scenario::{self, PolicyKind, Scenario, ScenarioError};
use crate::simulation::Simulation;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;

/// Every `.ron` in `scenarios/` and `scenarios/lessons/` at build time: (path, text).
pub static BUNDLED_SCENARIOS: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/bundled_scenarios.rs"));

/// The scenario the window opens on when the address names none.
pub const DEFAULT_SCENARIO: &str = "scenarios/baseline.ron";

/// Starts what the page's address asks for, a headless run here or the window through
/// `open_window` (the entry's: this module sits below the window, which uses its downloads and
/// file chooser); errors are shown in the page.
pub fn start(open_window: fn(&Query) -> Result<(), String>) {
    std::panic::set_hook(Box::new(|info| {
        let message = format!("feedlab stopped: {info}");
        web_sys::console::error_1(&message.clone().into());
        show_error(&message);
    }));
    let query = Query::from_page();
    let outcome = match query.get("run") {
        Some(name) => run_headless(&query, &name),
        None => open_window(&query),
    };
    if let Err(message) = outcome {
        web_sys::console::error_1(&message.clone().into());
        show_error(&message);
    }
}

/// The page's query string.
pub struct Query(Option<web_sys::UrlSearchParams>);

impl Query {
    fn from_page() -> Self {
        let search = web_sys::window().and_then(|w| w.location().search().ok());
        Query(search.and_then(|s| web_sys::UrlSearchParams::new_with_str(&s).ok()))
    }
    /// The value of `key`, when it is there and not empty.
    pub fn get(&self, key: &str) -> Option<String> {
        self.0.as_ref()?.get(key).filter(|v| !v.is_empty())
    }
    /// The value of `key` as a number, when it is there.
    pub fn number<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, String> {
        self.get(key)
            .map(|v| {
                v.parse()
                    .map_err(|_| format!("{key}={v}: expected a number"))
            })
            .transpose()
    }
}

/// The bundled path a name in the address means: `baseline`, `baseline.ron`,
/// `lessons/controlled_influencers` and `scenarios/baseline.ron` all work.
pub fn bundled_path(name: &str) -> PathBuf {
    let name = name.trim_start_matches("scenarios/");
    let name = name.strip_suffix(".ron").unwrap_or(name);
    PathBuf::from(format!("scenarios/{name}.ron"))
}

/// Parses and checks a bundled scenario.
pub fn bundled_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = BUNDLED_SCENARIOS
        .iter()
        .find(|(p, _)| Path::new(p) == path)
        .map(|(_, text)| *text)
        .ok_or_else(|| ScenarioError::Read {
            path: path.to_path_buf(),
            reason: format!(
                "not among the scenarios bundled into this page ({}); open it from your \
                 computer with \"Open a scenario file…\"",
                BUNDLED_SCENARIOS
                    .iter()
                    .map(|(p, _)| *p)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })?;
    let scenario = scenario::parse(path, text)?;
    scenario::check(path, &scenario)?;
    Ok(scenario)
}

/// `?run=NAME&ticks=N...`: runs headless and writes the result files into the page.
fn run_headless(query: &Query, name: &str) -> Result<(), String> {
    let path = bundled_path(name);
    let mut s = bundled_scenario(&path).map_err(|e| e.to_string())?;
    // The same changes, in the same order, as `feedlab run`'s --policy, --seed, --days, --ticks
    // (`runs::load_scenario`); the same-numbers test would catch a difference.
    if let Some(policy) = query.get("policy") {
        s.recommender.policy =
            PolicyKind::parse(&policy).ok_or_else(|| format!("policy={policy}: unknown policy"))?;
    }
    if let Some(seed) = query.number::<u64>("seed")? {
        s.seed = seed;
    }
    if let Some(days) = query.number::<f64>("days")? {
        s.days = days;
    }
    if let Some(ticks) = query.number::<u32>("ticks")? {
        if ticks == 0 {
            return Err("ticks=0: expected 1 or more".into());
        }
        s.days = ticks as f64 * s.tick_minutes as f64 / 1440.0;
    }
    scenario::check(&path, &s).map_err(|e| e.to_string())?;

    let start = web_time::Instant::now();
    let mut sim = Simulation::new(&s);
    sim.run_to_end();
    let total = sim.tick();
    let seconds = start.elapsed().as_secs_f64();

    let files = run_files(sim.world(), &RunInfo::default()).map_err(|e| format!("{e:#}"))?;
    let wanted = query.get("export").unwrap_or_else(|| "metrics".into());
    let wanted: Vec<&str> = wanted.split(',').map(str::trim).collect();
    let document = document().ok_or("no document")?;
    let parent = document
        .get_element_by_id("results")
        .or_else(|| document.body().map(Into::into))
        .ok_or("no <body>")?;
    for (file, contents) in &files.files {
        let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        if !wanted.iter().any(|w| *w == "all" || *w == stem) {
            continue;
        }
        let pre = document.create_element("pre").map_err(js_error)?;
        pre.set_class_name("result");
        pre.set_attribute("data-file", &file.display().to_string())
            .map_err(js_error)?;
        pre.set_text_content(Some(&String::from_utf8_lossy(contents)));
        parent.append_child(&pre).map_err(js_error)?;
    }
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-run-seconds", &format!("{seconds:.3}"));
        let _ = body.set_attribute("data-state", "done");
    }
    announce("done", total);
    Ok(())
}

fn document() -> Option<web_sys::Document> {
    web_sys::window()?.document()
}

fn js_error(e: JsValue) -> String {
    format!("{e:?}")
}

/// Calls `window.feedlabEvent(name, tick)` when the page defines it.
pub fn announce(name: &str, tick: u32) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if let Ok(f) = js_sys::Reflect::get(&window, &"feedlabEvent".into())
        && let Some(f) = f.dyn_ref::<js_sys::Function>()
    {
        let _ = f.call2(&JsValue::NULL, &name.into(), &tick.into());
    }
}

/// Sets the page's title.
pub fn set_title(title: &str) {
    if let Some(document) = document() {
        document.set_title(title);
    }
}

/// Shows an error in the page (`#message`), and marks the page so tests see it.
fn show_error(message: &str) {
    let Some(document) = document() else { return };
    if let Some(element) = document.get_element_by_id("message") {
        element.set_text_content(Some(message));
        let _ = element.set_attribute("class", "error");
        let _ = element.remove_attribute("hidden");
    }
    if let Some(body) = document.body() {
        let _ = body.set_attribute("data-state", "error");
    }
    announce("error", 0);
}

/// Offers bytes as a file download (a Blob behind a temporary link).
pub fn download(name: &str, bytes: &[u8], mime: &str) -> anyhow::Result<()> {
    let fail = |e: JsValue| anyhow::anyhow!("cannot download {name}: {e:?}");
    let document = document().ok_or_else(|| anyhow::anyhow!("no document"))?;
    let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    let blob =
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).map_err(fail)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob).map_err(fail)?;
    let link: web_sys::HtmlAnchorElement = document
        .create_element("a")
        .map_err(fail)?
        .dyn_into()
        .map_err(|_| anyhow::anyhow!("cannot create a link"))?;
    link.set_href(&url);
    link.set_download(name);
    link.click();
    // Revoked a minute later: some browsers start reading the blob only after `click` returns.
    let revoke = Closure::once_into_js(move || {
        let _ = web_sys::Url::revoke_object_url(&url);
    });
    if let Some(window) = web_sys::window() {
        let _ = window
            .set_timeout_with_callback_and_timeout_and_arguments_0(revoke.unchecked_ref(), 60_000);
    }
    Ok(())
}

/// What a file from the user's disk is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A `.ron` scenario (at most `scenario::MAX_FILE_BYTES`).
    Scenario,
    /// A `sweep.csv` for the sweep view.
    Sweep,
}

/// Largest sweep.csv the page reads: a million runs of a few dozen metrics.
const MAX_SWEEP_BYTES: f64 = 256.0 * 1024.0 * 1024.0;

/// A picked file's kind, and its name and text or why it could not be read.
type Picked = (FileKind, Result<(String, String), String>);

thread_local! {
    /// The file the user last picked, until the window takes it.
    static PICKED: RefCell<Option<Picked>> = const { RefCell::new(None) };
}

/// Opens the browser's file chooser for a scenario or a sweep. Called a frame after the button's
/// click, still within the click's user activation, which browsers require for a file chooser.
pub fn pick_file(kind: FileKind) {
    let Some(document) = document() else { return };
    let Ok(input) = document
        .create_element("input")
        .map(|e| e.unchecked_into::<web_sys::HtmlInputElement>())
    else {
        return;
    };
    input.set_type("file");
    input.set_accept(match kind {
        FileKind::Scenario => ".ron,text/plain",
        FileKind::Sweep => ".csv,text/csv",
    });
    let chosen = input.clone();
    let on_change = Closure::once_into_js(move || {
        let Some(file) = chosen.files().and_then(|f| f.get(0)) else {
            return;
        };
        let name = file.name();
        let too_large = match kind {
            FileKind::Scenario => (file.size() > scenario::MAX_FILE_BYTES as f64).then(|| {
                ScenarioError::TooLarge {
                    path: PathBuf::from(&name),
                    bytes: file.size() as u64,
                    at_least: false,
                }
                .to_string()
            }),
            FileKind::Sweep => (file.size() > MAX_SWEEP_BYTES).then(|| {
                format!(
                    "{name}: {:.0} MiB, more than the {:.0} MiB the page reads",
                    file.size() / 1048576.0,
                    MAX_SWEEP_BYTES / 1048576.0
                )
            }),
        };
        if let Some(error) = too_large {
            PICKED.with(|p| *p.borrow_mut() = Some((kind, Err(error))));
            return;
        }
        wasm_bindgen_futures::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
            let picked = text
                .ok()
                .and_then(|text| text.as_string())
                .map(|text| (name.clone(), text))
                .ok_or_else(|| format!("{name}: cannot read the file as text"));
            PICKED.with(|p| *p.borrow_mut() = Some((kind, picked)));
        });
    });
    input.set_onchange(Some(on_change.unchecked_ref()));
    input.click();
}

/// The file the user picked since the last call, if any.
pub fn take_picked_file() -> Option<Picked> {
    PICKED.with(|p| p.borrow_mut().take())
}
