//! The model names an `llm` block may use: whether each accepts images, and what it costs.
//! The figures are illustrative, not Noukai's price list; they only make `costUsd` realistic.

#[derive(Debug)]
pub struct LlmModel {
    pub name: &'static str,
    pub vision: bool,
    /// US dollars per million prompt tokens.
    pub prompt_per_million: f64,
    /// US dollars per million completion tokens.
    pub completion_per_million: f64,
}

pub const MODELS: &[LlmModel] = &[
    LlmModel {
        name: "nk-text-1",
        vision: false,
        prompt_per_million: 0.50,
        completion_per_million: 1.50,
    },
    LlmModel {
        name: "nk-text-2",
        vision: false,
        prompt_per_million: 1.00,
        completion_per_million: 3.00,
    },
    LlmModel {
        name: "nk-vision-1",
        vision: true,
        prompt_per_million: 2.50,
        completion_per_million: 10.00,
    },
    LlmModel {
        name: "gpt-4o",
        vision: true,
        prompt_per_million: 2.50,
        completion_per_million: 10.00,
    },
    LlmModel {
        name: "gpt-4o-mini",
        vision: true,
        prompt_per_million: 0.15,
        completion_per_million: 0.60,
    },
    LlmModel {
        name: "gpt-3.5-turbo",
        vision: false,
        prompt_per_million: 0.50,
        completion_per_million: 1.50,
    },
];

pub fn find(name: &str) -> Option<&'static LlmModel> {
    MODELS.iter().find(|model| model.name == name)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    MODELS.iter().map(|model| model.name)
}

impl LlmModel {
    pub fn cost_usd(&self, prompt_tokens: u64, completion_tokens: u64) -> f64 {
        (prompt_tokens as f64 * self.prompt_per_million
            + completion_tokens as f64 * self.completion_per_million)
            / 1_000_000.0
    }
}
