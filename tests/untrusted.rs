//! Untrusted suites: a suite cannot make flowcheck read or write outside the project (the
//! suite's folder or the working directory), whatever paths, `..`, symlinks or case names it
//! uses, and nothing in a suite executes code.

mod common;
mod fault_server;

use common::tempdir;
use fault_server::FaultServer;
use std::path::{Path, PathBuf};

const KEY: &str = "nk_test_untruste_0123456789abcdef0123456789abcdef";

fn suite_with_schema(dir: &Path, schema: &str) -> PathBuf {
    let path = dir.join("suite.yaml");
    std::fs::write(
        &path,
        format!(
            "suite: s\nflow: faults/fc/ok\ncases:\n  - name: c\n    message: hi\n    expect:\n      output:\n        - json_schema: {schema}\n"
        ),
    )
    .expect("the suite is written");
    path
}

fn validate(path: &Path) -> common::Run {
    common::run(&["validate", path.to_str().unwrap_or_default()])
}

#[test]
fn schema_files_outside_the_project_are_refused() {
    let outside = tempdir();
    std::fs::write(outside.path().join("schema.json"), r#"{"type": "object"}"#).expect("written");
    let dir = tempdir();
    std::os::unix::fs::symlink(
        outside.path().join("schema.json"),
        dir.path().join("link.json"),
    )
    .expect("a symlink");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked-dir")).expect("a symlink");
    let escape = format!(
        "{}/schema.json",
        "../".repeat(dir.path().components().count())
            + outside
                .path()
                .to_str()
                .unwrap_or_default()
                .trim_start_matches('/')
    );
    for (schema, expected) in [
        ("/etc/passwd", "must be a path relative to the suite"),
        (
            "../../../../../../../../etc/passwd",
            "points outside the project",
        ),
        (escape.as_str(), "points outside the project"),
        ("link.json", "points outside the project"),
        ("linked-dir/schema.json", "points outside the project"),
    ] {
        let suite = suite_with_schema(dir.path(), &format!("{schema:?}"));
        let result = validate(&suite);
        assert_eq!(result.code, 2, "{schema}: {}", result.all());
        assert!(
            result.stderr.contains(expected) && result.stderr.contains("suite.yaml:8:"),
            "{schema}: {}",
            result.stderr
        );
    }
    // Inside the suite's folder is fine.
    std::fs::write(dir.path().join("mine.json"), r#"{"type": "object"}"#).expect("written");
    let result = validate(&suite_with_schema(dir.path(), "mine.json"));
    assert_eq!(result.code, 0, "{}", result.all());
}

#[test]
fn schema_refs_are_never_fetched() {
    let server = FaultServer::start();
    let dir = tempdir();
    for reference in [
        format!("{}/schema.json", server.url),
        "file:///etc/passwd".to_owned(),
    ] {
        let suite = suite_with_schema(dir.path(), &format!("{{$ref: {reference:?}}}"));
        let result = validate(&suite);
        assert_eq!(result.code, 2, "{reference}: {}", result.all());
        assert!(
            result.stderr.contains("json_schema: invalid schema"),
            "{reference}: {}",
            result.stderr
        );
    }
    assert!(server.events().is_empty(), "{:?}", server.events());
}

/// Every file below `root`, relative to it.
fn files_below(root: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                stack.push(path);
            } else if let Ok(relative) = path.strip_prefix(root) {
                found.push(relative.display().to_string());
            }
        }
    }
    found.sort();
    found
}

fn run_snapshots(server: &FaultServer, suite: &Path) -> common::Run {
    common::Run::from(
        common::flowcheck()
            .arg("run")
            .arg(suite)
            .env("NOUKAI_API_URL", &server.url)
            .env("NOUKAI_API_KEY", KEY)
            .output()
            .expect("flowcheck runs"),
    )
}

