//! Live plots along the bottom: eight small charts in two rows, of the world on show or of two
//! worlds side by side, overlaid in their policies' colours. The distribution charts draw from
//! data computed once per sample (see `plot_data`).

use super::plot_data::{PlotCaches, PlotData};
use super::state::ForkMark;
use super::state::{GuiCache, WorldView};
use super::theme;
use crate::metrics::collector::MetricsRow;
use crate::scenario::Archetype;
use bevy_egui::egui::{self, Align2, Color32, RichText};
use egui_plot::{
    Bar, BarChart, Corner, GridInput, GridMark, HLine, Legend, Line, LineStyle, Plot, PlotPoints,
    PlotTransform, Points, VLine,
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

/// One world's lines in the plots: its name and colour (in legends, with two worlds side by
/// side) and what to draw from.
pub struct Trace<'a> {
    pub name: String,
    pub colour: Color32,
    pub cache: &'a GuiCache,
    pub view: WorldView<'a>,
}

/// One metric over simulated hours.
struct Series {
    name: &'static str,
    value: fn(&MetricsRow) -> f64,
    /// The colour with one world; with two, each world's lines take its policy's colour.
    colour: Color32,
    width: f32,
    dashed: bool,
    fill: bool,
    /// Dashed with two worlds only (to tell it from the other paired line in the same colour).
    dashed_when_paired: bool,
    /// Drawn for both worlds side by side; the others only with one world, to stay legible.
    paired: bool,
}

impl Series {
    fn new(name: &'static str, value: fn(&MetricsRow) -> f64, colour: Color32) -> Self {
        Self {
            name,
            value,
            colour,
            width: 2.5,
            dashed: false,
            fill: false,
            dashed_when_paired: false,
            paired: true,
        }
    }
    fn thin(self) -> Self {
        Self { width: 1.5, ..self }
    }
    fn dashed(self) -> Self {
        Self {
            dashed: true,
            ..self
        }
    }
    fn filled(self) -> Self {
        Self { fill: true, ..self }
    }
    fn dashed_when_paired(self) -> Self {
        Self {
            dashed_when_paired: true,
            ..self
        }
    }
    fn alone(self) -> Self {
        Self {
            paired: false,
            ..self
        }
    }
    fn line(
        &self,
        name: String,
        rows: &[MetricsRow],
        colour: Color32,
        paired: bool,
    ) -> Line<'static> {
        let mut line = Line::new(name, series(rows, self.value))
            .color(colour)
            .width(self.width);
        if self.dashed || (paired && self.dashed_when_paired) {
            line = line.style(LineStyle::dashed_dense());
        }
        if self.fill {
            line = line.fill(0.0).fill_alpha(if paired { 0.1 } else { 0.25 });
        }
        line
    }
}

/// Draws `all` for one world, or the paired ones for each of two worlds in its colour (the
/// first named after the world's policy; the others once in the legend, by their own name).
fn draw_series(p: &mut egui_plot::PlotUi, traces: &[Trace], all: &[Series]) {
    if let [one] = traces {
        for s in all {
            p.line(s.line(s.name.into(), &one.view.history.rows, s.colour, false));
        }
        return;
    }
    for (k, s) in all.iter().filter(|s| s.paired).enumerate() {
        for (i, t) in traces.iter().enumerate() {
            let name = match (k, i) {
                (0, _) => t.name.clone(),
                (_, 0) => format!("{} (dashed)", s.name),
                _ => String::new(),
            };
            p.line(s.line(name, &t.view.history.rows, t.colour, true));
        }
    }
}

/// Vertical lines where a policy changed, in the policy's colour, and where the worlds forked,
/// with its label at the top.
fn marks(p: &mut egui_plot::PlotUi, traces: &[Trace], fork: Option<&ForkMark>) {
    for t in traces {
        for &(hours, policy) in t.cache.policy_marks.iter().skip(1) {
            // The fork's own switch is the fork mark.
            if fork.is_some_and(|f| (f.hours - hours).abs() < 1e-9) {
                continue;
            }
            p.vline(
                VLine::new(format!("switch to {}", theme::policy_label(policy)), hours)
                    .color(theme::policy(policy))
                    .width(2.0)
                    .style(LineStyle::dashed_dense()),
            );
        }
    }
    if let Some(f) = fork {
        p.vline(
            VLine::new("", f.hours)
                .color(theme::TEXT_STRONG)
                .width(1.5)
                .style(LineStyle::dashed_loose()),
        );
    }
}

