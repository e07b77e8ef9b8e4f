//! Sharing releases through a bare remote: three clones, concurrent writers, every order.

use std::sync::Barrier;

use crate::common::TestEnv;

const CONFIG: &str = "[roles.qa]\n[roles.eng]\n\n[checklist]\nfile = \"plan.md\"\n";

/// A bare remote and three clones of it, each holding release 2026-11-20.
fn clones() -> (TestEnv, Vec<TestEnv>) {
    let origin = TestEnv::new();
    let mut plan = String::from("## Steps\n");
    for i in 1..=30 {
        plan.push_str(&format!("{i}. step {i}\n"));
    }
    origin.write("plan.md", &plan);
    origin.write(".release/config.toml", CONFIG);
    origin.commit_all("Release process");
    let bare = origin.root.join("remote.git");
    origin.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    origin.git(&["remote", "add", "origin", bare.to_str().unwrap()]);
    origin.ok(&["start", "--date", "2026-11-20"]);
    origin.ok(&["sync"]);
    let clones: Vec<TestEnv> = (0..3)
        .map(|_| {
            let env = TestEnv::empty();
            std::fs::remove_dir_all(&env.repo).unwrap();
            env.git_in_root(&["clone", "-q", bare.to_str().unwrap(), "repo"]);
            env.ok(&["sync"]);
            env
        })
        .collect();
    (origin, clones)
}

/// Writes a script (a hook, a stand-in for a git program) that can be run.
fn executable(path: &std::path::Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn state(env: &TestEnv) -> String {
    env.git(&["cat-file", "-p", "refs/release/2026-11-20:release.toml"])
}

fn event_files(env: &TestEnv) -> Vec<String> {
    env.git(&["ls-tree", "--name-only", "refs/release/2026-11-20:events"])
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn three_clones_converge_in_any_order() {
    for order in [[0, 1, 2, 0, 1], [2, 1, 0, 2, 1], [1, 0, 2, 1, 0]] {
        let (_origin, clones) = clones();
        // 30 events in each clone, all three writing at once.
        let barrier = Barrier::new(3);
        std::thread::scope(|s| {
            for (n, env) in clones.iter().enumerate() {
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    for i in 0..10 {
                        env.ok(&["comment", &format!("clone {n} note {i}")]);
                        env.ok(&["check", &format!("steps-{}", n * 10 + i + 1)]);
                        // Sign, then revoke: every one of them is an event.
                        let who = (format!("Clone {n}"), format!("c{n}@example.com"));
                        let args: &[&str] = if i % 2 == 0 {
                            &["signoff", "qa"]
                        } else {
                            &["signoff", "qa", "--revoke"]
                        };
                        env.ok_as((&who.0, &who.1), args);
                    }
                });
            }
        });
        for &n in &order {
            clones[n].ok(&["sync"]);
        }
        let first = state(&clones[0]);
        assert!(first.contains("events = 91"), "{first}");
        assert!(first.contains("comments = 30"), "{first}");
        for env in &clones {
            assert_eq!(state(env), first, "order {order:?}");
            assert_eq!(event_files(env).len(), 91);
            assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (91 events)\n");
            env.fsck();
        }
        let log = clones[2].ok(&["checklist", "--json"]);
        assert!(log.contains("\"done\": 30"), "{log}");
    }
}

/// Makes `a`'s next push first run `args` in `b` and sync `b`: the remote moves under `a`.
fn race_on_push(a: &TestEnv, b: &TestEnv, args: &str) {
    let hook = a.repo.join(".git/hooks/pre-push");
    let bin = assert_cmd::cargo::cargo_bin("git-release");
    executable(
        &hook,
        &format!(
            "#!/bin/sh\n[ -f \"$GIT_DIR/raced\" ] && exit 0\ntouch \"$GIT_DIR/raced\"\ncd '{}' && env -u GIT_DIR '{}' {args} >/dev/null 2>&1 && env -u GIT_DIR '{}' sync >/dev/null 2>&1\nexit 0\n",
            b.repo.display(),
            bin.display(),
            bin.display()
        ),
    );
}

