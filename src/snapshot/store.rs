//! Where snapshots live: `__snapshots__/<suite file stem>/<case>@<target>.snap` beside the
//! suite, and pending changes in `.snap.new` files next to them.

use crate::suite::{Case, Suite, Target};
use std::path::{Path, PathBuf};

pub const FOLDER: &str = "__snapshots__";
pub const EXTENSION: &str = "snap";
/// The end of a pending change's file name: its golden file's name and [`NEW`].
pub const PENDING_SUFFIX: &str = ".snap.new";
const NEW: &str = ".new";

/// A case name as a file name: lowercase letters, digits and single hyphens.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            slug.push(c);
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug = slug.trim_end_matches('-');
    let slug: String = slug.chars().take(100).collect();
    if slug.is_empty() { "case".into() } else { slug }
}

pub fn folder(suite: &Suite) -> PathBuf {
    folder_of(&suite.file)
}

/// The snapshot folder of the suite in `file`.
pub fn folder_of(file: &Path) -> PathBuf {
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("suite");
    root_of(file).join(stem)
}

/// The `__snapshots__` folder beside the suite in `file`, which holds every suite's there
/// (`snapshots unreferenced` reads all of it): no report may be written into it.
pub fn root_of(file: &Path) -> PathBuf {
    file.parent().unwrap_or(Path::new(".")).join(FOLDER)
}

/// The name of a case's snapshot file for a target: `<slug>@<target>.snap`.
pub fn file_name(case: &str, target: &str) -> String {
    format!("{}@{target}.{EXTENSION}", slug(case))
}

/// Snapshots stay inside the project: `path` must resolve, through any symlink, inside the
/// suite's folder or the working directory, so a linked `__snapshots__` folder cannot make a
/// run read or write elsewhere. (Case names cannot: their slugs hold no `/` or `.`.)
pub fn check_inside(suite: &Suite, path: &Path) -> Result<(), String> {
    let existing = path
        .ancestors()
        .filter(|a| !a.as_os_str().is_empty())
        .find(|a| a.exists())
        .unwrap_or(Path::new("."));
    let resolved = existing
        .canonicalize()
        .map_err(|err| format!("cannot open {}: {err}", existing.display()))?;
    let suite_dir = suite
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let roots = [
        suite_dir.canonicalize().ok(),
        std::env::current_dir().and_then(|d| d.canonicalize()).ok(),
    ];
    if roots
        .iter()
        .flatten()
        .any(|root| resolved.starts_with(root))
    {
        Ok(())
    } else {
        Err(format!(
            "{} points outside the project (to {})",
            path.display(),
            resolved.display()
        ))
    }
}

pub fn golden_path(suite: &Suite, case: &Case, target: Target) -> PathBuf {
    folder(suite).join(file_name(&case.name, &target.to_string()))
}

pub fn pending_path(golden: &Path) -> PathBuf {
    let mut name = golden.as_os_str().to_owned();
    name.push(NEW);
    PathBuf::from(name)
}

/// Whether `path` names a golden file: `*.snap`.
pub fn is_golden(path: &Path) -> bool {
    ends_with(path, &format!(".{EXTENSION}"))
}

/// Whether `path` names a pending change: `*.snap.new`, and nothing else ending in `.new`
/// (`README.new`, `data.json.new`).
pub fn is_pending(path: &Path) -> bool {
    ends_with(path, PENDING_SUFFIX)
}

/// Whether the file name ends with `suffix` and has more before it; the name need not be UTF-8.
fn ends_with(path: &Path, suffix: &str) -> bool {
    path.file_name().is_some_and(|name| {
        let name = name.as_encoded_bytes();
        name.len() > suffix.len() && name.ends_with(suffix.as_bytes())
    })
}

/// The golden file a pending file would replace.
pub fn golden_of(pending: &Path) -> Option<PathBuf> {
    // `a.snap.new` to `a.snap`, a name that is not UTF-8 too.
    is_pending(pending).then(|| pending.with_extension(""))
}

