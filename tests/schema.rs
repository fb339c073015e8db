//! `flowcheck schema`: the printed JSON Schema accepts every example suite and refuses the
//! mistakes the loader refuses (unknown keys, unknown predicates).

mod common;

use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let result = common::run(&["schema"]);
    assert_eq!(result.code, 0, "{}", result.all());
    let schema: Value = serde_json::from_str(&result.stdout).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn yaml(path: &std::path::Path) -> Value {
    serde_saphyr::from_str(&common::read(path)).expect("the suite is YAML")
}

#[test]
fn every_example_suite_matches_the_schema() {
    let validator = validator();
    let mut checked = 0;
    for entry in std::fs::read_dir("suites").expect("suites/").flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let errors: Vec<String> = validator
                .iter_errors(&yaml(&path))
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{}: {}",
                path.display(),
                errors.join("; ")
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "only {checked} suites checked");
}

#[test]
fn the_schema_refuses_what_the_loader_refuses() {
    let validator = validator();
    for name in [
        "unknown_key",
        "unknown_predicate",
        "two_predicates",
        "missing_field",
    ] {
        let suite = yaml(&common::fixture(&format!("invalid/{name}.yaml")));
        assert!(
            !validator.is_valid(&suite),
            "{name} should not match the schema"
        );
    }
}

/// A number predicate's bound may be text, as a data placeholder is: what loads, the schema
/// accepts (an editor would otherwise mark a valid suite).
#[test]
fn number_bounds_may_be_data_placeholders() {
    let validator = validator();
    let suite: Value = serde_saphyr::from_str(
        r#"suite: bounds
flow: demo/support/triage
cases_from:
  - file: data/limits.csv
    case:
      name: "{{message}}"
      message: "{{message}}"
      expect:
        output:
          - {path: $.confidence, gte: "{{min}}"}
          - {path: $.confidence, between: ["{{min}}", "{{max}}"]}
          - {path: $.confidence, approx: {value: "{{expected}}", tolerance: "0.01"}}
"#,
    )
    .expect("YAML");
    let errors: Vec<String> = validator
        .iter_errors(&suite)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
}
