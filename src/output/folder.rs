//! Putting a result set in place on disk, all or nothing (native only: the browser offers
//! downloads instead). The set is written into a temporary sibling of the target folder, which
//! then takes the target's place by renames; a folder holding anything feedlab did not write is
//! never replaced, and folders left by killed runs are cleaned up by the next one.

use super::ResultSet;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Files feedlab writes into a results folder: a folder holding anything else is not replaced.
const OWN_FILES: [&str; 9] = [
    "metrics.csv",
    "creators.csv",
    "notes.csv",
    "funnel.csv",
    "summary.json",
    "replicates.csv",
    "comparison.csv",
    "sweep.csv",
    "sweep.json",
];

/// Whether a folder in a results folder is one feedlab writes: `run-K` (replicates), `runs`
/// (a sweep's finished runs) or a policy's name (a comparison's two sides).
fn own_folder(name: &str) -> bool {
    name.starts_with("run-") || name == "runs" || crate::scenario::PolicyKind::parse(name).is_some()
}

impl ResultSet {
    /// Writes the whole set into a temporary sibling of `dir`, then puts it in `dir`'s place.
    pub fn commit(&self, dir: &Path) -> Result<()> {
        self.commit_using(dir, &Renames::SYSTEM)
    }

    fn commit_using(&self, dir: &Path, fs: &Renames) -> Result<()> {
        check_replaceable(dir)?;
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "results".into());
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("cannot create output directory {}", parent.display()))?;
        remove_stale_siblings(&parent, &name);
        let me = process_tag();
        let tmp = parent.join(format!(".{name}.tmp-{me}"));
        let _ = std::fs::remove_dir_all(&tmp);
        let outcome = self
            .write_into(&tmp)
            .and_then(|()| swap_in(&tmp, dir, &parent.join(format!(".{name}.old-{me}")), fs));
        // Whatever failed, no temporary folder is left behind (after a successful exchange `tmp`
        // holds the previous results).
        let _ = std::fs::remove_dir_all(&tmp);
        outcome
    }

    fn write_into(&self, root: &Path) -> Result<()> {
        std::fs::create_dir_all(root)
            .with_context(|| format!("cannot create {}", root.display()))?;
        for (path, contents) in &self.files {
            let full = root.join(path);
            if let Some(folder) = full.parent() {
                std::fs::create_dir_all(folder)
                    .with_context(|| format!("cannot create {}", folder.display()))?;
            }
            std::fs::write(&full, contents)
                .with_context(|| format!("cannot write {}", full.display()))?;
            test_pause();
        }
        Ok(())
    }
}

/// Refuses to replace a path that is not a folder of feedlab results: it may hold only the files
/// feedlab writes (an empty folder in place of one is fine) and folders of them (`own_folder`).
fn check_replaceable(dir: &Path) -> Result<()> {
    let Ok(meta) = std::fs::symlink_metadata(dir) else {
        return Ok(());
    };
    if !meta.is_dir() {
        anyhow::bail!(
            "--out {}: exists and is not a directory; choose a new or empty folder",
            dir.display()
        );
    }
    if let Some(name) = foreign_entry(dir, 2)? {
        anyhow::bail!(
            "--out {}: holds `{name}`, which feedlab did not write; a results folder is \
             replaced as a whole, so choose a new or empty folder",
            dir.display()
        );
    }
    Ok(())
}

/// The first entry of `dir` that feedlab would not have written, as a path relative to `dir`,
/// looking `depth` levels into the folders feedlab writes (see `own_folder`).
fn foreign_entry(dir: &Path, depth: u32) -> Result<Option<String>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        let ours = if OWN_FILES.contains(&name.as_str()) {
            kind.is_file() || (kind.is_dir() && std::fs::read_dir(entry.path())?.next().is_none())
        } else if depth > 0 && own_folder(&name) && kind.is_dir() {
            match foreign_entry(&entry.path(), depth - 1)? {
                Some(inner) => return Ok(Some(format!("{name}/{inner}"))),
                None => true,
            }
        } else {
            false
        };
        if !ours {
            let slash = if kind.is_dir() { "/" } else { "" };
            let inner = if kind.is_dir() && OWN_FILES.contains(&name.as_str()) {
                " (a folder with files in it)"
            } else {
                ""
            };
            return Ok(Some(format!("{name}{slash}{inner}")));
        }
    }
    Ok(None)
}

/// Environment variable for tests only: milliseconds to pause after each file written and before
/// the swap, so a test can kill a run in the middle of writing its results (`tests/kill.rs`).
pub const WRITE_PAUSE_VAR: &str = "FEEDLAB_TEST_WRITE_PAUSE_MS";

fn test_pause() {
    if let Some(ms) = std::env::var(WRITE_PAUSE_VAR)
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms.min(10_000)));
    }
}

/// This process in temporary names: `PID@HOST`, so that runs on several machines writing into
/// one shared folder (a cluster's batch jobs) can tell whose leftovers are whose.
fn process_tag() -> String {
    let pid = std::process::id();
    match hostname() {
        Some(host) => format!("{pid}@{host}"),
        None => pid.to_string(),
    }
}

fn hostname() -> Option<String> {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let host = host.trim();
    (!host.is_empty() && !host.contains(['/', '\\'])).then(|| host.to_string())
}

