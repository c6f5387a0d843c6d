//! The right panel: the selected creator and note (with the note's funnel trace), and a sortable
//! leaderboard of creators.

use super::state::{GuiCache, GuiState, RightTab, SortKey, WorldView};
use super::theme;
use crate::sim::Clock;
use crate::sim::agents::StageOutcome;
use bevy_egui::egui::{self, Color32, RichText, Sense, Stroke, pos2, vec2};

/// Rows the leaderboard shows.
const LEADERBOARD_ROWS: usize = 150;
/// Notes listed for the selected creator.
const NOTE_ROWS: usize = 12;

pub fn right_panel(
    ui: &mut egui::Ui,
    state: &mut GuiState,
    cache: &GuiCache,
    clock: &Clock,
    view: &WorldView,
) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        for (tab, label) in [
            (RightTab::Inspector, "Inspector"),
            (RightTab::Leaderboard, "Leaderboard"),
            (RightTab::Exposure, "Exposure"),
        ] {
            let text = RichText::new(label).heading();
            if ui
                .add(egui::Button::selectable(state.right_tab == tab, text))
                .clicked()
            {
                state.right_tab = tab;
            }
        }
    });
    ui.separator();
    match state.right_tab {
        RightTab::Inspector => {
            egui::ScrollArea::vertical()
                .id_salt("inspector-scroll")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    inspector(ui, state, cache, clock, view);
                });
        }
        RightTab::Leaderboard => leaderboard(ui, state, cache, view),
        RightTab::Exposure => exposure(ui, view),
    }
}

/// Exposure per archetype: share of notes, share of impressions, reach per note relative to
/// the average note, and mean skill; then the two meritocracy measures side by side.
fn exposure(ui: &mut egui::Ui, view: &WorldView) {
    let Some(row) = view.history.rows.last() else {
        ui.label("No sample yet.");
        return;
    };
    ui.label(
        RichText::new("Who gets the attention, and is it the posting volume or the algorithm?")
            .small()
            .color(theme::TEXT_DIM),
    );
    egui::Grid::new("exposure-table")
        .num_columns(5)
        .spacing([12.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for h in [
                "archetype",
                "notes",
                "impressions",
                "per note",
                "mean skill",
            ] {
                ui.label(RichText::new(h).small().color(theme::TEXT_DIM));
            }
            ui.end_row();
            for a in crate::scenario::Archetype::ALL {
                let e = &row.exposure[a.index()];
                if e.notes_share <= 0.0 && !e.mean_skill.is_finite() {
                    continue;
                }
                ui.label(RichText::new(theme::archetype_label(a)).color(theme::archetype(a)));
                ui.label(format!("{:.1}%", 100.0 * e.notes_share));
                ui.label(format!("{:.1}%", 100.0 * e.impressions_share));
                let per_note = if e.notes_share > 0.0 {
                    format!("{:.2}×", e.impressions_share / e.notes_share)
                } else {
                    "–".into()
                };
                ui.label(RichText::new(per_note).strong().color(theme::TEXT_STRONG))
                    .on_hover_text(
                        "Impressions per note relative to the average note (1× = its fair share).",
                    );
                ui.label(if e.mean_skill.is_finite() {
                    format!("{:.2}", e.mean_skill)
                } else {
                    "–".into()
                });
                ui.end_row();
            }
        });
    ui.add_space(8.0);
    let show = |x: f64| {
        if x.is_finite() {
            format!("{x:+.3}")
        } else {
            "–".into()
        }
    };
    stat_grid(
        ui,
        "merit-pair",
        &[
            ("note merit", show(row.note_meritocracy)),
            ("creator merit", show(row.meritocracy)),
            ("influencer adv.", show(row.influencer_advantage)),
            (
                "newcomer break.",
                format!("{:.1}%", 100.0 * row.newcomer_breakthrough),
            ),
        ],
    );
    ui.label(
        RichText::new("Note merit: rank correlation of each note's appeal with its impressions (the algorithm alone). Creator merit: creator skill with all their impressions, which also rewards posting a lot.")
            .small()
            .color(theme::TEXT_DIM),
    );
}

fn stat_grid(ui: &mut egui::Ui, id: &str, rows: &[(&str, String)]) {
    egui::Grid::new(id)
        .num_columns(4)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            for pair in rows.chunks(2) {
                for (name, value) in pair {
                    ui.label(RichText::new(*name).color(theme::TEXT_DIM));
                    ui.label(RichText::new(value).strong().color(theme::TEXT_STRONG));
                }
                ui.end_row();
            }
        });
}

