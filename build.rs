//! Bundles the scenario files into the browser build: for wasm32 targets, writes
//! `$OUT_DIR/bundled_scenarios.rs`, a list of (path, text) for every `.ron` in `scenarios/` and
//! `scenarios/lessons/`, which `src/web.rs` includes. New lessons are picked up by the next build.
//! Other targets get an empty list (they read the files from disk).

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=scenarios");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").is_ok_and(|a| a == "wasm32");
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    if wasm {
        for dir in ["scenarios", "scenarios/lessons"] {
            files.extend(ron_files(&root, dir));
        }
    }
    let mut code = String::from("&[\n");
    for (relative, absolute) in files {
        code.push_str(&format!(
            "    ({relative:?}, include_str!({:?})),\n",
            absolute.display().to_string()
        ));
    }
    code.push_str("]\n");
    std::fs::write(out.join("bundled_scenarios.rs"), code).expect("cannot write OUT_DIR");
}

/// `.ron` files directly in `root/dir`, sorted, as (path relative to the crate, absolute path).
fn ron_files(root: &Path, dir: &str) -> Vec<(String, PathBuf)> {
    let mut files: Vec<(String, PathBuf)> = std::fs::read_dir(root.join(dir))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "ron"))
                .filter_map(|p| {
                    let name = p.file_name()?.to_str()?.to_string();
                    Some((format!("{dir}/{name}"), p))
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}
