//! Reverts and cherry-picks without a worktree, checked against the real `git revert` and
//! `git cherry-pick -x`; roll-forward with migration undo, checked on a real SQLite database.

use std::process::Command;

use crate::common::{TestEnv, json};

const LINES: &str = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";

fn write_exec(env: &TestEnv, path: &str, text: &str, exec: bool) {
    use std::os::unix::fs::PermissionsExt;
    env.write(path, text);
    let mode = if exec { 0o755 } else { 0o644 };
    std::fs::set_permissions(env.repo.join(path), std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A repository with a release, a commit `C` to undo or pick, and some later work.
/// Returns (env, C, the commit after the later work).
struct Scenario {
    name: &'static str,
    /// Sets up the base (committed as "base").
    base: fn(&TestEnv),
    /// The change C.
    change: fn(&TestEnv),
    /// Work after C.
    later: fn(&TestEnv),
    conflicts: bool,
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "clean edit",
            base: |e| e.write("a.txt", LINES),
            change: |e| e.write("a.txt", &LINES.replace("two", "TWO")),
            later: |e| {
                e.write(
                    "a.txt",
                    &LINES.replace("two", "TWO").replace("nine", "NINE"),
                )
            },
            conflicts: false,
        },
        Scenario {
            name: "conflicting edit",
            base: |e| e.write("a.txt", LINES),
            change: |e| e.write("a.txt", &LINES.replace("two", "TWO")),
            later: |e| e.write("a.txt", &LINES.replace("two", "2")),
            conflicts: true,
        },
        Scenario {
            name: "rename",
            base: |e| e.write("old.txt", LINES),
            change: |e| {
                e.git(&["mv", "old.txt", "new.txt"]);
                e.write("new.txt", &LINES.replace("one", "ONE"));
            },
            later: |e| e.write("b.txt", "unrelated\n"),
            conflicts: false,
        },
        Scenario {
            name: "binary file",
            base: |e| e.write("logo.bin", "\u{0}\u{1}\u{2}binary\u{0}"),
            change: |e| e.write("logo.bin", "\u{0}\u{3}\u{4}changed\u{0}"),
            later: |e| e.write("b.txt", "unrelated\n"),
            conflicts: false,
        },
        Scenario {
            name: "mode change",
            base: |e| write_exec(e, "run.sh", "#!/bin/sh\necho hi\n", false),
            change: |e| write_exec(e, "run.sh", "#!/bin/sh\necho hi\n", true),
            later: |e| e.write("b.txt", "unrelated\n"),
            conflicts: false,
        },
        Scenario {
            name: "files added and deleted",
            base: |e| {
                e.write("keep.txt", "keep\n");
                e.write("gone.txt", "gone\n");
            },
            change: |e| {
                e.git(&["rm", "-q", "gone.txt"]);
                e.write("dir/new.txt", "new\n");
            },
            later: |e| e.write("keep.txt", "keep, edited\n"),
            conflicts: false,
        },
    ]
}

fn build(s: &Scenario) -> (TestEnv, String, String) {
    let env = TestEnv::new();
    (s.base)(&env);
    env.commit_all("base");
    env.git(&["tag", "2026-11-13"]);
    (s.change)(&env);
    let c = env.commit_all(&format!("Change: {}", s.name));
    (s.later)(&env);
    let later = env.commit_all("later");
    (env, c, later)
}

/// Runs git itself in a throwaway worktree at `at`; returns (success, tree, message, conflicted paths).
fn with_git(env: &TestEnv, at: &str, args: &[&str]) -> (bool, String, String, Vec<String>) {
    let wt = env.root.join(format!("wt-{}", args[0]));
    env.git(&[
        "worktree",
        "add",
        "-q",
        "--detach",
        wt.to_str().unwrap(),
        at,
    ]);
    let run = |a: &[&str]| {
        Command::new("git")
            .current_dir(&wt)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "Ada Lovelace")
            .env("GIT_AUTHOR_EMAIL", "ada@example.com")
            .env("GIT_COMMITTER_NAME", "Ada Lovelace")
            .env("GIT_COMMITTER_EMAIL", "ada@example.com")
            .args(a)
            .output()
            .unwrap()
    };
    let ok = run(args).status.success();
    let text = |a: &[&str]| {
        String::from_utf8(run(a).stdout)
            .unwrap()
            .trim_end()
            .to_owned()
    };
    let conflicts: Vec<String> = text(&["diff", "--name-only", "--diff-filter=U"])
        .lines()
        .map(String::from)
        .collect();
    let tree = text(&["rev-parse", "HEAD^{tree}"]);
    let message = text(&["log", "-1", "--format=%B"]);
    run(&["reset", "-q", "--hard"]);
    env.git(&["worktree", "remove", "--force", wt.to_str().unwrap()]);
    (ok, tree, message, conflicts)
}

