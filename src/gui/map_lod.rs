//! Level of detail for the attention map: which creator circles and halos are worth drawing.
//!
//! At platform scale a topic cluster holds about a thousand creators in a disk a few dozen pixels
//! across; most circles lie wholly under the ones drawn after them, and a software rasteriser
//! spent nearly all of a frame filling them. The map draws the biggest circles first and the
//! small ones on top, so walking the list from the top down with a coverage mask of the map's
//! pixels tells which circles still show at least one pixel: only those are drawn, and nothing a
//! viewer could see is lost. Halos (the glow of the busiest creators) are translucent and bigger
//! than their circle; only the brightest few hundred are drawn. The rim of each circle gets as many
//! segments as its size in pixels needs, not a fixed count.

use super::map::MapCircle;
use bevy_egui::egui::Rect;

/// Most halos drawn in one frame (the brightest; the small world has far fewer).
pub const MAX_GLOWS: usize = 400;
/// Rim segments of the biggest circles, and of the smallest.
pub const MAX_SEGMENTS: u32 = 72;
pub const MIN_SEGMENTS: u32 = 8;
/// A circle is drawn when at least this many of its pixels are not under circles drawn after it
/// (or all of them, for a smaller circle): a sliver of a pixel or two shows nothing a viewer can
/// tell apart, and skipping it lets the circle under it show there instead.
pub const MIN_VISIBLE_PIXELS: usize = 4;

/// What to draw of one circle.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Drawn {
    /// Index into the scene's circles (drawing order is kept).
    pub index: usize,
    /// Whether its halo is drawn.
    pub glow: bool,
}

/// Rim segments for a circle of `radius_px` physical pixels: about one per 2 pixels of rim.
pub fn segments(radius_px: f32) -> u32 {
    let rim = std::f32::consts::TAU * radius_px.max(0.0);
    ((rim / 2.0).ceil() as u32).clamp(MIN_SEGMENTS, MAX_SEGMENTS)
}

/// A mask of covered pixels over the map's area, in physical pixels.
struct Coverage {
    left: f32,
    top: f32,
    width: usize,
    height: usize,
    covered: Vec<bool>,
}

impl Coverage {
    fn new(area: Rect, pixels_per_point: f32) -> Self {
        let width = (area.width() * pixels_per_point).ceil().max(0.0) as usize;
        let height = (area.height() * pixels_per_point).ceil().max(0.0) as usize;
        Self {
            left: area.left() * pixels_per_point,
            top: area.top() * pixels_per_point,
            width,
            height,
            covered: vec![false; width * height],
        }
    }

    /// Rows and, per row, the columns whose pixel centres lie inside the circle (pixels).
    fn spans(&self, cx: f32, cy: f32, r: f32) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
        let (cx, cy) = (cx - self.left, cy - self.top);
        let y0 = (cy - r - 0.5).ceil().max(0.0) as usize;
        let y1 = ((cy + r - 0.5).floor() + 1.0).clamp(0.0, self.height as f32) as usize;
        (y0..y1).filter_map(move |y| {
            let dy = y as f32 + 0.5 - cy;
            let half = (r * r - dy * dy).max(0.0).sqrt();
            let x0 = (cx - half - 0.5).ceil().max(0.0) as usize;
            let x1 = ((cx + half - 0.5).floor() + 1.0).clamp(0.0, self.width as f32) as usize;
            (x0 < x1).then_some((y, x0, x1))
        })
    }

    /// True when at least `MIN_VISIBLE_PIXELS` of the pixels whose centres the circle covers
    /// (or all of them, if fewer) are still free. A circle that covers no pixel centre counts by
    /// the pixel under its centre.
    fn shows(&self, cx: f32, cy: f32, r: f32) -> bool {
        let (mut pixels, mut free) = (0, 0);
        for (y, x0, x1) in self.spans(cx, cy, r) {
            pixels += x1 - x0;
            free += self.covered[y * self.width + x0..y * self.width + x1]
                .iter()
                .filter(|c| !**c)
                .count();
            if free >= MIN_VISIBLE_PIXELS {
                return true;
            }
        }
        if pixels > 0 {
            return free > 0 && free == pixels;
        }
        let (x, y) = (cx - self.left, cy - self.top);
        if x < 0.0 || y < 0.0 || x >= self.width as f32 || y >= self.height as f32 {
            return false;
        }
        !self.covered[y as usize * self.width + x as usize]
    }

    fn cover(&mut self, cx: f32, cy: f32, r: f32) {
        let spans: Vec<_> = self.spans(cx, cy, r).collect();
        for (y, x0, x1) in spans {
            self.covered[y * self.width + x0..y * self.width + x1].fill(true);
        }
    }
}

