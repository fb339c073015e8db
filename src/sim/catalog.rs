//! The catalogue of flows the simulator serves: loaded from YAML, fully checked before the
//! server starts, immutable afterwards (so the hot path reads it without locks).

use crate::diagnostic::Diagnostic;
use crate::sim::compile;
use crate::sim::definition::RawFlow;
use crate::sim::model::Flow;
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The shipped example flows, compiled into the binary so they work from any directory.
const BUILTIN: &[(&str, &str)] = &[
    (
        "examples/flows/support-triage.yaml",
        include_str!("../../examples/flows/support-triage.yaml"),
    ),
    (
        "examples/flows/vision-describe.yaml",
        include_str!("../../examples/flows/vision-describe.yaml"),
    ),
    (
        "examples/flows/docs-summarize.yaml",
        include_str!("../../examples/flows/docs-summarize.yaml"),
    ),
    (
        "examples/flows/long-report.yaml",
        include_str!("../../examples/flows/long-report.yaml"),
    ),
    (
        "examples/flows/ops-broken.yaml",
        include_str!("../../examples/flows/ops-broken.yaml"),
    ),
    (
        "examples/flows/creative-tagline.yaml",
        include_str!("../../examples/flows/creative-tagline.yaml"),
    ),
    (
        "examples/flows/bench-echo.yaml",
        include_str!("../../examples/flows/bench-echo.yaml"),
    ),
    (
        "examples/flows/flaky-rate-limited.yaml",
        include_str!("../../examples/flows/flaky-rate-limited.yaml"),
    ),
    (
        "examples/flows/eval-grader.yaml",
        include_str!("../../examples/flows/eval-grader.yaml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}:{line}:{column}: {message}")]
    Invalid {
        file: String,
        line: u64,
        column: u64,
        message: String,
    },
    #[error("failed to read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: no flow definitions (*.yaml or *.yml) found")]
    Empty { path: String },
}

/// A validated set of flow definitions.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    flows: HashMap<String, Arc<Flow>>,
}

impl Catalog {
    /// The shipped examples.
    pub fn builtin() -> Result<Catalog, CatalogError> {
        Catalog::from_sources(
            BUILTIN
                .iter()
                .map(|(name, text)| (name.to_string(), text.to_string())),
        )
    }

