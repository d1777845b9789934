//! The `tunelab` command-line tool.

// Many small tensors are allocated and freed at every training step; mimalloc does that
// about 12-15% faster than the system allocator (scripts/bench.sh).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(tunelab::cli::main());
}
