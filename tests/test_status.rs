use std::os::unix::fs::MetadataExt;

use crate::common::{TestEnv, json};

#[test]
fn status_shows_the_newest_release() {
    let env = TestEnv::new();
    env.git(&["tag", "2026-11-13"]);
    let target = env.commit("Add search");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["start", "--date", "2026-11-06", "HEAD~1"]);
    let text = env.ok(&["status"]);
    assert!(text.starts_with("release 2026-11-20\n"), "{text}");
    assert!(
        text.contains(&format!("target     {} Add search", &target[..7])),
        "{text}"
    );
    assert!(text.contains("previous   2026-11-13"), "{text}");
    assert!(text.contains("stage      started"), "{text}");
    assert!(text.contains("by Ada Lovelace <ada@example.com>"), "{text}");
    assert!(text.contains("sign-offs  (none)"), "{text}");

    let v = json(&env.ok(&["status", "--json"]));
    assert_eq!(v["name"], "2026-11-20");
    assert_eq!(v["target"], target.as_str());
    assert_eq!(v["tag"], "2026-11-20");
    assert_eq!(v["previous"], "2026-11-13");
    assert_eq!(v["events"], 1);
    assert_eq!(v["recorded"], true);
    assert_eq!(
        v["removed_events"],
        serde_json::json!([]),
        "an intact history"
    );

    let v = json(&env.ok(&["status", "--json", "-r", "2026-11-06"]));
    assert_eq!(v["name"], "2026-11-06");
    assert_eq!(v["previous"], serde_json::Value::Null);
}

#[test]
fn status_of_a_tag_from_before_the_tool() {
    let env = TestEnv::new();
    let old = env.git(&["rev-parse", "HEAD"]);
    env.git(&["tag", "-a", "-m", "old", "2025-01-07"]);
    env.commit("Later");
    env.ok(&["start", "--date", "2026-11-20"]);
    let v = json(&env.ok(&["status", "--json", "-r", "2025-01-07"]));
    assert_eq!(v["recorded"], false);
    assert_eq!(v["stage"], "tag only");
    assert_eq!(v["target"], old.as_str());
    let text = env.ok(&["status", "-r", "2025-01-07"]);
    assert!(text.contains("tag only"), "{text}");
    let v = json(&env.ok(&["status", "--json"]));
    assert_eq!(v["previous"], "2025-01-07");
}

#[test]
fn status_without_releases_says_what_to_do() {
    let env = TestEnv::new();
    let err = env.fails(&["status"], 1);
    assert!(err.contains("no release has been started"), "{err}");
    assert!(
        err.contains("hint: start one with `git release start`"),
        "{err}"
    );
    let err = env.fails(&["status", "-r", "2020-01-01"], 1);
    assert!(err.contains("no release named 2020-01-01"), "{err}");
}

#[test]
fn a_release_name_git_cannot_have_is_named_as_unknown() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    for (name, why) in [
        ("../x", "it starts with `.` or `-`"),
        ("a b", "it contains a space"),
        ("x.lock", "it ends with `.` or `.lock`"),
        ("a..b", "it contains `..`"),
    ] {
        for command in [
            &["status", "-r", name][..],
            &["log", "-r", name],
            &["comment", "-r", name, "hi"],
            &["notes", "-r", name],
        ] {
            let err = env.fails(command, 1);
            assert!(!err.contains("Validation"), "{command:?}: {err}");
            assert!(
                err.starts_with(&format!("error: no release named {name}\n")),
                "{command:?}: {err}"
            );
            assert!(
                err.contains(&format!("hint: `{name}` cannot be a release name: {why}")),
                "{command:?}: {err}"
            );
            assert!(
                err.contains("`git release list` shows the releases"),
                "{err}"
            );
        }
        let err = env.fails(&["start", "--from", name, "--pick", "HEAD"], 1);
        assert!(
            err.starts_with(&format!("error: no release or release tag named {name}\n")),
            "{err}"
        );
    }
}

