//! Noukai's slug rules: lowercase letters, digits and hyphens; 2-50 characters; no leading or
//! trailing hyphen.

/// Why `text` is not a valid slug, or `None` when it is.
pub fn problem(text: &str) -> Option<&'static str> {
    let length = text.chars().count();
    if !(2..=50).contains(&length) {
        return Some("must be 2 to 50 characters long");
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Some("may contain only lowercase letters, digits and hyphens");
    }
    if text.starts_with('-') || text.ends_with('-') {
        return Some("must not start or end with a hyphen");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::problem;

    #[test]
    fn slugs_follow_the_documented_rules() {
        assert_eq!(problem("triage"), None);
        assert_eq!(problem("rate-limited"), None);
        assert_eq!(problem("a1"), None);
        assert!(problem("a").is_some());
        assert!(problem(&"a".repeat(51)).is_some());
        assert!(problem("Triage").is_some());
        assert!(problem("-x").is_some());
        assert!(problem("x-").is_some());
        assert!(problem("a_b").is_some());
    }
}
