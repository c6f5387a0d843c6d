//! Timeline events take effect at their day, and funnel traces explain where each note stopped.

use feedlab::recommender::Recommender;
use feedlab::scenario::{self, Action, Archetype, CreatorGroup, PolicyKind, TimelineEvent};
use feedlab::sim::agents::{Creators, Notes, StageKind, StageOutcome, StopReason};
use feedlab::sim::{Clock, ScenarioRes};
use feedlab::simulation::{run_ticks, simulation_app};
use std::path::Path;

fn baseline() -> scenario::Scenario {
    let mut s = scenario::load(Path::new("scenarios/traffic_pool.ron")).unwrap();
    s.days = 3.0;
    s
}

#[test]
fn timeline_events_apply_on_their_day() {
    let mut s = baseline();
    s.timeline = vec![
        TimelineEvent {
            day: 1.0,
            action: Action::Set {
                path: "recommender.traffic_pool.graduation_threshold".into(),
                value: "0.9".into(),
            },
        },
        TimelineEvent {
            day: 1.5,
            action: Action::AddCreators(CreatorGroup::of(Archetype::NicheExpert, 7)),
        },
        TimelineEvent {
            day: 2.0,
            action: Action::SwitchPolicy(PolicyKind::Random),
        },
    ];
    let mut app = simulation_app(s);
    let before = app.world().resource::<Creators>().list.len();
    run_ticks(&mut app, 143);
    assert_eq!(
        app.world()
            .resource::<ScenarioRes>()
            .0
            .recommender
            .traffic_pool
            .graduation_threshold,
        0.06
    );
    run_ticks(&mut app, 2);
    assert_eq!(
        app.world()
            .resource::<ScenarioRes>()
            .0
            .recommender
            .traffic_pool
            .graduation_threshold,
        0.9
    );
    run_ticks(&mut app, 72);
    let creators = app.world().resource::<Creators>();
    assert_eq!(creators.list.len(), before + 7);
    let added = &creators.list[before];
    assert_eq!(added.archetype, Archetype::NicheExpert);
    assert_eq!(added.joined_tick, 216);
    run_ticks(&mut app, 72);
    assert_eq!(
        app.world().resource::<Recommender>().active(),
        PolicyKind::Random
    );
    // Notes judged after day 1 face the 90% bar (eased a little by authority), and few pass it.
    let notes = app.world().resource::<Notes>();
    let graduated = |i: usize| {
        notes.trace[i]
            .iter()
            .any(|r| matches!(r.outcome, StageOutcome::Graduated | StageOutcome::Skipped))
    };
    let pooled = |i: &usize| notes.list[*i].pool_stage.is_some();
    let early: Vec<usize> = (0..notes.len())
        .filter(pooled)
        .filter(|&i| notes.list[i].created_tick < 120)
        .collect();
    let late: Vec<usize> = (0..notes.len())
        .filter(pooled)
        .filter(|&i| {
            notes.list[i].created_tick > 150 && notes.trace[i][0].outcome != StageOutcome::Running
        })
        .collect();
    assert!(early.len() > 50 && late.len() > 50);
    for &i in &late {
        assert!(
            notes.trace[i][0].threshold > 0.5,
            "note {i}: {:?}",
            notes.trace[i][0]
        );
    }
    let share =
        |list: &[usize]| list.iter().filter(|&&i| graduated(i)).count() as f64 / list.len() as f64;
    let (before, after) = (share(&early), share(&late));
    assert!(
        before > 0.2 && after < 0.1,
        "graduated before the change {before:.2}, after {after:.2}"
    );
}

#[test]
fn funnel_traces_explain_where_each_note_stopped() {
    let mut app = simulation_app(baseline());
    let ticks = app.world().resource::<Clock>().total_ticks;
    run_ticks(&mut app, ticks);
    let notes = app.world().resource::<Notes>();
    let mut seen_reasons = std::collections::BTreeSet::new();
    for (i, note) in notes.list.iter().enumerate() {
        let trace = &notes.trace[i];
        assert!(!trace.is_empty(), "note {i} has no trace");
        assert_eq!(trace[0].stage, 0, "note {i} did not start at cold start");
        assert!(
            trace.iter().all(|r| r.kind == StageKind::Pool),
            "note {i}: {trace:?}"
        );
        for pair in trace.windows(2) {
            assert!(
                pair[1].stage > pair[0].stage && pair[1].entered_tick >= pair[0].entered_tick,
                "note {i}: {trace:?}"
            );
            let jump = pair[1].stage - pair[0].stage;
            if pair[0].outcome == StageOutcome::Saturated {
                // Passed a stage that used up its audience: straight to the long tail.
                assert_eq!(pair[1].outcome.name(), "long_tail", "note {i}: {trace:?}");
                continue;
            }
            let expected = if jump == 2 {
                StageOutcome::Skipped
            } else {
                StageOutcome::Graduated
            };
            assert_eq!(pair[0].outcome, expected, "note {i}: {trace:?}");
        }
        let last = trace.last().unwrap();
        assert_eq!(note.pool_stage, Some(last.stage), "note {i}");
        // The common yardstick follows impressions, whatever the pool.
        let ladder = app.world().resource::<feedlab::sim::Ladder>();
        assert_eq!(
            note.max_stage,
            ladder.stage_of(notes.counts(i).impressions),
            "note {i}"
        );
        match note.stop_reason {
            StopReason::StillRunning => {
                assert!(
                    matches!(last.outcome, StageOutcome::Running | StageOutcome::LongTail),
                    "note {i}: {trace:?}"
                );
                assert!(last.engagement_rate >= 0.0, "note {i}: {last:?}");
            }
            reason => {
                assert_eq!(
                    last.outcome,
                    StageOutcome::Stopped(reason),
                    "note {i}: {trace:?}"
                );
                if reason == StopReason::BelowThreshold {
                    // Recorded as f32: a rate just under the bar may round to it.
                    assert!(last.engagement_rate <= last.threshold, "note {i}: {last:?}");
                }
            }
        }
        seen_reasons.insert(note.stop_reason.name());
    }
    for reason in ["below_threshold", "still_running", "expired"] {
        assert!(
            seen_reasons.contains(reason),
            "no note stopped with {reason}: {seen_reasons:?}"
        );
    }
}
