//! Golden snapshots end to end: created on a first run, compared after, pending changes
//! reviewed with scripted answers, accepted or rejected in bulk, nothing written in CI,
//! unreferenced files found and removed.

mod common;

use common::{Run, flowcheck, read};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

const SUITE: &str = r#"
suite: golden
flow: demo/support/triage
targets: [production, v3]
cases:
  - name: money back reply
    message: "Can I get my money back?"
    expect:
      status: completed
      snapshot: {redact: [$.reply], round: 1}
"#;

struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    fn new() -> Project {
        let dir = common::tempdir();
        std::fs::write(dir.path().join("golden.yaml"), SUITE).expect("suite written");
        Project { dir }
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    fn suite(&self) -> String {
        self.path("golden.yaml").display().to_string()
    }

    fn golden(&self, target: &str) -> PathBuf {
        self.path(&format!(
            "__snapshots__/golden/money-back-reply@{target}.snap"
        ))
    }

    fn run(&self, extra: &[&str], ci: bool) -> Run {
        let mut command = flowcheck();
        command
            .args(["run", &self.suite(), "--embedded", "--jobs", "1"])
            .args(extra);
        if ci {
            command.env("CI", "true");
        }
        Run::from(command.output().expect("runs"))
    }

    /// `flowcheck snapshots ARGS... PROJECT`, answering nothing.
    fn snapshots_with(&self, args: &[&str]) -> Run {
        answered(
            flowcheck().arg("snapshots").args(args).arg(self.dir.path()),
            "",
        )
    }

    fn snapshots(&self, verb: &str, stdin: &str) -> Run {
        answered(
            flowcheck().args(["snapshots", verb, &self.dir.path().display().to_string()]),
            stdin,
        )
    }

    /// `flowcheck snapshots VERB SUITE`, naming the suite file rather than its folder.
    fn snapshots_of_suite(&self, verb: &str, stdin: &str) -> Run {
        answered(flowcheck().args(["snapshots", verb, &self.suite()]), stdin)
    }

    /// The pending change beside a golden file.
    fn pending(&self, target: &str) -> PathBuf {
        PathBuf::from(format!("{}.new", self.golden(target).display()))
    }

    /// Pretend the flow used to answer differently: edit the accepted category.
    fn tamper(&self, target: &str) {
        let text = read(&self.golden(target));
        let edited = regex::Regex::new(r#""category": "[a-z]+""#)
            .expect("regex")
            .replace(&text, r#""category": "tampered""#);
        assert_ne!(text, edited, "nothing to tamper with in\n{text}");
        std::fs::write(self.golden(target), edited.as_bytes()).expect("edited");
    }
}

/// Run `command` with `stdin` as its answers.
fn answered(command: &mut std::process::Command, stdin: &str) -> Run {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("answers written");
    Run::from(child.wait_with_output().expect("exits"))
}

fn exists(path: &Path) -> bool {
    path.exists()
}

#[test]
fn first_run_creates_readable_goldens_then_compares() {
    let project = Project::new();
    let first = project.run(&[], false);
    assert_eq!(first.code, 0, "{}", first.all());
    let golden = read(&project.golden("production"));
    assert!(golden.starts_with("# flowcheck snapshot\n# suite: golden\n# case: money back reply\n# target: production\n# accepted: "), "{golden}");
    assert!(golden.contains("\"reply\": \"[redacted]\""), "{golden}");
    assert!(golden.contains("\"confidence\": 0.9"), "{golden}");
    // A snapshot made is said, once: nobody should find one they never looked at.
    assert!(
        first.stdout.contains("note: wrote 2 new snapshots: ")
            && first
                .stdout
                .contains("money-back-reply@v3.snap; review them"),
        "{}",
        first.stdout
    );
    let second = project.run(&[], false);
    assert_eq!(second.code, 0, "{}", second.all());
    assert!(!second.stdout.contains("note: wrote"), "{}", second.stdout);
}

#[test]
fn a_change_fails_with_a_diff_and_waits_for_review() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("production");
    let run = project.run(&[], false);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("-   \"category\": \"tampered\","),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("+   \"category\": \"billing\","),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains(&format!("flowcheck snapshots review {}`", project.suite())),
        "{}",
        run.stdout
    );
    let pending = PathBuf::from(format!("{}.new", project.golden("production").display()));
    assert!(exists(&pending));

    // Reject: the pending file goes, the golden stays as it was.
    let review = project.snapshots("review", "x\nr\n");
    assert_eq!(review.code, 0, "{}", review.all());
    assert!(
        review.stdout.contains("-   \"category\": \"tampered\","),
        "{}",
        review.stdout
    );
    assert!(
        review
            .stdout
            .contains("0 accepted, 1 rejected, 0 left pending"),
        "{}",
        review.stdout
    );
    assert!(!exists(&pending));
    assert!(read(&project.golden("production")).contains("tampered"));

    // Run again, then accept in review: the golden takes the new output and the run passes.
    assert_eq!(project.run(&[], false).code, 1);
    let review = project.snapshots("review", "a\n");
    assert!(
        review
            .stdout
            .contains("1 accepted, 0 rejected, 0 left pending"),
        "{}",
        review.stdout
    );
    assert!(!read(&project.golden("production")).contains("tampered"));
    assert_eq!(project.run(&[], false).code, 0);
}

