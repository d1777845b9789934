//! Enables tunelab's `flex` and `tch` backends in the notebook kernel (see Cargo.toml).
