//! The tiny template language of flow definitions: `{{ path | filter | filter(arg) }}`.
//!
//! Written here rather than taken from a template crate because flow definitions need only
//! lookups and a few string filters, must never execute anything, and must be validated at load
//! time (unknown roots, steps that do not run earlier, unknown filters) so that a typo is a
//! `file:line:col` error at startup instead of a failed run.
//!
//! A string that is exactly one `{{ ... }}` keeps the JSON type of its value (a number stays a
//! number); any other string renders as text.

use crate::sim::text;
use serde_json::{Map, Value};

/// What a template may refer to where it appears.
pub struct Allowed<'a> {
    /// Steps whose outputs exist when this template renders.
    pub steps: &'a [String],
    /// `decision` and `prompt`: only inside an llm block's output.
    pub llm_output: bool,
}

/// The values a template renders against.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub input: &'a Value,
    pub steps: &'a Map<String, Value>,
    pub attachments: &'a Value,
    pub decision: Option<&'a Value>,
    pub prompt: Option<&'a str>,
}

#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Expr(Expr),
}

#[derive(Debug, Clone)]
struct Expr {
    source: String,
    root: Root,
    path: Vec<String>,
    filters: Vec<Filter>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Root {
    Input,
    Steps,
    Attachments,
    Decision,
    Prompt,
}

#[derive(Debug, Clone)]
enum Filter {
    Lower,
    Upper,
    Trim,
    Squish,
    Title,
    FirstSentence,
    FirstWords(usize),
    WordCount,
    Length,
    Json,
    Default(String),
}

const ROOTS: &[&str] = &["input", "steps", "attachments", "decision", "prompt"];
const FILTERS: &[&str] = &[
    "lower",
    "upper",
    "trim",
    "squish",
    "title",
    "first_sentence",
    "first_words",
    "word_count",
    "length",
    "json",
    "default",
];
const INPUT_FIELDS: &[&str] = &["message", "parameters"];
const ATTACHMENT_FIELDS: &[&str] = &["count", "mime_types", "first", "list"];

impl Template {
    /// A template with no expressions.
    pub fn literal(text: &str) -> Template {
        Template {
            parts: vec![Part::Text(text.to_string())],
        }
    }

    pub fn parse(source: &str, allowed: &Allowed) -> Result<Template, String> {
        let mut parts = Vec::new();
        let mut rest = source;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_string()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed `{{{{` in template {source:?}"))?;
            parts.push(Part::Expr(parse_expr(after[..close].trim(), allowed)?));
            rest = &after[close + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        Ok(Template { parts })
    }

    /// A lone expression keeps its JSON type; anything else renders as a string.
    pub fn render(&self, scope: &Scope) -> Result<Value, String> {
        if let [Part::Expr(expr)] = self.parts.as_slice() {
            return expr.evaluate(scope);
        }
        self.render_text(scope).map(Value::String)
    }

    pub fn render_text(&self, scope: &Scope) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Expr(expr) => out.push_str(&as_text(&expr.evaluate(scope)?)),
            }
        }
        Ok(out)
    }
}

/// A JSON value whose strings are templates.
#[derive(Debug, Clone)]
pub enum TemplateValue {
    Plain(Value),
    Text(Template),
    Array(Vec<TemplateValue>),
    Object(Vec<(String, TemplateValue)>),
}

impl TemplateValue {
    pub fn parse(value: &Value, allowed: &Allowed) -> Result<TemplateValue, String> {
        Ok(match value {
            Value::String(text) => TemplateValue::Text(Template::parse(text, allowed)?),
            Value::Array(items) => TemplateValue::Array(
                items
                    .iter()
                    .map(|item| TemplateValue::parse(item, allowed))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(fields) => TemplateValue::Object(
                fields
                    .iter()
                    .map(|(key, item)| Ok((key.clone(), TemplateValue::parse(item, allowed)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => TemplateValue::Plain(other.clone()),
        })
    }

    pub fn render(&self, scope: &Scope) -> Result<Value, String> {
        Ok(match self {
            TemplateValue::Plain(value) => value.clone(),
            TemplateValue::Text(template) => template.render(scope)?,
            TemplateValue::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|item| item.render(scope))
                    .collect::<Result<_, _>>()?,
            ),
            TemplateValue::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(key, item)| Ok((key.clone(), item.render(scope)?)))
                    .collect::<Result<_, String>>()?,
            ),
        })
    }
}

/// How a value reads inside a sentence: strings as-is, null as nothing, the rest as JSON.
pub fn as_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn parse_expr(source: &str, allowed: &Allowed) -> Result<Expr, String> {
    let mut pieces = split_filters(source).into_iter();
    let path_text = pieces.next().unwrap_or_default();
    let path_text = path_text.trim();
    let mut segments = path_text.split('.').map(str::trim);
    let root_name = segments.next().unwrap_or_default();
    let path: Vec<String> = segments.map(str::to_string).collect();
    if root_name.is_empty() || path.iter().any(String::is_empty) {
        return Err(format!(
            "`{{{{ {source} }}}}`: expected a path such as `input.message` or `steps.ID.text`"
        ));
    }
    let root = match root_name {
        "input" => Root::Input,
        "steps" => Root::Steps,
        "attachments" => Root::Attachments,
        "decision" => Root::Decision,
        "prompt" => Root::Prompt,
        other => {
            return Err(format!(
                "unknown template root \"{other}\"{}",
                crate::diagnostic::aside_did_you_mean(other, ROOTS.iter().copied())
            ));
        }
    };
    check_path(root, &path, allowed)?;
    let filters = pieces
        .map(|piece| parse_filter(piece.trim()))
        .collect::<Result<_, _>>()?;
    Ok(Expr {
        source: source.to_string(),
        root,
        path,
        filters,
    })
}

/// Split on `|` outside quotes.
fn split_filters(source: &str) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut quote: Option<char> = None;
    for c in source.chars() {
        match (quote, c) {
            (None, '|') => pieces.push(String::new()),
            (None, '\'' | '"') => {
                quote = Some(c);
                push_char(&mut pieces, c);
            }
            (Some(open), _) if open == c => {
                quote = None;
                push_char(&mut pieces, c);
            }
            _ => push_char(&mut pieces, c),
        }
    }
    pieces
}

