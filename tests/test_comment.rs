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
    // Our loose objects look like git's own: same permissions as one git writes.
    let mode = |id: &str| {
        use std::os::unix::fs::PermissionsExt;
        let path = env
            .repo
            .join(format!(".git/objects/{}/{}", &id[..2], &id[2..]));
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    };
    let ours = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    let gits = env.git_stdin(&["hash-object", "-w", "--stdin"], "written by git\n");
    assert_eq!(mode(&ours), mode(&gits));
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
    let objects = || env.git(&["count-objects"]);
    let counted = objects();
    let err = env.fails(&["comment", "blocked by a crashed writer"], 1);
    assert!(err.contains("locked"), "{err}");
    assert!(err.contains("2026-11-20.lock"), "{err}");
    assert_eq!(env.refs(), before);
    // The event was written once and tried again while waiting, not written again each time:
    // its blob, the events tree, release.toml, the root tree and the commit.
    let count = |text: String| text.split(' ').next().unwrap().parse::<u32>().unwrap();
    assert_eq!(count(objects()), count(counted) + 5);
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

/// Replaces `path` in the tree of `refs/release/<name>` with `text`, using plain git only.
fn tamper(env: &TestEnv, name: &str, dir: Option<&str>, file: &str, text: &str) {
    let blob = env.git_hash_object(text);
    let refname = format!("refs/release/{name}");
    let top = env.git(&["ls-tree", &format!("{refname}^{{tree}}")]);
    let new_top = match dir {
        None => {
            let kept: Vec<&str> = top
                .lines()
                .filter(|l| !l.ends_with(&format!("\t{file}")))
                .collect();
            env.mktree(&format!(
                "{}\n100644 blob {blob}\t{file}\n",
                kept.join("\n")
            ))
        }
        Some(dir) => {
            let sub = env.git(&["rev-parse", &format!("{refname}:{dir}")]);
            let listing = env.git(&["ls-tree", &sub]);
            let new_sub = env.mktree(&format!("{listing}\n100644 blob {blob}\t{file}\n"));
            env.mktree(&format!("{}\n", top.replace(&sub, &new_sub)))
        }
    };
    let commit = env.git(&["commit-tree", &new_top, "-p", &refname, "-m", "tamper"]);
    env.git(&["update-ref", &refname, &commit]);
}

#[test]
fn a_damaged_release_does_not_hide_the_others() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-13"]);
    env.ok(&["start", "--date", "2026-11-20"]);
    let bad_event = "20261120T000000Z-0000000000aa.toml";
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        bad_event,
        "this is = not [ toml",
    );
    let list = env.ok(&["list"]);
    assert!(
        list.contains("2026-11-20")
            && list.contains(&format!(
                "damaged: release 2026-11-20 is damaged: events/{bad_event} (blob"
            )),
        "{list}"
    );
    assert!(
        list.contains("2026-11-13") && list.contains("started"),
        "{list}"
    );
    // The default release skips it (with a warning); naming it says what is wrong.
    let (code, out, err) = env.run(&["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("release 2026-11-13"), "{out}");
    assert!(
        err.contains("warning: release 2026-11-20 is damaged"),
        "{err}"
    );
    let err = env.fails(&["status", "-r", "2026-11-20"], 1);
    assert!(
        err.contains(&format!("events/{bad_event} (blob")) && err.contains("git cat-file -p"),
        "{err}"
    );
}

#[test]
fn an_unreadable_release_toml_is_not_believed_and_fsck_fix_folds_it_again() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    tamper(
        &env,
        "2026-11-20",
        None,
        "release.toml",
        "this is = not [ toml",
    );
    // The state comes from the events; the summary for plain git is named as wrong, once.
    let (code, out, err) = env.run(&["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("release 2026-11-20"), "{out}");
    assert_eq!(
        err.matches("release.toml does not match its events")
            .count(),
        1,
        "{err}"
    );
    // Every command says so, not only the first (whose fold is not remembered).
    let (_, _, again) = env.run(&["status"]);
    assert!(
        again.contains("release.toml does not match its events"),
        "{again}"
    );
    let out = env.run(&["fsck"]).1;
    assert!(out.contains("2026-11-20:"), "{out}");
    let out = env.ok(&["fsck", "--fix"]);
    assert!(
        out.contains("2026-11-20: release.toml did not match its events; folded again (1 events)"),
        "{out}"
    );
    let (code, _, err) = env.run(&["status", "-r", "2026-11-20"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("does not match"), "{err}");
    env.fsck();
}

#[test]
fn fsck_shows_how_a_stored_state_differs_from_its_events() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["comment", "one"]);
    let stored = env.git(&["show", "refs/release/2026-11-20:release.toml"]);
    assert!(stored.contains("\ncomments = 1\n"), "{stored}");
    let edited = format!("{}\n", stored.replace("comments = 1", "comments = 7"));
    tamper(&env, "2026-11-20", None, "release.toml", &edited);
    let (code, out, _) = env.run(&["fsck"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("--- release.toml (stored)\n+++ folded from events/\n"),
        "{out}"
    );
    assert!(out.contains("\n-comments = 7\n+comments = 1\n"), "{out}");
    // Only the lines around the difference, not both files whole.
    assert!(!out.contains("name = \"2026-11-20\""), "{out}");
}

#[test]
fn a_lone_damaged_release_is_named_with_the_way_to_repair_it() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        "20261120T000000Z-0000000000aa.toml",
        "garbage = [\n",
    );
    let err = env.fails(&["status"], 1);
    assert!(
        err.contains("no release is both readable and unfinished; damaged: 2026-11-20"),
        "{err}"
    );
    assert!(err.contains("hint: `git release fsck`"), "{err}");
    assert!(!err.contains("every release is finished"), "{err}");
}

