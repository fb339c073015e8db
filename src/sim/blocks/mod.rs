//! The block kinds a flow is built from. Each kind lives in its own file; this file holds
//! what every block shares and dispatches to the kind.

pub mod extract;
pub mod json_map;
pub mod llm;
pub mod passthrough;
pub mod transform;

use crate::sim::llm_models::LlmModel;
use crate::sim::template::{Scope, TemplateValue};
use serde_json::Value;

/// Every block kind a definition may name.
pub const KINDS: &[&str] = &[
    "llm",
    "template",
    "extract",
    "uppercase",
    "lowercase",
    "trim",
    "word_count",
    "json_map",
    "passthrough",
];

#[derive(Debug)]
pub struct Block {
    pub id: String,
    pub name: String,
    /// What the block reads; rendered against the run's scope before the block runs.
    pub input: TemplateValue,
    pub kind: BlockKind,
}

#[derive(Debug)]
pub enum BlockKind {
    Llm(llm::Llm),
    Transform(transform::Transform),
    Extract(extract::Extract),
    JsonMap(json_map::JsonMap),
    Passthrough,
}

/// A per-request change to one llm block (`blockOverrides`), already checked.
#[derive(Debug, Clone, Default)]
pub struct BlockOverride {
    pub prompt: Option<String>,
    pub model: Option<&'static LlmModel>,
}

/// What a block sees when it runs.
pub struct BlockContext<'a> {
    pub scope: Scope<'a>,
    pub block_override: Option<&'a BlockOverride>,
    pub has_attachments: bool,
    /// Seeds the choice among an llm block's `variants`.
    pub variant_seed: u64,
}

#[derive(Debug, Clone, Copy)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_usd: f64,
}

#[derive(Debug)]
pub struct Produced {
    pub output: Value,
    /// Only llm blocks use tokens.
    pub usage: Option<Usage>,
}

impl Block {
    pub fn is_llm(&self) -> bool {
        matches!(self.kind, BlockKind::Llm(_))
    }

    /// The model this block runs with once `blockOverrides` apply; `None` for code blocks.
    pub fn effective_model(
        &self,
        block_override: Option<&BlockOverride>,
    ) -> Option<&'static LlmModel> {
        match &self.kind {
            BlockKind::Llm(llm) => Some(block_override.and_then(|o| o.model).unwrap_or(llm.model)),
            _ => None,
        }
    }

    /// Run the block. An `Err` is a step error (the run fails), never a server error.
    pub fn run(&self, context: &BlockContext) -> Result<Produced, String> {
        let input = self.input.render(&context.scope)?;
        let output = match &self.kind {
            BlockKind::Llm(llm) => return llm.run(&input, context),
            BlockKind::Transform(transform) => transform.run(&input, &context.scope)?,
            BlockKind::Extract(extract) => extract.run(&input, &context.scope)?,
            BlockKind::JsonMap(map) => map.run(&context.scope)?,
            BlockKind::Passthrough => passthrough::run(input),
        };
        Ok(Produced {
            output,
            usage: None,
        })
    }
}
