//! Files the repository names are read safely: regular files inside the repository, capped
//! in size, never followed through a symbolic link.

use crate::common::TestEnv;

/// Runs the real binary under a 2 GiB address-space limit, so a regression that reads an
/// endless file fails the test instead of exhausting the machine.
fn run_bounded(env: &TestEnv, args: &str) -> std::process::Output {
    let release = env.cmd();
    let mut cmd = std::process::Command::new("sh");
    cmd.arg("-c")
        .arg(format!("ulimit -v 2097152; exec \"$BIN\" {args}"))
        .env("BIN", release.get_program())
        .current_dir(&env.repo);
    for (key, value) in release.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    cmd.output().unwrap()
}

#[test]
fn a_template_that_links_out_of_the_repository_is_not_read() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.repo.join(".release/templates")).unwrap();
    std::os::unix::fs::symlink(
        "/proc/self/environ",
        env.repo.join(".release/templates/tag-message.j2"),
    )
    .unwrap();
    env.git(&["add", ".release/templates/tag-message.j2"]);
    env.git(&["commit", "-q", "-m", "A template, or so it says"]);
    let before = env.refs();
    let out = env
        .cmd()
        .env("SECRET_TOKEN", "hunter2-hunter2")
        .args(["start", "--date", "2026-11-20"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(".release/templates/tag-message.j2 is not read: it is a symbolic link"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    assert_eq!(env.refs(), before, "nothing was recorded");
}

#[test]
fn a_checklist_plan_that_is_a_link_or_too_large_is_refused_with_why() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"docs/plan.md\"\n",
    );
    std::fs::create_dir_all(env.repo.join("docs")).unwrap();
    std::os::unix::fs::symlink("/dev/zero", env.repo.join("docs/plan.md")).unwrap();
    env.commit_all("A plan that never ends");
    let releases = || env.git(&["for-each-ref", "refs/release", "refs/tags", "refs/notes"]);
    let before = releases();
    let refused = |args: &str, why: &str| {
        let out = run_bounded(&env, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args}: {err}");
        assert!(err.contains(why), "{args}: {err}");
    };
    refused(
        "start --date 2026-11-20",
        "docs/plan.md is not read: it is a symbolic link",
    );
    assert_eq!(releases(), before, "nothing was recorded");

    // A regular file over 1 MiB, in the working tree and then committed.
    std::fs::remove_file(env.repo.join("docs/plan.md")).unwrap();
    env.write("docs/plan.md", &"- [ ] step\n".repeat(110_000));
    refused(
        "start --date 2026-11-20",
        "docs/plan.md is not read: it is larger than 1 MiB",
    );
    env.commit_all("A plan of 1.1 MB");
    refused(
        "start --date 2026-11-20",
        "docs/plan.md is not read: it is larger than 1024 KiB",
    );

    // A path out of the repository is refused before anything is opened.
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"../plan.md\"\n",
    );
    refused("start --date 2026-11-20", "relative path without `..`");
    env.write(
        ".release/config.toml",
        "[checklist]\nfile = \"/etc/passwd\"\n",
    );
    refused("start --date 2026-11-20", "relative path without `..`");
    assert_eq!(releases(), before, "nothing was recorded");
}

#[test]
fn control_characters_from_the_repository_reach_no_terminal() {
    let env = TestEnv::new();
    // A commit subject and a comment that would retitle the terminal, clear it, ring it,
    // overwrite the line, and a C1 control sequence introducer.
    let hostile = "ok\u{1b}]0;owned\u{7}\u{1b}[2J\rfake\u{9b}31m";
    env.commit(&format!("Fix {hostile}"));
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["comment", hostile]);
    for args in [
        vec!["log"],
        vec!["status"],
        vec!["notes", "--format", "text"],
    ] {
        let out = env.cmd().args(&args).output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.stdout
                .iter()
                .any(|&b| b == 0x1b || b == 0x07 || b == b'\r'),
            "{args:?}: {stdout:?}"
        );
        assert!(!stdout.contains('\u{9b}'), "{args:?}: {stdout:?}");
    }
    let log = env.ok(&["log"]);
    assert!(
        log.contains("ok\\033]0;owned\\a\\033[2J\\rfake\\u009b31m"),
        "{log}"
    );
    // JSON stays exact: the same characters, escaped as JSON escapes them.
    let json = crate::common::json(&env.ok(&["log", "--json"]));
    assert_eq!(json[1]["fields"]["message"], hostile);
    // Errors too: a release name is checked, but what an error quotes is escaped.
    let out = env
        .cmd()
        .args(["comment", "-r", "x\u{1b}[2J"])
        .output()
        .unwrap();
    assert!(
        !out.stderr.contains(&0x1b),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
