//! The contract's JSON shapes, as the client sends and reads them. Lenient where the
//! contract says the sources disagree (202 or 200 on submit, `nextStepIndex` or `stepIndex`).

use super::ApiError;
use crate::suite::Request;
use serde_json::{Map, Value, json};

/// The most JSON values (each number, string, literal, array and object, at any depth) the
/// answers to one call may hold. A legal body under the 16 MiB cap can hold 8 million (`[0,0,
/// ...]`), and parsed each took about 150 bytes: over a gigabyte for one case.
pub const MAX_JSON_VALUES: usize = 1_000_000;

/// How many more JSON values a call's answers may hold. Every body, error body and event of
/// the client is parsed through [`ValueBudget::parse`], which counts the values first; a call
/// that streams (step-through) spends one budget on all its events.
#[derive(Debug)]
pub struct ValueBudget {
    left: usize,
}

/// Why [`ValueBudget::parse`] refused a text.
#[derive(Debug)]
pub enum NotParsed {
    /// More values than the budget had left.
    TooManyValues,
    /// Not JSON.
    Syntax(serde_json::Error),
}

impl std::fmt::Display for NotParsed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotParsed::TooManyValues => write!(
                f,
                "the response holds more than {} JSON values",
                crate::words::grouped(MAX_JSON_VALUES as u64)
            ),
            NotParsed::Syntax(err) => write!(f, "{err}"),
        }
    }
}

impl Default for ValueBudget {
    fn default() -> Self {
        ValueBudget {
            left: MAX_JSON_VALUES,
        }
    }
}

impl ValueBudget {
    /// `text` as JSON, once it is known to hold no more values than are left.
    pub fn parse(&mut self, text: &str) -> Result<Value, NotParsed> {
        self.parse_as(text)
    }

    /// `text` read as a `T`, once it is known to hold no more values than are left.
    pub fn parse_as<T: serde::de::DeserializeOwned>(&mut self, text: &str) -> Result<T, NotParsed> {
        let values = count_values(text.as_bytes(), self.left).ok_or(NotParsed::TooManyValues)?;
        let value = serde_json::from_str(text).map_err(NotParsed::Syntax)?;
        self.left -= values;
        Ok(value)
    }
}

impl NotParsed {
    /// The error of a call whose answer `body` could not be read.
    pub fn of_body(self, body: &str) -> ApiError {
        self.of("the body", body)
    }

    /// The error of a call whose `text` (`what`: the body, a step event) could not be read.
    fn of(self, what: &str, text: &str) -> ApiError {
        match self {
            NotParsed::TooManyValues => ApiError::Protocol(self.to_string()),
            // URLs cut before the text is quoted: quoting doubles the `\` of a `\/` that
            // the cut reads as `/`, and a signed URL so written would keep its query.
            NotParsed::Syntax(err) => ApiError::Protocol(format!(
                "{what} is not JSON ({err}): {}",
                crate::words::short(&Value::String(crate::secret::redact_url(text)), 200)
            )),
        }
    }
}

/// How many values the JSON text holds, or `None` once it is more than `most`: one for the
/// text, one after each `,`, and one after each `[` or `{` not closed at once, outside strings.
/// Exact for valid JSON; for text that is not, a count the parser's error follows.
fn count_values(text: &[u8], most: usize) -> Option<usize> {
    let mut count = 1usize;
    // Just after a `[` or `{`: the next byte that is not white space says whether it is empty.
    let mut opened = false;
    let mut at = 0;
    while let Some(&byte) = text.get(at) {
        at += 1;
        if opened && !matches!(byte, b' ' | b'\t' | b'\n' | b'\r') {
            opened = false;
            if !matches!(byte, b']' | b'}') {
                count += 1;
            }
        }
        match byte {
            b'"' => at = after_string(text, at),
            b',' => count += 1,
            b'[' | b'{' => opened = true,
            _ => continue,
        }
        if count > most {
            return None;
        }
    }
    (count <= most).then_some(count)
}

