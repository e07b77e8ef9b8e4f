use crate::common::{TestEnv, json};

const LINKS: &str = r##"
[[links]]
pattern = "#(\\d+)"
url = "https://github.com/acme/shop/pull/{1}"

[[links]]
pattern = "(?i)bug (\\d+)"
url = "https://bugzilla.example.com/show_bug.cgi?id={1}"
"##;

/// main: Initial — [tag 2026-11-13] — Fix checkout (bug 1234) — merge of PR #932 (two commits).
fn history() -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", LINKS);
    env.commit_all("Release config");
    env.git(&["tag", "2026-11-13"]);
    env.commit("Fix checkout, bug 1234");
    env.git(&["checkout", "-q", "-b", "dark"]);
    env.commit("Dark mode toggle");
    env.commit("Dark mode colors");
    env.git(&["checkout", "-q", "main"]);
    env.merge_no_ff(
        "dark",
        &["Merge pull request #932 from acme/dark", "Add dark mode"],
    );
    env.git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    env
}

#[test]
fn notes_fold_merges_and_link_patterns() {
    let env = history();
    env.ok(&["start", "--date", "2026-11-20"]);
    let v = json(&env.ok(&["notes", "--format", "json"]));
    assert_eq!(v["previous"], "2026-11-13");
    assert_eq!(v["count"], 4);
    assert_eq!(
        v["compare_url"],
        "https://github.com/acme/shop/compare/2026-11-13...2026-11-20"
    );
    let entries = v["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{v}");
    assert_eq!(entries[0]["subject"], "Add dark mode (#932)");
    assert_eq!(entries[0]["pr"], "#932");
    assert_eq!(
        entries[0]["links"][0]["url"],
        "https://github.com/acme/shop/pull/932"
    );
    let children: Vec<&str> = entries[0]["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["Dark mode colors", "Dark mode toggle"]);
    assert_eq!(
        entries[1]["links"][0]["url"],
        "https://bugzilla.example.com/show_bug.cgi?id=1234"
    );
    assert_eq!(v["dropped"], serde_json::json!([]));

    // The commits git itself lists for the range, and no others.
    let mut listed: Vec<String> = vec![
        entries[0]["id"].as_str().unwrap().to_owned(),
        entries[1]["id"].as_str().unwrap().to_owned(),
    ];
    listed.extend(
        entries[0]["children"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_owned()),
    );
    listed.sort();
    let mut git: Vec<String> = env
        .git(&["log", "--format=%H", "2026-11-13..2026-11-20"])
        .lines()
        .map(String::from)
        .collect();
    git.sort();
    assert_eq!(listed, git);

    let md = env.ok(&["notes"]);
    assert!(md.starts_with("## 2026-11-20\n"), "{md}");
    assert!(
        md.contains("- Add dark mode ([#932](https://github.com/acme/shop/pull/932))"),
        "{md}"
    );
    assert!(md.contains("  - Dark mode colors"), "{md}");
    assert!(
        md.contains("Compare: https://github.com/acme/shop/compare/2026-11-13...2026-11-20"),
        "{md}"
    );
    let text = env.ok(&["notes", "--format", "text"]);
    assert!(
        text.starts_with(
            "release 2026-11-20: 4 commits (3 without merges; 1 pull request) by 1 author since 2026-11-13\n"
        ),
        "{text}"
    );

    // The tag message is the rendered notes.
    let tag = env.git(&["tag", "-l", "--format=%(contents)", "2026-11-20"]);
    assert!(tag.contains("Add dark mode (#932)"), "{tag}");
    assert!(tag.contains("    - "), "{tag}");
    assert!(
        tag.contains("https://github.com/acme/shop/compare/2026-11-13...2026-11-20"),
        "{tag}"
    );
}

#[test]
fn a_cherry_pick_release_lists_what_it_dropped() {
    let env = history();
    env.ok(&["start", "--date", "2026-11-20"]);
    // The next release is cut from the old tag plus one fix: the dark mode work is dropped.
    env.git(&["checkout", "-q", "-b", "hotfix", "2026-11-13"]);
    env.commit("Fix login, bug 77");
    env.ok(&["start", "--date", "2026-11-21"]);
    let v = json(&env.ok(&["notes", "--format", "json"]));
    assert_eq!(v["previous"], "2026-11-20");
    let subjects: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["Fix login, bug 77"]);
    assert_eq!(
        dropped(&v),
        ["Add dark mode (#932)", "Fix checkout, bug 1234"]
    );
    assert_eq!(
        env.git(&["rev-list", "--count", "2026-11-21..2026-11-20"]),
        "4"
    );
    let md = env.ok(&["notes"]);
    assert!(
        md.contains("### In 2026-11-20 but not in 2026-11-21"),
        "{md}"
    );
}

