//! Reading a large suite file on every core. The YAML parser reads one file on one core, and a
//! 10,000-case file took most of `validate`'s time while the other core idled. So a large file
//! is cut into pieces at the starts of items of its `cases` list, and the pieces are read and
//! compiled at once, each on its own thread:
//!
//! ```text
//! piece 0:  the file up to the first cut           (suite:, flow:, ... cases:, items)
//! piece 1:  "cases:", blank lines, the next items  (the blank lines keep every line number)
//! last:     "cases:", blank lines, the last items and the keys after the list
//! ```
//!
//! The result must be the suite that reading the whole file gives, so this path gives up, and
//! the whole file is read instead, whenever a piece is not plainly a part of that reading: a
//! piece that does not parse (a cut inside a quoted string or a flow collection), a problem in
//! any piece (the whole reading reports problems with their context), anchors or aliases (an
//! alias may point into another piece), a key or a case name in two pieces, and a file that
//! would exceed the parser's budget as a whole.

use super::compile::Compiler;
use super::{Env, Piece, Stopped, read_piece};
use crate::diagnostic::Diagnostic;
use crate::suite::model::Suite;
use serde_saphyr::budget::{Budget, BudgetReport};
use std::borrow::Cow;
use std::path::Path;

/// A piece smaller than this is not worth a thread.
const MIN_PIECE_BYTES: usize = 128 * 1024;
const MAX_PIECES: usize = 8;
/// The pieces' threads get the main thread's stack: the parser recurses on nesting.
const STACK_BYTES: usize = 8 * 1024 * 1024;

/// How many pieces to read a file of `len` bytes in: one per core, each large enough.
pub(super) fn pieces_for(len: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    cores.min(MAX_PIECES).min(len / MIN_PIECE_BYTES).max(1)
}

/// The suite, read in up to `pieces` pieces at once; `None` when the file cannot be cut or
/// the pieces cannot be trusted to give what the whole file gives (see the module's text).
pub fn parse_in_pieces(file: &Path, text: &str, env: Env<'_>, pieces: usize) -> Option<Suite> {
    let cuts = cuts(text, pieces);
    if cuts.is_empty() {
        return None;
    }
    parse_cut(file, text, env, &cuts)
}

/// The suite, read in pieces cut at every item of the `cases` list, as small as they come; for
/// the fuzz target, which holds it to what reading the whole file gives.
pub fn parse_cut_at_every_item(file: &Path, text: &str, env: Env<'_>) -> Option<Suite> {
    let cuts = item_starts(text);
    if cuts.is_empty() {
        return None;
    }
    parse_cut(file, text, env, &cuts)
}

/// The suite, read in pieces cut at these byte offsets (starts of lines).
fn parse_cut(file: &Path, text: &str, env: Env<'_>, cuts: &[usize]) -> Option<Suite> {
    let texts = piece_texts(text, cuts);
    let read: Vec<Option<(Piece, Option<BudgetReport>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts[1..]
            .iter()
            .map(|piece| {
                std::thread::Builder::new()
                    .stack_size(STACK_BYTES)
                    .spawn_scoped(scope, move || read_piece(file, piece, env, false).ok())
            })
            .collect();
        let first = read_piece(file, &texts[0], env, false).ok();
        std::iter::once(first)
            .chain(
                handles
                    .into_iter()
                    .map(|handle| handle.ok().and_then(|handle| handle.join().ok()).flatten()),
            )
            .collect()
    });
    let mut reports = Vec::new();
    let mut whole: Option<Piece> = None;
    for piece in read {
        let (piece, report) = piece?;
        if !piece.errors.is_empty() {
            return None;
        }
        reports.push(report?);
        whole = Some(match whole {
            None => piece,
            Some(mut whole) => {
                whole.header = whole.header.merge(piece.header)?;
                if !whole.cases.append(piece.cases) {
                    return None;
                }
                whole
            }
        });
    }
    if !within_budget(&reports) {
        return None;
    }
    let whole = whole?;
    let mut compiler = Compiler::new(file, env, Vec::new());
    let suite = compiler.suite(whole.header.finish()?, whole.cases);
    compiler.errors.is_empty().then_some(suite)
}

