//! Fault injection: HTTP errors (429, 500, 503, 504, 402, 403) and failed runs
//! (`200 status: failed`), each on its own schedule with its own per-flow counter, so that
//! "the first request of every 3 gets a 429" holds no matter what else the flow is set to do.

use crate::sim::seed;
use std::sync::atomic::{AtomicU64, Ordering};

/// When a fault fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Schedule {
    /// The 1st, (N+1)th, (2N+1)th... request of this flow.
    Every(u64),
    /// Each request independently with this probability, seeded.
    Rate(f64),
}

impl Schedule {
    pub fn fires(&self, count: u64, draw_seed: u64) -> bool {
        match *self {
            Schedule::Every(n) => n > 0 && count.is_multiple_of(n),
            Schedule::Rate(p) => seed::unit(draw_seed) < p,
        }
    }

    /// The chance a given run fails: used where no counter exists (stateless step-through).
    pub fn probability(&self) -> f64 {
        match *self {
            Schedule::Every(n) if n > 0 => 1.0 / n as f64,
            Schedule::Every(_) => 0.0,
            Schedule::Rate(p) => p,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpFaultKind {
    RateLimit,
    ServerError,
    Unavailable,
    GatewayTimeout,
    OutOfCredits,
    Forbidden,
}

pub const HTTP_FAULT_KINDS: usize = 6;

impl HttpFaultKind {
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn status(self) -> u16 {
        match self {
            HttpFaultKind::RateLimit => 429,
            HttpFaultKind::ServerError => 500,
            HttpFaultKind::Unavailable => 503,
            HttpFaultKind::GatewayTimeout => 504,
            HttpFaultKind::OutOfCredits => 402,
            HttpFaultKind::Forbidden => 403,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            HttpFaultKind::RateLimit => "RATE_LIMITED",
            HttpFaultKind::ServerError => "INTERNAL_ERROR",
            HttpFaultKind::Unavailable => "SERVICE_UNAVAILABLE",
            HttpFaultKind::GatewayTimeout => "GATEWAY_TIMEOUT",
            HttpFaultKind::OutOfCredits => "CREDITS_EXHAUSTED",
            HttpFaultKind::Forbidden => "FORBIDDEN",
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            HttpFaultKind::RateLimit => {
                "Too many requests; retry after the Retry-After delay (simulated fault)"
            }
            HttpFaultKind::ServerError => {
                "Internal error while executing the flow (simulated fault)"
            }
            HttpFaultKind::Unavailable => {
                "The service is temporarily unavailable (simulated fault)"
            }
            HttpFaultKind::GatewayTimeout => "The gateway timed out (simulated fault)",
            HttpFaultKind::OutOfCredits => "The organisation has no credits left (simulated fault)",
            HttpFaultKind::Forbidden => "This key has no access to this flow (simulated fault)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct HttpFault {
    pub kind: HttpFaultKind,
    pub schedule: Schedule,
    pub retry_after: Option<u32>,
}

/// A run that completes with `status: failed` at `step` (default: the first llm block, else
/// the last block).
#[derive(Debug, Clone, PartialEq)]
pub struct FailFault {
    pub schedule: Schedule,
    pub step: Option<String>,
    pub error: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub http: Vec<HttpFault>,
    pub fail: Option<FailFault>,
}

/// Per-flow request counters, one per fault kind plus one for runs. Atomics only: the hot
/// path takes no lock.
#[derive(Debug, Default)]
pub struct FlowCounters {
    http: [AtomicU64; HTTP_FAULT_KINDS],
    runs: AtomicU64,
}

impl FlowCounters {
    /// Count this request against every HTTP fault; the first that fires wins.
    pub fn http_fault<'a>(&self, faults: &'a Faults, flow_seed: u64) -> Option<&'a HttpFault> {
        let mut fired = None;
        for fault in &faults.http {
            let count = self.http[fault.kind.index()].fetch_add(1, Ordering::Relaxed);
            let draw = seed::mix(seed::mix(flow_seed, fault.kind.index() as u64), count);
            if fired.is_none() && fault.schedule.fires(count, draw) {
                fired = Some(fault);
            }
        }
        fired
    }

    /// The next run number of this flow, for seeding.
    pub fn next_run(&self) -> u64 {
        self.runs.fetch_add(1, Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_n_fires_on_the_first_of_each_n() {
        let faults = Faults {
            http: vec![HttpFault {
                kind: HttpFaultKind::RateLimit,
                schedule: Schedule::Every(3),
                retry_after: Some(1),
            }],
            fail: None,
        };
        let counters = FlowCounters::default();
        let fired: Vec<bool> = (0..6)
            .map(|_| counters.http_fault(&faults, 7).is_some())
            .collect();
        assert_eq!(fired, [true, false, false, true, false, false]);
    }

    #[test]
    fn rates_are_roughly_respected() {
        let hits = (0..10_000)
            .filter(|i| Schedule::Rate(0.25).fires(*i, seed::mix(9, *i)))
            .count();
        assert!((2000..3000).contains(&hits), "{hits}");
        assert!(!Schedule::Rate(0.0).fires(0, 1));
        assert!(Schedule::Rate(1.0).fires(0, 1));
    }
}
