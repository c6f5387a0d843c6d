//! The population: users with interests and social circles, creator groups of each archetype and
//! the initial follow graph, spawned as entities when the world is built (`populate`); new users
//! and creators arriving during the run (`arrive`, in `Post`).

use crate::scenario::{CreatorGroup, Dist, Scenario};
use crate::sim::agents::*;
use crate::sim::par::prelude::*;
use crate::sim::rng::{SimRng, Stream, normal, stream};
use crate::sim::sessions::schedule_next_session;
use crate::sim::{Audience, Clock, ScenarioRes, SimTick, TickSet};
use bevy::prelude::*;
use rand::Rng;

/// Adds arrivals of users and creators to `Post`.
pub struct PopulationPlugin;

impl Plugin for PopulationPlugin {
    fn build(&self, app: &mut App) {
        app.add_systems(SimTick, arrive.in_set(TickSet::Post));
    }
}

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

/// Draws one user with random interests and propensities (first session not yet set).
pub fn new_user(rng: &mut SimRng, scenario: &Scenario, topic_cdf: &[f64]) -> NewUser {
    let cfg = &scenario.viewers;
    let (topics, n_topics) = distinct_topics(rng, topic_cdf, cfg.interests as usize);
    const MATCH: [f32; 3] = [1.0, 0.6, 0.35];
    let mut interest = [0.0f32; 3];
    interest[..n_topics as usize].copy_from_slice(&MATCH[..n_topics as usize]);
    let mut propensity = [0.0f32; 5];
    for p in &mut propensity {
        *p = libm::exp(0.4 * normal(rng)) as f32;
    }
    NewUser {
        interests: Interests {
            topics,
            interest,
            n_topics,
        },
        propensity: Propensity(propensity),
        rhythm: SessionRhythm {
            sessions_per_day: (cfg.sessions_per_day * libm::exp(0.5 * normal(rng) - 0.125)) as f32,
            session_length: (cfg.session_length * libm::exp(0.3 * normal(rng) - 0.045)) as f32,
        },
        satisfaction: Satisfaction((0.5 + 0.1 * normal(rng)).clamp(0.2, 0.8) as f32),
        follows: Follows::default(),
        circle: ShareCircle::default(),
        next_session: u32::MAX,
    }
}

/// Draws a user who joins at `now`, with the tick of their first session.
pub fn join(
    rng: &mut SimRng,
    scenario: &Scenario,
    topic_cdf: &[f64],
    now: u32,
    clock: &Clock,
) -> NewUser {
    let mut user = new_user(rng, scenario, topic_cdf);
    user.next_session = schedule_next_session(&user.rhythm, user.satisfaction.0, now, clock, rng);
    user
}

/// Fills a user's circle (the people who see what they share), half from their main topic.
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

/// Users of each topic, by id, for drawing followers and circles with some homophily.
fn users_by_topic(users: &[NewUser], topics: u32) -> Vec<Vec<u32>> {
    let mut by_topic = vec![Vec::new(); topics as usize];
    for (id, v) in users.iter().enumerate() {
        for &t in v.interests.topics() {
            by_topic[t as usize].push(id as u32);
        }
    }
    by_topic
}

/// A creator drawn from its group, before it is spawned on its user.
struct NewCreator {
    user: u32,
    creator: Creator,
    /// Followers to draw (the count that survives de-duplication becomes `Followers`).
    wanted_followers: u32,
    followers: Followers,
}

