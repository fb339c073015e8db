//! Secrets never leave: the API key is held in a type that cannot be printed, and signed-URL
//! query strings are cut from anything written out.

use regex::Regex;
use serde_json::Value;
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, LazyLock, OnceLock};

/// The API key. `Debug` and `Display` print a placeholder; only [`ApiKey::expose`] reveals it.
#[derive(Clone)]
pub struct ApiKey(String, Arc<KeySearch>);

/// How the key is found in text: as itself in any ASCII case, for a flow may echo it
/// upper-cased (searched for in every response body, so built once); shortened, as a server's
/// error may quote it (`invalid key nk_live_8f3K...`): any run of the key in any case that
/// starts or ends it and holds at least half of it ([`shortest_part`]); and escaped (built when
/// a text holds a `\\` or `%`).
struct KeySearch {
    /// The key with its ASCII letters in lower case. The text is folded the same way (which
    /// keeps every byte where it was) and searched for the key's head and tail: a
    /// case-insensitive automaton took ten times as long on a response's JSON, whose digits
    /// and `-` kept stopping its prefilter.
    folded: Vec<u8>,
    /// The first and the last [`shortest_part`] bytes of `folded` (whole characters).
    head: memchr::memmem::Finder<'static>,
    tail: memchr::memmem::Finder<'static>,
    escaped: OnceLock<Option<Regex>>,
}

/// The fewest bytes of a key that are scrubbed where a text holds them without the rest: half
/// the key, so what a shortened quote shows leaves at least as much unknown, and never fewer
/// than 12 (a key's public prefix, `nk_live_`, is in ordinary text too); a key of 12 bytes or
/// fewer is scrubbed only whole.
fn shortest_part(key: &str) -> usize {
    let wanted = key.len().div_ceil(2).max(12).min(key.len());
    // Whole characters, so that a part found starts and ends between the text's characters.
    (wanted..=key.len())
        .find(|&at| key.is_char_boundary(at))
        .unwrap_or(key.len())
}

impl KeySearch {
    fn new(key: &str) -> KeySearch {
        let folded = key.to_ascii_lowercase();
        let part = shortest_part(&folded);
        let tail_from = (0..=folded.len() - part)
            .rev()
            .find(|&at| folded.is_char_boundary(at))
            .unwrap_or(0);
        KeySearch {
            head: memchr::memmem::Finder::new(&folded.as_bytes()[..part]).into_owned(),
            tail: memchr::memmem::Finder::new(&folded.as_bytes()[tail_from..]).into_owned(),
            folded: folded.into_bytes(),
            escaped: OnceLock::new(),
        }
    }

    /// Where the key, or a run of it from its start or to its end of at least half its length,
    /// stands in `text` in any ASCII case: byte ranges, in order, none overlapping.
    fn parts(&self, text: &str) -> Vec<std::ops::Range<usize>> {
        // No part fits in a shorter text.
        if text.len() < self.head.needle().len() {
            return Vec::new();
        }
        // Folded on the stack when short (a check's words, searched once a case each): no
        // allocation for a text that holds no part of the key, which is nearly every text.
        const ON_THE_STACK: usize = 256;
        let mut short = [0u8; ON_THE_STACK];
        let long;
        let folded: &[u8] = match short.get_mut(..text.len()) {
            Some(short) => {
                short.copy_from_slice(text.as_bytes());
                short.make_ascii_lowercase();
                short
            }
            None => {
                long = text.to_ascii_lowercase();
                long.as_bytes()
            }
        };
        let key = &self.folded;
        let mut parts: Vec<std::ops::Range<usize>> = Vec::new();
        for start in self.head.find_iter(folded) {
            // As far as the text goes on as the key does.
            let same = folded[start..]
                .iter()
                .zip(key)
                .take_while(|(a, b)| a == b)
                .count();
            parts.push(start..start + same);
        }
        for found in self.tail.find_iter(folded) {
            let end = found + self.tail.needle().len();
            // As far back as the text goes on as the key does.
            let same = folded[..end]
                .iter()
                .rev()
                .zip(key.iter().rev())
                .take_while(|(a, b)| a == b)
                .count();
            parts.push(end - same..end);
        }
        if parts.is_empty() {
            return parts;
        }
        // Between the text's characters (a run of the key's bytes may stop inside one), and
        // each place once.
        for part in &mut parts {
            while !text.is_char_boundary(part.start) {
                part.start += 1;
            }
            while !text.is_char_boundary(part.end) {
                part.end -= 1;
            }
        }
        parts.sort_by_key(|part| part.start);
        let mut merged: Vec<std::ops::Range<usize>> = Vec::with_capacity(parts.len());
        for part in parts {
            match merged.last_mut() {
                Some(last) if part.start <= last.end => last.end = last.end.max(part.end),
                _ => merged.push(part),
            }
        }
        merged
    }
}

impl PartialEq for ApiKey {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for ApiKey {}

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        let key = key.into().trim().to_owned();
        let search = KeySearch::new(&key);
        ApiKey(key, Arc::new(search))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The key with any of its characters escaped as JSON (`\u006e`) or in a URL (`%6E`) may
    /// do, in any case: a server's JSON encoder can escape what it echoes, and the text is read
    /// decoded.
    fn escaped(&self) -> Option<&Regex> {
        self.1
            .escaped
            .get_or_init(|| {
                let pattern: String = self
                    .0
                    .chars()
                    .map(|c| {
                        // JSON's short escapes too: `\/` (PHP writes every `/` so), `\"`, `\\`.
                        let short = match c {
                            '/' | '"' | '\\' => format!("|\\\\{}", regex::escape(&c.to_string())),
                            _ => String::new(),
                        };
                        if c.is_ascii() {
                            let codes: String = [c.to_ascii_lowercase(), c.to_ascii_uppercase()]
                                .iter()
                                .map(|&c| {
                                    let code = u32::from(c);
                                    // `%6E`, and `%` itself JSON-escaped (`\u00256E`),
                                    // which reads as `%6E` once the JSON is parsed.
                                    format!("|\\\\u00{code:02x}|(?:%|\\\\u0025){code:02x}")
                                })
                                .collect();
                            format!("(?:{}{codes}{short})", regex::escape(&c.to_string()))
                        } else {
                            regex::escape(&c.to_string())
                        }
                    })
                    .collect();
                Regex::new(&format!("(?i:{pattern})")).ok()
            })
            .as_ref()
    }

    /// The `Authorization` header that carries the key, marked sensitive so that no layer logs
    /// it; `None` when the key holds a character a header cannot carry (a control character or
    /// non-ASCII text).
    pub fn bearer(&self) -> Option<reqwest::header::HeaderValue> {
        // A header carries bytes beyond ASCII too, but no server reads them back as the key.
        if !self.0.chars().all(|c| c.is_ascii_graphic()) {
            return None;
        }
        let mut header =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", self.0)).ok()?;
        header.set_sensitive(true);
        Some(header)
    }

    /// Whether `text` holds the key, escaped or not: whether [`ApiKey::scrub`] would change it.
    fn appears_in(&self, text: &str) -> bool {
        if self.0.len() < 4 {
            return false;
        }
        !self.1.parts(text).is_empty()
            || (memchr::memchr2(b'\\', b'%', text.as_bytes()).is_some()
                && self.escaped().is_some_and(|escaped| escaped.is_match(text)))
    }

