//! The status bar and the left panel: scenario, lesson, run controls, policy and parameters.

use super::platform;
use super::state::ForkMark;
use super::state::{GuiState, Request, WorldView};
use super::theme;
use crate::scenario::{ColdStart, PolicyKind, RandomUnit, RecommenderConfig, Scenario};
use crate::sim::Clock;
use bevy_egui::egui::{self, RichText};
use std::ops::RangeInclusive;
use std::path::PathBuf;

/// Seconds a status message stays visible.
const STATUS_SECONDS: f64 = 8.0;

/// The worlds held, as the status bar and the fork section name them.
pub struct WorldsInfo {
    /// The policy each world runs now, and its name in headings (with two worlds).
    pub active: Vec<PolicyKind>,
    pub names: Vec<String>,
    /// The world the parameter panel edits.
    pub shown: usize,
    pub fork: Option<ForkMark>,
}

pub fn status_bar(
    ui: &mut egui::Ui,
    state: &GuiState,
    worlds: &WorldsInfo,
    scenario: &Scenario,
    clock: &Clock,
    view: &WorldView,
) {
    ui.add_space(4.0);
    ui.horizontal(|ui| {
        ui.label(
            RichText::new("feedlab")
                .heading()
                .strong()
                .color(theme::policy(PolicyKind::TrafficPool)),
        );
        ui.separator();
        ui.label(
            RichText::new(&scenario.name)
                .heading()
                .color(theme::TEXT_STRONG),
        );
        ui.separator();
        let active = worlds.active[worlds.shown];
        for (i, &policy) in worlds.active.iter().enumerate() {
            if i > 0 {
                ui.label(RichText::new("vs").color(theme::TEXT_DIM));
            }
            policy_badge(ui, policy);
        }
        if scenario.recommender.policy != active {
            ui.label(
                RichText::new(format!(
                    "switching to {} at the next tick",
                    theme::policy_label(scenario.recommender.policy)
                ))
                .color(theme::WARN),
            );
        }
        ui.separator();
        let hours = clock.hours();
        let day = (hours / 24.0).floor() as u32 + 1;
        let minutes = ((hours % 24.0) * 60.0).round() as u32;
        ui.label(
            RichText::new(format!(
                "Day {day}, {:02}:{:02}",
                minutes / 60 % 24,
                minutes % 60
            ))
            .heading()
            .color(theme::TEXT_STRONG),
        );
        ui.label(
            RichText::new(format!("tick {} / {}", clock.tick, clock.total_ticks))
                .color(theme::TEXT_DIM),
        );
        ui.separator();
        let (icon, colour) = if state.playing || state.auto.is_some() {
            ("▶ running", theme::GOOD)
        } else {
            ("⏸ paused", theme::WARN)
        };
        ui.label(RichText::new(icon).color(colour));
        if state.measured_tps > 0.0 {
            ui.label(
                RichText::new(format!("{:.0} ticks/s", state.measured_tps)).color(theme::TEXT_DIM),
            );
        }
        ui.separator();
        let last = view.history.rows.last();
        let stat = |ui: &mut egui::Ui, name: &str, value: String| {
            ui.label(RichText::new(name).color(theme::TEXT_DIM));
            ui.label(RichText::new(value).strong().color(theme::TEXT_STRONG));
        };
        stat(
            ui,
            "viewers",
            theme::compact(last.map_or(0.0, |r| r.active_viewers as f64)),
        );
        stat(ui, "notes", theme::compact(view.notes.len() as f64));
        stat(
            ui,
            "impressions",
            theme::compact(last.map_or(0.0, |r| r.impressions as f64)),
        );
        if let Some((message, when)) = &state.status
            && when.elapsed().as_secs_f64() < STATUS_SECONDS
        {
            ui.separator();
            ui.label(RichText::new(message).color(theme::WARN));
        }
    });
    ui.add_space(2.0);
}