#[test]
fn events_of_a_newer_version_are_shown_not_dropped() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        "20991231T000000Z-0000000000ff.toml",
        "format = 2\nkind = \"teleport\"\ntime = \"2099-12-31T00:00:00Z\"\nactor = \"Future\"\nemail = \"f@x\"\nwhere = \"mars\"\n",
    );
    let log = env.ok(&["log"]);
    assert!(
        log.contains("Future <f@x>  teleport (unknown event kind)"),
        "{log}"
    );
    let v = crate::common::json(&env.ok(&["log", "--json"]));
    assert_eq!(v[1]["kind"], "teleport");
    assert_eq!(v[1]["fields"]["where"], "mars");
    // Said once per command, naming the file and both versions; the file is kept as it is.
    let (code, _, err) = env.run(&["log"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        err.matches("is written in format 2, newer than this git-release reads (1)")
            .count(),
        1,
        "{err}"
    );
    assert!(err.contains("20991231T000000Z-0000000000ff.toml"), "{err}");
    let blob = |env: &TestEnv| {
        env.git(&[
            "rev-parse",
            "refs/release/2026-11-20:events/20991231T000000Z-0000000000ff.toml",
        ])
    };
    let written = blob(&env);
    env.ok(&["fsck", "--fix"]);
    env.ok(&["comment", "after the future"]);
    assert_eq!(blob(&env), written);
    let status = env.ok(&["status"]);
    assert!(
        status.contains("events of kinds this version does not know: teleport"),
        "{status}"
    );
}

#[test]
fn a_comment_leaves_the_note_alone_and_a_deployment_rewrites_it() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[environments]]\nname = \"stage\"\n",
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    let target = env.git(&["rev-parse", "HEAD"]);
    assert!(
        env.git(&["notes", "--ref=release", "show", &target])
            .contains("stage: started")
    );
    // The note shows tag, stage, sign-offs and deployments; a comment changes none of them,
    // so it does not even look at the note: a lost one stays lost (fsck says so)...
    env.git(&["update-ref", "-d", "refs/notes/release"]);
    env.ok(&["comment", "ops delayed stage to 3pm"]);
    let (code, report, _) = env.run(&["fsck"]);
    assert_ne!(code, 0);
    assert!(report.contains("2026-11-20: note on"), "{report}");
    assert!(report.contains("is stale"), "{report}");
    assert!(
        env.git_output(&["rev-parse", "--verify", "-q", "refs/notes/release"])
            .stdout
            .is_empty()
    );
    // ...until an event it shows makes it again, from the whole state.
    env.ok(&["deploy", "stage"]);
    let note = env.git(&["notes", "--ref=release", "show", &target]);
    assert!(note.contains("deployed stage"), "{note}");
    assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (3 events)\n");
    env.fsck();
}