/// Builds the population of a scenario and spawns it: users in id order, creators on their
/// users' entities, and the `Users`, `Creators` and `Audience` resources. Who exists is drawn
/// from the population seed; when each user first opens the app is part of what happens (the run
/// seed).
pub fn populate(world: &mut World, scenario: &Scenario, clock: &Clock) {
    let topic_cdf = cumulative(&topic_popularity(scenario.topics));
    let count = scenario.viewers.count;
    let population_seed = scenario.population_seed();
    // Each user has its own stream, so both cores draw them straight into place.
    let mut users: Vec<NewUser> = Vec::new();
    (0..count)
        .into_par_iter()
        .map(|id| {
            let mut rng = stream(population_seed, Stream::Population, 10, id as u64);
            new_user(&mut rng, scenario, &topic_cdf)
        })
        .collect_into_vec(&mut users);
    let mut creators: Vec<NewCreator> = Vec::new();
    let mut next_user = 0u32;
    for (group_index, group) in scenario.creators.iter().enumerate() {
        let mut group_rng = stream(population_seed, Stream::Population, 1, group_index as u64);
        let ids: Vec<u32> = (next_user..next_user + group.count).collect();
        next_user += group.count;
        for &user in &ids {
            let c = draw_creator(
                &mut group_rng,
                group,
                group_index as u32,
                creators.len() as u32,
                &topic_cdf,
                count,
                0,
            );
            make_creator(&mut users[user as usize], &c);
            creators.push(NewCreator {
                user,
                wanted_followers: c.1,
                creator: c.0,
                followers: Followers::default(),
            });
        }
    }
    let by_topic = users_by_topic(&users, scenario.topics);
    users.par_iter_mut().enumerate().for_each(|(id, user)| {
        let mut rng = stream(population_seed, Stream::Population, 2, id as u64);
        user.circle = draw_circle(
            &mut rng,
            id as u32,
            scenario.viewers.circle,
            count,
            &by_topic,
            user.interests.topics[0],
        );
    });
    users.par_iter_mut().enumerate().for_each(|(id, user)| {
        let mut rng = stream(scenario.seed, Stream::Arrivals, u64::MAX, id as u64);
        // A session process already running before the start: the next event after tick -1.
        user.next_session =
            schedule_next_session(&user.rhythm, user.satisfaction.0, 0, clock, &mut rng)
                .saturating_sub(1);
    });

    let mut audience = Audience::new(clock.topics);
    for user in &users {
        audience.add(&user.interests, user.satisfaction.0);
    }
    // Spawning is one thread's work (this one's); the follow graph is drawn beside it on the
    // pool when that does not hold too much at once, else before it, and written into the
    // spawned users' `Follows` afterwards.
    let spawn = |world: &mut World, users: Vec<NewUser>| -> Vec<Entity> {
        world
            .spawn_batch(
                users
                    .into_iter()
                    .enumerate()
                    .map(|(id, user)| user.bundle(id as u32)),
            )
            .collect()
    };
    let draw_lists = || {
        let edges = draw_follows(population_seed, &creators, 0, count, |topic, rng| {
            let a = &by_topic[topic as usize];
            (!a.is_empty()).then(|| a[rng.random_range(0..a.len())])
        });
        follow_lists(&edges, count)
    };
    let drawn: f64 = creators.iter().map(|c| c.wanted_followers as f64).sum();
    let (entities, lists) = if follows_beside_spawn(drawn, count as f64) {
        crate::sim::par::beside(|| spawn(world, users), draw_lists)
    } else {
        let lists = draw_lists();
        (spawn(world, users), lists)
    };
    let mut users_follows = world.query::<(&UserId, &mut Follows)>();
    for (ids, mut follows) in users_follows
        .contiguous_iter_mut(world)
        .expect("user components are stored in tables")
    {
        follows
            .par_iter_mut()
            .zip(ids)
            .for_each(|(f, id)| f.0 = lists.of(id.0 as usize).to_vec());
    }
    for &c in &lists.creators {
        creators[c as usize].followers.count += 1;
    }
    drop(lists);
    let mut accounts = Creators::default();
    for mut c in creators {
        c.followers.initial = c.followers.count;
        let entity = entities[c.user as usize];
        accounts
            .list
            .push(Account::new(c.user, entity, &c.creator, &c.followers));
        world.entity_mut(entity).insert((c.creator, c.followers));
    }
    world.insert_resource(Users {
        entities,
        churned: 0,
    });
    world.insert_resource(accounts);
    world.insert_resource(audience);
}

