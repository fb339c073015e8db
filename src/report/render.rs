//! The one rendering of a case's outcome in words: the terminal prints it, the JUnit report
//! puts it in the failure's text, so a reader sees the same explanation everywhere.

use super::diff::diff;
use super::style::{BOLD, DIM, FAIL, PASS, WARN, paint};
use crate::check::CheckOutcome;
use crate::run::{Attempt, CaseOutcome, CaseStatus, Judgement};
use crate::words::short;
use crate::words::{counted, visible};
use anstyle::Style;

/// `support-triage › refund goes to billing @ v3`
pub fn title(outcome: &CaseOutcome) -> Title<'_> {
    Title(outcome)
}

/// A case's [`title`], written where it is shown (a line per case: no string of its own).
pub struct Title<'a>(&'a CaseOutcome);

impl std::fmt::Display for Title<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let outcome = self.0;
        write!(
            f,
            "{} › {} @ {}",
            outcome.suite, outcome.case, outcome.target
        )
    }
}

/// The status word, padded, and its colour.
pub fn status_word(status: CaseStatus) -> (Style, &'static str) {
    match status {
        CaseStatus::Passed => (PASS, "   PASS"),
        CaseStatus::Flaky => (WARN, "  FLAKY"),
        CaseStatus::Failed => (FAIL, "   FAIL"),
        // An error, as JUnit writes it; its explanation says what cut it.
        CaseStatus::Errored | CaseStatus::Interrupted => (FAIL, "  ERROR"),
        CaseStatus::NotRun => (DIM, "NOT RUN"),
    }
}

/// The first thing that went wrong, in one line (for JUnit `message` attributes).
pub fn headline(attempt: &Attempt) -> String {
    match &attempt.result {
        Judgement::Errored(message) => visible(message).into_owned(),
        Judgement::Failed | Judgement::Passed => {
            let mut failed = attempt.checks.iter().filter(|c| !c.passed);
            match failed.next() {
                Some(first) => {
                    let others = failed.count() as u64;
                    let more = match others {
                        0 => String::new(),
                        n => format!(" (and {} failed)", counted(n, "other check")),
                    };
                    format!("{}: {}{more}", first.label, found(first))
                }
                None => "passed".into(),
            }
        }
    }
}

fn found(check: &CheckOutcome) -> String {
    let found = match &check.actual {
        Some(actual) => format!("found {}", short(actual, 200)),
        None => "found nothing".into(),
    };
    match &check.detail {
        Some(detail) => format!("{found} ({detail})"),
        None => found,
    }
}

/// Why an attempt did not pass: each failed check with expected, found and a diff.
pub fn attempt_details(attempt: &Attempt) -> String {
    let mut out = String::new();
    if let Judgement::Errored(message) = &attempt.result {
        out.push_str(&format!("{} {}\n", paint(FAIL, "error:"), visible(message)));
        if attempt.retries > 0 {
            let n = u64::from(attempt.retries);
            out.push_str(&format!(
                "  after {n} {}\n",
                crate::words::agree(n, "retry", "retries")
            ));
        }
        return out;
    }
    for check in attempt.checks.iter().filter(|c| !c.passed) {
        let line = match check.line {
            0 => String::new(),
            line => paint(DIM, format!("  (line {line})")),
        };
        out.push_str(&format!(
            "{} {}{line}\n",
            paint(FAIL, "✗"),
            paint(BOLD, &check.label)
        ));
        match &check.actual {
            Some(actual) => out.push_str(&format!("    found:    {}\n", short(actual, 500))),
            None => out.push_str("    found:    nothing\n"),
        }
        if let Some(detail) = &check.detail {
            out.push_str(&format!("    why:      {detail}\n"));
        }
        let diff = match (&check.expected_value, &check.actual) {
            (Some(expected), Some(actual)) => diff(expected, actual),
            _ => None,
        };
        if let Some(diff) = diff {
            out.push_str(&format!(
                "    diff ({}, {}):\n",
                paint(super::style::REMOVED, "- expected"),
                paint(super::style::ADDED, "+ found")
            ));
            for line in diff.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
    }
    let passed = attempt.checks.iter().filter(|c| c.passed).count();
    if passed > 0 {
        let checks = counted(passed as u64, "other check");
        out.push_str(&paint(DIM, format!("  ({checks} passed)")));
        out.push('\n');
    }
    out
}

/// The whole explanation of a case that did not simply pass.
pub fn case_details(outcome: &CaseOutcome) -> String {
    let mut out = String::new();
    if let Some(reason) = &outcome.reason {
        out.push_str(&format!("{}\n", visible(reason)));
    }
    let total = outcome.attempts.len();
    if total > 1 {
        let passes = outcome
            .attempts
            .iter()
            .filter(|a| a.result == Judgement::Passed)
            .count();
        out.push_str(&format!(
            "{passes} of {total} attempts passed; {} needed\n",
            outcome.pass_if
        ));
    }
    for (index, attempt) in outcome.attempts.iter().enumerate() {
        if attempt.result == Judgement::Passed {
            continue;
        }
        if total > 1 {
            out.push_str(&paint(DIM, format!("attempt {} of {total}:", index + 1)));
            out.push('\n');
        }
        out.push_str(&attempt_details(attempt));
    }
    out
}
