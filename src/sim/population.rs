//! Building the population from a scenario: viewers with interests and social circles, creator
//! groups of each archetype, and the initial follow graph; also new arrivals over time.

use super::Clock;
use super::agents::*;
use super::rng::{SimRng, Stream, normal, stream};
use super::sessions::schedule_next_session;
use crate::scenario::{CreatorGroup, Dist, Scenario};
use rand::Rng;
use rayon::prelude::*;

/// Topic popularity: a gentle Zipf curve, so some topics have larger audiences than others.
pub fn topic_popularity(topics: u32) -> Vec<f64> {
    let raw: Vec<f64> = (0..topics).map(|k| 1.0 / (1.0 + 0.35 * k as f64)).collect();
    let total: f64 = raw.iter().sum();
    raw.iter().map(|w| w / total).collect()
}

fn draw_topic(rng: &mut SimRng, cumulative: &[f64]) -> u8 {
    let u: f64 = rng.random();
    cumulative
        .partition_point(|&c| c <= u)
        .min(cumulative.len() - 1) as u8
}

fn cumulative(weights: &[f64]) -> Vec<f64> {
    let mut acc = 0.0;
    weights
        .iter()
        .map(|w| {
            acc += w;
            acc
        })
        .collect()
}

/// Draws `n` distinct topics by popularity.
fn distinct_topics(rng: &mut SimRng, cumulative: &[f64], n: usize) -> ([u8; 3], u8) {
    let mut out = [0u8; 3];
    let mut len = 0usize;
    let want = n.min(cumulative.len()).min(3);
    let mut tries = 0;
    while len < want && tries < 64 {
        let t = draw_topic(rng, cumulative);
        if !out[..len].contains(&t) {
            out[len] = t;
            len += 1;
        }
        tries += 1;
    }
    (out, len as u8)
}

pub fn sample(dist: &Dist, rng: &mut SimRng) -> f64 {
    match *dist {
        Dist::Fixed(v) => v,
        Dist::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
        Dist::Normal { mean, sd } => mean + sd * normal(rng),
        Dist::LogNormal { median, sigma } => median * libm::exp(sigma * normal(rng)),
    }
}

/// Makes one viewer with random interests and propensities.
pub fn new_viewer(rng: &mut SimRng, scenario: &Scenario, topic_cdf: &[f64]) -> Viewer {
    let cfg = &scenario.viewers;
    let (topics, n_topics) = distinct_topics(rng, topic_cdf, cfg.interests as usize);
    const MATCH: [f32; 3] = [1.0, 0.6, 0.35];
    let mut interest = [0.0f32; 3];
    interest[..n_topics as usize].copy_from_slice(&MATCH[..n_topics as usize]);
    let mut propensity = [0.0f32; 5];
    for p in &mut propensity {
        *p = libm::exp(0.4 * normal(rng)) as f32;
    }
    Viewer {
        topics,
        interest,
        n_topics,
        active: true,
        inbox_len: 0,
        propensity,
        sessions_per_day: (cfg.sessions_per_day * libm::exp(0.5 * normal(rng) - 0.125)) as f32,
        session_length: (cfg.session_length * libm::exp(0.3 * normal(rng) - 0.045)) as f32,
        satisfaction: (0.5 + 0.1 * normal(rng)).clamp(0.2, 0.8) as f32,
        creator: NONE,
        seen_pos: 0,
        recent_pos: 0,
        seen: [fingerprint(NONE); SEEN_MEMORY],
        recent_creators: [NONE; CREATOR_MEMORY],
        inbox: [NONE; INBOX],
        follows: Vec::new(),
    }
}

/// Makes a viewer who joins at `now` and the tick of their first session.
pub fn join(
    rng: &mut SimRng,
    scenario: &Scenario,
    topic_cdf: &[f64],
    now: u32,
    clock: &Clock,
) -> (Viewer, u32) {
    let viewer = new_viewer(rng, scenario, topic_cdf);
    let next = schedule_next_session(&viewer, now, clock, rng);
    (viewer, next)
}

/// Fills a viewer's circle (the people who see what they share), half from their main topic.
fn draw_circle(
    rng: &mut SimRng,
    me: u32,
    circle: u32,
    population: u32,
    by_topic: &[Vec<u32>],
    topic: u8,
) -> ShareCircle {
    let mut out = [NONE; MAX_CIRCLE];
    let mut len = 0usize;
    let want = (circle as usize)
        .min(MAX_CIRCLE)
        .min(population.saturating_sub(1) as usize);
    let mut tries = 0;
    while len < want && tries < 4 * MAX_CIRCLE {
        tries += 1;
        let pool = &by_topic[topic as usize];
        let other = if rng.random::<bool>() && !pool.is_empty() {
            pool[rng.random_range(0..pool.len())]
        } else {
            rng.random_range(0..population)
        };
        if other != me && !out[..len].contains(&other) {
            out[len] = other;
            len += 1;
        }
    }
    ShareCircle {
        members: out,
        len: len as u8,
    }
}

