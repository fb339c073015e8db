//! Files a suite names (schemas, golden snapshots) are resolved against the suite's folder and
//! must stay inside the project: the suite's folder or the working directory. A suite cannot
//! make flowcheck read or write elsewhere.

use std::path::{Component, Path, PathBuf};

/// Resolve `relative` against `base` (the suite's folder), refusing absolute paths and paths
/// that leave both the suite's folder and the working directory.
pub fn inside(base: &Path, relative: &str) -> Result<PathBuf, String> {
    let path = Path::new(relative);
    if path.is_absolute()
        || path
            .components()
            .any(|c| matches!(c, Component::Prefix(_) | Component::RootDir))
    {
        return Err(format!("{relative:?} must be a path relative to the suite"));
    }
    let joined = base.join(path);
    let resolved = joined
        .canonicalize()
        .map_err(|err| format!("cannot open {}: {err}", joined.display()))?;
    let roots = [
        base.canonicalize().ok(),
        std::env::current_dir()
            .ok()
            .and_then(|d| d.canonicalize().ok()),
    ];
    if roots
        .iter()
        .flatten()
        .any(|root| resolved.starts_with(root))
    {
        Ok(resolved)
    } else {
        Err(format!("{relative:?} points outside the project"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_absolute_and_escaping_paths() {
        let base = std::env::current_dir().unwrap_or_default().join("suites");
        assert!(inside(&base, "/etc/passwd").is_err());
        assert!(
            inside(&base, "../../../../../../etc/passwd")
                .unwrap_err()
                .contains("outside the project")
        );
        assert!(inside(&base, "triage.yaml").is_ok());
        assert!(
            inside(&base, "../Cargo.toml").is_ok(),
            "the working directory is the project"
        );
    }
}