    /// A YAML file, or every `*.yaml`/`*.yml` file directly inside a folder.
    pub fn load(path: &Path) -> Result<Catalog, CatalogError> {
        let failed = |at: &Path| {
            let path = at.display().to_string();
            move |source| CatalogError::Read { path, source }
        };
        // A flow definition is small; `/dev/zero` must not be read until memory runs out.
        let read = |file: &Path| {
            crate::files::read_limited(file, 16 << 20)
                .map_err(|message| std::io::Error::new(std::io::ErrorKind::InvalidData, message))
                .map_err(failed(file))
        };
        let metadata = std::fs::metadata(path).map_err(failed(path))?;
        let mut sources = Vec::new();
        if metadata.is_dir() {
            let entries = std::fs::read_dir(path).map_err(failed(path))?;
            let mut files: Vec<_> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|file| {
                    file.is_file()
                        && matches!(
                            file.extension().and_then(|e| e.to_str()),
                            Some("yaml" | "yml")
                        )
                })
                .collect();
            files.sort();
            for file in files {
                sources.push((file.display().to_string(), read(&file)?));
            }
            if sources.is_empty() {
                return Err(CatalogError::Empty {
                    path: path.display().to_string(),
                });
            }
        } else {
            sources.push((path.display().to_string(), read(path)?));
        }
        Catalog::from_sources(sources)
    }

    fn from_sources(
        sources: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Catalog, CatalogError> {
        let mut flows: HashMap<String, Arc<Flow>> = HashMap::new();
        for (file, text) in sources {
            let invalid = |line: u64, column: u64, message: String| CatalogError::Invalid {
                file: file.clone(),
                line,
                column,
                message,
            };
            let raw: RawFlow = crate::yaml::from_str(&text).map_err(|err| {
                let found = Diagnostic::from_yaml(Path::new(&file), &err);
                let at = found.position;
                let message = match found.help {
                    Some(help) => format!("{}; {help}", found.message),
                    None => found.message,
                };
                invalid(
                    u64::from(at.line.max(1)),
                    u64::from(at.column.max(1)),
                    message,
                )
            })?;
            let (flow_line, flow_column) =
                (raw.flow.referenced.line(), raw.flow.referenced.column());
            let flow =
                compile::flow(raw, &file).map_err(|p| invalid(p.line, p.column, p.message))?;
            let path = flow.path();
            if let Some(earlier) = flows.get(&path) {
                return Err(invalid(
                    flow_line.max(1),
                    flow_column.max(1),
                    format!("flow {path} is already defined in {}", earlier.source),
                ));
            }
            flows.insert(path, Arc::new(flow));
        }
        Ok(Catalog { flows })
    }

    pub fn get(&self, org: &str, project: &str, flow: &str) -> Option<&Arc<Flow>> {
        self.flows.get(&format!("{org}/{project}/{flow}"))
    }

    /// Every flow, sorted by path.
    pub fn flows(&self) -> Vec<&Arc<Flow>> {
        let mut flows: Vec<_> = self.flows.values().collect();
        flows.sort_by_key(|flow| flow.path());
        flows
    }

    pub fn len(&self) -> usize {
        self.flows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_one(text: &str) -> Result<Catalog, CatalogError> {
        Catalog::from_sources([("x.yaml".to_string(), text.to_string())])
    }

    const GOOD: &str = "org: acme\nproject: shop\nflow: echo\nproduction: 1\nversions:\n  - version: 1\n    blocks:\n      - id: echo\n        kind: passthrough\n";

    #[test]
    fn the_builtin_catalog_loads() {
        let catalog = Catalog::builtin().unwrap();
        assert_eq!(catalog.len(), BUILTIN.len());
        assert!(catalog.get("demo", "support", "triage").is_some());
    }

    #[test]
    fn a_good_definition_loads() {
        assert_eq!(load_one(GOOD).unwrap().len(), 1);
    }

    #[test]
    fn an_unknown_kind_is_reported_with_its_position_and_a_hint() {
        let err = load_one(&GOOD.replace("passthrough", "passthru"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "x.yaml:9:15: unknown block kind \"passthru\" (did you mean \"passthrough\"?)"
        );
    }

    #[test]
    fn yaml_and_shape_errors_carry_positions() {
        let err = load_one(&GOOD.replace("production", "prod"))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.yaml:4:1: unknown field `prod`"), "{err}");
        assert!(err.ends_with("did you mean \"production\"?"), "{err}");
        let err = load_one("org: [\n").unwrap_err().to_string();
        assert!(err.starts_with("x.yaml:1:"), "{err}");
    }

    /// A number too large for its field said only "expected a whole number".
    #[test]
    fn a_number_too_large_for_its_field_says_the_largest_allowed() {
        let cases = [
            (
                GOOD.replace("production: 1", "production: 99999999999"),
                "x.yaml:4:13: this number is too large: the largest allowed here is 4294967295",
            ),
            (
                GOOD.replace("version: 1", "version: 99999999999999999999999"),
                "x.yaml:6:14: this number is too large: the largest allowed here is 4294967295",
            ),
            (
                GOOD.replace("production: 1", "production: 1\nlatency: {ms: 3600001}"),
                "x.yaml:5:15: this number is too large: the largest allowed here is 3600000",
            ),
            (
                GOOD.replace(
                    "production: 1",
                    "production: 1\nfaults: {rate_limit: {every: 99999999999999999999999}}",
                ),
                "x.yaml:5:30: this number is too large: the largest allowed here is 18446744073709551615",
            ),
            (
                GOOD.replace("production: 1", "production: -1"),
                "x.yaml:4:13: expected a whole number from 0 to 4294967295, not a negative one",
            ),
            (
                GOOD.replace("production: 1", "production: 1.5"),
                "x.yaml:4:13: expected a whole number from 0 to 4294967295",
            ),
        ];
        for (text, expected) in cases {
            let err = load_one(&text).unwrap_err().to_string();
            assert_eq!(err, expected);
        }
        // Quoted digits are still a number.
        let quoted = GOOD.replace("production: 1", "production: \"1\"");
        assert_eq!(load_one(&quoted).unwrap().len(), 1);
    }

    #[test]
    fn semantic_errors_carry_positions() {
        let cases = [
            (
                GOOD.replace("flow: echo", "flow: Echo"),
                "x.yaml:3:7: flow \"Echo\" is not a valid slug",
            ),
            (
                GOOD.replace("production: 1", "production: 2"),
                "x.yaml:4:13: production version 2 is not defined",
            ),
            (
                GOOD.replace("kind: passthrough", "kind: llm\n        model: nk-txt-1"),
                "did you mean \"nk-text-1\"",
            ),
            (
                GOOD.replace(
                    "kind: passthrough",
                    "kind: passthrough\n        model: nk-text-1",
                ),
                "`model` does not apply",
            ),
            (
                GOOD.replace(
                    "kind: passthrough",
                    "kind: passthrough\n        input: \"{{ steps.nope.text }}\"",
                ),
                "step \"nope\" does not run before",
            ),
        ];
        for (text, expected) in cases {
            let err = load_one(&text).unwrap_err().to_string();
            assert!(err.contains(expected), "{err} should contain {expected}");
        }
    }

    /// Every check of the flow's versions and of an llm block's fields, at its position, and
    /// the first problem wins when a block has two.
    #[test]
    fn version_and_llm_problems_carry_positions() {
        let second = "  - version: 1\n    blocks:\n      - id: echo\n        kind: passthrough\n";
        let llm = |fields: &str| GOOD.replace("kind: passthrough", &format!("kind: llm{fields}"));
        let cases = [
            (GOOD.replace("versions:\n  - version: 1\n    blocks:\n      - id: echo\n        kind: passthrough\n", "versions: []\n"), "x.yaml:5:11: a flow needs at least one version"),
            (GOOD.replace("  - version: 1\n    blocks:", "  - blocks:"), "x.yaml:6:5: each version needs `version: N` (N >= 1)"),
            (GOOD.replace("version: 1", "version: 0"), "x.yaml:6:14: version 0 is the draft; define it under `draft:`"),
            (format!("{GOOD}{second}"), "x.yaml:10:14: version 1 is defined twice"),
            (format!("{GOOD}draft:\n  version: 2\n  blocks:\n    - id: echo\n      kind: passthrough\n"), "x.yaml:11:12: the draft is version 0; leave `version` out"),
            (llm(""), "x.yaml:9:15: an `llm` block needs `model`"),
            (llm("\n        model: nk-text-1\n        decide:\n          - rules:\n              - set: 3\n"), "x.yaml:13:22: `set` must be a mapping of output fields"),
            (llm("\n        model: nk-text-1\n        decide:\n          - otherwise: [1]\n"), "x.yaml:12:24: `otherwise` must be a mapping of output fields"),
            (llm("\n        model: nk-text-1\n        output: {a: 1}\n        variants: [{a: 2}]\n"), "x.yaml:12:19: use `output` or `variants`, not both"),
            (llm("\n        model: nk-text-1\n        variants: []\n"), "x.yaml:11:19: `variants` needs at least one entry"),
            (llm("\n        model: nk-text-1\n        prompt_rules:\n          - if_contains: [x]\n            apply: uper\n"), "x.yaml:13:20: unknown prompt rule action \"uper\" (did you mean \"upper\"?) (use upper or lower)"),
            (llm("\n        model: nk-text-1\n        decide:\n          - otherwise: 1\n        variants: []\n        prompt_rules:\n          - if_contains: [x]\n            apply: uper\n"), "x.yaml:12:24: `otherwise` must be a mapping of output fields"),
            (llm("\n        model: nk-text-1\n        variants: []\n        prompt_rules:\n          - if_contains: [x]\n            apply: uper\n"), "x.yaml:11:19: `variants` needs at least one entry"),
        ];
        for (text, expected) in cases {
            let err = load_one(&text).unwrap_err().to_string();
            assert_eq!(err, expected);
        }
    }

    #[test]
    fn duplicate_flows_are_refused() {
        let err = Catalog::from_sources([
            ("a.yaml".to_string(), GOOD.to_string()),
            ("b.yaml".to_string(), GOOD.to_string()),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("b.yaml:3:7: flow acme/shop/echo is already defined in a.yaml"),
            "{err}"
        );
    }
}