/// A coloured pill with the policy's name.
pub fn policy_badge(ui: &mut egui::Ui, policy: PolicyKind) {
    let text = RichText::new(format!(" {} ", theme::policy_label(policy)))
        .strong()
        .color(egui::Color32::BLACK);
    egui::Frame::NONE
        .fill(theme::policy(policy))
        .corner_radius(6.0)
        .inner_margin(egui::vec2(4.0, 1.0))
        .show(ui, |ui| {
            ui.label(text);
        });
}

pub fn left_panel(
    ui: &mut egui::Ui,
    state: &mut GuiState,
    scenario: &mut Scenario,
    clock: &Clock,
    worlds: &WorldsInfo,
) {
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.add_space(6.0);
            scenario_section(ui, state, scenario);
            ui.separator();
            run_section(ui, state, clock);
            ui.separator();
            fork_section(ui, state, clock, worlds);
            ui.separator();
            policy_section(ui, &mut scenario.recommender);
            ui.separator();
            parameter_sections(ui, state, scenario);
            ui.separator();
            export_section(ui, state);
            ui.add_space(12.0);
        });
}

fn scenario_section(ui: &mut egui::Ui, state: &mut GuiState, scenario: &Scenario) {
    ui.label(RichText::new("Scenario").heading());
    let current = state.scenario_path.display().to_string();
    let mut chosen: Option<PathBuf> = None;
    egui::ComboBox::from_id_salt("scenario-picker")
        .width(ui.available_width() - 10.0)
        .selected_text(&current)
        .show_ui(ui, |ui| {
            if state.scenario_files.is_empty() && state.lesson_files.is_empty() {
                ui.label("no .ron files in scenarios/ or scenarios/lessons/");
            }
            let groups = [
                ("Lessons", &state.lesson_files),
                ("Scenarios", &state.scenario_files),
            ];
            for (heading, files) in groups.into_iter().filter(|(_, f)| !f.is_empty()) {
                ui.label(RichText::new(heading).strong().color(theme::WARN));
                for file in files {
                    let name = file
                        .file_stem()
                        .map(|n| n.to_string_lossy().replace('_', " "))
                        .unwrap_or_default();
                    if ui
                        .selectable_label(*file == state.scenario_path, format!("  {name}"))
                        .on_hover_text(file.display().to_string())
                        .clicked()
                    {
                        chosen = Some(file.clone());
                    }
                }
            }
        });
    if platform::CAN_PICK_FILE {
        if ui
            .button("📂 Open a scenario file…")
            .on_hover_text("Load a .ron scenario file from your computer")
            .clicked()
        {
            platform::pick_scenario();
        }
    } else {
        path_row(ui, state, &mut chosen);
    }
    if let Some(path) = chosen {
        state.request = Some(Request::Load(path));
    }
    if let Some(error) = &state.load_error {
        ui.label(RichText::new(error).color(theme::BAD));
    }
    lesson_box(ui, scenario);
}

/// A path to type and an Open button (where there is a file system to type paths into).
fn path_row(ui: &mut egui::Ui, state: &mut GuiState, chosen: &mut Option<PathBuf>) {
    ui.horizontal(|ui| {
        let edit = ui.add(
            egui::TextEdit::singleline(&mut state.path_input)
                .desired_width(ui.available_width() - 70.0)
                .hint_text("path/to/scenario.ron"),
        );
        let enter = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        if ui
            .button("Open")
            .on_hover_text("Load the scenario file typed on the left")
            .clicked()
            || enter
        {
            *chosen = Some(PathBuf::from(state.path_input.trim()));
        }
    });
}

fn lesson_box(ui: &mut egui::Ui, scenario: &Scenario) {
    if !scenario.lesson.is_empty() {
        egui::Frame::NONE
            .fill(egui::Color32::from_rgb(40, 42, 54))
            .corner_radius(6.0)
            .inner_margin(8.0)
            .show(ui, |ui| {
                ui.label(RichText::new("Lesson").strong().color(theme::WARN));
                ui.add(
                    egui::Label::new(RichText::new(&scenario.lesson).color(theme::TEXT_STRONG))
                        .wrap(),
                );
            });
    }
}