/// Release 2026-11-20 of `history()`, then a fix on master that goes out at once as the
/// cherry-pick release 2026-11-21.
fn a_pick_release() -> TestEnv {
    let env = history();
    env.ok(&["start", "--date", "2026-11-20"]);
    let fix = env.commit("Fix login, bug 77");
    let pick = ["--from", "2026-11-20", "--pick", &fix];
    env.ok(&[&["start", "--date", "2026-11-21"][..], &pick].concat());
    env
}

/// The subjects of the `dropped` entries of `notes --format json`.
fn dropped(notes: &serde_json::Value) -> Vec<&str> {
    let entries = notes["dropped"].as_array().unwrap();
    entries
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect()
}

#[test]
fn a_pick_whose_original_is_in_the_release_is_not_dropped() {
    let env = a_pick_release();
    // The next release from master has the original.
    let left = env.commit("Still only on master");
    env.git(&["revert", "--no-edit", &left]);
    env.ok(&["start", "--date", "2026-11-27"]);
    let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-11-27"]));
    assert_eq!(v["previous"], "2026-11-21");
    assert!(dropped(&v).is_empty(), "{v}");
    // git agrees that the pick itself is not in 2026-11-27, only its original is.
    assert_eq!(
        env.git(&["rev-list", "--count", "2026-11-27..2026-11-21"]),
        "1"
    );
}

#[test]
fn a_pick_whose_original_is_not_in_the_release_is_dropped() {
    let env = a_pick_release();
    // The next one is cut from a branch of 2026-11-20 without the fix: the pick is gone.
    env.git(&["checkout", "-q", "-b", "other", "2026-11-20"]);
    env.write("search.txt", "fixed\n");
    env.commit_all("Fix search");
    env.ok(&["start", "--date", "2026-11-22"]);
    let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-11-22"]));
    assert_eq!(v["previous"], "2026-11-21");
    assert_eq!(dropped(&v), ["Fix login, bug 77"], "{v}");
}

#[test]
fn first_release_and_tag_only_notes() {
    let env = history();
    // A tag from before the tool has notes too.
    env.git(&["tag", "2026-11-19"]);
    let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-11-19"]));
    assert_eq!(v["previous"], "2026-11-13");
    assert_eq!(v["count"], 4);
    let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-11-13"]));
    assert_eq!(v["previous"], serde_json::Value::Null);
    assert_eq!(v["count"], 2);
    assert_eq!(v["compare_url"], serde_json::Value::Null);
    // Their Markdown says what the built-in template says of a recorded release.
    let md = env.ok(&["notes", "-r", "2026-11-13"]);
    assert!(
        md.starts_with("## 2026-11-13\n\nFirst release: 2 commits.\n\n- "),
        "{md}"
    );
    let md = env.ok(&["notes", "-r", "2026-11-19"]);
    assert!(
        md.starts_with(
            "## 2026-11-19\n\n4 commits (3 without merges; 1 pull request) by 1 author since 2026-11-13.\n\
             Compare: https://github.com/acme/shop/compare/2026-11-13...2026-11-19\n\n- "
        ),
        "{md}"
    );
    let err = env.fails(&["notes", "-r", "2020-01-01"], 1);
    assert!(
        err.contains("no release or release tag named 2020-01-01"),
        "{err}"
    );
}

