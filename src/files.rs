//! Files flowcheck writes (reports, golden snapshots) are written atomically: a temporary
//! file beside the target, then a rename, so a reader (or an interrupted run) never sees half
//! a file.

use std::io::{BufWriter, Write};
use std::path::Path;

pub fn write_atomic(path: &Path, contents: &str) -> Result<(), String> {
    write_atomic_with(path, |out| out.write_all(contents.as_bytes()))
}

/// [`write_atomic`] for a report written piece by piece, so that it is never held whole in
/// memory (a large run's JSON report is over a kilobyte per case).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let mut file = tempfile::NamedTempFile::new_in(dir)
        .map_err(|err| format!("cannot write in {}: {err}", dir.display()))?;
    let mut out = BufWriter::with_capacity(64 * 1024, file.as_file_mut());
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    drop(out);
    file.as_file()
        .sync_all()
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    file.persist(path)
        .map_err(|err| format!("cannot write {}: {}", path.display(), err.error))?;
    Ok(())
}
