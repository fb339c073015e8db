//! Cases made from a template: one per row of a `cases_from` data file, one per combination of
//! a `matrix`, within a limit counted before any is made.

use crate::check::RawCheck;
use crate::diagnostic::{Diagnostic, Position};
use crate::suite::data;
use crate::suite::interpolate::Unresolved;
use crate::suite::model::Case;
use crate::suite::paths;
use crate::suite::raw::{RawCase, RawCasesFrom};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::compile::{Compiler, Inherited};

const MATRIX_SHAPE: &str =
    "`matrix` must map names to lists of values, e.g. {channel: [email, chat]}";

/// Which of its template's cases a generated case is, for its errors: `row 2 of data.csv`,
/// `matrix channel=email`; and what all of the template's cases are, for an error every one
/// of them makes: `every row of data.csv`.
pub(super) struct Origin {
    this: String,
    all: Arc<str>,
    count: usize,
}

impl Compiler<'_> {
    /// Compile a generated case and check its name is new.
    pub(super) fn compile_case(
        &mut self,
        case: Spanned<RawCase>,
        origin: Option<Origin>,
        inherited: &Inherited,
        names: &mut HashMap<String, super::compile::NameAt>,
        cases: &mut Vec<Case>,
    ) {
        let at = Position::of(&case);
        let first_error = self.errors.len();
        let this = origin.as_ref().map(|origin| origin.this.as_str());
        self.unique_name(&case.value.name, this, names);
        self.generated = true;
        let (mut compiled, own) = self.own_case(case);
        self.generated = false;
        self.inherit(&mut compiled, own, inherited);
        // A generated case's values have no place in the suite file: it and its errors point
        // at the template, and errors say which row or combination made them.
        if let Some(origin) = origin {
            // Every case of a template makes its mistakes again: said once, with how many.
            let made: Vec<Diagnostic> = self.errors.drain(first_error..).collect();
            for mut error in made {
                if reparsed(error.position, at) {
                    error.position = at;
                }
                let key = (error.position, error.message.clone());
                if let Some((index, first, more)) = self.repeated.get_mut(&key) {
                    *more += 1;
                    if let Some(said) = self.errors.get_mut(*index) {
                        let which = which(first, *more + 1, origin.count, &origin.all);
                        said.message = format!("{} ({which})", key.1);
                    }
                    continue;
                }
                // Unless the message names the row itself (a name this template made twice).
                if !error.message.ends_with(&format!("in {}", origin.this)) {
                    error.message.push_str(&format!(" (in {})", origin.this));
                }
                self.repeated
                    .insert(key, (self.errors.len(), origin.this.clone(), 0));
                self.errors.push(error);
            }
            relocate(&mut compiled, at);
        }
        cases.push(compiled);
    }

    /// A written case with a `matrix` becomes one case per combination; others stay as they
    /// are. (A data template's matrix is expanded with its rows, in `expand_rows`.)
    pub(super) fn expand_matrix(
        &mut self,
        case: Spanned<RawCase>,
        out: &mut Vec<(Spanned<RawCase>, Option<Origin>)>,
    ) {
        let Some(matrix) = case.value.matrix.clone() else {
            out.push((case, None));
            return;
        };
        let Value::Object(map) = &matrix.value else {
            return self.error(&matrix, MATRIX_SHAPE);
        };
        if !self.room_for(out.len().saturating_add(data::count(map)), &matrix) {
            return;
        }
        let combos = match data::combinations(map) {
            Ok(combos) => combos,
            Err(err) => return self.matrix_error(&matrix, err),
        };
        let mut template = case.value.clone();
        template.matrix = None;
        // A mistake in the template fails every combination alike: said once, with the first
        // combination it fails in and how many more.
        let mut failed: Vec<(Unresolved, String, usize)> = Vec::new();
        let combinations = combos.len();
        let all: Arc<str> = Arc::from("every combination of the matrix");
        for combo in combos {
            let label = data::describe(&combo);
            // Said in errors on one line: a value's line break or escape sequence escaped.
            let shown = crate::words::one_line(&label);
            let origin = format!("matrix {shown}");
            match self.fill(&template, &combo, &case, "the matrix") {
                Ok(mut filled) => {
                    let name = &mut filled.value.name.value;
                    data::generated_name(&template.name.value, name, None, &combo);
                    let origin = Origin {
                        this: origin,
                        all: Arc::clone(&all),
                        count: combinations,
                    };
                    out.push((filled, Some(origin)));
                }
                Err(unresolved) => {
                    for unresolved in unresolved {
                        match failed.iter_mut().find(|(f, ..)| *f == unresolved) {
                            Some((_, _, count)) => *count += 1,
                            None => failed.push((unresolved, origin.clone(), 1)),
                        }
                    }
                }
            }
        }
        let failed = failed
            .into_iter()
            .map(|(unresolved, first, count)| {
                let which = which(&first, count, combinations, &all);
                Unresolved {
                    message: format!("{} ({which})", unresolved.message),
                    ..unresolved
                }
            })
            .collect();
        self.unresolved(&case, failed);
    }

    /// A matrix that makes no combinations, said at its key at fault where there is one.
    fn matrix_error(&mut self, matrix: &Spanned<Value>, err: data::MatrixError) {
        match &err.key {
            Some(key) => self.error_at_key(matrix, key, err.message),
            None => self.error(matrix, err.message),
        }
    }

    /// Whether a suite that generates `cases` is within the limit; if not, say so at `at`.
    fn room_for<T>(&mut self, cases: usize, at: &Spanned<T>) -> bool {
        if cases <= data::MAX_GENERATED {
            return true;
        }
        let message = format!(
            "`cases_from` and `matrix` make more than {} cases in this suite; split it across suites",
            data::MAX_GENERATED
        );
        // Every row of a template whose matrix overflows would say it again.
        let position = Position::of(at);
        if !self
            .errors
            .iter()
            .any(|e| e.position == position && e.message == message)
        {
            self.error(at, message);
        }
        false
    }

    /// One case per row of the data file; the file read.
    pub(super) fn expand_rows(
        &mut self,
        mut from: Spanned<RawCasesFrom>,
        out: &mut Vec<(Spanned<RawCase>, Option<Origin>)>,
    ) -> Option<PathBuf> {
        self.interpolate_template(&mut from.value.case.value);
        let shown = &from.value.file.value;
        let (path, file) = match paths::inside(self.base_dir(), shown)
            .and_then(|path| data::read_rows(&path, shown).map(|rows| (path, rows)))
        {
            Ok(read) => read,
            Err(message) => {
                self.error(&from.value.file, message);
                return None;
            }
        };
        if file.is_empty() {
            self.error(&from.value.file, format!("{shown} has no rows"));
            return None;
        }
        let template = &from.value.case;
        // Count before filling: a matrix whose lists are written out multiplies every row.
        let per_row = match template.value.matrix.as_ref().map(|m| &m.value) {
            Some(Value::Object(map)) => data::count(map),
            _ => 1,
        };
        let cases = out.len().saturating_add(file.len().saturating_mul(per_row));
        if !self.room_for(cases, &from.value.file) {
            return None;
        }
        // A matrix of the template's own makes a case per row and combination, each filled
        // from the row's values and the combination's at once (so that a row's text is never
        // read as a placeholder of the matrix).
        let combos = match template.value.matrix.as_ref() {
            None => Ok(vec![Map::new()]),
            Some(matrix) => match &matrix.value {
                Value::Object(map) => data::combinations(map).map_err(|err| (matrix, err)),
                _ => Err((
                    matrix,
                    data::MatrixError {
                        key: None,
                        message: MATRIX_SHAPE.to_owned(),
                    },
                )),
            },
        };
        let combos = match combos {
            Ok(combos) => combos,
            Err((matrix, err)) => {
                self.matrix_error(matrix, err);
                return None;
            }
        };
        let mut bare = template.value.clone();
        bare.matrix = None;
        // A mistake in the template fails every row alike: said once, naming the rows.
        let mut failed: Vec<(Unresolved, Vec<u64>)> = Vec::new();
        let mut clashed: std::collections::HashSet<String> = std::collections::HashSet::new();
        let rows = file.len();
        let all: Arc<str> = match combos.len() {
            1 => format!("every row of {shown}"),
            _ => format!("every row of {shown} and combination of the matrix"),
        }
        .into();
        let count = rows.saturating_mul(combos.len());
        // Each combination's words, once for all rows.
        let labels: Vec<String> = combos
            .iter()
            .map(|combo| match combo.is_empty() {
                true => String::new(),
                false => format!(
                    ", matrix {}",
                    crate::words::one_line(&data::describe(combo))
                ),
            })
            .collect();
        let source = match template.value.matrix {
            None => "the data",
            Some(_) => "the data or the matrix",
        };
        for row in file {
            for (combo, label) in combos.iter().zip(&labels) {
                // A name in both would make one of them silently win: each such name is said
                // once, at the matrix's key.
                let both: Vec<&String> = combo
                    .keys()
                    .filter(|key| row.values.contains_key(*key))
                    .collect();
                if !both.is_empty() {
                    for key in both {
                        if let Some(matrix) = &template.value.matrix
                            && clashed.insert(key.clone())
                        {
                            self.error_at_key(
                                matrix,
                                key,
                                format!(
                                    "`{key}` is both a key of this matrix and a column of {shown}: rename one"
                                ),
                            );
                        }
                    }
                    continue;
                }
                let mut values = row.values.clone();
                values.extend(combo.iter().map(|(k, v)| (k.clone(), v.clone())));
                let origin = format!("row {} of {shown}{label}", row.number);
                match self.fill(&bare, &values, template, source) {
                    Ok(mut filled) => {
                        let name = &mut filled.value.name.value;
                        let row = Some((row.number, &row.values));
                        data::generated_name(&bare.name.value, name, row, combo);
                        let origin = Origin {
                            this: origin,
                            all: Arc::clone(&all),
                            count,
                        };
                        out.push((filled, Some(origin)));
                    }
                    Err(unresolved) => {
                        for unresolved in unresolved {
                            match failed.iter_mut().find(|(u, _)| *u == unresolved) {
                                Some((_, numbers)) if numbers.last() == Some(&row.number) => {}
                                Some((_, numbers)) => numbers.push(row.number),
                                None => failed.push((unresolved, vec![row.number])),
                            }
                        }
                    }
                }
            }
        }
        for (unresolved, numbers) in failed {
            let which = if numbers.len() == rows && rows > 1 {
                format!("in every row of {shown}")
            } else {
                let numbers: Vec<String> = numbers.iter().map(u64::to_string).collect();
                let noun = crate::words::agree(numbers.len() as u64, "row", "rows");
                format!("in {noun} {} of {shown}", numbers.join(", "))
            };
            let message = format!("{} ({which})", unresolved.message);
            self.unresolved(
                template,
                vec![Unresolved {
                    message,
                    ..unresolved
                }],
            );
        }
        Some(path)
    }

    /// The template with `{{name}}` filled from `values` (the caller names a case its
    /// template's name does not vary, so that generated cases stay distinct).
    fn fill(
        &mut self,
        template: &RawCase,
        values: &Map<String, Value>,
        at: &Spanned<RawCase>,
        source: &str,
    ) -> Result<Spanned<RawCase>, Vec<Unresolved>> {
        // An error that is not one placeholder's points at the template.
        let whole = |message: String| {
            vec![Unresolved {
                message,
                placeholder: String::new(),
                at: None,
            }]
        };
        let written = serde_json::to_value(template).map_err(|err| whole(err.to_string()))?;
        let filled = data::fill(&written, values, source).and_then(|value| {
            reparse(&value).map_err(|err| {
                // A value of a type its field does not take (`message: "{{obj}}"` given a
                // mapping) is said at that field, where the loader knows it.
                let misfits = misfits(template, &written, &value, Position::of(at));
                match misfits.is_empty() {
                    true => whole(crate::diagnostic::yaml_message(&err)),
                    false => misfits,
                }
            })
        });
        filled.map(|mut case| {
            keep_positions(&mut case, template);
            Spanned::new(case, at.referenced, at.defined)
        })
    }
}