/// Viewers of each topic, by id, for drawing followers and circles with some homophily.
pub fn viewers_by_topic(viewers: &[Viewer], topics: u32) -> Vec<Vec<u32>> {
    let mut by_topic = vec![Vec::new(); topics as usize];
    for (id, v) in viewers.iter().enumerate() {
        for &t in &v.topics[..v.n_topics as usize] {
            by_topic[t as usize].push(id as u32);
        }
    }
    by_topic
}

/// Builds viewers, creators and the initial follow graph. Who exists is drawn from the
/// population seed; when each viewer first opens the app is part of what happens (the run seed).
pub fn build(scenario: &Scenario, clock: &Clock) -> (Viewers, Creators) {
    let topic_cdf = cumulative(&topic_popularity(scenario.topics));
    let count = scenario.viewers.count;
    let population_seed = scenario.population_seed();
    // Each viewer has its own stream, so both cores build them straight into place.
    let mut viewers = Viewers::default();
    (0..count)
        .into_par_iter()
        .map(|id| {
            let mut rng = stream(population_seed, Stream::Population, 10, id as u64);
            new_viewer(&mut rng, scenario, &topic_cdf)
        })
        .collect_into_vec(&mut viewers.list);
    let mut creators = Creators::default();
    let mut next_user = 0u32;
    for (group_index, group) in scenario.creators.iter().enumerate() {
        let mut group_rng = stream(population_seed, Stream::Population, 1, group_index as u64);
        let users: Vec<u32> = (next_user..next_user + group.count).collect();
        next_user += group.count;
        add_creators(
            &mut creators,
            &mut viewers,
            group,
            group_index as u32,
            &users,
            &topic_cdf,
            0,
            &mut group_rng,
        );
    }
    let by_topic = viewers_by_topic(&viewers.list, scenario.topics);
    viewers.circles = viewers
        .list
        .par_iter()
        .enumerate()
        .map(|(id, viewer)| {
            let mut rng = stream(population_seed, Stream::Population, 2, id as u64);
            draw_circle(
                &mut rng,
                id as u32,
                scenario.viewers.circle,
                count,
                &by_topic,
                viewer.topics[0],
            )
        })
        .collect();
    follow_new_creators(
        population_seed,
        &mut creators,
        0,
        &mut viewers,
        Some(&by_topic),
    );
    viewers.next_session = viewers
        .list
        .par_iter()
        .enumerate()
        .map(|(id, viewer)| {
            let mut rng = stream(scenario.seed, Stream::Arrivals, u64::MAX, id as u64);
            first_session(viewer, clock, &mut rng)
        })
        .collect();
    (viewers, creators)
}

/// The first session of a viewer present from the start: any tick from the first one on.
fn first_session(viewer: &Viewer, clock: &Clock, rng: &mut SimRng) -> u32 {
    // A session process already running before the start: the next event after tick -1.
    schedule_next_session(viewer, 0, clock, rng).saturating_sub(1)
}

/// Adds a group of creators on the given users; the users' interests become the creators' niches.
#[allow(clippy::too_many_arguments)]
pub fn add_creators(
    creators: &mut Creators,
    viewers: &mut Viewers,
    group: &CreatorGroup,
    group_index: u32,
    users: &[u32],
    topic_cdf: &[f64],
    now: u32,
    rng: &mut SimRng,
) {
    let total_formats =
        (group.formats.carousel + group.formats.video + group.formats.live).max(1e-9);
    for &user in users {
        let (niche, n_niche) = distinct_topics(rng, topic_cdf, group.niche_topics as usize);
        let id = creators.list.len() as u32;
        let initial_followers = sample(&group.followers, rng)
            .round()
            .clamp(0.0, (viewers.list.len() / 2) as f64) as u32;
        creators.list.push(Creator {
            user,
            archetype: group.archetype,
            group: group_index,
            skill: sample(&group.skill, rng).clamp(0.01, 1.0) as f32,
            promotional: sample(&group.promotional, rng).clamp(0.0, 1.0) as f32,
            effort: group.effort as f32,
            posts_per_day: group.posts_per_day as f32,
            niche,
            n_niche,
            verified: group.verified,
            formats: [
                (group.formats.carousel / total_formats) as f32,
                (group.formats.video / total_formats) as f32,
                (group.formats.live / total_formats) as f32,
            ],
            initial_followers,
            followers: 0,
            authority: 1.0,
            posts: 0,
            joined_tick: now,
            latest: [NONE; 3],
        });
        let viewer = &mut viewers.list[user as usize];
        viewer.creator = id;
        viewer.topics = niche;
        viewer.n_topics = n_niche;
        viewer.interest = [1.0, 0.6, 0.35];
    }
}

