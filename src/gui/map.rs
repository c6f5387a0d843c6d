//! The attention map: every creator as a circle, one cluster per topic (their main topic).
//! Area follows followers, brightness the impressions of the last simulated hour, colour the
//! archetype. Circles are packed by a few relaxation steps per frame, so they drift smoothly as
//! creators grow.
//!
//! The egui pass lays the map out, draws the text (legend, topic labels) and handles hover and
//! clicks; the circles and topic disks themselves are Bevy meshes (see `map_draw`), placed from
//! the [`MapScene`] this pass fills in. egui's central panel is transparent so they show through.

use super::state::{GuiCache, GuiState, WorldView};
use super::theme;
use crate::scenario::Archetype;
use crate::sim::Clock;
use crate::sim::agents::Account as Creator;
use bevy::prelude::Resource;
use bevy_egui::egui::{self, Align2, Color32, FontId, Pos2, Rect, RichText, Sense, pos2, vec2};

const GOLDEN_ANGLE: f32 = 2.399_963;

fn main_topic(c: &Creator) -> usize {
    if c.n_niche > 0 {
        c.niche[0] as usize
    } else {
        0
    }
}

/// One creator's circle as the egui pass laid it out, in egui points (y down).
pub struct MapCircle {
    pub centre: Pos2,
    pub radius: f32,
    pub archetype: Archetype,
    /// Impressions in the last simulated hour relative to the busiest creator, log scale, 0..=1.
    pub heat: f32,
}

/// What Bevy should draw for the map this frame, in egui points, back to front.
#[derive(Resource, Default)]
pub struct MapScene {
    pub pixels_per_point: f32,
    /// The free central area the map occupies; `None` when there is nothing to draw.
    pub clip: Option<Rect>,
    /// Topic disks: centre and radius.
    pub disks: Vec<(Pos2, f32)>,
    pub circles: Vec<MapCircle>,
    /// Rings around the selected creator (once per map: the same creator in both worlds side
    /// by side) and the hovered one: centre and radius.
    pub selected: Vec<(Pos2, f32)>,
    pub hovered: Option<(Pos2, f32)>,
}

impl MapScene {
    fn clear(&mut self) {
        self.clip = None;
        self.disks.clear();
        self.circles.clear();
        self.selected.clear();
        self.hovered = None;
    }
}

pub const DISK_FILL: Color32 = Color32::from_rgb(26, 28, 38);
pub const DISK_STROKE: Color32 = Color32::from_rgb(48, 50, 64);
pub const SELECTED_RING: Color32 = Color32::WHITE;

/// Fill of a creator's circle: the archetype's colour, dark when unseen, bright when busy.
pub fn fill_colour(a: Archetype, heat: f32) -> Color32 {
    scaled(theme::archetype(a), 0.22 + 0.9 * heat)
}

/// Outline of a creator's circle (translucent).
pub fn stroke_colour(a: Archetype) -> Color32 {
    theme::archetype(a).gamma_multiply(0.75)
}

/// Radius of the halo drawn behind the busiest creators; `None` for the others.
pub fn glow_radius(heat: f32, radius: f32) -> Option<f32> {
    (heat > 0.6).then_some(radius + 2.0 + 4.0 * heat)
}

/// Colour of that halo (translucent).
pub fn glow_colour(a: Archetype, heat: f32) -> Color32 {
    theme::archetype(a).gamma_multiply(0.18 * heat)
}

fn scaled(c: Color32, k: f32) -> Color32 {
    let f = |v: u8| (v as f32 * k).clamp(0.0, 255.0) as u8;
    Color32::from_rgb(f(c.r()), f(c.g()), f(c.b()))
}

