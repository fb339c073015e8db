//! Data-driven cases end to end: data files as editors and exports write them (CRLF line
//! ends, a byte-order mark, column names with spaces), read by the real binary.

mod common;

use common::{Run, run, tempdir};
use std::path::Path;

/// A suite `suite.yaml` making one case per row of `data` (written as `file`), in `dir`.
fn data_suite(dir: &Path, file: &str, data: &[u8], case: &str) -> String {
    std::fs::write(dir.join(file), data).expect("the data file is written");
    let suite = dir.join("suite.yaml");
    std::fs::write(
        &suite,
        format!(
            "suite: data\nflow: demo/support/triage\ncases_from:\n  - file: {file}\n    case:\n{case}"
        ),
    )
    .expect("the suite is written");
    suite.display().to_string()
}

fn list(suite: &str) -> Run {
    run(&["run", suite, "--list"])
}

#[test]
fn csv_rows_are_named_by_their_line_whatever_the_line_ends() {
    let dir = tempdir();
    let case = "      name: routes\n      message: \"{{message}}\"\n";
    for (ends, data) in [
        ("LF", "message\nrefund\nhello\n"),
        ("CRLF", "message\r\nrefund\r\nhello\r\n"),
    ] {
        let suite = data_suite(dir.path(), "rows.csv", data.as_bytes(), case);
        let listed = list(&suite);
        assert_eq!(listed.code, 0, "{ends}:\n{}", listed.all());
        // The header is line 1: the rows are lines 2 and 3, as the README says.
        assert!(
            listed.stdout.contains("routes [row 2] @")
                && listed.stdout.contains("routes [row 3] @"),
            "{ends}: rows misnumbered:\n{}",
            listed.stdout
        );
    }
    // A malformed row is said at its own line.
    let suite = data_suite(
        dir.path(),
        "rows.csv",
        b"message\r\nrefund\r\nhello,extra\r\n",
        case,
    );
    let refused = run(&["validate", &suite]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("rows.csv:3: found record with 2 fields"),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_column_whose_name_has_spaces_is_filled_in() {
    let sim = common::Sim::start();
    let dir = tempdir();
    let suite = data_suite(
        dir.path(),
        "rows.csv",
        b"customer message,category\nI want a refund,billing\n",
        "      name: \"routes {{customer message}}\"\n      message: \"{{ customer message }}\"\n      expect:\n        output:\n          - {path: $.category, equals: \"{{category}}\"}\n",
    );
    let ran = sim.run(&[&suite]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    assert!(
        ran.stdout.contains("PASS") && ran.stdout.contains("routes I want a refund @"),
        "{}",
        ran.stdout
    );
    // A misspelt one is an error with a hint, not text sent as it is.
    let suite = data_suite(
        dir.path(),
        "rows.csv",
        b"customer message,category\nI want a refund,billing\n",
        "      name: routes\n      message: \"{{customer mesage}}\"\n",
    );
    let refused = run(&["validate", &suite]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains(
            "there is no `customer mesage` in the data (did you mean \"customer message\"?)"
        ),
        "{}",
        refused.stderr
    );
}

#[test]
fn a_data_file_with_a_byte_order_mark_reads_as_one_without() {
    let dir = tempdir();
    let case = "      name: \"routes {{message}}\"\n      message: \"{{message}}\"\n";
    for (file, data) in [
        ("rows.jsonl", "\u{feff}{\"message\": \"refund\"}\n"),
        ("rows.csv", "\u{feff}message\r\nrefund\r\n"),
        ("rows.yaml", "\u{feff}- {message: refund}\n"),
    ] {
        let suite = data_suite(dir.path(), file, data.as_bytes(), case);
        let listed = list(&suite);
        assert_eq!(listed.code, 0, "{file}:\n{}", listed.all());
        assert!(
            listed.stdout.contains("routes refund @"),
            "{file}:\n{}",
            listed.stdout
        );
    }
}

#[test]
fn an_empty_matrix_is_refused_not_a_case_named_with_empty_brackets() {
    let dir = tempdir();
    let suite = dir.path().join("suite.yaml");
    std::fs::write(
        &suite,
        "suite: m\nflow: demo/support/triage\ncases:\n  - name: one\n    matrix: {}\n    message: hi\n",
    )
    .expect("the suite is written");
    let refused = run(&["validate", &suite.display().to_string()]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("suite.yaml:5:13: `matrix` is empty: give it names with lists of values"),
        "{}",
        refused.stderr
    );
}

/// A data template's own matrix: a case per row and combination, its placeholders filled from
/// both at once (a row's text that looks like a placeholder stays text), named by what its
/// name does not say; sent to the simulator as filled.
#[test]
fn a_data_template_with_a_matrix_fills_the_rows_and_the_matrix_keys() {
    let dir = tempdir();
    let case = "      name: \"routes {{message}} by {{channel}}\"\n      message: \"{{message}}\"\n      parameters: {channel: \"{{channel}}\", tries: \"{{tries}}\"}\n      matrix:\n        channel: [email, chat]\n        tries: [1, 2]\n      expect:\n        output:\n          - {path: $.category, equals: \"{{category}}\"}\n";
    let suite = data_suite(
        dir.path(),
        "rows.csv",
        b"message,category\nI want a refund,billing\nit crashes on {{channel}},technical\n",
        case,
    );
    let listed = list(&suite);
    assert_eq!(listed.code, 0, "{}", listed.all());
    let names: Vec<&str> = listed
        .stdout
        .lines()
        .filter_map(|line| line.split_once(" @ ").map(|(name, _)| name))
        .collect();
    assert_eq!(
        names,
        [
            "data › routes I want a refund by email [tries=1]",
            "data › routes I want a refund by email [tries=2]",
            "data › routes I want a refund by chat [tries=1]",
            "data › routes I want a refund by chat [tries=2]",
            "data › routes it crashes on {{channel}} by email [tries=1]",
            "data › routes it crashes on {{channel}} by email [tries=2]",
            "data › routes it crashes on {{channel}} by chat [tries=1]",
            "data › routes it crashes on {{channel}} by chat [tries=2]",
        ]
    );
    let json = dir.path().join("report.json");
    let ran = run(&[
        "run",
        &suite,
        "--embedded",
        "--json",
        &json.display().to_string(),
    ]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    let report = common::read_json(&json);
    let case = report["cases"]
        .as_array()
        .and_then(|cases| {
            cases
                .iter()
                .find(|c| c["case"] == "routes it crashes on {{channel}} by chat [tries=2]")
        })
        .cloned()
        .unwrap_or_default();
    let request = &case["attempts"][0]["request"];
    assert_eq!(request["message"], "it crashes on {{channel}}", "{case}");
    // A whole placeholder takes the matrix's value itself: a number stays a number.
    assert_eq!(
        request["parameters"],
        serde_json::json!({"channel": "chat", "tries": 2}),
        "{case}"
    );

    // A name both a column and a matrix key would make one of them silently win: each such
    // name is said, at its key.
    let clash = data_suite(
        dir.path(),
        "rows.csv",
        b"message,channel,tier\nhi,email,gold\n",
        "      name: \"{{message}}\"\n      message: \"{{message}}\"\n      matrix:\n        channel: [chat]\n        tier: [gold, free]\n",
    );
    let refused = run(&["validate", &clash]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    for said in [
        "suite.yaml:9:9: `channel` is both a key of this matrix and a column of rows.csv: rename one",
        "suite.yaml:10:9: `tier` is both a key of this matrix and a column of rows.csv: rename one",
    ] {
        assert!(refused.stderr.contains(said), "{said}\n{}", refused.stderr);
    }
    assert_eq!(
        refused.stderr.matches("is both a key").count(),
        2,
        "{}",
        refused.stderr
    );
}

/// A filled value its field refuses is said at the field that holds its placeholder, as a
/// value of the wrong type is, not at the case.
#[test]
fn a_filled_value_a_field_refuses_is_said_at_the_field() {
    let dir = tempdir();
    let case = "      name: \"x {{message}}\"\n      message: \"{{message}}\"\n      timeout: \"{{t}}\"\n      attachments:\n        - url: \"{{url}}\"\n";
    let suite = data_suite(dir.path(), "rows.csv", b"message,t,url\nhi,abc,1\n", case);
    let refused = run(&["validate", &suite]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    for expected in [
        "suite.yaml:8:16: invalid duration \"abc\"",
        "suite.yaml:10:16: cannot tell this attachment's type from its URL",
    ] {
        assert!(
            refused.stderr.contains(expected),
            "{expected:?} in:\n{}",
            refused.stderr
        );
    }
}

/// A placeholder a written case's matrix does not have is said as the matrix's, once, for
/// every combination (it said "in the data", naming the first combination only).
#[test]
fn a_placeholder_the_matrix_lacks_is_said_once_for_every_combination() {
    let dir = tempdir();
    let suite = dir.path().join("suite.yaml");
    std::fs::write(
        &suite,
        "suite: m\nflow: demo/support/triage\ncases:\n  - name: \"m {{channel}}\"\n    matrix: {channel: [email, chat, phone], z: [1, 2]}\n    message: \"x {{chanel}}\"\n",
    )
    .expect("the suite is written");
    let refused = run(&["validate", &suite.display().to_string()]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains(
            "suite.yaml:6:17: there is no `chanel` in the matrix (did you mean \"channel\"?) (it has: channel, z) (in every combination of the matrix)"
        ),
        "{}",
        refused.stderr
    );
    assert_eq!(
        refused.stderr.matches("there is no").count(),
        1,
        "{}",
        refused.stderr
    );
}

/// A `{{placeholder}}` in a field that takes a number written in the suite (`repeat`) is a
/// type error that says why: a template fills text and free-form values only.
#[test]
fn a_placeholder_in_a_number_field_says_templates_do_not_fill_it() {
    let dir = tempdir();
    let case =
        "      name: \"x {{message}}\"\n      message: \"{{message}}\"\n      repeat: \"{{n}}\"\n";
    let suite = data_suite(dir.path(), "rows.csv", b"message,n\nhi,3\n", case);
    let refused = run(&["validate", &suite]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused
            .stderr
            .contains("suite.yaml:8:15: expected a whole number")
            && refused.stderr.contains(
                "help: a `{{placeholder}}` is filled only where text or any value is taken"
            ),
        "{}",
        refused.stderr
    );
}