/// Whether `populate` draws the starting follow graph beside the spawn of `users` users (on the
/// pool, while the calling thread spawns) rather than before it. Beside it, the drawing's time is
/// hidden, but the edge list and the spawned users are held at once; so only when the edges
/// (8 bytes per follow drawn) take no more memory than the users' components: a world of big
/// accounts draws its follows first and keeps its peak. `memory::estimate` asks the same.
pub fn follows_beside_spawn(follows_drawn: f64, users: f64) -> bool {
    follows_drawn * std::mem::size_of::<u64>() as f64
        <= users * std::mem::size_of::<UserBundle>() as f64
}

/// Draws one creator of `group` (its profile and how many followers it starts with).
fn draw_creator(
    rng: &mut SimRng,
    group: &CreatorGroup,
    group_index: u32,
    id: u32,
    topic_cdf: &[f64],
    population: u32,
    now: u32,
) -> (Creator, u32) {
    let total_formats =
        (group.formats.carousel + group.formats.video + group.formats.live).max(1e-9);
    let (niche, n_niche) = distinct_topics(rng, topic_cdf, group.niche_topics as usize);
    let wanted = sample(&group.followers, rng)
        .round()
        .clamp(0.0, (population / 2) as f64) as u32;
    let creator = Creator {
        id,
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
        joined_tick: now,
    };
    (creator, wanted)
}

/// A creator's niches become their user's interests.
fn make_creator(user: &mut NewUser, c: &(Creator, u32)) {
    user.interests = Interests {
        topics: c.0.niche,
        interest: [1.0, 0.6, 0.35],
        n_topics: c.0.n_niche,
    };
}

/// Draws the initial followers of creators `first..` (creator ids): each draws them (80% from
/// its niche's audience, found by `niche_user`) from its own stream, in parallel; the edges
/// `(user << 32) | creator` come back in creator order, duplicates included.
fn draw_follows(
    seed: u64,
    creators: &[NewCreator],
    first: usize,
    population: u32,
    niche_user: impl Fn(u8, &mut SimRng) -> Option<u32> + Sync,
) -> Vec<u64> {
    creators
        .par_iter()
        .enumerate()
        .flat_map_iter(|(i, c)| {
            let id = first + i;
            let mut rng = stream(seed, Stream::Population, 3, id as u64);
            let topic = c.creator.niche[0];
            let me = c.user;
            let niche_user = &niche_user;
            (0..c.wanted_followers).filter_map(move |_| {
                let from_niche = rng.random::<f64>() < 0.8;
                let v = if from_niche {
                    niche_user(topic, &mut rng).unwrap_or_else(|| rng.random_range(0..population))
                } else {
                    rng.random_range(0..population)
                };
                (v != me).then_some(((v as u64) << 32) | id as u64)
            })
        })
        .collect()
}

/// Every user's follow list, drawn edges bucketed by user: each list in creator order, without
/// duplicates, at most `MAX_FOLLOWS` long (as if the edges were sorted and followed one by one).
/// A counting sort by user: two passes over the edges, no sort of the whole list.
struct FollowLists {
    /// `creators[start[u]..start[u + 1]]` are user `u`'s follows.
    start: Vec<usize>,
    creators: Vec<u32>,
}

impl FollowLists {
    fn of(&self, user: usize) -> &[u32] {
        &self.creators[self.start[user]..self.start[user + 1]]
    }
}