/// Removes temporary siblings (`.NAME.tmp-PID@HOST`, `.NAME.old-PID@HOST`) left by runs of this
/// machine that were killed: those whose process no longer exists.
fn remove_stale_siblings(parent: &Path, name: &str) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let host = hostname();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(tag) = [format!(".{name}.tmp-"), format!(".{name}.old-")]
            .iter()
            .find_map(|prefix| file.strip_prefix(prefix.as_str()).map(String::from))
        else {
            continue;
        };
        let (pid, their_host) = match tag.split_once('@') {
            Some((pid, h)) => (pid, Some(h.to_string())),
            None => (tag.as_str(), None),
        };
        let Ok(pid) = pid.parse::<u32>() else {
            continue;
        };
        if their_host == host
            && pid != std::process::id()
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// The renames that put a result set in place (tests substitute ones that fail).
struct Renames {
    /// Swaps two existing paths in one step; `Ok(false)` where the system cannot.
    exchange: fn(&Path, &Path) -> std::io::Result<bool>,
    rename: fn(&Path, &Path) -> std::io::Result<()>,
}

impl Renames {
    const SYSTEM: Renames = Renames {
        exchange: exchange_paths,
        rename: |from, to| std::fs::rename(from, to),
    };
}

/// Swaps `a` and `b` in one step (Linux `renameat2` with `RENAME_EXCHANGE`): a reader sees the
/// old folder or the new one, never neither. `Ok(false)` where the system or file system cannot.
#[cfg(target_os = "linux")]
fn exchange_paths(a: &Path, b: &Path) -> std::io::Result<bool> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    match renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(true),
        Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => Ok(false),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange_paths(_: &Path, _: &Path) -> std::io::Result<bool> {
    Ok(false)
}

/// Puts `tmp` in `dir`'s place. An existing `dir` is exchanged with `tmp` in one step where the
/// system can (`tmp` then holds the old results, for the caller to remove); elsewhere it is moved
/// aside to `old`, `tmp` moved in, and `old` removed (a kill between the two renames leaves the
/// old results in `old`).
fn swap_in(tmp: &Path, dir: &Path, old: &Path, fs: &Renames) -> Result<()> {
    let cannot = || format!("cannot move the results into {}", dir.display());
    if !dir.exists() {
        return (fs.rename)(tmp, dir).with_context(cannot);
    }
    test_pause();
    if (fs.exchange)(tmp, dir).with_context(cannot)? {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(old);
    (fs.rename)(dir, old)
        .with_context(|| format!("cannot move the old results in {} aside", dir.display()))?;
    if let Err(e) = (fs.rename)(tmp, dir) {
        let _ = (fs.rename)(old, dir);
        return Err(e).with_context(cannot);
    }
    let _ = std::fs::remove_dir_all(old);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(seed: &str) -> ResultSet {
        let mut set = ResultSet::default();
        set.add("metrics.csv", format!("seed {seed}"));
        set.add("summary.json", format!("{{\"seed\": {seed}}}"));
        set
    }

    /// Names in a folder, sorted.
    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn broken_exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
        Err(std::io::Error::other("the disk went away"))
    }

    fn no_exchange(_: &Path, _: &Path) -> std::io::Result<bool> {
        Ok(false)
    }

    /// Moving aside works, moving the new results in fails.
    fn second_rename_fails(from: &Path, to: &Path) -> std::io::Result<()> {
        if from.to_string_lossy().contains(".tmp-") {
            Err(std::io::Error::other("no room"))
        } else {
            std::fs::rename(from, to)
        }
    }

    #[test]
    fn a_failed_write_or_rename_leaves_the_old_results_and_no_temporary_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("results");
        set("1").commit(&dir).unwrap();
        let old = std::fs::read(dir.join("metrics.csv")).unwrap();

        // A file that cannot be written (its folder's name is taken by a file of the set).
        let mut bad = set("2");
        bad.add("metrics.csv/inner", "x");
        assert!(bad.commit(&dir).is_err());
        // The exchange fails; then, without one, moving the new results in fails.
        let failing = [
            Renames {
                exchange: broken_exchange,
                rename: Renames::SYSTEM.rename,
            },
            Renames {
                exchange: no_exchange,
                rename: second_rename_fails,
            },
        ];
        for fs in &failing {
            let err = set("2").commit_using(&dir, fs).unwrap_err();
            assert!(
                format!("{err:#}").contains("cannot move the results"),
                "{err:#}"
            );
        }
        assert_eq!(names(root.path()), ["results"]);
        assert_eq!(std::fs::read(dir.join("metrics.csv")).unwrap(), old);

        // Without an exchange the two renames still land the whole set and clean up.
        let two_renames = Renames {
            exchange: no_exchange,
            rename: Renames::SYSTEM.rename,
        };
        set("3").commit_using(&dir, &two_renames).unwrap();
        assert_eq!(names(root.path()), ["results"]);
        assert_eq!(names(&dir), ["metrics.csv", "summary.json"]);
        assert_eq!(std::fs::read(dir.join("metrics.csv")).unwrap(), b"seed 3");
    }

    #[test]
    fn folders_left_by_killed_runs_are_removed_by_the_next_one() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("results");
        // No process has this id (ids stay below 2^22 on Linux); one that runs is kept, and so
        // is one from another machine (a shared folder on a cluster).
        let host = hostname().unwrap_or_default();
        let at = |tag: String| root.path().join(tag);
        let dead = at(format!(".results.tmp-4294967295@{host}"));
        let alive = at(format!(
            ".results.old-{}@{host}",
            std::os::unix::process::parent_id()
        ));
        let elsewhere = at(".results.tmp-4294967295@another-node".into());
        let other = at(format!(".other.tmp-4294967295@{host}"));
        for folder in [&dead, &alive, &elsewhere, &other] {
            std::fs::create_dir_all(folder).unwrap();
        }
        set("1").commit(&dir).unwrap();
        assert!(!dead.exists());
        assert!(alive.exists(), "a running process's folder is kept");
        assert!(elsewhere.exists(), "another machine's folder is kept");
        assert!(
            other.exists(),
            "another folder's leftovers are not this run's business"
        );
    }
}