/// Places creators not yet on the map on a sunflower spiral in their cluster, biggest first.
fn seed_layout(cache: &mut GuiCache, creators: &[Creator], topics: usize) {
    if cache.layout_generation != cache.generation {
        cache.positions.clear();
        cache.layout_generation = cache.generation;
    }
    let start = cache.positions.len();
    if start >= creators.len() {
        return;
    }
    let mut by_topic: Vec<Vec<usize>> = vec![Vec::new(); topics.max(1)];
    for (i, c) in creators.iter().enumerate().skip(start) {
        by_topic[main_topic(c).min(topics.max(1) - 1)].push(i);
    }
    cache.positions.resize(creators.len(), [0.0, 0.0]);
    for members in &mut by_topic {
        members.sort_by(|&a, &b| {
            creators[b]
                .initial_followers
                .cmp(&creators[a].initial_followers)
        });
        let m = members.len().max(1) as f32;
        // New arrivals after the start join at the rim; the initial population fills the disk.
        let (r0, r1) = if start == 0 { (0.0, 0.85) } else { (0.8, 0.95) };
        for (k, &i) in members.iter().enumerate() {
            let r = r0 + (r1 - r0) * ((k as f32 + 0.5) / m).sqrt();
            let a = k as f32 * GOLDEN_ANGLE + i as f32 * 0.37;
            cache.positions[i] = [r * a.cos(), r * a.sin()];
        }
    }
}

/// Clusters with more members than this relax once per frame instead of three times: the
/// packing carries on from frame to frame, and a thousand-creator cluster stays within budget.
const BIG_CLUSTER: usize = 400;

/// Pushes overlapping circles apart and gently pulls everyone towards the cluster centre.
/// Candidate pairs come from a sweep along x (members sorted by their left edge): only circles
/// whose x ranges meet can overlap, so a crowded cluster costs far less than every pair.
fn relax(positions: &mut [[f32; 2]], radii: &[f32], clusters: &[Vec<usize>]) {
    let mut order: Vec<(f32, usize)> = Vec::new();
    // Moves are summed over a round and applied at its end, so no direction of the sweep is
    // favoured (applied at once, circles would drift towards the sweep's end).
    let mut moves = vec![[0.0f32; 2]; positions.len()];
    for members in clusters {
        let rounds = if members.len() > BIG_CLUSTER { 1 } else { 3 };
        for _ in 0..rounds {
            order.clear();
            order.extend(members.iter().map(|&i| (positions[i][0] - radii[i], i)));
            order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for x in 0..order.len() {
                let i = order[x].1;
                for &(left, j) in &order[x + 1..] {
                    if left > positions[i][0] + radii[i] + 0.012 {
                        break;
                    }
                    push_apart(positions, radii, &mut moves, i, j);
                }
            }
            for &i in members {
                let m = std::mem::take(&mut moves[i]);
                let p = &mut positions[i];
                p[0] = (p[0] + m[0]) * 0.995;
                p[1] = (p[1] + m[1]) * 0.995;
                let len = (p[0] * p[0] + p[1] * p[1]).sqrt();
                let max = (1.0 - radii[i]).max(0.0);
                if len > max {
                    p[0] *= max / len;
                    p[1] *= max / len;
                }
            }
        }
    }
}

/// Adds to `moves` what pushes circles `i` and `j` apart when they overlap, the smaller further.
fn push_apart(positions: &[[f32; 2]], radii: &[f32], moves: &mut [[f32; 2]], i: usize, j: usize) {
    let (pi, pj) = (positions[i], positions[j]);
    let d = [pj[0] - pi[0], pj[1] - pi[1]];
    let dist = (d[0] * d[0] + d[1] * d[1]).sqrt().max(1e-4);
    let min = radii[i] + radii[j] + 0.012;
    if dist < min {
        let push = min - dist;
        let (wi, wj) = (
            radii[j] / (radii[i] + radii[j]),
            radii[i] / (radii[i] + radii[j]),
        );
        let n = [d[0] / dist, d[1] / dist];
        moves[i][0] -= n[0] * push * wi;
        moves[i][1] -= n[1] * push * wi;
        moves[j][0] += n[0] * push * wj;
        moves[j][1] += n[1] * push * wj;
    }
}

