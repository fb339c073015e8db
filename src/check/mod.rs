//! Judging outcomes: predicates over JSONPath selections, and the run-level expectations
//! (status, error, block count, latency, usage, per-step outputs). Pure functions of what was
//! observed and of the grades a judge flow gave; no network code.

pub mod expect;
pub mod grade;
pub mod observation;
mod places;
pub mod predicate;
mod raw;
mod schema;

pub use expect::{ErrorExpectation, Expectation, LatencyBounds, StepExpectation, StepRef};
pub use grade::{Grade, Grades, JudgeSpec};
pub use observation::{Observation, ObservedStep};
pub use raw::{CheckError, ParseContext, RawCheck, compile_value};
pub use schema::suite_schema;

use crate::diagnostic::Position;
use predicate::{Predicate, Verdict};
use serde::Serialize;
use serde_json::Value;
use serde_json_path::JsonPath;
use std::sync::Arc;

/// One check: a JSONPath selection, a predicate, whether to negate it, and its weight.
#[derive(Debug, Clone)]
pub struct Check {
    /// The path as the user wrote it (`$` when none was given).
    pub path_text: String,
    /// Shared between the checks that use the same path (large suites repeat a few paths).
    pub path: Arc<JsonPath>,
    pub negate: bool,
    /// Its share of a case's weighted score (default 1).
    pub weight: f64,
    pub predicate: Arc<dyn Predicate>,
    /// Where the check was written, for annotations and reports.
    pub position: Position,
    /// What it expects in words (`not contains "x"`) and with its path: written when first
    /// asked for (`validate` never does), then shared by every outcome of the check.
    words: std::sync::OnceLock<Words>,
}

#[derive(Debug, Clone)]
struct Words {
    expected: Arc<str>,
    label: Arc<str>,
}

/// The verdict of one check on one observation.
#[derive(Debug, Clone, Serialize, serde::Deserialize, PartialEq)]
pub struct CheckOutcome {
    /// What was checked, e.g. `$.category equals "billing"`.
    pub label: Arc<str>,
    pub passed: bool,
    /// What was expected, in words.
    pub expected: Arc<str>,
    /// What was found (absent when nothing was there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actual: Option<Box<Value>>,
    /// The expected value when the check compares with one, so reports can diff the two.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_value: Option<Box<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The measured score, for checks that measure one (similarity, judges).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub weight: f64,
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

    /// The verdict on `root` with negation applied, and the value the path selected.
    pub fn verdict(&self, root: Option<&Value>, grades: &Grades) -> (Option<Value>, Verdict) {
        let actual = root.and_then(|root| self.select(root));
        let mut verdict = self.predicate.evaluate(actual.as_ref(), grades);
        if self.negate {
            verdict.passed = !verdict.passed;
            if !verdict.passed {
                verdict.detail = None;
            }
        }
        (actual, verdict)
    }

    /// `not contains "x"`, `equals 3`: the expectation in words.
    pub fn describe(&self) -> &str {
        &self.words().expected
    }

    /// `$.category equals "billing"`: the path and the expectation.
    pub fn label(&self) -> &str {
        &self.words().label
    }

    fn words(&self) -> &Words {
        self.words.get_or_init(|| {
            let not = if self.negate { "not " } else { "" };
            let expected = format!("{not}{}", self.predicate.describe());
            let label = format!("{} {expected}", self.path_text);
            Words {
                expected: expected.into(),
                label: label.into(),
            }
        })
    }

    /// Why a path found nothing, when its first key is not in the result (`$.categroy`):
    /// the keys there are, and the likely one.
    fn missing_key(&self, root: &Value) -> Option<String> {
        let Value::Object(map) = root else {
            return None;
        };
        let first = self.path_text.strip_prefix("$.")?;
        let key = first.split(['.', '[']).next().unwrap_or(first);
        if key.is_empty() || key == "*" || map.contains_key(key) {
            return None;
        }
        let keys: Vec<&str> = map.keys().map(String::as_str).collect();
        let hint = crate::diagnostic::did_you_mean(key, keys.iter().copied())
            .map(|h| format!(" ({h})"))
            .unwrap_or_default();
        Some(format!(
            "the result has no `{key}`{hint}; its keys: {}",
            keys.join(", ")
        ))
    }

    pub fn evaluate(&self, root: Option<&Value>, grades: &Grades) -> CheckOutcome {
        let (actual, mut verdict) = self.verdict(root, grades);
        if !verdict.passed && actual.is_none() && verdict.detail.is_none() {
            verdict.detail = root.and_then(|root| self.missing_key(root));
        }
        CheckOutcome {
            label: self.words().label.clone(),
            passed: verdict.passed,
            expected: self.words().expected.clone(),
            // What a passing check found is in the reply already.
            actual: if verdict.passed {
                None
            } else {
                actual.map(Box::new)
            },
            // Only a failure shows a diff: passing checks keep no copy (100k cases add up).
            expected_value: if self.negate || verdict.passed {
                None
            } else {
                self.predicate.expected_value().map(Box::new)
            },
            detail: if verdict.passed { None } else { verdict.detail },
            score: verdict.score,
            weight: self.weight,
            line: self.position.line,
        }
    }
}
