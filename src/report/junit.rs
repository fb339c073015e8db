//! JUnit XML for CI systems, through quick-junit: one `<testsuite>` per suite x target, one
//! `<testcase>` per case. Assertion failures are `<failure>`, transport and server errors are
//! `<error>`, repeats that did not pass are flaky or rerun elements. The output validates
//! against the Surefire schema (`shared/schemas/junit-10.xsd`), which allows properties on
//! suites only: the target and flow go there, each case's latency in its `time` and output.

use super::render::{attempt_details, case_details, headline};
use super::style::plain;
use crate::run::{Attempt, AttemptResult, CaseOutcome, CaseStatus};
use quick_junit::{
    FlakyOrRerun, NonSuccessKind, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// Render the report; `outcomes` must be in plan order.
pub fn render(
    outcomes: &[CaseOutcome],
    started: SystemTime,
    elapsed: Duration,
) -> Result<String, String> {
    report(outcomes, started, elapsed)
        .to_string()
        .map_err(|err| err.to_string())
}

/// Write the report to `path` (atomically) as it is serialized: the same bytes as [`render`],
/// without holding the XML text in memory.
pub fn write(
    path: &Path,
    outcomes: &[CaseOutcome],
    started: SystemTime,
    elapsed: Duration,
) -> Result<(), String> {
    write_report(path, &report(outcomes, started, elapsed))
}

/// Write a built report (see [`report`]) to `path`, atomically, as it is serialized.
pub fn write_report(path: &Path, report: &Report) -> Result<(), String> {
    super::write_report_with(path, |out| {
        report.serialize(out).map_err(std::io::Error::other)
    })
}

/// The report's structure, for [`write_report`].
pub fn report(outcomes: &[CaseOutcome], started: SystemTime, elapsed: Duration) -> Report {
    let mut report = Report::new("flowcheck");
    report.set_time(elapsed);
    report.set_timestamp(chrono::DateTime::<chrono::Utc>::from(started));
    // Group by suite and target, keeping case order within each group.
    let mut groups: BTreeMap<(usize, Option<crate::suite::Target>), Vec<&CaseOutcome>> =
        BTreeMap::new();
    for outcome in outcomes {
        groups
            .entry((outcome.key.suite, outcome.target()))
            .or_default()
            .push(outcome);
    }
    for cases in groups.values() {
        let Some(first) = cases.first() else { continue };
        let mut suite = TestSuite::new(format!("{} @ {}", first.suite, first.target));
        suite.add_property(("flow", &*first.flow));
        suite.add_property(("target", first.target.as_str()));
        suite.add_property(("file", first.file.display().to_string().as_str()));
        // The Surefire schema allows `file` on test suites (not on test cases).
        suite
            .extra
            .insert("file".into(), first.file.display().to_string().into());
        suite.add_test_cases(cases.iter().map(|outcome| test_case(outcome)));
        report.add_test_suite(suite);
    }
    report
}

fn test_case(outcome: &CaseOutcome) -> TestCase {
    let failing: Vec<&Attempt> = outcome
        .attempts
        .iter()
        .filter(|a| a.result != AttemptResult::Passed)
        .collect();
    let status = match outcome.status {
        CaseStatus::Passed => TestCaseStatus::success(),
        CaseStatus::Flaky => TestCaseStatus::Success {
            flaky_runs: failing.iter().map(|a| rerun(a)).collect(),
        },
        CaseStatus::Failed | CaseStatus::Errored => {
            let kind = if outcome.status == CaseStatus::Failed {
                NonSuccessKind::Failure
            } else {
                NonSuccessKind::Error
            };
            let mut status = TestCaseStatus::non_success(kind);
            if let Some(first) = failing.first() {
                status.set_message(headline(first));
                status.set_type(if kind == NonSuccessKind::Failure {
                    "assertion"
                } else {
                    "error"
                });
            }
            status.set_description(plain(&case_details(outcome)));
            status.set_rerun_kind(FlakyOrRerun::Rerun);
            status.add_reruns(failing.iter().skip(1).map(|a| rerun(a)));
            status
        }
        CaseStatus::NotRun => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(outcome.reason.clone().unwrap_or_else(|| "not run".into()));
            status
        }
    };
    let mut case = TestCase::new(outcome.case.as_str(), status);
    case.set_classname(format!("{}.{}", outcome.suite, outcome.target));
    case.set_time(outcome.duration);
    case.set_system_out(system_out(outcome));
    case
}

fn rerun(attempt: &Attempt) -> TestRerun {
    let kind = match attempt.result {
        AttemptResult::Errored(_) => NonSuccessKind::Error,
        _ => NonSuccessKind::Failure,
    };
    let mut rerun = TestRerun::new(kind);
    rerun.set_type(if kind == NonSuccessKind::Failure {
        "assertion"
    } else {
        "error"
    });
    rerun.set_message(headline(attempt));
    rerun.set_description(plain(&attempt_details(attempt)));
    rerun
}

fn system_out(outcome: &CaseOutcome) -> String {
    let mut lines = vec![
        format!("file: {}:{}", outcome.file.display(), outcome.line),
        format!("flow: {} @ {}", outcome.flow, outcome.target),
    ];
    for (index, attempt) in outcome.attempts.iter().enumerate() {
        lines.push(format!(
            "attempt {}: {} latency_ms={} retries={}",
            index + 1,
            match &attempt.result {
                AttemptResult::Passed => "passed",
                AttemptResult::Failed => "failed",
                AttemptResult::Errored(_) => "errored",
            },
            attempt.observation.latency.as_millis(),
            attempt.retries
        ));
    }
    lines.join("\n")
}
