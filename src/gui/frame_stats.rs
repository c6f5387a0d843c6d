//! `--frame-stats FILE`: how fast the window runs, written as JSON when the automatic screenshot
//! is taken. Frames are timed from one frame's start to the next; within a frame, the time spent
//! advancing the simulation and building the interface (the egui pass, which lays out the map
//! and the plots) is timed apart, so the rest is the map's entities, rendering and presenting.
//! Measuring starts at the first frame that advances the simulation (after start-up and the
//! first pipeline compilations) and stops at the capture.
//!
//! Wall-clock times vary from run to run; they are a report for people, never a test.

use super::state::Worlds;
use bevy::prelude::*;
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// What one run measured, as written to the JSON file.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub frames: usize,
    pub ticks: u64,
    pub wall_seconds: f64,
    pub frames_per_sec: f64,
    pub ticks_per_sec: f64,
    pub mean_frame_ms: f64,
    pub p50_frame_ms: f64,
    pub p95_frame_ms: f64,
    pub max_frame_ms: f64,
    /// Mean per frame: simulation steps, the egui pass, and the rest (map entities, rendering).
    pub mean_sim_ms: f64,
    pub mean_ui_ms: f64,
    pub mean_other_ms: f64,
    /// Seconds from the window's start to the first measured frame.
    pub startup_seconds: f64,
    pub worlds: usize,
    /// Users (creators included) and creators of the world on show at the end.
    pub users: usize,
    pub creators: usize,
}

/// The `p`-th percentile (0..=100) by nearest rank: the smallest value with at least p% of the
/// values at or below it. 0 for no values.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Per-frame times in milliseconds, kept for the whole run (a few thousand numbers).
#[derive(Resource)]
pub struct FrameStats {
    path: PathBuf,
    created: Instant,
    /// Start of the measured run and of the current frame.
    first: Option<Instant>,
    frame_start: Option<Instant>,
    sim_start: Option<Instant>,
    ui_start: Option<Instant>,
    tick_at_start: u64,
    ticks: u64,
    frame_ms: Vec<f64>,
    sim_ms: Vec<f64>,
    ui_ms: Vec<f64>,
    /// Simulation and egui time of the frame in progress.
    current_sim: f64,
    current_ui: f64,
    written: bool,
}

impl FrameStats {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            created: Instant::now(),
            first: None,
            frame_start: None,
            sim_start: None,
            ui_start: None,
            tick_at_start: 0,
            ticks: 0,
            frame_ms: Vec::new(),
            sim_ms: Vec::new(),
            ui_ms: Vec::new(),
            current_sim: 0.0,
            current_ui: 0.0,
            written: false,
        }
    }

    /// A frame boundary: closes the frame in progress (if measuring) and opens the next.
    fn frame_boundary(&mut self, now: Instant) {
        if let Some(start) = self.frame_start.filter(|_| self.first.is_some()) {
            self.frame_ms.push(ms(now - start));
            self.sim_ms.push(self.current_sim);
            self.ui_ms.push(self.current_ui);
        }
        self.current_sim = 0.0;
        self.current_ui = 0.0;
        self.frame_start = Some(now);
    }

    /// The numbers so far.
    pub fn summary(&self, worlds: usize, users: usize, creators: usize) -> Summary {
        let wall = self
            .first
            .zip(self.frame_start)
            .map_or(0.0, |(a, b)| (b - a).as_secs_f64());
        let per_sec = |n: f64| if wall > 0.0 { n / wall } else { 0.0 };
        let other: Vec<f64> = (0..self.frame_ms.len())
            .map(|i| (self.frame_ms[i] - self.sim_ms[i] - self.ui_ms[i]).max(0.0))
            .collect();
        Summary {
            frames: self.frame_ms.len(),
            ticks: self.ticks,
            wall_seconds: wall,
            frames_per_sec: per_sec(self.frame_ms.len() as f64),
            ticks_per_sec: per_sec(self.ticks as f64),
            mean_frame_ms: mean(&self.frame_ms),
            p50_frame_ms: percentile(&self.frame_ms, 50.0),
            p95_frame_ms: percentile(&self.frame_ms, 95.0),
            max_frame_ms: self.frame_ms.iter().cloned().fold(0.0, f64::max),
            mean_sim_ms: mean(&self.sim_ms),
            mean_ui_ms: mean(&self.ui_ms),
            mean_other_ms: mean(&other),
            startup_seconds: self.first.map_or(0.0, |f| (f - self.created).as_secs_f64()),
            worlds,
            users,
            creators,
        }
    }

    fn write(&self, summary: &Summary) -> anyhow::Result<()> {
        write_json(&self.path, summary)
    }
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Writes `summary` to `path` through a temporary name, so a failed write leaves nothing.
fn write_json(path: &Path, summary: &Summary) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_string_pretty(summary)? + "\n")?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

