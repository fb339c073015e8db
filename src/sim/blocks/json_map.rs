//! `json_map`: builds an object from templated fields, e.g. a flow's final result.

use crate::sim::template::{Scope, TemplateValue};
use serde_json::Value;

#[derive(Debug)]
pub struct JsonMap {
    /// Always an object (checked at load).
    pub fields: TemplateValue,
}

impl JsonMap {
    pub fn run(&self, scope: &Scope) -> Result<Value, String> {
        self.fields.render(scope)
    }
}