#[test]
fn compare_links_follow_the_remote() {
    let env = history();
    env.git(&[
        "remote",
        "set-url",
        "origin",
        "https://gitlab.com/acme/web/shop.git",
    ]);
    env.git(&[
        "remote",
        "add",
        "mirror",
        "ssh://git@bitbucket.org/acme/shop.git",
    ]);
    env.ok(&["start", "--date", "2026-11-20"]);
    let v = json(&env.ok(&["notes", "--format", "json"]));
    assert_eq!(
        v["compare_url"],
        "https://gitlab.com/acme/web/shop/-/compare/2026-11-13...2026-11-20"
    );
    let v = json(&env.ok(&["notes", "--format", "json", "--remote", "mirror"]));
    assert_eq!(
        v["compare_url"],
        "https://bitbucket.org/acme/shop/branches/compare/2026-11-20%0D2026-11-13"
    );
    // A remote named that is not there is a mistake, not a page without a link.
    let err = env.fails(&["notes", "--remote", "mirorr"], 1);
    assert!(err.contains("there is no remote named mirorr"), "{err}");
    env.git(&[
        "remote",
        "set-url",
        "origin",
        "git@git.example.com:acme/shop.git",
    ]);
    let v = json(&env.ok(&["notes", "--format", "json"]));
    assert_eq!(v["compare_url"], serde_json::Value::Null);
    env.ok(&[
        "config",
        "set",
        "release.compare_url",
        "https://{host}/{repo}/compare/{previous}..{release}",
    ]);
    let v = json(&env.ok(&["notes", "--format", "json"]));
    assert_eq!(
        v["compare_url"],
        "https://git.example.com/acme/shop/compare/2026-11-13..2026-11-20"
    );
}

