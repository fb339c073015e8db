//! Text files flowcheck reads are read within a size limit. Files flowcheck writes (reports,
//! golden snapshots) are written atomically: a temporary file beside the target, then a
//! rename, so a reader (or an interrupted run) never sees half a file. A report named on the
//! command line may also be a device, a pipe or a link (`/dev/null`, `/dev/stdout`, a fifo):
//! those are written into, never replaced. Temporary files in progress are registered, so that
//! quitting at once (a second Ctrl-C) removes them instead of leaving them behind:
//! `std::process::exit` runs no destructors.

use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a text file could not be read.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// More than the limit: counted as read, so `/dev/zero` or a fifo stops there too.
    TooLarge {
        limit: u64,
    },
    /// Not UTF-8 from this line and column (1-based; the column counts characters).
    NotUtf8 {
        line: usize,
        column: usize,
    },
}

/// Read a text file of at most `limit` bytes. It may be a pipe (`--api-key-file <(...)`) or a
/// device, read up to the limit: for a file that must be a file, see [`read_regular_text`].
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    read_open(file, limit)
}

/// [`read_text`] for a file that only a regular file can be (a suite, a JSON Schema, a golden
/// snapshot): a fifo, a device, a socket or a folder is refused without waiting or reading,
/// since opening a fifo waits for a writer for ever, and no Ctrl-C can end that wait.
pub fn read_regular_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    read_open(open_regular(path).map_err(ReadError::Io)?, limit)
}

/// Open `path` to read if it is a regular file (or a link to one), else an error saying what it
/// is. The opened handle is what is checked, so the file cannot be swapped for a fifo between
/// a check and the open; the open itself does not wait (`O_NONBLOCK`), and the look before it
/// keeps devices from being opened at all.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    not_regular(&std::fs::metadata(path)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Regular files ignore it; a fifo opened with it does not wait for a writer.
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    not_regular(&file.metadata()?)?;
    Ok(file)
}

fn not_regular(meta: &std::fs::Metadata) -> std::io::Result<()> {
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a folder"
    } else {
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() {
                "a fifo"
            } else if kind.is_char_device() || kind.is_block_device() {
                "a device"
            } else if kind.is_socket() {
                "a socket"
            } else {
                "not a file"
            }
        }
        #[cfg(not(unix))]
        "not a file"
    };
    Err(std::io::Error::new(
        std::io::ErrorKind::InvalidInput,
        format!("not a regular file ({what})"),
    ))
}

fn read_open(file: std::fs::File, limit: u64) -> Result<String, ReadError> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        // Valid by construction: the bytes before the first invalid one.
        let before = std::str::from_utf8(valid).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        ReadError::NotUtf8 {
            line: before.matches('\n').count() + 1,
            column: before[line_start..].chars().count() + 1,
        }
    })
}

/// [`read_text`] with its errors in words: for the files a command reads beside suites
/// (reports, a policy, a key, a CA bundle, flow definitions), so that `/dev/zero` or a huge
/// file is refused at `limit` rather than read until memory runs out.
pub fn read_limited(path: &Path, limit: u64) -> Result<String, String> {
    read_text(path, limit).map_err(|err| in_words(path, err))
}

/// [`read_regular_text`] with its errors in words, as [`read_limited`] gives them.
pub fn read_regular_limited(path: &Path, limit: u64) -> Result<String, String> {
    read_regular_text(path, limit).map_err(|err| in_words(path, err))
}

fn in_words(path: &Path, err: ReadError) -> String {
    match err {
        ReadError::TooLarge { limit } => {
            format!(
                "{} is larger than {limit} bytes, more than it can be",
                path.display()
            )
        }
        ReadError::NotUtf8 { line, column } => {
            format!(
                "{}:{line}:{column}: this byte is not UTF-8 text",
                path.display()
            )
        }
        ReadError::Io(err) => format!("cannot read {}: {err}", path.display()),
    }
}

/// Temporary files that exist (or are about to) and have not been renamed yet.
static IN_PROGRESS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static COUNTER: AtomicU64 = AtomicU64::new(0);