fn run_section(ui: &mut egui::Ui, state: &mut GuiState, clock: &Clock) {
    ui.label(RichText::new("Run").heading());
    ui.horizontal(|ui| {
        let label = if state.playing { "⏸ Pause" } else { "▶ Play" };
        if ui.add(egui::Button::new(RichText::new(label).strong()).min_size(egui::vec2(90.0, 28.0))).clicked() {
            state.playing = !state.playing;
        }
        if ui.add(egui::Button::new("⏭ Step").min_size(egui::vec2(70.0, 28.0))).on_hover_text("Advance one tick").clicked() {
            state.playing = false;
            state.step_once = true;
        }
        if ui.add(egui::Button::new("⟲ Reset").min_size(egui::vec2(70.0, 28.0)))
            .on_hover_text("Rebuild the population from the scenario (population edits apply now; parameter edits are kept)")
            .clicked()
        {
            state.request = Some(Request::Reset);
        }
        if ui.button("🎲 New seed").on_hover_text("Reset with a fresh random seed").clicked() {
            state.request = Some(Request::NewSeed);
        }
    });
    ui.horizontal(|ui| {
        ui.checkbox(&mut state.fast, "As fast as possible");
        ui.add_enabled(
            !state.fast,
            egui::Slider::new(&mut state.ticks_per_second, 1.0..=600.0)
                .logarithmic(true)
                .suffix(" ticks/s")
                .fixed_decimals(0),
        )
        .on_hover_text(format!(
            "One tick is {} simulated minutes",
            clock.tick_minutes
        ));
    });
    let progress = clock.tick as f32 / clock.total_ticks.max(1) as f32;
    ui.add(egui::ProgressBar::new(progress.min(1.0)).text(format!(
        "{:.1} of {:.1} days simulated",
        clock.hours() / 24.0,
        clock.ticks_to_hours(clock.total_ticks) / 24.0
    )));
}

/// "Fork here": copy the world as it is now and let the copy run under another policy, side by
/// side; with two worlds, which one the panel edits.
fn fork_section(ui: &mut egui::Ui, state: &mut GuiState, clock: &Clock, worlds: &WorldsInfo) {
    ui.label(RichText::new("Fork here").heading());
    let day = clock.hours() / 24.0;
    let two = worlds.names.len() > 1;
    let side = |i: usize| if i == 0 { "left" } else { "right" };
    if two {
        let origin = match &worlds.fork {
            Some(f) => format!("Forked at day {:.1}.", f.hours / 24.0),
            None => "Same population and seed from the start.".into(),
        };
        ui.label(
            RichText::new(format!(
                "{origin} Left: {}; right: {}. The parameters below edit the {} side.",
                worlds.names[0],
                worlds.names[1],
                side(worlds.shown)
            ))
            .small()
            .color(theme::TEXT_DIM),
        );
    } else {
        ui.label(
            RichText::new(
                "Copy this world as it is now. The copy continues under the policy chosen here;                  both then run side by side from the same past.",
            )
            .small()
            .color(theme::TEXT_DIM),
        );
    }
    ui.horizontal(|ui| {
        egui::ComboBox::from_id_salt("fork-policy")
            .selected_text(
                RichText::new(theme::policy_label(state.fork_policy))
                    .color(theme::policy(state.fork_policy)),
            )
            .show_ui(ui, |ui| {
                for policy in PolicyKind::ALL {
                    ui.selectable_value(
                        &mut state.fork_policy,
                        policy,
                        RichText::new(theme::policy_label(policy)).color(theme::policy(policy)),
                    );
                }
            });
        let tip = if two {
            format!(
                "Copy the {} world as it is now; the copy replaces the other side",
                side(worlds.shown)
            )
        } else {
            "Copy the world as it is now; the copy runs on the right".into()
        };
        if ui
            .button(RichText::new(format!("🔀 Fork at day {day:.1}")).strong())
            .on_hover_text(tip)
            .clicked()
        {
            state.request = Some(Request::Fork(state.fork_policy));
        }
    });
    if two
        && ui
            .button(format!("Keep only the {} side", side(worlds.shown)))
            .clicked()
    {
        state.request = Some(Request::KeepShown);
    }
}

