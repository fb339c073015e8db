//! JUnit XML for CI systems, through quick-junit: one `<testsuite>` per suite x target, one
//! `<testcase>` per case. Assertion failures are `<failure>`, transport and server errors are
//! `<error>` (and so is a case cut while its call was in flight: `type="interrupted"`), cases
//! never started are `<skipped>`, repeats that did not pass are flaky or rerun elements. The output validates
//! against the Surefire schema (`shared/schemas/junit-10.xsd`), which allows properties on
//! suites only: the target and flow go there, each case's latency in its `time` and output.
//!
//! Every string goes through [`xml_safe`] on its way in: names, outputs and server messages
//! may hold characters XML 1.0 forbids, and one of them makes the whole file unreadable.

use super::render::{attempt_details, case_details, headline};
use super::style::plain;
use crate::run::{Attempt, CaseOutcome, CaseStatus, Judgement};
use quick_junit::{
    FlakyOrRerun, NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestRerun, TestSuite,
};
use std::borrow::Cow;
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
        let mut suite = TestSuite::new(xml_safe(&format!("{} @ {}", first.suite, first.target)));
        let file = first.file.display().to_string();
        suite.add_property(Property::new("flow", xml_safe(&first.flow)));
        suite.add_property(Property::new("target", xml_safe(&first.target)));
        suite.add_property(Property::new("file", xml_safe(&file)));
        // The Surefire schema allows `file` on test suites (not on test cases).
        suite.extra.insert("file".into(), xml_safe(&file).into());
        // A suite's time is the sum of its cases' times, as JUnit consumers expect (cases run
        // side by side, so it may exceed the run's); every suite starts with the run.
        suite.set_time(cases.iter().fold(Duration::ZERO, |sum, outcome| {
            sum.saturating_add(outcome.duration)
        }));
        suite.set_timestamp(chrono::DateTime::<chrono::Utc>::from(started));
        suite.add_test_cases(cases.iter().map(|outcome| test_case(outcome)));
        report.add_test_suite(suite);
    }
    report
}

/// The report of a run that never started because its suites have problems: one `<error>`
/// each (type `suite error`, named by its `file:line:col`), so that a CI job that publishes
/// the report shows them, rather than the last run's report left at its path.
pub fn suite_problems(problems: &[crate::diagnostic::Diagnostic]) -> Report {
    // Two problems at one place (a data template's line, failing for two rows) stay two
    // cases: CI systems merge test cases that share a name.
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    not_run(
        "suite problems (nothing was run)",
        problems.iter().map(|problem| {
            let location = problem.location();
            let count = seen.entry(location.clone()).or_default();
            *count += 1;
            let name = match *count {
                1 => location,
                n => format!("{location} ({n})"),
            };
            let mut case = not_run_case(
                &name,
                "suite error",
                &problem.message,
                &plain(&problem.to_string()),
            );
            case.set_classname(xml_safe(&problem.file.display().to_string()));
            case
        }),
    )
}

/// A command refused before it did anything, named for its JUnit report.
#[derive(Debug, Clone, Copy)]
pub enum RefusedCommand {
    /// `run`: no case matches the selection, no key for a flow, a server that would not start.
    Run,
    /// `merge`: a report missing or unreadable, shards of different plans.
    Merge,
}

/// The report of a command refused before it did anything: one `<error>` saying why, for the
/// same reason as [`suite_problems`].
pub fn refused(command: RefusedCommand, refusal: &crate::exit::Refusal) -> Report {
    let kind = match refusal.code {
        crate::exit::USAGE => "usage error",
        _ => "infrastructure error",
    };
    let (name, suite) = match command {
        RefusedCommand::Run => ("flowcheck run", "run refused (nothing was sent)"),
        RefusedCommand::Merge => ("flowcheck merge", "merge refused (nothing was merged)"),
    };
    let case = not_run_case(name, kind, &refusal.message, &refusal.message);
    not_run(suite, std::iter::once(case))
}

