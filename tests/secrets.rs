//! Secrets: the key comes only from the environment or a file, is never shown (not even when
//! a server echoes it back), signed-URL query strings are cut from every output, and TLS takes
//! extra roots from `--ca-bundle` (a bad bundle is a usage error).

mod common;
mod fault_server;

use common::{assert_valid_junit, read, tempdir};
use fault_server::FaultServer;
use std::path::Path;

const KEY: &str = "nk_test_echoecho_5ecre75ecre75ecre75ecre75ecre7ab";

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the file is written");
    path.display().to_string()
}

/// A suite of one case on the fault server's healthy flow.
fn ok_suite(dir: &Path) -> String {
    write(
        dir,
        "ok.yaml",
        "suite: ok\nflow: faults/fc/ok\ncases:\n  - name: ok\n    message: hi\n",
    )
}

/// Run with `-v`, both reports and `--record`; returns every output, report and the recording
/// as (what, text).
fn run_everything(server: &FaultServer, suites: &[String]) -> (i32, Vec<(&'static str, String)>) {
    let dir = tempdir();
    let (junit, json) = (dir.path().join("junit.xml"), dir.path().join("report.json"));
    let recording = dir.path().join("rec");
    let result = common::Run::from(
        common::flowcheck()
            .arg("run")
            .args(suites)
            .arg("-v")
            .arg("--junit")
            .arg(&junit)
            .arg("--json")
            .arg(&json)
            .arg("--record")
            .arg(&recording)
            .env("NOUKAI_API_URL", &server.url)
            .env("NOUKAI_API_KEY", KEY)
            .output()
            .expect("flowcheck runs"),
    );
    assert_valid_junit(&junit);
    (
        result.code,
        vec![
            ("stdout", result.stdout.clone()),
            ("stderr", result.stderr.clone()),
            ("junit", read(&junit)),
            ("json", read(&json)),
            ("recording", read(&recording.join("recording.jsonl"))),
        ],
    )
}

/// No part of the key, in any case, in any of `outputs` (what, text).
fn assert_no_key(outputs: &[(&str, String)]) {
    for (what, text) in outputs {
        let found = text.to_lowercase().contains("5ecre7");
        assert!(!found, "part of the key appears in {what}:\n{text}");
    }
}

#[test]
fn a_server_echoing_the_key_does_not_make_it_appear_anywhere() {
    let server = FaultServer::start();
    let dir = tempdir();
    let mut suites = Vec::new();
    for (flow, mode) in [
        ("echo-authorization", "sync"),
        ("echo-authorization-result", "sync"),
        ("echo-authorization-sse", "step"),
        // The same echoes with every character escaped as JSON: read decoded, they are the key.
        ("echo-authorization-escaped", "sync"),
        ("echo-authorization-result-escaped", "sync"),
        ("echo-authorization-sse-escaped", "step"),
        ("echo-authorization-encoding", "sync"),
    ] {
        suites.push(write(
            dir.path(),
            &format!("{flow}.yaml"),
            &format!(
                "suite: {flow}\nflow: faults/fc/{flow}\nmode: {mode}\ncases:\n  - name: echoes\n    message: hi\n    expect:\n      output: [{{path: $.seen, contains: Bearer}}]\n"
            ),
        ));
    }
    let (code, outputs) = run_everything(&server, &suites);
    assert_eq!(code, 1, "the error cases err, the others pass");
    assert!(
        server.authorizations().iter().any(|a| a.contains(KEY)),
        "the key was sent to the server"
    );
    assert_no_key(&outputs);
    let json = &outputs[3].1;
    assert!(json.contains("Bearer [redacted]"), "{json}");
}

/// A suite that holds the key itself, in checks (a test that a flow never says it, say): the
/// checks' words, their expected values and the request are shown without it.
#[test]
fn a_key_written_in_a_suite_s_checks_does_not_appear_anywhere() {
    let server = FaultServer::start();
    let dir = tempdir();
    let suite = write(
        dir.path(),
        "holds-key.yaml",
        &format!(
            "suite: holds-key\nflow: faults/fc/ok\ncases:\n  - name: never says it\n    message: \"{KEY}\"\n    expect:\n      output:\n        - {{path: $, not: {{contains: \"{KEY}\"}}}}\n        - {{path: $.ok, equals: \"{KEY}\"}}\n        - {{path: $.ok, one_of: [\"{KEY}\", \"{}\"]}}\n",
            KEY.to_uppercase()
        ),
    );
    let (code, outputs) = run_everything(&server, &[suite]);
    assert_eq!(code, 1, "the equals check fails: {outputs:?}");
    assert_no_key(&outputs);
    let stdout = &outputs[0].1;
    assert!(stdout.contains("$.ok equals \"[redacted]\""), "{stdout}");
}

/// A suite's problems quote its lines: one holding the key (in a check being written) is
/// shown without it, on the terminal and in the JUnit report of the problems.
#[test]
fn a_suite_problem_on_a_line_holding_the_key_does_not_show_it() {
    let dir = tempdir();
    let suite = write(
        dir.path(),
        "bad.yaml",
        &format!(
            "suite: bad\nflow: demo/support/triage\ncases:\n  - name: a\n    message: hi\n    expect:\n      output:\n        - {{path: $.reply, type: \"{KEY}\"}}\n        - {{path: $.reply, matches: \"{KEY}(\"}}\n"
        ),
    );
    let junit = dir.path().join("junit.xml");
    let junit_arg = junit.to_string_lossy().into_owned();
    let run_args = ["--embedded", "--junit", &junit_arg];
    for (command, extra) in [("validate", &[][..]), ("run", &run_args[..])] {
        let result = common::Run::from(
            common::flowcheck()
                .args([command, &suite])
                .args(extra)
                .env("NOUKAI_API_KEY", KEY)
                .output()
                .expect("flowcheck runs"),
        );
        assert_eq!(result.code, 2, "{}", result.all());
        assert!(result.stderr.contains("[redacted]"), "{}", result.stderr);
        assert!(!result.all().contains("5ecre7"), "{}", result.all());
    }
    let xml = read(&junit);
    assert!(
        xml.contains("[redacted]") && !xml.contains("5ecre7"),
        "{xml}"
    );
}

#[test]
fn signed_url_query_strings_are_cut_from_every_output() {
    let server = FaultServer::start();
    let dir = tempdir();
    let attachment = "      - url: https://s3.example.com/cat.png?X-Amz-Credential=CREDSECRET&X-Amz-Signature=SIGSECRET\n        mime_type: image/png\n      - url: https://cdn.example.com/dog.png?sig=SIGPARAM&token=TOKENPARAM\n      - url: https://bob:PASSWORDSECRET@cdn.example.com/owl.png\n      - url: https://host.example.com/x.png#sig=FRAGSIG999\n";
    let suites: Vec<String> = [
        "ok",
        "quote-signed-url",
        "quote-signed-url-encoded",
        "quote-signed-url-500",
        "quote-signed-url-mixed",
    ]
        .iter()
        .map(|flow| {
            write(
                dir.path(),
                &format!("{flow}.yaml"),
                &format!(
                    "suite: {flow}\nflow: faults/fc/{flow}\ncases:\n  - name: with attachments\n    message: hi\n    attachments:\n{attachment}"
                ),
            )
        })
        .collect();
    let (code, outputs) = run_everything(&server, &suites);
    assert_eq!(code, 1);
    for (what, text) in &outputs {
        for secret in [
            "CREDSECRET",
            "SIGSECRET",
            "SIGPARAM",
            "TOKENPARAM",
            "QUOTEDSIG",
            "QUOTEDTOKEN",
            "PASSWORDSECRET",
            "ENCODEDSIG",
            "USERINFOSIG",
            "FRAGSIG999",
            "SIG500QUERY",
            "SIG500FRAG",
            "SIG500ENCODED",
            "HEADERSIG",
            "RETRYSIG",
            "MIXEDSIG",
            "MIXEDCRED",
            "MIXEDFRAG",
            "LOWERSIG",
            "LITERALSIG",
            "LITERALFRAG",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} appears in {what}:\n{text}"
            );
        }
    }
    let json: serde_json::Value = serde_json::from_str(&outputs[3].1).expect("JSON");
    let request = &json["cases"][0]["attempts"][0]["request"]["attachments"];
    assert_eq!(
        request[0]["url"],
        "https://s3.example.com/cat.png?[redacted]"
    );
    assert_eq!(
        request[1]["url"],
        "https://cdn.example.com/dog.png?[redacted]"
    );
    assert_eq!(
        request[3]["url"],
        "https://host.example.com/x.png#[redacted]"
    );
    let recording = &outputs[4].1;
    for kept in [
        "could not fetch https://b.example.com/a.png?[redacted]#[redacted]",
        "https%3A%2F%2Fb.example.com%2Fa.png%3F[redacted]",
        "x.png#[redacted]",
        "cat.png%3F[redacted]#[redacted] (also",
        // A query runs to a space: the comma and the parenthesis go with it.
        "cat.png%3f[redacted] https%3A%2F%2Fbucket.s3.amazonaws.com%2Fcat.png?[redacted]#[redacted]",
    ] {
        assert!(recording.contains(kept), "{kept} is not in {recording}");
    }
    assert!(
        outputs[0]
            .1
            .contains("cannot fetch https://cdn.example.com/cat.png?[redacted]"),
        "{}",
        outputs[0].1
    );
}

