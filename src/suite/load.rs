//! Finding suite files, parsing them, and compiling them into [`Suite`]s. Every problem is a
//! [`Diagnostic`] at file:line:col; a file's problems are all reported, not just the first.

use super::data;
use super::interpolate::{interpolate, interpolate_value};
use super::model::{Attachment, Case, MAX_REPEAT, Request, StepPlan, Suite};
use super::paths;
use super::raw::{
    Mode, RawAttachment, RawCase, RawCasesFrom, RawExpect, RawHeader, RawStep, RawUsage, SuiteSeed,
};
use super::target::{FlowRef, Target};
use crate::check::expect::{
    ErrorExpectation, Expectation, LatencyBounds, StepExpectation, StepRef, UsageLimits,
};
use crate::check::{Check, ParseContext, RawCheck};
use crate::diagnostic::{Diagnostic, Position, did_you_mean};
use crate::snapshot::SnapshotSpec;
use serde::de::DeserializeSeed;
use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The timeout of a case when neither the case nor the suite's defaults set one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Suites larger than this are refused before parsing.
const MAX_SUITE_BYTES: u64 = 16 * 1024 * 1024;

/// Everything found under the given paths: the suites that compiled and every error.
#[derive(Debug, Default)]
pub struct Loaded {
    pub suites: Vec<Suite>,
    pub errors: Vec<Diagnostic>,
}

/// Expand files and folders (every `*.yaml`/`*.yml` below a folder, sorted) into suite files.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostic> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found).map_err(|err| {
                Diagnostic::new(
                    path,
                    Position::default(),
                    format!("cannot read folder: {err}"),
                )
            })?;
            if found.is_empty() {
                // A CI job pointed at the wrong folder must not pass with nothing run.
                return Err(Diagnostic::new(
                    path,
                    Position::default(),
                    "no suite files (*.yaml, *.yml) in this folder",
                ));
            }
            found.sort();
            files.extend(found);
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(Diagnostic::new(
                path,
                Position::default(),
                "no such file or folder",
            ));
        }
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, found)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            found.push(path);
        }
    }
    Ok(())
}

/// Load every suite under `paths`, using the process environment for `${VAR}`.
pub fn load(paths: &[PathBuf]) -> Loaded {
    let env = |name: &str| std::env::var(name).ok();
    let files = match discover(paths) {
        Ok(files) => files,
        Err(err) => {
            return Loaded {
                suites: vec![],
                errors: vec![err],
            };
        }
    };
    let mut loaded = Loaded::default();
    for file in files {
        match load_file(&file, &env) {
            Ok(suite) => loaded.suites.push(suite),
            Err(errors) => loaded.errors.extend(errors),
        }
    }
    loaded
}

pub fn load_file(
    file: &Path,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Suite, Vec<Diagnostic>> {
    let io_error = |err: std::io::Error| {
        vec![Diagnostic::new(
            file,
            Position::default(),
            format!("cannot read: {err}"),
        )]
    };
    let size = std::fs::metadata(file).map_err(io_error)?.len();
    if size > MAX_SUITE_BYTES {
        return Err(vec![Diagnostic::new(
            file,
            Position::default(),
            format!("the file is {size} bytes; suites are limited to {MAX_SUITE_BYTES}"),
        )]);
    }
    let text = std::fs::read_to_string(file).map_err(io_error)?;
    parse(file, &text, env)
}

/// Parse and compile one suite's text; `file` names it in diagnostics.
///
/// Each written case is compiled as soon as the YAML parser has read it, and its raw form
/// dropped: holding every raw case until the end of the file tripled the memory that loading
/// touched (and the time, in page faults). What a case inherits from the suite is applied at
/// the end, since `defaults` may come after `cases`.
pub fn parse(
    file: &Path,
    text: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Suite, Vec<Diagnostic>> {
    let mut compiler = Compiler {
        file,
        env,
        errors: Vec::new(),
    };
    let mut read = ReadCases::default();
    let header = serde_saphyr::with_deserializer_from_str(text, |de| {
        SuiteSeed(|case| compiler.read_case(case, &mut read)).deserialize(de)
    })
    .map_err(|err| vec![yaml_diagnostic(file, &err).with_source(text)])?;
    let suite = compiler.suite(header, read);
    if compiler.errors.is_empty() {
        return Ok(suite);
    }
    // Cases report as they are read and the suite's keys at the end: put them in file order.
    let mut errors = compiler.errors;
    errors.sort_by_key(|d| (d.position.line, d.position.column));
    Err(errors.into_iter().map(|d| d.with_source(text)).collect())
}

/// A timeout or deadline, in a suite or on the command line: `500ms`, `30s`, `2m`; never zero.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text.trim()) {
        Ok(d) if d.is_zero() => Err("a duration must be greater than zero".into()),
        Ok(d) => Ok(d),
        Err(err) => Err(format!(
            "invalid duration \"{text}\": {err} (write e.g. 500ms, 30s, 2m)"
        )),
    }
}

