//! `exists`: the path matches something (`exists: true`) or nothing (`exists: false`).

use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const EXISTS: Definition = Definition {
    name: "exists",
    argument: super::Argument::Bool,
    parse: |v, _| match crate::yaml::boolean(v) {
        Some(flag) => Ok(Arc::new(Exists(flag))),
        None => Err(crate::yaml::expected_boolean(v)),
    },
    summary: "the path matches a value (true) or matches nothing (false)",
};

#[derive(Debug)]
struct Exists(bool);

impl Predicate for Exists {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        Verdict::from_bool(actual.is_some() == self.0)
    }

    fn describe(&self) -> String {
        if self.0 {
            "exists".into()
        } else {
            "does not exist".into()
        }
    }
}
