//! Comparing targets: which cases a comparison holds (scope.rs), each side's samples from a
//! run or reports (sides.rs, sample.rs) with the A/A split (aa.rs); classifying each case
//! (fixed, regressed, ...), judging whether a change is beyond noise and summarising pass
//! rates, latency and usage (comparison.rs, stats.rs); and applying a gate policy (policy.rs).

pub mod aa;
pub mod comparison;
pub mod policy;
pub mod sample;
pub mod scope;
pub mod sides;
pub mod stats;

pub use comparison::{CandidateComparison, CaseComparison, Class, Summary, TargetSummary, compare};
pub use policy::{Gate, Policy, RuleResult, Verdict, evaluate, gate};
pub use sample::Sample;
pub use scope::{Pinned, Scope};
pub use sides::{SideSamples, Sides};
