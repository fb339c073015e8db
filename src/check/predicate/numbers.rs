//! Numbers as the checks compare them: integers exactly (an id past 2^53 is not its nearest
//! float), an integer against a float by their values (not by rounding the integer to a
//! float), and the rounding a score or a distance computed in binary may carry.

use serde_json::Value;
use std::cmp::Ordering;
use std::fmt;

/// A number read for an exact comparison: an integer as it is written, else a finite float.
/// Ordered by value (`1` equals `1.0`; 2^53 + 1 is above the float 2^53 it rounds to).
#[derive(Debug, Clone, Copy)]
pub enum Num {
    Integer(i128),
    Float(f64),
}

impl Num {
    /// A JSON number, or a numeric string (`"0.9"`, a CSV's value): `None` for anything else,
    /// and for text that reads as no finite number (`"NaN"`, `"1e999"`).
    pub fn of(value: &Value) -> Option<Num> {
        match value {
            Value::Number(n) => Num::of_json(n),
            Value::String(text) => {
                let text = text.trim();
                match text.parse::<i128>() {
                    Ok(integer) => Some(Num::Integer(integer)),
                    Err(_) => text
                        .parse::<f64>()
                        .ok()
                        .filter(|n| n.is_finite())
                        .map(Num::Float),
                }
            }
            _ => None,
        }
    }

    pub fn of_json(number: &serde_json::Number) -> Option<Num> {
        let integer = number
            .as_i64()
            .map(i128::from)
            .or_else(|| number.as_u64().map(i128::from));
        match integer {
            Some(integer) => Some(Num::Integer(integer)),
            None => number.as_f64().filter(|n| n.is_finite()).map(Num::Float),
        }
    }

    /// The nearest float (for what only needs one: a count's bounds, a sign).
    pub fn as_f64(self) -> f64 {
        match self {
            Num::Integer(integer) => integer as f64,
            Num::Float(float) => float,
        }
    }
}

impl Ord for Num {
    /// The order of the two values, exactly: both are finite, so every pair has one.
    fn cmp(&self, other: &Num) -> Ordering {
        match (*self, *other) {
            (Num::Integer(a), Num::Integer(b)) => a.cmp(&b),
            // -0.0 is 0.0, as JSON reads them.
            (Num::Float(a), Num::Float(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
            (Num::Integer(a), Num::Float(b)) => integer_against_float(a, b),
            (Num::Float(a), Num::Integer(b)) => integer_against_float(b, a).reverse(),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Num {}

/// An integer against a float, without rounding the integer: against the float's floor (an
/// integer a float holds exactly), then its fraction.
fn integer_against_float(integer: i128, float: f64) -> Ordering {
    // 2^127: every i128 is below it, and at or above its negation.
    const EDGE: f64 = 170_141_183_460_469_231_731_687_303_715_884_105_728.0;
    let floor = float.floor();
    if float.is_nan() {
        return Ordering::Equal;
    }
    if floor >= EDGE {
        return Ordering::Less;
    }
    if floor < -EDGE {
        return Ordering::Greater;
    }
    // In range and whole, so the cast is exact.
    match integer.cmp(&(floor as i128)) {
        Ordering::Equal if float > floor => Ordering::Less,
        order => order,
    }
}

impl fmt::Display for Num {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Num::Integer(integer) => write!(f, "{integer}"),
            Num::Float(float) => f.write_str(&crate::words::number(*float)),
        }
    }
}

/// What two floats computed from decimals may differ by when the numbers they stand for are
/// equal as written: decimals are binary fractions, so 1.1 - 1.0 is 0.10000000000000009 and
/// 0.3 / 0.4 is 0.7499999999999999. A few units in the last place of the larger of the two
/// (and never less than of 1).
pub fn rounding(a: f64, b: f64) -> f64 {
    4.0 * f64::EPSILON * a.abs().max(b.abs()).max(1.0)
}

/// Whether a computed score reaches a threshold, forgiving the rounding of its computation: a
/// score of 0.3 / 0.4 reaches 0.75 (it is shown as 0.75 and would fail by 1e-16).
pub fn reaches(score: f64, threshold: f64) -> bool {
    score >= threshold - rounding(score, threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn num(value: Value) -> Num {
        Num::of(&value).unwrap_or_else(|| panic!("{value} is no number"))
    }

    #[test]
    fn integers_past_two_to_the_53_compare_exactly() {
        let (above, at) = (
            num(json!(9_007_199_254_740_993_u64)),
            num(json!(1_u64 << 53)),
        );
        assert_eq!(above.cmp(&at), Ordering::Greater);
        assert_eq!(at.cmp(&above), Ordering::Less);
        // 2^53 + 1 rounds to the float 2^53, but is not it.
        assert_eq!(
            above.cmp(&num(json!(9_007_199_254_740_992.0))),
            Ordering::Greater
        );
        assert_eq!(
            at.cmp(&num(json!(9_007_199_254_740_992.0))),
            Ordering::Equal
        );
        assert_eq!(
            num(json!(u64::MAX)).cmp(&num(json!(i64::MIN))),
            Ordering::Greater
        );
        assert_eq!(
            num(json!("9007199254740993")).cmp(&num(json!("9007199254740992"))),
            Ordering::Greater
        );
    }

    #[test]
    fn an_integer_and_a_float_compare_by_value() {
        assert_eq!(num(json!(1)).cmp(&num(json!(1.0))), Ordering::Equal);
        assert_eq!(num(json!(1)).cmp(&num(json!(1.5))), Ordering::Less);
        assert_eq!(num(json!(2)).cmp(&num(json!(1.5))), Ordering::Greater);
        assert_eq!(num(json!(-2)).cmp(&num(json!(-1.5))), Ordering::Less);
        assert_eq!(num(json!(-1)).cmp(&num(json!(-1.5))), Ordering::Greater);
        assert_eq!(num(json!(u64::MAX)).cmp(&num(json!(1e300))), Ordering::Less);
        assert_eq!(
            num(json!(i64::MIN)).cmp(&num(json!(-1e300))),
            Ordering::Greater
        );
        // u64::MAX's nearest float is 2^64, one above it.
        assert_eq!(
            num(json!(u64::MAX)).cmp(&num(json!(18446744073709551616.0))),
            Ordering::Less
        );
    }

    #[test]
    fn text_reads_as_the_number_it_spells() {
        assert_eq!(Num::of(&json!(" 12 ")), Some(Num::Integer(12)));
        assert_eq!(Num::of(&json!("0.5")), Some(Num::Float(0.5)));
        assert_eq!(Num::of(&json!("NaN")), None);
        assert_eq!(Num::of(&json!("1e999")), None);
        assert_eq!(Num::of(&json!("abc")), None);
        assert_eq!(Num::of(&json!(true)), None);
    }

    #[test]
    fn a_score_reaches_a_threshold_it_equals_as_written() {
        let (passed, total) = (std::hint::black_box(0.3), std::hint::black_box(0.4));
        assert!(passed / total < 0.75, "the float rounds below");
        assert!(reaches(passed / total, 0.75));
        assert!(!reaches(0.7499, 0.75));
        assert!(reaches(1.0, 1.0));
        assert!(!reaches(0.0, 1e-9));
    }
}
