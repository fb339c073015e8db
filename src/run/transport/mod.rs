//! The three ways to run a case, each producing the same [`Reply`] for the checks.

mod job;
mod step;
mod sync;

pub use job::run_job;
pub use step::run_steps;
pub use sync::run_sync;

use crate::api::{ApiError, RunReply};
use crate::check::observation::Reply;
use crate::check::{CheckOutcome, ObservedStep};
use crate::secret::redact_url;
use std::time::Duration;

/// Where an attempt has got to, in words, and the retries it made, for a timeout or a stop to
/// say: the future that knows is dropped when the case's time runs out or the run stops.
#[derive(Default)]
pub struct Progress {
    text: std::cell::RefCell<Option<String>>,
    retries: std::cell::Cell<u32>,
    /// The answer retried after, until a call is answered.
    last_answer: std::cell::RefCell<Option<String>>,
    /// Waiting out the pause before a retry: no call is in flight.
    waiting: std::cell::Cell<bool>,
    /// Told when a pause begins, for a stop to cut the attempt there ([`Progress::waits`]).
    pausing: tokio::sync::Notify,
}

impl Progress {
    pub fn set(&self, text: String) {
        *self.text.borrow_mut() = Some(text);
    }

    /// A pause begins, to retry after `answer` ([`crate::run::retry::with_retry`]).
    pub fn waiting_after(&self, answer: &ApiError) {
        *self.last_answer.borrow_mut() = Some(redact_url(&answer.to_string()));
        self.waiting.set(true);
        self.pausing.notify_waiters();
    }

    /// The pause is over: the retry is made.
    pub fn retried(&self) {
        self.retries.set(self.retries.get().saturating_add(1));
        self.waiting.set(false);
    }

    /// A call was answered: no failure is being retried.
    pub fn answered(&self) {
        *self.last_answer.borrow_mut() = None;
    }

    /// Done once the attempt waits out a pause before a retry (at once if it does now).
    pub async fn waits(&self) {
        loop {
            // Made before the look, so that a pause that begins in between is not missed.
            let pausing = self.pausing.notified();
            if self.waiting.get() {
                return;
            }
            pausing.await;
        }
    }

    /// The answer the attempt waits to retry after, when it waits (no call in flight).
    pub fn waiting_after_answer(&self) -> Option<String> {
        if self.waiting.get() {
            self.last_answer.borrow().clone()
        } else {
            None
        }
    }

    /// Retries made so far, by every call of the attempt.
    pub fn retries(&self) -> u32 {
        self.retries.get()
    }

    /// What the attempt had done when its time ran out, in words (`job e-1 still running after
    /// 3 polls; after 2 retries; the last answer: HTTP 503 ...`), if anything.
    pub fn told(&self) -> Option<String> {
        let mut parts: Vec<String> = self.text.borrow().iter().cloned().collect();
        let retries = self.retries.get();
        if retries > 0 {
            let mut said = format!(
                "after {retries} {}",
                crate::words::agree(u64::from(retries), "retry", "retries")
            );
            if let Some(answer) = &*self.last_answer.borrow() {
                said.push_str(&format!("; the last answer: {answer}"));
            }
            parts.push(said);
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }
}

/// What one transport observed.
pub struct Observed {
    pub reply: Reply,
    pub latency: Duration,
    pub steps: Vec<ObservedStep>,
    pub retries: u32,
    /// The case's edits that a run which went to its end never sent (step mode: an input
    /// override for a step that never ran), each a failed check.
    pub unsent: Vec<CheckOutcome>,
}

impl Observed {
    pub fn from_result(
        result: Result<RunReply, ApiError>,
        latency: Duration,
        retries: u32,
    ) -> Self {
        Observed {
            reply: reply_of(result),
            latency,
            steps: Vec::new(),
            retries,
            unsent: Vec::new(),
        }
    }
}

pub fn reply_of(result: Result<RunReply, ApiError>) -> Reply {
    match result {
        Ok(reply) => Reply::Ran {
            status: reply.status,
            result: reply.result,
            block_count: reply.block_count,
            execution_id: reply.execution_id,
        },
        Err(ApiError::Http {
            status,
            code,
            message,
            ..
        // A server's error may quote a signed attachment URL: its query is cut here, before
        // any report or the terminal sees it.
        }) => Reply::Refused {
            http: status,
            code,
            message: redact_url(&message),
        },
        Err(err) => Reply::Broken {
            message: redact_url(&err.to_string()),
        },
    }
}
