//! Shared test harness: the real `flowcheck` binary, and the real simulator started as a
//! separate process on a free loopback port.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_flowcheck");

/// `flowcheck gate` of the example triage suite's v2 against production, on the embedded
/// simulator (v2 is production's twin: the gate accepts it).
pub const GATE_TRIAGE_V2: [&str; 7] = [
    "gate",
    "--baseline",
    "production",
    "--candidate",
    "v2",
    "suites/triage.yaml",
    "--embedded",
];

/// A `flowcheck` command with a clean environment: no key, no URL, no colours, no proxy, not
/// in CI.
pub fn flowcheck() -> Command {
    let mut command = Command::new(BIN);
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NOUKAI_API_URL")
        .env_remove("NOUKAI_API_KEY")
        .env_remove("CI")
        .env_remove("GITHUB_ACTIONS")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    // The tests talk to loopback servers: a proxy set on the machine must not come between.
    for proxy in ["HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"] {
        command.env_remove(proxy).env_remove(proxy.to_lowercase());
    }
    command
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Run {
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// The command succeeded (exit 0) and printed `text` on stdout.
    pub fn assert_ok_saying(&self, text: &str) {
        assert_eq!(self.code, 0, "expected success:\n{}", self.all());
        assert!(
            self.stdout.contains(text),
            "expected {text:?} in:\n{}",
            self.all()
        );
    }

    /// The command was refused as a usage error (exit 2) saying `message`, and ran nothing.
    pub fn assert_refused(&self, message: &str) {
        assert_eq!(self.code, 2, "expected a usage error:\n{}", self.all());
        assert!(
            self.stderr.contains(message),
            "expected {message:?} in:\n{}",
            self.stderr
        );
        assert!(
            !self.stdout.contains("Running"),
            "something ran:\n{}",
            self.stdout
        );
    }
}

pub fn run(args: &[&str]) -> Run {
    Run::from(
        flowcheck()
            .args(args)
            .output()
            .expect("the flowcheck binary runs"),
    )
}

/// `flowcheck compare` of a run's JSON report with itself (production against production: no
/// call is made), with `outputs` (`--json PATH`, `--markdown PATH`, ...).
pub fn compare_report_with_itself(report: &str, suite: &str, outputs: &[&str]) -> Run {
    let mut args = vec![
        "compare",
        "--baseline",
        "production",
        "--candidate",
        "production",
        "--baseline-report",
        report,
        "--candidate-report",
        report,
        suite,
    ];
    args.extend_from_slice(outputs);
    run(&args)
}

/// A `flowcheck` command against the server at `url` with `key`.
pub fn run_against(url: &str, key: &str, args: &[&str]) -> Run {
    Run::from(
        flowcheck()
            .args(args)
            .env("NOUKAI_API_URL", url)
            .env("NOUKAI_API_KEY", key)
            .output()
            .expect("the flowcheck binary runs"),
    )
}

/// The simulator as its own process; killed on drop.
pub struct Sim {
    child: Child,
    pub url: String,
    pub key: String,
}

impl Sim {
    pub fn start() -> Sim {
        Sim::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Sim {
        // The key the simulator accepts: `--api-key` when given, else the demo key.
        let key = extra
            .iter()
            .position(|a| *a == "--api-key")
            .and_then(|i| extra.get(i + 1))
            .map_or(flowcheck::DEMO_API_KEY, |k| *k)
            .to_owned();
        let mut child = flowcheck()
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the simulator starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the simulator prints its address");
        let url = line
            .split_whitespace()
            .find(|word| word.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_owned();
        Sim { child, url, key }
    }

    /// A `flowcheck run` pointed at this simulator with its key.
    pub fn run(&self, args: &[&str]) -> Run {
        self.command("run", args)
    }

    /// Any `flowcheck` command pointed at this simulator with its key.
    pub fn command(&self, command: &str, args: &[&str]) -> Run {
        let mut all = vec![command];
        all.extend_from_slice(args);
        run_against(&self.url, &self.key, &all)
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh temporary folder for reports.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary folder")
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()))
}

pub fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&read(path)).expect("the JSON report parses")
}

/// Validate a JUnit file against the Surefire XSD shipped in shared/schemas (xmllint).
///
/// CI (`CI` set) must have xmllint (`.ci/run` installs it); elsewhere, without it, the schema
/// check is skipped with a notice so `cargo test` works with only the Rust toolchain.
/// The root's `skipped` and `timestamp` attributes (quick-junit's, widely read) are outside
/// the XSD and allowed by the issue, so they are removed from a copy before validation.
pub fn assert_valid_junit(path: &Path) {
    let xml = read(path);
    let root =
        regex::Regex::new(r#"(<testsuites[^>]*?) (?:skipped|timestamp)="[^"]*""#).expect("regex");
    let mut checked = xml.clone();
    while root.is_match(&checked) {
        checked = root.replace(&checked, "$1").into_owned();
    }
    let copy = tempfile::NamedTempFile::new().expect("a temporary file");
    std::fs::write(copy.path(), &checked).expect("the copy is written");
    let path = copy.path();
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas/junit-10.xsd");
    let output = match Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg(path)
        .output()
    {
        Ok(output) => output,
        Err(err) if std::env::var_os("CI").is_none() => {
            eprintln!(
                "notice: xmllint is not installed ({err}); JUnit schema validation skipped (apt-get install libxml2-utils)"
            );
            return;
        }
        Err(err) => panic!("xmllint is required in CI (Debian package libxml2-utils): {err}"),
    };
    assert!(
        output.status.success(),
        "JUnit report does not validate:\n{}\n{xml}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A named pipe at `path` (for tests of what reads or writes one).
#[cfg(unix)]
#[allow(dead_code)]
pub fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(made.success(), "mkfifo {}", path.display());
}

/// A fifo at `path` that flowcheck must refuse rather than read. Should flowcheck open it to
/// read after all, a writer opens and closes it at once (each time), so that every read ends
/// (an empty file, which then fails the test) instead of leaving the test waiting for ever.
#[cfg(unix)]
#[allow(dead_code)]
pub fn refused_fifo(path: &Path) {
    mkfifo(path);
    let path = path.to_path_buf();
    std::thread::spawn(move || {
        while let Ok(writer) = std::fs::OpenOptions::new().write(true).open(&path) {
            drop(writer);
        }
    });
}