/// Where the string whose text starts at `at` ends: just after its closing quote, or the end
/// of `text`. Strings are most of an answer's bytes: they are crossed a search at a time.
fn after_string(text: &[u8], mut at: usize) -> usize {
    while let Some(rest) = text.get(at..) {
        match memchr::memchr2(b'"', b'\\', rest) {
            Some(found) if rest[found] == b'"' => return at + found + 1,
            // A backslash: the byte after it is escaped, whatever it is.
            Some(found) => at += found + 2,
            None => break,
        }
    }
    text.len()
}

/// The body of `/execute` and `/jobs`.
pub fn run_body(request: &Request) -> Value {
    let mut body = Map::new();
    if let Some(message) = &request.message {
        body.insert("message".into(), Value::String(message.clone()));
    }
    if !request.parameters.is_empty() {
        body.insert(
            "parameters".into(),
            Value::Object(request.parameters.clone()),
        );
    }
    if !request.attachments.is_empty() {
        body.insert("attachments".into(), attachments(request));
    }
    if !request.block_overrides.is_empty() {
        body.insert(
            "block_overrides".into(),
            Value::Object(request.block_overrides.clone()),
        );
    }
    Value::Object(body)
}

fn attachments(request: &Request) -> Value {
    request
        .attachments
        .iter()
        .map(|a| {
            let mut item = json!({"kind": "url", "url": a.url, "mime_type": a.mime_type});
            if let (Some(name), Some(map)) = (&a.filename, item.as_object_mut()) {
                map.insert("filename".into(), Value::String(name.clone()));
            }
            item
        })
        .collect()
}

/// The body of one `/step` call.
pub struct StepCall<'a> {
    pub request: &'a Request,
    pub execution_id: Option<&'a str>,
    pub step_index: usize,
    pub accumulated: &'a Map<String, Value>,
    pub input_overrides: &'a Map<String, Value>,
    pub block_overrides: &'a Map<String, Value>,
    pub run_remaining: bool,
}

pub fn step_body(call: &StepCall<'_>) -> Value {
    let mut body = json!({
        "executionId": call.execution_id,
        "stepIndex": call.step_index,
        "accumulatedOutputs": call.accumulated,
        "message": call.request.message,
        "parameters": call.request.parameters,
        "inputOverrides": call.input_overrides,
        "blockOverrides": call.block_overrides,
        "runRemaining": call.run_remaining,
    });
    if !call.request.attachments.is_empty()
        && let Some(map) = body.as_object_mut()
    {
        map.insert("attachments".into(), attachments(call.request));
    }
    body
}

/// A finished run as `/execute` or a completed job reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReply {
    pub status: String,
    pub result: Value,
    pub block_count: Option<u64>,
    pub execution_id: Option<String>,
}

fn field<'a>(body: &'a Value, name: &str) -> Option<&'a Value> {
    body.as_object().and_then(|map| map.get(name))
}

fn text_field(body: &Value, name: &str) -> Option<String> {
    field(body, name).and_then(Value::as_str).map(str::to_owned)
}

pub fn parse_run_reply(body: &Value) -> Result<RunReply, ApiError> {
    let fields = body.as_object().map(|map| RunFields {
        status: map.get("status").cloned(),
        result: map.get("result").cloned(),
        error: map.get("error").cloned(),
        block_count: map.get("blockCount").cloned(),
        execution_id: map.get("executionId").cloned(),
    });
    match fields.map(RunFields::reply).transpose()?.flatten() {
        Some(reply) => Ok(reply),
        None => Err(no_status(body)),
    }
}

/// A run's answer read from its text: [`parse_run_reply`] of it, without building the
/// answer's other fields (every sync call's answer passes here).
pub fn read_run_reply(text: &str) -> Result<RunReply, ApiError> {
    let parsed = |text| {
        ValueBudget::default()
            .parse(text)
            .map_err(|err| err.of_body(text))
    };
    // Any JSON but an object is no run's answer: said with the answer, as parsed.
    if !text.trim_start().starts_with('{') {
        return parse_run_reply(&parsed(text)?);
    }
    let mut fields: RunFields = ValueBudget::default()
        .parse_as(text)
        .map_err(|err| err.of_body(text))?;
    fields.result = fields.result.map(compact);
    fields.error = fields.error.map(compact);
    match fields.reply()? {
        Some(reply) => Ok(reply),
        None => Err(no_status(&parsed(text)?)),
    }
}

