//! `contains`, `icontains`, `contains_any`, `contains_all`: substrings of a string, elements
//! of an array, keys of an object. `icontains` ignores case (Unicode lowercase).

use super::{Definition, Predicate, Verdict, json_equal};
use crate::check::grade::Grades;
use crate::check::raw::ParseContext;
use serde_json::Value;
use std::sync::Arc;

pub const CONTAINS: Definition = Definition {
    name: "contains",
    argument: super::Argument::Any,
    parse: |v, _| {
        // `contains:` with nothing after it reads as null, and would fail every time.
        if v.is_null() {
            return Err("has no value: write the text, item or key to look for (an array's null item: `some: {equals: null}`)".into());
        }
        Ok(Arc::new(Contains {
            needles: vec![v.clone()],
            mode: Mode::One,
            ignore_case: false,
        }))
    },
    summary: "a string holds this substring, an array this element, or an object this key",
};
pub const ICONTAINS: Definition = Definition {
    name: "icontains",
    argument: super::Argument::Text,
    parse: |v, _| {
        one_text(v).map(|n| {
            Arc::new(Contains {
                needles: vec![n],
                mode: Mode::One,
                ignore_case: true,
            }) as Arc<dyn Predicate>
        })
    },
    summary: "like contains, ignoring case",
};
pub const CONTAINS_ANY: Definition = Definition {
    name: "contains_any",
    argument: super::Argument::AnyList,
    parse: |v, c| {
        list(v, c).map(|needles| {
            Arc::new(Contains {
                needles,
                mode: Mode::Any,
                ignore_case: false,
            }) as Arc<dyn Predicate>
        })
    },
    summary: "contains at least one of these",
};
pub const CONTAINS_ALL: Definition = Definition {
    name: "contains_all",
    argument: super::Argument::AnyList,
    parse: |v, c| {
        list(v, c).map(|needles| {
            Arc::new(Contains {
                needles,
                mode: Mode::All,
                ignore_case: false,
            }) as Arc<dyn Predicate>
        })
    },
    summary: "contains every one of these",
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    One,
    Any,
    All,
}

#[derive(Debug)]
struct Contains {
    needles: Vec<Value>,
    mode: Mode,
    ignore_case: bool,
}

fn one_text(value: &Value) -> Result<Value, String> {
    match value {
        Value::String(_) => Ok(value.clone()),
        _ => Err("expected a string".into()),
    }
}

fn list(value: &Value, _: &ParseContext<'_>) -> Result<Vec<Value>, String> {
    match value {
        Value::Array(items) if !items.is_empty() => Ok(items.clone()),
        _ => Err("expected a non-empty list".into()),
    }
}

impl Contains {
    fn holds(&self, actual: &Value, needle: &Value) -> bool {
        match (actual, needle) {
            (Value::String(text), Value::String(part)) if self.ignore_case => {
                text.to_lowercase().contains(&part.to_lowercase())
            }
            (Value::String(text), Value::String(part)) => text.contains(part.as_str()),
            (Value::Array(items), Value::String(part)) if self.ignore_case => {
                items.iter().any(|item| {
                    item.as_str()
                        .is_some_and(|s| s.to_lowercase() == part.to_lowercase())
                })
            }
            (Value::Array(items), needle) => items.iter().any(|item| json_equal(item, needle)),
            (Value::Object(map), Value::String(key)) => map.contains_key(key),
            _ => false,
        }
    }
}

impl Predicate for Contains {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        let Some(actual) = actual else {
            return Verdict::from_bool(false);
        };
        let found: Vec<&Value> = self
            .needles
            .iter()
            .filter(|n| self.holds(actual, n))
            .collect();
        match self.mode {
            Mode::One | Mode::All if found.len() == self.needles.len() => Verdict::pass(),
            Mode::Any if !found.is_empty() => Verdict::pass(),
            Mode::All => {
                let missing: Vec<String> = self
                    .needles
                    .iter()
                    .filter(|n| !found.contains(n))
                    .map(|n| crate::words::short(n, 60))
                    .collect();
                Verdict::fail(format!("missing {}", missing.join(", ")))
            }
            _ => Verdict::from_bool(false),
        }
    }

    fn describe(&self) -> String {
        let needles = || {
            self.needles
                .iter()
                .map(|n| crate::words::short(n, 60))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.mode, self.ignore_case) {
            (Mode::One, false) => format!("contains {}", needles()),
            (Mode::One, true) => format!("contains {} (ignoring case)", needles()),
            (Mode::Any, _) => format!("contains any of [{}]", needles()),
            (Mode::All, _) => format!("contains all of [{}]", needles()),
        }
    }
}