/// A server whose JSON escapes `&` as `\u0026` (Go's encoder does), `=` as `\u003d`, `?` as
/// `\u003f` and `/` as `\/`: `-v` prints its bodies and events as written, an error quotes a
/// body that is not JSON as text, and a grader's error is shown too; no part of a query or
/// fragment shows anywhere.
#[test]
fn signed_urls_in_json_escaped_text_are_cut_from_every_output() {
    let server = FaultServer::start();
    let dir = tempdir();
    let attachment = "      - url: https://s3.example.com/a.png?X-Amz-Algorithm=AWS4&X-Amz-Signature=SENTSIG\n        mime_type: image/png\n";
    let mut suites: Vec<String> = [
        ("quote-signed-url-go", "sync"),
        ("quote-signed-url-go-cut", "sync"),
        ("quote-signed-url-go-sse", "step"),
        ("quote-signed-url-angle", "sync"),
        ("quote-signed-url-slashes", "sync"),
    ]
    .iter()
    .map(|(flow, mode)| {
        write(
            dir.path(),
            &format!("{flow}.yaml"),
            &format!(
                "suite: {flow}\nflow: faults/fc/{flow}\nmode: {mode}\ncases:\n  - name: quotes\n    message: hi\n    attachments:\n{attachment}"
            ),
        )
    })
    .collect();
    // The grader answers with the Go error: a grader's error is shown as the check's.
    suites.push(write(
        dir.path(),
        "graded.yaml",
        "suite: graded\nflow: faults/fc/ok\ncases:\n  - name: graded\n    message: hi\n    expect:\n      output:\n        - {path: $.ok, judge: {flow: faults/fc/quote-signed-url-go, rubric: polite}}\n",
    ));
    let (code, outputs) = run_everything(&server, &suites);
    assert_eq!(
        code, 1,
        "the refused case fails, the others err: {:?}",
        outputs[0]
    );
    for (what, text) in &outputs {
        for secret in [
            "SENTSIG",
            "GOSIG",
            "GOCRED",
            "GOMARK",
            "GOFRAG",
            "GOCUTSIG",
            "GOEVENTNAME",
            "GOSSE",
            "ANGLESIG",
            "ANGLEGOSIG",
            "SLASHSIG",
        ] {
            assert!(
                !text.contains(secret),
                "{secret} appears in {what}:\n{text}"
            );
        }
    }
    // A step's output is kept as returned in the reports, as a result is (the checks judge
    // it); `-v` and the recording lose its query.
    for (what, text) in [&outputs[1], &outputs[4]] {
        assert!(
            !text.contains("GOSTEP"),
            "GOSTEP appears in {what}:\n{text}"
        );
    }
    let (stdout, stderr) = (&outputs[0].1, &outputs[1].1);
    for shown in [
        // `-v`, as the server wrote it: the `\u003e` after the fragment may be its own, and
        // goes with it.
        r#"cannot fetch https://s3.example.com/a.png?[redacted] or \u003chttps:\/\/b.example.com\/a.png\u003f[redacted]#[redacted]"}}"#,
        r#"cannot fetch https://s3.example.com/a.png?[redacted] or https://s3.example.com/b.png?[redacted]"}}"#,
        "{\"note\":\"fetched https://s3.example.com/a.png?[redacted]\n",
        r#"{"url":"https://b.example.com/a.png?[redacted]"}"#,
        "event: note https://b.example.com/n?[redacted] data: {}",
    ] {
        assert!(stderr.contains(shown), "{shown} is not in {stderr}");
    }
    for shown in [
        // The error, read from the JSON.
        r#"cannot fetch https://s3.example.com/a.png?[redacted] or <https://b.example.com/a.png?[redacted]#[redacted]"}"#,
        r#"cannot fetch https://s3.example.com/a.png?[redacted] or https://s3.example.com/b.png?[redacted]"}"#,
        // The text that is not JSON, quoted.
        r#"fetched https://s3.example.com/a.png?[redacted]""#,
        r#"{\"result\":{\"note\":\"https://b.example.com/a.png?[redacted]\"}""#,
        r#"fetched https:\\/\\/x.example\\/a.png?[redacted] tail""#,
    ] {
        assert!(stdout.contains(shown), "{shown} is not in {stdout}");
    }
}

