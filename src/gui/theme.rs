//! Colours and text sizes, one place for all panels so an archetype or a policy always looks
//! the same. Sizes are chosen to stay readable on a projector.

use crate::scenario::{Archetype, PolicyKind};
use bevy_egui::egui::{self, Color32, FontFamily, FontId, TextStyle};

/// Bevy's clear colour: the attention map's background, seen through egui's transparent
/// central panel (sRGB 18, 19, 26).
pub const MAP_BACKGROUND: bevy::color::Color =
    bevy::color::Color::srgb(18.0 / 255.0, 19.0 / 255.0, 26.0 / 255.0);
pub const PANEL_BACKGROUND: Color32 = Color32::from_rgb(30, 31, 38);
pub const TEXT_DIM: Color32 = Color32::from_rgb(150, 152, 165);
pub const TEXT_STRONG: Color32 = Color32::from_rgb(235, 236, 242);
pub const GOOD: Color32 = Color32::from_rgb(110, 205, 120);
pub const BAD: Color32 = Color32::from_rgb(240, 95, 90);
pub const WARN: Color32 = Color32::from_rgb(240, 190, 70);

/// One colour per archetype (Okabe–Ito inspired, distinguishable with common colour blindness).
pub fn archetype(a: Archetype) -> Color32 {
    match a {
        Archetype::Influencer => Color32::from_rgb(255, 110, 84),
        Archetype::Regular => Color32::from_rgb(86, 170, 240),
        Archetype::Newcomer => Color32::from_rgb(80, 210, 140),
        Archetype::NicheExpert => Color32::from_rgb(200, 140, 255),
        Archetype::Spammer => Color32::from_rgb(240, 205, 70),
    }
}

/// Human name of an archetype.
pub fn archetype_label(a: Archetype) -> &'static str {
    match a {
        Archetype::Influencer => "Influencer",
        Archetype::Regular => "Regular",
        Archetype::Newcomer => "Newcomer",
        Archetype::NicheExpert => "Niche expert",
        Archetype::Spammer => "Spammer",
    }
}

/// One colour per recommender policy.
pub fn policy(p: PolicyKind) -> Color32 {
    match p {
        PolicyKind::TrafficPool => Color32::from_rgb(255, 56, 92),
        PolicyKind::FollowerFeed => Color32::from_rgb(255, 159, 28),
        PolicyKind::Popularity => Color32::from_rgb(0, 200, 215),
        PolicyKind::Random => Color32::from_rgb(170, 170, 180),
        PolicyKind::Following => Color32::from_rgb(150, 210, 60),
        PolicyKind::Blend => Color32::from_rgb(225, 100, 250),
        PolicyKind::PredictedEngagement => Color32::from_rgb(80, 140, 255),
    }
}

pub fn policy_label(p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::TrafficPool => "Traffic pool",
        PolicyKind::FollowerFeed => "Follower feed",
        PolicyKind::Popularity => "Popularity",
        PolicyKind::Random => "Random",
        PolicyKind::Following => "Following only",
        PolicyKind::Blend => "Blend",
        PolicyKind::PredictedEngagement => "Predicted engagement",
    }
}

pub fn policy_help(p: PolicyKind) -> &'static str {
    match p {
        PolicyKind::TrafficPool => {
            "Every new note gets a small test audience; notes that engage well graduate to ever larger pools. Reach follows how a note performs."
        }
        PolicyKind::FollowerFeed => {
            "Exposure grows with the author's follower count: the big get bigger."
        }
        PolicyKind::Popularity => {
            "Trending feed: exposure grows with engagement already collected."
        }
        PolicyKind::Random => {
            "Any recent note, uniformly at random: a baseline with no ranking at all."
        }
        PolicyKind::Following => "Only accounts the viewer follows, newest first.",
        PolicyKind::Blend => "A weighted mix of the other policies (see the scenario's blend).",
        PolicyKind::PredictedEngagement => {
            "Ranks notes by predicted engagement: the note's own rate, shrunk toward a prior from its author. Slide 'author prior' from 0 (the note alone decides) to 1 (author size decides)."
        }
    }
}

/// Names for the first topics, so clusters on the map read as something.
const TOPIC_NAMES: [&str; 16] = [
    "beauty",
    "food",
    "travel",
    "fashion",
    "fitness",
    "home",
    "parenting",
    "tech",
    "pets",
    "study",
    "photo",
    "career",
    "music",
    "games",
    "books",
    "crafts",
];

pub fn topic_name(topic: usize) -> String {
    TOPIC_NAMES
        .get(topic)
        .map_or_else(|| format!("topic {}", topic + 1), |n| n.to_string())
}

/// Colour for the outcome of a funnel stage.
pub fn outcome(name: &str) -> Color32 {
    match name {
        "graduated" | "reached" => GOOD,
        "skipped" => Color32::from_rgb(90, 200, 255),
        "long_tail" => Color32::from_rgb(255, 215, 90),
        "running" | "still_running" => Color32::from_rgb(160, 160, 175),
        _ => BAD,
    }
}

/// Series colours for plots that are not about archetypes or policies.
pub const SERIES_A: Color32 = Color32::from_rgb(86, 170, 240);
pub const SERIES_B: Color32 = Color32::from_rgb(255, 140, 60);
pub const SERIES_C: Color32 = Color32::from_rgb(120, 220, 140);

/// Compact numbers: 950, 12.3k, 4.5M.
pub fn compact(x: f64) -> String {
    let a = x.abs();
    if a >= 1e9 {
        format!("{:.1}G", x / 1e9)
    } else if a >= 1e6 {
        format!("{:.1}M", x / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", x / 1e3)
    } else if a >= 1e3 {
        format!("{:.1}k", x / 1e3)
    } else if a >= 10.0 || x == x.round() {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

/// Sets a dark theme with large text.
pub fn apply(ctx: &egui::Context) {
    ctx.set_visuals(egui::Visuals::dark());
    ctx.all_styles_mut(|style| {
        style.text_styles = [
            (
                TextStyle::Heading,
                FontId::new(21.0, FontFamily::Proportional),
            ),
            (TextStyle::Body, FontId::new(15.0, FontFamily::Proportional)),
            (
                TextStyle::Button,
                FontId::new(15.0, FontFamily::Proportional),
            ),
            (
                TextStyle::Monospace,
                FontId::new(14.0, FontFamily::Monospace),
            ),
            (
                TextStyle::Small,
                FontId::new(12.5, FontFamily::Proportional),
            ),
        ]
        .into();
        style.spacing.item_spacing = egui::vec2(8.0, 6.0);
        style.spacing.button_padding = egui::vec2(8.0, 4.0);
        style.spacing.slider_width = 150.0;
        style.spacing.interact_size.y = 22.0;
        style.visuals.panel_fill = PANEL_BACKGROUND;
        style.visuals.window_fill = PANEL_BACKGROUND;
        style.visuals.override_text_color = Some(Color32::from_rgb(215, 217, 225));
    });
}