    /// Remove every occurrence of the key from `text` (for error messages from the network),
    /// escaped or not.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_owned();
        }
        let parts = self.1.parts(text);
        let text = if parts.is_empty() {
            text.to_owned()
        } else {
            let mut out = String::with_capacity(text.len());
            let mut from = 0;
            for part in parts {
                // Parts start and end between characters (`KeySearch::parts`).
                out.push_str(text.get(from..part.start).unwrap_or_default());
                out.push_str("[redacted]");
                from = part.end;
            }
            out.push_str(text.get(from..).unwrap_or_default());
            out
        };
        if memchr::memchr2(b'\\', b'%', text.as_bytes()).is_none() {
            return text;
        }
        match self.escaped() {
            Some(escaped) => escaped.replace_all(&text, "[redacted]").into_owned(),
            None => text,
        }
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The keys of a run. Noukai scopes a key to one project, so a run over several projects may
/// hold one key for each: from the key file (`--api-key-file`, [`KeyFile`]) or
/// `NOUKAI_API_KEY_<ORG>_<PROJECT>` ([`Keys::variable`]), and a default one (the key file's,
/// or `NOUKAI_API_KEY`) for the projects without their own.
#[derive(Clone, Debug, Default)]
pub struct Keys {
    pub default: Option<ApiKey>,
    pub projects: Vec<ProjectKey>,
    /// Where the default key came from, to say so when a project refuses it; `None` for the
    /// simulator's and a replay's keys, which open everything.
    pub default_from: Option<String>,
    /// The key file given (as shown), where a project's key may be added.
    pub file: Option<String>,
    /// Keys read but never sent (the environment's for what the key file names): scrubbed
    /// from every output all the same.
    pub unused: Vec<ApiKey>,
}

/// A project's own key.
#[derive(Clone, Debug)]
pub struct ProjectKey {
    /// `org/project`.
    pub project: String,
    pub key: ApiKey,
    /// Where it came from: `NOUKAI_API_KEY_ACME_SHOP`, `--api-key-file keys.txt:3`.
    pub from: String,
}

/// The variables that hold project keys start with this.
pub const PROJECT_KEY_PREFIX: &str = "NOUKAI_API_KEY_";

impl Keys {
    /// One key for every project.
    pub fn one(key: ApiKey) -> Keys {
        Keys {
            default: Some(key),
            ..Keys::default()
        }
    }

    /// The key a flow of `org/project` is called with.
    pub fn get(&self, org: &str, project: &str) -> Option<&ApiKey> {
        self.own(org, project)
            .map(|own| &own.key)
            .or(self.default.as_ref())
    }

    fn own(&self, org: &str, project: &str) -> Option<&ProjectKey> {
        self.projects.iter().find(|own| {
            own.project
                .split_once('/')
                .is_some_and(|(o, p)| o == org && p == project)
        })
    }

    /// The variable that holds the key of one project: upper case, `/` as `_`, `-` as `__`
    /// (`my-co/web-shop` → `NOUKAI_API_KEY_MY__CO_WEB__SHOP`; slugs hold no `_`).
    pub fn variable(org: &str, project: &str) -> String {
        let part = |slug: &str| slug.to_ascii_uppercase().replace('-', "__");
        format!("{PROJECT_KEY_PREFIX}{}_{}", part(org), part(project))
    }

    /// `org/project` for a variable [`Keys::variable`] makes, or `None`.
    pub fn project_of(variable: &str) -> Option<String> {
        let rest = variable.strip_prefix(PROJECT_KEY_PREFIX)?;
        // The variable is upper case; the slugs it names are Noukai's lower-case ones.
        if rest.bytes().any(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let marked = rest.replace("__", "-").to_ascii_lowercase();
        let (org, project) = marked.split_once('_')?;
        is_project(org, project).then(|| format!("{org}/{project}"))
    }

    /// Where the key sent to `org/project` came from (`--api-key-file keys.txt:2`, a
    /// variable), for a 401 to say which key was not accepted; `None` for the simulator's and
    /// a replay's keys.
    pub fn source(&self, org: &str, project: &str) -> Option<&str> {
        match self.own(org, project) {
            Some(own) => Some(&own.from),
            None => self.default_from.as_deref(),
        }
    }

    /// Why a project refused the key it was sent, and what to set.
    pub fn refused_hint(&self, org: &str, project: &str) -> Option<String> {
        let from = self.default_from.as_deref()?;
        let variable = Keys::variable(org, project);
        Some(match self.own(org, project) {
            Some(own) => format!("the key in {} has no access to {org}/{project}", own.from),
            None => {
                let or_file = match &self.file {
                    Some(file) => {
                        format!(
                            ", or give it in the key file {file} (a line `{org}/{project} KEY`)"
                        )
                    }
                    None => String::new(),
                };
                format!(
                    "the key from {from} has no access to {org}/{project}: a key opens one project; set {variable} to this project's key{or_file}"
                )
            }
        })
    }

    fn all(&self) -> impl Iterator<Item = &ApiKey> {
        self.default
            .iter()
            .chain(self.projects.iter().map(|own| &own.key))
            .chain(self.unused.iter())
    }

    /// The keys the environment holds (`NOUKAI_API_KEY`, each project's), unchecked: to scrub
    /// what is shown before a run has its keys (a suite's problems quoting a line that holds
    /// one). A key file is not read here: it may be a pipe, to be read once.
    pub fn in_environment() -> Keys {
        let unused = std::env::vars_os()
            .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
            .filter(|(name, value)| {
                !value.trim().is_empty()
                    && (name == "NOUKAI_API_KEY" || Keys::project_of(name).is_some())
            })
            .map(|(_, value)| ApiKey::new(value))
            .collect();
        Keys {
            unused,
            ..Keys::default()
        }
    }

    /// [`Keys::scrub`] in place: a text that holds no key is left as it is, uncopied (a shared
    /// `Arc<str>` stays shared).
    pub fn scrub_in<T: AsRef<str> + From<String>>(&self, text: &mut T) {
        if self.appear_in(text.as_ref()) {
            *text = T::from(self.scrub(text.as_ref()));
        }
    }

    /// Whether `text` holds any of the keys, escaped or not: whether [`Keys::scrub`] would
    /// change it.
    pub fn appear_in(&self, text: &str) -> bool {
        self.all().any(|key| key.appears_in(text))
    }

    /// Whether there is no key to send (a key file's or the environment's).
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.projects.is_empty()
    }

    /// Whether one of the keys is written as a URL (`https://...`): the server's URL where
    /// the key should be.
    pub fn any_is_url(&self) -> bool {
        self.all().any(|key| {
            let key = key.expose().trim().to_ascii_lowercase();
            key.starts_with("https://") || key.starts_with("http://")
        })
    }

    /// [`Keys::scrub`] on every string of `value`, keys included; a value none of whose
    /// strings holds a key is left as it is, uncopied.
    pub fn scrub_value(&self, value: &mut Value) {
        if any_string(value, &|text| self.appear_in(text)) {
            *value = map_strings(value, &mut |text| self.scrub(text));
        }
    }

    /// Every key removed from `text`, escaped or not ([`ApiKey::scrub`]).
    pub fn scrub(&self, text: &str) -> String {
        let mut keys = self.all();
        let Some(first) = keys.next() else {
            return text.to_owned();
        };
        keys.fold(first.scrub(text), |text, key| key.scrub(&text))
    }
}

/// Whether `org` and `project` are Noukai slugs, so that `org/project` names a project.
fn is_project(org: &str, project: &str) -> bool {
    let slug = |s: &str| crate::suite::target::check_slug(s).is_ok();
    slug(org) && slug(project)
}

/// Whether `word` is `org/project`, two Noukai slugs.
fn names_project(word: &str) -> bool {
    word.split_once('/')
        .is_some_and(|(org, project)| is_project(org, project))
}

/// The keys of a key file (`--api-key-file`), each with its line. The file is either one key
/// (its whole text, as it has always been), or lines of `org/project KEY` for a project's key,
/// and `* KEY` (or a key alone) for the default key of the projects without their own; blank
/// lines and lines starting with `#` are passed over. A key holds no white space, so a line's
/// words say which it is: one word a default key, two a project and its key.
#[derive(Debug, Default)]
pub struct KeyFile {
    pub default: Option<(ApiKey, usize)>,
    /// `org/project`, its key, and the line.
    pub projects: Vec<(String, ApiKey, usize)>,
}

