//! The concurrent scheduler: attempts run at most `jobs` at a time; outcomes stream to one
//! consumer as each case finishes. Stopping (Ctrl-C, fail-fast, a fatal error, the run's
//! deadline) starts no new work (no retry either: an attempt waiting to retry is cut at once),
//! gives in-flight calls a grace period, and marks the rest as not run or interrupted, so the
//! reports always account for every planned case.

use super::attempt::run_attempt;
use super::outcome::{Attempt, CaseOutcome, CaseStatus};
use super::plan::Planned;
use super::retry::RetryPolicy;
use super::stop::Stop;
use super::transport;
use crate::api::Client;
use crate::suite::Suite;
use futures::StreamExt;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub jobs: usize,
    pub retry: RetryPolicy,
    pub fail_fast: bool,
    /// The whole run's deadline.
    pub deadline: Option<Duration>,
    /// How long in-flight calls may finish after a stop.
    pub grace: Duration,
    /// What golden snapshots the run may write.
    pub snapshots: crate::snapshot::Policy,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            jobs: 16,
            retry: RetryPolicy::default(),
            fail_fast: false,
            deadline: None,
            grace: Duration::from_secs(2),
            snapshots: crate::snapshot::Policy::default(),
        }
    }
}

/// How long a finished case may wait to be shown: unnoticeable, and enough to batch output.
pub const PROGRESS_INTERVAL: Duration = Duration::from_millis(50);

/// What the consumer is told, in the order it happens.
#[derive(Debug)]
pub enum Event {
    CaseFinished(Box<CaseOutcome>),
    /// Time to show the cases finished since the last `ShowProgress`: at most
    /// [`PROGRESS_INTERVAL`] after a case finishes, so that a fast run writes its lines in
    /// batches rather than one system call per case.
    ShowProgress,
}

struct Progress {
    planned: Planned,
    attempts: Vec<Attempt>,
    settled: u32,
    started: Option<Instant>,
    /// Attempts stopped while their call was in flight (the server may have run them), or
    /// while they waited to retry.
    cut: u32,
    /// How long the longest of those had run when it was cut.
    cut_after: Duration,
    /// Of `cut`, those waiting to retry, and the answer the last of them waited after.
    cut_waiting: u32,
    waited_after: Option<String>,
}

