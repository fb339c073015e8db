//! Checking a parsed flow definition and turning it into the runnable model. Every problem is
//! reported at the YAML node it concerns, so the message can say `file:line:col`.

use crate::sim::blocks::extract::Extract;
use crate::sim::blocks::json_map::JsonMap;
use crate::sim::blocks::llm::{CaseChange, Decision, Llm, LlmOutput, PromptRule, Rule};
use crate::sim::blocks::transform::Transform;
use crate::sim::blocks::{Block, BlockKind, KINDS};
use crate::sim::definition::{
    RawBlock, RawFaults, RawFlow, RawLatency, RawRule, RawSchedule, RawVersion,
};
use crate::sim::faults::{FailFault, Faults, HttpFault, HttpFaultKind, Schedule};
use crate::sim::latency::Latency;
use crate::sim::llm_models::LlmModel;
use crate::sim::model::{Flow, Knobs, Version};
use crate::sim::template::{Allowed, Template, TemplateValue};
use crate::sim::{llm_models, seed, slug};
use serde_json::Value;
use serde_saphyr::{Location, Spanned};
use std::collections::BTreeMap;
use std::sync::Arc;

/// A problem at a place in the file being compiled.
#[derive(Debug)]
pub struct Problem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

type Checked<T> = Result<T, Problem>;

fn problem<T>(at: &Location, message: impl Into<String>) -> Checked<T> {
    Err(Problem {
        line: at.line().max(1),
        column: at.column().max(1),
        message: message.into(),
    })
}

pub fn flow(raw: RawFlow, source: &str) -> Checked<Flow> {
    slugs(&raw)?;
    let flow_knobs = Knobs {
        latency: raw.latency.as_ref().map(latency).transpose()?,
        faults: raw
            .faults
            .as_ref()
            .map(faults)
            .transpose()?
            .unwrap_or_default(),
        job_seconds: raw.job_seconds.as_ref().map(job_seconds).transpose()?,
    };
    let versions = versions(&raw.versions, &flow_knobs)?;
    production(&raw.production, &versions)?;
    let draft = raw
        .draft
        .as_ref()
        .map(|draft| draft_version(draft, &flow_knobs))
        .transpose()?;

    let path = format!("{}/{}/{}", raw.org.value, raw.project.value, raw.flow.value);
    let flow_seed = seed::hash_str(&path);
    Ok(Flow {
        flow_id: stable_uuid(flow_seed),
        seed: flow_seed,
        org: raw.org.value,
        project: raw.project.value,
        slug: raw.flow.value,
        production: raw.production.value,
        versions,
        draft,
        message_required: raw.message_required.unwrap_or(true),
        source: source.to_string(),
    })
}

/// `org`, `project` and `flow` follow Noukai's slug rules.
fn slugs(raw: &RawFlow) -> Checked<()> {
    for (what, name) in [
        ("org", &raw.org),
        ("project", &raw.project),
        ("flow", &raw.flow),
    ] {
        if let Some(why) = slug::problem(&name.value) {
            return problem(
                &name.referenced,
                format!("{what} \"{}\" is not a valid slug: it {why}", name.value),
            );
        }
    }
    Ok(())
}

/// `versions:`: at least one, each numbered from 1 and defined once.
fn versions(
    raw: &Spanned<Vec<Spanned<RawVersion>>>,
    flow_knobs: &Knobs,
) -> Checked<BTreeMap<u32, Arc<Version>>> {
    if raw.value.is_empty() {
        return problem(&raw.referenced, "a flow needs at least one version");
    }
    let mut versions = BTreeMap::new();
    for raw_version in &raw.value {
        let Some(number) = &raw_version.value.version else {
            return problem(
                &raw_version.referenced,
                "each version needs `version: N` (N >= 1)",
            );
        };
        if number.value == 0 {
            return problem(
                &number.referenced,
                "version 0 is the draft; define it under `draft:`",
            );
        }
        if versions.contains_key(&number.value) {
            return problem(
                &number.referenced,
                format!("version {} is defined twice", number.value),
            );
        }
        versions.insert(
            number.value,
            Arc::new(version(&raw_version.value, number.value, flow_knobs)?),
        );
    }
    Ok(versions)
}

