//! Predicates: each one (or one small family) a file holding its parser and its judgement,
//! registered once in [`REGISTRY`]. Adding a predicate is one new file plus one line here.

mod approx;
mod bounds;
mod combine;
mod compare;
mod contains;
mod equals;
mod exists;
mod items;
mod json_schema;
mod judge;
mod matches;
mod numbers;
mod one_of;
mod similarity;
mod size;
mod subset;
mod text;
mod type_of;

pub use compare::{as_number, percentage_hint};
pub use equals::json_equal;
pub use numbers::reaches;

use super::grade::{Grades, JudgeSpec};
use super::raw::ParseContext;
use serde_json::Value;
use std::fmt::Debug;
use std::sync::Arc;

/// What a predicate concluded about the value found at a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    /// Why it failed, when there is more to say than "expected X, found Y".
    pub detail: Option<String>,
    /// The measured score, for predicates that measure one.
    pub score: Option<f64>,
}

impl Verdict {
    pub fn pass() -> Self {
        Verdict {
            passed: true,
            detail: None,
            score: None,
        }
    }

    pub fn fail(detail: impl Into<String>) -> Self {
        Verdict {
            passed: false,
            detail: Some(detail.into()),
            score: None,
        }
    }

    pub fn from_bool(passed: bool) -> Self {
        Verdict {
            passed,
            detail: None,
            score: None,
        }
    }

    /// A score against a threshold, which a score equal to it as written reaches (3 of 5
    /// tokens score 0.75, computed as 0.7499999999999999).
    pub fn scored(score: f64, threshold: f64) -> Self {
        let passed = reaches(score, threshold);
        let detail =
            (!passed).then(|| format!("score {score:.3} is below the threshold {threshold}"));
        Verdict {
            passed,
            detail,
            score: Some(score),
        }
    }
}

pub trait Predicate: Debug + Send + Sync {
    /// Judge the value at the path; `None` means the path matched nothing.
    fn evaluate(&self, actual: Option<&Value>, grades: &Grades) -> Verdict;
    /// The expectation in words, e.g. `equals "billing"`.
    fn describe(&self) -> String;
    /// The value compared against, when there is one, so a report can show a diff.
    fn expected_value(&self) -> Option<Value> {
        None
    }
    /// A grader flow to ask before judging (judges only).
    fn judge(&self) -> Option<&JudgeSpec> {
        None
    }
}

/// Turns the YAML value under a predicate's key into the predicate, or says what is wrong.
pub type Parse = fn(&Value, &ParseContext<'_>) -> Result<Arc<dyn Predicate>, String>;

pub struct Definition {
    pub name: &'static str,
    /// The shape of the value under the predicate's key, for the JSON Schema.
    pub argument: Argument,
    pub parse: Parse,
    /// One line for the docs and the JSON Schema.
    pub summary: &'static str,
}

/// The shapes a predicate's argument takes, described once for the JSON Schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Argument {
    Any,
    Text,
    Number,
    Bool,
    AnyList,
    Bounds,
    Regex,
    Types,
    Schema,
    Approx,
    Similarity,
    Check,
    Checks,
    Judge,
}