#[test]
fn reverts_equal_git_revert() {
    for s in scenarios() {
        let (env, c, _later) = build(&s);
        env.ok(&["start", "--date", "2026-11-20"]);
        let before = env.snapshot();
        let (code, _, err) = env.run(&[
            "rollforward",
            &c,
            "--force",
            "--reason",
            "test",
            "--branch",
            "rf",
        ]);
        let (git_ok, git_tree, git_message, git_conflicts) =
            with_git(&env, "2026-11-20", &["revert", "--no-edit", &c]);
        if s.conflicts {
            assert_eq!(code, 1, "{}: {err}", s.name);
            assert!(!git_ok, "{}: git revert did not conflict", s.name);
            assert!(err.contains("cannot revert"), "{}: {err}", s.name);
            for path in &git_conflicts {
                assert!(
                    err.contains(&format!("\n  {path}")),
                    "{}: {path} not listed: {err}",
                    s.name
                );
            }
            assert!(
                err.contains("hint: resolve it by hand in a worktree"),
                "{err}"
            );
            assert_eq!(
                env.snapshot(),
                before,
                "{}: a conflict wrote something",
                s.name
            );
            continue;
        }
        assert_eq!(code, 0, "{}: {err}", s.name);
        assert!(git_ok, "{}: git revert failed", s.name);
        assert_eq!(
            env.git(&["rev-parse", "rf^{tree}"]),
            git_tree,
            "{}: tree differs from git revert",
            s.name
        );
        assert_eq!(
            env.git(&["log", "-1", "--format=%B", "rf"]),
            git_message,
            "{}",
            s.name
        );
        assert_eq!(
            env.git(&["rev-parse", "rf^"]),
            env.git(&["rev-parse", "2026-11-20^{commit}"])
        );
        // The user's checkout is where it was.
        assert_eq!(env.git(&["status", "--porcelain"]), "", "{}", s.name);
        env.fsck();
    }
}

#[test]
fn cherry_picks_equal_git_cherry_pick() {
    for s in scenarios() {
        let (env, c, later) = build(&s);
        // Release "later" first, so the pick goes onto the old tag + C's change.
        env.ok(&["start", "--name", "2026-11-14", "HEAD~2"]);
        let _ = later;
        let before = env.snapshot();
        let head = env.git(&["rev-parse", "HEAD"]);
        let (code, out, err) = env.run(&[
            "start",
            "--date",
            "2026-11-20",
            "--from",
            "2026-11-14",
            "--pick",
            &c,
        ]);
        let (git_ok, git_tree, git_message, _) =
            with_git(&env, "2026-11-14", &["cherry-pick", "-x", &c]);
        if !git_ok {
            assert_eq!(code, 1, "{}: git conflicted, we did not: {out}", s.name);
            assert_eq!(env.snapshot(), before);
            continue;
        }
        assert_eq!(code, 0, "{}: {err}", s.name);
        assert_eq!(out, "2026-11-20\n");
        assert_eq!(
            env.git(&["rev-parse", "2026-11-20^{tree}"]),
            git_tree,
            "{}: tree differs from git cherry-pick",
            s.name
        );
        assert_eq!(
            env.git(&["log", "-1", "--format=%B", "2026-11-20^{commit}"]),
            git_message,
            "{}",
            s.name
        );
        // The original author and date are kept, as git does.
        assert_eq!(
            env.git(&["log", "-1", "--format=%an %ae %ad", "2026-11-20^{commit}"]),
            env.git(&["log", "-1", "--format=%an %ae %ad", &c])
        );
        assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
        assert_eq!(env.git(&["status", "--porcelain"]), "");
    }
}

