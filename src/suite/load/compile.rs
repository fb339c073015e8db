//! The compiler of one suite file: each case from what it says, then what it inherits from
//! the suite. Cases made from data files and matrices are in `generate`.

use super::{DEFAULT_TIMEOUT, parse_duration};
use crate::check::expect::{
    ErrorExpectation, Expectation, KeyLines, LatencyBounds, StepExpectation, StepRef, UsageLimits,
};
use crate::check::{Check, RawCheck};
use crate::diagnostic::{Diagnostic, Position, did_you_mean};
use crate::snapshot::SnapshotSpec;
use crate::suite::interpolate::{Unresolved, interpolate, interpolate_value};
use crate::suite::model::{Attachment, Case, MAX_REPEAT, Request, StepPlan, Suite};
use crate::suite::raw::{Mode, RawAttachment, RawCase, RawExpect, RawHeader, RawStep, RawUsage};
use crate::suite::target::{FlowRef, Target};
use serde_json::{Map, Value};
use serde_json_path::JsonPath;
use serde_saphyr::Spanned;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(super) struct Compiler<'a> {
    pub(super) file: &'a Path,
    pub(super) env: super::Env<'a>,
    pub(super) errors: Vec<Diagnostic>,
    /// The other files its checks read (JSON Schemas).
    pub(super) files: std::cell::RefCell<Vec<PathBuf>>,
    /// Compiling a case made from a template, whose `${NAME}`s were filled in the template:
    /// its text is taken as it is.
    pub(super) generated: bool,
    /// An error of a template's cases, said once for all the cases that make it: where it is
    /// in `errors`, the first case's origin, and how many more cases made it.
    pub(super) repeated: HashMap<(Position, String), (usize, String, usize)>,
}

/// Where the case with a name is: its line (its template's, for a generated case), and which
/// of the template's cases it is.
#[derive(Debug, Clone)]
pub(super) struct NameAt {
    line: u32,
    origin: Option<Box<str>>,
}

/// Cases read so far, compiled from what they say themselves (see [`Compiler::read_case`]).
#[derive(Default)]
pub(super) struct ReadCases {
    cases: Vec<Case>,
    /// For each of `cases`, what it sets of the settings it could inherit.
    own: Vec<OwnSettings>,
    /// Cases made from a `matrix`, compiled when the whole file has been read.
    generated: Vec<(Spanned<RawCase>, Option<super::generate::Origin>)>,
    /// Each case's name, and where the case that has it is.
    names: HashMap<String, NameAt>,
    /// Where the name of each case with a golden snapshot is, for two that would share a
    /// snapshot file to be told where they are.
    snapshot_names: HashMap<String, Position>,
    /// The other files the cases' checks read (JSON Schemas).
    pub(super) files: Vec<PathBuf>,
}

impl ReadCases {
    /// Add the cases read from the next piece of the file; `false` if a name is in both (the
    /// reading of the whole file reports it where it is).
    pub(super) fn append(&mut self, mut later: ReadCases) -> bool {
        for (name, line) in later.names {
            if self.names.insert(name, line).is_some() {
                return false;
            }
        }
        self.cases.append(&mut later.cases);
        self.own.append(&mut later.own);
        self.generated.append(&mut later.generated);
        self.snapshot_names.extend(later.snapshot_names);
        self.files.append(&mut later.files);
        true
    }
}

