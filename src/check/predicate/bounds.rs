//! `{min, max}` bounds (either may be left out) or one exact number, shared by the predicates
//! that measure a size or a range. Bounds are kept as written, so that an integer bound past
//! 2^53 compares exactly ([`Num`]).

use super::numbers::Num;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: Option<Num>,
    pub max: Option<Num>,
}

impl Bounds {
    /// `5` (exactly), `{min: 1}`, `{max: 9}`, `{min: 1, max: 9}`, or `[1, 9]`.
    pub fn parse(value: &Value) -> Result<Bounds, String> {
        // Numbers as text count: a data placeholder (`"{{max}}"`) gives a CSV's values so.
        let number = |v: &Value, what: &str| {
            Num::of(v)
                .ok_or_else(|| format!("`{what}` must be a number{}", super::percentage_hint(v)))
        };
        let bounds = match value {
            exact if let Some(n) = Num::of(exact) => Bounds {
                min: Some(n),
                max: Some(n),
            },
            Value::Array(pair) if pair.len() == 2 => Bounds {
                min: Some(number(&pair[0], "min")?),
                max: Some(number(&pair[1], "max")?),
            },
            Value::Object(map) => {
                super::only_keys(map, &["min", "max"])?;
                Bounds {
                    min: map.get("min").map(|v| number(v, "min")).transpose()?,
                    max: map.get("max").map(|v| number(v, "max")).transpose()?,
                }
            }
            other => {
                return Err(format!(
                    "expected a number, [min, max], or {{min, max}}{}",
                    super::percentage_hint(other)
                ));
            }
        };
        match (bounds.min, bounds.max) {
            (None, None) => Err("give min, max or both".into()),
            (Some(min), Some(max)) if min > max => {
                Err(format!("min {min} is greater than max {max}"))
            }
            _ => Ok(bounds),
        }
    }

    /// Bounds on a count (characters, words, items): [`Bounds::parse`], never below zero.
    pub fn parse_count(value: &Value) -> Result<Bounds, String> {
        let bounds = Bounds::parse(value)?;
        if (bounds.min.into_iter().chain(bounds.max)).any(|n| n < Num::Integer(0)) {
            return Err("a count is never below 0".into());
        }
        // A count is whole: `1.5`, or `[1.2, 1.8]`, no count could ever meet.
        if let (Some(min), Some(max)) = (bounds.min, bounds.max)
            && min.as_f64().ceil() > max.as_f64().floor()
        {
            return Err(if min == max {
                format!("no count is {min}: a count is a whole number")
            } else {
                format!("no count lies between {min} and {max}: a count is a whole number")
            });
        }
        Ok(bounds)
    }

    pub fn holds(&self, n: Num) -> bool {
        self.min.is_none_or(|min| n >= min) && self.max.is_none_or(|max| n <= max)
    }

    pub fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min == max => min.to_string(),
            (Some(min), Some(max)) => format!("between {min} and {max}"),
            (Some(min), None) => format!("at least {min}"),
            (None, Some(max)) => format!("at most {max}"),
            (None, None) => "anything".into(),
        }
    }
}
