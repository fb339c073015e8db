//! The JSON Schema of a check, built from the predicate registry so that it lists every
//! predicate with its one-line summary and the shape of its argument, and never drifts.

use super::predicate::{REGISTRY, names};
use super::raw::RawCheck;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde_json::{Map, Value, json};
use std::borrow::Cow;

impl JsonSchema for RawCheck {
    fn schema_name() -> Cow<'static, str> {
        "Check".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let nested = generator.subschema_for::<RawCheck>().to_value();
        let mut properties = Map::new();
        properties.insert(
            "path".into(),
            json!({"type": "string", "description": "an RFC 9535 JSONPath into the value (default $)", "default": "$"}),
        );
        properties.insert(
            "weight".into(),
            json!({"type": "number", "minimum": 0, "description": "this check's share of a weighted score (default 1)"}),
        );
        for definition in REGISTRY {
            let mut argument = definition.argument.schema(&nested);
            if definition.name == "not" {
                // `not: true` negates the check it stands in; `not: {check}` is the combinator.
                argument = json!({"anyOf": [{"type": "boolean"}, argument]});
            }
            if let Value::Object(map) = &mut argument {
                map.insert(
                    "description".into(),
                    Value::String(definition.summary.into()),
                );
            } else {
                argument = json!({"allOf": [argument], "description": definition.summary});
            }
            properties.insert(definition.name.into(), argument);
        }
        let predicates: Vec<&str> = names().filter(|n| *n != "not").collect();
        let schema = json!({
            "type": "object",
            "description": "a check: an optional path, exactly one predicate (oneOf), and optionally not and weight",
            "properties": properties,
            "additionalProperties": false,
            "oneOf": predicates.iter().map(|n| json!({"required": [n]})).chain([json!({"required": ["not"], "properties": {"not": {"type": "object"}}})]).collect::<Vec<_>>(),
        });
        Schema::try_from(schema).unwrap_or_else(|_| Schema::from(true))
    }
}

/// The JSON Schema of the suite format.
pub fn suite_schema() -> Value {
    let mut schema =
        schemars::SchemaGenerator::default().into_root_schema_for::<crate::suite::raw::RawSuite>();
    schema.insert("title".into(), json!("flowcheck suite"));
    schema.insert(
        "$id".into(),
        json!("https://flowcheck.dev/schema/suite.json"),
    );
    schema.to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_predicate_and_field_is_in_the_schema() {
        let schema = suite_schema();
        let check = &schema["$defs"]["Check"]["properties"];
        for name in names().chain(["path", "weight"]) {
            assert!(
                check.get(name).is_some(),
                "{name} is missing from the schema"
            );
        }
        let case = &schema["$defs"]["Case"]["properties"];
        for field in [
            "name",
            "message",
            "attachments",
            "steps",
            "expect",
            "pass_if",
            "repeat",
        ] {
            assert!(case.get(field).is_some(), "case field {field} is missing");
        }
        assert_eq!(schema["additionalProperties"], json!(false));
    }
}
