//! Charts with the plotly crate, and the HTML that draws them without internet.

use plotly::Plot;
use std::sync::atomic::{AtomicU64, Ordering};

static CHART_COUNTER: AtomicU64 = AtomicU64::new(0);

/// The process-wide mark that plotly.js was sent. It lives in the environment, not in a
/// `static`: the evcxr kernel links tunelab into every cell's library, so each cell has its
/// own copy of tunelab's statics, while the environment is shared by the whole kernel.
const PLOTLY_SENT_VAR: &str = "TUNELAB_PLOTLY_JS_SENT";

/// The plotly.js library as one inline `<script>` (about 4.6 MB; embedded in the crate, so
/// nothing is fetched from a CDN).
pub(crate) fn plotly_script() -> String {
    let sources = Plot::offline_js_sources();
    // The embedded sources are plotly.js then MathJax; tunelab needs only plotly.js.
    let plotly = match sources.find("</script>") {
        Some(end) => &sources[..end + "</script>".len()],
        None => sources.as_str(),
    };
    // Hide an AMD loader (classic notebook pages have require.js) while plotly.js loads, so
    // that it always defines the global `Plotly` the charts call.
    format!(
        "<script type=\"text/javascript\">window.__tunelabDefine=window.define;window.define=undefined;</script>\n{plotly}\n<script type=\"text/javascript\">window.define=window.__tunelabDefine;</script>"
    )
}

/// The plotly.js script the first time it is asked for in this process (a notebook kernel),
/// an empty string afterwards: later outputs in the same notebook reuse it.
pub(crate) fn plotly_script_once() -> String {
    if std::env::var_os(PLOTLY_SENT_VAR).is_some() {
        return String::new();
    }
    // SAFETY: called while a result is being displayed, on the thread that runs the notebook
    // cell; tunelab starts no thread that reads the environment, and no training runs
    // during display.
    unsafe { std::env::set_var(PLOTLY_SENT_VAR, "1") };
    plotly_script()
}

/// Forgets that plotly.js was sent, so that the next chart carries it again: for a notebook
/// whose outputs were cleared without restarting the kernel.
pub fn reset_plotly_script() {
    // SAFETY: as in `plotly_script_once`.
    unsafe { std::env::remove_var(PLOTLY_SENT_VAR) };
}

fn next_id() -> String {
    let n = CHART_COUNTER.fetch_add(1, Ordering::Relaxed);
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    format!(
        "tunelab-chart-{:x}-{n}",
        stamp ^ (std::process::id() as u64) << 32
    )
}

/// A `<div>` and the script that draws `plot` into it once plotly.js is on the page. The
/// figure JSON is escaped for a script context (`</` cannot end the script early).
pub(crate) fn chart_html(plot: &Plot) -> String {
    let id = next_id();
    let json = plot.to_json().replace("</", "<\\/");
    format!(
        "<div id=\"{id}\" class=\"plotly-graph-div tunelab-chart\" style=\"min-height:440px;width:100%;max-width:900px\"></div>\
<script type=\"text/javascript\">(function(){{var fig={json};var el=document.getElementById(\"{id}\");\
function draw(){{window.Plotly.newPlot(el,fig.data,fig.layout,{{responsive:true}});}}\
if(window.Plotly){{draw();}}else{{var n=0;var t=setInterval(function(){{if(window.Plotly){{clearInterval(t);draw();}}\
else if(++n>100){{clearInterval(t);el.textContent=\"plotly.js is not loaded on this page: run tunelab::display::reset_plotly_script() and re-run this cell\";}}}},50);}}}})();</script>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use plotly::Scatter;

    /// The id of the chart `<div>` that starts `html`.
    fn div_id(html: &str) -> &str {
        let rest = html
            .strip_prefix("<div id=\"")
            .expect("starts with our div");
        &rest[..rest.find('"').unwrap()]
    }

    #[test]
    fn chart_html_is_our_div_and_one_script_that_draws_into_it() {
        let mut plot = Plot::new();
        plot.add_trace(Scatter::new(vec![1, 2], vec![3, 4]).name("</script><b>"));
        let a = chart_html(&plot);
        let b = chart_html(&plot);
        // A trace name cannot end the script early: `</` is escaped in the figure JSON.
        assert!(!a.contains("</script><b>"));
        assert!(a.contains("<\\/script><b>"));
        // Our div, then exactly one script element (ours), which ends the fragment and looks
        // the div up by its id.
        let id = div_id(&a);
        assert!(id.starts_with("tunelab-chart-"), "{id}");
        assert!(a.starts_with(&format!(
            "<div id=\"{id}\" class=\"plotly-graph-div tunelab-chart\""
        )));
        assert_eq!(a.matches("<div").count(), 1);
        assert_eq!(a.matches("<script").count(), 1);
        assert_eq!(a.matches("</script>").count(), 1);
        assert!(a.ends_with("</script>"));
        assert_eq!(a.matches("getElementById(").count(), 1);
        assert!(a.contains(&format!("document.getElementById(\"{id}\")")));
        // Every chart gets its own id.
        assert_ne!(div_id(&a), div_id(&b));
    }

    #[test]
    fn plotly_script_is_the_inline_library_between_our_two_loader_guards() {
        let hide = "<script type=\"text/javascript\">window.__tunelabDefine=window.define;window.define=undefined;</script>\n";
        let restore =
            "\n<script type=\"text/javascript\">window.define=window.__tunelabDefine;</script>";
        let s = plotly_script();
        assert!(s.starts_with(hide));
        assert!(s.ends_with(restore));
        // The guards are ours alone: the saved `define` is named nowhere else.
        assert_eq!(s.matches("__tunelabDefine").count(), 2);
        // Between them, the first script element of the crate's embedded sources (plotly.js;
        // MathJax after it is left out), inline: its opening tag fetches nothing.
        let library = &s[hide.len()..s.len() - restore.len()];
        assert!(library.starts_with("<script"), "{}", &library[..80]);
        assert!(library.ends_with("</script>"));
        let opening = &library[..library.find('>').unwrap()];
        assert!(!opening.contains("src"), "{opening}");
        assert!(Plot::offline_js_sources().starts_with(library));
        assert!(library.len() > 1_000_000, "{} bytes", library.len());
    }
}
