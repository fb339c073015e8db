//! The suite format: loading YAML with source positions, validation, and the model the runner
//! plans from. Knows nothing about HTTP.

pub mod data;
pub mod interpolate;
pub mod load;
pub mod model;
pub mod paths;
pub mod raw;
pub mod target;

pub use load::{Loaded, load};
pub use model::{Attachment, Case, MAX_REPEAT, Request, StepPlan, Suite};
pub use raw::Mode;
pub use target::{FlowRef, Target};
