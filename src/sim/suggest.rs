//! "Did you mean ...?" hints for misspelt names in flow definitions.

/// The closest candidate to `wrong`, if one is close enough to be a likely typo.
pub fn closest<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wrong.chars().count() / 2).max(2);
    candidates
        .into_iter()
        .map(|candidate| (strsim::levenshtein(wrong, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// ` (did you mean "x"?)` or nothing.
pub fn hint<'a>(wrong: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    match closest(wrong, candidates) {
        Some(candidate) => format!(" (did you mean \"{candidate}\"?)"),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_only_near_misses() {
        assert_eq!(closest("lm", ["llm", "template"]), Some("llm"));
        assert_eq!(
            closest("uppercse", ["uppercase", "lowercase"]),
            Some("uppercase")
        );
        assert_eq!(closest("zzzzzz", ["llm"]), None);
        assert_eq!(hint("lm", ["llm"]), " (did you mean \"llm\"?)");
    }
}