#[test]
fn a_packed_release_ref_moves_and_a_reflog_is_kept_when_asked_for() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["start", "--date", "2026-11-27"]);
    // After `git gc` a release ref lives in packed-refs only.
    env.git(&["pack-refs", "--all", "--prune"]);
    assert!(!env.repo.join(".git/refs/release/2026-11-20").exists());
    let before = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    env.ok(&["comment", "-r", "2026-11-20", "packed, then moved"]);
    let after = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    assert_eq!(env.git(&["rev-parse", &format!("{after}^")]), before);
    assert!(!env.repo.join(".git/packed-refs.lock").exists());
    assert!(!env.repo.join(".git/refs/release/2026-11-20.lock").exists());
    // A `git gc` packing refs holds packed-refs.lock, which gix's transaction takes too: a
    // comment waits for it, and names it when nobody lets go.
    let packing = env.repo.join(".git/packed-refs.lock");
    std::fs::write(&packing, "held by a gc\n").unwrap();
    let err = env.fails(&["comment", "-r", "2026-11-20", "while refs are packed"], 1);
    assert!(err.contains("packed-refs.lock"), "{err}");
    assert_eq!(env.git(&["rev-parse", "refs/release/2026-11-20"]), after);
    let waited = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.cmd()
                .env("GIT_RELEASE_STALE_LOCK_MS", "60000")
                .args(["comment", "-r", "2026-11-20", "while refs are packed"])
                .output()
                .unwrap()
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::fs::remove_file(&packing).unwrap();
        waiter.join().unwrap()
    });
    assert!(waited.status.success(), "{waited:?}");
    let moved = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    assert_eq!(env.git(&["rev-parse", &format!("{moved}^")]), after);
    // A ref that has a reflog (as `git update-ref --create-reflog` starts one) gets its
    // entry, as git would write it...
    std::fs::create_dir_all(env.repo.join(".git/logs/refs/release")).unwrap();
    std::fs::write(env.repo.join(".git/logs/refs/release/2026-11-20"), "").unwrap();
    env.ok(&["comment", "-r", "2026-11-20", "logged"]);
    let log = env.git(&["reflog", "show", "--format=%gs", "refs/release/2026-11-20"]);
    assert_eq!(
        log.lines().next(),
        Some("release: comment: logged"),
        "{log}"
    );
    // ...and so does every ref when the repository asks for all of them.
    env.git(&["config", "core.logAllRefUpdates", "always"]);
    env.ok(&["comment", "-r", "2026-11-27", "logged too"]);
    let log = env.git(&["reflog", "show", "--format=%gs", "refs/release/2026-11-27"]);
    assert_eq!(
        log.lines().next(),
        Some("release: comment: logged too"),
        "{log}"
    );
    env.fsck();
}

#[test]
fn a_release_past_256_events_fans_its_event_files_out_by_id() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    for i in 1..256 {
        env.ok(&["comment", &format!("note {i}")]);
    }
    // 256 events: all directly in events/, as blobs.
    let flat = env.git(&["ls-tree", "refs/release/2026-11-20:events"]);
    assert_eq!(flat.lines().count(), 256);
    assert!(flat.lines().all(|l| l.contains(" blob ")), "{flat}");
    env.ok(&["comment", "note 256"]);
    // The 257th moves them all into subdirectories named by the last two digits of the id.
    let top = env.git(&["ls-tree", "refs/release/2026-11-20:events"]);
    assert!(
        top.lines().all(|l| {
            let (meta, name) = l.split_once('\t').unwrap();
            meta.contains(" tree ")
                && name.len() == 2
                && name.bytes().all(|b| b.is_ascii_hexdigit())
        }),
        "{top}"
    );
    let paths = env.event_paths("refs/release/2026-11-20");
    assert_eq!(paths.len(), 257);
    for path in &paths {
        let (dir, file) = path.split_once('/').unwrap();
        assert!(file.ends_with(&format!("{dir}.toml")), "{path}");
    }
    let before: Vec<String> = env
        .event_paths("refs/release/2026-11-20~1")
        .iter()
        .map(|p| p.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(before.len(), 256);
    let after: Vec<&str> = paths.iter().map(|p| p.split_once('/').unwrap().1).collect();
    assert!(before.iter().all(|f| after.contains(&f.as_str())));
    // From then on an event adds one file to one subdirectory; nothing else moves.
    env.ok(&["comment", "note 257"]);
    let changed = env.git(&[
        "diff-tree",
        "-r",
        "--name-status",
        "refs/release/2026-11-20~1",
        "refs/release/2026-11-20",
    ]);
    let lines: Vec<&str> = changed.lines().collect();
    assert_eq!(lines.len(), 2, "{changed}");
    assert!(lines[0].starts_with("A\tevents/"), "{changed}");
    assert_eq!(lines[1], "M\trelease.toml");
    // Every reader sees every event, in order.
    let log = env.ok(&["log"]);
    assert!(log.contains("note 1\n"), "{log}");
    assert!(log.contains("note 257\n"), "{log}");
    assert!(log.find("note 256\n").unwrap() < log.find("note 257\n").unwrap());
    let state = env.git(&["cat-file", "-p", "refs/release/2026-11-20:release.toml"]);
    assert!(state.contains("events = 258"), "{state}");
    assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (258 events)\n");
    env.fsck();
}

