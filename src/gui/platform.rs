//! What the window does differently on a desktop and in a browser tab: where scenario files come
//! from and where exports go. Natively: the `scenarios/` folder, and files written under
//! `results/`. In the browser: the scenarios bundled into the page, a file the user picks from
//! disk, and downloads. Everything else in the window is the same code on both.

use crate::output::ResultSet;
use crate::scenario::{Scenario, ScenarioError};
use std::path::{Path, PathBuf};

/// Scenario files the picker lists from a folder (`scenarios`, `scenarios/lessons`): every
/// `.ron` in it, sorted.
#[cfg(not(target_arch = "wasm32"))]
pub fn scenario_files(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Scenario files the picker lists from a folder: the ones bundled into the page from it.
#[cfg(target_arch = "wasm32")]
pub fn scenario_files(folder: &str) -> Vec<PathBuf> {
    crate::web::BUNDLED_SCENARIOS
        .iter()
        .map(|(path, _)| PathBuf::from(path))
        .filter(|path| path.parent() == Some(Path::new(folder)))
        .collect()
}

/// Reads and checks a scenario file.
#[cfg(not(target_arch = "wasm32"))]
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    crate::scenario::load(path).and_then(|s| crate::scenario::check(path, &s).map(|()| s))
}

/// Parses and checks a bundled scenario (the page has no file system; files from the user's disk
/// arrive as text, see `Request::LoadText`).
#[cfg(target_arch = "wasm32")]
pub fn load_scenario(path: &Path) -> Result<Scenario, ScenarioError> {
    crate::web::bundled_scenario(path)
}

/// True where the window asks the user for files from their disk through a file chooser (in the
/// browser) instead of a path to type.
pub const CAN_PICK_FILE: bool = cfg!(target_arch = "wasm32");

/// Asks the user for a scenario file (the page's file chooser); the text arrives in a later
/// frame through `receive_files`.
pub fn pick_scenario() {
    #[cfg(target_arch = "wasm32")]
    crate::web::pick_file(crate::web::FileKind::Scenario);
}

/// Asks the user for a sweep.csv (the page's file chooser), for the sweep view.
pub fn pick_sweep() {
    #[cfg(target_arch = "wasm32")]
    crate::web::pick_file(crate::web::FileKind::Sweep);
}

/// Where the CSV export goes, for the button's tooltip.
pub const CSV_EXPORT_HELP: &str = if cfg!(target_arch = "wasm32") {
    "Download metrics, creators, notes and funnel CSVs and summary.json"
} else {
    "Write metrics, creators, notes and funnel CSVs to results/gui-<tick>/"
};

/// Where the PNG export goes, for the button's tooltip.
pub const PNG_EXPORT_HELP: &str = if cfg!(target_arch = "wasm32") {
    "Download a PNG of the window"
} else {
    "Save the window to results/gui-<tick>.png"
};

/// Exports a run's result files; returns the message for the status bar.
#[cfg(not(target_arch = "wasm32"))]
pub fn export_results(files: &ResultSet, tick: u32) -> anyhow::Result<String> {
    let dir = PathBuf::from(format!("results/gui-{tick}"));
    files.commit(&dir)?;
    Ok(format!("CSV results written to {}/", dir.display()))
}

/// Exports a run's result files as downloads; returns the message for the status bar.
#[cfg(target_arch = "wasm32")]
pub fn export_results(files: &ResultSet, tick: u32) -> anyhow::Result<String> {
    let mut names = Vec::new();
    for (path, contents) in &files.files {
        let name = format!("feedlab-{tick}-{}", path.display());
        let mime = if name.ends_with(".json") {
            "application/json"
        } else {
            "text/csv"
        };
        crate::web::download(&name, contents, mime)?;
        names.push(name);
    }
    Ok(format!("Downloaded {}", names.join(", ")))
}

/// Saves a PNG of the window; returns the message for the status bar.
#[cfg(not(target_arch = "wasm32"))]
pub fn export_png(png: &[u8], tick: u32) -> anyhow::Result<String> {
    let path = PathBuf::from(format!("results/gui-{tick}.png"));
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&path, png)?;
    Ok(format!("Screenshot saved to {}", path.display()))
}

/// Downloads a PNG of the window; returns the message for the status bar.
#[cfg(target_arch = "wasm32")]
pub fn export_png(png: &[u8], tick: u32) -> anyhow::Result<String> {
    let name = format!("feedlab-{tick}.png");
    crate::web::download(&name, png, "image/png")?;
    Ok(format!("Downloaded {name}"))
}
