//! Sharding end to end, through the CI files shipped in `examples/ci/`: their flowcheck steps
//! run as written (matrix values and GitLab's variables filled in) against the simulator; the
//! shards together run every case exactly once, and the merged reports equal a single
//! machine's run. Also: GitHub annotations and the job summary.

mod common;

use common::{Sim, read, read_json};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// A copy of the example suites (and their snapshots and schemas) in a fresh folder.
fn project() -> tempfile::TempDir {
    let dir = common::tempdir();
    let status = Command::new("cp")
        .args(["-r", "suites"])
        .arg(dir.path())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cp runs");
    assert!(status.success());
    std::fs::create_dir_all(dir.path().join("reports")).expect("reports/");
    dir
}

/// Run one shell line the way CI would, with `flowcheck` on the PATH and the simulator as
/// the Noukai API.
fn sh(dir: &Path, sim: &Sim, line: &str, env: &[(&str, &str)]) -> common::Run {
    let bin_dir = Path::new(common::BIN)
        .parent()
        .expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut command = Command::new("bash");
    command
        .args(["-c", line])
        .current_dir(dir)
        .env("PATH", path)
        .env("NOUKAI_API_URL", &sim.url)
        .env("NOUKAI_API_KEY", &sim.key)
        .env("NO_COLOR", "1");
    for var in [
        "CI",
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "CI_NODE_INDEX",
        "CI_NODE_TOTAL",
    ] {
        command.env_remove(var);
    }
    command.envs(env.iter().copied());
    common::Run::from(command.output().expect("bash runs"))
}

/// Every `flowcheck ...` command in a CI file (GitHub `run:` steps, GitLab `script:` lines).
fn flowcheck_lines(file: &str) -> Vec<String> {
    let yaml: Value = serde_saphyr::from_str(&read(Path::new(file))).expect("the CI file is YAML");
    let mut lines = Vec::new();
    collect(&yaml, &mut lines);
    lines
}

fn collect(value: &Value, lines: &mut Vec<String>) {
    match value {
        Value::String(s) if s.trim_start().starts_with("flowcheck ") => {
            lines.push(s.trim().to_owned())
        }
        Value::Array(items) => items.iter().for_each(|v| collect(v, lines)),
        Value::Object(map) => map.values().for_each(|v| collect(v, lines)),
        _ => {}
    }
}

/// What must be equal between a merged and a single-machine report: each case's place,
/// identity, status and check verdicts (not timings, ids or nondeterministic wording).
fn essence(report: &Value) -> Vec<Value> {
    report["cases"]
        .as_array()
        .map(|cases| {
            cases
                .iter()
                .map(|c| {
                    let checks: Vec<Value> = c["attempts"].as_array().map(|a| a.iter().flat_map(|a| a["checks"].as_array().cloned().unwrap_or_default()).map(|k| serde_json::json!([k["label"], k["passed"]])).collect()).unwrap_or_default();
                    serde_json::json!({"order": c["order"], "suite": c["suite"], "case": c["case"], "target": c["target"], "status": c["status"], "checks": checks})
                })
                .collect()
        })
        .unwrap_or_default()
}

fn junit_cases(xml: &str) -> BTreeSet<String> {
    let case = regex::Regex::new(
        r#"<testcase name="([^"]*)" classname="([^"]*)"[^>]*>(\s*<(failure|error|skipped))?"#,
    )
    .expect("regex");
    case.captures_iter(xml)
        .map(|c| {
            format!(
                "{} {} {}",
                &c[2],
                &c[1],
                c.get(4).map(|m| m.as_str()).unwrap_or("ok")
            )
        })
        .collect()
}

fn assert_merged_equals_single(dir: &Path, sim: &Sim) {
    let single = sh(
        dir,
        sim,
        "flowcheck run suites --json reports/single.json --junit reports/single.xml",
        &[],
    );
    assert_eq!(single.code, 0, "{}", single.all());
    let (single, merged) = (
        read_json(&dir.join("reports/single.json")),
        read_json(&dir.join("reports/merged.json")),
    );
    assert_eq!(essence(&merged), essence(&single));
    assert_eq!(merged["totals"], single["totals"]);
    assert_eq!(
        junit_cases(&read(&dir.join("reports/merged.xml"))),
        junit_cases(&read(&dir.join("reports/single.xml")))
    );
    common::assert_valid_junit(&dir.join("reports/merged.xml"));
}