fn policy_section(ui: &mut egui::Ui, config: &mut RecommenderConfig) {
    ui.label(RichText::new("Recommender policy").heading());
    egui::Grid::new("policies")
        .num_columns(2)
        .spacing([6.0, 6.0])
        .show(ui, |ui| {
            for (i, policy) in PolicyKind::ALL.into_iter().enumerate() {
                let selected = config.policy == policy;
                let colour = theme::policy(policy);
                let text = if selected {
                    RichText::new(format!("✔ {}", theme::policy_label(policy)))
                        .strong()
                        .color(colour)
                } else {
                    RichText::new(format!("    {}", theme::policy_label(policy))).color(colour)
                };
                let button =
                    egui::Button::selectable(selected, text).min_size(egui::vec2(150.0, 26.0));
                if ui
                    .add(button)
                    .on_hover_text(theme::policy_help(policy))
                    .clicked()
                {
                    config.policy = policy;
                }
                if i % 2 == 1 {
                    ui.end_row();
                }
            }
        });
    ui.label(
        RichText::new(theme::policy_help(config.policy))
            .small()
            .color(theme::TEXT_DIM),
    );
}

fn num(ui: &mut egui::Ui, value: &mut f64, range: RangeInclusive<f64>, label: &str, tip: &str) {
    let log = *range.start() > 0.0 && *range.end() / *range.start() >= 100.0;
    ui.add(egui::Slider::new(value, range).logarithmic(log).text(label))
        .on_hover_text(tip);
}

fn int(ui: &mut egui::Ui, value: &mut u32, range: RangeInclusive<u32>, label: &str, tip: &str) {
    let log = *range.start() > 0 && *range.end() / (*range.start()).max(1) >= 100;
    ui.add(egui::Slider::new(value, range).logarithmic(log).text(label))
        .on_hover_text(tip);
}

