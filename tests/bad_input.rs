//! Bad input never panics: the fuzz targets' bodies (fuzz/targets.rs, also run by `cargo
//! fuzz`) over their seed corpus and over random inputs, and property tests of the response
//! parsers. Every refused suite names its errors at a location in the file.

#[path = "../fuzz/targets.rs"]
mod targets;

use proptest::prelude::*;
use std::path::Path;

fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seeds in {}", dir.display());
    files
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_default())
        .collect()
}

/// Every seed, and every prefix and one-byte corruption of it.
fn smoke(target: &str, run: fn(&[u8])) {
    for seed in corpus(target) {
        run(&seed);
        for cut in (0..seed.len()).step_by(seed.len() / 16 + 1) {
            run(&seed[..cut]);
            let mut corrupted = seed.clone();
            corrupted[cut] ^= 0x5a;
            run(&corrupted);
        }
    }
}

#[test]
fn the_seed_corpora_never_panic() {
    smoke("suite_load", targets::suite_load);
    smoke("check_compile", targets::check_compile);
    smoke("sse", targets::sse);
    smoke("wire", targets::wire);
}

/// YAML-ish text: the suite format's keys, punctuation and indentation, so random inputs get
/// past the YAML parser often enough to reach the compiler.
fn yamlish() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("suite: s\n".to_owned()),
        Just("flow: o/p/f\n".to_owned()),
        Just("cases:\n".to_owned()),
        Just("  - name: c\n".to_owned()),
        Just("    message: m\n".to_owned()),
        Just("    expect:\n".to_owned()),
        Just("      output:\n".to_owned()),
        Just("        - {path: $.a, equals: 1}\n".to_owned()),
        Just("        - {matches: \"(\"}\n".to_owned()),
        Just("    timeout: 1s\n".to_owned()),
        Just("    targets: [v2, production]\n".to_owned()),
        Just("mode: step\n".to_owned()),
        Just("    steps: [{step: 0}]\n".to_owned()),
        Just("    repeat: 3\n    pass_if: 2/3\n".to_owned()),
        Just("${HOST}".to_owned()),
        Just("&a *a !!str ? - : [ ] { } , ' \" #".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,6}",
    ];
    proptest::collection::vec(token, 0..24).prop_map(|t| t.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn the_suite_loader_never_panics(text in yamlish()) {
        targets::suite_load(text.as_bytes());
    }

    #[test]
    fn jsonpaths_and_regexes_never_panic(path in "\\$[ -~]{0,24}", pattern in "\\PC{0,24}") {
        targets::check_compile(format!("{path}\n{pattern}").as_bytes());
    }

    #[test]
    fn the_sse_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        targets::sse(&bytes);
    }

    #[test]
    fn a_run_answer_reads_from_its_text_as_parsed(answer in run_answer()) {
        let parsed = flowcheck::api::wire::parse_run_reply(&answer);
        for text in [answer.to_string(), serde_json::to_string_pretty(&answer).unwrap_or_default()] {
            prop_assert_eq!(said(&flowcheck::api::wire::read_run_reply(&text)), said(&parsed));
        }
    }

    #[test]
    fn the_response_parsers_never_panic(json in json_value(), event in "[a-z_]{0,16}") {
        let text = json.to_string();
        targets::wire(text.as_bytes());
        targets::wire(format!("{event}\n{text}").as_bytes());
        let reply = flowcheck::api::wire::parse_run_reply(&json);
        prop_assert_eq!(said(&flowcheck::api::wire::read_run_reply(&text)), said(&reply));
        if let Err(err) = reply {
            // No status, or one that is neither completed nor failed (not a run's end).
            let said = err.to_string();
            prop_assert!(
                said.starts_with("unexpected response: no `status`")
                    || (said.starts_with("unexpected response: the run's status is ")
                        && said.ends_with(", neither completed nor failed")),
                "{said}"
            );
        }
    }
}

/// A reply as a test compares it: the reply, or its error's words.
fn said(
    reply: &Result<flowcheck::api::wire::RunReply, flowcheck::api::ApiError>,
) -> Result<flowcheck::api::wire::RunReply, String> {
    match reply {
        Ok(reply) => Ok(reply.clone()),
        Err(err) => Err(err.to_string()),
    }
}

/// A run's answer: each field the client reads there or not, of the right type or not, among
/// others it skips.
fn run_answer() -> impl Strategy<Value = serde_json::Value> {
    let status = prop_oneof![
        Just(serde_json::json!("completed")),
        Just(serde_json::json!("failed")),
        Just(serde_json::json!("running")),
        json_value(),
    ];
    let count = prop_oneof![any::<u32>().prop_map(serde_json::Value::from), json_value()];
    let id = prop_oneof![
        "[a-f0-9-]{0,12}".prop_map(serde_json::Value::from),
        json_value()
    ];
    (
        proptest::option::of(status),
        proptest::option::of(json_value()),
        proptest::option::of(json_value()),
        proptest::option::of(count),
        proptest::option::of(id),
        proptest::collection::btree_map("[a-z]{1,6}", json_value(), 0..3),
    )
        .prop_map(|(status, result, error, count, id, others)| {
            let mut answer: serde_json::Map<String, serde_json::Value> =
                others.into_iter().collect();
            let fields = [
                ("status", status),
                ("result", result),
                ("error", error),
                ("blockCount", count),
                ("executionId", id),
            ];
            for (name, value) in fields {
                if let Some(value) = value {
                    answer.insert(name.to_owned(), value);
                }
            }
            serde_json::Value::Object(answer)
        })
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        prop_oneof![
            Just("completed".to_owned()),
            Just("failed".to_owned()),
            "\\PC{0,8}"
        ]
        .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        let keys = prop_oneof![
            Just("status".to_owned()),
            Just("result".to_owned()),
            Just("detail".to_owned()),
            Just("error".to_owned()),
            Just("code".to_owned()),
            Just("message".to_owned()),
            Just("blockCount".to_owned()),
            Just("stepIndex".to_owned()),
            Just("nextStepIndex".to_owned()),
            Just("eventType".to_owned()),
            "[a-z]{1,6}",
        ];
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            proptest::collection::btree_map(keys, inner, 0..5)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
