//! Two worlds side by side, as state without drawing: a pair built from one population and seed
//! under two policies, or a fork of the shown world that continues under another policy; where
//! the plots mark the fork; and the numbers of the difference readout (B − A).
//!
//! The rule they serve (DESIGN.md, "A fair experiment"): the two worlds differ in the policy
//! alone. A pair shares the scenario, its population seed and its run seed; a fork shares
//! everything up to the tick it was made.

use super::state::{ForkMark, HeldWorld, Setup, Worlds};
use crate::metrics::collector::MetricsRow;
use crate::scenario::{PolicyKind, Scenario};

impl Worlds {
    /// The worlds of `setup`, built from `scenario`.
    pub fn build(scenario: &Scenario, setup: Setup) -> Self {
        let list = match setup {
            Setup::Single | Setup::ForkAt { .. } => vec![HeldWorld::new(scenario)],
            Setup::Pair(policies) => policies
                .iter()
                .map(|&policy| {
                    let mut s = scenario.clone();
                    s.recommender.policy = policy;
                    HeldWorld::new(&s)
                })
                .collect(),
        };
        Self {
            list,
            shown: 0,
            setup,
            fork: None,
        }
    }

    /// Two worlds on show at once.
    pub fn side_by_side(&self) -> bool {
        self.list.len() >= 2
    }

    /// The policy a planned fork switches to, when it is due now (before the next tick).
    pub fn fork_due(&self) -> Option<PolicyKind> {
        match self.setup {
            Setup::ForkAt { tick, policy }
                if self.list.len() == 1 && self.list[0].sim.tick() == tick =>
            {
                Some(policy)
            }
            _ => None,
        }
    }

    /// Copies the shown world as it is now; the copy continues under `policy` on the right, the
    /// original keeps its policy on the left (another world there is dropped). The copy is shown
    /// next, so the parameter panel edits it ("or another parameter value").
    pub fn fork_shown(&mut self, policy: PolicyKind) -> ForkMark {
        let original = self.list.swap_remove(self.shown.min(self.list.len() - 1));
        let mut sim = original.sim.fork();
        sim.edit(|s| s.recommender.policy = policy);
        let clock = original.sim.world().resource::<crate::sim::Clock>();
        let mark = ForkMark {
            tick: clock.tick,
            hours: clock.hours(),
            kept: original.sim.scenario().recommender.policy,
            switched_to: policy,
        };
        // The copy starts with the original's caches: same map layout, same marks so far.
        let mut cache = original.cache.clone();
        if cache.policy_marks.last().is_none_or(|&(_, p)| p != policy) {
            cache.policy_marks.push((mark.hours, policy));
        }
        self.list = vec![original, HeldWorld { sim, cache }];
        self.shown = 1;
        self.fork = Some(mark);
        mark
    }

    /// Keeps the shown world only.
    pub fn keep_shown(&mut self) {
        let kept = self.list.swap_remove(self.shown.min(self.list.len() - 1));
        self.list = vec![kept];
        self.shown = 0;
        self.fork = None;
        self.setup = Setup::Single;
    }

    /// One tick of every world, making a planned fork first when it is due. Returns the fork
    /// made, if any.
    pub fn step_all(&mut self) -> Option<ForkMark> {
        let fork = self.fork_due().map(|policy| {
            self.shown = 0;
            self.fork_shown(policy)
        });
        for held in &mut self.list {
            held.sim.step();
        }
        fork
    }
}

/// Names and colours of the two worlds in legends and headings: the policies', and when both
/// run the same policy (a fork with another parameter value), the right one marked as the fork.
pub fn side_names(policies: [PolicyKind; 2]) -> [String; 2] {
    let label = |p: PolicyKind| super::theme::policy_label(p).to_string();
    if policies[0] == policies[1] {
        [
            label(policies[0]),
            format!("{} (right)", label(policies[1])),
        ]
    } else {
        policies.map(label)
    }
}

/// One line of the difference readout: a metric in both worlds.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    pub label: &'static str,
    pub help: &'static str,
    pub a: f64,
    pub b: f64,
    /// What B − A > 0 means, and what B − A < 0 means, in words.
    pub up: &'static str,
    pub down: &'static str,
}

impl Difference {
    pub fn b_minus_a(&self) -> f64 {
        self.b - self.a
    }

