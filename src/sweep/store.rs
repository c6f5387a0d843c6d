//! A sweep folder on disk: `sweep.json` (what the sweep is), `runs/KEY.csv` (one finished run
//! each: the header of sweep.csv and the run's row) and `sweep.csv` (every finished run, in run
//! order).
//!
//! Every file is written under a temporary name and renamed, so a sweep that is killed leaves
//! whole run files or none, and rerunning it skips the runs already done. The manifest holds no
//! shard, path or time: every shard of a sweep writes the same `sweep.json`, and shards merged
//! give the same folder, byte for byte, as the sweep run in one piece.

use super::grid::Grid;
use crate::metrics::collector::MetricsRow;
use crate::output::num;
use crate::scenario::Scenario;
use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

pub const MANIFEST: &str = "sweep.json";
pub const TABLE: &str = "sweep.csv";
pub const RUNS: &str = "runs";

/// What a sweep is: its base scenario (with every command-line change), its axes and its seeds.
pub fn manifest(grid: &Grid, base: &Scenario) -> Result<Value> {
    Ok(json!({
        "scenario": base.name,
        "axes": grid.axes.iter().map(|a| json!({"path": a.path, "values": a.values})).collect::<Vec<_>>(),
        "seeds": grid.seeds,
        "population_seed": base.population_seed(),
        "points": grid.points(),
        "runs": grid.runs(),
        "base": serde_json::to_value(base)?,
    }))
}

/// The header line of sweep.csv (and of every run file): varied paths, `seed`, final metrics.
pub fn header(grid: &Grid) -> String {
    let mut columns = grid.key_columns();
    columns.extend(
        MetricsRow::default()
            .fields()
            .iter()
            .map(|f| f.0.to_string()),
    );
    csv_line(&columns)
}

/// A run's row: its point's values, its seed and its final metrics.
pub fn row(values: &[&str], seed: u64, last: &MetricsRow) -> String {
    let mut cells: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    cells.push(seed.to_string());
    cells.extend(last.fields().iter().map(|f| num(f.1)));
    csv_line(&cells)
}

/// One CSV line (no line break), quoted where a cell needs it.
fn csv_line(cells: &[String]) -> String {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    // Writing to memory cannot fail, and csv only quotes: the text stays UTF-8.
    let _ = writer.write_record(cells);
    let bytes = writer.into_inner().unwrap_or_default();
    String::from_utf8(bytes)
        .unwrap_or_default()
        .trim_end_matches('\n')
        .to_string()
}

/// An open sweep folder.
pub struct SweepDir {
    pub root: PathBuf,
}

impl SweepDir {
    /// Opens `root` for this sweep: creates it with its manifest, or, when it already holds a
    /// sweep, checks that it is the same sweep (so its finished runs can be kept).
    pub fn open(root: &Path, manifest: &Value) -> Result<SweepDir> {
        let dir = SweepDir {
            root: root.to_path_buf(),
        };
        match read_manifest(root)? {
            Some(existing) if existing == *manifest => {}
            Some(existing) => bail!(
                "--out {}: holds a different sweep ({}); name a new folder to start this one",
                root.display(),
                difference(&existing, manifest)
            ),
            None => {
                if root.exists() {
                    let mut entries = std::fs::read_dir(root)
                        .with_context(|| format!("--out {}: cannot read it", root.display()))?;
                    if entries.next().is_some() {
                        bail!(
                            "--out {}: holds files but no {MANIFEST}; name a new or empty folder",
                            root.display()
                        );
                    }
                }
                write_atomic(&root.join(MANIFEST), &pretty(manifest)?)?;
            }
        }
        std::fs::create_dir_all(root.join(RUNS))
            .with_context(|| format!("cannot create {}", root.join(RUNS).display()))?;
        Ok(dir)
    }

    fn run_path(&self, key: &str) -> PathBuf {
        self.root.join(RUNS).join(format!("{key}.csv"))
    }

    /// The row of a finished run, if its file is whole and has this header.
    pub fn finished(&self, key: &str, header: &str) -> Option<String> {
        let text = std::fs::read_to_string(self.run_path(key)).ok()?;
        parse_run_file(&text, header)
    }

    /// Records a finished run (atomically).
    pub fn record(&self, key: &str, header: &str, row: &str) -> Result<()> {
        write_atomic(&self.run_path(key), &format!("{header}\n{row}\n"))
    }

    /// Writes sweep.csv from the rows given, in the order given (atomically).
    pub fn write_table(&self, header: &str, rows: &[String]) -> Result<()> {
        write_atomic(&self.root.join(TABLE), &table(header, rows))
    }
}

/// sweep.csv's text.
pub fn table(header: &str, rows: &[String]) -> String {
    let mut text =
        String::with_capacity(header.len() + 1 + rows.iter().map(|r| r.len() + 1).sum::<usize>());
    text.push_str(header);
    text.push('\n');
    for row in rows {
        text.push_str(row);
        text.push('\n');
    }
    text
}

/// The row of a run file, when the file is the header line and one row with as many cells.
pub fn parse_run_file(text: &str, header: &str) -> Option<String> {
    let rest = text.strip_prefix(header)?.strip_prefix('\n')?;
    let row = rest.strip_suffix('\n')?;
    if row.contains('\n') {
        return None;
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(row.as_bytes());
    let cells = reader.records().next()?.ok()?.len();
    let columns = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(header.as_bytes())
        .records()
        .next()?
        .ok()?
        .len();
    (cells == columns).then(|| row.to_string())
}

/// The manifest of a sweep folder, if it has one.
pub fn read_manifest(root: &Path) -> Result<Option<Value>> {
    let path = root.join(MANIFEST);
    if !path.exists() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    let value = serde_json::from_str(&text)
        .with_context(|| format!("{}: not a sweep manifest", path.display()))?;
    Ok(Some(value))
}

pub fn pretty(manifest: &Value) -> Result<String> {
    Ok(serde_json::to_string_pretty(manifest)? + "\n")
}

/// Which part of two manifests differs, in words.
pub fn difference(a: &Value, b: &Value) -> String {
    let parts = ["axes", "seeds", "population_seed", "base"];
    let differing: Vec<&str> = parts.into_iter().filter(|p| a.get(p) != b.get(p)).collect();
    if differing.is_empty() {
        "its manifest differs".into()
    } else {
        format!("its {} differ", differing.join(", "))
    }
}

/// Writes a file under a temporary name in the same folder, then renames it into place.
pub fn write_atomic(path: &Path, contents: &str) -> Result<()> {
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = folder.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, contents).with_context(|| format!("cannot write {}", tmp.display()))?;
    if let Err(e) = std::fs::rename(&tmp, path) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot move {} into place", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_files_are_read_back_only_when_whole() {
        let header = "a,seed,m";
        assert_eq!(
            parse_run_file("a,seed,m\n1,2,3\n", header).as_deref(),
            Some("1,2,3")
        );
        assert_eq!(
            parse_run_file("a,seed,m\n\"x,y\",2,\n", header).as_deref(),
            Some("\"x,y\",2,")
        );
        assert_eq!(parse_run_file("a,seed,m\n1,2", header), None);
        assert_eq!(parse_run_file("a,seed,m\n1,2\n", header), None);
        assert_eq!(parse_run_file("a,seed\n1,2\n", header), None);
        assert_eq!(parse_run_file("a,seed,m\n1,2,3\n4,5,6\n", header), None);
        assert_eq!(
            row(&["x,y"], 3, &MetricsRow::default())[..8].to_string(),
            "\"x,y\",3,"
        );
    }
}