#[test]
fn case_names_cannot_move_snapshots_out_of_their_folder() {
    let server = FaultServer::start();
    let root = tempdir();
    let dir = root.path().join("project");
    std::fs::create_dir_all(&dir).expect("a folder");
    let suite = dir.join("suite.yaml");
    std::fs::write(
        &suite,
        "suite: s\nflow: faults/fc/ok\ncases:\n  - name: ../../../escape\n    message: hi\n    expect: {snapshot: true}\n  - name: /tmp/absolute\n    message: hi\n    expect: {snapshot: true}\n  - name: \"..\\\\..\\\\windows\"\n    message: hi\n    expect: {snapshot: true}\n",
    )
    .expect("written");
    let result = run_snapshots(&server, &suite);
    assert_eq!(result.code, 0, "{}", result.all());
    assert_eq!(
        files_below(root.path()),
        [
            "project/__snapshots__/suite/escape@production.snap",
            "project/__snapshots__/suite/tmp-absolute@production.snap",
            "project/__snapshots__/suite/windows@production.snap",
            "project/suite.yaml",
        ]
    );
}

#[test]
fn a_snapshot_folder_linked_outside_is_neither_read_nor_written() {
    let server = FaultServer::start();
    let outside = tempdir();
    let dir = tempdir();
    std::os::unix::fs::symlink(outside.path(), dir.path().join("__snapshots__"))
        .expect("a symlink");
    let suite = dir.path().join("suite.yaml");
    std::fs::write(
        &suite,
        "suite: s\nflow: faults/fc/ok\ncases:\n  - name: c\n    message: hi\n    expect: {snapshot: true}\n",
    )
    .expect("written");
    let result = run_snapshots(&server, &suite);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains("points outside the project"),
        "{}",
        result.stdout
    );
    assert!(
        files_below(outside.path()).is_empty(),
        "{:?}",
        files_below(outside.path())
    );
}

#[test]
fn nothing_in_a_suite_runs_a_command() {
    let server = FaultServer::start();
    let dir = tempdir();
    let marker = dir.path().join("marker");
    let m = marker.display();
    let suite = dir.path().join("suite.yaml");
    std::fs::write(
        &suite,
        format!(
            "suite: s\nflow: faults/fc/ok\ncases:\n  - name: c\n    message: \"$(touch {m}) `touch {m}` ; touch {m}\"\n    parameters: {{p: \"|touch {m}\"}}\n    expect:\n      output:\n        - {{path: $.ok, equals: true}}\n        - {{path: $.missing, not: true, matches: {{pattern: \"$(touch {m})\"}}}}\n"
        ),
    )
    .expect("written");
    let result = run_snapshots(&server, &suite);
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(!marker.exists(), "a suite ran a command");
}

/// YAML tags that other loaders turn into objects or calls create nothing here: the tag is
/// ignored and its value read as plain data, so a tagged text is that text (a name, a message
/// sent as written), and a tagged list or mapping where text belongs is a wrong value.
#[test]
fn yaml_tags_create_no_objects_and_run_nothing() {
    let server = FaultServer::start();
    let dir = tempdir();
    let marker = dir.path().join("marker");
    let m = marker.display();
    let suite = dir.path().join("suite.yaml");
    let report = dir.path().join("report.json");
    std::fs::write(
        &suite,
        format!(
            "suite: !!python/object/apply:os.system \"touch {m}\"\nflow: faults/fc/ok\ncases:\n  - name: !!python/object/new:subprocess.call \"touch {m}\"\n    message: !!python/object/apply:os.system \"touch {m}\"\n    parameters: {{p: !<tag:yaml.org,2002:python/object/apply:os.system> \"touch {m}\"}}\n    expect:\n      output:\n        - {{path: $.ok, equals: !!python/object/apply:os.system true}}\n"
        ),
    )
    .expect("written");
    let result = common::Run::from(
        common::flowcheck()
            .arg("run")
            .arg(&suite)
            .arg("--json")
            .arg(&report)
            .env("NOUKAI_API_URL", &server.url)
            .env("NOUKAI_API_KEY", KEY)
            .output()
            .expect("flowcheck runs"),
    );
    assert_eq!(result.code, 0, "{}", result.all());
    assert!(!marker.exists(), "a YAML tag ran a command");
    let touch = format!("touch {m}");
    let case = &common::read_json(&report)["cases"][0];
    assert_eq!(case["suite"], touch.as_str(), "{case}");
    assert_eq!(case["case"], touch.as_str(), "{case}");
    let request = &case["attempts"][0]["request"];
    assert_eq!(
        request,
        &serde_json::json!({"message": touch, "parameters": {"p": touch}}),
        "{case}"
    );
    assert_eq!(server.requests("ok"), 1);

    // A tagged list (or mapping) where text belongs is only a wrong value: refused at its
    // place, nothing sent and nothing run.
    std::fs::write(
        &suite,
        format!(
            "suite: !!python/object/apply:os.system [\"touch {m}\"]\nflow: faults/fc/ok\ncases:\n  - name: c\n    message: hi\n"
        ),
    )
    .expect("written");
    let result = validate(&suite);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("suite.yaml:1:40: expected text here"),
        "{}",
        result.stderr
    );
    assert!(!marker.exists(), "a YAML tag ran a command");
}