#[test]
fn list_shows_recorded_releases_and_with_all_tag_only_ones_newest_first() {
    let env = TestEnv::new();
    for tag in ["2025-12-30", "junk", "2026-11-20-garbage"] {
        env.git(&["tag", tag]);
    }
    // An annotated tag: listed with the commit it peels to, not the tag object.
    env.git(&["tag", "-a", "-m", "Release 2026-1-6", "2026-1-6"]);
    env.commit("More");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["start", "--date", "2026-02-03"]);
    let first_words = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split_whitespace().next().unwrap().to_owned())
            .collect()
    };

    let text = env.ok(&["list"]);
    assert_eq!(
        first_words(&text),
        ["2026-11-20-1", "2026-11-20", "2026-02-03"]
    );
    assert!(text.lines().next().unwrap().ends_with("started"), "{text}");

    let text = env.ok(&["list", "--all"]);
    assert_eq!(
        first_words(&text),
        [
            "2026-11-20-1",
            "2026-11-20",
            "2026-02-03",
            "2026-1-6",
            "2025-12-30"
        ]
    );
    assert!(text.lines().nth(3).unwrap().ends_with("tag only"), "{text}");
    // The tag-only release shows the commit its tag points at.
    let tagged = env.git(&["rev-parse", "2026-1-6^{commit}"]);
    assert_ne!(tagged, env.git(&["rev-parse", "refs/tags/2026-1-6"]));
    assert!(
        text.lines().nth(3).unwrap().contains(&tagged[..7]),
        "{text}"
    );

    let v = json(&env.ok(&["list", "--json"]));
    assert_eq!(v.as_array().unwrap().len(), 3);
    let v = json(&env.ok(&["list", "--all", "--json"]));
    let entries = v.as_array().unwrap();
    assert_eq!(entries.len(), 5);
    assert_eq!(entries[0]["name"], "2026-11-20-1");
    assert_eq!(entries[0]["state"], "started");
    assert_eq!(entries[3]["target"], tagged.as_str());
    assert_eq!(entries[4]["state"], "tag only");
    assert_eq!(entries[4]["created"], serde_json::Value::Null);
}

#[test]
fn list_without_recorded_releases_points_to_the_tags() {
    let env = TestEnv::new();
    env.git(&["tag", "2025-12-30"]);
    let (code, out, err) = env.run(&["list"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(err.contains("git release list --all"), "{err}");
    assert!(env.ok(&["list", "--all"]).contains("2025-12-30"));
}

#[test]
fn list_in_a_repository_without_releases_is_empty() {
    let env = TestEnv::new();
    assert_eq!(env.ok(&["list"]), "");
    assert_eq!(json(&env.ok(&["list", "--json"])), serde_json::json!([]));
}

#[test]
fn list_follows_new_events_through_its_cache() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[environments]]\nname = \"stage\"\n",
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    // The JSON cache older versions wrote goes when the new one is written.
    let old_cache = env.repo.join(".git/release-list-cache.json");
    std::fs::write(&old_cache, "{}").unwrap();
    assert!(env.ok(&["list"]).contains("started"));
    assert!(!old_cache.exists());
    let cache = env.repo.join(".git/release-list-cache");
    let head = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    let written = std::fs::read_to_string(&cache).unwrap();
    assert!(written.contains(head.trim()), "{written}");
    env.ok(&["deploy", "stage"]);
    let list = env.ok(&["list"]);
    assert!(list.contains("deployed to stage"), "{list}");

    // A cache that lies is not believed: it is keyed by the commit the release points at.
    let head = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    let lie = std::fs::read_to_string(&cache)
        .unwrap()
        .replace(head.trim(), &"0".repeat(40))
        .replace("deployed to stage", "finished");
    assert!(lie.contains("finished"), "{lie}");
    std::fs::write(&cache, lie).unwrap();
    let list = env.ok(&["list"]);
    assert!(list.contains("deployed to stage"), "{list}");
    // It is read: a line for the release's current commit is believed (which is why it is
    // keyed by that commit, and local).
    let believed = std::fs::read_to_string(&cache)
        .unwrap()
        .replace("deployed to stage", "believed");
    std::fs::write(&cache, believed).unwrap();
    let list = env.ok(&["list"]);
    assert!(list.contains("believed"), "{list}");
    // Nor is one that cannot be read; either way it is made again.
    std::fs::write(&cache, "not a cache").unwrap();
    assert!(env.ok(&["list"]).contains("deployed to stage"));
    assert!(
        std::fs::read_to_string(&cache)
            .unwrap()
            .contains(head.trim())
    );
}

