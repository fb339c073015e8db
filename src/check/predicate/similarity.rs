//! Text similarity against a reference, each a score in 0..=1 compared with a threshold
//! (default 0.8), and reported:
//! - `levenshtein`: 1 − edit distance / the longer length, over characters.
//! - `jaro_winkler`: the Jaro–Winkler similarity, over characters (favours shared prefixes).
//! - `token_jaccard`: |A ∩ B| / |A ∪ B| over the sets of lowercase word tokens.
//! - `rouge_l`: the F1 of ROUGE-L: with L the longest common subsequence of the token
//!   sequences, precision L/|candidate|, recall L/|reference|, F1 = 2PR/(P+R).
//!
//! Tokens are maximal runs of letters and digits, lowercased. Two empty texts score 1.

use super::{Definition, Predicate, Verdict, text};
use crate::check::grade::Grades;
use serde_json::Value;
use std::sync::Arc;

pub const LEVENSHTEIN: Definition = Definition {
    name: "levenshtein",
    argument: super::Argument::Similarity,
    parse: |v, _| parse(v, Metric::Levenshtein),
    summary: "normalised edit similarity to `value` reaches `threshold` (default 0.8)",
};
pub const JARO_WINKLER: Definition = Definition {
    name: "jaro_winkler",
    argument: super::Argument::Similarity,
    parse: |v, _| parse(v, Metric::JaroWinkler),
    summary: "Jaro-Winkler similarity to `value` reaches `threshold` (default 0.8)",
};
pub const TOKEN_JACCARD: Definition = Definition {
    name: "token_jaccard",
    argument: super::Argument::Similarity,
    parse: |v, _| parse(v, Metric::TokenJaccard),
    summary: "Jaccard similarity of the word sets reaches `threshold` (default 0.8)",
};
pub const ROUGE_L: Definition = Definition {
    name: "rouge_l",
    argument: super::Argument::Similarity,
    parse: |v, _| parse(v, Metric::RougeL),
    summary: "ROUGE-L F1 against `value` reaches `threshold` (default 0.8)",
};

pub const DEFAULT_THRESHOLD: f64 = 0.8;
/// Character metrics are quadratic; longer texts are refused rather than stalling a run.
const MAX_CHARS: usize = 20_000;
const MAX_TOKENS: usize = 5_000;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Metric {
    Levenshtein,
    JaroWinkler,
    TokenJaccard,
    RougeL,
}

#[derive(Debug)]
struct Similarity {
    metric: Metric,
    reference: String,
    threshold: f64,
}

fn parse(value: &Value, metric: Metric) -> Result<Arc<dyn Predicate>, String> {
    let (reference, threshold) = match value {
        Value::String(reference) => (reference.clone(), DEFAULT_THRESHOLD),
        Value::Object(map) => {
            super::only_keys(map, &["value", "threshold"])?;
            let reference = map
                .get("value")
                .and_then(Value::as_str)
                .ok_or("`value` must be the reference text")?;
            let threshold = super::threshold(map, DEFAULT_THRESHOLD)?;
            (reference.to_owned(), threshold)
        }
        _ => return Err("expected the reference text, or {value, threshold}".into()),
    };
    Ok(Arc::new(Similarity {
        metric,
        reference,
        threshold,
    }))
}

pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The score of `candidate` against `reference`, or why it cannot be computed.
pub fn score(metric: Metric, candidate: &str, reference: &str) -> Result<f64, String> {
    match metric {
        Metric::Levenshtein | Metric::JaroWinkler => {
            let longest = candidate.chars().count().max(reference.chars().count());
            if longest > MAX_CHARS {
                return Err(format!(
                    "the text is too long to compare by characters ({longest} > {MAX_CHARS})"
                ));
            }
            Ok(match metric {
                Metric::Levenshtein => strsim::normalized_levenshtein(candidate, reference),
                _ => strsim::jaro_winkler(candidate, reference),
            })
        }
        Metric::TokenJaccard => {
            let a: std::collections::HashSet<String> = tokens(candidate).into_iter().collect();
            let b: std::collections::HashSet<String> = tokens(reference).into_iter().collect();
            let union = a.union(&b).count();
            Ok(if union == 0 {
                1.0
            } else {
                a.intersection(&b).count() as f64 / union as f64
            })
        }
        Metric::RougeL => {
            let (c, r) = (tokens(candidate), tokens(reference));
            if c.len() > MAX_TOKENS || r.len() > MAX_TOKENS {
                return Err(format!(
                    "the text is too long for ROUGE-L (over {MAX_TOKENS} tokens)"
                ));
            }
            if c.is_empty() && r.is_empty() {
                return Ok(1.0);
            }
            let lcs = lcs_len(&c, &r) as f64;
            if lcs == 0.0 {
                return Ok(0.0);
            }
            let (precision, recall) = (lcs / c.len() as f64, lcs / r.len() as f64);
            Ok(2.0 * precision * recall / (precision + recall))
        }
    }
}

/// Longest common subsequence length, in O(|a|·|b|) time and O(|b|) memory.
fn lcs_len(a: &[String], b: &[String]) -> usize {
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diagonal = 0;
        for (j, y) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = if x == y {
                diagonal + 1
            } else {
                above.max(row[j])
            };
            diagonal = above;
        }
    }
    row[b.len()]
}

impl Predicate for Similarity {
    fn evaluate(&self, actual: Option<&Value>, _: &Grades) -> Verdict {
        let candidate = match text(actual) {
            Ok(candidate) => candidate,
            Err(verdict) => return verdict,
        };
        match score(self.metric, candidate, &self.reference) {
            Ok(score) => Verdict::scored(score, self.threshold),
            Err(why) => Verdict::fail(why),
        }
    }

    fn describe(&self) -> String {
        let name = match self.metric {
            Metric::Levenshtein => "levenshtein",
            Metric::JaroWinkler => "jaro_winkler",
            Metric::TokenJaccard => "token_jaccard",
            Metric::RougeL => "rouge_l",
        };
        format!(
            "{name} >= {} to {}",
            self.threshold,
            crate::words::short(&Value::String(self.reference.clone()), 80)
        )
    }

    fn expected_value(&self) -> Option<Value> {
        Some(Value::String(self.reference.clone()))
    }
}
