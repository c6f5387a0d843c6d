//! The window: a Bevy app with the simulation inside and an egui interface on top.
//!
//! Layout: a status bar on top, run controls and parameters on the left, the attention map in
//! the centre (two maps when two worlds run side by side: `--compare A,B`, or "Fork here") (circles drawn by Bevy as 2D meshes, seen through egui's transparent central panel;
//! text, hover and clicks handled by egui), the inspector and the leaderboard on the right, and
//! live plots along the bottom. The simulation advances from one exclusive system that runs as
//! many ticks per frame as the chosen speed asks for, never more than a frame's time budget.

mod controls;
#[cfg(not(target_arch = "wasm32"))]
mod frame_stats;
mod inspector;
mod map;
mod map_draw;
mod map_lod;
mod plot_data;
mod plots;
mod readout;
mod side_by_side;
mod state;
mod sweep_view;
mod theme;

use crate::recommender::Recommender;
use crate::scenario::PolicyKind;
use crate::scenario::Scenario;
use crate::sim::Clock;
#[cfg(not(target_arch = "wasm32"))]
use anyhow::Context as _;
use anyhow::bail;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::transform::TransformSystems;
use bevy::window::WindowResolution;
use bevy::winit::{UpdateMode, WinitSettings};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPostUpdateSet, EguiPrimaryContextPass, egui};
use side_by_side::side_names;
use state::Setup;
use state::{AutoShot, AutoStop, GuiState, Worlds};
use std::path::PathBuf;

mod page;
mod platform;

/// What the window opens on.
pub struct GuiOptions {
    /// The scenario file (shown, and the folder its picker lists; in the browser, the bundled
    /// scenario's path).
    pub path: PathBuf,
    /// The scenario, loaded and checked (with any command-line changes).
    pub scenario: Scenario,
    /// Save a PNG of the window after `after_ticks` ticks, then exit (native).
    pub screenshot: Option<PathBuf>,
    pub after_ticks: u32,
    /// With `screenshot`: write frame and tick rates over the run to this JSON file (native).
    pub frame_stats: Option<PathBuf>,
    /// A `sweep.csv` to open in the sweep view, and the metric to show first (native).
    pub sweep: Option<PathBuf>,
    pub sweep_metric: Option<String>,
    /// Two policies side by side (A on the left, B on the right), built from the same
    /// population and seed ...
    pub compare: Option<[PolicyKind; 2]>,
    /// ... or, with this, one world under A forked into B at this simulated day.
    pub fork_at_day: Option<f64>,
    /// Run as fast as possible to this tick, then pause and tell the page (the browser's smoke
    /// test and start-up measurements: `?stop_at=N`).
    pub stop_at: Option<u32>,
}

/// The worlds `options` ask for; the scenario's policy becomes A when there is a comparison.
fn setup(options: &GuiOptions) -> anyhow::Result<(Scenario, Setup)> {
    let mut scenario = options.scenario.clone();
    let setup = match (options.compare, options.fork_at_day) {
        (None, None) => Setup::Single,
        (None, Some(_)) => {
            bail!("--fork-at-day needs --compare A,B: the policy before and after the fork")
        }
        (Some([a, b]), None) => {
            scenario.recommender.policy = a;
            Setup::Pair([a, b])
        }
        (Some([a, b]), Some(day)) => {
            scenario.recommender.policy = a;
            let clock = crate::sim::Clock::new(&scenario);
            let tick = clock.hours_to_ticks(day * 24.0);
            if !(day.is_finite() && day > 0.0) || tick == 0 || tick >= clock.total_ticks {
                bail!(
                    "--fork-at-day {day}: expected a day after the start and before the end of the scenario ({:.1} days)",
                    clock.ticks_to_hours(clock.total_ticks) / 24.0
                );
            }
            Setup::ForkAt { tick, policy: b }
        }
    };
    Ok((scenario, setup))
}

