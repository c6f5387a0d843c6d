//! Range checks over a parsed scenario; every problem names its field path and the allowed range.

use super::{Action, CreatorGroup, Dist, PolicyKind, Scenario, apply_override};
use std::fmt;

/// One thing wrong with a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Whether a run fits in this machine's memory is checked apart from these range checks, against
/// what the machine has (`crate::memory`).
/// Longest run, in simulated days.
pub const MAX_DAYS: f64 = 3650.0;
pub const MAX_VIEWERS: u32 = 25_000_000;

struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            path: path.into(),
            message: message.into(),
        });
    }
    fn range(&mut self, path: &str, value: f64, low: f64, high: f64) {
        if !(value.is_finite() && value >= low && value <= high) {
            self.push(
                path,
                format!("{value} is out of range, expected {low}..={high}"),
            );
        }
    }
    fn positive(&mut self, path: &str, value: f64, high: f64) {
        if !(value.is_finite() && value > 0.0 && value <= high) {
            self.push(
                path,
                format!("{value} is out of range, expected a number above 0 and at most {high}"),
            );
        }
    }
    fn probability(&mut self, path: &str, value: f64) {
        if !(value.is_finite() && (0.0..=1.0).contains(&value)) {
            self.push(
                path,
                format!("{value} is not a probability, expected 0..=1"),
            );
        }
    }
    fn count(&mut self, path: &str, value: u64, low: u64, high: u64) {
        if value < low || value > high {
            self.push(
                path,
                format!("{value} is out of range, expected {low}..={high}"),
            );
        }
    }
    fn dist(&mut self, path: &str, dist: &Dist, low: f64, high: f64) {
        let ok_params = match *dist {
            Dist::Fixed(v) => v.is_finite(),
            Dist::Uniform { low: a, high: b } => a.is_finite() && b.is_finite() && a <= b,
            Dist::Normal { mean, sd } => mean.is_finite() && sd.is_finite() && sd >= 0.0,
            Dist::LogNormal { median, sigma } => {
                median.is_finite()
                    && median > 0.0
                    && sigma.is_finite()
                    && (0.0..=4.0).contains(&sigma)
            }
        };
        if !ok_params {
            self.push(
                path,
                format!(
                    "{dist:?} has invalid parameters (Uniform needs low <= high, Normal sd >= 0, \
                     LogNormal median > 0 and sigma 0..=4)"
                ),
            );
            return;
        }
        let mean = dist.mean();
        if !(mean >= low && mean <= high) {
            self.push(
                path,
                format!("{dist:?} has mean {mean}, expected {low}..={high}"),
            );
        }
    }
}

