//! `{min, max}` bounds (either may be left out) or one exact number, shared by the predicates
//! that measure a size or a range.

use super::compare::as_number;
use crate::words::number;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Bounds {
    /// `5` (exactly), `{min: 1}`, `{max: 9}`, `{min: 1, max: 9}`, or `[1, 9]`.
    pub fn parse(value: &Value) -> Result<Bounds, String> {
        // Numbers as text count: a data placeholder (`"{{max}}"`) gives a CSV's values so.
        let number = |v: &Value, what: &str| {
            as_number(v)
                .ok_or_else(|| format!("`{what}` must be a number{}", super::percentage_hint(v)))
        };
        let bounds = match value {
            exact if as_number(exact).is_some() => {
                let n = as_number(exact).unwrap_or(f64::NAN);
                Bounds {
                    min: Some(n),
                    max: Some(n),
                }
            }
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
            (Some(n), _) | (_, Some(n)) if !n.is_finite() => {
                Err("bounds must be finite numbers".into())
            }
            _ => Ok(bounds),
        }
    }

    /// Bounds on a count (characters, words, items): [`Bounds::parse`], never below zero.
    pub fn parse_count(value: &Value) -> Result<Bounds, String> {
        let bounds = Bounds::parse(value)?;
        if bounds.min.into_iter().chain(bounds.max).any(|n| n < 0.0) {
            return Err("a count is never below 0".into());
        }
        // A count is whole: `1.5`, or `[1.2, 1.8]`, no count could ever meet.
        if let (Some(min), Some(max)) = (bounds.min, bounds.max)
            && min.ceil() > max.floor()
        {
            return Err(if min == max {
                format!("no count is {}: a count is a whole number", number(min))
            } else {
                format!(
                    "no count lies between {} and {}: a count is a whole number",
                    number(min),
                    number(max)
                )
            });
        }
        Ok(bounds)
    }

    pub fn holds(&self, n: f64) -> bool {
        self.min.is_none_or(|min| n >= min) && self.max.is_none_or(|max| n <= max)
    }

    pub fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(min), Some(max)) if min == max => number(min),
            (Some(min), Some(max)) => format!("between {} and {}", number(min), number(max)),
            (Some(min), None) => format!("at least {}", number(min)),
            (None, Some(max)) => format!("at most {}", number(max)),
            (None, None) => "anything".into(),
        }
    }
}