#[test]
fn review_stops_at_end_of_input_leaving_the_rest_pending() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("production");
    project.tamper("v3");
    assert_eq!(project.run(&[], false).code, 1);
    // Quitting at the first question, or skipping it and reaching the end of the input,
    // leaves both pending.
    for answers in ["q\n", "s\n"] {
        let review = project.snapshots("review", answers);
        assert!(
            review
                .stdout
                .contains("0 accepted, 0 rejected, 2 left pending"),
            "{answers:?}: {}",
            review.stdout
        );
    }
    // An answer that is none says so and asks again; answers piped in are written, so the
    // prompts and the summary stand on lines of their own.
    let review = project.snapshots("review", "x\nq\n");
    assert!(
        review.stdout.contains(
            "? x\n\"x\" is not an answer: type a, r, s or q\naccept (a), reject (r), skip (s), quit (q)? q\n0 accepted, 0 rejected, 2 left pending"
        ),
        "{}",
        review.stdout
    );
    let bulk = project.snapshots("accept", "");
    assert!(
        bulk.stdout.contains("2 pending snapshot changes accepted"),
        "{}",
        bulk.all()
    );
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("v3");
    assert_eq!(project.run(&[], false).code, 1);
    let bulk = project.snapshots("reject", "");
    assert!(
        bulk.stdout.contains("1 pending snapshot change rejected"),
        "{}",
        bulk.all()
    );
}

#[test]
fn in_ci_nothing_is_written_and_a_missing_snapshot_is_an_error() {
    let project = Project::new();
    let run = project.run(&[], true);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains("in CI none is created"),
        "{}",
        run.stdout
    );
    assert!(!exists(&project.path("__snapshots__")));

    assert_eq!(
        project.run(&["--update-snapshots"], true).code,
        0,
        "asked to, CI writes"
    );
    project.tamper("production");
    let run = project.run(&[], true);
    assert_eq!(run.code, 1);
    assert!(!exists(&PathBuf::from(format!(
        "{}.new",
        project.golden("production").display()
    ))));
    let updated = project.run(&["--update-snapshots"], true);
    assert_eq!(updated.code, 0);
    assert!(!read(&project.golden("production")).contains("tampered"));
    // What --update-snapshots rewrote is said, file by file, as a new snapshot is.
    assert!(
        updated.stdout.contains(&format!(
            "note: updated 1 snapshot: {}; review it",
            project.golden("production").display()
        )),
        "{}",
        updated.stdout
    );
}

#[test]
fn unreferenced_snapshots_are_listed_and_removed() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    let stale = project.path("__snapshots__/golden/old-case@production.snap");
    std::fs::copy(project.golden("production"), &stale).expect("copied");
    // A pending change of a case renamed since: review would offer it, for a file no case uses.
    let stale_pending = project.path("__snapshots__/golden/old-case@production.snap.new");
    std::fs::copy(project.golden("production"), &stale_pending).expect("copied");
    let listed = project.snapshots("unreferenced", "");
    assert!(
        listed.stdout.contains("old-case@production.snap\n")
            && listed.stdout.contains("old-case@production.snap.new\n")
            && listed.stdout.contains("2 unreferenced snapshots found"),
        "{}",
        listed.all()
    );
    assert!(
        !listed.stdout.contains("money-back-reply"),
        "{}",
        listed.stdout
    );
    let removed = Run::from(
        flowcheck()
            .args(["snapshots", "unreferenced", "--remove", &project.suite()])
            .output()
            .expect("runs"),
    );
    assert!(
        removed.stdout.contains("2 unreferenced snapshots removed"),
        "{}",
        removed.all()
    );
    assert!(!exists(&stale) && !exists(&stale_pending) && exists(&project.golden("production")));
}