#[test]
fn an_event_file_kept_twice_or_nested_too_deep_is_named() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let refname = "refs/release/2026-11-20";
    let events = env.git(&["rev-parse", &format!("{refname}:events")]);
    let listing = env.git(&["ls-tree", &events]);
    let file = listing.split_once('\t').unwrap().1.to_owned();
    // Puts `inner` (a tree) at events/<dir> next to the flat file, with plain git only.
    let put = |dir: &str, inner: &str| {
        let new_events = env.mktree(&format!("{listing}\n040000 tree {inner}\t{dir}\n"));
        let top = env
            .git(&["ls-tree", &format!("{refname}^{{tree}}")])
            .replace(&events, &new_events);
        let tree = env.mktree(&format!("{top}\n"));
        let commit = env.git(&["commit-tree", &tree, "-p", refname, "-m", "tamper"]);
        env.git(&["update-ref", refname, &commit]);
    };
    let started = listing.split_whitespace().nth(2).unwrap().to_owned();
    let twice = env.mktree(&format!("100644 blob {started}\t{file}\n"));
    let id_end = &file[file.len() - 7..file.len() - 5];
    put(id_end, &twice);
    let err = env.fails(&["log"], 1);
    assert!(
        err.contains(&format!("events/{id_end}/{file}")) && err.contains("is there twice"),
        "{err}"
    );
    env.git(&["update-ref", refname, &format!("{refname}~1")]);
    let deeper = env.mktree(&format!("040000 tree {twice}\tcd\n"));
    put("ab", &deeper);
    let (code, out, _) = env.run(&["fsck"]);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("events/ab/cd/{file}"))
            && out.contains("is nested deeper than event files are kept"),
        "{out}"
    );
}

#[test]
fn a_release_that_grew_past_256_events_flat_is_fanned_out_by_its_next_event() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    // 299 comments put straight into a flat events/ with plain git, as a build before the
    // fanned-out layout left a large release; `fsck --fix` folds release.toml to match.
    let dir = env.root.join("events");
    std::fs::create_dir(&dir).unwrap();
    let mut paths = String::new();
    let mut names = Vec::new();
    // Dated from an hour from now: after the start, and not so far ahead as to be suspect.
    let base = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    for i in 0..299u32 {
        let time = base + chrono::TimeDelta::seconds(i64::from(i));
        let name = format!(
            "{}-{:012x}.toml",
            time.format("%Y%m%dT%H%M%SZ"),
            0xabc000 + i
        );
        let path = dir.join(&name);
        std::fs::write(
            &path,
            format!(
                "format = 1\nkind = \"comment\"\ntime = \"{}\"\nactor = \"Old Build\"\nemail = \"old@example.com\"\nmessage = \"flat {i}\"\n",
                time.format("%Y-%m-%dT%H:%M:%S.000000Z")
            ),
        )
        .unwrap();
        paths.push_str(&format!("{}\n", path.display()));
        names.push(name);
    }
    let blobs = env.git_stdin(&["hash-object", "-w", "--stdin-paths"], &paths);
    let refname = "refs/release/2026-11-20";
    let events = env.git(&["rev-parse", &format!("{refname}:events")]);
    let mut listing = env.git(&["ls-tree", &events]);
    for (name, blob) in names.iter().zip(blobs.lines()) {
        listing.push_str(&format!("\n100644 blob {blob}\t{name}"));
    }
    let flat = env.mktree(&format!("{listing}\n"));
    let top = env
        .git(&["ls-tree", &format!("{refname}^{{tree}}")])
        .replace(&events, &flat);
    let tree = env.mktree(&format!("{top}\n"));
    let commit = env.git(&["commit-tree", &tree, "-p", refname, "-m", "old build"]);
    env.git(&["update-ref", refname, &commit]);
    env.ok(&["fsck", "--fix"]);
    assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (300 events)\n");
    assert_eq!(
        env.git(&["ls-tree", &format!("{refname}:events")])
            .lines()
            .count(),
        300
    );
    // The next event moves every file into its subdirectory.
    env.ok(&["comment", "after the upgrade"]);
    let paths = env.event_paths(refname);
    assert_eq!(paths.len(), 301);
    assert!(
        paths.iter().all(|p| p
            .split_once('/')
            .is_some_and(|(dir, file)| file.ends_with(&format!("{dir}.toml")))),
        "{paths:?}"
    );
    assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (301 events)\n");
    let log = env.ok(&["log"]);
    assert!(
        log.contains("flat 298") && log.contains("after the upgrade"),
        "{log}"
    );
    env.fsck();
}

