use crate::common::TestEnv;

#[test]
fn comment_appends_one_event() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["start", "--date", "2026-11-27"]);
    env.ok(&[
        "comment",
        "-r",
        "2026-11-20",
        "QA found a layout bug on stage",
    ]);
    let parents = env.git(&["log", "--format=%P", "-1", "refs/release/2026-11-20"]);
    assert_eq!(parents.split(' ').count(), 1);
    let events = env.git(&["ls-tree", "--name-only", "refs/release/2026-11-20:events"]);
    assert_eq!(events.lines().count(), 2);
    let state = env.git(&["cat-file", "-p", "refs/release/2026-11-20:release.toml"]);
    assert!(state.contains("events = 2"), "{state}");
    assert!(state.contains("comments = 1"), "{state}");
    // The other release is untouched.
    assert_eq!(
        env.git(&["rev-list", "--count", "refs/release/2026-11-27"]),
        "1"
    );
    assert_eq!(
        env.ok(&["fsck"]),
        "2026-11-27: ok (1 events)\n2026-11-20: ok (2 events)\n"
    );
    env.fsck();
}

#[test]
fn comment_dry_run_and_refusals_write_nothing() {
    let env = TestEnv::new();
    let err = env.fails(&["comment", "too early"], 1);
    assert!(err.contains("no release has been started"), "{err}");
    env.ok(&["start", "--date", "2026-11-20"]);
    let before = env.snapshot();
    let out = env.ok(&["comment", "--dry-run", "thinking aloud"]);
    assert!(
        out.contains("would record event 2 of release 2026-11-20"),
        "{out}"
    );
    assert!(out.contains("message = \"thinking aloud\""), "{out}");
    let err = env.fails(&["comment", "   "], 2);
    assert!(err.contains("the comment is empty"), "{err}");
    let err = env.fails(&["comment", "-r", "2031-01-01", "x"], 1);
    assert!(err.contains("no release named 2031-01-01"), "{err}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_stale_lock_is_reported_with_a_way_out() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let lock = env.repo.join(".git/refs/release/2026-11-20.lock");
    std::fs::write(&lock, "").unwrap();
    let before = env.refs();
    let err = env.fails(&["comment", "blocked by a crashed writer"], 1);
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("2026-11-20.lock"), "{err}");
    assert_eq!(env.refs(), before);
    std::fs::remove_file(&lock).unwrap();
    env.ok(&["comment", "after removing the lock"]);
}

#[test]
fn a_damaged_event_is_named() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    // Tamper with plain git: add an unreadable event file to the release's tree.
    let blob = env.git_hash_object("kind = 3\n");
    let tree = env.git(&["rev-parse", "refs/release/2026-11-20^{tree}"]);
    let events = env.git(&["rev-parse", "refs/release/2026-11-20:events"]);
    let listing = env.git(&["ls-tree", &events]);
    let new_events = env.mktree(&format!(
        "{listing}\n100644 blob {blob}\t20261121T000000Z-00000000bad0.toml\n"
    ));
    let top = env.git(&["ls-tree", &tree]).replace(&events, &new_events);
    let new_tree = env.mktree(&format!("{top}\n"));
    let commit = env.git(&[
        "commit-tree",
        &new_tree,
        "-p",
        "refs/release/2026-11-20",
        "-m",
        "tamper",
    ]);
    env.git(&["update-ref", "refs/release/2026-11-20", &commit]);
    let err = env.fails(&["log"], 1);
    assert!(
        err.contains("events/20261121T000000Z-00000000bad0.toml"),
        "{err}"
    );
    assert!(err.contains(&format!("blob {blob}")), "{err}");
    let out = env.run(&["fsck"]);
    assert_eq!(out.0, 1);
    assert!(out.1.contains("00000000bad0"), "{}", out.1);
}
