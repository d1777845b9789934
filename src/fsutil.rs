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
    if let Some(dir) = path.parent() {
        ensure_dir(dir)?;
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

/// Creates the folder `dir` and its missing parents; where one of them exists as a file, says
/// so (instead of the system's "File exists").
pub(crate) fn ensure_dir(dir: &Path) -> Result<()> {
    if dir.as_os_str().is_empty() || dir.is_dir() {
        return Ok(());
    }
    if let Some(file) = dir.ancestors().find(|a| a.exists() && !a.is_dir()) {
        return Err(Error::file(
            file,
            format!(
                "is a file, not a folder, so {} cannot be created inside it: give a path in a folder",
                dir.display()
            ),
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// Reads the text of the file `path` that the user gave, refusing what is not a regular file
/// before opening it: a pipe nobody writes to would hang the open, and a device such as
/// `/dev/zero` would be read until memory runs out.
pub(crate) fn read_input_text(path: &Path) -> Result<String> {
    check_regular_file(path)?;
    std::fs::read_to_string(path).map_err(|e| Error::io(path, e))
}

/// Opens the file `path` that the user gave for reading, refusing what is not a regular file
/// (see [`read_input_text`]).
pub(crate) fn open_input(path: &Path) -> Result<std::fs::File> {
    check_regular_file(path)?;
    std::fs::File::open(path).map_err(|e| Error::io(path, e))
}

/// [`read_input_text`] for bytes.
pub(crate) fn read_input_bytes(path: &Path) -> Result<Vec<u8>> {
    check_regular_file(path)?;
    std::fs::read(path).map_err(|e| Error::io(path, e))
}

/// An error unless `path` is a regular file (or a link to one); a missing file is the
/// system's "not found".
fn check_regular_file(path: &Path) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a folder"
    } else {
        "not a regular file (a pipe, a socket or a device such as /dev/stdin)"
    };
    Err(Error::file(
        path,
        format!(
            "is {what}: tunelab reads its input from files; save the data to a file and give that"
        ),
    ))
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
        let target = dir.join(name);
        if target.is_dir() {
            return Err(Error::file(
                &target,
                "is a folder where the study writes a file: nothing was replaced; move the folder away and save again",
            ));
        }
    }
    // The earlier files are kept under `.NAME.previous` (a second link, no copy) until the
    // new set is in place, so that a rename that fails half-way puts the old set back.
    let mut kept = Vec::new();
    for name in names {
        let target = dir.join(name);
        if target.is_file() {
            let previous = previous_path(dir, name);
            let _ = std::fs::remove_file(&previous);
            std::fs::hard_link(&target, &previous)
                .or_else(|_| std::fs::copy(&target, &previous).map(|_| ()))
                .map_err(|e| Error::io(&previous, e))?;
            kept.push(*name);
        }
    }
    write_atomic(dir.join(JOURNAL), names.join("\n").as_bytes())?;
    for (done, name) in names.iter().enumerate() {
        let staged = staged_path(dir, name);
        let renamed = fail_point(done).and_then(|()| std::fs::rename(&staged, dir.join(name)));
        if let Err(e) = renamed {
            roll_back(dir, &names[..done], &kept);
            return Err(Error::file(
                dir.join(name),
                format!(
                    "could not be replaced ({e}): the earlier files were put back, so the folder holds the earlier set; the new one was not saved"
                ),
            ));
        }
    }
    sync_dir(dir);
    std::fs::remove_file(dir.join(JOURNAL)).map_err(|e| Error::io(dir.join(JOURNAL), e))?;
    sync_dir(dir);
    remove_previous(dir, names);
    Ok(())
}

/// Where [`replace_together`] keeps the earlier `dir/NAME` until the new set is in place.
fn previous_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.previous"))
}

/// Undoes the renames of `renamed` after a failure: each earlier file in `kept` goes back,
/// a file that did not exist before is removed; then the journal goes. Best effort.
fn roll_back(dir: &Path, renamed: &[&str], kept: &[&str]) {
    for name in renamed {
        if kept.contains(name) {
            let _ = std::fs::rename(previous_path(dir, name), dir.join(name));
        } else {
            let _ = std::fs::remove_file(dir.join(name));
        }
    }
    let _ = std::fs::remove_file(dir.join(JOURNAL));
    sync_dir(dir);
    remove_previous(dir, kept);
}

fn remove_previous(dir: &Path, names: &[&str]) {
    for name in names {
        let _ = std::fs::remove_file(previous_path(dir, name));
    }
}

#[cfg(test)]
thread_local! {
    /// In tests: the rename of [`replace_together`] that fails (its index), to check the
    /// rollback.
    static FAIL_AT: std::cell::Cell<Option<usize>> = const { std::cell::Cell::new(None) };
}

/// `Ok` except at the rename a test asked to fail.
fn fail_point(index: usize) -> std::io::Result<()> {
    #[cfg(test)]
    if FAIL_AT.with(std::cell::Cell::get) == Some(index) {
        return Err(std::io::Error::other("a failure injected by the test"));
    }
    let _ = index;
    Ok(())
}

/// Removes the staged files of `names` in `dir` after a failed save or study, so that a full
/// disk is not left fuller. Never while a journal is there: then the staged files are the
/// new set that [`finish_replace`] still has to put in place. Best effort.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // used by the command line
pub(crate) fn discard_staged(dir: &Path, names: &[&str]) {
    if dir.join(JOURNAL).exists() {
        return;
    }
    for name in names {
        let _ = std::fs::remove_file(staged_path(dir, name));
    }
}

/// Completes a [`replace_together`] that was interrupted in `dir` (nothing to do when no
/// journal is there): renames every staged file the journal lists that is still there over
/// its final name, syncs the folder, then removes the journal and the earlier files kept.
/// Never while another live tunelab process holds the folder's [`OutputLock`]: its journal is
/// a commit in progress, which it finishes (or rolls back) itself.
pub(crate) fn finish_replace(dir: &Path) -> Result<()> {
    if !dir.join(JOURNAL).exists() {
        return Ok(());
    }
    let _lock = match lock_for_repair(dir) {
        Some(lock) => lock,
        None => return Ok(()),
    };
    roll_forward(dir)
}

/// What lets this process repair `dir`'s commit: `Some(None)` where it holds the folder's
/// lock itself or no tunelab writer ever locked it, `Some(Some(file))` holding the lock for
/// the repair, `None` where another live process holds it.
fn lock_for_repair(dir: &Path) -> Option<Option<std::fs::File>> {
    if held_here(dir) {
        return Some(None);
    }
    let Ok(file) = std::fs::File::open(dir.join(LOCK_FILE)) else {
        return Some(None);
    };
    match file.try_lock() {
        Ok(()) => Some(Some(file)),
        Err(_) => None,
    }
}

fn roll_forward(dir: &Path) -> Result<()> {
    let journal = dir.join(JOURNAL);
    let text = match std::fs::read_to_string(&journal) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&journal, e)),
    };
    // Only plain file names inside `dir` are ever renamed, whatever the journal says.
    let plain =
        |n: &&str| !n.is_empty() && *n != "." && *n != ".." && !n.contains(['/', '\\', '\0']);
    let names: Vec<&str> = text.lines().filter(plain).collect();
    for name in &names {
        let staged = staged_path(dir, name);
        if staged.exists() {
            std::fs::rename(&staged, dir.join(name)).map_err(|e| Error::io(&staged, e))?;
        }
    }
    sync_dir(dir);
    std::fs::remove_file(&journal).map_err(|e| Error::io(&journal, e))?;
    sync_dir(dir);
    remove_previous(dir, &names);
    Ok(())
}