/// Run the plan; `on_event` is called from this task only, so consumers need no locking.
pub async fn execute(
    suites: &[Suite],
    plan: &[Planned],
    client: &Client,
    options: &RunOptions,
    interrupt: &CancellationToken,
    on_event: &mut dyn FnMut(Event),
) -> Option<Stop> {
    let stop = CancellationToken::new();
    let abort = CancellationToken::new();
    let units = plan
        .iter()
        .enumerate()
        .flat_map(|(index, planned)| (0..planned.attempts).map(move |_| index));
    let mut attempts = futures::stream::iter(units)
        .map(|index| {
            let (stop, abort) = (stop.clone(), abort.clone());
            async move {
                if stop.is_cancelled() {
                    return (index, None, None, None);
                }
                let planned = plan[index];
                let suite = &suites[planned.key.suite];
                let case = &suite.cases[planned.key.case];
                let started = Instant::now();
                let progress = transport::Progress::default();
                // A stop sends nothing new: an attempt waiting to retry is cut there, not given
                // the grace period that calls in flight get.
                tokio::select! {
                    biased;
                    () = abort.cancelled() => {}
                    () = async { stop.cancelled().await; progress.waits().await } => {}
                    attempt = run_attempt(client, suite, case, planned, &options.retry, options.snapshots, &progress) => {
                        return (index, Some(started), Some(attempt), None);
                    }
                }
                // Cut: with its call in flight, or waiting to retry after an answer.
                (index, Some(started), None, progress.waiting_after_answer())
            }
        })
        .buffer_unordered(options.jobs.max(1));

    let shared: Vec<Shared> = suites
        .iter()
        .map(|s| {
            (
                Arc::from(s.name.as_str()),
                Arc::from(s.file.as_path()),
                Arc::from(s.flow.to_string().as_str()),
            )
        })
        .collect();
    let mut settling = Settling::default();
    let mut halting = Halting {
        stop: stop.clone(),
        abort: abort.clone(),
        grace: options.grace,
        stopped: None,
        grace_end: None,
    };
    let far = Instant::now() + Duration::from_secs(365 * 24 * 3600);
    let run_deadline = options.deadline.map(|d| Instant::now() + d);
    let mut show_progress_at: Option<Instant> = None;

    loop {
        let grace_end = halting.grace_end;
        // Biased: the stop conditions come first.
        tokio::select! {
            biased;
            () = interrupt.cancelled(), if halting.stopped.is_none() => halting.halt(Stop::Interrupted, false),
            () = tokio::time::sleep_until(run_deadline.unwrap_or(far)), if run_deadline.is_some() && !abort.is_cancelled() => {
                halting.halt(Stop::Deadline, true);
            }
            () = tokio::time::sleep_until(grace_end.unwrap_or(far)), if grace_end.is_some() && !abort.is_cancelled() => abort.cancel(),
            next = attempts.next() => {
                let Some((index, started, attempt, waiting_after)) = next else { break };
                let attempt = attempt.map(|(attempt, stops_run)| {
                    if let Some(why) = stops_run {
                        halting.halt(Stop::Fatal(why), true);
                    }
                    attempt
                });
                if let Some(done) = settling.settle(plan[index], index, started, attempt, waiting_after) {
                    let outcome = finish(suites, &shared, done, halting.stopped.as_ref());
                    if options.fail_fast && matches!(outcome.status, CaseStatus::Failed | CaseStatus::Errored) {
                        halting.halt(Stop::FailFast, false);
                    }
                    on_event(Event::CaseFinished(Box::new(outcome)));
                    show_progress_at.get_or_insert_with(|| Instant::now() + PROGRESS_INTERVAL);
                }
            }
            () = tokio::time::sleep_until(show_progress_at.unwrap_or(far)), if show_progress_at.is_some() => {
                show_progress_at = None;
                on_event(Event::ShowProgress);
            }
        }
    }
    halting.stopped
}

/// Stopping the run: no new attempt starts; those in flight get the grace period, or are
/// aborted at once.
struct Halting {
    /// Cancelled: no new attempt starts.
    stop: CancellationToken,
    /// Cancelled: the attempts in flight are dropped.
    abort: CancellationToken,
    grace: Duration,
    /// Why the run stopped, the first reason given.
    stopped: Option<Stop>,
    /// When the attempts in flight are aborted, once a stop with grace has come.
    grace_end: Option<Instant>,
}

impl Halting {
    fn halt(&mut self, why: Stop, now: bool) {
        self.stop.cancel();
        self.stopped.get_or_insert(why);
        if now {
            self.abort.cancel();
        } else if self.grace_end.is_none() {
            self.grace_end = Some(Instant::now() + self.grace);
        }
    }
}

/// The attempts of the cases not yet finished, gathered as they settle (in any order).
#[derive(Default)]
struct Settling(HashMap<usize, Progress>);

impl Settling {
    /// Add an attempt's end (`attempt` is `None` for one not run, or cut when it had `started`:
    /// in flight, or `waiting_after` an answer to retry); the case's progress once every
    /// attempt of it has settled.
    fn settle(
        &mut self,
        planned: Planned,
        index: usize,
        started: Option<Instant>,
        attempt: Option<Attempt>,
        waiting_after: Option<String>,
    ) -> Option<Progress> {
        let entry = self.0.entry(index).or_insert_with(|| Progress {
            planned,
            attempts: Vec::with_capacity(planned.attempts as usize),
            settled: 0,
            started: None,
            cut: 0,
            cut_after: Duration::ZERO,
            cut_waiting: 0,
            waited_after: None,
        });
        entry.settled += 1;
        if let (Some(started), None) = (started, &attempt) {
            entry.cut += 1;
            entry.cut_after = entry.cut_after.max(started.elapsed());
            if let Some(answer) = waiting_after {
                entry.cut_waiting += 1;
                entry.waited_after = Some(answer);
            }
        }
        entry.started = match (entry.started, started) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        entry.attempts.extend(attempt);
        if entry.settled == planned.attempts {
            self.0.remove(&index)
        } else {
            None
        }
    }
}