/// The circles of `circles` (drawn in that order, each over the ones before) that show at least
/// one pixel of `area`, in drawing order, with the brightest `max_glows` of them marked for a
/// halo. `glow` says whether a circle has a halo at all. The opaque fill of a circle (its radius
/// less half a point) hides what is under it; the translucent outline and halo hide nothing.
pub fn select(
    circles: &[MapCircle],
    area: Rect,
    pixels_per_point: f32,
    max_glows: usize,
    glow: impl Fn(&MapCircle) -> bool,
) -> Vec<Drawn> {
    let ppp = pixels_per_point.max(1e-3);
    let mut coverage = Coverage::new(area, ppp);
    let mut drawn: Vec<Drawn> = Vec::new();
    for (index, c) in circles.iter().enumerate().rev() {
        let (cx, cy) = (c.centre.x * ppp, c.centre.y * ppp);
        let outline = (c.radius + 0.5) * ppp;
        if coverage.shows(cx, cy, outline) {
            coverage.cover(cx, cy, (c.radius - 0.5).max(0.0) * ppp);
            drawn.push(Drawn { index, glow: false });
        }
    }
    drawn.reverse();
    // The brightest circles with a halo keep it (ties: the one drawn later, on top).
    let mut glowing: Vec<usize> = (0..drawn.len())
        .filter(|&k| glow(&circles[drawn[k].index]))
        .collect();
    glowing.sort_by(|&a, &b| {
        let (ha, hb) = (circles[drawn[a].index].heat, circles[drawn[b].index].heat);
        hb.total_cmp(&ha).then(b.cmp(&a))
    });
    for &k in glowing.iter().take(max_glows) {
        drawn[k].glow = true;
    }
    drawn
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Archetype;
    use bevy_egui::egui::pos2;

    fn circle(x: f32, y: f32, radius: f32, heat: f32) -> MapCircle {
        MapCircle {
            centre: pos2(x, y),
            radius,
            archetype: Archetype::Regular,
            heat,
        }
    }

    fn area() -> Rect {
        Rect::from_min_max(pos2(0.0, 0.0), pos2(100.0, 100.0))
    }

    #[test]
    fn a_circle_wholly_under_a_later_one_is_skipped() {
        let circles = [
            circle(50.0, 50.0, 5.0, 0.0),  // under the next one
            circle(50.0, 50.0, 20.0, 0.0), // covers it
            circle(90.0, 90.0, 3.0, 0.0),  // elsewhere
        ];
        let drawn = select(&circles, area(), 1.0, 10, |_| false);
        let indices: Vec<usize> = drawn.iter().map(|d| d.index).collect();
        assert_eq!(indices, vec![1, 2]);
    }

    #[test]
    fn partly_covered_circles_and_the_order_are_kept() {
        // Big first, small on top, as the map draws them: all show something.
        let circles = [
            circle(50.0, 50.0, 20.0, 0.0),
            circle(60.0, 50.0, 5.0, 0.0),
            circle(40.0, 50.0, 5.0, 0.0),
        ];
        let drawn = select(&circles, area(), 1.0, 10, |_| false);
        let indices: Vec<usize> = drawn.iter().map(|d| d.index).collect();
        assert_eq!(indices, vec![0, 1, 2]);
    }

    #[test]
    fn many_tiny_circles_on_one_spot_draw_once() {
        let mut circles: Vec<MapCircle> = (0..1000).map(|_| circle(10.2, 10.2, 0.3, 0.0)).collect();
        circles.push(circle(80.0, 80.0, 0.2, 0.0));
        let drawn = select(&circles, area(), 1.0, 10, |_| false);
        // The tiny ones cover no pixel centre, so nothing hides them: each one shows. That is
        // correct but costly; the map keeps circles at least a few pixels wide.
        assert_eq!(drawn.len(), 1001);
        // A few pixels wide under a bigger circle drawn after them, none shows.
        let mut stacked: Vec<MapCircle> = (0..1000).map(|_| circle(10.0, 10.0, 3.0, 0.0)).collect();
        stacked.push(circle(10.0, 10.0, 6.0, 0.0));
        assert_eq!(select(&stacked, area(), 1.0, 10, |_| false).len(), 1);
    }

    #[test]
    fn only_the_brightest_halos_are_kept() {
        let circles: Vec<MapCircle> = (0..10)
            .map(|k| circle(5.0 + 9.0 * k as f32, 50.0, 3.0, k as f32 / 10.0))
            .collect();
        let drawn = select(&circles, area(), 1.0, 3, |c| c.heat > 0.2);
        let glowing: Vec<usize> = drawn.iter().filter(|d| d.glow).map(|d| d.index).collect();
        assert_eq!(glowing, vec![7, 8, 9]);
        let all = select(&circles, area(), 1.0, 100, |c| c.heat > 0.2);
        assert_eq!(all.iter().filter(|d| d.glow).count(), 7);
    }

    #[test]
    fn circles_outside_the_area_are_skipped() {
        let circles = [circle(-30.0, 50.0, 5.0, 0.0), circle(50.0, 50.0, 5.0, 0.0)];
        let drawn = select(&circles, area(), 2.0, 10, |_| false);
        assert_eq!(drawn.len(), 1);
        assert_eq!(drawn[0].index, 1);
    }

    #[test]
    fn segments_follow_the_size_in_pixels() {
        assert_eq!(segments(0.5), MIN_SEGMENTS);
        assert_eq!(segments(1000.0), MAX_SEGMENTS);
        assert!(segments(8.0) > MIN_SEGMENTS && segments(8.0) < MAX_SEGMENTS);
    }
}