/// A case from its JSON form. JSON is YAML: parsing it again gives every value a (meaningless)
/// position on its one line, which `compile_case` replaces with the template's.
fn reparse(case: &Value) -> Result<RawCase, serde_saphyr::Error> {
    crate::yaml::from_str::<RawCase>(&yaml_safe(&case.to_string()))
}

/// The placeholders of the template (`written`, its JSON form) whose values in `filled` are of
/// a type their field does not take, each said at its field where the template keeps its
/// position (`template_at`, the case's, where it does not). Each is tried alone in the
/// template, which parsed: an error then is that value's.
fn misfits(
    template: &RawCase,
    written: &Value,
    filled: &Value,
    template_at: Position,
) -> Vec<Unresolved> {
    let mut paths = Vec::new();
    placeholders(written, &mut Vec::new(), &mut paths);
    paths
        .into_iter()
        .filter_map(|path| {
            let pointer = pointer_of(&path);
            let placeholder = written.pointer(&pointer)?.as_str()?;
            let value = filled.pointer(&pointer)?;
            // Text where text was written parses as the template did.
            if value.is_string() {
                return None;
            }
            let mut alone = written.clone();
            *alone.pointer_mut(&pointer)? = value.clone();
            let err = reparse(&alone).err()?;
            let message = crate::diagnostic::yaml_message(&err);
            // Quoting the placeholder would not help: the data gives the value.
            let expected = message
                .strip_suffix(" (quote it if it looks like something else)")
                .unwrap_or(&message);
            Some(Unresolved {
                message: format!("{expected}, but {placeholder} gives {}", kind(value)),
                placeholder: placeholder.to_owned(),
                at: position_at(template, &path).filter(|p| !reparsed(*p, template_at)),
            })
        })
        .collect()
}

