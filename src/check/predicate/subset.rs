//! `subset`: the value contains this partial structure. Objects: every expected key is present
//! with a matching value (extra keys are fine). Arrays: every expected item matches some item,
//! in any order. Anything else: equality (numbers by value).

use super::{Definition, Predicate, Verdict, json_equal};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const SUBSET: Definition = Definition {
    name: "subset",
    argument: super::Argument::Any,
    parse: |v, _| Ok(Arc::new(Subset(v.clone()))),
    summary: "the value contains this partial object or array (extra keys and items are fine)",
};

#[derive(Debug)]
struct Subset(Value);

pub fn is_subset(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(want), Value::Object(have)) => want
            .iter()
            .all(|(k, v)| have.get(k).is_some_and(|h| is_subset(v, h))),
        (Value::Array(want), Value::Array(have)) => {
            want.iter().all(|w| have.iter().any(|h| is_subset(w, h)))
        }
        _ => json_equal(expected, actual),
    }
}

/// The first expected key whose value does not match, for the failure message.
fn first_mismatch(expected: &Value, actual: &Value) -> Option<String> {
    let (Value::Object(want), Value::Object(have)) = (expected, actual) else {
        return None;
    };
    want.iter()
        .find(|(k, v)| !have.get(*k).is_some_and(|h| is_subset(v, h)))
        .map(|(k, v)| match have.get(k) {
            None => format!("no key {k:?}"),
            Some(h) => format!(
                "{k:?} is {} where {} was expected",
                crate::words::short(h, 80),
                crate::words::short(v, 80)
            ),
        })
}

impl Predicate for Subset {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        match actual {
            Some(actual) if is_subset(&self.0, actual) => Verdict::pass(),
            Some(actual) => match first_mismatch(&self.0, actual) {
                Some(why) => Verdict::fail(why),
                None => Verdict::from_bool(false),
            },
            None => Verdict::from_bool(false),
        }
    }

    fn describe(&self) -> String {
        format!("contains the subset {}", crate::words::short(&self.0, 120))
    }
}
