//! The concurrent scheduler: attempts run at most `jobs` at a time; outcomes stream to one
//! consumer as each case finishes. Stopping (Ctrl-C, fail-fast, a fatal error, the run's
//! deadline) starts no new work (no retry either: an attempt waiting to retry is cut at once),
//! gives in-flight calls a grace period, and marks the rest as not run or interrupted, so the
//! reports always account for every planned case.

use super::attempt::{Cut, Ended, run_attempt};
use super::outcome::{Attempt, CaseOutcome, CaseStatus};
use super::plan::Planned;
use super::retry::RetryPolicy;
use super::stop::Stop;
use super::transport;
use crate::api::Client;
use crate::check::expect::Judgement;
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
    /// The attempts that ran to their end.
    attempts: Vec<Attempt>,
    /// Attempts cut while their graders were asked: kept for the flow's answer, no verdict.
    cut_grading: Vec<Attempt>,
    settled: u32,
    started: Option<Instant>,
    /// Attempts cut after they started: while their call was in flight (the server may have
    /// run them), while they waited to retry, or while their graders were asked.
    cut: u32,
    /// How long the longest of those had run when it was cut.
    cut_after: Duration,
    /// Of `cut`, those waiting to retry, and the answer the last of them waited after.
    cut_waiting: u32,
    waited_after: Option<String>,
    /// Of `cut`, those whose call was still connecting: nothing of them was sent.
    cut_connecting: u32,
}

impl Progress {
    /// An attempt was cut, waiting to retry after `answer` if it was.
    fn waited(&mut self, answer: Option<String>) {
        if let Some(answer) = answer {
            self.cut_waiting += 1;
            self.waited_after = Some(answer);
        }
    }
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
                    return (index, None);
                }
                let planned = plan[index];
                let suite = &suites[planned.key.suite];
                let case = &suite.cases[planned.key.case];
                let started = Instant::now();
                let progress = transport::Progress::default();
                let cut = Cut { stop, abort };
                let ended =
                    run_attempt(client, suite, case, planned, options, &progress, &cut).await;
                (index, Some((started, ended)))
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
                let Some((index, ended)) = next else { break };
                if let Some((_, Ended::Done(_, Some(why)))) = &ended {
                    halting.halt(Stop::Fatal(why.clone()), true);
                }
                if let Some(done) = settling.settle(plan[index], index, ended) {
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
    /// Add an attempt's end (`None` for one never started, else when it started and how it
    /// ended); the case's progress once every attempt of it has settled.
    fn settle(
        &mut self,
        planned: Planned,
        index: usize,
        ended: Option<(Instant, Ended)>,
    ) -> Option<Progress> {
        let entry = self.0.entry(index).or_insert_with(|| Progress {
            planned,
            attempts: Vec::with_capacity(planned.attempts as usize),
            cut_grading: Vec::new(),
            settled: 0,
            started: None,
            cut: 0,
            cut_after: Duration::ZERO,
            cut_waiting: 0,
            waited_after: None,
            cut_connecting: 0,
        });
        entry.settled += 1;
        if let Some((started, ended)) = ended {
            entry.started = Some(entry.started.map_or(started, |first| first.min(started)));
            if !matches!(ended, Ended::Done(..)) {
                entry.cut += 1;
                entry.cut_after = entry.cut_after.max(started.elapsed());
            }
            match ended {
                Ended::Done(attempt, _) => entry.attempts.push(attempt),
                Ended::Cut {
                    waiting_after,
                    connecting,
                } => {
                    if connecting && waiting_after.is_none() {
                        entry.cut_connecting += 1;
                    }
                    entry.waited(waiting_after);
                }
                Ended::CutGrading {
                    attempt,
                    waiting_after,
                } => {
                    entry.cut_grading.push(attempt);
                    entry.waited(waiting_after);
                }
            }
        }
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
    let ran = done.attempts.len() as u32;
    let (status, reason) = if ran == planned.attempts {
        (
            CaseOutcome::status_of(&done.attempts, planned.pass_if),
            None,
        )
    } else if let Some(status) = decided(&done.attempts, planned) {
        // The attempts that ran decide the case whatever the others would have given.
        let by = stopped.map_or_else(|| "the run's stop".into(), Stop::cut_by);
        let reason = format!(
            "decided by {ran} of its {} attempts ({} had to pass); {by} stopped the other {}",
            planned.attempts,
            planned.pass_if,
            planned.attempts - ran
        );
        (status, Some(reason))
    } else if done.cut > 0 || ran > 0 {
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
    let mut attempts = done.attempts;
    attempts.extend(done.cut_grading);
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
        attempts,
    }
}

/// The status of a case some of whose attempts did not run to their end, when those that did
/// decide it: enough of them passed, or too few are left to pass.
fn decided(ran: &[Attempt], planned: Planned) -> Option<CaseStatus> {
    let passes = ran.iter().filter(|a| a.result == Judgement::Passed).count() as u32;
    let left = planned.attempts.saturating_sub(ran.len() as u32);
    let decided = passes >= planned.pass_if || passes.saturating_add(left) < planned.pass_if;
    (decided && !ran.is_empty()).then(|| CaseOutcome::status_of(ran, planned.pass_if))
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
    // The flow answered, and a grader was being asked: its answer is in the report.
    let grading = done.cut_grading.len() as u32;
    if done.cut == grading {
        let whose = if planned == 1 {
            "its grader".to_owned()
        } else {
            format!("the graders of {grading} of its {planned} attempts")
        };
        let doing = match &done.waited_after {
            Some(answer) if done.cut_waiting == done.cut => {
                format!("waited to retry (the last answer: {answer})")
            }
            _ if planned == 1 => "was asked (a `judge` check)".to_owned(),
            _ => "were asked (`judge` checks)".to_owned(),
        };
        return format!(
            "{by} cut it while {whose} {doing}, after {:.3}s{finished}; the flow had answered",
            done.cut_after.as_secs_f64()
        );
    }
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
    // No connection had been made in the run: the host was being resolved or connected to.
    if done.cut == done.cut_connecting {
        return format!(
            "{by} cut it while {calls} still connecting, after {:.3}s{finished} (nothing was sent)",
            done.cut_after.as_secs_f64()
        );
    }
    format!(
        "{by} cut it while {calls} in flight, after {:.3}s{finished} (the server may have run it)",
        done.cut_after.as_secs_f64()
    )
}
