//! The async polling cadence: quick for short jobs, gentle for long ones. The pause grows with
//! the job's age (a sixth of it, between 100 ms and 2 s), so the delay in noticing completion
//! stays under a tenth of the job's duration (a sixth at worst, about a twelfth on average).

use std::time::Duration;

pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
pub const MAX_INTERVAL: Duration = Duration::from_secs(2);
/// A poll that answers 404 this soon after the submit means the run row does not exist yet.
pub const NOT_FOUND_GRACE: Duration = Duration::from_secs(5);

pub fn next_interval(age: Duration) -> Duration {
    (age / 6).clamp(MIN_INTERVAL, MAX_INTERVAL)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interval_tracks_job_age_within_bounds() {
        assert_eq!(next_interval(Duration::ZERO), MIN_INTERVAL);
        assert_eq!(
            next_interval(Duration::from_secs(3)),
            Duration::from_millis(500)
        );
        assert_eq!(next_interval(Duration::from_secs(600)), MAX_INTERVAL);
    }
}
