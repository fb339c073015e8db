//! The table of async jobs: the only shared mutable state on the request path, held under a
//! short-lived lock. Finished jobs are forgotten after an hour so memory stays bounded.

use crate::sim::engine::RunOutcome;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

const KEEP_FINISHED: Duration = Duration::from_secs(3600);
const SWEEP_EVERY: u64 = 512;

struct Job {
    flow_path: String,
    created: Instant,
    pending_until: Instant,
    ready_at: Instant,
    outcome: Option<RunOutcome>,
}

pub enum JobStatus {
    Pending,
    Running,
    Done(RunOutcome),
}

#[derive(Default)]
pub struct JobTable {
    jobs: Mutex<HashMap<String, Job>>,
    inserted: AtomicU64,
}

impl JobTable {
    /// A job that reports `pending` for `pending_for`, then `running`, and is done no sooner
    /// than `at_least` after submission (and no sooner than its run finishes).
    pub fn insert(&self, id: &str, flow_path: String, pending_for: Duration, at_least: Duration) {
        let now = Instant::now();
        let job = Job {
            flow_path,
            created: now,
            pending_until: now + pending_for,
            ready_at: now + at_least,
            outcome: None,
        };
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        if self.inserted.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            jobs.retain(|_, job| job.outcome.is_none() || job.created.elapsed() < KEEP_FINISHED);
        }
        jobs.insert(id.to_string(), job);
    }

    pub fn finish(&self, id: &str, outcome: RunOutcome) {
        let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(job) = jobs.get_mut(id) {
            job.outcome = Some(outcome);
        }
    }

    /// `None` when there is no such job for this flow.
    pub fn status(&self, id: &str, flow_path: &str) -> Option<JobStatus> {
        let jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
        let job = jobs.get(id).filter(|job| job.flow_path == flow_path)?;
        let now = Instant::now();
        Some(match &job.outcome {
            _ if now < job.pending_until => JobStatus::Pending,
            Some(outcome) if now >= job.ready_at => JobStatus::Done(outcome.clone()),
            _ => JobStatus::Running,
        })
    }
}