/// A flow's result is kept as returned in the reports (the checks judge it), but a recording
/// is a file to share: the URLs a result or an event stream quotes lose their queries and
/// fragments there, and the recording still replays.
#[test]
fn a_recording_cuts_signed_urls_from_results_and_event_streams() {
    let server = FaultServer::start();
    let dir = tempdir();
    let suites: Vec<String> = [
        ("quote-signed-url-result", "sync", "$.note", "fetched https"),
        ("quote-signed-url-sse", "step", "$.note", "b.example.com/a.png"),
    ]
    .iter()
    .map(|(flow, mode, path, text)| {
        write(
            dir.path(),
            &format!("{flow}.yaml"),
            &format!(
                "suite: {flow}\nflow: faults/fc/{flow}\nmode: {mode}\ncases:\n  - name: quotes\n    message: hi\n    expect:\n      output: [{{path: \"{path}\", contains: \"{text}\"}}]\n"
            ),
        )
    })
    .collect();
    let recording = dir.path().join("rec");
    let recording_arg = recording.display().to_string();
    let mut args = vec!["run"];
    args.extend(suites.iter().map(String::as_str));
    args.extend(["--record", &recording_arg]);
    let recorded = common::run_against(&server.url, KEY, &args);
    assert_eq!(recorded.code, 0, "{}", recorded.all());
    let text = read(&recording.join("recording.jsonl"));
    for secret in [
        "SIGRESULT",
        "SIGRESULTFRAG",
        "SIGKEY",
        "SIGEVENT",
        "SIGCOMMENT",
        "SIGSSE",
        "SIGSSEFRAG",
    ] {
        assert!(
            !text.contains(secret),
            "{secret} is in the recording:\n{text}"
        );
    }
    assert!(
        text.contains("fetched https://b.example.com/a.png?[redacted]"),
        "{text}"
    );

    let mut args = vec!["run"];
    args.extend(suites.iter().map(String::as_str));
    args.extend(["--replay", &recording_arg]);
    let replayed = common::run(&args);
    assert_eq!(replayed.code, 0, "{}", replayed.all());
}

#[test]
fn no_option_takes_the_key_as_a_value() {
    for command in ["run", "compare", "gate"] {
        let help = common::run(&[command, "--help"]);
        assert_eq!(help.code, 0);
        assert!(
            help.stdout.contains("--api-key-file <PATH>"),
            "{}",
            help.stdout
        );
        for line in help
            .stdout
            .lines()
            .filter(|l| l.trim_start().starts_with('-'))
        {
            // The option and its value name, without the description.
            let flag = line.trim_start().split("  ").next().unwrap_or_default();
            assert!(
                !flag.contains("key") || flag.starts_with("--api-key-file"),
                "`{command}` has an option that may take the key: {line}"
            );
        }
        let refused = common::run(&[command, "--api-key", KEY]);
        assert_eq!(refused.code, 2, "{}", refused.all());
        assert!(!refused.all().contains(KEY), "{}", refused.all());
    }
}

