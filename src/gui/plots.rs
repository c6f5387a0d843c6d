//! Live plots along the bottom: eight small charts in two rows.

use super::state::{GuiCache, WorldView};
use super::theme;
use crate::metrics::collector::MetricsRow;
use crate::metrics::lorenz;
use crate::scenario::Archetype;
use bevy_egui::egui::{self, Color32, RichText};
use egui_plot::{
    Bar, BarChart, Corner, GridInput, GridMark, HLine, Legend, Line, LineStyle, Plot, PlotPoints,
    Points, VLine,
};

/// Most points drawn per time series; longer histories are thinned evenly.
const MAX_POINTS: usize = 2000;

fn thinned(rows: &[MetricsRow]) -> impl Iterator<Item = (usize, &MetricsRow)> {
    let stride = rows.len().div_ceil(MAX_POINTS).max(1);
    let last = rows.len().saturating_sub(1);
    rows.iter()
        .enumerate()
        .filter(move |(i, _)| i % stride == 0 || *i == last)
}

fn series(rows: &[MetricsRow], f: impl Fn(&MetricsRow) -> f64) -> PlotPoints<'static> {
    thinned(rows).map(|(_, r)| [r.hours, f(r)]).collect()
}

fn base_plot<'a>(id: &str, x_label: &str, y_label: &str, height: f32) -> Plot<'a> {
    Plot::new(id)
        .height(height)
        .x_axis_label(x_label.to_string())
        .y_axis_label(y_label.to_string())
        .x_grid_spacer(nice_steps(3.0))
        .y_grid_spacer(nice_steps(4.0))
        .x_axis_formatter(tick_label)
        .y_axis_formatter(tick_label)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_drag(false)
        .allow_boxed_zoom(false)
        .y_axis_min_width(34.0)
}

fn time_plot<'a>(id: &str, y_label: &str, height: f32) -> Plot<'a> {
    base_plot(id, "simulated hours", y_label, height)
        .include_x(0.0)
        .include_x(24.0)
        .include_y(0.0)
        .legend(legend(Corner::LeftTop))
}

/// Tick labels with as many decimals as the step needs, large values shortened (15k).
fn tick_label(mark: GridMark, _range: &std::ops::RangeInclusive<f64>) -> String {
    let v = mark.value;
    if v.abs() >= 1e4 {
        return theme::compact(v);
    }
    let decimals = (-mark.step_size.log10() + 1e-9).ceil().max(0.0) as usize;
    format!("{v:.decimals$}")
}

fn legend(corner: Corner) -> Legend {
    Legend::default()
        .position(corner)
        .background_alpha(0.6)
        .follow_insertion_order(true)
}

/// Grid marks at 1, 2 or 5 times a power of ten, about `labels` of them across the axis, with
/// fainter lines in between.
fn nice_steps(labels: f64) -> impl Fn(GridInput) -> Vec<GridMark> {
    move |input: GridInput| {
        let (lo, hi) = input.bounds;
        let span = hi - lo;
        if !(span.is_finite() && span > 0.0) {
            return Vec::new();
        }
        let target = span / labels;
        let power = 10f64.powf(target.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|&s| s >= target)
            .unwrap_or(10.0 * power);
        let minor = step / 5.0;
        let mut marks = Vec::new();
        let mut k = (lo / minor).ceil() as i64;
        while (k as f64) * minor <= hi && marks.len() < 500 {
            let value = k as f64 * minor;
            let major = (value / step - (value / step).round()).abs() < 1e-6;
            marks.push(GridMark {
                value,
                step_size: if major { step } else { minor },
            });
            k += 1;
        }
        marks
    }
}

fn title(ui: &mut egui::Ui, text: &str, tip: &str) {
    ui.label(RichText::new(text).strong().color(theme::TEXT_STRONG))
        .on_hover_text(tip);
}

/// Vertical lines where the policy changed, in the policy's colour.
fn policy_lines(plot_ui: &mut egui_plot::PlotUi, cache: &GuiCache) {
    for &(hours, policy) in cache.policy_marks.iter().skip(1) {
        plot_ui.vline(
            VLine::new(format!("switch to {}", theme::policy_label(policy)), hours)
                .color(theme::policy(policy))
                .width(2.0)
                .style(LineStyle::dashed_dense()),
        );
    }
}