#[test]
fn a_push_race_is_merged_and_retried() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    // Just before a pushes, b records an event and syncs: the remote moves under a.
    race_on_push(a, b, "comment 'from b, during the race'");
    a.ok(&["comment", "from a"]);
    let (code, out, err) = a.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("moved while we pushed"), "{err}");
    assert!(out.contains("2026-11-20: "), "{out}");
    b.ok(&["sync"]);
    for env in [a, b] {
        let log = env.ok(&["log"]);
        assert!(log.contains("comment: from a"), "{log}");
        assert!(log.contains("comment: from b, during the race"), "{log}");
    }
    assert_eq!(state(a), state(b));
}

#[test]
fn a_release_we_did_not_push_moving_meanwhile_is_no_race() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    a.ok(&["start", "--date", "2026-11-27", "--no-tag"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    // a has something to push on 2026-11-27; while it pushes, b moves 2026-11-20 on the
    // remote, which a had nothing to push for.
    race_on_push(a, b, "comment -r 2026-11-20 'from b, meanwhile'");
    a.ok(&["comment", "-r", "2026-11-27", "from a"]);
    let (code, out, err) = a.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !err.contains("moved while we pushed"),
        "one round is enough: {err}"
    );
    assert_eq!(out, "2026-11-27: pushed\n");
    // The next sync takes what b did.
    let out = a.ok(&["sync"]);
    assert_eq!(out, "2026-11-20: +1 event from origin\n");
    assert!(
        a.ok(&["log", "-r", "2026-11-20"])
            .contains("comment: from b, meanwhile")
    );
    b.ok(&["sync"]);
    assert!(
        b.ok(&["log", "-r", "2026-11-27"])
            .contains("comment: from a")
    );
}

#[test]
fn an_unreachable_remote_changes_nothing() {
    let (_origin, clones) = clones();
    let env = &clones[0];
    env.ok(&["comment", "offline work"]);
    env.git(&["remote", "set-url", "origin", "/nonexistent/remote.git"]);
    let before = env.snapshot();
    let err = env.fails(&["sync"], 1);
    assert!(err.contains("cannot fetch from origin"), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(env.snapshot(), before);
    let err = env.fails(&["sync", "upstream"], 1);
    assert!(err.contains("there is no remote named upstream"), "{err}");
}

#[test]
fn dry_run_and_plain_git() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    a.ok(&["comment", "a"]);
    b.ok(&["comment", "b"]);
    a.ok(&["sync"]);
    let before = b.refs();
    let out = b.ok(&["sync", "--dry-run"]);
    assert_eq!(
        out,
        "2026-11-20: diverged: would merge with origin's history and push\n"
    );
    assert_eq!(
        b.refs()
            .lines()
            .filter(|l| l.starts_with("refs/release/"))
            .collect::<Vec<_>>(),
        before
            .lines()
            .filter(|l| l.starts_with("refs/release/"))
            .collect::<Vec<_>>()
    );
    let out = b.ok(&["sync"]);
    assert_eq!(out, "2026-11-20: +1 event from origin, merged, pushed\n");
    // The merge is a real merge commit with both histories as parents.
    let parents = b.git(&["log", "-1", "--format=%P", "refs/release/2026-11-20"]);
    assert_eq!(parents.split(' ').count(), 2);
    assert_eq!(
        b.ok(&["sync"]),
        "Releases are the same here and on origin.\n"
    );
    // Plain git can fetch the same state (the README documents it).
    let c = &clones[2];
    c.git(&[
        "fetch",
        "-q",
        "origin",
        "+refs/release/*:refs/release/*",
        "+refs/notes/release:refs/notes/release",
    ]);
    assert_eq!(state(c), state(b));
    assert!(
        c.git(&["notes", "--ref=release", "show", "HEAD"])
            .contains("release 2026-11-20")
    );
}

