//! `contains`: a substring of a string, an element of an array, or a key of an object.

use super::{Definition, Predicate, Verdict, equals::json_equal};
use serde_json::Value;
use std::sync::Arc;

pub const DEFINITION: Definition = Definition {
    name: "contains",
    parse,
    summary: "a string holds this substring, an array this element, or an object this key",
};

#[derive(Debug)]
struct Contains(Value);

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    Ok(Arc::new(Contains(value.clone())))
}

impl Predicate for Contains {
    fn evaluate(&self, actual: Option<&Value>) -> Verdict {
        let passed = match (actual, &self.0) {
            (Some(Value::String(text)), Value::String(needle)) => text.contains(needle.as_str()),
            (Some(Value::Array(items)), needle) => {
                items.iter().any(|item| json_equal(item, needle))
            }
            (Some(Value::Object(map)), Value::String(key)) => map.contains_key(key),
            _ => false,
        };
        if passed {
            Verdict::pass()
        } else {
            Verdict::from_bool(false)
        }
    }

    fn describe(&self) -> String {
        format!("contains {}", crate::check::short(&self.0, 120))
    }
}
