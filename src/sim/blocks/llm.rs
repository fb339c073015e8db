//! `llm`: a deterministic stand-in for a language model.
//!
//! It "answers" with decision rules over its input text (first matching rule per group wins),
//! a templated output, or a seeded pick among `variants` to imitate a nondeterministic model.
//! `prompt_rules` let a prompt (for example one changed through `blockOverrides`) change the
//! answer, so that prompt experiments have a visible effect. Tokens are word counts.

use crate::sim::blocks::{BlockContext, Produced, Usage};
use crate::sim::llm_models::LlmModel;
use crate::sim::template::{Scope, Template, TemplateValue, as_text};
use crate::sim::text;
use serde_json::{Map, Value};

#[derive(Debug)]
pub struct Llm {
    pub model: &'static LlmModel,
    pub prompt: Template,
    pub decide: Vec<Decision>,
    pub output: LlmOutput,
    pub prompt_rules: Vec<PromptRule>,
}

/// A group of rules; the first that matches sets its fields, else `otherwise` does.
#[derive(Debug)]
pub struct Decision {
    pub rules: Vec<Rule>,
    pub otherwise: Option<TemplateValue>,
}

#[derive(Debug)]
pub struct Rule {
    /// Lowercased; matches when the lowercased input contains any of them.
    pub if_contains: Vec<String>,
    pub if_attachments: Option<bool>,
    pub set: TemplateValue,
}

#[derive(Debug)]
pub enum LlmOutput {
    /// The merged decisions are the output.
    Decisions,
    Template(TemplateValue),
    Variants(Vec<TemplateValue>),
}

#[derive(Debug)]
pub struct PromptRule {
    pub if_contains: Vec<String>,
    pub apply: CaseChange,
}

#[derive(Debug, Clone, Copy)]
pub enum CaseChange {
    Upper,
    Lower,
}

impl Llm {
    pub fn run(&self, input: &Value, context: &BlockContext) -> Result<Produced, String> {
        let input_text = as_text(input);
        let lowered = input_text.to_lowercase();
        let model = context
            .block_override
            .and_then(|o| o.model)
            .unwrap_or(self.model);
        let prompt = match context.block_override.and_then(|o| o.prompt.as_ref()) {
            Some(prompt) => prompt.clone(),
            None => self.prompt.render_text(&context.scope)?,
        };

        let mut decision = Map::new();
        for group in &self.decide {
            let chosen = group
                .rules
                .iter()
                .find(|rule| rule.matches(&lowered, context.has_attachments))
                .map(|rule| &rule.set)
                .or(group.otherwise.as_ref());
            if let Some(Value::Object(fields)) =
                chosen.map(|set| set.render(&context.scope)).transpose()?
            {
                decision.extend(fields);
            }
        }
        let decision = Value::Object(decision);

        let scope = Scope {
            decision: Some(&decision),
            prompt: Some(&prompt),
            ..context.scope
        };
        let mut output = match &self.output {
            LlmOutput::Decisions => decision.clone(),
            LlmOutput::Template(template) => template.render(&scope)?,
            LlmOutput::Variants(variants) => {
                let pick =
                    fastrand::Rng::with_seed(context.variant_seed).usize(..variants.len().max(1));
                match variants.get(pick) {
                    Some(variant) => variant.render(&scope)?,
                    None => Value::Null,
                }
            }
        };

        let prompt_lowered = prompt.to_lowercase();
        for rule in &self.prompt_rules {
            if rule
                .if_contains
                .iter()
                .any(|word| prompt_lowered.contains(word.as_str()))
            {
                change_case(&mut output, rule.apply);
            }
        }

        let prompt_tokens = (text::word_count(&prompt) + text::word_count(&input_text)) as u64;
        let completion_tokens = count_words(&output).max(1);
        Ok(Produced {
            output,
            usage: Some(Usage {
                prompt_tokens,
                completion_tokens,
                cost_usd: model.cost_usd(prompt_tokens, completion_tokens),
            }),
        })
    }
}

impl Rule {
    fn matches(&self, lowered_input: &str, has_attachments: bool) -> bool {
        let words_match = self.if_contains.is_empty()
            || self
                .if_contains
                .iter()
                .any(|word| lowered_input.contains(word.as_str()));
        let attachments_match = self
            .if_attachments
            .is_none_or(|wanted| wanted == has_attachments);
        words_match && attachments_match
    }
}

fn change_case(value: &mut Value, change: CaseChange) {
    match value {
        Value::String(text) => {
            *text = match change {
                CaseChange::Upper => text::upper(text),
                CaseChange::Lower => text::lower(text),
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|item| change_case(item, change)),
        Value::Object(fields) => fields
            .values_mut()
            .for_each(|item| change_case(item, change)),
        _ => {}
    }
}

fn count_words(value: &Value) -> u64 {
    match value {
        Value::String(text) => text::word_count(text) as u64,
        Value::Array(items) => items.iter().map(count_words).sum(),
        Value::Object(fields) => fields.values().map(count_words).sum(),
        Value::Null => 0,
        _ => 1,
    }
}