fn inspector(
    ui: &mut egui::Ui,
    state: &mut GuiState,
    cache: &GuiCache,
    clock: &Clock,
    view: &WorldView,
) {
    let creators = &view.creators.list;
    let notes = &view.notes;
    let Some(id) = state
        .selected_creator
        .map(|c| c as usize)
        .filter(|&c| c < creators.len())
    else {
        ui.label(
            RichText::new("Click a creator on the map or in the leaderboard.")
                .color(theme::TEXT_DIM),
        );
        return;
    };
    let c = &creators[id];
    ui.horizontal(|ui| {
        let (rect, _) = ui.allocate_exact_size(vec2(16.0, 16.0), Sense::hover());
        ui.painter()
            .circle_filled(rect.center(), 8.0, theme::archetype(c.archetype));
        ui.label(
            RichText::new(format!(
                "Creator #{id} · {}",
                theme::archetype_label(c.archetype)
            ))
            .strong()
            .size(17.0)
            .color(theme::archetype(c.archetype)),
        );
        if c.verified {
            ui.label(RichText::new("✔ verified").color(theme::SERIES_A));
        }
    });
    let total = cache.impressions.get(id).copied().unwrap_or(0.0);
    let last = cache.last_hour.get(id).copied().unwrap_or(0.0);
    let gained = c.followers as i64 - c.initial_followers as i64;
    let topics: Vec<String> = (0..c.n_niche as usize)
        .map(|k| theme::topic_name(c.niche[k] as usize))
        .collect();
    stat_grid(
        ui,
        "creator-stats",
        &[
            (
                "followers",
                format!("{} ({:+})", theme::compact(c.followers as f64), gained),
            ),
            ("skill", format!("{:.2}", c.skill)),
            ("impressions", theme::compact(total)),
            ("last hour", theme::compact(last)),
            ("notes", c.posts.to_string()),
            ("posts/day", format!("{:.1}", c.posts_per_day)),
            ("authority", format!("{:.2}", c.authority)),
            ("promotional", format!("{:.2}", c.promotional)),
        ],
    );
    ui.label(RichText::new(format!("topics: {}", topics.join(", "))).color(theme::TEXT_DIM));

    if let Some(n) = state
        .selected_note
        .map(|n| n as usize)
        .filter(|&n| n < notes.len())
    {
        ui.separator();
        note_funnel(ui, n, clock, view);
    }
    ui.separator();
    // Their notes, newest first.
    let mine: Vec<usize> = (0..notes.len())
        .rev()
        .filter(|&n| notes.list[n].creator as usize == id)
        .take(NOTE_ROWS)
        .collect();
    ui.add_space(4.0);
    ui.label(
        RichText::new(format!(
            "Latest notes ({} shown, click one for its funnel)",
            mine.len()
        ))
        .strong(),
    );
    {
        egui::Grid::new("creator-notes")
            .num_columns(6)
            .striped(true)
            .spacing([10.0, 2.0])
            .show(ui, |ui| {
                for h in ["note", "age", "impr.", "likes", "stage", "status"] {
                    ui.label(RichText::new(h).small().color(theme::TEXT_DIM));
                }
                ui.end_row();
                for &n in &mine {
                    let note = &notes.list[n];
                    let counts = notes.counts(n);
                    let selected = state.selected_note == Some(n as u32);
                    if ui.selectable_label(selected, format!("#{n}")).clicked() {
                        state.selected_note = Some(n as u32);
                    }
                    ui.label(format!(
                        "{:.0}h",
                        clock.ticks_to_hours(clock.tick.saturating_sub(note.created_tick))
                    ));
                    ui.label(theme::compact(counts.impressions as f64));
                    ui.label(theme::compact(counts.likes as f64));
                    ui.label(note.max_stage.to_string());
                    let reason = note.stop_reason.name();
                    ui.label(RichText::new(reason.replace('_', " ")).color(theme::outcome(reason)));
                    ui.end_row();
                }
            });
    }
}

