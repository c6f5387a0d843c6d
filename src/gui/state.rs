//! What the window remembers between frames, and the system that advances the simulation.

use super::platform;
use crate::metrics::collector::{MetricsHistory, creator_impressions};
use crate::output::{RunInfo, run_files};
use crate::recommender::Recommender;
use crate::scenario::{PolicyKind, Scenario};
use crate::sim::Clock;
use crate::sim::agents::{Creators, Notes};
use crate::simulation::Simulation;
use bevy::platform::time::Instant;
use bevy::prelude::*;
use std::path::PathBuf;
use std::time::Duration;

/// Longest time the simulation may take in one frame, so the window stays responsive.
const FRAME_BUDGET: Duration = Duration::from_millis(12);
/// The same for unattended runs (`--screenshot`, `?stop_at`), where nobody waits for the
/// interface and each frame can be slow to draw (software rendering in CI).
const UNATTENDED_FRAME_BUDGET: Duration = Duration::from_millis(250);
/// Frames drawn after the last tick before an automatic screenshot, so plots and layout settle.
pub const SETTLE_FRAMES: u32 = 8;

/// Read access to the simulation tables the panels draw from (of the world on show).
pub struct WorldView<'w> {
    pub creators: &'w Creators,
    pub notes: &'w Notes,
    pub history: &'w MetricsHistory,
}

impl<'w> WorldView<'w> {
    pub fn of(world: &'w World) -> Self {
        Self {
            creators: world.resource::<Creators>(),
            notes: world.resource::<Notes>(),
            history: world.resource::<MetricsHistory>(),
        }
    }
}

/// One simulation world the window holds, with what the window keeps about it.
pub struct HeldWorld {
    pub sim: Simulation,
    pub cache: GuiCache,
}

impl HeldWorld {
    pub fn new(scenario: &Scenario) -> Self {
        let mut held = Self {
            sim: Simulation::new(scenario),
            cache: GuiCache::default(),
        };
        held.cache.policy_marks = vec![(0.0, scenario.recommender.policy)];
        held.refresh();
        held
    }

    pub(super) fn refresh(&mut self) {
        let world = self.sim.world();
        self.cache.refresh(
            world.resource::<Clock>(),
            world.resource::<Creators>(),
            world.resource::<Notes>(),
        );
    }
}

/// Every world the window holds (each with its own state and ids) and which one is on show.
/// All of them step together. With one, it is drawn; with two, both are drawn side by side and
/// "shown" is the one the parameter panel and the inspector work on (see `side_by_side`).
#[derive(Resource)]
pub struct Worlds {
    pub list: Vec<HeldWorld>,
    pub shown: usize,
    /// How the worlds were set up; Reset and Load rebuild the same.
    pub setup: Setup,
    /// The fork the two worlds came from, if they did.
    pub fork: Option<ForkMark>,
}

impl Worlds {
    pub fn shown(&self) -> &HeldWorld {
        &self.list[self.shown.min(self.list.len() - 1)]
    }
}

/// A request from the interface that needs the whole world.
#[derive(Clone, Debug)]
pub enum Request {
    /// Rebuild the population from the scenario (with the panel's edits).
    Reset,
    /// Rebuild with a fresh random seed.
    NewSeed,
    /// Load another scenario file (natively from disk, in the browser from the bundled ones)
    /// and rebuild.
    Load(PathBuf),
    /// Load scenario text the user picked from disk in the browser, and rebuild.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    LoadText { name: String, text: String },
    /// Export the run's CSVs (natively to `results/gui-<tick>/`, in the browser as downloads).
    ExportCsv,
    /// Copy the shown world now; the copy continues under this policy, side by side.
    Fork(PolicyKind),
    /// Drop the other world and go on with the shown one alone.
    KeepShown,
    /// Let the parameter panel and the inspector work on this world.
    Show(usize),
}

/// `--screenshot FILE --after-ticks N`: run N ticks, let the interface settle, capture, exit.
/// (Native: the browser's unattended runs are `AutoStop`s.)
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub struct AutoShot {
    pub path: PathBuf,
    pub after_ticks: u32,
    pub ticks_done: u32,
    settled_frames: u32,
    captured: bool,
}

