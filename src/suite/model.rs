//! The validated suite: what `run` plans from. Every value here has passed `compile`.

use super::raw::Mode;
use super::target::{FlowRef, Target};
use crate::check::{Expectation, StepRef};
use crate::diagnostic::Position;
use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Suite {
    pub name: String,
    /// Where the name is written, for the error when two files use it.
    pub name_at: Position,
    pub file: PathBuf,
    pub flow: FlowRef,
    pub cases: Vec<Case>,
    /// The data files its `cases_from` read, and the JSON Schema files its checks read, so
    /// that no report is written over one.
    pub data_files: Vec<PathBuf>,
    pub schema_files: Vec<PathBuf>,
}

impl Suite {
    /// Every tag the cases of `suites` carry, sorted, each once.
    pub fn tags(suites: &[Suite]) -> Vec<&str> {
        let mut tags: Vec<&str> = suites
            .iter()
            .flat_map(|s| {
                s.cases
                    .iter()
                    .flat_map(|c| c.tags.iter().map(String::as_str))
            })
            .collect();
        tags.sort_unstable();
        tags.dedup();
        tags
    }
}

/// The most times a case may run (`repeat`, `--repeat`): enough to measure a flaky flow, and
/// bounded so that a typo cannot plan billions of calls.
pub const MAX_REPEAT: u32 = 10_000;

#[derive(Debug, Clone)]
pub struct Case {
    pub name: String,
    /// The line of the case's `name`, for annotations.
    pub line: u32,
    pub tags: Vec<String>,
    pub request: Request,
    pub mode: Mode,
    pub targets: Vec<Target>,
    /// The case names its own `targets`: it is about those versions (`v9` is not found, say),
    /// so `compare` leaves it out rather than run it on others.
    pub pinned: bool,
    pub timeout: Duration,
    pub repeat: u32,
    /// How many of the `repeat` attempts must pass.
    pub pass_if: u32,
    pub steps: Vec<StepPlan>,
    pub expect: Expectation,
}

/// What is sent to the flow.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub message: Option<String>,
    pub parameters: Map<String, Value>,
    pub attachments: Vec<Attachment>,
    pub block_overrides: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub url: String,
    pub mime_type: String,
    pub filename: Option<String>,
}

/// Edits a step-through run makes before a step runs, as a human-in-the-loop UI would.
#[derive(Debug, Clone)]
pub struct StepPlan {
    pub step: StepRef,
    /// Where the step is written, for the failure when its `input_overrides` were never sent.
    pub line: u32,
    pub input_overrides: Map<String, Value>,
    pub block_overrides: Map<String, Value>,
}
