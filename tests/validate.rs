//! `flowcheck validate`: every class of suite error is refused with exit 2, at file:line:col,
//! with a hint where one fits; nothing is sent. The rendered messages are snapshots.

mod common;

use common::run;

fn invalid(name: &str) -> String {
    let path = format!("tests/fixtures/invalid/{name}.yaml");
    let result = run(&["validate", &path]);
    assert_eq!(
        result.code,
        2,
        "{name} should be refused with exit 2:\n{}",
        result.all()
    );
    assert!(
        result.stderr.contains(&format!("{path}:")),
        "{name}: no file:line:col in\n{}",
        result.stderr
    );
    result.stderr
}

macro_rules! invalid_suite_tests {
    ($($name:ident),* $(,)?) => {$(
        #[test]
        fn $name() {
            insta::assert_snapshot!(stringify!($name), invalid(stringify!($name)));
        }
    )*};
}

invalid_suite_tests!(
    unknown_key,
    wrong_type,
    repeat_too_large,
    bad_jsonpath,
    bad_regex,
    bad_duration,
    unknown_target,
    empty_targets,
    bad_slug,
    unknown_predicate,
    two_predicates,
    no_predicate,
    missing_field,
    unset_env,
    unclosed_env,
    steps_without_step_mode,
    duplicate_case,
    bad_names,
    yaml_syntax,
    tab_indent,
    error_and_status,
    error_with_output,
    bad_pass_if,
    bad_repeat,
    data_bad_row,
    data_missing_column,
    data_bad_value,
    matrix_repeated_error,
    data_outside,
    too_many_cases,
    duplicate_key,
    two_documents,
    huge_number,
    not_a_number,
    infinite_number,
    too_deep,
    data_list_value,
    matrix_wrong_type,
    matrix_control_characters,
    zero_weights,
    negative_length,
    shared_snapshot,
    error_key_refused,
    message_without_value,
    alias_bomb,
    recursive_alias,
    nested_checks,
    reader_errors_in_several_cases,
    expectations_that_cannot_pass,
    percent_share,
    empty_file,
    option_keys,
    reader_errors_around_quotes,
    too_deep_lists,
    null_key,
);

#[test]
fn the_example_suites_are_valid() {
    let result = run(&["validate", "suites"]);
    assert_eq!(result.code, 0, "{}", result.all());
    // Cases, and how many runs they make over their targets (what `run` counts).
    let counts =
        regex::Regex::new(r"^\d+ suites, (\d+) cases \((\d+) with their targets\): valid\n$")
            .expect("regex");
    let listed = run(&["run", "suites", "--list"]).stdout;
    let (cases, runs): (u64, u64) = counts
        .captures(&result.stdout)
        .and_then(|c| Some((c[1].parse().ok()?, c[2].parse().ok()?)))
        .unwrap_or_else(|| panic!("{}", result.stdout));
    assert!(cases < runs, "{}", result.stdout);
    assert!(listed.contains(&format!("\n{runs} cases (")), "{listed}");
}

#[test]
fn counts_are_singular_for_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("one.yaml");
    std::fs::write(
        &file,
        "suite: one\nflow: demo/support/triage\ncases:\n  - name: only\n    message: hi\n",
    )
    .expect("write the suite");
    let path = file.to_string_lossy().into_owned();
    assert_eq!(run(&["validate", &path]).stdout, "1 suite, 1 case: valid\n");
    let listed = run(&["run", &path, "--list"]).stdout;
    assert!(
        listed.ends_with("1 case (1 attempt) from 1 suite would run; nothing was sent\n"),
        "{listed}"
    );
}

#[test]
fn a_missing_path_is_a_usage_error() {
    run(&["validate", "no/such/suite.yaml"])
        .assert_refused("no/such/suite.yaml: no such file or folder");
}

/// The reader stops at a case's misspelt key; the cases after it are read again for theirs,
/// up to 20 errors, and the rest are said to be there rather than silently left out.
#[test]
fn past_twenty_errors_the_rest_are_said_to_be_there() {
    let dir = common::tempdir();
    let suite = dir.path().join("typos.yaml");
    let mut text = String::from("suite: typos\nflow: demo/bench/echo\ncases:\n");
    for i in 0..25 {
        text.push_str(&format!("  - name: c{i}\n    mesage: hi\n"));
    }
    std::fs::write(&suite, text).expect("the suite is written");
    let result = run(&["validate", suite.to_str().unwrap_or_default()]);
    assert_eq!(result.code, 2, "{}", result.all());
    let said = |text: &str| result.stderr.matches(text).count();
    assert_eq!(said("unknown field `mesage`"), 20, "{}", result.stderr);
    assert_eq!(said("typos.yaml:43:5:"), 1, "{}", result.stderr);
    assert_eq!(said("typos.yaml:45:5:"), 0, "{}", result.stderr);
    assert!(
        result.stderr.contains(
            "typos.yaml: more errors after line 43 are not shown (the first 20 are): fix these and validate again"
        ),
        "{}",
        result.stderr
    );
}

/// The cases read whole after the reader's last stop are checked too: a bad regex after a
/// misspelt key comes in the same run.
#[test]
fn the_cases_after_the_last_stop_are_checked_too() {
    let dir = common::tempdir();
    let suite = dir.path().join("after.yaml");
    std::fs::write(
        &suite,
        "suite: after\nflow: demo/support/triage\ncases:\n  - name: a\n    mesage: x\n  - name: e\n    message: hi\n    expect:\n      output:\n        - {path: $.a, matches: \"(\"}\n",
    )
    .expect("the suite is written");
    let result = run(&["validate", suite.to_str().unwrap_or_default()]);
    assert_eq!(result.code, 2, "{}", result.all());
    for said in [
        "after.yaml:5:5: unknown field `mesage`",
        "after.yaml:10:32: matches: invalid regular expression",
    ] {
        assert!(result.stderr.contains(said), "{said}\n{}", result.stderr);
    }
}