/// Whether the pieces together stay within what the parser allows one file, and hold no
/// anchors or aliases (which may reach from one piece into another).
fn within_budget(reports: &[BudgetReport]) -> bool {
    let budget = Budget::default();
    let sum = |count: fn(&BudgetReport) -> usize| reports.iter().map(count).sum::<usize>();
    reports.iter().all(|r| r.breached.is_none())
        && sum(|r| r.anchors + r.aliases + r.merge_keys + r.recorded_anchor_events) == 0
        && sum(|r| r.events) <= budget.max_events
        && sum(|r| r.nodes) <= budget.max_nodes
        && sum(|r| r.total_scalar_bytes) <= budget.max_total_scalar_bytes
}

/// The text of each piece: the file up to the first cut, then from each cut to the next after
/// a `cases:` line and as many line breaks as keep its lines where they are in the file.
fn piece_texts<'t>(text: &'t str, cuts: &[usize]) -> Vec<Cow<'t, str>> {
    let mut texts = vec![Cow::Borrowed(&text[..cuts[0]])];
    let mut line_breaks_before = 0;
    let mut counted_to = 0;
    for (i, &from) in cuts.iter().enumerate() {
        let to = cuts.get(i + 1).copied().unwrap_or(text.len());
        line_breaks_before += text[counted_to..from].matches('\n').count();
        counted_to = from;
        let mut piece = String::with_capacity(6 + line_breaks_before + to - from);
        piece.push_str("cases:");
        piece.extend(std::iter::repeat_n('\n', line_breaks_before));
        piece.push_str(&text[from..to]);
        texts.push(Cow::Owned(piece));
    }
    texts
}

/// The first `limit` errors the YAML reader finds after `line`: the reader stops a file at its
/// first unknown key or wrong type, and a newcomer's mistakes in five cases took five runs of
/// `validate` to see. So the rest of the file is read again from the next item of the `cases`
/// list, as often as an error stops it. Only the reader's own errors: a case's other problems
/// may depend on the rest of the file, and come once these are fixed. Empty where the file
/// cannot be cut (see [`item_starts`]), holds anchors or aliases, or is no YAML at all (after a
/// syntax error, a piece could start inside a quoted string).
pub(super) fn later_errors(
    file: &Path,
    text: &str,
    env: Env<'_>,
    line: u64,
    limit: usize,
) -> (Vec<Stopped>, Vec<Diagnostic>) {
    // Lines that look like items may be inside a quoted text: only those the parser itself
    // starts an item of `cases` on are cut at.
    let Some(real) = item_lines(text).filter(|_| !anchored(text)) else {
        return (Vec::new(), Vec::new());
    };
    // Each item's start and first line, counted once.
    let (mut items, mut lines) = (Vec::new(), Vec::new());
    let (mut counted, mut breaks) = (0, 0);
    for at in every_item_start(text) {
        breaks += text[counted..at].matches('\n').count();
        counted = at;
        let line = breaks as u64 + 1;
        // An item written `-` alone starts, to the parser, at its first key on a later line.
        let first_key = || {
            let rest = text[at..].lines().skip(1).enumerate();
            rest.filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
                .map(|(n, _)| line + 1 + n as u64)
                .next()
        };
        let bare = text[at..].lines().next().is_some_and(|l| l.trim() == "-");
        if real.contains(&line) || (bare && first_key().is_some_and(|key| real.contains(&key))) {
            items.push(at);
            lines.push(line);
        }
    }
    let mut errors = Vec::new();
    let mut after = line;
    while errors.len() < limit {
        let rest = match lines.iter().position(|&first| first > after) {
            Some(next) => piece_texts(text, &items[next..=next]).swap_remove(1),
            // After the last item, the suite's keys that follow the list (`defaults:`).
            None => match items.last().and_then(|&last| keys_after(text, last, after)) {
                Some(keys) => Cow::Owned(keys),
                None => break,
            },
        };
        let stopped = match read_piece(file, &rest, env, false) {
            Err(stopped) => stopped,
            // Read to its end: the problems of its cases are the last ones.
            Ok((piece, _)) => return (errors, piece.errors),
        };
        match stopped.error.location().map(|at| at.line()) {
            Some(at) if at > after => {
                after = at;
                errors.push(stopped);
            }
            _ => break,
        }
    }
    (errors, Vec::new())
}

