//! Bevy side of the attention map: the whole map as one mesh with vertex colours, rebuilt every
//! frame right after the egui pass has laid the map out into [`MapScene`]. Back to front: the
//! topic disks, then each creator's halo, outline and fill (each circle over the ones before it),
//! then the rings around the selected creator (once per map: two worlds side by side show it
//! twice) and the hovered one.
//!
//! Only the circles that show at least a pixel are put in the mesh, each with as many rim
//! segments as its size needs (see `map_lod`); at 20,000 creators one entity per circle, drawn
//! with 4× multisampling, cost a software rasteriser most of a second per frame. Edges are
//! smoothed the way egui smooths its shapes instead: a one-pixel band at every rim fades to
//! transparent, so the camera needs no multisampling.

use super::map::{self, MapScene};
use super::map_lod;
use crate::scenario::Archetype;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui::{Color32, Pos2};

/// Brightness steps of the fill and halo colours.
const LEVELS: usize = 32;
/// Fills smaller than this radius, in pixels, get no smoothed edge of their own.
const SMOOTH_FILL_PIXELS: f32 = 6.0;
/// Width of the selection and hover rings, in egui points.
const SELECTED_WIDTH: f32 = 2.5;
const HOVERED_WIDTH: f32 = 1.5;

/// The map's entity, its mesh, and the colours it is painted with.
#[derive(Resource)]
pub struct MapDraw {
    entity: Entity,
    mesh: Handle<Mesh>,
    disk_fill: [f32; 4],
    disk_stroke: [f32; 4],
    ring: [f32; 4],
    hover_ring: [f32; 4],
    /// Per archetype, linear RGBA: fills and halos by brightness step, and the outline.
    fill: Vec<Vec<[f32; 4]>>,
    glow: Vec<Vec<[f32; 4]>>,
    stroke: Vec<[f32; 4]>,
    /// Unit circle rims by segment count (cos, sin), built once each.
    rims: Vec<Vec<[f32; 2]>>,
}

/// egui's colour as a Bevy colour. egui blends translucent colours in gamma (sRGB) space, Bevy
/// in linear space, where the same alpha looks much stronger over a dark background; raising
/// alpha to the power 2.2 gives about the same look over the map's dark background.
fn bevy_colour(c: Color32) -> Color {
    let [r, g, b, a] = c.to_srgba_unmultiplied();
    let alpha = (a as f32 / 255.0).powf(2.2);
    Color::srgba(r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, alpha)
}

fn linear(c: Color32) -> [f32; 4] {
    LinearRgba::from(bevy_colour(c)).to_f32_array()
}

/// Startup: the map's entity and mesh, and the palette.
pub fn setup(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let step = |k: usize| k as f32 / LEVELS as f32;
    let palette = |colour: fn(Archetype, f32) -> Color32| -> Vec<Vec<[f32; 4]>> {
        Archetype::ALL
            .iter()
            .map(|&a| (0..=LEVELS).map(|k| linear(colour(a, step(k)))).collect())
            .collect()
    };
    // White and blended: the vertex colours give every shape its colour and translucency.
    let white = materials.add(ColorMaterial {
        color: Color::WHITE,
        alpha_mode: bevy::sprite_render::AlphaMode2d::Blend,
        ..default()
    });
    let mesh = meshes.add(MapBatch::default().into_mesh());
    let entity = commands
        .spawn((
            Mesh2d(mesh.clone()),
            MeshMaterial2d(white),
            Transform::default(),
            Visibility::Hidden,
            // Its bounds change every frame; the map is on screen whenever it is drawn.
            bevy::camera::visibility::NoFrustumCulling,
        ))
        .id();
    let rims = (0..=map_lod::MAX_SEGMENTS)
        .map(|n| {
            (0..n)
                .map(|k| {
                    let a = std::f32::consts::TAU * k as f32 / n.max(1) as f32;
                    [a.cos(), a.sin()]
                })
                .collect()
        })
        .collect();
    commands.insert_resource(MapDraw {
        entity,
        mesh,
        disk_fill: linear(map::DISK_FILL),
        disk_stroke: linear(map::DISK_STROKE),
        ring: linear(map::SELECTED_RING),
        hover_ring: linear(Color32::from_white_alpha(200)),
        fill: palette(map::fill_colour),
        glow: palette(map::glow_colour),
        stroke: Archetype::ALL
            .iter()
            .map(|&a| linear(map::stroke_colour(a)))
            .collect(),
        rims,
    });
}

/// Shapes as triangles with vertex colours, in the order they are added (later on top). Every
/// rim fades out over `feather` world units, centred on the rim.
#[derive(Default)]
struct MapBatch {
    positions: Vec<[f32; 3]>,
    colours: Vec<[f32; 4]>,
    indices: Vec<u32>,
    feather: f32,
}

fn transparent(c: [f32; 4]) -> [f32; 4] {
    [c[0], c[1], c[2], 0.0]
}

impl MapBatch {
    /// Adds a ring of vertices at `radius` around `centre`; returns the index of its first.
    fn rim(&mut self, centre: Vec2, radius: f32, colour: [f32; 4], rim: &[[f32; 2]]) -> u32 {
        let first = self.positions.len() as u32;
        let radius = radius.max(0.0);
        for &[c, s] in rim {
            self.positions
                .push([centre.x + radius * c, centre.y + radius * s, 0.0]);
            self.colours.push(colour);
        }
        first
    }

    /// Triangles joining two rims of `n` vertices each.
    fn band(&mut self, inner: u32, outer: u32, n: u32) {
        for k in 0..n {
            let next = (k + 1) % n;
            self.indices.extend_from_slice(&[
                inner + k,
                outer + k,
                outer + next,
                inner + k,
                outer + next,
                inner + next,
            ]);
        }
    }

