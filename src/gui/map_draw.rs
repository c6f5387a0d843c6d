//! Bevy side of the attention map: the creators' circles as one mesh rebuilt every frame (a
//! halo, an outline and a fill per circle, in drawing order, with vertex colours), one entity per
//! topic disk, and rings for the selected creator (one per map: two worlds side by side show it
//! twice) and the hovered one. Every frame, right after the egui pass has laid the map out into
//! [`MapScene`], the mesh is rebuilt from it and the entities are moved to match. Only the circles
//! that show at least a pixel are put in the mesh, each with as many rim segments as its size
//! needs (see `map_lod`): at 20,000 creators, one entity per circle cost far more than the map is
//! worth.

use super::map::{self, MapScene};
use super::map_lod;
use crate::scenario::Archetype;
use bevy::prelude::*;
use bevy::window::PrimaryWindow;
use bevy_egui::egui::{Color32, Pos2};

/// Brightness steps of the shared fill and halo materials.
const LEVELS: usize = 32;
/// Segments of the unit circle mesh: enough to look round at the size of the biggest circles.
const RESOLUTION: u32 = 72;
/// Width of the selection and hover rings, in egui points.
const SELECTED_WIDTH: f32 = 2.5;
const HOVERED_WIDTH: f32 = 1.5;

/// Meshes, materials and the entities that draw the map.
#[derive(Resource)]
pub struct MapDraw {
    unit_circle: Handle<Mesh>,
    disk_fill: Handle<ColorMaterial>,
    disk_stroke: Handle<ColorMaterial>,
    /// Per archetype, linear RGBA: fills and halos by brightness step, and the outline.
    fill: Vec<Vec<[f32; 4]>>,
    glow: Vec<Vec<[f32; 4]>>,
    stroke: Vec<[f32; 4]>,
    /// Topic disks, grown on demand; unused ones are hidden.
    disks: Vec<[Entity; 2]>,
    /// The creators' circles: one entity and its mesh, rebuilt every frame.
    creators: (Entity, Handle<Mesh>),
    /// Unit circle rims by segment count (cos, sin), built once each.
    rims: Vec<Vec<[f32; 2]>>,
    /// Ring entities and their own meshes (rebuilt when their size changes): the selected
    /// creator on the first and the second map, then the hovered one.
    rings: [(Entity, Handle<Mesh>, f32); 3],
}

/// egui's colour as a Bevy colour. egui blends translucent colours in gamma (sRGB) space, Bevy
/// in linear space, where the same alpha looks much stronger over a dark background; raising
/// alpha to the power 2.2 gives about the same look over the map's dark background.
fn bevy_colour(c: Color32) -> Color {
    let [r, g, b, a] = c.to_srgba_unmultiplied();
    let alpha = (a as f32 / 255.0).powf(2.2);
    Color::srgba(r as f32 / 255.0, g as f32 / 255.0, b as f32 / 255.0, alpha)
}

fn ring_mesh(radius: f32, width: f32) -> Mesh {
    Annulus::new((radius - width * 0.5).max(0.0), radius + width * 0.5)
        .mesh()
        .resolution(RESOLUTION)
        .build()
}