/// A fold cache entry with its checksum line made for its (edited) state, as git-release
/// writes it: std's `DefaultHasher` of the state, and its length.
fn with_checksum(entry: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut lines: Vec<&str> = entry.splitn(4, '\n').collect();
    let state = lines[3];
    let mut hasher = std::hash::DefaultHasher::new();
    state.hash(&mut hasher);
    let sum = format!("{:016x} {}", hasher.finish(), state.len());
    lines[2] = &sum;
    lines.join("\n")
}

/// An entry is written over in place, so a link put where it was is not followed: the file
/// it points to stays as it was, and the entry is written beside, as a file of its own.
#[test]
fn a_link_in_the_fold_cache_is_not_written_through() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let cache = env.repo.join(".git/release-fold-cache/2026-11-20");
    let outside = env.repo.join("outside.txt");
    std::fs::write(&outside, "keep me\n").unwrap();
    env.ok(&["status"]);
    std::fs::remove_file(&cache).unwrap();
    std::os::unix::fs::symlink(&outside, &cache).unwrap();
    env.ok(&["comment", "one"]);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "keep me\n");
    assert!(
        std::fs::symlink_metadata(&cache)
            .unwrap()
            .file_type()
            .is_file()
    );
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 2);
}

#[test]
fn the_fold_is_remembered_for_its_commit_only_and_never_under_replace_refs() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["comment", "one"]);
    let cache = env.repo.join(".git/release-fold-cache/2026-11-20");
    let head = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    let written = std::fs::read_to_string(&cache).unwrap();
    assert!(written.contains(head.trim()), "{written}");
    let cold = env.ok(&["status", "--json"]);
    assert_eq!(json(&cold)["events"], 2);

    // What the cache says is what this tool folded at that commit: believed for it, when
    // whole (its checksum holds)...
    let lie = with_checksum(&written.replace("events = 2", "events = 99"));
    assert_ne!(lie, written);
    std::fs::write(&cache, &lie).unwrap();
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 99);
    // ...and not when torn (entries are written over in place): made again, in place.
    let torn = &lie[..lie.len() - 20];
    std::fs::write(&cache, torn).unwrap();
    let inode = std::fs::metadata(&cache).unwrap().ino();
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 2);
    assert_eq!(std::fs::read_to_string(&cache).unwrap(), written);
    assert_eq!(
        std::fs::metadata(&cache).unwrap().ino(),
        inode,
        "written over in place"
    );
    std::fs::write(&cache, &lie).unwrap();
    // ...but not while refs/replace/ could make the same commit id mean other objects.
    let initial = env.git(&["rev-parse", "HEAD"]);
    env.git(&["update-ref", &format!("refs/replace/{initial}"), &initial]);
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 2);
    env.git(&["update-ref", "-d", &format!("refs/replace/{initial}")]);
    std::fs::write(&cache, &written).unwrap();

    // A new event is a new commit: folded again, the entry replaced.
    env.ok(&["comment", "two"]);
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 3);
    // A cache that cannot be read is as good as none, and is made again.
    std::fs::write(&cache, "not a cache").unwrap();
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 3);
    assert!(
        std::fs::read_to_string(&cache)
            .unwrap()
            .contains("events = 3")
    );
    // Without the directory (a read-only repository, or deleted): the same answer.
    std::fs::remove_dir_all(env.repo.join(".git/release-fold-cache")).unwrap();
    assert_eq!(json(&env.ok(&["status", "--json"]))["events"], 3);
    env.ok(&["fsck"]);
    env.fsck();
}