/// `production:` names a defined version.
fn production(raw: &Spanned<u32>, versions: &BTreeMap<u32, Arc<Version>>) -> Checked<()> {
    if versions.contains_key(&raw.value) {
        return Ok(());
    }
    let known: Vec<String> = versions.keys().map(u32::to_string).collect();
    problem(
        &raw.referenced,
        format!(
            "production version {} is not defined (versions: {})",
            raw.value,
            known.join(", ")
        ),
    )
}

/// `draft:`: version 0, so it may not set another number.
fn draft_version(raw: &Spanned<RawVersion>, flow_knobs: &Knobs) -> Checked<Arc<Version>> {
    if let Some(number) = raw
        .value
        .version
        .as_ref()
        .filter(|number| number.value != 0)
    {
        return problem(
            &number.referenced,
            "the draft is version 0; leave `version` out",
        );
    }
    Ok(Arc::new(version(&raw.value, 0, flow_knobs)?))
}

/// A UUID-shaped id that stays the same across restarts.
fn stable_uuid(flow_seed: u64) -> String {
    let high = seed::mix(flow_seed, 1).to_be_bytes();
    let low = seed::mix(flow_seed, 2).to_be_bytes();
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high);
    bytes[8..].copy_from_slice(&low);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

fn version(raw: &RawVersion, number: u32, flow_knobs: &Knobs) -> Checked<Version> {
    let knobs = Knobs {
        latency: match &raw.latency {
            Some(raw_latency) => Some(latency(raw_latency)?),
            None => flow_knobs.latency,
        },
        faults: match &raw.faults {
            Some(raw_faults) => faults(raw_faults)?,
            None => flow_knobs.faults.clone(),
        },
        job_seconds: match &raw.job_seconds {
            Some(raw_seconds) => Some(job_seconds(raw_seconds)?),
            None => flow_knobs.job_seconds,
        },
    };
    if raw.blocks.value.is_empty() {
        return problem(&raw.blocks.referenced, "a version needs at least one block");
    }
    let mut ids: Vec<String> = Vec::new();
    let mut blocks = Vec::new();
    for raw_block in &raw.blocks.value {
        let id = &raw_block.value.id;
        if !valid_block_id(&id.value) {
            return problem(
                &id.referenced,
                format!(
                    "block id \"{}\" must be lowercase letters, digits, `-` or `_`, starting with a letter or digit",
                    id.value
                ),
            );
        }
        if ids.contains(&id.value) {
            return problem(
                &id.referenced,
                format!("block id \"{}\" is used twice in this version", id.value),
            );
        }
        blocks.push(block(&raw_block.value, &ids)?);
        ids.push(id.value.clone());
    }
    if let Some(step) = knobs
        .faults
        .fail
        .as_ref()
        .and_then(|fail| fail.step.as_ref())
        && !ids.contains(step)
    {
        let at = raw
            .faults
            .as_ref()
            .map(|f| f.referenced)
            .unwrap_or(raw.blocks.referenced);
        return problem(
            &at,
            format!(
                "faults.fail.step \"{step}\" is not a block of version {number}{}",
                crate::diagnostic::aside_did_you_mean(step, ids.iter().map(String::as_str))
            ),
        );
    }
    let result = match &raw.result {
        Some(result) => Some(template_value(
            result,
            &Allowed {
                steps: &ids,
                llm_output: false,
            },
        )?),
        None => None,
    };
    Ok(Version {
        number,
        blocks,
        result,
        knobs,
    })
}

fn valid_block_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        && id.len() <= 64
}