#[test]
fn a_remote_that_refuses_is_an_error_not_a_race() {
    let (origin, clones) = clones();
    let a = &clones[0];
    let hook = origin.root.join("remote.git/hooks/pre-receive");
    executable(&hook, "#!/bin/sh\necho 'releases are frozen' >&2\nexit 1\n");
    a.ok(&["comment", "while frozen"]);
    let err = a.fails(&["sync"], 1);
    assert!(err.contains("origin refused"), "{err}");
    assert!(!err.contains("kept moving"), "{err}");
    assert!(
        a.ok(&["log"]).contains("comment: while frozen"),
        "local state is intact"
    );
}

/// When the remote cannot be asked for its tags (here its upload-pack fails from the second
/// connection on: the fetch works, the tag lookup does not), sync says so rather than that
/// everything is the same, and the tag comes on a later sync.
#[test]
fn tags_that_could_not_be_looked_for_are_not_called_the_same() {
    let (_origin, clones) = clones();
    let b = &clones[1];
    b.git(&["tag", "-d", "2026-11-20"]);
    let counter = b.root.join("connections");
    let script = b.root.join("flaky-upload-pack");
    executable(
        &script,
        &format!(
            "#!/bin/sh\nn=$(cat '{0}' 2>/dev/null || echo 0)\necho $((n + 1)) > '{0}'\n\
             [ \"$n\" -ge 1 ] && {{ echo 'the server is going away' >&2; exit 1; }}\n\
             exec git upload-pack \"$@\"\n",
            counter.display()
        ),
    );
    b.git(&[
        "config",
        "remote.origin.uploadpack",
        script.to_str().unwrap(),
    ]);
    for args in [&["sync", "--dry-run"][..], &["sync"][..]] {
        std::fs::write(&counter, "0").unwrap();
        let (code, out, err) = b.run(args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(
            out, "Releases are the same here and on origin; their tags were not checked.\n",
            "{args:?}"
        );
        assert!(
            err.contains("warning: the tags of releases were not looked for on origin"),
            "{err}"
        );
        assert_eq!(std::fs::read_to_string(&counter).unwrap().trim(), "2");
    }
    assert!(!b.has_ref("refs/tags/2026-11-20"));
    b.git(&["config", "--unset", "remote.origin.uploadpack"]);
    assert_eq!(b.ok(&["sync"]), "2026-11-20: tag from origin\n");
    assert!(b.has_ref("refs/tags/2026-11-20"));
}

#[test]
fn many_diverged_releases_merge_into_one_pack() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    // 30 more releases, known to both clones.
    let names: Vec<String> = (1..=30).map(|d| format!("2026-10-{d:02}")).collect();
    for name in &names {
        a.ok(&["start", "--date", name, "--no-tag"]);
    }
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    // Both clones record an event on each, so every one of them diverges.
    for name in &names {
        a.ok(&["comment", "-r", name, "from a"]);
        b.ok(&["comment", "-r", name, "from b"]);
    }
    b.ok(&["sync"]);
    let packs = |env: &TestEnv| {
        std::fs::read_dir(env.repo.join(".git/objects/pack"))
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| e.file_name().into_string().unwrap())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let before = packs(a);
    let out = a.ok(&["sync"]);
    assert_eq!(out.matches("merged, pushed").count(), 30, "{out}");
    // 30 merges (a commit, two trees and a blob each) went out in a pack of their own (the
    // fetch may have kept one too), with no .keep left once the refs pointed at them.
    let new: Vec<String> = packs(a)
        .into_iter()
        .filter(|p| !before.contains(p))
        .collect();
    assert!(!new.iter().any(|p| p.ends_with(".keep")), "{new:?}");
    let merge = a.git(&["rev-parse", "refs/release/2026-10-07"]);
    let holding: Vec<&String> = new
        .iter()
        .filter(|p| p.ends_with(".idx"))
        .filter(|p| {
            a.git(&["verify-pack", "-v", &format!(".git/objects/pack/{p}")])
                .contains(&merge)
        })
        .collect();
    assert_eq!(holding.len(), 1, "the merge {merge} is in none of {new:?}");
    // Read-only, as git leaves a pack and its index.
    use std::os::unix::fs::PermissionsExt as _;
    for file in new
        .iter()
        .filter(|p| p.ends_with(".pack") || p.ends_with(".idx"))
    {
        let path = a.repo.join(".git/objects/pack").join(file);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o222, 0, "{file} is writable: {mode:o}");
    }
    let loose = a
        .repo
        .join(format!(".git/objects/{}/{}", &merge[..2], &merge[2..]));
    assert!(!loose.exists(), "the merge was also written loose");
    a.fsck();
    b.ok(&["sync"]);
    for name in &names {
        let log = b.ok(&["log", "-r", name]);
        assert!(
            log.contains("comment: from a") && log.contains("comment: from b"),
            "{log}"
        );
        assert_eq!(
            a.git(&["rev-parse", &format!("refs/release/{name}")]),
            b.git(&["rev-parse", &format!("refs/release/{name}")])
        );
    }
    b.fsck();
}

