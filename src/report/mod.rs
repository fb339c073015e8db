//! Reports: consumers of the run's outcomes (terminal, JUnit, JSON).

/// Serialize a `Duration` as whole milliseconds.
pub mod duration_ms {
    use std::time::Duration;
    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }
}
