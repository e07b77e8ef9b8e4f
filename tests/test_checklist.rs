use crate::common::{TestEnv, json};
use crate::test_process::PLAN;

fn with_plan() -> TestEnv {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/verification.md\"\n\n[[checklist.items]]\nid = \"db-backup\"\ntext = \"Backup taken\"\nsection = \"Ops\"\n",
    );
    env.write("docs/verification.md", PLAN);
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

#[test]
fn checklist_lists_items_from_config_and_plan() {
    let env = with_plan();
    env.ok(&["check", "firefox-3", "db-backup", "--note", "Firefox 128"]);
    let text = env.ok(&["checklist"]);
    assert!(
        text.starts_with("checklist of release 2026-11-20: 2/8 done\n"),
        "{text}"
    );
    assert!(
        text.contains("ops\n  [x] db-backup  Backup taken  — Ada Lovelace,"),
        "{text}"
    );
    assert!(
        text.contains("firefox\n  [ ] firefox-1  Open https://stage.example.com\n"),
        "{text}"
    );
    assert!(
        text.contains("  [x] firefox-3  Install an add-on"),
        "{text}"
    );
    let v = json(&env.ok(&["checklist", "--json"]));
    assert_eq!(v["done"], 2);
    let item = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == "firefox-3")
        .unwrap();
    assert_eq!(item["done"], true);
    assert_eq!(item["note"], "Firefox 128");
    assert_eq!(item["section"], "firefox");
    assert!(
        item["text"]
            .as_str()
            .unwrap()
            .contains("- the add-on appears in about:addons")
    );
}

#[test]
fn unknown_items_are_refused_with_near_matches() {
    let env = with_plan();
    let before = env.refs();
    let err = env.fails(&["check", "firefox-1", "firefox-9", "chrme-2"], 1);
    assert!(
        err.contains("no checklist item `firefox-9`, `chrme-2`"),
        "{err}"
    );
    assert!(
        err.contains("for `firefox-9`, did you mean: firefox-1, firefox-2, firefox-3, firefox-4"),
        "{err}"
    );
    assert!(
        err.contains("for `chrme-2`, did you mean: chrome-2"),
        "{err}"
    );
    assert_eq!(
        env.refs(),
        before,
        "nothing is checked when one id is wrong"
    );
}

#[test]
fn checking_twice_records_once_and_uncheck_reopens() {
    let env = with_plan();
    env.ok(&["check", "chrome-1"]);
    let count = env.git(&["rev-list", "--count", "refs/release/2026-11-20"]);
    let (code, _, err) = env.run(&["check", "chrome-1"]);
    assert_eq!(code, 0);
    assert!(err.contains("nothing to record"), "{err}");
    assert_eq!(
        env.git(&["rev-list", "--count", "refs/release/2026-11-20"]),
        count
    );
    env.ok(&["uncheck", "chrome-1", "--note", "re-test after fix"]);
    let v = json(&env.ok(&["checklist", "--json"]));
    assert_eq!(v["done"], 0);
    let log = env.ok(&["log"]);
    assert!(log.contains("uncheck chrome-1"), "{log}");
}

#[test]
fn a_missing_plan_or_no_checklist_is_explained() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let err = env.fails(&["check", "smoke"], 1);
    assert!(err.contains("no verification checklist"), "{err}");
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/missing.md\"\n",
    );
    let err = env.fails(&["checklist"], 1);
    assert!(err.contains("docs/missing.md"), "{err}");
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn a_section_the_plan_does_not_have_shuts_the_gate() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/verification.md\"\n\n[[environments]]\nname = \"production\"\nrequires = { checklist = [\"firefox\", \"chrom\"] }\n",
    );
    env.write("docs/verification.md", PLAN);
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["check", "firefox-1", "firefox-2", "firefox-3", "firefox-4"]);
    let before = env.refs();
    let err = env.fails(&["deploy", "production"], 3);
    assert!(err.contains("1 condition not met"), "{err}");
    assert!(
        err.contains("checklist section `chrom` is not in the checklist (docs/verification.md)"),
        "{err}"
    );
    assert!(
        err.contains("(sections: firefox, chrome, after-production)"),
        "{err}"
    );
    assert_eq!(env.refs(), before, "a refused deploy wrote something");
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["gates"][0]["met"], false, "{status}");

    env.ok(&[
        "config",
        "set",
        "environments.0.requires.checklist",
        "[\"firefox\", \"chrome\"]",
    ]);
    env.ok(&["check", "chrome-1", "chrome-2"]);
    env.ok(&["deploy", "production"]);
}

/// A test plan as teams write them: front matter, setext headings, inline HTML in headings,
/// a code block inside a step and one between steps, tab-indented sub-steps, comments.
const REAL_PLAN: &str = include_str!("fixtures/verification-plan.md");