fn in_progress() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    IN_PROGRESS.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn write_atomic(path: &Path, contents: &str) -> Result<(), String> {
    write_atomic_with(path, |out| out.write_all(contents.as_bytes()))
}

/// [`write_atomic`] for a report written piece by piece, so that it is never held whole in
/// memory (a large run's JSON report is over a kilobyte per case).
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let (dir, temp) = temp_beside(path)?;
    // Created under the lock, so `exit_now` sees every temporary file that exists.
    let file = {
        let mut registered = in_progress();
        let file = create_new(&dir, &temp)?;
        registered.push(temp.clone());
        file
    };
    let written = write_and_rename(file, &temp, path, write);
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    in_progress().retain(|p| p != &temp);
    written
}

/// A folder named on the command line (`--record DIR`, `man --dir DIR`, `init --dir`): `-` would be made as
/// a folder named `-` where the user meant stdout or stdin, so it is refused.
pub fn folder_argument(text: &str) -> Result<PathBuf, String> {
    if text == "-" {
        return Err("`-` is neither stdout nor stdin here: name a folder".into());
    }
    Ok(PathBuf::from(text))
}

/// Where a report named on the command line goes.
enum Destination {
    /// A regular file, new or not (a link to one is followed): replaced atomically.
    File(PathBuf),
    /// A device, a pipe or a socket (`/dev/null`, `/dev/stdout`, a fifo): written into.
    Stream,
}

fn destination(path: &Path) -> Result<Destination, String> {
    // Many tools read `-` as stdout; a file named `-` would be a surprise.
    if path == Path::new("-") {
        return Err(
            "`-` is not read as stdout here: name a file, or /dev/stdout (the report then comes after the run's own lines)"
                .into(),
        );
    }
    if own_stream(path).is_some() {
        return Ok(Destination::Stream);
    }
    let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Err(format!("{} is a folder", path.display())),
        Ok(meta) if meta.is_file() && is_link => std::fs::canonicalize(path)
            .map(Destination::File)
            .map_err(|err| format!("cannot write {}: {err}", path.display())),
        Ok(meta) if meta.is_file() => Ok(Destination::File(path.to_path_buf())),
        Ok(_) => Ok(Destination::Stream),
        Err(_) if is_link => Err(format!(
            "{} is a symbolic link to nothing that exists",
            path.display()
        )),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Ok(Destination::File(path.to_path_buf()))
        }
        Err(err) => Err(format!("cannot write {}: {err}", path.display())),
    }
}

/// The file a path leads to, to tell whether two paths name the same one (`./a.xml` and
/// `a.xml`, `out/../b.xml` and `b.xml`, a link and its target, two hard links).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A file that exists: its device and inode (its resolved path where there are none).
    Existing(u64, u64),
    ExistingAt(PathBuf),
    /// A file not there yet: its path with every folder that exists resolved, links and all,
    /// and the rest read as written (`..` undoing the folder before it).
    New(PathBuf),
}

