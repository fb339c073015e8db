//! `flowcheck snapshots`: review pending snapshot changes one by one, accept or reject them in
//! bulk, and find golden files no case uses any more.

use crate::exit;
use crate::report::style::{ADDED, BOLD, DIM, REMOVED, paint};
use crate::snapshot::store;
use crate::snapshot::{Golden, golden_path};
use crate::words::{counted, visible};
use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum SnapshotsCommand {
    /// Show each pending change with its diff and ask: accept, reject, skip or quit.
    Review(Paths),
    /// Accept every pending change that a case of the suites uses.
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
            let pending = sort_out(pending, &p.paths)?;
            let typed = std::io::IsTerminal::is_terminal(&std::io::stdin());
            review(
                &pending,
                &p.paths,
                &mut std::io::stdin().lock(),
                &mut anstream::stdout(),
                !typed,
            )
        }),
        SnapshotsCommand::Accept(p) => pending(&p.paths)
            .and_then(|pending| sort_out(pending, &p.paths))
            .and_then(|pending| accept_all(&pending, &p.paths)),
        SnapshotsCommand::Reject(p) => pending(&p.paths).and_then(|p| reject_all(&p)),
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
    // `snap.yaml .` finds each file twice, once with `./`, and `$PWD snap.yaml` once by each
    // name: the first path given names it.
    for list in [&mut found.files, &mut found.links] {
        let mut seen = HashSet::new();
        list.retain(|file| {
            seen.insert(
                resolved(file).unwrap_or_else(|_| file.strip_prefix(".").unwrap_or(file).into()),
            )
        });
        list.sort();
    }
    passed_over(&found.links);
    Ok(found
        .files
        .into_iter()
        .filter(|file| store::is_pending(file))
        .collect())
}

/// Pending changes sorted by whether a case of the suites uses their golden file.
#[derive(Debug, Default)]
struct Sorted {
    /// Changes to a golden file that a case of the suites uses: to review or accept.
    used: Vec<PathBuf>,
    /// Changes that no case uses (its case or its suite was renamed or removed): accepting one
    /// would make a golden file nothing compares with, so they are left pending.
    unused: Vec<PathBuf>,
}

/// Sort `pending` by the golden files the cases of the suites under `paths` use (the suites
/// are read only when something is pending), and name on stderr each change no case uses.
fn sort_out(pending: Vec<PathBuf>, paths: &[PathBuf]) -> Result<Sorted, Failure> {
    if pending.is_empty() {
        return Ok(Sorted::default());
    }
    let suites = load_suites(paths)?;
    // A folder that does not exist holds no pending change to match.
    let used: HashSet<PathBuf> = suites
        .iter()
        .flat_map(golden_files)
        .filter_map(|golden| resolved(&golden).ok())
        .collect();
    let mut sorted = Sorted::default();
    for file in pending {
        let golden = match store::golden_of(&file) {
            Some(golden) => Some(resolved(&golden).map_err(|err| {
                Failure::Io(format!(
                    "cannot open the folder of {}: {err}",
                    file.display()
                ))
            })?),
            None => None,
        };
        if golden.is_some_and(|golden| used.contains(&golden)) {
            sorted.used.push(file);
        } else {
            sorted.unused.push(file);
        }
    }
    for file in &sorted.unused {
        crate::errln!(
            "note: left {} pending: no case of the suites uses it",
            file.display()
        );
    }
    Ok(sorted)
}

/// `file` with its folder resolved, so that two spellings of one file (`./`, absolute,
/// through a linked suites folder) are one; a link at the end stays itself.
fn resolved(file: &Path) -> std::io::Result<PathBuf> {
    let folder = file
        .parent()
        .filter(|folder| !folder.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = file
        .file_name()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "names no file"))?;
    Ok(folder.canonicalize()?.join(name))
}

/// The suites under `paths`; refused if any has a problem, for a snapshot of its cases could
/// then be taken for one no case uses.
fn load_suites(paths: &[PathBuf]) -> Result<Vec<crate::suite::Suite>, Failure> {
    let loaded = crate::suite::load(paths);
    if !loaded.errors.is_empty() {
        super::print_diagnostics(&loaded.errors);
        return Err(Failure::Usage(
            "the suites have problems; fix them first so no snapshot is wrongly taken for unused"
                .into(),
        ));
    }
    Ok(loaded.suites)
}

/// The golden file of each case with a snapshot, for each of its targets.
fn golden_files(suite: &crate::suite::Suite) -> Vec<PathBuf> {
    suite
        .cases
        .iter()
        .filter(|case| case.expect.snapshot.is_some())
        .flat_map(|case| {
            case.targets
                .iter()
                .map(move |target| golden_path(suite, case, *target))
        })
        .collect()
}