/// Checks every field; an empty list means the scenario can run.
pub fn validate(s: &Scenario) -> Vec<Problem> {
    let mut c = Checker {
        problems: Vec::new(),
    };
    c.count("tick_minutes", s.tick_minutes as u64, 1, 1440);
    c.positive("days", s.days, MAX_DAYS);
    c.positive("sample_every_hours", s.sample_every_hours, 24.0 * 365.0);
    c.count("topics", s.topics as u64, 1, 64);

    let v = &s.viewers;
    c.count("viewers.count", v.count as u64, 1, MAX_VIEWERS as u64);
    c.range("viewers.arrivals_per_day", v.arrivals_per_day, 0.0, 1e6);
    c.count("viewers.interests", v.interests as u64, 1, 3);
    c.positive("viewers.sessions_per_day", v.sessions_per_day, 200.0);
    c.positive("viewers.session_length", v.session_length, 500.0);
    c.range("viewers.diurnal_amplitude", v.diurnal_amplitude, 0.0, 0.95);
    c.range("viewers.peak_hour", v.peak_hour, 0.0, 24.0);
    c.count("viewers.circle", v.circle as u64, 0, 8);

    let b = &s.behaviour;
    for (name, value) in [
        ("open", b.open),
        ("like", b.like),
        ("comment", b.comment),
        ("save", b.save),
        ("share", b.share),
        ("follow", b.follow),
        ("quick_scroll", b.quick_scroll),
        ("leave_after_quick_scroll", b.leave_after_quick_scroll),
        ("off_interest", b.off_interest),
        ("fatigue", b.fatigue),
        ("promo_penalty", b.promo_penalty),
        ("satisfaction_memory", b.satisfaction_memory),
        ("churn_below", b.churn_below),
        ("churn_chance", b.churn_chance),
    ] {
        c.probability(&format!("behaviour.{name}"), value);
    }
    c.range("behaviour.social_proof", b.social_proof, 0.0, 10.0);
    c.positive("behaviour.video_appeal", b.video_appeal, 3.0);
    c.positive("behaviour.live_appeal", b.live_appeal, 3.0);
    c.count("behaviour.share_fanout", b.share_fanout as u64, 0, 8);

    if s.creators.is_empty() {
        c.push("creators", "no creator groups, expected at least one");
    }
    for (i, group) in s.creators.iter().enumerate() {
        check_group(&mut c, &format!("creators[{i}]"), group, s.topics);
    }
    let creators = s.creator_count();
    if creators > v.count as u64 {
        c.push(
            "creators",
            format!("{creators} creators but only {} viewers; creators are users, expected at most viewers.count", v.count),
        );
    }

    let r = &s.recommender;
    c.probability("recommender.following_share", r.following_share);
    c.positive("recommender.window_hours", r.window_hours, 24.0 * 365.0);
    let w = &r.weights;
    for (name, value) in [
        ("click", w.click),
        ("like", w.like),
        ("short_comment", w.short_comment),
        ("deep_comment", w.deep_comment),
        ("save", w.save),
        ("share", w.share),
        ("follow", w.follow),
    ] {
        c.range(&format!("recommender.weights.{name}"), value, 0.0, 100.0);
    }
    let t = &r.traffic_pool;
    let tp = "recommender.traffic_pool";
    if let super::ColdStart::Fixed(n) = t.cold_start_impressions {
        c.count(
            &format!("{tp}.cold_start_impressions"),
            n as u64,
            1,
            10_000_000,
        );
    }
    c.count(
        &format!("{tp}.min_evidence"),
        t.min_evidence as u64,
        1,
        100_000,
    );
    c.range(
        &format!("{tp}.velocity_weight"),
        t.velocity_weight,
        1.0,
        10.0,
    );
    c.range(
        &format!("{tp}.golden_hour_hours"),
        t.golden_hour_hours,
        0.0,
        24.0 * 30.0,
    );
    c.range(&format!("{tp}.growth"), t.growth, 1.0, 1000.0);
    c.count(&format!("{tp}.stages"), t.stages as u64, 1, 8);
    c.positive(
        &format!("{tp}.cold_start_hours"),
        t.cold_start_hours,
        24.0 * 30.0,
    );
    c.positive(&format!("{tp}.stage_hours"), t.stage_hours, 24.0 * 30.0);
    c.probability(
        &format!("{tp}.graduation_threshold"),
        t.graduation_threshold,
    );
    c.probability(&format!("{tp}.skip_rate"), t.skip_rate);
    c.probability(&format!("{tp}.negative_limit"), t.negative_limit);
    c.probability(&format!("{tp}.safety_hold"), t.safety_hold);
    c.probability(
        &format!("{tp}.content_score_weight"),
        t.content_score_weight,
    );
    c.probability(&format!("{tp}.authority_strength"), t.authority_strength);
    c.count(
        &format!("{tp}.narrow_stages"),
        t.narrow_stages as u64,
        0,
        t.stages as u64,
    );
    c.range(
        &format!("{tp}.max_audience_share"),
        t.max_audience_share,
        0.01,
        1.0,
    );
    c.probability(&format!("{tp}.pool_share"), t.pool_share);
    c.range(
        &format!("{tp}.freshness_boost"),
        t.freshness_boost,
        0.0,
        100.0,
    );
    c.positive(
        &format!("{tp}.freshness_hours"),
        t.freshness_hours,
        24.0 * 365.0,
    );
    c.positive(
        &format!("{tp}.half_life_hours"),
        t.half_life_hours,
        24.0 * 365.0,
    );
    c.positive(
        &format!("{tp}.evergreen_half_life_hours"),
        t.evergreen_half_life_hours,
        24.0 * 3650.0,
    );
    c.count(
        &format!("{tp}.creative_fatigue_limit"),
        t.creative_fatigue_limit as u64,
        1,
        8,
    );
    c.range(
        "recommender.follower_feed.follower_exponent",
        r.follower_feed.follower_exponent,
        0.0,
        3.0,
    );
    c.probability(
        "recommender.follower_feed.interest_share",
        r.follower_feed.interest_share,
    );
    c.range(
        "recommender.popularity.exponent",
        r.popularity.exponent,
        0.0,
        3.0,
    );
    c.probability(
        "recommender.popularity.exploration",
        r.popularity.exploration,
    );
    c.probability(
        "recommender.popularity.interest_share",
        r.popularity.interest_share,
    );
    c.probability(
        "recommender.popularity.creator_carry",
        r.popularity.creator_carry,
    );
    let pe = &r.predicted_engagement;
    let pep = "recommender.predicted_engagement";
    c.probability(&format!("{pep}.author_prior"), pe.author_prior);
    c.range(
        &format!("{pep}.prior_strength"),
        pe.prior_strength,
        0.0,
        1e6,
    );
    c.range(&format!("{pep}.size_exponent"), pe.size_exponent, 0.0, 3.0);
    c.range(&format!("{pep}.sharpness"), pe.sharpness, 0.0, 8.0);
    c.probability(&format!("{pep}.interest_share"), pe.interest_share);
    c.probability(&format!("{pep}.exploration"), pe.exploration);
    let mut blend_total = 0.0;
    for (i, part) in r.blend.iter().enumerate() {
        c.range(
            &format!("recommender.blend[{i}].weight"),
            part.weight,
            0.0,
            1e6,
        );
        blend_total += part.weight.max(0.0);
        if part.policy == PolicyKind::Blend {
            c.push(
                format!("recommender.blend[{i}].policy"),
                "a blend cannot contain a blend",
            );
        }
    }
    let uses_blend = r.policy == PolicyKind::Blend
        || s.timeline
            .iter()
            .any(|e| e.action == Action::SwitchPolicy(PolicyKind::Blend));
    if uses_blend && blend_total <= 0.0 {
        c.push(
            "recommender.blend",
            "the blend policy needs at least one part with a weight above 0",
        );
    }

    // Each `Set` is checked on a copy of the scenario without its timeline and lesson, made once:
    // a fresh copy of the whole scenario per event would make checking events x timeline.
    let mut untimed: Option<Scenario> = None;
    for (i, event) in s.timeline.iter().enumerate() {
        let path = format!("timeline[{i}]");
        if !(event.day.is_finite() && event.day >= 0.0) {
            c.push(
                format!("{path}.day"),
                format!("{} is out of range, expected 0 or more", event.day),
            );
        }
        match &event.action {
            Action::SwitchPolicy(_) => {}
            Action::Set { path: field, value } => {
                let base = untimed.get_or_insert_with(|| without_timeline(s));
                let mut copy = base.clone();
                match apply_override(&mut copy, field, value) {
                    Err(message) => c.push(
                        format!("{path}.action"),
                        super::echo(&message, super::MAX_MESSAGE_CHARS),
                    ),
                    Ok(()) => {
                        for p in validate(&copy) {
                            c.push(
                                format!("{path}.action"),
                                format!(
                                    "after setting {}: {p}",
                                    super::echo(&format!("{field}={value}"), super::MAX_ECHO_CHARS)
                                ),
                            );
                        }
                    }
                }
            }
            Action::AddCreators(group) => {
                check_group(&mut c, &format!("{path}.action"), group, s.topics)
            }
        }
    }
    c.problems
}

