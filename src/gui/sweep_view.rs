//! The sweep view: a `sweep.csv` (from `feedlab sweep` or `feedlab merge`) as a heatmap of any
//! metric over two varied parameters (each cell the mean over its seeds, the spread on hover),
//! or, over one parameter, as a line of means with its 95% confidence band and every run as a dot.
//! Parameters not on an axis are held at a chosen value (a slice of the grid).

use super::{platform, theme};
use crate::sweep::table::{Cell, SweepTable};
use anyhow::Context as _;
use bevy::prelude::Resource;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2, Rect, RichText, Sense, Stroke, vec2};
use egui_plot::{FilledArea, Line, Plot, Points};
use std::path::{Path, PathBuf};

/// What the sweep view shows; app-wide, apart from any simulation world.
#[derive(Resource, Default)]
pub struct SweepView {
    /// The sweep view fills the window instead of the simulation's panels.
    pub open: bool,
    pub path_input: String,
    pub sweep: Option<LoadedSweep>,
    pub error: Option<String>,
}

/// A sweep read from disk and what is chosen to be shown of it.
pub struct LoadedSweep {
    pub path: PathBuf,
    pub table: SweepTable,
    /// Distinct values of every parameter, in display order.
    pub levels: Vec<Vec<String>>,
    pub metric: usize,
    /// Parameter on the horizontal axis, and on the vertical one (None: a line plot).
    pub x: usize,
    pub y: Option<usize>,
    /// The level every parameter is held at when it is on no axis.
    pub slice: Vec<usize>,
}

impl LoadedSweep {
    pub fn new(path: PathBuf, table: SweepTable) -> anyhow::Result<LoadedSweep> {
        if table.params.is_empty() {
            anyhow::bail!(
                "{}: no varied parameters (no columns before `seed`)",
                path.display()
            );
        }
        if table.rows.is_empty() {
            anyhow::bail!("{}: no runs yet", path.display());
        }
        let levels = (0..table.params.len()).map(|p| table.levels(p)).collect();
        let metric = table
            .metric_index("gini_impressions")
            .or_else(|| {
                table
                    .metrics
                    .iter()
                    .position(|m| m != "tick" && m != "hours")
            })
            .unwrap_or(0);
        Ok(LoadedSweep {
            path,
            y: (table.params.len() > 1).then_some(1),
            slice: vec![0; table.params.len()],
            levels,
            metric,
            x: 0,
            table,
        })
    }

    /// Conditions holding every parameter off the axes at its chosen level.
    fn held(&self) -> Vec<(usize, &str)> {
        (0..self.table.params.len())
            .filter(|&p| p != self.x && Some(p) != self.y)
            .map(|p| (p, self.levels[p][self.slice[p]].as_str()))
            .collect()
    }

    fn cell(&self, at: &[(usize, &str)]) -> Option<Cell> {
        let mut conditions = self.held();
        conditions.extend_from_slice(at);
        self.table.cell(self.metric, &conditions)
    }
}

impl SweepView {
    /// Shows `metric` (a column name of sweep.csv) if the open sweep has it.
    pub fn choose_metric(&mut self, metric: &str) -> anyhow::Result<()> {
        let Some(sweep) = &mut self.sweep else {
            return Ok(());
        };
        sweep.metric = sweep.table.metric_index(metric).ok_or_else(|| {
            anyhow::anyhow!(
                "--sweep-metric {metric}: not a column of {}; expected one of: {}",
                sweep.path.display(),
                sweep.table.metrics.join(", ")
            )
        })?;
        Ok(())
    }

    /// Reads a sweep.csv and shows it.
    pub fn load(&mut self, path: &Path) -> anyhow::Result<()> {
        let table = SweepTable::read(path)?;
        self.show_table(path, table)
    }

    /// Shows a sweep.csv whose text the user picked (in the browser), or why it cannot be.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub fn load_text(&mut self, path: &Path, text: &str) {
        let shown = SweepTable::parse(text)
            .with_context(|| path.display().to_string())
            .and_then(|table| self.show_table(path, table));
        if let Err(e) = shown {
            self.error = Some(format!("{e:#}"));
        }
    }

    fn show_table(&mut self, path: &Path, table: SweepTable) -> anyhow::Result<()> {
        self.sweep = Some(LoadedSweep::new(path.to_path_buf(), table)?);
        self.path_input = path.display().to_string();
        self.error = None;
        self.open = true;
        Ok(())
    }
}