/// A suite's name, file and flow, allocated once and shared by its outcomes.
type Shared = (Arc<str>, Arc<Path>, Arc<str>);

fn finish(
    suites: &[Suite],
    shared: &[Shared],
    done: Progress,
    stopped: Option<&Stop>,
) -> CaseOutcome {
    let planned = done.planned;
    let suite = &suites[planned.key.suite];
    let case = &suite.cases[planned.key.case];
    let complete = done.attempts.len() as u32 == planned.attempts;
    let (status, reason) = if complete {
        (
            CaseOutcome::status_of(&done.attempts, planned.pass_if),
            None,
        )
    } else if done.cut > 0 || !done.attempts.is_empty() {
        // A call cut short was sent: the server may have run it (and charged for it), and
        // no verdict came. So with attempts that finished and others that never started: the
        // case was started. An error, not a case never started.
        (CaseStatus::Interrupted, Some(cut_reason(&done, stopped)))
    } else {
        let why = stopped
            .map(Stop::not_run_reason)
            .unwrap_or_else(|| "not run".into());
        (CaseStatus::NotRun, Some(why))
    };
    CaseOutcome {
        key: planned.key,
        suite: shared[planned.key.suite].0.clone(),
        file: shared[planned.key.suite].1.clone(),
        line: case.line,
        case: case.name.clone(),
        flow: shared[planned.key.suite].2.clone(),
        target: planned.target.to_string(),
        mode: case.mode,
        tags: case.tags.clone(),
        status,
        reason,
        pass_if: planned.pass_if,
        duration: done.started.map(|s| s.elapsed()).unwrap_or_default(),
        attempts: done.attempts,
    }
}

/// Why a case cut in flight has no verdict: what cut it, how long its call had been in flight,
/// and how far its attempts had got. `the run's deadline cut it while its call was in flight,
/// after 1.002s (the server may have run it)`; or, with no call in flight, `Ctrl-C (or
/// SIGTERM) stopped it after 1 of its 2 attempts, before the others started`.
fn cut_reason(done: &Progress, stopped: Option<&Stop>) -> String {
    let by = stopped.map_or_else(|| "the run's stop".into(), Stop::cut_by);
    let planned = done.planned.attempts;
    if done.cut == 0 {
        return format!(
            "{by} stopped it after {} of its {planned} attempts, before the others started",
            done.attempts.len()
        );
    }
    let finished = match done.attempts.len() {
        0 => String::new(),
        n => format!(", with {n} of {planned} attempts finished"),
    };
    // No call in flight: what was sent had been answered, and the retry never went.
    if done.cut == done.cut_waiting
        && let Some(answer) = &done.waited_after
    {
        let waited = if planned == 1 {
            "it waited".to_owned()
        } else {
            format!("{} of its {planned} attempts waited", done.cut)
        };
        return format!(
            "{by} cut it while {waited} to retry (the last answer: {answer}), after {:.3}s{finished}",
            done.cut_after.as_secs_f64()
        );
    }
    let calls = if planned == 1 {
        "its call was".to_owned()
    } else {
        format!(
            "{} of its {planned} calls {}",
            done.cut,
            crate::words::agree(u64::from(done.cut), "was", "were")
        )
    };
    format!(
        "{by} cut it while {calls} in flight, after {:.3}s{finished} (the server may have run it)",
        done.cut_after.as_secs_f64()
    )
}