fn push_char(pieces: &mut [String], c: char) {
    if let Some(last) = pieces.last_mut() {
        last.push(c);
    }
}

fn check_path(root: Root, path: &[String], allowed: &Allowed) -> Result<(), String> {
    let first = path.first().map(String::as_str);
    match root {
        Root::Input => match first {
            Some(field) if INPUT_FIELDS.contains(&field) => Ok(()),
            Some(field) => Err(format!(
                "unknown input field \"{field}\"{}; use input.message or input.parameters.NAME",
                crate::diagnostic::aside_did_you_mean(field, INPUT_FIELDS.iter().copied())
            )),
            None => {
                Err("`input` needs a field: input.message or input.parameters.NAME".to_string())
            }
        },
        Root::Attachments => match first {
            Some(field) if ATTACHMENT_FIELDS.contains(&field) => Ok(()),
            Some(field) => Err(format!(
                "unknown attachments field \"{field}\"{}; use count, mime_types, first or list",
                crate::diagnostic::aside_did_you_mean(field, ATTACHMENT_FIELDS.iter().copied())
            )),
            None => {
                Err("`attachments` needs a field: count, mime_types, first or list".to_string())
            }
        },
        Root::Steps => match first {
            Some(step) if allowed.steps.iter().any(|known| known == step) => Ok(()),
            Some(step) => Err(format!(
                "step \"{step}\" does not run before this template{}",
                crate::diagnostic::aside_did_you_mean(
                    step,
                    allowed.steps.iter().map(String::as_str)
                )
            )),
            None => Err("`steps` needs a step id: steps.ID or steps.ID.field".to_string()),
        },
        Root::Decision | Root::Prompt if !allowed.llm_output => Err(
            "`decision` and `prompt` exist only in an llm block's output and variants".to_string(),
        ),
        Root::Prompt if !path.is_empty() => {
            Err("`prompt` is a string and has no fields".to_string())
        }
        Root::Decision | Root::Prompt => Ok(()),
    }
}

fn parse_filter(source: &str) -> Result<Filter, String> {
    let (name, argument) = match source.find('(') {
        Some(open) => {
            let inner = source[open + 1..]
                .strip_suffix(')')
                .ok_or_else(|| format!("filter `{source}`: missing `)`"))?;
            (source[..open].trim(), Some(inner.trim()))
        }
        None => (source, None),
    };
    let filter = match (name, argument) {
        ("lower", None) => Filter::Lower,
        ("upper", None) => Filter::Upper,
        ("trim", None) => Filter::Trim,
        ("squish", None) => Filter::Squish,
        ("title", None) => Filter::Title,
        ("first_sentence", None) => Filter::FirstSentence,
        ("word_count", None) => Filter::WordCount,
        ("length", None) => Filter::Length,
        ("json", None) => Filter::Json,
        ("first_words", Some(argument)) => Filter::FirstWords(argument.parse().map_err(|_| {
            format!("filter `{source}`: first_words takes a whole number, e.g. first_words(5)")
        })?),
        ("default", Some(argument)) => Filter::Default(unquote(argument).ok_or_else(|| {
            format!("filter `{source}`: default takes a quoted string, e.g. default('unnamed')")
        })?),
        (known, _) if FILTERS.contains(&known) => {
            return Err(format!(
                "filter `{source}`: wrong arguments for \"{known}\""
            ));
        }
        (other, _) => {
            return Err(format!(
                "unknown filter \"{other}\"{}",
                crate::diagnostic::aside_did_you_mean(other, FILTERS.iter().copied())
            ));
        }
    };
    Ok(filter)
}

fn unquote(text: &str) -> Option<String> {
    let quote = text.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = text.strip_prefix(quote)?.strip_suffix(quote)?;
    Some(inner.to_string())
}

