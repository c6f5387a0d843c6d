//! Worlds as values and systems one at a time, in the shape of Bevy's own
//! `tests/how_to_test_systems.rs`: small worlds built here, one system or one tick, assertions on
//! components. Also: forking a world gives the same bytes as not forking it.

use bevy::ecs::system::RunSystemOnce;
use bevy::prelude::*;
use feedlab::feed::{FeedState, spread, sync_accounts};
use feedlab::output::{RunInfo, run_files};
use feedlab::recommender::Recommender;
use feedlab::scenario::{self, Action, PolicyKind, Scenario, TimelineEvent};
use feedlab::sim::agents::*;
use feedlab::sim::{Audience, Clock, ScenarioRes, TickStats};
use feedlab::simulation::Simulation;
use std::path::Path;

/// A small world: 1,500 users, a few creators of every kind, two days of 10-minute ticks.
fn small(seed: u64) -> Scenario {
    let mut s = scenario::load(Path::new("scenarios/baseline.ron")).expect("baseline loads");
    s.seed = seed;
    s.days = 2.0;
    s.viewers.count = 1_500;
    s.viewers.arrivals_per_day = 30.0;
    for g in &mut s.creators {
        g.count = (g.count / 5).max(3);
    }
    s
}

/// Every output file of a world, as bytes.
fn outputs(sim: &Simulation) -> Vec<(String, Vec<u8>)> {
    run_files(sim.world(), &RunInfo::default())
        .expect("outputs")
        .files
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "csv"))
        .map(|(p, b)| (p.display().to_string(), b))
        .collect()
}

#[test]
fn a_fork_run_on_gives_the_same_bytes_as_the_world_it_came_from() {
    let s = small(11);
    let mut whole = Simulation::new(&s);
    whole.run_to_end();

    let mut original = Simulation::new(&s);
    original.run(100);
    let mut fork = original.fork();
    assert_eq!(fork.tick(), 100);
    fork.run_to_end();
    original.run_to_end();
    assert!(whole.world().resource::<TickStats>().impressions > 0);
    assert_eq!(
        outputs(&fork),
        outputs(&whole),
        "fork differs from an unforked run"
    );
    assert_eq!(
        outputs(&original),
        outputs(&whole),
        "forking changed the original"
    );
}

