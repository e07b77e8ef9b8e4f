use crate::common::TestEnv;

#[test]
fn set_keeps_comments_and_layout() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let before = env.read(".release/config.toml");
    env.ok(&["config", "set", "release.name", "%Y.%m.%d"]);
    let after = env.read(".release/config.toml");
    assert_eq!(env.ok(&["config", "get", "release.name"]), "%Y.%m.%d\n");
    // Exactly one line changed.
    let changed: Vec<_> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed, [("name = \"%Y-%m-%d\"", "name = \"%Y.%m.%d\"")]);
    assert_eq!(before.lines().count(), after.lines().count());

    env.ok(&["config", "set", "release.tag", "false"]);
    assert!(env.read(".release/config.toml").contains("tag = false\n"));
    // Inside an inline table of an array of tables.
    env.ok(&[
        "config",
        "set",
        "environments.1.requires.no_blockers",
        "false",
    ]);
    assert_eq!(
        env.ok(&["config", "get", "environments.1.requires.no_blockers"]),
        "false\n"
    );
    assert!(
        env.read(".release/config.toml")
            .contains("no_blockers = false, deployed")
    );
    // A change that breaks a reference elsewhere is refused.
    let err = env.fails(&["config", "set", "environments.0.name", "staging"], 1);
    assert!(
        err.contains("`stage` is not an environment listed before it"),
        "{err}"
    );
    // Said where: the line and column of `"stage"` in the second environment's requires.
    let config = env.read(".release/config.toml");
    let (line, text) = config
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("deployed = [\"stage\"]"))
        .unwrap();
    let column = text.find("\"stage\"").unwrap() + 1;
    let place = format!(": .release/config.toml:{}:{column}: environment", line + 1);
    assert!(err.contains(&place), "{place}\n{err}");
    assert_eq!(env.ok(&["config", "get", "environments.0.name"]), "stage\n");
}

#[test]
fn set_refuses_bad_values_and_writes_nothing() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let before = env.read(".release/config.toml");
    let err = env.fails(&["config", "set", "schedule.push", "thorsday"], 1);
    assert!(err.contains("not a weekday"), "{err}");
    assert!(err.contains(".release/config.toml:"), "{err}");
    let err = env.fails(&["config", "set", "release.name", "%Y-%m"], 1);
    assert!(err.contains("does not name each day uniquely"), "{err}");
    let err = env.fails(&["config", "set", "release.nmae", "x"], 1);
    assert!(err.contains("nmae"), "{err}");
    let err = env.fails(&["config", "set", "environments.7.name", "x"], 2);
    assert!(err.contains("not an index"), "{err}");
    assert_eq!(env.read(".release/config.toml"), before);
}

#[test]
fn set_dry_run_shows_a_diff() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let before = env.read(".release/config.toml");
    let diff = env.ok(&["config", "set", "schedule.push", "wednesday", "--dry-run"]);
    assert!(diff.contains("-push = \"tuesday\""), "{diff}");
    assert!(diff.contains("+push = \"wednesday\""), "{diff}");
    assert_eq!(env.read(".release/config.toml"), before);
}

#[test]
fn get_reports_defaults_and_origin() {
    let env = TestEnv::new();
    let err = env.fails(&["config", "set", "release.name", "x"], 1);
    assert!(err.contains("git release init"), "{err}");
    assert_eq!(env.ok(&["config", "get", "release.name"]), "%Y-%m-%d\n");
    assert_eq!(
        env.ok(&["config", "get", "--show-origin", "release.remote"]),
        "default\torigin\n"
    );
    env.ok(&["init"]);
    assert_eq!(
        env.ok(&["config", "get", "--show-origin", "release.remote"]),
        ".release/config.toml\torigin\n"
    );
    let err = env.fails(&["config", "get", "release.colour"], 1);
    assert!(err.contains("not a setting"), "{err}");
    // A setting without a value and without a default: exit 1 and nothing on stdout, as
    // `git config` does; once set, it is there.
    for key in [
        "release.compare_url",
        "trust.allowed_signers",
        "mail.from",
        "duty.every",
    ] {
        let (code, out, err) = env.run(&["config", "get", key]);
        assert_eq!((code, out.as_str()), (1, ""), "{key}: {err}");
        assert!(err.contains(&format!("`{key}` is not set")), "{err}");
    }
    env.ok(&["config", "set", "mail.from", "releases@example.com"]);
    assert_eq!(
        env.ok(&["config", "get", "mail.from"]),
        "releases@example.com\n"
    );
}

