use chrono::{Datelike, Weekday};

use crate::common::{TestEnv, json};

#[test]
fn start_records_tags_and_notes_the_release() {
    let env = TestEnv::new();
    let target = env.commit("Add login page");
    let name = env.ok(&["start", "--date", "2026-11-20"]);
    assert_eq!(name, "2026-11-20\n");

    // The release ref: one commit, authored by the actor, with the folded state and one event.
    assert_eq!(
        env.git(&["log", "--format=%an <%ae>|%s", "refs/release/2026-11-20"]),
        format!(
            "Ada Lovelace <ada@example.com>|start at {} (first release)",
            &target[..7]
        )
    );
    let state = env.git(&["cat-file", "-p", "refs/release/2026-11-20:release.toml"]);
    assert!(state.contains("format = 1"), "{state}");
    assert!(state.contains(&format!("target = \"{target}\"")), "{state}");
    assert!(state.contains("tag = \"2026-11-20\""), "{state}");
    let events = env.git(&["ls-tree", "--name-only", "refs/release/2026-11-20:events"]);
    assert_eq!(events.lines().count(), 1);
    assert!(events.ends_with(".toml"), "{events}");
    let event = env.git(&[
        "cat-file",
        "-p",
        &format!("refs/release/2026-11-20:events/{events}"),
    ]);
    assert!(event.contains("kind = \"started\""), "{event}");
    assert!(event.contains("email = \"ada@example.com\""), "{event}");

    // The annotated tag, with the commits in its message.
    assert_eq!(env.git(&["cat-file", "-t", "refs/tags/2026-11-20"]), "tag");
    assert_eq!(env.git(&["rev-parse", "2026-11-20^{commit}"]), target);
    let tag = env.git(&["cat-file", "-p", "refs/tags/2026-11-20"]);
    assert!(
        tag.contains("tagger Ada Lovelace <ada@example.com>"),
        "{tag}"
    );
    assert!(tag.contains("Release 2026-11-20"), "{tag}");
    assert!(tag.contains("Add login page (Ada Lovelace)"), "{tag}");
    assert!(tag.contains("Initial commit"), "{tag}");

    // The summary note on the target commit, readable without the tool.
    let note = env.git(&["notes", "--ref=release", "show", &target]);
    assert!(note.starts_with("release 2026-11-20\n"), "{note}");
    assert!(note.contains("stage: started"), "{note}");
    let log = env.git(&["log", "-1", "--notes=release", "--format=%N", &target]);
    assert!(log.contains("release 2026-11-20"), "{log}");

    // The working tree and index are untouched.
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    env.fsck();
}

#[test]
fn same_day_releases_get_suffixes() {
    let env = TestEnv::new();
    assert_eq!(env.ok(&["start", "--date", "2026-11-20"]), "2026-11-20\n");
    env.commit("Hotfix");
    assert_eq!(env.ok(&["start", "--date", "2026-11-20"]), "2026-11-20-1\n");
    assert_eq!(env.ok(&["start", "--date", "2026-11-20"]), "2026-11-20-2\n");
    // A tag made by hand with a higher suffix is respected.
    env.git(&["tag", "2026-11-20-7"]);
    assert_eq!(env.ok(&["start", "--date", "2026-11-20"]), "2026-11-20-8\n");
    let status = json(&env.ok(&["status", "--json", "-r", "2026-11-20-8"]));
    assert_eq!(status["previous"], "2026-11-20-7");
    env.fsck();
}

#[test]
fn previous_release_survives_messy_tags() {
    let env = TestEnv::new();
    for tag in [
        "sign-test",
        "2016-03-15",
        "2016-03-15-garbage",
        "2017-12-1",
        "2107-03-14-1",
    ] {
        env.git(&["tag", tag]);
    }
    let before = env.commit("Work after the old tags");
    env.ok(&["start", "--date", "2017-12-12"]);
    let status = json(&env.ok(&["status", "--json"]));
    // Not the far-future typo, not the junk: the greatest release name below 2017-12-12.
    assert_eq!(status["previous"], "2017-12-1");
    assert_eq!(status["target"], before);
    // The tag message lists only the commits since that tag.
    let tag = env.git(&["tag", "-l", "--format=%(contents)", "2017-12-12"]);
    assert!(tag.contains("Changes since 2017-12-1"), "{tag}");
    assert!(tag.contains("Work after the old tags"), "{tag}");
    assert!(!tag.contains("Initial commit"), "{tag}");
}

