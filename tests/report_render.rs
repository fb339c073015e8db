//! The rendered reports for every kind of case outcome, from real suites judged against
//! observations: the terminal's failure details and the JUnit XML (validated against the XSD).

mod common;

use flowcheck::check::observation::{Observation, Reply};
use flowcheck::run::{Attempt, CaseKey, CaseOutcome, Judgement};
use flowcheck::suite::load::parse;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const SUITE: &str = r#"
suite: render
flow: demo/support/triage
targets: [production, v3]
cases:
  - name: routes refunds
    message: refund please
    expect:
      output:
        - {path: $.category, equals: billing}
        - {path: $.confidence, gte: 0.9}
        - equals: {category: billing, priority: normal}
  - name: refuses images
    message: look
    expect:
      error: {http: 400, code: MODEL_MIME_INCOMPATIBLE}
  - name: flaky tagline
    message: tagline
    repeat: 3
    pass_if: 2/3
    expect:
      output:
        - {path: $.text, contains: Zephyr}
  - name: interrupted one
    message: slow
"#;

fn ran(result: Value) -> Reply {
    Reply::Ran {
        status: "completed".into(),
        result,
        block_count: Some(3),
        execution_id: None,
    }
}

fn outcomes() -> Vec<CaseOutcome> {
    let suite = parse(Path::new("suites/render.yaml"), SUITE, &|_| None).expect("the suite parses");
    let attempt = |case: usize, reply: Reply| {
        let observation = Observation {
            reply,
            latency: Duration::from_millis(120),
            steps: vec![],
        };
        let (result, checks) = suite.cases[case]
            .expect
            .judge(&observation, &flowcheck::check::Grades::none());
        Attempt {
            result,
            request: serde_json::value::to_raw_value(&json!({"message": "x"})).expect("raw JSON"),
            observation,
            checks,
            retries: 0,
        }
    };
    let outcome = |case: usize, target: usize, attempts: Vec<Attempt>, pass_if: u32| {
        let c = &suite.cases[case];
        let status = CaseOutcome::status_of(&attempts, pass_if);
        CaseOutcome {
            key: CaseKey {
                suite: 0,
                case,
                target,
            },
            suite: suite.name.as_str().into(),
            file: suite.file.as_path().into(),
            line: c.line,
            case: c.name.clone(),
            flow: suite.flow.to_string().into(),
            target: c.targets[target].to_string(),
            mode: c.mode,
            tags: c.tags.clone(),
            status,
            reason: None,
            pass_if,
            duration: Duration::from_millis(150),
            attempts,
        }
    };
    let good = json!({"category": "billing", "priority": "normal", "confidence": 0.92});
    let regressed = json!({"category": "general", "priority": "normal", "confidence": 0.55});
    // Never started on production; cut while its call was in flight on v3.
    let mut interrupted = outcome(3, 0, vec![], 1);
    interrupted.status = flowcheck::run::CaseStatus::NotRun;
    interrupted.reason = Some("interrupted".into());
    let mut cut = outcome(3, 1, vec![], 1);
    cut.status = flowcheck::run::CaseStatus::Interrupted;
    cut.reason = Some(CUT.into());
    vec![
        outcome(0, 0, vec![attempt(0, ran(good.clone()))], 1),
        outcome(0, 1, vec![attempt(0, ran(regressed))], 1),
        outcome(
            1,
            0,
            vec![attempt(
                1,
                Reply::Refused {
                    http: 400,
                    code: Some("MODEL_MIME_INCOMPATIBLE".into()),
                    message: "no vision".into(),
                },
            )],
            1,
        ),
        outcome(
            1,
            1,
            vec![attempt(
                1,
                Reply::Broken {
                    message: "connection refused".into(),
                },
            )],
            1,
        ),
        outcome(
            2,
            0,
            vec![
                attempt(2, ran(json!({"text": "Zephyr: lighter than air"}))),
                attempt(2, ran(json!({"text": "Fly light"}))),
                attempt(2, ran(json!({"text": "Zephyr, always"}))),
            ],
            2,
        ),
        interrupted,
        cut,
    ]
}

const CUT: &str = "Ctrl-C (or SIGTERM) cut it while its call was in flight, after 2.004s (the server may have run it)";

#[test]
fn failure_details_show_expected_found_and_a_diff() {
    let outcomes = outcomes();
    let details: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.status.is_success() || o.status == flowcheck::run::CaseStatus::Flaky)
        .map(|o| {
            format!(
                "# {} [{}]\n{}",
                flowcheck::report::render::title(o),
                o.status.as_str(),
                flowcheck::report::style::plain(&flowcheck::report::render::case_details(o))
            )
        })
        .collect();
    insta::assert_snapshot!(details.join("\n"));
}