/// The paths (keys and indexes) of the strings in `value` that hold a placeholder.
fn placeholders(value: &Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value {
        Value::String(text) if text.contains("{{") => out.push(path.clone()),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(index.to_string());
                placeholders(item, path, out);
                path.pop();
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                path.push(key.clone());
                placeholders(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// A path as a JSON Pointer (RFC 6901): `/expect/output/0/equals`.
fn pointer_of(path: &[String]) -> String {
    path.iter()
        .map(|part| format!("/{}", part.replace('~', "~0").replace('/', "~1")))
        .collect()
}

/// What a value is, as an error names it.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true or false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// Where the template holds the value at `path` (of its JSON form): the field's own position
/// where the loader keeps one, else that of the nearest part that holds it (an attachment, a
/// step, `expect`); `None` for a field the case's position stands for (`tags`).
fn position_at(case: &RawCase, path: &[String]) -> Option<Position> {
    let parts: Vec<&str> = path.iter().map(String::as_str).collect();
    let index = |text: &str| text.parse::<usize>().ok();
    let check = |checks: &[Spanned<RawCheck>], rest: &[&str]| -> Option<Position> {
        let (at, rest) = rest.split_first()?;
        let check = checks.get(index(at)?)?;
        let entry = rest.first().and_then(|key| {
            check
                .value
                .entries
                .iter()
                .find(|entry| entry.key.value == *key)
        });
        Some(entry.map_or(Position::of(check), |entry| Position::of(&entry.value)))
    };
    match parts.as_slice() {
        ["name"] => Some(Position::of(&case.name)),
        ["message"] => case.message.as_ref().map(Position::of),
        ["timeout"] => case.timeout.as_ref().map(Position::of),
        ["pass_if"] => case.pass_if.as_ref().map(Position::of),
        ["parameters", ..] => case.parameters.as_ref().map(Position::of),
        ["block_overrides", ..] => case.block_overrides.as_ref().map(Position::of),
        ["targets", rest @ ..] => {
            let targets = case.targets.as_ref()?;
            let target = rest.first().and_then(|at| targets.value.get(index(at)?));
            Some(target.map_or(Position::of(targets), Position::of))
        }
        ["attachments", at, rest @ ..] => {
            let attachment = case.attachments.get(index(at)?)?;
            let field = match rest {
                ["kind"] => attachment.value.kind.as_ref().map(Position::of),
                ["url"] => Some(Position::of(&attachment.value.url)),
                ["mime_type"] => attachment.value.mime_type.as_ref().map(Position::of),
                ["filename"] => attachment.value.filename.as_ref().map(Position::of),
                _ => None,
            };
            Some(field.unwrap_or(Position::of(attachment)))
        }
        ["steps", at, rest @ ..] => {
            let step = case.steps.get(index(at)?)?;
            let field = match rest {
                ["step", ..] => Some(Position::of(&step.value.step)),
                ["input_overrides", ..] => step.value.input_overrides.as_ref().map(Position::of),
                ["block_overrides", ..] => step.value.block_overrides.as_ref().map(Position::of),
                ["expect", rest @ ..] => check(&step.value.expect, rest),
                _ => None,
            };
            Some(field.unwrap_or(Position::of(step)))
        }
        ["expect", rest @ ..] => {
            let expect = case.expect.as_ref()?;
            let field = match rest {
                ["output", rest @ ..] => check(&expect.value.output, rest),
                ["error", "code"] => expect
                    .value
                    .error
                    .as_ref()
                    .and_then(|error| error.value.code.as_ref().map(Position::of)),
                ["error", ..] => expect.value.error.as_ref().map(Position::of),
                ["latency", "max"] => expect
                    .value
                    .latency
                    .as_ref()
                    .and_then(|latency| latency.value.max.as_ref().map(Position::of)),
                ["latency", "min"] => expect
                    .value
                    .latency
                    .as_ref()
                    .and_then(|latency| latency.value.min.as_ref().map(Position::of)),
                ["latency", ..] => expect.value.latency.as_ref().map(Position::of),
                ["snapshot", ..] => expect.value.snapshot.as_ref().map(Position::of),
                _ => None,
            };
            Some(field.unwrap_or(Position::of(expect)))
        }
        _ => None,
    }
}

/// Which of a template's `of` cases make a mistake, in the words after it: all of them (more
/// than one) as `all` (`every row of data.csv`), else the first and how many more.
fn which(first: &str, count: usize, of: usize, all: &str) -> String {
    match count {
        _ if count == of && count > 1 => format!("in {all}"),
        1 => format!("in {first}"),
        _ => format!("in {first} and {} more", count - 1),
    }
}

/// JSON text as YAML reads it: characters YAML does not allow in a document unescaped (DEL,
/// the C1 controls but NEL, U+FFFE and U+FFFF), which JSON writes as they are, escaped. They
/// stand only inside strings, where `\uXXXX` means the same in both.
fn yaml_safe(json: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| matches!(c, '\u{7f}'..='\u{84}' | '\u{86}'..='\u{9f}' | '\u{fffe}' | '\u{ffff}');
    if !json.chars().any(unsafe_char) {
        return json.into();
    }
    json.chars()
        .map(|c| match unsafe_char(c) {
            true => format!("\\u{:04x}", u32::from(c)),
            false => c.to_string(),
        })
        .collect::<String>()
        .into()
}

/// The template's positions, for the filled case's values: a mistake in a filled value (a
/// check that fails or does not compile, an attachment whose type cannot be told, a bad
/// duration) points at its own place in the template, not at the re-parsed JSON's one line.
fn keep_positions(filled: &mut RawCase, template: &RawCase) {
    fn at<T, U>(filled: &mut Spanned<T>, template: &Spanned<U>) {
        (filled.referenced, filled.defined) = (template.referenced, template.defined);
    }
    fn maybe<T, U>(filled: &mut Option<Spanned<T>>, template: &Option<Spanned<U>>) {
        if let (Some(filled), Some(template)) = (filled, template) {
            at(filled, template);
        }
    }
    fn checks(filled: &mut [Spanned<RawCheck>], template: &[Spanned<RawCheck>]) {
        for (check, written) in filled.iter_mut().zip(template) {
            at(check, written);
            let entries = check.value.entries.iter_mut().zip(&written.value.entries);
            for (entry, written) in entries {
                at(&mut entry.key, &written.key);
                at(&mut entry.value, &written.value);
                // A nested check's parts too, where the filled value's shape is the
                // template's (a placeholder filled with a list or a mapping has none).
                entry.places.clone_from(&written.places);
            }
        }
    }
    at(&mut filled.name, &template.name);
    maybe(&mut filled.message, &template.message);
    maybe(&mut filled.parameters, &template.parameters);
    maybe(&mut filled.block_overrides, &template.block_overrides);
    maybe(&mut filled.mode, &template.mode);
    maybe(&mut filled.timeout, &template.timeout);
    maybe(&mut filled.repeat, &template.repeat);
    maybe(&mut filled.pass_if, &template.pass_if);
    if let (Some(filled), Some(template)) = (&mut filled.targets, &template.targets) {
        at(filled, template);
        for (target, written) in filled.value.iter_mut().zip(&template.value) {
            at(target, written);
        }
    }
    for (attachment, written) in filled.attachments.iter_mut().zip(&template.attachments) {
        at(attachment, written);
        let (attachment, written) = (&mut attachment.value, &written.value);
        maybe(&mut attachment.kind, &written.kind);
        at(&mut attachment.url, &written.url);
        maybe(&mut attachment.mime_type, &written.mime_type);
        maybe(&mut attachment.filename, &written.filename);
    }
    for (step, written) in filled.steps.iter_mut().zip(&template.steps) {
        at(step, written);
        let (step, written) = (&mut step.value, &written.value);
        at(&mut step.step, &written.step);
        maybe(&mut step.input_overrides, &written.input_overrides);
        maybe(&mut step.block_overrides, &written.block_overrides);
        maybe(&mut step.usage, &written.usage);
        checks(&mut step.expect, &written.expect);
    }
    if let (Some(filled), Some(template)) = (&mut filled.expect, &template.expect) {
        at(filled, template);
        let (expect, written) = (&mut filled.value, &template.value);
        maybe(&mut expect.status, &written.status);
        maybe(&mut expect.error, &written.error);
        if let (Some(error), Some(written)) = (&mut expect.error, &written.error) {
            maybe(&mut error.value.http, &written.value.http);
            maybe(&mut error.value.code, &written.value.code);
        }
        maybe(&mut expect.block_count, &written.block_count);
        maybe(&mut expect.latency, &written.latency);
        if let (Some(latency), Some(written)) = (&mut expect.latency, &written.latency) {
            maybe(&mut latency.value.max, &written.value.max);
            maybe(&mut latency.value.min, &written.value.min);
        }
        maybe(&mut expect.usage, &written.usage);
        maybe(&mut expect.threshold, &written.threshold);
        maybe(&mut expect.snapshot, &written.snapshot);
        checks(&mut expect.output, &written.output);
    }
}

/// Whether a position is the re-parsed JSON's (its one line), not the suite file's.
fn reparsed(position: Position, template: Position) -> bool {
    position.line == 1 && template.line != 1
}

/// Point a generated case at the template it came from, and its checks at theirs (kept from
/// the template; the template's case where none could be).
fn relocate(case: &mut Case, at: Position) {
    case.line = at.line;
    case.expect.line = at.line;
    for line in case.expect.lines.each_mut() {
        if reparsed(Position::new(*line, 1), at) {
            *line = 0;
        }
    }
    let checks = case.expect.output.iter_mut().chain(
        case.expect
            .steps
            .iter_mut()
            .flat_map(|s| s.checks.iter_mut()),
    );
    for check in checks.filter(|c| reparsed(c.position, at)) {
        check.position = at;
    }
    for step in &mut case.expect.steps {
        step.line = at.line;
    }
    for plan in &mut case.steps {
        plan.line = at.line;
    }
}
