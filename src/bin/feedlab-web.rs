//! The browser build's entry (`web/build.sh` builds it for wasm32 and packages it with
//! `web/index.html`): the page's address chooses the window or a headless run (see `src/web.rs`).
//! The window is opened here, above both the window and the page's services, so neither imports
//! the other back.

#[cfg(target_arch = "wasm32")]
fn main() {
    feedlab::web::start(open_window);
}

/// `?scenario=NAME[&stop_at=N][&compare=A,B[&fork_at_day=D]]`: the window on a bundled scenario.
#[cfg(target_arch = "wasm32")]
fn open_window(query: &feedlab::web::Query) -> Result<(), String> {
    use feedlab::web::{DEFAULT_SCENARIO, bundled_path, bundled_scenario};
    let path = query.get("scenario").map_or_else(
        || std::path::PathBuf::from(DEFAULT_SCENARIO),
        |n| bundled_path(&n),
    );
    let scenario = bundled_scenario(&path).map_err(|e| e.to_string())?;
    feedlab::gui::run(feedlab::gui::GuiOptions {
        path,
        scenario,
        screenshot: None,
        after_ticks: 0,
        frame_stats: None,
        sweep: None,
        sweep_metric: None,
        compare: compare_pair(query)?,
        fork_at_day: query.number::<f64>("fork_at_day")?,
        stop_at: query.number::<u32>("stop_at")?,
    })
    .map_err(|e| format!("{e:#}"))
}

/// `&compare=A,B`: two policies side by side, as `feedlab gui --compare A,B`.
#[cfg(target_arch = "wasm32")]
fn compare_pair(
    query: &feedlab::web::Query,
) -> Result<Option<[feedlab::scenario::PolicyKind; 2]>, String> {
    use feedlab::scenario::PolicyKind;
    let Some(pair) = query.get("compare") else {
        return Ok(None);
    };
    let policy = |name: &str| {
        PolicyKind::parse(name.trim())
            .ok_or_else(|| format!("compare={pair}: unknown policy {name}"))
    };
    match pair.split_once(',') {
        Some((a, b)) => Ok(Some([policy(a)?, policy(b)?])),
        None => Err(format!("compare={pair}: expected two policies, A,B")),
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "feedlab-web is the browser build: build it with web/build.sh (wasm32) and serve web/dist/; \
         natively, run `feedlab`"
    );
    std::process::exit(2);
}