/// Opens the window on a scenario; with `screenshot` runs the ticks, saves a PNG and exits. In
/// the browser, hands the app to the page's frame loop and returns.
pub fn run(args: GuiOptions) -> anyhow::Result<()> {
    // Bad options are reported before a missing display.
    let (scenario, setup) = setup(&args)?;
    #[cfg(not(target_arch = "wasm32"))]
    check_display(&args)?;
    let path = args.path.clone();

    let mut gui_state = GuiState::new(path, &scenario);
    let mut sweep = sweep_view::SweepView::default();
    if let Some(file) = &args.sweep {
        sweep.load(file)?;
        // The world waits behind the sweep view until the user switches back to it.
        gui_state.playing = false;
    }
    if let Some(metric) = &args.sweep_metric {
        sweep.choose_metric(metric)?;
    }
    if let Some(file) = &args.screenshot {
        gui_state.auto = Some(AutoShot::new(file.clone(), args.after_ticks));
    }
    gui_state.auto_stop = args.stop_at.map(AutoStop::new);
    if gui_state.auto.is_some() || gui_state.auto_stop.is_some() {
        gui_state.playing = true;
        gui_state.fast = true;
    }

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(primary_window(&scenario)),
                ..default()
            })
            .set(bevy::log::LogPlugin {
                filter: "warn,feedlab=info".into(),
                ..default()
            }),
    )
    .insert_resource(WinitSettings {
        focused_mode: UpdateMode::Continuous,
        unfocused_mode: UpdateMode::Continuous,
    })
    .insert_resource(ClearColor(theme::MAP_BACKGROUND))
    .add_plugins(EguiPlugin::default())
    .insert_resource(Worlds::build(&scenario, setup))
    .insert_resource(gui_state)
    .insert_resource(sweep)
    .init_resource::<map::MapScene>()
    .init_resource::<plot_data::PlotCaches>()
    .add_systems(Startup, (spawn_camera, map_draw::setup))
    .add_systems(
        PostUpdate,
        map_draw::sync
            .after(EguiPostUpdateSet::EndPass)
            .before(TransformSystems::Propagate),
    )
    .add_systems(
        Update,
        (
            page::receive_files,
            state::step_simulation,
            take_screenshots,
        )
            .chain(),
    )
    .add_systems(EguiPrimaryContextPass, ui_system);
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Last, (page::announce_frames, page::page_title));
    // Measured over an unattended `--screenshot` run, which the browser build has no use for.
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(file) = args.frame_stats.filter(|_| args.screenshot.is_some()) {
        frame_stats::plugin(&mut app, file);
    }

    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => bail!("the window closed with an error (code {code})"),
    }
}

/// A window needs a display; the screenshot's folder is made before the run, not after it.
#[cfg(not(target_arch = "wasm32"))]
fn check_display(args: &GuiOptions) -> anyhow::Result<()> {
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()));
    if !has_display {
        bail!(
            "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the window cannot open.\n\
             Run the scenario headless instead: feedlab run SCENARIO --out DIR\n\
             (or start a virtual display, e.g. `Xvfb :99 & DISPLAY=:99 feedlab gui ...`)"
        );
    }
    if let Some(shot) = &args.screenshot
        && let Some(dir) = shot.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// The primary window: 1600×1000 natively; in the browser, the page's canvas, sized by the page.
fn primary_window(scenario: &Scenario) -> Window {
    let window = Window {
        title: format!("feedlab: {}", scenario.name),
        resolution: WindowResolution::new(1600, 1000),
        ..default()
    };
    #[cfg(target_arch = "wasm32")]
    let window = Window {
        canvas: Some("#feedlab".into()),
        fit_canvas_to_parent: true,
        ..window
    };
    window
}

fn spawn_camera(mut commands: Commands) {
    // No multisampling: the map smooths its own edges (see `map_draw`), and a software
    // rasteriser spends much of a frame on four samples per pixel.
    commands.spawn((Camera2d, Msaa::Off));
}

/// Starts screenshot captures: the automatic one after `--after-ticks`, and the export button's.
fn take_screenshots(mut commands: Commands, mut state: ResMut<GuiState>, worlds: Res<Worlds>) {
    let tick = worlds.shown().sim.tick();
    #[cfg(not(target_arch = "wasm32"))]
    if let Some(auto) = &mut state.auto
        && auto.ready_to_capture()
    {
        let path = auto.path.clone();
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>,
                  mut exit: MessageWriter<AppExit>,
                  mut stats: Option<ResMut<frame_stats::FrameStats>>,
                  worlds: Res<Worlds>| match save_png(&captured, &path) {
                Ok(()) => {
                    info!("screenshot saved to {}", path.display());
                    frame_stats::finish(stats.as_deref_mut(), &worlds);
                    exit.write(AppExit::Success);
                }
                Err(e) => {
                    error!("cannot save screenshot {}: {e}", path.display());
                    exit.write(AppExit::error());
                }
            },
        );
    }
    if state.screenshot_requested {
        state.screenshot_requested = false;
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut state: ResMut<GuiState>| {
                let message =
                    match png_bytes(&captured).and_then(|png| platform::export_png(&png, tick)) {
                        Ok(message) => message,
                        Err(e) => format!("Cannot save the screenshot: {e:#}"),
                    };
                state.set_status(message);
            },
        );
    }
}

/// The captured window as PNG bytes.
fn png_bytes(captured: &ScreenshotCaptured) -> anyhow::Result<Vec<u8>> {
    let image = captured
        .image
        .clone()
        .try_into_dynamic()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut png = Vec::new();
    image
        .to_rgb8()
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(png)
}

#[cfg(not(target_arch = "wasm32"))]
fn save_png(captured: &ScreenshotCaptured, path: &std::path::Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, png_bytes(captured)?)?;
    Ok(())
}

/// Each world's name and colour in legends and headings: its policy's, or with two worlds on the
/// same policy, the right one marked.
fn names_and_colours(worlds: &Worlds) -> Vec<(String, egui::Color32)> {
    let policies: Vec<PolicyKind> = worlds
        .list
        .iter()
        .map(|h| h.sim.scenario().recommender.policy)
        .collect();
    match policies[..] {
        [a, b] => {
            let names = side_names([a, b]);
            let right = if a == b {
                theme::SERIES_A
            } else {
                theme::policy(b)
            };
            let [na, nb] = names;
            vec![(na, theme::policy(a)), (nb, right)]
        }
        _ => policies
            .iter()
            .map(|&p| (theme::policy_label(p).to_string(), theme::policy(p)))
            .collect(),
    }
}

