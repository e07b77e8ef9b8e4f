use std::collections::BTreeSet;
use std::sync::Barrier;

use crate::common::{TestEnv, json};

/// A repository whose refs git keeps in a reftable (`git init --ref-format=reftable`), with one
/// commit on `main` and a `qa` role; `None`, with a note, where this git cannot make one.
fn reftable() -> Option<TestEnv> {
    let env = TestEnv::empty();
    std::fs::remove_dir_all(env.repo.join(".git")).unwrap();
    let out = env.git_output(&["init", "-q", "-b", "main", "--ref-format=reftable"]);
    if !out.status.success() {
        eprintln!(
            "skipped: this git cannot make a reftable repository: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    env.write(
        ".release/config.toml",
        "[[environments]]\nname = \"production\"\nrequires = { signoffs = [\"qa\"] }\n\n[roles.qa]\n",
    );
    env.commit_all("Release config");
    Some(env)
}

/// Everything git-release writes lives in the reftable: no loose ref file that git would
/// ignore (and `git gc` delete) appears beside it.
fn no_loose_refs(env: &TestEnv) {
    for dir in ["refs/release", "refs/notes", "refs/tags"] {
        let path = env.repo.join(".git").join(dir);
        assert!(!path.exists(), "{} was made", path.display());
    }
}

#[test]
fn releases_in_a_reftable_repository_are_refs_git_sees() {
    let Some(env) = reftable() else { return };
    let target = env.git(&["rev-parse", "HEAD"]);
    assert_eq!(
        env.ok(&["start", "--date", "2026-11-20"]).trim(),
        "2026-11-20"
    );
    env.ok(&["comment", "smoke tests pass"]);
    env.ok(&["signoff", "qa"]);
    env.ok(&["start", "--date", "2026-11-21"]);
    no_loose_refs(&env);

    // git sees every release, its tag and its note.
    assert_eq!(
        env.git(&["for-each-ref", "--format=%(refname)", "refs/release"]),
        "refs/release/2026-11-20\nrefs/release/2026-11-21"
    );
    assert_eq!(env.git(&["tag", "-l"]), "2026-11-20\n2026-11-21");
    assert_eq!(env.git(&["rev-parse", "2026-11-20^{commit}"]), target);
    let note = env.git(&["notes", "--ref=release", "show", &target]);
    assert!(note.contains("release 2026-11-20"), "{note}");
    assert!(note.contains("signoff qa"), "{note}");
    assert_eq!(
        env.git(&["rev-list", "--count", "refs/release/2026-11-20"]),
        "3"
    );

    // git-release reads back what it wrote, through git.
    let status = env.ok(&["status", "-r", "2026-11-20"]);
    assert!(status.contains("sign-offs  qa "), "{status}");
    assert!(status.contains("events     3 "), "{status}");
    let list = env.ok(&["list"]);
    assert!(
        list.contains("2026-11-20") && list.contains("2026-11-21"),
        "{list}"
    );
    let log = json(&env.ok(&["log", "-r", "2026-11-20", "--json"]));
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["started", "comment", "signoff"]);
    let notes = env.ok(&["notes", "-r", "2026-11-20"]);
    assert!(notes.contains("2026-11-20"), "{notes}");

    // `git gc` keeps everything: the refs are git's own.
    env.git(&["gc", "-q", "--prune=now"]);
    let after = env.ok(&["status", "-r", "2026-11-20"]);
    assert!(after.contains("sign-offs  qa "), "{after}");
    assert!(after.contains("events     3 "), "{after}");
    assert_eq!(
        env.git(&["for-each-ref", "--format=%(refname)", "refs/release"]),
        "refs/release/2026-11-20\nrefs/release/2026-11-21"
    );
    assert_eq!(env.git(&["notes", "--ref=release", "show", &target]), note);
    assert_eq!(
        env.ok(&["fsck"]),
        "2026-11-21: ok (1 events)\n2026-11-20: ok (3 events)\n"
    );
    env.fsck();
    no_loose_refs(&env);
}

#[test]
fn writers_racing_in_a_reftable_repository_lose_nothing() {
    let Some(env) = reftable() else { return };
    env.ok(&["start", "--date", "2026-11-20"]);
    let barrier = Barrier::new(2);
    std::thread::scope(|s| {
        for writer in 0..2 {
            let (env, barrier) = (&env, &barrier);
            s.spawn(move || {
                barrier.wait();
                for i in 0..10 {
                    env.ok(&["comment", &format!("writer {writer} event {i}")]);
                }
            });
        }
    });
    assert_eq!(
        env.git(&["rev-list", "--count", "refs/release/2026-11-20"]),
        "21"
    );
    let log = json(&env.ok(&["log", "--json"]));
    let comments: BTreeSet<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comment")
        .map(|e| e["fields"]["message"].as_str().unwrap())
        .collect();
    assert_eq!(comments.len(), 20, "{comments:?}");

    // Three starts of one day at once: a name another writer took is a lost race, not an error.
    let barrier = Barrier::new(3);
    let names: BTreeSet<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| {
                let (env, barrier) = (&env, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    env.ok(&["start", "--date", "2026-11-21"]).trim().to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected: BTreeSet<String> = ["2026-11-21", "2026-11-21-1", "2026-11-21-2"]
        .map(String::from)
        .into();
    assert_eq!(names, expected);
    assert_eq!(env.git(&["tag", "-l", "2026-11-21*"]).lines().count(), 3);
    env.fsck();
    no_loose_refs(&env);
}

#[test]
fn a_sha256_repository_is_refused_by_name() {
    let env = TestEnv::empty();
    std::fs::remove_dir_all(env.repo.join(".git")).unwrap();
    env.git(&["init", "-q", "-b", "main", "--object-format=sha256"]);
    env.commit("Initial commit");
    let refs = env.refs();
    for args in [&["start", "--date", "2026-11-20"][..], &["status"]] {
        let err = env.fails(args, 1);
        assert!(err.contains("sha256"), "{err}");
        assert!(err.contains("nothing was written"), "{err}");
        assert!(!err.contains("not in a git repository"), "{err}");
    }
    assert_eq!(env.refs(), refs);
}

#[test]
fn a_stale_reftable_lock_is_reported_with_a_way_out() {
    let Some(env) = reftable() else { return };
    env.ok(&["start", "--date", "2026-11-20"]);
    let refs = env.refs();
    // A crashed git left the stack's lock: every ref update waits on it.
    std::fs::write(env.repo.join(".git/reftable/tables.list.lock"), "").unwrap();
    let err = env.fails(&["comment", "not written"], 1);
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("tables.list.lock"), "{err}");
    assert_eq!(env.refs(), refs);
    std::fs::remove_file(env.repo.join(".git/reftable/tables.list.lock")).unwrap();
    env.ok(&["comment", "written"]);
}