/// The suite's keys written after its `cases` list, whose last item starts at `last`, as a
/// piece of their own (`cases: []`, then the keys on their lines); `None` when there are none
/// after line `after`. A key is a line at the margin after the last item: an item's own lines
/// are indented, or start with `-`.
fn keys_after(text: &str, last: usize, after: u64) -> Option<String> {
    let mut at = last + text[last..].find('\n')? + 1;
    while at < text.len() {
        let line = &text[at..];
        if !line.starts_with([' ', '\t', '\r', '\n', '#', '-', '.']) {
            let breaks = text[..at].matches('\n').count();
            if (breaks as u64) < after {
                return None;
            }
            return Some(format!("cases: []{}{line}", "\n".repeat(breaks)));
        }
        at += line.find('\n').map_or(line.len(), |end| end + 1);
    }
    None
}

/// The lines the items of the file's `cases` list start on, as the YAML parser reads them;
/// `None` for a file it cannot read, or whose `cases` is no list.
fn item_lines(text: &str) -> Option<std::collections::HashSet<u64>> {
    #[derive(serde::Deserialize)]
    struct Items {
        #[serde(default)]
        cases: Vec<serde_saphyr::Spanned<serde::de::IgnoredAny>>,
    }
    // Only where items start is read: a case's own mistakes (a key given twice, an infinite
    // number) are the errors being looked for, not a reason to find no items.
    let mut options = crate::yaml::options();
    options.duplicate_keys = serde_saphyr::options::DuplicateKeyPolicy::PassThrough;
    options.non_finite_float_policy = serde_saphyr::options::NonFiniteFloatPolicy::AsString;
    let items: Items = serde_saphyr::from_str_with_options(text, options).ok()?;
    Some(
        items
            .cases
            .iter()
            .map(|item| item.referenced.line())
            .collect(),
    )
}

/// Whether the text plainly holds anchors, aliases or merge keys, which make pieces give up.
fn anchored(text: &str) -> bool {
    ["&", "*", "<<:"].iter().any(|mark| {
        [": ", "- "]
            .iter()
            .any(|before| text.contains(&format!("{before}{mark}")))
    })
}

/// Where to cut the `cases` list into `pieces` of about equal size; empty when the file is not
/// worth cutting or not laid out for it (see [`item_starts`]).
fn cuts(text: &str, pieces: usize) -> Vec<usize> {
    // Anchors and aliases make pieces give up after reading: do not start when they are
    // plainly there.
    if pieces < 2 || anchored(text) {
        return Vec::new();
    }
    let items = item_starts(text);
    let mut chosen: Vec<usize> = Vec::new();
    for i in 1..pieces {
        let share = text.len() / pieces * i;
        let after = chosen.last().copied().unwrap_or(0);
        if let Some(&cut) = items.iter().find(|&&at| at >= share && at > after) {
            chosen.push(cut);
        }
    }
    chosen
}

/// The byte offsets of the lines that start an item of the `cases` list (`- ` at the list's
/// indentation), but the first. Empty when the file is not laid out as a block list under a
/// top-level `cases:` line, or uses what pieces cannot follow (directives, tabs in
/// indentation).
fn item_starts(text: &str) -> Vec<usize> {
    let mut items = every_item_start(text);
    match items.is_empty() {
        true => items,
        false => items.split_off(1),
    }
}