/// The systems, added only with `--frame-stats`.
pub fn plugin(app: &mut App, path: PathBuf) {
    app.insert_resource(FrameStats::new(path))
        .add_systems(First, frame_started)
        .add_systems(
            Update,
            (
                sim_started.before(super::state::step_simulation),
                sim_finished.after(super::state::step_simulation),
            ),
        )
        .add_systems(
            bevy_egui::EguiPrimaryContextPass,
            (
                ui_started.before(super::ui_system),
                ui_finished.after(super::ui_system),
            ),
        );
}

fn frame_started(mut stats: ResMut<FrameStats>) {
    stats.frame_boundary(Instant::now());
}

fn sim_started(mut stats: ResMut<FrameStats>, worlds: Res<Worlds>) {
    if stats.first.is_none() {
        stats.tick_at_start = worlds.shown().sim.tick() as u64;
    }
    stats.sim_start = Some(Instant::now());
}

fn sim_finished(mut stats: ResMut<FrameStats>, worlds: Res<Worlds>) {
    let Some(start) = stats.sim_start.take() else {
        return;
    };
    let now = Instant::now();
    let tick = worlds.shown().sim.tick() as u64;
    if stats.first.is_none() {
        if tick == stats.tick_at_start {
            return;
        }
        // The first frame that advanced the simulation starts the measured run.
        stats.first = stats.frame_start;
    }
    stats.current_sim += ms(now - start);
    stats.ticks = tick - stats.tick_at_start;
}

fn ui_started(mut stats: ResMut<FrameStats>) {
    stats.ui_start = Some(Instant::now());
}

fn ui_finished(mut stats: ResMut<FrameStats>) {
    if let Some(start) = stats.ui_start.take() {
        stats.current_ui += ms(Instant::now() - start);
    }
}

/// Called when the automatic screenshot is saved: writes the JSON once.
pub fn finish(stats: Option<&mut FrameStats>, worlds: &Worlds) {
    let Some(stats) = stats else {
        return;
    };
    if stats.written {
        return;
    }
    stats.frame_boundary(Instant::now());
    stats.written = true;
    let world = worlds.shown().sim.world();
    let users = world.resource::<crate::sim::agents::Users>().len();
    let creators = world.resource::<crate::sim::agents::Creators>().list.len();
    let summary = stats.summary(worlds.list.len(), users, creators);
    match stats.write(&summary) {
        Ok(()) => info!(
            "frame stats written to {}: {:.1} frames/s, {:.1} ticks/s, p95 {:.1} ms",
            stats.path.display(),
            summary.frames_per_sec,
            summary.ticks_per_sec,
            summary.p95_frame_ms
        ),
        Err(e) => error!("cannot write frame stats {}: {e}", stats.path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn percentile_by_nearest_rank() {
        let v: Vec<f64> = (1..=20).map(f64::from).collect();
        assert_eq!(percentile(&v, 95.0), 19.0);
        assert_eq!(percentile(&v, 50.0), 10.0);
        assert_eq!(percentile(&v, 100.0), 20.0);
        assert_eq!(percentile(&v, 0.0), 1.0);
        // Order does not matter; one slow frame in ten shows in p95 but not in the median.
        let frames = [16.0, 17.0, 16.0, 90.0, 16.0, 15.0, 16.0, 17.0, 16.0, 16.0];
        assert_eq!(percentile(&frames, 95.0), 90.0);
        assert_eq!(percentile(&frames, 50.0), 16.0);
        assert_eq!(percentile(&[], 95.0), 0.0);
        assert_eq!(percentile(&[3.0], 95.0), 3.0);
    }

    #[test]
    fn mean_of_frame_times() {
        assert_eq!(mean(&[10.0, 20.0, 30.0, 40.0]), 25.0);
        assert_eq!(mean(&[]), 0.0);
    }

    #[test]
    fn summary_of_hand_made_frames() {
        let mut stats = FrameStats::new(PathBuf::from("unused.json"));
        let t0 = Instant::now();
        stats.frame_boundary(t0);
        stats.first = Some(t0);
        // Four frames of 10, 20, 30 and 40 ms; 5 ms of simulation and 2 of egui in each.
        let mut t = t0;
        for k in 1..=4u64 {
            stats.current_sim = 5.0;
            stats.current_ui = 2.0;
            t += Duration::from_millis(10 * k);
            stats.frame_boundary(t);
        }
        stats.ticks = 8;
        let s = stats.summary(1, 100, 10);
        assert_eq!(s.frames, 4);
        assert!((s.wall_seconds - 0.1).abs() < 1e-9);
        assert!((s.frames_per_sec - 40.0).abs() < 1e-6);
        assert!((s.ticks_per_sec - 80.0).abs() < 1e-6);
        assert!((s.mean_frame_ms - 25.0).abs() < 1e-6);
        assert!((s.p95_frame_ms - 40.0).abs() < 1e-6);
        assert!((s.mean_sim_ms - 5.0).abs() < 1e-9);
        assert!((s.mean_other_ms - 18.0).abs() < 1e-6);
        let json = serde_json::to_value(&s).unwrap();
        for field in [
            "frames",
            "frames_per_sec",
            "mean_frame_ms",
            "p95_frame_ms",
            "ticks_per_sec",
        ] {
            assert!(json.get(field).is_some(), "{field} missing");
        }
    }
}
