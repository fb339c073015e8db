//! Normalising an output before it is compared with its snapshot: redact volatile fields,
//! round numbers, sort unordered arrays.

use serde_json::{Number, Value};
use serde_json_path::JsonPath;

/// How a case's output is normalised for its snapshot.
#[derive(Debug, Clone, Default)]
pub struct SnapshotSpec {
    /// Replaced by `"[redacted]"` wherever they match (ids, timestamps).
    pub redact: Vec<JsonPath>,
    /// Decimal places every non-integer number is rounded to.
    pub round: Option<u32>,
    /// Arrays sorted (by their JSON text) wherever they match.
    pub sort: Vec<JsonPath>,
}

pub const REDACTED: &str = "[redacted]";

pub fn normalize(value: &Value, spec: &SnapshotSpec) -> Value {
    let mut value = value.clone();
    for path in &spec.sort {
        for pointer in pointers(path, &value) {
            if let Some(Value::Array(items)) = value.pointer_mut(&pointer) {
                items.sort_by_cached_key(|item| item.to_string());
            }
        }
    }
    for path in &spec.redact {
        for pointer in pointers(path, &value) {
            if let Some(node) = value.pointer_mut(&pointer) {
                *node = Value::String(REDACTED.into());
            }
        }
    }
    if let Some(places) = spec.round {
        round(&mut value, places);
    }
    value
}

fn pointers(path: &JsonPath, value: &Value) -> Vec<String> {
    path.query_located(value)
        .locations()
        .map(|location| location.to_json_pointer())
        .collect()
}

fn round(value: &mut Value, places: u32) {
    match value {
        Value::Number(n) if n.is_f64() => {
            let scale = 10f64.powi(places.min(15) as i32);
            if let Some(rounded) = n
                .as_f64()
                .map(|f| (f * scale).round() / scale)
                .and_then(Number::from_f64)
            {
                *n = rounded;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| round(item, places)),
        Value::Object(map) => map.values_mut().for_each(|item| round(item, places)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(p: &str) -> JsonPath {
        JsonPath::parse(p).unwrap_or_else(|e| panic!("{p}: {e}"))
    }

    #[test]
    fn redacts_rounds_and_sorts() {
        let spec = SnapshotSpec {
            redact: vec![path("$.id"), path("$.items[*].at")],
            round: Some(2),
            sort: vec![path("$.tags")],
        };
        let value = json!({"id": "e-91", "score": 0.91666, "n": 3, "tags": ["b", "a"], "items": [{"at": "12:00", "x": 1.005}]});
        assert_eq!(
            normalize(&value, &spec),
            json!({"id": "[redacted]", "score": 0.92, "n": 3, "tags": ["a", "b"], "items": [{"at": "[redacted]", "x": 1.0}]})
        );
    }

    #[test]
    fn paths_that_match_nothing_change_nothing() {
        let spec = SnapshotSpec {
            redact: vec![path("$.missing")],
            round: None,
            sort: vec![path("$.nope")],
        };
        assert_eq!(
            normalize(&json!({"a": [2, 1]}), &spec),
            json!({"a": [2, 1]})
        );
    }
}
