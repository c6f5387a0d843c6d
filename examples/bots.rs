//! Extending feedlab the Bevy way: a component on some users and a system in a tick set.
//!
//! A creator buys 200 bot accounts. Each bot carries a `Bot` component naming the creator it
//! works for; a system in `TickSet::Spread` (before the feed's own `spread`) has every bot share
//! that creator's latest note with its circle each hour, as real shares do: into the inboxes of
//! the people around it, counted on the note. Run the same world with and without the bots (same
//! scenario, same seed) and see what the purchase buys.
//!
//! ```sh
//! cargo run --release --example bots
//! ```

use bevy::prelude::*;
use feedlab::metrics::collector::MetricsHistory;
use feedlab::scenario::{self, Archetype};
use feedlab::sim::agents::*;
use feedlab::sim::{Clock, SimTick, TickSet};
use feedlab::simulation::{ForkRegistry, Simulation};
use std::path::Path;
use std::sync::atomic::Ordering::Relaxed;

/// A bot account working for one creator (by creator id).
#[derive(Component, Clone, Copy)]
struct Bot {
    creator: u32,
}

/// Spawns nothing itself: it tags users as bots and adds the bots' system.
struct BotsPlugin {
    creator: u32,
    count: u32,
}

impl Plugin for BotsPlugin {
    fn build(&self, app: &mut App) {
        // Forks of this world keep the bots.
        app.world_mut()
            .resource_mut::<ForkRegistry>()
            .component::<Bot>();
        app.insert_resource(Hire {
            creator: self.creator,
            count: self.count,
        })
        .add_systems(
            SimTick,
            (
                hire_bots.in_set(TickSet::Post),
                bots_share
                    .in_set(TickSet::Spread)
                    .before(feedlab::feed::spread),
            ),
        );
    }
}

#[derive(Resource)]
struct Hire {
    creator: u32,
    count: u32,
}

/// At the first tick, the last `count` users (ordinary viewers) become bots.
fn hire_bots(
    mut commands: Commands,
    mut hire: ResMut<Hire>,
    users: Res<Users>,
    creators: Query<(), With<Creator>>,
) {
    if hire.count == 0 {
        return;
    }
    let mut left = hire.count;
    for &entity in users.entities.iter().rev() {
        if left == 0 {
            break;
        }
        if creators.get(entity).is_err() {
            commands.entity(entity).insert(Bot {
                creator: hire.creator,
            });
            left -= 1;
        }
    }
    hire.count = 0;
}

/// Once an hour, every bot shares its creator's latest note with its circle.
fn bots_share(
    bots: Query<(&Bot, &ShareCircle)>,
    mut inboxes: Query<&mut Inbox, Without<Churned>>,
    users: Res<Users>,
    creators: Res<Creators>,
    notes: Res<Notes>,
    clock: Res<Clock>,
) {
    if !clock.tick.is_multiple_of(clock.hours_to_ticks(1.0).max(1)) {
        return;
    }
    for (bot, circle) in &bots {
        let Some(note) = creators.list[bot.creator as usize].latest_notes().last() else {
            continue;
        };
        notes.counters[note as usize].shares.fetch_add(1, Relaxed);
        for &friend in circle.members() {
            if let Ok(mut inbox) = inboxes.get_mut(users.entities[friend as usize]) {
                inbox.push(note);
            }
        }
    }
}

fn main() {
    let mut s = scenario::load(Path::new("scenarios/baseline.ron")).expect("baseline loads");
    s.days = 3.0;
    // The creator who buys the bots: the first regular creator.
    let mut first = 0;
    for g in &s.creators {
        if g.archetype == Archetype::Regular {
            break;
        }
        first += g.count;
    }
    let target = first;

    let mut plain = Simulation::new(&s);
    let mut botted = Simulation::with_plugins(
        &s,
        BotsPlugin {
            creator: target,
            count: 200,
        },
    );
    plain.run_to_end();
    botted.run_to_end();

    let report = |name: &str, sim: &Simulation| {
        let world = sim.world();
        let account = &world.resource::<Creators>().list[target as usize];
        let notes = world.resource::<Notes>();
        let impressions: u64 = notes
            .list
            .iter()
            .enumerate()
            .filter(|(_, n)| n.creator == target)
            .map(|(i, _)| notes.counts(i).impressions as u64)
            .sum();
        let last = world.resource::<MetricsHistory>().rows.last().cloned();
        let gini = last.map_or(f64::NAN, |r| r.gini_impressions);
        println!(
            "{name:<14} creator #{target}: {impressions:>7} impressions, {:>5} followers, best stage {}; platform Gini of impressions {gini:.3}",
            account.followers,
            notes
                .list
                .iter()
                .filter(|n| n.creator == target)
                .map(|n| n.max_stage)
                .max()
                .unwrap_or(0),
        );
    };
    println!(
        "Same scenario ({}), same seed, 3 days; one world with 200 bots sharing creator #{target}'s notes hourly:",
        s.name
    );
    report("without bots", &plain);
    report("with bots", &botted);
}
