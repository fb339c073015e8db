//! Why a run ended early, and every way that is said: in a case's reason, in the terminal's
//! note, in a gate's rule and in the JSON report (read back by `merge` and `compare`).

/// How a note says that cases cut after they started are not "not run".
const IN_FLIGHT: &str = ", or as interrupted (an error) when they had started";

/// Why a run ended early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    Interrupted,
    FailFast,
    Deadline,
    /// A refusal no case can recover from (key refused, out of credits).
    Fatal(String),
}

impl Stop {
    /// Why a case the stop came before is not run.
    pub fn not_run_reason(&self) -> String {
        match self {
            // Not "interrupted": that is the status of a case cut while its call was in flight.
            Stop::Interrupted => "not started before Ctrl-C (or SIGTERM) stopped the run".into(),
            Stop::FailFast => "not run after an earlier failure (--fail-fast)".into(),
            Stop::Deadline => "the run's deadline was reached".into(),
            Stop::Fatal(message) => format!("the run stopped: {message}"),
        }
    }

    /// What cut a case while its call was in flight, before "cut it while ...".
    pub fn cut_by(&self) -> String {
        match self {
            Stop::Interrupted => "Ctrl-C (or SIGTERM)".into(),
            Stop::FailFast => "the stop after the first failure (--fail-fast)".into(),
            Stop::Deadline => "the run's deadline".into(),
            Stop::Fatal(message) => format!("the run's stop ({message})"),
        }
    }

    /// The note under a run's case lines.
    pub fn note(&self) -> String {
        match self {
            Stop::Interrupted => {
                format!("interrupted: the cases not finished are reported as not run{IN_FLIGHT}")
            }
            Stop::FailFast => "stopped after the first failure (--fail-fast)".into(),
            Stop::Deadline => {
                format!(
                    "the run's deadline was reached: the cases not finished are reported as not run{IN_FLIGHT}"
                )
            }
            Stop::Fatal(message) => message.clone(),
        }
    }

    /// What stopped the run, in a few words after "the run stopped before its end: ".
    pub fn cause(&self) -> String {
        match self {
            Stop::Interrupted => "interrupted".into(),
            Stop::FailFast => "--fail-fast".into(),
            Stop::Deadline => "its --deadline was reached".into(),
            Stop::Fatal(message) => message.clone(),
        }
    }

    /// The JSON report's `stopped`: `interrupted`, `fail_fast`, `deadline`, `fatal: why`.
    pub fn tag(&self) -> String {
        match self {
            Stop::Interrupted => "interrupted".into(),
            Stop::FailFast => "fail_fast".into(),
            Stop::Deadline => "deadline".into(),
            Stop::Fatal(message) => format!("fatal: {message}"),
        }
    }

    /// A report's `stopped` read back; anything else is a fatal stop in its own words.
    pub fn from_tag(tag: &str) -> Stop {
        match tag {
            "interrupted" => Stop::Interrupted,
            "fail_fast" => Stop::FailFast,
            "deadline" => Stop::Deadline,
            other => match other.strip_prefix("fatal: ").map(str::trim) {
                Some(why) if !why.is_empty() => Stop::Fatal(why.to_owned()),
                _ => Stop::Fatal(format!(
                    "for a reason this flowcheck does not know ({other:?})"
                )),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Stop;

    #[test]
    fn every_stop_reads_back_from_its_tag() {
        for stop in [
            Stop::Interrupted,
            Stop::FailFast,
            Stop::Deadline,
            Stop::Fatal("the API key was refused (HTTP 401: no)".into()),
        ] {
            assert_eq!(Stop::from_tag(&stop.tag()), stop);
        }
    }
}
