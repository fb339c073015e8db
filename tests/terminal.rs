//! What the terminal shows of a flow's output that holds characters a terminal acts on (escape
//! sequences, carriage returns, marks that reorder text) or that look alike: the real binary
//! against the embedded simulator, whose echo flow returns the message as it was sent.

mod common;

/// Run `suite` (its text) from a fresh folder against the embedded simulator, with colours
/// forced as in a CI log that shows them.
fn run_suite(
    suite: &str,
    extra: &[&str],
    env: &[(&str, &str)],
) -> (common::Run, tempfile::TempDir) {
    let dir = common::tempdir();
    std::fs::write(dir.path().join("s.yaml"), suite).expect("the suite is written");
    let mut command = common::flowcheck();
    command
        .current_dir(dir.path())
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .args(["run", "s.yaml", "--embedded"])
        .args(extra);
    for (name, value) in env {
        command.env(name, value);
    }
    let run = common::Run::from(command.output().expect("the flowcheck binary runs"));
    (run, dir)
}

fn echo_case(name: &str, message: &str, expected: &str) -> String {
    // JSON strings are YAML's double-quoted strings.
    let (message, expected) = (json(message), json(expected));
    format!(
        "  - name: {name}\n    message: {message}\n    expect:\n      output:\n        - {{path: $.echo, equals: {expected}}}\n"
    )
}

fn json(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

/// Escape sequences, carriage returns and marks that reorder text, in an output that a diff
/// shows line by line or word by word, are written escaped as the `found:` line writes them,
/// on a colour terminal and in the JUnit report alike: a flow's output cannot restyle the
/// terminal, set its title, write over a line or reverse one.
#[test]
fn a_diff_shows_control_and_reordering_characters_escaped() {
    let suite = format!(
        "suite: esc\nflow: demo/bench/echo\ncases:\n{}{}{}",
        echo_case(
            "lines",
            "first\nsecond \u{1b}]0;PWNED\u{7}\u{1b}[31m red\nthird \u{202e} evil\nok\rFAKE",
            "first\nsecond\nthird\nok"
        ),
        echo_case(
            "words",
            "the quick brown fox \u{1b}[2J jumps over the lazy dog \u{202e} and keeps on running",
            "the quick brown fox jumps over the lazy dog and keeps on running"
        ),
        "  - name: json\n    message: \"x\"\n    expect:\n      output:\n        - equals: {echo: \"a\\u202e long enough text to be given a word diff of its own here\"}\n",
    );
    let (run, dir) = run_suite(&suite, &["--junit", "j.xml"], &[]);
    assert_eq!(run.code, 1, "{}", run.all());
    let diffs: String = run
        .stdout
        .split("diff (")
        .skip(1)
        .collect::<Vec<_>>()
        .join("\n");
    // The only escape sequences left are the styles flowcheck writes (`ESC [ digits m`).
    let styles = regex_lite_styles(&diffs);
    assert!(
        !styles.contains(['\u{1b}', '\u{7}', '\r', '\u{202e}']),
        "a raw control or reordering character in the diffs:\n{diffs:?}"
    );
    for shown in [
        "second \\u001b]0;PWNED\\u0007\\u001b[31m red",
        "third \\u202e evil",
        "ok\\u000d",
        "fox {+\\u001b[2J+} jumps",
        "dog {+\\u202e+} and",
    ] {
        assert!(
            anstream::adapter::strip_str(&run.stdout)
                .to_string()
                .contains(shown),
            "{shown:?} not in:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains('\u{202e}'), "{}", run.stdout);
    let junit = common::read(&dir.path().join("j.xml"));
    assert!(
        junit.contains("second \\u001b]0;PWNED\\u0007\\u001b[31m red")
            && !junit.contains('\u{202e}'),
        "the JUnit report drops or hides what the output holds:\n{junit}"
    );
}

/// The styles flowcheck itself writes removed, so that what remains is what the output put
/// there.
fn regex_lite_styles(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 2..];
        let digits = tail
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(tail.len());
        if tail[digits..].starts_with('m') {
            rest = &tail[digits + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// Two lines that differ only in what cannot be seen (a line end, a trailing space) are
/// shown quoted, as JSON writes them, so that the diff says where they differ.
#[test]
fn lines_that_differ_only_invisibly_are_shown_quoted() {
    let suite = format!(
        "suite: ends\nflow: demo/bench/echo\ncases:\n{}",
        echo_case(
            "ends",
            "line one \nline two\r\nline three\nline four",
            "line one\nline two\nline three\nline four\n"
        ),
    );
    let (run, _dir) = run_suite(&suite, &[], &[("NO_COLOR", "1")]);
    assert_eq!(run.code, 1, "{}", run.all());
    for shown in [
        "- \"line one\\n\"",
        "+ \"line one \\n\"",
        "- \"line two\\n\"",
        "+ \"line two\\r\\n\"",
        "- \"line four\\n\"",
        "+ \"line four\"",
        "  line three",
    ] {
        assert!(
            run.stdout.contains(shown),
            "{shown:?} not in:\n{}",
            run.stdout
        );
    }
}

/// The first line counts the suites the selection runs cases of, as `--list` counts them, not
/// every suite loaded.
#[test]
fn the_first_line_counts_the_suites_the_selection_runs() {
    let listed = common::run(&["run", "suites", "--filter", "refund requests*", "--list"]);
    assert!(
        listed
            .stdout
            .contains("2 cases (2 attempts) from 1 suite would run"),
        "{}",
        listed.all()
    );
    let ran = common::run(&[
        "run",
        "suites",
        "--filter",
        "refund requests*",
        "--embedded",
    ]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(
        ran.stdout
            .starts_with("Running 2 cases (2 attempts) from 1 suite against"),
        "{}",
        ran.stdout
    );
}

/// A case line copied whole from the output (`suite › case @ target`) is not a name a filter
/// matches: the error says to leave the target out.
#[test]
fn a_filter_copied_with_its_target_says_to_leave_it_out() {
    let listed = common::run(&[
        "run",
        "suites",
        "--filter",
        "support-triage › refund requests go to billing @ production",
        "--list",
    ]);
    listed.assert_refused("without the ` @ target` a run prints after them");
}

/// Texts too long to diff (over 20,000 bytes, as the similarity predicates refuse) get no
/// diff, saying so: a diff of two texts that differ throughout takes a time that grows with
/// the product of their lengths (a megabyte took a minute) and would print both whole.
#[test]
fn texts_too_long_to_diff_say_so() {
    let long = |word: &str| vec![word; 4000].join(" ");
    let suite = format!(
        "suite: long\nflow: demo/bench/echo\ncases:\n{}",
        echo_case("long", &long("alpha"), &long("omega"))
    );
    let (run, _dir) = run_suite(&suite, &[], &[("NO_COLOR", "1")]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout
            .contains("not shown: the texts are over 20,000 bytes"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.len() < 5_000, "{}", run.stdout.len());
}
