//! A refused roll-forward or cherry-pick leaves the repository as it was, objects included;
//! generators are held to writing new migrations; merge commits need `--mainline`.

use crate::common::TestEnv;

const LINES: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";

/// Everything a write could leave behind: loose objects, packs and their files, refs,
/// worktrees (git's list and its administrative directories).
fn fingerprint(env: &TestEnv) -> String {
    let git_dir = env.repo.join(".git");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(git_dir.join("objects"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name == "info" || !entry.file_type().unwrap().is_dir() {
            continue;
        }
        for inner in std::fs::read_dir(entry.path()).unwrap().flatten() {
            files.push(format!("{name}/{}", inner.file_name().to_string_lossy()));
        }
    }
    if let Ok(worktrees) = std::fs::read_dir(git_dir.join("worktrees")) {
        for entry in worktrees.flatten() {
            files.push(format!("worktrees/{}", entry.file_name().to_string_lossy()));
        }
    }
    files.sort();
    format!(
        "{}\n--\n{}\n--\n{}",
        files.join("\n"),
        env.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
        env.git(&["worktree", "list", "--porcelain"])
    )
}

/// Runs a command that must be refused with exit `code`, and checks that it wrote nothing.
fn refused(env: &TestEnv, args: &[&str], code: i32) -> String {
    let before = fingerprint(env);
    let err = env.fails(args, code);
    assert_eq!(fingerprint(env), before, "{args:?} wrote something:\n{err}");
    assert!(err.contains("nothing was written"), "{err}");
    err
}

/// A release with `a.txt`, `b.txt`, and a Django-like app whose undo a generator writes.
fn repo(generate: &str) -> TestEnv {
    let env = TestEnv::new();
    let config = format!(
        "[[migrations]]\nsystem = \"django\"\ndir = \"shop/migrations\"\ngenerate = {}\n",
        toml_string(generate)
    );
    env.write(".release/config.toml", &config);
    env.write("a.txt", LINES);
    env.write("b.txt", LINES);
    env.write("models.txt", "name\n");
    env.write("shop/migrations/0015_initial.py", "# initial\n");
    env.commit_all("base");
    env
}

fn toml_string(text: &str) -> String {
    format!("'''{text}'''")
}

const GOOD_GENERATOR: &str = "echo '# undo '{name} > shop/migrations/0017_undo_{name}.py";

#[test]
fn a_conflict_after_a_clean_revert_writes_nothing() {
    let env = repo(GOOD_GENERATOR);
    env.write("a.txt", &LINES.replace("two", "TWO"));
    let older = env.commit_all("Older change");
    env.write("a.txt", &LINES.replace("two", "2"));
    env.commit_all("Later edit of the same line");
    env.write("b.txt", &LINES.replace("nine", "NINE"));
    let newer = env.commit_all("Newer change");
    env.ok(&["start", "--date", "2026-11-20"]);
    // The newer one reverts cleanly first; the older one then conflicts.
    let err = refused(
        &env,
        &["rollforward", &newer, &older, "--force", "--reason", "t"],
        1,
    );
    assert!(
        err.contains("cannot revert") && err.contains("a.txt"),
        "{err}"
    );
}

#[test]
fn an_undo_that_cannot_be_planned_writes_nothing() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[migrations]]\nsystem = \"plain-sql\"\ndir = \"sql\"\n",
    );
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.write("app.txt", "v1\n");
    env.commit_all("Users");
    env.write("sql/002-index.sql", "CREATE INDEX users_id ON users(id);\n");
    env.write("app.txt", "v2\n");
    let bad = env.commit_all("Index, and the code using it");
    env.ok(&["start", "--date", "2026-11-20"]);
    // The code's revert is planned before the migration is found to have no down part.
    let err = refused(&env, &["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(err.contains("002-index.sql"), "{err}");
}

#[test]
fn nothing_to_revert_after_a_clean_revert_writes_nothing() {
    let env = repo(GOOD_GENERATOR);
    env.write("a.txt", &LINES.replace("two", "TWO"));
    let change = env.commit_all("Change");
    env.git(&["revert", "--no-edit", &change]);
    env.write("b.txt", &LINES.replace("nine", "NINE"));
    let newer = env.commit_all("Newer change");
    env.ok(&["start", "--date", "2026-11-20"]);
    let err = refused(
        &env,
        &["rollforward", &newer, &change, "--force", "--reason", "t"],
        1,
    );
    assert!(err.contains("changes nothing"), "{err}");
}

/// A commit that changes the models and adds a migration, released.
fn with_migration(env: &TestEnv) -> String {
    env.write("models.txt", "name\nemail\n");
    env.write("shop/migrations/0016_email.py", "# add email\n");
    let bad = env.commit_all("Email");
    env.ok(&["start", "--date", "2026-11-20"]);
    bad
}

#[test]
fn a_failing_generator_names_its_command_and_writes_nothing() {
    let env = repo("echo makemigrations exploded >&2; exit 3");
    let bad = with_migration(&env);
    let err = refused(&env, &["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(err.contains("echo makemigrations exploded"), "{err}");
    assert!(err.contains("exit 3"), "{err}");
    assert!(err.contains("undoing 0016_email.py"), "{err}");
    assert!(err.contains("\nmakemigrations exploded"), "{err}");
}

#[test]
fn a_missing_interpreter_is_said_plainly() {
    let env = repo("/nonexistent/venv/bin/python manage.py makemigrations shop --name undo_{name}");
    let bad = with_migration(&env);
    let err = refused(&env, &["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(
        err.contains("/nonexistent/venv/bin/python manage.py"),
        "{err}"
    );
    assert!(
        err.contains("exit 127: the shell did not find a program it runs"),
        "{err}"
    );
}

#[test]
fn a_generator_may_only_add_files_to_the_migration_directory() {
    for (extra, named) in [
        ("echo x >> models.txt", "models.txt (changed)"),
        (
            "echo '# edited' >> shop/migrations/0016_email.py",
            "shop/migrations/0016_email.py (changed)",
        ),
        (
            "rm shop/migrations/0015_initial.py",
            "shop/migrations/0015_initial.py (deleted)",
        ),
        (
            "echo notes > NOTES.md",
            "NOTES.md (created outside the migration directory)",
        ),
    ] {
        let env = repo(&format!("{extra}; {GOOD_GENERATOR}"));
        let bad = with_migration(&env);
        let err = refused(&env, &["rollforward", &bad, "--force", "--reason", "t"], 1);
        assert!(err.contains(extra), "{err}");
        assert!(err.contains(&format!("\n  {named}")), "{extra}: {err}");
        assert!(
            !err.contains("0017_undo_0016_email.py"),
            "only the offending files are listed: {err}"
        );
    }
}

#[test]
fn a_generator_that_creates_nothing_is_refused() {
    let env = repo("true");
    let bad = with_migration(&env);
    let err = refused(&env, &["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(err.contains("created no file in shop/migrations"), "{err}");
}

#[test]
fn the_generator_runs_on_the_reverted_code_and_leaves_no_worktree() {
    // The generator sees the revert (models.txt without `email`) although that commit is only
    // planned, not written; files it leaves that .gitignore covers are not committed.
    let env = repo(
        "grep -q email models.txt && exit 9; mkdir -p shop/migrations/__pycache__; touch shop/migrations/__pycache__/x.pyc; echo '# undo '{name} > shop/migrations/0017_undo_{name}.py",
    );
    env.write(".gitignore", "__pycache__/\n");
    env.commit_all("ignore caches");
    let bad = with_migration(&env);
    env.ok(&["rollforward", &bad, "--force", "--reason", "t"]);
    let files = env.git(&["ls-tree", "-r", "--name-only", "rollforward/2026-11-20"]);
    assert!(
        files.contains("shop/migrations/0017_undo_0016_email.py"),
        "{files}"
    );
    assert!(!files.contains("__pycache__"), "{files}");
    assert_eq!(env.git(&["worktree", "list"]).lines().count(), 1);
    assert!(
        !env.repo.join(".git/worktrees").exists() || {
            std::fs::read_dir(env.repo.join(".git/worktrees"))
                .unwrap()
                .next()
                .is_none()
        }
    );
    env.fsck();
}

#[test]
fn a_conflicting_pick_after_a_clean_one_writes_nothing() {
    let env = TestEnv::new();
    env.write("a.txt", LINES);
    env.commit_all("base");
    env.ok(&["start", "--date", "2026-11-13"]);
    env.write("b.txt", "fix\n");
    let clean = env.commit_all("Clean fix");
    env.write("a.txt", &LINES.replace("two", "TWO"));
    env.commit_all("Edit two");
    env.write("a.txt", &LINES.replace("two", "2"));
    let conflicting = env.commit_all("Edit two again");
    let err = refused(
        &env,
        &[
            "start",
            "--date",
            "2026-11-20",
            "--from",
            "2026-11-13",
            "--pick",
            &clean,
            "--pick",
            &conflicting,
        ],
        1,
    );
    assert!(err.contains("cannot cherry-pick"), "{err}");
}

/// A release whose target merged a branch that added `feature.txt` and changed `a.txt`.
fn merged() -> (TestEnv, String) {
    let env = TestEnv::new();
    env.write("a.txt", LINES);
    env.commit_all("base");
    env.git(&["checkout", "-q", "-b", "feature"]);
    env.write("feature.txt", "feature\n");
    env.write("a.txt", &LINES.replace("two", "TWO"));
    env.commit_all("Feature");
    env.git(&["checkout", "-q", "-"]);
    env.write("b.txt", "main work\n");
    env.commit_all("Main work");
    env.git(&["merge", "-q", "--no-ff", "--no-edit", "feature"]);
    let merge = env.git(&["rev-parse", "HEAD"]).trim().to_owned();
    env.ok(&["start", "--date", "2026-11-20"]);
    (env, merge)
}

#[test]
fn a_merge_commit_needs_mainline() {
    let (env, merge) = merged();
    let err = refused(
        &env,
        &["rollforward", &merge, "--force", "--reason", "t"],
        1,
    );
    assert!(err.contains("is a merge commit"), "{err}");
    assert!(err.contains("hint: add --mainline 1"), "{err}");

    let err = env.fails(
        &[
            "rollforward",
            &merge,
            "--mainline",
            "3",
            "--force",
            "--reason",
            "t",
        ],
        2,
    );
    assert!(err.contains("has 2 parents"), "{err}");

    env.ok(&["rollforward", &merge, "-m", "1", "--force", "--reason", "t"]);
    let branch = "rollforward/2026-11-20";
    // The same tree and message as `git revert -m 1`.
    env.git(&["checkout", "-q", "--detach", &merge]);
    env.git(&["revert", "--no-edit", "-m", "1", &merge]);
    assert_eq!(
        env.git(&["rev-parse", &format!("{branch}^{{tree}}")]),
        env.git(&["rev-parse", "HEAD^{tree}"])
    );
    assert_eq!(
        env.git(&["log", "-1", "--format=%B", branch]),
        env.git(&["log", "-1", "--format=%B", "HEAD"])
    );
    let files = env.git(&["ls-tree", "--name-only", branch]);
    assert!(
        !files.contains("feature.txt") && files.contains("b.txt"),
        "{files}"
    );
    env.fsck();
}

#[test]
fn a_merge_commit_is_not_picked() {
    let (env, merge) = merged();
    let err = refused(
        &env,
        &[
            "start",
            "--date",
            "2026-11-21",
            "--from",
            "2026-11-20",
            "--pick",
            &merge,
        ],
        1,
    );
    assert!(err.contains("is a merge commit"), "{err}");
}

#[test]
fn a_generator_that_removes_its_own_worktree_leaves_no_trace() {
    let env = repo("rm -rf \"$PWD\"; exit 1");
    let bad = with_migration(&env);
    let err = refused(&env, &["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(err.contains("exit 1"), "{err}");
}

const TRAIN: &str = r#"
[[migrations]]
system = "plain-sql"
dir = "sql"

[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = { deployed = ["stage"] }
"#;

#[test]
fn an_owed_manual_undo_stops_production_until_it_is_written() {
    let env = TestEnv::new();
    env.write(".release/config.toml", TRAIN);
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.commit_all("Users");
    env.ok(&["start", "--date", "2026-11-13"]);
    env.write("sql/002-index.sql", "CREATE INDEX users_id ON users(id);\n");
    let bad = env.commit_all("Index");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["deploy", "stage"]);
    env.ok(&["deploy", "production"]);

    // Plain SQL has no down part: the undo is left to a person, and owed.
    env.ok(&[
        "rollforward",
        &bad,
        "--allow-manual-undo",
        "--force",
        "--reason",
        "index locks the table",
    ]);
    let status = env.ok(&["status", "-r", "2026-11-20"]);
    let line = format!(
        "rolled fwd branch rollforward/2026-11-20 at {}: rolls back 1 commit ({}) (forced)\n",
        &env.git(&["rev-parse", "rollforward/2026-11-20"])[..7],
        &bad[..7]
    );
    assert!(status.contains(&line), "{status}");
    assert!(!status.contains("(s)"), "{status}");
    assert!(
        status.contains("manual undo owed: 002-index.sql"),
        "{status}"
    );

    // The next release takes the roll-forward branch, TODO and all.
    env.git(&["merge", "-q", "--ff-only", "rollforward/2026-11-20"]);
    env.ok(&["start", "--date", "2026-11-21"]);
    let target = env.git(&["rev-parse", "--short=7", "HEAD"]);
    // The TODO undo the roll-forward wrote.
    let undo = env.git(&["diff", "--name-only", &bad, "HEAD"]);
    assert!(
        undo.starts_with("sql/003-") && !undo.contains('\n'),
        "{undo}"
    );
    let owed = format!("manual migration undo owed: {undo}");
    let status = env.ok(&["status", "-r", "2026-11-21"]);
    assert!(status.contains(&owed), "{status}");
    // Only production waits for it.
    env.ok(&["deploy", "stage"]);
    let before = env.refs();
    let err = env.fails(&["deploy", "production"], 3);
    assert!(err.contains(&owed), "{err}");
    let show = format!("git show {target}:{undo}");
    assert!(err.contains(&format!("run: {show}")), "{err}");
    assert_eq!(env.refs(), before);
    // The command it names shows the file, marker and all.
    let todo = env.git(&["show", &format!("{target}:{undo}")]);
    assert!(todo.contains("TODO: MANUAL UNDO REQUIRED"), "{todo}");
    // Forced, on the record.
    let (code, _, err) = env.run(&[
        "deploy",
        "production",
        "--force",
        "--reason",
        "the index is harmless for a day",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("forced past: {owed}")), "{err}");

    // The undo written, the marker gone: the next release goes through.
    env.write(&undo, "DROP INDEX users_id;\n");
    env.commit_all("Write the index's undo");
    env.ok(&["start", "--date", "2026-11-22"]);
    let status = env.ok(&["status", "-r", "2026-11-22"]);
    assert!(!status.contains("undo owed"), "{status}");
    env.ok(&["deploy", "stage"]);
    env.ok(&["deploy", "production"]);
}

/// Only a migration owes an undo: the marker quoted in docs or code (this tool's own source
/// holds it) does not stop production, configured dirs or not.
#[test]
fn the_marker_outside_migrations_owes_nothing() {
    for config in [
        TRAIN,
        "[[environments]]\nname = \"stage\"\n\n[[environments]]\nname = \"production\"\n",
    ] {
        let env = TestEnv::new();
        env.write(".release/config.toml", config);
        env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
        env.commit_all("Users");
        env.ok(&["start", "--date", "2026-11-13"]);
        env.write(
            "docs/rollforward.md",
            "A manual undo says TODO: MANUAL UNDO REQUIRED until it is written.\n",
        );
        env.write(
            "src/marker.rs",
            "pub const MARKER: &str = \"TODO: MANUAL UNDO REQUIRED\";\n",
        );
        env.write(
            "db/migrations/002-index.sql",
            "-- TODO: MANUAL UNDO REQUIRED for nothing\nSELECT 1;\n",
        );
        env.commit_all("Docs, code and a migration quoting the marker");
        env.ok(&["start", "--date", "2026-11-20"]);
        let status = env.ok(&["status", "-r", "2026-11-20"]);
        assert!(!status.contains("docs/rollforward.md"), "{status}");
        assert!(!status.contains("src/marker.rs"), "{status}");
        // The file under a migrations directory is one, wherever it is.
        assert!(
            status.contains("manual migration undo owed: db/migrations/002-index.sql"),
            "{status}"
        );
        env.write("db/migrations/002-index.sql", "SELECT 1;\n");
        env.commit_all("The undo, written");
        env.ok(&["start", "--date", "2026-11-21"]);
        env.ok(&["deploy", "stage"]);
        env.ok(&["deploy", "production"]);
    }
}

/// A migration too large to read for the marker is owed until a person looks: padding an
/// undo past the size limit must not hide its marker from the gate.
#[test]
fn a_migration_too_large_to_read_still_owes_its_undo() {
    let env = TestEnv::new();
    env.write(".release/config.toml", TRAIN);
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.commit_all("Users");
    env.ok(&["start", "--date", "2026-11-13"]);
    let padding = "-- padding\n".repeat((1 << 20) / 11 + 1);
    env.write(
        "db/migrations/002-index.sql",
        &format!("-- TODO: MANUAL UNDO REQUIRED for 001\nSELECT 1;\n{padding}"),
    );
    env.commit_all("A large manual undo");
    env.ok(&["start", "--date", "2026-11-20"]);
    let status = env.ok(&["status", "-r", "2026-11-20"]);
    assert!(
        status.contains("manual migration undo owed: db/migrations/002-index.sql"),
        "{status}"
    );
}

/// A migration that is a symlink runs what it points to: the marker there is owed too.
#[test]
fn a_migration_symlinked_to_a_manual_undo_still_owes_it() {
    let env = TestEnv::new();
    env.write(".release/config.toml", TRAIN);
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.commit_all("Users");
    env.ok(&["start", "--date", "2026-11-13"]);
    env.write(
        "shared/undo.sql",
        "-- TODO: MANUAL UNDO REQUIRED for 001\nSELECT 1;\n",
    );
    std::fs::create_dir_all(env.repo.join("db/migrations")).unwrap();
    std::os::unix::fs::symlink(
        "../../shared/undo.sql",
        env.repo.join("db/migrations/002-undo.sql"),
    )
    .unwrap();
    env.commit_all("An undo through a symlink");
    assert_eq!(
        env.git(&["ls-files", "-s", "db/migrations/002-undo.sql"])
            .split(' ')
            .next(),
        Some("120000")
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    let status = env.ok(&["status", "-r", "2026-11-20"]);
    assert!(
        status.contains("manual migration undo owed: db/migrations/002-undo.sql"),
        "{status}"
    );
}

/// The undo stays owed in the next release: starting one more does not forget it.
#[test]
fn an_owed_undo_is_still_owed_by_the_next_release() {
    let env = TestEnv::new();
    env.write(".release/config.toml", TRAIN);
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.commit_all("Users");
    env.ok(&["start", "--date", "2026-11-13"]);
    env.write(
        "db/migrations/002-undo.sql",
        "-- TODO: MANUAL UNDO REQUIRED for 001\nSELECT 1;\n",
    );
    env.commit_all("A manual undo");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.write("app.txt", "v2\n");
    env.commit_all("Something else");
    env.ok(&["start", "--date", "2026-11-21"]);
    let status = env.ok(&["status", "-r", "2026-11-21"]);
    assert!(
        status.contains("manual migration undo owed: db/migrations/002-undo.sql"),
        "{status}"
    );
}