/// `value` without spare room in its objects and arrays. A run's result is kept for the
/// reports until the run ends, and a parsed object has room for up to twice its entries (a
/// one-key object, for three: 200 bytes more a case).
fn compact(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, compact(v))).collect())
        }
        Value::Array(mut items) => {
            items.shrink_to_fit();
            Value::Array(items.into_iter().map(compact).collect())
        }
        other => other,
    }
}

fn no_status(body: &Value) -> ApiError {
    ApiError::Protocol(format!("no `status` in {}", crate::words::short(body, 200)))
}

/// The fields of a run's answer that [`RunReply`] reads, each as the answer wrote it (a
/// field written twice counts as its last, as in a parsed [`Value`]).
#[derive(Default)]
struct RunFields {
    status: Option<Value>,
    result: Option<Value>,
    error: Option<Value>,
    block_count: Option<Value>,
    execution_id: Option<Value>,
}

impl RunFields {
    /// The reply; `None` when the status is missing or not text.
    fn reply(self) -> Result<Option<RunReply>, ApiError> {
        let Some(Value::String(status)) = self.status else {
            return Ok(None);
        };
        let result = match status.as_str() {
            "failed" => self.result.or(self.error).unwrap_or(Value::Null),
            "completed" => self.result.unwrap_or(Value::Null),
            // A run's answer ends it: any other status breaks the contract, an error of the
            // server's (never a failed check, which would read as the flow's regression).
            other => {
                return Err(ApiError::Protocol(format!(
                    "the run's status is {}, neither completed nor failed",
                    crate::words::short(&Value::String(other.to_owned()), 80)
                )));
            }
        };
        Ok(Some(RunReply {
            status,
            result,
            block_count: self.block_count.as_ref().and_then(Value::as_u64),
            execution_id: match self.execution_id {
                Some(Value::String(id)) => Some(id),
                _ => None,
            },
        }))
    }
}

impl<'de> serde::Deserialize<'de> for RunFields {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RunFieldsVisitor)
    }
}

struct RunFieldsVisitor;

impl<'de> serde::de::Visitor<'de> for RunFieldsVisitor {
    type Value = RunFields;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a run's answer")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RunFields, A::Error> {
        let mut fields = RunFields::default();
        while let Some(FieldName(name)) = map.next_key()? {
            let slot = match name {
                Some("status") => &mut fields.status,
                Some("result") => &mut fields.result,
                Some("error") => &mut fields.error,
                Some("blockCount") => &mut fields.block_count,
                Some("executionId") => &mut fields.execution_id,
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    continue;
                }
            };
            *slot = Some(map.next_value()?);
        }
        Ok(fields)
    }
}

/// A key of a run's answer: one [`RunFields`] reads, or `None` for any other.
struct FieldName(Option<&'static str>);

impl<'de> serde::Deserialize<'de> for FieldName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl serde::de::Visitor<'_> for Names {
            type Value = FieldName;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E>(self, name: &str) -> Result<FieldName, E> {
                const READ: [&str; 5] = ["status", "result", "error", "blockCount", "executionId"];
                Ok(FieldName(READ.into_iter().find(|known| *known == name)))
            }
        }
        deserializer.deserialize_identifier(Names)
    }
}

/// `{"detail": {"code", "message"}}`, else `{"detail": "text"}`, else FastAPI's 422 list,
/// else the raw body.
pub fn parse_error_detail(raw: &str) -> (Option<String>, String) {
    let body = match ValueBudget::default().parse(raw) {
        Ok(body) => body,
        Err(too_many @ NotParsed::TooManyValues) => return (None, too_many.to_string()),
        Err(NotParsed::Syntax(_)) => {
            return (
                None,
                crate::words::short(&Value::String(raw.trim().to_owned()), 300),
            );
        }
    };
    match field(&body, "detail") {
        Some(Value::Object(detail)) => (
            detail
                .get("code")
                .and_then(Value::as_str)
                .map(str::to_owned),
            detail
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
        ),
        Some(Value::String(text)) => (None, text.clone()),
        Some(Value::Array(items)) => {
            let messages: Vec<String> = items
                .iter()
                .map(|item| {
                    let loc = field(item, "loc")
                        .and_then(Value::as_array)
                        .map(|parts| {
                            parts
                                .iter()
                                .map(|p| {
                                    p.as_str()
                                        .map(str::to_owned)
                                        .unwrap_or_else(|| p.to_string())
                                })
                                .collect::<Vec<_>>()
                                .join(".")
                        })
                        .unwrap_or_default();
                    let msg = text_field(item, "msg").unwrap_or_default();
                    format!("{loc}: {msg}")
                })
                .collect();
            (Some("VALIDATION_ERROR".into()), messages.join("; "))
        }
        _ => (None, crate::words::short(&body, 300)),
    }
}

