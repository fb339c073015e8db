//! Golden snapshots: a case's normalised output stored beside its suite, compared on every
//! run, with pending changes to review, accept or reject.

pub mod golden;
pub mod normalize;
pub mod store;
pub mod verify;

pub use golden::Golden;
pub use normalize::{SnapshotSpec, normalize};
pub use store::{golden_path, pending_path};
pub use verify::{Policy, verify};