/// What [`find`] found below its paths.
#[derive(Debug, Default)]
pub struct Found {
    /// The regular files inside `__snapshots__` folders, sorted.
    pub files: Vec<PathBuf>,
    /// The symbolic links inside `__snapshots__` folders (or that are one), passed over.
    pub links: Vec<PathBuf>,
    /// The folders in a `__snapshots__` folder walked (`<dir>/__snapshots__/<stem>`): one per
    /// suite that has snapshots, empty or not, sorted.
    pub suite_folders: Vec<PathBuf>,
}

/// Every regular file below `paths` inside a `__snapshots__` folder (hidden files and folders
/// passed over). No symbolic link is followed, to a folder or to a file: a link in a snapshot
/// folder could lead out of the project, or back into a folder being walked (`a -> .`), where
/// every file would be found again under a new name, or the walk would never end. A path
/// given is taken as it is, unless it is (or runs through) a link at or below a
/// `__snapshots__` folder. What is found is thus reached without links inside
/// `__snapshots__`, so the snapshots commands only ever delete files there.
pub fn find(paths: &[PathBuf]) -> Found {
    let mut found = Found::default();
    for path in paths {
        let inside = path.components().any(|c| c.as_os_str() == FOLDER);
        if let Some(link) = inside.then(|| linked(path)).flatten() {
            found.links.push(link);
            continue;
        }
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, inside, &mut found),
            Ok(meta) if meta.is_file() && inside => found.files.push(path.clone()),
            // A path given that is a link outside `__snapshots__`: a folder named by hand.
            Ok(meta) if meta.is_symlink() && !inside && path.is_dir() => {
                walk(path, false, &mut found)
            }
            _ => {}
        }
    }
    for list in [&mut found.files, &mut found.links, &mut found.suite_folders] {
        list.sort();
        list.dedup();
    }
    found
}

/// The first symbolic link among `path` and the folders above it, up to its `__snapshots__`.
fn linked(path: &Path) -> Option<PathBuf> {
    let mut link = None;
    for ancestor in path.ancestors() {
        if std::fs::symlink_metadata(ancestor).is_ok_and(|m| m.file_type().is_symlink()) {
            link = Some(ancestor.to_path_buf());
        }
        if ancestor.file_name().is_some_and(|name| name == FOLDER) {
            return link;
        }
    }
    link
}

fn walk(dir: &Path, inside: bool, found: &mut Found) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name.as_encoded_bytes().starts_with(b".") {
            continue;
        }
        // The entry's own type: a link is a link, whatever it leads to.
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let inside = inside || name == FOLDER;
        if kind.is_symlink() {
            if inside {
                found.links.push(entry.path());
            }
        } else if kind.is_dir() {
            if dir.file_name().is_some_and(|name| name == FOLDER) {
                found.suite_folders.push(entry.path());
            }
            walk(&entry.path(), inside, found);
        } else if kind.is_file() && inside {
            found.files.push(entry.path());
        }
    }
}

/// The suite files whose snapshot folder `folder` (`<dir>/__snapshots__/<stem>`) would be:
/// `<dir>/<stem>.yaml` and `<dir>/<stem>.yml`.
pub fn suite_files_of(folder: &Path) -> Vec<PathBuf> {
    let (Some(stem), Some(dir)) = (folder.file_name(), folder.parent().and_then(Path::parent))
    else {
        return Vec::new();
    };
    ["yaml", "yml"]
        .iter()
        .map(|extension| {
            let mut name = stem.to_owned();
            name.push(".");
            name.push(extension);
            dir.join(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_file_friendly() {
        assert_eq!(
            slug("Refund requests go to billing!"),
            "refund-requests-go-to-billing"
        );
        assert_eq!(
            slug("v3 no longer routes \"money back\""),
            "v3-no-longer-routes-money-back"
        );
        assert_eq!(slug("Ünïcode ça va"), "ünïcode-ça-va");
        assert_eq!(slug("!!!"), "case");
    }
}
