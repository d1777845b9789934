//! The plain-text view of the log (what `tunelab log show` and `log compare` print).

use super::comparison::Comparison;
use super::experiment_log::ExperimentLog;
use super::record::RunRecord;
use crate::fmt::Num;
use std::fmt;

impl fmt::Display for ExperimentLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_rows(f, self.rows())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_rows(f, &self.rows)?;
        write!(
            f,
            "differing: {}",
            if self.differing.is_empty() {
                "nothing".into()
            } else {
                self.differing.join(", ")
            }
        )
    }
}

fn write_rows(f: &mut fmt::Formatter<'_>, rows: &[RunRecord]) -> fmt::Result {
    writeln!(
        f,
        "{:>4} {:>6} {:<14} {:<12} {:>9} {:>5} {:<12} {:>7} {:>9} {:<14} {:>8} {:>8} {:<22}",
        "id",
        "parent",
        "step",
        "optimizer",
        "lr",
        "batch",
        "hidden",
        "dropout",
        "wd",
        "outcome",
        "val_loss",
        "val_acc",
        "changed"
    )?;
    for r in rows {
        writeln!(
            f,
            "{:>4} {:>6} {:<14} {:<12} {:>9.2e} {:>5} {:<12} {:>7} {:>9.1e} {:<14} {:>8.4} {:>8.4} {:<22}{}",
            r.run_id,
            r.parent_id.map_or("-".into(), |p| p.to_string()),
            r.step,
            r.optimizer,
            r.lr,
            r.batch_size,
            r.hidden,
            r.dropout,
            r.weight_decay,
            r.outcome,
            Num(r.val_loss),
            Num(r.val_accuracy),
            r.changed,
            if r.warnings.is_empty() {
                String::new()
            } else {
                format!("  ! {}", r.warnings)
            }
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_show_a_missing_parent_as_a_dash_and_end_with_their_warnings() {
        let c = Comparison {
            rows: vec![
                RunRecord {
                    run_id: 1,
                    warnings: "2 changes at once".into(),
                    ..RunRecord::default()
                },
                RunRecord {
                    run_id: 2,
                    parent_id: Some(1),
                    ..RunRecord::default()
                },
            ],
            differing: vec!["lr".into()],
        };
        let text = c.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("  id parent step"), "{}", lines[0]);
        assert!(lines[1].starts_with("   1      - "), "{}", lines[1]);
        assert!(lines[1].ends_with("  ! 2 changes at once"), "{}", lines[1]);
        assert!(lines[2].starts_with("   2      1 "), "{}", lines[2]);
        assert_eq!(lines[3], "differing: lr");
    }
}
