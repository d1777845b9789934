//! `tunelab diagnose`: read a run's history CSV and say what its curves show, judged with
//! what is known about the run: the context file `tunelab train` writes beside the history,
//! then the flags, then what the curves themselves tell (the class count from the first
//! step's loss).

use super::args::{hidden, optimizer};
use crate::diagnose::{Diagnosis, History, RunContext, diagnose};
use crate::error::{Error, Result};
use crate::train::OptimizerKind;
use clap::Args;
use std::path::{Path, PathBuf};

/// Flags of `tunelab diagnose`.
#[derive(Debug, Clone, Args)]
pub(crate) struct DiagnoseArgs {
    /// Per-epoch history CSV: tunelab's (header epoch,train_loss,val_loss,train_acc,val_acc,lr,
    /// as written by `tunelab train --history-csv`), Keras's (loss,val_loss,accuracy,
    /// val_accuracy) or PyTorch Lightning CSVLogger's metrics.csv.
    #[arg(long)]
    history: PathBuf,
    /// Per-step CSV (header step,loss,lr), for the step-level checks.
    #[arg(long)]
    steps: Option<PathBuf>,
    /// The run's context (JSON); default: the file `tunelab train` writes beside the history
    /// (H.context.json for H.csv), when there is one.
    #[arg(long)]
    context: Option<PathBuf>,
    /// The optimizer: adam, adamw, sgd, sgd-momentum or rmsprop (its default LR tells whether
    /// the LR is far off).
    #[arg(long, value_parser = optimizer)]
    optimizer: Option<OptimizerKind>,
    /// The base learning rate (else the largest of the history's lr column).
    #[arg(long)]
    lr: Option<f64>,
    /// Number of classes (else read from the context, or from the first step's loss).
    #[arg(long)]
    classes: Option<usize>,
    /// The share of each class among the training rows, e.g. 0.7,0.3.
    #[arg(long, value_delimiter = ',')]
    class_shares: Option<Vec<f64>>,
    /// Samples per optimizer step.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Dropout in use.
    #[arg(long)]
    dropout: Option<f64>,
    /// Weight decay in use.
    #[arg(long)]
    weight_decay: Option<f64>,
    /// Hidden layer widths, e.g. 128,64.
    #[arg(long, value_parser = hidden)]
    hidden: Option<super::args::Hidden>,
    /// Whether the training rows were shuffled every epoch (true or false).
    #[arg(long)]
    shuffled: Option<bool>,
    /// The rows the model trained on (a CSV file, or an embedded dataset's name; the whole
    /// table does too): their classes and class shares, their number and the spread of the
    /// features' scales, which the majority-class, no-signal and unscaled-features checks
    /// read. Flags given beside it win.
    #[arg(long)]
    data: Option<String>,
    /// The class column of the `--data` CSV file.
    #[arg(long, default_value = "target")]
    target: String,
    /// Print {"findings":[{"pattern","severity","evidence","action","actions"}, ...]} on
    /// stdout.
    #[arg(long)]
    json: bool,
}

/// Runs `tunelab diagnose`: prints the diagnosis as text (one finding per line) or JSON, and
/// on stderr what it knew of the run and where that came from.
pub(super) fn run(args: DiagnoseArgs) -> Result<()> {
    let (text, notes) = render(&args)?;
    for note in notes {
        crate::out::errln!("{note}");
    }
    crate::out::outln!("{text}");
    Ok(())
}

/// The context file beside a history: `H.context.json` for `H.csv`.
pub(crate) fn context_path(history: &Path) -> PathBuf {
    history.with_extension("context.json")
}

/// The text `tunelab diagnose` prints for these flags, and the notes about the context.
fn render(args: &DiagnoseArgs) -> Result<(String, Vec<String>)> {
    let (mut history, format) =
        History::from_csv_files_in_format(&args.history, args.steps.as_deref())?;
    let mut notes = Vec::new();
    if format != "tunelab" {
        notes.push(format!("history: read as {format}"));
    }
    let beside = context_path(&args.history);
    let context_file = match &args.context {
        Some(path) => Some(path.clone()),
        None => beside.is_file().then_some(beside),
    };
    if let Some(path) = &context_file {
        let text = crate::fsutil::read_input_text(path)?;
        history.context = RunContext::from_json(&text, &path.display().to_string())?;
        notes.push(format!("context: {}", path.display()));
    }
    if let Some(data) = &args.data {
        let rows = super::args::DataArgs {
            data: data.clone(),
            target: args.target.clone(),
            split_seed: 0,
            dedupe: false,
            force_classes: false,
        }
        .dataset()?;
        notes.push(format!(
            "data: {data}: {} rows, {} classes",
            rows.n_samples(),
            rows.n_classes()
        ));
        history.context = std::mem::take(&mut history.context).with_data(&rows);
    }
    apply_flags(&mut history.context, args);
    if let Some(k) = history.infer_classes() {
        notes.push(format!(
            "classes: {k}, inferred from the first step's loss (≈ ln {k}); give --classes to set it"
        ));
    } else if history.context.n_classes.is_none() {
        notes.push(
            "classes: unknown (give --classes, or --steps with the first step's loss): loss levels are not judged"
                .to_string(),
        );
    }
    let diagnosis = diagnose(&history)?;
    let text = if args.json {
        diagnosis_json(&diagnosis)?
    } else {
        diagnosis.to_string()
    };
    Ok((text, notes))
}

