//! `all`, `any` and `not`: combine nested checks on the value at this check's path. Nested
//! paths are relative to that value.

use super::{Definition, Predicate, Verdict};
use crate::check::Check;
use crate::check::grade::Grades;
use crate::check::raw::{compile_list, compile_value};
use serde_json::Value;
use std::sync::Arc;

pub const ALL: Definition = Definition {
    name: "all",
    argument: super::Argument::Checks,
    parse: |v, c| {
        Ok(Arc::new(Combine {
            checks: compile_list(v, c)?,
            kind: Kind::All,
        }))
    },
    summary: "every nested check passes",
};
pub const ANY: Definition = Definition {
    name: "any",
    argument: super::Argument::Checks,
    parse: |v, c| {
        Ok(Arc::new(Combine {
            checks: compile_list(v, c)?,
            kind: Kind::Any,
        }))
    },
    summary: "at least one nested check passes",
};
pub const NOT: Definition = Definition {
    name: "not",
    argument: super::Argument::Check,
    parse: |v, c| {
        Ok(Arc::new(Combine {
            checks: vec![compile_value(v, c)?],
            kind: Kind::Not,
        }))
    },
    summary: "the nested check fails (`not: true` on a check negates that check instead)",
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    All,
    Any,
    Not,
}

#[derive(Debug)]
struct Combine {
    checks: Vec<Check>,
    kind: Kind,
}

impl Predicate for Combine {
    fn evaluate(&self, actual: Option<&Value>, grades: &Grades) -> Verdict {
        let verdicts: Vec<(&Check, Verdict)> = self
            .checks
            .iter()
            .map(|c| (c, c.verdict(actual, grades).1))
            .collect();
        let failed: Vec<&str> = verdicts
            .iter()
            .filter(|(_, v)| !v.passed)
            .map(|(c, _)| c.label())
            .collect();
        match self.kind {
            Kind::All if failed.is_empty() => Verdict::pass(),
            Kind::All => Verdict::fail(format!("failed: {}", failed.join("; "))),
            Kind::Any if failed.len() < verdicts.len() => Verdict::pass(),
            Kind::Any => Verdict::fail("none of them passed"),
            Kind::Not if failed.is_empty() => Verdict::fail("the nested check passed"),
            Kind::Not => Verdict::pass(),
        }
    }

    fn describe(&self) -> String {
        let parts: Vec<&str> = self.checks.iter().map(Check::label).collect();
        match self.kind {
            Kind::All => format!("all of ({})", parts.join("; ")),
            Kind::Any => format!("any of ({})", parts.join("; ")),
            Kind::Not => format!("not ({})", parts.join("; ")),
        }
    }
}