/// `unreferenced` swept only the folders of the suites there are: a removed suite left its
/// folder of golden files behind, never listed. The folder below a folder named whose suite
/// file is gone is listed, and removed with `--remove` (with its folders, once empty); one
/// beside a YAML file that is no suite (a data file), a link among them, what a link leads
/// to, and the files that are no snapshots stay; a suite file named stands for its own folder.
#[cfg(unix)]
#[test]
fn the_snapshot_folder_of_a_removed_suite_is_unreferenced() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    let copy = |to: &str| {
        let path = project.path(to);
        std::fs::create_dir_all(path.parent().expect("a folder")).expect("a folder");
        std::fs::copy(project.golden("production"), &path).expect("copied");
        path
    };
    let gone = [
        copy("__snapshots__/gone/money-back-reply@production.snap"),
        copy("__snapshots__/gone/older/money-back-reply@v3.snap.new"),
    ];
    let half = copy("__snapshots__/half/a@production.snap");
    let readme = project.path("__snapshots__/half/README.md");
    std::fs::write(&readme, "notes").expect("written");
    std::fs::write(project.path("rows.yaml"), "- {message: hi}\n").expect("written");
    let data = copy("__snapshots__/rows/a@production.snap");
    let outside = common::tempdir();
    let victim = outside.path().join("gone/a@production.snap");
    std::fs::create_dir(outside.path().join("gone")).expect("a folder");
    std::fs::write(&victim, "# flowcheck snapshot\n{}\n").expect("written");
    let link = project.path("__snapshots__/linked");
    std::os::unix::fs::symlink(outside.path().join("gone"), &link).expect("a link");
    // A suite in a folder that a link leads to too, loaded by either name: its golden file is
    // used.
    std::fs::create_dir(project.path("shared")).expect("a folder");
    std::fs::write(
        project.path("shared/other.yaml"),
        SUITE.replace("suite: golden", "suite: other"),
    )
    .expect("written");
    let shared = copy("shared/__snapshots__/other/money-back-reply@production.snap");
    std::os::unix::fs::symlink(project.path("shared"), project.path("again")).expect("a link");

    let listed = project.snapshots("unreferenced", "");
    listed.assert_ok_saying("3 unreferenced snapshots found");
    for file in gone.iter().chain([&half]) {
        let line = format!("{}\n", file.display());
        assert!(
            listed.stdout.contains(&line),
            "{line:?} in:\n{}",
            listed.all()
        );
    }
    let note = format!(
        "note: {} is the snapshot folder of no suite (there is no gone.yaml or gone.yml beside its __snapshots__ folder): every snapshot in it is unreferenced",
        project.path("__snapshots__/gone").display()
    );
    assert!(
        listed.stderr.contains(&note),
        "{note:?} in:\n{}",
        listed.all()
    );
    assert!(
        listed.stderr.contains(&format!(
            "note: passed over {}: a symbolic link",
            link.display()
        )),
        "{}",
        listed.stderr
    );
    for kept in [
        "__snapshots__/rows",
        "__snapshots__/linked",
        "__snapshots__/golden",
    ] {
        assert!(!listed.stdout.contains(kept), "{kept}: {}", listed.stdout);
    }

    // A suite file stands for its own folder only.
    project
        .snapshots_of_suite("unreferenced", "")
        .assert_ok_saying("0 unreferenced snapshots found");

    let removed = project.snapshots_with(&["unreferenced", "--remove"]);
    removed.assert_ok_saying("3 unreferenced snapshots removed");
    assert!(
        removed.stderr.contains(&format!(
            "note: removed {}, the snapshot folder of no suite",
            project.path("__snapshots__/gone").display()
        )),
        "{}",
        removed.stderr
    );
    assert!(!exists(&project.path("__snapshots__/gone")));
    assert!(!exists(&half) && exists(&readme));
    for kept in [
        &data,
        &victim,
        &shared,
        &project.golden("production"),
        &project.golden("v3"),
    ] {
        assert!(exists(kept), "{} was deleted", kept.display());
    }
    assert!(std::fs::symlink_metadata(&link).is_ok(), "the link stays");
    // The folders that are left hold no snapshot of a suite that is gone.
    project
        .snapshots_with(&["unreferenced"])
        .assert_ok_saying("0 unreferenced snapshots found");
}

/// Pending changes that no case uses, beside one that a case uses (the production target's):
/// a case renamed since, and a suite removed since.
fn with_orphans(project: &Project) -> [PathBuf; 2] {
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("production");
    assert_eq!(project.run(&[], false).code, 1);
    let renamed = project.path("__snapshots__/golden/old-case@production.snap.new");
    std::fs::copy(project.pending("production"), &renamed).expect("copied");
    std::fs::create_dir_all(project.path("__snapshots__/gone")).expect("a folder");
    let removed = project.path("__snapshots__/gone/money-back-reply@production.snap.new");
    std::fs::copy(project.pending("production"), &removed).expect("copied");
    [renamed, removed]
}

