//! `approx`: a number within an absolute tolerance of a value: `{value: 0.9, tolerance: 0.05}`.

use super::compare::number;
use super::{Definition, Predicate, Verdict};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const APPROX: Definition = Definition {
    name: "approx",
    argument: super::Argument::Approx,
    parse: |v, _| parse(v),
    summary: "a number within `tolerance` of `value`: {value: 0.9, tolerance: 0.05}",
};

#[derive(Debug)]
struct Approx {
    value: f64,
    tolerance: f64,
}

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    let Value::Object(map) = value else {
        return Err("expected {value, tolerance}".into());
    };
    super::only_keys(map, &["value", "tolerance"])?;
    let number = |what: &str| match map.get(what) {
        None => Err(format!(
            "`{what}` is missing: write both, e.g. {{value: 0.9, tolerance: 0.05}}"
        )),
        Some(value) => super::as_number(value)
            .ok_or_else(|| format!("`{what}` must be a number{}", super::percentage_hint(value))),
    };
    let (target, tolerance) = (number("value")?, number("tolerance")?);
    if !(tolerance >= 0.0 && tolerance.is_finite()) {
        return Err("`tolerance` must be a finite number >= 0".into());
    }
    Ok(Arc::new(Approx {
        value: target,
        tolerance,
    }))
}

impl Predicate for Approx {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        match number(actual) {
            Ok(n) => {
                let away = (n - self.value).abs();
                // Decimal numbers are binary fractions: 1.1 - 1.0 is 0.10000000000000009, so a
                // value exactly `tolerance` away as written must not fail by that rounding.
                if away <= self.tolerance + super::numbers::rounding(n, self.value) {
                    Verdict::pass()
                } else {
                    // To 10 decimals: 0.42, not 0.42000000000000004; 1e-7 over still shows.
                    // Rounded to hide float noise (0.30000000000000004), where that can be done.
                    let shown = match away < 1e6 {
                        true => (away * 1e10).round() / 1e10,
                        false => away,
                    };
                    Verdict::fail(format!("it is {} away", crate::words::number(shown)))
                }
            }
            Err(verdict) => verdict,
        }
    }

    fn describe(&self) -> String {
        format!(
            "is {} ± {}",
            crate::words::number(self.value),
            crate::words::number(self.tolerance)
        )
    }
}