/// Turn a YAML/serde error into a diagnostic, adding "did you mean" to unknown keys and values.
fn yaml_diagnostic(file: &Path, err: &serde_saphyr::Error) -> Diagnostic {
    let position = err.location().map(Position::at).unwrap_or_default();
    let full = err.without_snippet().to_string();
    let message = match full.rfind(" at line ") {
        Some(at) if full[at..].contains(", column ") => full[..at].to_owned(),
        _ => full,
    };
    let help = suggestion(&message);
    let message = match message.as_str() {
        m if m.starts_with("budget breached") => {
            format!("the file is too large for one suite ({m}): split its cases over several files")
        }
        "invalid u16" | "invalid u32" | "invalid u64" => "expected a whole number".to_owned(),
        "invalid bool" => "expected true or false".to_owned(),
        _ => message,
    };
    Diagnostic::new(file, position, message).with_help(help)
}

/// For serde's "unknown field `x`, expected one of a, b" and "unknown variant" messages.
fn suggestion(message: &str) -> Option<String> {
    let rest = message
        .strip_prefix("unknown field `")
        .or_else(|| message.strip_prefix("unknown variant `"))?;
    let (word, rest) = rest.split_once('`')?;
    let expected = rest
        .split_once("expected one of ")
        .map(|(_, list)| list)
        .or_else(|| rest.split_once("expected ").map(|(_, one)| one))?;
    let candidates: Vec<&str> = expected
        .split(',')
        .map(|c| c.trim().trim_matches('`'))
        .collect();
    did_you_mean(word, candidates)
}

struct Compiler<'a> {
    file: &'a Path,
    env: &'a dyn Fn(&str) -> Option<String>,
    errors: Vec<Diagnostic>,
}

/// Cases read so far, compiled from what they say themselves (see [`Compiler::read_case`]).
#[derive(Default)]
struct ReadCases {
    cases: Vec<Case>,
    /// For each of `cases`, what it sets of the settings it could inherit.
    own: Vec<OwnSettings>,
    /// Cases made from a `matrix`, compiled when the whole file has been read.
    generated: Vec<(Spanned<RawCase>, Option<String>)>,
    names: HashSet<String>,
}

/// What a case sets itself of what it would otherwise inherit from the suite.
struct OwnSettings {
    mode: Option<Mode>,
    repeat: Option<u32>,
    timeout: Option<Duration>,
    targets: Option<Vec<Target>>,
    pass_if: Option<Spanned<String>>,
    /// Where its first step is: steps need step mode, which may be inherited.
    first_step: Option<Position>,
}

/// Suite-wide settings a case inherits.
struct Inherited {
    targets: Vec<Target>,
    mode: Mode,
    timeout: Duration,
    parameters: Map<String, Value>,
    repeat: u32,
    tags: Vec<String>,
}