impl AutoShot {
    pub fn new(path: PathBuf, after_ticks: u32) -> Self {
        Self {
            path,
            after_ticks,
            ticks_done: 0,
            settled_frames: 0,
            captured: false,
        }
    }
    pub fn ticks_left(&self) -> u32 {
        self.after_ticks.saturating_sub(self.ticks_done)
    }
    /// Called once per drawn frame.
    pub fn frame_drawn(&mut self) {
        if self.ticks_left() == 0 {
            self.settled_frames += 1;
        }
    }
    /// True exactly once, when the capture should start.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub fn ready_to_capture(&mut self) -> bool {
        if !self.captured && self.ticks_left() == 0 && self.settled_frames >= SETTLE_FRAMES {
            self.captured = true;
            return true;
        }
        false
    }
}

/// Run as fast as possible up to a tick, then pause and tell the page (the browser's smoke test
/// and start-up measurements ask for this in the page's address: `?stop_at=N`).
#[derive(Clone, Debug)]
pub struct AutoStop {
    pub at_tick: u32,
    pub reached: bool,
}

impl AutoStop {
    pub fn new(at_tick: u32) -> Self {
        Self {
            at_tick,
            reached: false,
        }
    }
}

/// How the leaderboard is sorted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortKey {
    Id,
    Archetype,
    Followers,
    Gained,
    Impressions,
    LastHour,
    Skill,
}

/// Which view the right panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RightTab {
    Inspector,
    Leaderboard,
    Exposure,
}

#[derive(Resource)]
pub struct GuiState {
    pub right_tab: RightTab,
    pub scenario_path: PathBuf,
    pub scenario_files: Vec<PathBuf>,
    /// Lesson scenarios (`scenarios/lessons/`), listed apart in the picker.
    pub lesson_files: Vec<PathBuf>,
    pub path_input: String,
    pub load_error: Option<String>,
    /// The scenario as the population section edits it; used on reset.
    pub pending: Scenario,
    pub playing: bool,
    /// Run as many ticks as fit in the frame budget.
    pub fast: bool,
    pub ticks_per_second: f64,
    pub step_once: bool,
    tick_debt: f64,
    pub request: Option<Request>,
    pub screenshot_requested: bool,
    pub auto: Option<AutoShot>,
    pub auto_stop: Option<AutoStop>,
    pub selected_creator: Option<u32>,
    pub selected_note: Option<u32>,
    /// The policy the "Fork here" button switches the copy to.
    pub fork_policy: PolicyKind,
    pub sort: SortKey,
    pub sort_descending: bool,
    pub status: Option<(String, Instant)>,
    /// Measured simulation speed, ticks per wall-clock second.
    pub measured_tps: f64,
    /// (when, ticks done by then) over the last seconds, for `measured_tps`.
    tps_window: std::collections::VecDeque<(Instant, u64)>,
    ticks_done: u64,
}

impl GuiState {
    /// Ticks per second over the last two seconds of wall-clock time (not from one frame's
    /// length, which at start-up or after a pause says little); zero while paused.
    fn measure_speed(&mut self, done: u32, now: Instant) {
        const WINDOW: Duration = Duration::from_secs(2);
        if done == 0 && !self.playing {
            self.tps_window.clear();
            self.measured_tps = 0.0;
            return;
        }
        self.ticks_done += done as u64;
        self.tps_window.push_back((now, self.ticks_done));
        while self
            .tps_window
            .front()
            .is_some_and(|&(at, _)| now.duration_since(at) > WINDOW)
        {
            self.tps_window.pop_front();
        }
        let (first, last) = (self.tps_window.front(), self.tps_window.back());
        self.measured_tps = match (first, last) {
            (Some(&(t0, n0)), Some(&(t1, n1))) if t1 > t0 && n1 > n0 => {
                (n1 - n0) as f64 / t1.duration_since(t0).as_secs_f64()
            }
            _ => 0.0,
        };
    }

    pub fn new(path: PathBuf, scenario: &Scenario) -> Self {
        Self {
            right_tab: RightTab::Inspector,
            path_input: path.display().to_string(),
            scenario_files: platform::scenario_files("scenarios"),
            lesson_files: platform::scenario_files("scenarios/lessons"),
            scenario_path: path,
            load_error: None,
            pending: scenario.clone(),
            playing: true,
            fast: false,
            ticks_per_second: 30.0,
            step_once: false,
            tick_debt: 0.0,
            request: None,
            screenshot_requested: false,
            auto: None,
            auto_stop: None,
            selected_creator: None,
            selected_note: None,
            fork_policy: if scenario.recommender.policy == PolicyKind::FollowerFeed {
                PolicyKind::TrafficPool
            } else {
                PolicyKind::FollowerFeed
            },
            sort: SortKey::Impressions,
            sort_descending: true,
            status: None,
            measured_tps: 0.0,
            tps_window: Default::default(),
            ticks_done: 0,
        }
    }