/// The fork's label at the top of its line, painted over the plot (a plot item there would
/// stretch the plot's bounds every frame).
fn fork_label(ui: &egui::Ui, transform: &PlotTransform, fork: Option<&ForkMark>) {
    let Some(f) = fork else {
        return;
    };
    let frame = *transform.frame();
    let x = transform.position_from_point_x(f.hours);
    if x < frame.left() || x > frame.right() {
        return;
    }
    ui.painter().with_clip_rect(frame).text(
        egui::pos2(x + 4.0, frame.top() + 3.0),
        Align2::LEFT_TOP,
        f.label(),
        egui::FontId::proportional(12.0),
        theme::TEXT_STRONG,
    );
}

/// A plot of metrics over simulated hours, with the marks.
#[allow(clippy::too_many_arguments)]
fn time_chart(
    ui: &mut egui::Ui,
    id: &str,
    heading: (&str, &str),
    y_label: &str,
    height: f32,
    traces: &[Trace],
    fork: Option<&ForkMark>,
    all: &[Series],
    shape: impl FnOnce(Plot) -> Plot,
) {
    title(ui, heading.0, heading.1);
    let shown = shape(time_plot(id, y_label, height)).show(ui, |p| {
        if p.plot_bounds().min()[1] < 0.0 {
            p.hline(HLine::new("", 0.0).color(Color32::from_gray(100)));
        }
        draw_series(p, traces, all);
        marks(p, traces, fork);
    });
    fork_label(ui, &shown.transform, fork);
}

/// The bottom panel: eight small charts in two rows, of one world or of two overlaid.
pub fn plots(
    ui: &mut egui::Ui,
    traces: &[Trace],
    fork: Option<&ForkMark>,
    caches: &mut PlotCaches,
) {
    for (i, t) in traces.iter().enumerate() {
        caches.refresh(i, t.cache, &t.view);
    }
    let data: Vec<&PlotData> = (0..traces.len()).map(|i| caches.data(i)).collect();
    let data = &data[..];
    // Fill the panel, or a resizable panel shrinks to its content frame after frame.
    ui.set_min_size(ui.available_size());
    ui.add_space(4.0);
    let title_h = 24.0;
    let height = ((ui.available_height() - 2.0 * title_h - 16.0) / 2.0).max(80.0);
    ui.columns(4, |cols| {
        // Row 1: activity and concentration over time.
        time_chart(
            &mut cols[0],
            "p-impressions",
            ("Impressions per hour", "Notes shown to viewers in each simulated hour; the daily rhythm is the viewers' evening peak."),
            "impressions / hour",
            height,
            traces,
            fork,
            &[Series::new("impressions / h", |r| r.impressions_last_interval as f64, theme::SERIES_A).thin().filled()],
            |p| p,
        );
        engagement_chart(&mut cols[1], traces, fork, height);
        time_chart(
            &mut cols[2],
            "p-gini",
            ("Inequality (Gini)", "0 = everyone equal, 1 = one creator has everything. Solid: impressions since the start; dashed: impressions of the last 24 simulated hours only."),
            "Gini coefficient",
            height,
            traces,
            fork,
            &[
                Series::new("impressions", |r| r.gini_impressions, theme::SERIES_A),
                Series::new("followers", |r| r.gini_followers, theme::SERIES_B).alone(),
                Series::new("impressions, last 24 h", |r| r.gini_impressions_24h, theme::SERIES_A).thin().dashed().alone(),
            ],
            |p| p.include_y(1.0),
        );
        time_chart(
            &mut cols[3],
            "p-top",
            ("Concentration of attention", "Share of all impressions that went to the top 1% and the top 10% of creators."),
            "% of all impressions",
            height,
            traces,
            fork,
            &[
                Series::new("top 10%", |r| 100.0 * r.top10_share, theme::SERIES_B),
                Series::new("top 1%", |r| 100.0 * r.top1_share, theme::BAD).alone(),
            ],
            |p| p.include_y(100.0),
        );
    });
    ui.add_space(4.0);
    ui.columns(5, |cols| {
        lorenz_chart(&mut cols[0], traces, data, height);
        follower_chart(&mut cols[1], traces, data, height);
        reach_distribution(&mut cols[2], traces, data, height);
        funnel_chart(&mut cols[3], traces, data, height);
        time_chart(
            &mut cols[4],
            "p-merit",
            ("Merit vs. head start", "Rank correlations with impressions: note merit = note appeal with the note's impressions (the algorithm alone); creator merit = creator skill with the creator's impressions (mixes in how much they post); influencer advantage = followers at the start with impressions. Newcomer breakthrough = share of newcomers' notes reaching stage 2 of the ladder. With two worlds: note merit solid, influencer advantage dashed."),
            "rank correlation",
            height,
            traces,
            fork,
            &[
                Series::new("note merit", |r| finite(r.note_meritocracy), theme::archetype(Archetype::NicheExpert)),
                Series::new("creator merit", |r| finite(r.meritocracy), theme::archetype(Archetype::NicheExpert)).thin().dashed().alone(),
                Series::new("influencer advantage", |r| finite(r.influencer_advantage), theme::archetype(Archetype::Influencer)).dashed_when_paired(),
                Series::new("newcomer breakthrough", |r| r.newcomer_breakthrough, theme::archetype(Archetype::Newcomer)).thin().dashed().alone(),
            ],
            |p| p.include_y(-0.2).include_y(1.0),
        );
    });
}