#[test]
fn a_fork_with_another_policy_diverges_only_from_the_fork() {
    let s = small(12);
    let fork_at = 120;
    let mut left = Simulation::new(&s);
    left.run(fork_at);
    let mut right = left.fork();
    right.edit(|s| s.recommender.policy = PolicyKind::FollowerFeed);
    left.run_to_end();
    right.run_to_end();
    assert_eq!(
        right.world().resource::<Recommender>().active(),
        PolicyKind::FollowerFeed
    );
    assert_eq!(
        left.world().resource::<Recommender>().active(),
        PolicyKind::TrafficPool
    );
    let rows = |sim: &Simulation| {
        sim.world()
            .resource::<feedlab::metrics::collector::MetricsHistory>()
            .rows
            .clone()
    };
    let (l, r) = (rows(&left), rows(&right));
    let ticks_per_row = Clock::new(&s).hours_to_ticks(s.sample_every_hours).max(1);
    let shared = (fork_at / ticks_per_row) as usize;
    assert!(shared > 10 && l.len() == r.len());
    assert_eq!(
        l[..shared],
        r[..shared],
        "rows before the fork must be identical"
    );
    assert!(
        l[shared..].iter().zip(&r[shared..]).any(|(a, b)| a != b),
        "the policies never diverged after the fork"
    );
    // Notes posted before the fork are the same notes in both worlds.
    let notes = |sim: &Simulation| {
        sim.world()
            .resource::<Notes>()
            .list
            .iter()
            .take_while(|n| n.created_tick < fork_at)
            .map(|n| (n.creator, n.appeal.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(notes(&left), notes(&right));
}

#[test]
fn the_same_world_is_built_whatever_order_users_are_stored_in() {
    // Users who leave move to another table; a fork stores everyone in id order again. If a
    // result depended on storage order, the fork would drift from the original.
    let mut s = small(13);
    s.behaviour.churn_below = 0.45;
    s.behaviour.churn_chance = 0.5;
    let mut original = Simulation::new(&s);
    original.run(150);
    assert!(
        original.world().resource::<Users>().churned > 0,
        "nobody left: the test shows nothing"
    );
    let mut fork = original.fork();
    original.run_to_end();
    fork.run_to_end();
    assert_eq!(outputs(&fork), outputs(&original));
}

// --- One system at a time --------------------------------------------------------------------

/// A bare world with `n` users (no creators yet), the resources the feed's systems read.
fn bare_world(n: u32) -> World {
    let mut world = World::new();
    let mut s = small(1);
    s.behaviour.share_fanout = 2;
    let clock = Clock::new(&s);
    let mut audience = Audience::new(clock.topics);
    let mut entities = Vec::new();
    for id in 0..n {
        let interests = Interests {
            topics: [id as u8 % 4, 0, 0],
            interest: [1.0, 0.0, 0.0],
            n_topics: 1,
        };
        audience.add(&interests, 0.5);
        let circle = ShareCircle {
            members: [(id + 1) % n, (id + 2) % n, 0, 0, 0, 0, 0, 0],
            len: 2,
        };
        entities.push(
            world
                .spawn((
                    UserId(id),
                    interests,
                    Propensity([1.0; 5]),
                    SessionRhythm {
                        sessions_per_day: 5.0,
                        session_length: 10.0,
                    },
                    NextSession(0),
                    Satisfaction(0.5),
                    Memory::default(),
                    Inbox::default(),
                    Follows::default(),
                    circle,
                ))
                .id(),
        );
    }
    world.insert_resource(Users {
        entities,
        churned: 0,
    });
    world.insert_resource(Creators::default());
    world.insert_resource(audience);
    world.insert_resource(clock);
    world.insert_resource(ScenarioRes(s));
    world.insert_resource(FeedState::default());
    world
}

/// Makes user `user` a creator with `followers` followers.
fn make_creator(world: &mut World, user: u32, followers: u32) -> u32 {
    let entity = world.resource::<Users>().entities[user as usize];
    let id = world.resource::<Creators>().list.len() as u32;
    let creator = Creator {
        id,
        archetype: feedlab::scenario::Archetype::Regular,
        group: 0,
        skill: 0.5,
        promotional: 0.1,
        effort: 0.5,
        posts_per_day: 1.0,
        niche: [0, 0, 0],
        n_niche: 1,
        verified: false,
        formats: [1.0, 0.0, 0.0],
        joined_tick: 0,
    };
    let f = Followers {
        count: followers,
        initial: followers,
    };
    world
        .resource_mut::<Creators>()
        .list
        .push(Account::new(user, entity, &creator, &f));
    world.entity_mut(entity).insert((creator, f));
    id
}

#[test]
fn spread_puts_a_share_in_the_sharers_circle_and_counts_follows() {
    let mut world = bare_world(5);
    let creator = make_creator(&mut world, 4, 10);
    {
        let mut feed = world.resource_mut::<FeedState>();
        feed.shares = vec![(0, 77)];
        feed.follows = vec![(1, creator), (2, creator)];
    }
    world.run_system_once(spread).expect("spread runs");
    world.run_system_once(sync_accounts).expect("sync runs");
    let users = world.resource::<Users>().entities.clone();
    // User 0's circle is users 1 and 2, and the fanout is 2: both get the note, nobody else.
    for (id, expected) in [(0, false), (1, true), (2, true), (3, false), (4, false)] {
        let inbox = world.get::<Inbox>(users[id]).expect("inbox");
        assert_eq!(
            inbox.notes().contains(&77),
            expected,
            "user {id}: {:?}",
            inbox.notes()
        );
    }
    assert_eq!(
        world.get::<Followers>(users[4]).expect("followers").count,
        12
    );
    assert_eq!(
        world.resource::<Creators>().list[creator as usize].followers,
        12
    );
}

#[test]
fn spread_marks_leavers_churned_and_takes_them_out_of_the_audience() {
    let mut world = bare_world(4);
    let before = world.resource::<Audience>().active;
    world.resource_mut::<FeedState>().left = vec![1, 3];
    // A share to a circle holding a leaver does not reach them.
    world.resource_mut::<FeedState>().shares = vec![(0, 5)];
    world.run_system_once(spread).expect("spread runs");
    let users = world.resource::<Users>().entities.clone();
    assert!(world.get::<Churned>(users[1]).is_some() && world.get::<Churned>(users[3]).is_some());
    assert!(world.get::<Churned>(users[0]).is_none());
    assert_eq!(world.resource::<Audience>().active, before - 2);
    assert_eq!(world.resource::<Users>().churned, 2);
    assert!(
        !world
            .get::<Inbox>(users[1])
            .expect("inbox")
            .notes()
            .contains(&5)
    );
    assert!(
        world
            .get::<Inbox>(users[2])
            .expect("inbox")
            .notes()
            .contains(&5)
    );
}

#[test]
fn arrivals_spawn_users_with_every_component_and_count_them() {
    let mut s = small(3);
    s.viewers.arrivals_per_day = 14_400.0; // 100 per 10-minute tick
    for g in &mut s.creators {
        g.arrivals_per_day = 0.0;
    }
    let mut sim = Simulation::new(&s);
    let before = sim.world().resource::<Users>().len();
    let active = sim.world().resource::<Audience>().active;
    sim.world_mut()
        .run_system_once(feedlab::population::arrive)
        .expect("arrive runs");
    let users = sim.world().resource::<Users>().entities.clone();
    let joined = users.len() - before;
    assert!(
        (60..=140).contains(&joined),
        "{joined} joined, expected about 100"
    );
    assert_eq!(
        sim.world().resource::<Audience>().active as usize,
        active as usize + joined
    );
    for (id, &e) in users.iter().enumerate().skip(before) {
        let world = sim.world();
        assert_eq!(world.get::<UserId>(e).map(|u| u.0), Some(id as u32));
        assert!(
            world
                .get::<NextSession>(e)
                .is_some_and(|n| n.0 > 0 && n.0 < u32::MAX)
        );
        assert!(world.get::<ShareCircle>(e).is_some_and(|c| c.len > 0));
        assert!(world.get::<Creator>(e).is_none());
        // Exactly the user's components (the memory estimate counts on it).
        let components = world.entity(e).archetype().component_count();
        assert_eq!(components, USER_COMPONENTS);
    }
}

#[test]
fn a_dissatisfied_user_leaves_after_a_session_and_never_comes_back() {
    let mut s = small(4);
    s.behaviour.churn_below = 1.01; // everyone is below it
    s.behaviour.churn_chance = 1.0;
    s.viewers.arrivals_per_day = 0.0;
    let mut sim = Simulation::new(&s);
    sim.run(3);
    let world = sim.world();
    let users = world.resource::<Users>();
    assert!(users.churned > 0);
    let mut q = sim
        .world_mut()
        .query::<(&NextSession, Option<&Creator>, Has<Churned>)>();
    let world = sim.world();
    let mut churned = 0;
    for (next, creator, gone) in q.iter(world) {
        if gone {
            churned += 1;
            assert_eq!(next.0, u32::MAX);
            assert!(creator.is_none(), "creators never leave");
        }
    }
    assert_eq!(churned, world.resource::<Users>().churned);
    let audience = world.resource::<Audience>();
    assert_eq!(
        audience.active as usize,
        world.resource::<Users>().len() - churned as usize
    );
}

#[test]
fn a_follow_in_the_feed_reaches_the_creators_followers_component() {
    let s = small(5);
    let mut sim = Simulation::new(&s);
    let total = |sim: &mut Simulation| {
        let mut q = sim.world_mut().query::<&Followers>();
        q.iter(sim.world()).map(|f| f.count as u64).sum::<u64>()
    };
    let follows = |sim: &mut Simulation| {
        let mut q = sim.world_mut().query::<&Follows>();
        q.iter(sim.world()).map(|f| f.0.len() as u64).sum::<u64>()
    };
    let (f0, g0) = (total(&mut sim), follows(&mut sim));
    assert_eq!(f0, g0, "every follow edge is counted once at the start");
    sim.run(60);
    let (f1, g1) = (total(&mut sim), follows(&mut sim));
    assert!(f1 > f0, "nobody followed anyone in 60 ticks");
    assert_eq!(f1, g1, "follower counts and follow lists disagree");
    let accounts: u64 = sim
        .world()
        .resource::<Creators>()
        .list
        .iter()
        .map(|a| a.followers as u64)
        .sum();
    assert_eq!(accounts, f1, "the account table lags the components");
}

#[test]
fn timeline_events_edit_the_one_live_scenario() {
    let mut s = small(6);
    s.timeline = vec![
        TimelineEvent {
            day: 0.0,
            action: Action::Set {
                path: "recommender.traffic_pool.graduation_threshold".into(),
                value: "0.5".into(),
            },
        },
        TimelineEvent {
            day: 0.0,
            action: Action::SwitchPolicy(PolicyKind::Popularity),
        },
    ];
    let mut sim = Simulation::new(&s);
    assert_eq!(
        sim.world().resource::<Recommender>().active(),
        PolicyKind::TrafficPool
    );
    sim.world_mut()
        .run_system_once(feedlab::timeline::apply_timeline)
        .expect("timeline runs");
    let live = sim.scenario();
    assert_eq!(live.recommender.traffic_pool.graduation_threshold, 0.5);
    assert_eq!(live.recommender.policy, PolicyKind::Popularity);
    sim.step();
    assert_eq!(
        sim.world().resource::<Recommender>().active(),
        PolicyKind::Popularity
    );
}

/// One tick as the watching systems saw it (user ids, sorted).
struct Tick {
    /// Due for a session before the feed ran.
    due: Vec<u32>,
    /// Whose satisfaction, memory and next session the feed marked changed.
    changed: Vec<u32>,
    /// Whose follow list it marked changed.
    follows_changed: Vec<u32>,
    /// Whose follow list grew.
    grew: Vec<u32>,
    /// Whose inbox it marked changed.
    inbox_changed: Vec<u32>,
    /// Due users whose inbox had notes (the feed empties it).
    inbox_full: Vec<u32>,
}

/// What the watching systems saw, tick by tick.
#[derive(Resource, Default)]
struct Watched {
    ticks: Vec<Tick>,
    due: Vec<u32>,
    follows_before: Vec<usize>,
    inbox_full: Vec<u32>,
}

fn before_feed(
    users: Query<(&UserId, &NextSession, &Follows, &Inbox), Without<Churned>>,
    clock: Res<Clock>,
    mut w: ResMut<Watched>,
) {
    let mut due: Vec<u32> = users
        .iter()
        .filter(|(_, next, ..)| next.0 <= clock.tick)
        .map(|(id, ..)| id.0)
        .collect();
    due.sort_unstable();
    let mut full: Vec<u32> = users
        .iter()
        .filter(|(_, next, _, inbox)| next.0 <= clock.tick && !inbox.notes().is_empty())
        .map(|(id, ..)| id.0)
        .collect();
    full.sort_unstable();
    w.inbox_full = full;
    w.due = due;
    let mut lens = vec![
        0;
        users
            .iter()
            .map(|(id, ..)| id.0 as usize + 1)
            .max()
            .unwrap_or(0)
    ];
    for (id, _, follows, _) in &users {
        lens[id.0 as usize] = follows.0.len();
    }
    w.follows_before = lens;
}

type Changes = (
    &'static UserId,
    Ref<'static, Satisfaction>,
    Ref<'static, Memory>,
    Ref<'static, NextSession>,
    Ref<'static, Follows>,
    Ref<'static, Inbox>,
);

fn after_feed(users: Query<Changes>, mut w: ResMut<Watched>) {
    let mut changed = Vec::new();
    let mut follows_changed = Vec::new();
    let mut grew = Vec::new();
    let mut inbox_changed = Vec::new();
    for (id, satisfaction, memory, next, follows, inbox) in &users {
        if satisfaction.is_added() {
            // Joined this tick (a creator arriving): new, not scrolled.
            continue;
        }
        let all = [
            satisfaction.is_changed(),
            memory.is_changed(),
            next.is_changed(),
        ];
        assert!(all.iter().all(|&c| c == all[0]), "user {}: {all:?}", id.0);
        if all[0] {
            changed.push(id.0);
        }
        if follows.is_changed() {
            follows_changed.push(id.0);
        }
        if inbox.is_changed() {
            inbox_changed.push(id.0);
        }
        if w.follows_before
            .get(id.0 as usize)
            .is_some_and(|&n| follows.0.len() > n)
        {
            grew.push(id.0);
        }
    }
    changed.sort_unstable();
    follows_changed.sort_unstable();
    grew.sort_unstable();
    inbox_changed.sort_unstable();
    let due = std::mem::take(&mut w.due);
    let inbox_full = std::mem::take(&mut w.inbox_full);
    w.ticks.push(Tick {
        due,
        changed,
        follows_changed,
        grew,
        inbox_changed,
        inbox_full,
    });
}

#[test]
fn the_feed_marks_changed_exactly_the_users_who_scrolled() {
    use feedlab::sim::TickSet;
    let mut s = small(6);
    s.viewers.arrivals_per_day = 0.0;
    s.timeline.clear();
    let mut sim = Simulation::with_plugins(&s, |app: &mut App| {
        app.init_resource::<Watched>().add_systems(
            feedlab::sim::SimTick,
            (
                before_feed.in_set(TickSet::Expose),
                after_feed.after(TickSet::React).before(TickSet::Spread),
            ),
        );
    });
    sim.run(40);
    let watched = sim.world().resource::<Watched>();
    let (mut sessions, mut follows, mut emptied) = (0, 0, 0);
    // The first tick: everything was just added, so everything counts as changed.
    for (tick, t) in watched.ticks.iter().enumerate().skip(1) {
        assert_eq!(t.due, t.changed, "tick {tick}: changed is not due");
        assert_eq!(t.follows_changed, t.grew, "tick {tick}: follow lists");
        // Friends' shares arrive in `Spread` (and mark inboxes too); of the users due, the
        // feed marks exactly those whose inbox it emptied.
        let due_inboxes: Vec<u32> = t
            .inbox_changed
            .iter()
            .copied()
            .filter(|id| t.due.binary_search(id).is_ok())
            .collect();
        assert_eq!(due_inboxes, t.inbox_full, "tick {tick}: inboxes");
        sessions += t.due.len();
        follows += t.grew.len();
        emptied += t.inbox_full.len();
    }
    assert!(sessions > 1_000, "{sessions} sessions");
    assert!(follows > 0, "nobody followed anyone");
    assert!(emptied > 0, "no inbox had notes");
}