#[test]
fn long_ranges_list_exactly_what_git_log_lists() {
    // Without a commit-graph (a fresh clone), each commit is read once by the walk; with one,
    // the walk reads the graph and a range this long has its messages read on several
    // threads, so the order they are put back in is tested too.
    let env = TestEnv::new();
    let mut stream = String::new();
    for i in 1..=5000 {
        let msg = format!("Change {i}");
        stream.push_str(&format!(
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{msg}\n",
            1_800_000_000 + i * 60,
            msg.len()
        ));
        if i == 1 {
            stream.push_str("from refs/heads/main^0\n");
        }
        let line = format!("line {i}\n");
        stream.push_str(&format!(
            "M 644 inline f{}.txt\ndata {}\n{line}\n",
            i % 10,
            line.len()
        ));
    }
    env.git_stdin(&["fast-import", "--quiet"], &stream);
    env.git(&["tag", "2026-01-06", "main~5000"]);
    env.git(&["tag", "2026-06-02", "main"]);
    let log = env.git(&["log", "--format=%H %s", "2026-01-06..2026-06-02"]);
    let git: Vec<&str> = log.lines().collect();
    for graph in [false, true] {
        if graph {
            env.git(&["commit-graph", "write", "--reachable"]);
        }
        let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-06-02"]));
        let ours: Vec<String> = v["entries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["id"].as_str().unwrap(),
                    e["subject"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(ours.len(), 5000);
        // Each commit with its own subject: the messages are decoded apart from the walk.
        assert_eq!(
            ours, git,
            "same commits, same order, same subjects as git log (graph: {graph})"
        );
        assert_eq!(v["entries"][0]["subject"], "Change 5000");
    }
}

#[test]
fn notes_of_an_old_tag_count_from_the_tag_before_it_however_spelled() {
    let env = crate::test_start::ten_year_old_repository();
    let (code, out, err) = env.run(&["notes", "-r", "2019.03.19", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v = json(&out);
    // `2019-03-05` (dashes, in a `%Y.%m.%d` repository) is the release before.
    assert_eq!(v["previous"], "2019-03-05");
    assert_eq!(
        v["count"].as_u64().unwrap().to_string(),
        env.git(&["rev-list", "--count", "2019-03-05..2019.03.19"])
    );
    assert!(
        err.contains(
            "note: 2019-03-05 counts as 2019.03.05 (another separator where `%Y.%m.%d` has none)"
        ),
        "{err}"
    );
    assert!(err.contains("note: ignored 2 tags as releases"), "{err}");
}

/// The commits of `A...B` that git marks as the same patch as one on the other side, and
/// those it does not: `git log --cherry-mark --right-only` (`=` and `+`).
fn cherry_marks(env: &TestEnv, range: &str) -> (Vec<String>, Vec<String>) {
    let log = env.git(&[
        "log",
        "--cherry-mark",
        "--right-only",
        "--no-merges",
        "--format=%m %H",
        range,
    ]);
    let mut same = Vec::new();
    let mut other = Vec::new();
    for line in log.lines() {
        let (mark, id) = line.split_once(' ').unwrap();
        match mark {
            "=" => same.push(id.to_owned()),
            _ => other.push(id.to_owned()),
        }
    }
    same.sort();
    other.sort();
    (same, other)
}

fn ids<'a>(entries: &'a serde_json::Value, key: &str) -> Vec<&'a str> {
    let mut ids: Vec<&str> = entries[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    ids.sort();
    ids
}

#[test]
fn commits_picked_again_are_neither_new_nor_dropped() {
    let env = TestEnv::new();
    env.git(&["tag", "2026-11-13"]);
    // Eight changes on main, each to its own file; one is a binary file, one a mode change.
    let mut main = Vec::new();
    for i in 1..=8 {
        match i {
            5 => std::fs::write(env.repo.join("logo.png"), b"\x89PNG\0\x01\x02").unwrap(),
            7 => {}
            _ => env.write(&format!("f{i}.txt"), &format!("change {i}\n  indented\n")),
        }
        env.git(&["add", "-A"]);
        if i == 7 {
            env.git(&["update-index", "--chmod=+x", "file.txt"]);
        }
        env.git_at_next_time(&["commit", "-q", "-m", &format!("Change {i}")]);
        main.push(env.git(&["rev-parse", "HEAD"]));
    }
    env.ok(&["start", "--date", "2026-11-20"]);
    // The next release starts again from the tag before and takes three of them, picked
    // without `-x` (no trailer names the original), one of them reworded.
    env.git(&["checkout", "-q", "-b", "fixes", "2026-11-13"]);
    for i in [2, 5, 7] {
        env.git_at_next_time(&["cherry-pick", &main[i - 1]]);
    }
    env.git_at_next_time(&["commit", "-q", "--amend", "-m", "Change 7, reworded"]);
    env.ok(&["start", "--date", "2026-11-21"]);

    let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-11-21"]));
    assert_eq!(v["previous"], "2026-11-20");
    assert_eq!(v["count"], 0, "{v}");
    assert_eq!(v["entries"], serde_json::json!([]));
    assert_eq!(v["repicked"].as_array().unwrap().len(), 3, "{v}");
    assert_eq!(v["dropped"].as_array().unwrap().len(), 5, "{v}");
    // git agrees on both sides of the range.
    let (same, other) = cherry_marks(&env, "2026-11-20...2026-11-21");
    assert_eq!(ids(&v, "repicked"), same);
    assert!(other.is_empty(), "{other:?}");
    let (same_left, dropped) = cherry_marks(&env, "2026-11-21...2026-11-20");
    assert_eq!(same_left.len(), 3);
    assert_eq!(ids(&v, "dropped"), dropped);
    // Each re-pick names the commit it repeats.
    for r in v["repicked"].as_array().unwrap() {
        let was = r["was"].as_str().unwrap();
        assert!(same_left.iter().any(|s| s == was), "{r}");
    }
    let md = env.ok(&["notes", "-r", "2026-11-21"]);
    assert!(
        md.contains("0 commits by 0 authors since 2026-11-20, and 3 re-picked."),
        "{md}"
    );
    assert!(md.contains("### Picked again from 2026-11-20"), "{md}");
    assert!(md.contains("- Change 7, reworded ("), "{md}");
    let tag = env.git(&["tag", "-l", "--format=%(contents)", "2026-11-21"]);
    assert!(tag.contains("Picked again from 2026-11-20:"), "{tag}");
    assert!(tag.contains("Dropped since 2026-11-20:"), "{tag}");
    assert!(!tag.contains("No changes"), "{tag}");

    // A pick changed on the way is a different patch: new, and its original dropped.
    env.git(&["checkout", "-q", "-b", "fixes2", "2026-11-13"]);
    env.git_at_next_time(&["cherry-pick", &main[0]]);
    env.write("f1.txt", "change 1, adapted\n  indented\n");
    env.git(&["add", "-A"]);
    env.git_at_next_time(&["commit", "-q", "--amend", "--no-edit"]);
    env.ok(&["start", "--date", "2026-11-22"]);
    let v = json(&env.ok(&["notes", "--format", "json", "-r", "2026-11-22"]));
    assert_eq!(v["previous"], "2026-11-21");
    let (same, other) = cherry_marks(&env, "2026-11-21...2026-11-22");
    assert!(same.is_empty());
    assert_eq!(ids(&v, "entries"), other);
}

#[test]
fn groups_fold_a_class_of_commits_into_one_line() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        r#"
[[notes.groups]]
name = "localization updates (Pontoon)"
author = "<pontoon@example\\.com>$"

[[notes.groups]]
name = "dependency updates"
subject = "^Bump "
"#,
    );
    env.commit_all("Release config");
    env.git(&["tag", "2026-11-13"]);
    for lang in ["fr", "de", "it"] {
        env.write(&format!("locale/{lang}.ftl"), "hello = ...\n");
        env.git(&["add", "-A"]);
        env.git_at_next_time(&[
            "commit",
            "-q",
            "--author=Pontoon <pontoon@example.com>",
            "-m",
            &format!("Pontoon: Update {lang} localization"),
        ]);
    }
    for (n, dep) in [(40, "lodash"), (41, "react")] {
        env.git(&["checkout", "-q", "-b", dep]);
        env.write(&format!("{dep}.lock"), "2\n");
        env.git(&["add", "-A"]);
        env.git_at_next_time(&[
            "commit",
            "-q",
            "--author=dependabot[bot] <support@github.com>",
            "-m",
            &format!("Bump {dep} from 1 to 2"),
        ]);
        env.git(&["checkout", "-q", "main"]);
        env.merge_no_ff(
            dep,
            &[
                &format!("Merge pull request #{n} from acme/dependabot/{dep}"),
                &format!("Bump {dep} from 1 to 2"),
            ],
        );
    }
    env.commit("Fix the cart");
    env.ok(&["start", "--date", "2026-11-20"]);
    let v = json(&env.ok(&["notes", "--format", "json"]));
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{v}");
    assert_eq!(groups[0]["name"], "localization updates (Pontoon)");
    assert_eq!(groups[0]["count"], 3);
    assert_eq!(groups[1]["count"], 2);
    assert_eq!(groups[1]["commits"], 4);
    let subjects: Vec<&str> = v["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["subject"].as_str().unwrap())
        .collect();
    assert_eq!(subjects, ["Fix the cart"]);
    // The counts are git's: all commits, those without merges, and the pull requests.
    let count = env.git(&["rev-list", "--count", "2026-11-13..2026-11-20"]);
    let plain = env.git(&[
        "rev-list",
        "--count",
        "--no-merges",
        "2026-11-13..2026-11-20",
    ]);
    assert_eq!(v["count"].to_string(), count);
    assert_eq!((count.as_str(), plain.as_str()), ("8", "6"));
    assert_eq!(v["merges"], 2);
    assert_eq!(v["pull_requests"], 2);
    assert_eq!(
        v["count_label"],
        "8 commits (6 without merges; 2 pull requests)"
    );
    let md = env.ok(&["notes"]);
    assert!(
        md.contains("\n- 3 localization updates (Pontoon)\n"),
        "{md}"
    );
    assert!(md.contains("\n- 2 dependency updates\n"), "{md}");
    assert!(!md.contains("Pontoon: Update"), "{md}");
    let text = env.ok(&["notes", "--format", "text"]);
    assert!(
        text.contains("\n3 localization updates (Pontoon)\n"),
        "{text}"
    );
    let tag = env.git(&["tag", "-l", "--format=%(contents)", "2026-11-20"]);
    assert!(tag.contains("- 3 localization updates (Pontoon)"), "{tag}");
    assert!(tag.contains("- 2 dependency updates"), "{tag}");
    assert!(!tag.contains("Bump lodash"), "{tag}");
    // The pad's summary line and the mails (which include the notes) have them too.
    let pad = env.ok(&["render", "push-pad"]);
    assert!(
        pad.contains(
            "What: 8 commits (6 without merges; 2 pull requests); 3 localization updates (Pontoon); 2 dependency updates\n"
        ),
        "{pad}"
    );
    let mail = env.ok(&["render", "stage-test-mail"]);
    assert!(
        mail.contains("- 3 localization updates (Pontoon)"),
        "{mail}"
    );

    // A group with no pattern would take everything: refused where it is written.
    env.write(
        ".release/config.toml",
        "[[notes.groups]]\nname = \"everything\"\n",
    );
    let err = env.fails(&["notes"], 1);
    assert!(err.contains("config.toml:2:"), "{err}");
    assert!(err.contains("no `author` or `subject` pattern"), "{err}");
}
