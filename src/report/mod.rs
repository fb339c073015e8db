//! Reports: consumers of the run's outcomes. The terminal, JUnit and JSON reports read the
//! same [`CaseOutcome`](crate::run::CaseOutcome)s and never reach back into the runner.

pub mod ci;
pub mod comparison;
pub mod diff;
pub mod json;
pub mod junit;
pub mod render;
pub mod style;
pub mod terminal;

pub use crate::files::{write_report, write_report_with};
pub use terminal::Terminal;

/// A `Duration` as whole milliseconds in reports.
pub mod duration_ms {
    use serde::Deserialize;
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let ms = f64::deserialize(d)?;
        Duration::try_from_secs_f64(ms / 1000.0)
            .map_err(|_| serde::de::Error::custom("a duration in milliseconds"))
    }
}
