//! Scenario files: the RON description of one experiment, its defaults, loading with precise errors,
//! range validation and `--set path=value` overrides.

mod limits;
mod overrides;
mod validate;

pub use limits::{
    MAX_CREATOR_GROUPS, MAX_ECHO_CHARS, MAX_FILE_BYTES, MAX_MESSAGE_CHARS,
    MAX_OVERRIDE_VALUE_BYTES, MAX_STRING_BYTES, MAX_STRING_ESCAPES, MAX_TIMELINE_EVENTS, echo,
};
pub use overrides::{apply_override, check_path, parse_assignment};
pub use validate::{MAX_DAYS, Problem, validate};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// One whole experiment. Every field has a default, so a file only needs what it changes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Scenario {
    pub name: String,
    /// Lesson text shown to a class: what to watch for.
    pub lesson: String,
    /// Drives everything that happens in a run (sessions, reactions, posting, arrivals).
    pub seed: u64,
    /// Fixes who exists at the start: viewers, creators, interests, circles and follows
    /// (default: `seed`). Replicates share it, so they differ only in what happens.
    pub population_seed: Option<u64>,
    /// Simulated minutes per tick.
    pub tick_minutes: u32,
    /// Simulated duration in days.
    pub days: f64,
    /// One metrics row per this many simulated hours.
    pub sample_every_hours: f64,
    /// Number of content topics (beauty, food, travel, ...).
    pub topics: u32,
    pub viewers: ViewerConfig,
    pub behaviour: BehaviourConfig,
    pub creators: Vec<CreatorGroup>,
    pub recommender: RecommenderConfig,
    pub timeline: Vec<TimelineEvent>,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            name: "unnamed".into(),
            lesson: String::new(),
            seed: 1,
            population_seed: None,
            tick_minutes: 10,
            days: 3.0,
            sample_every_hours: 1.0,
            topics: 12,
            viewers: ViewerConfig::default(),
            behaviour: BehaviourConfig::default(),
            creators: Archetype::ALL
                .iter()
                .map(|&archetype| CreatorGroup::of(archetype, 20))
                .collect(),
            recommender: RecommenderConfig::default(),
            timeline: Vec::new(),
        }
    }
}

impl Scenario {
    pub fn ticks_per_hour(&self) -> f64 {
        60.0 / self.tick_minutes as f64
    }
    pub fn ticks_per_day(&self) -> f64 {
        self.ticks_per_hour() * 24.0
    }
    /// Converts simulated hours to whole ticks (rounded, at least 1 for positive spans).
    pub fn hours_to_ticks(&self, hours: f64) -> u32 {
        let ticks = (hours * self.ticks_per_hour()).round();
        if hours > 0.0 {
            ticks.max(1.0) as u32
        } else {
            0
        }
    }
    pub fn total_ticks(&self) -> u32 {
        self.hours_to_ticks(self.days * 24.0)
    }
    pub fn creator_count(&self) -> u64 {
        self.creators.iter().map(|g| g.count as u64).sum()
    }
    /// The seed the starting population is drawn from.
    pub fn population_seed(&self) -> u64 {
        self.population_seed.unwrap_or(self.seed)
    }
}

/// The viewing population: every user is a viewer; creators are users who also post.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ViewerConfig {
    /// Users at the start (creators included).
    pub count: u32,
    /// New users joining per simulated day.
    pub arrivals_per_day: f64,
    /// Topics each viewer is interested in (1..=3), with decreasing weights.
    pub interests: u32,
    /// Mean app sessions per day for a content viewer.
    pub sessions_per_day: f64,
    /// Mean notes scrolled past per session.
    pub session_length: f64,
    /// How strongly sessions follow the daily rhythm (0 = flat, 0.9 = strong evening peak).
    pub diurnal_amplitude: f64,
    /// Hour of day (0..24) when most sessions happen.
    pub peak_hour: f64,
    /// People who see what a viewer shares (their personal followers), 0..=8.
    pub circle: u32,
}

impl Default for ViewerConfig {
    fn default() -> Self {
        Self {
            count: 5_000,
            arrivals_per_day: 50.0,
            interests: 3,
            sessions_per_day: 4.0,
            session_length: 15.0,
            diurnal_amplitude: 0.6,
            peak_hour: 21.0,
            circle: 4,
        }
    }
}

