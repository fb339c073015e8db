//! `flowcheck run`: load, plan, execute concurrently, report, and exit with a stable code.

use super::connection::ConnectionArgs;
use crate::api::Client;
use crate::exit;
use crate::report::{self, Terminal};
use crate::run::{self, CaseOutcome, Event, RetryPolicy, RunOptions, Selection, Stop, Totals};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    /// Suite files or folders (every *.yaml / *.yml below a folder, sorted).
    #[arg(default_value = "suites")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub connection: ConnectionArgs,
    /// How many calls to have in flight at once.
    #[arg(short, long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub jobs: u32,
    /// Override every case's timeout (e.g. 10s, 2m).
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,
    /// Stop the whole run after this long; what did not finish is reported as not run.
    #[arg(long, value_parser = humantime::parse_duration, value_name = "DURATION")]
    pub deadline: Option<Duration>,
    /// Retries for 429, 502, 503, 504 and broken connections (never other 4xx).
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub retries: u32,
    /// Also retry HTTP 500.
    #[arg(long)]
    pub retry_server_errors: bool,
    /// Run every case N times (a case's pass_if ratio is kept).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub repeat: Option<u32>,
    /// Stop starting cases after the first failure.
    #[arg(long)]
    pub fail_fast: bool,
    /// Run only cases whose name contains this text (repeatable; case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Run only cases with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Write a JUnit XML report here.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write a JSON report here (every request, response, timing and check).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Print only cases that did not pass, and the summary.
    #[arg(long)]
    pub failures_only: bool,
    /// Show every request and response on stderr (the key is never shown).
    #[arg(short, long)]
    pub verbose: bool,
}

pub async fn run(args: RunArgs) -> u8 {
    let loaded = crate::suite::load(&args.paths);
    if !loaded.errors.is_empty() {
        super::print_diagnostics(&loaded.errors);
        eprintln!(
            "error: the suites have {} problem(s); nothing was sent",
            loaded.errors.len()
        );
        return exit::USAGE;
    }
    let mut suites = loaded.suites;
    if let Some(timeout) = args.timeout {
        suites
            .iter_mut()
            .flat_map(|s| s.cases.iter_mut())
            .for_each(|c| c.timeout = timeout);
    }
    let selection = Selection {
        filters: args.filter.clone(),
        tags: args.tag.clone(),
        repeat: args.repeat,
    };
    let plan = run::plan(&suites, &selection);
    if plan.is_empty() {
        eprintln!("error: no case matches the selection; nothing was sent");
        return exit::USAGE;
    }

    let connection = match args.connection.connect().await {
        Ok(connection) => connection,
        Err(message) => {
            eprintln!("error: {message}");
            return if args.connection.embedded {
                exit::INFRA
            } else {
                exit::USAGE
            };
        }
    };
    let mut config = connection.config.clone();
    config.verbose = args.verbose;
    let client = match Client::new(config) {
        Ok(client) => client,
        Err(err) => {
            eprintln!("error: {err}");
            return exit::INFRA;
        }
    };

    let interrupt = CancellationToken::new();
    let signals = watch_signals(interrupt.clone());
    let options = RunOptions {
        jobs: args.jobs as usize,
        retry: RetryPolicy {
            max_retries: args.retries,
            retry_server_errors: args.retry_server_errors,
            ..RetryPolicy::default()
        },
        fail_fast: args.fail_fast,
        deadline: args.deadline,
        ..RunOptions::default()
    };

    let attempts: u64 = plan.iter().map(|p| u64::from(p.attempts)).sum();
    let mut terminal = Terminal::new(!args.failures_only);
    terminal.line(&format!(
        "Running {} cases ({attempts} calls) from {} suites against {}",
        plan.len(),
        suites.len(),
        connection.label
    ));
    let started_at = SystemTime::now();
    let started = Instant::now();
    let mut outcomes: Vec<CaseOutcome> = Vec::with_capacity(plan.len());
    let mut totals = Totals::default();
    let stop = run::execute(
        &suites,
        &plan,
        &client,
        &options,
        &interrupt,
        &mut |event| match event {
            Event::CaseFinished(outcome) => {
                totals.add(outcome.status);
                terminal.case_finished(&outcome);
                outcomes.push(*outcome);
            }
        },
    )
    .await;
    signals.abort();
    let elapsed = started.elapsed();
    // The reports read only the outcomes: free the loaded cases before building them.
    drop((suites, plan));
    outcomes.sort_by_key(|o| o.key);
    terminal.finish(&totals, elapsed, stop.as_ref());

    let mut report_failed = false;
    if let Some(path) = &args.junit {
        let written = report::junit::write(path, &outcomes, elapsed);
        report_failed |= report_error("JUnit", written);
    }
    if let Some(path) = &args.json {
        let written = report::json::write(
            path,
            &outcomes,
            totals,
            started_at,
            elapsed,
            &connection.label,
            stop.as_ref(),
        );
        report_failed |= report_error("JSON", written);
    }
    connection.shutdown().await;
    exit_code(&totals, stop.as_ref(), report_failed)
}

fn report_error(what: &str, written: Result<(), String>) -> bool {
    match written {
        Ok(()) => false,
        Err(message) => {
            eprintln!("error: the {what} report was not written: {message}");
            true
        }
    }
}

/// The stable exit codes (see `crate::exit`).
fn exit_code(totals: &Totals, stop: Option<&Stop>, report_failed: bool) -> u8 {
    let judged = totals.passed + totals.flaky + totals.failed;
    if matches!(stop, Some(Stop::Fatal(_))) || report_failed || (judged == 0 && totals.errored > 0)
    {
        exit::INFRA
    } else if matches!(stop, Some(Stop::Interrupted)) {
        exit::INTERRUPTED
    } else if totals.failed + totals.errored + totals.not_run > 0 {
        exit::FAILED
    } else {
        exit::SUCCESS
    }
}

/// The first Ctrl-C (or SIGTERM) stops the run gracefully; a second one exits at once.
/// The handlers are installed before this returns, so no signal slips past them.
fn watch_signals(interrupt: CancellationToken) -> tokio::task::JoinHandle<()> {
    let mut signals = Signals::install();
    tokio::spawn(async move {
        signals.next().await;
        eprintln!(
            "\ninterrupted: finishing calls in flight and writing reports (press Ctrl-C again to quit now)"
        );
        interrupt.cancel();
        signals.next().await;
        eprintln!("interrupted twice: quitting now");
        std::process::exit(i32::from(exit::INTERRUPTED));
    })
}

struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    #[cfg(unix)]
    fn install() -> Signals {
        use tokio::signal::unix::{SignalKind, signal};
        let streams = [SignalKind::interrupt(), SignalKind::terminate()]
            .into_iter()
            .filter_map(|kind| signal(kind).ok())
            .collect();
        Signals { streams }
    }

    #[cfg(not(unix))]
    fn install() -> Signals {
        Signals {}
    }

    #[cfg(unix)]
    async fn next(&mut self) {
        if self.streams.is_empty() {
            return std::future::pending().await;
        }
        let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
        let _ = futures::future::select_all(waits).await;
    }

    #[cfg(not(unix))]
    async fn next(&mut self) {
        let _ = tokio::signal::ctrl_c().await;
    }
}
