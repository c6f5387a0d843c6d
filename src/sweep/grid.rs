//! The grid of a sweep: axes (a scenario path and its values), points (one value per axis),
//! runs (a point and a seed), and the share of the runs a shard takes.
//!
//! Order is part of the output: points are numbered row-major with the first axis varying
//! slowest, runs are point by point and seed by seed within a point, and shard `I/N` takes the
//! runs whose number is `I` modulo `N`. Nothing depends on the machine or the thread count.

use crate::scenario::{Scenario, check_path};

/// Largest number of runs one sweep may hold (a guard against typos such as `:100000`).
pub const MAX_RUNS: usize = 1_000_000;

/// One varied scenario field and the values it takes, as `--set` reads them.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    pub path: String,
    pub values: Vec<String>,
}

impl Axis {
    /// `PATH=FROM..TO:STEPS`: STEPS evenly spaced numbers from FROM to TO, both ends included.
    pub fn range(spec: &str) -> Result<Axis, String> {
        let usage = "expected PATH=FROM..TO:STEPS, for example \
                     recommender.traffic_pool.graduation_threshold=0.04..0.08:5";
        let (path, range) = split_spec(spec).ok_or_else(|| format!("`{spec}`: {usage}"))?;
        let (bounds, steps) = range
            .rsplit_once(':')
            .ok_or_else(|| format!("`{spec}`: no `:STEPS`; {usage}"))?;
        let (from, to) = bounds
            .split_once("..")
            .ok_or_else(|| format!("`{spec}`: no `FROM..TO`; {usage}"))?;
        let number = |text: &str, what: &str| -> Result<f64, String> {
            text.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("`{spec}`: {what} `{text}` is not a number; {usage}"))
        };
        let (from, to) = (number(from, "FROM")?, number(to, "TO")?);
        let steps: usize = steps
            .trim()
            .parse()
            .ok()
            .filter(|&n| (1..=10_000).contains(&n))
            .ok_or_else(|| format!("`{spec}`: STEPS `{steps}` is not a count in 1..=10000"))?;
        if steps == 1 && from != to {
            return Err(format!(
                "`{spec}`: one step cannot cover {from}..{to}; use 2 or more steps, or FROM = TO"
            ));
        }
        let values = (0..steps)
            .map(|i| {
                let t = if steps == 1 {
                    0.0
                } else {
                    i as f64 / (steps - 1) as f64
                };
                number_text(from + (to - from) * t)
            })
            .collect();
        Axis::new(path, values, spec)
    }

    /// `PATH=a,b,c`: the listed values (numbers, names such as policies, `true`/`false`).
    pub fn list(spec: &str) -> Result<Axis, String> {
        let (path, list) = split_spec(spec).ok_or_else(|| {
            format!("`{spec}`: expected PATH=A,B,C, for example recommender.policy=traffic_pool,follower_feed")
        })?;
        let values: Vec<String> = list.split(',').map(|v| v.trim().to_string()).collect();
        if values.iter().any(|v| v.is_empty()) {
            return Err(format!("`{spec}`: an empty value in the list"));
        }
        Axis::new(path, values, spec)
    }

    fn new(path: &str, values: Vec<String>, spec: &str) -> Result<Axis, String> {
        if path == "seed" {
            return Err(format!(
                "`{spec}`: run seeds come from --seeds N (and --seed S for the first one)"
            ));
        }
        for (i, v) in values.iter().enumerate() {
            if values[..i].contains(v) {
                return Err(format!("`{spec}`: the value {v} appears twice"));
            }
        }
        Ok(Axis {
            path: path.to_string(),
            values,
        })
    }
}

fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let (path, rest) = spec.split_once('=')?;
    let path = path.trim();
    (!path.is_empty() && !rest.trim().is_empty()).then_some((path, rest.trim()))
}

/// A number as a sweep writes it: the shortest text that reads back as the value rounded to 12
/// significant digits (0.1 + 0.2 steps give `0.3`, not `0.30000000000000004`), and no decimal
/// point for whole numbers, so integer fields such as `viewers.count` accept it.
pub fn number_text(value: f64) -> String {
    let rounded: f64 = format!("{value:.11e}").parse().unwrap_or(value);
    let rounded = if rounded == 0.0 { 0.0 } else { rounded };
    format!("{rounded}")
}

/// The axes and seeds of a sweep, in the order that numbers its points and runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    pub axes: Vec<Axis>,
    /// Run seeds; every point runs each of them on the same population seed.
    pub seeds: Vec<u64>,
}

/// One run of a sweep: a grid point and a seed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Run {
    pub point: usize,
    pub seed_index: usize,
}

impl Grid {
    /// Checks the axes against the base scenario (every path must name a field; no path twice)
    /// and the size of the grid.
    pub fn new(axes: Vec<Axis>, seeds: Vec<u64>, base: &Scenario) -> Result<Grid, String> {
        for (i, axis) in axes.iter().enumerate() {
            check_path(base, &axis.path)
                .map_err(|e| format!("--vary/--values {}: {e}", axis.path))?;
            if axes[..i].iter().any(|a| a.path == axis.path) {
                return Err(format!("{} is varied twice", axis.path));
            }
        }
        if seeds.is_empty() {
            return Err("--seeds: expected 1 or more".into());
        }
        let runs = axes
            .iter()
            .try_fold(seeds.len(), |n, a| n.checked_mul(a.values.len()))
            .filter(|&n| n <= MAX_RUNS)
            .ok_or_else(|| format!("the grid has more than {MAX_RUNS} runs"))?;
        debug_assert!(runs > 0);
        Ok(Grid { axes, seeds })
    }