/// One event of a step-through stream.
#[derive(Debug, Clone, PartialEq)]
pub enum StepEvent {
    RunStarted {
        execution_id: Option<String>,
        step_count: Option<u64>,
    },
    StepStarted {
        step_id: String,
        index: Option<usize>,
    },
    StepCompleted {
        step_id: String,
        name: Option<String>,
        output: Value,
        duration_ms: Option<u64>,
        tokens: Option<Value>,
        cost_usd: Option<String>,
    },
    StepPaused {
        next_index: Option<usize>,
    },
    StepError {
        step_id: Option<String>,
        error: Value,
    },
    FlowCompleted {
        result: Value,
        summary: Option<Value>,
    },
    /// An event type this client does not know: ignored, as the contract asks.
    Other,
}

/// Decode one SSE frame; the type comes from the `event:` line or the JSON's `eventType`.
pub fn parse_step_event(event: Option<&str>, data: &str) -> Result<StepEvent, ApiError> {
    parse_step_event_within(event, data, &mut ValueBudget::default())
}

/// [`parse_step_event`], spending the stream's `budget` of JSON values.
pub fn parse_step_event_within(
    event: Option<&str>,
    data: &str,
    budget: &mut ValueBudget,
) -> Result<StepEvent, ApiError> {
    let body: Value = budget
        .parse(data)
        .map_err(|err| err.of("step event", data))?;
    let kind = event
        .map(str::to_owned)
        .or_else(|| text_field(&body, "eventType"))
        .unwrap_or_default();
    let index = |name: &str| {
        field(&body, name)
            .and_then(Value::as_u64)
            .map(|n| n as usize)
    };
    let step_id = || text_field(&body, "stepId").unwrap_or_default();
    Ok(match kind.as_str() {
        "run_started" | "flow_started" => StepEvent::RunStarted {
            execution_id: text_field(&body, "executionId"),
            step_count: field(&body, "stepCount").and_then(Value::as_u64),
        },
        "step_started" => StepEvent::StepStarted {
            step_id: step_id(),
            index: index("stepIndex"),
        },
        "step_completed" => StepEvent::StepCompleted {
            step_id: step_id(),
            name: text_field(&body, "name"),
            output: field(&body, "output").cloned().unwrap_or(Value::Null),
            duration_ms: field(&body, "durationMs").and_then(Value::as_u64),
            tokens: field(&body, "tokens").cloned(),
            cost_usd: field(&body, "costUsd").map(|c| {
                c.as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| c.to_string())
            }),
        },
        "step_paused" => StepEvent::StepPaused {
            next_index: index("nextStepIndex").or_else(|| index("stepIndex")),
        },
        "step_error" => StepEvent::StepError {
            step_id: text_field(&body, "stepId"),
            error: field(&body, "error").cloned().unwrap_or(Value::Null),
        },
        "flow_completed" => StepEvent::FlowCompleted {
            result: field(&body, "result").cloned().unwrap_or(Value::Null),
            summary: field(&body, "summary").cloned(),
        },
        _ => StepEvent::Other,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn values_are_counted_outside_strings() {
        use super::count_values;
        let count = |text: &str| count_values(text.as_bytes(), usize::MAX);
        assert_eq!(count("0"), Some(1));
        assert_eq!(count("[]"), Some(1));
        assert_eq!(count("[ ]"), Some(1));
        assert_eq!(count("[0,0,0]"), Some(4));
        assert_eq!(count("[[],{}, [ ] ]"), Some(4));
        assert_eq!(count(r#"{"a":[1,{"b":null}],"c":"x"}"#), Some(6));
        // Commas and brackets inside strings, escaped quotes and backslashes.
        assert_eq!(count(r#"["a,[{", "\\", "\",[", 1]"#), Some(5));
        assert_eq!(count_values(b"[0,0,0]", 3), None);
        assert_eq!(count_values(b"[0,0,0]", 4), Some(4));
    }

    /// The values a parsed JSON text holds: itself and every value inside it.
    fn values_in(value: &serde_json::Value) -> usize {
        1 + match value {
            serde_json::Value::Array(items) => items.iter().map(values_in).sum(),
            serde_json::Value::Object(map) => map.values().map(values_in).sum(),
            _ => 0,
        }
    }

    fn json() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        // Strings full of what counting must skip: quotes, backslashes, commas, brackets.
        let text = r#"[",\\\[\]{}: a\u{e9}\n]{0,6}"#;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<i32>().prop_map(serde_json::Value::from),
            text.prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 32, 5, move |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
                proptest::collection::btree_map(text, inner, 0..5)
                    .prop_map(|map| serde_json::Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn a_compacted_value_writes_the_same(value in json()) {
            let parsed: serde_json::Value = serde_json::from_str(&value.to_string()).unwrap_or_default();
            let compacted = super::compact(parsed.clone());
            // The same value, in the same order.
            proptest::prop_assert_eq!(compacted.to_string(), parsed.to_string());
        }

        #[test]
        fn the_count_is_the_parsed_values(value in json()) {
            let compact = value.to_string();
            let pretty = serde_json::to_string_pretty(&value).unwrap_or_default();
            for text in [compact, pretty] {
                proptest::prop_assert_eq!(
                    super::count_values(text.as_bytes(), usize::MAX),
                    Some(values_in(&value))
                );
            }
        }
    }

    #[test]
    fn a_run_reply_read_from_text_takes_a_field_written_twice_as_its_last() {
        let text =
            r#"{"status": "failed", "result": 1, "status": "completed", "result": {"a": 2}}"#;
        let read = super::read_run_reply(text).map_err(|e| e.to_string());
        let parsed = serde_json::from_str(text)
            .map_err(|e| e.to_string())
            .and_then(|body| super::parse_run_reply(&body).map_err(|e| e.to_string()));
        assert_eq!(read, parsed);
        assert_eq!(read.map(|reply| reply.status), Ok("completed".to_owned()));
    }

    #[test]
    fn a_budget_is_spent_across_texts() {
        use super::{NotParsed, ValueBudget};
        let mut budget = ValueBudget { left: 6 };
        assert!(budget.parse("[1,2]").is_ok());
        assert!(budget.parse("[1,2]").is_ok());
        assert!(matches!(budget.parse("[1]"), Err(NotParsed::TooManyValues)));
        assert!(matches!(
            ValueBudget::default().parse("{"),
            Err(NotParsed::Syntax(_))
        ));
    }

    use super::*;

    #[test]
    fn error_bodies_in_every_documented_form() {
        assert_eq!(
            parse_error_detail(r#"{"detail":{"code":"FLOW_NOT_FOUND","message":"no such flow"}}"#),
            (Some("FLOW_NOT_FOUND".into()), "no such flow".into())
        );
        assert_eq!(
            parse_error_detail(r#"{"detail":"bad"}"#),
            (None, "bad".into())
        );
        assert_eq!(
            parse_error_detail(
                r#"{"detail":[{"loc":["body","message"],"msg":"Field required","type":"missing"}]}"#
            ),
            (
                Some("VALIDATION_ERROR".into()),
                "body.message: Field required".into()
            )
        );
        assert_eq!(
            parse_error_detail("<html>oops</html>"),
            (None, "\"<html>oops</html>\"".into())
        );
    }

    #[test]
    fn paused_reads_either_cursor_name() {
        let docs = parse_step_event(Some("step_paused"), r#"{"nextStepIndex":2}"#);
        let sdk = parse_step_event(None, r#"{"eventType":"step_paused","stepIndex":2}"#);
        assert_eq!(
            docs,
            Ok(StepEvent::StepPaused {
                next_index: Some(2)
            })
        );
        assert_eq!(sdk, docs);
    }
}