/// A copy of `s` without its timeline and lesson, made without copying them.
fn without_timeline(s: &Scenario) -> Scenario {
    // Every field by name: a new field must be decided on here.
    let Scenario {
        name,
        lesson: _,
        seed,
        population_seed,
        tick_minutes,
        days,
        sample_every_hours,
        topics,
        viewers,
        behaviour,
        creators,
        recommender,
        timeline: _,
    } = s;
    Scenario {
        name: name.clone(),
        lesson: String::new(),
        seed: *seed,
        population_seed: *population_seed,
        tick_minutes: *tick_minutes,
        days: *days,
        sample_every_hours: *sample_every_hours,
        topics: *topics,
        viewers: viewers.clone(),
        behaviour: behaviour.clone(),
        creators: creators.clone(),
        recommender: recommender.clone(),
        timeline: Vec::new(),
    }
}

fn check_group(c: &mut Checker, path: &str, g: &CreatorGroup, topics: u32) {
    c.count(&format!("{path}.count"), g.count as u64, 1, 5_000_000);
    c.dist(&format!("{path}.skill"), &g.skill, 0.0, 1.0);
    c.dist(
        &format!("{path}.followers"),
        &g.followers,
        0.0,
        50_000_000.0,
    );
    c.range(
        &format!("{path}.posts_per_day"),
        g.posts_per_day,
        0.0,
        200.0,
    );
    c.dist(&format!("{path}.promotional"), &g.promotional, 0.0, 1.0);
    c.probability(&format!("{path}.effort"), g.effort);
    c.count(
        &format!("{path}.niche_topics"),
        g.niche_topics as u64,
        1,
        topics.clamp(1, 3) as u64,
    );
    let f = &g.formats;
    for (name, value) in [
        ("carousel", f.carousel),
        ("video", f.video),
        ("live", f.live),
    ] {
        c.range(&format!("{path}.formats.{name}"), value, 0.0, 1e6);
    }
    c.range(
        &format!("{path}.arrivals_per_day"),
        g.arrivals_per_day,
        0.0,
        1e6,
    );
    if g.post_at_days.len() > 10_000 {
        c.push(
            format!("{path}.post_at_days"),
            format!(
                "{} days listed, expected at most 10000",
                g.post_at_days.len()
            ),
        );
    }
    for (i, &day) in g.post_at_days.iter().enumerate() {
        if !(day.is_finite() && (0.0..=3650.0).contains(&day)) {
            c.push(
                format!("{path}.post_at_days[{i}]"),
                format!("{day} is out of range, expected 0..=3650"),
            );
        }
    }
    if f.carousel + f.video + f.live <= 0.0 {
        c.push(
            format!("{path}.formats"),
            "all format shares are 0, expected at least one above 0",
        );
    }
}
