//! `flowcheck snapshots`: review pending snapshot changes one by one, accept or reject them in
//! bulk, and find golden files no case uses any more.

use crate::exit;
use crate::report::style::{ADDED, BOLD, DIM, REMOVED, paint};
use crate::snapshot::store;
use crate::snapshot::{Golden, golden_path};
use crate::words::counted;
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum SnapshotsCommand {
    /// Show each pending change with its diff and ask: accept, reject, skip or quit.
    Review(Paths),
    /// Accept every pending change.
    Accept(Paths),
    /// Reject (delete) every pending change.
    Reject(Paths),
    /// List golden snapshots that no case uses; with --remove, delete them.
    Unreferenced {
        #[command(flatten)]
        paths: Paths,
        /// Delete the unreferenced golden files instead of listing them.
        #[arg(long)]
        remove: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct Paths {
    /// Suite files or folders: a suite file stands for its own snapshots, a folder for those
    /// below it.
    #[arg(default_value = "suites")]
    pub paths: Vec<PathBuf>,
}

pub fn snapshots(command: SnapshotsCommand) -> u8 {
    let result = match command {
        SnapshotsCommand::Review(p) => pending(&p.paths).and_then(|pending| {
            let typed = std::io::IsTerminal::is_terminal(&std::io::stdin());
            review(
                &pending,
                &p.paths,
                &mut std::io::stdin().lock(),
                &mut anstream::stdout(),
                !typed,
            )
        }),
        SnapshotsCommand::Accept(p) => pending(&p.paths).and_then(|p| bulk(&p, true)),
        SnapshotsCommand::Reject(p) => pending(&p.paths).and_then(|p| bulk(&p, false)),
        SnapshotsCommand::Unreferenced { paths, remove } => unreferenced(&paths.paths, remove),
    };
    match result {
        Ok(()) => exit::SUCCESS,
        Err(Failure::Usage(message)) => {
            crate::errln!("error: {message}");
            exit::USAGE
        }
        Err(Failure::Io(message)) => {
            crate::errln!("error: {message}");
            exit::INFRA
        }
        Err(Failure::Reported(code)) => code,
    }
}

enum Failure {
    Usage(String),
    Io(String),
    /// Already reported.
    Reported(u8),
}

fn say(text: String) -> Result<(), Failure> {
    super::print_out(text).map_err(Failure::Reported)
}

/// Pending files of the suites: a suite file stands for its own snapshot folder
/// (`__snapshots__/<stem>/` beside it), a folder for every snapshot folder below it.
fn pending(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut found = store::Found::default();
    for path in paths {
        let folder = if path.is_file() {
            // `snap.yaml` (parent "") names its files as `run` does: `__snapshots__/snap/...`.
            store::folder_of(path)
        } else if path.is_dir() {
            path.clone()
        } else {
            let message = format!("{}: no such file or folder", path.display());
            return Err(Failure::Usage(message));
        };
        let more = store::find(&[folder]);
        found.files.extend(more.files);
        found.links.extend(more.links);
    }
    // `snap.yaml .` finds each file twice, once with `./`: the first path given names it.
    for list in [&mut found.files, &mut found.links] {
        let mut seen = HashSet::new();
        list.retain(|file| seen.insert(file.strip_prefix(".").unwrap_or(file).to_path_buf()));
        list.sort();
    }
    passed_over(&found.links);
    Ok(found
        .files
        .into_iter()
        .filter(|file| store::is_pending(file))
        .collect())
}

/// Say which symbolic links in snapshot folders were not followed (see [`store::find`]).
fn passed_over(links: &[PathBuf]) {
    for link in links {
        crate::errln!(
            "note: passed over {}: a symbolic link (links in __snapshots__ folders are not followed)",
            link.display()
        );
    }
}

/// Replace the golden file with the pending one, stamped as accepted now.
fn accept(pending: &Path) -> Result<(), Failure> {
    let golden_file = store::golden_of(pending)
        .ok_or_else(|| Failure::Io(format!("{} is not a pending snapshot", pending.display())))?;
    let mut golden = Golden::read(pending)
        .map_err(Failure::Io)?
        .ok_or_else(|| Failure::Io(format!("{} disappeared", pending.display())))?;
    golden.when = crate::snapshot::golden::now();
    crate::files::write_atomic(&golden_file, &golden.render(false)).map_err(Failure::Io)?;
    std::fs::remove_file(pending)
        .map_err(|err| Failure::Io(format!("cannot remove {}: {err}", pending.display())))
}

fn reject(pending: &Path) -> Result<(), Failure> {
    std::fs::remove_file(pending)
        .map_err(|err| Failure::Io(format!("cannot remove {}: {err}", pending.display())))
}

fn bulk(pending: &[PathBuf], accepting: bool) -> Result<(), Failure> {
    for file in pending {
        if accepting {
            accept(file)?
        } else {
            reject(file)?
        }
    }
    let verb = if accepting { "accepted" } else { "rejected" };
    say(format!(
        "{} {verb}\n",
        counted(pending.len() as u64, "pending snapshot change")
    ))?;
    Ok(())
}

/// The diff between the golden file (if any) and the pending change.
fn describe(pending: &Path) -> Result<String, Failure> {
    let new = Golden::read(pending)
        .map_err(Failure::Io)?
        .ok_or_else(|| Failure::Io(format!("{} disappeared", pending.display())))?;
    let old = store::golden_of(pending)
        .map(|g| Golden::read(&g))
        .transpose()
        .map_err(Failure::Io)?
        .flatten();
    let mut out = format!(
        "{} › {} @ {}\n",
        paint(BOLD, &new.suite),
        paint(BOLD, &new.case),
        new.target
    );
    out.push_str(&paint(DIM, format!("{}\n", pending.display())));
    let before = old
        .map(|g| serde_json::to_string_pretty(&g.value).unwrap_or_default())
        .unwrap_or_default();
    let after = serde_json::to_string_pretty(&new.value).unwrap_or_default();
    for change in similar::TextDiff::from_lines(&before, &after).iter_all_changes() {
        let text = change.value().trim_end_matches('\n');
        let line = match change.tag() {
            similar::ChangeTag::Delete => paint(REMOVED, format!("- {text}")),
            similar::ChangeTag::Insert => paint(ADDED, format!("+ {text}")),
            similar::ChangeTag::Equal => paint(DIM, format!("  {text}")),
        };
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}

/// Ask about each pending change; answers come one per line (a, r, s or q).
fn review(
    pending: &[PathBuf],
    searched: &[PathBuf],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    // Answers piped in are not echoed by a terminal: write each, so lines do not run together.
    echo: bool,
) -> Result<(), Failure> {
    let io = |err: std::io::Error| Failure::Io(err.to_string());
    if pending.is_empty() {
        let searched: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
        writeln!(
            out,
            "no pending snapshot changes (.snap.new) under {}",
            searched.join(", ")
        )
        .map_err(io)?;
        return Ok(());
    }
    let (mut accepted, mut rejected, mut skipped) = (0, 0, 0);
    'files: for (index, file) in pending.iter().enumerate() {
        write!(
            out,
            "\n[{}/{}] {}",
            index + 1,
            pending.len(),
            describe(file)?
        )
        .map_err(io)?;
        loop {
            write!(out, "accept (a), reject (r), skip (s), quit (q)? ").map_err(io)?;
            out.flush().map_err(io)?;
            let mut line = String::new();
            // The end of the input quits: the rest stays pending.
            let answer = if input.read_line(&mut line).map_err(io)? == 0 {
                writeln!(out).map_err(io)?;
                "q"
            } else {
                line.trim()
            };
            if echo && !line.is_empty() {
                writeln!(out, "{answer}").map_err(io)?;
            }
            match answer {
                "a" | "accept" => {
                    accept(file)?;
                    accepted += 1;
                }
                "r" | "reject" => {
                    reject(file)?;
                    rejected += 1;
                }
                "s" | "skip" | "" => skipped += 1,
                "q" | "quit" => {
                    skipped += pending.len() - index;
                    break 'files;
                }
                other => {
                    writeln!(out, "{other:?} is not an answer: type a, r, s or q").map_err(io)?;
                    continue;
                }
            }
            break;
        }
    }
    writeln!(
        out,
        "{accepted} accepted, {rejected} rejected, {skipped} left pending"
    )
    .map_err(io)?;
    Ok(())
}

fn unreferenced(paths: &[PathBuf], remove: bool) -> Result<(), Failure> {
    let loaded = crate::suite::load(paths);
    if !loaded.errors.is_empty() {
        super::print_diagnostics(&loaded.errors);
        return Err(Failure::Usage(
            "the suites have problems; fix them first so no snapshot is wrongly taken for unused"
                .into(),
        ));
    }
    let mut used = HashSet::new();
    let mut folders = Vec::new();
    for suite in &loaded.suites {
        folders.push(store::folder(suite));
        for case in suite.cases.iter().filter(|c| c.expect.snapshot.is_some()) {
            for target in &case.targets {
                used.insert(golden_path(suite, case, *target));
            }
        }
    }
    let found = store::find(&folders);
    passed_over(&found.links);
    // A pending change of a case no longer there would be offered for review, and accepting
    // it would make a golden file no case uses.
    let stale: Vec<PathBuf> = found
        .files
        .into_iter()
        .filter(|f| {
            (store::is_golden(f) && !used.contains(f))
                || store::golden_of(f).is_some_and(|golden| !used.contains(&golden))
        })
        .collect();
    for file in &stale {
        say(format!("{}\n", file.display()))?;
        if remove {
            std::fs::remove_file(file)
                .map_err(|err| Failure::Io(format!("cannot remove {}: {err}", file.display())))?;
        }
    }
    let verb = if remove {
        "removed"
    } else {
        "found (remove them with --remove)"
    };
    say(format!(
        "{} {verb}\n",
        counted(stale.len() as u64, "unreferenced snapshot")
    ))?;
    Ok(())
}
