//! feedlab: an agent-based simulation of a note-sharing platform (in the style of Xiaohongshu /
//! RedNote) on the Bevy ECS, asking whether a feed algorithm rewards quality or size.

// The command line, batch runs over threads and result folders on disk are native only; the
// browser build (`web`) runs one world on the page's thread and reads sweep.csv files only.
#[cfg(not(target_arch = "wasm32"))]
pub mod batch;
#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
#[cfg(not(target_arch = "wasm32"))]
pub mod compare;
pub mod feed;
#[cfg(not(target_arch = "wasm32"))]
pub mod memory;
pub mod metrics;
pub mod output;
pub mod population;
pub mod posting;
pub mod recommender;
#[cfg(not(target_arch = "wasm32"))]
pub mod runs;
pub mod scenario;
pub mod sim;
pub mod simulation;
#[cfg(not(target_arch = "wasm32"))]
pub mod sweep;
/// Sweeps in the browser: reading a sweep.csv for the sweep view (running one needs threads and
/// folders).
#[cfg(target_arch = "wasm32")]
pub mod sweep {
    pub mod table;
}
pub mod timeline;

#[cfg(feature = "window")]
pub mod gui;
#[cfg(all(target_arch = "wasm32", feature = "web"))]
pub mod web;
