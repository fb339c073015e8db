//! `one_of`: the value equals one of these.

use super::{Definition, Predicate, Verdict, json_equal};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const ONE_OF: Definition = Definition {
    name: "one_of",
    argument: super::Argument::AnyList,
    parse: |v, _| match v {
        Value::Array(options) if !options.is_empty() => Ok(Arc::new(OneOf(options.clone()))),
        _ => Err("expected a non-empty list of values".into()),
    },
    summary: "the value equals one of these values",
};

#[derive(Debug)]
struct OneOf(Vec<Value>);

impl Predicate for OneOf {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        Verdict::from_bool(actual.is_some_and(|a| self.0.iter().any(|o| json_equal(a, o))))
    }

    fn describe(&self) -> String {
        format!(
            "is one of {}",
            crate::words::short(&Value::Array(self.0.clone()), 120)
        )
    }
}