    /// A filled circle with a hard edge; returns the index of its rim's first vertex.
    fn fan(&mut self, centre: Vec2, radius: f32, colour: [f32; 4], rim: &[[f32; 2]]) -> u32 {
        let n = rim.len() as u32;
        let middle = self.positions.len() as u32;
        self.positions.push([centre.x, centre.y, 0.0]);
        self.colours.push(colour);
        let edge = self.rim(centre, radius, colour, rim);
        for k in 0..n {
            self.indices
                .extend_from_slice(&[middle, edge + k, edge + (k + 1) % n]);
        }
        edge
    }

    /// A filled circle with a smooth edge.
    fn disk(&mut self, centre: Vec2, radius: f32, colour: [f32; 4], rim: &[[f32; 2]]) {
        let half = self.feather * 0.5;
        let inner = self.fan(centre, radius - half, colour, rim);
        let outer = self.rim(centre, radius + half, transparent(colour), rim);
        self.band(inner, outer, rim.len() as u32);
    }

    /// A ring between two radii, with smooth edges on both sides.
    fn ring(&mut self, centre: Vec2, inner: f32, outer: f32, colour: [f32; 4], rim: &[[f32; 2]]) {
        let n = rim.len() as u32;
        let half = self.feather * 0.5;
        let a = self.rim(centre, inner - half, transparent(colour), rim);
        let b = self.rim(centre, inner + half, colour, rim);
        let c = self.rim(centre, outer - half, colour, rim);
        let d = self.rim(centre, outer + half, transparent(colour), rim);
        self.band(a, b, n);
        self.band(b, c, n);
        self.band(c, d, n);
    }

    fn into_mesh(self) -> Mesh {
        Mesh::new(
            bevy::mesh::PrimitiveTopology::TriangleList,
            bevy::asset::RenderAssetUsages::default(),
        )
        .with_inserted_attribute(Mesh::ATTRIBUTE_POSITION, self.positions)
        .with_inserted_attribute(Mesh::ATTRIBUTE_COLOR, self.colours)
        .with_inserted_indices(bevy::mesh::Indices::U32(self.indices))
    }
}

/// Rebuilds the map's mesh from what the egui pass laid out this frame.
pub fn sync(
    scene: Res<MapScene>,
    draw: Option<Res<MapDraw>>,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut visibility: Query<&mut Visibility>,
) {
    let (Some(draw), Some(window)) = (draw, window) else {
        return;
    };
    // egui points -> Bevy world units (logical pixels, origin at the window centre, y up).
    let scale = scene.pixels_per_point / window.scale_factor().max(1e-3);
    let (half_w, half_h) = (window.width() * 0.5, window.height() * 0.5);
    let world = |p: Pos2| Vec2::new(p.x * scale - half_w, half_h - p.y * scale);
    let ppp = scene.pixels_per_point;
    let rim = |radius_points: f32| &draw.rims[map_lod::segments(radius_points * ppp) as usize];
    let mut batch = MapBatch {
        // One physical pixel.
        feather: 1.0 / window.scale_factor().max(1e-3),
        ..default()
    };
    if let Some(clip) = scene.clip.filter(|_| ppp > 0.0) {
        // Topic disks at the back: the outline's colour, the fill 1 point smaller on top.
        for &(c, r) in &scene.disks {
            let rim = &draw.rims[map_lod::MAX_SEGMENTS as usize];
            batch.disk(world(c), (r + 0.5) * scale, draw.disk_stroke, rim);
            batch.disk(world(c), (r - 0.5) * scale, draw.disk_fill, rim);
        }
        // Creators, back to front: halo, outline, fill.
        let drawn = map_lod::select(&scene.circles, clip, ppp, map_lod::MAX_GLOWS, |c| {
            map::glow_radius(c.heat, c.radius).is_some()
        });
        for d in drawn {
            let c = &scene.circles[d.index];
            let a = c.archetype as usize;
            let level = ((c.heat.clamp(0.0, 1.0) * LEVELS as f32).round() as usize).min(LEVELS);
            let p = world(c.centre);
            if let Some(r) = map::glow_radius(c.heat, c.radius).filter(|_| d.glow) {
                batch.disk(p, r * scale, draw.glow[a][level], rim(r));
            }
            let outline = c.radius + 0.5;
            batch.disk(p, outline * scale, draw.stroke[a], rim(outline));
            let fill = (c.radius - 0.5).max(0.5);
            if fill * ppp < SMOOTH_FILL_PIXELS {
                // A small fill's edge lies inside its smooth outline: a plain fan will do.
                batch.fan(p, fill * scale, draw.fill[a][level], rim(outline));
            } else {
                batch.disk(p, fill * scale, draw.fill[a][level], rim(outline));
            }
        }
        // Selection and hover rings, on top of everything.
        let rings = scene
            .selected
            .iter()
            .map(|&s| (s, SELECTED_WIDTH, draw.ring))
            .chain(scene.hovered.map(|h| (h, HOVERED_WIDTH, draw.hover_ring)));
        for ((c, r), width, colour) in rings {
            let (inner, outer) = ((r - width * 0.5).max(0.0), r + width * 0.5);
            batch.ring(
                world(c),
                inner * scale,
                outer * scale,
                colour,
                rim(outer.max(20.0)),
            );
        }
    }
    if let Ok(mut v) = visibility.get_mut(draw.entity) {
        v.set_if_neq(if batch.indices.is_empty() {
            Visibility::Hidden
        } else {
            Visibility::Inherited
        });
    }
    if let Some(mut mesh) = meshes.get_mut(draw.mesh.id()) {
        *mesh = batch.into_mesh();
    }
}