#[test]
fn a_real_plan_lists_its_steps_and_nothing_else() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/verification.md\"\n",
    );
    env.write("docs/verification.md", REAL_PLAN);
    env.ok(&["start", "--date", "2026-11-20"]);
    assert_eq!(
        env.ok(&["checklist"]),
        "\
checklist of release 2026-11-20: 0/15 done
before-you-start
  [ ] before-you-start-1  The deployment bug is linked from the release
  [ ] before-you-start-2  Your test account is on the stage allow-list
prerequisites
  [ ] prerequisites-1  VPN to the stage network
  [ ] prerequisites-2  The QA browser profile, with:
firefox
  [ ] firefox-1  Open https://stage.example.com
  [ ] firefox-2  Log in with the test account
  [ ] firefox-3  Install an add-on from the API:
  [ ] firefox-4  Uninstall it
safari
  [ ] safari-1  Open https://stage.example.com
  [ ] safari-2  Make the window narrow
  [ ] safari-3  Log out
chrome
  [ ] chrome-1  The home page loads
  [ ] chrome-2  Search for \"tabs\" shows at least 10 results
api
  [ ] api-1  `/health` answers 200
  [ ] api-2  Error rate on the dashboard below 1%
"
    );

    env.ok(&["check", "safari-3", "api-2"]);
    let v = json(&env.ok(&["checklist", "--json"]));
    assert_eq!(v["done"], 2);
    assert_eq!(
        v["open"].as_array().unwrap().last().unwrap(),
        "api-1",
        "{v}"
    );
    let text = |id: &str| {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        text("safari-2"),
        "Make the window narrow\n1. the menu folds into a button\n2. there is no horizontal scroll bar"
    );
    assert!(
        text("firefox-3").ends_with("~~~\n1. not a step: this is still the code block\n```"),
        "{v}"
    );

    // The commented-out steps and the lines inside code blocks are not items.
    let err = env.fails(&["check", "deployment-verification-1"], 1);
    assert!(
        err.contains("no checklist item `deployment-verification-1`"),
        "{err}"
    );
    let err = env.fails(&["check", "firefox-5"], 1);
    assert!(err.contains("no checklist item `firefox-5`"), "{err}");
    assert_eq!(
        text("prerequisites-2"),
        "The QA browser profile, with:\n- the console open\n- caching off"
    );
}

fn with_real_plan() -> TestEnv {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/verification.md\"\n",
    );
    env.write("docs/verification.md", REAL_PLAN);
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

fn done(env: &TestEnv) -> Vec<String> {
    let v = json(&env.ok(&["checklist", "--json"]));
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["done"] == true)
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_whole_section_is_checked_and_unchecked_with_all() {
    let env = with_real_plan();
    env.ok(&[
        "check",
        "prerequisites",
        "saf",
        "--all",
        "--note",
        "my laptop",
    ]);
    assert_eq!(
        done(&env),
        [
            "prerequisites-1",
            "prerequisites-2",
            "safari-1",
            "safari-2",
            "safari-3"
        ]
    );
    let log = env.ok(&["log"]);
    assert!(
        log.contains("check prerequisites-1 prerequisites-2 safari-1 safari-2 safari-3"),
        "{log}"
    );
    env.ok(&["uncheck", "safari", "--all"]);
    assert_eq!(done(&env), ["prerequisites-1", "prerequisites-2"]);

    let before = env.refs();
    let err = env.fails(&["check", "chrome", "android", "--all"], 1);
    assert!(err.contains("no checklist section `android`"), "{err}");
    assert!(
        err.contains("sections: before-you-start, prerequisites, firefox, safari, chrome, api"),
        "{err}"
    );
    assert_eq!(env.refs(), before, "a refused check wrote something");
}

#[test]
fn a_shortened_id_names_the_one_item_it_begins() {
    let env = with_real_plan();
    env.ok(&["check", "prereq-2", "chrome-1", "before-you-start-2"]);
    assert_eq!(
        done(&env),
        ["before-you-start-2", "prerequisites-2", "chrome-1"]
    );
    let log = env.ok(&["log"]);
    assert!(
        log.contains("check prerequisites-2 chrome-1 before-you-start-2"),
        "{log}"
    );

    let before = env.refs();
    let err = env.fails(&["check", "saf", "api-1"], 1);
    assert!(
        err.contains("`saf` names several checklist items: safari-1, safari-2, safari-3"),
        "{err}"
    );
    let err = env.fails(&["check", "before-you-start-2", "chrom"], 1);
    assert!(
        err.contains("`chrom` names several checklist items: chrome-1, chrome-2"),
        "{err}"
    );
    let err = env.fails(&["check", "saf", "safar1"], 1);
    assert!(err.contains("no checklist item `safar1`"), "{err}");
    assert!(
        err.contains("`saf` names several: safari-1, safari-2, safari-3"),
        "{err}"
    );
    assert_eq!(env.refs(), before, "a refused check wrote something");
}

#[test]
fn checklist_open_lists_what_is_left() {
    let env = with_real_plan();
    env.ok(&[
        "check",
        "before-you-start",
        "prerequisites",
        "firefox",
        "safari",
        "--all",
    ]);
    env.ok(&["check", "chrome-2"]);
    assert_eq!(
        env.ok(&["checklist", "--open"]),
        "\
checklist of release 2026-11-20: 12/15 done
chrome
  [ ] chrome-1  The home page loads
api
  [ ] api-1  `/health` answers 200
  [ ] api-2  Error rate on the dashboard below 1%
"
    );
    let v = json(&env.ok(&["checklist", "--open", "--json"]));
    assert_eq!(v["done"], 12);
    assert_eq!(v["items"].as_array().unwrap().len(), 3, "{v}");
    env.ok(&["check", "chrome-1", "api-1", "api-2"]);
    let (code, out, err) = env.run(&["checklist", "--open"]);
    assert_eq!(code, 0);
    assert_eq!(out, "checklist of release 2026-11-20: 15/15 done\n");
    assert!(err.contains("Nothing is left open."), "{err}");
}

#[test]
fn untitled_steps_and_a_plan_heading_are_two_sections() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/verification.md\"\n",
    );
    env.write(
        "docs/verification.md",
        "1. Deploy to stage\n2. Tell QA\n\n## Plan\n\n1. Open the home page\n",
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    let text = env.ok(&["checklist"]);
    assert!(
        text.ends_with("plan\n  [ ] plan-1  Deploy to stage\n  [ ] plan-2  Tell QA\nplan-2\n  [ ] plan-2-1  Open the home page\n"),
        "{text}"
    );
}