#[test]
fn a_conflicting_pick_writes_nothing_and_names_the_paths() {
    let s = &scenarios()[1];
    let (env, _c, later) = build(s);
    env.ok(&["start", "--name", "2026-11-14", "HEAD~2"]);
    let before = env.snapshot();
    // `later` changes the line C changed; on the old release it conflicts, for git too.
    let err = env.fails(
        &[
            "start",
            "--date",
            "2026-11-20",
            "--from",
            "2026-11-14",
            "--pick",
            &later,
        ],
        1,
    );
    let (git_ok, _, _, git_conflicts) =
        with_git(&env, "2026-11-14", &["cherry-pick", "-x", &later]);
    assert!(!git_ok);
    assert_eq!(git_conflicts, ["a.txt"]);
    assert!(
        err.contains("cannot cherry-pick") && err.contains("\n  a.txt"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}

#[test]
fn a_cherry_pick_release_records_its_picks() {
    let env = TestEnv::new();
    env.commit("Shipped");
    env.ok(&["start", "--date", "2026-11-13"]);
    env.write("risky.txt", "risky\n");
    let risky = env.commit_all("Risky feature");
    env.write("checkout.txt", "fixed\n");
    let fix = env.commit_all("Fix checkout");
    let before = env.git(&["count-objects"]);
    let out = env.ok(&[
        "start",
        "--date",
        "2026-11-20",
        "--from",
        "2026-11-13",
        "--pick",
        &fix,
        "--dry-run",
    ]);
    assert!(out.contains("would start release 2026-11-20"), "{out}");
    assert_eq!(
        env.git(&["count-objects"]),
        before,
        "a dry run wrote objects"
    );
    env.ok(&[
        "start",
        "--date",
        "2026-11-20",
        "--from",
        "2026-11-13",
        "--pick",
        &fix,
    ]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["from"], "2026-11-13");
    assert_eq!(status["previous"], "2026-11-13");
    assert_eq!(status["picks"][0]["id"], fix.as_str());
    assert_eq!(status["picks"][0]["subject"], "Fix checkout");
    let text = env.ok(&["status"]);
    assert!(
        text.contains("cut from   2026-11-13, with 1 cherry-pick:"),
        "{text}"
    );
    let notes = json(&env.ok(&["notes", "--format", "json"]));
    assert_eq!(notes["entries"][0]["subject"], "Fix checkout");
    assert_eq!(notes["count"], 1);
    let pad = env.ok(&["render", "push-pad"]);
    assert!(
        pad.contains(&format!("- {} Fix checkout", &fix[..7])),
        "{pad}"
    );
    assert!(
        !env.git(&["log", "--format=%H", "2026-11-20"])
            .contains(&risky)
    );
    let err = env.fails(
        &["start", "--from", "2026-11-13", "--pick", &fix, "--no-tag"],
        2,
    );
    assert!(err.contains("needs its tag"), "{err}");
    let err = env.fails(&["start", "--from", "2001-01-01", "--pick", &fix], 1);
    assert!(
        err.contains("no release or release tag named 2001-01-01"),
        "{err}"
    );
}

const ENG: (&str, &str) = ("Lee Lead", "lead@example.com");

/// The first migration, `000001_users`, committed with the app's first version.
fn users(env: &TestEnv) {
    env.write(
        "db/migrations/000001_users.up.sql",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
    );
    env.write("db/migrations/000001_users.down.sql", "DROP TABLE users;\n");
    env.write("app.txt", "v1\n");
    env.commit_all("Users");
}

fn golang_repo() -> (TestEnv, String) {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[roles.eng]\nmembers = [\"lead@example.com\"]\n",
    );
    users(&env);
    env.write(
        "db/migrations/000002_add_email.up.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE INDEX users_email ON users(email);\n",
    );
    env.write(
        "db/migrations/000002_add_email.down.sql",
        "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;\n",
    );
    env.write("app.txt", "v2 uses email\n");
    let bad = env.commit_all("Add email");
    env.ok(&["start", "--date", "2026-11-20"]);
    (env, bad)
}

fn sqlite(db: &std::path::Path, sql: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("sqlite3")
        .arg(db)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("sqlite3 is installed (.ci/run installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(sql.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

const SCHEMA: &str = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name;";

#[test]
fn rollforward_undoes_a_migration_on_a_real_database() {
    let (env, bad) = golang_repo();
    let err = env.fails(&["rollforward", &bad], 3);
    assert!(err.contains("no roll-back approval from `eng`"), "{err}");
    let err = env.fails(&["rollback-approve"], 1);
    assert!(err.contains("not a member of role `eng`"), "{err}");
    env.ok_as(
        ENG,
        &["rollback-approve", "--note", "logins fail since the push"],
    );

    let head = env.git(&["rev-parse", "HEAD"]);
    let objects = env.git(&["count-objects"]);
    let plan = env.ok(&["rollforward", &bad, "--dry-run"]);
    // The branch starts at the release's commit, and the plan says so.
    let first = plan.lines().next().unwrap();
    assert!(
        first.starts_with("would create branch rollforward/2026-11-20 at ")
            && first.ends_with(&format!(
                ", starting at release 2026-11-20 ({}):",
                &env.git(&["rev-parse", "--short", "2026-11-20^{commit}"])
            )),
        "{plan}"
    );
    assert!(plan.contains("Revert \"Add email\""), "{plan}");
    assert!(plan.contains("Undo migration 000002_add_email"), "{plan}");
    assert!(
        plan.contains("+++ b/db/migrations/000003_undo_add_email.up.sql"),
        "{plan}"
    );
    assert!(plan.contains("-v2 uses email\n+v1"), "{plan}");
    assert_eq!(
        env.git(&["count-objects"]),
        objects,
        "a dry run wrote objects"
    );
    assert!(env.git(&["branch", "--list", "rollforward/*"]).is_empty());

    assert_eq!(env.ok(&["rollforward", &bad]), "rollforward/2026-11-20\n");
    let branch = "rollforward/2026-11-20";
    let log = env.git(&["log", "--format=%s", &format!("2026-11-20..{branch}")]);
    assert_eq!(
        log,
        format!(
            "Undo migration 000002_add_email (roll-forward of {})\nRevert \"Add email\"",
            &bad[..7]
        )
    );
    // The migration that ran stays; the code is back to v1.
    let files = env.git(&["ls-tree", "-r", "--name-only", branch]);
    assert!(
        files.contains("db/migrations/000002_add_email.up.sql"),
        "{files}"
    );
    assert_eq!(env.git(&["show", &format!("{branch}:app.txt")]), "v1");

    // Apply what production ran, then what the branch adds: the schema is as before the bad one.
    let db = env.root.join("prod.db");
    let migration = |name: &str| env.git(&["show", &format!("{branch}:db/migrations/{name}")]);
    sqlite(&db, &migration("000001_users.up.sql"));
    let before = sqlite(&db, SCHEMA);
    sqlite(&db, &migration("000002_add_email.up.sql"));
    assert_ne!(sqlite(&db, SCHEMA), before);
    sqlite(&db, &migration("000003_undo_add_email.up.sql"));
    assert_eq!(sqlite(&db, SCHEMA), before);

    let status = json(&env.ok(&["status", "--json"]));
    let rf = &status["rollforwards"][0];
    assert_eq!(rf["branch"], branch);
    assert_eq!(rf["reverted"][0], bad.as_str());
    assert_eq!(rf["undone"][0], "000002_add_email");
    assert_eq!(env.git(&["rev-parse", "HEAD"]), head);
    assert_eq!(env.git(&["status", "--porcelain"]), "");
    let err = env.fails(&["rollforward", &bad], 1);
    assert!(
        err.contains("branch rollforward/2026-11-20 already exists"),
        "{err}"
    );
    env.fsck();
}

#[test]
fn dbmate_and_goose_roll_forward_through_the_command() {
    for (system, first, bad_file, bad_sql) in [
        (
            "dbmate",
            (
                "20260101000000_users.sql",
                "-- migrate:up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- migrate:down\nDROP TABLE users;\n",
            ),
            "20260201000000_orders.sql",
            "-- migrate:up\nCREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n\n-- migrate:down\nDROP TABLE orders;\n",
        ),
        (
            "goose",
            (
                "00001_users.sql",
                "-- +goose Up\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n\n-- +goose Down\nDROP TABLE users;\n",
            ),
            "00002_orders.sql",
            "-- +goose Up\nCREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER);\n\n-- +goose Down\nDROP TABLE orders;\n",
        ),
    ] {
        let env = TestEnv::new();
        env.write(&format!("migrations/{}", first.0), first.1);
        env.commit_all("Users");
        env.write(&format!("migrations/{bad_file}"), bad_sql);
        let bad = env.commit_all("Orders");
        env.ok(&["start", "--date", "2026-11-20"]);
        env.ok(&["rollforward", &bad, "--force", "--reason", "test"]);
        let branch = "rollforward/2026-11-20";
        let added = env.git(&[
            "diff",
            "--name-only",
            "--diff-filter=A",
            &format!("2026-11-20..{branch}"),
        ]);
        assert_eq!(added.lines().count(), 1, "{system}: {added}");
        let undo = env.git(&["show", &format!("{branch}:{added}")]);
        // Apply only the up parts, as the tool would.
        let up = |text: &str| -> String {
            let marker = if system == "dbmate" {
                "-- migrate:down"
            } else {
                "-- +goose Down"
            };
            text.split(marker).next().unwrap().to_owned()
        };
        let db = env.root.join(format!("{system}.db"));
        sqlite(&db, &up(first.1));
        let before = sqlite(&db, SCHEMA);
        sqlite(&db, &up(bad_sql));
        sqlite(&db, &up(&undo));
        assert_eq!(sqlite(&db, SCHEMA), before, "{system}: {undo}");
    }
}

#[test]
fn forward_only_migrations_need_a_manual_undo() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[migrations]]\nsystem = \"plain-sql\"\ndir = \"sql\"\n",
    );
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.commit_all("Users");
    env.write(
        "sql/002-add-index.sql",
        "CREATE INDEX users_id ON users(id);\n",
    );
    let bad = env.commit_all("Index");
    env.ok(&["start", "--date", "2026-11-20"]);
    let before = env.snapshot();
    let err = env.fails(&["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(err.contains("002-add-index.sql"), "{err}");
    assert!(err.contains("--allow-manual-undo"), "{err}");
    assert_eq!(env.snapshot(), before);

    let (code, _, err) = env.run(&[
        "rollforward",
        &bad,
        "--force",
        "--reason",
        "t",
        "--allow-manual-undo",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("manual undo owed for 002-add-index.sql"),
        "{err}"
    );
    let todo = env.git(&["show", "rollforward/2026-11-20:sql/003-undo-add-index.sql"]);
    assert!(todo.starts_with("-- TODO: MANUAL UNDO REQUIRED"), "{todo}");
    let status = env.ok(&["status"]);
    assert!(
        status.contains("manual undo owed: 002-add-index.sql"),
        "{status}"
    );
}

#[test]
fn orm_undo_is_generated_in_a_temporary_worktree() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[migrations]]\nsystem = \"django\"\ndir = \"shop/migrations\"\n\
         generate = \"test -f models.txt && grep -q email models.txt || echo '# undo '{name}' of '{sha} > shop/migrations/0017_undo_{name}.py\"\n",
    );
    env.write("models.txt", "name\n");
    env.write("shop/migrations/0015_initial.py", "# initial\n");
    env.commit_all("Shop");
    env.write("models.txt", "name\nemail\n");
    env.write("shop/migrations/0016_email.py", "# add email\n");
    let bad = env.commit_all("Email");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["rollforward", &bad, "--force", "--reason", "t"]);
    let branch = "rollforward/2026-11-20";
    let undo = env.git(&[
        "show",
        &format!("{branch}:shop/migrations/0017_undo_0016_email.py"),
    ]);
    assert_eq!(undo, format!("# undo 0016_email of {}", &bad[..7]));
    assert!(
        env.git(&["show", &format!("{branch}:shop/migrations/0016_email.py")])
            .contains("add email")
    );
    assert_eq!(
        env.git(&["worktree", "list"]).lines().count(),
        1,
        "the temporary worktree is gone"
    );

    // A failing generator aborts with its output; nothing is written.
    env.ok(&[
        "config",
        "set",
        "migrations.0.generate",
        "echo makemigrations exploded >&2; exit 3",
    ]);
    env.git(&["branch", "-D", "-q", branch]);
    let before = env.snapshot();
    let err = env.fails(&["rollforward", &bad, "--force", "--reason", "t"], 1);
    assert!(err.contains("makemigrations exploded"), "{err}");
    assert!(err.contains("nothing was written"), "{err}");
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.git(&["worktree", "list"]).lines().count(), 1);
}