/// Where `path` leads (see [`Place`]), or `None` when that cannot be told (a folder that
/// cannot be read).
pub fn place(path: &Path) -> Option<Place> {
    // `missing/../a.yaml` cannot be opened as written, yet writing it creates `missing` and
    // then writes `a.yaml`: such a path is the file it resolves to.
    let (path, meta) = match std::fs::metadata(path) {
        Ok(meta) => (path.to_path_buf(), meta),
        Err(_) => {
            let resolved = resolve(path)?;
            match std::fs::metadata(&resolved) {
                Ok(meta) => (resolved, meta),
                Err(_) => return Some(Place::New(resolved)),
            }
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = path;
        Some(Place::Existing(meta.dev(), meta.ino()))
    }
    #[cfg(not(unix))]
    {
        let _ = meta;
        std::fs::canonicalize(&path).ok().map(Place::ExistingAt)
    }
}

/// `path` with its nearest existing folder resolved (links followed) and the rest appended as
/// written: a path inside a resolved folder names a file inside it.
pub fn resolve(path: &Path) -> Option<PathBuf> {
    let (base, rest) = path.ancestors().find_map(|ancestor| {
        let existing = if ancestor.as_os_str().is_empty() {
            Path::new(".")
        } else {
            ancestor
        };
        let base = std::fs::canonicalize(existing).ok()?;
        Some((base, path.strip_prefix(ancestor).ok()?))
    })?;
    let mut resolved = base;
    for part in rest.components() {
        match part {
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            std::path::Component::Normal(name) => resolved.push(name),
            _ => {}
        }
    }
    Some(resolved)
}

/// Whether `path` names a device, a pipe or a socket, which reports are written into: two
/// reports may go to `/dev/null`.
pub fn is_stream(path: &Path) -> bool {
    matches!(destination(path), Ok(Destination::Stream))
}

/// [`write_report_with`] for a report already rendered.
pub fn write_report(path: &Path, contents: &str) -> Result<(), String> {
    write_report_with(path, |out| out.write_all(contents.as_bytes()))
}

/// Which of the process's own output streams `path` names, if it does (1: stdout, 2: stderr).
/// `--json /dev/stdout > out.txt` resolves to a regular file: replacing it atomically would
/// cut the rest of the output from it, and opening it again would write over that output
/// from its start. So the report is written through the process's own stream.
fn own_stream(path: &Path) -> Option<u8> {
    match path.to_str()? {
        "/dev/stdout" | "/dev/fd/1" | "/proc/self/fd/1" => Some(1),
        "/dev/stderr" | "/dev/fd/2" | "/proc/self/fd/2" => Some(2),
        _ => None,
    }
}

/// Write a report to `path` as it is serialized: atomically when it is a file (see
/// [`write_atomic_with`]), straight into it when it is a device or a pipe.
pub fn write_report_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    match destination(path)? {
        Destination::File(file) => write_atomic_with(&file, write),
        Destination::Stream => {
            let cannot = |err: std::io::Error| format!("cannot write {}: {err}", path.display());
            let own: Option<Box<dyn Write>> = match own_stream(path) {
                Some(1) => Some(Box::new(std::io::stdout().lock())),
                Some(_) => Some(Box::new(std::io::stderr().lock())),
                None => None,
            };
            if let Some(own) = own {
                let mut out = BufWriter::with_capacity(64 * 1024, own);
                return write(&mut out).and_then(|()| out.flush()).map_err(cannot);
            }
            let file = std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .map_err(cannot)?;
            let mut out = BufWriter::with_capacity(64 * 1024, file);
            write(&mut out).and_then(|()| out.flush()).map_err(cannot)
        }
    }
}

/// Whether [`write_report_with`] could write `path`, found by creating and removing a
/// temporary file beside it: a run checks where its reports go before it sends anything, not
/// after an hour of calls. A device or a pipe is taken as it is: opening a fifo would wait
/// for its reader.
pub fn check_writable(path: &Path) -> Result<(), String> {
    match destination(path)? {
        Destination::File(file) => {
            let (dir, temp) = temp_beside(&file)?;
            drop(create_new(&dir, &temp)?);
            std::fs::remove_file(&temp)
                .map_err(|err| format!("cannot write in {}: {err}", dir.display()))
        }
        Destination::Stream => Ok(()),
    }
}

/// The folder `path` goes in (created if missing) and a temporary file's name beside it.
fn temp_beside(path: &Path) -> Result<(PathBuf, PathBuf), String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)
        .map_err(|err| format!("cannot create {}: {err}", dir.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(
        ".{name}.{}-{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    Ok((dir.to_path_buf(), temp))
}

fn create_new(dir: &Path, temp: &Path) -> Result<std::fs::File, String> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|err| format!("cannot write in {}: {err}", dir.display()))
}

fn write_and_rename(
    mut file: std::fs::File,
    temp: &Path,
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let mut out = BufWriter::with_capacity(64 * 1024, &mut file);
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    drop(out);
    file.sync_all()
        .map_err(|err| format!("cannot write {}: {err}", path.display()))?;
    drop(file);
    std::fs::rename(temp, path).map_err(|err| format!("cannot write {}: {err}", path.display()))
}

