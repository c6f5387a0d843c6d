//! Reading a sweep.csv back for plots: the columns before `seed` are the varied parameters, the
//! columns after it the final metrics. Runs that share every parameter value are the seeds of one
//! grid point; a cell summarises them (mean, spread, 95% interval of the mean).

use crate::metrics::{Estimate, estimate};
use anyhow::{Context, Result, bail};
use std::path::Path;

/// One run of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepRow {
    /// Values of the varied parameters, as written (the same order as `SweepTable::params`).
    pub values: Vec<String>,
    pub seed: u64,
    /// Final metrics (NaN where the cell is empty: not computable in that run).
    pub metrics: Vec<f64>,
}

/// A whole sweep.csv.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepTable {
    pub params: Vec<String>,
    pub metrics: Vec<String>,
    pub rows: Vec<SweepRow>,
}

/// The runs of one grid point (or of a slice of the grid) for one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    /// Mean, sd and 95% CI half-width over the runs with a value.
    pub estimate: Estimate,
    pub min: f64,
    pub max: f64,
    /// Runs matched, with or without a value.
    pub runs: usize,
}

impl SweepTable {
    pub fn read(path: &Path) -> Result<SweepTable> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        SweepTable::parse(&text).with_context(|| format!("{}", path.display()))
    }

    pub fn parse(text: &str) -> Result<SweepTable> {
        let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
        let header: Vec<String> = reader.headers()?.iter().map(str::to_string).collect();
        let Some(seed_column) = header.iter().position(|c| c == "seed") else {
            bail!("not a sweep.csv: no `seed` column");
        };
        let params = header[..seed_column].to_vec();
        let metrics = header[seed_column + 1..].to_vec();
        let mut rows = Vec::new();
        for (line, record) in reader.records().enumerate() {
            let record = record?;
            if record.len() != header.len() {
                bail!(
                    "row {}: {} cells, expected {}",
                    line + 2,
                    record.len(),
                    header.len()
                );
            }
            let seed = record[seed_column]
                .parse()
                .with_context(|| format!("row {}: seed `{}`", line + 2, &record[seed_column]))?;
            rows.push(SweepRow {
                values: record
                    .iter()
                    .take(seed_column)
                    .map(str::to_string)
                    .collect(),
                seed,
                metrics: record
                    .iter()
                    .skip(seed_column + 1)
                    .map(|v| v.parse().unwrap_or(f64::NAN))
                    .collect(),
            });
        }
        Ok(SweepTable {
            params,
            metrics,
            rows,
        })
    }

    /// Whether every value of parameter `param` is a number.
    pub fn is_numeric(&self, param: usize) -> bool {
        self.rows
            .iter()
            .all(|r| r.values[param].parse::<f64>().is_ok())
    }

    /// The distinct values of parameter `param`: in numeric order when all are numbers, else in
    /// the order they first appear (the order the sweep listed them).
    pub fn levels(&self, param: usize) -> Vec<String> {
        let mut levels: Vec<String> = Vec::new();
        for row in &self.rows {
            if !levels.contains(&row.values[param]) {
                levels.push(row.values[param].clone());
            }
        }
        if self.is_numeric(param) {
            levels.sort_by(|a, b| {
                let (a, b) = (
                    a.parse::<f64>().unwrap_or(0.0),
                    b.parse::<f64>().unwrap_or(0.0),
                );
                a.total_cmp(&b)
            });
        }
        levels
    }

    /// `metric` over the runs whose parameters take the given values (parameters not named are
    /// not constrained), or None when no run matches.
    pub fn cell(&self, metric: usize, conditions: &[(usize, &str)]) -> Option<Cell> {
        let matching: Vec<f64> = self
            .rows
            .iter()
            .filter(|r| conditions.iter().all(|&(p, v)| r.values[p] == v))
            .map(|r| r.metrics[metric])
            .collect();
        if matching.is_empty() {
            return None;
        }
        let finite = matching.iter().copied().filter(|v| v.is_finite());
        Some(Cell {
            estimate: estimate(&matching),
            min: finite.clone().fold(f64::INFINITY, f64::min),
            max: finite.fold(f64::NEG_INFINITY, f64::max),
            runs: matching.len(),
        })
    }

    pub fn metric_index(&self, name: &str) -> Option<usize> {
        self.metrics.iter().position(|m| m == name)
    }

    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|m| m == name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "a,recommender.policy,seed,gini,merit\n\
                        0.1,random,1,0.5,\n\
                        0.1,random,2,0.7,0.2\n\
                        0.05,random,1,0.4,0.1\n\
                        0.1,popularity,1,0.9,0.3\n";

    #[test]
    fn parameters_are_the_columns_before_seed_and_cells_average_the_seeds() {
        let t = SweepTable::parse(TEXT).unwrap();
        assert_eq!(t.params, ["a", "recommender.policy"]);
        assert_eq!(t.metrics, ["gini", "merit"]);
        assert_eq!(t.levels(0), ["0.05", "0.1"]);
        assert_eq!(t.levels(1), ["random", "popularity"]);
        assert!(t.is_numeric(0) && !t.is_numeric(1));
        let c = t.cell(0, &[(0, "0.1"), (1, "random")]).unwrap();
        assert_eq!(c.runs, 2);
        assert!((c.estimate.mean - 0.6).abs() < 1e-12);
        assert!((c.min, c.max) == (0.5, 0.7));
        // sd of (0.5, 0.7) = 0.1414; t(1) = 12.706; ci = 12.706 * 0.1414 / sqrt 2 = 1.2706
        assert!((c.estimate.ci95 - 1.2706).abs() < 1e-3);
        // an empty cell is a run without a value
        let m = t.cell(1, &[(0, "0.1"), (1, "random")]).unwrap();
        assert_eq!((m.runs, m.estimate.n), (2, 1));
        assert!(t.cell(0, &[(0, "0.05"), (1, "popularity")]).is_none());
        assert!(SweepTable::parse("a,b\n1,2\n").is_err());
        assert!(SweepTable::parse("a,seed,m\n1,x,2\n").is_err());
    }
}