    /// The difference in words ("" when it is too small to read or not a number).
    pub fn reading(&self) -> &'static str {
        let d = self.b_minus_a();
        if !d.is_finite() || d.abs() < 0.005 {
            ""
        } else if d > 0.0 {
            self.up
        } else {
            self.down
        }
    }
}

/// The readout's metrics, A (left) against B (right), from two metrics rows.
pub fn differences(a: &MetricsRow, b: &MetricsRow) -> Vec<Difference> {
    let line = |label, help, f: fn(&MetricsRow) -> f64, up, down| Difference {
        label,
        help,
        a: f(a),
        b: f(b),
        up,
        down,
    };
    vec![
        line(
            "Gini (impressions)",
            "Inequality of impressions over creators: 0 = equal, 1 = one creator has everything.",
            |r| r.gini_impressions,
            "right less equal",
            "right more equal",
        ),
        line(
            "Note merit",
            "Rank correlation of note appeal with note impressions: the algorithm alone.",
            |r| r.note_meritocracy,
            "right rewards quality more",
            "right rewards quality less",
        ),
        line(
            "Creator merit",
            "Rank correlation of creator skill with creator impressions (mixes in how much they post).",
            |r| r.meritocracy,
            "right rewards skill more",
            "right rewards skill less",
        ),
        line(
            "Influencer advantage",
            "Rank correlation of followers at the start with impressions: how much a head start decides.",
            |r| r.influencer_advantage,
            "head start counts more on the right",
            "head start counts less on the right",
        ),
        line(
            "Newcomer breakthrough",
            "Share of notes by creators who started with 0 followers that reached stage 2 of the ladder.",
            |r| r.newcomer_breakthrough,
            "more newcomers break through on the right",
            "fewer newcomers break through on the right",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::collector::MetricsHistory;
    use crate::recommender::Recommender;
    use crate::sim::agents::Creators;
    use std::path::Path;

    /// A tiny world: 600 users, a few creators of every kind, one day of 10-minute ticks.
    fn tiny() -> Scenario {
        let mut s = crate::scenario::load(Path::new("scenarios/baseline.ron")).unwrap();
        s.days = 1.0;
        s.viewers.count = 600;
        s.viewers.arrivals_per_day = 20.0;
        for g in &mut s.creators {
            g.count = (g.count / 10).max(2);
        }
        s
    }

    /// The creator table, without the entity handles (a fork numbers its entities afresh).
    fn creators(held: &HeldWorld) -> String {
        let mut list = held.sim.world().resource::<Creators>().list.clone();
        for account in &mut list {
            account.entity = bevy::prelude::Entity::PLACEHOLDER;
        }
        format!("{list:?}")
    }

    fn rows(held: &HeldWorld) -> Vec<MetricsRow> {
        held.sim.world().resource::<MetricsHistory>().rows.clone()
    }

    fn active(held: &HeldWorld) -> PolicyKind {
        held.sim.world().resource::<Recommender>().active()
    }

    #[test]
    fn a_pair_is_one_population_under_two_policies() {
        let s = tiny();
        let policies = [PolicyKind::TrafficPool, PolicyKind::FollowerFeed];
        let mut worlds = Worlds::build(&s, Setup::Pair(policies));
        assert!(worlds.side_by_side());
        let [a, b] = [&worlds.list[0], &worlds.list[1]];
        assert_eq!((a.sim.tick(), b.sim.tick()), (0, 0));
        assert!(!creators(a).is_empty());
        assert_eq!(creators(a), creators(b), "creator tables differ at tick 0");
        assert_eq!(a.sim.scenario().seed, b.sim.scenario().seed);
        assert_eq!(
            [
                a.sim.scenario().recommender.policy,
                b.sim.scenario().recommender.policy
            ],
            policies
        );
        // Everything else in the scenarios is the same: the policy is the only difference.
        let mut same = b.sim.scenario().clone();
        same.recommender.policy = policies[0];
        assert_eq!(&same, a.sim.scenario());
        for _ in 0..72 {
            assert_eq!(worlds.step_all(), None);
        }
        assert_eq!(
            (active(&worlds.list[0]), active(&worlds.list[1])),
            (policies[0], policies[1])
        );
        assert_eq!(worlds.list[0].sim.tick(), 72);
        assert_ne!(
            rows(&worlds.list[0]),
            rows(&worlds.list[1]),
            "two policies, one outcome"
        );
        assert_eq!(worlds.fork, None);
    }

    #[test]
    fn a_planned_fork_happens_at_its_tick_and_the_worlds_part_there() {
        let s = tiny();
        let at = 60;
        let mut worlds = Worlds::build(
            &s,
            Setup::ForkAt {
                tick: at,
                policy: PolicyKind::FollowerFeed,
            },
        );
        let mut made = Vec::new();
        for step in 0..s.total_ticks() {
            assert_eq!(
                worlds.list.len(),
                if step <= at { 1 } else { 2 },
                "step {step}"
            );
            made.extend(worlds.step_all());
        }
        assert_eq!(made.len(), 1, "one fork, once");
        let mark = made[0];
        assert_eq!(worlds.fork, Some(mark));
        assert_eq!(mark.tick, at);
        assert!(
            (mark.hours - 10.0).abs() < 1e-9,
            "tick 60 of 10 minutes is hour 10"
        );
        assert_eq!(mark.label(), "fork, day 0.4");
        assert_eq!(
            (mark.kept, mark.switched_to),
            (s.recommender.policy, PolicyKind::FollowerFeed)
        );
        let (left, right) = (&worlds.list[0], &worlds.list[1]);
        assert_eq!(left.sim.tick(), right.sim.tick());
        assert_eq!(
            (active(left), active(right)),
            (s.recommender.policy, PolicyKind::FollowerFeed)
        );
        // The plots' histories: identical up to the fork, different after.
        let (l, r) = (rows(left), rows(right));
        let before = l.iter().take_while(|row| row.tick <= at).count();
        assert!(before >= 9 && l.len() == r.len() && l.len() > before);
        assert_eq!(l[..before], r[..before]);
        assert!(l[before..].iter().zip(&r[before..]).any(|(x, y)| x != y));
        // The fork's own policy marks end with the switch at the fork's hour.
        assert_eq!(
            right.cache.policy_marks.last(),
            Some(&(mark.hours, PolicyKind::FollowerFeed))
        );
        assert_eq!(left.cache.policy_marks.len(), 1);
    }

    #[test]
    fn forking_the_shown_world_keeps_it_on_the_left_and_shows_the_copy() {
        let s = tiny();
        let mut worlds = Worlds::build(
            &s,
            Setup::Pair([PolicyKind::Random, PolicyKind::Popularity]),
        );
        for _ in 0..30 {
            worlds.step_all();
        }
        worlds.shown = 1;
        let before = creators(&worlds.list[1]);
        let mark = worlds.fork_shown(PolicyKind::TrafficPool);
        assert_eq!(
            (mark.tick, mark.kept, mark.switched_to),
            (30, PolicyKind::Popularity, PolicyKind::TrafficPool)
        );
        assert_eq!(worlds.list.len(), 2);
        assert_eq!(worlds.shown, 1, "the copy is shown, so the panel edits it");
        assert_eq!(creators(&worlds.list[0]), before);
        assert_eq!(creators(&worlds.list[1]), before);
        assert_eq!(
            worlds.list[1].sim.scenario().recommender.policy,
            PolicyKind::TrafficPool
        );
        worlds.keep_shown();
        assert_eq!(
            (worlds.list.len(), worlds.shown, worlds.fork, worlds.setup),
            (1, 0, None, Setup::Single)
        );
        assert_eq!(
            worlds.list[0].sim.scenario().recommender.policy,
            PolicyKind::TrafficPool
        );
    }

    #[test]
    fn the_readout_is_b_minus_a_in_words() {
        let a = MetricsRow {
            gini_impressions: 0.5,
            note_meritocracy: 0.6,
            influencer_advantage: f64::NAN,
            ..Default::default()
        };
        let b = MetricsRow {
            gini_impressions: 0.8,
            note_meritocracy: 0.2,
            ..Default::default()
        };
        let d = differences(&a, &b);
        assert_eq!(d.len(), 5);
        assert!((d[0].b_minus_a() - 0.3).abs() < 1e-12);
        assert_eq!(d[0].reading(), "right less equal");
        assert_eq!(d[1].reading(), "right rewards quality less");
        assert_eq!(d[2].reading(), "", "no difference, no words");
        assert_eq!(d[3].reading(), "", "not a number, no words");
        assert_eq!(
            side_names([PolicyKind::TrafficPool, PolicyKind::FollowerFeed]),
            ["Traffic pool", "Follower feed"]
        );
        assert_eq!(
            side_names([PolicyKind::Random, PolicyKind::Random]),
            ["Random", "Random (right)"]
        );
    }
}