/// How viewers react to a note. Probabilities are per opened note unless said otherwise.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct BehaviourConfig {
    /// Chance to open (click through) a perfectly matched note of average quality.
    pub open: f64,
    pub like: f64,
    pub comment: f64,
    pub save: f64,
    pub share: f64,
    pub follow: f64,
    /// Chance to flick past an unopened, poor note almost at once (a negative signal).
    pub quick_scroll: f64,
    /// Chance that a quick scroll-away also ends the session (scaled by boredom).
    pub leave_after_quick_scroll: f64,
    /// How much an off-interest note still appeals (0 = not at all, 1 = as much as a matched one).
    pub off_interest: f64,
    /// Appeal multiplier per recent sighting of the same creator (creative fatigue, 1 = none).
    pub fatigue: f64,
    /// How much a fully promotional note loses in appeal (0..=1).
    pub promo_penalty: f64,
    /// Social proof: visible like counts raise engagement (0 = off).
    pub social_proof: f64,
    /// Appeal multiplier for video notes and for live notes, relative to image carousels.
    pub video_appeal: f64,
    pub live_appeal: f64,
    /// Weight of each impression in the running satisfaction average (0..1).
    pub satisfaction_memory: f64,
    /// Viewers below this satisfaction may leave for good after a session.
    pub churn_below: f64,
    /// Chance per session that an unhappy viewer leaves.
    pub churn_chance: f64,
    /// How many people of the sharer's circle a share reaches.
    pub share_fanout: u32,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        Self {
            open: 0.14,
            like: 0.25,
            comment: 0.04,
            save: 0.06,
            share: 0.02,
            follow: 0.015,
            quick_scroll: 0.45,
            leave_after_quick_scroll: 0.12,
            off_interest: 0.3,
            fatigue: 0.75,
            promo_penalty: 0.5,
            social_proof: 0.0,
            video_appeal: 1.05,
            live_appeal: 0.95,
            satisfaction_memory: 0.05,
            churn_below: 0.2,
            churn_chance: 0.05,
            share_fanout: 3,
        }
    }
}

/// The five kinds of creator a scenario can mix.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Archetype {
    Influencer,
    Regular,
    Newcomer,
    NicheExpert,
    Spammer,
}

impl Archetype {
    pub const ALL: [Archetype; 5] = [
        Archetype::Influencer,
        Archetype::Regular,
        Archetype::Newcomer,
        Archetype::NicheExpert,
        Archetype::Spammer,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Archetype::Influencer => "influencer",
            Archetype::Regular => "regular",
            Archetype::Newcomer => "newcomer",
            Archetype::NicheExpert => "niche_expert",
            Archetype::Spammer => "spammer",
        }
    }
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Archetype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A random quantity drawn once per creator (or per note).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub enum Dist {
    Fixed(f64),
    Uniform { low: f64, high: f64 },
    Normal { mean: f64, sd: f64 },
    LogNormal { median: f64, sigma: f64 },
}

impl Dist {
    /// Smallest and largest values the distribution can produce, for range checks.
    pub fn bounds(&self) -> (f64, f64) {
        match *self {
            Dist::Fixed(v) => (v, v),
            Dist::Uniform { low, high } => (low, high),
            Dist::Normal { mean, sd } => (mean - 4.0 * sd, mean + 4.0 * sd),
            Dist::LogNormal { median, .. } => (0.0_f64.min(median), f64::INFINITY),
        }
    }
    pub fn mean(&self) -> f64 {
        match *self {
            Dist::Fixed(v) => v,
            Dist::Uniform { low, high } => 0.5 * (low + high),
            Dist::Normal { mean, .. } => mean,
            Dist::LogNormal { median, sigma } => median * libm::exp(0.5 * sigma * sigma),
        }
    }
}

/// Share of notes in each format.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FormatMix {
    pub carousel: f64,
    pub video: f64,
    pub live: f64,
}

impl Default for FormatMix {
    fn default() -> Self {
        Self {
            carousel: 0.7,
            video: 0.25,
            live: 0.05,
        }
    }
}