/// Files named `name` anywhere under `dir`.
fn find(dir: &std::path::Path, name: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if entry.file_name() == name {
            found.push(path.clone());
        }
        if entry.file_type().unwrap().is_dir() {
            found.extend(find(&path, name));
        }
    }
    found
}

#[test]
fn a_migration_named_like_shell_code_reaches_the_generator_as_a_name() {
    // `cd` alone goes to $HOME, which is the test's own directory: no slash in the file name.
    for name in [
        "0002_$(cd;touch PWNED)",
        "0002_`cd;touch PWNED`",
        "0002_email;cd;touch PWNED",
    ] {
        let env = TestEnv::new();
        // An ORM of sorts: it writes the undo from the `-- down:` line of the migration.
        env.write(
            ".release/config.toml",
            r#"[[migrations]]
system = "sqlgen"
dir = "db/migrations"
generate = '''sed -n 's/^-- down: //p' "$GIT_RELEASE_MIGRATION_FILE" > "db/migrations/0003_undo_{name}.sql"; echo "-- undoes {name} of {sha} in $GIT_RELEASE_MIGRATION_DIR" >> db/migrations/0003_undo_{name}.sql'''
"#,
        );
        env.write(
            "db/migrations/0001_users.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
        );
        env.write("app.txt", "v1\n");
        env.commit_all("Users");
        let bad_file = format!("db/migrations/{name}.sql");
        env.write(
            &bad_file,
            "ALTER TABLE users ADD COLUMN email TEXT;\n-- down: ALTER TABLE users DROP COLUMN email;\n",
        );
        env.write("app.txt", "v2 uses email\n");
        let bad = env.commit_all("Add email");
        env.ok(&["start", "--date", "2026-11-20"]);

        env.ok(&["rollforward", &bad, "--force", "--reason", "t"]);
        assert_eq!(
            find(&env.root, "PWNED"),
            Vec::<std::path::PathBuf>::new(),
            "{name}"
        );

        let branch = "rollforward/2026-11-20";
        env.git(&["branch", "-m", branch, "first"]);
        let plan = env.ok(&["rollforward", &bad, "--force", "--reason", "t", "--dry-run"]);
        assert!(
            plan.contains(&format!(
                "with GIT_RELEASE_MIGRATION_NAME={name} in a temporary worktree"
            )),
            "{plan}"
        );
        let branch = "first";
        let undo = format!("db/migrations/0003_undo_{name}.sql");
        let added = env.git(&[
            "diff",
            "--name-only",
            "-z",
            &format!("2026-11-20..{branch}"),
        ]);
        assert!(added.split('\0').any(|p| p == undo), "{name}: {added:?}");
        let sql = env.git(&["show", &format!("{branch}:{undo}")]);
        assert_eq!(
            sql,
            format!(
                "ALTER TABLE users DROP COLUMN email;\n-- undoes {name} of {} in db/migrations",
                &bad[..7]
            )
        );
        let subject = env.git(&["log", "-1", "--format=%s", branch]);
        assert_eq!(
            subject,
            format!("Undo migration {name}.sql (roll-forward of {})", &bad[..7])
        );

        // What production ran, then the undo: the schema is as before the bad migration.
        let db = env.root.join("prod.db");
        let at = |path: &str| env.git(&["show", &format!("{branch}:{path}")]);
        sqlite(&db, &at("db/migrations/0001_users.sql"));
        let before = sqlite(&db, SCHEMA);
        sqlite(&db, &at(&bad_file));
        assert_ne!(sqlite(&db, SCHEMA), before);
        sqlite(&db, &sql);
        assert_eq!(sqlite(&db, SCHEMA), before, "{name}");
    }
}