    pub fn set_status(&mut self, message: impl Into<String>) {
        self.status = Some((message.into(), Instant::now()));
    }

    /// Selects the note that got furthest down the funnel (most impressions among those) and
    /// its creator: a good first thing to show.
    pub fn select_top_creator(&mut self, _cache: &GuiCache, view: &WorldView) {
        let notes = &view.notes;
        let best = (0..notes.len())
            .max_by_key(|&n| (notes.list[n].max_stage, notes.counts(n).impressions));
        if let Some(n) = best {
            self.selected_creator = Some(notes.list[n].creator);
            self.selected_note = Some(n as u32);
        }
    }

    /// Selects a creator and, to show a funnel straight away, the note of theirs seen most.
    pub fn select_creator(&mut self, creator: u32, view: &WorldView) {
        self.selected_creator = Some(creator);
        let notes = &view.notes;
        self.selected_note = (0..notes.len())
            .filter(|&n| notes.list[n].creator == creator)
            .max_by_key(|&n| notes.counts(n).impressions)
            .map(|n| n as u32);
    }
}

/// Numbers derived from one world that several panels share, refreshed when the tick changes.
#[derive(Clone, Default)]
pub struct GuiCache {
    /// Policy in force from each simulated hour on (first entry at hour 0).
    pub policy_marks: Vec<(f64, PolicyKind)>,
    /// Set after the end of the scenario was reached and announced once.
    pub finished_announced: bool,
    /// Tick the cache describes, and a counter bumped at every rebuild of the world.
    pub tick: u32,
    pub generation: u32,
    /// Impressions per creator, all time.
    pub impressions: Vec<f64>,
    /// Impressions per creator at the last whole simulated hour, and during the hour before it.
    hour_snapshot: Vec<f64>,
    pub last_hour: Vec<f64>,
    /// Distinct viewers of every note with an impression, largest first (hourly).
    pub reach: Vec<f64>,
    /// Attention map layout, per creator, in cluster units (see `map`).
    pub positions: Vec<[f32; 2]>,
    pub layout_generation: u32,
}

impl GuiCache {
    fn refresh(&mut self, clock: &Clock, creators: &Creators, notes: &Notes) {
        self.tick = clock.tick;
        self.impressions = creator_impressions(creators, notes);
    }

    /// Takes the hourly snapshot: `last_hour` becomes impressions since the previous one.
    fn hourly(&mut self, creators: &Creators, notes: &Notes) {
        let now = creator_impressions(creators, notes);
        self.hour_snapshot.resize(now.len(), 0.0);
        self.last_hour = now
            .iter()
            .zip(&self.hour_snapshot)
            .map(|(n, s)| n - s)
            .collect();
        self.hour_snapshot = now;
        self.reach = (0..notes.len())
            .filter(|&i| notes.counts(i).impressions > 0)
            .map(|i| notes.reach(i) as f64)
            .collect();
        self.reach.sort_by(|a, b| b.total_cmp(a));
    }
}

/// Exclusive system: applies requests, then advances every world within the frame budget.
pub fn step_simulation(world: &mut World) {
    let request = world.resource_mut::<GuiState>().request.take();
    if let Some(request) = request {
        handle_request(world, request);
    }
    let dt = world.resource::<Time>().delta_secs_f64().min(0.25);
    world.resource_scope(|world, mut state: Mut<GuiState>| {
        world.resource_scope(|_, mut worlds: Mut<Worlds>| {
            step_worlds(&mut state, &mut worlds, dt);
        });
    });
}

