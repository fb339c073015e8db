//! The small commands: `init` scaffolds a suite that validates and runs; `completions` and
//! `man` come from the clap definitions.

mod common;

use common::{Run, flowcheck, read, tempdir};

fn run_in(dir: &std::path::Path, args: &[&str]) -> Run {
    Run::from(
        flowcheck()
            .current_dir(dir)
            .args(args)
            .output()
            .expect("runs"),
    )
}

#[test]
fn init_scaffolds_a_suite_that_validates_and_runs() {
    let dir = tempdir();
    let made = run_in(dir.path(), &["init", "demo/support/triage"]);
    assert_eq!(made.code, 0, "{}", made.all());
    let suite = read(&dir.path().join("suites/triage.yaml"));
    assert!(
        suite.contains("flow: demo/support/triage")
            && suite.contains("$schema=../.flowcheck-schema.json\n"),
        "{suite}"
    );
    // The schema path leads from the suite's folder to the current one, however deep.
    for (folder, schema) in [
        ("a/b", "$schema=../../.flowcheck-schema.json\n"),
        (".", "$schema=.flowcheck-schema.json\n"),
    ] {
        let made = run_in(
            dir.path(),
            &["init", "demo/docs/summarize", "--dir", folder, "--force"],
        );
        assert_eq!(made.code, 0, "{}", made.all());
        let suite = read(&dir.path().join(folder).join("summarize.yaml"));
        assert!(suite.contains(schema), "{folder}: {suite}");
    }
    assert_eq!(run_in(dir.path(), &["validate"]).code, 0);
    let ran = run_in(dir.path(), &["run", "--embedded"]);
    assert_eq!(ran.code, 0, "{}", ran.all());

    let again = run_in(dir.path(), &["init", "demo/support/triage"]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("exists; pass --force"),
        "{}",
        again.stderr
    );
    assert_eq!(
        run_in(dir.path(), &["init", "demo/support/triage", "--force"]).code,
        0
    );
    let bad = run_in(dir.path(), &["init", "Demo/x"]);
    assert_eq!(bad.code, 2);
    assert!(
        bad.stderr.contains("must be org/project/flow"),
        "{}",
        bad.stderr
    );
    // A --dir that is a file is the user's mistake (2), not the machine's (3).
    let not_a_folder = run_in(
        dir.path(),
        &["init", "demo/support/triage", "--dir", "suites/triage.yaml"],
    );
    assert_eq!(not_a_folder.code, 2, "{}", not_a_folder.all());
    assert!(
        not_a_folder
            .stderr
            .contains("suites/triage.yaml is not a folder"),
        "{}",
        not_a_folder.stderr
    );
}