/// Startup: the shared mesh, the palette and the two rings.
pub fn setup(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<ColorMaterial>>,
) {
    let mut material = |c: Color32| materials.add(bevy_colour(c));
    let linear = |c: Color32| LinearRgba::from(bevy_colour(c)).to_f32_array();
    let step = |k: usize| k as f32 / LEVELS as f32;
    let fill = Archetype::ALL
        .iter()
        .map(|&a| {
            (0..=LEVELS)
                .map(|k| linear(map::fill_colour(a, step(k))))
                .collect()
        })
        .collect();
    let glow = Archetype::ALL
        .iter()
        .map(|&a| {
            (0..=LEVELS)
                .map(|k| linear(map::glow_colour(a, step(k))))
                .collect()
        })
        .collect();
    let stroke = Archetype::ALL
        .iter()
        .map(|&a| linear(map::stroke_colour(a)))
        .collect();
    let disk_fill = material(map::DISK_FILL);
    let disk_stroke = material(map::DISK_STROKE);
    let ring_colours = [
        map::SELECTED_RING,
        map::SELECTED_RING,
        Color32::from_white_alpha(200),
    ];
    let rings = ring_colours.map(|c| {
        let mesh = meshes.add(ring_mesh(10.0, 1.0));
        let entity = commands
            .spawn((
                Mesh2d(mesh.clone()),
                MeshMaterial2d(material(c)),
                Transform::default(),
                Visibility::Hidden,
            ))
            .id();
        (entity, mesh, 0.0)
    });
    // White and blended: the vertex colours give each circle its colour and translucency.
    let white = materials.add(ColorMaterial {
        color: Color::WHITE,
        alpha_mode: bevy::sprite_render::AlphaMode2d::Blend,
        ..default()
    });
    let creators_mesh = meshes.add(CircleBatch::default().into_mesh());
    let creators = commands
        .spawn((
            Mesh2d(creators_mesh.clone()),
            MeshMaterial2d(white),
            Transform::from_xyz(0.0, 0.0, -850.0),
            Visibility::Hidden,
            // Its bounds change every frame; the whole map is on screen anyway.
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
        unit_circle: meshes.add(Circle::new(1.0).mesh().resolution(RESOLUTION).build()),
        disk_fill,
        disk_stroke,
        fill,
        glow,
        stroke,
        disks: Vec::new(),
        creators: (creators, creators_mesh),
        rims,
        rings,
    });
}

/// Filled circles as triangle fans, in the order they are added (later ones drawn on top).
#[derive(Default)]
struct CircleBatch {
    positions: Vec<[f32; 3]>,
    colours: Vec<[f32; 4]>,
    indices: Vec<u32>,
}

