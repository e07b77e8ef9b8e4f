use crate::common::{TestEnv, json};

#[test]
fn log_is_the_audit_trail_oldest_first() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    env.ok(&["comment", "stage deploy requested"]);
    let out = env
        .cmd()
        .env("GIT_AUTHOR_NAME", "Grace Hopper")
        .env("GIT_AUTHOR_EMAIL", "grace@example.com")
        .args(["comment", "ops delayed stage to 3pm"])
        .output()
        .unwrap();
    assert!(out.status.success());

    let text = env.ok(&["log"]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].contains("Ada Lovelace <ada@example.com>  start at"),
        "{text}"
    );
    assert!(
        lines[1].ends_with("comment: stage deploy requested"),
        "{text}"
    );
    assert!(
        lines[2].contains("Grace Hopper <grace@example.com>  comment: ops delayed stage to 3pm"),
        "{text}"
    );

    let v = json(&env.ok(&["log", "--json"]));
    let events = v.as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0]["kind"], "started");
    assert_eq!(events[2]["actor"]["email"], "grace@example.com");
    assert_eq!(events[2]["fields"]["message"], "ops delayed stage to 3pm");
    assert_eq!(events[0]["id"].as_str().unwrap().len(), 12);

    // git alone tells the same story, newest first, with the actor as author.
    let git_log = env.git(&["log", "--format=%an|%s", "refs/release/2026-11-20"]);
    let git_lines: Vec<&str> = git_log.lines().collect();
    assert_eq!(
        git_lines[0],
        "Grace Hopper|comment: ops delayed stage to 3pm"
    );
    assert_eq!(git_lines[1], "Ada Lovelace|comment: stage deploy requested");
    assert!(git_lines[2].starts_with("Ada Lovelace|start at"));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    for i in 0..40 {
        env.ok(&["comment", &format!("note {i}")]);
    }
    let mut child = env
        .cmd()
        .args(["log"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// `git -c user.name=… release …` reaches git-release as git hands it to every subcommand
/// (GIT_CONFIG_PARAMETERS): the event is recorded under the identity `git var` shows for the
/// same settings, and every other setting given that way applies too.
#[test]
fn git_dash_c_settings_reach_the_subcommand() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let bin = assert_cmd::cargo::cargo_bin("git-release");
    let path = std::env::join_paths(
        std::iter::once(bin.parent().unwrap().to_path_buf())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let git = |with_env: bool, args: &[&str]| {
        let mut cmd = env.git_cmd();
        cmd.env("PATH", &path);
        if !with_env {
            for var in ["NAME", "EMAIL"].map(|v| format!("GIT_AUTHOR_{v}")) {
                cmd.env_remove(var);
            }
        }
        cmd.args(args).output().unwrap()
    };
    let author = || env.git(&["log", "-1", "--format=%an <%ae>", "refs/release/2026-11-20"]);
    let ident = |with_env: bool, settings: &[&str]| {
        let mut args = settings.to_vec();
        args.extend(["var", "GIT_AUTHOR_IDENT"]);
        let out = String::from_utf8(git(with_env, &args).stdout).unwrap();
        out.rsplitn(3, ' ').nth(2).unwrap().to_owned()
    };

    let lee = [
        "-c",
        "user.name=Lee O'Lead",
        "-c",
        "user.email=lee@example.com",
    ];
    let mut args = lee.to_vec();
    args.extend(["release", "comment", "through git"]);
    // GIT_AUTHOR_NAME and _EMAIL, when set, come before any setting, in git and here.
    for (with_env, who) in [
        (false, "Lee O'Lead <lee@example.com>"),
        (true, "Ada Lovelace <ada@example.com>"),
    ] {
        let out = git(with_env, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{err}");
        assert_eq!(author(), who);
        assert_eq!(author(), ident(with_env, &lee));
    }

    // Not only the identity: a sharing mode git refuses stops the write.
    let before = env.snapshot();
    let out = git(
        true,
        &[
            "-c",
            "core.sharedRepository=0066",
            "release",
            "comment",
            "no",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("core.sharedRepository = 0066"), "{err}");
    assert_eq!(env.snapshot(), before);
}