/// The shards' reports hold every planned case exactly once.
fn assert_exactly_once(dir: &Path, shards: usize) {
    let mut seen = Vec::new();
    for k in 1..=shards {
        let report = read_json(&dir.join(format!("reports/shard-{k}.json")));
        seen.extend(
            report["cases"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .iter()
                .map(|c| format!("{} › {} @ {}", c["suite"], c["case"], c["target"])),
        );
    }
    let unique: BTreeSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "a case ran on two shards");
    let single = read_json(&dir.join("reports/single.json"));
    assert_eq!(
        seen.len(),
        single["cases"].as_array().map(Vec::len).unwrap_or(0),
        "a case ran on no shard"
    );
}

#[test]
fn the_github_actions_matrix_example_shards_and_merges() {
    let sim = Sim::start();
    let dir = project();
    let lines = flowcheck_lines("examples/ci/github-actions-sharded.yml");
    assert_eq!(lines.len(), 2, "{lines:?}");
    for shard in ["1", "2", "3"] {
        let line = lines[0].replace("${{ matrix.shard }}", shard);
        let result = sh(dir.path(), &sim, &line, &[("GITHUB_ACTIONS", "true")]);
        assert_eq!(result.code, 0, "{line}\n{}", result.all());
    }
    let merged = sh(dir.path(), &sim, &lines[1], &[("GITHUB_ACTIONS", "true")]);
    assert_eq!(merged.code, 0, "{}", merged.all());
    assert_merged_equals_single(dir.path(), &sim);
    assert_exactly_once(dir.path(), 3);
}

#[test]
fn the_gitlab_parallel_example_shards_and_merges() {
    let sim = Sim::start();
    let dir = project();
    let lines = flowcheck_lines("examples/ci/gitlab-sharded.yml");
    assert_eq!(lines.len(), 2, "{lines:?}");
    for shard in ["1", "2", "3"] {
        let result = sh(
            dir.path(),
            &sim,
            &lines[0],
            &[
                ("GITLAB_CI", "true"),
                ("CI", "true"),
                ("CI_NODE_INDEX", shard),
                ("CI_NODE_TOTAL", "3"),
            ],
        );
        assert_eq!(result.code, 0, "shard {shard}\n{}", result.all());
    }
    let merged = sh(dir.path(), &sim, &lines[1], &[("GITLAB_CI", "true")]);
    assert_eq!(merged.code, 0, "{}", merged.all());
    assert_merged_equals_single(dir.path(), &sim);
    assert_exactly_once(dir.path(), 3);
}

/// `flowcheck run SUITE` as a GitHub Actions job runs it, its job summary at `summary`.
fn run_on_github(sim: &Sim, suite: &str, summary: &Path) -> common::Run {
    common::Run::from(
        common::flowcheck()
            .args(["run", suite])
            .env("NOUKAI_API_URL", &sim.url)
            .env("NOUKAI_API_KEY", &sim.key)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", summary)
            .output()
            .expect("runs"),
    )
}

#[test]
fn github_gets_annotations_on_failed_check_lines_and_a_job_summary() {
    let sim = Sim::start();
    let dir = common::tempdir();
    let summary = dir.path().join("summary.md");
    let result = run_on_github(&sim, "tests/fixtures/run/regressions.yaml", &summary);
    assert_eq!(result.code, 1, "{}", result.all());
    assert!(
        result.stdout.contains("::error file=tests/fixtures/run/regressions.yaml,line=10,title=triage-regressions › money back goes to billing @ v3 (failed)::$.category equals \"billing\": found \"general\""),
        "{}",
        result.stdout
    );
    let markdown = read(&summary);
    assert!(
        markdown.starts_with("### flowcheck: 6 cases in "),
        "{markdown}"
    );
    assert!(markdown.contains("| 4 | 0 | 2 | 0 | 0 |"), "{markdown}");
    assert!(
        markdown.contains("(`tests/fixtures/run/regressions.yaml:6`) | failed |"),
        "{markdown}"
    );
}

