//! `gt`, `gte`, `lt`, `lte` and `between`: numeric comparisons. A numeric string ("0.9") is
//! read as a number, since flows often return numbers as text. Integers compare exactly (an
//! id past 2^53 is not its nearest float), an integer and a float by value ([`Num`]).

use super::bounds::Bounds;
use super::numbers::Num;
use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

macro_rules! comparison {
    ($const:ident, $name:literal, $symbol:literal, $op:tt) => {
        pub const $const: Definition = Definition {
            name: $name,
            argument: super::Argument::Number,
            parse: |value, _| {
                // Numbers as text count: a data placeholder (`"{{min}}"`) gives a CSV's so.
                let bound = Num::of(value)
                    .ok_or_else(|| format!("expected a number{}", percentage_hint(value)))?;
                Ok(Arc::new(Compare { name: $name, bound, holds: |a, b| a $op b }))
            },
            summary: concat!("a number ", $symbol, " this bound"),
        };
    };
}

comparison!(GT, "gt", ">", >);
comparison!(GTE, "gte", ">=", >=);
comparison!(LT, "lt", "<", <);
comparison!(LTE, "lte", "<=", <=);

pub const BETWEEN: Definition = Definition {
    name: "between",
    argument: super::Argument::Bounds,
    parse: |value, _| Ok(Arc::new(Between(Bounds::parse(value)?))),
    summary: "a number within [min, max] (inclusive), or {min, max}",
};

/// A JSON number or a numeric string as a float ([`Num::of`], for what needs no exact
/// comparison: a weight, a tolerance).
pub fn as_number(value: &Value) -> Option<f64> {
    Num::of(value).map(Num::as_f64)
}

/// For a number written as a percentage (`"75%"`, text to YAML), what to write instead, to
/// add to the message that a number was expected; empty for anything else.
pub fn percentage_hint(value: &Value) -> String {
    let Value::String(text) = value else {
        return String::new();
    };
    let written = text.trim();
    let percent = written
        .strip_suffix('%')
        .and_then(|n| n.trim().parse::<f64>().ok());
    match percent.filter(|n| n.is_finite()) {
        Some(n) => format!(
            " (`{written}` is text: a fraction is written {})",
            n / 100.0
        ),
        None => String::new(),
    }
}

/// The number at the path, or the verdict that there is none.
pub fn number(actual: Option<&Value>) -> Result<f64, Verdict> {
    exact(actual).map(Num::as_f64)
}

/// The number at the path as written (an integer exactly), or the verdict that there is none.
fn exact(actual: Option<&Value>) -> Result<Num, Verdict> {
    match actual {
        None => Err(Verdict::from_bool(false)),
        Some(value) => Num::of(value).ok_or_else(|| Verdict::fail("the value is not a number")),
    }
}

#[derive(Debug)]
struct Compare {
    name: &'static str,
    bound: Num,
    holds: fn(Num, Num) -> bool,
}

impl Predicate for Compare {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        match exact(actual) {
            Ok(n) => Verdict::from_bool((self.holds)(n, self.bound)),
            Err(verdict) => verdict,
        }
    }

    fn describe(&self) -> String {
        format!("{} {}", self.name, self.bound)
    }
}

#[derive(Debug)]
struct Between(Bounds);

impl Predicate for Between {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        match exact(actual) {
            Ok(n) => Verdict::from_bool(self.0.holds(n)),
            Err(verdict) => verdict,
        }
    }

    fn describe(&self) -> String {
        format!("is {}", self.0.describe())
    }
}