pub fn plots(ui: &mut egui::Ui, cache: &GuiCache, view: &WorldView) {
    let rows = &view.history.rows;
    // Fill the panel, or a resizable panel shrinks to its content frame after frame.
    ui.set_min_size(ui.available_size());
    ui.add_space(4.0);
    let title_h = 24.0;
    let height = ((ui.available_height() - 2.0 * title_h - 16.0) / 2.0).max(80.0);
    ui.columns(4, |cols| {
        // Row 1: activity and concentration over time.
        {
            let ui = &mut cols[0];
            title(ui, "Impressions per hour", "Notes shown to viewers in each simulated hour; the daily rhythm is the viewers' evening peak.");
            time_plot("p-impressions", "impressions / hour", height).show(ui, |p| {
                p.line(Line::new("impressions / h", series(rows, |r| r.impressions_last_interval as f64)).color(theme::SERIES_A).fill(0.0).fill_alpha(0.25));
                policy_lines(p, cache);
            });
        }
        {
            let ui = &mut cols[1];
            title(ui, "Engagement rate", "Meaningful actions (likes, comments, saves, shares, follows) per impression.");
            let hourly: PlotPoints = rows
                .windows(2)
                .filter(|w| w[1].impressions > w[0].impressions)
                .map(|w| {
                    let imp = (w[1].impressions - w[0].impressions) as f64;
                    let eng = w[1].engagements.saturating_sub(w[0].engagements) as f64;
                    [w[1].hours, 100.0 * eng / imp]
                })
                .collect();
            time_plot("p-engagement", "% of impressions", height).show(ui, |p| {
                p.line(Line::new("this hour", hourly).color(theme::SERIES_B).width(1.5));
                p.line(Line::new("since start", series(rows, |r| 100.0 * r.engagement_rate)).color(theme::SERIES_C).width(2.5));
                policy_lines(p, cache);
            });
        }
        {
            let ui = &mut cols[2];
            title(ui, "Inequality (Gini)", "0 = everyone equal, 1 = one creator has everything. Solid: impressions since the start; dashed: impressions of the last 24 simulated hours only.");
            time_plot("p-gini", "Gini coefficient", height).include_y(1.0).show(ui, |p| {
                p.line(Line::new("impressions", series(rows, |r| r.gini_impressions)).color(theme::SERIES_A).width(2.5));
                p.line(Line::new("followers", series(rows, |r| r.gini_followers)).color(theme::SERIES_B).width(2.5));
                p.line(
                    Line::new("impressions, last 24 h", series(rows, |r| r.gini_impressions_24h))
                        .color(theme::SERIES_A)
                        .width(1.5)
                        .style(LineStyle::dashed_dense()),
                );
                policy_lines(p, cache);
            });
        }
        {
            let ui = &mut cols[3];
            title(ui, "Concentration of attention", "Share of all impressions that went to the top 1% and the top 10% of creators.");
            time_plot("p-top", "% of all impressions", height).include_y(100.0).show(ui, |p| {
                p.line(Line::new("top 10%", series(rows, |r| 100.0 * r.top10_share)).color(theme::SERIES_B).width(2.5));
                p.line(Line::new("top 1%", series(rows, |r| 100.0 * r.top1_share)).color(theme::BAD).width(2.5));
                policy_lines(p, cache);
            });
        }
    });
    ui.add_space(4.0);
    ui.columns(5, |cols| {
        {
            let ui = &mut cols[0];
            title(ui, "Lorenz curve now", "Creators sorted from least to most impressions: how much of the total the bottom x% got. The diagonal is perfect equality.");
            let followers: Vec<f64> = view.creators.list.iter().map(|c| c.followers as f64).collect();
            let imp: PlotPoints = lorenz(&cache.impressions, 200).into_iter().map(|(x, y)| [100.0 * x, 100.0 * y]).collect();
            let fol: PlotPoints = lorenz(&followers, 200).into_iter().map(|(x, y)| [100.0 * x, 100.0 * y]).collect();
            base_plot("p-lorenz", "% of creators (poorest first)", "% of total", height)
                .include_x(0.0)
                .include_x(100.0)
                .include_y(0.0)
                .include_y(100.0)
                .legend(legend(Corner::LeftTop))
                .show(ui, |p| {
                    p.line(Line::new("equality", vec![[0.0, 0.0], [100.0, 100.0]]).color(Color32::from_gray(110)).style(LineStyle::dashed_loose()));
                    p.line(Line::new("impressions", imp).color(theme::SERIES_A).width(2.5).fill(0.0).fill_alpha(0.15));
                    p.line(Line::new("followers", fol).color(theme::SERIES_B).width(2.5));
                });
        }
        {
            let ui = &mut cols[1];
            title(ui, "Follower distribution (log-log)", "Share of creators with at least this many followers. A straight line means a power law: a few giants, a long tail.");
            let mut all: Vec<(u32, Archetype)> = view.creators.list.iter().filter(|c| c.followers > 0).map(|c| (c.followers, c.archetype)).collect();
            all.sort_by_key(|&(f, _)| std::cmp::Reverse(f));
            let n = view.creators.list.len().max(1) as f64;
            base_plot("p-followers", "followers", "creators with ≥ x", height)
                .x_grid_spacer(whole_numbers)
                .y_grid_spacer(whole_numbers)
                .x_axis_formatter(power_of_ten_label)
                .y_axis_formatter(power_of_ten_percent_label)
                .include_x(0.0)
                .include_y(0.0)
                .legend(legend(Corner::LeftBottom))
                .show(ui, |p| {
                    for a in Archetype::ALL {
                        let pts: PlotPoints = all
                            .iter()
                            .enumerate()
                            .filter(|(_, (_, arch))| *arch == a)
                            .map(|(rank, (f, _))| [(*f as f64).log10(), ((rank + 1) as f64 / n).log10()])
                            .collect();
                        p.points(Points::new(theme::archetype_label(a), pts).color(theme::archetype(a)).radius(2.5));
                    }
                });
        }
        {
            let ui = &mut cols[2];
            reach_distribution(ui, &cache.reach, height);
        }
        {
            let ui = &mut cols[3];
            title(ui, "Funnel: notes reaching each stage", "Share of each archetype's notes whose impressions reached at least stage k of the common ladder (the same yardstick under every policy; stage 0 = every note).");
            let mut per = [[0u32; 10]; 5];
            let mut by_stage = [0u32; 10];
            let mut deepest = 0usize;
            for note in &view.notes.list {
                let a = view.creators.list[note.creator as usize].archetype.index();
                let s = (note.max_stage as usize).min(9);
                per[a][s] += 1;
                by_stage[s] += 1;
                deepest = deepest.max(s);
            }
            let deepest = deepest.max(1);
            let width = 0.8 / Archetype::ALL.len() as f64;
            base_plot("p-funnel", "stage reached", "% of notes", height - 18.0)
                .x_grid_spacer(whole_numbers)
                .include_y(0.0)
                .include_x(0.5)
                .include_x(deepest as f64 + 0.5)
                .x_axis_formatter(|m, _| if (m.value - m.value.round()).abs() < 1e-6 && m.value >= 1.0 { format!("≥{}", m.value as u32) } else { String::new() })
                .show(ui, |p| {
                    for a in Archetype::ALL {
                        let counts = &per[a.index()];
                        let total: u32 = counts.iter().sum();
                        if total == 0 {
                            continue;
                        }
                        let bars: Vec<Bar> = (1..=deepest)
                            .map(|k| {
                                let reached: u32 = counts[k..].iter().sum();
                                let x = k as f64 - 0.4 + width * (a.index() as f64 + 0.5);
                                Bar::new(x, 100.0 * reached as f64 / total as f64).width(width * 0.9).fill(theme::archetype(a))
                            })
                            .collect();
                        p.bar_chart(BarChart::new(theme::archetype_label(a), bars).color(theme::archetype(a)));
                    }
                });
            let text: Vec<String> = (0..=deepest).map(|k| format!("S{k} {}", theme::compact(by_stage[k] as f64))).collect();
            ui.label(RichText::new(format!("furthest stage: {}", text.join(" · "))).small().color(theme::TEXT_DIM));
        }
        {
            let ui = &mut cols[4];
            title(
                ui,
                "Merit vs. head start",
                "Rank correlations with impressions: note merit = note appeal with the note's impressions (the algorithm alone); creator merit = creator skill with the creator's impressions (mixes in how much they post); influencer advantage = followers at the start with impressions. Newcomer breakthrough = share of newcomers' notes reaching stage 2 of the ladder.",
            );
            time_plot("p-merit", "rank correlation", height).include_y(-0.2).include_y(1.0).show(ui, |p| {
                p.hline(HLine::new("", 0.0).color(Color32::from_gray(100)));
                p.line(Line::new("note merit", series(rows, |r| finite(r.note_meritocracy))).color(theme::archetype(Archetype::NicheExpert)).width(2.5));
                p.line(
                    Line::new("creator merit", series(rows, |r| finite(r.meritocracy)))
                        .color(theme::archetype(Archetype::NicheExpert))
                        .width(1.5)
                        .style(LineStyle::dashed_dense()),
                );
                p.line(
                    Line::new("influencer advantage", series(rows, |r| finite(r.influencer_advantage))).color(theme::archetype(Archetype::Influencer)).width(2.5),
                );
                p.line(
                    Line::new("newcomer breakthrough", series(rows, |r| r.newcomer_breakthrough))
                        .color(theme::archetype(Archetype::Newcomer))
                        .width(1.5)
                        .style(LineStyle::dashed_dense()),
                );
                policy_lines(p, cache);
            });
        }
    });
}