/// `status` reads no pack once it has run: the subject of the released commit is remembered
/// beside the fold, for that commit id only, and never under `refs/replace/`.
#[test]
fn the_target_subject_is_remembered_for_its_commit_only() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let target = env.git(&["rev-parse", "HEAD"]);
    let subject = env.git(&["log", "-1", "--format=%s", "HEAD"]);
    let shown = |env: &TestEnv| json(&env.ok(&["status", "--json"]))["target_subject"].clone();
    assert_eq!(shown(&env), subject.as_str());
    let cache = env.repo.join(".git/release-fold-cache/2026-11-20~subject");
    let written = std::fs::read_to_string(&cache).unwrap();
    assert!(
        written.ends_with(&format!("\n{target}\n{subject}\n")),
        "{written}"
    );

    // Believed for that commit (as the fold is)...
    std::fs::write(&cache, written.replace(&subject, "remembered")).unwrap();
    assert_eq!(shown(&env), "remembered");
    // ...not for another one, nor while refs/replace/ could change what the id shows.
    let other = "0".repeat(40);
    std::fs::write(
        &cache,
        written.replace(&target, &other).replace(&subject, "stale"),
    )
    .unwrap();
    assert_eq!(shown(&env), subject.as_str());
    std::fs::write(&cache, written.replace(&subject, "remembered")).unwrap();
    env.git(&["update-ref", &format!("refs/replace/{target}"), &target]);
    assert_eq!(shown(&env), subject.as_str());
    env.git(&["update-ref", "-d", &format!("refs/replace/{target}")]);
    // A broken entry is made again.
    std::fs::write(&cache, "not a cache").unwrap();
    assert_eq!(shown(&env), subject.as_str());
    assert_eq!(std::fs::read_to_string(&cache).unwrap(), written);
}

#[test]
fn a_forged_release_toml_does_not_open_a_gate() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[environments]]\nname = \"production\"\nrequires = { signoffs = [\"qa\"] }\n\n[roles.qa]\n",
    );
    env.commit_all("Release config");
    env.ok(&["start", "--date", "2026-11-20"]);
    // A teammate with push access commits, with plain git, the release.toml a sign-off would
    // have made, without the sign-off's event.
    let refname = "refs/release/2026-11-20";
    let unsigned = env.git(&["rev-parse", refname]);
    env.ok(&["signoff", "qa"]);
    let forged = env.git(&["cat-file", "-p", &format!("{refname}:release.toml")]) + "\n";
    env.git(&["update-ref", refname, &unsigned]);
    let blob = env.git_hash_object(&forged);
    let top = env.git(&["ls-tree", &format!("{refname}^{{tree}}")]);
    let kept: Vec<&str> = top
        .lines()
        .filter(|l| !l.ends_with("\trelease.toml"))
        .collect();
    let tree = env.mktree(&format!(
        "{}\n100644 blob {blob}\trelease.toml\n",
        kept.join("\n")
    ));
    let commit = env.git(&["commit-tree", &tree, "-p", refname, "-m", "signoff qa"]);
    env.git(&["update-ref", refname, &commit]);
    let (code, _, err) = env.run(&["deploy", "production"]);
    assert_ne!(code, 0, "{err}");
    assert!(
        err.contains("release.toml does not match its events"),
        "{err}"
    );
    let status = env.ok(&["status", "--json"]);
    assert!(!status.contains("\"qa\""), "{status}");
    assert_eq!(
        env.git(&["rev-parse", refname]),
        commit,
        "nothing was recorded"
    );
}