/// A group of creators sharing an archetype and distributions. Fields left out of a scenario file
/// take the archetype's typical values (see `CreatorGroup::of`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(from = "CreatorGroupSpec")]
pub struct CreatorGroup {
    pub archetype: Archetype,
    pub count: u32,
    /// Latent quality of what they make, 0..=1 (clamped).
    pub skill: Dist,
    /// Followers at the start.
    pub followers: Dist,
    /// Mean notes posted per day.
    pub posts_per_day: f64,
    /// How promotional their notes are, 0..=1 (clamped).
    pub promotional: Dist,
    /// Care spent on presentation (images, text, hashtags), 0..=1.
    pub effort: f64,
    /// Topics a creator of this group posts about (1 = a single niche).
    pub niche_topics: u32,
    pub formats: FormatMix,
    pub verified: bool,
    /// New creators of this group joining per simulated day (Poisson), after the start.
    pub arrivals_per_day: f64,
    /// Days at which every creator of the group posts exactly one note (on top of `posts_per_day`;
    /// set that to 0 for a fixed schedule only). A creator who joins later keeps the days still ahead.
    pub post_at_days: Vec<f64>,
}

/// A creator group as written in a file: everything but the archetype and count is optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename = "CreatorGroup")]
struct CreatorGroupSpec {
    archetype: Archetype,
    count: u32,
    skill: Option<Dist>,
    followers: Option<Dist>,
    posts_per_day: Option<f64>,
    promotional: Option<Dist>,
    effort: Option<f64>,
    niche_topics: Option<u32>,
    formats: Option<FormatMix>,
    verified: Option<bool>,
    arrivals_per_day: Option<f64>,
    post_at_days: Option<Vec<f64>>,
}

impl From<CreatorGroupSpec> for CreatorGroup {
    fn from(spec: CreatorGroupSpec) -> Self {
        let typical = CreatorGroup::of(spec.archetype, spec.count);
        CreatorGroup {
            skill: spec.skill.unwrap_or(typical.skill),
            followers: spec.followers.unwrap_or(typical.followers),
            posts_per_day: spec.posts_per_day.unwrap_or(typical.posts_per_day),
            promotional: spec.promotional.unwrap_or(typical.promotional),
            effort: spec.effort.unwrap_or(typical.effort),
            niche_topics: spec.niche_topics.unwrap_or(typical.niche_topics),
            formats: spec.formats.unwrap_or(typical.formats),
            verified: spec.verified.unwrap_or(typical.verified),
            arrivals_per_day: spec.arrivals_per_day.unwrap_or(0.0),
            post_at_days: spec.post_at_days.unwrap_or_default(),
            ..typical
        }
    }
}

impl CreatorGroup {
    /// Typical parameters for an archetype, used for defaults and `add_creators` shorthands.
    pub fn of(archetype: Archetype, count: u32) -> Self {
        let base = CreatorGroup {
            archetype,
            count,
            skill: Dist::Normal {
                mean: 0.5,
                sd: 0.15,
            },
            followers: Dist::LogNormal {
                median: 60.0,
                sigma: 1.0,
            },
            posts_per_day: 1.0,
            promotional: Dist::Uniform {
                low: 0.0,
                high: 0.3,
            },
            effort: 0.5,
            niche_topics: 2,
            formats: FormatMix::default(),
            verified: false,
            arrivals_per_day: 0.0,
            post_at_days: Vec::new(),
        };
        match archetype {
            // Influencers are as skilled as regulars: what sets them apart is an audience, more
            // sponsored (promotional) posts and less care per post.
            Archetype::Influencer => CreatorGroup {
                followers: Dist::LogNormal {
                    median: 1_500.0,
                    sigma: 0.6,
                },
                posts_per_day: 2.0,
                promotional: Dist::Uniform {
                    low: 0.4,
                    high: 0.9,
                },
                effort: 0.35,
                formats: FormatMix {
                    carousel: 0.6,
                    video: 0.35,
                    live: 0.05,
                },
                verified: true,
                ..base
            },
            Archetype::Regular => base,
            Archetype::Newcomer => CreatorGroup {
                skill: Dist::Uniform {
                    low: 0.2,
                    high: 0.9,
                },
                followers: Dist::Fixed(0.0),
                posts_per_day: 0.8,
                ..base
            },
            Archetype::NicheExpert => CreatorGroup {
                skill: Dist::Normal {
                    mean: 0.78,
                    sd: 0.08,
                },
                followers: Dist::LogNormal {
                    median: 100.0,
                    sigma: 0.8,
                },
                posts_per_day: 0.7,
                promotional: Dist::Uniform {
                    low: 0.0,
                    high: 0.1,
                },
                effort: 0.85,
                niche_topics: 1,
                ..base
            },
            Archetype::Spammer => CreatorGroup {
                skill: Dist::Normal {
                    mean: 0.15,
                    sd: 0.06,
                },
                followers: Dist::LogNormal {
                    median: 15.0,
                    sigma: 1.0,
                },
                posts_per_day: 8.0,
                promotional: Dist::Uniform {
                    low: 0.7,
                    high: 1.0,
                },
                effort: 0.15,
                niche_topics: 3,
                ..base
            },
        }
    }
}

