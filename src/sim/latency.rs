//! Simulated latency of a run: fixed, or drawn from a seeded distribution.

use crate::sim::seed;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Latency {
    None,
    Fixed { ms: u64 },
    Uniform { min_ms: u64, max_ms: u64 },
    Normal { mean_ms: f64, stddev_ms: f64 },
}

impl Latency {
    /// The whole run's latency for this seed; never negative.
    pub fn sample(&self, run_seed: u64) -> Duration {
        let ms = match *self {
            Latency::None => 0.0,
            Latency::Fixed { ms } => ms as f64,
            Latency::Uniform { min_ms, max_ms } => {
                min_ms as f64 + seed::unit(run_seed) * (max_ms.saturating_sub(min_ms)) as f64
            }
            Latency::Normal { mean_ms, stddev_ms } => {
                // Box-Muller; the first uniform is kept away from 0 so that ln() stays finite.
                let u1 = seed::unit(run_seed).max(f64::MIN_POSITIVE);
                let u2 = seed::unit(seed::mix(run_seed, 1));
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                mean_ms + z * stddev_ms
            }
        };
        Duration::from_secs_f64(ms.max(0.0) / 1000.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_deterministic_and_in_range() {
        assert_eq!(Latency::None.sample(1), Duration::ZERO);
        assert_eq!(
            Latency::Fixed { ms: 250 }.sample(1),
            Duration::from_millis(250)
        );
        let uniform = Latency::Uniform {
            min_ms: 10,
            max_ms: 20,
        };
        for s in 0..100 {
            let d = uniform.sample(s);
            assert!(d >= Duration::from_millis(10) && d <= Duration::from_millis(20));
            assert_eq!(d, uniform.sample(s));
        }
        let normal = Latency::Normal {
            mean_ms: 5.0,
            stddev_ms: 100.0,
        };
        for s in 0..100 {
            assert!(normal.sample(s) >= Duration::ZERO);
        }
    }
}