/// Two buttons that switch between the simulation and the sweep view.
pub fn view_switch(ui: &mut egui::Ui, view: &mut SweepView) {
    if ui
        .selectable_label(!view.open, RichText::new("Simulation").strong())
        .on_hover_text("The running world: map, plots and parameters")
        .clicked()
    {
        view.open = false;
    }
    if ui
        .selectable_label(view.open, RichText::new("Sweep results").strong())
        .on_hover_text("Open a sweep.csv written by `feedlab sweep` or `feedlab merge`")
        .clicked()
    {
        view.open = true;
    }
}

/// The whole sweep view, for the central panel.
pub fn show(ui: &mut egui::Ui, view: &mut SweepView) {
    ui.add_space(6.0);
    open_row(ui, view);
    if let Some(error) = &view.error {
        ui.label(RichText::new(error).color(theme::BAD));
    }
    let Some(sweep) = &mut view.sweep else {
        ui.add_space(20.0);
        ui.label(
            RichText::new(
                "No sweep open. Run one, for example\n\n  feedlab sweep scenarios/lessons/author_prior.ron \\\n      --vary recommender.predicted_engagement.author_prior=0..1:5 --seeds 4 --out results/prior\n\nthen open results/prior/sweep.csv above (or start with `feedlab gui --sweep FILE`; in the\nbrowser, run the sweep on a computer and open its sweep.csv here).",
            )
            .monospace()
            .color(theme::TEXT_DIM),
        );
        return;
    };
    ui.separator();
    selectors(ui, sweep);
    ui.separator();
    match sweep.y {
        Some(y) if y != sweep.x => heatmap(ui, sweep, y),
        _ => line_plot(ui, sweep),
    }
}

fn open_row(ui: &mut egui::Ui, view: &mut SweepView) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Sweep").heading());
        if platform::CAN_PICK_FILE {
            if let Some(sweep) = &view.sweep {
                ui.label(sweep.path.display().to_string());
            }
            if ui
                .button("📂 Open a sweep.csv…")
                .on_hover_text("Load a sweep.csv from your computer")
                .clicked()
            {
                platform::pick_sweep();
            }
            return;
        }
        let edit = ui.add(
            egui::TextEdit::singleline(&mut view.path_input)
                .desired_width(ui.available_width() - 80.0)
                .hint_text("path/to/sweep.csv"),
        );
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui.button("Open").clicked() || enter {
            let path = PathBuf::from(view.path_input.trim());
            if let Err(e) = view.load(&path) {
                view.error = Some(format!("{e:#}"));
            }
        }
    });
}

/// Metric, axes and the values held for the other parameters.
fn selectors(ui: &mut egui::Ui, s: &mut LoadedSweep) {
    let params = s.table.params.clone();
    ui.horizontal_wrapped(|ui| {
        ui.label("Metric");
        egui::ComboBox::from_id_salt("sweep-metric")
            .width(240.0)
            .selected_text(&s.table.metrics[s.metric])
            .show_ui(ui, |ui| {
                for (i, m) in s.table.metrics.iter().enumerate() {
                    ui.selectable_value(&mut s.metric, i, m);
                }
            });
        ui.add_space(12.0);
        ui.label("Across");
        egui::ComboBox::from_id_salt("sweep-x")
            .width(280.0)
            .selected_text(&params[s.x])
            .show_ui(ui, |ui| {
                for (i, p) in params.iter().enumerate() {
                    ui.selectable_value(&mut s.x, i, p);
                }
            });
        ui.add_space(12.0);
        ui.label("Up");
        let up =
            s.y.map_or("none: a line with its 95% band".to_string(), |y| {
                params[y].clone()
            });
        egui::ComboBox::from_id_salt("sweep-y")
            .width(280.0)
            .selected_text(up)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut s.y, None, "none: a line with its 95% band");
                for (i, p) in params.iter().enumerate() {
                    ui.selectable_value(&mut s.y, Some(i), p);
                }
            });
    });
    if s.y == Some(s.x) {
        s.y = None;
    }
    for (p, name) in params.iter().enumerate() {
        if p == s.x || Some(p) == s.y {
            continue;
        }
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("{name} held at")).color(theme::TEXT_DIM));
            for (i, level) in s.levels[p].iter().enumerate() {
                ui.selectable_value(&mut s.slice[p], i, level);
            }
        });
    }
}