/// The recommender policies a scenario can pick.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "snake_case")]
pub enum PolicyKind {
    TrafficPool,
    FollowerFeed,
    Popularity,
    Random,
    /// Only accounts the viewer follows, newest first (the following tab on its own).
    Following,
    /// A weighted mix of the others, see `RecommenderConfig::blend`.
    Blend,
    /// Predicted engagement: the note's own engagement rate, shrunk toward a prior from its
    /// author's size and record (`author_prior` slides from the note alone to author size).
    PredictedEngagement,
}

impl PolicyKind {
    pub const ALL: [PolicyKind; 7] = [
        PolicyKind::TrafficPool,
        PolicyKind::PredictedEngagement,
        PolicyKind::FollowerFeed,
        PolicyKind::Popularity,
        PolicyKind::Random,
        PolicyKind::Following,
        PolicyKind::Blend,
    ];
    pub fn name(self) -> &'static str {
        match self {
            PolicyKind::TrafficPool => "traffic_pool",
            PolicyKind::FollowerFeed => "follower_feed",
            PolicyKind::Popularity => "popularity",
            PolicyKind::Random => "random",
            PolicyKind::Following => "following",
            PolicyKind::Blend => "blend",
            PolicyKind::PredictedEngagement => "predicted_engagement",
        }
    }
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }
}

impl fmt::Display for PolicyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The active recommender and the parameters of every policy (all editable while running).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecommenderConfig {
    pub policy: PolicyKind,
    /// Share of each viewer's impressions taken from accounts they follow (the following tab).
    pub following_share: f64,
    /// How far back (hours) the random, popularity and follower feeds look for candidate notes.
    pub window_hours: f64,
    /// What counts as meaningful engagement, per action.
    pub weights: EngagementWeights,
    pub traffic_pool: TrafficPoolParams,
    pub follower_feed: FollowerFeedParams,
    pub popularity: PopularityParams,
    pub predicted_engagement: PredictedEngagementParams,
    pub random: RandomParams,
    /// Parts of a `blend` policy with their weights, for example 70% traffic pool, 30% following.
    pub blend: Vec<BlendPart>,
}

impl Default for RecommenderConfig {
    fn default() -> Self {
        Self {
            policy: PolicyKind::TrafficPool,
            following_share: 0.15,
            window_hours: 72.0,
            weights: EngagementWeights::default(),
            traffic_pool: TrafficPoolParams::default(),
            follower_feed: FollowerFeedParams::default(),
            popularity: PopularityParams::default(),
            predicted_engagement: PredictedEngagementParams::default(),
            random: RandomParams::default(),
            blend: vec![
                BlendPart {
                    policy: PolicyKind::TrafficPool,
                    weight: 0.7,
                },
                BlendPart {
                    policy: PolicyKind::Following,
                    weight: 0.3,
                },
            ],
        }
    }
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct BlendPart {
    pub policy: PolicyKind,
    pub weight: f64,
}

/// Weights of each action in the weighted engagement rate (likes = 1).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EngagementWeights {
    pub click: f64,
    pub like: f64,
    pub short_comment: f64,
    pub deep_comment: f64,
    pub save: f64,
    pub share: f64,
    pub follow: f64,
}

impl Default for EngagementWeights {
    fn default() -> Self {
        Self {
            click: 0.1,
            like: 1.0,
            short_comment: 1.5,
            deep_comment: 4.0,
            save: 4.0,
            share: 5.0,
            follow: 3.0,
        }
    }
}

impl EngagementWeights {
    /// Weighted sum of counts of clicks, likes, short comments, deep comments, saves, shares and
    /// follows, in that order.
    pub fn score(&self, counts: [f64; 7]) -> f64 {
        let [clicks, likes, short, deep, saves, shares, follows] = counts;
        self.click * clicks
            + self.like * likes
            + self.short_comment * short
            + self.deep_comment * deep
            + self.save * saves
            + self.share * shares
            + self.follow * follows
    }
}

