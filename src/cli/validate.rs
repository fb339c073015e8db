//! `flowcheck validate`: load and check suites without sending anything.

use crate::exit;
use crate::words::counted;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    /// Suite files or folders (every *.yaml / *.yml below a folder).
    #[arg(default_value = "suites")]
    pub paths: Vec<PathBuf>,
}

pub fn validate(args: ValidateArgs) -> u8 {
    let loaded = crate::suite::load(&args.paths);
    if !loaded.errors.is_empty() {
        super::print_diagnostics(&loaded.errors);
        return exit::USAGE;
    }
    let cases: usize = loaded.suites.iter().map(|s| s.cases.len()).sum();
    // `run` counts a case once per target: say that number too where it differs.
    let runs: usize = (loaded.suites.iter())
        .flat_map(|s| &s.cases)
        .map(|c| c.targets.len())
        .sum();
    let per_target = if runs == cases {
        String::new()
    } else {
        format!(" ({runs} with their targets)")
    };
    let summary = format!(
        "{}, {}{per_target}: valid\n",
        counted(loaded.suites.len() as u64, "suite"),
        counted(cases as u64, "case")
    );
    // The process ends here: freeing 10,000 compiled cases one by one would only add time.
    std::mem::forget(loaded);
    super::print_all(summary)
}