impl Compiler<'_> {
    fn error<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, Position::of(at), message));
    }

    fn suite(&mut self, raw: RawHeader, read: ReadCases) -> Suite {
        if raw.suite.value.trim().is_empty() {
            self.error(&raw.suite, "the suite needs a name");
        }
        let flow = match FlowRef::parse(&raw.flow.value) {
            Ok(flow) => flow,
            Err(message) => {
                self.error(&raw.flow, message);
                FlowRef {
                    org: String::new(),
                    project: String::new(),
                    flow: String::new(),
                }
            }
        };
        let defaults = raw.defaults.unwrap_or_default();
        let inherited = Inherited {
            targets: self
                .targets(raw.targets.as_deref())
                .unwrap_or_else(|| vec![Target::Production]),
            mode: raw.mode.map(|m| m.value).unwrap_or(Mode::Sync),
            timeout: self
                .duration(defaults.timeout.as_ref())
                .unwrap_or(DEFAULT_TIMEOUT),
            parameters: self.object(defaults.parameters.as_ref(), "parameters"),
            repeat: self.repeat(defaults.repeat.as_ref()).unwrap_or(1),
            tags: defaults.tags,
        };
        let cases_at = raw
            .cases_at
            .map_or_else(|| Position::of(&raw.suite), Position::at);
        let ReadCases {
            mut cases,
            own,
            mut generated,
            mut names,
        } = read;
        for (case, own) in cases.iter_mut().zip(own) {
            self.inherit(case, own, &inherited);
        }
        for from in raw.cases_from {
            self.expand_rows(from, &mut generated);
        }
        for (case, origin) in generated {
            self.compile_case(case, origin, &inherited, &mut names, &mut cases);
        }
        if cases.is_empty() && self.errors.is_empty() {
            self.errors.push(Diagnostic::new(
                self.file,
                cases_at,
                "the suite has no cases (give `cases` or `cases_from`)",
            ));
        }
        // Loaded suites live for the whole run: no spare capacity (100k cases add up).
        cases.shrink_to_fit();
        Suite {
            name: raw.suite.value,
            file: self.file.to_path_buf(),
            flow,
            cases,
        }
    }

    /// A written case, as the parser hands it over: compile what it says itself now; a case
    /// with a `matrix` is expanded, and its cases compiled with the generated ones.
    fn read_case(&mut self, case: Spanned<RawCase>, read: &mut ReadCases) {
        if case.value.matrix.is_some() {
            return self.expand_matrix(case, None, &mut read.generated);
        }
        self.unique_name(&case.value.name, &mut read.names);
        let (case, own) = self.own_case(case);
        read.cases.push(case);
        read.own.push(own);
    }

    fn unique_name(&mut self, name: &Spanned<String>, names: &mut HashSet<String>) {
        if !names.insert(name.value.clone()) {
            let message = format!(
                "a case named \"{}\" already exists in this suite",
                name.value
            );
            self.error(name, message);
        }
    }

    /// Compile what a case says itself. Its suite-wide settings are placeholders until
    /// [`Compiler::inherit`] replaces them.
    fn own_case(&mut self, spanned: Spanned<RawCase>) -> (Case, OwnSettings) {
        let raw = spanned.value;
        let own = OwnSettings {
            mode: raw.mode.as_ref().map(|m| m.value),
            repeat: self.repeat(raw.repeat.as_ref()),
            timeout: self.duration(raw.timeout.as_ref()),
            targets: self.targets(raw.targets.as_deref()),
            pass_if: raw.pass_if,
            first_step: raw.steps.first().map(Position::of),
        };
        let parameters = self.object(raw.parameters.as_ref(), "parameters");
        let message = raw.message.as_ref().map(|m| self.text(m));
        let attachments = raw
            .attachments
            .iter()
            .filter_map(|a| self.attachment(a))
            .collect();
        let block_overrides = self.object(raw.block_overrides.as_ref(), "block_overrides");
        let (steps, step_expectations): (Vec<_>, Vec<_>) =
            raw.steps.iter().filter_map(|s| self.step(s)).unzip();
        let mut expect = self.expect(raw.expect.as_ref(), Position::of(&raw.name));
        expect.steps = step_expectations.into_iter().flatten().collect();
        let case = Case {
            line: Position::of(&raw.name).line,
            name: raw.name.value,
            tags: raw.tags,
            request: Request {
                message,
                parameters,
                attachments,
                block_overrides,
            },
            mode: Mode::Sync,
            targets: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            repeat: 1,
            pass_if: 1,
            steps,
            expect,
        };
        (case, own)
    }

    /// Complete a case with what it inherits from the suite.
    fn inherit(&mut self, case: &mut Case, own: OwnSettings, inherited: &Inherited) {
        case.mode = own.mode.unwrap_or(inherited.mode);
        if case.mode != Mode::Step
            && let Some(at) = own.first_step
        {
            let message = format!(
                "`steps` needs `mode: step`; this case runs in {} mode",
                case.mode.as_str()
            );
            self.errors.push(Diagnostic::new(self.file, at, message));
        }
        case.repeat = own.repeat.unwrap_or(inherited.repeat);
        case.pass_if = self.pass_if(own.pass_if.as_ref(), case.repeat);
        case.targets = own.targets.unwrap_or_else(|| inherited.targets.clone());
        case.timeout = own.timeout.unwrap_or(inherited.timeout);
        if !inherited.parameters.is_empty() {
            let mut parameters = inherited.parameters.clone();
            parameters.extend(std::mem::take(&mut case.request.parameters));
            case.request.parameters = parameters;
        }
        if !inherited.tags.is_empty() {
            let mut tags = inherited.tags.clone();
            tags.append(&mut case.tags);
            case.tags = tags;
        }
    }

    fn targets(&mut self, raw: Option<&[Spanned<String>]>) -> Option<Vec<Target>> {
        let raw = raw?;
        let mut targets = Vec::new();
        for spanned in raw {
            match Target::parse(&spanned.value) {
                Ok(target) if targets.contains(&target) => {
                    self.error(spanned, format!("target {target} is listed twice"))
                }
                Ok(target) => targets.push(target),
                Err(message) => {
                    let help = did_you_mean(&spanned.value, ["production", "draft"]);
                    self.errors.push(
                        Diagnostic::new(self.file, Position::of(spanned), message).with_help(help),
                    );
                }
            }
        }
        if raw.is_empty() {
            return None;
        }
        Some(targets)
    }

    fn duration(&mut self, raw: Option<&Spanned<String>>) -> Option<Duration> {
        let raw = raw?;
        parse_duration(&raw.value)
            .map_err(|message| self.error(raw, message))
            .ok()
    }

    fn repeat(&mut self, raw: Option<&Spanned<u32>>) -> Option<u32> {
        let raw = raw?;
        if !(1..=MAX_REPEAT).contains(&raw.value) {
            self.error(raw, format!("repeat must be between 1 and {MAX_REPEAT}"));
            return None;
        }
        Some(raw.value)
    }

    fn pass_if(&mut self, raw: Option<&Spanned<String>>, repeat: u32) -> u32 {
        let Some(raw) = raw else { return repeat };
        let parsed = raw.value.split_once('/').and_then(|(k, n)| {
            Some((k.trim().parse::<u32>().ok()?, n.trim().parse::<u32>().ok()?))
        });
        match parsed {
            Some((k, n)) if n == repeat && (1..=n).contains(&k) => k,
            Some((_, n)) if n != repeat => {
                self.error(
                    raw,
                    format!(
                        "pass_if \"{}\" counts {n} runs but the case repeats {repeat} times",
                        raw.value
                    ),
                );
                repeat
            }
            _ => {
                self.error(
                    raw,
                    format!(
                        "pass_if \"{}\" must read k/n, e.g. 4/5, with 1 <= k <= n",
                        raw.value
                    ),
                );
                repeat
            }
        }
    }

    fn text(&mut self, raw: &Spanned<String>) -> String {
        match interpolate(&raw.value, self.env) {
            Ok(text) => text,
            Err(message) => {
                self.error(raw, message);
                raw.value.clone()
            }
        }
    }

    fn object(&mut self, raw: Option<&Spanned<Value>>, what: &str) -> Map<String, Value> {
        let Some(raw) = raw else { return Map::new() };
        match interpolate_value(&raw.value, self.env) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            Ok(_) => {
                self.error(raw, format!("`{what}` must be a mapping"));
                Map::new()
            }
            Err(message) => {
                self.error(raw, message);
                Map::new()
            }
        }
    }

    fn attachment(&mut self, spanned: &Spanned<RawAttachment>) -> Option<Attachment> {
        let raw = &spanned.value;
        if let Some(kind) = &raw.kind
            && kind.value != "url"
        {
            self.error(
                kind,
                format!(
                    "attachment kind \"{}\" is not supported: Noukai takes only \"url\"",
                    kind.value
                ),
            );
        }
        let url = self.text(&raw.url);
        let mime_type = match &raw.mime_type {
            Some(mime) => mime.value.clone(),
            None => match mime_from_url(&url) {
                Some(mime) => mime.to_owned(),
                None => {
                    self.error(&raw.url, "cannot tell this attachment's type from its URL: add mime_type (image/png, image/jpeg, image/webp or image/gif)");
                    return None;
                }
            },
        };
        let filename = raw.filename.as_ref().map(|f| self.text(f));
        Some(Attachment {
            url,
            mime_type,
            filename,
        })
    }

    fn step(&mut self, spanned: &Spanned<RawStep>) -> Option<(StepPlan, Option<StepExpectation>)> {
        let raw = &spanned.value;
        let step = match &raw.step.value {
            Value::String(id) if !id.is_empty() => StepRef::Id(id.clone()),
            Value::Number(n) if n.as_u64().is_some() => {
                StepRef::Index(n.as_u64().unwrap_or_default() as usize)
            }
            _ => {
                self.error(
                    &raw.step,
                    "`step` must be a step id (e.g. summarize) or a 0-based index",
                );
                return None;
            }
        };
        let checks = self.checks(&raw.expect);
        let usage = self.usage(raw.usage.as_ref());
        let expectation = (!checks.is_empty() || usage.is_some()).then(|| StepExpectation {
            step: step.clone(),
            checks,
            usage,
            line: Position::of(spanned).line,
        });
        let plan = StepPlan {
            step,
            input_overrides: self.object(raw.input_overrides.as_ref(), "input_overrides"),
            block_overrides: self.object(raw.block_overrides.as_ref(), "block_overrides"),
        };
        Some((plan, expectation))
    }

    fn snapshot(&mut self, raw: &Spanned<Value>) -> Option<SnapshotSpec> {
        let paths = |this: &mut Self, key: &str, value: Option<&Value>| -> Vec<JsonPath> {
            let Some(value) = value else {
                return Vec::new();
            };
            let Some(items) = value.as_array() else {
                this.error(raw, format!("snapshot `{key}` must be a list of JSONPaths"));
                return Vec::new();
            };
            items
                .iter()
                .filter_map(|item| match item.as_str().map(JsonPath::parse) {
                    Some(Ok(path)) => Some(path),
                    Some(Err(err)) => {
                        this.error(
                            raw,
                            format!("snapshot `{key}`: invalid JSONPath {item}: {err}"),
                        );
                        None
                    }
                    None => {
                        this.error(raw, format!("snapshot `{key}` must be a list of JSONPaths"));
                        None
                    }
                })
                .collect()
        };
        match &raw.value {
            Value::Bool(true) => Some(SnapshotSpec::default()),
            Value::Bool(false) => None,
            Value::Object(map) => {
                if let Some(key) = map
                    .keys()
                    .find(|k| !matches!(k.as_str(), "redact" | "round" | "sort"))
                {
                    self.error(
                        raw,
                        format!("unknown snapshot option `{key}`: use redact, round and sort"),
                    );
                }
                let round = match map.get("round") {
                    None => None,
                    Some(value) => match value.as_u64().filter(|n| *n <= 15) {
                        Some(n) => Some(n as u32),
                        None => {
                            self.error(
                                raw,
                                "snapshot `round` is a number of decimal places, 0 to 15",
                            );
                            None
                        }
                    },
                };
                let redact = paths(self, "redact", map.get("redact"));
                let sort = paths(self, "sort", map.get("sort"));
                Some(SnapshotSpec {
                    redact,
                    round,
                    sort,
                })
            }
            _ => {
                self.error(
                    raw,
                    "`snapshot` is true, or {redact: [paths], round: N, sort: [paths]}",
                );
                None
            }
        }
    }

    /// Compile a generated case and check its name is new.
    fn compile_case(
        &mut self,
        case: Spanned<RawCase>,
        origin: Option<String>,
        inherited: &Inherited,
        names: &mut HashSet<String>,
        cases: &mut Vec<Case>,
    ) {
        let at = Position::of(&case);
        let first_error = self.errors.len();
        self.unique_name(&case.value.name, names);
        let (mut compiled, own) = self.own_case(case);
        self.inherit(&mut compiled, own, inherited);
        // A generated case's values have no place in the suite file: it and its errors point
        // at the template, and errors say which row or combination made them.
        if let Some(origin) = origin {
            for error in &mut self.errors[first_error..] {
                error.position = at;
                error.message.push_str(&format!(" (in {origin})"));
            }
            relocate(&mut compiled, at);
        }
        cases.push(compiled);
    }

    /// A case with a `matrix` becomes one case per combination; others stay as they are.
    fn expand_matrix(
        &mut self,
        case: Spanned<RawCase>,
        origin: Option<String>,
        out: &mut Vec<(Spanned<RawCase>, Option<String>)>,
    ) {
        let Some(matrix) = case.value.matrix.clone() else {
            out.push((case, origin));
            return;
        };
        let Value::Object(map) = &matrix.value else {
            return self.error(
                &matrix,
                "`matrix` must map names to lists of values, e.g. {channel: [email, chat]}",
            );
        };
        if !self.room_for(out.len().saturating_add(data::count(map)), &matrix) {
            return;
        }
        let combos = match data::combinations(map) {
            Ok(combos) => combos,
            Err(message) => return self.error(&matrix, message),
        };
        let mut template = case.value.clone();
        template.matrix = None;
        for combo in combos {
            let label = data::describe(&combo);
            let origin = Some(match &origin {
                Some(row) => format!("{row}, matrix {label}"),
                None => format!("matrix {label}"),
            });
            if let Some(filled) = self.fill(
                &template,
                &combo,
                &case,
                &label,
                origin.as_deref().unwrap_or_default(),
            ) {
                out.push((filled, origin));
            }
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

    /// One case per row of the data file.
    fn expand_rows(
        &mut self,
        from: Spanned<RawCasesFrom>,
        out: &mut Vec<(Spanned<RawCase>, Option<String>)>,
    ) {
        let file = match paths::inside(self.base_dir(), &from.value.file.value)
            .and_then(|path| data::read_rows(&path, &from.value.file.value))
        {
            Ok(rows) => rows,
            Err(message) => return self.error(&from.value.file, message),
        };
        if file.is_empty() {
            return self.error(
                &from.value.file,
                format!("{} has no rows", from.value.file.value),
            );
        }
        let template = &from.value.case;
        // Count before filling: a matrix whose lists are written out multiplies every row.
        let per_row = match template.value.matrix.as_ref().map(|m| &m.value) {
            Some(Value::Object(map)) => data::count(map),
            _ => 1,
        };
        let cases = out.len().saturating_add(file.len().saturating_mul(per_row));
        if !self.room_for(cases, &from.value.file) {
            return;
        }
        for row in file {
            let label = format!("row {}", row.number);
            let origin = format!("row {} of {}", row.number, from.value.file.value);
            if let Some(filled) = self.fill(&template.value, &row.values, template, &label, &origin)
            {
                self.expand_matrix(filled, Some(origin), out);
            }
        }
    }

    /// The template with `{{name}}` filled from `values`; a name the template does not vary
    /// gets `[label]` appended so generated cases stay distinct.
    fn fill(
        &mut self,
        template: &RawCase,
        values: &Map<String, Value>,
        at: &Spanned<RawCase>,
        label: &str,
        origin: &str,
    ) -> Option<Spanned<RawCase>> {
        let filled = serde_json::to_value(template)
            .map_err(|err| err.to_string())
            .and_then(|value| data::fill(&value, values))
            .and_then(|value| {
                // JSON is YAML: parsing it again gives every value a (meaningless) position,
                // which `suite()` replaces with the template's.
                serde_saphyr::from_str::<RawCase>(&value.to_string())
                    .map_err(|err| err.without_snippet().to_string())
            });
        match filled {
            Ok(mut case) => {
                if case.name.value == template.name.value {
                    case.name.value = format!("{} [{label}]", case.name.value);
                }
                Some(Spanned::new(case, at.referenced, at.defined))
            }
            Err(message) => {
                self.error(at, format!("{message} (in {origin})"));
                None
            }
        }
    }

    /// The suite's folder, against which files it names are resolved.
    fn base_dir(&self) -> &Path {
        match self.file.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        }
    }

    fn usage(&mut self, raw: Option<&Spanned<RawUsage>>) -> Option<UsageLimits> {
        let raw = raw?;
        if raw.value.max_tokens.is_none() && raw.value.max_cost_usd.is_none() {
            self.error(raw, "`usage` needs max_tokens, max_cost_usd or both");
        }
        if raw
            .value
            .max_cost_usd
            .is_some_and(|c| !(c >= 0.0 && c.is_finite()))
        {
            self.error(raw, "`max_cost_usd` must be a number >= 0");
        }
        Some(UsageLimits {
            max_tokens: raw.value.max_tokens,
            max_cost_usd: raw.value.max_cost_usd,
        })
    }

    fn checks(&mut self, raw: &[Spanned<RawCheck>]) -> Vec<Check> {
        let mut checks = Vec::with_capacity(raw.len());
        for spanned in raw {
            let context = ParseContext {
                at: Position::of(spanned),
                base_dir: self.base_dir(),
            };
            match spanned.value.compile(&context) {
                Ok(check) => checks.push(check),
                Err(err) => self.errors.push(
                    Diagnostic::new(self.file, err.position, err.message).with_help(err.help),
                ),
            }
        }
        checks
    }

    fn expect(&mut self, raw: Option<&Spanned<RawExpect>>, case_at: Position) -> Expectation {
        let Some(spanned) = raw else {
            return Expectation {
                line: case_at.line,
                ..Expectation::default()
            };
        };
        let raw = &spanned.value;
        if let (Some(status), Some(_)) = (&raw.status, &raw.error) {
            self.error(status, "expect either a `status` (the flow ran) or an `error` (the request is refused), not both");
        }
        let error = raw.error.as_ref().map(|e| {
            if let Some(http) = &e.value.http
                && !(100..=599).contains(&http.value)
            {
                self.error(http, format!("{} is not an HTTP status", http.value));
            }
            ErrorExpectation {
                http: e.value.http.as_ref().map(|h| h.value),
                code: e.value.code.as_ref().map(|c| c.value.clone()),
            }
        });
        let latency = raw.latency.as_ref().map(|l| LatencyBounds {
            min: self.duration(l.value.min.as_ref()),
            max: self.duration(l.value.max.as_ref()),
        });
        let threshold = raw.threshold.as_ref().and_then(|t| {
            if (0.0..=1.0).contains(&t.value) {
                Some(t.value)
            } else {
                self.error(
                    t,
                    "`threshold` is a weighted share of the checks, from 0 to 1",
                );
                None
            }
        });
        Expectation {
            status: raw.status.as_ref().map(|s| s.value),
            error,
            block_count: raw.block_count.as_ref().map(|b| b.value),
            latency,
            usage: self.usage(raw.usage.as_ref()),
            output: self.checks(&raw.output),
            steps: Vec::new(),
            threshold,
            snapshot: raw.snapshot.as_ref().and_then(|s| self.snapshot(s)),
            line: Position::of(spanned).line,
        }
    }
}