#[test]
fn a_folder_without_suites_is_a_usage_error() {
    let empty = tempfile::tempdir().expect("temp dir");
    std::fs::write(empty.path().join("notes.txt"), "not a suite").expect("write");
    let folder = empty.path().to_string_lossy().into_owned();
    for command in ["validate", "run"] {
        run(&[command, &folder]).assert_refused("no suite files (*.yaml, *.yml) in this folder");
    }
}

#[test]
fn two_suites_with_one_name_are_refused_and_a_file_named_twice_is_read_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let suite = "suite: same\nflow: demo/support/triage\ncases:\n  - name: a\n    message: hi\n";
    std::fs::write(dir.path().join("a.yaml"), suite).expect("write");
    std::fs::write(dir.path().join("b.yaml"), suite).expect("write");
    let folder = dir.path().to_string_lossy().into_owned();
    let result = run(&["validate", &folder]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("b.yaml:1:8: suite \"same\" is also the name of")
            && result.stderr.contains("a.yaml"),
        "{}",
        result.stderr
    );

    let result = run(&[
        "validate",
        "suites",
        "suites/triage.yaml",
        "./suites/triage.yaml",
    ]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert_eq!(
        run(&["validate", "suites"]).stdout,
        result.stdout,
        "the same suites, counted once"
    );
}

#[test]
fn run_refuses_invalid_suites_before_sending_anything() {
    // No server is configured at all: the suite error must be found first, with exit 2.
    let result = run(&["run", "tests/fixtures/invalid/unknown_predicate.yaml"]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("did you mean \"equals\"?"),
        "{}",
        result.stderr
    );
    assert!(
        result.stderr.contains("nothing was sent"),
        "{}",
        result.stderr
    );
}

/// A fifo named as a suite, or as a `json_schema` file, hung `validate` and `run` for ever
/// (Ctrl-C did not help): a file that only a regular file can be is refused, without waiting,
/// saying what it is.
#[cfg(unix)]
#[test]
fn a_fifo_where_a_file_must_be_is_refused_without_waiting() {
    let dir = common::tempdir();
    let fifo = dir.path().join("suite.yaml");
    common::refused_fifo(&fifo);
    let result = run(&["validate", &fifo.to_string_lossy()]);
    result.assert_refused("suite.yaml: cannot read: not a regular file (a fifo)");

    common::refused_fifo(&dir.path().join("schema.json"));
    let suite = dir.path().join("schema.yaml");
    std::fs::write(
        &suite,
        "suite: schema\nflow: demo/support/triage\ncases:\n  - name: one\n    message: hi\n    expect:\n      output:\n        - json_schema: schema.json\n",
    )
    .expect("write");
    let result = run(&["validate", &suite.to_string_lossy()]);
    result.assert_refused("schema.json: not a regular file (a fifo)");
}

/// A fifo in a suite folder used to hang `validate` and `run` with no output, and `/dev/zero`
/// was read until memory ran out; a suite that is not UTF-8 had no location.
#[cfg(unix)]
#[test]
fn only_regular_files_are_read_and_only_so_much() {
    let dir = common::tempdir();
    let suite = "suite: one\nflow: demo/support/triage\ncases:\n  - name: one\n    message: hi\n";
    std::fs::write(dir.path().join("a.yaml"), suite).expect("write");
    let fifo = dir.path().join("b.yaml");
    common::mkfifo(&fifo);
    // Should the fifo be opened after all, this writer ends the read (an empty suite, refused)
    // rather than leave the test waiting.
    std::thread::spawn(move || drop(std::fs::OpenOptions::new().write(true).open(fifo)));
    let result = run(&["validate", &dir.path().to_string_lossy()]);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(
        result.stdout.contains("1 suite, 1 case: valid"),
        "{}",
        result.all()
    );

    let rows = dir.path().join("rows");
    std::fs::create_dir(&rows).expect("a folder");
    common::mkfifo(&rows.join("rows.csv"));
    std::fs::write(
        rows.join("from-fifo.yml"),
        "suite: rows\nflow: demo/support/triage\ncases_from:\n  - file: rows.csv\n    case: {name: \"{{message}}\", message: \"{{message}}\"}\n",
    )
    .expect("write");
    let result = run(&["validate", &rows.to_string_lossy()]);
    result.assert_refused("rows.csv is not a regular file");

    // A device named as a suite is refused unread; a file is read up to the limit.
    let result = run(&["validate", "/dev/zero"]);
    result.assert_refused("/dev/zero: cannot read: not a regular file (a device)");
    let huge = dir.path().join("huge.yaml");
    std::fs::File::create(&huge)
        .and_then(|file| file.set_len(16 * 1024 * 1024 + 1))
        .expect("a sparse file");
    let result = run(&["validate", &huge.to_string_lossy()]);
    result
        .assert_refused("huge.yaml: the file is larger than 16777216 bytes, the limit of a suite");

    let latin1 = dir.path().join("latin1.yml");
    let mut bytes = b"suite: caf".to_vec();
    bytes.extend([0xe9, b'\n']);
    std::fs::write(&latin1, bytes).expect("write");
    let result = run(&["validate", &latin1.to_string_lossy()]);
    result.assert_refused("latin1.yml:1:11: a suite is UTF-8 text; this byte is not");
}