/// One world's map as the panel draws it: the world's tables, its caches, and its heading.
pub struct MapWorld<'a> {
    pub cache: &'a mut GuiCache,
    pub clock: &'a Clock,
    pub view: WorldView<'a>,
    /// With two worlds: the name and colour of the world, and whether the parameter panel edits it.
    pub heading: Option<(String, Color32, bool)>,
}

/// The central panel: the legend, then one map, or two side by side (same creators, same
/// places at the start; clicking a creator selects it in both). Returns the world whose heading
/// asked to be edited by the parameter panel.
pub fn attention_map(
    ui: &mut egui::Ui,
    state: &mut GuiState,
    worlds: &mut [MapWorld],
    scene: &mut MapScene,
) -> Option<usize> {
    scene.clear();
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        ui.add_space(10.0);
        ui.label(
            RichText::new("Attention map")
                .heading()
                .color(theme::TEXT_STRONG),
        );
        ui.add_space(10.0);
        for a in Archetype::ALL {
            let (rect, _) = ui.allocate_exact_size(vec2(14.0, 14.0), Sense::hover());
            ui.painter()
                .circle_filled(rect.center(), 6.5, theme::archetype(a));
            ui.label(RichText::new(theme::archetype_label(a)).color(theme::TEXT_STRONG));
            ui.add_space(4.0);
        }
    });
    ui.horizontal(|ui| {
        ui.add_space(10.0);
        ui.label(
            RichText::new("one cluster per topic · circle area = followers · brightness = impressions in the last simulated hour · click to inspect")
                .small()
                .color(theme::TEXT_DIM),
        );
    });
    let full = ui.available_rect_before_wrap();
    let n = worlds.len().max(1);
    let gap = if n > 1 { 12.0 } else { 0.0 };
    let width = (full.width() - gap * (n - 1) as f32) / n as f32;
    let mut edit = None;
    for (i, world) in worlds.iter_mut().enumerate() {
        let left = full.left() + i as f32 * (width + gap);
        let rect = Rect::from_min_size(pos2(left, full.top()), vec2(width, full.height()));
        ui.scope_builder(egui::UiBuilder::new().max_rect(rect), |ui| {
            if let Some((name, colour, edited)) = &world.heading
                && map_heading(ui, i, name, *colour, *edited)
            {
                edit = Some(i);
            }
            one_map(ui, i, state, world, scene);
        });
    }
    ui.allocate_rect(full, Sense::hover());
    edit
}

/// A side's heading: which side, its policy, and a button to edit its parameters.
fn map_heading(ui: &mut egui::Ui, i: usize, name: &str, colour: Color32, edited: bool) -> bool {
    let mut clicked = false;
    ui.horizontal(|ui| {
        ui.add_space(10.0);
        let side = if i == 0 { "Left" } else { "Right" };
        ui.label(RichText::new(side).color(theme::TEXT_DIM));
        ui.label(RichText::new(name).heading().strong().color(colour));
        let text = if edited {
            "the panel edits this side"
        } else {
            "edit this side"
        };
        clicked = ui
            .add(egui::Button::selectable(
                edited,
                RichText::new(text).small(),
            ))
            .on_hover_text("The parameter panel on the left and the inspector work on this world")
            .clicked();
    });
    clicked
}

/// True when `rect` is at most `max_width` wide and overlaps none of `placed` (touching edges
/// is fine: two lines of text stacked).
fn label_fits(rect: Rect, placed: &[Rect], max_width: f32) -> bool {
    rect.width() <= max_width && !placed.iter().any(|r| r.intersect(rect).is_positive())
}

/// Draws the first of `texts` that fits in `max_width` and overlaps no rectangle in `placed`
/// (measured as laid out, bottom centre at `anchor`), and records where; draws nothing when none
/// fits. Returns whether one was drawn.
fn place_label(
    painter: &egui::Painter,
    placed: &mut Vec<Rect>,
    anchor: Pos2,
    texts: &[String],
    font: FontId,
    colour: Color32,
    max_width: f32,
) -> bool {
    for text in texts {
        let galley = painter.layout_no_wrap(text.clone(), font.clone(), colour);
        let rect = Align2::CENTER_BOTTOM.anchor_size(anchor, galley.size());
        if !label_fits(rect, placed, max_width) {
            continue;
        }
        painter.galley(rect.min, galley, colour);
        placed.push(rect);
        return true;
    }
    false
}

