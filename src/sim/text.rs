//! Small text functions shared by the code blocks and the template filters, so that the
//! `lowercase` block and the `| lower` filter can never disagree.

pub fn lower(text: &str) -> String {
    text.to_lowercase()
}

pub fn upper(text: &str) -> String {
    text.to_uppercase()
}

/// Trim and collapse every run of whitespace into one space.
pub fn squish(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each whitespace-separated word: first letter upper case, the rest lower case.
pub fn title(text: &str) -> String {
    text.split_whitespace()
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.flat_map(char::to_lowercase))
                    .collect(),
                None => String::new(),
            }
        })
        .collect::<Vec<String>>()
        .join(" ")
}

/// Up to and including the first `.`, `!` or `?`; the whole (trimmed) text if there is none.
pub fn first_sentence(text: &str) -> String {
    let trimmed = text.trim();
    match trimmed.find(['.', '!', '?']) {
        Some(at) => trimmed[..=at].to_string(),
        None => trimmed.to_string(),
    }
}

pub fn first_words(text: &str, count: usize) -> String {
    text.split_whitespace()
        .take(count)
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn word_count(text: &str) -> usize {
    text.split_whitespace().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_functions_behave_as_documented() {
        assert_eq!(squish("  a \n\t b  c "), "a b c");
        assert_eq!(title("the QUICK brown"), "The Quick Brown");
        assert_eq!(first_sentence(" Overridden. Rest."), "Overridden.");
        assert_eq!(first_sentence("Why? Because."), "Why?");
        assert_eq!(first_sentence("no end"), "no end");
        assert_eq!(
            first_words("one two three four five six", 5),
            "one two three four five"
        );
        assert_eq!(word_count(" one  two\nthree "), 3);
        assert_eq!(lower("ÀB"), "àb");
        assert_eq!(upper("ab"), "AB");
    }
}