fn follow_lists(edges: &[u64], population: u32) -> FollowLists {
    let users = population as usize;
    let mut next = vec![0usize; users + 1];
    for &e in edges {
        next[(e >> 32) as usize + 1] += 1;
    }
    for u in 0..users {
        next[u + 1] += next[u];
    }
    let mut bucketed = vec![0u32; edges.len()];
    let mut fill = next.clone();
    for &e in edges {
        let slot = &mut fill[(e >> 32) as usize];
        bucketed[*slot] = e as u32;
        *slot += 1;
    }
    drop(fill);
    // Sort and de-duplicate each user's bucket, then close the gaps.
    let mut lens = vec![0usize; users];
    {
        let mut rest = bucketed.as_mut_slice();
        let mut buckets = Vec::with_capacity(users);
        for u in 0..users {
            let (bucket, tail) = rest.split_at_mut(next[u + 1] - next[u]);
            buckets.push(bucket);
            rest = tail;
        }
        buckets
            .into_par_iter()
            .zip(lens.par_iter_mut())
            .for_each(|(bucket, len)| {
                bucket.sort_unstable();
                let mut kept = 0;
                for i in 0..bucket.len() {
                    if kept < MAX_FOLLOWS && (kept == 0 || bucket[i] != bucket[kept - 1]) {
                        bucket[kept] = bucket[i];
                        kept += 1;
                    }
                }
                *len = kept;
            });
    }
    let mut start = Vec::with_capacity(users + 1);
    start.push(0);
    let mut write = 0;
    for u in 0..users {
        bucketed.copy_within(next[u]..next[u] + lens[u], write);
        write += lens[u];
        start.push(write);
    }
    bucketed.truncate(write);
    FollowLists {
        start,
        creators: bucketed,
    }
}

/// New users joining during the run (Poisson arrivals per tick), and creator groups that keep
/// growing.
pub fn arrive(world: &mut World) {
    let scenario = world.resource::<ScenarioRes>().0.clone();
    let clock = world.resource::<Clock>().clone();
    let s = &scenario;
    let mut rng = stream(s.seed, Stream::Arrivals, clock.tick as u64, 0);
    let n = crate::sim::rng::poisson(&mut rng, s.viewers.arrivals_per_day / clock.ticks_per_day);
    if n > 0 {
        let topic_cdf = topic_cdf(s.topics);
        let population = world.resource::<Users>().len() as u32;
        let mut joined = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let mut user = join(&mut rng, s, &topic_cdf, clock.tick, &clock);
            if population > 0 {
                let want = (s.viewers.circle as usize).min(MAX_CIRCLE);
                for slot in 0..want {
                    user.circle.members[slot] = rng.random_range(0..population);
                }
                user.circle.len = want as u8;
            }
            joined.push(user);
        }
        spawn_users(world, joined);
    }
    // Each growing creator group draws its newcomers from its own stream.
    for (g, group) in s.creators.iter().enumerate() {
        if group.arrivals_per_day <= 0.0 {
            continue;
        }
        let mut rng = stream(s.seed, Stream::Arrivals, clock.tick as u64, 1 + g as u64);
        let n = crate::sim::rng::poisson(&mut rng, group.arrivals_per_day / clock.ticks_per_day);
        creators_join(world, s, (group, g as u32), n, &clock, &mut rng);
    }
}

/// Spawns users who joined now (ids follow on), counts them in the audience; returns the first
/// new id.
fn spawn_users(world: &mut World, joined: Vec<NewUser>) -> u32 {
    let first = world.resource::<Users>().len() as u32;
    {
        let mut audience = world.resource_mut::<Audience>();
        for user in &joined {
            audience.add(&user.interests, user.satisfaction.0);
        }
    }
    let entities: Vec<Entity> = world
        .spawn_batch(
            joined
                .into_iter()
                .enumerate()
                .map(|(k, user)| user.bundle(first + k as u32)),
        )
        .collect();
    world.resource_mut::<Users>().entities.extend(entities);
    first
}

/// Cumulative topic popularity, for callers that add creators during a run.
pub fn topic_cdf(topics: u32) -> Vec<f64> {
    cumulative(&topic_popularity(topics))
}

