//! Every lesson's claim, tested over several seeds: each test runs the lesson file as shipped
//! (through `feedlab compare`, `run --replicates` or `sweep`, exactly as a class would) and checks
//! what the lesson text says usually happens. If the model stops showing it, the build fails.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_feedlab");

fn feedlab(args: &[&str]) {
    let o = Command::new(BIN).args(args).output().expect("feedlab runs");
    assert!(
        o.status.success(),
        "feedlab {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A CSV file as rows of named cells.
fn table(path: &Path) -> Vec<HashMap<String, String>> {
    let mut reader =
        csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    reader
        .records()
        .map(|r| {
            header
                .iter()
                .cloned()
                .zip(r.unwrap().iter().map(str::to_string))
                .collect()
        })
        .collect()
}

fn num(row: &HashMap<String, String>, column: &str) -> f64 {
    row[column].parse().unwrap_or(f64::NAN)
}

/// One finished run, read from its result folder.
struct Run {
    creators: Vec<HashMap<String, String>>,
    notes: Vec<HashMap<String, String>>,
    metrics: Vec<HashMap<String, String>>,
}

impl Run {
    fn read(dir: &Path) -> Run {
        Run {
            creators: table(&dir.join("creators.csv")),
            notes: table(&dir.join("notes.csv")),
            metrics: table(&dir.join("metrics.csv")),
        }
    }

    /// A final metric.
    fn last(&self, metric: &str) -> f64 {
        num(self.metrics.last().unwrap(), metric)
    }

    /// A metric at the first sample at or after `hours`.
    fn at(&self, hours: f64, metric: &str) -> f64 {
        let row = self
            .metrics
            .iter()
            .find(|r| num(r, "hours") >= hours)
            .unwrap();
        num(row, metric)
    }

    /// Impressions of an archetype's average note relative to the platform's average note.
    fn reach_per_note(&self, archetype: &str) -> f64 {
        self.last(&format!("impressions_share_{archetype}"))
            / self.last(&format!("notes_share_{archetype}"))
    }

    fn archetype_of(&self) -> HashMap<String, String> {
        self.creators
            .iter()
            .map(|c| (c["id"].clone(), c["archetype"].clone()))
            .collect()
    }

    /// Impressions of every note of `archetype` at least `min_age` hours old at the end.
    fn note_impressions(&self, archetype: &str, min_age: f64) -> Vec<f64> {
        let end = self.last("hours");
        let of = self.archetype_of();
        self.notes
            .iter()
            .filter(|n| {
                of[&n["creator_id"]] == archetype && end - num(n, "created_hours") >= min_age
            })
            .map(|n| num(n, "impressions"))
            .collect()
    }

    /// Followers gained by each creator, with the followers they started with.
    fn follower_gains(&self) -> Vec<(f64, f64)> {
        self.creators
            .iter()
            .map(|c| {
                (
                    num(c, "initial_followers"),
                    num(c, "followers") - num(c, "initial_followers"),
                )
            })
            .collect()
    }

    /// Gini of the likes creators received.
    fn likes_gini(&self) -> f64 {
        gini(
            &self
                .creators
                .iter()
                .map(|c| num(c, "likes"))
                .collect::<Vec<_>>(),
        )
    }
}

fn gini(x: &[f64]) -> f64 {
    feedlab::metrics::gini(x)
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn median(x: &[f64]) -> f64 {
    let mut v = x.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

fn share_at_least(x: &[f64], floor: f64) -> f64 {
    x.iter().filter(|&&v| v >= floor).count() as f64 / x.len() as f64
}

fn lesson(name: &str) -> String {
    format!("scenarios/lessons/{name}.ron")
}

/// `feedlab compare LESSON --policy A --policy B --replicates N`: A's runs and B's runs.
fn compare(name: &str, a: &str, b: &str, seeds: u32, extra: &[&str]) -> (Vec<Run>, Vec<Run>) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("compare");
    let file = lesson(name);
    let n = seeds.to_string();
    let mut args = vec![
        "compare",
        file.as_str(),
        "--policy",
        a,
        "--policy",
        b,
        "--replicates",
        &n,
        "--quiet",
    ];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    feedlab(&args);
    let side = |p: &str| {
        (0..seeds)
            .map(|k| Run::read(&out.join(p).join(format!("run-{k}"))))
            .collect()
    };
    (side(a), side(b))
}

/// `feedlab run LESSON --replicates N`, with extra changes.
fn replicates(name: &str, seeds: u32, extra: &[&str]) -> Vec<Run> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("runs");
    let file = lesson(name);
    let n = seeds.to_string();
    let mut args = vec!["run", file.as_str(), "--replicates", &n, "--quiet"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--out", out.to_str().unwrap()]);
    feedlab(&args);
    (0..seeds)
        .map(|k| Run::read(&out.join(format!("run-{k}"))))
        .collect()
}

#[test]
fn every_lesson_is_valid_and_has_a_lesson_text_with_a_question() {
    let mut files: Vec<_> = std::fs::read_dir("scenarios/lessons")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    files.sort();
    assert!(files.len() >= 8, "{files:?}");
    let o = Command::new(BIN)
        .arg("validate")
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for file in &files {
        let s = feedlab::scenario::load(file).unwrap();
        for part in [
            "What to watch",
            "Question for the class",
            "What usually happens",
        ] {
            assert!(
                s.lesson.contains(part),
                "{}: lesson text lacks `{part}`",
                file.display()
            );
        }
    }
}

/// Spearman rank correlation of two columns.
fn spearman(pairs: &[(f64, f64)]) -> f64 {
    let (x, y): (Vec<f64>, Vec<f64>) = pairs.iter().copied().unzip();
    feedlab::metrics::spearman(&x, &y)
}

/// Share of all new followers that went to the tenth of creators who started biggest.
fn top_tenth_share_of_gains(gains: &[(f64, f64)]) -> f64 {
    let mut sorted = gains.to_vec();
    sorted.sort_by(|a, b| b.0.total_cmp(&a.0));
    let k = sorted.len().div_ceil(10);
    let total: f64 = sorted.iter().map(|g| g.1).sum();
    sorted[..k].iter().map(|g| g.1).sum::<f64>() / total
}

#[test]
fn rich_get_richer_under_a_follower_feed() {
    let (feed, pools) = compare("rich_get_richer", "follower_feed", "traffic_pool", 3, &[]);
    for (k, (f, p)) in feed.iter().zip(&pools).enumerate() {
        let (gf, gp) = (f.follower_gains(), p.follower_gains());
        let (rf, rp) = (spearman(&gf), spearman(&gp));
        let (tf, tp) = (top_tenth_share_of_gains(&gf), top_tenth_share_of_gains(&gp));
        // the top tenth's mean gain against the bottom half's, in followers
        let gap = |g: &[(f64, f64)]| {
            let mut s = g.to_vec();
            s.sort_by(|a, b| b.0.total_cmp(&a.0));
            let top = &s[..s.len().div_ceil(10)];
            let bottom = &s[s.len() / 2..];
            mean(&top.iter().map(|x| x.1).collect::<Vec<_>>())
                / mean(&bottom.iter().map(|x| x.1).collect::<Vec<_>>()).max(0.1)
        };
        eprintln!(
            "run {k}: rank corr of starting followers and gains: feed {rf:.3}, pools {rp:.3}; top tenth's share of new followers: feed {tf:.3}, pools {tp:.3}; top tenth gains x bottom half: feed {:.1}, pools {:.1}; gini followers feed {:.3} -> {:.3}",
            gap(&gf),
            gap(&gp),
            f.metrics[0]["gini_followers"],
            f.last("gini_followers"),
        );
        assert!(
            rf > 0.6,
            "follower feed: gains follow starting followers ({rf})"
        );
        assert!(
            rp < 0.3,
            "traffic pools: gains do not follow starting followers ({rp})"
        );
        assert!(
            tf > 0.2 && tf > 2.0 * tp,
            "top tenth's share of new followers: {tf} vs {tp}"
        );
        assert!(
            gap(&gf) > 5.0 * gap(&gp),
            "the gap widens faster under the follower feed"
        );
    }
}

#[test]
fn everyone_gets_a_chance_under_traffic_pools() {
    let (pools, feed) = compare(
        "everyone_gets_a_chance",
        "traffic_pool",
        "follower_feed",
        3,
        &[],
    );
    for (k, (p, f)) in pools.iter().zip(&feed).enumerate() {
        for archetype in ["influencer", "regular", "newcomer"] {
            let tried = share_at_least(&p.note_impressions(archetype, 6.0), 100.0);
            eprintln!(
                "run {k}: {archetype}: notes with a full tryout (100 impressions): pools {tried:.3}, feed {:.3}; median note pools {}, feed {}",
                share_at_least(&f.note_impressions(archetype, 6.0), 100.0),
                median(&p.note_impressions(archetype, 6.0)),
                median(&f.note_impressions(archetype, 6.0)),
            );
            assert!(
                tried > 0.9,
                "pools: {archetype} notes get their tryout ({tried})"
            );
        }
        let newcomer_feed = share_at_least(&f.note_impressions("newcomer", 6.0), 100.0);
        assert!(
            newcomer_feed < 0.2,
            "feed: newcomer notes rarely get 100 impressions ({newcomer_feed})"
        );
        let (nm, rm) = (
            median(&p.note_impressions("newcomer", 6.0)),
            median(&p.note_impressions("regular", 6.0)),
        );
        assert!(
            nm > 0.6 * rm,
            "pools: a newcomer's median note does about as well as a regular's ({nm} vs {rm})"
        );
        let (bp, bf) = (
            p.last("newcomer_breakthrough"),
            f.last("newcomer_breakthrough"),
        );
        eprintln!("run {k}: newcomer breakthrough: pools {bp:.3}, feed {bf:.3}");
        assert!(
            bp > 0.2 && bf < 0.02,
            "newcomer notes at stage 2: pools {bp}, feed {bf}"
        );
    }
}

#[test]
fn a_skilled_newcomer_outreaches_a_low_effort_influencer_only_under_traffic_pools() {
    let (pools, feed) = compare(
        "influencer_vs_newcomer",
        "traffic_pool",
        "follower_feed",
        3,
        &[],
    );
    for (k, (p, f)) in pools.iter().zip(&feed).enumerate() {
        let per_note = |r: &Run, a: &str| mean(&r.note_impressions(a, 6.0));
        let (pn, pi) = (per_note(p, "newcomer"), per_note(p, "influencer"));
        let (fn_, fi) = (per_note(f, "newcomer"), per_note(f, "influencer"));
        let gained = |r: &Run, a: &str| {
            let of: Vec<f64> = r
                .creators
                .iter()
                .filter(|c| c["archetype"] == a)
                .map(|c| num(c, "followers") - num(c, "initial_followers"))
                .collect();
            mean(&of)
        };
        eprintln!(
            "run {k}: impressions per note, newcomer vs influencer: pools {pn:.0} vs {pi:.0}, feed {fn_:.0} vs {fi:.0}; followers gained per creator: pools {:.0} vs {:.0}, feed {:.0} vs {:.0}",
            gained(p, "newcomer"),
            gained(p, "influencer"),
            gained(f, "newcomer"),
            gained(f, "influencer"),
        );
        assert!(
            pn > 1.15 * pi,
            "pools: the newcomer's notes reach further ({pn} vs {pi})"
        );
        let (gn, gi) = (gained(p, "newcomer"), gained(p, "influencer"));
        assert!(
            gn > 10.0 && gi < gn / 5.0,
            "pools: newcomers gain followers, influencers hardly"
        );
        assert!(
            fi > 50.0 * fn_,
            "feed: the influencer's notes reach far further ({fi} vs {fn_})"
        );
    }
}

#[test]
fn switching_to_a_follower_feed_mid_run_concentrates_attention_from_that_day() {
    let switched = replicates("switch_mid_run", 3, &[]);
    let kept = replicates("switch_mid_run", 3, &["--set", "timeline=[]"]);
    for (k, (s, c)) in switched.iter().zip(&kept).enumerate() {
        // Same world, same seed: identical until the switch on day 3.
        let before = |r: &Run| {
            r.metrics
                .iter()
                .take_while(|m| num(m, "hours") <= 72.0)
                .cloned()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            before(s),
            before(c),
            "run {k}: the runs differ before the switch"
        );
        let metric = |r: &Run, m: &str| (r.at(72.0, m), r.last(m));
        eprintln!(
            "run {k}: 24h gini day 3 -> end: switched {:?}, kept {:?}; influencer advantage {:?} vs {:?}; newcomer breakthrough {:?} vs {:?}",
            metric(s, "gini_impressions_24h"),
            metric(c, "gini_impressions_24h"),
            metric(s, "influencer_advantage"),
            metric(c, "influencer_advantage"),
            metric(s, "newcomer_breakthrough"),
            metric(c, "newcomer_breakthrough"),
        );
        assert!(s.last("gini_impressions_24h") > c.last("gini_impressions_24h") + 0.15);
        assert!(s.last("gini_impressions_24h") > s.at(72.0, "gini_impressions_24h") + 0.15);
        assert!(s.last("influencer_advantage") > c.last("influencer_advantage") + 0.15);
        assert!(s.last("newcomer_breakthrough") < c.last("newcomer_breakthrough") - 0.04);
    }
}

#[test]
fn visible_like_counts_make_attention_and_likes_more_unequal() {
    let visible = replicates("social_proof", 4, &[]);
    let hidden = replicates("social_proof", 4, &["--set", "behaviour.social_proof=0"]);
    let mut differences = Vec::new();
    for (k, (v, h)) in visible.iter().zip(&hidden).enumerate() {
        let d = v.last("gini_impressions") - h.last("gini_impressions");
        eprintln!(
            "run {k}: gini of impressions visible {:.3} hidden {:.3}; gini of likes {:.3} vs {:.3}; note meritocracy {:.3} vs {:.3}; engagement rate {:.4} vs {:.4}",
            v.last("gini_impressions"),
            h.last("gini_impressions"),
            v.likes_gini(),
            h.likes_gini(),
            v.last("note_meritocracy"),
            h.last("note_meritocracy"),
            v.last("engagement_rate"),
            h.last("engagement_rate"),
        );
        assert!(
            d > 0.0,
            "run {k}: counts visible, attention more unequal ({d})"
        );
        assert!(
            v.likes_gini() > h.likes_gini() + 0.03,
            "run {k}: likes more unequal"
        );
        assert!(
            v.last("note_meritocracy") > 0.8 && h.last("note_meritocracy") > 0.8,
            "run {k}: quality still matters"
        );
        differences.push(d);
    }
    assert!(mean(&differences) > 0.02, "{differences:?}");
}

#[test]
fn traffic_pools_stop_a_spam_flood_at_the_cold_start() {
    let (pools, random) = compare("spam_flood", "traffic_pool", "random", 3, &[]);
    for (k, (p, r)) in pools.iter().zip(&random).enumerate() {
        let spam_stage2 = {
            let of = p.archetype_of();
            let spam: Vec<_> = p
                .notes
                .iter()
                .filter(|n| of[&n["creator_id"]] == "spammer")
                .collect();
            spam.iter().filter(|n| num(n, "max_stage") >= 2.0).count() as f64 / spam.len() as f64
        };
        eprintln!(
            "run {k}: spam share of notes {:.3}; spam reach per note: pools {:.3}, random {:.3}; spam notes at stage 2: pools {spam_stage2:.4}; churned: pools {}, random {}; satisfaction {:.3} vs {:.3}",
            p.last("notes_share_spammer"),
            p.reach_per_note("spammer"),
            r.reach_per_note("spammer"),
            p.last("churned_viewers"),
            r.last("churned_viewers"),
            p.last("mean_satisfaction"),
            r.last("mean_satisfaction"),
        );
        assert!(
            p.last("notes_share_spammer") > 0.5,
            "spam is most of what is posted"
        );
        assert!(p.reach_per_note("spammer") < 0.5);
        assert!((0.8..1.25).contains(&r.reach_per_note("spammer")));
        assert!(spam_stage2 < 0.01);
        assert!(r.last("churned_viewers") > 8.0 * p.last("churned_viewers"));
        assert!(p.last("mean_satisfaction") > r.last("mean_satisfaction") + 0.03);
    }
}

#[test]
fn niche_experts_are_found_by_traffic_pools_and_missed_by_a_follower_feed() {
    let (pools, feed) = compare("niche_experts", "traffic_pool", "follower_feed", 3, &[]);
    for (k, (p, f)) in pools.iter().zip(&feed).enumerate() {
        let reach = |r: &Run| {
            (
                r.reach_per_note("niche_expert"),
                r.reach_per_note("regular"),
                r.reach_per_note("influencer"),
            )
        };
        eprintln!(
            "run {k}: reach per note (expert, regular, influencer): pools {:.2?}, feed {:.2?}",
            reach(p),
            reach(f)
        );
        let (pe, pr, _) = reach(p);
        let expert_stage2 = {
            let of = p.archetype_of();
            let end = p.last("hours");
            let notes: Vec<_> = p
                .notes
                .iter()
                .filter(|n| {
                    of[&n["creator_id"]] == "niche_expert" && end - num(n, "created_hours") >= 6.0
                })
                .collect();
            notes.iter().filter(|n| num(n, "max_stage") >= 2.0).count() as f64 / notes.len() as f64
        };
        eprintln!("run {k}: expert notes at stage 2 under pools: {expert_stage2:.3}");
        assert!(expert_stage2 > 0.5);
        let (fe, _, fi) = reach(f);
        assert!(
            pe > 1.3 && pe > 1.5 * pr,
            "pools: an expert's note reaches further than average"
        );
        assert!(
            fe < 1.0 && fi > 3.0 * fe,
            "feed: an expert's note reaches less than an influencer's"
        );
    }
}

#[test]
fn the_author_prior_slides_the_feed_from_merit_to_size() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let file = lesson("author_prior");
    feedlab(&[
        "sweep",
        &file,
        "--values",
        "recommender.predicted_engagement.author_prior=0,0.5,1",
        "--seeds",
        "3",
        "--quiet",
        "--out",
        out.to_str().unwrap(),
    ]);
    let t = feedlab::sweep::table::SweepTable::read(&out.join("sweep.csv")).unwrap();
    let at = |prior: &str, metric: &str| {
        let m = t.metric_index(metric).unwrap();
        let cell = t.cell(m, &[(0, prior)]).unwrap();
        assert_eq!(cell.runs, 3);
        cell.estimate.mean
    };
    for metric in [
        "influencer_advantage",
        "note_meritocracy",
        "newcomer_breakthrough",
        "gini_impressions",
    ] {
        eprintln!(
            "{metric}: prior 0 {:.3}, 0.5 {:.3}, 1 {:.3}",
            at("0", metric),
            at("0.5", metric),
            at("1", metric)
        );
    }
    let ia = |p| at(p, "influencer_advantage");
    assert!(ia("0") < ia("0.5") && ia("0.5") < ia("1") && ia("1") - ia("0") > 0.4);
    assert!(at("0", "note_meritocracy") > 0.4 && at("1", "note_meritocracy") < 0.1);
    assert!(at("0", "newcomer_breakthrough") > 0.15 && at("1", "newcomer_breakthrough") < 0.02);
    assert!(at("1", "gini_impressions") > at("0", "gini_impressions") + 0.15);
}
