//! The checked, ready-to-run form of flow definitions.

use crate::sim::blocks::Block;
use crate::sim::faults::Faults;
use crate::sim::latency::Latency;
use crate::sim::template::TemplateValue;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug)]
pub struct Flow {
    pub org: String,
    pub project: String,
    pub slug: String,
    /// Stable across restarts: derived from the flow's path.
    pub flow_id: String,
    /// Mixed into every seed of this flow so flows do not share random draws.
    pub seed: u64,
    pub production: u32,
    pub versions: BTreeMap<u32, Arc<Version>>,
    pub draft: Option<Arc<Version>>,
    /// When false, a missing `message` is read as the empty string.
    pub message_required: bool,
    /// Where the definition came from, for messages.
    pub source: String,
}

#[derive(Debug)]
pub struct Version {
    /// 0 for a draft.
    pub number: u32,
    pub blocks: Vec<Block>,
    /// The run's result; the last block's output when absent.
    pub result: Option<TemplateValue>,
    pub knobs: Knobs,
}

#[derive(Debug, Clone, Default)]
pub struct Knobs {
    pub latency: Option<Latency>,
    pub faults: Faults,
    /// How long a polled job takes at least.
    pub job_seconds: Option<f64>,
}

/// Which version a URL asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionSelector {
    Production,
    Draft,
    Number(u32),
    /// A version number past any a flow publishes (more than 4294967295): none is found.
    Beyond,
}

impl Flow {
    pub fn path(&self) -> String {
        format!("{}/{}/{}", self.org, self.project, self.slug)
    }

    /// The version to run; the draft falls back to the latest published version.
    pub fn version(&self, selector: VersionSelector) -> Option<&Arc<Version>> {
        match selector {
            VersionSelector::Production => self.versions.get(&self.production),
            VersionSelector::Number(number) => self.versions.get(&number),
            VersionSelector::Beyond => None,
            VersionSelector::Draft => self
                .draft
                .as_ref()
                .or_else(|| self.versions.values().next_back()),
        }
    }
}
