//! Reports: consumers of the run's outcomes. The terminal, JUnit and JSON reports read the
//! same [`CaseOutcome`](crate::run::CaseOutcome)s and never reach back into the runner.

mod diff;
pub mod json;
pub mod junit;
pub mod render;
pub mod style;
pub mod terminal;
pub mod write;

pub use terminal::Terminal;
pub use write::{write_atomic, write_atomic_with};

/// Serialize a `Duration` as whole milliseconds.
pub mod duration_ms {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}
