//! Text transforms: `template`, `uppercase`, `lowercase`, `trim` and `word_count`.
//! All read their input as text; all but `word_count` output `{"text": ...}`.

use crate::sim::template::{Scope, Template, as_text};
use crate::sim::text;
use serde_json::{Value, json};

#[derive(Debug)]
pub enum Transform {
    /// Renders its own template; ignores `input`.
    Template(Template),
    Uppercase,
    Lowercase,
    /// Trims and collapses runs of whitespace into one space.
    Trim,
    /// Outputs `{"count": N}`.
    WordCount,
}

impl Transform {
    pub fn run(&self, input: &Value, scope: &Scope) -> Result<Value, String> {
        let input = as_text(input);
        Ok(match self {
            Transform::Template(template) => json!({ "text": template.render_text(scope)? }),
            Transform::Uppercase => json!({ "text": text::upper(&input) }),
            Transform::Lowercase => json!({ "text": text::lower(&input) }),
            Transform::Trim => json!({ "text": text::squish(&input) }),
            Transform::WordCount => json!({ "count": text::word_count(&input) }),
        })
    }
}