/// The lock file of a folder's [`OutputLock`].
const LOCK_FILE: &str = ".tunelab-lock";

/// The folders whose [`OutputLock`] this process holds (canonical paths).
static HELD: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn held_here(dir: &Path) -> bool {
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    HELD.lock().is_ok_and(|held| held.contains(&dir))
}

/// An advisory lock that one tunelab process holds on what it writes (a study's folder, a
/// history file), so that a second one started on the same output is refused instead of
/// silently replacing the first one's files. Held until dropped; the operating system
/// releases it when the process ends, however it ends. The lock file is left in place
/// (removing it would let a third process lock a new file while a second still holds the
/// old one).
#[derive(Debug)]
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // used by the command line
pub(crate) struct OutputLock {
    _file: std::fs::File,
    /// The folder, for [`HELD`] (`None` for a file's lock).
    folder: Option<PathBuf>,
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if let (Some(folder), Ok(mut held)) = (&self.folder, HELD.lock())
            && let Some(i) = held.iter().position(|p| p == folder)
        {
            held.swap_remove(i);
        }
    }
}

/// Takes the [`OutputLock`] of `target` (a folder: the lock file `.tunelab-lock` inside it,
/// the folder created if missing; a file: `.NAME.tunelab-lock` beside it), or says which
/// process holds it. `flag` names the option the target came from.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // used by the command line
pub(crate) fn lock_output(target: &Path, is_folder: bool, flag: &str) -> Result<OutputLock> {
    let lock_path = if is_folder {
        ensure_dir(target)?;
        target.join(LOCK_FILE)
    } else {
        if let Some(dir) = target.parent() {
            ensure_dir(dir)?;
        }
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "output".into());
        target.with_file_name(format!(".{name}.tunelab-lock"))
    };
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::io(&lock_path, e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let holder = std::fs::read_to_string(&lock_path).unwrap_or_default();
            let holder = holder.trim();
            let who = if holder.is_empty() {
                "another tunelab process".to_string()
            } else {
                format!("another tunelab process (pid {holder})")
            };
            return Err(Error::data(
                flag,
                format!(
                    "{} is being written by {who}: wait for it to finish, or give another {flag}",
                    target.display()
                ),
            ));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(Error::io(&lock_path, e)),
    }
    // Who holds it, for the message of the next one.
    let _ = file.set_len(0);
    let _ = write!(file, "{}", std::process::id());
    let _ = file.flush();
    let folder = is_folder.then(|| target.canonicalize().ok()).flatten();
    if let (Some(folder), Ok(mut held)) = (&folder, HELD.lock()) {
        held.push(folder.clone());
    }
    Ok(OutputLock {
        _file: file,
        folder,
    })
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
    fn staged_files_are_discarded_after_a_failure_but_not_during_a_commit() {
        let dir = std::env::temp_dir().join(format!("tunelab-fs-discard-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        write_atomic(staged_path(&dir, "a"), b"new").unwrap();
        std::fs::write(dir.join("a"), b"old").unwrap();
        std::fs::write(dir.join(JOURNAL), b"a").unwrap();
        discard_staged(&dir, &["a"]);
        assert!(
            staged_path(&dir, "a").is_file(),
            "a commit in progress keeps its files"
        );
        std::fs::remove_file(dir.join(JOURNAL)).unwrap();
        discard_staged(&dir, &["a", "never-written"]);
        assert!(!staged_path(&dir, "a").exists());
        assert_eq!(std::fs::read(dir.join("a")).unwrap(), b"old");
        let _ = std::fs::remove_dir_all(&dir);
    }

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
    fn a_replace_that_fails_half_way_puts_the_earlier_set_back() {
        let dir = std::env::temp_dir().join(format!("tunelab-fs-rollback-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let names = ["a.txt", "b.txt", "c.txt"];
        // Two earlier files, one new name.
        for n in &names[..2] {
            std::fs::write(dir.join(n), "old").unwrap();
        }
        for n in names {
            write_atomic(staged_path(&dir, n), b"new").unwrap();
        }
        FAIL_AT.with(|f| f.set(Some(2)));
        let err = replace_together(&dir, &names).unwrap_err().to_string();
        FAIL_AT.with(|f| f.set(None));
        assert!(err.contains("put back"), "{err}");
        for n in &names[..2] {
            assert_eq!(std::fs::read_to_string(dir.join(n)).unwrap(), "old", "{n}");
        }
        assert!(!dir.join("c.txt").exists());
        assert!(
            !dir.join(JOURNAL).exists(),
            "no journal to roll it forward later"
        );
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".previous"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
        // A folder where a file goes: refused before anything changes.
        std::fs::create_dir_all(dir.join("c.txt")).unwrap();
        for n in names {
            write_atomic(staged_path(&dir, n), b"new").unwrap();
        }
        let err = replace_together(&dir, &names).unwrap_err().to_string();
        assert!(err.contains("is a folder"), "{err}");
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "old");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_reader_leaves_the_commit_of_a_live_writer_to_it() {
        let dir = std::env::temp_dir().join(format!("tunelab-fs-live-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("a.txt"), "old").unwrap();
        write_atomic(staged_path(&dir, "a.txt"), b"new").unwrap();
        write_atomic(dir.join(JOURNAL), b"a.txt").unwrap();
        // Another process's lock, as the file lock of a second open file.
        let other = std::fs::File::create(dir.join(LOCK_FILE)).unwrap();
        other.try_lock().unwrap();
        finish_replace(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "old");
        assert!(
            dir.join(JOURNAL).exists(),
            "the writer's commit is left to it"
        );
        drop(other);
        // The writer died: the next reader completes its commit.
        finish_replace(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "new");
        // This process's own lock does not stop it.
        write_atomic(staged_path(&dir, "a.txt"), b"newer").unwrap();
        write_atomic(dir.join(JOURNAL), b"a.txt").unwrap();
        let lock = lock_output(&dir, true, "--out").unwrap();
        finish_replace(&dir).unwrap();
        assert_eq!(std::fs::read_to_string(dir.join("a.txt")).unwrap(), "newer");
        drop(lock);
        assert!(!held_here(&dir));
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
