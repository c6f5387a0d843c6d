//! feedlab: an agent-based simulation of a note-sharing platform (in the style of Xiaohongshu /
//! RedNote) on the Bevy ECS, asking whether a feed algorithm rewards quality or size.

pub mod cli;
pub mod memory;
pub mod metrics;
pub mod output;
pub mod recommender;
pub mod scenario;
pub mod sim;

#[cfg(feature = "gui")]
pub mod gui;