/// The traffic-pool recommender of seed 002.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrafficPoolParams {
    /// Impressions in the cold-start pool (stage 0) for an average note of an average creator:
    /// a number, or `"auto"` to size it to the population (see `ColdStart`).
    pub cold_start_impressions: ColdStart,
    /// Each later stage is this many times the previous one.
    pub growth: f64,
    /// Number of pool stages before the sustained long-tail stage.
    pub stages: u32,
    /// Hours a stage has to fill before it is judged on what it got.
    pub cold_start_hours: f64,
    pub stage_hours: f64,
    /// Weighted engagement rate needed to graduate (seed: 5-8%).
    pub graduation_threshold: f64,
    /// Fewest impressions a stage is judged on (unless its whole pool is smaller): below this a
    /// weighted rate is mostly noise. A stage short of it at its deadline waits up to three times
    /// its window, then stops as `expired`.
    pub min_evidence: u32,
    /// Weight of engagement that arrives in a note's first `golden_hour_hours` (velocity; 1 = none).
    pub velocity_weight: f64,
    pub golden_hour_hours: f64,
    /// Rate at which a note skips a stage (seed: ~15%).
    pub skip_rate: f64,
    /// Largest share of quick scroll-aways a graduating note may have.
    pub negative_limit: f64,
    /// Share of new notes held back by the safety check (more for promotional ones).
    pub safety_hold: f64,
    /// How much the content score (completeness, authenticity) scales the cold-start pool (0..=1).
    pub content_score_weight: f64,
    /// How strongly creator authority enlarges the first pool and eases the threshold (0 = off).
    pub authority_strength: f64,
    /// Stages 0..narrow_stages go to viewers who follow the topic; later ones to everyone.
    pub narrow_stages: u32,
    /// Largest share of the reachable audience a stage may ask for; larger stages saturate.
    pub max_audience_share: f64,
    /// Share of attention offered to notes in pools; the rest goes to the long tail.
    pub pool_share: f64,
    /// Freshness boost (extra weight) for young notes, fading over `freshness_hours`.
    pub freshness_boost: f64,
    pub freshness_hours: f64,
    /// Half-life of long-tail distribution, and for evergreen notes that keep performing.
    pub half_life_hours: f64,
    pub evergreen_half_life_hours: f64,
    /// How many times one creator may appear in a viewer's last 8 impressions before being spaced out.
    pub creative_fatigue_limit: u32,
}

impl Default for TrafficPoolParams {
    fn default() -> Self {
        Self {
            cold_start_impressions: ColdStart::Auto,
            growth: 10.0,
            stages: 3,
            cold_start_hours: 2.0,
            stage_hours: 12.0,
            graduation_threshold: 0.06,
            min_evidence: 100,
            velocity_weight: 1.5,
            golden_hour_hours: 1.0,
            skip_rate: 0.15,
            negative_limit: 0.35,
            safety_hold: 0.01,
            content_score_weight: 0.5,
            authority_strength: 0.5,
            narrow_stages: 2,
            max_audience_share: 0.6,
            pool_share: 0.75,
            freshness_boost: 1.0,
            freshness_hours: 72.0,
            half_life_hours: 24.0,
            evergreen_half_life_hours: 168.0,
            creative_fatigue_limit: 2,
        }
    }
}

/// Size of the cold-start pool: a fixed number of impressions, or `"auto"`, sized to the
/// population when the world is built: the largest pool whose last narrow stage still fits in
/// `max_audience_share` of a typical (median) topic's audience, kept within
/// `min_evidence..=300` (the seed's 100-300 impressions).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ColdStart {
    Auto,
    Fixed(u32),
}

impl ColdStart {
    /// The largest cold start the `auto` setting picks (the seed's upper bound).
    pub const AUTO_MAX: u32 = 300;

    /// The cold-start size for a world whose median topic has `median_topic_audience` viewers.
    pub fn resolve(self, params: &TrafficPoolParams, median_topic_audience: u32) -> u32 {
        match self {
            ColdStart::Fixed(n) => n,
            ColdStart::Auto => {
                let narrow = params.narrow_stages.max(1) as f64;
                let fits = median_topic_audience as f64 * params.max_audience_share
                    / libm::pow(params.growth, narrow - 1.0);
                let low = params.min_evidence.clamp(1, Self::AUTO_MAX) as f64;
                ((fits / 10.0).floor() * 10.0).clamp(low, Self::AUTO_MAX as f64) as u32
            }
        }
    }
}

