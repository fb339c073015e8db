//! The built-in Noukai simulator: flow definitions, one block engine, an HTTP server that
//! exposes it through `/execute`, `/jobs` and `/step`, and fault injection.
//!
//! It depends on nothing but the contract (`noukai-api.md`): it shares no code or wire types
//! with the client in `crate::api`.

pub mod blocks;
mod catalog;
mod compile;
mod definition;
pub mod faults;
pub mod latency;
pub mod llm_models;
pub mod model;
mod seed;
mod slug;
mod suggest;
pub mod template;
mod text;

pub use catalog::{Catalog, CatalogError};