/// The flags given, over what the context file said.
fn apply_flags(c: &mut RunContext, args: &DiagnoseArgs) {
    if args.optimizer.is_some() {
        c.optimizer = args.optimizer;
    }
    if args.lr.is_some() {
        c.lr = args.lr;
    }
    if args.classes.is_some() {
        c.n_classes = args.classes;
        c.classes_inferred = false;
    }
    if let Some(shares) = &args.class_shares {
        c.class_shares = Some(shares.clone());
        if c.n_classes.is_none() {
            c.n_classes = Some(shares.len());
        }
    }
    if args.batch_size.is_some() {
        c.batch_size = args.batch_size;
    }
    if args.dropout.is_some() {
        c.dropout = args.dropout;
    }
    if args.weight_decay.is_some() {
        c.weight_decay = args.weight_decay;
    }
    if let Some(h) = &args.hidden {
        c.hidden_layers = Some(h.0.len());
        c.narrowest_hidden = h.0.iter().copied().min();
    }
    if args.shuffled.is_some() {
        c.shuffled = args.shuffled;
    }
}

/// The diagnosis as one line of JSON: `{"findings":[{"pattern":..,"severity":..,
/// "evidence":..,"action":..,"actions":[..]}]}`.
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
        let json = render(&args).unwrap().0;
        assert!(
            json.starts_with(
                r#"{"findings":[{"pattern":"not_decreasing","severity":"high","evidence":"#
            ),
            "{json}"
        );
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        let keys: Vec<&String> = value["findings"][0].as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 5, "{json}");
        assert_eq!(value.as_object().unwrap().len(), 1, "{json}");

        let args = parse(&["--history", history.to_str().unwrap()]).unwrap();
        let plain = render(&args).unwrap().0;
        assert!(
            plain.starts_with("[high] not_decreasing: train loss went from 2.3"),
            "{plain}"
        );
        let _ = std::fs::remove_file(&history);
    }

    #[test]
    fn a_keras_history_with_flags_and_an_inferred_class_count_is_read() {
        // Adam at 0.08 stuck at 91% of ln(10): with the optimizer given, the LR is 80x its
        // default and the advice cuts it; the class count comes from the first step's loss.
        let mut keras = String::from("epoch,loss,val_loss,accuracy,val_accuracy\n");
        for e in 0..10 {
            let loss = if e < 2 { 2.2 - 0.05 * e as f64 } else { 2.1 };
            keras.push_str(&format!("{e},{loss},{},0.2,0.2\n", loss + 0.01));
        }
        let history = temp_file("keras.csv", &keras);
        let steps = temp_file("keras-steps.csv", "step,loss\n0,2.31\n1,2.2\n");
        let argv = [
            "--history",
            history.to_str().unwrap(),
            "--steps",
            steps.to_str().unwrap(),
            "--optimizer",
            "adam",
            "--lr",
            "0.08",
        ];
        let (text, notes) = render(&parse(&argv).unwrap()).unwrap();
        assert!(
            notes.iter().any(|n| n == "history: read as Keras"),
            "{notes:?}"
        );
        assert!(
            notes.iter().any(|n| n.starts_with("classes: 10, inferred")),
            "{notes:?}"
        );
        assert!(!text.contains("raise LR"), "{text}");
        assert!(text.contains("reduce the LR 10x, try 0.008"), "{text}");
        let flags = parse(&[
            "--history",
            "h.csv",
            "--class-shares",
            "0.7,0.3",
            "--hidden",
            "64,8",
        ])
        .unwrap();
        let mut c = RunContext::default();
        apply_flags(&mut c, &flags);
        assert_eq!(c.class_shares, Some(vec![0.7, 0.3]));
        assert_eq!(
            (c.n_classes, c.narrowest_hidden, c.hidden_layers),
            (Some(2), Some(8), Some(2))
        );
        let _ = std::fs::remove_file(&history);
        let _ = std::fs::remove_file(&steps);
    }

    #[test]
    fn the_context_beside_the_history_is_read_and_a_bad_one_is_an_error() {
        let history = temp_file(
            "ctx.csv",
            "epoch,train_loss,val_loss\n1,2.3,2.3\n2,2.3,2.3\n3,2.3,2.3\n4,2.3,2.3\n5,2.3,2.3\n",
        );
        let beside = context_path(&history);
        assert!(beside.to_str().unwrap().ends_with("ctx.context.json"));
        std::fs::write(
            &beside,
            r#"{"optimizer": "sgd", "lr": 5.0, "n_classes": 10}"#,
        )
        .unwrap();
        let (text, notes) =
            render(&parse(&["--history", history.to_str().unwrap()]).unwrap()).unwrap();
        assert!(
            notes.iter().any(|n| n.starts_with("context: ")),
            "{notes:?}"
        );
        assert!(text.contains("500x sgd's default"), "{text}");
        std::fs::write(&beside, "not json").unwrap();
        let err = render(&parse(&["--history", history.to_str().unwrap()]).unwrap()).unwrap_err();
        assert!(err.to_string().contains("not a run context"), "{err}");
        let _ = std::fs::remove_file(&beside);
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

    #[test]
    fn the_training_rows_give_the_class_shares_and_a_bad_file_is_an_error() {
        // One row in 16 of class 1, features without signal: a model that only answers the
        // majority class. From its files alone the class shares are unknown.
        let n = 600;
        let mut csv = String::from("x0,x1,x2,x3,target\n");
        let (mut features, mut labels) = (Vec::new(), Vec::new());
        let mut state = 7u64;
        for i in 0..n {
            let mut row = Vec::new();
            for _ in 0..4 {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = ((state >> 40) as f32 / (1u64 << 24) as f32) - 0.5;
                features.push(v);
                row.push(format!("{v}"));
            }
            let label = usize::from(i % 16 == 0);
            labels.push(label);
            csv.push_str(&format!("{},{label}\n", row.join(",")));
        }
        let names = (0..4).map(|j| format!("x{j}")).collect();
        let set = crate::data::Dataset::new(
            "majority",
            features,
            labels,
            names,
            vec!["0".into(), "1".into()],
        )
        .unwrap();
        let splits = set.split(&crate::data::SplitConfig::default()).unwrap();
        let run = crate::train::train(
            &splits,
            &crate::train::TrainConfig::new(OptimizerKind::Adam).with_epochs(15),
        )
        .unwrap();
        let history = temp_file("majority.csv", &run.history_csv());
        let steps = temp_file("majority-steps.csv", &run.steps_csv());
        let data = temp_file("majority-data.csv", &csv);
        let (h, s, d) = (
            history.to_str().unwrap(),
            steps.to_str().unwrap(),
            data.to_str().unwrap(),
        );
        let (without, _) = render(&parse(&["--history", h, "--steps", s]).unwrap()).unwrap();
        // Without the rows: the constant accuracy is all there is to go on.
        assert!(
            !without.contains("always answering the majority class scores"),
            "{without}"
        );
        let (with, notes) =
            render(&parse(&["--history", h, "--steps", s, "--data", d]).unwrap()).unwrap();
        // With them: the majority class's accuracy, from the shares.
        assert!(
            with.contains("always answering the majority class scores 0.9367"),
            "{with}"
        );
        assert!(!with.contains("healthy"), "{with}");
        assert!(
            notes.iter().any(|n| n.contains("600 rows, 2 classes")),
            "{notes:?}"
        );
        // The same as typing the shares: 562 and 38 of the 600 rows.
        let (typed, _) = render(
            &parse(&[
                "--history",
                h,
                "--steps",
                s,
                "--class-shares",
                "0.9366666666666666,0.06333333333333334",
            ])
            .unwrap(),
        )
        .unwrap();
        assert_eq!(typed, with);
        // A class column that is not there is an error that names it.
        let err = render(&parse(&["--history", h, "--data", d, "--target", "label"]).unwrap())
            .unwrap_err()
            .to_string();
        assert!(err.contains("label"), "{err}");
        for f in [&history, &steps, &data] {
            let _ = std::fs::remove_file(f);
        }
    }
}