/// A flow's output shown in a failure (its diff's lines) could hold workflow commands
/// (`::error ...::`, `::add-mask::`): on GitHub they are stopped for the run's output, with a
/// token, and resumed before flowcheck's own annotations.
#[test]
fn a_flow_s_output_cannot_give_github_workflow_commands() {
    let sim = Sim::start();
    let dir = common::tempdir();
    let suite = dir.path().join("inject.yaml");
    std::fs::write(
        &suite,
        r#"suite: inj
flow: demo/bench/echo
cases:
  - name: multi-line output
    message: "first line\n::error file=src/main.rs,line=1::injected\n::add-mask::hello\nlast"
    expect: {output: [{path: $.echo, equals: "first LINE\n::error file=src/main.rs,line=1::injected\n::add-mask::hello\nlast"}]}
"#,
    )
    .expect("the suite is written");
    let summary = dir.path().join("summary.md");
    let result = run_on_github(&sim, suite.to_str().unwrap_or_default(), &summary);
    assert_eq!(result.code, 1, "{}", result.all());
    let lines: Vec<&str> = result.stdout.lines().collect();
    let token = lines
        .first()
        .and_then(|line| line.strip_prefix("::stop-commands::"))
        .unwrap_or_else(|| panic!("stopped first: {}", result.stdout));
    assert!(token.len() >= 16, "{token}");
    let resumed = lines
        .iter()
        .position(|line| *line == format!("::{token}::"))
        .unwrap_or_else(|| panic!("resumed: {}", result.stdout));
    let injected = lines
        .iter()
        .position(|line| line.contains("::add-mask::hello"))
        .unwrap_or_else(|| panic!("shown: {}", result.stdout));
    let annotation = lines
        .iter()
        .position(|line| line.starts_with("::error file="))
        .unwrap_or_else(|| panic!("annotated: {}", result.stdout));
    assert!(
        injected < resumed && resumed < annotation,
        "{}",
        result.stdout
    );
    assert_eq!(lines.iter().filter(|line| line.contains(token)).count(), 2);
    // A run with no annotation to write resumes them at its end.
    let passed = run_on_github(&sim, "suites/tagline.yaml", &summary);
    assert_eq!(passed.code, 0, "{}", passed.all());
    let token = passed
        .stdout
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("::stop-commands::"))
        .unwrap_or_else(|| panic!("stopped first: {}", passed.stdout));
    assert_eq!(
        passed.stdout.lines().last(),
        Some(format!("::{token}::").as_str()),
        "{}",
        passed.stdout
    );
    // Without GitHub, nothing of this.
    let elsewhere = sim.run(&[suite.to_str().unwrap_or_default()]);
    assert!(
        !elsewhere.stdout.contains("stop-commands"),
        "{}",
        elsewhere.stdout
    );
}

/// A case that failed and is no longer in the suites (renamed, removed) is named when the
/// failures are rerun, not left out without a word; when none is left, the refusal says why.
#[test]
fn only_failed_names_the_failures_gone_from_the_suites() {
    let sim = Sim::start();
    let dir = common::tempdir();
    let suite = dir.path().join("regressions.yaml");
    let original = read(Path::new("tests/fixtures/run/regressions.yaml"));
    std::fs::write(&suite, &original).expect("the suite is written");
    let (suite, report) = (
        suite.to_str().unwrap_or_default().to_owned(),
        dir.path().join("first.json"),
    );
    let report = report.to_str().unwrap_or_default();
    assert_eq!(sim.run(&[&suite, "--json", report]).code, 1);
    let renamed = original.replace("money back goes to billing", "money back is billing");
    std::fs::write(&suite, &renamed).expect("the suite is written");
    let again = sim.run(&[&suite, "--only-failed", report]);
    assert_eq!(again.code, 1, "{}", again.all());
    assert!(
        again.stdout.starts_with("Running 1 case"),
        "{}",
        again.stdout
    );
    assert!(
        again.stderr.contains(&format!(
            "note: 1 case that did not pass in {report} is no longer in the suites (renamed, removed, or its target dropped): triage-regressions › money back goes to billing @ v3, so not rerun"
        )),
        "{}",
        again.all()
    );
    let both = renamed.replace("the whole billing result", "all of the billing result");
    std::fs::write(&suite, both).expect("the suite is written");
    sim.run(&[&suite, "--only-failed", report])
        .assert_refused("2 cases that did not pass in");
}