#[test]
fn a_broken_config_names_file_line_and_column() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "# team config\n[release]\nname = \"%Y-%m-%d\"\ndate = \"push\"\n",
    );
    let err = env.fails(&["start"], 1);
    assert!(err.contains(".release/config.toml:4:8:"), "{err}");
    assert!(err.contains("[schedule]"), "{err}");
    env.write(".release/config.toml", "[release]\nname = %Y\n");
    let err = env.fails(&["status"], 1);
    assert!(err.contains(".release/config.toml:2:8:"), "{err}");
    assert_eq!(env.refs().lines().count(), 1, "nothing but main");
}

#[test]
fn written_files_get_the_mode_a_plain_write_gives_and_keep_their_own() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let mode = |path: &str| {
        std::fs::metadata(env.repo.join(path))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    // The witness: a file made the ordinary way, 0666 less this process's umask.
    std::fs::write(env.repo.join("plain.txt"), "x").unwrap();
    env.ok(&["init"]);
    assert_eq!(mode(".release/config.toml"), mode("plain.txt"));
    // A file that had a mode of its own keeps it when rewritten.
    let config = env.repo.join(".release/config.toml");
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o640)).unwrap();
    env.ok(&["config", "set", "release.tag", "false"]);
    assert_eq!(mode(".release/config.toml"), 0o640);
    assert!(env.read(".release/config.toml").contains("tag = false"));
}

#[test]
fn a_hook_on_an_undefined_environment_or_role_is_refused() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let config = env.read(".release/config.toml");
    for (on, wrong) in [
        (
            "deploy:stgae",
            "names environment `stgae`, which is not defined; the environments are: stage, production",
        ),
        (
            "signoff:qaa",
            "names role `qaa`, which is not defined; the roles are: eng, qa",
        ),
    ] {
        env.write(
            ".release/config.toml",
            &format!("{config}\n[[hooks]]\non = \"{on}\"\nurl = \"https://ci.example.com\"\n"),
        );
        let line = config.lines().count() + 3;
        let err = env.fails(&["status"], 1);
        assert!(
            err.contains(&format!(
                ".release/config.toml:{line}:6: hook `on = \"{on}\"` {wrong}"
            )),
            "{err}"
        );
    }
}

#[test]
fn a_gate_or_hook_listed_twice_is_refused() {
    let env = TestEnv::new();
    let gate = "[[gates]]\nname = \"ci\"\nurl = \"https://ci.example.com/a\"\n";
    env.write(".release/config.toml", &format!("{gate}\n{gate}"));
    let err = env.fails(&["status"], 1);
    assert!(
        err.contains(".release/config.toml:6:8: gate `ci` is listed twice"),
        "{err}"
    );
    let hook =
        "[[hooks]]\nname = \"jenkins\"\non = \"start\"\nurl = \"https://ci.example.com/b\"\n";
    env.write(".release/config.toml", &format!("{hook}\n{hook}"));
    let err = env.fails(&["status"], 1);
    assert!(
        err.contains(".release/config.toml:7:8: hook `jenkins` is listed twice"),
        "{err}"
    );
}

#[test]
fn gate_requests_are_checked_when_the_config_is_read() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let gate = "[[gates]]\nname = \"ci\"\nurl = \"https://ci.example.com/status\"\n";
    for (setting, place, wrong) in [
        (
            "expect_json = { pointer = \"state\", equals = \"success\" }",
            "4:27",
            "gate `ci` has `pointer = \"state\"`, which is not a JSON pointer: it must be empty or start with `/`",
        ),
        (
            "expect_status = [2000]",
            "4:18",
            "gate `ci` expects status 2000, which HTTP does not have",
        ),
        (
            "method = \"HEDA\"",
            "4:10",
            "`method = \"HEDA\"` is not an HTTP method git-release sends; use one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
        ),
    ] {
        env.write(".release/config.toml", &format!("{gate}{setting}\n"));
        let before = env.refs();
        let err = env.fails(&["wait", "ci", "--timeout", "1s"], 1);
        assert!(
            err.contains(&format!(".release/config.toml:{place}: {wrong}")),
            "{err}"
        );
        assert_eq!(env.refs(), before, "nothing is recorded");
    }
}