#[test]
fn an_event_dated_far_ahead_is_kept_and_named_but_not_followed() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    // Pushed by anyone: an event at the last microsecond of year 9999.
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        "99991231T235959Z-0000000000ff.toml",
        "format = 1\nkind = \"comment\"\ntime = \"9999-12-31T23:59:59.999999Z\"\nactor = \"Mallory\"\nemail = \"m@example.com\"\nmessage = \"from the future\"\n",
    );
    let (code, _, err) = env.run(&["comment", "written today"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("more than a day ahead"), "{err}");
    env.ok(&["comment", "and again"]);
    // New events are dated by this clock, not after the forged one.
    let files = env.git(&["ls-tree", "--name-only", "refs/release/2026-11-20:events"]);
    let year = chrono::Utc::now().format("%Y").to_string();
    assert_eq!(
        files.lines().filter(|f| f.starts_with(&year)).count(),
        3,
        "{files}"
    );
    assert!(!files.contains("10000"), "{files}");
    let log = env.ok(&["log"]);
    assert!(
        log.contains("written today") && log.contains("from the future"),
        "{log}"
    );
    let out = env.ok(&["fsck"]);
    assert!(out.contains("more than a day ahead"), "{out}");
    env.fsck();
}

#[test]
fn fsck_fix_removes_what_a_killed_writer_left_once_it_is_a_minute_old() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let age = |path: &std::path::Path, seconds: u64| {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        file.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(seconds))
            .unwrap();
    };
    let lock = env.repo.join(".git/refs/release/2026-11-20.lock");
    let temporary = env.repo.join(".git/objects/.tmpKILLED");
    let fresh = env.repo.join(".git/refs/tags/2026-11-20.lock");
    for path in [&lock, &temporary, &fresh] {
        std::fs::write(path, "").unwrap();
    }
    // A pack's .keep a killed sync left (it says whose it is), and one of somebody else's.
    let pack = env.repo.join(".git/objects/pack");
    std::fs::create_dir_all(&pack).unwrap();
    let ours = pack.join("pack-1111111111111111111111111111111111111111.keep");
    let theirs = pack.join("pack-2222222222222222222222222222222222222222.keep");
    std::fs::write(
        &ours,
        "git-release: kept until the refs that need it are written\n",
    )
    .unwrap();
    std::fs::write(&theirs, "").unwrap();
    for path in [&lock, &ours, &theirs] {
        age(path, 120);
    }
    age(&temporary, 3600);
    let err = env.fails(&["comment", "blocked"], 1);
    assert!(
        err.contains("`git release fsck --fix` removes a lock"),
        "{err}"
    );
    let (code, out, _) = env.run(&["fsck"]);
    assert_ne!(code, 0);
    assert!(
        out.contains("2026-11-20.lock was left by a writer"),
        "{out}"
    );
    assert!(out.contains(".tmpKILLED was left by a writer"), "{out}");
    assert!(
        !out.contains("tags/2026-11-20.lock"),
        "a lock in use now stays: {out}"
    );
    let out = env.ok(&["fsck", "--fix"]);
    assert!(
        out.contains("removed") && out.contains("2026-11-20.lock"),
        "{out}"
    );
    assert!(!lock.exists() && !temporary.exists() && !ours.exists());
    assert!(
        theirs.exists(),
        "a .keep git-release did not write is not its to remove"
    );
    assert!(
        fresh.exists(),
        "a lock touched just now may have a live owner"
    );
    std::fs::remove_file(&fresh).unwrap();
    env.ok(&["comment", "unblocked"]);
    env.fsck();
}

