//! The JSON report: every outcome with its request, response, timing and check results. This
//! is the format later commands (compare, merge, --only-failed) read, so it is versioned.

use crate::run::shard::Shard;
use crate::run::{CaseOutcome, PlanId, Stop, Totals};
use serde::Serialize;
use std::path::Path;
use std::time::{Duration, SystemTime};

pub const FORMAT_VERSION: u32 = 1;

#[derive(Serialize)]
pub struct JsonReport<'a> {
    pub format: u32,
    pub flowcheck: &'static str,
    pub started_at: String,
    #[serde(with = "super::duration_ms")]
    pub duration_ms: Duration,
    pub server: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<PlanId>,
    pub totals: Totals,
    pub cases: &'a [CaseOutcome],
}

/// What a report says of its run besides its cases.
pub struct RunHeader<'a> {
    pub started: SystemTime,
    pub elapsed: Duration,
    pub server: &'a str,
    pub stop: Option<&'a Stop>,
    /// `--shard K/N`, so that `merge` can tell when a shard's report is missing.
    pub shard: Option<Shard>,
    /// What identifies the run's plan, so that `merge` can tell shards of another run.
    pub plan: Option<PlanId>,
}

/// Write the report to `path` (atomically) as it is serialized, without holding it all in
/// memory.
pub fn write(
    path: &Path,
    outcomes: &[CaseOutcome],
    totals: Totals,
    header: &RunHeader<'_>,
) -> Result<(), String> {
    let report = report(outcomes, totals, header);
    super::write_report_with(path, |out| {
        serde_json::to_writer_pretty(out, &report).map_err(std::io::Error::from)
    })
}

/// Write the report to `path` (atomically) with the cases a run wrote aside as they finished
/// (see [`super::spill`]), in plan order.
pub fn write_spilled(
    path: &Path,
    spill: super::spill::Spill,
    totals: Totals,
    header: &RunHeader<'_>,
) -> Result<(), String> {
    let head = serde_json::to_vec_pretty(&report(&[], totals, header))
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    // `cases` is the report's last field: `..., "cases": []\n}`, its list put in from the
    // spill.
    let Some(head) = head.strip_suffix(b"[]\n}".as_slice()) else {
        return Err(format!(
            "cannot write {}: the report does not end with its cases",
            path.display()
        ));
    };
    super::write_report_with(path, |out| {
        out.write_all(head)?;
        spill.write_cases(out)?;
        out.write_all(b"\n}")
    })
}

fn report<'a>(
    outcomes: &'a [CaseOutcome],
    totals: Totals,
    header: &RunHeader<'a>,
) -> JsonReport<'a> {
    JsonReport {
        format: FORMAT_VERSION,
        flowcheck: env!("CARGO_PKG_VERSION"),
        started_at: humantime::format_rfc3339_millis(header.started).to_string(),
        duration_ms: header.elapsed,
        server: header.server,
        shard: header.shard,
        plan: header.plan.clone(),
        stopped: header.stop.map(Stop::tag),
        totals,
        cases: outcomes,
    }
}

/// A JSON report read back (for compare, merge, `--only-failed`, `--shard-durations`).
#[derive(Debug, serde::Deserialize)]
pub struct ReadReport {
    pub format: u32,
    /// The version that wrote it, to name in a message.
    #[serde(default)]
    pub flowcheck: Option<String>,
    #[serde(default)]
    pub started_at: String,
    #[serde(with = "super::duration_ms")]
    pub duration_ms: Duration,
    #[serde(default)]
    pub server: String,
    #[serde(default)]
    pub stopped: Option<String>,
    #[serde(default)]
    pub shard: Option<Shard>,
    #[serde(default)]
    pub plan: Option<PlanId>,
    pub cases: Vec<CaseOutcome>,
}

pub fn read(path: &std::path::Path) -> Result<ReadReport, String> {
    // A 100,000-case report is about 150 MB; a gigabyte is some 700,000 cases.
    let text = crate::files::read_limited(path, 1 << 30)?;
    let report: ReadReport =
        serde_json::from_str(&text).map_err(|err| unreadable(path, &text, &err))?;
    if report.format != FORMAT_VERSION {
        return Err(other_format(
            path,
            report.format,
            report.flowcheck.as_deref(),
        ));
    }
    // A run writes each case once: a case twice would count twice in a comparison.
    let mut seen = std::collections::HashSet::with_capacity(report.cases.len());
    if let Some(twice) = report.cases.iter().find(|c| !seen.insert(c.identity())) {
        return Err(format!(
            "{} holds {} › {} @ {} twice: a run writes each case once",
            path.display(),
            twice.suite,
            twice.case,
            twice.target
        ));
    }
    Ok(report)
}

/// Why a file that does not read as a report is not one, in the order that helps: another
/// format (a newer flowcheck's cases may read differently, so its format is read on its own
/// first), a comparison's JSON, else the first thing this format cannot read.
fn unreadable(path: &Path, text: &str, err: &serde_json::Error) -> String {
    // A report is an object; serde would read a list as the report's fields in order, and
    // speak of a "struct ReadReport with 8 elements".
    if text
        .trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r'])
        .starts_with('[')
    {
        return format!(
            "{} holds a JSON list, not a flowcheck JSON report (an object, as `flowcheck run --json` writes)",
            path.display()
        );
    }
    #[derive(serde::Deserialize)]
    struct Kind {
        format: Option<u32>,
        flowcheck: Option<String>,
        comparisons: Option<serde::de::IgnoredAny>,
    }
    match serde_json::from_str::<Kind>(text) {
        Ok(Kind {
            format: Some(format),
            flowcheck,
            ..
        }) if format != FORMAT_VERSION => other_format(path, format, flowcheck.as_deref()),
        Ok(Kind {
            comparisons: Some(_),
            ..
        }) => format!(
            "{} is a comparison (`flowcheck compare --json`), not a run's JSON report (`flowcheck run --json`)",
            path.display()
        ),
        _ => format!(
            "{} is not a flowcheck JSON report (`flowcheck run --json`): {err}",
            path.display()
        ),
    }
}

/// "has report format 2 (written by flowcheck 9.0.0); this flowcheck reads format 1".
fn other_format(path: &Path, format: u32, writer: Option<&str>) -> String {
    let writer = writer.map_or(String::new(), |v| format!(" (written by flowcheck {v})"));
    format!(
        "{} has report format {format}{writer}; this flowcheck reads format {FORMAT_VERSION}",
        path.display()
    )
}
