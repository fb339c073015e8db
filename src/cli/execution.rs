//! What `run`, `compare` and `gate` share: the options that shape an execution, loading and
//! planning, and running the plan with signals handled and progress printed.

use super::connection::ConnectionArgs;
use super::signals::watch_signals;
use crate::api::Client;
use crate::exit;
use crate::report::Terminal;
use crate::run::{
    self, CaseOutcome, Event, Planned, RetryPolicy, RunOptions, Selection, Stop, Totals,
};
use crate::suite::Suite;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub struct ExecutionArgs {
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
    /// Run only cases whose name contains this text (repeatable; case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Run only cases with this tag (repeatable).
    #[arg(long, value_name = "TAG")]
    pub tag: Vec<String>,
    /// Show every request and response on stderr (the key is never shown).
    #[arg(short, long)]
    pub verbose: bool,
}

/// Everything a finished execution produced, in plan order.
pub struct Executed {
    pub outcomes: Vec<CaseOutcome>,
    pub totals: Totals,
    pub stop: Option<Stop>,
    pub elapsed: Duration,
    pub started_at: SystemTime,
    /// The server, as shown to the user.
    pub server: String,
    /// Signals stay handled while this lives: through report writing.
    _signals: super::signals::Watch,
}

impl ExecutionArgs {
    /// Load the suites (every error printed), or the exit code to stop with.
    pub fn load(&self) -> Result<Vec<Suite>, u8> {
        let loaded = crate::suite::load(&self.paths);
        if !loaded.errors.is_empty() {
            super::print_diagnostics(&loaded.errors);
            eprintln!(
                "error: the suites have {} problem(s); nothing was sent",
                loaded.errors.len()
            );
            return Err(exit::USAGE);
        }
        let mut suites = loaded.suites;
        if let Some(timeout) = self.timeout {
            suites
                .iter_mut()
                .flat_map(|s| s.cases.iter_mut())
                .for_each(|c| c.timeout = timeout);
        }
        Ok(suites)
    }

    /// Plan the selected cases, or the exit code to stop with when nothing is selected.
    pub fn plan(&self, suites: &[Suite]) -> Result<Vec<Planned>, u8> {
        let selection = Selection {
            filters: self.filter.clone(),
            tags: self.tag.clone(),
            repeat: self.repeat,
        };
        let plan = run::plan(suites, &selection);
        if plan.is_empty() {
            eprintln!("error: no case matches the selection; nothing was sent");
            return Err(exit::USAGE);
        }
        Ok(plan)
    }

    pub fn options(&self, fail_fast: bool, snapshots: crate::snapshot::Policy) -> RunOptions {
        RunOptions {
            jobs: self.jobs as usize,
            retry: RetryPolicy {
                max_retries: self.retries,
                retry_server_errors: self.retry_server_errors,
                ..RetryPolicy::default()
            },
            fail_fast,
            deadline: self.deadline,
            snapshots,
            ..RunOptions::default()
        }
    }

    /// Connect, run the plan with Ctrl-C handled, print each case as it finishes.
    pub async fn execute(
        &self,
        suites: &[Suite],
        plan: &[Planned],
        options: &RunOptions,
        terminal: &mut Terminal,
    ) -> Result<Executed, u8> {
        let connection = match self.connection.connect().await {
            Ok(connection) => connection,
            Err(message) => {
                eprintln!("error: {message}");
                return Err(if self.connection.embedded {
                    exit::INFRA
                } else {
                    exit::USAGE
                });
            }
        };
        let mut config = connection.config.clone();
        config.verbose = self.verbose;
        let client = match Client::new(config) {
            Ok(client) => client,
            Err(err) => {
                eprintln!("error: {err}");
                return Err(exit::INFRA);
            }
        };
        let interrupt = CancellationToken::new();
        let signals = watch_signals(interrupt.clone());
        let calls: u64 = plan.iter().map(|p| u64::from(p.attempts)).sum();
        terminal.line(&format!(
            "Running {} cases ({calls} calls) from {} suites against {}",
            plan.len(),
            suites.len(),
            connection.label
        ));
        let started_at = SystemTime::now();
        let started = Instant::now();
        let mut outcomes: Vec<CaseOutcome> = Vec::with_capacity(plan.len());
        let mut totals = Totals::default();
        let stop = run::execute(
            suites,
            plan,
            &client,
            options,
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
        let elapsed = started.elapsed();
        outcomes.sort_by_key(|o| o.key);
        terminal.finish(&totals, elapsed, stop.as_ref());
        let server = connection.label.clone();
        connection.shutdown().await;
        Ok(Executed {
            outcomes,
            totals,
            stop,
            elapsed,
            started_at,
            server,
            _signals: signals,
        })
    }
}
