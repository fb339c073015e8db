//! Attachment rules (contract section 6). Shape problems (not a list, not an object, a field of
//! the wrong type) are FastAPI 422s; rule violations are 400s with their own codes:
//! TOO_MANY_ATTACHMENTS, ATTACHMENT_INVALID (missing url or mime_type), ATTACHMENT_KIND_UNSUPPORTED,
//! ATTACHMENT_URL_INVALID, ATTACHMENT_MIME_UNSUPPORTED, ATTACHMENT_FILENAME_INVALID.

use crate::sim::errors::ApiError;
use serde_json::{Value, json};

pub const MAX_ATTACHMENTS: usize = 10;
pub const MAX_URL_CHARS: usize = 2048;
pub const MAX_FILENAME_CHARS: usize = 255;
pub const MIME_TYPES: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/gif"];

#[derive(Debug, Clone)]
pub struct Attachment {
    pub url: String,
    pub mime_type: String,
    pub filename: Option<String>,
}

/// Parse and check `attachments`; `None` or `null` means no attachments.
pub fn parse(value: Option<&Value>) -> Result<Vec<Attachment>, ApiError> {
    let items = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(ApiError::Validation(vec![ApiError::issue(
                &["body", "attachments"],
                "Input should be a valid list",
                "list_type",
            )]));
        }
    };
    let issues = shape_issues(items);
    if !issues.is_empty() {
        return Err(ApiError::Validation(issues));
    }
    if items.len() > MAX_ATTACHMENTS {
        return Err(ApiError::bad_request(
            "TOO_MANY_ATTACHMENTS",
            format!(
                "At most {MAX_ATTACHMENTS} attachments are allowed; got {}",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(index, item)| check(index, item))
        .collect()
}

/// The 422 issues of every item at once, as FastAPI lists them: an item that is not an
/// object, or a field that is not a string (`filename` may also be null).
fn shape_issues(items: &[Value]) -> Vec<Value> {
    let mut issues = Vec::new();
    for (index, item) in items.iter().enumerate() {
        let position = index.to_string();
        let Value::Object(fields) = item else {
            issues.push(ApiError::issue(
                &["body", "attachments", &position],
                "Input should be a valid dictionary or object to extract fields from",
                "model_attributes_type",
            ));
            continue;
        };
        for key in ["kind", "url", "mime_type", "mimeType", "filename"] {
            if let Some(found) = fields.get(key)
                && !found.is_string()
                && !(key == "filename" && found.is_null())
            {
                issues.push(ApiError::issue(
                    &["body", "attachments", &position, key],
                    "Input should be a valid string",
                    "string_type",
                ));
            }
        }
    }
    issues
}

fn check(index: usize, item: &Value) -> Result<Attachment, ApiError> {
    let text = |key: &str| item.get(key).and_then(Value::as_str);
    let kind = text("kind").unwrap_or("url");
    if kind != "url" {
        return Err(ApiError::bad_request(
            "ATTACHMENT_KIND_UNSUPPORTED",
            format!("attachments[{index}].kind must be \"url\"; got \"{kind}\""),
        ));
    }
    let Some(url) = text("url") else {
        return Err(ApiError::bad_request(
            "ATTACHMENT_INVALID",
            format!("attachments[{index}].url is required"),
        ));
    };
    if url.chars().count() > MAX_URL_CHARS {
        return Err(ApiError::bad_request(
            "ATTACHMENT_URL_INVALID",
            format!("attachments[{index}].url is longer than {MAX_URL_CHARS} characters"),
        ));
    }
    let host_present = url
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !host_present || url.chars().any(char::is_whitespace) {
        // The URL itself is not echoed: it may carry a signed query string.
        return Err(ApiError::bad_request(
            "ATTACHMENT_URL_INVALID",
            format!("attachments[{index}].url must be an https:// URL"),
        ));
    }
    let Some(mime_type) = text("mime_type").or_else(|| text("mimeType")) else {
        return Err(ApiError::bad_request(
            "ATTACHMENT_INVALID",
            format!("attachments[{index}].mime_type is required"),
        ));
    };
    if !MIME_TYPES.contains(&mime_type) {
        return Err(ApiError::bad_request(
            "ATTACHMENT_MIME_UNSUPPORTED",
            format!(
                "attachments[{index}].mime_type \"{mime_type}\" is not supported; use one of {}",
                MIME_TYPES.join(", ")
            ),
        ));
    }
    let filename = text("filename").map(str::to_string);
    if let Some(name) = &filename {
        let bad = name.is_empty()
            || name.chars().count() > MAX_FILENAME_CHARS
            || name.contains(['/', '\\'])
            || name.contains("..");
        if bad {
            return Err(ApiError::bad_request(
                "ATTACHMENT_FILENAME_INVALID",
                format!(
                    "attachments[{index}].filename must be 1 to {MAX_FILENAME_CHARS} characters with no '/', '\\' or '..'"
                ),
            ));
        }
    }
    Ok(Attachment {
        url: url.to_string(),
        mime_type: mime_type.to_string(),
        filename,
    })
}

/// What templates see as `attachments`.
pub fn summary(attachments: &[Attachment]) -> Value {
    let list: Vec<Value> = attachments
        .iter()
        .map(|a| {
            let mut item = json!({ "kind": "url", "url": a.url, "mime_type": a.mime_type });
            if let (Some(name), Some(fields)) = (&a.filename, item.as_object_mut()) {
                fields.insert("filename".into(), Value::String(name.clone()));
            }
            item
        })
        .collect();
    let mut summary = json!({
        "count": attachments.len(),
        "mime_types": attachments.iter().map(|a| a.mime_type.clone()).collect::<Vec<_>>(),
    });
    if let (Some(first), Some(fields)) = (list.first(), summary.as_object_mut()) {
        fields.insert("first".into(), first.clone());
    }
    if let Some(fields) = summary.as_object_mut() {
        fields.insert("list".into(), Value::Array(list));
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every shape problem of every item is listed at once (before any 400 rule), in order.
    #[test]
    fn shape_problems_of_all_items_are_one_422() {
        let items = json!([
            1,
            {"url": 3, "mimeType": false, "filename": null},
            {"kind": "file", "filename": 5},
        ]);
        let Err(ApiError::Validation(issues)) = parse(Some(&items)) else {
            panic!("expected a 422");
        };
        let found: Vec<(Value, &str)> = issues
            .iter()
            .map(|issue| (issue["loc"].clone(), issue["type"].as_str().unwrap()))
            .collect();
        assert_eq!(
            found,
            [
                (json!(["body", "attachments", "0"]), "model_attributes_type"),
                (json!(["body", "attachments", "1", "url"]), "string_type"),
                (
                    json!(["body", "attachments", "1", "mimeType"]),
                    "string_type"
                ),
                (
                    json!(["body", "attachments", "2", "filename"]),
                    "string_type"
                ),
            ]
        );
    }

    fn code_of(value: Value) -> String {
        match parse(Some(&value)) {
            Err(ApiError::Coded { code, .. }) => code.to_string(),
            Err(ApiError::Validation(_)) => "422".to_string(),
            Ok(_) => "ok".to_string(),
        }
    }

    #[test]
    fn attachment_rules_have_their_codes() {
        let good = json!({"kind": "url", "url": "https://cdn.example.com/a.png", "mime_type": "image/png", "filename": "a.png"});
        assert_eq!(code_of(json!([good])), "ok");
        assert_eq!(
            code_of(Value::Array(vec![good.clone(); 11])),
            "TOO_MANY_ATTACHMENTS"
        );
        assert_eq!(
            code_of(json!([{"kind": "file", "url": "https://x.io/a", "mime_type": "image/png"}])),
            "ATTACHMENT_KIND_UNSUPPORTED"
        );
        assert_eq!(
            code_of(json!([{"url": "http://x.io/a", "mime_type": "image/png"}])),
            "ATTACHMENT_URL_INVALID"
        );
        let long = format!("https://x.io/{}", "a".repeat(2048));
        assert_eq!(
            code_of(json!([{"url": long, "mime_type": "image/png"}])),
            "ATTACHMENT_URL_INVALID"
        );
        assert_eq!(
            code_of(json!([{"url": "https://x.io/a", "mime_type": "application/pdf"}])),
            "ATTACHMENT_MIME_UNSUPPORTED"
        );
        assert_eq!(
            code_of(json!([{"url": "https://x.io/a"}])),
            "ATTACHMENT_INVALID"
        );
        for bad in ["a/b.png", "a\\b.png", "../a.png", ""] {
            assert_eq!(
                code_of(
                    json!([{"url": "https://x.io/a", "mime_type": "image/png", "filename": bad}])
                ),
                "ATTACHMENT_FILENAME_INVALID"
            );
        }
        assert_eq!(
            code_of(
                json!([{"url": "https://x.io/a", "mime_type": "image/png", "filename": "x".repeat(256)}])
            ),
            "ATTACHMENT_FILENAME_INVALID"
        );
        assert_eq!(code_of(json!("nope")), "422");
        assert_eq!(code_of(json!([1])), "422");
        assert_eq!(code_of(json!([{"url": 5}])), "422");
    }

    #[test]
    fn the_summary_exposes_first_and_mime_types() {
        let parsed = parse(Some(
            &json!([{"url": "https://x.io/a", "mimeType": "image/gif"}]),
        ))
        .unwrap();
        let summary = summary(&parsed);
        assert_eq!(summary["count"], 1);
        assert_eq!(summary["mime_types"], json!(["image/gif"]));
        assert_eq!(summary["first"]["mime_type"], "image/gif");
        assert!(summary["first"].get("filename").is_none());
    }
}
