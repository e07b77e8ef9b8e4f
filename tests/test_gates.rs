//! Each gate condition alone, sign-off rules, forcing, verification and roll-back approval.

use std::sync::Barrier;

use crate::common::{TestEnv, json};

const QA: (&str, &str) = ("Kim Tester", "kim@qa.example.com");
const LEAD: (&str, &str) = ("Lee Lead", "lead@example.com");

const CONFIG: &str = r#"
[roles.qa]
members = ["*@qa.example.com"]

[roles.eng]
members = ["lead@example.com"]

[[checklist.items]]
id = "smoke"
text = "Home page and login work"

[[checklist.items]]
id = "checkout"
text = "A test order goes through"

[[checklist.items]]
id = "prod-smoke"
text = "Dashboards flat after the push"
env = "production"

[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = { signoffs = ["qa", "eng"], checklist = "all", no_blockers = true, deployed = ["stage"] }
verify_role = "qa"

[rollback]
role = "eng"
"#;

fn gated() -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", CONFIG);
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

/// Everything production needs, done.
fn ready(env: &TestEnv) {
    env.ok(&["deploy", "stage"]);
    env.ok_as(QA, &["check", "smoke", "checkout"]);
    env.ok_as(QA, &["signoff", "qa"]);
    env.ok_as(LEAD, &["signoff", "eng"]);
}

/// Deploying to production fails with exit 3 and exactly one unmet condition; returns it.
fn only_unmet(env: &TestEnv) -> String {
    let before = env.refs();
    let err = env.fails(&["deploy", "production"], 3);
    let reasons: Vec<&str> = err.lines().filter(|l| l.starts_with("  - ")).collect();
    assert_eq!(reasons.len(), 1, "{err}");
    assert!(err.contains("1 condition not met"), "{err}");
    assert_eq!(env.refs(), before, "a refused deploy wrote something");
    reasons[0].to_owned()
}

#[test]
fn each_condition_alone_shuts_the_gate() {
    let env = gated();
    ready(&env);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["gates"][1]["met"], true, "{status}");

    // A missing earlier deployment.
    let other = gated();
    other.ok_as(QA, &["check", "smoke", "checkout"]);
    other.ok_as(QA, &["signoff", "qa"]);
    other.ok_as(LEAD, &["signoff", "eng"]);
    assert!(only_unmet(&other).contains("not deployed to stage yet"));

    // A revoked sign-off; re-signing opens the gate again.
    env.ok_as(
        LEAD,
        &["signoff", "eng", "--revoke", "--note", "found a regression"],
    );
    let reason = only_unmet(&env);
    assert!(reason.contains("sign-off `eng` missing"), "{reason}");
    assert!(reason.contains("git release signoff eng"), "{reason}");
    env.ok_as(LEAD, &["signoff", "eng"]);

    // An open checklist item. Items verified on production itself are not required.
    env.ok_as(QA, &["uncheck", "checkout"]);
    let reason = only_unmet(&env);
    assert!(
        reason.contains("1 checklist item open: checkout"),
        "{reason}"
    );
    assert!(!reason.contains("prod-smoke"), "{reason}");
    env.ok_as(QA, &["check", "checkout"]);

    // An open blocker.
    env.ok(&["block", "77", "--title", "slow search"]);
    let reason = only_unmet(&env);
    assert!(reason.contains("blocked by 77 (slow search)"), "{reason}");
    env.ok(&["unblock", "77"]);

    env.ok(&["deploy", "production"]);
    env.ok_as(QA, &["check", "prod-smoke"]);
    env.ok_as(QA, &["verify", "production"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["stage"], "verified on production");
    env.fsck();
}

#[test]
fn non_members_and_unknown_roles_are_refused() {
    let env = gated();
    let before = env.refs();
    let err = env.fails(&["signoff", "qa"], 1);
    assert!(
        err.contains("Ada Lovelace <ada@example.com> is not a member of role `qa`"),
        "{err}"
    );
    assert!(err.contains("*@qa.example.com"), "{err}");
    let err = env.fails(&["signoff", "security"], 1);
    assert!(err.contains("`security` is not a role"), "{err}");
    assert!(err.contains("the roles are: eng, qa"), "{err}");
    let (code, _, err) = env.run_as(
        ("Mallory", "kim@qa.example.com.evil.org"),
        &["signoff", "qa"],
    );
    assert_eq!(code, 1, "{err}");
    // A non-member cannot revoke either.
    env.ok_as(QA, &["signoff", "qa"]);
    let after_sign = env.refs();
    let err = env.fails(&["signoff", "qa", "--revoke"], 1);
    assert!(err.contains("not a member"), "{err}");
    assert_eq!(env.refs(), after_sign);
    assert_ne!(before, after_sign);
}

#[test]
fn signing_twice_records_once_and_revoke_needs_a_signoff() {
    let env = gated();
    env.ok_as(QA, &["signoff", "qa"]);
    let count = env.git(&["rev-list", "--count", "refs/release/2026-11-20"]);
    let (code, _, err) = env.run_as(QA, &["signoff", "qa"]);
    assert_eq!(code, 0);
    assert!(err.contains("already signed off `qa`"), "{err}");
    assert_eq!(
        env.git(&["rev-list", "--count", "refs/release/2026-11-20"]),
        count
    );
    // A second member of the role adds a second signer.
    env.ok_as(("Pat", "pat@qa.example.com"), &["signoff", "qa"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["signoffs"].as_array().unwrap().len(), 2);
    env.ok_as(QA, &["signoff", "qa", "--revoke"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["signoffs"], serde_json::json!([]));
    let err = env.run_as(QA, &["signoff", "qa", "--revoke"]).2;
    assert!(err.contains("no `qa` sign-off to revoke"), "{err}");
    let log = env.ok(&["log"]);
    assert!(
        log.contains("Kim Tester <kim@qa.example.com>  revoke signoff qa"),
        "{log}"
    );
}

#[test]
fn forcing_a_shut_gate_needs_a_reason_and_is_recorded() {
    let env = gated();
    let before = env.refs();
    let err = env.fails(&["deploy", "production", "--force"], 2);
    assert!(err.contains("--reason"), "{err}");
    let err = env.fails(&["deploy", "production", "--force", "--reason", " "], 2);
    assert!(err.contains("--reason is empty"), "{err}");
    assert_eq!(env.refs(), before);
    let out = env.ok(&[
        "deploy",
        "production",
        "--force",
        "--reason",
        "security fix",
        "--dry-run",
    ]);
    assert!(out.contains("forced = true"), "{out}");
    assert_eq!(env.refs(), before);

    env.ok(&[
        "deploy",
        "production",
        "--force",
        "--reason",
        "security fix",
    ]);
    let events = json(&env.ok(&["log", "--json"]));
    let deploy = &events[1]["fields"];
    assert_eq!(deploy["env"], "production");
    assert_eq!(deploy["forced"], true);
    assert_eq!(deploy["reason"], "security fix");
    assert_eq!(deploy["unmet"].as_array().unwrap().len(), 4, "{deploy}");
    let text = env.ok(&["status"]);
    assert!(
        text.contains("production") && text.contains("(forced): security fix"),
        "{text}"
    );
}

#[test]
fn deploy_dry_run_checks_the_gate() {
    let env = gated();
    let before = env.refs();
    env.fails(&["deploy", "production", "--dry-run"], 3);
    let out = env.ok(&["deploy", "stage", "--dry-run"]);
    assert!(out.contains("kind = \"deploy\""), "{out}");
    let err = env.fails(&["deploy", "qa-lab"], 1);
    assert!(
        err.contains("the environments are: stage, production"),
        "{err}"
    );
    assert_eq!(env.refs(), before);
}

#[test]
fn verify_needs_the_deployment_and_the_role() {
    let env = gated();
    let err = env.run_as(QA, &["verify", "stage"]);
    assert_eq!(err.0, 3, "{}", err.2);
    assert!(
        err.2.contains("has not been deployed to stage"),
        "{}",
        err.2
    );
    env.ok(&["deploy", "production", "--force", "--reason", "test"]);
    let err = env.fails(&["verify", "production"], 1);
    assert!(err.contains("not a member of role `qa`"), "{err}");
    env.ok_as(QA, &["verify", "production"]);
}

#[test]
fn rollback_approval_is_engineering_s() {
    let env = gated();
    let err = env.fails(&["rollback-approve"], 1);
    assert!(err.contains("not a member of role `eng`"), "{err}");
    env.ok_as(
        LEAD,
        &["rollback-approve", "--note", "checkout errors since 14:02"],
    );
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(
        status["rollback_approvals"][0]["by"]["email"],
        "lead@example.com"
    );
    assert_eq!(
        status["rollback_approvals"][0]["note"],
        "checkout errors since 14:02"
    );
}

#[test]
fn two_roles_signed_at_the_same_moment_both_land() {
    for round in 0..5 {
        let env = gated();
        let barrier = Barrier::new(2);
        std::thread::scope(|s| {
            for who in [(QA, "qa"), (LEAD, "eng")] {
                let env = &env;
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    env.ok_as(who.0, &["signoff", who.1]);
                });
            }
        });
        let status = json(&env.ok(&["status", "--json"]));
        let roles: Vec<&str> = status["signoffs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["what"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["eng", "qa"], "round {round}");
        // The note caught up with both.
        let note = env.git(&["notes", "--ref=release", "show", "HEAD"]);
        assert!(
            note.contains("signoff eng") && note.contains("signoff qa"),
            "round {round}: {note}"
        );
    }
}

#[test]
fn blocking_again_keeps_what_is_not_given() {
    let env = gated();
    env.ok(&[
        "block",
        "77",
        "--title",
        "slow search",
        "--url",
        "https://bugs.example.com/77",
    ]);
    let before = env.refs();
    let (code, _, err) = env.run(&["block", "77"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("77 already blocks release 2026-11-20; nothing to record"),
        "{err}"
    );
    assert_eq!(env.refs(), before);

    env.ok(&["block", "77", "--title", "search times out"]);
    let status = json(&env.ok(&["status", "--json"]));
    let blocker = &status["blockers"][0];
    assert_eq!(blocker["title"], "search times out", "{status}");
    assert_eq!(blocker["url"], "https://bugs.example.com/77", "{status}");
    let log = json(&env.ok(&["log", "--json"]));
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(
        last["fields"]["url"], "https://bugs.example.com/77",
        "{last}"
    );
    env.fsck();
}