/// What stands at a run's `--junit` path in place of an earlier report while the run goes on:
/// a run cut short before it writes its own (killed, interrupted twice, a CI job cancelled)
/// leaves this, not the last run's results, for a job that publishes the report whatever
/// became of the run.
pub fn unfinished() -> Report {
    let message = "this run started and did not finish (killed, interrupted twice, or its job cancelled): its results were not written";
    let case = not_run_case("flowcheck run", "unfinished", message, message);
    not_run("run did not finish", std::iter::once(case))
}

/// A report of one suite, `name`, of errors that kept a run from starting.
fn not_run(name: &str, cases: impl Iterator<Item = TestCase>) -> Report {
    let mut report = Report::new("flowcheck");
    report.set_timestamp(chrono::DateTime::<chrono::Utc>::from(SystemTime::now()));
    let mut suite = TestSuite::new(name);
    suite.add_test_cases(cases);
    report.add_test_suite(suite);
    report
}

fn not_run_case(name: &str, kind: &str, message: &str, description: &str) -> TestCase {
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
    status.set_type(kind);
    status.set_message(xml_safe(message));
    status.set_description(xml_safe(description));
    TestCase::new(xml_safe(name), status)
}

/// Whether `path` holds a JUnit report (one flowcheck or another tool wrote), to replace when
/// what the command reads is not known. A regular file only: opening a fifo to look would wait
/// for a writer.
pub fn is_earlier_report(path: &Path) -> bool {
    if !std::fs::metadata(path).is_ok_and(|meta| meta.is_file()) {
        return false;
    }
    let mut head = [0u8; 4096];
    let read =
        std::fs::File::open(path).and_then(|mut file| std::io::Read::read(&mut file, &mut head));
    read.is_ok_and(|read| is_junit(&String::from_utf8_lossy(&head[..read])))
}

/// Whether `head`, the start of a file, is a JUnit report's: after the XML declaration,
/// comments and white space, the root element is `<testsuites>` or `<testsuite>`. (A suite
/// or a note that merely mentions `<testsuites>` is not.)
fn is_junit(head: &str) -> bool {
    let mut rest = head.trim_start_matches('\u{feff}').trim_start();
    loop {
        let (open, close) = match rest {
            r if r.starts_with("<?") => ("<?", "?>"),
            r if r.starts_with("<!--") => ("<!--", "-->"),
            _ => break,
        };
        rest = rest[open.len()..]
            .split_once(close)
            .map_or("", |(_, after)| after)
            .trim_start();
    }
    ["<testsuites", "<testsuite"].iter().any(|root| {
        rest.strip_prefix(root).is_some_and(|after| {
            after.starts_with(|c: char| c == '>' || c == '/' || c.is_whitespace())
        })
    })
}

fn test_case(outcome: &CaseOutcome) -> TestCase {
    let failing: Vec<&Attempt> = outcome
        .attempts
        .iter()
        .filter(|a| a.result != Judgement::Passed)
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
                status.set_message(xml_safe(&headline(first)));
                status.set_type(if kind == NonSuccessKind::Failure {
                    "assertion"
                } else {
                    "error"
                });
            }
            status.set_description(xml_safe(&plain(&case_details(outcome))));
            status.set_rerun_kind(FlakyOrRerun::Rerun);
            status.add_reruns(failing.iter().skip(1).map(|a| rerun(a)));
            status
        }
        // The call was made (and may have cost) but no verdict came: an error, with the
        // attempts that did finish as reruns, never `<skipped>` like a case not started.
        CaseStatus::Interrupted => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_type("interrupted");
            status.set_message(xml_safe(outcome.reason.as_deref().unwrap_or("interrupted")));
            status.set_description(xml_safe(&plain(&case_details(outcome))));
            status.set_rerun_kind(FlakyOrRerun::Rerun);
            status.add_reruns(failing.iter().map(|a| rerun(a)));
            status
        }
        CaseStatus::NotRun => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(xml_safe(outcome.reason.as_deref().unwrap_or("not run")));
            status
        }
    };
    let mut case = TestCase::new(xml_safe(&outcome.case), status);
    case.set_classname(xml_safe(&format!("{}.{}", outcome.suite, outcome.target)));
    case.set_time(outcome.duration);
    case.set_system_out(xml_safe(&system_out(outcome)));
    case
}

