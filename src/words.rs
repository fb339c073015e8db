//! How counts read in messages, whichever layer writes them.

/// `1 case`, `2 cases`: a count and its noun, plural unless the count is one.
pub fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}