    pub fn points(&self) -> usize {
        self.axes.iter().map(|a| a.values.len()).product()
    }

    pub fn runs(&self) -> usize {
        self.points() * self.seeds.len()
    }

    /// The value of every axis at `point` (first axis varying slowest).
    pub fn point_values(&self, point: usize) -> Vec<&str> {
        let mut rest = point;
        let mut values = vec![""; self.axes.len()];
        for (slot, axis) in values.iter_mut().zip(&self.axes).rev() {
            let n = axis.values.len();
            *slot = &axis.values[rest % n];
            rest /= n;
        }
        values
    }

    pub fn run(&self, number: usize) -> Run {
        Run {
            point: number / self.seeds.len(),
            seed_index: number % self.seeds.len(),
        }
    }

    /// The run's file name stem, fixed by the grid: `p007-seed43`.
    pub fn key(&self, run: Run) -> String {
        let width = (self.points().max(2) - 1).to_string().len();
        format!(
            "p{:0width$}-seed{}",
            run.point,
            self.seeds[run.seed_index],
            width = width
        )
    }

    /// The column names of sweep.csv before the metrics: every varied path, then `seed`.
    pub fn key_columns(&self) -> Vec<String> {
        let mut columns: Vec<String> = self.axes.iter().map(|a| a.path.clone()).collect();
        columns.push("seed".into());
        columns
    }
}

/// `--shard I/N`: this process runs the runs whose number is I modulo N (I counts from 0, as
/// Slurm array indices and Kubernetes completion indices do).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    pub fn parse(text: &str) -> Result<Shard, String> {
        let fail = || format!("--shard {text}: expected I/N with 0 <= I < N, for example 0/4");
        let (i, n) = text.split_once('/').ok_or_else(fail)?;
        let index: usize = i.trim().parse().map_err(|_| fail())?;
        let count: usize = n.trim().parse().map_err(|_| fail())?;
        if count == 0 || index >= count {
            return Err(fail());
        }
        Ok(Shard { index, count })
    }

    pub fn takes(&self, run_number: usize) -> bool {
        run_number % self.count == self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_include_both_ends_and_print_clean_numbers() {
        let a = Axis::range("recommender.traffic_pool.graduation_threshold=0.04..0.08:5").unwrap();
        assert_eq!(a.values, ["0.04", "0.05", "0.06", "0.07", "0.08"]);
        let a = Axis::range("viewers.count = 1000..4000:4").unwrap();
        assert_eq!(a.path, "viewers.count");
        assert_eq!(a.values, ["1000", "2000", "3000", "4000"]);
        let a = Axis::range("x=-1..1:3").unwrap();
        assert_eq!(a.values, ["-1", "0", "1"]);
        assert_eq!(
            Axis::range("x=0.1..0.3:3").unwrap().values,
            ["0.1", "0.2", "0.3"]
        );
        assert_eq!(Axis::range("x=0.5..0.5:1").unwrap().values, ["0.5"]);
        for bad in [
            "x", "x=1..2", "x=1:3", "x=a..2:3", "x=0..1:0", "x=0..1:1", "=0..1:2", "x=0..0:2",
        ] {
            assert!(Axis::range(bad).is_err(), "{bad}");
        }
        assert!(Axis::range("seed=1..3:3").unwrap_err().contains("--seeds"));
    }

    #[test]
    fn lists_keep_their_order_and_refuse_empty_or_repeated_values() {
        let a = Axis::list("recommender.policy=traffic_pool, follower_feed").unwrap();
        assert_eq!(a.values, ["traffic_pool", "follower_feed"]);
        assert!(Axis::list("x=a,,b").is_err());
        assert!(Axis::list("x=a,b,a").is_err());
    }

    #[test]
    fn points_run_first_axis_slowest_and_shards_split_runs_evenly() {
        let base = Scenario::default();
        let grid = Grid::new(
            vec![
                Axis::list("behaviour.like=0.1,0.2,0.3").unwrap(),
                Axis::list("recommender.policy=random,popularity").unwrap(),
            ],
            vec![7, 8],
            &base,
        )
        .unwrap();
        assert_eq!((grid.points(), grid.runs()), (6, 12));
        assert_eq!(grid.point_values(0), ["0.1", "random"]);
        assert_eq!(grid.point_values(1), ["0.1", "popularity"]);
        assert_eq!(grid.point_values(5), ["0.3", "popularity"]);
        assert_eq!(
            grid.run(5),
            Run {
                point: 2,
                seed_index: 1
            }
        );
        assert_eq!(grid.key(grid.run(5)), "p2-seed8");
        let shards: Vec<Shard> = (0..3)
            .map(|i| Shard::parse(&format!("{i}/3")).unwrap())
            .collect();
        for r in 0..grid.runs() {
            assert_eq!(shards.iter().filter(|s| s.takes(r)).count(), 1);
        }
        assert!(
            Shard::parse("3/3").is_err()
                && Shard::parse("0/0").is_err()
                && Shard::parse("1").is_err()
        );
        let err = Grid::new(
            vec![Axis::list("behaviour.lik=0.1").unwrap()],
            vec![1],
            &base,
        )
        .unwrap_err();
        assert!(err.contains("unknown field `lik`"), "{err}");
        let twice = vec![
            Axis::list("days=1,2").unwrap(),
            Axis::range("days=1..2:2").unwrap(),
        ];
        assert!(Grid::new(twice, vec![1], &base).is_err());
    }
}
