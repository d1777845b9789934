//! Predict, then check: a student writes down an answer before a run shows it, and the
//! notebook compares the two once the run is done.
//!
//! A check never fails the notebook: a wrong prediction is part of learning. It says
//! whether the prediction held, what the run showed, and why.
//!
//! ```
//! use tunelab::lesson;
//! let my_answer = "b"; // the student edits this before running the cells below
//! let shown = "B";     // what the runs showed (computed from them in a notebook)
//! let c = lesson::check("Which LR is too high?", &["A", "B", "C"], my_answer, shown,
//!                       "its loss jumps up in the first epoch");
//! assert!(c.held);
//! ```

/// The outcome of comparing a student's prediction with what a run showed.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionCheck {
    /// The question the student answered.
    pub question: String,
    /// What the student predicted, as written.
    pub predicted: String,
    /// What the run showed.
    pub actual: String,
    /// Whether the prediction matches what the run showed.
    pub held: bool,
    /// Why the run came out this way.
    pub why: String,
    /// Set when the prediction could not be read (not one of the choices, not a number).
    pub problem: Option<String>,
}

fn same(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// Checks a choice: `predicted` against `actual`, both among `choices` (compared without
/// case or surrounding spaces). A prediction that is none of the choices is reported as
/// such, not as wrong.
pub fn check(
    question: &str,
    choices: &[&str],
    predicted: &str,
    actual: &str,
    why: &str,
) -> PredictionCheck {
    let readable = choices.is_empty() || choices.iter().any(|c| same(c, predicted));
    let problem = (!readable).then(|| {
        format!(
            "{predicted:?} is not one of {}: edit the prediction cell and run it again",
            choices.join(", ")
        )
    });
    PredictionCheck {
        question: question.to_string(),
        predicted: predicted.trim().to_string(),
        actual: actual.to_string(),
        held: readable && same(predicted, actual),
        why: why.to_string(),
        problem,
    }
}

/// Checks a number: the prediction holds when it is within `tolerance` of `actual`.
pub fn check_number(
    question: &str,
    predicted: f64,
    actual: f64,
    tolerance: f64,
    why: &str,
) -> PredictionCheck {
    let problem = (!predicted.is_finite())
        .then(|| format!("the prediction {predicted} is not a number: write one, e.g. 0.9"));
    PredictionCheck {
        question: question.to_string(),
        predicted: crate::fmt::num(predicted),
        actual: crate::fmt::num(actual),
        held: problem.is_none() && (predicted - actual).abs() <= tolerance,
        why: format!(
            "{why} (a prediction within {} counts)",
            crate::fmt::num(tolerance)
        ),
        problem,
    }
}

impl std::fmt::Display for PredictionCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "{}", self.question)?;
        if let Some(p) = &self.problem {
            writeln!(f, "  your prediction could not be read: {p}")?;
            write!(f, "  the run showed {}: {}", self.actual, self.why)
        } else if self.held {
            write!(
                f,
                "  your prediction held: {}. {}",
                self.predicted, self.why
            )
        } else {
            write!(
                f,
                "  your prediction was {}; the run showed {}. {}",
                self.predicted, self.actual, self.why
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_choice_holds_without_case_or_spaces_and_an_unknown_one_is_named() {
        let c = check("q", &["A", "B"], " b ", "B", "because");
        assert!(c.held && c.problem.is_none());
        let c = check("q", &["A", "B"], "A", "B", "because");
        assert!(!c.held && c.problem.is_none());
        assert!(
            c.to_string()
                .contains("your prediction was A; the run showed B")
        );
        let c = check("q", &["A", "B"], "D", "D", "because");
        assert!(!c.held, "D is not a choice, even if it is the answer");
        assert!(c.problem.as_deref().unwrap().contains("not one of A, B"));
        // Free answers when no choices are given.
        assert!(check("q", &[], "adam", "Adam", "").held);
    }

    #[test]
    fn a_number_holds_within_its_tolerance() {
        assert!(check_number("q", 0.9, 0.93, 0.05, "w").held);
        assert!(!check_number("q", 0.8, 0.93, 0.05, "w").held);
        let c = check_number("q", f64::NAN, 0.93, 0.05, "w");
        assert!(!c.held && c.problem.is_some());
    }

    #[test]
    fn the_html_escapes_what_the_student_wrote() {
        let c = check("<q>", &[], "<script>", "x", "a & b");
        let html = c.to_html();
        assert!(!html.contains("<script>") && html.contains("&lt;script&gt;"));
        assert!(html.contains("&lt;q&gt;") && html.contains("a &amp; b"));
    }
}
