//! One attempt: run the case through its transport within its timeout, ask its graders, then
//! judge it; or, when a stop cuts it, say how far it got ([`Ended`]).

use super::outcome::Attempt;
use super::plan::Planned;
use super::scheduler::RunOptions;
use super::transport::{self, Observed};
use crate::api::{Client, wire};
use crate::check::Grades;
use crate::check::expect::Judgement;
use crate::check::observation::{Observation, Reply};
use crate::secret::{redact_url_in, redact_urls};
use crate::suite::{Case, Mode, Suite};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How an attempt ended.
pub enum Ended {
    /// It ran to its end; with why it stops the whole run, if it does (the key refused or the
    /// credits spent, on the flow's call or a grader's).
    Done(Attempt, Option<String>),
    /// A stop cut it while the flow's call was in flight, or while it waited to retry after
    /// an answer (this one). `connecting`: no connection to the server had been made yet in
    /// the run, so nothing was sent (the host was being resolved, or connected to).
    Cut {
        waiting_after: Option<String>,
        connecting: bool,
    },
    /// A stop cut it while its graders were asked (`judge` checks), or waited to retry after
    /// an answer (this one): the flow's answer is kept, judged with the grades that did not
    /// come marked "not graded".
    CutGrading {
        attempt: Attempt,
        waiting_after: Option<String>,
    },
}

/// When the scheduler cuts an attempt: at once on `abort`; on `stop`, once the attempt waits
/// to retry (a stop sends nothing new), while a call in flight has until `abort` to finish.
pub struct Cut {
    pub stop: CancellationToken,
    pub abort: CancellationToken,
}

impl Cut {
    async fn comes(&self, progress: &transport::Progress) {
        tokio::select! {
            biased;
            () = self.abort.cancelled() => {}
            () = async { self.stop.cancelled().await; progress.waits().await } => {}
        }
    }
}