impl KeyFile {
    /// Read a key file's text; `shown` names the file in errors. An error names the file and
    /// the line, never a word of the line: a word read as a project may be a key put there.
    pub fn parse(text: &str, shown: &str) -> Result<KeyFile, String> {
        const NOT_SHOWN: &str = "(the line is not shown: it may hold a key)";
        let mut file = KeyFile::default();
        // A byte-order mark (Windows editors write one) is no part of the first line's words.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let at = format!("{shown}:{number}");
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let (project, key) = match words.as_slice() {
                ["*"] => return Err(format!("{at}: `*` with no key after it")),
                [word] if names_project(word) => {
                    return Err(format!(
                        "{at}: this line names a project but no key: write `org/project KEY` {NOT_SHOWN}"
                    ));
                }
                [key] | ["*", key] => (None, *key),
                [project, key] if names_project(project) => (Some(*project), *key),
                [_, _] => {
                    return Err(format!(
                        "{at}: the first of two words must be `org/project` (two Noukai slugs) or `*` {NOT_SHOWN}"
                    ));
                }
                words => {
                    return Err(format!(
                        "{at}: a line is `org/project KEY`, `* KEY` or a key alone, but this one has {} words {NOT_SHOWN}",
                        words.len()
                    ));
                }
            };
            let key = ApiKey::new(key);
            match project {
                None => match &file.default {
                    Some((_, first)) => {
                        return Err(format!(
                            "{at}: a second default key (the first is on line {first})"
                        ));
                    }
                    None => file.default = Some((key, number)),
                },
                Some(project) => {
                    if let Some((_, _, first)) = file.projects.iter().find(|(p, ..)| p == project) {
                        return Err(format!(
                            "{at}: a second key for the project named on line {first}"
                        ));
                    }
                    file.projects.push((project.to_owned(), key, number));
                }
            }
        }
        if file.default.is_none() && file.projects.is_empty() {
            return Err(format!(
                "the key file {shown} holds no key (only blank lines and # comments, or nothing)"
            ));
        }
        Ok(file)
    }
}

/// Whether `text` holds something shaped like a Noukai key (`nk_live_...`, `nk_test_...`, in
/// any case): a key that is not (or not yet) one of the run's, to refuse to quote.
pub fn has_key_shape(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    text.contains("nk_live_") || text.contains("nk_test_")
}

/// [`redact_url`] in place: a text that cannot hold a URL is left as it is, uncopied (a
/// shared `Arc<str>` stays shared).
pub fn redact_url_in<T: AsRef<str> + From<String>>(text: &mut T) {
    if may_hold_url(text.as_ref()) {
        *text = T::from(redact_url(text.as_ref()));
    }
}

/// `https://host/a.png?X-Amz-Signature=...` becomes `https://host/a.png?[redacted]`, whether
/// the text is the URL or holds it (a server's error message quoting the URL, say), and so
/// does the URL percent-encoded (`https%3A%2F%2Fhost%2Fa.png%3F...`, as a query parameter).
/// A fragment (`#sig=...`, where some services put a token) becomes `#[redacted]` alike
/// (`%23[redacted]` encoded). The marks count however the rest is written: a literal URL whose
/// `?` alone is encoded (`https://host/a.png%3FX-Amz-Signature=...`) and an encoded one with a
/// literal `?` lose their queries too, so an encoded `?` or `#` in a path is taken for one
/// (hiding too much is the safe mistake). A user and password before the host
/// (`https://user:secret@host/`) are cut too.
///
/// The text may be JSON as a server wrote it (`-v` prints response bodies raw): a JSON escape
/// reads as the character it stands for, so Go's `\u0026` is an `&` that the query runs on
/// through, `\u003f` a `?` that starts one, `\/` a `/`, and `\"` a quote that ends the URL.
/// Only whitespace, a double quote and the end of the text end a query or a fragment: a `<` or
/// `>` in one (unencoded, or Go's `\u003c`) is part of it, so nothing after it shows.
/// HTML entities are not read: `&amp;` is text a query runs on through, which hides the
/// parameters after it, and `&#38;`'s `#` starts a fragment, which hides them too.
pub fn redact_url(text: &str) -> String {
    // Where a URL starts: any scheme (`https://`, `s3://`), its slashes written as JSON may
    // (`\/`, `\u002f`), or percent-encoded (`https%3A%2F%2F`), or scheme-relative
    // (`//cdn.example.com/...` after a space, a quote or `=`). [`url_rest`] reads on from there.
    static START: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(
            r#"(?i)[a-z][a-z0-9+.-]*(?::|%3A)(?:/|\\/|\\u002f|%2F){2}|(?:^|[\s"'(=\[,])(?:/|\\/){2}[a-z0-9-]+\."#,
        )
        .ok()
    });
    // A user and password: up to an `@` (or JSON's `\u0040`), through JSON escapes.
    static USER: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r#"(?i)([a-z][a-z0-9+.-]*:(?://|\\/\\/))(?:[^\s/?#@"<>\\]|\\u[0-9a-f]{4})+(?:@|\\u0040)"#)
            .ok()
    });
    if !may_hold_url(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    if let Some(start) = START.as_ref() {
        // Each search begins where the last URL ended, so a URL inside another's query (a
        // redirect parameter) goes with that query.
        while let Some(found) = start.find_at(text, copied) {
            let rest = &text[found.end()..];
            let (length, redacted) = url_rest(rest);
            out.push_str(&text[copied..found.end()]);
            out.push_str(&redacted);
            copied = found.end() + length;
        }
    }
    out.push_str(&text[copied..]);
    // USER needs a plain `//` (or `\/\/`): on percent-encoded text it finds nothing.
    match USER.as_ref() {
        Some(user) => user.replace_all(&out, "$1[redacted]@").into_owned(),
        None => out,
    }
}

/// A URL's text after its start (scheme and `//`): how many bytes of `rest` it takes, and that
/// text with its query and fragment redacted. The host and path run to a space, a quote, `<` or
/// `>`; a query begins at `?` or `%3F`, a fragment at `#` or `%23`, and either runs on to
/// whitespace, a double quote or the end of the text, taking single quotes, `<` and `>` with
/// it. Each character may be written as a JSON escape ([`char_at`]) and counts as the one it
/// stands for: `\"` ends the URL (the end of a JSON string), `\u0026` and `\u003e` are part
/// of its query. A mark with nothing after it is left as it is.
fn url_rest(rest: &str) -> (usize, String) {
    #[derive(PartialEq)]
    enum Part {
        Path,
        Query,
        Fragment,
    }
    let mut part = Part::Path;
    let mut out = String::new();
    // Whether the part being read holds anything (a mark alone hides nothing).
    let mut hidden = false;
    let mut at = 0;
    while let Some((c, length)) = char_at(rest, at) {
        // `<`, `>` and `'` end a path (`<https://host/a.png>`), never a query or fragment: a
        // signed URL encodes them, but a server may quote one that does not, and what follows
        // one would show.
        let stops =
            c.is_whitespace() || c == '"' || (part == Part::Path && matches!(c, '\'' | '<' | '>'));
        if stops {
            break;
        }
        // `%3F` and `%23`, their characters escaped or not (`\u00253F` is `%3F` too).
        let encoded = || {
            let (first, one) = char_at(rest, at + length)?;
            let (second, two) = char_at(rest, at + length + one)?;
            Some((first, second.to_ascii_uppercase(), length + one + two))
        };
        let mark = match (c, &part) {
            ('?', Part::Path) => Some((Part::Query, length)),
            ('#', Part::Path | Part::Query) => Some((Part::Fragment, length)),
            ('%', Part::Path | Part::Query) => match encoded() {
                Some(('3', 'F', all)) if part == Part::Path => Some((Part::Query, all)),
                Some(('2', '3', all)) => Some((Part::Fragment, all)),
                _ => None,
            },
            _ => None,
        };
        if let Some((next, length)) = mark {
            if hidden {
                out.push_str("[redacted]");
            }
            hidden = false;
            part = next;
            out.push_str(&rest[at..at + length]);
            at += length;
            continue;
        }
        if part == Part::Path {
            out.push_str(&rest[at..at + length]);
        } else {
            hidden = true;
        }
        at += length;
    }
    if hidden {
        out.push_str("[redacted]");
    }
    (at, out)
}

