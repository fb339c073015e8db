//! `gt`, `gte`, `lt`, `lte`: numeric comparisons. A numeric string ("0.9") is read as a number,
//! since flows often return numbers as text.

use super::{Definition, Predicate, Verdict};
use serde_json::Value;
use std::sync::Arc;

macro_rules! comparison {
    ($const:ident, $name:literal, $symbol:literal, $op:tt, $parse:ident) => {
        pub const $const: Definition = Definition {
            name: $name,
            parse: $parse,
            summary: concat!("a number ", $symbol, " this bound"),
        };
        fn $parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
            let bound = value.as_f64().ok_or_else(|| "expected a number".to_owned())?;
            Ok(Arc::new(Compare { name: $name, bound, holds: |a, b| a $op b }))
        }
    };
}

comparison!(GT, "gt", ">", >, parse_gt);
comparison!(GTE, "gte", ">=", >=, parse_gte);
comparison!(LT, "lt", "<", <, parse_lt);
comparison!(LTE, "lte", "<=", <=, parse_lte);

#[derive(Debug)]
struct Compare {
    name: &'static str,
    bound: f64,
    holds: fn(f64, f64) -> bool,
}

pub fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl Predicate for Compare {
    fn evaluate(&self, actual: Option<&Value>) -> Verdict {
        match actual.and_then(as_number) {
            Some(number) if (self.holds)(number, self.bound) => Verdict::pass(),
            Some(_) => Verdict::from_bool(false),
            None => Verdict::fail("the value is not a number"),
        }
    }

    fn describe(&self) -> String {
        format!("{} {}", self.name, self.bound)
    }
}
