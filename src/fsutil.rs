//! Writing files so that nothing is lost: write to a temporary file beside the target, flush
//! it to disk, then rename it over the target. A crash leaves either the old file or the new
//! one, never half of one.
//!
//! Files that belong together (a study's log, its CSV export and its report) are first
//! written in full under staged names (`.NAME.partial`) beside the old ones; a journal then
//! lists them, they are renamed over the old files one after the other, and the journal is
//! removed. A crash before the journal is written leaves the old files; one after it leaves
//! the journal, and the next [`finish_replace`] (which every load of the folder runs)
//! completes the renames: the folder holds the old set or the new one, never a mix.
//!
//! Written here rather than with `tempfile`: the temporary name is fixed per process
//! (`.NAME.tmp-PID`), so the next save of the same process replaces a leftover from an
//! interrupted one, a save removes the leftovers of processes that were killed, and the file
//! is synced to disk before the rename.

use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The temporary path used while writing `path`.
pub(crate) fn temp_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    path.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// Writes `bytes` to `path` atomically, creating missing parent directories.
pub(crate) fn write_atomic(path: impl AsRef<Path>, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |file| file.write_all(bytes))
}

/// Writes to `path` atomically with a writer callback.
pub(crate) fn write_atomic_with(
    path: impl AsRef<Path>,
    write: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> Result<()> {
    let path = path.as_ref();
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let tmp = temp_path(path);
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        write(&mut file)?;
        file.flush()?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    match result {
        Ok(()) => {
            remove_stale_temps(path);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(Error::io(path, e))
        }
    }
}

/// The journal of a [`replace_together`] in progress, in the folder of the files.
pub(crate) const JOURNAL: &str = ".tunelab-replace";

/// The staged path of the file `name` in `dir`: `dir/.NAME.partial`, the complete new
/// content that [`replace_together`] renames over `dir/NAME`.
pub(crate) fn staged_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.partial"))
}

/// Renames the staged files of `names` (see [`staged_path`]) over the files of those names
/// in `dir`, as one change: a journal listing them is written first, so that an interrupted
/// replacement is completed by the next [`finish_replace`].
pub(crate) fn replace_together(dir: &Path, names: &[&str]) -> Result<()> {
    for name in names {
        let staged = staged_path(dir, name);
        if !staged.is_file() {
            return Err(Error::io(
                &staged,
                std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the staged file to put in place is missing",
                ),
            ));
        }
    }
    write_atomic(dir.join(JOURNAL), names.join("\n").as_bytes())?;
    finish_replace(dir)
}

/// Completes a [`replace_together`] that was interrupted in `dir` (nothing to do when no
/// journal is there): renames every staged file the journal lists that is still there over
/// its final name, syncs the folder, then removes the journal.
pub(crate) fn finish_replace(dir: &Path) -> Result<()> {
    let journal = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&journal) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&journal, e)),
    };
    // Only plain file names inside `dir` are ever renamed, whatever the journal says.
    let plain =
        |n: &&str| !n.is_empty() && *n != "." && *n != ".." && !n.contains(['/', '\\', '\0']);
    for name in text.lines().filter(plain) {
        let staged = staged_path(dir, name);
        if staged.exists() {
            std::fs::rename(&staged, dir.join(name)).map_err(|e| Error::io(&staged, e))?;
        }
    }
    sync_dir(dir);
    std::fs::remove_file(&journal).map_err(|e| Error::io(&journal, e))?;
    sync_dir(dir);
    Ok(())
}

/// Flushes a folder's entries (the renames in it) to disk, where the system allows it.
fn sync_dir(dir: &Path) {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Removes temporary files of `path` left by writers that were killed (`.NAME.tmp-PID` whose
/// process no longer runs). Best effort: a file that cannot be removed is left alone.
fn remove_stale_temps(path: &Path) {
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return;
    };
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    let prefix = format!(".{}.tmp-", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = file
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !process_alive(pid) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Whether a process with this id runs (on systems without `/proc`, assume it does, so that
/// nothing in use is removed).
fn process_alive(pid: u32) -> bool {
    let proc = Path::new("/proc");
    !proc.is_dir() || proc.join(pid.to_string()).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_a_failed_write_keeps_the_old_file() {
        let dir = std::env::temp_dir().join(format!("tunelab-fs-{}", std::process::id()));
        let path = dir.join("a.txt");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        let failed = write_atomic_with(&path, |_| Err(std::io::Error::other("disk full")));
        assert!(failed.is_err());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two");
        assert!(!temp_path(&path).exists());
    }

    #[test]
    fn files_replaced_together_are_all_old_or_all_new_and_an_interrupted_replace_completes() {
        let dir = std::env::temp_dir().join(format!("tunelab-fs-together-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let names = ["a.txt", "b.txt", "c.txt"];
        for n in names {
            std::fs::write(dir.join(n), "old").unwrap();
            write_atomic(staged_path(&dir, n), b"new").unwrap();
        }
        // Staged but not committed (no journal): the old files stay.
        finish_replace(&dir).unwrap();
        for n in names {
            assert_eq!(std::fs::read_to_string(dir.join(n)).unwrap(), "old");
        }
        // Killed after the journal and the first rename: the next finish completes it.
        write_atomic(dir.join(JOURNAL), names.join("\n").as_bytes()).unwrap();
        std::fs::rename(staged_path(&dir, "a.txt"), dir.join("a.txt")).unwrap();
        finish_replace(&dir).unwrap();
        for n in names {
            assert_eq!(std::fs::read_to_string(dir.join(n)).unwrap(), "new", "{n}");
            assert!(!staged_path(&dir, n).exists());
        }
        assert!(!dir.join(JOURNAL).exists());
        for n in names {
            write_atomic(staged_path(&dir, n), b"newer").unwrap();
        }
        replace_together(&dir, &names).unwrap();
        for n in names {
            assert_eq!(std::fs::read_to_string(dir.join(n)).unwrap(), "newer");
        }
        let err = replace_together(&dir, &["missing.txt"]).unwrap_err();
        assert!(err.to_string().contains("staged file"), "{err}");
        // A journal never renames anything outside the folder.
        std::fs::write(dir.join(JOURNAL), "../escape\n/etc/passwd\n").unwrap();
        finish_replace(&dir).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_save_removes_the_leftovers_of_killed_writers_but_not_of_live_ones() {
        let dir = std::env::temp_dir().join(format!("tunelab-fs-stale-{}", std::process::id()));
        let path = dir.join("log.parquet");
        std::fs::create_dir_all(&dir).unwrap();
        // No process has an id this large on Linux (pid_max is at most 2^22).
        let dead = dir.join(".log.parquet.tmp-4294967290");
        let live = dir.join(".log.parquet.tmp-1");
        let other = dir.join(".other.parquet.tmp-4294967290");
        for f in [&dead, &live, &other] {
            std::fs::write(f, b"partial").unwrap();
        }
        write_atomic(&path, b"new").unwrap();
        assert!(!dead.exists(), "the dead writer's leftover is removed");
        assert!(live.exists(), "pid 1 is alive: its file is kept");
        assert!(other.exists(), "another file's temporary is not touched");
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