/// Reach per note on log-log axes: the share of notes that reached at least x distinct viewers.
fn reach_distribution(ui: &mut egui::Ui, reach: &[f64], height: f32) {
    title(
        ui,
        "Reach per note (log-log)",
        "Share of notes (with at least one impression) that reached at least this many distinct viewers. A straight line is a power law: a few notes go viral, most stay small.",
    );
    let n = reach.len().max(1) as f64;
    // Every distinct reach value once (its highest rank), thinned to a few hundred points.
    let stride = reach.len().div_ceil(400).max(1);
    let pts: PlotPoints = reach
        .iter()
        .enumerate()
        .filter(|(i, r)| **r > 0.0 && (i % stride == 0 || *i + 1 == reach.len()))
        .map(|(i, r)| [r.log10(), ((i + 1) as f64 / n).log10()])
        .collect();
    base_plot("p-reach", "distinct viewers", "notes with ≥ x", height)
        .x_grid_spacer(whole_numbers)
        .y_grid_spacer(whole_numbers)
        .x_axis_formatter(power_of_ten_label)
        .y_axis_formatter(power_of_ten_percent_label)
        .include_x(0.0)
        .include_y(0.0)
        .show(ui, |p| {
            p.line(Line::new("notes", pts).color(theme::SERIES_A).width(2.0));
        });
}

