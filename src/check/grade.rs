//! Judges: a check that asks a Noukai grader flow to score an output. The runner calls the
//! grader (it owns the network) and hands the grades to the checks, which stay pure.

use crate::suite::{FlowRef, Target};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Which grader to ask, with what rubric, and the score needed to pass.
#[derive(Debug, Clone, PartialEq)]
pub struct JudgeSpec {
    /// Identifies this judge within the process, so its grade can be found again.
    pub id: u64,
    pub flow: FlowRef,
    pub target: Target,
    pub rubric: String,
    pub threshold: f64,
}

impl JudgeSpec {
    pub fn next_id() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
}

/// What a grader said: a score in 0..=1 and its reason, or why no grade could be had.
#[derive(Debug, Clone, PartialEq)]
pub enum Grade {
    Scored {
        score: f64,
        reason: Option<String>,
    },
    /// The grader answered, but gave no usable score: the check fails.
    Failed(String),
    /// The grader could not be asked (an HTTP error, no connection): the case errors, as its
    /// own call would, rather than failing a check the flow may well have met. A grader's key
    /// refused or credits spent also stops the run (`stops_run`), as the flow's would.
    Unavailable {
        why: String,
        stops_run: Option<String>,
    },
}

/// Grades by judge id, for one observation.
#[derive(Debug, Clone, Default)]
pub struct Grades(pub HashMap<u64, Grade>);

impl Grades {
    pub fn none() -> Grades {
        Grades::default()
    }

    pub fn get(&self, id: u64) -> Option<&Grade> {
        self.0.get(&id)
    }

    /// Why a grader could not be asked, if one could not.
    pub fn unavailable(&self) -> Option<&str> {
        self.0.values().find_map(|grade| match grade {
            Grade::Unavailable { why, .. } => Some(why.as_str()),
            _ => None,
        })
    }

    /// Why a grader's answer stops the run, if one's does.
    pub fn stops_run(&self) -> Option<&str> {
        self.0.values().find_map(|grade| match grade {
            Grade::Unavailable {
                stops_run: Some(why),
                ..
            } => Some(why.as_str()),
            _ => None,
        })
    }
}
