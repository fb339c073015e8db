//! `${NAME}` in suite strings is replaced by the environment variable NAME; `$${` writes a
//! literal `${`. Interpolation happens on parsed values, so positions stay those of the file.

use serde_json::Value;

/// Why a string could not be interpolated, and the placeholder at fault (`${NAME}`), so that
/// the error can point at it rather than at the start of the string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    pub message: String,
    pub placeholder: String,
}

/// Replace every `${NAME}` in `text` using `lookup`; an unset variable is an error naming it.
pub fn interpolate(
    text: &str,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<String, Unresolved> {
    if !text.contains('$') {
        return Ok(text.to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        if let Some(tail) = after.strip_prefix("$${") {
            out.push_str("${");
            rest = tail;
        } else if let Some(tail) = after.strip_prefix("${") {
            let end = tail.find('}').ok_or_else(|| Unresolved {
                message: format!("unclosed ${{ in {text:?}: write $${{ for a literal ${{"),
                placeholder: "${".into(),
            })?;
            let name = &tail[..end];
            let unresolved = |message: String| Unresolved {
                message,
                placeholder: format!("${{{name}}}"),
            };
            let valid = !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && !name.as_bytes()[0].is_ascii_digit();
            if !valid {
                return Err(unresolved(format!(
                    "\"{name}\" is not an environment variable name"
                )));
            }
            if name == "NOUKAI_API_KEY" || name.starts_with(crate::secret::PROJECT_KEY_PREFIX) {
                // It would travel in request bodies and land in reports, unredacted.
                return Err(unresolved(format!(
                    "an API key ({name}) cannot be used in a suite"
                )));
            }
            let value = lookup(name)
                .ok_or_else(|| unresolved(format!("environment variable {name} is not set")))?;
            out.push_str(&value);
            rest = &tail[end + 1..];
        } else {
            out.push('$');
            rest = &after[1..];
        }
    }
    out.push_str(rest);
    Ok(out)
}

/// Interpolate every string inside a JSON value (keys stay as written).
pub fn interpolate_value(
    value: &Value,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<Value, Unresolved> {
    Ok(match value {
        Value::String(s) => Value::String(interpolate(s, lookup)?),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| interpolate_value(item, lookup))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), interpolate_value(v, lookup)?)))
                .collect::<Result<_, Unresolved>>()?,
        ),
        other => other.clone(),
    })
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
            interpolate("at ${MISSING} here", &env),
            Err(Unresolved {
                message: "environment variable MISSING is not set".into(),
                placeholder: "${MISSING}".into()
            })
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
