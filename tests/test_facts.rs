//! Facts: what services answer, kept by a hook's or gate's `capture`, shown by `status`, used
//! by templates and later hooks, and shared by `sync`.

use crate::common::{Reply, TestEnv, TestServer, json};

const SECRET: &str = "s3cr3t-tracker-key-77";

fn run(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("TRACKER_KEY", SECRET)
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "the secret leaked:\n{stdout}\n{stderr}"
    );
    (out.status.code().unwrap(), stdout, stderr)
}

/// A tracker that files bug 4242 (echoing the key it was sent, as a careless service might)
/// and then takes a comment on it.
fn tracker() -> TestServer {
    TestServer::start(|_, request| {
        if request.path == "/bugs" {
            let key = request.header("X-Key").unwrap_or_default().to_owned();
            Reply::Headers(
                201,
                vec![("Location".into(), "/bugs/4242".into())],
                format!(
                    r#"{{"id": 4242, "echo": "key={key}", "nested": {{"url": "http://t/4242\u001b[31m"}}}}"#
                ),
            )
        } else {
            Reply::Status(200, "{}".into())
        }
    })
}

#[test]
fn facts_are_captured_shown_used_and_synced_and_secrets_are_not_kept() {
    let server = tracker();
    let origin = TestEnv::new();
    origin.write(
        ".release/config.toml",
        &format!(
            r#"
[[hooks]]
name = "file-bug"
on = "start"
url = "{url}/bugs"
headers = {{ X-Key = "${{TRACKER_KEY}}" }}
body = '{{"summary": "deploy {{{{ release.name }}}}"}}'
capture = {{ bug = "/id", bug_location = "header:Location", echo = "/echo", odd = "/nested/url", gone = "/nope" }}

[[hooks]]
name = "comment-bug"
on = "start"
url = "{url}/bugs/{{{{ release.facts.bug }}}}/comment"
body = "see {{{{ release.facts.bug_location }}}}"
"#,
            url = server.url
        ),
    );
    origin.write(
        ".release/templates/bug-line.j2",
        "Deployment bug: {{ release.facts.bug }} at {{ release.facts.bug_location }}\n",
    );
    origin.commit_all("Release process");
    let bare = origin.root.join("remote.git");
    origin.git(&["clone", "-q", "--bare", ".", bare.to_str().unwrap()]);
    origin.git(&["remote", "add", "origin", bare.to_str().unwrap()]);

    let (code, _, err) = run(&origin, &["start", "--date", "2026-11-20"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: hook file-bug: fact echo: the value holds a secret; not recorded"),
        "{err}"
    );
    assert!(
        err.contains("fact gone: the answer has no value at /nope; not recorded"),
        "{err}"
    );
    // The second hook saw what the first one captured.
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].method, "POST");
    assert_eq!(got[0].header("X-Key"), Some(SECRET));
    assert_eq!(got[1].path, "/bugs/4242/comment");
    assert_eq!(got[1].body, "see /bugs/4242");

    let status = json(&origin.ok(&["status", "--json"]));
    let facts = status["facts"].as_object().expect("facts in status --json");
    assert_eq!(facts["bug"], "4242");
    assert_eq!(facts["bug_location"], "/bugs/4242");
    // A control character a service sent is shown escaped, not obeyed.
    assert_eq!(facts["odd"], "http://t/4242\\u{1b}[31m");
    assert!(!facts.contains_key("echo") && !facts.contains_key("gone"));
    let text = origin.ok(&["status"]);
    assert!(text.contains("  facts      bug = 4242\n"), "{text}");
    assert!(!text.contains('\u{1b}'), "{text}");

    // The events say where each fact came from; git is the witness that nothing holds the key.
    let log = origin.git(&["log", "--format=%s", "refs/release/2026-11-20"]);
    assert!(log.contains("fact bug = 4242"), "{log}");
    let everything = origin.git(&["log", "-p", "--all"]);
    assert!(!everything.contains(SECRET));
    let event = origin.git(&[
        "grep",
        "-h",
        "source",
        "refs/release/2026-11-20",
        "--",
        "events",
    ]);
    assert!(event.contains("source = \"hook file-bug\""), "{event}");

    let rendered = origin.ok(&["render", "bug-line"]);
    assert_eq!(rendered, "Deployment bug: 4242 at /bugs/4242\n");

    // Another clone sees the same facts after a sync.
    origin.ok(&["sync"]);
    let other = TestEnv::empty();
    std::fs::remove_dir_all(&other.repo).unwrap();
    other.git_in_root(&["clone", "-q", bare.to_str().unwrap(), "repo"]);
    other.ok(&["sync"]);
    let there = json(&other.ok(&["status", "--json"]));
    assert_eq!(there["facts"]["bug"], "4242");
    assert_eq!(other.ok(&["render", "bug-line"]), rendered);
}

#[test]
fn a_later_value_replaces_the_fact_and_the_same_value_is_not_recorded_twice() {
    let server = TestServer::start(|n, _| {
        // The first two polls: the pipeline is running; then it passed, build 7; then 8.
        let (state, build) = match n {
            0 => ("running", 6),
            1 | 2 => ("success", 7),
            _ => ("success", 8),
        };
        Reply::Status(
            200,
            format!(r#"{{"state": "{state}", "build": {{"url": "http://ci/b/{build}"}}}}"#),
        )
    });
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[gates]]
name = "ci"
url = "{url}/pipeline"
expect_json = {{ pointer = "/state", equals = "success" }}
capture = {{ build_url = "/build/url" }}
"#,
            url = server.url
        ),
    );
    env.commit_all("Release process");
    env.ok(&["start", "--date", "2026-11-20"]);
    let wait = ["wait", "ci", "--interval", "10ms", "--timeout", "20s"];
    let (code, _, err) = run(&env, &wait);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        json(&env.ok(&["status", "--json"]))["facts"]["build_url"],
        "http://ci/b/7"
    );
    let facts = |env: &TestEnv| {
        env.git(&["log", "--format=%s", "refs/release/2026-11-20"])
            .lines()
            .filter(|l| l.starts_with("fact "))
            .count()
    };
    assert_eq!(facts(&env), 1);
    // The same answer again records nothing new …
    run(&env, &wait);
    assert_eq!(facts(&env), 1);
    // … a new one replaces it.
    run(&env, &wait);
    assert_eq!(facts(&env), 2);
    assert_eq!(
        json(&env.ok(&["status", "--json"]))["facts"]["build_url"],
        "http://ci/b/8"
    );
}