fn step_worlds(state: &mut GuiState, worlds: &mut Worlds, dt: f64) {
    let tick = worlds.shown().sim.tick();
    let mut wanted = 0u32;
    if let Some(auto) = &state.auto {
        wanted = auto.ticks_left();
    } else if state.playing {
        if state.fast {
            wanted = u32::MAX;
        } else {
            state.tick_debt += dt * state.ticks_per_second;
            wanted = state.tick_debt.floor() as u32;
            state.tick_debt -= wanted as f64;
        }
    }
    if state.step_once {
        state.step_once = false;
        wanted = wanted.max(1);
    }
    if let Some(stop) = &state.auto_stop
        && !stop.reached
    {
        wanted = wanted.min(stop.at_tick.saturating_sub(tick));
    }

    // Unattended runs get a longer budget; and when drawing is slow (a big world, a software
    // renderer), the simulation may take a third of the last frame, so ticks per second do not
    // fall with frames per second.
    let budget = {
        let unattended =
            state.auto.is_some() || state.auto_stop.as_ref().is_some_and(|s| !s.reached);
        if unattended {
            UNATTENDED_FRAME_BUDGET
        } else {
            FRAME_BUDGET
        }
    }
    .max(Duration::from_secs_f64(dt / 3.0));
    let start = Instant::now();
    let mut done = 0u32;
    while done < wanted && (done == 0 || start.elapsed() < budget) {
        if let Some(fork) = worlds.step_all() {
            info!("{} (tick {})", fork.label(), fork.tick);
            state.set_status(fork_message(&fork));
        }
        for held in &mut worlds.list {
            after_tick(state, held);
        }
        done += 1;
        if state.auto.is_none() && !state.playing {
            break;
        }
    }
    if let Some(auto) = &mut state.auto {
        auto.ticks_done += done;
    }
    if let Some(stop) = &mut state.auto_stop
        && !stop.reached
        && tick + done >= stop.at_tick
    {
        stop.reached = true;
        state.playing = false;
    }
    state.measure_speed(done, Instant::now());
    if done > 0 {
        for held in &mut worlds.list {
            held.refresh();
        }
    }
}

/// What the status bar says when a fork is made.
fn fork_message(fork: &ForkMark) -> String {
    format!(
        "Forked at day {:.1}: same platform until now; the left keeps {}, the right switches to {}. The panel on the left now edits the right.",
        fork.hours / 24.0,
        super::theme::policy_label(fork.kept),
        super::theme::policy_label(fork.switched_to),
    )
}

/// Bookkeeping after each tick of one world: hourly snapshot, policy marks, end of the scenario.
fn after_tick(state: &mut GuiState, held: &mut HeldWorld) {
    let world = held.sim.world();
    let cache = &mut held.cache;
    let clock = world.resource::<Clock>();
    let per_hour = clock.hours_to_ticks(1.0).max(1);
    if clock.tick.is_multiple_of(per_hour) {
        cache.hourly(world.resource::<Creators>(), world.resource::<Notes>());
    }
    let active = world.resource::<Recommender>().active();
    if cache.policy_marks.last().is_none_or(|&(_, p)| p != active) {
        cache
            .policy_marks
            .push((clock.ticks_to_hours(clock.tick.saturating_sub(1)), active));
    }
    if clock.tick >= clock.total_ticks && !cache.finished_announced {
        cache.finished_announced = true;
        if state.auto.is_none() {
            state.playing = false;
            let days = clock.hours() / 24.0;
            state.set_status(format!(
                "End of the scenario ({days:.1} days). Press Play to keep going."
            ));
        }
    }
}

fn handle_request(world: &mut World, request: Request) {
    match request {
        Request::Reset | Request::NewSeed => {
            let mut scenario = world.resource::<GuiState>().pending.clone();
            // Live edits carry over: behaviour and recommender as they are now.
            {
                // A planned fork starts again from the left world's policy.
                let worlds = world.resource::<Worlds>();
                let from = match worlds.setup {
                    Setup::ForkAt { .. } => &worlds.list[0],
                    _ => worlds.shown(),
                };
                let live = &from.sim.scenario().clone();
                scenario.behaviour = live.behaviour.clone();
                scenario.recommender = live.recommender.clone();
            }
            if matches!(request, Request::NewSeed) {
                scenario.seed = fresh_seed();
            }
            let message = format!("Rebuilt \"{}\" with seed {}", scenario.name, scenario.seed);
            rebuild(world, scenario);
            world.resource_mut::<GuiState>().set_status(message);
        }
        Request::Load(path) => {
            let loaded = platform::load_scenario(&path);
            load(world, path, loaded);
        }
        Request::LoadText { name, text } => {
            let path = PathBuf::from(name);
            let loaded = crate::scenario::parse(&path, &text)
                .and_then(|s| crate::scenario::check(&path, &s).map(|()| s));
            load(world, path, loaded);
        }
        Request::ExportCsv => {
            let sim = &world.resource::<Worlds>().shown().sim;
            let tick = sim.tick();
            let message = match run_files(sim.world(), &RunInfo::default())
                .and_then(|files| platform::export_results(&files, tick))
            {
                Ok(message) => message,
                Err(e) => format!("Export failed: {e:#}"),
            };
            world.resource_mut::<GuiState>().set_status(message);
        }
        Request::Fork(policy) => {
            let fork = world.resource_mut::<Worlds>().fork_shown(policy);
            info!("{} (tick {})", fork.label(), fork.tick);
            world
                .resource_mut::<GuiState>()
                .set_status(fork_message(&fork));
        }
        Request::KeepShown => world.resource_mut::<Worlds>().keep_shown(),
        Request::Show(i) => {
            let mut worlds = world.resource_mut::<Worlds>();
            worlds.shown = i.min(worlds.list.len() - 1);
        }
    }
}

