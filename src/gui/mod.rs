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
use anyhow::{Context as _, bail};
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::transform::TransformSystems;
use bevy::window::WindowResolution;
use bevy::winit::{UpdateMode, WinitSettings};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPostUpdateSet, EguiPrimaryContextPass, egui};
use state::{AutoShot, GuiState, Worlds};
use std::path::{Path, PathBuf};

/// What the window opens on.
pub struct GuiOptions {
    /// The scenario file (shown, and the folder its picker lists).
    pub path: PathBuf,
    /// The scenario, loaded and checked (with any command-line changes).
    pub scenario: Scenario,
    /// Save a PNG of the window after `after_ticks` ticks, then exit.
    pub screenshot: Option<PathBuf>,
    pub after_ticks: u32,
    /// A `sweep.csv` to open in the sweep view, and the metric to show first.
    pub sweep: Option<PathBuf>,
    pub sweep_metric: Option<String>,
}

/// Opens the window on a scenario; with `screenshot` runs the ticks, saves a PNG and exits.
pub fn run(args: GuiOptions) -> anyhow::Result<()> {
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
    let GuiOptions { path, scenario, .. } = &args;
    let (path, scenario) = (path.clone(), scenario.clone());
    if let Some(shot) = &args.screenshot
        && let Some(dir) = shot.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }

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
        gui_state.playing = true;
        gui_state.fast = true;
    }

    let mut app = App::new();
    app.add_plugins(
        DefaultPlugins
            .set(WindowPlugin {
                primary_window: Some(Window {
                    title: format!("feedlab: {}", scenario.name),
                    resolution: WindowResolution::new(1600, 1000),
                    ..default()
                }),
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
    .add_systems(Update, (state::step_simulation, take_screenshots).chain())
    .add_systems(EguiPrimaryContextPass, ui_system);

    match app.run() {
        AppExit::Success => Ok(()),
        AppExit::Error(code) => bail!("the window closed with an error (code {code})"),
    }
}

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
}

/// Starts screenshot captures: the automatic one after `--after-ticks`, and the export button's.
fn take_screenshots(mut commands: Commands, mut state: ResMut<GuiState>, worlds: Res<Worlds>) {
    let tick = worlds.shown().sim.tick();
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
        let path = PathBuf::from(format!("results/gui-{tick}.png"));
        commands.spawn(Screenshot::primary_window()).observe(
            move |captured: On<ScreenshotCaptured>, mut state: ResMut<GuiState>| {
                let message = match save_png(&captured, &path) {
                    Ok(()) => format!("Screenshot saved to {}", path.display()),
                    Err(e) => format!("Cannot save screenshot {}: {e}", path.display()),
                };
                state.set_status(message);
            },
        );
    }
}

fn save_png(captured: &ScreenshotCaptured, path: &Path) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let image = captured
        .image
        .clone()
        .try_into_dynamic()
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    image
        .to_rgb8()
        .save(path)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
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
    // Show something interesting in the inspector of an automatic screenshot.
    if state.auto.is_some() && state.selected_creator.is_none() && !cache.impressions.is_empty() {
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