fn parameter_sections(ui: &mut egui::Ui, state: &mut GuiState, scenario: &mut Scenario) {
    let c = &mut scenario.recommender;
    egui::CollapsingHeader::new(RichText::new("Recommender parameters").strong()).default_open(true).show(ui, |ui| {
        ui.label(RichText::new("Changes apply from the next tick.").small().color(theme::TEXT_DIM));
        num(ui, &mut c.following_share, 0.0..=1.0, "following share", "Share of each viewer's feed taken from accounts they follow (the following tab).");
        num(ui, &mut c.window_hours, 1.0..=720.0, "window (h)", "How far back, in hours, the random, popularity and follower feeds look for notes.");
        egui::CollapsingHeader::new("Traffic pool").default_open(true).show(ui, |ui| {
            let t = &mut c.traffic_pool;
            let mut auto = t.cold_start_impressions == ColdStart::Auto;
            if ui.checkbox(&mut auto, "cold start sized to the population (auto)").on_hover_text("Auto: the largest first pool whose narrow stages fit the audience of a typical topic, within min evidence..=300 impressions.").changed() {
                t.cold_start_impressions = if auto { ColdStart::Auto } else { ColdStart::Fixed(100) };
            }
            if let ColdStart::Fixed(n) = &mut t.cold_start_impressions {
                int(ui, n, 1..=10_000, "cold-start impressions", "Size of the first test audience for an average new note. The yardstick that gives every policy's notes a stage stays the one the run started with.");
            }
            int(ui, &mut t.min_evidence, 1..=10_000, "min evidence", "Fewest impressions a stage is judged on (unless its whole pool is smaller): fewer make the engagement rate mostly noise.");
            num(ui, &mut t.velocity_weight, 1.0..=5.0, "velocity weight", "How much more engagement in a note's first hour counts (the golden hour).");
            num(ui, &mut t.growth, 1.0..=100.0, "growth per stage", "Each later pool is this many times bigger than the one before.");
            int(ui, &mut t.stages, 1..=8, "stages", "Number of pools before a note reaches the long tail.");
            num(ui, &mut t.graduation_threshold, 0.0..=0.5, "graduation threshold", "Weighted engagement rate a note needs to move up to the next pool (5-8% on the real platform).");
            num(ui, &mut t.skip_rate, 0.0..=1.0, "skip rate", "Chance that a note far above the threshold jumps a stage.");
            num(ui, &mut t.negative_limit, 0.0..=1.0, "negative limit", "Largest share of quick scroll-aways a note may have and still graduate.");
            num(ui, &mut t.cold_start_hours, 0.1..=48.0, "cold-start hours", "Hours the first pool has to fill before the note is judged.");
            num(ui, &mut t.stage_hours, 0.5..=168.0, "stage hours", "Hours each later pool has to fill before the note is judged.");
            num(ui, &mut t.authority_strength, 0.0..=1.0, "authority strength", "How much a creator's track record enlarges the first pool and eases the threshold (0 = every note starts equal).");
            num(ui, &mut t.content_score_weight, 0.0..=1.0, "content score weight", "How much completeness and authenticity at posting scale the first pool.");
            num(ui, &mut t.pool_share, 0.0..=1.0, "pool share", "Share of attention offered to notes in pools; the rest goes to the long tail.");
            num(ui, &mut t.max_audience_share, 0.01..=1.0, "max audience share", "Largest share of the reachable audience one pool may ask for.");
            int(ui, &mut t.narrow_stages, 0..=t.stages, "narrow stages", "The first this-many pools go only to viewers interested in the note's topic.");
            t.narrow_stages = t.narrow_stages.min(t.stages);
            num(ui, &mut t.safety_hold, 0.0..=1.0, "safety hold", "Share of new notes held back by the safety check (more for promotional ones).");
            num(ui, &mut t.freshness_boost, 0.0..=10.0, "freshness boost", "Extra weight for young notes, fading over the freshness hours.");
            num(ui, &mut t.freshness_hours, 1.0..=720.0, "freshness hours", "Hours over which the freshness boost fades.");
            num(ui, &mut t.half_life_hours, 1.0..=720.0, "long-tail half-life (h)", "How fast long-tail distribution fades.");
            num(ui, &mut t.evergreen_half_life_hours, 1.0..=2000.0, "evergreen half-life (h)", "Half-life for notes that keep performing.");
            int(ui, &mut t.creative_fatigue_limit, 1..=8, "creative fatigue limit", "How often one creator may appear in a viewer's last 8 notes before being spaced out.");
        });
        egui::CollapsingHeader::new("Predicted engagement").default_open(c.policy == PolicyKind::PredictedEngagement).show(ui, |ui| {
            let p = &mut c.predicted_engagement;
            num(ui, &mut p.author_prior, 0.0..=1.0, "author prior (0 = note, 1 = author size)", "Slide from meritocratic to influencer-centric: at 0 a note's own engagement decides its exposure; at 1 its author's size and record decide, whatever the note does.");
            num(ui, &mut p.prior_strength, 0.0..=1000.0, "prior strength", "Impressions the prior is worth against a note's own evidence.");
            num(ui, &mut p.size_exponent, 0.0..=3.0, "size exponent", "How strongly the author prior grows with followers.");
            num(ui, &mut p.sharpness, 0.0..=8.0, "sharpness", "Exposure grows with the predicted score to this power.");
            num(ui, &mut p.exploration, 0.0..=1.0, "exploration", "Share of slots given to a random recent note.");
            num(ui, &mut p.interest_share, 0.0..=1.0, "interest share", "Share of slots drawn from the viewer's own topics.");
        });
        egui::CollapsingHeader::new("Random").show(ui, |ui| {
            let r = &mut c.random;
            ui.horizontal(|ui| {
                ui.label("uniform per");
                ui.selectable_value(&mut r.per, RandomUnit::Note, "note").on_hover_text("Every recent note equally likely: prolific creators get more slots.");
                ui.selectable_value(&mut r.per, RandomUnit::Creator, "creator").on_hover_text("Every creator with a recent note equally likely: posting volume buys nothing.");
            });
        });
        egui::CollapsingHeader::new("Follower feed").show(ui, |ui| {
            let f = &mut c.follower_feed;
            num(ui, &mut f.follower_exponent, 0.0..=3.0, "follower exponent", "Exposure grows with followers to this power (1 = proportional, 2 = the biggest take almost all).");
            num(ui, &mut f.interest_share, 0.0..=1.0, "interest share", "Share of suggestions taken from the viewer's own topics.");
        });
        egui::CollapsingHeader::new("Popularity").show(ui, |ui| {
            let p = &mut c.popularity;
            num(ui, &mut p.exponent, 0.0..=3.0, "popularity exponent", "Exposure grows with engagement already collected to this power.");
            num(ui, &mut p.exploration, 0.0..=1.0, "exploration", "Share of slots given to a random recent note.");
            num(ui, &mut p.interest_share, 0.0..=1.0, "interest share", "Share of slots drawn from the viewer's own topics.");
        });
        egui::CollapsingHeader::new("Engagement weights").show(ui, |ui| {
            let w = &mut c.weights;
            let tip = "How much one such action counts towards the weighted engagement rate (a like = 1).";
            num(ui, &mut w.click, 0.0..=20.0, "click", tip);
            num(ui, &mut w.like, 0.0..=20.0, "like", tip);
            num(ui, &mut w.short_comment, 0.0..=20.0, "short comment", tip);
            num(ui, &mut w.deep_comment, 0.0..=20.0, "deep comment", tip);
            num(ui, &mut w.save, 0.0..=20.0, "save", tip);
            num(ui, &mut w.share, 0.0..=20.0, "share", tip);
            num(ui, &mut w.follow, 0.0..=20.0, "follow", tip);
        });
    });
    egui::CollapsingHeader::new(RichText::new("Viewer behaviour").strong()).show(ui, |ui| {
        let b = &mut scenario.behaviour;
        ui.label(
            RichText::new("Probabilities per opened note; apply from the next tick.")
                .small()
                .color(theme::TEXT_DIM),
        );
        num(
            ui,
            &mut b.open,
            0.0..=1.0,
            "open",
            "Chance to open a perfectly matched note of average quality.",
        );
        num(
            ui,
            &mut b.like,
            0.0..=1.0,
            "like",
            "Chance to like an opened note (scaled by quality).",
        );
        num(
            ui,
            &mut b.comment,
            0.0..=1.0,
            "comment",
            "Chance to comment on an opened note.",
        );
        num(
            ui,
            &mut b.save,
            0.0..=1.0,
            "save",
            "Chance to save (bookmark) an opened note.",
        );
        num(
            ui,
            &mut b.share,
            0.0..=1.0,
            "share",
            "Chance to share an opened note with one's circle.",
        );
        num(
            ui,
            &mut b.follow,
            0.0..=1.0,
            "follow",
            "Chance to follow the author after opening a note.",
        );
        num(
            ui,
            &mut b.quick_scroll,
            0.0..=1.0,
            "quick scroll",
            "Chance to flick a poor, unopened note away at once (a negative signal).",
        );
        num(
            ui,
            &mut b.leave_after_quick_scroll,
            0.0..=1.0,
            "leave after flick",
            "Chance a flick-away also ends the session.",
        );
        num(
            ui,
            &mut b.off_interest,
            0.0..=1.0,
            "off-interest appeal",
            "How much a note outside the viewer's topics still appeals (0 = not at all).",
        );
        num(
            ui,
            &mut b.fatigue,
            0.0..=1.0,
            "creator fatigue",
            "Appeal multiplier per recent sighting of the same creator (1 = no fatigue).",
        );
        num(
            ui,
            &mut b.promo_penalty,
            0.0..=1.0,
            "promo penalty",
            "Appeal lost by a fully promotional note.",
        );
        num(
            ui,
            &mut b.social_proof,
            0.0..=10.0,
            "social proof",
            "How much visible like counts raise engagement (0 = like counts hidden).",
        );
        num(
            ui,
            &mut b.video_appeal,
            0.05..=3.0,
            "video appeal",
            "Appeal of video notes relative to image carousels.",
        );
        num(
            ui,
            &mut b.live_appeal,
            0.05..=3.0,
            "live appeal",
            "Appeal of live notes relative to image carousels.",
        );
        num(
            ui,
            &mut b.satisfaction_memory,
            0.0..=1.0,
            "satisfaction memory",
            "Weight of each impression in a viewer's running satisfaction.",
        );
        num(
            ui,
            &mut b.churn_below,
            0.0..=1.0,
            "churn below",
            "Viewers less satisfied than this may leave for good.",
        );
        num(
            ui,
            &mut b.churn_chance,
            0.0..=1.0,
            "churn chance",
            "Chance per session that an unhappy viewer leaves.",
        );
        int(
            ui,
            &mut b.share_fanout,
            0..=8,
            "share fan-out",
            "How many people of the sharer's circle a share reaches.",
        );
    });
    egui::CollapsingHeader::new(RichText::new("Population (applies on reset)").strong()).show(
        ui,
        |ui| {
            let p = &mut state.pending;
            ui.horizontal(|ui| {
                ui.label("seed");
                ui.add(egui::DragValue::new(&mut p.seed))
                    .on_hover_text("Random seed: the same seed gives the same run");
            });
            int(
                ui,
                &mut p.viewers.count,
                100..=200_000,
                "users",
                "Users at the start, creators included.",
            );
            num(
                ui,
                &mut p.viewers.arrivals_per_day,
                0.0..=5_000.0,
                "arrivals / day",
                "New users joining per simulated day.",
            );
            int(
                ui,
                &mut p.topics,
                1..=64,
                "topics",
                "Number of content topics.",
            );
            num(
                ui,
                &mut p.days,
                0.5..=60.0,
                "days",
                "How long the scenario runs before pausing.",
            );
            for group in &mut p.creators {
                let label = format!(
                    "{}s",
                    theme::archetype_label(group.archetype).to_lowercase()
                );
                ui.horizontal(|ui| {
                    let (rect, _) =
                        ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                    ui.painter().circle_filled(
                        rect.center(),
                        5.0,
                        theme::archetype(group.archetype),
                    );
                    int(
                        ui,
                        &mut group.count,
                        0..=2_000,
                        &label,
                        "Creators of this kind at the start.",
                    );
                });
            }
            if ui.button("⟲ Reset with these").clicked() {
                state.request = Some(Request::Reset);
            }
        },
    );
}

fn export_section(ui: &mut egui::Ui, state: &mut GuiState) {
    ui.label(RichText::new("Export").heading());
    ui.horizontal(|ui| {
        if ui
            .button("💾 CSV results")
            .on_hover_text(platform::CSV_EXPORT_HELP)
            .clicked()
        {
            state.request = Some(Request::ExportCsv);
        }
        if ui
            .button("📷 PNG screenshot")
            .on_hover_text(platform::PNG_EXPORT_HELP)
            .clicked()
        {
            state.screenshot_requested = true;
        }
    });
}