#[test]
fn only_failed_reruns_what_did_not_pass() {
    let sim = Sim::start();
    let dir = common::tempdir();
    let report = dir.path().join("first.json");
    let first = sim.run(&[
        "tests/fixtures/run/regressions.yaml",
        "--json",
        report.to_str().unwrap_or_default(),
    ]);
    assert_eq!(first.code, 1);
    let again = sim.run(&[
        "tests/fixtures/run/regressions.yaml",
        "--only-failed",
        report.to_str().unwrap_or_default(),
    ]);
    assert!(
        again.stdout.starts_with("Running 2 cases"),
        "{}",
        again.stdout
    );
    assert!(
        again.stdout.contains("0 passed, 0 flaky, 2 failed"),
        "{}",
        again.stdout
    );
}

/// A "rerun the failures" job after a run where nothing failed has nothing to do, and says so:
/// exit 0, empty (valid) reports, no server needed. A report whose failures the selection does
/// not reach, or that is no report, is still a usage error.
#[test]
fn only_failed_with_nothing_failed_reruns_nothing_and_passes() {
    let dir = common::tempdir();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let (all, junit, json) = (path("all.json"), path("junit.xml"), path("again.json"));
    let first = common::run(&["run", "suites/broken.yaml", "--embedded", "--json", &all]);
    assert_eq!(first.code, 0, "{}", first.all());
    // No URL, no key: nothing is sent, so nothing is needed.
    let again = common::run(&[
        "run",
        "suites/broken.yaml",
        "--only-failed",
        &all,
        "--junit",
        &junit,
        "--json",
        &json,
    ]);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(
        again.stdout.contains(&format!(
            "nothing to rerun: every case in {all} passed; nothing was sent"
        )),
        "{}",
        again.all()
    );
    common::assert_valid_junit(Path::new(&junit));
    assert!(read(Path::new(&junit)).contains("tests=\"0\""));
    let report = read_json(Path::new(&json));
    assert_eq!(report["cases"], serde_json::json!([]));
    assert_eq!(report["totals"]["passed"], 0);
    // The empty report is a report: a rerun from it has nothing to do either.
    let listed = common::run(&[
        "run",
        "suites/broken.yaml",
        "--only-failed",
        &json,
        "--list",
    ]);
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(
        listed
            .stdout
            .contains(&format!("nothing to rerun: {json} holds no case")),
        "{}",
        listed.stdout
    );

    // The shards of a rerun job with nothing to rerun still merge (into nothing).
    for k in 1..=2 {
        let shard = common::run(&[
            "run",
            "suites/broken.yaml",
            "--only-failed",
            &all,
            "--shard",
            &format!("{k}/2"),
            "--json",
            &path(&format!("rerun-{k}.json")),
        ]);
        assert_eq!(shard.code, 0, "{}", shard.all());
    }
    let merged = common::run(&[
        "merge",
        &path("rerun-1.json"),
        &path("rerun-2.json"),
        "--json",
        &path("rerun.json"),
    ]);
    assert_eq!(merged.code, 0, "{}", merged.all());

    let failed = path("failed.json");
    let sim = Sim::start();
    let first = sim.run(&["tests/fixtures/run/regressions.yaml", "--json", &failed]);
    assert_eq!(first.code, 1, "{}", first.all());
    sim.run(&[
        "tests/fixtures/run/regressions.yaml",
        "--only-failed",
        &failed,
        "--filter",
        "no such case",
    ])
    .assert_refused("no case matches the selection");
    std::fs::write(dir.path().join("not.json"), "{}").expect("written");
    sim.run(&["suites/broken.yaml", "--only-failed", &path("not.json")])
        .assert_refused("is not a flowcheck JSON report");
}

#[test]
fn shards_balanced_by_earlier_durations_still_cover_every_case_once() {
    let sim = Sim::start();
    let dir = project();
    let first = sh(
        dir.path(),
        &sim,
        "flowcheck run suites --json reports/single.json",
        &[],
    );
    assert_eq!(first.code, 0, "{}", first.all());
    for k in 1..=2 {
        let line = format!(
            "flowcheck run suites --shard {k}/2 --shard-durations reports/single.json --json reports/shard-{k}.json"
        );
        let result = sh(dir.path(), &sim, &line, &[]);
        assert_eq!(result.code, 0, "{line}\n{}", result.all());
    }
    assert_exactly_once(dir.path(), 2);
    // The slow async case (about 3 s) weighs more than all the others together: it gets a
    // shard of its own.
    let shards: Vec<Value> = (1..=2)
        .map(|k| read_json(&dir.path().join(format!("reports/shard-{k}.json"))))
        .collect();
    let alone = shards.iter().find(|r| {
        r["cases"]
            .as_array()
            .is_some_and(|c| c.iter().any(|c| c["case"] == "the report job completes"))
    });
    assert_eq!(
        alone.and_then(|r| r["cases"].as_array()).map(Vec::len),
        Some(1),
        "the long case shares its shard"
    );
}