/// Each pending change that no case uses is still there, and no golden file was made of it;
/// the command named each, saying why.
fn left_pending(orphans: &[PathBuf], run: &Run) {
    for orphan in orphans {
        assert!(exists(orphan), "{} is gone", orphan.display());
        let golden = orphan.with_extension("");
        assert!(!exists(&golden), "{} was made", golden.display());
        let note = format!(
            "note: left {} pending: no case of the suites uses it\n",
            orphan.display()
        );
        assert!(run.stderr.contains(&note), "{note:?} in:\n{}", run.all());
    }
}

/// `snapshots accept` turned a pending change that no case uses (its case renamed, its suite
/// removed) into a golden file nothing compares with. It leaves it pending and names it;
/// `reject` deletes it, and `unreferenced` lists both.
#[test]
fn accept_leaves_pending_changes_no_case_uses_pending() {
    let project = Project::new();
    let orphans = with_orphans(&project);
    let dir = project.dir.path().display().to_string();
    let accepted = project.snapshots("accept", "");
    accepted.assert_ok_saying(&format!(
        "1 pending snapshot change accepted; 2 left pending: no case of the suites uses them (`flowcheck snapshots reject {dir}` deletes them)\n"
    ));
    left_pending(&orphans, &accepted);
    assert!(!exists(&project.pending("production")));
    assert_eq!(
        project.run(&[], false).code,
        0,
        "the change used was accepted"
    );
    // Again, with nothing else pending.
    let again = project.snapshots("accept", "");
    again.assert_ok_saying("0 pending snapshot changes accepted; 2 left pending");
    left_pending(&orphans, &again);

    // Both: the removed suite's folder is swept too.
    let listed = project.snapshots("unreferenced", "");
    listed.assert_ok_saying("2 unreferenced snapshots found");
    for orphan in &orphans {
        let line = format!("{}\n", orphan.display());
        assert!(
            listed.stdout.contains(&line),
            "{line:?} in:\n{}",
            listed.all()
        );
    }

    // A suite with a problem could hide a case that uses a change: nothing is accepted.
    project.tamper("v3");
    assert_eq!(project.run(&[], false).code, 1);
    std::fs::write(project.path("broken.yaml"), "suite: broken\ncases: 3\n").expect("written");
    project
        .snapshots("accept", "")
        .assert_refused("the suites have problems; fix them first");
    assert!(exists(&project.pending("v3")));
    std::fs::remove_file(project.path("broken.yaml")).expect("removed");

    let rejected = project.snapshots("reject", "");
    rejected.assert_ok_saying("3 pending snapshot changes rejected");
    assert!(orphans.iter().all(|o| !exists(o)) && !exists(&project.pending("v3")));
}

/// `snapshots review` offered a pending change that no case uses, and answered `a`, made a
/// golden file of it. It offers only the changes that cases use, and names the others.
#[test]
fn review_offers_only_pending_changes_a_case_uses() {
    let project = Project::new();
    let orphans = with_orphans(&project);
    let dir = project.dir.path().display().to_string();
    let reviewed = project.snapshots("review", "a\na\na\n");
    reviewed.assert_ok_saying(&format!(
        "1 accepted, 0 rejected, 0 left pending; 2 more left pending: no case of the suites uses them (`flowcheck snapshots reject {dir}` deletes every change left pending)\n"
    ));
    assert!(
        reviewed.stdout.contains("[1/1] ") && !reviewed.stdout.contains("[1/3]"),
        "{}",
        reviewed.stdout
    );
    left_pending(&orphans, &reviewed);
    assert_eq!(
        project.run(&[], false).code,
        0,
        "the change used was accepted"
    );
    // With nothing else pending, it asks nothing.
    let reviewed = project.snapshots("review", "a\n");
    reviewed.assert_ok_saying("0 accepted, 0 rejected, 0 left pending; 2 more left pending");
    assert!(
        !reviewed.stdout.contains("accept (a)"),
        "{}",
        reviewed.stdout
    );
    left_pending(&orphans, &reviewed);
}

#[test]
fn a_path_that_does_not_exist_is_a_usage_error() {
    for command in ["review", "accept", "reject", "unreferenced"] {
        common::run(&["snapshots", command, "no/such/suites"])
            .assert_refused("no/such/suites: no such file or folder");
    }
}

