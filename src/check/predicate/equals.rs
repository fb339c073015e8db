//! `equals`: deep equality for any JSON value; numbers compare by value (1 equals 1.0).

use super::numbers::Num;
use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use crate::check::raw::ParseContext;
use serde_json::Value;
use std::sync::Arc;

pub const EQUALS: Definition = Definition {
    name: "equals",
    argument: super::Argument::Any,
    parse,
    summary: "the value is deeply equal to this JSON value (numbers compare by value)",
};

#[derive(Debug)]
struct Equals(Value);

fn parse(value: &Value, _: &ParseContext<'_>) -> Result<Arc<dyn Predicate>, String> {
    Ok(Arc::new(Equals(value.clone())))
}

/// Deep equality where numbers are compared as numbers, not by their spelling: two integers
/// exactly (ids past 2^53 differ even where their nearest floats are one), an integer and a
/// float by value (`1` equals `1.0`, and 2^53 + 1 is not the float 2^53 it rounds to).
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (Num::of_json(x), Num::of_json(y)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| json_equal(a, b))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_equal(v, w)))
        }
        _ => a == b,
    }
}

impl Predicate for Equals {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        Verdict::from_bool(actual.is_some_and(|actual| json_equal(actual, &self.0)))
    }

    fn describe(&self) -> String {
        format!("equals {}", crate::words::short(&self.0, 120))
    }

    fn expected_value(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}
