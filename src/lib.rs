//! feedlab: an agent-based simulation of a note-sharing platform (in the style of Xiaohongshu /
//! RedNote) on the Bevy ECS, asking whether a feed algorithm rewards quality or size.

pub mod batch;
pub mod cli;
pub mod compare;
pub mod feed;
pub mod memory;
pub mod metrics;
pub mod output;
pub mod population;
pub mod posting;
pub mod recommender;
pub mod runs;
pub mod scenario;
pub mod sim;
pub mod simulation;
pub mod sweep;
pub mod timeline;

#[cfg(feature = "gui")]
pub mod gui;