impl Serialize for ColdStart {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ColdStart::Auto => s.serialize_str("auto"),
            ColdStart::Fixed(n) => s.serialize_u32(*n),
        }
    }
}

impl<'de> Deserialize<'de> for ColdStart {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = ColdStart;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number of impressions or \"auto\"")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<ColdStart, E> {
                u32::try_from(v)
                    .map(ColdStart::Fixed)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<ColdStart, E> {
                u32::try_from(v)
                    .map(ColdStart::Fixed)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<ColdStart, E> {
                if v.fract() == 0.0 && (0.0..=u32::MAX as f64).contains(&v) {
                    Ok(ColdStart::Fixed(v as u32))
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
                }
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<ColdStart, E> {
                if v == "auto" {
                    Ok(ColdStart::Auto)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Str(v), &self))
                }
            }
        }
        d.deserialize_any(Visit)
    }
}

/// Predicted engagement with an author prior: the ranking most real feeds use. A note's score
/// is its weighted engagement rate, shrunk toward a prior: with `author_prior` = 0 the prior is
/// the platform's mean rate (the note alone decides once it has evidence); with 1 the score is
/// the author's prior alone (their size and record decide, whatever the note does).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PredictedEngagementParams {
    /// 0 = the note alone, 1 = author size and record decide.
    pub author_prior: f64,
    /// Pseudo-impressions the prior is worth when blended with a note's own evidence.
    pub prior_strength: f64,
    /// How strongly the author prior grows with followers: (followers + 1) relative to the median
    /// creator's, to this power.
    pub size_exponent: f64,
    /// Exposure grows with the predicted score to this power (how sharply the feed ranks).
    pub sharpness: f64,
    /// Share of slots drawn from the viewer's own topics (the rest from everything).
    pub interest_share: f64,
    /// Share of slots given to a uniformly random recent note.
    pub exploration: f64,
}

impl Default for PredictedEngagementParams {
    fn default() -> Self {
        Self {
            author_prior: 0.5,
            prior_strength: 50.0,
            size_exponent: 0.5,
            sharpness: 2.0,
            interest_share: 0.5,
            exploration: 0.05,
        }
    }
}

/// What the random feed draws uniformly.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum RandomUnit {
    /// Every recent note equally likely (prolific creators get more slots).
    Note,
    /// Every creator with a recent note equally likely, then one of their recent notes.
    Creator,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RandomParams {
    pub per: RandomUnit,
}

impl Default for RandomParams {
    fn default() -> Self {
        Self {
            per: RandomUnit::Note,
        }
    }
}

/// The influencer-centric follower feed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FollowerFeedParams {
    /// Exposure grows with followers to this power.
    pub follower_exponent: f64,
    /// Share of suggested notes taken from the viewer's own topics (the rest from everything).
    pub interest_share: f64,
}

impl Default for FollowerFeedParams {
    fn default() -> Self {
        Self {
            follower_exponent: 1.0,
            interest_share: 0.5,
        }
    }
}

/// The engagement-maximising trending feed.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PopularityParams {
    /// Exposure grows with accumulated weighted engagement to this power.
    pub exponent: f64,
    /// Share of slots given to a uniformly random recent note.
    pub exploration: f64,
    /// Share of slots drawn from the viewer's own topics (the rest from everything).
    pub interest_share: f64,
    /// Share of a creator's accumulated engagement that each of their notes starts with.
    pub creator_carry: f64,
}

impl Default for PopularityParams {
    fn default() -> Self {
        Self {
            exponent: 1.0,
            exploration: 0.05,
            interest_share: 0.5,
            creator_carry: 0.1,
        }
    }
}

/// Something that happens at a given simulated day.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TimelineEvent {
    /// Simulated day (fractions allowed: 2.5 is noon of the third day).
    pub day: f64,
    pub action: Action,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Action {
    /// Switch the active recommender policy, keeping its current parameters.
    SwitchPolicy(PolicyKind),
    /// Change any scenario field, as `--set` does: `Set(path: "recommender.following_share", value: "0.3")`.
    Set { path: String, value: String },
    /// A new group of creators joins the platform.
    AddCreators(CreatorGroup),
}