fn engagement_chart(ui: &mut egui::Ui, traces: &[Trace], fork: Option<&ForkMark>, height: f32) {
    title(
        ui,
        "Engagement rate",
        "Meaningful actions (likes, comments, saves, shares, follows) per impression.",
    );
    let since_start = Series::new(
        "since start",
        |r| 100.0 * r.engagement_rate,
        theme::SERIES_C,
    );
    let shown = time_plot("p-engagement", "% of impressions", height).show(ui, |p| {
        if let [one] = traces {
            let rows = &one.view.history.rows;
            let hourly: PlotPoints = rows
                .windows(2)
                .filter(|w| w[1].impressions > w[0].impressions)
                .map(|w| {
                    let imp = (w[1].impressions - w[0].impressions) as f64;
                    let eng = w[1].engagements.saturating_sub(w[0].engagements) as f64;
                    [w[1].hours, 100.0 * eng / imp]
                })
                .collect();
            p.line(
                Line::new("this hour", hourly)
                    .color(theme::SERIES_B)
                    .width(1.5),
            );
        }
        draw_series(p, traces, std::slice::from_ref(&since_start));
        marks(p, traces, fork);
    });
    fork_label(ui, &shown.transform, fork);
}

fn lorenz_chart(ui: &mut egui::Ui, traces: &[Trace], data: &[&PlotData], height: f32) {
    title(
        ui,
        "Lorenz curve now",
        "Creators sorted from least to most impressions: how much of the total the bottom x% got. The diagonal is perfect equality.",
    );
    let curve = |points: &[[f64; 2]]| PlotPoints::from(points.to_vec());
    base_plot(
        "p-lorenz",
        "% of creators (poorest first)",
        "% of total",
        height,
    )
    .include_x(0.0)
    .include_x(100.0)
    .include_y(0.0)
    .include_y(100.0)
    .legend(legend(Corner::LeftTop))
    .show(ui, |p| {
        p.line(
            Line::new("equality", vec![[0.0, 0.0], [100.0, 100.0]])
                .color(Color32::from_gray(110))
                .style(LineStyle::dashed_loose()),
        );
        if let [one] = data {
            p.line(
                Line::new("impressions", curve(&one.lorenz_impressions))
                    .color(theme::SERIES_A)
                    .width(2.5)
                    .fill(0.0)
                    .fill_alpha(0.15),
            );
            p.line(
                Line::new("followers", curve(&one.lorenz_followers))
                    .color(theme::SERIES_B)
                    .width(2.5),
            );
            return;
        }
        for (t, d) in traces.iter().zip(data) {
            p.line(
                Line::new(t.name.clone(), curve(&d.lorenz_impressions))
                    .color(t.colour)
                    .width(2.5),
            );
        }
    });
}

/// A share-at-least-x chart on log-log axes (decades on both, the y axis in percent).
fn log_log_plot(id: &str, x: &str, y: &str, height: f32) -> Plot<'static> {
    base_plot(id, x, y, height)
        .x_grid_spacer(whole_numbers)
        .y_grid_spacer(whole_numbers)
        .x_axis_formatter(power_of_ten_label)
        .y_axis_formatter(power_of_ten_percent_label)
        .include_x(0.0)
        .include_y(0.0)
}

fn follower_chart(ui: &mut egui::Ui, traces: &[Trace], data: &[&PlotData], height: f32) {
    title(
        ui,
        "Follower distribution (log-log)",
        "Share of creators with at least this many followers. A straight line means a power law: a few giants, a long tail. With one world the points are coloured by archetype as in the map's legend.",
    );
    let plot = log_log_plot("p-followers", "followers", "creators with ≥ x", height);
    // Five archetypes' legend would cover the points from top to bottom in a panel this narrow;
    // their colours are the map legend's. Two worlds' names fit in a corner.
    let plot = if traces.len() > 1 {
        plot.legend(legend(Corner::LeftBottom))
    } else {
        plot
    };
    plot.show(ui, |p| {
        for (t, d) in traces.iter().zip(data) {
            if traces.len() > 1 {
                let pts = PlotPoints::from(d.followers_all.clone());
                p.points(Points::new(t.name.clone(), pts).color(t.colour).radius(2.0));
                continue;
            }
            for (a, pts) in Archetype::ALL.iter().zip(&d.followers_by_archetype) {
                p.points(
                    Points::new(theme::archetype_label(*a), PlotPoints::from(pts.clone()))
                        .color(theme::archetype(*a))
                        .radius(2.5),
                );
            }
        }
    });
}

