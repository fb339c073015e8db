//! The three ways to run a case, each producing the same [`Reply`] for the checks.

mod job;
mod step;
mod sync;

pub use job::run_job;
pub use step::run_steps;
pub use sync::run_sync;

use crate::api::{ApiError, RunReply};
use crate::check::ObservedStep;
use crate::check::observation::Reply;
use crate::secret::redact_url;
use std::time::Duration;

/// Where a transport has got to, in words, and the retries it made, for a timeout to say: the
/// future that knows is dropped when the case's time runs out.
#[derive(Default)]
pub struct Progress {
    text: std::cell::RefCell<Option<String>>,
    retries: std::cell::Cell<u32>,
    /// The answer retried after, until a call is answered.
    last_answer: std::cell::RefCell<Option<String>>,
}

impl Progress {
    pub fn set(&self, text: String) {
        *self.text.borrow_mut() = Some(text);
    }

    /// A retry is made after `answer` ([`crate::run::retry::with_retry`]).
    pub fn retried(&self, answer: &ApiError) {
        self.retries.set(self.retries.get().saturating_add(1));
        *self.last_answer.borrow_mut() = Some(redact_url(&answer.to_string()));
    }

    /// A call was answered: no failure is being retried.
    pub fn answered(&self) {
        *self.last_answer.borrow_mut() = None;
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
