//! With two worlds side by side, the top of the right panel: the difference readout (the main
//! fairness metrics in both worlds and B − A, live while running, final at the end) and the
//! selected creator in both worlds (the same creator id: the same population).

use super::side_by_side::differences;
use super::state::ForkMark;
use super::state::{GuiState, HeldWorld};
use super::theme;
use crate::metrics::collector::MetricsRow;
use crate::sim::Clock;
use crate::sim::agents::{Creators, Notes};
use bevy_egui::egui::{self, Color32, RichText};

/// One side as the readout names it.
pub struct Side<'a> {
    pub name: &'a str,
    pub colour: Color32,
    pub held: &'a HeldWorld,
}

fn last_row(held: &HeldWorld) -> MetricsRow {
    held.sim
        .world()
        .resource::<crate::metrics::collector::MetricsHistory>()
        .rows
        .last()
        .cloned()
        .unwrap_or_default()
}

fn signed(x: f64) -> String {
    if x.is_finite() {
        format!("{x:+.3}")
    } else {
        "–".into()
    }
}

fn plain(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.3}")
    } else {
        "–".into()
    }
}

pub fn readout(ui: &mut egui::Ui, state: &GuiState, sides: [Side; 2], fork: Option<&ForkMark>) {
    let clock = sides[0].held.sim.world().resource::<Clock>();
    let finished = clock.tick >= clock.total_ticks;
    let when = if finished {
        format!("final, day {:.1}", clock.hours() / 24.0)
    } else {
        format!("live, day {:.1}", clock.hours() / 24.0)
    };
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Right − left").heading());
        ui.label(RichText::new(when).color(theme::TEXT_DIM));
    });
    let origin = match fork {
        Some(f) => format!(
            "One world until day {:.1}, then forked: the only difference since is the policy.",
            f.hours / 24.0
        ),
        None => "Same population, same seed: the only difference is the policy.".into(),
    };
    ui.label(RichText::new(origin).small().color(theme::TEXT_DIM));
    let (a, b) = (last_row(sides[0].held), last_row(sides[1].held));
    egui::Grid::new("readout")
        .num_columns(4)
        .striped(true)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new(sides[0].name).strong().color(sides[0].colour));
            ui.label(RichText::new(sides[1].name).strong().color(sides[1].colour));
            ui.label(RichText::new("R − L").strong());
            ui.end_row();
            for d in differences(&a, &b) {
                ui.label(d.label).on_hover_text(d.help);
                ui.label(plain(d.a));
                ui.label(plain(d.b));
                ui.label(
                    RichText::new(signed(d.b_minus_a()))
                        .strong()
                        .color(theme::TEXT_STRONG),
                )
                .on_hover_text(d.reading());
                ui.end_row();
            }
        });
    creator_in_both(ui, state, &sides);
    ui.separator();
}

/// The selected creator's numbers in both worlds.
fn creator_in_both(ui: &mut egui::Ui, state: &GuiState, sides: &[Side; 2]) {
    let Some(id) = state.selected_creator else {
        ui.label(
            RichText::new("Click a creator on either map to follow them in both worlds.")
                .small()
                .color(theme::TEXT_DIM),
        );
        return;
    };
    let numbers = |held: &HeldWorld| -> Option<[String; 5]> {
        let world = held.sim.world();
        let c = world.resource::<Creators>().list.get(id as usize)?;
        let notes = world.resource::<Notes>();
        let (mut impressions, mut best) = (0u64, 0u8);
        for (n, note) in notes.list.iter().enumerate() {
            if note.creator == id {
                impressions += notes.counts(n).impressions as u64;
                best = best.max(note.max_stage);
            }
        }
        let last_hour = held
            .cache
            .last_hour
            .get(id as usize)
            .copied()
            .unwrap_or(0.0);
        Some([
            format!(
                "{} (from {})",
                theme::compact(c.followers as f64),
                c.initial_followers
            ),
            theme::compact(impressions as f64),
            theme::compact(last_hour),
            c.posts.to_string(),
            format!("S{best}"),
        ])
    };
    let [a, b] = [numbers(sides[0].held), numbers(sides[1].held)];
    let Some(archetype) = sides[0]
        .held
        .sim
        .world()
        .resource::<Creators>()
        .list
        .get(id as usize)
        .map(|c| c.archetype)
    else {
        return;
    };
    ui.add_space(4.0);
    ui.label(
        RichText::new(format!(
            "Creator #{id} · {} in both worlds",
            theme::archetype_label(archetype)
        ))
        .strong()
        .color(theme::archetype(archetype)),
    );
    let rows = [
        "followers",
        "impressions",
        "impr. last hour",
        "notes posted",
        "furthest stage",
    ];
    egui::Grid::new("creator-in-both")
        .num_columns(3)
        .striped(true)
        .spacing([10.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new(sides[0].name).color(sides[0].colour));
            ui.label(RichText::new(sides[1].name).color(sides[1].colour));
            ui.end_row();
            for (k, row) in rows.iter().enumerate() {
                ui.label(*row);
                for side in [&a, &b] {
                    ui.label(side.as_ref().map_or("–".to_string(), |v| v[k].clone()));
                }
                ui.end_row();
            }
        });
}