/// The attempt, unless `cut` ends it first. `progress` says how far it got, for the scheduler
/// when it is cut.
pub async fn run_attempt(
    client: &Client,
    suite: &Suite,
    case: &Case,
    planned: Planned,
    options: &RunOptions,
    progress: &transport::Progress,
    cut: &Cut,
) -> Ended {
    let policy = &options.retry;
    let target = planned.target;
    let body = wire::run_body(&case.request);
    let deadline = Instant::now() + case.timeout;
    let reach = client.reach_mark();
    let work = async {
        match case.mode {
            Mode::Sync => {
                transport::run_sync(
                    client,
                    &suite.flow,
                    target,
                    &body,
                    policy,
                    deadline,
                    progress,
                )
                .await
            }
            Mode::Async => {
                transport::run_job(
                    client,
                    &suite.flow,
                    planned,
                    &body,
                    policy,
                    deadline,
                    progress,
                )
                .await
            }
            Mode::Step => {
                transport::run_steps(
                    client,
                    &suite.flow,
                    target,
                    case,
                    policy,
                    deadline,
                    progress,
                )
                .await
            }
        }
    };
    let timed = tokio::select! {
        biased;
        () = cut.comes(progress) => {
            return Ended::Cut {
                waiting_after: progress.waiting_after_answer(),
                connecting: !client.connected(),
            };
        }
        timed = tokio::time::timeout_at(deadline, work) => timed,
    };
    let observed = match timed {
        Ok(observed) => observed,
        Err(_) => Observed {
            reply: Reply::Broken {
                message: match progress.told() {
                    Some(progress) => format!(
                        "timed out after {} ({progress})",
                        humantime::format_duration(case.timeout)
                    ),
                    None => format!(
                        "timed out after {}",
                        humantime::format_duration(case.timeout)
                    ),
                },
            },
            latency: case.timeout,
            steps: Vec::new(),
            retries: progress.retries(),
            unsent: Vec::new(),
        },
    };
    let observation = Observation {
        reply: observed.reply,
        latency: observed.latency,
        steps: observed.steps,
    };
    let mut grades = Grades::none();
    let cut_grading = case.expect.asks_graders() && {
        let graded = super::grade::grade(
            client,
            &case.expect,
            &observation,
            policy,
            deadline,
            progress,
            &mut grades,
        );
        tokio::select! {
            biased;
            () = cut.comes(progress) => true,
            () = graded => false,
        }
    };
    let stops_run = observation
        .reply
        .stops_run()
        .or_else(|| grades.stops_run().map(str::to_owned))
        .or_else(|| match observation.reply {
            // After its retries, and with nothing answered in the whole run: the server is
            // not there, and every other case would wait out the same retries.
            Reply::Broken { .. } => client.unreachable(reach),
            _ => None,
        });
    let (mut judgement, mut checks) = case.expect.judge(&observation, &grades);
    // Checks judged here, beside the expectation's: an edit the case asked for and never made
    // (what ran is not what the case describes), and the golden snapshot. Either failing fails
    // a case that passed.
    let mut beside = observed.unsent;
    let mut unjudged = None;
    if let (Some(spec), Reply::Ran { result, .. }) = (&case.expect.snapshot, &observation.reply) {
        match crate::snapshot::verify(
            spec,
            suite,
            case,
            target,
            result,
            options.snapshots,
            case.expect.at(case.expect.lines.snapshot),
        ) {
            Ok(check) => beside.push(check),
            Err(why) => unjudged = Some(why),
        }
    }
    if beside.iter().any(|check| !check.passed) && judgement == Judgement::Passed {
        judgement = Judgement::Failed;
    }
    // A check that failed decides; with none failed, a snapshot that could not be judged
    // leaves the attempt without a verdict.
    if let (Some(why), Judgement::Passed) = (unjudged, &judgement) {
        judgement = Judgement::Errored(why);
    }
    checks.extend(beside);
    let (observation, checks) = shown(client, observation, checks);
    let attempt = Attempt {
        result: judgement,
        // A suite may have put a key in the body by another name (`${KEY_COPY}`).
        request: serde_json::value::RawValue::from_string(
            client.scrub(&redact_urls(&body).to_string()),
        )
        .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned()),
        observation,
        checks,
        retries: observed.retries,
    };
    if cut_grading {
        Ended::CutGrading {
            attempt,
            waiting_after: progress.waiting_after_answer(),
        }
    } else {
        Ended::Done(attempt, stops_run)
    }
}

/// What the reports keep of a judged attempt: the flow's result, its steps' outputs and the
/// checks' values (found, expected, the words about them) without the query strings and
/// fragments of the URLs in them. A flow may echo its attachment's signed URL; the checks
/// judged the result as returned, but nothing shows or writes the signature. Nor the key: a
/// suite may hold it in a check (`not: {contains: "nk_live_..."}`), whose words say it.
/// (What was found comes from the reply, scrubbed as it was read.)
fn shown(
    client: &Client,
    mut observation: Observation,
    mut checks: Vec<crate::check::CheckOutcome>,
) -> (Observation, Vec<crate::check::CheckOutcome>) {
    let value = |v: &mut serde_json::Value| {
        if let std::borrow::Cow::Owned(redacted) = redact_urls(v) {
            *v = redacted;
        }
    };
    if let Reply::Ran { result, .. } = &mut observation.reply {
        value(result);
    }
    for step in &mut observation.steps {
        value(&mut step.output);
    }
    for check in &mut checks {
        redact_url_in(&mut check.label);
        redact_url_in(&mut check.expected);
        client.scrub_in(&mut check.label);
        client.scrub_in(&mut check.expected);
        if let Some(detail) = &mut check.detail {
            redact_url_in(detail);
            client.scrub_in(detail);
        }
        if let Some(expected) = check.expected_value.as_deref_mut() {
            client.scrub_value(expected);
        }
        let values = check.actual.as_deref_mut().into_iter();
        for found in values.chain(check.expected_value.as_deref_mut()) {
            value(found);
        }
    }
    (observation, checks)
}