fn funnel_chart(ui: &mut egui::Ui, traces: &[Trace], data: &[&PlotData], height: f32) {
    title(
        ui,
        "Funnel: notes reaching each stage",
        "Share of notes (per archetype with one world, per world with two) whose impressions reached at least stage k of the common ladder (the same yardstick under every policy; stage 0 = every note). With one world each stage has a bar per archetype, left to right and coloured as in the map's legend: influencer, regular, newcomer, niche expert, spammer; with two, a bar per world in its colour, left world first.",
    );
    // Per group (archetype, or world): notes by the furthest stage they reached.
    let groups: Vec<(String, Color32, [u32; 10])> = if let [one] = data {
        Archetype::ALL
            .iter()
            .map(|&a| {
                (
                    theme::archetype_label(a).to_string(),
                    theme::archetype(a),
                    one.funnel_by_archetype[a.index()],
                )
            })
            .collect()
    } else {
        traces
            .iter()
            .zip(data)
            .map(|(t, d)| (t.name.clone(), t.colour, d.funnel_all))
            .collect()
    };
    let by_stage = match data {
        [one] => one.funnel_all,
        _ => [0u32; 10],
    };
    let deepest = groups
        .iter()
        .flat_map(|(_, _, c)| (0..10).filter(|&k| c[k] > 0))
        .max()
        .unwrap_or(0)
        .max(1);
    let width = 0.8 / groups.len().max(1) as f64;
    // No legend: in a panel this narrow it would cover the bars (stage 1's stand highest, so no
    // corner is free). Bars are coloured and ordered as the map's legend (one world) or as the
    // worlds' names everywhere else (two worlds); the title's hover text and the line below say
    // which.
    base_plot("p-funnel", "stage reached", "% of notes", height - 18.0)
        .x_grid_spacer(whole_numbers)
        .include_y(0.0)
        .include_x(0.5)
        .include_x(deepest as f64 + 0.5)
        .x_axis_formatter(|m, _| {
            if (m.value - m.value.round()).abs() < 1e-6 && m.value >= 1.0 {
                format!("≥{}", m.value as u32)
            } else {
                String::new()
            }
        })
        .show(ui, |p| {
            for (g, (name, colour, counts)) in groups.iter().enumerate() {
                let total: u32 = counts.iter().sum();
                if total == 0 {
                    continue;
                }
                let bars: Vec<Bar> = (1..=deepest)
                    .map(|k| {
                        let reached: u32 = counts[k..].iter().sum();
                        let x = k as f64 - 0.4 + width * (g as f64 + 0.5);
                        Bar::new(x, 100.0 * reached as f64 / total as f64)
                            .width(width * 0.9)
                            .fill(*colour)
                    })
                    .collect();
                p.bar_chart(BarChart::new(name.clone(), bars).color(*colour));
            }
        });
    // One line whatever the width: a label that wraps would grow the panel frame after frame.
    let text = if traces.len() == 1 {
        let stages: Vec<String> = (0..=deepest)
            .map(|k| format!("S{k} {}", theme::compact(by_stage[k] as f64)))
            .collect();
        format!("furthest stage: {}", stages.join(" · "))
    } else {
        let names: Vec<&str> = traces.iter().map(|t| t.name.as_str()).collect();
        format!("bars left to right: {}", names.join(" · "))
    };
    ui.add(egui::Label::new(RichText::new(text).small().color(theme::TEXT_DIM)).truncate());
}

/// Reach per note on log-log axes: the share of notes that reached at least x distinct viewers.
fn reach_distribution(ui: &mut egui::Ui, traces: &[Trace], data: &[&PlotData], height: f32) {
    title(
        ui,
        "Reach per note (log-log)",
        "Share of notes (with at least one impression) that reached at least this many distinct viewers. A straight line is a power law: a few notes go viral, most stay small.",
    );
    log_log_plot("p-reach", "distinct viewers", "notes with ≥ x", height)
        .legend(legend(Corner::LeftBottom))
        .show(ui, |p| {
            for (t, d) in traces.iter().zip(data) {
                let (name, colour) = if traces.len() == 1 {
                    ("notes".to_string(), theme::SERIES_A)
                } else {
                    (t.name.clone(), t.colour)
                };
                p.line(
                    Line::new(name, PlotPoints::from(d.reach.clone()))
                        .color(colour)
                        .width(2.0),
                );
            }
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