/// `count` creators of `group` join the platform now: new users whose interests become their
/// niches, with their initial followers (timeline `AddCreators` and creator arrivals). Niche
/// followers are found by drawing users until one has the topic, which costs nothing per user
/// in the population.
pub fn creators_join(
    world: &mut World,
    scenario: &Scenario,
    (group, group_index): (&CreatorGroup, u32),
    count: u32,
    clock: &Clock,
    rng: &mut SimRng,
) {
    if count == 0 {
        return;
    }
    let cdf = topic_cdf(scenario.topics);
    let population = world.resource::<Users>().len() as u32 + count;
    let first_creator = world.resource::<Creators>().list.len();
    let mut joined = Vec::with_capacity(count as usize);
    for _ in 0..count {
        joined.push(join(rng, scenario, &cdf, clock.tick, clock));
    }
    let first_user = world.resource::<Users>().len() as u32;
    let mut creators = Vec::with_capacity(count as usize);
    for (k, user) in joined.iter_mut().enumerate() {
        let c = draw_creator(
            rng,
            group,
            group_index,
            (first_creator + k) as u32,
            &cdf,
            population,
            clock.tick,
        );
        make_creator(user, &c);
        creators.push(NewCreator {
            user: first_user + k as u32,
            wanted_followers: c.1,
            creator: c.0,
            followers: Followers::default(),
        });
    }
    spawn_users(world, joined);
    let seed = rng.random::<u64>();
    let users = world.resource::<Users>().entities.clone();
    let edges = {
        let interests = |v: u32| world.get::<Interests>(users[v as usize]);
        draw_follows(seed, &creators, first_creator, population, |topic, rng| {
            let mut v = rng.random_range(0..population);
            for _ in 0..64 {
                if interests(v).is_some_and(|i| i.interest_in(topic) > 0.0) {
                    break;
                }
                v = rng.random_range(0..population);
            }
            Some(v)
        })
    };
    let mut edges = edges;
    edges.par_sort_unstable();
    edges.dedup();
    for edge in edges {
        let (user, c) = ((edge >> 32) as usize, edge as u32);
        let Some(mut follows) = world.get_mut::<Follows>(users[user]) else {
            continue;
        };
        if follows.0.len() < MAX_FOLLOWS && !follows.contains(c) {
            follows.0.push(c);
            creators[c as usize - first_creator].followers.count += 1;
        }
    }
    for mut c in creators {
        c.followers.initial = c.followers.count;
        let entity = users[c.user as usize];
        world.resource_mut::<Creators>().list.push(Account::new(
            c.user,
            entity,
            &c.creator,
            &c.followers,
        ));
        world.entity_mut(entity).insert((c.creator, c.followers));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(user: u64, creator: u64) -> u64 {
        (user << 32) | creator
    }

    #[test]
    fn follow_lists_are_each_users_creators_sorted_without_repeats() {
        // Drawn in creator order, with a repeat (user 2 drew creator 5 twice) and a user who
        // follows nobody (user 1).
        let edges = [
            edge(2, 5),
            edge(0, 9),
            edge(2, 1),
            edge(3, 4),
            edge(2, 5),
            edge(0, 3),
        ];
        let lists = follow_lists(&edges, 4);
        assert_eq!(lists.of(0), &[3, 9]);
        assert!(lists.of(1).is_empty());
        assert_eq!(lists.of(2), &[1, 5]);
        assert_eq!(lists.of(3), &[4]);
        assert_eq!(lists.creators.len(), 5);
    }

    #[test]
    fn a_follow_list_stops_at_the_cap_keeping_the_lowest_creator_ids() {
        let edges: Vec<u64> = (0..MAX_FOLLOWS as u64 + 10)
            .rev()
            .map(|c| edge(0, c))
            .collect();
        let lists = follow_lists(&edges, 1);
        assert_eq!(lists.of(0).len(), MAX_FOLLOWS);
        assert!(lists.of(0).iter().copied().eq(0..MAX_FOLLOWS as u32));
    }
}