#[test]
fn a_release_taken_from_the_remote_brings_its_tag() {
    let (_origin, clones) = clones();
    let (a, b, c) = (&clones[0], &clones[1], &clones[2]);
    a.commit("Next week's work");
    a.ok(&["start", "--date", "2026-11-27"]);
    a.ok(&["sync"]);
    // c already has a tag of that name, made by hand: it is kept, not replaced.
    c.git(&["tag", "2026-11-27", "HEAD"]);
    let own = c.git(&["rev-parse", "refs/tags/2026-11-27"]);

    assert_eq!(
        b.ok(&["sync", "--dry-run"]),
        "2026-11-27: would take origin's history, would fetch its tag from origin\n"
    );
    let out = b.ok(&["sync"]);
    assert!(
        out.contains("2026-11-27: +1 event from origin, tag from origin"),
        "{out}"
    );
    assert_eq!(
        b.git(&["rev-parse", "refs/tags/2026-11-27"]),
        a.git(&["rev-parse", "refs/tags/2026-11-27"])
    );
    assert_eq!(b.git(&["cat-file", "-t", "refs/tags/2026-11-27"]), "tag");
    b.fsck();

    let (code, out, err) = c.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("tag from"), "{out}");
    assert!(
        err.contains("warning: origin has different tags named 2026-11-27; yours were kept"),
        "{err}"
    );
    assert_eq!(c.git(&["rev-parse", "refs/tags/2026-11-27"]), own);
}

#[test]
fn a_release_whose_tag_the_remote_lacks_comes_without_it() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    a.ok(&["start", "--date", "2026-11-27"]);
    a.ok(&["sync"]);
    a.git(&["push", "-q", "origin", ":refs/tags/2026-11-27"]);
    let (code, out, err) = b.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2026-11-27: +1 event from origin"), "{out}");
    assert!(!out.contains("tag from"), "{out}");
    assert!(!b.has_ref("refs/tags/2026-11-27"));
    // Once the remote has it, the next sync brings it, though the release did not change;
    // a dry run says so first and fetches nothing.
    a.git(&["push", "-q", "origin", "refs/tags/2026-11-27"]);
    assert_eq!(
        b.ok(&["sync", "--dry-run"]),
        "2026-11-27: would fetch its tag from origin\n"
    );
    assert!(!b.has_ref("refs/tags/2026-11-27"));
    assert_eq!(b.ok(&["sync"]), "2026-11-27: tag from origin\n");
    assert_eq!(
        b.git(&["rev-parse", "refs/tags/2026-11-27"]),
        a.git(&["rev-parse", "refs/tags/2026-11-27"])
    );
    assert_eq!(
        b.ok(&["sync"]),
        "Releases are the same here and on origin.\n"
    );
    // A release started without a tag is not looked for, even if the remote has a tag of
    // its name.
    a.ok(&["start", "--date", "2026-12-04", "--no-tag"]);
    a.ok(&["sync"]);
    a.git(&["tag", "2026-12-04", "HEAD"]);
    a.git(&["push", "-q", "origin", "refs/tags/2026-12-04"]);
    assert_eq!(b.ok(&["sync"]), "2026-12-04: +1 event from origin\n");
    assert_eq!(
        b.ok(&["sync", "--dry-run"]),
        "Releases are the same here and on origin.\n"
    );
    assert!(!b.has_ref("refs/tags/2026-12-04"));
}

