//! `tunelab diagnose`: read a run's history CSV and say what its curves show.

use crate::diagnose::{Diagnosis, History, diagnose};
use crate::error::{Error, Result};
use clap::Args;
use std::path::PathBuf;

/// Flags of `tunelab diagnose`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DiagnoseArgs {
    /// Per-epoch history CSV (header epoch,train_loss,val_loss,train_acc,val_acc,lr), as
    /// written by `tunelab train --history-csv`.
    #[arg(long)]
    history: PathBuf,
    /// Per-step CSV (header step,loss,lr), for the step-level checks.
    #[arg(long)]
    steps: Option<PathBuf>,
    /// Print {"findings":[{"pattern","severity","evidence","action"}, ...]} on stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `tunelab diagnose`: prints the diagnosis as text (one finding per line) or JSON.
pub(super) fn run(args: DiagnoseArgs) -> Result<()> {
    println!("{}", render(&args)?);
    Ok(())
}

/// The text `tunelab diagnose` prints for these flags.
fn render(args: &DiagnoseArgs) -> Result<String> {
    let history = History::from_csv_files(&args.history, args.steps.as_deref())?;
    let diagnosis = diagnose(&history)?;
    if args.json {
        diagnosis_json(&diagnosis)
    } else {
        Ok(diagnosis.to_string())
    }
}

/// The diagnosis as one line of JSON: `{"findings":[{"pattern":..,"severity":..,
/// "evidence":..,"action":..}]}`.
fn diagnosis_json(diagnosis: &Diagnosis) -> Result<String> {
    serde_json::to_string(diagnosis)
        .map_err(|e| Error::data("diagnosis", format!("cannot write it as JSON: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        args: DiagnoseArgs,
    }

    fn parse(argv: &[&str]) -> std::result::Result<DiagnoseArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("diagnose").chain(argv.iter().copied())).map(|c| c.args)
    }

    fn temp_file(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tunelab-diagnose-cmd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn flags_parse_and_history_is_required() {
        let args = parse(&["--history", "E.csv", "--steps", "S.csv", "--json"]).unwrap();
        assert_eq!(args.history, PathBuf::from("E.csv"));
        assert_eq!(args.steps, Some(PathBuf::from("S.csv")));
        assert!(args.json);
        let args = parse(&["--history", "E.csv"]).unwrap();
        assert!(!args.json && args.steps.is_none());
        assert!(parse(&[]).is_err());
    }

    #[test]
    fn prints_text_or_exactly_the_findings_json() {
        let mut text = String::from("epoch,train_loss,val_loss,train_acc,val_acc,lr\n");
        for e in 1..=10 {
            text.push_str(&format!("{e},2.3,2.31,0.1,0.1,0.001\n"));
        }
        let history = temp_file("flat.csv", &text);
        let args = parse(&["--history", history.to_str().unwrap(), "--json"]).unwrap();
        let json = render(&args).unwrap();
        assert!(
            json.starts_with(
                r#"{"findings":[{"pattern":"not_decreasing","severity":"high","evidence":"#
            ),
            "{json}"
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = value["findings"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{json}");
        assert_eq!(value.as_object().unwrap().len(), 1, "{json}");

        let args = parse(&["--history", history.to_str().unwrap()]).unwrap();
        let plain = render(&args).unwrap();
        assert!(
            plain.starts_with("[high] not_decreasing: train loss went from 2.3"),
            "{plain}"
        );
        let _ = std::fs::remove_file(&history);
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let one = temp_file(
            "one.csv",
            "epoch,train_loss,val_loss,train_acc,val_acc,lr\n1,2.3,2.3,,,\n",
        );
        let err = render(&parse(&["--history", one.to_str().unwrap()]).unwrap()).unwrap_err();
        assert!(err.to_string().contains("need at least 2 epochs"), "{err}");
        let missing = parse(&["--history", "/nonexistent/EPOCHS.csv"]).unwrap();
        assert!(matches!(render(&missing), Err(Error::Io { .. })));
        let _ = std::fs::remove_file(&one);
    }
}