/// Which optional fields each kind accepts (beyond `id`, `kind`, `name`).
fn allowed_fields(kind: &str) -> &'static [&'static str] {
    match kind {
        "llm" => &[
            "input",
            "model",
            "prompt",
            "decide",
            "output",
            "variants",
            "prompt_rules",
        ],
        "template" => &["text"],
        "extract" => &["input", "pattern", "group", "field", "default"],
        "json_map" => &["fields"],
        _ => &["input"],
    }
}

fn present_fields(raw: &RawBlock) -> Vec<(&'static str, Location)> {
    let mut present = Vec::new();
    let mut note = |name: &'static str, at: Option<Location>| {
        if let Some(at) = at {
            present.push((name, at));
        }
    };
    note("input", raw.input.as_ref().map(|v| v.referenced));
    note("model", raw.model.as_ref().map(|v| v.referenced));
    note("prompt", raw.prompt.as_ref().map(|v| v.referenced));
    note("decide", raw.decide.as_ref().map(|v| v.referenced));
    note("output", raw.output.as_ref().map(|v| v.referenced));
    note("variants", raw.variants.as_ref().map(|v| v.referenced));
    note(
        "prompt_rules",
        raw.prompt_rules.as_ref().map(|v| v.referenced),
    );
    note("text", raw.text.as_ref().map(|v| v.referenced));
    note("pattern", raw.pattern.as_ref().map(|v| v.referenced));
    note("group", raw.group.as_ref().map(|v| v.referenced));
    note("field", raw.field.as_ref().map(|v| v.referenced));
    note("default", raw.default.as_ref().map(|v| v.referenced));
    note("fields", raw.fields.as_ref().map(|v| v.referenced));
    present
}

fn block(raw: &RawBlock, earlier: &[String]) -> Checked<Block> {
    let kind = raw.kind.value.as_str();
    if !KINDS.contains(&kind) {
        return problem(
            &raw.kind.referenced,
            format!(
                "unknown block kind \"{kind}\"{}",
                crate::diagnostic::aside_did_you_mean(kind, KINDS.iter().copied())
            ),
        );
    }
    let allowed = allowed_fields(kind);
    for (field, at) in present_fields(raw) {
        if !allowed.contains(&field) {
            return problem(
                &at,
                format!(
                    "`{field}` does not apply to a `{kind}` block (it takes: {})",
                    allowed.join(", ")
                ),
            );
        }
    }
    let steps = Allowed {
        steps: earlier,
        llm_output: false,
    };
    let input = match &raw.input {
        Some(input) => template_value(input, &steps)?,
        None => default_input(kind, earlier.last()),
    };
    let block_kind = match kind {
        "llm" => BlockKind::Llm(llm(raw, earlier)?),
        "template" => {
            let Some(text) = &raw.text else {
                return problem(&raw.kind.referenced, "a `template` block needs `text`");
            };
            BlockKind::Transform(Transform::Template(template(text, &steps)?))
        }
        "uppercase" => BlockKind::Transform(Transform::Uppercase),
        "lowercase" => BlockKind::Transform(Transform::Lowercase),
        "trim" => BlockKind::Transform(Transform::Trim),
        "word_count" => BlockKind::Transform(Transform::WordCount),
        "extract" => BlockKind::Extract(extract(raw, &steps)?),
        "json_map" => {
            let Some(fields) = raw.fields.as_ref().filter(|f| f.value.is_object()) else {
                return problem(
                    &raw.kind.referenced,
                    "a `json_map` block needs `fields:` as a mapping",
                );
            };
            BlockKind::JsonMap(JsonMap {
                fields: template_value(fields, &steps)?,
            })
        }
        _ => BlockKind::Passthrough,
    };
    Ok(Block {
        id: raw.id.value.clone(),
        name: raw
            .name
            .as_ref()
            .map_or_else(|| raw.id.value.clone(), |name| name.value.clone()),
        input,
        kind: block_kind,
    })
}

