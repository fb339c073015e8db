#![allow(dead_code)] // each fuzz binary uses one of these bodies
//! The fuzz targets' bodies, shared by `cargo fuzz` (fuzz_targets/) and the plain `cargo
//! test` smoke (tests/bad_input.rs). Each must never panic, whatever the bytes; errors must
//! say where (a suite error carries file:line:col).

use std::path::Path;

/// The suite loader on arbitrary text; and read in pieces, as large files are, it gives what
/// reading the whole text gives, or nothing.
pub fn suite_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let env = |name: &str| (name == "HOST").then(|| "example.com".to_owned());
    let file = Path::new("fuzz.yaml");
    let whole = flowcheck::suite::load::parse(file, &text, &env);
    if let Some(pieces) = flowcheck::suite::load::split::parse_cut_at_every_item(file, &text, &env)
    {
        let pieces = format!(
            "{:?}",
            Ok::<_, Vec<flowcheck::diagnostic::Diagnostic>>(pieces)
        );
        assert_eq!(pieces, format!("{whole:?}"), "pieces differ from the whole");
    }
    if let Err(errors) = whole {
        assert!(
            !errors.is_empty(),
            "a refused suite names at least one error"
        );
        for error in errors {
            let shown = error.to_string();
            assert!(
                shown.starts_with("fuzz.yaml:"),
                "an error without a location: {shown}"
            );
        }
    }
}

/// JSONPath and regular-expression inputs, through check compilation: the first line is the
/// path, the rest the pattern (with flags taken from the first bytes).
pub fn check_compile(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (path, pattern) = text.split_once('\n').unwrap_or((&text, ""));
    let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    let flags: String = pattern
        .chars()
        .take(2)
        .filter(|c| c.is_ascii_alphabetic())
        .collect();
    let suite = format!(
        "suite: s\nflow: o/p/f\ncases:\n  - name: c\n    message: m\n    expect:\n      output:\n        - {{path: {}, matches: {{pattern: {}, flags: {}}}}}\n        - {{path: {}, exists: true}}\n",
        quote(path),
        quote(pattern),
        quote(&flags),
        quote(pattern),
    );
    suite_load(suite.as_bytes());
}

/// The SSE parser on arbitrary bytes, cut into chunks at arbitrary places.
pub fn sse(data: &[u8]) {
    let (&limit, rest) = data.split_first().unwrap_or((&64, &[]));
    let mut parser = flowcheck::api::sse::Parser::new(usize::from(limit) * 4 + 1);
    let cut = rest
        .first()
        .map(|&c| usize::from(c) % (rest.len() + 1))
        .unwrap_or(0);
    for chunk in [&rest[..cut], &rest[cut..]] {
        match parser.feed(chunk) {
            Ok(frames) => {
                for frame in frames {
                    let _ =
                        flowcheck::api::wire::parse_step_event(frame.event.as_deref(), &frame.data);
                }
            }
            Err(err) => {
                assert!(err.to_string().contains("exceeded"));
                return;
            }
        }
    }
    let _ = parser.is_mid_frame();
}

/// The response parsers: run replies, error bodies and step events.
pub fn wire(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = flowcheck::api::wire::parse_error_detail(&text);
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) {
        let _ = flowcheck::api::wire::parse_run_reply(&value);
    }
    let (event, payload) = text.split_once('\n').unwrap_or(("", &text));
    let _ = flowcheck::api::wire::parse_step_event(Some(event), payload);
    let _ = flowcheck::api::wire::parse_step_event(None, payload);
}