#[test]
fn the_default_name_is_today() {
    let env = TestEnv::new();
    let today = chrono::Local::now().date_naive();
    let name = env.ok(&["start"]);
    // Around midnight the clock may tick between the two readings.
    let after = chrono::Local::now().date_naive();
    let expected = [today, after].map(|d| format!("{}\n", d.format("%Y-%m-%d")));
    assert!(expected.contains(&name), "{name} is not {expected:?}");
}

#[test]
fn push_duty_names_the_release_after_the_next_push_day() {
    let env = TestEnv::new();
    env.ok(&["init", "--preset", "push-duty"]);
    let today = chrono::Local::now().date_naive();
    let name = env.ok(&["start"]);
    let ahead =
        (7 + Weekday::Thu.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let thursday = today + chrono::Days::new(ahead.into());
    let after = chrono::Local::now().date_naive();
    let ahead2 =
        (7 + Weekday::Thu.num_days_from_monday() - after.weekday().num_days_from_monday()) % 7;
    let thursday2 = after + chrono::Days::new(ahead2.into());
    let expected = [thursday, thursday2].map(|d| format!("{}\n", d.format("%Y.%m.%d")));
    assert!(expected.contains(&name), "{name} is not {expected:?}");
    // --date overrides the push day.
    assert_eq!(env.ok(&["start", "--date", "2015-09-03"]), "2015.09.03\n");
}

#[test]
fn explicit_names_and_no_tag() {
    let env = TestEnv::new();
    assert_eq!(
        env.ok(&["start", "--name", "2026-11-20-5", "--no-tag"]),
        "2026-11-20-5\n"
    );
    assert_eq!(env.git(&["tag", "-l"]), "");
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["tag"], serde_json::Value::Null);

    let before = env.snapshot();
    let err = env.fails(&["start", "--name", "2026-11-20-5"], 1);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    env.git(&["tag", "2026-12-01"]);
    let before_tag = env.snapshot();
    let err = env.fails(&["start", "--name", "2026-12-01"], 1);
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(env.snapshot(), before_tag);
    assert_ne!(before, before_tag);

    let err = env.fails(&["start", "--name", "next week"], 2);
    assert!(err.contains("cannot be a release name"), "{err}");
    let err = env.fails(&["start", "--name", "hotfix"], 2);
    assert!(err.contains("does not read as a release name"), "{err}");
    // Old spellings count in history, but new names are written the configured way.
    for other in ["2026.12.02", "2026-12-02.1"] {
        let err = env.fails(&["start", "--name", other], 2);
        assert!(err.contains("does not read as a release name"), "{err}");
    }
    assert_eq!(env.snapshot(), before_tag);
}

#[test]
fn refusals_write_nothing() {
    let empty = TestEnv::empty();
    let err = empty.fails(&["start"], 1);
    assert!(err.contains("no commits yet"), "{err}");
    assert!(err.contains("hint:"), "{err}");
    assert_eq!(empty.refs(), "");

    let env = TestEnv::new();
    let before = env.snapshot();
    let err = env.fails(&["start", "no-such-branch"], 1);
    assert!(
        err.contains("`no-such-branch` does not name a commit"),
        "{err}"
    );
    let err = env.fails(&["start", "--date", "2026-02-30"], 2);
    assert!(err.contains("--date"), "{err}");
    let out = env.ok(&["start", "--date", "2026-11-20", "--dry-run"]);
    assert!(out.contains("would start release 2026-11-20 at"), "{out}");
    assert!(out.contains("would create tag 2026-11-20"), "{out}");
    assert!(out.contains("Initial commit"), "{out}");
    assert_eq!(env.snapshot(), before);
    assert_eq!(
        env.git(&["count-objects"]).split(' ').next(),
        Some("3"),
        "dry run wrote objects"
    );
}

#[test]
fn start_at_an_older_revision() {
    let env = TestEnv::new();
    let first = env.git(&["rev-parse", "HEAD"]);
    env.commit("Not shipping yet");
    env.ok(&["start", "HEAD~1", "--date", "2026-11-20"]);
    assert_eq!(env.git(&["rev-parse", "2026-11-20^{commit}"]), first);
    let tag = env.git(&["tag", "-l", "--format=%(contents)", "2026-11-20"]);
    assert!(!tag.contains("Not shipping yet"), "{tag}");
}