/// The first block reads the message; later ones read the previous block's text (or, for
/// `passthrough`, its whole output). `template` and `json_map` read no input.
fn default_input(kind: &str, previous: Option<&String>) -> TemplateValue {
    let no_steps = Allowed {
        steps: &[],
        llm_output: false,
    };
    let source = match (previous, kind) {
        // These kinds read no input.
        (_, "template" | "json_map") => return TemplateValue::Plain(Value::Null),
        (None, _) => "{{ input.message }}".to_string(),
        (Some(previous), "passthrough") => format!("{{{{ steps.{previous} }}}}"),
        (Some(previous), _) => format!("{{{{ steps.{previous}.text }}}}"),
    };
    let earlier: Vec<String> = previous.into_iter().cloned().collect();
    let allowed = if earlier.is_empty() {
        no_steps
    } else {
        Allowed {
            steps: &earlier,
            llm_output: false,
        }
    };
    Template::parse(&source, &allowed)
        .map_or_else(|_| TemplateValue::Plain(Value::Null), TemplateValue::Text)
}

fn llm(raw: &RawBlock, earlier: &[String]) -> Checked<Llm> {
    let steps = Allowed {
        steps: earlier,
        llm_output: false,
    };
    let with_decision = Allowed {
        steps: earlier,
        llm_output: true,
    };
    let model = llm_model(raw)?;
    let prompt = match &raw.prompt {
        Some(prompt) => template(prompt, &steps)?,
        None => Template::literal(""),
    };
    Ok(Llm {
        model,
        prompt,
        decide: decisions(raw, &steps)?,
        output: llm_output(raw, &with_decision)?,
        prompt_rules: prompt_rules(raw)?,
    })
}

/// `model:`, required, one of `llm_models`.
fn llm_model(raw: &RawBlock) -> Checked<&'static LlmModel> {
    let Some(model_name) = &raw.model else {
        return problem(&raw.kind.referenced, "an `llm` block needs `model`");
    };
    let Some(model) = llm_models::find(&model_name.value) else {
        return problem(
            &model_name.referenced,
            format!(
                "unknown model \"{}\"{} (known: {})",
                model_name.value,
                crate::diagnostic::aside_did_you_mean(&model_name.value, llm_models::names()),
                llm_models::names().collect::<Vec<_>>().join(", ")
            ),
        );
    };
    Ok(model)
}

/// `decide:`: groups of rules whose `set` (and `otherwise`) must be mappings.
fn decisions(raw: &RawBlock, steps: &Allowed) -> Checked<Vec<Decision>> {
    let mut decide = Vec::new();
    for group in raw.decide.iter().flat_map(|d| d.value.iter()) {
        let rules = group
            .rules
            .iter()
            .map(|rule| decision_rule(rule, steps))
            .collect::<Checked<_>>()?;
        let otherwise = match &group.otherwise {
            Some(otherwise) if !otherwise.value.is_object() => {
                return problem(
                    &otherwise.referenced,
                    "`otherwise` must be a mapping of output fields",
                );
            }
            Some(otherwise) => Some(template_value(otherwise, steps)?),
            None => None,
        };
        decide.push(Decision { rules, otherwise });
    }
    Ok(decide)
}

fn decision_rule(rule: &Spanned<RawRule>, steps: &Allowed) -> Checked<Rule> {
    if !rule.value.set.value.is_object() {
        return problem(
            &rule.value.set.referenced,
            "`set` must be a mapping of output fields",
        );
    }
    Ok(Rule {
        if_contains: rule
            .value
            .if_contains
            .iter()
            .flatten()
            .map(|w| w.to_lowercase())
            .collect(),
        if_attachments: rule.value.if_attachments,
        set: template_value(&rule.value.set, steps)?,
    })
}