/// Colour of a value at `t` in 0..=1 on a perceptually ordered dark-to-bright scale (viridis).
pub fn scale_colour(t: f64) -> Color32 {
    const STOPS: [(f64, [u8; 3]); 6] = [
        (0.0, [68, 1, 84]),
        (0.2, [65, 68, 135]),
        (0.4, [42, 120, 142]),
        (0.6, [34, 168, 132]),
        (0.8, [122, 209, 81]),
        (1.0, [253, 231, 37]),
    ];
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let i = STOPS
        .iter()
        .rposition(|s| s.0 <= t)
        .unwrap_or(0)
        .min(STOPS.len() - 2);
    let (a, b) = (STOPS[i], STOPS[i + 1]);
    let f = (t - a.0) / (b.0 - a.0);
    let mix = |k: usize| (a.1[k] as f64 + f * (b.1[k] as f64 - a.1[k] as f64)).round() as u8;
    Color32::from_rgb(mix(0), mix(1), mix(2))
}

/// A metric value with three significant decimals at most.
fn value_text(v: f64) -> String {
    if !v.is_finite() {
        return "–".into();
    }
    if v.abs() >= 1e4 {
        return theme::compact(v);
    }
    let decimals = if v.abs() >= 100.0 {
        0
    } else if v.abs() >= 10.0 {
        1
    } else {
        3
    };
    format!("{v:.decimals$}")
}

fn spread_text(ui: &mut egui::Ui, s: &LoadedSweep, labels: &[String], cell: &Cell) {
    for label in labels {
        ui.label(RichText::new(label).strong());
    }
    let e = cell.estimate;
    ui.label(format!(
        "{}: mean {} over {} run(s) with a value (of {})",
        s.table.metrics[s.metric],
        value_text(e.mean),
        e.n,
        cell.runs
    ));
    if e.n >= 2 {
        ui.label(format!(
            "sd {}, 95% CI of the mean {} .. {}",
            value_text(e.sd),
            value_text(e.mean - e.ci95),
            value_text(e.mean + e.ci95)
        ));
        ui.label(format!(
            "runs range {} .. {}",
            value_text(cell.min),
            value_text(cell.max)
        ));
    }
}