impl Argument {
    /// The JSON Schema of the argument; `check` is the schema (a `$ref`) of a nested check.
    pub fn schema(self, check: &Value) -> Value {
        // A number, or one as text: a data placeholder (`"{{min}}"`) is filled with text.
        let number = serde_json::json!({"anyOf": [
            {"type": "number"},
            {"type": "string", "description": "a number as text, or a data placeholder such as {{min}}"}
        ]});
        let bounds = serde_json::json!({"anyOf": [
            number,
            {"type": "array", "items": number, "minItems": 2, "maxItems": 2},
            {"type": "object", "properties": {"min": number, "max": number}, "additionalProperties": false, "minProperties": 1}
        ]});
        let types = serde_json::json!({"enum": ["string", "number", "integer", "boolean", "array", "object", "null"]});
        match self {
            Argument::Any => serde_json::json!({}),
            Argument::Text => serde_json::json!({"type": "string"}),
            Argument::Number => number,
            Argument::Bool => serde_json::json!({"type": "boolean"}),
            Argument::AnyList => serde_json::json!({"type": "array", "minItems": 1}),
            Argument::Bounds => bounds,
            Argument::Regex => serde_json::json!({"anyOf": [
                {"type": "string"},
                {"type": "object", "properties": {"pattern": {"type": "string"}, "flags": {"type": "string", "pattern": "^[imsx]*$"}}, "required": ["pattern"], "additionalProperties": false}
            ]}),
            Argument::Types => {
                serde_json::json!({"anyOf": [types, {"type": "array", "items": types, "minItems": 1}]})
            }
            Argument::Schema => {
                serde_json::json!({"anyOf": [{"type": "object"}, {"type": "boolean"}, {"type": "string", "description": "a JSON file, relative to the suite"}]})
            }
            Argument::Approx => {
                serde_json::json!({"type": "object", "properties": {"value": number, "tolerance": number}, "required": ["value", "tolerance"], "additionalProperties": false})
            }
            Argument::Similarity => serde_json::json!({"anyOf": [
                {"type": "string"},
                {"type": "object", "properties": {"value": {"type": "string"}, "threshold": {"type": "number", "minimum": 0, "maximum": 1}}, "required": ["value"], "additionalProperties": false}
            ]}),
            Argument::Check => check.clone(),
            Argument::Checks => serde_json::json!({"type": "array", "items": check, "minItems": 1}),
            Argument::Judge => serde_json::json!({"type": "object", "properties": {
                "flow": {"type": "string", "description": "the grader flow, org/project/flow"},
                "target": {"type": "string", "description": "production, draft or vN"},
                "rubric": {"type": "string"},
                "threshold": {"type": "number", "minimum": 0, "maximum": 1}
            }, "required": ["flow", "rubric"], "additionalProperties": false}),
        }
    }
}

pub const REGISTRY: &[Definition] = &[
    equals::EQUALS,
    contains::CONTAINS,
    contains::ICONTAINS,
    contains::CONTAINS_ANY,
    contains::CONTAINS_ALL,
    text::STARTS_WITH,
    text::ENDS_WITH,
    matches::MATCHES,
    size::WORD_COUNT,
    size::LENGTH,
    one_of::ONE_OF,
    exists::EXISTS,
    type_of::TYPE,
    json_schema::JSON_SCHEMA,
    subset::SUBSET,
    items::EACH,
    items::SOME,
    compare::GT,
    compare::GTE,
    compare::LT,
    compare::LTE,
    compare::BETWEEN,
    approx::APPROX,
    similarity::LEVENSHTEIN,
    similarity::JARO_WINKLER,
    similarity::TOKEN_JACCARD,
    similarity::ROUGE_L,
    combine::ALL,
    combine::ANY,
    combine::NOT,
    judge::JUDGE,
];

pub fn find(name: &str) -> Option<&'static Definition> {
    REGISTRY.iter().find(|definition| definition.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    REGISTRY.iter().map(|definition| definition.name)
}

/// Refuse keys of an argument mapping other than `allowed`.
fn only_keys(map: &serde_json::Map<String, Value>, allowed: &[&str]) -> Result<(), String> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(key) => Err(format!("unknown key `{key}`: use {}", allowed.join(", "))),
        None => Ok(()),
    }
}

/// A `threshold` from 0 to 1 in an argument mapping, or `default` when absent.
fn threshold(map: &serde_json::Map<String, Value>, default: f64) -> Result<f64, String> {
    match map.get("threshold") {
        None => Ok(default),
        // Numeric text too, as the numeric predicates read it: a CSV's values are text.
        Some(t) => as_number(t)
            .filter(|t| (0.0..=1.0).contains(t))
            .ok_or_else(|| {
                format!(
                    "`threshold` must be a number from 0 to 1{}",
                    percentage_hint(t)
                )
            }),
    }
}

/// The text of a value: strings as they are; nothing else is text.
fn text(actual: Option<&Value>) -> Result<&str, Verdict> {
    match actual {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(Verdict::fail("the value is not a string")),
        None => Err(Verdict::from_bool(false)),
    }
}

#[cfg(test)]
mod tests;