#[test]
fn the_key_from_a_file_is_used_and_never_shown() {
    let server = FaultServer::start();
    let dir = tempdir();
    let key_file = write(dir.path(), "key", &format!("{KEY}\n"));
    let suite = ok_suite(dir.path());
    let result = common::Run::from(
        common::flowcheck()
            .args(["run", &suite, "-v", "--api-key-file", &key_file])
            .env("NOUKAI_API_URL", &server.url)
            .output()
            .expect("runs"),
    );
    assert_eq!(result.code, 0, "{}", result.all());
    assert_eq!(server.authorizations(), [format!("Bearer {KEY}")]);
    assert!(!result.all().contains(KEY));
}

/// `--api-key-file <(pass show noukai)` is a pipe: files that only a regular file can be (a
/// suite, a schema, a snapshot) refuse a fifo, but the key file reads one.
#[cfg(unix)]
#[test]
fn the_key_file_may_be_a_pipe() {
    let server = FaultServer::start();
    let dir = tempdir();
    let fifo = dir.path().join("key");
    common::mkfifo(&fifo);
    let suite = ok_suite(dir.path());
    // A run reading `text` through the fifo, written by another thread as `pass` would.
    let run_with = |text: String| {
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, text))
        };
        let result = common::Run::from(
            common::flowcheck()
                .args(["run", &suite, "--api-key-file", &fifo.to_string_lossy()])
                .env("NOUKAI_API_URL", &server.url)
                .output()
                .expect("runs"),
        );
        assert!(writer.join().is_ok_and(|written| written.is_ok()));
        assert_eq!(result.code, 0, "{}", result.all());
    };
    run_with(format!("{KEY}\n"));
    assert_eq!(server.authorizations(), [format!("Bearer {KEY}")]);
    // Project keys through a pipe too.
    run_with(format!("# from pass\nfaults/fc {KEY}\n"));
    assert_eq!(
        server.authorizations(),
        [format!("Bearer {KEY}"), format!("Bearer {KEY}")]
    );
}

#[test]
fn a_suite_cannot_read_the_key_from_the_environment() {
    let dir = tempdir();
    let suite = write(
        dir.path(),
        "leak.yaml",
        "suite: leak\nflow: faults/fc/ok\ncases:\n  - name: leak\n    message: \"key: ${NOUKAI_API_KEY}\"\n  - name: project key\n    message: \"key: ${NOUKAI_API_KEY_FAULTS_FC}\"\n",
    );
    let result = common::Run::from(
        common::flowcheck()
            .args(["validate", &suite])
            .env("NOUKAI_API_KEY", KEY)
            .env("NOUKAI_API_KEY_FAULTS_FC", KEY)
            .output()
            .expect("runs"),
    );
    assert_eq!(result.code, 2, "{}", result.all());
    for expected in [
        "leak.yaml:5:",
        "an API key (NOUKAI_API_KEY) cannot be used in a suite",
        "leak.yaml:7:",
        "an API key (NOUKAI_API_KEY_FAULTS_FC) cannot be used in a suite",
    ] {
        assert!(
            result.stderr.contains(expected),
            "{expected}: {}",
            result.stderr
        );
    }
    assert!(!result.all().contains(KEY));
}

#[test]
fn a_ca_bundle_adds_roots_and_a_bad_one_is_a_usage_error() {
    let server = FaultServer::start();
    let dir = tempdir();
    let suite = ok_suite(dir.path());
    let run = |bundle: &str| {
        common::run_against(&server.url, KEY, &["run", &suite, "--ca-bundle", bundle])
    };
    let good = common::fixture("tls/extra-root.pem");
    let result = run(good.to_str().unwrap_or_default());
    assert_eq!(result.code, 0, "{}", result.all());

    let missing = dir.path().join("missing.pem");
    let result = run(missing.to_str().unwrap_or_default());
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("cannot read the CA bundle")
            && result.stderr.contains("missing.pem"),
        "{}",
        result.stderr
    );

    let empty = write(dir.path(), "empty.pem", "not a certificate\n");
    let result = run(&empty);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("holds no certificate"),
        "{}",
        result.stderr
    );

    let broken = write(
        dir.path(),
        "broken.pem",
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n",
    );
    let result = run(&broken);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(result.stderr.contains("CA bundle"), "{}", result.stderr);

    // Base64 that is no certificate: it used to pass for one, then fail the client's start
    // ("builder error", exit 3) without naming the file.
    let garbage = write(
        dir.path(),
        "garbage.pem",
        "-----BEGIN CERTIFICATE-----\nZZZZ\n-----END CERTIFICATE-----\n",
    );
    let result = run(&garbage);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("certificate 1 of the CA bundle")
            && result
                .stderr
                .contains("garbage.pem is not a valid certificate"),
        "{}",
        result.stderr
    );

    // With the built-in simulator no TLS is spoken, but a mistyped bundle is still said.
    let embedded = common::run(&[
        "run",
        &suite,
        "--embedded",
        "--ca-bundle",
        missing.to_str().unwrap_or_default(),
    ]);
    embedded.assert_refused("cannot read the CA bundle");
    assert_eq!(
        server.requests("ok"),
        1,
        "nothing is sent with a bad bundle"
    );
}

