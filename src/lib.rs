//! flowcheck: a declarative test-and-eval harness for Noukai flows.
//!
//! Data flows one way: [`suite`] loads and validates YAML into suites, [`run`] plans and
//! executes them through [`api`], [`check`] judges each outcome (with [`snapshot`]'s golden
//! files), and [`report`] consumes the outcomes; [`compare`] pairs two sides' outcomes for
//! `compare` and `gate`, and [`record`] keeps or replays the exchanges. [`sim`] is the
//! built-in Noukai simulator; it shares no code with [`api`], so a misspelt field on one side
//! cannot be hidden by the same misspelling on the other.

/// `eprintln!` that cannot panic: a message that cannot be written (stderr on a full disk)
/// is lost, rather than the process.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod api;
pub mod check;
pub mod cli;
pub mod compare;
pub mod diagnostic;
pub mod exit;
pub mod files;
pub mod record;
pub mod report;
pub mod run;
pub mod secret;
pub mod sim;
pub mod snapshot;
pub mod stable_hash;
pub mod suite;
pub mod words;
pub mod yaml;

/// The API key the simulator accepts unless told otherwise, and that `--embedded` runs use.
pub const DEMO_API_KEY: &str = "nk_test_flowchk0_demodemodemodemodemodemodemodemo";
