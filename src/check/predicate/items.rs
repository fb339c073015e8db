//! `each` and `some`: a nested check applied to every item of an array; `each` needs all
//! items to pass (and at least one item), `some` at least one. The nested check's path is
//! relative to the item.

use super::{Definition, Predicate, Verdict};
use crate::check::Check;
use crate::check::grade::Grades;
use crate::check::raw::compile_value;
use serde_json::Value;
use std::sync::Arc;

pub const EACH: Definition = Definition {
    name: "each",
    argument: super::Argument::Check,
    parse: |v, c| {
        Ok(Arc::new(Items {
            check: compile_value(v, c)?,
            every: true,
        }))
    },
    summary: "every item of a non-empty array passes this nested check",
};
pub const SOME: Definition = Definition {
    name: "some",
    argument: super::Argument::Check,
    parse: |v, c| {
        Ok(Arc::new(Items {
            check: compile_value(v, c)?,
            every: false,
        }))
    },
    summary: "at least one item of an array passes this nested check",
};

#[derive(Debug)]
struct Items {
    check: Check,
    every: bool,
}

impl Predicate for Items {
    fn evaluate(&self, actual: Option<&Value>, grades: &Grades) -> Verdict {
        let items = match actual {
            Some(Value::Array(items)) => items,
            Some(_) => return Verdict::fail("the value is not an array"),
            None => return Verdict::from_bool(false),
        };
        if items.is_empty() {
            return Verdict::fail("the array is empty");
        }
        let failing: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, item)| !self.check.verdict(Some(item), grades).1.passed)
            .map(|(index, _)| index)
            .collect();
        match (self.every, failing.len()) {
            (true, 0) => Verdict::pass(),
            (false, n) if n < items.len() => Verdict::pass(),
            (true, _) => {
                let shown: Vec<String> =
                    failing.iter().take(10).map(|i| format!("[{i}]")).collect();
                Verdict::fail(format!(
                    "items {} do not {} {}",
                    shown.join(", "),
                    self.check.path_text,
                    self.check.describe()
                ))
            }
            (false, _) => Verdict::fail(format!(
                "no item: {} {}",
                self.check.path_text,
                self.check.describe()
            )),
        }
    }

    fn describe(&self) -> String {
        let quantifier = if self.every { "each item" } else { "some item" };
        format!(
            "{quantifier}: {} {}",
            self.check.path_text,
            self.check.describe()
        )
    }
}
