//! The one YAML dialect flowcheck reads, in suites, data files, flow definitions and gate
//! policies: YAML 1.2's core schema, so only `true` and `false` (in any case) are booleans.
//! Under YAML 1.1's, unquoted `y`, `n`, `yes`, `no`, `on` and `off` were booleans too, and
//! `one_of: [NO, SE]` held `false` (the "Norway problem").

use serde::de::DeserializeOwned;

/// The reader's options: YAML 1.2 booleans, the rest as serde-saphyr sets them (duplicate
/// keys refused, merge keys expanded, a budget against alias bombs).
pub fn options() -> serde_saphyr::Options {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options
}

/// Read `text` as a `T`, in flowcheck's dialect.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, serde_saphyr::Error> {
    serde_saphyr::from_str_with_options(text, options())
}

/// Why a `yes` is no boolean, wherever one is refused.
pub const ONLY_TRUE_AND_FALSE: &str = "YAML 1.2 reads only true and false as booleans";

/// Whether YAML 1.1 read `text`, unquoted, as a boolean where YAML 1.2 reads text.
pub fn was_a_boolean(text: &str) -> bool {
    ["y", "n", "yes", "no", "on", "off"]
        .iter()
        .any(|word| text.eq_ignore_ascii_case(word))
}

/// A boolean where one is wanted: `true` or `false`, or that text (any case), as a data
/// file's values are text (`exists: "{{present}}"` with a CSV's `true`).
pub fn boolean(value: &serde_json::Value) -> Option<bool> {
    match value {
        serde_json::Value::Bool(flag) => Some(*flag),
        serde_json::Value::String(text) if text.trim().eq_ignore_ascii_case("true") => Some(true),
        serde_json::Value::String(text) if text.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// What to say where a boolean was wanted and `found` came: a `yes` is named, with why it
/// is no boolean.
pub fn expected_boolean(found: &serde_json::Value) -> String {
    format!("expected true or false{}", not_a_boolean(found))
}

/// `, not `yes` (...)` to add where a boolean (or something else) was wanted and `found` is a
/// YAML 1.1 boolean word; empty for anything else.
pub fn not_a_boolean(found: &serde_json::Value) -> String {
    match found {
        serde_json::Value::String(text) if was_a_boolean(text) => {
            format!(", not `{text}` ({ONLY_TRUE_AND_FALSE})")
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    #[test]
    fn only_true_and_false_are_booleans() {
        let value: Result<Value, _> = from_str("[NO, y, n, yes, on, off, True, FALSE]");
        assert_eq!(
            value.ok(),
            Some(json!(["NO", "y", "n", "yes", "on", "off", true, false]))
        );
    }

    #[test]
    fn a_yaml_1_1_boolean_where_a_boolean_is_wanted_is_refused() {
        #[derive(serde::Deserialize)]
        struct Flag {
            #[allow(dead_code)]
            on: bool,
        }
        assert!(from_str::<Flag>("on: yes").is_err());
        assert!(from_str::<Flag>("on: true").is_ok());
    }
}
