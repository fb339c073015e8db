//! The Noukai client: requests, responses, errors, SSE parsing. One call per method; retries,
//! polling cadence and deadlines belong to the runner.

mod client;
mod error;
pub mod sse;
mod transport;
pub mod wire;

pub use client::{Client, ClientConfig, JobState, Submitted, is_loopback};
pub use error::ApiError;
pub use wire::{RunReply, StepEvent};