impl Expr {
    fn evaluate(&self, scope: &Scope) -> Result<Value, String> {
        let mut value = self.lookup(scope);
        for filter in &self.filters {
            value = Some(match (filter, value) {
                (Filter::Default(fallback), None | Some(Value::Null)) => {
                    Value::String(fallback.clone())
                }
                (Filter::Default(_), Some(found)) => found,
                (_, None) => return Err(self.missing()),
                (filter, Some(found)) => apply(filter, &found),
            });
        }
        value.ok_or_else(|| self.missing())
    }

    fn missing(&self) -> String {
        format!(
            "template `{{{{ {} }}}}`: no value at this path",
            self.source
        )
    }

    fn lookup(&self, scope: &Scope) -> Option<Value> {
        let (start, path): (Value, &[String]) = match self.root {
            Root::Input => (scope.input.clone(), &self.path),
            Root::Attachments => (scope.attachments.clone(), &self.path),
            Root::Steps => {
                let (step, rest) = self.path.split_first()?;
                (scope.steps.get(step)?.clone(), rest)
            }
            Root::Decision => (scope.decision?.clone(), &self.path),
            Root::Prompt => (Value::String(scope.prompt?.to_string()), &self.path),
        };
        let mut current = &start;
        for segment in path {
            current = match current {
                Value::Object(fields) => fields.get(segment)?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current.clone())
    }
}

fn apply(filter: &Filter, value: &Value) -> Value {
    let textual = |f: fn(&str) -> String| Value::String(f(&as_text(value)));
    match filter {
        Filter::Lower => textual(text::lower),
        Filter::Upper => textual(text::upper),
        Filter::Trim => Value::String(as_text(value).trim().to_string()),
        Filter::Squish => textual(text::squish),
        Filter::Title => textual(text::title),
        Filter::FirstSentence => textual(text::first_sentence),
        Filter::FirstWords(count) => Value::String(text::first_words(&as_text(value), *count)),
        Filter::WordCount => Value::from(text::word_count(&as_text(value))),
        Filter::Length => Value::from(match value {
            Value::Array(items) => items.len(),
            Value::Object(fields) => fields.len(),
            other => as_text(other).chars().count(),
        }),
        Filter::Json => Value::String(value.to_string()),
        Filter::Default(_) => value.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn allowed() -> Allowed<'static> {
        static STEPS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        Allowed {
            steps: STEPS.get_or_init(|| vec!["clean".to_string()]),
            llm_output: true,
        }
    }

    fn render(source: &str) -> Result<Value, String> {
        let input = json!({"message": "Hello  World. Again!", "parameters": {"lang": "en"}});
        let mut steps = Map::new();
        steps.insert("clean".into(), json!({"text": "hello world", "n": 3}));
        let attachments = json!({"count": 0, "mime_types": [], "list": []});
        let decision = json!({"category": "billing"});
        let scope = Scope {
            input: &input,
            steps: &steps,
            attachments: &attachments,
            decision: Some(&decision),
            prompt: Some("shout it"),
        };
        Template::parse(source, &allowed())?.render(&scope)
    }

    #[test]
    fn renders_paths_and_filters() {
        assert_eq!(
            render("{{ input.message | squish | first_sentence }}").unwrap(),
            json!("Hello World.")
        );
        assert_eq!(render("{{ steps.clean.n }}").unwrap(), json!(3));
        assert_eq!(render("n={{ steps.clean.n }}").unwrap(), json!("n=3"));
        assert_eq!(
            render("{{ steps.clean.text | title }}").unwrap(),
            json!("Hello World")
        );
        assert_eq!(
            render("{{ attachments.first.filename | default('unnamed') }}").unwrap(),
            json!("unnamed")
        );
        assert_eq!(
            render("{{ input.parameters.lang | upper }}").unwrap(),
            json!("EN")
        );
        assert_eq!(
            render("{{ decision.category }}-{{ prompt }}").unwrap(),
            json!("billing-shout it")
        );
        assert_eq!(
            render("{{ input.message | word_count }}").unwrap(),
            json!(3)
        );
        assert_eq!(
            render("{{ input.message | first_words(2) }}").unwrap(),
            json!("Hello World.")
        );
    }

    #[test]
    fn a_missing_value_is_an_error_at_render_time() {
        assert!(
            render("{{ steps.clean.nope }}")
                .unwrap_err()
                .contains("no value")
        );
    }

    #[test]
    fn load_time_errors_name_the_problem() {
        assert!(
            render("{{ stepz.clean }}")
                .unwrap_err()
                .contains("did you mean \"steps\"")
        );
        assert!(
            render("{{ steps.later.text }}")
                .unwrap_err()
                .contains("does not run before")
        );
        assert!(
            render("{{ input.mesage }}")
                .unwrap_err()
                .contains("did you mean \"message\"")
        );
        assert!(
            render("{{ input.message | lowr }}")
                .unwrap_err()
                .contains("did you mean \"lower\"")
        );
        assert!(render("{{ input.message").unwrap_err().contains("unclosed"));
        assert!(render("{{ input.message | first_words(x) }}").is_err());
    }
}
