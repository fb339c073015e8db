//! `exists`: the path matches something (`exists: true`) or nothing (`exists: false`).

use super::{Definition, Predicate, Verdict};
use serde_json::Value;
use std::sync::Arc;

pub const DEFINITION: Definition = Definition {
    name: "exists",
    parse,
    summary: "the path matches a value (true) or matches nothing (false)",
};

#[derive(Debug)]
struct Exists(bool);

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    match value {
        Value::Bool(flag) => Ok(Arc::new(Exists(*flag))),
        _ => Err("expected true or false".into()),
    }
}

impl Predicate for Exists {
    fn evaluate(&self, actual: Option<&Value>) -> Verdict {
        if actual.is_some() == self.0 {
            Verdict::pass()
        } else {
            Verdict::from_bool(false)
        }
    }

    fn describe(&self) -> String {
        if self.0 {
            "exists".into()
        } else {
            "does not exist".into()
        }
    }
}