#[test]
fn completions_and_man_page_cover_the_commands() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let result = common::run(&["completions", shell]);
        assert_eq!(result.code, 0, "{shell}: {}", result.all());
        for command in ["run", "gate", "merge", "snapshots"] {
            assert!(
                result.stdout.contains(command),
                "{shell} completions lack {command}"
            );
        }
    }
    let man = common::run(&["man"]);
    assert_eq!(man.code, 0);
    assert!(
        man.stdout.contains(".TH flowcheck 1") && man.stdout.contains("compare"),
        "{}",
        man.stdout
    );
    // The pages the top page points to exist, with each command's own options.
    let run = common::run(&["man", "run"]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(
        run.stdout.contains(".TH flowcheck-run 1") && run.stdout.contains("embedded"),
        "{}",
        run.stdout
    );
    // A command's page names flowcheck and its version (not the command's name: `review
    // 0.1.0`), but offers no `-V`, which the command refuses.
    let version = format!("\"flowcheck {}\"", env!("CARGO_PKG_VERSION"));
    assert!(run.stdout.contains(&version), "{}", run.stdout);
    assert!(!run.stdout.contains("\\-V"), "{}", run.stdout);
    assert_eq!(common::run(&["run", "-V"]).code, 2);
    let review = common::run(&["man", "snapshots", "review"]);
    assert!(
        review
            .stdout
            .contains(&format!(".TH flowcheck-snapshots-review 1  {version}")),
        "{}",
        review.stdout
    );
    common::run(&["man", "run", "extra"])
        .assert_refused("`flowcheck run` has no commands (its page is `flowcheck man run`)");
    let unknown = common::run(&["man", "rnu"]);
    assert_eq!(unknown.code, 2);
    assert!(
        unknown.stderr.contains("its commands are: run, compare"),
        "{}",
        unknown.stderr
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // The folder is made, as `man --dir /usr/local/share/man/man1` in the README needs.
    let pages = dir.path().join("share/man/man1");
    let written = common::run(&["man", "--dir", &pages.display().to_string()]);
    assert_eq!(written.code, 0, "{}", written.all());
    for page in [
        "flowcheck.1",
        "flowcheck-run.1",
        "flowcheck-gate.1",
        "flowcheck-snapshots-accept.1",
    ] {
        let text = std::fs::read_to_string(pages.join(page)).unwrap_or_default();
        assert!(text.contains(".SH OPTIONS"), "{page}: {text}");
    }
}

#[test]
fn output_that_cannot_be_written_is_an_error_and_a_reader_that_left_is_not() {
    let commands: [&[&str]; 5] = [
        &["validate", "suites"],
        &["schema"],
        &["man"],
        &["completions", "bash"],
        &["completions", "zsh"],
    ];
    for args in commands {
        // A full disk: exit 3 and a message, not a panic.
        let full = std::fs::File::create("/dev/full").expect("/dev/full opens");
        let result = Run::from(flowcheck().args(args).stdout(full).output().expect("runs"));
        assert_eq!(result.code, 3, "{args:?}: {}", result.all());
        assert!(
            result.stderr.contains("cannot write the output")
                && !result.stderr.contains("panicked"),
            "{args:?}: {}",
            result.stderr
        );
        // `| head` that has read enough: the output just ends.
        let mut child = flowcheck()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        drop(child.stdout.take());
        let result = Run::from(child.wait_with_output().expect("ends"));
        assert_eq!(result.code, 0, "{args:?}: {}", result.all());
        assert!(result.stderr.is_empty(), "{args:?}: {}", result.stderr);
    }
}

#[test]
fn errors_that_cannot_be_written_do_not_crash() {
    // stderr on a full disk: the message is lost, the exit code is still the one for it.
    let full = std::fs::File::create("/dev/full").expect("/dev/full opens");
    let output = flowcheck()
        .args(["run", "no/such/suites"])
        .stderr(full)
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
}

/// `run`, `compare` and `gate` print as they go: an output that cannot be written is an error
/// (exit 3, said on stderr) once the reports are written in full, and a reader that left
/// (`| head`) ends the output quietly, with the exit code the run would have had.
#[test]
fn run_compare_and_gate_say_when_their_output_cannot_be_written() {
    let dir = tempdir();
    let json = dir.path().join("report.json");
    let json = json.to_str().unwrap_or_default();
    let commands: [&[&str]; 3] = [
        &[
            "run",
            "tests/fixtures/run/regressions.yaml",
            "--embedded",
            "--json",
            json,
        ],
        &[
            "compare",
            "--baseline",
            "v2",
            "--candidate",
            "v3",
            "suites/triage.yaml",
            "--embedded",
            "--json",
            json,
        ],
        &[
            "gate",
            "--baseline",
            "v2",
            "--candidate",
            "v3",
            "suites/triage.yaml",
            "--embedded",
            "--json",
            json,
        ],
    ];
    for (args, code) in commands.into_iter().zip([1, 0, 1]) {
        let _ = std::fs::remove_file(json);
        let full = std::fs::File::create("/dev/full").expect("/dev/full opens");
        let result = Run::from(flowcheck().args(args).stdout(full).output().expect("runs"));
        assert_eq!(result.code, 3, "{args:?}: {}", result.all());
        assert_eq!(
            result
                .stderr
                .matches("error: cannot write the output: ")
                .count(),
            1,
            "{args:?}: {}",
            result.stderr
        );
        let report = common::read_json(std::path::Path::new(json));
        assert!(
            report["cases"].is_array() || report["comparisons"].is_array(),
            "{args:?}: the report is written in full: {report}"
        );

        let mut child = flowcheck()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("runs");
        drop(child.stdout.take());
        let result = Run::from(child.wait_with_output().expect("ends"));
        assert_eq!(result.code, code, "{args:?}: {}", result.all());
        assert!(
            !result.stderr.contains("cannot write"),
            "{args:?}: {}",
            result.stderr
        );
    }
}

/// The files a command reads beside suites stop at a size: `/dev/zero` as a report, a policy,
/// a key file, a CA bundle or flow definitions is refused, not read until memory runs out.
#[test]
fn endless_inputs_are_refused_at_their_size() {
    let zero = "/dev/zero";
    if !std::path::Path::new(zero).exists() {
        return;
    }
    let gate = |extra: &[&str]| {
        let mut args = common::GATE_TRIAGE_V2.to_vec();
        args.extend_from_slice(extra);
        common::run(&args)
    };
    for (result, what) in [
        (gate(&["--policy", zero]), "is larger than 1048576 bytes"),
        (
            gate(&["--baseline-report", zero]),
            "is larger than 1073741824 bytes",
        ),
        (
            common::run(&["run", "suites/triage.yaml", "--embedded", "--flows", zero]),
            "is larger than 16777216 bytes",
        ),
        (
            common::run(&["merge", zero, "--json", "/dev/null"]),
            "is larger than",
        ),
    ] {
        assert_eq!(result.code, 2, "{}", result.all());
        assert!(result.stderr.contains(what), "{what}: {}", result.stderr);
    }
}

/// The help and man page say what `--deadline` does to the cases it cuts in flight: they are
/// interrupted (errors), not reported as not run like the cases never started.
#[test]
fn the_deadline_s_help_says_cases_cut_in_flight_are_interrupted() {
    for command in ["run", "compare", "gate"] {
        let help = common::run(&[command, "--help"]);
        assert_eq!(help.code, 0, "{}", help.all());
        let text = help.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("cases not started are reported as not run, and those cut while a call was in flight as interrupted (an error)"),
            "{command}: {text}"
        );
    }
    let page = common::run(&["man", "run"]);
    assert!(
        page.stdout.contains("as interrupted (an error)"),
        "{}",
        page.stdout
    );
}
