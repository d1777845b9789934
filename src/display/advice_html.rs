//! The advice and measurement types as key/value HTML tables built from their serialised
//! fields.

use super::html::{fragment, json_table};

/// Any serialisable value as an HTML key/value table (used for the advice tables).
pub(crate) fn value_html<T: serde::Serialize>(caption: &str, value: &T) -> String {
    let json = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    fragment(&json_table(caption, &json))
}

/// Gives each type a public `to_html()` (its fields as a key/value table under the caption)
/// and `evcxr_display()` (that table and the `Display` text).
macro_rules! rich_table {
    ($($ty:ty => $caption:literal),* $(,)?) => {
        $(
            impl $ty {
                #[doc = concat!("The ", $caption, " as an HTML table.")]
                pub fn to_html(&self) -> String {
                    value_html($caption, self)
                }

                #[doc = concat!("Shows the ", $caption, " in a Jupyter notebook (evcxr kernel).")]
                pub fn evcxr_display(&self) {
                    super::evcxr::emit(None, &self.to_html(), &self.to_string());
                }
            }
        )*
    };
}

rich_table!(
    crate::advise::BatchAdvice => "batch size advice",
    crate::advise::LrScaling => "learning rate for a new batch size",
    crate::advise::MemoryEstimate => "memory estimate",
    crate::advise::AccumulationPlan => "gradient accumulation plan",
    crate::advise::RegularizationAdvice => "regularisation advice",
    crate::train::NoiseScale => "gradient noise scale",
    crate::train::SanityCheck => "sanity check",
    crate::advise::Architecture => "architecture",
    crate::advise::ArchitectureAdvice => "architecture advice",
    crate::advise::MemoryFit => "memory fit",
);