#[test]
fn after_an_event_dated_far_ahead_every_clone_folds_the_same_and_gates_stay_shut() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[environments]]\nname = \"production\"\n",
    );
    env.commit_all("Release config");
    env.ok(&["start", "--date", "2026-11-20"]);
    // A real block event, copied with a date in 2099 under its own name.
    env.ok(&["block", "BUG-1"]);
    let (text, time) = event_of_kind(&env, "2026-11-20", "block");
    let forged = text
        .replace(&time, "2099-01-01T00:00:00.000000Z")
        .replace("BUG-1", "BUG-2");
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        "20990101T000000Z-0000000000bb.toml",
        &forged,
    );
    env.ok(&["fsck", "--fix"]);
    env.ok(&["unblock", "BUG-2"]);
    let blockers =
        |env: &TestEnv| crate::common::json(&env.ok(&["status", "--json"]))["blockers"].to_string();
    let here = blockers(&env);
    assert!(
        here.contains("BUG-2"),
        "the unblock sorts before the block dated ahead: {here}"
    );
    std::fs::remove_dir_all(env.repo.join(".git/release-fold-cache")).unwrap();
    assert_eq!(
        blockers(&env),
        here,
        "what this clone recorded is what every clone folds"
    );
    env.ok(&["fsck"]);
    let err = env.fails(&["deploy", "production"], 3);
    assert!(err.contains("more than a day ahead"), "{err}");
}

#[test]
fn an_event_recorded_after_one_dated_far_ahead_still_follows_the_others() {
    let env = TestEnv::new();
    env.write(".release/config.toml", "[roles.eng]\n");
    env.commit_all("Release config");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["signoff", "eng"]);
    let (signoff, time) = event_of_kind(&env, "2026-11-20", "signoff");
    // A clock two hours ahead signed off again; a forged event is dated 2099.
    let ahead = chrono::Utc::now() + chrono::TimeDelta::hours(2);
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        &format!("{}-0000000000cc.toml", ahead.format("%Y%m%dT%H%M%SZ")),
        &signoff.replace(
            &time,
            &ahead.format("%Y-%m-%dT%H:%M:%S.000000Z").to_string(),
        ),
    );
    tamper(
        &env,
        "2026-11-20",
        Some("events"),
        "20990101T000000Z-0000000000dd.toml",
        "format = 1\nkind = \"comment\"\ntime = \"2099-01-01T00:00:00.000000Z\"\nactor = \"M\"\nemail = \"m@example.com\"\nmessage = \"ahead\"\n",
    );
    env.ok(&["fsck", "--fix"]);
    // The revoke follows the sign-off two hours ahead, not only this clock.
    env.ok(&["signoff", "eng", "--revoke"]);
    let status = crate::common::json(&env.ok(&["status", "--json"]));
    assert_eq!(
        status["signoffs"].as_array().map_or(0, Vec::len),
        0,
        "{status}"
    );
}

/// The text of the first event file of `kind` at the head of release `name`, and its time.
fn event_of_kind(env: &TestEnv, name: &str, kind: &str) -> (String, String) {
    let events = format!("refs/release/{name}:events");
    let text = env
        .git(&["ls-tree", "--name-only", &events])
        .lines()
        .map(|f| env.git(&["show", &format!("{events}/{f}")]))
        .find(|text| text.contains(&format!("kind = \"{kind}\"")))
        .unwrap_or_else(|| panic!("no {kind} event in {name}"));
    let time = text
        .lines()
        .find_map(|l| l.strip_prefix("time = \""))
        .unwrap()
        .trim_end_matches('"')
        .to_owned();
    (text, time)
}
