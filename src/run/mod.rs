//! Running a plan: the concurrent scheduler, the three transports, retries, polling cadence,
//! cancellation, why a run stops early, and the outcomes the reports consume.

mod attempt;
mod grade;
pub mod outcome;
pub mod plan;
pub mod poll;
pub mod retry;
pub mod scheduler;
pub mod shard;
mod stop;
mod transport;

pub use crate::check::expect::Judgement;
pub use outcome::{Attempt, CaseKey, CaseOutcome, CaseStatus, Totals};
pub use plan::{PlanId, Planned, Selection, plan};
pub use retry::RetryPolicy;
pub use scheduler::{Event, RunOptions, execute};
pub use stop::Stop;