/// "; 1 left pending: no case of the suites uses it (...)": the end of a summary, `more` after
/// other changes left pending.
fn unused_left(unused: usize, more: &str, searched: &[PathBuf], hint: &str) -> String {
    if unused == 0 {
        return String::new();
    }
    let n = unused as u64;
    let paths: Vec<String> = searched.iter().map(|p| p.display().to_string()).collect();
    format!(
        "; {n}{more} left pending: no case of the suites uses {} (`flowcheck snapshots reject {}` {hint})",
        crate::words::agree(n, "it", "them"),
        paths.join(" ")
    )
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

fn accept_all(pending: &Sorted, searched: &[PathBuf]) -> Result<(), Failure> {
    for file in &pending.used {
        accept(file)?;
    }
    say(format!(
        "{} accepted{}\n",
        counted(pending.used.len() as u64, "pending snapshot change"),
        unused_left(
            pending.unused.len(),
            "",
            searched,
            crate::words::agree(pending.unused.len() as u64, "deletes it", "deletes them"),
        )
    ))
}

fn reject_all(pending: &[PathBuf]) -> Result<(), Failure> {
    for file in pending {
        reject(file)?;
    }
    say(format!(
        "{} rejected\n",
        counted(pending.len() as u64, "pending snapshot change")
    ))
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
    // A pending file may come from anyone (a pull request's files): what it names and holds
    // is shown with its control characters and the marks that reorder text escaped, so that
    // the change accepted is the change read.
    let mut out = format!(
        "{} › {} @ {}\n",
        paint(BOLD, visible(&new.suite)),
        paint(BOLD, visible(&new.case)),
        visible(&new.target)
    );
    out.push_str(&paint(
        DIM,
        format!("{}\n", visible(&pending.display().to_string())),
    ));
    let before = old
        .map(|g| serde_json::to_string_pretty(&g.value).unwrap_or_default())
        .unwrap_or_default();
    let after = serde_json::to_string_pretty(&new.value).unwrap_or_default();
    for change in similar::TextDiff::from_lines(&before, &after).iter_all_changes() {
        let text = visible(change.value().trim_end_matches('\n'));
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
    sorted: &Sorted,
    searched: &[PathBuf],
    input: &mut dyn BufRead,
    out: &mut dyn Write,
    // Answers piped in are not echoed by a terminal: write each, so lines do not run together.
    echo: bool,
) -> Result<(), Failure> {
    let io = |err: std::io::Error| Failure::Io(err.to_string());
    let pending = &sorted.used;
    if pending.is_empty() && sorted.unused.is_empty() {
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
        "{accepted} accepted, {rejected} rejected, {skipped} left pending{}",
        unused_left(
            sorted.unused.len(),
            " more",
            searched,
            "deletes every change left pending"
        )
    )
    .map_err(io)?;
    Ok(())
}

fn unreferenced(paths: &[PathBuf], remove: bool) -> Result<(), Failure> {
    let suites = load_suites(paths)?;
    let mut folders: Vec<PathBuf> = suites.iter().map(store::folder).collect();
    let used: HashSet<PathBuf> = suites.iter().flat_map(golden_files).collect();
    let (orphans, mut links) = orphaned(paths, &suites);
    folders.extend(orphans.iter().cloned());
    let found = store::find(&folders);
    links.extend(found.links);
    links.sort();
    links.dedup();
    passed_over(&links);
    // A pending change of a case no longer there: review and accept leave it pending. The
    // folder of a suite no longer there holds nothing any case uses.
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
    for orphan in &orphans {
        let stem = orphan
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let why = format!(
            "the snapshot folder of no suite (there is no {stem}.yaml or {stem}.yml beside its {} folder)",
            store::FOLDER
        );
        let shown = orphan.display();
        match (remove, remove && remove_empty(orphan)) {
            (false, _) => {
                crate::errln!("note: {shown} is {why}: every snapshot in it is unreferenced")
            }
            (true, true) => crate::errln!("note: removed {shown}, {why}"),
            (true, false) => crate::errln!(
                "note: {shown} is {why}: its snapshots are removed, and it stays for the other files in it"
            ),
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

/// The snapshot folders below the folders in `paths` (not those of a suite file named: it
/// stands for its own) whose suite is gone: no suite of `suites` uses it, and no suite file
/// (`<stem>.yaml` or `.yml`) is beside its `__snapshots__` folder. Folders are compared as
/// they resolve, so that a suite loaded through a linked folder keeps its own.
/// Returns them, and the links passed over on the way.
fn orphaned(paths: &[PathBuf], suites: &[crate::suite::Suite]) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let folders: Vec<PathBuf> = paths.iter().filter(|p| p.is_dir()).cloned().collect();
    let found = store::find(&folders);
    let in_use: HashSet<PathBuf> = suites
        .iter()
        .filter_map(|suite| store::folder(suite).canonicalize().ok())
        .collect();
    let orphans = found
        .suite_folders
        .into_iter()
        .filter(|folder| {
            let used = folder
                .canonicalize()
                .map_or(true, |resolved| in_use.contains(&resolved));
            // A file that is no suite (a data file, a link) keeps its folder too.
            let beside = store::suite_files_of(folder)
                .iter()
                .any(|file| std::fs::symlink_metadata(file).is_ok());
            !used && !beside
        })
        .collect();
    (orphans, found.links)
}

/// Remove `folder` and the folders in it, when they are empty (a file left, a README or a
/// link, keeps it and them); no link is followed. Whether `folder` is gone.
fn remove_empty(folder: &Path) -> bool {
    if let Ok(entries) = std::fs::read_dir(folder) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                remove_empty(&entry.path());
            }
        }
    }
    std::fs::remove_dir(folder).is_ok()
}
