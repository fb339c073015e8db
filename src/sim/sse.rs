//! Server-Sent Events framing: `event: <type>`, one `data: <json>` line, a blank line. The
//! JSON also carries `eventType`, as Noukai's SDKs expect.

use axum::body::Bytes;
use serde_json::{Map, Value};

pub fn frame(event: &str, payload: Value) -> Bytes {
    let mut fields = Map::new();
    fields.insert("eventType".to_string(), Value::String(event.to_string()));
    if let Value::Object(rest) = payload {
        fields.extend(rest);
    }
    // serde_json escapes newlines inside strings, so the data fits on one line.
    Bytes::from(format!(
        "event: {event}\ndata: {}\n\n",
        Value::Object(fields)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn frames_are_single_data_lines_with_the_event_type() {
        let bytes = frame("step_started", json!({"stepId": "a\nb", "stepIndex": 0}));
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            "event: step_started\ndata: {\"eventType\":\"step_started\",\"stepId\":\"a\\nb\",\"stepIndex\":0}\n\n"
        );
    }
}
