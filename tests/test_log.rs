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
