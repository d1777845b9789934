//! Rich display: a pure `to_html()` for every result type, plotly charts, the plain-text
//! `Display`, and `evcxr_display()` printing one block per MIME type for Jupyter (evcxr).
//!
//! HTML draws without internet: plotly.js is inlined once per notebook kernel (the first
//! chart shown carries it) or once per standalone page.

mod advice_html;
mod chart;
mod curves;
mod diagnosis_html;
mod evcxr;
mod history_html;
mod html;
mod lesson_html;
mod log_html;
mod lr_finder_html;
mod plots;
mod repeats_html;
mod run_html;
mod schema_table;
mod study_html;

pub use chart::reset_plotly_script;
pub use curves::{Curves, StepLosses};
pub use evcxr::ShowInNotebook;
pub use plots::{loss_chart, lr_finder_chart, overlay_chart, progress_chart, sweep_chart};
pub use study_html::study_report;

/// A two-epoch run on iris, for the tests of the HTML of runs and logs.
#[cfg(test)]
fn tiny_run() -> crate::train::Run {
    let splits = crate::data::iris()
        .unwrap()
        .split(&crate::data::SplitConfig::default())
        .unwrap();
    let config = crate::train::TrainConfig::default()
        .with_epochs(2)
        .with_batch_size(16);
    crate::train::train(&splits, &config).unwrap()
}