/// Gives creators `first..` their initial followers: each draws them (80% from its niche's
/// audience) from its own stream, in parallel; the edges are then sorted by viewer, duplicates
/// dropped, and added to the viewers' follow lists. The creators' follower counts are what
/// survives. Used for the population at the start (with `by_topic`, the viewers of each topic)
/// and for creators who join later (without: niche viewers are found by drawing viewers until
/// one has the topic, which costs nothing per viewer in the population).
pub fn follow_new_creators(
    seed: u64,
    creators: &mut Creators,
    first: usize,
    viewers: &mut Viewers,
    by_topic: Option<&[Vec<u32>]>,
) {
    let population = viewers.list.len() as u32;
    let list = &viewers.list;
    let mut edges: Vec<u64> = creators.list[first..]
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, creator)| {
            let c = first + i;
            let mut rng = stream(seed, Stream::Population, 3, c as u64);
            let topic = creator.niche[0];
            let audience = by_topic.map(|t| &t[topic as usize]);
            let me = creator.user;
            (0..creator.initial_followers).filter_map(move |_| {
                let from_niche = rng.random::<f64>() < 0.8;
                let v = match audience {
                    Some(a) if from_niche && !a.is_empty() => a[rng.random_range(0..a.len())],
                    None if from_niche => {
                        let mut v = rng.random_range(0..population);
                        for _ in 0..64 {
                            if list[v as usize].interest_in(topic) > 0.0 {
                                break;
                            }
                            v = rng.random_range(0..population);
                        }
                        v
                    }
                    _ => rng.random_range(0..population),
                };
                (v != me).then_some(((v as u64) << 32) | c as u64)
            })
        })
        .collect();
    edges.par_sort_unstable();
    edges.dedup();
    for edge in edges {
        let (viewer, c) = ((edge >> 32) as usize, edge as u32);
        let follows = &mut viewers.list[viewer].follows;
        if follows.len() < MAX_FOLLOWS && !follows.contains(&c) {
            follows.push(c);
            creators.list[c as usize].followers += 1;
        }
    }
    for creator in &mut creators.list[first..] {
        creator.initial_followers = creator.followers;
    }
}

/// New users joining during the run (Poisson arrivals per tick).
pub fn arrivals(scenario: &Scenario, viewers: &mut Viewers, clock: &Clock) -> u32 {
    let mut rng = stream(scenario.seed, Stream::Arrivals, clock.tick as u64, 0);
    let per_tick = scenario.viewers.arrivals_per_day / clock.ticks_per_day;
    let n = super::rng::poisson(&mut rng, per_tick);
    if n == 0 {
        return 0;
    }
    let topic_cdf = cumulative(&topic_popularity(scenario.topics));
    let population = viewers.list.len() as u32;
    for _ in 0..n {
        let (v, next) = join(&mut rng, scenario, &topic_cdf, clock.tick, clock);
        let mut circle = ShareCircle::default();
        if population > 0 {
            let want = (scenario.viewers.circle as usize).min(MAX_CIRCLE);
            for slot in 0..want {
                circle.members[slot] = rng.random_range(0..population);
            }
            circle.len = want as u8;
        }
        viewers.push(v, next, circle);
    }
    n
}

/// Cumulative topic popularity, for callers that add creators during a run.
pub fn topic_cdf(topics: u32) -> Vec<f64> {
    cumulative(&topic_popularity(topics))
}

/// `count` creators of `group` join the platform now: new users whose interests become their
/// niches, with their initial followers (timeline `AddCreators` and creator arrivals).
#[allow(clippy::too_many_arguments)]
pub fn creators_join(
    scenario: &Scenario,
    viewers: &mut Viewers,
    creators: &mut Creators,
    audience: &mut super::Audience,
    (group, group_index): (&CreatorGroup, u32),
    count: u32,
    clock: &Clock,
    rng: &mut SimRng,
) {
    if count == 0 {
        return;
    }
    let cdf = topic_cdf(scenario.topics);
    let first = viewers.list.len() as u32;
    for _ in 0..count {
        let (viewer, next) = join(rng, scenario, &cdf, clock.tick, clock);
        viewers.push(viewer, next, ShareCircle::default());
    }
    let users: Vec<u32> = (first..first + count).collect();
    let first_creator = creators.list.len();
    add_creators(
        creators,
        viewers,
        group,
        group_index,
        &users,
        &cdf,
        clock.tick,
        rng,
    );
    for &user in &users {
        audience.add(&viewers.list[user as usize]);
    }
    let seed = rng.random::<u64>();
    follow_new_creators(seed, creators, first_creator, viewers, None);
}
