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
mod theme;

#[cfg(not(target_arch = "wasm32"))]
use crate::cli::{DEFAULT_SCENARIO, GuiArgs, load_scenario};
use crate::scenario::Scenario;
use crate::sim::SimPlugin;
#[cfg(not(target_arch = "wasm32"))]
use anyhow::Context as _;
use anyhow::bail;
use bevy::prelude::*;
use bevy::render::view::screenshot::{Screenshot, ScreenshotCaptured};
use bevy::transform::TransformSystems;
use bevy::window::WindowResolution;
use bevy::winit::{UpdateMode, WinitSettings};
use bevy_egui::{EguiContexts, EguiPlugin, EguiPostUpdateSet, EguiPrimaryContextPass, egui};
use state::{GuiCache, GuiState};
use std::path::PathBuf;

mod platform;
pub use state::{AutoShot, AutoStop};

/// What the window opens on.
pub struct WindowSetup {
    pub scenario: Scenario,
    /// Where the scenario came from, as the scenario picker names it.
    pub source: PathBuf,
    /// `--screenshot FILE --after-ticks N` (native).
    pub auto_shot: Option<AutoShot>,
    /// Run as fast as possible until this tick, then pause and tell the page (the browser's
    /// smoke test and start-up measurements).
    pub auto_stop: Option<AutoStop>,
}

/// Opens the window on a scenario; with `--screenshot` runs the ticks, saves a PNG and exits.
#[cfg(not(target_arch = "wasm32"))]
pub fn run(args: GuiArgs) -> anyhow::Result<()> {
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
    let path = args
        .scenario
        .clone()
        .unwrap_or_else(|| PathBuf::from(DEFAULT_SCENARIO));
    let scenario = load_scenario(&path, &args.overrides)?;
    if let Some(shot) = &args.screenshot
        && let Some(dir) = shot.parent().filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    open(WindowSetup {
        scenario,
        source: path,
        auto_shot: args
            .screenshot
            .as_ref()
            .map(|file| AutoShot::new(file.clone(), args.after_ticks)),
        auto_stop: None,
    })
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

/// Builds the window's app and runs it (in the browser, hands it to the page's frame loop).
pub fn open(setup: WindowSetup) -> anyhow::Result<()> {
    let WindowSetup {
        scenario,
        source,
        auto_shot,
        auto_stop,
    } = setup;
    let mut gui_state = GuiState::new(source, &scenario);
    if auto_shot.is_some() || auto_stop.is_some() {
        gui_state.playing = true;
        gui_state.fast = true;
    }
    gui_state.auto = auto_shot;
    gui_state.auto_stop = auto_stop;

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
    .add_plugins(SimPlugin { scenario })
    .insert_resource(gui_state)
    .insert_resource(GuiCache::default())
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

fn spawn_camera(mut commands: Commands) {
    commands.spawn(Camera2d);
}

/// Starts screenshot captures: the automatic one after `--after-ticks`, and the export button's.
fn take_screenshots(
    mut commands: Commands,
    mut state: ResMut<GuiState>,
    clock: Res<crate::sim::Clock>,
) {
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
        let tick = clock.tick;
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
    mut cache: ResMut<GuiCache>,
    mut recommender: ResMut<crate::recommender::Recommender>,
    mut scenario: ResMut<crate::sim::ScenarioRes>,
    clock: Res<crate::sim::Clock>,
    world: state::WorldView,
    mut scene: ResMut<map::MapScene>,
) -> Result {
    let ctx = contexts.ctx_mut()?;
    if !*styled {
        theme::apply(ctx);
        *styled = true;
    }
    let view = &world;
    if let Some(auto) = &mut state.auto {
        auto.frame_drawn();
    }
    // Show something interesting in the inspector of an automatic screenshot or a `?stop_at` run.
    let automatic = state.auto.is_some() || state.auto_stop.is_some();
    if automatic && state.selected_creator.is_none() && !cache.impressions.is_empty() {
        state.select_top_creator(&cache, view);
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
        controls::status_bar(ui, &state, &recommender, &scenario.0, &clock, view);
    });
    egui::Panel::left("controls")
        .resizable(true)
        .default_size(340.0)
        .min_size(280.0)
        .show(root, |ui| {
            controls::left_panel(ui, &mut state, &mut recommender, &mut scenario.0, &clock);
        });
    egui::Panel::bottom("plots")
        .resizable(true)
        .default_size(380.0)
        .min_size(200.0)
        .show(root, |ui| {
            plots::plots(ui, &state, &cache, &recommender, &clock, view);
        });
    egui::Panel::right("inspector")
        .resizable(true)
        .default_size(400.0)
        .min_size(300.0)
        .show(root, |ui| {
            inspector::right_panel(ui, &mut state, &cache, &clock, &recommender, view);
        });
    // No fill: the map's circles are drawn by Bevy underneath, over the clear colour.
    egui::CentralPanel::default()
        .frame(egui::Frame::NONE)
        .show(root, |ui| {
            map::attention_map(ui, &mut state, &mut cache, &clock, view, &mut scene);
        });
    Ok(())
}