/// A data file's values are taken as they are: a row's `${NAME}` is text, never the
/// environment's variable (a dataset may come from anywhere, and its `${CI_SECRET}` would put
/// a secret in a request and a report), while the template's own `${NAME}` is filled once.
#[test]
fn data_values_never_read_the_environment() {
    let dir = tempdir();
    std::fs::create_dir_all(dir.path().join("data")).expect("data folder");
    std::fs::write(
        dir.path().join("data/rows.csv"),
        "message\nhello ${FLOWCHECK_TEST_DATA_SECRET}\nodd ${5} and $${X}\n",
    )
    .expect("data written");
    let suite = dir.path().join("rows.yaml");
    std::fs::write(
        &suite,
        "suite: rows\nflow: demo/bench/echo\ncases_from:\n  - file: data/rows.csv\n    case:\n      name: \"echo {{message}}\"\n      message: \"{{message}} from ${FLOWCHECK_TEST_DATA_HOST}\"\n      expect:\n        output:\n          - {path: $.echo, equals: \"{{message}} from ci.example.com\"}\n",
    )
    .expect("suite written");
    let json = dir.path().join("r.json");
    let result = common::Run::from(
        common::flowcheck()
            .args([
                "run",
                &suite.display().to_string(),
                "--embedded",
                "-v",
                "--json",
            ])
            .arg(&json)
            .env("FLOWCHECK_TEST_DATA_SECRET", "supersecretvalue")
            .env("FLOWCHECK_TEST_DATA_HOST", "ci.example.com")
            .output()
            .expect("runs"),
    );
    assert_eq!(result.code, 0, "{}", result.all());
    let report = common::read(&json);
    assert!(
        !report.contains("supersecretvalue") && !result.all().contains("supersecretvalue"),
        "{}",
        result.all()
    );
    assert!(
        report.contains("hello ${FLOWCHECK_TEST_DATA_SECRET} from ci.example.com"),
        "{report}"
    );
    assert!(
        report.contains("odd ${5} and $${X} from ci.example.com"),
        "{report}"
    );
}

/// A data value may hold characters a YAML document may not (DEL, the C1 controls, U+FFFE):
/// the case made from it is sent with them as they are (they broke the case's making).
#[test]
fn data_values_may_hold_characters_yaml_refuses() {
    let dir = tempdir();
    std::fs::write(
        dir.path().join("rows.jsonl"),
        "{\"message\": \"a\\u007fb\\u0080c\\u009fd\\ufffee\"}\n",
    )
    .expect("data written");
    let suite = dir.path().join("rows.yaml");
    std::fs::write(
        &suite,
        "suite: rows\nflow: demo/bench/echo\ncases_from:\n  - file: rows.jsonl\n    case:\n      name: odd characters\n      message: \"{{message}}\"\n      expect:\n        output:\n          - {path: $.echo, equals: \"{{message}}\"}\n",
    )
    .expect("suite written");
    let json = dir.path().join("r.json");
    let result = common::Run::from(
        common::flowcheck()
            .args(["run", &suite.display().to_string(), "--embedded", "--json"])
            .arg(&json)
            .output()
            .expect("runs"),
    );
    assert_eq!(result.code, 0, "{}", result.all());
    let report = common::read_json(&json);
    assert_eq!(
        report["cases"][0]["attempts"][0]["observation"]["reply"]["result"]["echo"],
        "a\u{7f}b\u{80}c\u{9f}d\u{fffe}e",
        "{report}"
    );
}