/// `snapshots accept golden.yaml` from the suite's folder: a bare file name stands for its
/// snapshots in the current folder, `__snapshots__/golden/` (it used to stand for none, and
/// found nothing pending).
#[test]
fn a_suite_named_by_its_bare_file_name_finds_its_pending_snapshots() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("production");
    let in_folder = |args: &[&str], stdin: &str| {
        answered(
            flowcheck().current_dir(project.dir.path()).args(args),
            stdin,
        )
    };
    let failed = in_folder(&["run", "golden.yaml", "--embedded", "--jobs", "1"], "");
    assert_eq!(failed.code, 1, "{}", failed.all());
    let pending = "__snapshots__/golden/money-back-reply@production.snap.new";
    assert!(
        failed.stdout.contains(&format!(
            "the new output is in {pending}: run `flowcheck snapshots review golden.yaml`"
        )),
        "{}",
        failed.all()
    );
    // Review names the file as the run did (it wrote `./__snapshots__/...`), once even when
    // the folder is named too.
    let reviewed = in_folder(&["snapshots", "review", "golden.yaml", "."], "s\n");
    assert_eq!(reviewed.code, 0, "{}", reviewed.all());
    assert!(
        reviewed.stdout.contains(&format!("\n{pending}\n")) && reviewed.stdout.contains("[1/1]"),
        "{}",
        reviewed.all()
    );
    let accepted = Run::from(
        flowcheck()
            .current_dir(project.dir.path())
            .args(["snapshots", "accept", "golden.yaml"])
            .output()
            .expect("runs"),
    );
    assert_eq!(accepted.code, 0, "{}", accepted.all());
    assert!(
        accepted
            .stdout
            .contains("1 pending snapshot change accepted"),
        "{}",
        accepted.all()
    );
    assert_eq!(project.run(&[], false).code, 0);
}

/// A suite file named to `snapshots review|accept|reject` stood for every suite in its folder:
/// `reject golden.yaml` deleted the pending changes of `other.yaml` beside it, and `accept
/// golden.yaml` accepted them. It stands for its own snapshots, as it does for `unreferenced`.
#[test]
fn a_suite_file_stands_for_its_own_pending_snapshots_only() {
    let project = Project::new();
    std::fs::write(
        project.path("other.yaml"),
        SUITE.replace("suite: golden", "suite: other"),
    )
    .expect("suite written");
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("production");
    assert_eq!(project.run(&[], false).code, 1);
    // A pending change of the other suite's case, beside the first suite.
    let others = project.path("__snapshots__/other");
    std::fs::create_dir_all(&others).expect("a folder");
    let other_pending = others.join("money-back-reply@production.snap.new");
    std::fs::copy(project.pending("production"), &other_pending).expect("copied");

    let rejected = project.snapshots_of_suite("reject", "");
    rejected.assert_ok_saying("1 pending snapshot change rejected");
    assert!(!exists(&project.pending("production")) && exists(&other_pending));

    assert_eq!(project.run(&[], false).code, 1);
    let reviewed = project.snapshots_of_suite("review", "s\n");
    reviewed.assert_ok_saying("0 accepted, 0 rejected, 1 left pending");
    assert!(
        reviewed.stdout.contains("[1/1]") && !reviewed.stdout.contains("__snapshots__/other"),
        "{}",
        reviewed.stdout
    );
    let accepted = project.snapshots_of_suite("accept", "");
    accepted.assert_ok_saying("1 pending snapshot change accepted");
    assert!(exists(&other_pending) && !exists(&others.join("money-back-reply@production.snap")));
    assert_eq!(project.run(&[], false).code, 0);
}

/// A folder named absolutely and a suite in it named relatively found each pending change
/// twice, once under each name: `accept` accepted the first and failed on the second (exit 3,
/// "disappeared"). Each file is found once, and known as the change a case uses under either.
#[test]
fn a_pending_change_named_two_ways_is_found_once() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    project.tamper("production");
    assert_eq!(project.run(&[], false).code, 1);
    let dir = project.dir.path().display().to_string();
    let in_folder = |verb: &str, stdin: &str| {
        answered(
            flowcheck().current_dir(project.dir.path()).args([
                "snapshots",
                verb,
                &dir,
                "golden.yaml",
            ]),
            stdin,
        )
    };
    let reviewed = in_folder("review", "s\n");
    reviewed.assert_ok_saying("0 accepted, 0 rejected, 1 left pending\n");
    assert!(reviewed.stdout.contains("[1/1]"), "{}", reviewed.stdout);
    in_folder("accept", "").assert_ok_saying("1 pending snapshot change accepted\n");
    assert_eq!(project.run(&[], false).code, 0);
}