#[test]
fn a_merge_that_takes_a_release_past_256_events_fans_them_out_and_loses_none() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    // 1 + 150 + 150 events: each side alone keeps them flat, the union does not.
    for i in 0..150 {
        a.ok(&["comment", &format!("a {i}")]);
        b.ok(&["comment", &format!("b {i}")]);
    }
    a.ok(&["sync"]);
    assert_eq!(event_files(a).len(), 151);
    let out = b.ok(&["sync"]);
    assert_eq!(out, "2026-11-20: +150 events from origin, merged, pushed\n");
    let paths = |env: &TestEnv| env.event_paths("refs/release/2026-11-20");
    let fanned = paths(b);
    assert_eq!(fanned.len(), 301);
    assert!(
        fanned.iter().all(|p| {
            let (dir, file) = p.split_once('/').unwrap();
            file.ends_with(&format!("{dir}.toml"))
        }),
        "{fanned:?}"
    );
    // The other side takes the merge as it is; then both add to the fanned-out release and
    // merge again, each side's new files going into their subdirectories.
    a.ok(&["sync"]);
    for i in 0..5 {
        a.ok(&["comment", &format!("a again {i}")]);
        b.ok(&["comment", &format!("b again {i}")]);
    }
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    a.ok(&["sync"]);
    for env in [a, b] {
        let files = paths(env);
        assert_eq!(files.len(), 311);
        assert!(files.iter().all(|p| p.split('/').count() == 2), "{files:?}");
        assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (311 events)\n");
        env.fsck();
        let log = env.ok(&["log"]);
        assert!(log.contains("comment: a 149") && log.contains("comment: b again 4"));
    }
    assert_eq!(state(a), state(b));
}