/// Draws the whole interface once per frame.
#[allow(clippy::too_many_arguments)]
fn ui_system(
    mut contexts: EguiContexts,
    mut styled: Local<bool>,
    mut state: ResMut<GuiState>,
    mut worlds: ResMut<Worlds>,
    mut scene: ResMut<map::MapScene>,
    mut sweep: ResMut<sweep_view::SweepView>,
    mut plot_caches: ResMut<plot_data::PlotCaches>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !*styled {
        theme::apply(ctx);
        *styled = true;
    }
    let worlds = &mut *worlds;
    let shown = worlds.shown.min(worlds.list.len() - 1);
    // The scenario of the world on show is edited live (it owns the parameters); the rest is read.
    let mut live = worlds.list[shown].sim.scenario().clone();
    let before = live.clone();
    let clock = worlds.list[shown].sim.world().resource::<Clock>().clone();
    let sides = names_and_colours(worlds);
    let info = controls::WorldsInfo {
        active: worlds
            .list
            .iter()
            .map(|h| h.sim.world().resource::<Recommender>().active())
            .collect(),
        names: sides.iter().map(|(n, _)| n.clone()).collect(),
        shown,
        fork: worlds.fork,
    };
    if let Some(auto) = &mut state.auto {
        auto.frame_drawn();
    }
    // Show something interesting in the inspector of an automatic screenshot or a `?stop_at` run.
    {
        let held = &worlds.list[shown];
        let automatic = state.auto.is_some() || state.auto_stop.is_some();
        if automatic && state.selected_creator.is_none() && !held.cache.impressions.is_empty() {
            state.select_top_creator(&held.cache, &state::WorldView::of(held.sim.world()));
        }
    }

    let mut root = egui::Ui::new(
        ctx.clone(),
        "feedlab-root".into(),
        egui::UiBuilder::new()
            .layer_id(egui::LayerId::background())
            .max_rect(ctx.viewport_rect()),
    );
    let root = &mut root;
    egui::Panel::top("status").show(root, |ui| {
        ui.horizontal(|ui| {
            sweep_view::view_switch(ui, &mut sweep);
            ui.separator();
            let view = state::WorldView::of(worlds.list[shown].sim.world());
            controls::status_bar(ui, &state, &info, &live, &clock, &view);
        });
    });
    if sweep.open {
        // The sweep view covers the map (drawn by Bevy underneath) with a filled panel.
        egui::CentralPanel::default()
            .frame(egui::Frame::central_panel(&ctx.global_style()).fill(theme::PANEL_BACKGROUND))
            .show(root, |ui| sweep_view::show(ui, &mut sweep));
        return Ok(());
    }
    egui::Panel::left("controls")
        .resizable(true)
        .default_size(340.0)
        .min_size(280.0)
        .show(root, |ui| {
            controls::left_panel(ui, &mut state, &mut live, &clock, &info);
        });
    egui::Panel::bottom("plots")
        .resizable(true)
        .default_size(380.0)
        .min_size(200.0)
        .show(root, |ui| {
            let traces: Vec<plots::Trace> = worlds
                .list
                .iter()
                .zip(&sides)
                .map(|(held, (name, colour))| plots::Trace {
                    name: name.clone(),
                    colour: *colour,
                    cache: &held.cache,
                    view: state::WorldView::of(held.sim.world()),
                })
                .collect();
            plots::plots(ui, &traces, worlds.fork.as_ref(), &mut plot_caches);
        });
    egui::Panel::right("inspector")
        .resizable(true)
        .default_size(400.0)
        .min_size(300.0)
        .show(root, |ui| {
            if let [a, b] = &worlds.list[..] {
                let side = |held, i: usize| readout::Side {
                    name: &sides[i].0,
                    colour: sides[i].1,
                    held,
                };
                readout::readout(ui, &state, [side(a, 0), side(b, 1)], worlds.fork.as_ref());
            }
            let held = &worlds.list[shown];
            let view = state::WorldView::of(held.sim.world());
            inspector::right_panel(ui, &mut state, &held.cache, &clock, &view);
        });
    // No fill: the map's circles are drawn by Bevy underneath, over the clear colour.
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(root, |ui| {
            let two = worlds.side_by_side();
            let mut maps: Vec<map::MapWorld> = worlds
                .list
                .iter_mut()
                .zip(&sides)
                .enumerate()
                .map(|(i, (held, (name, colour)))| map::MapWorld {
                    cache: &mut held.cache,
                    clock: held.sim.world().resource::<Clock>(),
                    view: state::WorldView::of(held.sim.world()),
                    heading: two.then(|| (name.clone(), *colour, i == shown)),
                })
                .collect();
            if let Some(i) = map::attention_map(ui, &mut state, &mut maps, &mut scene) {
                state.request = Some(state::Request::Show(i));
            }
        });
    if live != before {
        worlds.list[shown].sim.edit(|s| *s = live);
    }
    Ok(())
}
