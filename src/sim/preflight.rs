//! Checks made before any work runs: `blockOverrides` against the version's blocks, and
//! attachments against the vision support of every llm block (MODEL_MIME_INCOMPATIBLE).

use crate::sim::blocks::BlockOverride;
use crate::sim::errors::ApiError;
use crate::sim::llm_models;
use crate::sim::model::Version;
use serde_json::{Map, Value};
use std::collections::HashMap;

/// Overrides by block id. Unknown blocks, non-llm blocks and unknown models are
/// 400 INVALID_BLOCK_OVERRIDE; keys other than `prompt` and `model` are accepted and ignored.
pub fn block_overrides(
    version: &Version,
    raw: &Map<String, Value>,
) -> Result<HashMap<String, BlockOverride>, ApiError> {
    let invalid = |message: String| ApiError::bad_request("INVALID_BLOCK_OVERRIDE", message);
    let mut overrides = HashMap::new();
    for (id, value) in raw {
        let Some(block) = version.blocks.iter().find(|block| &block.id == id) else {
            let ids = version.blocks.iter().map(|block| block.id.as_str());
            return Err(invalid(format!(
                "blockOverrides: there is no block \"{id}\" in this version{}",
                crate::diagnostic::aside_did_you_mean(id, ids)
            )));
        };
        let Some(fields) = value.as_object() else {
            return Err(invalid(format!(
                "blockOverrides.{id} must be an object such as {{\"prompt\": \"...\"}}"
            )));
        };
        let text = |key: &str| -> Result<Option<String>, ApiError> {
            match fields.get(key) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(invalid(format!(
                    "blockOverrides.{id}.{key} must be a string"
                ))),
            }
        };
        let prompt = text("prompt")?;
        let model = match text("model")? {
            Some(name) => Some(llm_models::find(&name).ok_or_else(|| {
                invalid(format!(
                    "blockOverrides.{id}.model: unknown model \"{name}\"{}",
                    crate::diagnostic::aside_did_you_mean(&name, llm_models::names())
                ))
            })?),
            None => None,
        };
        if (prompt.is_some() || model.is_some()) && !block.is_llm() {
            return Err(invalid(format!(
                "blockOverrides.{id}: prompt and model apply only to llm blocks"
            )));
        }
        overrides.insert(id.clone(), BlockOverride { prompt, model });
    }
    Ok(overrides)
}

/// Every llm block receives the attachments, so each must run on a vision model.
pub fn vision(
    version: &Version,
    overrides: &HashMap<String, BlockOverride>,
    has_attachments: bool,
) -> Result<(), ApiError> {
    if !has_attachments {
        return Ok(());
    }
    for block in &version.blocks {
        if let Some(model) = block.effective_model(overrides.get(&block.id))
            && !model.vision
        {
            return Err(ApiError::bad_request(
                "MODEL_MIME_INCOMPATIBLE",
                format!(
                    "Block \"{}\" uses model \"{}\", which does not accept image attachments",
                    block.id, model.name
                ),
            ));
        }
    }
    Ok(())
}
