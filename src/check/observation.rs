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

impl Reply {
    /// Why this answer stops the whole run, if it does: the key refused (401) or the
    /// credits spent (402) are the run's failure, not this request's.
    pub fn stops_run(&self) -> Option<String> {
        match self {
            Reply::Refused {
                http,
                code,
                message,
            } => run_failure(*http)
                .map(|what| format!("{what} ({})", refusal_text(*http, code, message))),
            _ => None,
        }
    }
}

/// `HTTP 404 FLOW_NOT_FOUND: message`, as a refused call reads.
pub fn refusal_text(http: u16, code: &Option<String>, message: &str) -> String {
    match code {
        Some(code) => format!("HTTP {http} {code}: {message}"),
        None => format!("HTTP {http}: {message}"),
    }
}

/// What an HTTP status means when it is the run's failure rather than a request's.
pub fn run_failure(http: u16) -> Option<&'static str> {
    match http {
        401 => Some("the API key was refused"),
        402 => Some("the account is out of credits"),
        _ => None,
    }
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
