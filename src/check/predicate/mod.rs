//! Predicates: each one a small file holding its parser and its judgement, registered once in
//! [`REGISTRY`]. Adding a predicate is one new file plus one line here.

mod compare;
mod contains;
mod equals;
mod exists;
mod matches;

use serde_json::Value;
use std::fmt::Debug;
use std::sync::Arc;

/// What a predicate concluded about the value found at a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    /// Why it failed, when there is more to say than "expected X, found Y".
    pub detail: Option<String>,
}

impl Verdict {
    pub fn pass() -> Self {
        Verdict {
            passed: true,
            detail: None,
        }
    }

    pub fn fail(detail: impl Into<String>) -> Self {
        Verdict {
            passed: false,
            detail: Some(detail.into()),
        }
    }

    pub fn from_bool(passed: bool) -> Self {
        Verdict {
            passed,
            detail: None,
        }
    }
}

pub trait Predicate: Debug + Send + Sync {
    /// Judge the value at the path; `None` means the path matched nothing.
    fn evaluate(&self, actual: Option<&Value>) -> Verdict;
    /// The expectation in words, e.g. `equals "billing"`.
    fn describe(&self) -> String;
    /// The value compared against, when there is one, so a report can show a diff.
    fn expected_value(&self) -> Option<Value> {
        None
    }
}

/// Turns the YAML value under a predicate's key into the predicate, or says what is wrong.
pub type Parse = fn(&Value) -> Result<Arc<dyn Predicate>, String>;

pub struct Definition {
    pub name: &'static str,
    pub parse: Parse,
    /// One line for the docs and the JSON Schema.
    pub summary: &'static str,
}

pub const REGISTRY: &[Definition] = &[
    equals::DEFINITION,
    contains::DEFINITION,
    matches::DEFINITION,
    exists::DEFINITION,
    compare::GT,
    compare::GTE,
    compare::LT,
    compare::LTE,
];

pub fn find(name: &str) -> Option<&'static Definition> {
    REGISTRY.iter().find(|definition| definition.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|definition| definition.name)
}