#[test]
fn a_placeholder_the_shell_would_not_expand_is_refused() {
    let env = TestEnv::new();
    env.write("shop/migrations/0015_initial.py", "# initial\n");
    env.commit_all("Shop");
    env.ok(&["start", "--date", "2026-11-20"]);
    env.write(
        ".release/config.toml",
        "[[migrations]]\nsystem = \"django\"\ndir = \"shop/migrations\"\n\
         generate = \"sh -c 'python manage.py makemigrations --name undo_{name}'\"\n",
    );
    let before = env.snapshot();
    // Refused when the config is read, by every command, with where it stands.
    for args in [vec!["status"], vec!["rollforward", "HEAD", "--dry-run"]] {
        let err = env.fails(&args, 1);
        assert!(
            err.contains(".release/config.toml:4:")
                && err
                    .contains("`{name}` stands in a command that runs its arguments as shell code")
                && err.contains("\"$GIT_RELEASE_MIGRATION_NAME\""),
            "{err}"
        );
        assert_eq!(env.snapshot(), before);
    }
}

#[test]
fn a_commit_the_release_does_not_contain_is_refused() {
    let (env, _bad) = golang_repo();
    env.git(&["checkout", "-q", "-b", "later"]);
    env.write(
        "db/migrations/000003_add_phone.up.sql",
        "ALTER TABLE users ADD COLUMN phone TEXT;\n",
    );
    env.write(
        "db/migrations/000003_add_phone.down.sql",
        "ALTER TABLE users DROP COLUMN phone;\n",
    );
    let phone = env.commit_all("Add phone");
    env.write("app.txt", "v3\n");
    let code = env.commit_all("Unreleased code");
    let before = env.snapshot();
    let objects = env.git(&["count-objects"]);
    let err = env.fails(
        &["rollforward", &phone, &code, "--force", "--reason", "t"],
        1,
    );
    assert!(
        err.contains("release 2026-11-20 (at ") && err.contains("does not contain"),
        "{err}"
    );
    assert!(
        err.contains(&format!("\n  {} Add phone", &phone[..7])),
        "{err}"
    );
    assert!(
        err.contains(&format!("\n  {} Unreleased code", &code[..7])),
        "{err}"
    );
    assert!(
        err.contains("hint: name commits that `git log --oneline"),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.git(&["count-objects"]), objects);
    // --onto a commit that contains them is another matter.
    env.ok(&[
        "rollforward",
        &code,
        "--onto",
        "later",
        "--force",
        "--reason",
        "t",
    ]);
    assert_eq!(
        env.git(&["show", "rollforward/2026-11-20:app.txt"]),
        "v2 uses email"
    );
}

