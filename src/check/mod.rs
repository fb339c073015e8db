//! Judging outcomes: predicates over JSONPath selections, and the run-level expectations
//! (status, error, block count, latency, per-step outputs). Pure functions of what was
//! observed; no network code.

pub mod expect;
pub mod observation;
pub mod predicate;
mod raw;

pub use expect::{ErrorExpectation, Expectation, LatencyBounds, StepExpectation, StepRef};
pub use observation::{Observation, ObservedStep};
pub use raw::RawCheck;

use crate::diagnostic::Position;
use predicate::Predicate;
use serde::Serialize;
use serde_json::Value;
use serde_json_path::JsonPath;
use std::sync::Arc;

/// One output check: a JSONPath selection, a predicate, and whether to negate it.
#[derive(Debug, Clone)]
pub struct Check {
    /// The path as the user wrote it (`$` when none was given).
    pub path_text: String,
    pub path: JsonPath,
    pub negate: bool,
    pub predicate: Arc<dyn Predicate>,
    /// Where the check was written, for annotations and reports.
    pub position: Position,
}

/// The verdict of one check on one observation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CheckOutcome {
    /// What was checked, e.g. `$.category equals "billing"`.
    pub label: String,
    pub passed: bool,
    /// What was expected, in words.
    pub expected: String,
    /// What was found (absent when nothing was there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<Value>,
    /// The expected value when the check compares with one, so reports can diff the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_value: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub line: u32,
}

impl Check {
    /// Select the value at the path: nothing, the one node, or an array of every node matched.
    pub fn select(&self, root: &Value) -> Option<Value> {
        let nodes = self.path.query(root).all();
        match nodes.as_slice() {
            [] => None,
            [one] => Some((*one).clone()),
            many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
        }
    }

    pub fn evaluate(&self, root: Option<&Value>) -> CheckOutcome {
        let actual = root.and_then(|root| self.select(root));
        let verdict = self.predicate.evaluate(actual.as_ref());
        let passed = verdict.passed != self.negate;
        let not = if self.negate { "not " } else { "" };
        let expected = format!("{not}{}", self.predicate.describe());
        CheckOutcome {
            label: format!("{} {expected}", self.path_text),
            passed,
            expected,
            actual,
            expected_value: if self.negate {
                None
            } else {
                self.predicate.expected_value()
            },
            detail: if passed { None } else { verdict.detail },
            line: self.position.line,
        }
    }
}

/// Render a JSON value compactly for messages, cut to `max` characters.
pub fn short(value: &Value, max: usize) -> String {
    let text = match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    };
    if text.chars().count() <= max {
        text
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}… ({} chars)", text.chars().count())
    }
}
