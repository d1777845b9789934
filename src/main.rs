//! The `tunelab` command-line tool.

fn main() {
    std::process::exit(tunelab::cli::main());
}