/// One release that cannot be read, on either side, is left where it is and named; every
/// other release still syncs, and the command ends in an error.
#[test]
fn a_damaged_release_is_left_out_and_the_others_sync() {
    let (origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    let remote_has = |name: &str| {
        origin
            .git(&["ls-remote", "origin", &format!("refs/release/{name}")])
            .split_whitespace()
            .next()
            .map(str::to_owned)
    };
    // Here: a release ref at a plain commit, which has no release.toml.
    a.git(&["update-ref", "refs/release/2026-12-10", "HEAD"]);
    a.ok(&["comment", "from a"]);
    let err = a.fails(&["sync"], 1);
    assert!(
        err.contains("warning: 2026-12-10 was not synced: release 2026-12-10 is damaged"),
        "{err}"
    );
    assert!(
        err.contains("not synced (the warnings above say why): 2026-12-10"),
        "{err}"
    );
    assert_eq!(remote_has("2026-12-10"), None);
    assert_eq!(
        remote_has("2026-11-20"),
        Some(a.git(&["rev-parse", "refs/release/2026-11-20"]))
    );

    // There: plain git pushes it; a clone that takes it, and one that merges, carry on.
    a.git(&["push", "-q", "origin", "refs/release/2026-12-10"]);
    b.ok(&["comment", "from b"]);
    let before = b.git(&["rev-parse", "refs/release/2026-11-20"]);
    let err = b.fails(&["sync"], 1);
    assert!(err.contains("2026-12-10 was not synced"), "{err}");
    assert!(err.contains("as origin has it"), "{err}");
    let log = b.ok(&["log", "-r", "2026-11-20"]);
    assert!(
        log.contains("comment: from a") && log.contains("comment: from b"),
        "{log}"
    );
    assert_ne!(b.git(&["rev-parse", "refs/release/2026-11-20"]), before);
    assert_eq!(
        remote_has("2026-11-20"),
        Some(b.git(&["rev-parse", "refs/release/2026-11-20"]))
    );
    assert!(!b.has_ref("refs/release/2026-12-10"));
    b.fsck();
}

/// Two clones that record the same name for different commits made two releases: sync
/// refuses to fold them into one, and leaves both as they are.
#[test]
fn one_name_started_for_two_commits_is_not_merged() {
    let (origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    b.commit("Only in b");
    a.ok(&["start", "--date", "2027-01-05"]);
    b.ok(&["start", "--date", "2027-01-05"]);
    b.ok_as(
        ("Bea", "bea@example.com"),
        &["signoff", "qa", "-r", "2027-01-05"],
    );
    a.ok(&["sync"]);
    let theirs = origin.git(&["ls-remote", "origin", "refs/release/2027-01-05"]);
    let ours = b.git(&["rev-parse", "refs/release/2027-01-05"]);
    b.ok(&["comment", "-r", "2026-11-20", "still syncs"]);
    let err = b.fails(&["sync"], 1);
    assert!(
        err.contains("release 2027-01-05 was started twice, for different commits"),
        "{err}"
    );
    assert_eq!(b.git(&["rev-parse", "refs/release/2027-01-05"]), ours);
    assert_eq!(
        origin.git(&["ls-remote", "origin", "refs/release/2027-01-05"]),
        theirs
    );
    assert!(a.ok(&["sync"]).contains("2026-11-20: +1 event from origin"));
    // Each clone's own history is sound: nothing for fsck to repair on either side.
    a.ok(&["fsck"]);
    b.ok(&["fsck"]);
}

/// A tag the remote refuses for its own reasons is said as such, not as a different tag.
#[test]
fn a_tag_the_remote_refuses_is_not_called_different() {
    let (origin, clones) = clones();
    let a = &clones[0];
    let hook = origin.root.join("remote.git/hooks/update");
    executable(
        &hook,
        "#!/bin/sh\ncase \"$1\" in refs/tags/*) exit 1;; esac\n",
    );
    a.ok(&["start", "--date", "2027-01-05"]);
    let (code, out, err) = a.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2027-01-05: pushed"), "{out}");
    assert!(
        err.contains("warning: origin refused the tag 2027-01-05: "),
        "{err}"
    );
    assert!(!err.contains("different tags"), "{err}");

    // One it has already, made elsewhere, is a different tag.
    std::fs::remove_file(&hook).unwrap();
    let b = &clones[1];
    b.git(&["tag", "-a", "-m", "not the release", "2027-01-12"]);
    b.git(&["push", "-q", "origin", "refs/tags/2027-01-12"]);
    a.ok(&["start", "--date", "2027-01-12"]);
    let (code, _, err) = a.run(&["sync"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: origin has different tags named 2027-01-12; they were not overwritten"
        ),
        "{err}"
    );
    assert!(!err.contains("refused the tag"), "{err}");
}

/// Notes are made from the releases: a note removed by hand in one clone is not pushed over
/// the remote's, and comes back; notes written in two clones at once both arrive.
#[test]
fn notes_only_one_clone_has_wrong_do_not_replace_the_remote_notes() {
    let (origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    let status = crate::common::json(&a.ok(&["status", "--json"]));
    let target = status["target"].as_str().unwrap().to_owned();
    let remote_note = || {
        origin.git(&[
            "fetch",
            "-q",
            "origin",
            "+refs/notes/release:refs/notes/seen",
        ]);
        origin.git(&["notes", "--ref=seen", "show", &target])
    };
    let note = remote_note();
    assert!(note.contains("release 2026-11-20"), "{note}");
    b.git(&["notes", "--ref=release", "remove", &target]);
    b.ok(&["sync"]);
    assert_eq!(remote_note(), note);
    assert_eq!(b.git(&["notes", "--ref=release", "show", &target]), note);

    // The other way round: a note gone from the remote is written again by the next sync.
    a.git(&["notes", "--ref=release", "remove", &target]);
    a.git(&["push", "-q", "-f", "origin", "refs/notes/release"]);
    b.ok(&["sync"]);
    assert_eq!(remote_note(), note);
    assert_eq!(b.git(&["notes", "--ref=release", "show", &target]), note);

    // Two clones sign off at once; whichever syncs last, the note shows both.
    a.ok_as(("Quinn", "quinn@example.com"), &["signoff", "qa"]);
    b.ok_as(("Erin", "erin@example.com"), &["signoff", "eng"]);
    a.ok(&["sync"]);
    b.ok(&["sync"]);
    let note = remote_note();
    assert!(note.contains("Quinn") && note.contains("Erin"), "{note}");
    a.ok(&["sync"]);
    a.ok(&["fsck"]);
    b.ok(&["fsck"]);
}

/// A merge reads the other side's event files only where ours differ; one that has the name of
/// one of ours but other content is still read, and its damage stops that merge.
#[test]
fn an_event_file_changed_on_the_other_side_is_read_and_its_damage_named() {
    let (_origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    // In b, with plain git: the release's first event file, same name, other content.
    let file = event_files(b)[0].clone();
    let events = b.git(&["rev-parse", "refs/release/2026-11-20:events"]);
    let listing = b.git(&["ls-tree", &events]);
    let broken = b.git_hash_object("this is = not [ toml");
    let old_blob = listing
        .lines()
        .find(|l| l.ends_with(&format!("\t{file}")))
        .and_then(|l| l.split_whitespace().nth(2))
        .unwrap()
        .to_owned();
    let new_events = b.mktree(&format!("{}\n", listing.replace(&old_blob, &broken)));
    let top = b.git(&["ls-tree", "refs/release/2026-11-20^{tree}"]);
    let new_top = b.mktree(&format!("{}\n", top.replace(&events, &new_events)));
    let commit = b.git(&[
        "commit-tree",
        &new_top,
        "-p",
        "refs/release/2026-11-20",
        "-m",
        "tamper",
    ]);
    b.git(&["update-ref", "refs/release/2026-11-20", &commit]);
    b.git(&["push", "-q", "origin", "refs/release/2026-11-20"]);

    // a moved too, so the two histories merge.
    a.ok(&["comment", "from a"]);
    let before = a.git(&["rev-parse", "refs/release/2026-11-20"]);
    let err = a.fails(&["sync"], 1);
    assert!(
        err.contains(&format!(
            "warning: 2026-11-20 was not synced: merging with origin's history: release \
             2026-11-20 is damaged: events/{file} (blob {broken}) is unreadable"
        )),
        "{err}"
    );
    assert_eq!(a.git(&["rev-parse", "refs/release/2026-11-20"]), before);
    a.fsck();
}

/// `--dry-run` works a sync out as sync would — the merges made in memory — so what sync would
/// leave out it names with the same warning, instead of stopping; and it writes nothing.
#[test]
fn a_dry_run_names_what_sync_would_leave_out_and_writes_nothing() {
    let (origin, clones) = clones();
    let (a, b) = (&clones[0], &clones[1]);
    // On the remote: a release ref at a plain commit (no release.toml), pushed with plain git.
    origin.git(&["update-ref", "refs/release/2026-12-10", "HEAD"]);
    origin.git(&["push", "-q", "origin", "refs/release/2026-12-10"]);
    a.ok(&["comment", "from a"]);
    a.git(&["push", "-q", "origin", "refs/release/2026-11-20"]);
    b.ok(&["comment", "from b"]);
    let (code, out, err) = b.run(&["sync", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: 2026-12-10 would not be synced: as origin has it: release 2026-12-10 is \
             damaged"
        ),
        "{err}"
    );
    assert_eq!(
        out,
        "2026-11-20: diverged: would merge with origin's history and push\n\
         2026-12-10: would not be synced (the warning above says why)\n"
    );
    // A second dry run (the fetch has nothing new) adds no object and moves no ref.
    let objects = || b.git(&["count-objects", "-v"]);
    let (refs, before) = (b.refs(), objects());
    b.ok(&["sync", "--dry-run"]);
    assert_eq!(objects(), before);
    assert_eq!(b.refs(), refs);
    // The sync itself does as the dry run said.
    let err = b.fails(&["sync"], 1);
    assert!(err.contains("warning: 2026-12-10 was not synced"), "{err}");
    let log = b.ok(&["log", "-r", "2026-11-20"]);
    assert!(
        log.contains("comment: from a") && log.contains("comment: from b"),
        "{log}"
    );
    b.fsck();
}

#[test]
fn a_release_name_git_release_never_gives_is_not_taken_from_the_remote() {
    let (_origin, clones) = clones();
    let a = &clones[0];
    // Pushed with plain git: a release's history under a nested name.
    a.git(&[
        "push",
        "-q",
        "origin",
        "refs/release/2026-11-20:refs/release/evil/nested",
    ]);
    let b = &clones[1];
    let err = b.fails(&["sync"], 1);
    assert!(
        err.contains(
            "evil/nested was not synced: `evil/nested` is not a name git-release gives a release"
        ),
        "{err}"
    );
    assert!(!b.has_ref("refs/release/evil/nested"));
    assert!(b.has_ref("refs/release/2026-11-20"));
    assert!(!b.ok(&["list"]).contains("evil"));
}

#[test]
fn a_release_tag_missing_on_the_remote_is_pushed_again() {
    let (_origin, clones) = clones();
    let a = &clones[0];
    let remote_tags = || a.git(&["ls-remote", "--tags", "origin"]);
    assert!(remote_tags().contains("refs/tags/2026-11-20"));
    // Deleted on the remote by someone cleaning up tags.
    a.git(&["push", "-q", "origin", ":refs/tags/2026-11-20"]);
    assert!(!remote_tags().contains("refs/tags/2026-11-20"));
    // A dry run says so, and pushes nothing.
    assert_eq!(
        a.ok(&["sync", "--dry-run"]),
        "2026-11-20: would push its tag to origin\n"
    );
    assert!(!remote_tags().contains("refs/tags/2026-11-20"));
    let out = a.ok(&["sync"]);
    assert!(out.contains("2026-11-20: tag pushed to origin"), "{out}");
    assert!(remote_tags().contains("refs/tags/2026-11-20"));
    // A release started without a tag, pushed, then tagged by hand: the tag follows.
    a.ok(&["start", "--date", "2026-11-27", "--no-tag"]);
    a.ok(&["sync"]);
    a.git(&["tag", "-a", "-m", "by hand", "2026-11-27", "HEAD"]);
    let out = a.ok(&["sync"]);
    assert!(out.contains("2026-11-27: tag pushed to origin"), "{out}");
    assert!(remote_tags().contains("refs/tags/2026-11-27"));
    // Nothing missing: nothing said.
    let out = a.ok(&["sync"]);
    assert!(!out.contains("tag pushed"), "{out}");
    // A clone that has the tag but not yet the release: sync takes the release and pushes
    // the tag the remote lost, and a dry run says both first.
    let b = &clones[1];
    a.ok(&["start", "--date", "2026-12-04"]);
    a.ok(&["sync"]);
    b.git(&[
        "fetch",
        "-q",
        "origin",
        "refs/tags/2026-12-04:refs/tags/2026-12-04",
    ]);
    a.git(&["push", "-q", "origin", ":refs/tags/2026-12-04"]);
    let out = b.ok(&["sync", "--dry-run"]);
    assert!(
        out.contains("2026-12-04: would take origin's history, would push its tag to origin\n"),
        "{out}"
    );
    assert!(!remote_tags().contains("refs/tags/2026-12-04"));
    let out = b.ok(&["sync"]);
    assert!(
        out.contains("2026-12-04: +1 event from origin, tag pushed to origin\n"),
        "{out}"
    );
    assert!(remote_tags().contains("refs/tags/2026-12-04"));
}
