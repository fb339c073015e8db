//! `equals`: deep equality for any JSON value; numbers compare by value (1 equals 1.0).

use super::{Definition, Predicate, Verdict};
use serde_json::Value;
use std::sync::Arc;

pub const DEFINITION: Definition = Definition {
    name: "equals",
    parse,
    summary: "the value is deeply equal to this JSON value",
};

#[derive(Debug)]
struct Equals(Value);

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    Ok(Arc::new(Equals(value.clone())))
}

/// Deep equality where numbers are compared as numbers, not by their spelling.
pub fn json_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => x == y,
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
    fn evaluate(&self, actual: Option<&Value>) -> Verdict {
        match actual {
            Some(actual) if json_equal(actual, &self.0) => Verdict::pass(),
            _ => Verdict::from_bool(false),
        }
    }

    fn describe(&self) -> String {
        format!("equals {}", crate::check::short(&self.0, 120))
    }

    fn expected_value(&self) -> Option<Value> {
        Some(self.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_compare_by_value_and_objects_ignore_key_order() {
        assert!(json_equal(&json!(1), &json!(1.0)));
        assert!(json_equal(
            &json!({"a": 1, "b": [1, 2]}),
            &json!({"b": [1, 2], "a": 1})
        ));
        assert!(!json_equal(&json!([1, 2]), &json!([2, 1])));
        assert!(!json_equal(&json!("1"), &json!(1)));
    }
}