/// Two CI secrets swapped: the key where the server URL goes. The URL is named in every
/// line that says where the run went, so it is refused without being quoted; so is one that
/// is shaped like a key, where the key is the server's URL (the key is then not the run's).
#[test]
fn a_server_url_holding_the_key_is_refused_and_not_shown() {
    let dir = tempdir();
    let suite = ok_suite(dir.path());
    let key = "nk_test_swapped_5ecre75ecre75ecre7";
    let junit = dir.path().join("report.xml");
    let junit = junit.to_str().unwrap_or_default();
    let swapped = common::run_against(
        key,
        "http://127.0.0.1:9",
        &["run", &suite, "--junit", junit],
    );
    assert_eq!(swapped.code, 2, "{}", swapped.all());
    assert!(
        swapped.stderr.contains(
            "the server URL holds an API key (are NOUKAI_API_URL and NOUKAI_API_KEY swapped?)"
        ),
        "{}",
        swapped.all()
    );
    let report = common::read(std::path::Path::new(junit));
    assert!(report.contains("holds an API key"), "{report}");
    for shown in [swapped.all(), report] {
        assert!(!shown.to_lowercase().contains("5ecre7"), "{shown}");
    }
    // A key written as a URL, with a URL that is no key.
    let url_key = common::run_against(
        "http://127.0.0.1:9",
        "https://api.noukai.xyz",
        &["run", &suite],
    );
    url_key.assert_refused(
        "the API key is a URL (are NOUKAI_API_URL and NOUKAI_API_KEY swapped?); nothing was sent",
    );
    for url in [
        key.to_owned(),
        format!("https://{key}"),
        format!("https://{}", key.to_ascii_uppercase()),
    ] {
        let compare = [
            "compare",
            &suite,
            "--baseline",
            "production",
            "--candidate",
            "v1",
        ];
        for args in [&["run", &suite][..], &compare] {
            let result = common::run_against(&url, key, args);
            assert_eq!(result.code, 2, "{url}: {}", result.all());
            assert!(
                result.stderr.contains(
                    "the server URL holds an API key (are NOUKAI_API_URL and NOUKAI_API_KEY swapped?)"
                ),
                "{url}: {}",
                result.all()
            );
            assert!(
                !result.all().to_lowercase().contains("5ecre7"),
                "{}",
                result.all()
            );
        }
    }
}

/// A key longer than any key (a file read by mistake) is refused, unshown: its escaped forms
/// could not be searched for. A server URL holding a signed query is refused without quoting
/// the query.
#[test]
fn a_key_too_long_and_a_signed_server_url_are_refused_unshown() {
    let dir = tempdir();
    let suite = ok_suite(dir.path());
    let long_key = format!("nk_{}", "5ecre7".repeat(1000));
    let result = common::run_against("http://127.0.0.1:9", &long_key, &["run", &suite]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains(
            "the API key in NOUKAI_API_KEY is 6003 bytes long, and a key is at most 4096"
        ),
        "{}",
        result.all()
    );
    assert!(!result.all().contains("5ecre7"), "{}", result.all());
    let signed = "http://127.0.0.1:9/x?X-Amz-Signature=BASEQSECRET";
    let result = common::run_against(signed, KEY, &["run", &suite]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("has a ?query or #fragment"),
        "{}",
        result.all()
    );
    assert!(!result.all().contains("BASEQSECRET"), "{}", result.all());
}

#[test]
fn a_key_no_header_can_carry_is_a_usage_error_and_not_shown() {
    let server = FaultServer::start();
    let dir = tempdir();
    let suite = ok_suite(dir.path());
    for key in [
        "nk_test_bell\u{7}5ecre75ecre75ecre7",
        "nk_test_accent_5ecre75ecre75ecre7\u{e9}",
    ] {
        let result = common::run_against(&server.url, key, &["run", &suite]);
        assert_eq!(result.code, 2, "{}", result.all());
        assert!(
            result.stderr.contains(
                "the API key in NOUKAI_API_KEY cannot be sent: it holds a character that an HTTP header cannot carry"
            ),
            "{}",
            result.all()
        );
        assert!(!result.all().contains("5ecre75ecre7"), "{}", result.all());
    }
    assert_eq!(server.requests("ok"), 0, "nothing was sent");
}

/// The keys of the two projects of [`TwoProjects`]: each opens its project only.
const SHOP_KEY: &str = "nk_live_shopshopshop1";
const SUPPORT_KEY: &str = "nk_live_supportsupport2";

/// The simulator serving a flow in each of two projects, `acme/shop` and `acme/support`,
/// each opened by its key only ([`SHOP_KEY`], [`SUPPORT_KEY`]), and a suite for each.
struct TwoProjects {
    dir: tempfile::TempDir,
    sim: common::Sim,
    suites: [String; 2],
}

impl TwoProjects {
    fn start() -> TwoProjects {
        let dir = tempdir();
        let flows = dir.path().join("flows");
        std::fs::create_dir_all(&flows).expect("flows dir");
        for project in ["shop", "support"] {
            std::fs::write(
                flows.join(format!("{project}.yaml")),
                format!("org: acme\nproject: {project}\nflow: hello\nproduction: 1\nversions:\n  - version: 1\n    blocks:\n      - {{id: say, kind: template, text: \"hi from {project}\"}}\n"),
            )
            .expect("write flow");
            write(
                dir.path(),
                &format!("{project}.yaml"),
                &format!(
                    "suite: {project}\nflow: acme/{project}/hello\ncases:\n  - name: answers\n    message: hi\n    expect: {{output: [{{path: $.text, equals: \"hi from {project}\"}}]}}\n"
                ),
            );
        }
        let sim = common::Sim::start_with(&[
            "--flows",
            &flows.display().to_string(),
            "--api-key",
            "nk_admin_never_given_out",
            "--project-key",
            &format!("acme/shop={SHOP_KEY}"),
            "--project-key",
            &format!("acme/support={SUPPORT_KEY}"),
        ]);
        let suites = [
            dir.path().join("shop.yaml").display().to_string(),
            dir.path().join("support.yaml").display().to_string(),
        ];
        TwoProjects { dir, sim, suites }
    }

