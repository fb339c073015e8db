//! `word_count` and `length` bounds. Words are runs of non-whitespace; length counts the
//! characters of a string (Unicode scalar values), the items of an array, the keys of an object.

use super::bounds::Bounds;
use super::numbers::Num;
use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const WORD_COUNT: Definition = Definition {
    name: "word_count",
    argument: super::Argument::Bounds,
    parse: |v, _| {
        Ok(Arc::new(Size {
            bounds: Bounds::parse_count(v)?,
            words: true,
        }))
    },
    summary: "the number of words in a string: exact, [min, max] or {min, max}",
};
pub const LENGTH: Definition = Definition {
    name: "length",
    argument: super::Argument::Bounds,
    parse: |v, _| {
        Ok(Arc::new(Size {
            bounds: Bounds::parse_count(v)?,
            words: false,
        }))
    },
    summary: "characters of a string, items of an array, keys of an object: exact or {min, max}",
};

#[derive(Debug)]
struct Size {
    bounds: Bounds,
    words: bool,
}

impl Predicate for Size {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        let size = match (actual, self.words) {
            (Some(Value::String(s)), true) => s.split_whitespace().count(),
            (Some(Value::String(s)), false) => s.chars().count(),
            (Some(Value::Array(items)), false) => items.len(),
            (Some(Value::Object(map)), false) => map.len(),
            (None, _) => return Verdict::from_bool(false),
            (Some(_), true) => return Verdict::fail("the value is not a string"),
            (Some(_), false) => {
                return Verdict::fail("the value has no length (not a string, array or object)");
            }
        };
        let unit = if self.words { "words" } else { "long" };
        if self.bounds.holds(Num::Integer(size as i128)) {
            Verdict::pass()
        } else {
            Verdict::fail(format!("it is {size} {unit}"))
        }
    }

    fn describe(&self) -> String {
        let what = if self.words { "word count" } else { "length" };
        format!("{what} {}", self.bounds.describe())
    }
}