/// Remove every temporary file still being written and exit with `code` at once. The lock is
/// held until the process is gone, so no new temporary file appears after the clean-up; a
/// file whose rename already happened is complete.
pub fn exit_now(code: u8) -> ! {
    let registered = in_progress();
    remove_all(&registered);
    std::process::exit(i32::from(code))
}

fn remove_all(temps: &[PathBuf]) {
    for temp in temps {
        let _ = std::fs::remove_file(temp);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_read_within_its_limit_and_bad_bytes_are_placed() {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("a.yaml");
        let mut bytes = b"ab\nc\xc3\xa9".to_vec();
        bytes.extend([0xff, b'x']);
        std::fs::write(&path, &bytes).expect("written");
        assert!(matches!(
            read_text(&path, 100),
            Err(ReadError::NotUtf8 { line: 2, column: 3 })
        ));
        std::fs::write(&path, "12345").expect("written");
        assert_eq!(read_text(&path, 5).ok().as_deref(), Some("12345"));
        assert!(matches!(
            read_text(&path, 4),
            Err(ReadError::TooLarge { limit: 4 })
        ));
        #[cfg(unix)]
        assert!(matches!(
            read_text(Path::new("/dev/zero"), 1000),
            Err(ReadError::TooLarge { limit: 1000 })
        ));
    }

    #[test]
    fn writes_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("sub/report.json");
        assert_eq!(write_atomic(&path, "{}"), Ok(()));
        assert_eq!(write_atomic(&path, "{\"a\":1}"), Ok(()));
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some("{\"a\":1}")
        );
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["report.json"]);
        assert!(in_progress().iter().all(|p| !p.starts_with(dir.path())));
    }

    #[test]
    fn a_failed_write_removes_its_temporary_file() {
        let dir = tempfile::tempdir().expect("a folder");
        // The target is a folder: the rename fails after the temporary file was written.
        let path = dir.path().join("taken");
        std::fs::create_dir_all(path.join("inside")).expect("a folder");
        assert!(write_atomic(&path, "x").is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(names, ["taken"]);
    }

    #[test]
    fn paths_to_one_file_have_one_place() {
        let dir = tempfile::tempdir().expect("a folder");
        let root = dir.path();
        std::fs::create_dir_all(root.join("sub")).expect("a folder");
        std::fs::write(root.join("a.xml"), "").expect("written");
        #[cfg(unix)]
        std::os::unix::fs::symlink(root.join("sub"), root.join("link")).expect("a link");
        let same = |a: &str, b: &str| place(&root.join(a)) == place(&root.join(b));
        assert!(same("a.xml", "./a.xml"));
        assert!(same("a.xml", "sub/../a.xml"));
        assert!(same("new.json", "sub/../new.json"));
        assert!(same("new.json", "missing/../new.json"));
        // An existing file through a folder that is not there: the file it resolves to.
        assert!(same("a.xml", "missing/../a.xml"));
        assert!(same("a.xml", "missing/deeper/../../sub/../a.xml"));
        assert!(same("sub/new.json", "missing/../sub/./new.json"));
        assert!(!same("a.xml", "sub/a.xml"));
        assert!(!same("new.json", "sub/new.json"));
        #[cfg(unix)]
        {
            assert!(same("link/new.json", "sub/new.json"));
            std::fs::hard_link(root.join("a.xml"), root.join("b.xml")).expect("a hard link");
            assert!(same("a.xml", "b.xml"));
        }
        assert!(place(&root.join("x")).is_some());
    }

    #[test]
    fn the_exit_clean_up_removes_registered_temporary_files() {
        let dir = tempfile::tempdir().expect("a folder");
        let temp = dir.path().join(".report.json.1-1.tmp");
        std::fs::write(&temp, "half").expect("written");
        remove_all(std::slice::from_ref(&temp));
        assert!(!temp.exists());
    }
}
