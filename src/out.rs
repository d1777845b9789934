//! Printing that never panics. `println!` panics when stdout is a closed pipe
//! (`tunelab log show | head -1`) or a full device (`> /dev/full`); in a notebook a panic can
//! lose the student's variables, and on the command line it interrupts the work mid-way.
//! Everything tunelab prints goes through [`outln!`] / [`errln!`] instead: the first failed
//! write stops the printing to that stream (the work goes on and its files are written), a
//! closed pipe is silent, and any other failure of stdout is kept for [`stdout_failure`], which
//! the command line reports at the end as an error naming it.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether a write to stdout failed (nothing more is written to it).
static OUT_FAILED: AtomicBool = AtomicBool::new(false);
/// Whether a write to stderr failed.
static ERR_FAILED: AtomicBool = AtomicBool::new(false);
/// The first failure of stdout that was not a closed pipe.
static OUT_ERROR: Mutex<Option<std::io::Error>> = Mutex::new(None);

/// Writes to stdout unless an earlier write failed; a failure is remembered, not raised.
pub(crate) fn write_out(args: std::fmt::Arguments<'_>) {
    if OUT_FAILED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_fmt(args).and_then(|()| out.flush()) {
        OUT_FAILED.store(true, Ordering::Relaxed);
        if e.kind() != std::io::ErrorKind::BrokenPipe
            && let Ok(mut first) = OUT_ERROR.lock()
        {
            first.get_or_insert(e);
        }
    }
}

/// Writes to stderr unless an earlier write failed (where else could that be reported?).
pub(crate) fn write_err(args: std::fmt::Arguments<'_>) {
    if ERR_FAILED.load(Ordering::Relaxed) {
        return;
    }
    if std::io::stderr().lock().write_fmt(args).is_err() {
        ERR_FAILED.store(true, Ordering::Relaxed);
    }
}

/// The first error of stdout other than a closed pipe (a full device, an I/O error), taken
/// once: the command line turns it into its exit status.
#[cfg_attr(not(feature = "cli"), allow(dead_code))] // used by the command line
pub(crate) fn stdout_failure() -> Option<std::io::Error> {
    OUT_ERROR.lock().ok().and_then(|mut first| first.take())
}

/// `println!` that never panics (see the module).
macro_rules! outln {
    () => { $crate::out::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::out::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// `print!` that never panics (see the module).
#[cfg_attr(not(feature = "cli"), allow(unused_macros))] // used by the command line
macro_rules! out {
    ($($arg:tt)*) => { $crate::out::write_out(format_args!($($arg)*)) };
}

/// `eprintln!` that never panics (see the module).
macro_rules! errln {
    ($($arg:tt)*) => { $crate::out::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}

#[cfg(feature = "cli")]
pub(crate) use out;
pub(crate) use {errln, outln};
