//! `passthrough`: outputs its rendered input unchanged.

use serde_json::Value;

pub fn run(input: Value) -> Value {
    input
}