/// The character `text` holds at byte `at`, and how many bytes it takes there: a JSON escape
/// (`\/`, `\"`, `\n`, `\u0026`, a surrogate pair) is the character it stands for, and a
/// backslash that starts none is itself. `None` at the end (or not on a character's start).
fn char_at(text: &str, at: usize) -> Option<(char, usize)> {
    let rest = text.get(at..)?;
    let mut chars = rest.chars();
    let c = chars.next()?;
    if c != '\\' {
        return Some((c, c.len_utf8()));
    }
    let short = match chars.next() {
        Some(c @ ('/' | '\\' | '"')) => c,
        Some('b') => '\u{8}',
        Some('f') => '\u{c}',
        Some('n') => '\n',
        Some('r') => '\r',
        Some('t') => '\t',
        Some('u') => return Some(unicode_escape(rest).unwrap_or(('\\', 1))),
        _ => return Some(('\\', 1)),
    };
    Some((short, 2))
}

/// `\uXXXX` at the start of `text` (`\ud83d\ude00` as one character): the character and the
/// escape's length. A lone surrogate stands for U+FFFD, as a lenient decoder reads it.
fn unicode_escape(text: &str) -> Option<(char, usize)> {
    let code = |at: usize| {
        let digits = text.get(at..at + 6)?.strip_prefix("\\u")?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    };
    let high = code(0)?;
    if (0xD800..0xDC00).contains(&high)
        && let Some(low) = code(6).filter(|low| (0xDC00..0xE000).contains(low))
        && let Some(c) = char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
    {
        return Some((c, 12));
    }
    Some((
        char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER),
        6,
    ))
}

/// Whether `text` holds something [`redact_url`] reads as a URL's start (`//`, written plain,
/// as JSON or percent-encoded). Every string of every request body passes here: look before
/// allocating, and first for the three bytes every start needs.
fn may_hold_url(text: &str) -> bool {
    if memchr::memchr3(b'/', b'\\', b'%', text.as_bytes()).is_none() {
        return false;
    }
    let plain = text.contains("//")
        || text.contains(r"\/\/")
        || text.contains(r"\u002f")
        || text.contains(r"\u002F");
    // Encoded slashes, after an encoded colon or a plain one (`https:%2F%2F`).
    plain || (text.contains('%') && text.to_ascii_lowercase().contains("%2f%2f"))
}

/// Redact the query string and fragment of every URL inside a JSON value, in its strings and
/// in its keys; the value itself when none of them holds a URL.
pub fn redact_urls(value: &Value) -> Cow<'_, Value> {
    if any_string(value, &may_hold_url) {
        Cow::Owned(map_strings(value, &mut |s| redact_url(s)))
    } else {
        Cow::Borrowed(value)
    }
}

/// Whether `test` holds for a string in `value`, keys included.
fn any_string(value: &Value, test: &dyn Fn(&str) -> bool) -> bool {
    match value {
        Value::String(s) => test(s),
        Value::Array(items) => items.iter().any(|v| any_string(v, test)),
        Value::Object(map) => map.iter().any(|(k, v)| test(k) || any_string(v, test)),
        _ => false,
    }
}