/// Point a generated case, and its checks, at the template it came from.
fn relocate(case: &mut Case, at: Position) {
    case.line = at.line;
    case.expect.line = at.line;
    for check in &mut case.expect.output {
        check.position = at;
    }
    for step in &mut case.expect.steps {
        step.line = at.line;
        step.checks.iter_mut().for_each(|check| check.position = at);
    }
}

fn mime_from_url(url: &str) -> Option<&'static str> {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    let extension = path.rsplit_once('.').map(|(_, e)| e)?;
    match extension {
        "png" => Some("image/png"),
        "jpg" | "jpeg" => Some("image/jpeg"),
        "webp" => Some("image/webp"),
        "gif" => Some("image/gif"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const VALID: &str = "suite: s\nflow: demo/support/triage\ntargets: [production, v2]\ncases:\n  - name: one\n    message: hi\n    expect:\n      output:\n        - {path: $.category, equals: billing}\n        - {path: $.reply, matches: \"^T\"}\n";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn a_valid_suite_compiles() {
        let suite = parse(Path::new("s.yaml"), VALID, &no_env).map_err(|e| e[0].to_string());
        let suite = suite.as_ref().map(|s| {
            (
                s.cases.len(),
                s.cases[0].targets.len(),
                s.cases[0].expect.output.len(),
            )
        });
        assert_eq!(suite, Ok((1, 2, 2)));
    }

    #[test]
    fn settings_written_after_the_cases_are_inherited() {
        let text = "suite: s\nflow: demo/support/triage\ncases:\n  - name: one\n    message: hi\n  - name: two\n    repeat: 3\n    pass_if: 2/3\n    tags: [own]\n    parameters: {lang: fr, tone: dry}\ndefaults:\n  repeat: 2\n  timeout: 5s\n  parameters: {lang: en}\n  tags: [smoke]\nmode: async\ntargets: [v2]\n";
        let suite = parse(Path::new("s.yaml"), text, &no_env).map_err(|e| e[0].to_string());
        let cases: Result<Vec<_>, _> = suite.map(|suite| {
            suite
                .cases
                .iter()
                .map(|c| {
                    (
                        c.repeat,
                        c.pass_if,
                        c.timeout.as_secs(),
                        c.mode,
                        c.targets.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                        c.tags.clone(),
                        Value::Object(c.request.parameters.clone()).to_string(),
                    )
                })
                .collect()
        });
        let targets = vec!["v2".to_owned()];
        assert_eq!(
            cases,
            Ok(vec![
                (
                    2,
                    2,
                    5,
                    Mode::Async,
                    targets.clone(),
                    vec!["smoke".to_owned()],
                    r#"{"lang":"en"}"#.to_owned()
                ),
                (
                    3,
                    2,
                    5,
                    Mode::Async,
                    targets,
                    vec!["smoke".to_owned(), "own".to_owned()],
                    r#"{"lang":"fr","tone":"dry"}"#.to_owned()
                ),
            ])
        );
    }

    #[test]
    fn errors_come_in_file_order() {
        // Case errors are found as the cases are read, the suite's own keys' at the end.
        let text = "suite: s\nflow: demo/support/triage\ncases:\n  - name: x\n    steps:\n      - step: a\n    pass_if: 2/3\n  - name: x\n    timeout: 0s\ndefaults:\n  repeat: 0\nmode: sync\ntargets: [prod]\n";
        let lines: Vec<u32> = match parse(Path::new("s.yaml"), text, &no_env) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.iter().map(|e| e.position.line).collect(),
        };
        assert_eq!(lines, vec![6, 7, 8, 9, 11, 13]);
    }

    proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = parse(Path::new("s.yaml"), &text, &no_env);
        }

        #[test]
        fn any_edit_of_a_valid_suite_loads_or_says_where(at in 0usize..200, insert in "[ -~\n]{0,8}", cut in 0usize..6) {
            let at = at.min(VALID.len());
            let end = (at + cut).min(VALID.len());
            let text = format!("{}{insert}{}", &VALID[..at], &VALID[end..]);
            if let Err(errors) = parse(Path::new("s.yaml"), &text, &no_env) {
                prop_assert!(!errors.is_empty());
                for error in errors {
                    prop_assert!(!error.message.is_empty());
                }
            }
        }
    }
}
