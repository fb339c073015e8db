//! `judge`: a Noukai grader flow scores the value against a rubric; the check passes when the
//! score reaches the threshold. The runner calls the grader before judging (checks stay pure)
//! with `{"message": <the value as text>, "parameters": {"rubric": ...}}`, and reads
//! `result.score` (0..=1) and `result.reason`.
//!
//! ```yaml
//! - path: $.reply
//!   judge: {flow: demo/eval/grader, target: production, rubric: "polite; names the team", threshold: 0.7}
//! ```

use super::{Definition, Predicate, Verdict};
use crate::check::grade::{Grade, Grades, JudgeSpec};
use crate::suite::{FlowRef, Target};
use serde_json::Value;
use std::sync::Arc;

pub const JUDGE: Definition = Definition {
    name: "judge",
    argument: super::Argument::Judge,
    parse: |v, _| parse(v),
    summary: "a grader flow scores the value against a rubric: {flow, target, rubric, threshold}",
};

pub const DEFAULT_THRESHOLD: f64 = 0.7;

#[derive(Debug)]
struct Judge(JudgeSpec);

fn parse(value: &Value) -> Result<Arc<dyn Predicate>, String> {
    let Value::Object(map) = value else {
        return Err("expected {flow, rubric, target, threshold}".into());
    };
    super::only_keys(map, &["flow", "target", "rubric", "threshold"])?;
    let flow = map
        .get("flow")
        .and_then(Value::as_str)
        .ok_or("`flow` must name the grader flow, e.g. demo/eval/grader")?;
    let flow = FlowRef::parse(flow)?;
    let target = match map.get("target") {
        None => Target::Production,
        Some(Value::String(t)) => Target::parse(t)?,
        Some(_) => return Err("`target` must be production or a version such as v2".into()),
    };
    let rubric = map
        .get("rubric")
        .and_then(Value::as_str)
        .ok_or("`rubric` must say what the grader looks for")?;
    let threshold = super::threshold(map, DEFAULT_THRESHOLD)?;
    Ok(Arc::new(Judge(JudgeSpec {
        id: JudgeSpec::next_id(),
        flow,
        target,
        rubric: rubric.to_owned(),
        threshold,
    })))
}

impl Predicate for Judge {
    fn evaluate(&self, _: Option<&Value>, grades: &Grades) -> Verdict {
        match grades.get(self.0.id) {
            Some(Grade::Scored { score, reason }) => {
                let mut verdict = Verdict::scored(*score, self.0.threshold);
                if let (false, Some(reason)) = (verdict.passed, reason) {
                    verdict.detail = Some(format!(
                        "score {score:.3} is below the threshold {}: {reason}",
                        self.0.threshold
                    ));
                }
                verdict
            }
            Some(Grade::Failed(why) | Grade::Unavailable { why, .. }) => {
                Verdict::fail(format!("the grader gave no score: {why}"))
            }
            None => Verdict::fail(
                "not graded: a judge must be a top-level check (not inside all/any/not/each/some)",
            ),
        }
    }

    fn describe(&self) -> String {
        format!(
            "is judged >= {} by {}@{} ({:?})",
            self.0.threshold, self.0.flow, self.0.target, self.0.rubric
        )
    }

    fn judge(&self) -> Option<&JudgeSpec> {
        Some(&self.0)
    }
}