#[test]
fn junit_marks_failures_errors_flaky_and_skipped_and_validates() {
    let started = std::time::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let xml = flowcheck::report::junit::render(&outcomes(), started, Duration::from_secs(1))
        .expect("renders");
    assert!(
        xml.contains(r#"<testsuites name="flowcheck" tests="#)
            && xml.contains(r#"timestamp="2027-01-15T08:00:00"#),
        "the run's start is on the root element: {xml}"
    );
    // Each suite's time is the sum of its cases' (150 ms each), and it starts with the run.
    for (suite, time) in [("production", "0.600"), ("v3", "0.450")] {
        let start = format!(r#"<testsuite name="render @ {suite}""#);
        let line = xml.lines().find(|l| l.contains(&start)).unwrap_or_default();
        assert!(
            line.contains(&format!(r#" time="{time}""#))
                && line.contains(r#" timestamp="2027-01-15T08:00:00"#),
            "{line}"
        );
    }
    // A case cut while its call was in flight is an error, one never started skipped.
    assert!(
        xml.contains(&format!(r#"<error message="{CUT}" type="interrupted">"#))
            && xml.contains(r#"<skipped message="interrupted"/>"#),
        "{xml}"
    );
    // The terminal's summary counts what JUnit counts: tests, failures, errors, skipped.
    let mut totals = flowcheck::run::Totals::default();
    outcomes().iter().for_each(|o| totals.add(o.status));
    let root = xml.lines().nth(1).unwrap_or_default();
    assert!(
        root.contains(&format!(
            r#"tests="{}" skipped="{}" failures="{}" errors="{}""#,
            totals.total(),
            totals.not_run,
            totals.failed,
            totals.errored
        )),
        "{root}"
    );
    let summary = flowcheck::report::style::plain(&flowcheck::report::terminal::summary(
        &totals,
        Duration::from_secs(1),
    ));
    assert!(
        summary.ends_with(
            "7 cases: 1 passed, 1 flaky, 2 failed, 2 errored (1 interrupted), 1 not run"
        ),
        "{summary}"
    );
    let dir = common::tempdir();
    let path = dir.path().join("junit.xml");
    std::fs::write(&path, &xml).expect("written");
    common::assert_valid_junit(&path);
    let xml = regex::Regex::new(r#"time="[0-9.]+""#)
        .expect("regex")
        .replace_all(&xml, r#"time="T""#)
        .to_string();
    let xml = regex::Regex::new(r#"timestamp="[^"]+""#)
        .expect("regex")
        .replace_all(&xml, r#"timestamp="TS""#)
        .to_string();
    insta::assert_snapshot!(xml);
}

#[test]
fn github_annotations_mark_failures_as_errors_and_flaky_cases_as_warnings() {
    let annotations = flowcheck::report::ci::github_annotations(&outcomes());
    let levels: Vec<&str> = annotations
        .iter()
        .filter_map(|a| a.split(' ').next())
        .collect();
    assert_eq!(
        levels,
        ["::error", "::error", "::error", "::warning", "::error"],
        "{annotations:#?}"
    );
    assert!(annotations[3].starts_with("::warning file=suites/render.yaml,line=23,title=render › flaky tagline @ production (flaky)::"), "{}", annotations[3]);
    // A case cut in flight is an error at its line, saying what cut it; one never started
    // has no annotation.
    assert_eq!(
        annotations[4],
        format!(
            "::error file=suites/render.yaml,line=24,title=render › interrupted one @ v3 (interrupted)::{CUT}"
        )
    );
}

/// A case name or a flow output may hold characters XML 1.0 forbids (U+FFFE, U+FFFF, C0
/// controls): the JUnit report writes them as JSON escapes and stays well-formed.
#[test]
fn junit_escapes_characters_xml_forbids() {
    let dir = common::tempdir();
    let suite = dir.path().join("echo.yaml");
    std::fs::write(
        &suite,
        r#"suite: echo-xml
flow: demo/bench/echo
cases:
  - name: "odd \uFFFE name"
    message: "x\uFFFE\uFFFF\x01y"
    expect:
      output:
        - {path: $.echo, equals: plain}
"#,
    )
    .expect("the suite is written");
    let junit = dir.path().join("junit.xml");
    let result = common::run(&[
        "run",
        suite.to_str().unwrap_or_default(),
        "--embedded",
        "--junit",
        junit.to_str().unwrap_or_default(),
    ]);
    assert_eq!(result.code, 1, "{}", result.all());
    common::assert_valid_junit(&junit);
    let xml = common::read(&junit);
    assert!(xml.contains(r#"<testcase name="odd \ufffe name""#), "{xml}");
    assert!(
        xml.contains(r#"found:    &quot;x\ufffe\uffff\u0001y&quot;"#),
        "{xml}"
    );
    assert!(!xml.contains(['\u{fffe}', '\u{ffff}', '\u{1}']), "{xml}");
}

/// A server's message may hold a carriage return, escape sequences and characters that
/// reorder text: shown escaped, so it cannot write over the lines before it.
#[test]
fn an_error_message_cannot_move_the_cursor() {
    let attempt = Attempt {
        result: Judgement::Errored("HTTP 500: \u{1b}]0;PWNED\u{7} \r   PASS fake \u{202e}".into()),
        request: serde_json::value::to_raw_value(&json!({"message": "x"})).expect("raw JSON"),
        observation: Observation {
            reply: Reply::Broken {
                message: String::new(),
            },
            latency: Duration::from_millis(1),
            steps: vec![],
        },
        checks: vec![],
        retries: 0,
    };
    let shown = flowcheck::report::render::attempt_details(&attempt);
    assert!(
        shown.contains("HTTP 500: \\u001b]0;PWNED\\u0007 \\u000d   PASS fake \\u202e"),
        "{shown:?}"
    );
    assert!(
        !shown.contains('\r') && !shown.contains('\u{202e}'),
        "{shown:?}"
    );
    let headline = flowcheck::report::render::headline(&attempt);
    assert!(!headline.contains('\r'), "{headline:?}");
}