/// One world's map in the space left in `ui`.
fn one_map(
    ui: &mut egui::Ui,
    index: usize,
    state: &mut GuiState,
    world: &mut MapWorld,
    scene: &mut MapScene,
) {
    let (cache, clock, view) = (&mut *world.cache, world.clock, &world.view);
    let creators = &view.creators.list;
    let topics = clock.topics.max(1);
    let rect = ui.available_rect_before_wrap();
    let response = ui.interact(rect, ui.id().with(("attention-map", index)), Sense::click());
    if creators.is_empty() || rect.width() < 50.0 || rect.height() < 50.0 {
        return;
    }
    seed_layout(cache, creators, topics);

    // Grid of clusters matching the panel's shape.
    let aspect = rect.width() / rect.height();
    let cols = ((topics as f32 * aspect).sqrt().ceil() as usize).clamp(1, topics);
    let rows = topics.div_ceil(cols);
    let cell = vec2(rect.width() / cols as f32, rect.height() / rows as f32);
    let radius = (cell.x.min(cell.y - 34.0) * 0.47).max(10.0);
    let centre_of = |t: usize| {
        let (c, r) = (t % cols, t / cols);
        pos2(
            rect.left() + (c as f32 + 0.5) * cell.x,
            rect.top() + (r as f32 + 0.5) * cell.y + 15.0,
        )
    };

    // Circle sizes: area proportional to followers, scaled so the fullest cluster is about half full.
    let mut clusters: Vec<Vec<usize>> = vec![Vec::new(); topics];
    let mut follower_sum = vec![0.0f64; topics];
    for (i, c) in creators.iter().enumerate() {
        let t = main_topic(c).min(topics - 1);
        clusters[t].push(i);
        follower_sum[t] += c.followers as f64;
    }
    let fullest = follower_sum.iter().cloned().fold(1.0, f64::max) as f32;
    let area_scale = (0.42 / fullest).sqrt();
    let min_r = (2.6 / radius).min(0.05);
    let radii: Vec<f32> = creators
        .iter()
        .map(|c| (min_r + area_scale * (c.followers as f32).sqrt()).min(0.42))
        .collect();
    relax(&mut cache.positions, &radii, &clusters);

    let last_hour = |i: usize| cache.last_hour.get(i).copied().unwrap_or(0.0);
    let max_hour = (0..creators.len()).map(last_hour).fold(1.0, f64::max);
    let painter = ui.painter_at(rect);
    scene.pixels_per_point = ui.ctx().pixels_per_point();
    scene.clip = Some(scene.clip.map_or(rect, |c| c.union(rect)));
    // Labels already drawn on this map: a label is never drawn over another.
    let mut placed: Vec<Rect> = Vec::new();
    for (t, members) in clusters.iter().enumerate() {
        let centre = centre_of(t);
        scene.disks.push((centre, radius));
        let hour_total: f64 = members.iter().map(|&i| last_hour(i)).sum();
        let figures = theme::compact(hour_total);
        place_label(
            &painter,
            &mut placed,
            pos2(centre.x, centre.y - radius - 15.0),
            &[theme::topic_name(t).to_string()],
            FontId::proportional(15.0),
            theme::TEXT_STRONG,
            cell.x - 4.0,
        );
        // The long form where it fits, else the short one (narrow cells, two maps side by side).
        place_label(
            &painter,
            &mut placed,
            pos2(centre.x, centre.y - radius - 1.0),
            &[
                format!("{} creators · {figures} impr./h", members.len()),
                format!("{figures} impr./h"),
            ],
            FontId::proportional(12.0),
            theme::TEXT_DIM,
            cell.x - 4.0,
        );
    }

    let screen = |i: usize| -> (Pos2, f32) {
        let c = centre_of(main_topic(&creators[i]).min(topics - 1));
        let p = cache.positions[i];
        (
            pos2(c.x + p[0] * radius, c.y + p[1] * radius),
            radii[i] * radius,
        )
    };
    // Biggest first, so small circles stay visible on top; Bevy draws them in this order.
    let mut order: Vec<usize> = (0..creators.len()).collect();
    order.sort_by(|&a, &b| radii[b].total_cmp(&radii[a]));
    let pointer = response.hover_pos();
    let mut hovered: Option<usize> = None;
    for &i in &order {
        let (p, r) = screen(i);
        let heat = ((1.0 + last_hour(i)).ln() / (1.0 + max_hour).ln()) as f32;
        scene.circles.push(MapCircle {
            centre: p,
            radius: r,
            archetype: creators[i].archetype,
            heat,
        });
        if pointer.is_some_and(|q| q.distance(p) <= r.max(3.0)) {
            hovered = Some(i);
        }
    }
    if let Some(sel) = state
        .selected_creator
        .map(|s| s as usize)
        .filter(|&s| s < creators.len())
    {
        let (p, r) = screen(sel);
        scene.selected.push((p, r + 3.0));
        painter.text(
            pos2(p.x, p.y - r - 5.0),
            Align2::CENTER_BOTTOM,
            format!("#{sel}"),
            FontId::proportional(14.0),
            Color32::WHITE,
        );
    }
    if let Some(i) = hovered {
        let (p, r) = screen(i);
        scene.hovered = Some((p, r + 2.0));
        if response.clicked() {
            state.select_creator(i as u32, view);
            state.right_tab = super::state::RightTab::Inspector;
        }
        let c = &creators[i];
        let total = cache.impressions.get(i).copied().unwrap_or(0.0);
        response.on_hover_ui_at_pointer(|ui| {
            ui.label(
                RichText::new(format!(
                    "Creator #{i} · {}",
                    theme::archetype_label(c.archetype)
                ))
                .strong()
                .color(theme::archetype(c.archetype)),
            );
            egui::Grid::new("map-hover").num_columns(2).show(ui, |ui| {
                ui.label("followers");
                ui.label(format!(
                    "{} (started with {})",
                    c.followers, c.initial_followers
                ));
                ui.end_row();
                ui.label("skill");
                ui.label(format!("{:.2}", c.skill));
                ui.end_row();
                ui.label("impressions");
                ui.label(format!(
                    "{} total, {} last hour",
                    theme::compact(total),
                    theme::compact(last_hour(i))
                ));
                ui.end_row();
                ui.label("notes posted");
                ui.label(c.posts.to_string());
                ui.end_row();
                ui.label("authority");
                ui.label(format!("{:.2}", c.authority));
                ui.end_row();
                ui.label("topics");
                ui.label(
                    (0..c.n_niche as usize)
                        .map(|k| theme::topic_name(c.niche[k] as usize))
                        .collect::<Vec<_>>()
                        .join(", "),
                );
                ui.end_row();
            });
        });
    } else if response.clicked() {
        state.selected_creator = None;
        state.selected_note = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_stack_but_never_overlap() {
        let name = Rect::from_min_max(pos2(0.0, 0.0), pos2(60.0, 18.0));
        let placed = [name];
        // The figures line right under the name touches it: fine.
        let under = Rect::from_min_max(pos2(5.0, 18.0), pos2(55.0, 32.0));
        assert!(label_fits(under, &placed, 100.0));
        // A neighbour's label reaching into it: skipped.
        let neighbour = Rect::from_min_max(pos2(50.0, 4.0), pos2(120.0, 20.0));
        assert!(!label_fits(neighbour, &placed, 100.0));
        // Too wide for its cell: skipped even where free.
        let wide = Rect::from_min_max(pos2(0.0, 40.0), pos2(130.0, 54.0));
        assert!(!label_fits(wide, &placed, 100.0));
    }
}
