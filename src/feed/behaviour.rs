//! How a viewer reacts to one impression: open or scroll on, dwell, like, comment (short or deep),
//! save, share, follow, or flick away at once. Pure functions over plain numbers.

use crate::scenario::BehaviourConfig;
use crate::sim::agents::{Format, NoteLook};
use crate::sim::rng::SimRng;
use rand::Rng;

/// Behaviour parameters as f32, prepared once per tick for the hot loop.
#[derive(Clone, Copy, Debug)]
pub struct ReactionModel {
    pub open: f32,
    pub like: f32,
    pub comment: f32,
    pub save: f32,
    pub share: f32,
    pub follow: f32,
    pub quick_scroll: f32,
    pub leave_after_quick_scroll: f32,
    pub off_interest: f32,
    pub fatigue_factor: [f32; 9],
    pub promo_penalty: f32,
    pub social_proof: f32,
    pub format_appeal: [f32; 3],
    pub satisfaction_memory: f32,
}

impl ReactionModel {
    pub fn new(b: &BehaviourConfig) -> Self {
        let mut fatigue_factor = [1.0f32; 9];
        for (k, f) in fatigue_factor.iter_mut().enumerate() {
            *f = libm::pow(b.fatigue, k as f64) as f32;
        }
        Self {
            open: b.open as f32,
            like: b.like as f32,
            comment: b.comment as f32,
            save: b.save as f32,
            share: b.share as f32,
            follow: b.follow as f32,
            quick_scroll: b.quick_scroll as f32,
            leave_after_quick_scroll: b.leave_after_quick_scroll as f32,
            off_interest: b.off_interest as f32,
            fatigue_factor,
            promo_penalty: b.promo_penalty as f32,
            social_proof: b.social_proof as f32,
            format_appeal: [1.0, b.video_appeal as f32, b.live_appeal as f32],
            satisfaction_memory: b.satisfaction_memory as f32,
        }
    }

    /// How good this impression is for this viewer, 0..=~1.5: the note's appeal, scaled by interest
    /// match, format, fatigue with the creator and promotion.
    #[inline]
    pub fn quality(&self, note: &NoteLook, interest: f32, recent_same_creator: u32) -> f32 {
        let relevance = self.off_interest + (1.0 - self.off_interest) * interest;
        let format = match note.format {
            Format::Carousel => self.format_appeal[0] * (0.92 + 0.02 * note.images.min(9) as f32),
            Format::Video => self.format_appeal[1],
            Format::Live => self.format_appeal[2],
        };
        let fatigue = self.fatigue_factor[(recent_same_creator as usize).min(8)];
        let promo = 1.0 - self.promo_penalty * note.promotional;
        note.appeal * relevance * format * fatigue * promo
    }

    /// Social proof: how much a note's visible like count raises the chance to open it and to
    /// like it, `1 + social_proof × ln(1 + likes) / ln(1001)` (a thousand likes add
    /// `social_proof`; exactly 1 when off). Log-shaped: the first ten likes say more than ten
    /// more on top of a thousand. It sways the two decisions a count is seen at (the card in the
    /// feed, the like button) and nothing the note itself decides (dwell, comments, saves,
    /// shares, follows, the viewer's satisfaction): a count makes a note look better, not be
    /// better. Experiments found both effects: visible download counts steer what people sample
    /// (Salganik, Dodds & Watts 2006) and a first up-vote raises later up-votes (Muchnik, Aral &
    /// Taylor 2013).
    #[inline]
    pub fn social_proof(&self, visible_likes: u32) -> f32 {
        if self.social_proof > 0.0 {
            1.0 + self.social_proof * libm::logf(1.0 + visible_likes as f32) * 0.144_765_5
        } else {
            1.0
        }
    }
}

/// What one impression produced.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reaction {
    pub opened: bool,
    pub like: bool,
    pub short_comment: bool,
    pub deep_comment: bool,
    pub save: bool,
    pub share: bool,
    pub follow: bool,
    pub quick_scroll: bool,
    /// Seconds spent in an opened note (glancing past in the feed is not counted).
    pub dwell_seconds: u32,
    /// How much the impression pleased the viewer, 0..=1 (feeds satisfaction).
    pub reward: f32,
}

impl Reaction {
    pub fn engaged(&self) -> bool {
        self.like
            || self.short_comment
            || self.deep_comment
            || self.save
            || self.share
            || self.follow
    }
}

