//! The one engine that runs a flow version. `/execute`, polled jobs and `/step` all go through
//! `Execution::step`, so the same input gives the same result through all three.

use crate::sim::attachments::{self, Attachment};
use crate::sim::blocks::{BlockContext, BlockOverride, Usage};
use crate::sim::model::Version;
use crate::sim::seed;
use crate::sim::template::Scope;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Everything a run reads, already checked.
#[derive(Debug, Clone)]
pub struct RunInput {
    pub message: String,
    pub parameters: Map<String, Value>,
    pub attachments: Vec<Attachment>,
    pub overrides: HashMap<String, BlockOverride>,
}

pub struct Execution {
    version: Arc<Version>,
    input: Value,
    attachments: Value,
    has_attachments: bool,
    overrides: HashMap<String, BlockOverride>,
    run_seed: u64,
    step_delay: Duration,
    /// The step at which this run fails (fault injection), and why.
    fail_at: Option<(usize, String)>,
}

#[derive(Debug, Clone)]
pub struct StepReport {
    pub index: usize,
    pub id: String,
    pub name: String,
    pub output: Value,
    pub duration_ms: u64,
    pub usage: Option<Usage>,
}

#[derive(Debug, Clone)]
pub struct StepFailure {
    pub id: String,
    pub name: String,
    pub error: String,
    pub duration_ms: u64,
}

#[derive(Debug, Clone)]
pub enum RunOutcome {
    Completed { result: Value },
    Failed { error: String, step: String },
}

impl RunOutcome {
    /// The `result` field of a failed run: `{"error", "step"}`.
    pub fn failure_detail(error: &str, step: &str) -> Value {
        json!({ "error": error, "step": step })
    }
}

impl Execution {
    /// `fails`: whether fault injection decided this run fails.
    pub fn new(version: Arc<Version>, input: RunInput, run_seed: u64, fails: bool) -> Execution {
        let block_count = version.blocks.len().max(1) as u32;
        let total = version
            .knobs
            .latency
            .map(|latency| latency.sample(run_seed))
            .unwrap_or_default();
        let fail_at = match (&version.knobs.faults.fail, fails) {
            (Some(fail), true) => {
                let by_name = fail
                    .step
                    .as_ref()
                    .and_then(|id| version.blocks.iter().position(|b| &b.id == id));
                let first_llm = version.blocks.iter().position(|b| b.is_llm());
                let index = by_name
                    .or(first_llm)
                    .unwrap_or(version.blocks.len().saturating_sub(1));
                Some((index, fail.error.clone()))
            }
            _ => None,
        };
        Execution {
            input: json!({ "message": input.message, "parameters": input.parameters }),
            attachments: attachments::summary(&input.attachments),
            has_attachments: !input.attachments.is_empty(),
            overrides: input.overrides,
            step_delay: total / block_count,
            run_seed,
            fail_at,
            version,
        }
    }

    pub fn block_count(&self) -> usize {
        self.version.blocks.len()
    }

    pub fn block_id(&self, index: usize) -> Option<&str> {
        self.version.blocks.get(index).map(|b| b.id.as_str())
    }

    /// How long the whole run is meant to take (simulated latency).
    pub fn expected_duration(&self) -> Duration {
        self.step_delay * self.block_count() as u32
    }

    /// Run step `index` against the outputs of the steps before it.
    pub async fn step(
        &self,
        index: usize,
        outputs: &Map<String, Value>,
    ) -> Result<StepReport, StepFailure> {
        let started = Instant::now();
        let Some(block) = self.version.blocks.get(index) else {
            return Err(StepFailure {
                id: String::new(),
                name: String::new(),
                error: format!("no step {index}"),
                duration_ms: 0,
            });
        };
        if !self.step_delay.is_zero() {
            tokio::time::sleep(self.step_delay).await;
        }
        let fail = |error: String| StepFailure {
            id: block.id.clone(),
            name: block.name.clone(),
            error,
            duration_ms: started.elapsed().as_millis() as u64,
        };
        if let Some((_, error)) = self.fail_at.as_ref().filter(|(at, _)| *at == index) {
            return Err(fail(error.clone()));
        }
        let context = BlockContext {
            scope: Scope {
                input: &self.input,
                steps: outputs,
                attachments: &self.attachments,
                decision: None,
                prompt: None,
            },
            block_override: self.overrides.get(&block.id),
            has_attachments: self.has_attachments,
            variant_seed: seed::mix(self.run_seed, seed::hash_str(&block.id)),
        };
        let produced = block.run(&context).map_err(fail)?;
        Ok(StepReport {
            index,
            id: block.id.clone(),
            name: block.name.clone(),
            output: produced.output,
            duration_ms: started.elapsed().as_millis() as u64,
            usage: produced.usage,
        })
    }

    /// The run's result once every step has an output.
    pub fn result(&self, outputs: &Map<String, Value>) -> Result<Value, String> {
        match &self.version.result {
            Some(result) => {
                let scope = Scope {
                    input: &self.input,
                    steps: outputs,
                    attachments: &self.attachments,
                    decision: None,
                    prompt: None,
                };
                result
                    .render(&scope)
                    .map_err(|err| format!("failed to build the result: {err}"))
            }
            None => {
                let last = self
                    .version
                    .blocks
                    .last()
                    .map(|b| b.id.as_str())
                    .unwrap_or_default();
                Ok(outputs.get(last).cloned().unwrap_or(Value::Null))
            }
        }
    }

    /// Run every step in order (`/execute` and jobs).
    pub async fn run_all(&self) -> RunOutcome {
        let mut outputs = Map::new();
        for index in 0..self.block_count() {
            match self.step(index, &outputs).await {
                Ok(report) => {
                    outputs.insert(report.id, report.output);
                }
                Err(failure) => {
                    return RunOutcome::Failed {
                        error: failure.error,
                        step: failure.id,
                    };
                }
            }
        }
        match self.result(&outputs) {
            Ok(result) => RunOutcome::Completed { result },
            Err(error) => RunOutcome::Failed {
                error,
                step: self
                    .version
                    .blocks
                    .last()
                    .map(|b| b.id.clone())
                    .unwrap_or_default(),
            },
        }
    }
}