impl CircleBatch {
    fn add(&mut self, centre: Vec2, radius: f32, colour: [f32; 4], rim: &[[f32; 2]]) {
        let first = self.positions.len() as u32;
        self.positions.push([centre.x, centre.y, 0.0]);
        self.colours.push(colour);
        for &[c, s] in rim {
            self.positions
                .push([centre.x + radius * c, centre.y + radius * s, 0.0]);
            self.colours.push(colour);
        }
        let n = rim.len() as u32;
        for k in 0..n {
            self.indices
                .extend_from_slice(&[first, first + 1 + k, first + 1 + (k + 1) % n]);
        }
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

/// One drawn shape: position in world units, radius, depth, material; `None` hides it.
type Shape = Option<(Vec2, f32, f32, Handle<ColorMaterial>)>;

type Drawn<'a> = (
    &'a mut Transform,
    &'a mut Visibility,
    &'a mut MeshMaterial2d<ColorMaterial>,
);

fn place(
    commands: &mut Commands,
    query: &mut Query<Drawn>,
    mesh: &Handle<Mesh>,
    entity: Option<Entity>,
    shape: Shape,
) -> Entity {
    let Some(entity) = entity else {
        let (transform, visibility, material) = match shape {
            Some((p, r, z, m)) => (
                Transform::from_xyz(p.x, p.y, z).with_scale(Vec3::new(r, r, 1.0)),
                Visibility::Inherited,
                m,
            ),
            None => (Transform::default(), Visibility::Hidden, Handle::default()),
        };
        return commands
            .spawn((
                Mesh2d(mesh.clone()),
                MeshMaterial2d(material),
                transform,
                visibility,
            ))
            .id();
    };
    if let Ok((mut transform, mut visibility, mut material)) = query.get_mut(entity) {
        match shape {
            Some((p, r, z, m)) => {
                let t = Transform::from_xyz(p.x, p.y, z).with_scale(Vec3::new(r, r, 1.0));
                transform.set_if_neq(t);
                visibility.set_if_neq(Visibility::Inherited);
                if material.0 != m {
                    material.0 = m;
                }
            }
            None => {
                visibility.set_if_neq(Visibility::Hidden);
            }
        }
    }
    entity
}

/// Moves the map's entities to where the egui pass laid the map out this frame.
pub fn sync(
    mut commands: Commands,
    scene: Res<MapScene>,
    draw: Option<ResMut<MapDraw>>,
    window: Option<Single<&Window, With<PrimaryWindow>>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut query: Query<Drawn>,
) {
    let (Some(mut draw), Some(window)) = (draw, window) else {
        return;
    };
    let draw = &mut *draw;
    let visible = scene.clip.is_some() && scene.pixels_per_point > 0.0;
    // egui points -> Bevy world units (logical pixels, origin at the window centre, y up).
    let scale = scene.pixels_per_point / window.scale_factor().max(1e-3);
    let (half_w, half_h) = (window.width() * 0.5, window.height() * 0.5);
    let world = |p: Pos2| Vec2::new(p.x * scale - half_w, half_h - p.y * scale);
    let mesh = draw.unit_circle.clone();

    // Topic disks, at the very back: outline disk, then the fill 1 point smaller on top.
    let n_disks = if visible { scene.disks.len() } else { 0 };
    for k in 0..n_disks.max(draw.disks.len()) {
        let shape = |d: usize, m: &Handle<ColorMaterial>| -> Shape {
            let &(c, r) = scene.disks.get(k).filter(|_| k < n_disks)?;
            Some((
                world(c),
                (r + 0.5 - d as f32) * scale,
                -900.0 + d as f32,
                m.clone(),
            ))
        };
        let old = draw.disks.get(k).copied();
        let entities = [
            place(
                &mut commands,
                &mut query,
                &mesh,
                old.map(|e| e[0]),
                shape(0, &draw.disk_stroke),
            ),
            place(
                &mut commands,
                &mut query,
                &mesh,
                old.map(|e| e[1]),
                shape(1, &draw.disk_fill),
            ),
        ];
        if old.is_none() {
            draw.disks.push(entities);
        }
    }

    // Creators, back to front: halo, outline, fill, each circle over the ones before it. Only
    // what shows is drawn (see `map_lod`).
    let mut batch = CircleBatch::default();
    if let Some(clip) = scene.clip.filter(|_| visible) {
        let ppp = scene.pixels_per_point;
        let drawn = map_lod::select(&scene.circles, clip, ppp, map_lod::MAX_GLOWS, |c| {
            map::glow_radius(c.heat, c.radius).is_some()
        });
        for d in drawn {
            let c = &scene.circles[d.index];
            let a = c.archetype as usize;
            let level = ((c.heat.clamp(0.0, 1.0) * LEVELS as f32).round() as usize).min(LEVELS);
            let p = world(c.centre);
            let glow = map::glow_radius(c.heat, c.radius).filter(|_| d.glow);
            let outline = c.radius + 0.5;
            if let Some(r) = glow {
                let rim = &draw.rims[map_lod::segments(r * ppp) as usize];
                batch.add(p, r * scale, draw.glow[a][level], rim);
            }
            let rim = &draw.rims[map_lod::segments(outline * ppp) as usize];
            batch.add(p, outline * scale, draw.stroke[a], rim);
            batch.add(
                p,
                (c.radius - 0.5).max(0.5) * scale,
                draw.fill[a][level],
                rim,
            );
        }
    }
    let (entity, handle) = &draw.creators;
    if let Ok((_, mut visibility, _)) = query.get_mut(*entity) {
        visibility.set_if_neq(if batch.indices.is_empty() {
            Visibility::Hidden
        } else {
            Visibility::Inherited
        });
    }
    if let Some(mut mesh) = meshes.get_mut(handle.id()) {
        *mesh = batch.into_mesh();
    }

    // Selection and hover rings, on top of everything.
    let rings = [
        (scene.selected.first().copied(), SELECTED_WIDTH, 900.0),
        (scene.selected.get(1).copied(), SELECTED_WIDTH, 900.0),
        (scene.hovered, HOVERED_WIDTH, 901.0),
    ];
    for ((ring, width, z), (entity, ring_handle, built)) in rings.into_iter().zip(&mut draw.rings) {
        let Ok((mut transform, mut visibility, _)) = query.get_mut(*entity) else {
            continue;
        };
        match ring.filter(|_| visible) {
            Some((c, r)) => {
                let r = r * scale;
                if (r - *built).abs() > 0.05 {
                    if let Some(mut mesh) = meshes.get_mut(ring_handle.id()) {
                        *mesh = ring_mesh(r, width * scale);
                    }
                    *built = r;
                }
                let p = world(c);
                transform.set_if_neq(Transform::from_xyz(p.x, p.y, z));
                visibility.set_if_neq(Visibility::Inherited);
            }
            None => {
                visibility.set_if_neq(Visibility::Hidden);
            }
        }
    }
}
