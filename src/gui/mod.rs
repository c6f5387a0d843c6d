//! The window: a Bevy app with the simulation inside and an egui interface on top.
//!
//! Layout: a status bar on top, run controls and parameters on the left, the attention map in
//! the centre (circles drawn by Bevy as 2D meshes, seen through egui's transparent central panel;
//! text, hover and clicks handled by egui), the inspector and the leaderboard on the right, and
//! live plots along the bottom. The simulation advances from one exclusive system that runs as
//! many ticks per frame as the chosen speed asks for, never more than a frame's time budget.

mod controls;
mod inspector;
mod map;
mod map_draw;
mod plots;
mod state;
mod sweep_view;
mod theme;

use crate::scenario::Scenario;
#[cfg(not(target_arch = "wasm32"))]
use anyhow::Context as _;
use anyhow::bail;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::transform::TransformSystems;
use bevy::window::WindowResolution;
use bevy::winit::{UpdateMode, WinitSettings};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPostUpdateSet, EguiPrimaryContextPass, egui};
use state::{AutoShot, AutoStop, GuiState, Worlds};
use std::path::PathBuf;

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
    /// A `sweep.csv` to open in the sweep view, and the metric to show first (native).
    pub sweep: Option<PathBuf>,
    pub sweep_metric: Option<String>,
    /// Run as fast as possible to this tick, then pause and tell the page (the browser's smoke
    /// test and start-up measurements: `?stop_at=N`).
    pub stop_at: Option<u32>,
}

/// Opens the window on a scenario; with `screenshot` runs the ticks, saves a PNG and exits. In
/// the browser, hands the app to the page's frame loop and returns.
pub fn run(args: GuiOptions) -> anyhow::Result<()> {
    #[cfg(not(target_arch = "wasm32"))]
    check_display(&args)?;
    let GuiOptions { path, scenario, .. } = &args;
    let (path, scenario) = (path.clone(), scenario.clone());

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
    .insert_resource(Worlds::new(&scenario))
    .insert_resource(gui_state)
    .insert_resource(sweep)
    .init_resource::<map::MapScene>()
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
            platform::receive_files,
            state::step_simulation,
            take_screenshots,
        )
            .chain(),
    )
    .add_systems(EguiPrimaryContextPass, ui_system);
    #[cfg(target_arch = "wasm32")]
    app.add_systems(Last, (platform::announce_frames, platform::page_title));

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
    commands.spawn(Camera2d);
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
            move |captured: On<ScreenshotCaptured>, mut exit: MessageWriter<AppExit>| match save_png(&captured, &path) {
                Ok(()) => {
                    info!("screenshot saved to {}", path.display());
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

/// Draws the whole interface once per frame.
#[allow(clippy::too_many_arguments)]
fn ui_system(
    mut contexts: EguiContexts,
    mut styled: Local<bool>,
    mut state: ResMut<GuiState>,
    mut worlds: ResMut<Worlds>,
    mut scene: ResMut<map::MapScene>,
    mut sweep: ResMut<sweep_view::SweepView>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !*styled {
        theme::apply(ctx);
        *styled = true;
    }
    let held = worlds.shown_mut();
    let cache = &mut held.cache;
    // The scenario is edited live (it owns the parameters); the rest is read.
    let world = held.sim.world_mut();
    let mut live = world.resource_mut::<crate::sim::ScenarioRes>().0.clone();
    let before = live.clone();
    let world = held.sim.world();
    let clock = world.resource::<crate::sim::Clock>().clone();
    let active = world.resource::<crate::recommender::Recommender>().active();
    let view = &state::WorldView::of(world);
    if let Some(auto) = &mut state.auto {
        auto.frame_drawn();
    }
    // Show something interesting in the inspector of an automatic screenshot or a `?stop_at` run.
    let automatic = state.auto.is_some() || state.auto_stop.is_some();
    if automatic && state.selected_creator.is_none() && !cache.impressions.is_empty() {
        state.select_top_creator(cache, view);
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
            controls::status_bar(ui, &state, active, &live, &clock, view);
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
            controls::left_panel(ui, &mut state, &mut live, &clock);
        });
    egui::Panel::bottom("plots")
        .resizable(true)
        .default_size(380.0)
        .min_size(200.0)
        .show(root, |ui| {
            plots::plots(ui, cache, view);
        });
    egui::Panel::right("inspector")
        .resizable(true)
        .default_size(400.0)
        .min_size(300.0)
        .show(root, |ui| {
            inspector::right_panel(ui, &mut state, cache, &clock, view);
        });
    // No fill: the map's circles are drawn by Bevy underneath, over the clear colour.
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(root, |ui| {
            map::attention_map(ui, &mut state, cache, &clock, view, &mut scene);
        });
    if live != before {
        held.sim.edit(|s| *s = live);
    }
    Ok(())
}