    /// `flowcheck run -v` of both suites with these variables (and no other key) and flags.
    fn run(&self, env: &[(&str, &str)], extra: &[&str]) -> common::Run {
        let mut command = common::flowcheck();
        command
            .args(["run", &self.suites[0], &self.suites[1], "-v"])
            .args(extra)
            .env("NOUKAI_API_URL", &self.sim.url);
        for (name, value) in env {
            command.env(name, value);
        }
        common::Run::from(command.output().expect("flowcheck runs"))
    }
}

/// Two projects, a key for each (Noukai scopes a key to its project): each flow is called
/// with its project's key, a project refusing a key says which variable to set, a project
/// with no key stops the run before any call, and no key appears anywhere.
#[test]
fn each_project_is_called_with_its_own_key() {
    let projects = TwoProjects::start();
    let (dir, sim) = (&projects.dir, &projects.sim);
    let (shop_key, support_key) = (SHOP_KEY, SUPPORT_KEY);
    let run = |env: &[(&str, &str)], extra: &[&str]| projects.run(env, extra);
    let junit = dir.path().join("junit.xml").display().to_string();
    let both = run(
        &[
            ("NOUKAI_API_KEY_ACME_SHOP", shop_key),
            ("NOUKAI_API_KEY_ACME_SUPPORT", support_key),
        ],
        &["--junit", &junit],
    );
    assert_eq!(both.code, 0, "{}", both.all());
    let report = std::fs::read_to_string(&junit).unwrap_or_default();
    for key in [shop_key, support_key] {
        assert!(
            !both.all().contains(key) && !report.contains(key),
            "{}",
            both.all()
        );
    }

    // The shop's key for everything: the support project refuses it, and says what to set.
    let one = run(&[("NOUKAI_API_KEY", shop_key)], &[]);
    assert_eq!(one.code, 1, "{}", one.all());
    assert!(
        one.stdout.contains("HTTP 403 FORBIDDEN: This API key has no access to project acme/support (the key from NOUKAI_API_KEY has no access to acme/support: a key opens one project; set NOUKAI_API_KEY_ACME_SUPPORT to this project's key)"),
        "{}",
        one.all()
    );
    assert!(!one.all().contains(shop_key), "{}", one.all());

    // A project without a key, and no default: nothing is sent.
    run(&[("NOUKAI_API_KEY_ACME_SHOP", shop_key)], &[]).assert_refused(
        "no API key for 1 project (acme/support): set NOUKAI_API_KEY for every project, or NOUKAI_API_KEY_ACME_SUPPORT",
    );
    // A judge's grader in a project without a key is found before any call, too.
    let judged = write(
        dir.path(),
        "judged.yaml",
        "suite: judged\nflow: acme/shop/hello\ncases:\n  - name: graded\n    message: hi\n    expect:\n      output:\n        - {path: $.text, judge: {flow: acme/eval/grader, rubric: polite}}\n",
    );
    let graded = common::Run::from(
        common::flowcheck()
            .args(["run", &judged])
            .env("NOUKAI_API_URL", &sim.url)
            .env("NOUKAI_API_KEY_ACME_SHOP", shop_key)
            .output()
            .expect("flowcheck runs"),
    );
    graded.assert_refused(
        "no API key for 1 project (acme/eval): set NOUKAI_API_KEY for every project, or NOUKAI_API_KEY_ACME_EVAL",
    );
    // Variables that name no project (CI exports such names) are no keys, and no obstacle.
    let stray = run(
        &[
            ("NOUKAI_API_KEY_FILE", "/nowhere"),
            ("NOUKAI_API_KEY_ACME", "x"),
            ("NOUKAI_API_KEY_ACME_SHOP", shop_key),
            ("NOUKAI_API_KEY_ACME_SUPPORT", support_key),
        ],
        &[],
    );
    assert_eq!(stray.code, 0, "{}", stray.all());
}

/// `--api-key-file` gives project keys too: lines of `org/project KEY`, and `* KEY` (or a key
/// alone) for the projects without their own. The file is the only source of the keys it
/// names; the environment serves the rest. Its mistakes name the file and line, never a key.
/// The simulator and a replay ask for no key, but a key file given with them is read all the
/// same: a mistyped path or a broken file is said, not passed over (as `--ca-bundle`'s).
#[test]
fn a_key_file_given_with_the_embedded_simulator_is_read() {
    let dir = tempdir();
    let with_key_file = |path: &str| {
        common::run(&[
            "run",
            "suites/triage.yaml",
            "--embedded",
            "--api-key-file",
            path,
        ])
    };
    let missing = dir.path().join("no-such-keys").display().to_string();
    let ran = with_key_file(&missing);
    ran.assert_refused("the key file");
    assert!(ran.stderr.contains("no-such-keys"), "{}", ran.all());
    // A replay too, before its recording is read.
    let recording = dir.path().join("recording").display().to_string();
    common::run(&[
        "run",
        "suites/triage.yaml",
        "--replay",
        &recording,
        "--api-key-file",
        &missing,
    ])
    .assert_refused("the key file");
    with_key_file(&write(dir.path(), "keys", "# nothing yet\n")).assert_refused("holds no key");
    let good = write(dir.path(), "good", &format!("acme/shop {SHOP_KEY}\n"));
    let ran = with_key_file(&good);
    assert_eq!(ran.code, 0, "{}", ran.all());
}

