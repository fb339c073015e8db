//! Reports: consumers of the run's outcomes. The terminal, JUnit and JSON reports read the
//! same [`CaseOutcome`](crate::run::CaseOutcome)s and never reach back into the runner.

pub mod ci;
pub mod comparison;
pub mod diff;
pub mod json;
pub mod junit;
pub mod render;
pub mod spill;
pub mod style;
pub mod terminal;

pub use crate::files::{write_report, write_report_with};
pub use terminal::Terminal;

/// A `Duration` in reports as milliseconds with microsecond precision (`6.6`, `1234.567`):
/// whole milliseconds made a sub-millisecond latency 0 and so a latency change unmeasurable.
/// Reads either that or the whole milliseconds of older reports, to the microsecond.
pub mod duration_ms {
    use serde::Deserialize;
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        // Below 2^53 microseconds (285 years), the float written is the three decimals.
        s.serialize_f64(d.as_micros() as f64 / 1000.0)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        let micros = (ms * 1000.0).round();
        // `as` saturates: the bound is checked first, so no value wraps or is clamped unseen.
        if micros.is_finite() && (0.0..=u64::MAX as f64).contains(&micros) {
            Ok(Duration::from_micros(micros as u64))
        } else {
            Err(serde::de::Error::custom(format!(
                "expected a duration in milliseconds, from 0 to {}",
                u64::MAX / 1000
            )))
        }
    }
}
