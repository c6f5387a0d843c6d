//! The window's systems that answer the page around it: files the user picked in the page's file
//! chooser reach the scenario loader or the sweep view, and (in the browser) the page hears when
//! the first frames are drawn and when a `?stop_at` run paused, and its title names the scenario.
//! Above the window's state and `platform`, whose services the state uses.

use super::state::GuiState;
#[cfg(target_arch = "wasm32")]
use super::state::Worlds;
use super::sweep_view::SweepView;
use bevy::prelude::*;

/// Hands a file the user picked to what asked for it: a scenario becomes a load request, a
/// sweep opens in the sweep view.
pub fn receive_files(mut state: ResMut<GuiState>, mut sweep: ResMut<SweepView>) {
    #[cfg(target_arch = "wasm32")]
    if let Some((kind, picked)) = crate::web::take_picked_file() {
        use crate::web::FileKind;
        match (kind, picked) {
            (FileKind::Scenario, Ok((name, text))) => {
                state.request = Some(super::state::Request::LoadText { name, text });
            }
            (FileKind::Scenario, Err(message)) => state.load_error = Some(message),
            (FileKind::Sweep, Ok((name, text))) => {
                sweep.load_text(std::path::Path::new(&name), &text)
            }
            (FileKind::Sweep, Err(message)) => sweep.error = Some(message),
        }
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (&mut state, &mut sweep);
}

/// Tells the page when the first frames are drawn and when a `?stop_at=N` run has paused, so
/// the page (and the tests driving it) know the window is up and where it stands.
#[cfg(target_arch = "wasm32")]
pub fn announce_frames(
    mut frames: Local<u32>,
    mut frames_since_stop: Local<u32>,
    state: Res<GuiState>,
    worlds: Res<Worlds>,
) {
    let tick = worlds.shown().sim.tick();
    *frames += 1;
    // The interface is laid out in the first pass and drawn in full from the second.
    if *frames == 2 {
        crate::web::announce("first-frame", tick);
    }
    // Told a few frames after the pause, once plots and layout have settled.
    if state.auto_stop.as_ref().is_some_and(|stop| stop.reached) {
        *frames_since_stop += 1;
        if *frames_since_stop == super::state::SETTLE_FRAMES {
            crate::web::announce("stopped", tick);
        }
    }
}

/// Names the current scenario in the page's title (the browser tab, history, and the tests).
#[cfg(target_arch = "wasm32")]
pub fn page_title(mut shown: Local<String>, worlds: Res<Worlds>) {
    let name = &worlds.shown().sim.scenario().name;
    if *shown != *name {
        shown.clone_from(name);
        crate::web::set_title(&format!("feedlab: {name}"));
    }
}
