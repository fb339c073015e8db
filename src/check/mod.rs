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
pub use raw::{CheckError, ParseContext, RawCheck, compile_value, without_root};
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
    /// Whether the path names one place at most (RFC 9535's singular query: names and
    /// indexes only), rather than any number of them (`[*]`, `..`, slices, filters, unions).
    pub singular: bool,
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

/// Whether a valid JSONPath is singular (RFC 9535 2.3.5.1): a root followed by name and index
/// selectors only, one per segment. Any wildcard (`*`), descendant (`..`), slice (`:`),
/// filter (`?`) or union (`,`) outside a quoted name makes it one that may match several.
pub fn singular(path: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut previous = '\0';
    for c in path.chars() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '*' | '?' | ',' | ':' => return false,
                '.' if previous == '.' => return false,
                _ => {}
            },
        }
        previous = if quote.is_some() { '\0' } else { c };
    }
    true
}

impl Check {
    /// Select the value at the path: nothing, the one node of a singular path, or an array of
    /// every node matched by one that may match several (`$.items[*].price` gives `[5]` for
    /// one item, as for two it gives `[5, 7]`: its kind does not depend on the count).
    pub fn select(&self, root: &Value) -> Option<Value> {
        let nodes = self.path.query(root).all();
        match nodes.as_slice() {
            [] => None,
            [one] if self.singular => Some((*one).clone()),
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
        if map.is_empty() {
            return Some(format!("the result has no `{key}`: it has no keys"));
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

#[cfg(test)]
mod tests {
    use super::singular;
    use serde_json_path::JsonPath;

    #[test]
    fn names_and_indexes_only_are_singular() {
        for path in [
            "$",
            "$.a",
            "$.a.b[0]",
            "$['a.b']",
            "$[\"x,y\"][-1]",
            "$['*']",
            "$.a['b:c']",
        ] {
            assert!(singular(path), "{path}");
        }
        for path in [
            "$.*",
            "$.items[*].price",
            "$..price",
            "$[0:2]",
            "$[0,1]",
            "$[?@.a == 1]",
            "$['a','b']",
            "$.a..b",
        ] {
            assert!(!singular(path), "{path}");
        }
    }

    /// A path's segments, singular ones and ones that may match several.
    fn segment() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[a-c]{1,2}".prop_map(|name| format!(".{name}")),
            "[a-c.,:*?]{1,3}".prop_map(|name| format!("['{name}']")),
            (-2i32..3).prop_map(|index| format!("[{index}]")),
            Just(".*".to_owned()),
            Just("[*]".to_owned()),
            "[a-c]".prop_map(|name| format!("..{name}")),
            Just("[0:2]".to_owned()),
            Just("[0,1]".to_owned()),
            Just("[?@.a]".to_owned()),
        ]
    }

    fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i8>().prop_map(serde_json::Value::from)
        ];
        leaf.prop_recursive(4, 40, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-c.,:*?]{1,2}", inner, 0..4)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        /// A path taken for singular never matches more than one node, whatever the value.
        #[test]
        fn a_singular_path_matches_one_node_at_most(
            segments in proptest::collection::vec(segment(), 0..4),
            value in json(),
        ) {
            let path = format!("${}", segments.concat());
            let Ok(parsed) = JsonPath::parse(&path) else {
                return Ok(());
            };
            if singular(&path) {
                proptest::prop_assert!(parsed.query(&value).all().len() <= 1, "{path}");
            }
        }
    }
}
