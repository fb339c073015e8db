//! Comparing targets: classify each case (fixed, regressed, ...), judge whether a change is
//! beyond noise, summarise pass rates, latency and usage, and apply a gate policy.

pub mod comparison;
pub mod policy;
pub mod sample;
pub mod stats;

pub use comparison::{CandidateComparison, CaseComparison, Class, Summary, TargetSummary, compare};
pub use policy::{Gate, Policy, RuleResult, evaluate, gate};
pub use sample::Sample;
