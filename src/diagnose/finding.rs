//! The vocabulary of a diagnosis: patterns, severities, findings.

use super::Action;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A shape that a training curve can have, each with its usual cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pattern {
    /// The loss became NaN or infinite, or rose far above where it started: LR too high.
    Exploding,
    /// The loss goes up and down without going anywhere: LR somewhat too high.
    Oscillating,
    /// Nothing wrong found.
    Healthy,
    /// The loss goes down steadily but little: LR too low.
    Slow,
    /// The loss stopped improving early while still high: LR too low or no schedule.
    Plateau,
    /// The model fits the training set much better than new data.
    Overfitting,
    /// Training and validation loss are both high and close: the model is too weak or
    /// held back.
    Underfitting,
    /// The training loss did not go down at all.
    NotDecreasing,
    /// Too little or too noisy data to tell.
    Uncertain,
}

impl Pattern {
    /// Every pattern, in the order the rules check them.
    pub const ALL: [Pattern; 9] = [
        Pattern::Exploding,
        Pattern::Oscillating,
        Pattern::Healthy,
        Pattern::Slow,
        Pattern::Plateau,
        Pattern::Overfitting,
        Pattern::Underfitting,
        Pattern::NotDecreasing,
        Pattern::Uncertain,
    ];

    /// The snake_case name, as in JSON: `exploding`, `not_decreasing`, ...
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Exploding => "exploding",
            Pattern::Oscillating => "oscillating",
            Pattern::Healthy => "healthy",
            Pattern::Slow => "slow",
            Pattern::Plateau => "plateau",
            Pattern::Overfitting => "overfitting",
            Pattern::Underfitting => "underfitting",
            Pattern::NotDecreasing => "not_decreasing",
            Pattern::Uncertain => "uncertain",
        }
    }
}

impl fmt::Display for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How urgent a finding is; ordered `Low < Medium < High`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; nothing to fix first.
    Low,
    /// Costs accuracy or time; fix it in the next run.
    Medium,
    /// The run is broken; fix this before anything else.
    High,
}

impl Severity {
    /// `low`, `medium` or `high`.
    pub fn name(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing the curves show: what, how bad, the numbers that show it, and what to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The pattern found.
    pub pattern: Pattern,
    /// How urgent it is.
    pub severity: Severity,
    /// The numbers that show it, in words.
    pub evidence: String,
    /// The next thing to try, in words (with the run's own values and the reasons).
    pub action: String,
    /// The same advice as data: the changes to try, most likely first. Empty for a finding
    /// that only says what is not known.
    #[serde(default)]
    pub actions: Vec<Action>,
}

impl Finding {
    /// A finding without typed actions (add them with [`Finding::with_actions`]).
    pub fn new(
        pattern: Pattern,
        severity: Severity,
        evidence: impl Into<String>,
        action: impl Into<String>,
    ) -> Self {
        Finding {
            pattern,
            severity,
            evidence: evidence.into(),
            action: action.into(),
            actions: Vec::new(),
        }
    }

    /// Sets the typed actions, most likely first.
    pub fn with_actions(mut self, actions: Vec<Action>) -> Self {
        self.actions = actions;
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}: {} -> {}",
            self.severity, self.pattern, self.evidence, self.action
        )
    }
}

/// What the curves of a run show: findings, most severe first.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Diagnosis {
    /// The findings, ordered by severity (high first), rule order within a severity.
    pub findings: Vec<Finding>,
}

impl Diagnosis {
    /// A diagnosis of these findings, sorted by severity (high first; the sort is stable, so
    /// findings of equal severity keep their order).
    pub fn new(mut findings: Vec<Finding>) -> Self {
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        Diagnosis { findings }
    }

    /// Whether some finding has this pattern.
    pub fn has(&self, pattern: Pattern) -> bool {
        self.findings.iter().any(|f| f.pattern == pattern)
    }

    /// The finding to act on first.
    pub fn primary(&self) -> Option<&Finding> {
        self.findings.first()
    }

    /// The patterns found, in the order of the findings.
    pub fn patterns(&self) -> Vec<Pattern> {
        self.findings.iter().map(|f| f.pattern).collect()
    }

    /// The finding with this pattern, if any.
    pub fn get(&self, pattern: Pattern) -> Option<&Finding> {
        self.findings.iter().find(|f| f.pattern == pattern)
    }

    /// The change to try first: the first action of the most severe finding that has one
    /// ([`Action::Keep`] for a healthy run); `None` when every finding only says what is not
    /// known (uncertain).
    pub fn first_action(&self) -> Option<&Action> {
        self.findings.iter().find_map(|f| f.actions.first())
    }

    /// The LR change that findings of these patterns suggest, as `(pattern, factor)`: the
    /// first LR action of the most severe such finding that has one.
    pub fn lr_change(&self, patterns: &[Pattern]) -> Option<(Pattern, f64)> {
        let wanted = self
            .findings
            .iter()
            .filter(|f| patterns.contains(&f.pattern));
        wanted.into_iter().find_map(|f| {
            f.actions
                .iter()
                .find_map(Action::lr_factor)
                .map(|factor| (f.pattern, factor))
        })
    }

    /// Whether the diagnosis is unsure: its most severe finding is "uncertain".
    pub fn is_uncertain(&self) -> bool {
        self.primary()
            .is_some_and(|f| f.pattern == Pattern::Uncertain)
    }
}

impl fmt::Display for Diagnosis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.findings.is_empty() {
            return write!(f, "no findings");
        }
        for (i, finding) in self.findings.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{finding}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(pattern: Pattern, severity: Severity) -> Finding {
        Finding::new(pattern, severity, "evidence", "action")
    }

    #[test]
    fn findings_are_ordered_high_first_and_stable_within_a_severity() {
        let d = Diagnosis::new(vec![
            finding(Pattern::Uncertain, Severity::Low),
            finding(Pattern::Slow, Severity::Medium),
            finding(Pattern::Exploding, Severity::High),
            finding(Pattern::Plateau, Severity::Medium),
        ]);
        assert_eq!(
            d.patterns(),
            vec![
                Pattern::Exploding,
                Pattern::Slow,
                Pattern::Plateau,
                Pattern::Uncertain
            ]
        );
        assert_eq!(d.primary().map(|f| f.pattern), Some(Pattern::Exploding));
        assert!(d.has(Pattern::Slow));
        assert!(!d.has(Pattern::Healthy));
        assert!(Severity::High > Severity::Medium && Severity::Medium > Severity::Low);
    }

    #[test]
    fn names_match_the_json_spelling() {
        for p in Pattern::ALL {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.name()));
        }
        assert_eq!(
            serde_json::to_string(&Severity::Medium).unwrap(),
            "\"medium\""
        );
        let d = Diagnosis::new(vec![finding(Pattern::NotDecreasing, Severity::High)]);
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(
            json,
            r#"{"findings":[{"pattern":"not_decreasing","severity":"high","evidence":"evidence","action":"action","actions":[]}]}"#
        );
        let back: Diagnosis = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn display_is_one_line_per_finding() {
        let d = Diagnosis::new(vec![
            finding(Pattern::Slow, Severity::Medium),
            finding(Pattern::Overfitting, Severity::High),
        ]);
        let text = d.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert!(
            lines[0].starts_with("[high] overfitting: evidence"),
            "{text}"
        );
        assert!(lines[1].starts_with("[medium] slow"), "{text}");
        assert_eq!(Diagnosis::default().to_string(), "no findings");
    }
}
