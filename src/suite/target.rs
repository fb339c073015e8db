//! Flow references (`org/project/flow`) and version targets (`production`, `v2`, ...).

use std::fmt;

/// Which version of a flow a case runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    Production,
    /// A published version; 0 is the draft.
    Version(u32),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, String> {
        if text == "production" {
            return Ok(Target::Production);
        }
        if text == "draft" {
            return Ok(Target::Version(0));
        }
        text.strip_prefix('v')
            .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|digits| digits.parse().ok())
            .map(Target::Version)
            .ok_or_else(|| {
                format!("unknown target \"{text}\": use production, draft, or a version such as v2")
            })
    }

    /// The path segment inserted before the action, e.g. `/v2`; empty for production.
    pub fn path_segment(self) -> String {
        match self {
            Target::Production => String::new(),
            Target::Version(n) => format!("/v{n}"),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Production => f.write_str("production"),
            Target::Version(n) => write!(f, "v{n}"),
        }
    }
}

/// `org/project/flow`, each part a valid Noukai slug.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowRef {
    pub org: String,
    pub project: String,
    pub flow: String,
}

impl FlowRef {
    pub fn parse(text: &str) -> Result<FlowRef, String> {
        let parts: Vec<&str> = text.split('/').collect();
        let [org, project, flow] = parts.as_slice() else {
            return Err(format!(
                "flow \"{text}\" must be org/project/flow, e.g. demo/support/triage"
            ));
        };
        for part in [org, project, flow] {
            check_slug(part)?;
        }
        Ok(FlowRef {
            org: (*org).to_owned(),
            project: (*project).to_owned(),
            flow: (*flow).to_owned(),
        })
    }
}

impl fmt::Display for FlowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.org, self.project, self.flow)
    }
}

/// Noukai's slug rule: 2-50 of lowercase letters, digits and hyphens, no hyphen at either end.
pub fn check_slug(slug: &str) -> Result<(), String> {
    let valid_chars = slug
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !(2..=50).contains(&slug.len()) {
        Err(format!("slug \"{slug}\" must be 2 to 50 characters long"))
    } else if !valid_chars {
        Err(format!(
            "slug \"{slug}\" may hold only lowercase letters, digits and hyphens"
        ))
    } else if slug.starts_with('-') || slug.ends_with('-') {
        Err(format!(
            "slug \"{slug}\" must not start or end with a hyphen"
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn targets_parse_and_print_back() {
        for text in ["production", "v0", "v2", "v17"] {
            assert_eq!(
                Target::parse(text).map(|t| t.to_string()),
                Ok(text.to_owned())
            );
        }
        assert_eq!(Target::parse("draft"), Ok(Target::Version(0)));
        for bad in ["prod", "v", "v-1", "V2", "2", "v2x"] {
            assert!(Target::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn flow_refs_follow_the_slug_rules() {
        assert!(FlowRef::parse("demo/support/triage").is_ok());
        for bad in [
            "demo/support",
            "demo/Support/triage",
            "demo/-x/triage",
            "d/support/triage",
            "a/b/c/d",
        ] {
            assert!(FlowRef::parse(bad).is_err(), "{bad} should be refused");
        }
    }

    proptest! {
        #[test]
        fn slug_check_never_panics_and_valid_slugs_pass(s in "\\PC{0,60}") {
            let _ = check_slug(&s);
            let _ = FlowRef::parse(&s);
            let _ = Target::parse(&s);
        }

        #[test]
        fn generated_valid_slugs_pass(s in "[a-z0-9][a-z0-9-]{0,48}[a-z0-9]") {
            prop_assert!(check_slug(&s).is_ok());
        }
    }
}