#[test]
fn a_revert_that_changes_nothing_is_refused() {
    let env = TestEnv::new();
    env.write("a.txt", LINES);
    env.commit_all("base");
    env.write("a.txt", &LINES.replace("two", "TWO"));
    let change = env.commit_all("Change");
    env.git(&["revert", "--no-edit", &change]);
    env.ok(&["start", "--date", "2026-11-20"]);
    let before = env.snapshot();
    let err = env.fails(&["rollforward", &change, "--force", "--reason", "t"], 1);
    assert!(
        err.contains(&format!(
            "reverting {} (\"Change\") changes nothing: release 2026-11-20 no longer has its changes",
            &change[..7]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("hint: leave {} out", &change[..7])),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}

/// `000002_add_email` as added by `A`, then edited by `B` (an index), both released.
fn edited_migration_repo() -> (TestEnv, String, String) {
    let env = TestEnv::new();
    users(&env);
    env.write(
        "db/migrations/000002_add_email.up.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;\n",
    );
    env.write(
        "db/migrations/000002_add_email.down.sql",
        "ALTER TABLE users DROP COLUMN email;\n",
    );
    env.write("app.txt", "v2 uses email\n");
    let a = env.commit_all("Add email");
    env.write(
        "db/migrations/000002_add_email.up.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;\nCREATE INDEX users_email ON users(email);\n",
    );
    env.write(
        "db/migrations/000002_add_email.down.sql",
        "DROP INDEX users_email;\nALTER TABLE users DROP COLUMN email;\n",
    );
    env.write("search.txt", "by email\n");
    let b = env.commit_all("Index email");
    env.ok(&["start", "--date", "2026-11-20"]);
    (env, a, b)
}

#[test]
fn an_edited_migration_is_kept_and_undone_as_it_ran() {
    for commits in [&["a", "b"][..], &["a"][..]] {
        let (env, a, b) = edited_migration_repo();
        let shas: Vec<&str> = commits
            .iter()
            .map(|c| if *c == "a" { a.as_str() } else { b.as_str() })
            .collect();
        let mut args = vec!["rollforward"];
        args.extend(&shas);
        args.extend(["--force", "--reason", "t"]);
        let (code, _, err) = env.run(&args);
        assert_eq!(code, 0, "{commits:?}: {err}");
        let branch = "rollforward/2026-11-20";
        // What ran in production is the release's 000002, byte for byte.
        for file in ["000002_add_email.up.sql", "000002_add_email.down.sql"] {
            assert_eq!(
                env.git(&["rev-parse", &format!("{branch}:db/migrations/{file}")]),
                env.git(&["rev-parse", &format!("2026-11-20:db/migrations/{file}")]),
                "{commits:?}: {file} was rewritten"
            );
        }
        assert_eq!(env.git(&["show", &format!("{branch}:app.txt")]), "v1");
        let db = env.root.join(format!("prod-{}.db", commits.len()));
        let migration =
            |rev: &str, name: &str| env.git(&["show", &format!("{rev}:db/migrations/{name}")]);
        sqlite(&db, &migration("2026-11-20", "000001_users.up.sql"));
        let before = sqlite(&db, SCHEMA);
        sqlite(&db, &migration("2026-11-20", "000002_add_email.up.sql"));
        sqlite(&db, &migration(branch, "000003_undo_add_email.up.sql"));
        assert_eq!(sqlite(&db, SCHEMA), before, "{commits:?}");
    }
}

#[test]
fn sql_files_outside_migration_dirs_are_named_when_the_revert_deletes_them() {
    let env = TestEnv::new();
    env.write("sql/001-users.sql", "CREATE TABLE users (id INTEGER);\n");
    env.write("app.txt", "v1\n");
    env.commit_all("Users");
    env.write(
        "sql/002-add-email.sql",
        "ALTER TABLE users ADD COLUMN email TEXT;\n",
    );
    env.write("app.txt", "v2\n");
    let bad = env.commit_all("Add email");
    env.ok(&["start", "--date", "2026-11-20"]);
    let (code, _, err) = env.run(&["rollforward", &bad, "--force", "--reason", "t", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "warning: the revert deletes sql/002-add-email.sql, which is in no migration directory"
        ),
        "{err}"
    );
    assert!(!err.contains("001-users.sql"), "{err}");
    assert!(
        err.contains("hint: declare its directory with [[migrations]]"),
        "{err}"
    );
}

#[test]
fn an_empty_pick_is_refused_by_name() {
    let env = TestEnv::new();
    env.write("a.txt", "one\n");
    let shipped = env.commit_all("Shipped");
    env.ok(&["start", "--date", "2026-11-13"]);
    env.write("fix.txt", "fixed\n");
    let fix = env.commit_all("Fix checkout");
    let before = env.snapshot();
    let err = env.fails(
        &[
            "start",
            "--date",
            "2026-11-20",
            "--from",
            "2026-11-13",
            "--pick",
            &shipped,
        ],
        1,
    );
    assert!(
        err.contains(&format!(
            "the cherry-pick of {} (\"Shipped\") is empty: 2026-11-13 already has its changes",
            &shipped[..7]
        )),
        "{err}"
    );
    let err = env.fails(
        &[
            "start",
            "--date",
            "2026-11-20",
            "--from",
            "2026-11-13",
            "--pick",
            &fix,
            &fix,
        ],
        1,
    );
    assert!(
        err.contains(&format!(
            "the cherry-pick of {} (\"Fix checkout\") is empty: it is named twice",
            &fix[..7]
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("hint: leave {} out of --pick", &fix[..7])),
        "{err}"
    );
    assert_eq!(env.snapshot(), before);
}
