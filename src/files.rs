//! Files flowcheck writes (reports, golden snapshots) are written atomically: a temporary
//! file beside the target, then a rename, so a reader (or an interrupted run) never sees half
//! a file.

use std::io::Write;
use std::path::Path;

pub fn write_atomic(path: &Path, contents: &str) -> Result<(), String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(|err| format!("cannot write in {}: {err}", dir.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    file.persist(path)
        .map_err(|err| format!("cannot write {}: {}", path.display(), err.error))?;
    Ok(())
}