fn note_funnel(ui: &mut egui::Ui, n: usize, clock: &Clock, view: &WorldView) {
    let notes = &view.notes;
    let note = &notes.list[n];
    let counts = notes.counts(n);
    ui.label(
        RichText::new(format!(
            "Note #{n} · {} · {} · appeal {:.2}",
            theme::topic_name(note.topic as usize),
            note.format.name(),
            note.appeal
        ))
        .strong()
        .color(theme::TEXT_STRONG),
    );
    stat_grid(
        ui,
        "note-stats",
        &[
            ("impressions", theme::compact(counts.impressions as f64)),
            ("reach", theme::compact(notes.reach(n) as f64)),
            ("likes", theme::compact(counts.likes as f64)),
            ("saves", theme::compact(counts.saves as f64)),
            ("shares", theme::compact(counts.shares as f64)),
            ("comments", theme::compact(counts.comments() as f64)),
        ],
    );
    let trace = &notes.trace[n];
    if trace.is_empty() {
        ui.label(
            RichText::new("No funnel yet: the note waits for its first audience.")
                .color(theme::TEXT_DIM),
        );
        return;
    }
    // Timeline: one block per stage from its entry to the next (or to now).
    let age_h = clock
        .ticks_to_hours(clock.tick.saturating_sub(note.created_tick))
        .max(1.0);
    let (rect, _) = ui.allocate_exact_size(vec2(ui.available_width(), 46.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, Color32::from_rgb(22, 23, 30));
    let x_of = |tick: u32| {
        let h = clock.ticks_to_hours(tick.saturating_sub(note.created_tick));
        rect.left() + 4.0 + (rect.width() - 8.0) * (h / age_h) as f32
    };
    for (k, rec) in trace.iter().enumerate() {
        let x0 = x_of(rec.entered_tick);
        let x1 = trace
            .get(k + 1)
            .map_or(x_of(clock.tick), |next| x_of(next.entered_tick))
            .max(x0 + 3.0);
        let colour = theme::outcome(rec.outcome.name());
        let top = rect.top() + 6.0;
        painter.rect_filled(
            egui::Rect::from_min_max(pos2(x0, top), pos2(x1 - 1.0, top + 18.0)),
            3.0,
            colour.gamma_multiply(0.75),
        );
        painter.text(
            pos2(x0 + 3.0, top + 9.0),
            egui::Align2::LEFT_CENTER,
            format!("S{}", rec.stage),
            egui::FontId::proportional(12.0),
            Color32::BLACK,
        );
        painter.line_segment(
            [pos2(x0, top - 3.0), pos2(x0, top + 24.0)],
            Stroke::new(1.0, Color32::WHITE),
        );
    }
    painter.text(
        pos2(rect.left() + 4.0, rect.bottom() - 3.0),
        egui::Align2::LEFT_BOTTOM,
        "posted",
        egui::FontId::proportional(11.5),
        theme::TEXT_DIM,
    );
    painter.text(
        pos2(rect.right() - 4.0, rect.bottom() - 3.0),
        egui::Align2::RIGHT_BOTTOM,
        format!("now (+{age_h:.0} h)"),
        egui::FontId::proportional(11.5),
        theme::TEXT_DIM,
    );

    egui::Grid::new("funnel-trace")
        .num_columns(5)
        .striped(true)
        .spacing([10.0, 3.0])
        .show(ui, |ui| {
            for h in [
                "stage",
                "entered",
                "impressions",
                "engagement vs threshold",
                "outcome",
            ] {
                ui.label(RichText::new(h).small().color(theme::TEXT_DIM));
            }
            ui.end_row();
            for rec in trace {
                ui.label(format!("S{}", rec.stage));
                ui.label(format!(
                    "+{:.1} h",
                    clock.ticks_to_hours(rec.entered_tick.saturating_sub(note.created_tick))
                ));
                if rec.target > 0 {
                    ui.label(format!(
                        "{} / {}",
                        theme::compact(rec.impressions as f64),
                        theme::compact(rec.target as f64)
                    ));
                } else {
                    ui.label(theme::compact(rec.impressions as f64));
                }
                gauge(ui, rec.engagement_rate, rec.threshold);
                let name = rec.outcome.name();
                let text = match rec.outcome {
                    StageOutcome::Stopped(_) => format!("stopped: {}", name.replace('_', " ")),
                    _ => name.replace('_', " "),
                };
                ui.label(RichText::new(text).strong().color(theme::outcome(name)));
                ui.end_row();
            }
        });
    if note.stop_reason.name() != "still_running" {
        ui.label(
            RichText::new(format!(
                "Why it stopped: {}",
                note.stop_reason.name().replace('_', " ")
            ))
            .color(theme::outcome(note.stop_reason.name())),
        );
    }
}

/// A small bar: the engagement rate, with a tick at the threshold (if the policy has one).
fn gauge(ui: &mut egui::Ui, rate: f32, threshold: f32) {
    let scale = if threshold.is_finite() {
        (threshold * 2.0).max(rate * 1.1).max(0.01)
    } else {
        rate.max(0.01) * 1.25
    };
    let (rect, response) = ui.allocate_exact_size(vec2(120.0, 16.0), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 2.0, Color32::from_rgb(45, 46, 58));
    let passed = !threshold.is_finite() || rate >= threshold;
    let fill = if passed { theme::GOOD } else { theme::BAD };
    let w = rect.width() * (rate / scale).clamp(0.0, 1.0);
    painter.rect_filled(
        egui::Rect::from_min_size(rect.min, vec2(w, rect.height())),
        2.0,
        fill.gamma_multiply(0.8),
    );
    if threshold.is_finite() {
        let x = rect.left() + rect.width() * (threshold / scale).clamp(0.0, 1.0);
        painter.line_segment(
            [pos2(x, rect.top() - 1.0), pos2(x, rect.bottom() + 1.0)],
            Stroke::new(2.0, Color32::WHITE),
        );
    }
    painter.text(
        rect.left_center() + vec2(4.0, 0.0),
        egui::Align2::LEFT_CENTER,
        format!("{:.1}%", rate * 100.0),
        egui::FontId::proportional(12.0),
        Color32::WHITE,
    );
    let tip = if threshold.is_finite() {
        format!(
            "weighted engagement {:.2}% against a threshold of {:.2}%",
            rate * 100.0,
            threshold * 100.0
        )
    } else {
        format!(
            "weighted engagement {:.2}% (this policy has no threshold)",
            rate * 100.0
        )
    };
    response.on_hover_text(tip);
}

fn leaderboard(ui: &mut egui::Ui, state: &mut GuiState, cache: &GuiCache, view: &WorldView) {
    let creators = &view.creators.list;
    let imp = |i: usize| cache.impressions.get(i).copied().unwrap_or(0.0);
    let hour = |i: usize| cache.last_hour.get(i).copied().unwrap_or(0.0);
    let mut order: Vec<usize> = (0..creators.len()).collect();
    let key = state.sort;
    order.sort_by(|&a, &b| {
        let (ca, cb) = (&creators[a], &creators[b]);
        let ord = match key {
            SortKey::Id => a.cmp(&b),
            SortKey::Archetype => ca.archetype.cmp(&cb.archetype),
            SortKey::Followers => ca.followers.cmp(&cb.followers),
            SortKey::Gained => (ca.followers as i64 - ca.initial_followers as i64)
                .cmp(&(cb.followers as i64 - cb.initial_followers as i64)),
            SortKey::Impressions => imp(a).total_cmp(&imp(b)),
            SortKey::LastHour => hour(a).total_cmp(&hour(b)),
            SortKey::Skill => ca.skill.total_cmp(&cb.skill),
        };
        let ord = if state.sort_descending {
            ord.reverse()
        } else {
            ord
        };
        ord.then(a.cmp(&b))
    });
    ui.label(
        RichText::new("Click a column to sort, a row to inspect.")
            .small()
            .color(theme::TEXT_DIM),
    );
    egui::ScrollArea::vertical()
        .id_salt("leaderboard-scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("leaderboard")
                .num_columns(7)
                .striped(true)
                .spacing([10.0, 3.0])
                .show(ui, |ui| {
                    for (label, k) in [
                        ("#", SortKey::Id),
                        ("kind", SortKey::Archetype),
                        ("followers", SortKey::Followers),
                        ("gained", SortKey::Gained),
                        ("impr.", SortKey::Impressions),
                        ("last h", SortKey::LastHour),
                        ("skill", SortKey::Skill),
                    ] {
                        let arrow = if state.sort == k {
                            if state.sort_descending {
                                " ⏷"
                            } else {
                                " ⏶"
                            }
                        } else {
                            ""
                        };
                        let text = RichText::new(format!("{label}{arrow}")).strong().color(
                            if state.sort == k {
                                theme::WARN
                            } else {
                                theme::TEXT_DIM
                            },
                        );
                        if ui.add(egui::Button::new(text).frame(false)).clicked() {
                            if state.sort == k {
                                state.sort_descending = !state.sort_descending;
                            } else {
                                state.sort = k;
                                state.sort_descending =
                                    !matches!(k, SortKey::Id | SortKey::Archetype);
                            }
                        }
                    }
                    ui.end_row();
                    for &i in order.iter().take(LEADERBOARD_ROWS) {
                        let c = &creators[i];
                        let selected = state.selected_creator == Some(i as u32);
                        if ui.selectable_label(selected, format!("{i}")).clicked() {
                            state.select_creator(i as u32, view);
                            state.right_tab = RightTab::Inspector;
                        }
                        ui.label(
                            RichText::new(theme::archetype_label(c.archetype))
                                .color(theme::archetype(c.archetype)),
                        );
                        ui.label(theme::compact(c.followers as f64));
                        let gained = c.followers as i64 - c.initial_followers as i64;
                        ui.label(RichText::new(format!("{gained:+}")).color(if gained > 0 {
                            theme::GOOD
                        } else {
                            theme::TEXT_DIM
                        }));
                        ui.label(theme::compact(imp(i)));
                        ui.label(theme::compact(hour(i)));
                        ui.label(format!("{:.2}", c.skill));
                        ui.end_row();
                    }
                });
        });
}