/// What the block answers: `output`, `variants` (not both), or else its decisions.
fn llm_output(raw: &RawBlock, with_decision: &Allowed) -> Checked<LlmOutput> {
    Ok(match (&raw.output, &raw.variants) {
        (Some(_), Some(variants)) => {
            return problem(&variants.referenced, "use `output` or `variants`, not both");
        }
        (Some(output), None) => LlmOutput::Template(template_value(output, with_decision)?),
        (None, Some(variants)) if variants.value.is_empty() => {
            return problem(&variants.referenced, "`variants` needs at least one entry");
        }
        (None, Some(variants)) => LlmOutput::Variants(
            variants
                .value
                .iter()
                .map(|v| {
                    TemplateValue::parse(v, with_decision)
                        .or_else(|message| problem(&variants.referenced, message))
                })
                .collect::<Checked<_>>()?,
        ),
        (None, None) => LlmOutput::Decisions,
    })
}

/// `prompt_rules:`: each changes the answer's case when the prompt contains its words.
fn prompt_rules(raw: &RawBlock) -> Checked<Vec<PromptRule>> {
    let mut prompt_rules = Vec::new();
    for rule in raw.prompt_rules.iter().flat_map(|r| r.value.iter()) {
        let apply = match rule.apply.value.as_str() {
            "upper" => CaseChange::Upper,
            "lower" => CaseChange::Lower,
            other => {
                return problem(
                    &rule.apply.referenced,
                    format!(
                        "unknown prompt rule action \"{other}\"{} (use upper or lower)",
                        crate::diagnostic::aside_did_you_mean(other, ["upper", "lower"])
                    ),
                );
            }
        };
        prompt_rules.push(PromptRule {
            if_contains: rule.if_contains.iter().map(|w| w.to_lowercase()).collect(),
            apply,
        });
    }
    Ok(prompt_rules)
}

fn extract(raw: &RawBlock, steps: &Allowed) -> Checked<Extract> {
    match (&raw.pattern, &raw.field) {
        (Some(pattern), None) => {
            let regex = regex::Regex::new(&pattern.value).or_else(|err| {
                problem(
                    &pattern.referenced,
                    format!("invalid regular expression: {err}"),
                )
            })?;
            let group = raw
                .group
                .as_ref()
                .map_or(if regex.captures_len() > 1 { 1 } else { 0 }, |g| g.value);
            if group >= regex.captures_len() {
                let at = raw
                    .group
                    .as_ref()
                    .map_or(pattern.referenced, |g| g.referenced);
                return problem(&at, format!("the pattern has no capture group {group}"));
            }
            let default = raw
                .default
                .as_ref()
                .map(|d| template(d, steps))
                .transpose()?;
            Ok(Extract::Pattern {
                regex,
                group,
                default,
            })
        }
        (None, Some(field)) => {
            if let Some(group) = &raw.group {
                return problem(&group.referenced, "`group` applies only to `pattern`");
            }
            let default = raw
                .default
                .as_ref()
                .map(|d| template(d, steps))
                .transpose()?;
            Ok(Extract::Field {
                path: field.value.split('.').map(str::to_string).collect(),
                default,
            })
        }
        _ => problem(
            &raw.kind.referenced,
            "an `extract` block needs exactly one of `pattern` or `field`",
        ),
    }
}

fn template(text: &Spanned<String>, allowed: &Allowed) -> Checked<Template> {
    Template::parse(&text.value, allowed).or_else(|message| problem(&text.referenced, message))
}

fn template_value(value: &Spanned<Value>, allowed: &Allowed) -> Checked<TemplateValue> {
    TemplateValue::parse(&value.value, allowed)
        .or_else(|message| problem(&value.referenced, message))
}

/// The longest simulated latency, in milliseconds: an hour.
const MAX_LATENCY_MS: f64 = super::definition::MAX_LATENCY_MS as f64;
/// The longest simulated job, in seconds: a day.
const MAX_JOB_SECONDS: f64 = 86_400.0;

