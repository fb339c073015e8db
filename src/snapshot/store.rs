//! Where snapshots live: `__snapshots__/<suite file stem>/<case>@<target>.snap` beside the
//! suite, and pending changes in `.snap.new` files next to them.

use crate::suite::{Case, Suite, Target};
use std::path::{Path, PathBuf};

pub const FOLDER: &str = "__snapshots__";
pub const EXTENSION: &str = "snap";
pub const PENDING_SUFFIX: &str = ".new";

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
    let dir = file.parent().unwrap_or(Path::new("."));
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("suite");
    dir.join(FOLDER).join(stem)
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
    name.push(PENDING_SUFFIX);
    PathBuf::from(name)
}

/// The golden file a pending file would replace.
pub fn golden_of(pending: &Path) -> Option<PathBuf> {
    pending
        .to_str()?
        .strip_suffix(PENDING_SUFFIX)
        .map(PathBuf::from)
}

/// Every file below `paths` inside a `__snapshots__` folder whose name ends with `suffix`.
pub fn find(paths: &[PathBuf], suffix: &str) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for path in paths {
        let inside = path.components().any(|c| c.as_os_str() == FOLDER);
        walk(path, inside, suffix, &mut found);
    }
    found.sort();
    found.dedup();
    found
}

fn walk(path: &Path, inside: bool, suffix: &str, found: &mut Vec<PathBuf>) {
    if path.is_file() {
        if inside && path.to_str().is_some_and(|p| p.ends_with(suffix)) {
            found.push(path.to_path_buf());
        }
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    for entry in entries.flatten() {
        let child = entry.path();
        let name = entry.file_name();
        let hidden = name.to_str().is_some_and(|n| n.starts_with('.'));
        if !hidden {
            walk(&child, inside || name == FOLDER, suffix, found);
        }
    }
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
