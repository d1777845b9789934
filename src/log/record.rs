//! One row of the experiment log.

use crate::train::Run;
use serde::{Deserialize, Serialize};

/// The hyperparameters compared between a run and its parent, in column order. Each is a run
/// column, except `early_stopping`, which is read from the `schedule` column's `+esN` suffix
/// (so that turning early stopping on is logged as its own change, not as a schedule change).
pub const HYPERPARAMETERS: &[&str] = &[
    "optimizer",
    "lr",
    "batch_size",
    "hidden",
    "dropout",
    "weight_decay",
    "epochs",
    "accumulate",
    "schedule",
    "early_stopping",
    "seed",
];

/// One run as a row of the experiment log (its columns are listed in
/// [`RUN_COLUMNS`](super::RUN_COLUMNS)).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Id of this run in the log (1, 2, ...).
    pub run_id: i64,
    /// Id of the run this one changed something from.
    pub parent_id: Option<i64>,
    /// The study step (`baseline`, `learning_rate`, ...) or `manual`.
    pub step: String,
    /// When the run was logged (UTC, ISO 8601).
    pub timestamp: String,
    /// Dataset name.
    pub dataset: String,
    /// Optimizer name.
    pub optimizer: String,
    /// Learning rate.
    pub lr: f64,
    /// Micro-batch size.
    pub batch_size: i64,
    /// Hidden widths as text, like `128-64` (`linear` for none).
    pub hidden: String,
    /// Dropout probability.
    pub dropout: f64,
    /// Weight decay.
    pub weight_decay: f64,
    /// Epochs configured.
    pub epochs: i64,
    /// Gradient accumulation steps.
    pub accumulate: i64,
    /// Schedule name (with `+es` when early stopping was on, `+warmupN` with warm-up).
    pub schedule: String,
    /// Seed (every `u64`, stored as it is).
    pub seed: u64,
    /// `completed`, `early_stopped` or `diverged`.
    pub outcome: String,
    /// Epoch with the lowest validation loss.
    pub best_epoch: Option<i64>,
    /// Final training loss.
    pub train_loss: f64,
    /// Final validation loss.
    pub val_loss: f64,
    /// Final validation accuracy.
    pub val_accuracy: f64,
    /// Wall-clock seconds.
    pub wall_s: f64,
    /// Free text.
    pub notes: String,
    /// Hyperparameters that differ from the parent run, comma separated.
    pub changed: String,
    /// Warnings about this run (for example more than one change at once).
    pub warnings: String,
}

impl RunRecord {
    /// The row for a run (ids, step, notes and the comparison with the parent are filled in
    /// by the log).
    pub fn from_run(run: &Run) -> RunRecord {
        let c = &run.config;
        let fin = run.final_metrics();
        let mut schedule = c.schedule.name().to_string();
        if c.warmup_epochs > 0 {
            schedule.push_str(&format!("+warmup{}", c.warmup_epochs));
        }
        if let Some(es) = &c.early_stopping {
            schedule.push_str(&format!("+es{}", es.patience));
        }
        RunRecord {
            run_id: 0,
            parent_id: None,
            step: "manual".into(),
            timestamp: now_utc(),
            dataset: run.dataset.clone(),
            optimizer: c.optimizer.name().into(),
            lr: c.lr(),
            batch_size: c.batch_size as i64,
            hidden: c.model.hidden_label(),
            dropout: c.model.dropout,
            weight_decay: c.weight_decay(),
            epochs: c.epochs as i64,
            accumulate: c.accumulate as i64,
            schedule,
            seed: c.seed,
            outcome: run.outcome.name().into(),
            best_epoch: run.best_epoch.map(|e| e as i64),
            train_loss: fin.map_or(f64::NAN, |f| f.train_loss),
            val_loss: fin.map_or(f64::NAN, |f| f.val_loss),
            val_accuracy: fin.map_or(f64::NAN, |f| f.val_accuracy),
            wall_s: run.wall_s,
            notes: String::new(),
            changed: String::new(),
            warnings: String::new(),
        }
    }

    /// The value of a hyperparameter as text (for comparisons and tables).
    pub fn hyperparameter(&self, name: &str) -> Option<String> {
        Some(match name {
            "optimizer" => self.optimizer.clone(),
            "lr" => format!("{:e}", self.lr),
            "batch_size" => self.batch_size.to_string(),
            "hidden" => self.hidden.clone(),
            "dropout" => self.dropout.to_string(),
            "weight_decay" => format!("{:e}", self.weight_decay),
            "epochs" => self.epochs.to_string(),
            "accumulate" => self.accumulate.to_string(),
            "schedule" => self.schedule_parts().0.to_string(),
            "early_stopping" => match self.schedule_parts().1 {
                Some(patience) => format!("patience {patience}"),
                None => "off".into(),
            },
            "seed" => self.seed.to_string(),
            _ => return None,
        })
    }

    /// The `schedule` column split into the schedule (with its warm-up) and the early
    /// stopping patience: `cosine+warmup2+es5` -> (`cosine+warmup2`, Some("5")).
    fn schedule_parts(&self) -> (&str, Option<&str>) {
        match self.schedule.rsplit_once("+es") {
            Some((schedule, patience))
                if !patience.is_empty() && patience.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (schedule, Some(patience))
            }
            _ => (&self.schedule, None),
        }
    }

    /// The hyperparameters that differ between `self` and `other`.
    pub fn diff(&self, other: &RunRecord) -> Vec<&'static str> {
        HYPERPARAMETERS
            .iter()
            .copied()
            .filter(|h| self.hyperparameter(h) != other.hyperparameter(h))
            .collect()
    }
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// Formats seconds since the Unix epoch as an ISO 8601 UTC time.
pub(crate) fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn early_stopping_is_its_own_change_not_a_schedule_change() {
        let row = |schedule: &str| RunRecord {
            schedule: schedule.into(),
            ..RunRecord::default()
        };
        assert_eq!(
            row("constant+es5").diff(&row("constant")),
            ["early_stopping"]
        );
        assert_eq!(
            row("cosine+es5").diff(&row("constant")),
            ["schedule", "early_stopping"]
        );
        assert_eq!(
            row("constant+es8").diff(&row("constant+es5")),
            ["early_stopping"]
        );
        let warm = row("cosine+warmup2+es5");
        assert_eq!(warm.hyperparameter("schedule").unwrap(), "cosine+warmup2");
        assert_eq!(warm.hyperparameter("early_stopping").unwrap(), "patience 5");
        assert_eq!(
            row("constant").hyperparameter("early_stopping").unwrap(),
            "off"
        );
        // A name that only looks like a suffix is left alone.
        assert_eq!(row("odd+es").hyperparameter("schedule").unwrap(), "odd+es");
    }

    #[test]
    fn formats_known_times() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_796_000_000), "2026-11-30T00:53:20Z");
    }
}
