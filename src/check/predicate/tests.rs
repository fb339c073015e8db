//! Table-driven tests: every predicate against values that must pass and values that must
//! not, including Unicode, empty values, missing paths, type mismatches and huge values.

use crate::check::grade::{Grade, Grades};
use crate::check::raw::RawCheck;
use crate::diagnostic::Position;
use serde_json::{Value, json};
use std::path::Path;

fn compile(yaml: &str) -> Result<crate::check::Check, String> {
    let raw: RawCheck = crate::yaml::from_str(yaml).map_err(|e| e.to_string())?;
    let files = std::cell::RefCell::default();
    raw.compile(Position::new(1, 1), Path::new("suites"), &files)
        .map_err(|e| e.message)
}

fn passes(yaml: &str, value: &Value) -> bool {
    match compile(yaml) {
        Ok(check) => check.evaluate(Some(value), &Grades::none()).passed,
        Err(err) => panic!("{yaml} does not compile: {err}"),
    }
}

/// (check, value, should pass)
fn table() -> Vec<(&'static str, Value, bool)> {
    let huge = "word ".repeat(100_000);
    vec![
        // equals
        ("{equals: 1}", json!(1.0), true),
        ("{equals: {a: [1, 2]}}", json!({"a": [1, 2]}), true),
        ("{equals: \"é\"}", json!("é"), true),
        ("{equals: \"\"}", json!(""), true),
        ("{equals: \"1\"}", json!(1), false),
        ("{path: $.missing, equals: null}", json!({}), false),
        ("{path: $.x, equals: null}", json!({"x": null}), true),
        // Integers past 2^53 are told apart, though their nearest floats are one.
        (
            "{equals: 9007199254740992}",
            json!(9_007_199_254_740_993_u64),
            false,
        ),
        ("{equals: 18446744073709551615}", json!(u64::MAX), true),
        ("{equals: -9223372036854775808}", json!(i64::MIN), true),
        (
            "{one_of: [1234567890123456788]}",
            json!(1_234_567_890_123_456_789_i64),
            false,
        ),
        ("{equals: 3}", json!(3.0), true),
        // An integer past 2^53 is not the float it rounds to.
        (
            "{equals: 9007199254740992.0}",
            json!(9_007_199_254_740_993_u64),
            false,
        ),
        (
            "{equals: 9007199254740992.0}",
            json!(9_007_199_254_740_992_u64),
            true,
        ),
        // A path that may match several nodes gives an array whatever the count: `each`
        // over one item's prices reads `[5]`, not `5` (which is no array).
        (
            "{path: \"$.items[*].price\", each: {gt: 0}}",
            json!({"items": [{"price": 5}]}),
            true,
        ),
        (
            "{path: \"$.items[*].price\", equals: [5]}",
            json!({"items": [{"price": 5}]}),
            true,
        ),
        (
            "{path: \"$..price\", length: 1}",
            json!({"items": [{"price": 5}]}),
            true,
        ),
        (
            "{path: \"$.items[0].price\", equals: 5}",
            json!({"items": [{"price": 5}]}),
            true,
        ),
        (
            "{path: \"$.items[*].cost\", exists: false}",
            json!({"items": [{"price": 5}]}),
            true,
        ),
        // contains family
        ("{contains: fund}", json!("refund"), true),
        ("{contains: Fund}", json!("refund"), false),
        ("{icontains: FUND}", json!("ReFund"), true),
        ("{icontains: ÉTÉ}", json!("un été"), true),
        ("{icontains: FUNDS}", json!("ReFund"), false),
        ("{icontains: ÉTÉ}", json!("un ete"), false),
        ("{contains: 2}", json!([1, 2, 3]), true),
        ("{contains: key}", json!({"key": 1}), true),
        ("{contains: x}", json!(42), false),
        ("{contains_any: [cat, dog]}", json!("hotdog"), true),
        ("{contains_any: [cat, dog]}", json!("bird"), false),
        ("{contains_all: [cat, dog]}", json!("cat and dog"), true),
        ("{contains_all: [cat, dog]}", json!("cat only"), false),
        ("{contains: word}", json!(huge.clone()), true),
        // affixes
        ("{starts_with: Thanks}", json!("Thanks!"), true),
        ("{starts_with: Thanks}", json!("No thanks"), false),
        ("{ends_with: \"🙂\"}", json!("ok 🙂"), true),
        ("{ends_with: x}", json!(["x"]), false),
        // matches
        ("{matches: \"^T-[0-9]+$\"}", json!("T-123"), true),
        ("{matches: \"^t-\"}", json!("T-1"), false),
        (
            "{matches: {pattern: \"^t-\", flags: i}}",
            json!("T-1"),
            true,
        ),
        ("{matches: \"a.b\"}", json!("a\nb"), false),
        (
            "{matches: {pattern: \"a.b\", flags: s}}",
            json!("a\nb"),
            true,
        ),
        ("{matches: x}", json!(1), false),
        // sizes
        ("{word_count: 3}", json!("one two  three"), true),
        ("{word_count: {max: 2}}", json!("one two three"), false),
        ("{word_count: {min: 1}}", json!(""), false),
        ("{length: 2}", json!("é🙂"), true),
        ("{length: [1, 3]}", json!([1, 2]), true),
        ("{length: {max: 0}}", json!({}), true),
        ("{length: {min: 1.5}}", json!([1, 2]), true),
        ("{length: [1.5, 2]}", json!([1, 2]), true),
        ("{length: 1}", json!(5), false),
        ("{word_count: {min: 100000}}", json!(huge), true),
        // one_of, exists, type
        ("{one_of: [billing, account]}", json!("account"), true),
        ("{one_of: [billing, account]}", json!("general"), false),
        ("{path: $.a, exists: true}", json!({"a": null}), true),
        ("{path: $.b, exists: true}", json!({"a": 1}), false),
        ("{path: $.b, exists: false}", json!({"a": 1}), true),
        ("{path: $.a, exists: false}", json!({"a": 1}), false),
        ("{type: integer}", json!(3), true),
        ("{type: integer}", json!(3.5), false),
        ("{type: number}", json!(3), true),
        ("{type: [string, null]}", json!(null), true),
        ("{type: object}", json!([]), false),
        // json_schema
        (
            "{json_schema: {type: object, required: [category]}}",
            json!({"category": "x"}),
            true,
        ),
        (
            "{json_schema: {type: object, required: [category]}}",
            json!({"other": 1}),
            false,
        ),
        (
            "{json_schema: {type: object, properties: {n: {type: integer, minimum: 0}}}}",
            json!({"n": -1}),
            false,
        ),
        // subset
        ("{subset: {a: 1}}", json!({"a": 1.0, "b": 2}), true),
        (
            "{subset: {a: {b: [2]}}}",
            json!({"a": {"b": [1, 2, 3], "c": 0}}),
            true,
        ),
        ("{subset: {a: 2}}", json!({"a": 1}), false),
        ("{subset: {a: 1}}", json!([1]), false),
        // each / some
        ("{each: {gt: 0}}", json!([1, 2, 3]), true),
        ("{each: {gt: 1}}", json!([1, 2, 3]), false),
        ("{each: {gt: 0}}", json!([]), false),
        (
            "{some: {path: $.ok, equals: true}}",
            json!([{"ok": false}, {"ok": true}]),
            true,
        ),
        ("{some: {equals: 9}}", json!([1, 2]), false),
        ("{each: {gt: 0}}", json!("not an array"), false),
        // numbers
        ("{gt: 0.5}", json!(0.7), true),
        ("{gt: 1}", json!(1), false),
        ("{gte: 0.7}", json!("0.7"), true),
        ("{gte: 0.7}", json!(0.69), false),
        ("{lt: 1}", json!(1), false),
        ("{lt: 1}", json!(0.99), true),
        ("{lte: 1}", json!(1), true),
        ("{lte: 1}", json!(1.01), false),
        ("{lte: 1}", json!("abc"), false),
        ("{gt: 0}", json!("abc"), false),
        ("{gt: 0}", json!("NaN"), false),
        ("{between: [1, 3]}", json!(3), true),
        ("{between: {min: 1, max: 3}}", json!(4), false),
        // Integers past 2^53 compare exactly, as two integers and against a float.
        (
            "{lte: 9007199254740992}",
            json!(9_007_199_254_740_993_u64),
            false,
        ),
        (
            "{gt: 9007199254740992}",
            json!(9_007_199_254_740_993_u64),
            true,
        ),
        (
            "{gte: 9007199254740993}",
            json!(9_007_199_254_740_992_u64),
            false,
        ),
        (
            "{lt: 9007199254740993}",
            json!(9_007_199_254_740_992_u64),
            true,
        ),
        (
            "{gt: 9007199254740992.0}",
            json!(9_007_199_254_740_993_u64),
            true,
        ),
        ("{gt: 9007199254740992}", json!("9007199254740993"), true),
        (
            "{lte: \"9007199254740992\"}",
            json!(9_007_199_254_740_993_u64),
            false,
        ),
        (
            "{between: [9007199254740993, 9007199254740995]}",
            json!(9_007_199_254_740_992_u64),
            false,
        ),
        (
            "{between: [9007199254740993, 9007199254740995]}",
            json!(9_007_199_254_740_995_u64),
            true,
        ),
        (
            "{between: {max: 18446744073709551614}}",
            json!(u64::MAX),
            false,
        ),
        ("{gt: 1.5}", json!(2), true),
        ("{lte: 1.5}", json!(2), false),
        ("{approx: {value: 0.9, tolerance: 0.05}}", json!(0.93), true),
        (
            "{approx: {value: 0.9, tolerance: 0.05}}",
            json!(0.96),
            false,
        ),
        // Exactly `tolerance` away as written, though not in binary.
        ("{approx: {value: 1.0, tolerance: 0.1}}", json!(1.1), true),
        ("{approx: {value: 0.3, tolerance: 0.1}}", json!(0.4), true),
        ("{approx: {value: 0.3, tolerance: 0.1}}", json!(0.2), true),
        (
            "{approx: {value: 1.0, tolerance: 0.1}}",
            json!(1.1000001),
            false,
        ),
        ("{approx: {value: 1e20, tolerance: 0}}", json!(1e20), true),
        ("{approx: {value: 5, tolerance: 0}}", json!(5.000001), false),
        // Bounds as text, as a CSV row fills a placeholder.
        ("{gte: \"0.92\"}", json!(0.92), true),
        ("{lt: \"0.92\"}", json!(0.92), false),
        ("{between: [\"0.9\", \"0.95\"]}", json!(0.92), true),
        ("{between: {min: \"0.95\"}}", json!(0.92), false),
        (
            "{approx: {value: \"0.92\", tolerance: \"0\"}}",
            json!(0.92),
            true,
        ),
        (
            "{approx: {value: \"0.9\", tolerance: \"0.01\"}}",
            json!(0.92),
            false,
        ),
        // similarity
        (
            "{levenshtein: {value: kitten, threshold: 0.5}}",
            json!("sitting"),
            true,
        ),
        (
            "{levenshtein: {value: kitten, threshold: 0.9}}",
            json!("sitting"),
            false,
        ),
        (
            "{levenshtein: {value: \"\", threshold: 1}}",
            json!(""),
            true,
        ),
        (
            "{jaro_winkler: {value: MARTHA, threshold: 0.95}}",
            json!("MARHTA"),
            true,
        ),
        // 0.961 (MARTHA/MARHTA): just under 0.97.
        (
            "{jaro_winkler: {value: MARTHA, threshold: 0.97}}",
            json!("MARHTA"),
            false,
        ),
        ("{jaro_winkler: Martha}", json!("Zebedee"), false),
        (
            "{token_jaccard: {value: \"the cat sat\", threshold: 0.5}}",
            json!("The cat sat down"),
            true,
        ),
        (
            "{token_jaccard: {value: \"the cat sat\", threshold: 0.9}}",
            json!("The cat sat down"),
            false,
        ),
        (
            "{rouge_l: {value: \"the cat sat on the mat\", threshold: 0.8}}",
            json!("the cat was on the mat"),
            true,
        ),
        (
            "{rouge_l: {value: \"the cat sat on the mat\", threshold: 0.8}}",
            json!("a dog barked"),
            false,
        ),
        ("{rouge_l: {value: \"x\"}}", json!(1), false),
        // Scores equal to the threshold as written, though computed a little under it: 3 of
        // 5 tokens scores 0.75 (0.7499999999999999), 6 of 7 against 8 scores 0.8.
        (
            "{rouge_l: {value: \"a b c d e\", threshold: 0.75}}",
            json!("a b c"),
            true,
        ),
        (
            "{rouge_l: \"a b c d e f g h\"}",
            json!("a b c d e f x"),
            true,
        ),
        // combinators and negation
        ("{all: [{contains: a}, {contains: b}]}", json!("ab"), true),
        ("{all: [{contains: a}, {contains: z}]}", json!("ab"), false),
        ("{any: [{contains: z}, {contains: b}]}", json!("ab"), true),
        ("{any: [{contains: z}, {contains: y}]}", json!("ab"), false),
        ("{not: {contains: z}}", json!("ab"), true),
        ("{not: {contains: a}}", json!("ab"), false),
        ("{contains: z, not: true}", json!("ab"), true),
        // As text (a CSV's value filled in, or quoted by hand): the same negation.
        ("{contains: z, not: \"true\"}", json!("ab"), true),
        ("{contains: a, not: \" False \"}", json!("ab"), true),
        // a judge without a grade fails (graded in `judges_read_their_grade`)
        (
            "{judge: {flow: demo/eval/grader, rubric: polite}}",
            json!("hi"),
            false,
        ),
        (
            "{path: $.a, all: [{path: $.b, equals: 1}, {path: $.c, exists: false}]}",
            json!({"a": {"b": 1}}),
            true,
        ),
    ]
}

