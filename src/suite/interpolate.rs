//! `${NAME}` in suite strings is replaced by the environment variable NAME; `$${` writes a
//! literal `${`. Interpolation happens on parsed values, so positions stay those of the file.

use serde_json::Value;

/// Why a string could not be interpolated, and the placeholder at fault (`${NAME}`), so that
/// the error can point at it rather than at the start of the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub message: String,
    pub placeholder: String,
    /// Where the value that holds the placeholder is, when that is not where the error is
    /// said (a field of a case template, for an error said of the case).
    pub at: Option<crate::diagnostic::Position>,
}

/// Replace every `${NAME}` in `text` using `lookup`; every placeholder that cannot be filled
/// (an unset variable, a bad name, an API key) is an error naming it.
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Vec<Unresolved>> {
    if !text.contains('$') {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut errors = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let Some(end) = tail.find('}') else {
                errors.push(Unresolved {
                    message: format!("unclosed ${{ in {text:?}: write $${{ for a literal ${{"),
                    // What follows it, to tell it from a closed `${NAME}` earlier in the text.
                    placeholder: after.to_owned(),
                    at: None,
                });
                rest = "";
                break;
            };
            let name = &tail[..end];
            match fill(name, lookup) {
                Ok(value) => out.push_str(&value),
                Err(message) => errors.push(Unresolved {
                    message,
                    placeholder: format!("${{{name}}}"),
                    at: None,
                }),
            }
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    match errors.is_empty() {
        true => Ok(out),
        false => Err(errors),
    }
}

/// The value of the variable `name`, or why there is none to use.
fn fill(name: &str, lookup: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
    let valid = !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if !valid {
        return Err(format!("\"{name}\" is not an environment variable name"));
    }
    if name == "NOUKAI_API_KEY" || name.starts_with(crate::secret::PROJECT_KEY_PREFIX) {
        // It would travel in request bodies and land in reports, unredacted.
        return Err(format!("an API key ({name}) cannot be used in a suite"));
    }
    lookup(name).ok_or_else(|| format!("environment variable {name} is not set"))
}

/// Interpolate every string inside a JSON value (keys stay as written); every placeholder
/// that cannot be filled is an error.
pub fn interpolate_value(
    value: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, Vec<Unresolved>> {
    let mut errors = Vec::new();
    let filled = fill_value(value, lookup, &mut errors);
    match errors.is_empty() {
        true => Ok(filled),
        false => Err(errors),
    }
}

fn fill_value(
    value: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
    errors: &mut Vec<Unresolved>,
) -> Value {
    match value {
        Value::String(s) => match interpolate(s, lookup) {
            Ok(text) => Value::String(text),
            Err(mut unresolved) => {
                errors.append(&mut unresolved);
                value.clone()
            }
        },
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| fill_value(item, lookup, errors))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_value(v, lookup, errors)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn env(name: &str) -> Option<String> {
        (name == "HOST").then(|| "cdn.example.com".to_owned())
    }

    #[test]
    fn replaces_escapes_and_refuses() {
        assert_eq!(
            interpolate("https://${HOST}/a.png", &env).as_deref(),
            Ok("https://cdn.example.com/a.png")
        );
        assert_eq!(
            interpolate("cost $5 and $${HOST}", &env).as_deref(),
            Ok("cost $5 and ${HOST}")
        );
        assert_eq!(
            interpolate("at ${MISSING} here, ${HOST} and ${1X}", &env),
            Err(vec![
                Unresolved {
                    message: "environment variable MISSING is not set".into(),
                    placeholder: "${MISSING}".into(),
                    at: None,
                },
                Unresolved {
                    message: "\"1X\" is not an environment variable name".into(),
                    placeholder: "${1X}".into(),
                    at: None,
                }
            ])
        );
        assert!(interpolate("${HOST", &env).is_err());
        assert!(interpolate("${1X}", &env).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = interpolate(&s, &env);
        }

        #[test]
        fn text_without_dollar_is_unchanged(s in "[^$]{0,40}") {
            prop_assert_eq!(interpolate(&s, &env), Ok(s.clone()));
        }
    }
}
