//! Secrets never leave: the API key is held in a type that cannot be printed, and signed-URL
//! query strings are cut from anything written out.

use serde_json::Value;
use std::fmt;

/// The API key. `Debug` and `Display` print a placeholder; only [`ApiKey::expose`] reveals it.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into().trim().to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The `Authorization` header that carries the key, marked sensitive so that no layer logs
    /// it; `None` when the key holds a character a header cannot carry (a control character or
    /// non-ASCII text).
    pub fn bearer(&self) -> Option<reqwest::header::HeaderValue> {
        let mut header =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.0)).ok()?;
        header.set_sensitive(true);
        Some(header)
    }

    /// Remove every occurrence of the key from `text` (for error messages from the network).
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        text.replace(&self.0, "[redacted]")
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `https://host/a.png?X-Amz-Signature=...` becomes `https://host/a.png?[redacted]`, whether
/// the text is the URL or holds it (a server's error message quoting the URL, say).
pub fn redact_url(text: &str) -> String {
    static QUERY: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r#"(?i)(https?://[^\s?#"'<>\\]+)\?[^\s#"'<>\\]*"#).ok()
    });
    if !text.contains("://") {
        return text.to_owned();
    }
    match QUERY.as_ref() {
        Some(query) => query.replace_all(text, "$1?[redacted]").into_owned(),
        None => text.to_owned(),
    }
}

/// Redact the query string of every URL inside a JSON value.
pub fn redact_urls(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(redact_url(s)),
        Value::Array(items) => Value::Array(items.iter().map(redact_urls).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_urls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new("nk_test_abcdefgh_0123456789abcdef0123456789abcdef");
        assert_eq!(format!("{key} {key:?}"), "[redacted] ApiKey([redacted])");
        assert_eq!(
            key.scrub(&format!("bad key {}", key.expose())),
            "bad key [redacted]"
        );
    }

    #[test]
    fn signed_url_queries_are_cut() {
        let body = json!({"attachments": [{"url": "https://s3.example.com/a.png?X-Amz-Signature=abc&token=t"}], "message": "what? why?"});
        assert_eq!(
            redact_urls(&body),
            json!({"attachments": [{"url": "https://s3.example.com/a.png?[redacted]"}], "message": "what? why?"})
        );
        assert_eq!(
            redact_url(
                "cannot fetch \"https://cdn.example.com/b.png?sig=abc&token=t#top\" (403); see http://x.example/?a=1"
            ),
            "cannot fetch \"https://cdn.example.com/b.png?[redacted]#top\" (403); see http://x.example/?[redacted]"
        );
        assert_eq!(redact_url("no url? none"), "no url? none");
    }
}