/// `value` with `change` applied to every string in it, keys included.
pub fn map_strings(value: &Value, change: &mut dyn FnMut(&str) -> String) -> Value {
    match value {
        Value::String(s) => Value::String(change(s)),
        Value::Array(items) => Value::Array(items.iter().map(|v| map_strings(v, change)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (change(k), map_strings(v, change)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn key_never_prints() {
        let key = ApiKey::new("nk_test_abcdefgh_0123456789abcdef0123456789abcdef");
        assert_eq!(format!("{key} {key:?}"), "[redacted] ApiKey([redacted])");
        assert_eq!(
            key.scrub(&format!("bad key {}", key.expose())),
            "bad key [redacted]"
        );
    }

    #[test]
    fn signed_url_queries_are_cut() {
        let body = json!({"attachments": [{"url": "https://s3.example.com/a.png?X-Amz-Signature=abc&token=t"}], "message": "what? why?"});
        assert_eq!(
            *redact_urls(&body),
            json!({"attachments": [{"url": "https://s3.example.com/a.png?[redacted]"}], "message": "what? why?"})
        );
        assert_eq!(
            redact_url(
                "cannot fetch \"https://cdn.example.com/b.png?sig=abc&token=t#top\" (403); see http://x.example/?a=1"
            ),
            "cannot fetch \"https://cdn.example.com/b.png?[redacted]#[redacted]\" (403); see http://x.example/?[redacted]"
        );
        assert_eq!(redact_url("no url? none"), "no url? none");
        assert_eq!(
            redact_url(
                "cannot fetch https%3A%2F%2Fcdn.example.com%2Fa.png%3FX-Amz-Signature%3DSIG"
            ),
            "cannot fetch https%3A%2F%2Fcdn.example.com%2Fa.png%3F[redacted]"
        );
        assert_eq!(
            redact_url("https://user:SECRET@cdn.example.com/a.png and http://x@y.example/"),
            "https://[redacted]@cdn.example.com/a.png and http://[redacted]@y.example/"
        );
    }

    #[test]
    fn queries_are_cut_whatever_the_url_is_written_as() {
        for (text, shown) in [
            (
                r#"{"u":"https:\/\/cdn.example.com\/a.png?X-Amz-Signature=SIGSECRET1"}"#,
                r#"{"u":"https:\/\/cdn.example.com\/a.png?[redacted]"}"#,
            ),
            (
                "cannot fetch //cdn.example.com/a.png?X-Amz-Signature=SIGSECRET2 now",
                "cannot fetch //cdn.example.com/a.png?[redacted] now",
            ),
            (
                "s3://bkt/k?X-Amz-Signature=SIGSECRET3",
                "s3://bkt/k?[redacted]",
            ),
            (
                "https://h/a.png?sig=SIG'SECRET5 tail",
                "https://h/a.png?[redacted] tail",
            ),
        ] {
            assert_eq!(redact_url(text), shown);
        }
        // A comment or a path with `//` and no host is left alone.
        assert_eq!(redact_url("a // b?c"), "a // b?c");
    }

    #[test]
    fn fragments_are_cut_like_queries() {
        assert_eq!(
            redact_url("https://host/x.png#sig=FRAGSIG999"),
            "https://host/x.png#[redacted]"
        );
        assert_eq!(
            redact_url("could not fetch https://host/x.png?a=1#sig=FRAGSIG999?more sorry"),
            "could not fetch https://host/x.png?[redacted]#[redacted] sorry"
        );
        assert_eq!(
            redact_url("https%3A%2F%2Fhost%2Fx.png%23sig%3DFRAGSIG999"),
            "https%3A%2F%2Fhost%2Fx.png%23[redacted]"
        );
        assert_eq!(
            *redact_urls(&json!({"url": "https://host/x.png#sig=FRAGSIG999"})),
            json!({"url": "https://host/x.png#[redacted]"})
        );
        // Nothing after the mark is nothing to hide; text without a URL is left alone.
        assert_eq!(
            redact_url("https://host/x.png# and #1"),
            "https://host/x.png# and #1"
        );
        assert_eq!(redact_url("https://host/x.png"), "https://host/x.png");
    }

    /// A URL whose `?` alone is percent-encoded (a server quoting the URL it could not fetch,
    /// half-escaped), and an encoded URL with a literal `?` or `#`: the marks count however
    /// the rest is written.
    #[test]
    fn a_query_or_fragment_begins_at_an_encoded_or_a_literal_mark() {
        for (text, shown) in [
            (
                "could not fetch https://bucket.s3.amazonaws.com/cat.png%3FX-Amz-Signature=ZZSIGZZ&X-Amz-Credential=ZZCREDZZ#sig=ZZFRAGZZ (403)",
                "could not fetch https://bucket.s3.amazonaws.com/cat.png%3F[redacted]#[redacted] (403)",
            ),
            (
                "https://bucket.s3.amazonaws.com/cat.png%3fX-Amz-Signature=ZZSIGZZ",
                "https://bucket.s3.amazonaws.com/cat.png%3f[redacted]",
            ),
            (
                "https://host/x.png%23sig=ZZFRAGZZ",
                "https://host/x.png%23[redacted]",
            ),
            (
                "https://host/x.png?a=1%23sig=ZZFRAGZZ",
                "https://host/x.png?[redacted]%23[redacted]",
            ),
            (
                r#"{"u":"https:\/\/host\/x.png%3FX-Amz-Signature=ZZSIGZZ"}"#,
                r#"{"u":"https:\/\/host\/x.png%3F[redacted]"}"#,
            ),
            (
                "cannot fetch https%3A%2F%2Fhost%2Fcat.png?X-Amz-Signature=ZZSIGZZ#sig=ZZFRAGZZ now",
                "cannot fetch https%3A%2F%2Fhost%2Fcat.png?[redacted]#[redacted] now",
            ),
            (
                "https%3a%2f%2fhost%2fcat.png%3fsig%3DZZSIGZZ#ZZFRAGZZ",
                "https%3a%2f%2fhost%2fcat.png%3f[redacted]#[redacted]",
            ),
            (
                "s3%3A%2F%2Fbkt%2Fk%3FX-Amz-Signature%3DZZSIGZZ",
                "s3%3A%2F%2Fbkt%2Fk%3F[redacted]",
            ),
            // A URL in another's query goes with it.
            (
                "https://a.example/login?next=https://b.example/x%3Fsig=ZZSIGZZ done",
                "https://a.example/login?[redacted] done",
            ),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
        // Other escapes in a path are the path's; a `%` alone is text.
        assert_eq!(
            redact_url("https://host/a%20b%2Fc.png is 100% there"),
            "https://host/a%20b%2Fc.png is 100% there"
        );
        assert_eq!(redact_url("https://host/a.png%3"), "https://host/a.png%3");
        assert_eq!(
            redact_url("https://hôst/é%3Fsig=ZZSIGZZ"),
            "https://hôst/é%3F[redacted]"
        );
    }

    /// `-v` prints a body as the server wrote it: Go's encoder writes `&`, `=`, `<` and `>` as
    /// `\u0026`, `\u003d`, `\u003c`, `\u003e`, PHP's every `/` as `\/`. A query runs on through
    /// the escapes of characters a query may hold (`\u003e` too) and ends where the character
    /// an escape stands for would end it (`\"`, `\n`).
    #[test]
    fn a_query_runs_on_through_json_escapes() {
        for (text, shown) in [
            (
                r#"{"detail":{"message":"cannot fetch https://s3.example.com/a.png?X-Amz-Algorithm=AWS4\u0026X-Amz-Signature=LEAKSIG2"}}"#,
                r#"{"detail":{"message":"cannot fetch https://s3.example.com/a.png?[redacted]"}}"#,
            ),
            (
                r#""https://h/a.png?X-Amz-Signature\u003dLEAKSIG\u0026t\u003dLEAKTOKEN""#,
                r#""https://h/a.png?[redacted]""#,
            ),
            // `\u003c...\u003e` around the URL, as Go writes `<...>`: a `>` may be the
            // query's, so it runs on to the space.
            (
                r#""see \u003chttps://h/a.png?sig=LEAKSIG\u0026t=LEAKTOKEN\u003e, then""#,
                r#""see \u003chttps://h/a.png?[redacted] then""#,
            ),
            // An escaped `<` or `>` inside the query is part of it.
            (
                r#"{"m":"https://h/a.png?q=\u003cb\u003eLEAK1\u003c/b\u003e\u0026sig=LEAKSIG"}"#,
                r#"{"m":"https://h/a.png?[redacted]"}"#,
            ),
            // An escaped quote ends the URL, written short or long.
            (
                r#"{"m":"fetch \"https://h/a.png?sig=LEAKSIG\u0026t=1\" failed"}"#,
                r#"{"m":"fetch \"https://h/a.png?[redacted]\" failed"}"#,
            ),
            (
                r#""fetch \u0022https://h/a.png?sig=LEAKSIG\u0022 failed""#,
                r#""fetch \u0022https://h/a.png?[redacted]\u0022 failed""#,
            ),
            // A newline ends it; a tab too.
            (
                r#""https://h/a.png?sig=LEAKSIG\nnext line\thttps://h/b?LEAK2\tend""#,
                r#""https://h/a.png?[redacted]\nnext line\thttps://h/b?[redacted]\tend""#,
            ),
            // PHP's `\/`, in the query too (a redirect parameter).
            (
                r#""https:\/\/h\/login?next=https:\/\/b\/c\u0026sig=LEAKSIG""#,
                r#""https:\/\/h\/login?[redacted]""#,
            ),
            // The marks escaped: `\u003f` is a `?`, `\u0023` a `#`, `\u00253F` a `%3F`.
            (
                r#""https:\/\/h\/a.png\u003fsig=LEAKSIG\u0023frag=LEAKFRAG""#,
                r#""https:\/\/h\/a.png\u003f[redacted]\u0023[redacted]""#,
            ),
            (
                r#""https://h/a.png\u00253Fsig=LEAKSIG\u002523LEAKFRAG""#,
                r#""https://h/a.png\u00253F[redacted]\u002523[redacted]""#,
            ),
            // The slashes after the scheme escaped as `\u002f`; a scheme-relative URL as `\/\/`.
            (
                r#""https:\u002f\u002fh\u002fa.png?sig=LEAKSIG""#,
                r#""https:\u002f\u002fh\u002fa.png?[redacted]""#,
            ),
            (
                r#"{"u":"\/\/cdn.example.com\/a.png?sig=LEAKSIG"}"#,
                r#"{"u":"\/\/cdn.example.com\/a.png?[redacted]"}"#,
            ),
            // Characters beyond the BMP as surrogate pairs, a lone surrogate, a broken escape,
            // and a body escaped twice (`\\u0026`): all part of the query.
            (
                r#""https://h/a?sig=\ud83d\ude00LEAK1\ud83dLEAK2\u12LEAK3\\u0026LEAK4\\\u0026LEAK5" x"#,
                r#""https://h/a?[redacted]" x"#,
            ),
            // A backslash is part of a path: what follows it is still the URL's.
            (
                r"https://h/a\b.png?sig=LEAKSIG",
                r"https://h/a\b.png?[redacted]",
            ),
            // A user and password, escaped as JSON.
            (
                r#""https:\/\/bob:LEAKPW@h\/a.png and https://bob:LEAKPW\u0040h/""#,
                r#""https:\/\/[redacted]@h\/a.png and https://[redacted]@h/""#,
            ),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }

    /// HTML escapes are not read: `&amp;` is text a query runs on through, and the `#` of
    /// `&#38;` or `&#x26;` starts a fragment; either way nothing after it shows.
    #[test]
    fn html_escaped_ampersands_hide_what_follows_them() {
        for (text, shown) in [
            (
                r#"<a href="https://h/a.png?a=1&amp;sig=LEAKSIG">x</a>"#,
                r#"<a href="https://h/a.png?[redacted]">x</a>"#,
            ),
            (
                "cannot fetch https://h/a.png?a=1&amp;sig=LEAKSIG&amp;t=LEAKTOKEN now",
                "cannot fetch https://h/a.png?[redacted] now",
            ),
            (
                "https://h/a.png?a=1&#38;sig=LEAKSIG and https://h/b.png?a=1&#x26;sig=LEAKSIG",
                "https://h/a.png?[redacted]#[redacted] and https://h/b.png?[redacted]#[redacted]",
            ),
            // `&#63;`, an escaped `?`: its `#` starts a fragment.
            (
                "https://h/a.png&#63;sig=LEAKSIG",
                "https://h/a.png&#[redacted]",
            ),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }

    /// A query or fragment holding an unencoded `<` or `>` runs on through it: only whitespace,
    /// a double quote (a JSON string's end) and the end of the text end it. A path still ends at
    /// them, so a URL in angle brackets keeps what follows its `>` when it has no query.
    #[test]
    fn a_query_runs_on_through_angle_brackets() {
        for (text, shown) in [
            (
                "cannot fetch https://h/a.png?q=<b>LEAK1</b>&sig=LEAKSIG now",
                "cannot fetch https://h/a.png?[redacted] now",
            ),
            (
                "https://h/a.png?x=1>0&sig=LEAKSIG",
                "https://h/a.png?[redacted]",
            ),
            (
                "https://h/a.png?a=1#x<y>LEAKFRAG tail",
                "https://h/a.png?[redacted]#[redacted] tail",
            ),
            (
                "https://h/a.png%3Fq=<LEAKSIG>",
                "https://h/a.png%3F[redacted]",
            ),
            (
                "see <https://h/a.png?sig=LEAKSIG>, then",
                "see <https://h/a.png?[redacted] then",
            ),
            (
                "<a href=https://h/a.png?sig=LEAKSIG>x</a> after",
                "<a href=https://h/a.png?[redacted] after",
            ),
            (
                r#"{"m":"https://h/a.png?q=<LEAK1>\u0026sig=LEAKSIG","n":"<kept>"}"#,
                r#"{"m":"https://h/a.png?[redacted]","n":"<kept>"}"#,
            ),
            (
                "https://h/a.png?sig=LEAK1<\nnext <line>",
                "https://h/a.png?[redacted]\nnext <line>",
            ),
            // A path ends at them: nothing secret there, and the text after is kept.
            (
                "see <https://h/a.png>, <https://h/b.png>",
                "see <https://h/a.png>, <https://h/b.png>",
            ),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }

    #[test]
    fn a_json_escape_reads_as_its_character() {
        for (text, read) in [
            ("a", Some(('a', 1))),
            ("é", Some(('é', 2))),
            (r"\/", Some(('/', 2))),
            (r#"\""#, Some(('"', 2))),
            (r"\\", Some(('\\', 2))),
            (r"\n", Some(('\n', 2))),
            (r"\u0026", Some(('&', 6))),
            (r"\u003D", Some(('=', 6))),
            (r"\ud83d\ude00", Some(('😀', 12))),
            (r"\ud83dx", Some(('\u{FFFD}', 6))),
            (r"\u+026", Some(('\\', 1))),
            (r"\u00", Some(('\\', 1))),
            (r"\x", Some(('\\', 1))),
            (r"\", Some(('\\', 1))),
            ("", None),
        ] {
            assert_eq!(char_at(text, 0), read, "{text}");
        }
        // Not on a character's start: nothing, and no panic.
        assert_eq!(char_at("é", 1), None);
    }

    proptest::proptest! {
        #[test]
        fn no_query_or_fragment_survives(
            host in "[a-z0-9.-]{1,20}",
            path in "(/[A-Za-z0-9._~%-]{0,12}){0,3}",
            // `<` and `>` too: a server may quote a URL that does not encode them.
            query in proptest::option::of("[A-Za-z0-9=&%._~<>-]{0,30}"),
            fragment in proptest::option::of("[A-Za-z0-9=&%?._~<>-]{0,30}"),
            before in "[ a-z(:]{0,5}",
            after in "[ ),.;]{0,5}",
            // How the marks are written: `?` or `%3F`/`%3f`, `#` or `%23`.
            query_mark in "\\?|%3[Ff]",
            fragment_mark in "#|%23",
            encoded_scheme in proptest::bool::ANY,
        ) {
            let mut url = format!("https://{host}{path}");
            if let Some(query) = &query {
                url.push_str(&format!("?SECRETQ{query}"));
            }
            if let Some(fragment) = &fragment {
                url.push_str(&format!("#SECRETF{fragment}"));
            }
            let text = format!("{before}{url}{after}");
            let redacted = redact_url(&text);
            proptest::prop_assert!(!redacted.contains("SECRET"), "{text} -> {redacted}");
            // The marks alone encoded, or the scheme alone.
            let scheme = if encoded_scheme { "https%3A%2F%2F" } else { "https://" };
            let mut mixed = format!("{scheme}{host}{path}");
            if let Some(query) = &query {
                mixed.push_str(&format!("{query_mark}SECRETQ{query}"));
            }
            if let Some(fragment) = &fragment {
                mixed.push_str(&format!("{fragment_mark}SECRETF{fragment}"));
            }
            let text = format!("{before}{mixed}{after}");
            let redacted = redact_url(&text);
            proptest::prop_assert!(!redacted.contains("SECRET"), "{text} -> {redacted}");
            let encoded: String = url
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                        char::from(b).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            let redacted = redact_url(&format!("{before}{encoded}{after}"));
            proptest::prop_assert!(!redacted.contains("SECRET"), "{encoded} -> {redacted}");
        }

        /// The URL in a JSON body as an encoder may write it: Go's `\u0026`, `\u003c`,
        /// `\u003e`, PHP's `\/`, or any character after the scheme as `\uXXXX`. Read back, the
        /// redacted body is still JSON and holds no part of a query or fragment.
        #[test]
        fn no_query_or_fragment_survives_json_escaping(
            host in "[a-z0-9.-]{1,20}",
            path in "(/[A-Za-z0-9._~%-]{0,12}){0,3}",
            query in proptest::option::of("[A-Za-z0-9=&%._~!$'()*+,;:@/?<>-]{0,30}"),
            fragment in proptest::option::of("[A-Za-z0-9=&%?._~<>-]{0,30}"),
            query_mark in "\\?|%3[Ff]",
            fragment_mark in "#|%23",
            html_safe in proptest::bool::ANY,
            escape_slashes in proptest::bool::ANY,
            escaped in proptest::collection::vec(proptest::bool::ANY, 200),
            // The URL in `<...>`, which Go writes `\u003c...\u003e`.
            angled in proptest::bool::ANY,
            after in "[ ),.;]{0,5}",
        ) {
            let mut url = format!("{host}{path}");
            if let Some(query) = &query {
                url.push_str(&format!("{query_mark}SECRETQ{query}"));
            }
            if let Some(fragment) = &fragment {
                url.push_str(&format!("{fragment_mark}SECRETF{fragment}"));
            }
            let written: String = url
                .chars()
                .zip(escaped.iter().chain(std::iter::repeat(&false)))
                .map(|(c, &escape)| match c {
                    '&' if html_safe => "\\u0026".to_owned(),
                    '<' if html_safe => "\\u003c".to_owned(),
                    '>' if html_safe => "\\u003e".to_owned(),
                    '/' if escape_slashes => "\\/".to_owned(),
                    _ if escape => format!("\\u{:04x}", u32::from(c)),
                    _ => c.to_string(),
                })
                .collect();
            let slashes = if escape_slashes { r"\/\/" } else { "//" };
            let (open, close) = if angled { (r"\u003c", r"\u003e") } else { ("", "") };
            let body = format!(
                r#"{{"message":"cannot fetch {open}https:{slashes}{written}{close}{after}","n":1}}"#
            );
            let redacted = redact_url(&body);
            let read: Value = serde_json::from_str(&redacted)
                .map_err(|err| proptest::test_runner::TestCaseError::fail(format!("{redacted}: {err}")))?;
            let message = read["message"].as_str().unwrap_or_default();
            proptest::prop_assert!(message.starts_with("cannot fetch "), "{body} -> {redacted}");
            proptest::prop_assert!(!message.contains("SECRET"), "{body} -> {redacted}");
        }
    }

    #[test]
    fn the_key_is_scrubbed_when_escaped_as_json_or_in_a_url() {
        let key = ApiKey::new("nk_test_abcdefgh_0123456789abcdef0123456789abcdef");
        let escaped: String = key
            .expose()
            .chars()
            .enumerate()
            .map(|(i, c)| match i % 3 {
                0 => format!("\\u{:04x}", u32::from(c)),
                1 => format!("%{:02X}", u32::from(c)),
                _ => c.to_string(),
            })
            .collect();
        assert_eq!(
            key.scrub(&format!(
                r#"{{"seen":"Bearer {escaped}","other":"caf\u00e9 100%"}}"#
            )),
            r#"{"seen":"Bearer [redacted]","other":"caf\u00e9 100%"}"#
        );
    }

    /// Found by QA: `%` itself JSON-escaped before a character's code (`\u00256E`, which the
    /// parsed JSON reads as `%6E`), URLs whose colon and slashes are encoded apart
    /// (`https:%2F%2F`, `https%3A//`), and a user and password before any scheme's host, with
    /// the sub-delimiters a password may hold.
    #[test]
    fn found_by_qa_encodings_are_scrubbed() {
        let key = ApiKey::new("nk_live_QA7f3KzP9xW2mL5vB8nR4tY6");
        let twice: String = key
            .expose()
            .bytes()
            .map(|b| format!("\\u0025{b:02X}"))
            .collect();
        assert_eq!(
            key.scrub(&format!(r#"{{"seen":"{twice}"}}"#)),
            r#"{"seen":"[redacted]"}"#
        );
        for (text, shown) in [
            (
                "https:%2F%2Fb.example%2Fg.png%3Fsig%3DHALFENC2",
                "https:%2F%2Fb.example%2Fg.png%3F[redacted]",
            ),
            (
                "https%3A//b.example/g.png%3Fsig%3DHALFENC3",
                "https%3A//b.example/g.png%3F[redacted]",
            ),
            (
                "see https://user:pa'ss2@host.example/x",
                "see https://[redacted]@host.example/x",
            ),
            (
                "postgres://admin:hunter2pw@db.example/x ftp://bob:ftpsecretpw@f.example/",
                "postgres://[redacted]@db.example/x ftp://[redacted]@f.example/",
            ),
            (
                "https://user:pw3!$&'()*+,;=x@host.example/x",
                "https://[redacted]@host.example/x",
            ),
        ] {
            assert_eq!(redact_url(text), shown, "{text}");
        }
    }

    /// A server may quote the key shortened (`invalid key nk_live_8f3K...`): a run of it that
    /// starts or ends it and holds half of it or more is cut out, in any case; less than half
    /// (or under 12 bytes) is left, as a key's public prefix is in ordinary text too.
    #[test]
    fn a_key_quoted_shortened_is_scrubbed() {
        let key = ApiKey::new("nk_qa_LeakCheck_0123456789abcdef");
        let head = &key.expose()[..28];
        let tail = &key.expose()[16..];
        assert_eq!(
            key.scrub(&format!("invalid key {head}... or ...{tail}!")),
            "invalid key [redacted]... or ...[redacted]!"
        );
        assert_eq!(
            key.scrub(&format!("KEY={}", head.to_ascii_uppercase())),
            "KEY=[redacted]"
        );
        // The whole key, and the key twice in a row, once each.
        assert_eq!(
            key.scrub(&format!("{0}{0} {0}", key.expose())),
            "[redacted] [redacted]"
        );
        // Under half of it, or a public prefix: left as it is.
        let short = &key.expose()[..12];
        assert_eq!(key.scrub(&format!("a {short}.")), format!("a {short}."));
        assert_eq!(
            key.scrub("keys start with nk_qa_"),
            "keys start with nk_qa_"
        );
        // In a long text (folded on the heap, not the stack) as in a short one.
        let long = format!(
            "{} {head} {}",
            "x".repeat(300),
            key.expose().to_ascii_uppercase()
        );
        assert_eq!(
            key.scrub(&long),
            format!("{} [redacted] [redacted]", "x".repeat(300))
        );
        // A short key only whole.
        let short_key = ApiKey::new("nk_0123456");
        assert_eq!(
            short_key.scrub("nk_012345 nk_0123456"),
            "nk_012345 [redacted]"
        );
        // A key with characters beyond ASCII: a part stops between the text's characters.
        let wide = ApiKey::new("nk_ключ_0123456789abcdefghijkl");
        let part = &wide.expose()[..24];
        assert_eq!(wide.scrub(&format!("«{part}é»")), "«[redacted]é»");
    }

    /// A flow may echo the key upper-cased or lower-cased, or in any mix of cases, escaped or
    /// not: it is the key still.
    #[test]
    fn the_key_is_scrubbed_in_any_case() {
        let key = ApiKey::new("nk_test_abcdefgh_0123456789abcdef0123456789ABCDEF");
        let upper = key.expose().to_ascii_uppercase();
        let lower = key.expose().to_ascii_lowercase();
        let escaped: String = upper
            .chars()
            .map(|c| format!("\\u{:04X}", u32::from(c)))
            .collect();
        assert_eq!(
            key.scrub(&format!("a {upper} b {lower} c {escaped} d")),
            "a [redacted] b [redacted] c [redacted] d"
        );
        // Not every text that shares the key's start is the key.
        assert_eq!(key.scrub("NK_TEST_ABCDEFGH_"), "NK_TEST_ABCDEFGH_");
    }

    proptest::proptest! {
        /// Whatever the case of each of its letters, and wherever it stands, the key is cut
        /// out, and the text around it stays as it was.
        #[test]
        fn the_key_in_any_mix_of_cases_is_scrubbed(
            before in "[a-z .:{}\"]{0,20}",
            after in "[a-z .:{}\"]{0,20}",
            flips in proptest::collection::vec(proptest::bool::ANY, 40),
        ) {
            let key = ApiKey::new("nk_live_Zq0123456789abcdefXYZ0123456789ab");
            let mixed: String = key
                .expose()
                .chars()
                .zip(flips.iter().cycle())
                .map(|(c, &flip)| if flip { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            let scrubbed = key.scrub(&format!("{before}{mixed}{after}"));
            proptest::prop_assert_eq!(scrubbed, format!("{before}[redacted]{after}"));
        }

        /// A run of the key (41 bytes) from its start or to its end, half of it or more, in any
        /// mix of cases, is cut out; the text around it (of letters the key has not, which
        /// would make the run longer) stays as it was.
        #[test]
        fn a_shortened_key_is_scrubbed(
            before in "[gjmorstuw .:{}\"]{0,20}",
            after in "[gjmorstuw .:{}\"]{0,20}",
            kept in 21usize..=41,
            from_the_end in proptest::bool::ANY,
            flips in proptest::collection::vec(proptest::bool::ANY, 40),
        ) {
            let key = ApiKey::new("nk_live_Zq0123456789abcdefXYZ0123456789ab");
            let whole = key.expose();
            let part = if from_the_end { &whole[whole.len() - kept..] } else { &whole[..kept] };
            let mixed: String = part
                .chars()
                .zip(flips.iter().cycle())
                .map(|(c, &flip)| if flip { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
                .collect();
            let scrubbed = key.scrub(&format!("{before}{mixed}{after}"));
            proptest::prop_assert_eq!(scrubbed, format!("{before}[redacted]{after}"));
        }
    }

    /// JSON's short escapes: PHP writes every `/` as `\/`, and any encoder escapes `"` and `\`.
    #[test]
    fn the_key_is_scrubbed_with_json_short_escapes() {
        let key = ApiKey::new(r#"nk_live_Ab/Cd+Ef/Gh"x\yz_0123456789"#);
        let echoed = r#"{"seen":"nk_live_Ab\/Cd+Ef\/Gh\"x\\yz_0123456789"}"#;
        assert_eq!(key.scrub(echoed), r#"{"seen":"[redacted]"}"#);
    }

    #[test]
    fn a_project_key_variable_names_its_project_and_back() {
        for (org, project, variable) in [
            ("acme", "shop", "NOUKAI_API_KEY_ACME_SHOP"),
            ("my-co", "web-shop", "NOUKAI_API_KEY_MY__CO_WEB__SHOP"),
            ("a1", "b--c", "NOUKAI_API_KEY_A1_B____C"),
        ] {
            assert_eq!(Keys::variable(org, project), variable);
            assert_eq!(Keys::project_of(variable), Some(format!("{org}/{project}")));
        }
        for not_one in [
            "NOUKAI_API_KEY_ACME",
            "NOUKAI_API_KEY_A_B_C",
            "NOUKAI_API_KEY__A_B",
            "NOUKAI_API_KEY_a_b",
        ] {
            assert_eq!(Keys::project_of(not_one), None, "{not_one}");
        }
    }

    #[test]
    fn a_key_file_is_one_key_or_lines_of_project_and_key() {
        let read = |text: &str| {
            let file = KeyFile::parse(text, "keys.txt")?;
            Ok::<_, String>((
                file.default
                    .map(|(key, line)| (key.expose().to_owned(), line)),
                file.projects
                    .into_iter()
                    .map(|(project, key, line)| (project, key.expose().to_owned(), line))
                    .collect::<Vec<_>>(),
            ))
        };
        // One key, as before: the whole text, trimmed.
        assert_eq!(
            read("  nk_live_one\n\n"),
            Ok((Some(("nk_live_one".into(), 1)), vec![]))
        );
        assert_eq!(
            read(
                "# Noukai keys\r\n\r\nacme/shop nk_live_shop\r\n  * nk_live_default\nmy-co/web-shop\tnk_live_web\n"
            ),
            Ok((
                Some(("nk_live_default".into(), 4)),
                vec![
                    ("acme/shop".into(), "nk_live_shop".into(), 3),
                    ("my-co/web-shop".into(), "nk_live_web".into(), 5)
                ]
            ))
        );
        // A byte-order mark (Windows editors write one) is no part of the first line.
        assert_eq!(
            read("\u{feff}# keys\r\nacme/shop nk_live_shop\r\n"),
            Ok((None, vec![("acme/shop".into(), "nk_live_shop".into(), 2)]))
        );
        assert_eq!(
            read("\u{feff}nk_live_one"),
            Ok((Some(("nk_live_one".into(), 1)), vec![]))
        );
        // Project keys only: the default comes from elsewhere (NOUKAI_API_KEY) or is none.
        assert_eq!(
            read("acme/shop nk_live_shop"),
            Ok((None, vec![("acme/shop".into(), "nk_live_shop".into(), 1)]))
        );
    }

    /// Each mistake names the file and the line, and no word of the line: a key is never
    /// shown, nor any part of it.
    #[test]
    fn a_key_file_s_mistakes_name_the_line_and_never_a_key() {
        for (text, error) in [
            (
                "acme/shop SECRET1 SECRET2",
                "keys.txt:1: a line is `org/project KEY`, `* KEY` or a key alone, but this one has 3 words (the line is not shown: it may hold a key)",
            ),
            (
                "\nSECRET1 SECRET2",
                "keys.txt:2: the first of two words must be `org/project` (two Noukai slugs) or `*` (the line is not shown: it may hold a key)",
            ),
            (
                "Acme/Shop SECRET1",
                "keys.txt:1: the first of two words must be `org/project` (two Noukai slugs) or `*` (the line is not shown: it may hold a key)",
            ),
            (
                "SECRET1\n# two defaults\n* SECRET2",
                "keys.txt:3: a second default key (the first is on line 1)",
            ),
            (
                "acme/shop SECRET1\nacme/shop SECRET2",
                "keys.txt:2: a second key for the project named on line 1",
            ),
            ("*", "keys.txt:1: `*` with no key after it"),
            (
                "acme/shop",
                "keys.txt:1: this line names a project but no key: write `org/project KEY` (the line is not shown: it may hold a key)",
            ),
            (
                "# only a comment\n\n",
                "the key file keys.txt holds no key (only blank lines and # comments, or nothing)",
            ),
            (
                "",
                "the key file keys.txt holds no key (only blank lines and # comments, or nothing)",
            ),
        ] {
            let refused = KeyFile::parse(text, "keys.txt").map(|_| ());
            assert_eq!(refused, Err(error.to_owned()), "{text:?}");
            assert!(!error.contains("SECRET"));
        }
    }

    /// The key file's keys, and the environment's for what it does not name: where each
    /// came from is said when a project refuses it.
    #[test]
    fn a_refused_key_says_where_it_came_from() {
        let keys = Keys {
            default: Some(ApiKey::new("default-key-1")),
            projects: vec![ProjectKey {
                project: "acme/shop".into(),
                key: ApiKey::new("shop-key-22"),
                from: "--api-key-file keys.txt:3".into(),
            }],
            default_from: Some("--api-key-file keys.txt:1".into()),
            file: Some("keys.txt".into()),
            unused: Vec::new(),
        };
        assert_eq!(
            keys.refused_hint("acme", "shop").as_deref(),
            Some("the key in --api-key-file keys.txt:3 has no access to acme/shop")
        );
        assert_eq!(
            keys.refused_hint("acme", "support").as_deref(),
            Some(
                "the key from --api-key-file keys.txt:1 has no access to acme/support: a key opens one project; set NOUKAI_API_KEY_ACME_SUPPORT to this project's key, or give it in the key file keys.txt (a line `acme/support KEY`)"
            )
        );
    }

    #[test]
    fn keys_scrub_every_key_and_pick_the_project_one() {
        let keys = Keys {
            default: Some(ApiKey::new("default-key-1")),
            projects: vec![ProjectKey {
                project: "acme/shop".into(),
                key: ApiKey::new("shop-key-22"),
                from: "NOUKAI_API_KEY_ACME_SHOP".into(),
            }],
            unused: vec![ApiKey::new("unused-key-333")],
            ..Keys::default()
        };
        assert_eq!(
            keys.get("acme", "shop").map(ApiKey::expose),
            Some("shop-key-22")
        );
        assert_eq!(
            keys.get("acme", "other").map(ApiKey::expose),
            Some("default-key-1")
        );
        assert_eq!(
            keys.scrub("a default-key-1 b shop-key-22 c unused-key-333"),
            "a [redacted] b [redacted] c [redacted]"
        );
        assert_eq!(keys.refused_hint("acme", "shop"), None);
    }
}
