//! Cases made from a template: one per row of a `cases_from` data file, one per combination of
//! a `matrix`, within a limit counted before any is made.

use crate::diagnostic::Position;
use crate::suite::data;
use crate::suite::interpolate::Unresolved;
use crate::suite::model::Case;
use crate::suite::paths;
use crate::suite::raw::{RawCase, RawCasesFrom};
use serde_json::{Map, Value};
use serde_saphyr::Spanned;
use std::collections::HashSet;
use std::path::PathBuf;

use super::compile::{Compiler, Inherited};

impl Compiler<'_> {
    /// Compile a generated case and check its name is new.
    pub(super) fn compile_case(
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
    pub(super) fn expand_matrix(
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
        // A mistake in the template fails every combination alike: said once.
        let mut failed: Vec<Unresolved> = Vec::new();
        for combo in combos {
            let label = data::describe(&combo);
            let origin = Some(match &origin {
                Some(row) => format!("{row}, matrix {label}"),
                None => format!("matrix {label}"),
            });
            match self.fill(&template, &combo, &case, &label) {
                Ok(filled) => out.push((filled, origin)),
                Err(unresolved) => {
                    if !failed
                        .iter()
                        .any(|f| f.message.starts_with(&unresolved.message))
                    {
                        let message = format!(
                            "{} (in {})",
                            unresolved.message,
                            origin.as_deref().unwrap_or_default()
                        );
                        failed.push(Unresolved {
                            message,
                            ..unresolved
                        });
                    }
                }
            }
        }
        for unresolved in failed {
            self.unresolved(&case, unresolved);
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
        from: Spanned<RawCasesFrom>,
        out: &mut Vec<(Spanned<RawCase>, Option<String>)>,
    ) -> Option<PathBuf> {
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
        // A mistake in the template fails every row alike: said once, naming the rows.
        let mut failed: Vec<(Unresolved, Vec<u64>)> = Vec::new();
        let rows = file.len();
        for row in file {
            let label = format!("row {}", row.number);
            let origin = format!("row {} of {shown}", row.number);
            match self.fill(&template.value, &row.values, template, &label) {
                Ok(filled) => self.expand_matrix(filled, Some(origin), out),
                Err(message) => match failed.iter_mut().find(|(m, _)| *m == message) {
                    Some((_, numbers)) => numbers.push(row.number),
                    None => failed.push((message, vec![row.number])),
                },
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
                Unresolved {
                    message,
                    ..unresolved
                },
            );
        }
        Some(path)
    }

    /// The template with `{{name}}` filled from `values`; a name the template does not vary
    /// gets `[label]` appended so generated cases stay distinct.
    fn fill(
        &mut self,
        template: &RawCase,
        values: &Map<String, Value>,
        at: &Spanned<RawCase>,
        label: &str,
    ) -> Result<Spanned<RawCase>, Unresolved> {
        // An error that is not one placeholder's points at the template.
        let whole = |message: String| Unresolved {
            message,
            placeholder: String::new(),
        };
        let filled = serde_json::to_value(template)
            .map_err(|err| whole(err.to_string()))
            .and_then(|value| data::fill(&value, values))
            .and_then(|value| {
                // JSON is YAML: parsing it again gives every value a (meaningless) position,
                // which `compile_case` replaces with the template's.
                serde_saphyr::from_str::<RawCase>(&value.to_string())
                    .map_err(|err| whole(crate::diagnostic::yaml_message(&err)))
            });
        filled.map(|mut case| {
            if case.name.value == template.name.value {
                case.name.value = format!("{} [{label}]", case.name.value);
            }
            Spanned::new(case, at.referenced, at.defined)
        })
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