/// The heatmap of the chosen metric over parameters `x` (across) and `y` (up).
fn heatmap(ui: &mut egui::Ui, s: &LoadedSweep, y: usize) {
    let (xs, ys) = (&s.levels[s.x], &s.levels[y]);
    let cells: Vec<Vec<Option<Cell>>> = ys
        .iter()
        .map(|yv| xs.iter().map(|xv| s.cell(&[(s.x, xv), (y, yv)])).collect())
        .collect();
    let means = cells
        .iter()
        .flatten()
        .flatten()
        .map(|c| c.estimate.mean)
        .filter(|m| m.is_finite());
    let (lo, hi) = means.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
        (lo.min(m), hi.max(m))
    });
    let caption = format!(
        "{} — mean over seeds in each cell; hover a cell for its spread. {}",
        s.table.metrics[s.metric],
        s.path.display()
    );
    ui.label(RichText::new(caption).color(theme::TEXT_DIM));

    let available = ui.available_size();
    let (response, painter) = ui.allocate_painter(available, Sense::hover());
    let full = response.rect;
    let font = FontId::proportional(15.0);
    let small = FontId::proportional(13.0);
    // Room for the value labels on the left, the axis names below and the colour bar on the right.
    let y_label_width = ys.iter().map(|v| v.len()).max().unwrap_or(1) as f32 * 8.0 + 24.0;
    let grid = Rect::from_min_max(
        Pos2::new(full.left() + y_label_width + 28.0, full.top() + 30.0),
        Pos2::new(full.right() - 120.0, full.bottom() - 60.0),
    );
    if grid.width() < 50.0 || grid.height() < 50.0 {
        return;
    }
    let (cw, ch) = (
        grid.width() / xs.len() as f32,
        grid.height() / ys.len() as f32,
    );
    let mut hovered: Option<(usize, usize)> = None;
    for (j, row) in cells.iter().enumerate() {
        for (i, cell) in row.iter().enumerate() {
            // first y level at the bottom
            let min = Pos2::new(
                grid.left() + i as f32 * cw,
                grid.bottom() - (j + 1) as f32 * ch,
            );
            let rect = Rect::from_min_size(min, vec2(cw, ch)).shrink(1.0);
            let mean = cell.as_ref().map_or(f64::NAN, |c| c.estimate.mean);
            let t = if hi > lo {
                (mean - lo) / (hi - lo)
            } else {
                0.5
            };
            let fill = if mean.is_finite() {
                scale_colour(t)
            } else {
                Color32::from_gray(60)
            };
            painter.rect_filled(rect, 2.0, fill);
            if cw > 46.0 && ch > 22.0 {
                let text = if t > 0.6 {
                    Color32::BLACK
                } else {
                    Color32::WHITE
                };
                painter.text(
                    rect.center(),
                    Align2::CENTER_CENTER,
                    value_text(mean),
                    font.clone(),
                    text,
                );
            }
            if response
                .hover_pos()
                .is_some_and(|p| rect.expand(1.0).contains(p))
            {
                hovered = Some((i, j));
                painter.rect_stroke(
                    rect,
                    2.0,
                    Stroke::new(2.0, Color32::WHITE),
                    egui::StrokeKind::Inside,
                );
            }
        }
    }
    // Axis values and names.
    for (i, v) in xs.iter().enumerate() {
        let at = Pos2::new(grid.left() + (i as f32 + 0.5) * cw, grid.bottom() + 6.0);
        painter.text(at, Align2::CENTER_TOP, v, small.clone(), theme::TEXT_STRONG);
    }
    for (j, v) in ys.iter().enumerate() {
        let at = Pos2::new(grid.left() - 8.0, grid.bottom() - (j as f32 + 0.5) * ch);
        painter.text(
            at,
            Align2::RIGHT_CENTER,
            v,
            small.clone(),
            theme::TEXT_STRONG,
        );
    }
    painter.text(
        Pos2::new(grid.center().x, grid.bottom() + 30.0),
        Align2::CENTER_TOP,
        &s.table.params[s.x],
        font.clone(),
        theme::TEXT_DIM,
    );
    painter.text(
        Pos2::new(grid.left() - 8.0, grid.top() - 6.0),
        Align2::LEFT_BOTTOM,
        &s.table.params[y],
        font.clone(),
        theme::TEXT_DIM,
    );
    colour_bar(
        &painter,
        Rect::from_min_max(
            Pos2::new(grid.right() + 24.0, grid.top()),
            Pos2::new(grid.right() + 44.0, grid.bottom()),
        ),
        lo,
        hi,
        &small,
    );
    if let Some((i, j)) = hovered
        && let Some(cell) = &cells[j][i]
    {
        let labels = [
            format!("{} = {}", s.table.params[s.x], xs[i]),
            format!("{} = {}", s.table.params[y], ys[j]),
        ];
        response.on_hover_ui_at_pointer(|ui| spread_text(ui, s, &labels, cell));
    }
}

fn colour_bar(painter: &egui::Painter, rect: Rect, lo: f64, hi: f64, font: &FontId) {
    let steps = 48;
    for k in 0..steps {
        let t0 = k as f32 / steps as f32;
        let band = Rect::from_min_max(
            Pos2::new(
                rect.left(),
                rect.bottom() - rect.height() * (t0 + 1.0 / steps as f32),
            ),
            Pos2::new(rect.right(), rect.bottom() - rect.height() * t0),
        );
        painter.rect_filled(band, 0.0, scale_colour(t0 as f64 + 0.5 / steps as f64));
    }
    painter.text(
        rect.right_top() + vec2(4.0, 0.0),
        Align2::LEFT_TOP,
        value_text(hi),
        font.clone(),
        theme::TEXT_STRONG,
    );
    painter.text(
        rect.right_bottom() + vec2(4.0, 0.0),
        Align2::LEFT_BOTTOM,
        value_text(lo),
        font.clone(),
        theme::TEXT_STRONG,
    );
}