#[test]
fn a_401_names_where_the_key_it_did_not_accept_came_from() {
    let projects = TwoProjects::start();
    let dir = projects.dir.path();
    let unknown = "nk_test_nobodys_key_00000000000000000000000000000";
    let file = write(
        dir,
        "keys",
        &format!("acme/support {SUPPORT_KEY}\nacme/shop {unknown}\n"),
    );
    let ran = projects.run(&[], &["--api-key-file", &file]);
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert!(
        ran.all()
            .contains(&format!("(the key from --api-key-file {file}:2)")),
        "{}",
        ran.all()
    );
    assert!(!ran.all().contains("nk_test_nobodys_key"), "{}", ran.all());
    // From the environment, the variable is named.
    let ran = projects.run(
        &[
            ("NOUKAI_API_KEY_ACME_SHOP", unknown),
            ("NOUKAI_API_KEY_ACME_SUPPORT", SUPPORT_KEY),
        ],
        &[],
    );
    assert_eq!(ran.code, 3, "{}", ran.all());
    assert!(
        ran.all()
            .contains("(the key from NOUKAI_API_KEY_ACME_SHOP)"),
        "{}",
        ran.all()
    );
}

#[test]
fn a_key_file_gives_each_project_its_key() {
    let projects = TwoProjects::start();
    let dir = projects.dir.path();
    let keys = |name: &str, text: &str| write(dir, name, text);
    let shown = |run: &common::Run| {
        for key in [SHOP_KEY, SUPPORT_KEY] {
            assert!(!run.all().contains(key), "a key is shown:\n{}", run.all());
        }
    };

    // Both projects' keys from the file, with comments and blank lines: each is sent to its
    // project, and neither appears in the output or the report.
    let both = keys(
        "both",
        &format!("# Noukai keys\n\nacme/shop {SHOP_KEY}\nacme/support {SUPPORT_KEY}\n"),
    );
    let junit = dir.join("junit.xml").display().to_string();
    let ran = projects.run(&[], &["--api-key-file", &both, "--junit", &junit]);
    assert_eq!(ran.code, 0, "{}", ran.all());
    shown(&ran);
    let report = read(Path::new(&junit));
    assert!(!report.contains(SHOP_KEY) && !report.contains(SUPPORT_KEY));

    // The file names the shop: its key is the file's, whatever the environment says (here
    // the support's key, which the shop would refuse); the support's comes from the
    // environment, which the file does not override for it.
    let shop_only = keys("shop", &format!("acme/shop {SHOP_KEY}\n"));
    let ran = projects.run(
        &[
            ("NOUKAI_API_KEY_ACME_SHOP", SUPPORT_KEY),
            ("NOUKAI_API_KEY_ACME_SUPPORT", SUPPORT_KEY),
        ],
        &["--api-key-file", &shop_only],
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
    shown(&ran);
    // Without a default, a project neither the file nor the environment gives a key is
    // said before any call.
    projects
        .run(&[], &["--api-key-file", &shop_only])
        .assert_refused(&format!(
            "no API key for 1 project (acme/support): set NOUKAI_API_KEY for every project, or NOUKAI_API_KEY_ACME_SUPPORT, or give the key file {shop_only} a default key (`* KEY`) or these projects' (`org/project KEY`)"
        ));

    // The file's default key is used over NOUKAI_API_KEY; a project that refuses a key says
    // where it came from and where its own would go.
    let default = keys("default", &format!("* {SHOP_KEY}\n"));
    let ran = projects.run(
        &[("NOUKAI_API_KEY", SUPPORT_KEY)],
        &["--api-key-file", &default],
    );
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert!(
        ran.stdout.contains(&format!("(the key from --api-key-file {default}:1 has no access to acme/support: a key opens one project; set NOUKAI_API_KEY_ACME_SUPPORT to this project's key, or give it in the key file {default} (a line `acme/support KEY`))")),
        "{}",
        ran.all()
    );
    shown(&ran);
    let wrong = keys(
        "wrong",
        &format!("acme/shop {SHOP_KEY}\nacme/support {SHOP_KEY}\n"),
    );
    let ran = projects.run(&[], &["--api-key-file", &wrong]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert!(
        ran.stdout.contains(&format!(
            "(the key in --api-key-file {wrong}:2 has no access to acme/support)"
        )),
        "{}",
        ran.all()
    );
    shown(&ran);

    // Mistakes: the file and line, no key nor any part of one, nothing sent (exit 2).
    for (text, said) in [
        (
            format!("acme/shop {SHOP_KEY} {SUPPORT_KEY}\n"),
            ":1: a line is `org/project KEY`, `* KEY` or a key alone, but this one has 3 words (the line is not shown: it may hold a key)",
        ),
        (
            format!("# keys\n{SHOP_KEY} {SUPPORT_KEY}\n"),
            ":2: the first of two words must be `org/project` (two Noukai slugs) or `*` (the line is not shown: it may hold a key)",
        ),
        (
            format!("{SHOP_KEY}\n* {SUPPORT_KEY}\n"),
            ":2: a second default key (the first is on line 1)",
        ),
        (
            format!("acme/shop {SHOP_KEY}\n\nacme/shop {SUPPORT_KEY}\n"),
            ":3: a second key for the project named on line 1",
        ),
        (
            format!("acme/shop {SHOP_KEY}\nacme/support {SUPPORT_KEY}\u{7}\n"),
            ":2 cannot be sent: it holds a character that an HTTP header cannot carry",
        ),
    ] {
        let file = keys("mistaken", &text);
        let ran = projects.run(&[], &["--api-key-file", &file]);
        ran.assert_refused(&format!("{file}{said}"));
        for part in ["shopshop", "supportsupport"] {
            assert!(!ran.all().contains(part), "{}", ran.all());
        }
    }
    let empty = keys("empty", "# nothing yet\n");
    projects
        .run(&[("NOUKAI_API_KEY", SHOP_KEY)], &["--api-key-file", &empty])
        .assert_refused(&format!(
            "the key file {empty} holds no key (only blank lines and # comments, or nothing)"
        ));
}

/// A key file saved by a Windows editor starts with a byte-order mark and ends its lines
/// with CRLF: the mark is no part of the first line's words (a comment, a project, a key).
#[test]
fn a_key_file_saved_with_a_byte_order_mark_is_read() {
    let projects = TwoProjects::start();
    let dir = projects.dir.path();
    for (name, text) in [
        (
            "comment",
            format!(
                "\u{feff}# Noukai keys\r\nacme/shop {SHOP_KEY}\r\nacme/support {SUPPORT_KEY}\r\n"
            ),
        ),
        (
            "project",
            format!("\u{feff}acme/shop {SHOP_KEY}\r\nacme/support {SUPPORT_KEY}\r\n"),
        ),
    ] {
        let file = write(dir, name, &text);
        let ran = projects.run(&[], &["--api-key-file", &file]);
        assert_eq!(ran.code, 0, "{name}:\n{}", ran.all());
    }
    // One key alone, as a key file always was: the default key of both projects.
    let one = write(dir, "one", &format!("\u{feff}{SHOP_KEY}\r\n"));
    let ran = common::Run::from(
        common::flowcheck()
            .args(["run", &projects.suites[0], "--api-key-file", &one])
            .env("NOUKAI_API_URL", &projects.sim.url)
            .output()
            .expect("flowcheck runs"),
    );
    assert_eq!(ran.code, 0, "{}", ran.all());
}

/// A key a suite sends by another name (`${KEY_COPY}`) is still the key, and so is the key
/// upper-cased (which the flow echoes back): the JSON report and `-v` keep the request body and
/// the answer without it.
#[test]
fn a_key_sent_under_another_name_is_scrubbed_from_reports() {
    let dir = tempdir();
    let suite = write(
        dir.path(),
        "copy.yaml",
        "suite: copy\nflow: demo/bench/echo\ncases:\n  - name: echo\n    message: \"key ${KEY_COPY}\"\n",
    );
    let upper = flowcheck::DEMO_API_KEY.to_ascii_uppercase();
    for copy in [flowcheck::DEMO_API_KEY, upper.as_str()] {
        let json = dir.path().join("r.json");
        let result = common::Run::from(
            common::flowcheck()
                .args(["run", &suite, "--embedded", "-v", "--json"])
                .arg(&json)
                .env("KEY_COPY", copy)
                .output()
                .expect("runs"),
        );
        assert_eq!(result.code, 0, "{}", result.all());
        let report = std::fs::read_to_string(&json).unwrap_or_default();
        assert_eq!(report.matches("key [redacted]").count(), 2, "{report}");
        assert!(!report.contains(copy), "{report}");
        assert!(!result.all().contains(copy), "{}", result.all());
    }
}

/// A flow whose result echoes the signed URL of its attachment (and a message quoting one):
/// the checks judge the result as returned (a check on the query passes), but no output shows
/// the query, neither the failure's `found:` and diff on the terminal, nor the JUnit failure,
/// the JSON report's result and check values, `-v`, or a comparison of the results.
#[test]
fn a_signed_url_a_flow_echoes_in_its_result_is_cut_from_every_output() {
    let dir = tempdir();
    let flows = write(
        dir.path(),
        "flows.yaml",
        "org: demo\nproject: echo\nflow: url\nproduction: 1\nversions:\n  - version: 1\n    blocks:\n      - id: echo\n        kind: json_map\n        fields:\n          url: \"{{ attachments.first.url }}\"\n          said: \"{{ input.message }}\"\n",
    );
    let suite = write(
        dir.path(),
        "echo.yaml",
        "suite: echo\nflow: demo/echo/url\ncases:\n  - name: the URL comes back\n    message: \"see https://cdn.example.com/m.png?X-Amz-Signature=MSGSECRET\"\n    attachments:\n      - url: \"https://cdn.example.com/a.png?X-Amz-Signature=SIGSECRET&X-Amz-Credential=CREDSECRET\"\n        mime_type: image/png\n    expect:\n      output:\n        - {path: $.url, matches: \"Signature=[A-Z]+&\"}\n        - {path: $.url, equals: nope}\n        - {path: $.said, equals: nope}\n",
    );
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (junit, json) = (path("junit.xml"), path("report.json"));
    let ran = common::run(&[
        "run",
        &suite,
        "--embedded",
        "--flows",
        &flows,
        "-v",
        "--junit",
        &junit,
        "--json",
        &json,
    ]);
    assert_eq!(ran.code, 1, "{}", ran.all());
    assert!(
        ran.stdout.contains("(2 other checks passed)"),
        "the check on the query judged the result as returned:\n{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("found:    \"https://cdn.example.com/a.png?[redacted]\""),
        "{}",
        ran.stdout
    );
    assert_valid_junit(Path::new(&junit));
    let (markdown, html, comparison) = (path("c.md"), path("c.html"), path("c.json"));
    let compared = common::compare_report_with_itself(
        &json,
        &suite,
        &[
            "--markdown",
            &markdown,
            "--html",
            &html,
            "--json",
            &comparison,
        ],
    );
    assert_eq!(compared.code, 0, "{}", compared.all());
    for (what, text) in [
        ("stdout", ran.stdout.clone()),
        ("stderr", ran.stderr.clone()),
        ("junit", read(Path::new(&junit))),
        ("json", read(Path::new(&json))),
        ("compare", compared.all()),
        ("markdown", read(Path::new(&markdown))),
        ("html", read(Path::new(&html))),
        ("comparison", read(Path::new(&comparison))),
    ] {
        for secret in ["SIGSECRET", "CREDSECRET", "MSGSECRET"] {
            assert!(
                !text.contains(secret),
                "{secret} appears in {what}:\n{text}"
            );
        }
    }
}
