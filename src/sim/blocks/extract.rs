//! `extract`: a regex capture from text (`{"text": ...}`) or a field from a JSON input
//! (`{"value": ...}`), with an optional templated fallback.

use crate::sim::template::{Scope, Template, as_text};
use regex::Regex;
use serde_json::{Value, json};

#[derive(Debug)]
pub enum Extract {
    Pattern {
        regex: Regex,
        group: usize,
        default: Option<Template>,
    },
    Field {
        path: Vec<String>,
        default: Option<Template>,
    },
}

impl Extract {
    pub fn run(&self, input: &Value, scope: &Scope) -> Result<Value, String> {
        match self {
            Extract::Pattern {
                regex,
                group,
                default,
            } => {
                let text = as_text(input);
                let found = regex
                    .captures(&text)
                    .and_then(|caps| caps.get(*group))
                    .map(|m| m.as_str().to_string());
                match (found, default) {
                    (Some(found), _) => Ok(json!({ "text": found })),
                    (None, Some(default)) => Ok(json!({ "text": default.render_text(scope)? })),
                    (None, None) => Err(format!(
                        "pattern /{}/ did not match the input",
                        regex.as_str()
                    )),
                }
            }
            Extract::Field { path, default } => {
                let mut current = Some(input);
                for segment in path {
                    current = match current {
                        Some(Value::Object(fields)) => fields.get(segment),
                        Some(Value::Array(items)) => {
                            segment.parse::<usize>().ok().and_then(|i| items.get(i))
                        }
                        _ => None,
                    };
                }
                match (current, default) {
                    (Some(found), _) => Ok(json!({ "value": found })),
                    (None, Some(default)) => Ok(json!({ "value": default.render(scope)? })),
                    (None, None) => Err(format!("the input has no field \"{}\"", path.join("."))),
                }
            }
        }
    }
}
