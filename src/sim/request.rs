//! Reading request bodies. Malformed JSON and wrongly shaped fields are FastAPI-style 422s,
//! never 5xx; `parameters.attachments` is 400 PARAMETER_NAME_RESERVED; attachment rules are in
//! `attachments`.

use crate::sim::attachments::{self, Attachment};
use crate::sim::errors::ApiError;
use serde_json::{Map, Value};

/// The body of `/execute` and `/jobs`.
#[derive(Debug)]
pub struct RunBody {
    pub message: Option<String>,
    pub parameters: Map<String, Value>,
    pub attachments: Vec<Attachment>,
    pub block_overrides: Map<String, Value>,
}

/// The body of `/step`.
#[derive(Debug)]
pub struct StepBody {
    pub execution_id: Option<String>,
    pub step_index: i64,
    pub accumulated_outputs: Map<String, Value>,
    pub input_overrides: Map<String, Value>,
    pub run_remaining: bool,
    pub run: RunBody,
}

pub fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::Validation(vec![ApiError::issue(
            &["body"],
            "Field required",
            "missing",
        )]));
    }
    serde_json::from_slice(bytes).map_err(|err| {
        ApiError::Validation(vec![serde_json::json!({
            "type": "json_invalid",
            "loc": ["body", err.column()],
            "msg": "JSON decode error",
            "ctx": { "error": err.to_string() },
        })])
    })
}

/// Collects every shape problem, as FastAPI reports them all at once.
struct Fields<'a> {
    body: &'a Map<String, Value>,
    issues: Vec<Value>,
}

impl<'a> Fields<'a> {
    /// The fields every run body has after `message`; any issue collected so far (including
    /// the caller's) makes the 422.
    fn into_run(mut self, message: Option<String>) -> Result<RunBody, ApiError> {
        let parameters = self.object("parameters");
        let block_overrides = self.block_overrides();
        // Shape problems of the attachments join the others; what they break beyond their
        // shape (a bad URL, say) is said once the shape is right.
        let attachments = match attachments::parse(self.body.get("attachments")) {
            Err(ApiError::Validation(issues)) => {
                self.issues.extend(issues);
                Ok(Vec::new())
            }
            other => other,
        };
        if !self.issues.is_empty() {
            return Err(ApiError::Validation(self.issues));
        }
        let attachments = attachments?;
        check_parameters(&parameters)?;
        Ok(RunBody {
            message,
            parameters,
            attachments,
            block_overrides,
        })
    }

    fn string(&mut self, key: &str) -> Option<String> {
        match self.body.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(_) => {
                self.issues.push(ApiError::issue(
                    &["body", key],
                    "Input should be a valid string",
                    "string_type",
                ));
                None
            }
        }
    }

    fn object(&mut self, key: &str) -> Map<String, Value> {
        match self.body.get(key) {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(fields)) => fields.clone(),
            Some(_) => {
                self.issues.push(ApiError::issue(
                    &["body", key],
                    "Input should be a valid dictionary",
                    "dict_type",
                ));
                Map::new()
            }
        }
    }

    fn block_overrides(&mut self) -> Map<String, Value> {
        // The docs spell it `block_overrides`, the SDKs `blockOverrides`: accept both.
        let mut merged = self.object("block_overrides");
        merged.extend(self.object("blockOverrides"));
        merged
    }
}

fn as_object(value: &Value) -> Result<&Map<String, Value>, ApiError> {
    value.as_object().ok_or_else(|| {
        ApiError::Validation(vec![ApiError::issue(
            &["body"],
            "Input should be a valid dictionary or object to extract fields from",
            "model_attributes_type",
        )])
    })
}

/// `message_required`: whether a missing `message` is a 422 (it is unless the flow says so).
pub fn run_body(value: &Value, message_required: bool) -> Result<RunBody, ApiError> {
    let mut fields = Fields {
        body: as_object(value)?,
        issues: Vec::new(),
    };
    let message = fields.string("message");
    if message_required && fields.body.get("message").is_none_or(Value::is_null) {
        fields.issues.push(ApiError::issue(
            &["body", "message"],
            "Field required",
            "missing",
        ));
    }
    fields.into_run(message)
}

pub fn step_body(value: &Value) -> Result<StepBody, ApiError> {
    let mut fields = Fields {
        body: as_object(value)?,
        issues: Vec::new(),
    };
    let execution_id = fields.string("executionId");
    let step_index = match fields.body.get("stepIndex") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(number)) if number.as_i64().is_some() => {
            number.as_i64().unwrap_or_default()
        }
        Some(_) => {
            fields.issues.push(ApiError::issue(
                &["body", "stepIndex"],
                "Input should be a valid integer",
                "int_type",
            ));
            0
        }
    };
    let run_remaining = match fields.body.get("runRemaining") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(flag)) => *flag,
        Some(_) => {
            fields.issues.push(ApiError::issue(
                &["body", "runRemaining"],
                "Input should be a valid boolean",
                "bool_type",
            ));
            false
        }
    };
    let accumulated_outputs = fields.object("accumulatedOutputs");
    let input_overrides = fields.object("inputOverrides");
    let message = fields.string("message");
    let run = fields.into_run(message)?;
    Ok(StepBody {
        execution_id,
        step_index,
        accumulated_outputs,
        input_overrides,
        run_remaining,
        run,
    })
}

fn check_parameters(parameters: &Map<String, Value>) -> Result<(), ApiError> {
    if parameters.contains_key("attachments") {
        return Err(ApiError::bad_request(
            "PARAMETER_NAME_RESERVED",
            "\"attachments\" is a reserved parameter name; send attachments in the top-level `attachments` field",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn issues(result: Result<RunBody, ApiError>) -> Vec<Value> {
        match result {
            Err(ApiError::Validation(issues)) => issues,
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn a_missing_message_is_fastapis_field_required() {
        let found = issues(run_body(&json!({"parameters": {}}), true));
        assert_eq!(
            found,
            vec![json!({"type": "missing", "loc": ["body", "message"], "msg": "Field required"})]
        );
        assert!(run_body(&json!({}), false).is_ok());
    }

    #[test]
    fn wrong_shapes_are_422s() {
        assert_eq!(
            issues(run_body(&json!({"message": "x", "parameters": [1]}), true))[0]["type"],
            "dict_type"
        );
        assert_eq!(
            issues(run_body(&json!({"message": 3}), true))[0]["type"],
            "string_type"
        );
        assert_eq!(
            issues(run_body(&json!([1]), true))[0]["type"],
            "model_attributes_type"
        );
        assert!(matches!(parse_json(b"{nope"), Err(ApiError::Validation(_))));
        assert!(matches!(parse_json(b""), Err(ApiError::Validation(_))));
    }

    #[test]
    fn both_override_spellings_are_read_and_attachments_is_reserved() {
        let body = run_body(
            &json!({"message": "x", "block_overrides": {"a": {}}, "blockOverrides": {"b": {}}}),
            true,
        )
        .unwrap();
        assert_eq!(body.block_overrides.len(), 2);
        let reserved = run_body(
            &json!({"message": "x", "parameters": {"attachments": []}}),
            true,
        );
        assert!(matches!(
            reserved,
            Err(ApiError::Coded {
                code: "PARAMETER_NAME_RESERVED",
                ..
            })
        ));
    }
}
