//! feedlab: an agent-based simulation of a note-sharing platform (in the style of Xiaohongshu /
//! RedNote) on the Bevy ECS, asking whether a feed algorithm rewards quality or size.

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;
pub mod metrics;
pub mod output;
pub mod recommender;
pub mod scenario;
pub mod sim;

#[cfg(feature = "window")]
pub mod gui;
#[cfg(all(target_arch = "wasm32", feature = "web"))]
pub mod web;
