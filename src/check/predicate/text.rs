//! `starts_with` and `ends_with`: a string's beginning or end.

use super::{Definition, Predicate, Verdict, text};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const STARTS_WITH: Definition = Definition {
    name: "starts_with",
    argument: super::Argument::Text,
    parse: |v, _| affix(v, true),
    summary: "a string begins with this text",
};
pub const ENDS_WITH: Definition = Definition {
    name: "ends_with",
    argument: super::Argument::Text,
    parse: |v, _| affix(v, false),
    summary: "a string ends with this text",
};

#[derive(Debug)]
struct Affix {
    text: String,
    start: bool,
}

fn affix(value: &Value, start: bool) -> Result<Arc<dyn Predicate>, String> {
    match value {
        Value::String(text) => Ok(Arc::new(Affix {
            text: text.clone(),
            start,
        })),
        _ => Err("expected a string".into()),
    }
}

impl Predicate for Affix {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        match text(actual) {
            Ok(s) if self.start => Verdict::from_bool(s.starts_with(&self.text)),
            Ok(s) => Verdict::from_bool(s.ends_with(&self.text)),
            Err(verdict) => verdict,
        }
    }

    fn describe(&self) -> String {
        let which = if self.start {
            "starts with"
        } else {
            "ends with"
        };
        format!("{which} {:?}", self.text)
    }
}