/// [`item_starts`] with the first item's.
fn every_item_start(text: &str) -> Vec<usize> {
    if text.starts_with('%') || text.contains("\n%") {
        return Vec::new();
    }
    let mut items = Vec::new();
    let mut in_cases = false;
    let mut indent = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let content = line.trim_end_matches(['\n', '\r']);
        let body = content.trim_start_matches(' ');
        if body.starts_with('\t') {
            return Vec::new();
        }
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let spaces = content.len() - body.len();
        if !in_cases {
            in_cases = spaces == 0 && content.trim_end_matches(' ') == "cases:";
            continue;
        }
        let item = body == "-" || body.starts_with("- ");
        match indent {
            None if item => {
                indent = Some(spaces);
                items.push(start);
            }
            Some(list) if spaces > list => {}
            Some(list) if spaces == list && item => items.push(start),
            // The list ended (a key after it), or `cases:` holds no block list.
            _ => break,
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn whole(text: &str) -> String {
        format!(
            "{:?}",
            super::super::parse_whole(Path::new("s.yaml"), text, &no_env)
        )
    }

    fn in_pieces(text: &str, pieces: usize) -> Option<String> {
        parse_in_pieces(Path::new("s.yaml"), text, &no_env, pieces)
            .map(|s| format!("{:?}", Ok::<_, ()>(s)))
    }

    const CASE: &str = "  - name: case NAME\n    message: \"m NAME\"\n    tags: [t]\n    expect:\n      output:\n        - {path: $.echo, equals: \"m NAME\"}\n";

    fn suite(cases: usize, head: &str, tail: &str) -> String {
        let mut text = format!("suite: s\nflow: demo/bench/echo\n{head}cases:\n");
        for i in 0..cases {
            text.push_str(&CASE.replace("NAME", &i.to_string()));
        }
        text.push_str(tail);
        text
    }

    #[test]
    fn pieces_give_the_suite_the_whole_file_gives() {
        let text = suite(
            40,
            "targets: [v2]\n",
            "defaults:\n  repeat: 2\n  timeout: 5s\nmode: async\n",
        );
        for pieces in 2..=5 {
            assert_eq!(cuts(&text, pieces).len(), pieces - 1, "{pieces} pieces");
            assert_eq!(
                in_pieces(&text, pieces),
                Some(whole(&text)),
                "{pieces} pieces"
            );
        }
    }

    #[test]
    fn line_numbers_are_those_of_the_file() {
        let text = suite(10, "", "");
        let suite = parse_in_pieces(Path::new("s.yaml"), &text, &no_env, 3);
        let lines: Option<Vec<u32>> = suite.map(|s| s.cases.iter().map(|c| c.line).collect());
        assert_eq!(lines, Some((0..10).map(|i| 4 + 6 * i).collect()));
    }

    /// The suite read in pieces cut at every item line, as text to compare.
    fn cut_everywhere(text: &str) -> Option<String> {
        let cuts = item_starts(text);
        assert!(!cuts.is_empty(), "no item lines in\n{text}");
        parse_cut(Path::new("s.yaml"), text, &no_env, &cuts)
            .map(|s| format!("{:?}", Ok::<_, ()>(s)))
    }

    #[test]
    fn what_pieces_cannot_follow_is_read_whole() {
        let anchored = suite(10, "", "")
            .replacen("tags: [t]", "tags: &t [t]", 1)
            .replace("tags: [t]", "tags: *t");
        let repeated_name = suite(10, "", "").replace("case 8", "case 1");
        let repeated_key = suite(10, "mode: sync\n", "mode: async\n");
        let broken_late = suite(10, "", "").replace("\"m 8\"\n", "[\"m 8\"\n");
        let bad_regex = suite(10, "", "").replace("equals: \"m 7\"", "matches: \"(\"");
        // A line that looks like an item but is inside a quoted string: the piece before it
        // does not parse.
        let in_a_string =
            suite(10, "", "").replace("\"m 5\"\n", "\"m 5\n  - inside\n  - the string\"\n");
        for text in [
            &anchored,
            &repeated_name,
            &repeated_key,
            &broken_late,
            &bad_regex,
            &in_a_string,
        ] {
            assert_eq!(cut_everywhere(text), None, "{text}");
            for pieces in 2..=4 {
                let read = in_pieces(text, pieces);
                assert!(
                    read.is_none() || read == Some(whole(text)),
                    "{pieces} pieces of\n{text}"
                );
            }
        }
        // Anchors are not even tried.
        assert!(cuts(&anchored, 2).is_empty());
        let tabbed = suite(10, "", "").replace("  - name: case 5", "\t- name: case 5");
        assert!(item_starts(&tabbed).is_empty());
        assert!(item_starts(&format!("%YAML 1.2\n---\n{}", suite(10, "", ""))).is_empty());
        assert!(item_starts(&suite(10, "", "").replace("cases:\n", "cases: # all\n")).is_empty());
    }

    #[test]
    fn only_large_files_are_cut_and_never_into_more_pieces_than_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(pieces_for(0), 1);
        assert_eq!(pieces_for(MIN_PIECE_BYTES - 1), 1);
        assert_eq!(pieces_for(MIN_PIECE_BYTES * 2), cores.min(2));
        assert_eq!(pieces_for(usize::MAX), cores.min(MAX_PIECES));
    }

    #[test]
    fn a_file_refused_whole_for_its_size_is_refused_in_pieces_too() {
        // 4 cases of 70,000 tags: 280,000 nodes in all, fewer than the parser's 250,000 limit
        // in either half.
        let tags = vec!["a"; 70_000].join(",");
        let mut text = "suite: s\nflow: demo/bench/echo\ncases:\n".to_owned();
        for i in 0..4 {
            text.push_str(&format!("  - name: c{i}\n    tags: [{tags}]\n"));
        }
        assert_eq!(in_pieces(&text, 2), None);
        let whole = super::super::parse(Path::new("s.yaml"), &text, &no_env);
        let errors = whole.err().unwrap_or_default();
        assert!(
            errors
                .iter()
                .any(|e| e.message.contains("too large to read at once")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_file_over_the_parsers_budget_as_a_whole_is_read_whole() {
        let report = |nodes| {
            let mut report = BudgetReport::default();
            report.nodes = nodes;
            report
        };
        let limit = Budget::default().max_nodes;
        assert!(within_budget(&[report(limit / 2), report(limit / 2)]));
        assert!(!within_budget(&[report(limit / 2), report(limit / 2 + 1)]));
    }

    /// One case's lines, but its name: what is written, and how, varies.
    fn item() -> impl Strategy<Value = String> {
        let message = prop_oneof![
            8 => "[a-z ]{0,8}".prop_map(|s| format!("\"{s}\"")),
            8 => "[a-z]{1,8}",
            8 => Just("|\n      - a\n      b".to_owned()),
            8 => Just("\"two\n      - lines\"".to_owned()),
            1 => Just("&x anchored".to_owned()),
            1 => Just("*x".to_owned()),
        ];
        let tags = prop_oneof![
            Just(""),
            Just("    tags: [t]\n"),
            Just("    tags: [a,\n      b]\n"),
            Just("    tags:\n    - t\n"),
        ];
        (message, tags, prop::bool::ANY).prop_map(|(message, tags, comment)| {
            let comment = if comment { "# note\n" } else { "" };
            format!("{comment}    message: {message}\n{tags}")
        })
    }

    proptest! {
        /// Whatever the file and wherever it is cut, pieces give what the whole file gives,
        /// or nothing.
        #[test]
        fn pieces_never_differ_from_the_whole(
            items in prop::collection::vec(item(), 2..24),
            tail in prop_oneof![
                4 => Just(""),
                4 => Just("mode: async\n"),
                4 => Just("# end\n  - name: after a comment\n"),
                1 => Just("suite: again\n"),
                1 => Just("cases:\n  - name: z\n"),
            ],
            keep in prop::collection::vec(prop::bool::ANY, 24),
        ) {
            let mut text = "suite: s\nflow: demo/bench/echo\ncases:\n".to_owned();
            for (i, item) in items.iter().enumerate() {
                text.push_str(&format!("  - name: c{i}\n{item}"));
            }
            text.push_str(tail);
            let cuts: Vec<usize> = item_starts(&text)
                .into_iter()
                .zip(&keep)
                .filter(|(_, keep)| **keep)
                .map(|(cut, _)| cut)
                .collect();
            prop_assume!(!cuts.is_empty());
            if let Some(read) = parse_cut(Path::new("s.yaml"), &text, &no_env, &cuts) {
                prop_assert_eq!(format!("{:?}", Ok::<_, ()>(read)), whole(&text));
            }
        }
    }
}