#[test]
fn every_predicate_passes_and_fails_where_it_should() {
    let failures: Vec<String> = table()
        .into_iter()
        .filter(|(yaml, value, want)| passes(yaml, value) != *want)
        .map(|(yaml, value, want)| {
            format!(
                "{yaml} on {}: expected {}",
                crate::words::short(&value, 60),
                if want { "pass" } else { "fail" }
            )
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The predicates a row of the table is about: the keys of its check that name a registered
/// predicate, read from the YAML (so `icontains` is no row of `contains`), leaving out
/// `not: true` beside a predicate (a negation, not the `not` combinator).
fn predicates_of(yaml: &str) -> Vec<String> {
    let check: serde_json::Map<String, Value> =
        crate::yaml::from_str(yaml).unwrap_or_else(|err| panic!("{yaml}: {err}"));
    check
        .into_iter()
        .filter(|(key, value)| super::find(key).is_some() && !(key == "not" && value.is_boolean()))
        .map(|(key, _)| key)
        .collect()
}

#[test]
fn every_registered_predicate_is_covered_by_the_table() {
    let table = table();
    // A judge passes only with a grade from its grader: `judges_read_their_grade` passes one.
    let passes_elsewhere = ["judge"];
    let mut missing = Vec::new();
    for name in super::names() {
        let rows = |want: bool| {
            table
                .iter()
                .filter(|(yaml, _, should_pass)| {
                    *should_pass == want && predicates_of(yaml).iter().any(|p| p == name)
                })
                .count()
        };
        if rows(true) == 0 && !passes_elsewhere.contains(&name) {
            missing.push(format!("{name} has no row that must pass"));
        }
        if rows(false) == 0 {
            missing.push(format!("{name} has no row that must fail"));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

#[test]
fn the_rows_name_their_predicates_exactly() {
    assert_eq!(predicates_of("{icontains: FUND}"), ["icontains"]);
    assert_eq!(predicates_of("{contains: z, not: true}"), ["contains"]);
    assert_eq!(predicates_of("{not: {contains: a}}"), ["not"]);
    assert_eq!(
        predicates_of("{path: $.a, exists: true, weight: 2}"),
        ["exists"]
    );
}

/// A weight or a threshold given as numeric text (a CSV's values are text) reads as the
/// number, as the numeric predicates' values do.
#[test]
fn weights_and_thresholds_read_numeric_text() {
    for yaml in [
        "{equals: 1, weight: \"2\"}",
        "{levenshtein: {value: a, threshold: \"0.5\"}}",
    ] {
        assert!(compile(yaml).is_ok(), "{yaml}: {:?}", compile(yaml).err());
    }
}

/// Texts too long for a quadratic comparison fail with the reason, even at threshold 0 (any
/// score would pass), rather than stalling the run; at the limit they are compared.
#[test]
fn texts_over_the_similarity_limits_are_refused_with_a_reason() {
    let evaluate = |yaml: &str, text: String| {
        let check = compile(yaml).unwrap_or_else(|err| panic!("{yaml}: {err}"));
        check.evaluate(Some(&Value::String(text)), &Grades::none())
    };
    for metric in ["levenshtein", "jaro_winkler"] {
        let check = format!("{{{metric}: {{value: a, threshold: 0}}}}");
        let at_limit = evaluate(&check, "é".repeat(20_000));
        assert!(at_limit.passed, "{metric}: {:?}", at_limit.detail);
        let over = evaluate(&check, "é".repeat(20_001));
        assert!(!over.passed, "{metric} compared 20,001 characters");
        assert_eq!(
            over.detail.as_deref(),
            Some("the text is too long to compare by characters (20001 > 20000)"),
            "{metric}"
        );
    }
    let check = "{rouge_l: {value: a, threshold: 0}}";
    let at_limit = evaluate(check, "w ".repeat(5_000));
    assert!(at_limit.passed, "{:?}", at_limit.detail);
    let over = evaluate(check, "w ".repeat(5_001));
    assert!(!over.passed, "rouge_l compared 5,001 tokens");
    assert_eq!(
        over.detail.as_deref(),
        Some("the text is too long for ROUGE-L (over 5000 tokens)")
    );
}

#[test]
fn scores_are_reported() {
    let check = compile("{levenshtein: {value: kitten, threshold: 0.5}}").expect("compiles");
    let outcome = check.evaluate(Some(&json!("sitting")), &Grades::none());
    assert_eq!(
        outcome.score.map(|s| (s * 1000.0).round() / 1000.0),
        Some(0.571)
    );
    let rouge = super::similarity::score(
        super::similarity::Metric::RougeL,
        "the cat was on the mat",
        "the cat sat on the mat",
    );
    assert_eq!(rouge.map(|s| (s * 1000.0).round() / 1000.0), Ok(0.833));
}

#[test]
fn a_judge_nested_in_a_combinator_is_refused() {
    let judge = "{judge: {flow: demo/eval/grader, rubric: polite}}";
    for yaml in [
        format!("{{path: $.reply, all: [{judge}]}}"),
        format!("{{path: $.reply, any: [{{exists: true}}, {judge}]}}"),
        format!("{{path: $.reply, not: {judge}}}"),
        format!("{{path: $.items, each: {judge}}}"),
        format!("{{path: $.items, some: {judge}}}"),
        format!("{{path: $.reply, all: [{{not: {judge}}}]}}"),
    ] {
        let refused = compile(&yaml).map(|_| ());
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.contains("`judge` cannot be nested")),
            "{yaml}: {refused:?}"
        );
    }
}

#[test]
fn judges_read_their_grade() {
    let check = compile("{judge: {flow: demo/eval/grader, rubric: polite, threshold: 0.7}}")
        .expect("compiles");
    let spec = check.predicate.judge().cloned().expect("a judge");
    let mut grades = Grades::none();
    grades.0.insert(
        spec.id,
        Grade::Scored {
            score: 0.9,
            reason: Some("fine".into()),
        },
    );
    assert!(check.evaluate(Some(&json!("hello")), &grades).passed);
    grades.0.insert(
        spec.id,
        Grade::Scored {
            score: 0.2,
            reason: Some("rude".into()),
        },
    );
    let outcome = check.evaluate(Some(&json!("hello")), &grades);
    assert!(!outcome.passed);
    assert_eq!(
        outcome.detail.as_deref(),
        Some("score 0.200 is below the threshold 0.7: rude")
    );
    assert!(
        !check
            .evaluate(Some(&json!("hello")), &Grades::none())
            .passed,
        "ungraded is a failure"
    );
}

#[test]
fn bad_arguments_are_refused_with_reasons() {
    for (yaml, message) in [
        (
            "{contains_any: []}",
            "contains_any: expected a non-empty list",
        ),
        (
            "{matches: {pattern: x, flags: q}}",
            "matches: `flags`: unknown flag 'q': use i, m, s or x",
        ),
        ("{between: [3, 1]}", "between: min 3 is greater than max 1"),
        (
            "{contains: }",
            "contains: has no value: write the text, item or key to look for",
        ),
        ("{length: -3}", "length: a count is never below 0"),
        (
            "{length: 1.5}",
            "length: no count is 1.5: a count is a whole number",
        ),
        (
            "{word_count: [1.2, 1.8]}",
            "word_count: no count lies between 1.2 and 1.8: a count is a whole number",
        ),
        (
            "{word_count: {min: -1}}",
            "word_count: a count is never below 0",
        ),
        (
            "{type: null}",
            "type: expected a type name or a list of them (unquoted, `null` is no value in YAML: write \"null\" for the null type)",
        ),
        (
            "{type: strng}",
            "type: unknown type \"strng\" (did you mean \"string\"?): use string, number, integer, boolean, array, object, null",
        ),
        (
            "{levenshtein: {value: a, threshold: 2}}",
            "levenshtein: `threshold` must be a number from 0 to 1",
        ),
        (
            "{each: {equal: 1}}",
            "each: unknown predicate \"equal\" (did you mean \"equals\"?)",
        ),
        ("{json_schema: {type: 12}}", "json_schema: invalid schema"),
        (
            "{json_schema: {$ref: \"https://example.com/s.json\"}}",
            "json_schema: invalid schema: a `$ref` to another document (a URL or a file) is not followed",
        ),
        (
            "{json_schema: {$ref: other.json}}",
            "json_schema: invalid schema: a `$ref` to another document (a URL or a file) is not followed",
        ),
        (
            "{json_schema: /etc/passwd}",
            "json_schema: \"/etc/passwd\" must be a path relative to the suite",
        ),
        ("{approx: {value: 1}}", "approx: `tolerance` is missing"),
        ("{approx: {tolerance: 1}}", "approx: `value` is missing"),
        (
            "{approx: {value: 1, tolerance: x}}",
            "approx: `tolerance` must be a number",
        ),
        ("{gte: high}", "gte: expected a number"),
        ("{between: [\"0\", x]}", "between: `max` must be a number"),
        (
            "{judge: {flow: demo/eval, rubric: x}}",
            "judge: flow \"demo/eval\" must be org/project/flow, e.g. demo/support/triage",
        ),
        ("{weight: -1, equals: 1}", "`weight` must be a number >= 0"),
        (
            "{weight: heavy, equals: 1}",
            "`weight` must be a number >= 0",
        ),
        (
            "{levenshtein: {value: a, threshold: high}}",
            "levenshtein: `threshold` must be a number from 0 to 1",
        ),
        // A percentage is text to YAML: the fraction it means is said.
        (
            "{levenshtein: {value: a, threshold: 80%}}",
            "levenshtein: `threshold` must be a number from 0 to 1 (`80%` is text: a fraction is written 0.8)",
        ),
        (
            "{gte: 90%}",
            "gte: expected a number (`90%` is text: a fraction is written 0.9)",
        ),
        (
            "{between: [10%, 1]}",
            "between: `min` must be a number (`10%` is text: a fraction is written 0.1)",
        ),
        (
            "{between: 12.5%}",
            "between: expected a number, [min, max], or {min, max} (`12.5%` is text: a fraction is written 0.125)",
        ),
        (
            "{approx: {value: 1, tolerance: 5%}}",
            "approx: `tolerance` must be a number (`5%` is text: a fraction is written 0.05)",
        ),
        (
            "{weight: 50%, equals: 1}",
            "`weight` must be a number >= 0 (`50%` is text: a fraction is written 0.5)",
        ),
    ] {
        let err = compile(yaml).err().unwrap_or_default();
        assert!(
            err.starts_with(message),
            "{yaml}: {err:?} does not start with {message:?}"
        );
    }
    // Text that ends in `%` but is no percentage gets no fraction.
    assert_eq!(
        compile("{gte: abc%}").err().unwrap_or_default(),
        "gte: expected a number"
    );
}

/// Huge and tiny numbers read in exponent form in labels and details, and a distance too large
/// to round is still a number (it read "inf away", and a bound of 1e300 as 301 digits).
#[test]
fn far_numbers_read_in_exponent_form() {
    let check = compile("{approx: {value: 0, tolerance: 1}}").expect("compiles");
    let outcome = check.evaluate(Some(&json!("1e300")), &Grades::none());
    assert_eq!(outcome.detail.as_deref(), Some("it is 1e300 away"));
    let check = compile("{gte: -1e300}").expect("compiles");
    assert_eq!(
        &*check.evaluate(Some(&json!(1)), &Grades::none()).label,
        "$ gte -1e300"
    );
    let check = compile("{between: [0.0000001, 0.5]}").expect("compiles");
    assert_eq!(
        &*check.evaluate(Some(&json!(1)), &Grades::none()).label,
        "$ is between 1e-7 and 0.5"
    );
}

/// A string holds only text: a number (`contains: 1234`, or a data file's number filled in
/// `contains: "{{order}}"`) is never in it, and the failure says to quote it.
#[test]
fn a_number_looked_for_in_text_says_to_quote_it() {
    for (yaml, needle) in [
        ("{contains: 1234}", "1234"),
        ("{contains_any: [1234, refund]}", "1234"),
        ("{contains_all: [order, 1234]}", "1234"),
        ("{contains: true}", "true"),
    ] {
        let check = compile(yaml).unwrap_or_else(|err| panic!("{yaml}: {err}"));
        let outcome = check.evaluate(Some(&json!("order 1234")), &Grades::none());
        assert!(!outcome.passed, "{yaml}");
        let why = outcome.detail.unwrap_or_default();
        assert!(
            why.contains("a string contains only text") && why.contains(&format!("\"{needle}\"")),
            "{yaml}: {why:?}"
        );
    }
    // Quoted, it is found.
    assert!(passes("{contains: \"1234\"}", &json!("order 1234")));
    // An object's keys are text too.
    let check = compile("{contains: 1}").expect("compiles");
    let outcome = check.evaluate(Some(&json!({"1": true})), &Grades::none());
    assert!(
        outcome
            .detail
            .as_deref()
            .is_some_and(|why| why.contains("an object's keys are text")),
        "{outcome:?}"
    );
}

/// A path that finds nothing in an empty object says it has no keys (it read "its keys: ",
/// with nothing after).
#[test]
fn a_missing_key_of_an_empty_result_says_it_has_no_keys() {
    let check = compile("{path: $.x, equals: 1}").expect("compiles");
    let outcome = check.evaluate(Some(&json!({})), &Grades::none());
    assert_eq!(
        outcome.detail.as_deref(),
        Some("the result has no `x`: it has no keys")
    );
}

/// A JSONPath written without its leading `$` is refused with a hint that shows it with one.
#[test]
fn a_path_without_its_dollar_is_shown_with_one() {
    let help = |yaml: &str| {
        let raw: RawCheck = crate::yaml::from_str(yaml).expect("yaml");
        let files = std::cell::RefCell::default();
        raw.compile(Position::new(1, 1), Path::new("suites"), &files)
            .err()
            .and_then(|err| err.help)
    };
    assert_eq!(
        help("{path: a.b, equals: 1}").as_deref(),
        Some("a JSONPath starts with `$`: `$.a.b`")
    );
    assert_eq!(
        help("{path: \"[0]\", equals: 1}").as_deref(),
        Some("a JSONPath starts with `$`: `$[0]`")
    );
    assert_eq!(
        help("{path: .a, equals: 1}").as_deref(),
        Some("a JSONPath starts with `$`: `$.a`")
    );
    // A path that starts with `$` gets no such hint.
    assert_eq!(help("{path: \"$.a[\", equals: 1}"), None);
}
