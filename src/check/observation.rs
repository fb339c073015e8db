//! What a run observed, in the shape the checks judge: built by the runner from whichever
//! transport ran the case (sync, async, step-through).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reply {
    /// The flow ran: `status` is `completed` or `failed`, `result` its output (or error detail).
    Ran {
        status: String,
        result: Value,
        #[serde(skip_serializing_if = "Option::is_none")]
        block_count: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        execution_id: Option<String>,
    },
    /// The server answered with an HTTP error.
    Refused {
        http: u16,
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<String>,
        message: String,
    },
    /// No usable answer: connection failure, timeout, malformed response.
    Broken { message: String },
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ObservedStep {
    pub id: String,
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub output: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Observation {
    pub reply: Reply,
    #[serde(with = "crate::report::duration_ms")]
    pub latency: Duration,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<ObservedStep>,
}
