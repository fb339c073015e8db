//! How counts read in messages, whichever layer writes them.

/// `1 case`, `2 cases`: a count and its noun, plural unless the count is one.
pub fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", agree(n, "", "s"))
}

/// `one` or `many`, as a count of `n` takes it: `agree(1, "is", "are")` is "is".
pub fn agree<'a>(n: u64, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}