/// A nondeterministic flow (`demo/creative/tagline` picks among four taglines) with `repeat`:
/// the attempts run at once and share one golden file. The first to finish creates it (or, with
/// `--update-snapshots`, decides it); every attempt is judged against what the file then holds;
/// a failed one names a pending file that exists and holds its output, or says that another
/// attempt's output is the one saved; and an attempt that matches does not delete what another
/// saved (it used to, so the message named a file that was gone).
#[test]
fn repeated_attempts_share_one_golden_file_and_name_a_pending_file_that_exists() {
    let dir = common::tempdir();
    std::fs::write(
        dir.path().join("repeated.yaml"),
        "suite: repeated\nflow: demo/creative/tagline\ntargets: [v3]\ncases:\n  - name: repeated tagline\n    message: \"a tagline for Zephyr\"\n    repeat: 6\n    expect: {snapshot: true}\n",
    )
    .expect("suite written");
    let golden_name = "__snapshots__/repeated/repeated-tagline@v3.snap";
    let pending_name = format!("{golden_name}.new");
    let value_of = |path: &Path| -> serde_json::Value {
        let text = read(path);
        let body: String = text.lines().filter(|l| !l.starts_with('#')).collect();
        serde_json::from_str(&body).expect("the snapshot holds JSON")
    };
    let mut failures = 0;
    for extra in [&[][..], &[], &["--update-snapshots"]] {
        let run = Run::from(
            flowcheck()
                .current_dir(dir.path())
                .args([
                    "run",
                    "repeated.yaml",
                    "--embedded",
                    "--json",
                    "report.json",
                ])
                .args(extra)
                .output()
                .expect("runs"),
        );
        let report = common::read_json(&dir.path().join("report.json"));
        let golden = value_of(&dir.path().join(golden_name));
        let pending = dir.path().join(&pending_name);
        let attempts = report["cases"][0]["attempts"].as_array().expect("attempts");
        assert_eq!(attempts.len(), 6, "{}", run.all());
        let mut failed = Vec::new();
        for attempt in attempts {
            let check = attempt["checks"]
                .as_array()
                .and_then(|checks| {
                    checks.iter().find(|c| {
                        c["label"]
                            .as_str()
                            .is_some_and(|l| l.starts_with("snapshot"))
                    })
                })
                .expect("a snapshot check");
            if check["passed"] == true {
                assert_eq!(check["actual"], golden, "{extra:?}: {}", run.all());
            } else {
                assert_ne!(check["actual"], golden, "{extra:?}: {}", run.all());
                failed.push((
                    check["actual"].clone(),
                    check["detail"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
        failures += failed.len();
        assert_eq!(
            run.code,
            if failed.is_empty() { 0 } else { 1 },
            "{}",
            run.all()
        );
        if failed.is_empty() {
            assert!(!pending.exists(), "{extra:?}: {}", run.all());
            continue;
        }
        assert!(
            pending.exists(),
            "{extra:?}: {pending_name} is named but missing:\n{}",
            run.all()
        );
        let saved = value_of(&pending);
        assert!(
            failed.iter().any(|(actual, _)| *actual == saved),
            "{saved} is no failed attempt's output"
        );
        for (actual, detail) in &failed {
            let said = if *actual == saved {
                format!(
                    "the new output is in {pending_name}: run `flowcheck snapshots review repeated.yaml`"
                )
            } else {
                format!(
                    "and from the new output another attempt saved in {pending_name} (this one is not saved)"
                )
            };
            assert!(detail.contains(&said), "{extra:?}: {detail}\n{}", run.all());
        }
    }
    // The flow varies, so the runs above met differing attempts.
    assert!(failures > 0, "no attempt differed");
}

/// A link in a snapshot folder back into it (`a -> .`) made every file appear again below it
/// (`a/a/a/.../money-back-reply@production.snap`, 40 deep), each alias listed as unreferenced,
/// and `--remove` deleted the real golden file through one; two such links made the walk
/// endless. Links in `__snapshots__` are passed over, and said to be.
#[cfg(unix)]
#[test]
fn a_link_back_into_a_snapshot_folder_is_not_followed() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    let link = project.path("__snapshots__/golden/a");
    std::os::unix::fs::symlink(".", &link).expect("a link");
    let pending = project.path("__snapshots__/golden/money-back-reply@production.snap.new");
    std::fs::copy(project.golden("production"), &pending).expect("copied");

    let removed = project.snapshots_with(&["unreferenced", "--remove"]);
    removed.assert_ok_saying("0 unreferenced snapshots removed");
    assert!(
        removed.stderr.contains(&format!(
            "note: passed over {}: a symbolic link (links in __snapshots__ folders are not followed)",
            link.display()
        )),
        "{}",
        removed.stderr
    );
    assert!(exists(&project.golden("production")) && exists(&project.golden("v3")));

    let rejected = project.snapshots("reject", "");
    rejected.assert_ok_saying("1 pending snapshot change rejected");
    assert!(!exists(&pending) && exists(&project.golden("production")));
    assert!(std::fs::symlink_metadata(&link).is_ok(), "the link stays");
}

/// Two links back (`a -> .`, `b -> .`) made the walks endless (2^40 paths): the snapshot
/// commands' walk, which follows no link in `__snapshots__`, and the walk that finds suites
/// below a folder, which follows links but walks no folder twice. Should either regress, this
/// test does not fail but never ends (cargo names it after a minute).
#[cfg(unix)]
#[test]
fn two_links_back_into_a_snapshot_folder_do_not_make_the_walk_endless() {
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    for name in ["a", "b"] {
        std::os::unix::fs::symlink(".", project.path(&format!("__snapshots__/golden/{name}")))
            .expect("a link");
    }
    let listed = project.snapshots_with(&["unreferenced"]);
    listed.assert_ok_saying("0 unreferenced snapshots found");
    let reviewed = project.snapshots("review", "");
    reviewed.assert_ok_saying("no pending snapshot changes");
}

/// Through a link to a folder outside the project, in `__snapshots__` or as `__snapshots__`
/// itself, `unreferenced --remove` and `reject` deleted the files there.
#[cfg(unix)]
#[test]
fn the_snapshot_commands_delete_nothing_outside_the_project() {
    let outside = common::tempdir();
    let victims = [
        outside.path().join("old-case@production.snap"),
        outside.path().join("old-case@production.snap.new"),
        outside.path().join("golden/old-case@production.snap"),
        outside.path().join("golden/old-case@production.snap.new"),
    ];
    std::fs::create_dir(outside.path().join("golden")).expect("a folder");
    for victim in &victims {
        std::fs::write(victim, "# flowcheck snapshot\n{}\n").expect("written");
    }

    // A link inside the suite's snapshot folder.
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    std::os::unix::fs::symlink(outside.path(), project.path("__snapshots__/golden/ext"))
        .expect("a link");
    // A second project whose `__snapshots__` folder is the link.
    let linked = Project::new();
    std::os::unix::fs::symlink(outside.path(), linked.path("__snapshots__")).expect("a link");

    for project in [&project, &linked] {
        let removed = project.snapshots_with(&["unreferenced", "--remove"]);
        removed.assert_ok_saying("0 unreferenced snapshots removed");
        let rejected = project.snapshots("reject", "");
        rejected.assert_ok_saying("0 pending snapshot changes rejected");
        assert!(
            rejected.stderr.contains("note: passed over"),
            "{}",
            rejected.all()
        );
        for victim in &victims {
            assert!(exists(victim), "{} was deleted", victim.display());
        }
    }
    assert!(exists(&project.golden("production")));
}

/// Any `*.new` file in a snapshot folder counted as a pending change: `unreferenced` listed
/// `README.new` and `reject` deleted it. Only `*.snap.new` is one, whatever bytes its name
/// holds: one that is not UTF-8 used to be passed over silently; it is listed (its name shown
/// with U+FFFD for the bad bytes) and handled like any other.
#[cfg(unix)]
#[test]
fn only_snap_new_files_are_pending_changes() {
    use std::os::unix::ffi::OsStrExt;
    let project = Project::new();
    assert_eq!(project.run(&[], false).code, 0);
    let folder = project.path("__snapshots__/golden");
    let others = ["README.new", "notes.new", "data.json.new", "x.snapnew"].map(|n| folder.join(n));
    for other in &others {
        std::fs::write(other, "not a snapshot").expect("written");
    }
    let stale = folder.join("old-case@production.snap.new");
    std::fs::copy(project.golden("production"), &stale).expect("copied");
    let odd = folder.join(std::ffi::OsStr::from_bytes(b"caf\xe9@production.snap.new"));
    std::fs::copy(project.golden("production"), &odd).expect("copied");

    let listed = project.snapshots("unreferenced", "");
    assert_eq!(listed.code, 0, "{}", listed.all());
    assert!(
        listed.stdout.contains("old-case@production.snap.new\n")
            && listed.stdout.contains("caf\u{fffd}@production.snap.new\n")
            && listed.stdout.contains("2 unreferenced snapshots found"),
        "{}",
        listed.all()
    );
    for name in ["README.new", "notes.new", "data.json.new", "x.snapnew"] {
        assert!(!listed.stdout.contains(name), "{name}: {}", listed.stdout);
    }

    let rejected = project.snapshots("reject", "");
    rejected.assert_ok_saying("2 pending snapshot changes rejected");
    assert!(!exists(&stale) && !exists(&odd));
    for other in &others {
        assert!(exists(other), "{} was deleted", other.display());
    }
}

/// A golden file that is a fifo held the run for ever (and the lock every snapshot check
/// takes, so `--timeout` never fired and Ctrl-C did not help): it is refused at once, and the
/// check fails saying so.
#[cfg(unix)]
#[test]
fn a_golden_file_that_is_a_fifo_fails_its_check_without_waiting() {
    let project = Project::new();
    std::fs::create_dir_all(project.path("__snapshots__/golden")).expect("a folder");
    common::refused_fifo(&project.golden("production"));
    let run = project.run(&[], false);
    assert_eq!(run.code, 1, "{}", run.all());
    assert!(
        run.stdout.contains(&format!(
            "cannot read {}: not a regular file (a fifo)",
            project.golden("production").display()
        )),
        "{}",
        run.all()
    );
    assert!(
        exists(&project.golden("v3")),
        "the other target's check ran"
    );
}

/// A golden file edited by hand: saved by a Windows editor (a byte-order mark, CRLF line ends)
/// it reads as the same snapshot; broken (emptied, its JSON cut) it fails, saying that
/// `--update-snapshots` replaces it, and `--update-snapshots` does, with repeats sharing the
/// file and on every target.
#[test]
fn a_golden_file_edited_by_hand_is_read_or_replaced() {
    let project = Project::new();
    let first = project.run(&[], false);
    assert_eq!(first.code, 0, "{}", first.all());
    let accepted = read(&project.golden("production"));
    let windows = format!("\u{feff}{}", accepted.replace('\n', "\r\n"));
    std::fs::write(project.golden("production"), windows).expect("written");
    let bom = project.run(&[], false);
    assert_eq!(bom.code, 0, "{}", bom.all());
    std::fs::write(project.golden("production"), "").expect("emptied");
    std::fs::write(
        project.golden("v3"),
        &accepted[..accepted.find('}').unwrap_or(accepted.len())],
    )
    .expect("cut");
    let broken = project.run(&[], false);
    assert_eq!(broken.code, 1, "{}", broken.all());
    assert!(
        broken
            .stdout
            .contains("`flowcheck run --update-snapshots` replaces it"),
        "{}",
        broken.stdout
    );
    let updated = project.run(&["--update-snapshots", "--repeat", "3"], false);
    assert_eq!(updated.code, 0, "{}", updated.all());
    for target in ["production", "v3"] {
        let golden = read(&project.golden(target));
        assert!(
            golden.starts_with("# flowcheck snapshot\n") && golden.contains("\"confidence\""),
            "{golden}"
        );
    }
    let again = project.run(&[], false);
    assert_eq!(again.code, 0, "{}", again.all());
}

/// A pending change comes from a flow's output, or a pull request's files: what `review`
/// shows of it (the header it names, the lines of its diff) has its control characters and
/// the marks that reorder text escaped, so that the change accepted is the change read.
#[test]
fn review_shows_a_pending_change_as_it_is() {
    let project = Project::new();
    let first = project.run(&[], false);
    assert_eq!(first.code, 0, "{}", first.all());
    std::fs::write(
        project.pending("production"),
        "# flowcheck snapshot\n# suite: golden\n# case: money back reply\u{1b}]0;PWNED\u{7}\n# target: production\n# recorded: 2026-12-01T00:00:00Z\n{\n  \"category\": \"billing\u{202e}lanoitareneg\",\n  \"reply\": \"ok\\r\\u001b[2K\"\n}\n",
    )
    .expect("written");
    let review = project.snapshots("review", "s\n");
    assert_eq!(review.code, 0, "{}", review.all());
    assert!(
        !review.stdout.contains(['\u{1b}', '\u{7}', '\u{202e}']),
        "{:?}",
        review.stdout
    );
    assert!(
        review
            .stdout
            .contains("money back reply\\u001b]0;PWNED\\u0007")
            && review.stdout.contains("billing\\u202elanoitareneg"),
        "{}",
        review.stdout
    );
}

/// `a.yaml` and `a.yml` in one folder would judge each other's golden files in their one
/// snapshot folder: refused at load, where either has snapshot cases.
#[test]
fn two_suite_files_that_would_share_a_snapshot_folder_are_refused() {
    let project = Project::new();
    let other = SUITE.replace("suite: golden", "suite: golden-too");
    std::fs::write(project.path("golden.yml"), &other).expect("suite written");
    let folder = project.dir.path().display().to_string();
    let result = common::run(&["validate", &folder]);
    assert_eq!(result.code, 2, "{}", result.all());
    assert!(
        result.stderr.contains("would share the snapshot folder")
            && result
                .stderr
                .contains("__snapshots__/golden: rename one file"),
        "{}",
        result.all()
    );
    // Without snapshot cases, nothing is shared.
    let plain = |text: &str| text.replace("      snapshot: {redact: [$.reply], round: 1}\n", "");
    std::fs::write(project.path("golden.yml"), plain(&other)).expect("suite written");
    std::fs::write(project.path("golden.yaml"), plain(SUITE)).expect("suite written");
    let result = common::run(&["validate", &folder]);
    assert_eq!(result.code, 0, "{}", result.all());
}
