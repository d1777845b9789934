//! The command-line interface (`tunelab train`, ...). The binary calls [`main`]; the
//! benchmark measures [`workers`]; nothing else here is public.

mod advise_cmd;
mod args;
mod diagnose_cmd;
mod log_cmd;
mod lr_find_cmd;
mod train_cmd;
mod tune_cmd;
pub mod workers;

use crate::error::Error;
use clap::{Parser, Subcommand};

/// tunelab: learn hyperparameter tuning by doing it.
#[derive(Debug, Parser)]
#[command(name = "tunelab", version, about, long_about = None)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Train one model and print its curves, outcome and summary.
    #[command(allow_negative_numbers = true)]
    Train(train_cmd::TrainArgs),
    /// Run the learning-rate range test and print its suggestions.
    #[command(allow_negative_numbers = true)]
    LrFind(lr_find_cmd::LrFindArgs),
    /// Run the whole tuning study and write its log and report.
    #[command(allow_negative_numbers = true)]
    Tune(tune_cmd::TuneArgs),
    /// Diagnose a training history (the CSV of `train --history-csv`).
    #[command(allow_negative_numbers = true)]
    Diagnose(diagnose_cmd::DiagnoseArgs),
    /// Print an experiment log: show, best, compare.
    #[command(allow_negative_numbers = true)]
    Log(log_cmd::LogArgs),
    /// Print the tuning guide's rules of thumb: batch, memory, regularization.
    #[command(allow_negative_numbers = true)]
    Advise(advise_cmd::AdviseArgs),
    /// Train the trials `tune` sends on its input (started by `tune`, not by people).
    #[command(hide = true)]
    TrialWorker(TrialWorkerArgs),
}

/// Flags of the hidden `tunelab trial-worker`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TrialWorkerArgs {
    /// Threads of the worker's pool (its share of `tune --threads`).
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

/// Exit status for bad flags, values and input data.
pub(crate) const EXIT_USAGE: i32 = 2;
/// Exit status for failures while running.
pub(crate) const EXIT_FAILURE: i32 = 1;

/// Parses the command line, runs the command and returns the exit status. Errors are one
/// line on stderr.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            use clap::error::ErrorKind;
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                let _ = err.print();
                return if err.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                    EXIT_USAGE
                } else {
                    0
                };
            }
            crate::out::errln!("{}", clap_line(&err.to_string()));
            return EXIT_USAGE;
        }
    };
    let result = match cli.command {
        Command::Train(args) => train_cmd::run(args),
        Command::LrFind(args) => lr_find_cmd::run(args),
        Command::Tune(args) => tune_cmd::run(args),
        Command::Diagnose(args) => diagnose_cmd::run(args),
        Command::Log(args) => log_cmd::run(args),
        Command::Advise(args) => advise_cmd::run(args),
        Command::TrialWorker(args) => workers::serve(args.threads),
    };
    // A closed pipe (`| head -1`) only stops the printing; any other failure of stdout (a
    // full device) fails the command, after its work is done and saved.
    let result = result.and_then(|()| match crate::out::stdout_failure() {
        None => Ok(()),
        Some(e) => Err(Error::io("stdout", e)),
    });
    match result {
        Ok(()) => 0,
        Err(err) => {
            crate::out::errln!("error: {}", one_line(&err));
            exit_code(&err)
        }
    }
}

/// The longest error line printed; longer ones are cut with `…` (the parts quoted from
/// files are cut shorter where they are made).
const LINE_MAX: usize = 500;

/// clap's message on one line: its first line, and when that ends with a colon (a list of
/// missing arguments follows), the items of the list; without the usage and tips.
fn clap_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("error: bad arguments");
    let mut line = first.to_string();
    if first.ends_with(':') {
        let items: Vec<&str> = lines.take_while(|l| !l.starts_with("Usage:")).collect();
        line.push(' ');
        line.push_str(&items.join(", "));
    }
    crate::error::cut(&line, LINE_MAX)
}

fn one_line(err: &Error) -> String {
    let text = match err {
        Error::InvalidHyperparameter {
            name,
            value,
            valid,
            hint,
        } => format!(
            "invalid value '{value}' for {}: must be {valid}{}",
            flag(name),
            crate::error::hint_text(hint)
        ),
        Error::TooLarge {
            name,
            value,
            max,
            why,
        } => format!(
            "invalid value '{value}' for {}: must be at most {max} ({why})",
            flag(name)
        ),
        Error::UnknownName { name, value, known } => {
            format!("invalid value '{value}' for {}: use {known}", flag(name))
        }
        other => other.to_string(),
    };
    crate::error::cut(&text, LINE_MAX)
}

/// The flag of a config field: `batch_size` is `--batch-size`.
fn flag(name: &str) -> String {
    format!("--{}", name.replace('_', "-"))
}

fn exit_code(err: &Error) -> i32 {
    match err {
        Error::InvalidHyperparameter { .. }
        | Error::TooLarge { .. }
        | Error::UnknownName { .. }
        | Error::UnknownRun { .. }
        | Error::UnknownDataset { .. }
        | Error::Data { .. }
        | Error::File { .. }
        | Error::ShapeMismatch { .. }
        | Error::DeviceUnavailable { .. }
        | Error::OutOfMemory { .. } => EXIT_USAGE,
        Error::Io { .. } => EXIT_USAGE,
        _ => EXIT_FAILURE,
    }
}