/// The job summary is Markdown that GitHub renders: a flow's output that reads as HTML (`<!--`
/// would hide the rest of the page) or breaks a column (`|`), and a suite in a folder whose
/// name holds a `|`, are shown as text in their cells, as the comparison's Markdown shows them.
/// An empty `GITHUB_STEP_SUMMARY` is no summary file, not a run that could not write one.
#[test]
fn the_job_summary_shows_outputs_and_paths_as_text() {
    let dir = common::tempdir();
    std::fs::create_dir_all(dir.path().join("a|b")).expect("a folder");
    std::fs::write(
        dir.path().join("a|b/s.yaml"),
        "suite: md\nflow: demo/bench/echo\ncases:\n  - name: html <b>\n    message: \"<!-- x | y\"\n    expect:\n      output:\n        - {path: $.echo, equals: z}\n",
    )
    .expect("the suite is written");
    let summary = dir.path().join("summary.md");
    let run = |summary: &std::ffi::OsStr| {
        common::Run::from(
            common::flowcheck()
                .current_dir(dir.path())
                .args(["run", "a|b/s.yaml", "--embedded"])
                .env("GITHUB_ACTIONS", "true")
                .env("GITHUB_STEP_SUMMARY", summary)
                .output()
                .expect("runs"),
        )
    };
    let result = run(summary.as_os_str());
    assert_eq!(result.code, 1, "{}", result.all());
    let markdown = read(&summary);
    assert!(
        markdown.contains(
            "| md › html &lt;b&gt; @ production (`a\\|b/s.yaml:4`) | failed | $.echo equals \"z\": found \"&lt;!-- x \\| y\" |"
        ),
        "{markdown}"
    );
    let empty = run(std::ffi::OsStr::new(""));
    assert_eq!(empty.code, 1, "{}", empty.all());
    assert!(!empty.stderr.contains("job summary"), "{}", empty.stderr);
}

#[test]
fn shard_auto_in_a_gitlab_job_without_parallel_is_the_one_shard() {
    // GitLab sets CI_NODE_TOTAL=1 and no CI_NODE_INDEX in a job without `parallel:`.
    let run = |env: &[(&str, &str)]| {
        let mut command = common::flowcheck();
        command
            .args(["run", "suites/triage.yaml", "--embedded", "--shard", "auto"])
            .env_remove("CI_NODE_INDEX")
            .env_remove("CI_NODE_TOTAL")
            .envs(env.iter().copied());
        common::Run::from(command.output().expect("runs"))
    };
    let one = run(&[("CI_NODE_TOTAL", "1")]);
    assert_eq!(one.code, 0, "{}", one.all());
    assert!(one.stdout.contains("29 passed"), "{}", one.all());
    // Outside GitLab's variables, auto has nothing to read.
    let none = run(&[]);
    assert_eq!(none.code, 2, "{}", none.all());
    assert!(none.stderr.contains("CI_NODE_INDEX"), "{}", none.all());
}

#[test]
fn a_job_summary_that_cannot_be_written_is_refused_before_anything_is_sent() {
    let sim = Sim::start();
    let dir = common::tempdir();
    let summary = dir.path().join("no such folder").join("summary.md");
    let result = run_on_github(&sim, "suites/triage.yaml", &summary);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("the job summary cannot be written")
            && result.stderr.contains("nothing was sent"),
        "{}",
        result.all()
    );
    assert!(!result.stdout.contains("Running"), "{}", result.all());
}

#[test]
fn a_job_summary_that_names_a_suite_is_refused_and_the_suite_left_alone() {
    let sim = Sim::start();
    let dir = common::tempdir();
    let suite = dir.path().join("triage.yaml");
    let text = read(Path::new("tests/fixtures/run/regressions.yaml"));
    std::fs::write(&suite, &text).unwrap_or_default();
    let suite_text = suite.to_str().unwrap_or_default();
    let result = run_on_github(&sim, suite_text, &suite);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result
            .stderr
            .contains("the job summary ($GITHUB_STEP_SUMMARY) would overwrite"),
        "{}",
        result.all()
    );
    assert_eq!(read(&suite), text);
}
