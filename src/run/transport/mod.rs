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

/// Where a transport has got to, in words, for a timeout to say: the future that knows is
/// dropped when the case's time runs out.
#[derive(Default)]
pub struct Progress(std::cell::RefCell<Option<String>>);

impl Progress {
    pub fn set(&self, text: String) {
        *self.0.borrow_mut() = Some(text);
    }

    pub fn take(&self) -> Option<String> {
        self.0.borrow_mut().take()
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
