//! Progress output: one line per finished epoch.

use super::{EpochRecord, Run};
use crate::fmt::Num;

/// Something that wants to hear about each finished epoch (progress output).
pub type EpochObserver<'a> = &'a mut dyn FnMut(&Run, &EpochRecord);

/// Prints one line for an epoch (to stdout), for use as an [`EpochObserver`].
pub fn print_progress(run: &Run, e: &EpochRecord) {
    crate::out::outln!("{}", progress_line(run, e));
}

/// The progress line of an epoch.
pub(crate) fn progress_line(run: &Run, e: &EpochRecord) -> String {
    format!(
        "epoch {:>3}/{}  train_loss {:.4}  val_loss {:.4}  train_acc {:.4}  val_acc {:.4}  lr {:.2e}  ({:.2} s)",
        e.epoch,
        run.config.epochs,
        Num(e.train_loss),
        Num(e.val_loss),
        Num(e.train_acc),
        Num(e.val_acc),
        e.lr,
        e.seconds
    )
}