/// Why a scenario could not be used. Display gives a message a person can act on.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("{path}: cannot read scenario file: {reason}")]
    Read { path: PathBuf, reason: String },
    /// `at_least` when the size was not known up front (a pipe) and reading stopped at `bytes`.
    #[error(
        "{path}: scenario file is {}{bytes} bytes, over the limit of {limit} bytes (4 MiB); \
         scenario files are a few KB",
        if *.at_least { "at least " } else { "" },
        limit = MAX_FILE_BYTES
    )]
    TooLarge {
        path: PathBuf,
        bytes: u64,
        at_least: bool,
    },
    /// The run would not fit in the memory this machine has (see `crate::memory`).
    #[error("{path}: {message}")]
    Memory { path: PathBuf, message: String },
    #[error("{path}:{line}:{col}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{}", format_problems(.path, .problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    #[error("--set {assignment}: {message}")]
    Override { assignment: String, message: String },
    /// A command-line option other than `--set`, such as `--policy` or `--ticks`.
    #[error("{flag}: {message}")]
    Flag { flag: String, message: String },
}

fn format_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = format!("{}: {} problem(s):", path.display(), problems.len());
    for p in problems {
        out.push_str(&format!("\n  {p}"));
    }
    out
}

/// Parses RON text. Errors carry the file, line, column and, where serde knows it, the field path.
///
/// Text over `MAX_FILE_BYTES`, or with a string over `MAX_STRING_BYTES` or `MAX_STRING_ESCAPES`,
/// is refused before ron sees it (see `limits`), so parsing takes time linear in the text's size.
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let syntax = |line: usize, col: usize, message: String| ScenarioError::Syntax {
        path: path.to_path_buf(),
        line,
        col,
        message,
    };
    if text.len() > MAX_FILE_BYTES {
        return Err(ScenarioError::TooLarge {
            path: path.to_path_buf(),
            bytes: text.len() as u64,
            at_least: false,
        });
    }
    limits::check_strings(text).map_err(|e| {
        let (line, col) = limits::line_col(text, e.offset);
        syntax(line, col, e.message)
    })?;
    // Implicit `Some`: optional fields are written plainly (`skill: Fixed(0.9)`).
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut de = ron::Deserializer::from_str_with_options(text, &options)
        .map_err(|e| syntax(e.span.start.line, e.span.start.col, e.code.to_string()))?;
    let result: Result<Scenario, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(scenario) => {
            de.end().map_err(|e| {
                let spanned = de.span_error(e);
                syntax(
                    spanned.span.start.line,
                    spanned.span.start.col,
                    spanned.code.to_string(),
                )
            })?;
            Ok(scenario)
        }
        Err(err) => {
            // serde_path_to_error writes `?` for a position it could not name.
            let path = err.path().to_string();
            let field = path.trim_end_matches('?').trim_end_matches('.').to_string();
            let spanned = de.span_error(err.into_inner());
            let message = if field.is_empty() || field == "." {
                spanned.code.to_string()
            } else {
                format!("in field `{field}`: {}", spanned.code)
            };
            Err(syntax(
                spanned.span.start.line,
                spanned.span.start.col,
                message,
            ))
        }
    }
}

/// Reads, parses and validates a scenario file.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    use std::io::Read;
    let read_error = |e: std::io::Error| ScenarioError::Read {
        path: path.to_path_buf(),
        reason: if e.kind() == std::io::ErrorKind::NotFound {
            "no such file".into()
        } else {
            e.to_string()
        },
    };
    let too_large = |bytes: u64, at_least: bool| ScenarioError::TooLarge {
        path: path.to_path_buf(),
        bytes,
        at_least,
    };
    let file = std::fs::File::open(path).map_err(read_error)?;
    // Refuse a huge file before reading it, and read at most one byte past the limit in case the
    // size was not known up front (a pipe, /dev/zero) or the file grew.
    let size = file.metadata().map_err(read_error)?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(too_large(size, false));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(bytes.len() as u64, true));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..valid]);
        let (line, col) = limits::line_col(&prefix, valid);
        ScenarioError::Read {
            path: path.to_path_buf(),
            reason: format!("not UTF-8 text (invalid byte at line {line}, column {col})"),
        }
    })?;
    let scenario = parse(path, &text)?;
    check(path, &scenario)?;
    Ok(scenario)
}

/// Runs every range check; all problems are reported together.
pub fn check(path: &Path, scenario: &Scenario) -> Result<(), ScenarioError> {
    // Over-long lists are reported alone: checking them entry by entry is what they would slow.
    let mut problems = limits::list_problems(scenario);
    if problems.is_empty() {
        problems = validate(scenario);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ScenarioError::Invalid {
            path: path.to_path_buf(),
            problems,
        })
    }
}