#[test]
fn a_bare_repository_uses_the_committed_config() {
    let env = TestEnv::new();
    env.ok(&["init", "--preset", "push-duty"]);
    env.git(&["add", ".release"]);
    env.git(&["commit", "-q", "-m", "Release config"]);
    let bare = env.root.join("bare.git");
    env.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    let out = env
        .cmd_in(&bare)
        .args(["start", "--date", "2026-11-19"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "2026.11.19\n");
}

#[test]
fn a_missing_identity_is_explained() {
    let env = TestEnv::new();
    let out = env
        .cmd()
        .env_remove("GIT_AUTHOR_NAME")
        .env_remove("GIT_AUTHOR_EMAIL")
        .env_remove("GIT_COMMITTER_NAME")
        .env_remove("GIT_COMMITTER_EMAIL")
        .env("EMAIL", "")
        .args(["start"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("user.email"), "{err}");
    assert_eq!(
        env.refs(),
        "refs/heads/main ".to_owned() + &env.git(&["rev-parse", "HEAD"])
    );

    // A date git would not read is named by the variable it came from.
    let out = env
        .cmd()
        .env("GIT_AUTHOR_DATE", "the day after tomorrow-ish")
        .args(["start"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("GIT_AUTHOR_DATE = `the day after tomorrow-ish`"),
        "{err}"
    );
    assert!(err.contains("hint: unset GIT_AUTHOR_DATE"), "{err}");
    assert_eq!(
        env.refs(),
        "refs/heads/main ".to_owned() + &env.git(&["rev-parse", "HEAD"])
    );
}

#[test]
fn a_lock_left_on_the_tag_is_reported_and_a_released_one_is_waited_for() {
    let env = TestEnv::new();
    env.commit("Add login page");
    let lock = env.repo.join(".git/refs/tags/2026-11-20.lock");
    std::fs::write(&lock, "").unwrap();
    let before = env.refs();
    // A lock nobody releases: the name is not taken, so no `-1` either; the lock is named.
    let err = env.fails(&["start", "--date", "2026-11-20"], 1);
    assert!(
        err.contains("refs/tags/2026-11-20 has been locked"),
        "{err}"
    );
    assert!(err.contains("2026-11-20.lock"), "{err}");
    assert_eq!(env.refs(), before);

    // A lock that another writer drops while we wait (a minute before it would be called
    // stale): the name is still ours.
    let name = std::thread::scope(|s| {
        let waiter = s.spawn(|| {
            env.cmd()
                .env("GIT_RELEASE_STALE_LOCK_MS", "60000")
                .args(["start", "--date", "2026-11-20"])
                .output()
                .unwrap()
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        std::fs::remove_file(&lock).unwrap();
        waiter.join().unwrap()
    });
    assert!(name.status.success(), "{name:?}");
    assert_eq!(String::from_utf8_lossy(&name.stdout), "2026-11-20\n");
    assert_eq!(env.git(&["tag", "-l"]), "2026-11-20");
}

#[test]
fn naming_reads_one_year_of_tags_and_misses_nothing() {
    let env = TestEnv::new();
    // Old tags, one unpadded (from before the tool), one recorded release, and a tag whose
    // year is written with a sign — not a release name.
    for tag in ["2025-12-30", "2026-1-2", "+2026-01-04", "v2026.1"] {
        env.git(&["tag", tag]);
    }
    env.ok(&["start", "--date", "2025-06-01", "--no-tag"]);
    let dry = |date: &str| env.ok(&["start", "--dry-run", "--no-tag", "--date", date]);

    // The unpadded tag counts as that day's first release, and so as the previous one.
    let out = dry("2026-01-02");
    assert!(out.contains("would start release 2026-01-02-1 "), "{out}");
    assert!(out.contains("previous release: 2026-1-2"), "{out}");
    let out = dry("2026-01-05");
    assert!(out.contains("would start release 2026-01-05 "), "{out}");
    assert!(out.contains("previous release: 2026-1-2"), "{out}");
    // Nothing earlier that year: the previous release is found in an earlier one.
    let out = dry("2025-12-31");
    assert!(out.contains("previous release: 2025-12-30"), "{out}");
    let out = dry("2025-12-29");
    assert!(out.contains("previous release: 2025-06-01"), "{out}");
    let out = dry("2025-01-01");
    assert!(out.contains("previous release: none"), "{out}");
    // Notes of a tag made before the tool find its previous release the same way.
    let notes = env.ok(&["notes", "-r", "2026-1-2", "--format", "text"]);
    assert!(notes.contains("since 2025-12-30"), "{notes}");
}

#[test]
fn a_transaction_that_fails_partway_is_put_back() {
    let env = TestEnv::new();
    env.commit("Add login page");
    // The tag's reflog cannot be written (a file stands where its directory should), which
    // gix finds only once it commits, after the release ref moved.
    env.git(&["config", "core.logAllRefUpdates", "always"]);
    std::fs::create_dir_all(env.repo.join(".git/logs/refs")).unwrap();
    std::fs::write(env.repo.join(".git/logs/refs/tags"), "").unwrap();
    let before = env.refs();
    let err = env.fails(&["start", "--date", "2026-11-20"], 1);
    assert!(err.contains("failed partway"), "{err}");
    assert_eq!(env.refs(), before, "both or neither");
    std::fs::remove_file(env.repo.join(".git/logs/refs/tags")).unwrap();
    assert_eq!(env.ok(&["start", "--date", "2026-11-20"]), "2026-11-20\n");
}

/// A repository ten years old, built with `git fast-import`: a commit every Monday from 2016
/// (and three around a hotfix in February 2019), a release tag most months in the push-duty
/// pattern `%Y.%m.%d`, and the other tags a real history collects: the other separator, dotted
/// hotfix suffixes, unpadded dates, future-dated typos, version numbers and words. Tags are
/// lightweight and annotated by turns.
pub fn ten_year_old_repository() -> TestEnv {
    use chrono::NaiveDate;
    let day = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
    let mut dates: Vec<NaiveDate> = day("2016-01-04")
        .iter_weeks()
        .take_while(|d| d.year() < 2026)
        .collect();
    dates.extend(["2019-02-14", "2019-02-15", "2019-02-16"].map(day));
    dates.sort();
    // Monthly releases, except in early 2019, which has the odd spellings below.
    let mut tags: Vec<(String, NaiveDate)> = dates
        .iter()
        .filter(|d| d.day() <= 7 && !(d.year() == 2019 && d.month() <= 4))
        .map(|d| (d.format("%Y.%m.%d").to_string(), *d))
        .collect();
    for (name, on) in [
        ("2019.01.10-hotfix-docs", "2019-01-10"),
        ("2019.02.14", "2019-02-14"),
        ("2019.02.14.1", "2019-02-15"),
        ("2019.02.14.2", "2019-02-16"),
        ("2019-03-05", "2019-03-05"),
        ("2019.03.19", "2019-03-19"),
        ("2109-04-02-1", "2019-04-02"),
        ("2091.06.03", "2019-04-03"),
        ("2019-4-9", "2019-04-09"),
        ("4.2.1.3", "2019-05-01"),
        ("v2019.1", "2019-06-01"),
    ] {
        tags.push((name.to_owned(), day(on)));
    }
    let mut stream = String::new();
    let mut marks = Vec::new();
    for (i, date) in dates.iter().enumerate() {
        let time = date.and_hms_opt(10, 0, 0).unwrap().and_utc().timestamp();
        let message = format!("Change {i} of {date}\n");
        let content = format!("{i}\n");
        stream.push_str(&format!(
            "commit refs/heads/main\nmark :{}\n\
             author Ada Lovelace <ada@example.com> {time} +0000\n\
             committer Ada Lovelace <ada@example.com> {time} +0000\n\
             data {}\n{message}",
            i + 1,
            message.len()
        ));
        if i > 0 {
            stream.push_str(&format!("from :{i}\n"));
        }
        stream.push_str(&format!(
            "M 644 inline log.txt\ndata {}\n{content}\n",
            content.len()
        ));
        marks.push((*date, i + 1));
    }
    for (n, (name, on)) in tags.iter().enumerate() {
        // The newest commit made on or before the tag's day.
        let mark = marks.iter().rev().find(|(d, _)| d <= on).unwrap().1;
        if n % 2 == 0 {
            stream.push_str(&format!("reset refs/tags/{name}\nfrom :{mark}\n\n"));
        } else {
            let time = on.and_hms_opt(18, 0, 0).unwrap().and_utc().timestamp();
            let message = format!("Release {name}\n");
            stream.push_str(&format!(
                "tag {name}\nfrom :{mark}\n\
                 tagger Ada Lovelace <ada@example.com> {time} +0000\n\
                 data {}\n{message}\n",
                message.len()
            ));
        }
    }
    let env = TestEnv::empty();
    env.git_stdin(&["fast-import", "--quiet"], &stream);
    env.git(&["reset", "-q", "--hard", "main"]);
    env.ok(&["init", "--preset", "push-duty"]);
    env
}

/// The commit made on `date` in `ten_year_old_repository`.
fn commit_of(env: &TestEnv, date: &str) -> String {
    env.git(&[
        "log",
        "-1",
        "--format=%H",
        &format!("--until={date}T23:59:59Z"),
        "main",
    ])
}

#[test]
fn every_spelling_of_a_date_counts_in_history() {
    let env = ten_year_old_repository();
    assert!(
        env.git(&["rev-list", "--count", "main"])
            .parse::<u32>()
            .unwrap()
            > 500
    );

    // `2019-03-05` is the release before the twelfth, though written with dashes.
    let (code, out, err) = env.run(&[
        "start",
        &commit_of(&env, "2019-03-11"),
        "--date",
        "2019-03-12",
    ]);
    assert_eq!((code, out.as_str()), (0, "2019.03.12\n"), "{err}");
    assert!(err.contains("1 commit since 2019-03-05"), "{err}");
    assert!(
        err.contains(
            "note: 2019-03-05 counts as 2019.03.05 (another separator where `%Y.%m.%d` has none)"
        ),
        "{err}"
    );
    // Found in its own year, the previous release needs no other year's tags read: the
    // typos dated in the future are not looked at.
    assert!(!err.contains("dated in the future"), "{err}");
    let state = env.git(&["cat-file", "-p", "refs/release/2019.03.12:release.toml"]);
    assert!(state.contains("previous = \"2019-03-05\""), "{state}");

    // Two dotted hotfixes on Valentine's day: the next release that day is the third.
    let (code, out, err) = env.run(&[
        "start",
        &commit_of(&env, "2019-02-16"),
        "--date",
        "2019-02-14",
    ]);
    assert_eq!((code, out.as_str()), (0, "2019.02.14-3\n"), "{err}");
    assert!(err.contains("no commits since 2019.02.14.2"), "{err}");
    assert!(
        err.contains(
            "note: 2019.02.14.2 counts as 2019.02.14-2 (a `.N` suffix where `%Y.%m.%d` has none)"
        ),
        "{err}"
    );

    // A year without releases reads all of history: future-dated typos are never the previous
    // release, and one line names them.
    let (code, out, err) = env.run(&["start", "HEAD", "--date", "2026-11-30"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "2026.11.30\n");
    assert!(
        err.contains(
            "note: ignored 2 tags as releases: they are dated in the future (typos?): 2091.06.03, 2109-04-02-1\n"
        ),
        "{err}"
    );
    assert!(
        !err.contains("since 2091") && !err.contains("since 2109"),
        "{err}"
    );

    // Version numbers and words after a date are never releases.
    let list = env.ok(&["list", "--all"]);
    for junk in [
        "4.2.1.3",
        "2019.01.10-hotfix-docs",
        "v2019.1",
        "2109-04-02-1",
        "2091.06.03",
    ] {
        assert!(!list.contains(junk), "{junk} listed:\n{list}");
    }
}

#[test]
fn list_all_notes_other_spellings_and_future_typos() {
    let env = ten_year_old_repository();
    let (code, list, err) = env.run(&["list", "--all"]);
    assert_eq!(code, 0, "{err}");
    // One line for the typos, one for each tag spelled another way; stdout stays a listing.
    assert_eq!(
        err,
        "note: ignored 2 tags as releases: they are dated in the future (typos?): 2091.06.03, 2109-04-02-1\n\
         note: 2019-4-9 counts as 2019.04.09 (another separator, no zero padding where `%Y.%m.%d` has none)\n\
         note: 2019-03-05 counts as 2019.03.05 (another separator where `%Y.%m.%d` has none)\n\
         note: 2019.02.14.2 counts as 2019.02.14-2 (a `.N` suffix where `%Y.%m.%d` has none)\n\
         note: 2019.02.14.1 counts as 2019.02.14-1 (a `.N` suffix where `%Y.%m.%d` has none)\n"
    );
    for name in ["2019-4-9", "2019.03.19", "2019-03-05", "2019.02.14.1"] {
        let line = list.lines().find(|l| l.starts_with(&format!("{name} ")));
        assert!(
            line.is_some_and(|l| l.ends_with("tag only")),
            "{name}:\n{list}"
        );
    }
    // Newest first, by date: the unpadded April tag above the March ones.
    let names: Vec<&str> = list.lines().map(|l| l.split(' ').next().unwrap()).collect();
    let at = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(at("2019-4-9") < at("2019.03.19") && at("2019.03.19") < at("2019-03-05"));
    assert!(at("2019-03-05") < at("2019.02.14.2") && at("2019.02.14.2") < at("2019.02.14.1"));
    let v = json(&env.ok(&["list", "--all", "--json"]));
    let entry = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "2019-03-05")
        .unwrap();
    assert_eq!(
        entry["note"],
        "2019-03-05 counts as 2019.03.05 (another separator where `%Y.%m.%d` has none)"
    );
}