/// What a case sets itself of what it would otherwise inherit from the suite.
pub(super) struct OwnSettings {
    mode: Option<Mode>,
    repeat: Option<u32>,
    timeout: Option<Duration>,
    targets: Option<Vec<Target>>,
    pass_if: Option<Spanned<String>>,
    /// What of it needs step mode, which may be inherited (`steps`, a run's `usage`): the
    /// error to give otherwise, and where.
    step_only: Option<(&'static str, Position)>,
}

/// Suite-wide settings a case inherits.
pub(super) struct Inherited {
    targets: Vec<Target>,
    mode: Mode,
    timeout: Duration,
    parameters: Map<String, Value>,
    repeat: u32,
    tags: Vec<String>,
}

impl<'a> Compiler<'a> {
    /// A compiler of `file`'s cases, holding the errors found so far.
    pub(super) fn new(file: &'a Path, env: super::Env<'a>, errors: Vec<Diagnostic>) -> Self {
        Compiler {
            file,
            env,
            errors,
            files: Default::default(),
            generated: false,
            repeated: HashMap::new(),
        }
    }
}

impl Compiler<'_> {
    pub(super) fn error<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        self.errors
            .push(Diagnostic::new(self.file, Position::of(at), message));
    }

    /// An error about the key `key` of the mapping `at`: at that key where it can be found
    /// (written plainly, `key:`), else at the mapping.
    pub(super) fn error_at_key<T>(
        &mut self,
        at: &Spanned<T>,
        key: &str,
        message: impl Into<String>,
    ) {
        let diagnostic = Diagnostic::new(self.file, Position::of(at), message);
        self.errors.push(diagnostic.within(format!("{key}:")));
    }

    pub(super) fn suite(&mut self, raw: RawHeader, read: ReadCases) -> Suite {
        self.check_name(&raw.suite, "suite");
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
                .targets(raw.targets.as_ref())
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
            mut snapshot_names,
            files,
        } = read;
        for (case, own) in cases.iter_mut().zip(own) {
            self.inherit(case, own, &inherited);
        }
        let mut data_files = Vec::new();
        for from in raw.cases_from {
            data_files.extend(self.expand_rows(from, &mut generated));
        }
        for (case, origin) in generated {
            let at = Position::of(&case);
            self.compile_case(case, origin, &inherited, &mut names, &mut cases);
            if let Some(case) = cases.last().filter(|c| c.expect.snapshot.is_some()) {
                snapshot_names.insert(case.name.clone(), at);
            }
        }
        self.shared_snapshots(&cases, &snapshot_names);
        if cases.is_empty() && self.errors.is_empty() {
            self.errors.push(Diagnostic::new(
                self.file,
                cases_at,
                "the suite has no cases (give `cases` or `cases_from`)",
            ));
        }
        // In file order: cases made from a matrix or from data stand where their template
        // does (they were made after the file was read), in the order they were made.
        cases.sort_by_key(|case| case.line);
        // Loaded suites live for the whole run: no spare capacity (100k cases add up).
        cases.shrink_to_fit();
        let mut schema_files = files;
        schema_files.append(&mut self.files.take());
        schema_files.sort();
        schema_files.dedup();
        Suite {
            name_at: Position::of(&raw.suite),
            name: raw.suite.value,
            file: self.file.to_path_buf(),
            flow,
            cases,
            data_files,
            schema_files,
        }
    }

    /// A written case, as the parser hands it over: compile what it says itself now; a case
    /// with a `matrix` is expanded, and its cases compiled with the generated ones.
    pub(super) fn read_case(&mut self, mut case: Spanned<RawCase>, read: &mut ReadCases) {
        if case.value.matrix.is_some() {
            self.interpolate_template(&mut case.value);
            return self.expand_matrix(case, &mut read.generated);
        }
        self.unique_name(&case.value.name, None, &mut read.names);
        let at = Position::of(&case.value.name);
        let (case, own) = self.own_case(case);
        if case.expect.snapshot.is_some() {
            read.snapshot_names.insert(case.name.clone(), at);
        }
        read.cases.push(case);
        read.own.push(own);
    }

    /// Two cases whose names make one slug would read and write one golden snapshot file,
    /// each judged against the other's output: refused, naming both. Targets do not keep them
    /// apart: `compare` and `gate` judge every target against the baseline's file.
    fn shared_snapshots(&mut self, cases: &[Case], at: &HashMap<String, Position>) {
        let mut slugs: HashMap<String, &Case> = HashMap::new();
        for case in cases.iter().filter(|c| c.expect.snapshot.is_some()) {
            let slug = crate::snapshot::store::slug(&case.name);
            let Some(first) = slugs.get(&slug).copied() else {
                slugs.insert(slug, case);
                continue;
            };
            if first.name == case.name {
                continue; // a duplicate name, said where it is
            }
            // The file both write where they share a target; else the files of every target,
            // which a comparison's baseline makes them share.
            let (files, target) = match first.targets.iter().find(|t| case.targets.contains(t)) {
                Some(target) => ("file", target.to_string()),
                None => ("files", "*".to_owned()),
            };
            let file = crate::snapshot::store::folder_of(self.file)
                .join(crate::snapshot::store::file_name(&case.name, &target));
            let first_at = at.get(&first.name).copied().unwrap_or_default();
            let position = at.get(&case.name).copied().unwrap_or_default();
            let message = format!(
                "cases \"{}\" (line {}) and \"{}\" would share the snapshot {files} {}; rename one",
                crate::words::one_line(&first.name),
                first_at.line,
                crate::words::one_line(&case.name),
                file.display()
            );
            self.errors
                .push(Diagnostic::new(self.file, position, message).with_help(Some(
                    "a snapshot file is named after the case: lowercase letters and digits, every other character a hyphen".to_owned(),
                )));
        }
    }

    /// Names are shown on terminals, in JUnit and in CI annotations: not blank, no control
    /// characters (a line break or an escape sequence from a data file), and none of the
    /// invisible ones that reorder or hide text (`a\u{202E}b` shows as `b...a`): two names
    /// that read alike must be alike.
    fn check_name(&mut self, name: &Spanned<String>, what: &str) {
        let invisible = |c: &char| crate::words::hides_text(*c);
        if name.value.trim().is_empty() {
            self.error(name, format!("the {what} needs a name"));
        } else if let Some(c) = name.value.chars().find(|c| c.is_control()) {
            self.error(
                name,
                format!(
                    "a {what} name cannot hold control characters (here U+{:04X})",
                    u32::from(c)
                ),
            );
        } else if let Some(c) = name.value.chars().find(invisible) {
            self.error(
                name,
                format!(
                    "a {what} name cannot hold invisible characters that hide or reorder text (here U+{:04X})",
                    u32::from(c)
                ),
            );
        }
    }

    /// Check a case's name is new in the suite; `origin`: which of its template's cases it
    /// is, for a generated one (`row 5 of data.csv`).
    pub(super) fn unique_name(
        &mut self,
        name: &Spanned<String>,
        origin: Option<&str>,
        names: &mut HashMap<String, NameAt>,
    ) {
        let line = Position::of(name).line;
        let first = match names.entry(name.value.clone()) {
            std::collections::hash_map::Entry::Vacant(vacant) => {
                vacant.insert(NameAt {
                    line,
                    origin: origin.map(Box::from),
                });
                return;
            }
            std::collections::hash_map::Entry::Occupied(first) => first.get().clone(),
        };
        let shown = crate::words::one_line(&name.value);
        let message = match (first.line == line, first.origin) {
            // Two rows or combinations of one template.
            (true, Some(made)) => {
                format!("this template already made a case named \"{shown}\", in {made}")
            }
            (_, Some(made)) => {
                format!(
                    "another case is named \"{shown}\", at line {} ({made})",
                    first.line
                )
            }
            (_, None) => format!("another case is named \"{shown}\", at line {}", first.line),
        };
        self.error(name, message);
    }

    /// Compile what a case says itself. Its suite-wide settings are placeholders until
    /// [`Compiler::inherit`] replaces them.
    pub(super) fn own_case(&mut self, spanned: Spanned<RawCase>) -> (Case, OwnSettings) {
        let raw = spanned.value;
        self.check_name(&raw.name, "case");
        let own = OwnSettings {
            mode: raw.mode.as_ref().map(|m| m.value),
            repeat: self.repeat(raw.repeat.as_ref()),
            timeout: self.duration(raw.timeout.as_ref()),
            targets: self.targets(raw.targets.as_ref()),
            pass_if: raw.pass_if,
            step_only: raw
                .steps
                .first()
                .map(|step| ("`steps` needs `mode: step`", Position::of(step)))
                .or_else(|| {
                    let usage = raw.expect.as_ref()?.value.usage.as_ref()?;
                    Some((
                        "`usage` needs `mode: step` (only steps report what they spend)",
                        Position::of(usage),
                    ))
                }),
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
        if let Some(written) = &raw.expect {
            self.unchecked_beside_error(&written.value, &raw.steps);
        }
        // Checks that all weigh 0 make any threshold pass, whatever they find.
        let mut weights = (expect.output.iter())
            .chain(expect.steps.iter().flat_map(|s| &s.checks))
            .map(|c| c.weight)
            .peekable();
        // And with no check at all, there is nothing to weigh: it passes every time.
        let written = raw
            .expect
            .as_ref()
            .is_some_and(|e| !e.value.output.is_empty())
            || raw.steps.iter().any(|s| !s.value.expect.is_empty());
        if let Some(threshold) = raw.expect.as_ref().and_then(|e| e.value.threshold.as_ref()) {
            if !written {
                self.error(
                    threshold,
                    "`threshold` weighs the output and step checks, and this case has none: add checks, or remove it",
                );
            } else if weights.peek().is_some() && weights.all(|w| w == 0.0) {
                self.error(
                    threshold,
                    "`threshold` weighs the checks, and every check here has weight 0: give one a weight",
                );
            }
        }
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
            pinned: false,
            timeout: DEFAULT_TIMEOUT,
            repeat: 1,
            pass_if: 1,
            steps,
            expect,
        };
        (case, own)
    }

    /// A case that expects an `error` is refused before its flow runs: there is no output,
    /// block count, usage or step to check, so expecting one is refused (it was never checked,
    /// and the case passed whatever it said). Each at its own line.
    fn unchecked_beside_error(&mut self, expect: &RawExpect, steps: &[Spanned<RawStep>]) {
        if expect.error.is_none() {
            return;
        }
        let message = |key: &str, what: &str| {
            format!(
                "a case that expects an `error` has no {what}: the request is refused, so `{key}` would never be checked (remove it, or the `error`)"
            )
        };
        if let Some(first) = expect.output.first() {
            self.error(first, message("output", "output to check"));
        }
        if let Some(count) = &expect.block_count {
            self.error(count, message("block_count", "blocks to count"));
        }
        if let Some(snapshot) = &expect.snapshot {
            self.error(
                snapshot,
                message("snapshot", "output to compare with a snapshot"),
            );
        }
        if let Some(usage) = &expect.usage {
            self.error(usage, message("usage", "usage to limit"));
        }
        for step in steps {
            if let Some(first) = step.value.expect.first() {
                self.error(first, message("expect", "step output to check"));
            }
            if let Some(usage) = &step.value.usage {
                self.error(usage, message("usage", "usage to limit"));
            }
        }
    }

    /// Complete a case with what it inherits from the suite.
    pub(super) fn inherit(&mut self, case: &mut Case, own: OwnSettings, inherited: &Inherited) {
        case.mode = own.mode.unwrap_or(inherited.mode);
        if case.mode != Mode::Step
            && let Some((what, at)) = own.step_only
        {
            let message = format!("{what}; this case runs in {} mode", case.mode.as_str());
            self.errors.push(Diagnostic::new(self.file, at, message));
        }
        case.repeat = own.repeat.unwrap_or(inherited.repeat);
        case.pass_if = self.pass_if(own.pass_if.as_ref(), case.repeat);
        case.pinned = own.targets.is_some();
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

    fn targets(&mut self, raw: Option<&Spanned<Vec<Spanned<String>>>>) -> Option<Vec<Target>> {
        let raw = raw?;
        if raw.value.is_empty() {
            // Not "production" by default: an empty list is most likely a slip.
            self.error(
                raw,
                "`targets` is empty: list at least one (production, draft, v2, ...) or leave the key out",
            );
            return None;
        }
        let mut targets = Vec::new();
        for spanned in &raw.value {
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
        Some(targets)
    }

    pub(super) fn duration(&mut self, raw: Option<&Spanned<String>>) -> Option<Duration> {
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
                        "pass_if \"{}\" counts {n} runs but the case runs {}",
                        raw.value,
                        match repeat {
                            1 => "once".to_owned(),
                            _ => format!("{repeat} times"),
                        }
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

    /// A text with its `${NAME}`s filled (as it is, in a case made from a template).
    fn text(&mut self, raw: &Spanned<String>) -> String {
        self.filled(raw, |text, env| interpolate(text, env))
    }

    /// `raw` with its `${NAME}`s filled by `fill`, each that cannot be said at its place; as
    /// it is in a case made from a template, whose placeholders were filled in the template.
    fn filled<T: Clone>(
        &mut self,
        raw: &Spanned<T>,
        fill: impl Fn(&T, super::Env<'_>) -> Result<T, Vec<Unresolved>>,
    ) -> T {
        if self.generated {
            return raw.value.clone();
        }
        match fill(&raw.value, self.env) {
            Ok(filled) => filled,
            Err(unresolved) => {
                self.unresolved(raw, unresolved);
                raw.value.clone()
            }
        }
    }

    /// Placeholders that could not be filled, each pointed at within the value `at`.
    pub(super) fn unresolved<T>(&mut self, at: &Spanned<T>, unresolved: Vec<Unresolved>) {
        for unresolved in unresolved {
            let position = unresolved.at.unwrap_or(Position::of(at));
            let diagnostic = Diagnostic::new(self.file, position, unresolved.message);
            self.errors.push(match unresolved.placeholder.is_empty() {
                true => diagnostic,
                false => diagnostic.within(unresolved.placeholder),
            });
        }
    }

    /// A value with its `${NAME}`s filled (as it is, in a case made from a template).
    fn value(&mut self, raw: &Spanned<Value>) -> Value {
        self.filled(raw, |value, env| interpolate_value(value, env))
    }

    /// Fill a template's `${NAME}`s once, where they are written; the cases made from it take
    /// their data and matrix values as they are, never reading a variable a row names (a
    /// dataset may come from anywhere: its `${CI_SECRET}` must not reach a request).
    pub(super) fn interpolate_template(&mut self, case: &mut RawCase) {
        if let Some(message) = case.message.as_mut() {
            message.value = self.text(message);
        }
        for value in [case.parameters.as_mut(), case.block_overrides.as_mut()]
            .into_iter()
            .flatten()
        {
            value.value = self.value(value);
        }
        for attachment in &mut case.attachments {
            let attachment = &mut attachment.value;
            attachment.url.value = self.text(&attachment.url);
            if let Some(filename) = attachment.filename.as_mut() {
                filename.value = self.text(filename);
            }
        }
        for step in &mut case.steps {
            let step = &mut step.value;
            for value in [step.input_overrides.as_mut(), step.block_overrides.as_mut()]
                .into_iter()
                .flatten()
            {
                value.value = self.value(value);
            }
        }
    }

    fn object(&mut self, raw: Option<&Spanned<Value>>, what: &str) -> Map<String, Value> {
        let Some(raw) = raw else { return Map::new() };
        match self.value(raw) {
            Value::Object(map) => map,
            Value::Null => Map::new(),
            _ => {
                self.error(raw, format!("`{what}` must be a mapping"));
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
            line: Position::of(spanned).line,
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
                this.error_at_key(
                    raw,
                    key,
                    format!("snapshot `{key}` must be a list of JSONPaths"),
                );
                return Vec::new();
            };
            items
                .iter()
                .filter_map(|item| {
                    let Some(text) = item.as_str() else {
                        let message = format!("snapshot `{key}` must be a list of JSONPaths");
                        this.error_at_key(raw, key, message);
                        return None;
                    };
                    // `redact: [a.b]` is told that a path starts with `$`, as a check's is.
                    JsonPath::parse(text)
                        .map_err(|err| {
                            let message =
                                format!("snapshot `{key}`: invalid JSONPath {item}: {err}");
                            let at = Diagnostic::new(this.file, Position::of(raw), message);
                            let help = crate::check::without_root(text);
                            this.errors
                                .push(at.within(format!("{key}:")).with_help(help));
                        })
                        .ok()
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
                    self.error_at_key(
                        raw,
                        key,
                        format!("unknown snapshot option `{key}`: use redact, round and sort"),
                    );
                }
                let round = match map.get("round") {
                    None => None,
                    Some(value) => match value.as_u64().filter(|n| *n <= 15) {
                        Some(n) => Some(n as u32),
                        None => {
                            self.error_at_key(
                                raw,
                                "round",
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
            other => {
                // `snapshot: yes` meant `true` (YAML 1.1): said so.
                self.error(
                    raw,
                    format!(
                        "`snapshot` is true, or {{redact: [paths], round: N, sort: [paths]}}{}",
                        crate::yaml::not_a_boolean(other)
                    ),
                );
                None
            }
        }
    }

    /// The suite's folder, against which files it names are resolved.
    pub(super) fn base_dir(&self) -> &Path {
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
            let compiled =
                spanned
                    .value
                    .compile(Position::of(spanned), self.base_dir(), &self.files);
            match compiled {
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
            if let Some(http) = &e.value.http {
                if !(100..=599).contains(&http.value) {
                    self.error(http, format!("{} is not an HTTP status", http.value));
                } else if http.value < 400 {
                    self.error(
                        http,
                        format!(
                            "a refusal is an HTTP 4xx or 5xx, and {} is not one: a flow that ran is expected with `status`",
                            http.value
                        ),
                    );
                } else if matches!(http.value, 401 | 402) {
                    self.error(
                        http,
                        format!(
                            "a case cannot expect HTTP {}: a refused key (401) or spent credits (402) is the run's failure (exit 3), never a case's answer",
                            http.value
                        ),
                    );
                }
            }
            ErrorExpectation {
                http: e.value.http.as_ref().map(|h| h.value),
                code: e.value.code.as_ref().map(|c| c.value.clone()),
            }
        });
        let latency = raw.latency.as_ref().map(|l| {
            let bounds = LatencyBounds {
                min: self.duration(l.value.min.as_ref()),
                max: self.duration(l.value.max.as_ref()),
            };
            if let (Some(min), Some(max)) = (bounds.min, bounds.max)
                && min > max
            {
                self.error(
                    l,
                    format!(
                        "latency min {} is greater than max {}: no call could pass",
                        humantime::format_duration(min),
                        humantime::format_duration(max)
                    ),
                );
            }
            bounds
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
            lines: KeyLines {
                status: line_of(&raw.status),
                error: line_of(&raw.error),
                error_http: (raw.error.as_ref()).map_or(0, |e| line_of(&e.value.http)),
                error_code: (raw.error.as_ref()).map_or(0, |e| line_of(&e.value.code)),
                block_count: line_of(&raw.block_count),
                latency_min: (raw.latency.as_ref()).map_or(0, |l| line_of(&l.value.min)),
                latency_max: (raw.latency.as_ref()).map_or(0, |l| line_of(&l.value.max)),
                usage: line_of(&raw.usage),
                threshold: line_of(&raw.threshold),
                snapshot: line_of(&raw.snapshot),
            },
        }
    }
}

/// The line a key's value is written on; 0 when it is not written.
fn line_of<T>(value: &Option<Spanned<T>>) -> u32 {
    value.as_ref().map_or(0, |v| Position::of(v).line)
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
