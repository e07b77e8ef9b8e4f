//! The two processes the tool exists for, end to end.

use crate::common::{TestEnv, json};

const QA: (&str, &str) = ("Kim Tester", "kim@qa.example.com");
const LEAD: (&str, &str) = ("Lee Lead", "lead@example.com");

/// A test plan shaped like real ones: H2 "TESTS", H3 sections of numbered steps with
/// nested sub-bullets that belong to their step.
pub const PLAN: &str = "\
# Deployment verification plan

Run on stage after every deployment. Report problems on the deployment bug.

## TESTS

### Firefox

1. Open https://stage.example.com
   - the page loads without console errors
   - the footer shows the release name
2. Log in with the test account
3. Install an add-on
   - the install button turns green
   - the add-on appears in about:addons
4. Uninstall it

### Chrome

1. Open https://stage.example.com
2. Search for \"tabs\"
   - at least 10 results

## After production

- [ ] Error rate on the dashboard below 1%
";

fn train_repo() -> TestEnv {
    let env = TestEnv::new();
    env.ok(&["init"]);
    env.ok(&[
        "config",
        "set",
        "roles.qa.members",
        "[\"*@qa.example.com\"]",
    ]);
    env.ok(&[
        "config",
        "set",
        "roles.eng.members",
        "[\"lead@example.com\"]",
    ]);
    env.ok(&["config", "set", "checklist.file", "docs/verification.md"]);
    // The plan's "After production" steps come after production: it needs the rest.
    env.ok(&[
        "config",
        "set",
        "environments.1.requires.checklist",
        "[\"firefox\", \"chrome\"]",
    ]);
    env.write("docs/verification.md", PLAN);
    env.git(&["add", "."]);
    env.git(&["commit", "-q", "-m", "Release process"]);
    env
}

#[test]
fn train_stage_checklist_signoffs_production_verify() {
    let env = train_repo();
    let target = env.commit("Fix login redirect");
    env.ok(&["start", "--date", "2026-11-20"]);

    // Production is shut, and says every reason with the command that fixes it.
    let err = env.fails(&["deploy", "production"], 3);
    assert!(
        err.contains("cannot be deployed to production: 4 conditions not met"),
        "{err}"
    );
    assert!(err.contains("not deployed to stage yet"), "{err}");
    assert!(err.contains("run: git release deploy stage"), "{err}");
    assert!(err.contains("sign-off `qa` missing"), "{err}");
    assert!(err.contains("run: git release signoff eng"), "{err}");
    assert!(
        err.contains("6 checklist items open: firefox-1, firefox-2, firefox-3, firefox-4, chrome-1, chrome-2 run"),
        "{err}"
    );

    env.ok(&["deploy", "stage"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["stage"], "deployed to stage");

    // QA works through the plan from the checklist's own list of open items.
    let list = json(&env.ok(&["checklist", "--json"]));
    assert_eq!(list["total"], 7);
    let open: Vec<String> = list["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        open,
        [
            "firefox-1",
            "firefox-2",
            "firefox-3",
            "firefox-4",
            "chrome-1",
            "chrome-2",
            "after-production-1"
        ]
    );
    let mut args = vec!["check"];
    args.extend(
        open.iter()
            .map(String::as_str)
            .filter(|id| *id != "after-production-1"),
    );
    env.ok_as(QA, &args);
    env.ok_as(QA, &["signoff", "qa", "--note", "plan green on stage"]);
    env.ok_as(LEAD, &["signoff", "eng"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["gates"][1]["environment"], "production");
    assert_eq!(status["gates"][1]["met"], true, "{status}");

    env.ok(&["deploy", "production"]);
    env.ok_as(
        QA,
        &["check", "after-production-1", "--note", "error rate 0.2%"],
    );
    env.ok_as(QA, &["verify", "production", "--note", "smoke green"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["stage"], "verified on production");
    assert_eq!(status["signoffs"][0]["what"], "eng");
    assert_eq!(status["signoffs"][1]["by"]["email"], "kim@qa.example.com");
    assert_eq!(status["signoffs"][1]["note"], "plan green on stage");
    assert_eq!(status["checklist"]["done"], 7);

    // git alone tells the story: the audit trail and the note on the released commit.
    let trail = env.git(&[
        "log",
        "--reverse",
        "--format=%an|%s",
        "refs/release/2026-11-20",
    ]);
    let subjects: Vec<&str> = trail.lines().collect();
    assert!(
        subjects[1].starts_with("Ada Lovelace|deploy stage"),
        "{trail}"
    );
    assert!(
        subjects[2].starts_with("Kim Tester|check firefox-1"),
        "{trail}"
    );
    assert_eq!(subjects[3], "Kim Tester|signoff qa");
    assert_eq!(subjects[4], "Lee Lead|signoff eng");
    assert_eq!(subjects[5], "Ada Lovelace|deploy production");
    assert_eq!(subjects[6], "Kim Tester|check after-production-1");
    assert_eq!(subjects[7], "Kim Tester|verify production");
    let note = env.git(&["log", "-1", "--notes=release", "--format=%N", &target]);
    assert!(note.contains("stage: verified on production"), "{note}");
    assert!(
        note.contains("signoff qa: Kim Tester <kim@qa.example.com>"),
        "{note}"
    );
    assert!(note.contains("deployed production:"), "{note}");
    assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (8 events)\n");
    env.fsck();
}

#[test]
fn push_duty_stage_blocker_signoff_production() {
    let env = TestEnv::new();
    env.ok(&["init", "--preset", "push-duty"]);
    env.ok(&["start", "--date", "2026-11-19"]);
    env.ok(&["deploy", "stage"]);
    env.ok(&[
        "block",
        "1234",
        "--title",
        "checkout 500s on stage",
        "--url",
        "https://bugs.example.com/1234",
    ]);
    let text = env.ok(&["status"]);
    assert!(
        text.contains("blockers   1234 checkout 500s on stage <https://bugs.example.com/1234>"),
        "{text}"
    );

    let err = env.fails(&["deploy", "production"], 3);
    assert!(err.contains("2 conditions not met"), "{err}");
    assert!(
        err.contains("blocked by 1234 (checkout 500s on stage)"),
        "{err}"
    );
    assert!(err.contains("run: git release unblock 1234"), "{err}");

    env.ok(&["unblock", "1234", "--note", "fixed in the cherry-pick"]);
    env.ok_as(QA, &["signoff", "qa"]);
    env.ok(&["deploy", "production"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["stage"], "deployed to production");
    assert_eq!(status["blockers"], serde_json::json!([]));
    let log = env.ok(&["log"]);
    assert!(log.contains("block 1234: checkout 500s on stage"), "{log}");
    assert!(log.contains("unblock 1234"), "{log}");
    env.fsck();
}