fn rerun(attempt: &Attempt) -> TestRerun {
    let kind = match attempt.result {
        Judgement::Errored(_) => NonSuccessKind::Error,
        _ => NonSuccessKind::Failure,
    };
    let mut rerun = TestRerun::new(kind);
    rerun.set_type(if kind == NonSuccessKind::Failure {
        "assertion"
    } else {
        "error"
    });
    rerun.set_message(xml_safe(&headline(attempt)));
    rerun.set_description(xml_safe(&plain(&attempt_details(attempt))));
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
                Judgement::Passed => "passed",
                Judgement::Failed => "failed",
                Judgement::Errored(_) => "errored",
            },
            attempt.observation.latency.as_millis(),
            attempt.retries
        ));
    }
    lines.join("\n")
}

/// `text` with every character XML 1.0 forbids (C0 controls but tab, line feed and carriage
/// return; U+FFFE and U+FFFF) written as its JSON escape, `\u0001` or `\ufffe`: visible, and
/// a string value shown in JSON (a found output) stays the same JSON. quick-junit would drop
/// the controls silently and let U+FFFE and U+FFFF through, which no XML reader accepts.
pub fn xml_safe(text: &str) -> Cow<'_, str> {
    let forbidden = |c: char| matches!(c, '\0'..='\x08' | '\x0b' | '\x0c' | '\x0e'..='\x1f' | '\u{fffe}' | '\u{ffff}');
    if !text.contains(forbidden) {
        return Cow::Borrowed(text);
    }
    let mut safe = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if forbidden(c) {
            safe.push_str(&format!("\\u{:04x}", u32::from(c)));
        } else {
            safe.push(c);
        }
    }
    Cow::Owned(safe)
}

#[cfg(test)]
mod tests {
    use super::{is_earlier_report, is_junit, xml_safe};

    #[test]
    fn only_a_file_whose_root_is_a_test_suite_is_an_earlier_report() {
        for junit in [
            "<testsuites/>",
            "<?xml version=\"1.0\"?>\n<!-- by a tool -->\n<testsuites name=\"x\">",
            "\u{feff}  <testsuite name=\"x\">",
        ] {
            assert!(is_junit(junit), "{junit}");
        }
        for other in [
            "# <testsuites>\nsuite: bad",
            "<!-- <testsuites --> precious",
            "root is `<testsuites>`.",
            "<testsuitesx/>",
            "<?xml version=\"1.0\"",
            "",
        ] {
            assert!(!is_junit(other), "{other}");
        }
    }

    /// Written when what the command reads is not known: only over an earlier report.
    #[test]
    fn a_junit_file_is_an_earlier_report_and_a_suite_is_not() {
        let dir = match tempfile::tempdir() {
            Ok(dir) => dir,
            Err(err) => panic!("no temporary folder: {err}"),
        };
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            assert!(std::fs::write(&path, text).is_ok());
            path
        };
        let earlier = "<?xml version=\"1.0\"?>\n<testsuites name=\"flowcheck\"/>\n";
        assert!(is_earlier_report(&file("earlier.xml", earlier)));
        assert!(!is_earlier_report(&file(
            "suite.yaml",
            "suite: s\nflow: a/b/c\n"
        )));
        assert!(!is_earlier_report(&file("empty.xml", "")));
        assert!(!is_earlier_report(&dir.path().join("new.xml")));
    }

    #[test]
    fn characters_xml_forbids_are_escaped_and_others_kept() {
        assert_eq!(xml_safe("a\tb\nc\rd é ✓"), "a\tb\nc\rd é ✓");
        assert_eq!(
            xml_safe("\u{fffe}\u{ffff}\0\x1b[31m"),
            "\\ufffe\\uffff\\u0000\\u001b[31m"
        );
    }
}