/// Draws a reaction. `social` (from `ReactionModel::social_proof`) multiplies the chances to
/// open and to like; `propensity` multiplies like, comment, save, share, follow; `can_follow`
/// says false when the viewer already follows the creator (or is the creator). It is asked only
/// when a follow is drawn, since looking through a follow list costs more than the draw.
#[inline]
#[allow(clippy::too_many_arguments)]
pub fn react(
    model: &ReactionModel,
    quality: f32,
    social: f32,
    propensity: &[f32; 5],
    can_follow: impl FnOnce() -> bool,
    is_video: bool,
    rng: &mut SimRng,
) -> Reaction {
    let drive = 2.0 * quality;
    let mut r = Reaction::default();
    if rng.random::<f32>() < (model.open * drive * social).min(0.95) {
        r.opened = true;
        r.like = rng.random::<f32>() < model.like * propensity[0] * drive * social;
        if rng.random::<f32>() < model.comment * propensity[1] * drive {
            if rng.random::<f32>() < quality.min(1.0) {
                r.deep_comment = true;
            } else {
                r.short_comment = true;
            }
        }
        r.save = rng.random::<f32>() < model.save * propensity[2] * drive;
        r.share = rng.random::<f32>() < model.share * propensity[3] * drive;
        r.follow = rng.random::<f32>() < model.follow * propensity[4] * drive && can_follow();
        let dwell = 6.0 + 50.0 * quality.min(1.5);
        r.dwell_seconds = (if is_video { dwell * 1.5 } else { dwell }) as u32;
        r.reward = 0.55 + 0.45 * drive.min(1.0);
    } else if rng.random::<f32>() < model.quick_scroll * (1.0 - quality.min(1.0)) {
        r.quick_scroll = true;
        r.reward = 0.0;
    } else {
        r.reward = 0.35;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::{Stream, stream};

    fn note(appeal: f32) -> NoteLook {
        NoteLook {
            creator: 0,
            appeal,
            promotional: 0.0,
            visible_likes: 0,
            topic: 0,
            format: Format::Carousel,
            images: 4,
        }
    }

    #[test]
    fn quality_follows_match_fatigue_and_promotion() {
        let model = ReactionModel::new(&BehaviourConfig {
            off_interest: 0.2,
            fatigue: 0.5,
            promo_penalty: 0.5,
            ..Default::default()
        });
        let n = note(0.8);
        // carousel of 4 images: 0.92 + 0.08 = 1.0
        assert!((model.quality(&n, 1.0, 0) - 0.8).abs() < 1e-6);
        assert!((model.quality(&n, 0.0, 0) - 0.16).abs() < 1e-6);
        assert!((model.quality(&n, 1.0, 2) - 0.2).abs() < 1e-6);
        let promo = NoteLook {
            promotional: 1.0,
            ..n
        };
        assert!((model.quality(&promo, 1.0, 0) - 0.4).abs() < 1e-6);
    }

    #[test]
    fn social_proof_raises_opens_and_likes_only_when_switched_on() {
        let n = NoteLook {
            visible_likes: 1000,
            ..note(0.5)
        };
        let off = ReactionModel::new(&BehaviourConfig::default());
        let on = ReactionModel::new(&BehaviourConfig {
            social_proof: 0.5,
            ..Default::default()
        });
        assert_eq!(off.social_proof(1000), 1.0);
        assert!((on.social_proof(1000) - 1.5).abs() < 1e-3);
        assert!((on.social_proof(9) - (1.0 + 0.5 / 3.0)).abs() < 1e-3);
        assert_eq!(on.social_proof(0), 1.0);
        // The note is no better for it.
        assert_eq!(on.quality(&n, 1.0, 0), off.quality(&n, 1.0, 0));
        // Opens and likes rise by the factor; what follows an open does not.
        let tally = |social: f32| {
            let mut rng = stream(5, Stream::React, 0, 0);
            let (mut open, mut like, mut save, mut reward) = (0u32, 0u32, 0u32, 0.0f64);
            for _ in 0..200_000 {
                let r = react(&on, 0.3, social, &[1.0; 5], || true, false, &mut rng);
                open += r.opened as u32;
                like += r.like as u32;
                save += r.save as u32;
                reward += if r.opened { r.reward as f64 } else { 0.0 };
            }
            (open as f64, like as f64, save as f64, reward / open as f64)
        };
        let (o1, l1, s1, r1) = tally(1.0);
        let (o2, l2, s2, r2) = tally(1.5);
        assert!((o2 / o1 - 1.5).abs() < 0.03, "{o1} {o2}");
        assert!((l2 / l1 - 2.25).abs() < 0.15, "{l1} {l2}");
        assert!(
            (s2 / o2 - s1 / o1).abs() < 0.004,
            "saves per open {s1} {s2}"
        );
        assert!((r2 - r1).abs() < 1e-6);
    }

    #[test]
    fn better_notes_are_opened_and_liked_more_and_flicked_away_less() {
        let model = ReactionModel::new(&BehaviourConfig::default());
        let mut rng = stream(3, Stream::React, 0, 0);
        let tally = |q: f32, rng: &mut SimRng| {
            let (mut open, mut like, mut quick) = (0, 0, 0);
            for _ in 0..100_000 {
                let r = react(&model, q, 1.0, &[1.0; 5], || true, false, rng);
                open += r.opened as u32;
                like += r.like as u32;
                quick += r.quick_scroll as u32;
            }
            (open, like, quick)
        };
        let (o_lo, l_lo, q_lo) = tally(0.2, &mut rng);
        let (o_hi, l_hi, q_hi) = tally(0.7, &mut rng);
        assert!(
            o_hi > 2 * o_lo && l_hi > 4 * l_lo && q_hi * 2 < q_lo,
            "{o_lo} {o_hi} {l_lo} {l_hi} {q_lo} {q_hi}"
        );
        // open rate is open * 2q: 0.14 * 1.4 = 0.196 at q = 0.7
        assert!((o_hi as f64 / 100_000.0 - 0.196).abs() < 0.005);
    }
}
