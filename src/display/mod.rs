//! Rich display: a pure `to_html()` for every result type, plotly charts, the plain-text
//! `Display`, and `evcxr_display()` printing one block per MIME type for Jupyter (evcxr).
//!
//! HTML draws without internet: plotly.js is inlined once per notebook kernel (the first
//! chart shown carries it) or once per standalone page.

mod chart;
mod html;
mod plots;
mod rich;

pub use chart::{chart_html, plotly_script, plotly_script_once, reset_plotly_script};
pub use html::{Cell, escape, fragment, json_table, page, table};
pub use plots::{loss_chart, lr_finder_chart, overlay_chart, sweep_chart};
pub use rich::{emit, evcxr_blocks, study_report, value_html};