fn latency(raw: &Spanned<RawLatency>) -> Checked<Latency> {
    let l = &raw.value;
    let too_long = [l.ms, l.min_ms, l.max_ms]
        .into_iter()
        .flatten()
        .any(|ms| ms as f64 > MAX_LATENCY_MS)
        || [l.mean_ms, l.stddev_ms]
            .into_iter()
            .flatten()
            .any(|ms| ms > MAX_LATENCY_MS);
    if too_long {
        return problem(
            &raw.referenced,
            "latency: every value must be at most 3600000 ms (an hour)",
        );
    }
    match (l.ms, l.min_ms, l.max_ms, l.mean_ms, l.stddev_ms) {
        (Some(ms), None, None, None, None) => Ok(Latency::Fixed { ms }),
        (None, Some(min_ms), Some(max_ms), None, None) if min_ms <= max_ms => {
            Ok(Latency::Uniform { min_ms, max_ms })
        }
        (None, Some(_), Some(_), None, None) => {
            problem(&raw.referenced, "latency: min_ms must not exceed max_ms")
        }
        (None, None, None, Some(mean_ms), Some(stddev_ms))
            if mean_ms.is_finite()
                && stddev_ms.is_finite()
                && mean_ms >= 0.0
                && stddev_ms >= 0.0 =>
        {
            Ok(Latency::Normal { mean_ms, stddev_ms })
        }
        _ => problem(
            &raw.referenced,
            "latency takes one of {ms: N}, {min_ms: A, max_ms: B} or {mean_ms: M, stddev_ms: S} (non-negative)",
        ),
    }
}

fn job_seconds(raw: &Spanned<f64>) -> Checked<f64> {
    if (0.0..=MAX_JOB_SECONDS).contains(&raw.value) {
        Ok(raw.value)
    } else {
        problem(
            &raw.referenced,
            "job_seconds must be a number from 0 to 86400 (a day)",
        )
    }
}

fn faults(raw: &Spanned<RawFaults>) -> Checked<Faults> {
    let f = &raw.value;
    let mut http = Vec::new();
    for (kind, entry) in [
        (HttpFaultKind::RateLimit, &f.rate_limit),
        (HttpFaultKind::ServerError, &f.server_error),
        (HttpFaultKind::Unavailable, &f.unavailable),
        (HttpFaultKind::GatewayTimeout, &f.gateway_timeout),
        (HttpFaultKind::OutOfCredits, &f.out_of_credits),
        (HttpFaultKind::Forbidden, &f.forbidden),
    ] {
        if let Some(entry) = entry {
            if entry.value.step.is_some() || entry.value.error.is_some() {
                return problem(&entry.referenced, "`step` and `error` apply only to `fail`");
            }
            let takes_retry_after =
                matches!(kind, HttpFaultKind::RateLimit | HttpFaultKind::Unavailable);
            if entry.value.retry_after.is_some() && !takes_retry_after {
                return problem(
                    &entry.referenced,
                    "`retry_after` applies only to `rate_limit` and `unavailable`",
                );
            }
            let retry_after = match kind {
                HttpFaultKind::RateLimit => Some(entry.value.retry_after.unwrap_or(1)),
                _ => entry.value.retry_after,
            };
            http.push(HttpFault {
                kind,
                schedule: schedule(entry)?,
                retry_after,
            });
        }
    }
    let fail = match &f.fail {
        Some(entry) => {
            if entry.value.retry_after.is_some() {
                return problem(&entry.referenced, "`retry_after` does not apply to `fail`");
            }
            Some(FailFault {
                schedule: schedule(entry)?,
                step: entry.value.step.clone(),
                error: entry
                    .value
                    .error
                    .clone()
                    .unwrap_or_else(|| "simulated failure".to_string()),
            })
        }
        None => None,
    };
    Ok(Faults { http, fail })
}

fn schedule(raw: &Spanned<RawSchedule>) -> Checked<Schedule> {
    match (raw.value.every, raw.value.rate) {
        (Some(every), None) if every >= 1 => Ok(Schedule::Every(every)),
        (None, Some(rate)) if (0.0..=1.0).contains(&rate) => Ok(Schedule::Rate(rate)),
        _ => problem(
            &raw.referenced,
            "a fault takes exactly one of `every: N` (N >= 1) or `rate: P` (0 to 1)",
        ),
    }
}
