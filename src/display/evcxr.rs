//! Showing results in Jupyter through the evcxr kernel: one `EVCXR_BEGIN_CONTENT <mime>` ...
//! `EVCXR_END_CONTENT` block per MIME type, with plotly.js sent once per kernel, and the
//! macro that gives a result type its `to_html()` and `evcxr_display()`.

use super::chart::plotly_script_once;
use plotly::Plot;

/// Prints one block per MIME type in evcxr's convention: the plotly figure (when there is
/// one), HTML (with plotly.js the first time in this kernel), and plain text.
pub(crate) fn emit(plot: Option<&Plot>, html: &str, text: &str) {
    let script = if plot.is_some() || html.contains("tunelab-chart") {
        plotly_script_once()
    } else {
        String::new()
    };
    crate::out::outln!("{}", evcxr_blocks(plot, html, text, &script));
}

/// The text `emit` prints: `EVCXR_BEGIN_CONTENT <mime>` ... `EVCXR_END_CONTENT` blocks for
/// the plotly JSON (if any), the HTML (after `script`) and the plain text.
pub(crate) fn evcxr_blocks(plot: Option<&Plot>, html: &str, text: &str, script: &str) -> String {
    let mut out = String::new();
    if let Some(p) = plot {
        out.push_str(&format!(
            "EVCXR_BEGIN_CONTENT application/vnd.plotly.v1+json\n{}\nEVCXR_END_CONTENT\n",
            p.to_json()
        ));
    }
    out.push_str(&format!(
        "EVCXR_BEGIN_CONTENT text/html\n{script}{html}\nEVCXR_END_CONTENT\n"
    ));
    out.push_str(&format!(
        "EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT"
    ));
    out
}

/// Gives `$ty` a public `to_html()` (the fragment `$html` builds, with the tunelab style) and
/// `evcxr_display()` (the figure `$plot` returns, if any, the HTML and the `Display` text).
macro_rules! rich_display {
    ($ty:ty, $what:literal, $html:path, $plot:expr) => {
        impl $ty {
            #[doc = concat!("The ", $what, " as an HTML fragment (charts need plotly.js on the page).")]
            pub fn to_html(&self) -> String {
                $crate::display::html::fragment(&$html(self))
            }

            #[doc = concat!("Shows the ", $what, " in a Jupyter notebook (evcxr kernel).")]
            pub fn evcxr_display(&self) {
                let plot: Option<::plotly::Plot> = $plot(self);
                $crate::display::evcxr::emit(plot.as_ref(), &self.to_html(), &self.to_string());
            }
        }
    };
}
pub(super) use rich_display;

/// Shows any `Debug` value as plain text when a notebook cell ends in it.
///
/// evcxr shows a cell's final value by first compiling `value.evcxr_display()` and, when
/// that does not compile, compiling the cell a second time with `Debug` formatting. With this
/// trait in scope (`use tunelab::*;`) the first attempt always compiles, so a cell that ends
/// in a number or a `Vec` is compiled once, not twice. Types with their own
/// `evcxr_display()` (every tunelab result) still use theirs: inherent methods come first.
/// The unit value `()` shows nothing.
pub trait ShowInNotebook {
    /// Prints the value's `Debug` text in evcxr's plain-text block.
    fn evcxr_display(&self);
}

impl<T: std::fmt::Debug + ?Sized> ShowInNotebook for T {
    fn evcxr_display(&self) {
        if let Some(block) = plain_block(self) {
            crate::out::outln!("{block}");
        }
    }
}

/// The plain-text block for `value`, or `None` for the unit value.
fn plain_block<T: std::fmt::Debug + ?Sized>(value: &T) -> Option<String> {
    let text = format!("{value:?}");
    (text != "()").then(|| format!("EVCXR_BEGIN_CONTENT text/plain\n{text}\nEVCXR_END_CONTENT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_values_get_one_plain_block_and_unit_gets_none() {
        assert_eq!(
            plain_block(&42usize).as_deref(),
            Some("EVCXR_BEGIN_CONTENT text/plain\n42\nEVCXR_END_CONTENT")
        );
        assert_eq!(
            plain_block("a").as_deref(),
            Some("EVCXR_BEGIN_CONTENT text/plain\n\"a\"\nEVCXR_END_CONTENT")
        );
        assert_eq!(plain_block(&()), None);
    }

    #[test]
    fn plotly_js_is_sent_once_per_process_until_reset() {
        use crate::display::chart::plotly_script_once;
        crate::display::reset_plotly_script();
        let first = plotly_script_once();
        assert!(
            first.len() > 1_000_000,
            "plotly.js inline: {} bytes",
            first.len()
        );
        assert_eq!(plotly_script_once(), "");
        // The mark is in the environment, which every cell library of a kernel shares.
        assert!(std::env::var_os("TUNELAB_PLOTLY_JS_SENT").is_some());
        crate::display::reset_plotly_script();
        assert_eq!(plotly_script_once().len(), first.len());
    }

    #[test]
    fn emitted_blocks_follow_evcxr_convention() {
        let advice = crate::advise::batch_size_for(1000).unwrap();
        let html = advice.to_html();
        assert!(html.starts_with("<div class=\"tunelab\">"));
        assert!(html.contains("<table style="));
        let plot = crate::display::overlay_chart(&[], "val_loss", false);
        let blocks = evcxr_blocks(Some(&plot), &html, "plain", "<script>lib</script>");
        let mimes: Vec<&str> = blocks
            .lines()
            .filter_map(|l| l.strip_prefix("EVCXR_BEGIN_CONTENT "))
            .collect();
        assert_eq!(
            mimes,
            ["application/vnd.plotly.v1+json", "text/html", "text/plain"]
        );
        assert_eq!(blocks.matches("EVCXR_END_CONTENT").count(), 3);
        assert!(blocks.contains("text/html\n<script>lib</script><div class=\"tunelab\">"));
        let no_plot = evcxr_blocks(None, "<p>x</p>", "x", "");
        assert!(!no_plot.contains("plotly"));
    }
}