/// The chosen metric over parameter `x`: mean, 95% band and every run.
fn line_plot(ui: &mut egui::Ui, s: &LoadedSweep) {
    let xs = &s.levels[s.x];
    let numeric = s.table.is_numeric(s.x);
    let position = |i: usize| {
        if numeric {
            xs[i].parse().unwrap_or(i as f64)
        } else {
            i as f64
        }
    };
    let mut centre = Vec::new();
    let (mut px, mut lo, mut hi) = (Vec::new(), Vec::new(), Vec::new());
    let mut runs = Vec::new();
    let held = s.held();
    for (i, v) in xs.iter().enumerate() {
        let Some(cell) = s.cell(&[(s.x, v)]) else {
            continue;
        };
        let e = cell.estimate;
        if e.mean.is_finite() {
            centre.push([position(i), e.mean]);
        }
        if e.ci95.is_finite() {
            px.push(position(i));
            lo.push(e.mean - e.ci95);
            hi.push(e.mean + e.ci95);
        }
        for row in
            s.table.rows.iter().filter(|r| {
                r.values[s.x] == *v && held.iter().all(|&(p, level)| r.values[p] == level)
            })
        {
            let value = row.metrics[s.metric];
            if value.is_finite() {
                runs.push([position(i), value]);
            }
        }
    }
    ui.label(
        RichText::new(format!(
            "{} — mean over seeds with its 95% confidence interval (Student's t); dots are single runs. {}",
            s.table.metrics[s.metric],
            s.path.display()
        ))
        .color(theme::TEXT_DIM),
    );
    let labels = xs.clone();
    let mut plot = Plot::new("sweep-line")
        .x_axis_label(s.table.params[s.x].clone())
        .y_axis_label(s.table.metrics[s.metric].clone())
        .legend(egui_plot::Legend::default())
        .allow_scroll(false);
    if !numeric {
        plot = plot.x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                labels[i as usize].clone()
            } else {
                String::new()
            }
        });
    }
    let colour = theme::policy(crate::scenario::PolicyKind::PredictedEngagement);
    plot.show(ui, |p| {
        if !px.is_empty() {
            p.add(
                FilledArea::new("95% CI of the mean", &px, &lo, &hi)
                    .fill_color(colour.gamma_multiply(0.25)),
            );
        }
        p.points(Points::new("runs", runs).radius(3.0).color(theme::TEXT_DIM));
        p.line(
            Line::new("mean over seeds", centre)
                .color(colour)
                .width(2.5),
        );
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_colour_scale_runs_dark_to_bright_and_survives_bad_input() {
        let lum = |c: Color32| c.r() as u32 + c.g() as u32 + c.b() as u32;
        let steps: Vec<u32> = (0..=10)
            .map(|k| lum(scale_colour(k as f64 / 10.0)))
            .collect();
        assert!(steps.windows(2).all(|w| w[0] <= w[1]), "{steps:?}");
        assert_eq!(scale_colour(f64::NAN), scale_colour(0.0));
        assert_eq!(scale_colour(2.0), scale_colour(1.0));
    }

    #[test]
    fn a_sweep_with_two_parameters_opens_as_a_heatmap_and_one_as_a_line() {
        let two = SweepTable::parse("a,b,seed,gini_impressions\n1,x,1,0.5\n2,x,1,0.6\n").unwrap();
        let s = LoadedSweep::new("s.csv".into(), two).unwrap();
        assert_eq!((s.x, s.y), (0, Some(1)));
        assert_eq!(s.table.metrics[s.metric], "gini_impressions");
        let one = SweepTable::parse("a,seed,tick,m\n1,1,5,0.5\n").unwrap();
        let s = LoadedSweep::new("s.csv".into(), one).unwrap();
        assert_eq!(s.y, None);
        assert_eq!(s.table.metrics[s.metric], "m");
        let empty = SweepTable::parse("a,seed,m\n").unwrap();
        assert!(LoadedSweep::new("s.csv".into(), empty).is_err());
    }
}