/// Labels for an axis of log10 values: the power of ten at whole numbers, nothing between.
fn power_of_ten_label(m: GridMark, _: &std::ops::RangeInclusive<f64>) -> String {
    if (m.value - m.value.round()).abs() > 1e-6 {
        String::new()
    } else {
        theme::compact(10f64.powf(m.value))
    }
}

/// As `power_of_ten_label`, for an axis of log10 shares, as percentages.
fn power_of_ten_percent_label(m: GridMark, _: &std::ops::RangeInclusive<f64>) -> String {
    if (m.value - m.value.round()).abs() > 1e-6 {
        String::new()
    } else {
        format!("{}%", format_pct(100.0 * 10f64.powf(m.value)))
    }
}

/// Grid marks at every whole number (whole powers of ten on axes that show log10 values).
fn whole_numbers(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let (lo, hi) = (lo.ceil() as i32, hi.floor() as i32);
    // A step size above 1 keeps every decade labelled on a narrow plot.
    (lo..=hi)
        .map(|v| GridMark {
            value: v as f64,
            step_size: 1.6,
        })
        .collect()
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { 0.0 }
}

fn format_pct(p: f64) -> String {
    if p >= 1.0 {
        format!("{p:.0}")
    } else {
        format!("{p}")
    }
}