/// A new run seed for the "New seed" button: the wall clock, mixed (splitmix64) so that seeds a
/// moment apart differ in every bit. Nothing else in feedlab needs randomness from outside.
fn fresh_seed() -> u64 {
    let nanos = web_time::SystemTime::now()
        .duration_since(web_time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    crate::sim::rng::splitmix(nanos) as u32 as u64
}

/// Rebuilds the world from a scenario that was just loaded, or shows why it could not be.
fn load(
    world: &mut World,
    path: PathBuf,
    loaded: Result<Scenario, crate::scenario::ScenarioError>,
) {
    match loaded {
        Ok(scenario) => {
            let message = format!("Loaded {}", path.display());
            {
                let mut state = world.resource_mut::<GuiState>();
                state.scenario_path = path.clone();
                state.path_input = path.display().to_string();
                state.load_error = None;
            }
            rebuild(world, scenario);
            world.resource_mut::<GuiState>().set_status(message);
        }
        Err(e) => world.resource_mut::<GuiState>().load_error = Some(e.to_string()),
    }
}

/// Replaces the worlds with new ones built from `scenario`, set up as before (one world, a
/// pair, or one world with its planned fork).
fn rebuild(world: &mut World, scenario: Scenario) {
    {
        let mut worlds = world.resource_mut::<Worlds>();
        // A new layout generation, so the map lays the new population out afresh.
        let generation = worlds.shown().cache.generation + 1;
        *worlds = Worlds::build(&scenario, worlds.setup);
        for held in &mut worlds.list {
            held.cache.generation = generation;
        }
    }
    let mut state = world.resource_mut::<GuiState>();
    state.pending = scenario;
    state.selected_creator = None;
    state.selected_note = None;
    state.tick_debt = 0.0;
}

/// How the worlds were set up, so that Reset and Load rebuild the same comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setup {
    /// One world (a fork may be made while it runs).
    Single,
    /// Two worlds from tick 0 (`--compare A,B`): the same scenario, population and seed, under
    /// policy A on the left and B on the right.
    Pair([PolicyKind; 2]),
    /// One world under the scenario's policy, forked at `tick` into `policy`
    /// (`--compare A,B --fork-at-day D`).
    ForkAt { tick: u32, policy: PolicyKind },
}

/// Where the plots mark a fork.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ForkMark {
    /// Ticks done when the world was copied; both worlds' histories agree up to here.
    pub tick: u32,
    pub hours: f64,
    /// The policy the original kept, and the one the copy switched to.
    pub kept: PolicyKind,
    pub switched_to: PolicyKind,
}

impl ForkMark {
    /// The plots' label: "fork, day 2.0".
    pub fn label(&self) -> String {
        format!("fork, day {:.1}", self.hours / 24.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn measured_speed_is_ticks_over_the_last_two_seconds() {
        let s = crate::scenario::load(Path::new("scenarios/baseline.ron")).unwrap();
        let mut state = GuiState::new(PathBuf::from("scenarios/baseline.ron"), &s);
        let t0 = Instant::now();
        // A first frame that runs 500 ticks at once (start-up), then 10 ticks every 100 ms.
        state.measure_speed(500, t0);
        for k in 1..=40u64 {
            state.measure_speed(10, t0 + Duration::from_millis(100 * k));
        }
        // 4 s in: the start-up burst is out of the window; 10 ticks per 100 ms is 100 per second.
        assert!(
            (state.measured_tps - 100.0).abs() < 1e-6,
            "{}",
            state.measured_tps
        );
        // Paused: no speed to show, and none carried over.
        state.playing = false;
        state.measure_speed(0, t0 + Duration::from_millis(4_100));
        assert_eq!(state.measured_tps, 0.0);
        state.playing = true;
        state.measure_speed(5, t0 + Duration::from_millis(4_200));
        assert_eq!(state.measured_tps, 0.0, "one sample is no rate");
        state.measure_speed(5, t0 + Duration::from_millis(4_300));
        assert!(
            (state.measured_tps - 50.0).abs() < 1e-6,
            "{}",
            state.measured_tps
        );
    }
}
