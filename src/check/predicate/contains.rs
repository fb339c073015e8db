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

/// Why a value that is no text is never found in a string, nor among an object's keys (which
/// are text): `contains: 1234` on "order 1234", or a data file's number filling
/// `contains: "{{order}}"`. `None` when every value looked for is text.
fn not_text<'a>(actual: &Value, mut missing: impl Iterator<Item = &'a Value>) -> Option<String> {
    let holder = match actual {
        Value::String(_) => "a string contains only text",
        Value::Object(_) => "an object's keys are text",
        _ => return None,
    };
    let needle = missing.find(|needle| !needle.is_string())?;
    let shown = crate::words::short(needle, 60);
    let (kind, quotable) = match needle {
        Value::Number(_) => ("a number", true),
        Value::Bool(_) => ("a boolean", true),
        Value::Null => ("null", false),
        Value::Array(_) => ("an array", false),
        _ => ("an object", false),
    };
    Some(match quotable {
        true => format!(
            "{holder}, and {shown} is {kind}: quote it (\"{shown}\"), or make it text where a data file fills it in"
        ),
        false => format!("{holder}, and {shown} is {kind}"),
    })
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
        let missing = || self.needles.iter().filter(|n| !found.contains(n));
        let not_text = || not_text(actual, missing());
        match self.mode {
            Mode::One | Mode::All if found.len() == self.needles.len() => Verdict::pass(),
            Mode::Any if !found.is_empty() => Verdict::pass(),
            Mode::All => {
                let shown: Vec<String> = missing().map(|n| crate::words::short(n, 60)).collect();
                let why = not_text().map(|why| format!("; {why}")).unwrap_or_default();
                Verdict::fail(format!("missing {}{why}", shown.join(", ")))
            }
            _ => match not_text() {
                Some(why) => Verdict::fail(why),
                None => Verdict::from_bool(false),
            },
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
