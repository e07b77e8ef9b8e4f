use crate::common::TestEnv;

#[test]
fn init_writes_a_commented_train_config() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    let text = env.read(".release/config.toml");
    assert!(text.starts_with("# git-release"), "{text}");
    assert!(text.contains("name = \"%Y-%m-%d\""), "{text}");
    assert_eq!(env.ok(&["config", "get", "release.name"]), "%Y-%m-%d\n");
    assert_eq!(
        env.ok(&["config", "get", "environments.1.name"]),
        "production\n"
    );
    // Only the config file appeared; nothing was staged.
    assert_eq!(
        env.git(&["status", "--porcelain", "--untracked-files=all"]),
        "?? .release/config.toml"
    );
}

#[test]
fn init_push_duty_preset() {
    let env = TestEnv::new();
    env.ok(&["init", "--preset", "push-duty"]);
    assert_eq!(env.ok(&["config", "get", "release.name"]), "%Y.%m.%d\n");
    assert_eq!(env.ok(&["config", "get", "release.date"]), "push\n");
    assert_eq!(env.ok(&["config", "get", "schedule.push"]), "thursday\n");
    assert_eq!(env.ok(&["config", "get", "schedule.tag"]), "tuesday\n");
    assert_eq!(
        env.ok(&["config", "get", "duty.rotation"]),
        "[\"alice\", \"bob\", \"carol\"]\n"
    );
}

#[test]
fn init_refuses_to_overwrite() {
    let env = TestEnv::new();
    env.ok(&["init"]);
    env.write(
        ".release/config.toml",
        "# ours\n[release]\nname = \"%Y.%m.%d\"\n",
    );
    let err = env.fails(&["init", "--preset", "push-duty"], 1);
    assert!(err.contains("already exists"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(
        env.read(".release/config.toml"),
        "# ours\n[release]\nname = \"%Y.%m.%d\"\n"
    );

    let diff = env.ok(&["init", "--force", "--dry-run"]);
    assert!(diff.contains("-# ours"), "{diff}");
    assert!(diff.contains("+name = \"%Y-%m-%d\""), "{diff}");
    assert_eq!(
        env.read(".release/config.toml"),
        "# ours\n[release]\nname = \"%Y.%m.%d\"\n"
    );

    env.ok(&["init", "--force"]);
    assert_eq!(env.ok(&["config", "get", "release.name"]), "%Y-%m-%d\n");
}

#[test]
fn init_dry_run_prints_and_writes_nothing() {
    let env = TestEnv::new();
    let out = env.ok(&["init", "--dry-run", "--preset", "push-duty"]);
    assert!(out.contains("rotation = ["), "{out}");
    assert!(!env.repo.join(".release").exists());
}

#[test]
fn init_needs_a_working_tree() {
    let env = TestEnv::new();
    let bare = env.root.join("bare.git");
    env.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    let out = env.cmd_in(&bare).args(["init"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no working tree"));
}

#[test]
fn outside_a_repository() {
    let env = TestEnv::new();
    let out = env.cmd_in(&env.root).args(["status"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not in a git repository"));
}

#[test]
fn help_and_version() {
    let env = TestEnv::new();
    let version = env.ok(&["--version"]);
    assert!(version.starts_with("git-release "), "{version}");
    let help = env.ok(&["--help"]);
    for verb in [
        "init", "config", "start", "status", "list", "log", "comment", "fsck",
    ] {
        assert!(help.contains(verb), "{verb} missing from help:\n{help}");
    }
    // Each subcommand is listed with its one line of help (they are defined up front for the
    // listing, and only the invoked one otherwise).
    let commands = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap();
    for line in commands
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
    {
        assert!(
            line.split_whitespace().count() > 1,
            "no help for `{line}`:\n{help}"
        );
    }
    for (args, expect) in [
        (&["start", "--help"][..], "Examples:\n  git release start "),
        (
            &["help", "comment"],
            "Usage: git release comment [OPTIONS] <MESSAGE>",
        ),
        (&["-q", "list", "--help"], "--all"),
    ] {
        let help = env.ok(args);
        assert!(help.contains(expect), "{args:?}:\n{help}");
    }
    let err = env.fails(&["no-such-verb"], 2);
    assert!(err.contains("unrecognized subcommand"), "{err}");
    // A typo is told its near misses, and an option of the subcommand invoked is known.
    let err = env.fails(&["statsu"], 2);
    assert!(err.contains("'status'"), "{err}");
    let err = env.fails(&["list", "--al"], 2);
    assert!(err.contains("--all"), "{err}");
}
