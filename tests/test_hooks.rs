//! Hooks and gates against HTTP servers the tests start on 127.0.0.1.

use std::time::Duration;

use crate::common::{Reply, TestEnv, TestServer, base64, json};

const SECRET: &str = "s3cr3t-jenkins-token-42";

fn with_hook(server: &TestServer, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = {{ deployed = ["stage"] }}

[[hooks]]
name = "jenkins-stage"
on = "deploy:stage"
method = "POST"
url = "{url}/job/deploy-stage/buildWithParameters?TAG={{{{ release.tag }}}}"
headers = {{ Authorization = "Bearer ${{JENKINS_TOKEN}}", X-Actor = "{{{{ event.actor.email }}}}" }}
body = "release={{{{ release.name }}}}&target={{{{ release.target }}}}"
{extra}"#,
            url = server.url
        ),
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

/// Runs `git release ARGS` with the secret in the environment; returns (code, stdout, stderr).
fn run(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("JENKINS_TOKEN", SECRET)
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

/// Nothing git-release stored mentions the secret.
fn assert_not_stored(env: &TestEnv) {
    let everything = env.git(&["log", "-p", "--all", "--notes=release"]);
    let grep = env.git_output(&["grep", "-I", "-c", SECRET, "refs/release/2026-11-20"]);
    assert!(!everything.contains(SECRET));
    assert!(
        grep.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&grep.stdout)
    );
}

#[test]
fn a_hook_receives_the_rendered_request_and_the_secret_stays_out_of_sight() {
    let server = TestServer::start(|_, _| Reply::Status(201, "{}".into()));
    let env = with_hook(&server, "");
    let (code, out, _) = run(&env, &["deploy", "stage", "--dry-run"]);
    assert_eq!(code, 0);
    assert!(out.contains("would send hook jenkins-stage: POST"), "{out}");
    assert!(out.contains("Authorization: Bearer ***"), "{out}");
    assert!(server.received().is_empty(), "a dry run sent a request");

    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Hook jenkins-stage: POST"), "{err}");
    assert!(err.contains("→ 201"), "{err}");
    let got = server.received();
    assert_eq!(got.len(), 1);
    let target = env.git(&["rev-parse", "HEAD"]);
    assert_eq!(got[0].method, "POST");
    assert_eq!(
        got[0].path,
        "/job/deploy-stage/buildWithParameters?TAG=2026-11-20"
    );
    assert_eq!(
        got[0].header("Authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
    assert_eq!(got[0].header("X-Actor"), Some("ada@example.com"));
    assert_eq!(got[0].body, format!("release=2026-11-20&target={target}"));

    // Other events do not fire it.
    run(&env, &["deploy", "production"]);
    assert_eq!(server.received().len(), 1);
    let (_, log, _) = run(&env, &["log", "--json"]);
    assert!(!log.contains("hook"), "{log}");
    assert_not_stored(&env);
}

/// A host name is looked up as the system looks it up (`/etc/hosts` here): the binary may be
/// linked statically (build.rs), and glibc's static resolver must still find it.
#[test]
fn a_hook_to_a_host_name_is_sent() {
    let server = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let env = with_hook(&server, "");
    let by_name = server.url.replace("127.0.0.1", "localhost");
    env.ok(&[
        "config",
        "set",
        "hooks.0.url",
        &format!("{by_name}/job/deploy-stage"),
    ]);
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("→ 200"), "{err}");
    assert_eq!(server.received().len(), 1, "{err}");
    assert_eq!(server.received()[0].path, "/job/deploy-stage");
}

#[test]
fn a_failing_hook_is_recorded_and_retried() {
    // The server echoes the token back in its error page: it must be redacted too.
    let server = TestServer::start(|n, r| {
        if n == 0 {
            Reply::Status(
                500,
                format!(
                    "boom, bad auth {}",
                    r.header("Authorization").unwrap_or_default()
                ),
            )
        } else {
            Reply::Status(200, "queued".into())
        }
    });
    let env = with_hook(&server, "");
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "the deploy itself is recorded: {err}");
    assert!(err.contains("warning: hook jenkins-stage failed"), "{err}");
    assert!(
        err.contains("answered 500: boom, bad auth Bearer ***"),
        "{err}"
    );
    assert!(err.contains("git release hooks retry"), "{err}");
    let status = json(&run(&env, &["status", "--json"]).1);
    assert_eq!(status["stage"], "deployed to stage", "the event stays");
    let (_, log, _) = run(&env, &["log"]);
    assert!(log.contains("hook jenkins-stage failed"), "{log}");
    let (_, list, _) = run(&env, &["hooks", "list"]);
    assert!(
        list.contains("failed on 2026-11-20: jenkins-stage"),
        "{list}"
    );

    let (code, _, err) = run(&env, &["hooks", "retry"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.received().len(), 2);
    assert_eq!(server.received()[1].path, server.received()[0].path);
    let (_, list, _) = run(&env, &["hooks", "list"]);
    assert!(!list.contains("failed on"), "{list}");
    let (_, log, _) = run(&env, &["log"]);
    assert!(log.contains("hook jenkins-stage retried"), "{log}");
    assert_not_stored(&env);
}

/// A secret put into the URL with `urlencode` is masked in the form that filter gives it, even
/// when the server echoes it back: `/` stays as it is and `~` becomes `%7E`.
#[test]
fn a_urlencoded_secret_echoed_back_is_masked() {
    let secret = "tok/en~with space&amp+plus";
    let encoded = "tok/en%7Ewith%20space%26amp%2Bplus";
    let server = TestServer::start(|_, r| Reply::Status(403, format!("no access for {}", r.path)));
    let env = with_hook(&server, "");
    env.ok(&[
        "config",
        "set",
        "hooks.0.url",
        &format!(
            "{}/job?token={{{{ env.JENKINS_TOKEN | urlencode }}}}",
            server.url
        ),
    ]);
    let out = env
        .cmd()
        .env("JENKINS_TOKEN", secret)
        .args(["deploy", "stage"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(server.received()[0].path, format!("/job?token={encoded}"));
    assert!(
        err.contains("answered 403: no access for /job?token=***"),
        "{err}"
    );
    assert!(!err.contains(encoded) && !err.contains(secret), "{err}");
    let log = env.git(&["log", "-p", "--all"]);
    assert!(!log.contains(encoded) && !log.contains(secret), "{log}");
}

#[test]
fn no_hooks_and_unreachable_services() {
    let server = TestServer::start(|_, _| Reply::Status(200, String::new()));
    let env = with_hook(&server, "");
    let (code, _, err) = run(&env, &["deploy", "stage", "--no-hooks"]);
    assert_eq!(code, 0);
    assert!(err.contains("Skipped 1 hook: --no-hooks"), "{err}");
    assert!(server.received().is_empty());

    // A port nobody listens on: a clear error, recorded.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    env.ok(&[
        "config",
        "set",
        "hooks.0.url",
        &format!("http://127.0.0.1:{port}/x"),
    ]);
    env.ok(&["config", "set", "hooks.0.on", "comment"]);
    let (code, _, err) = run(&env, &["comment", "ops is on it"]);
    assert_eq!(code, 0);
    assert!(err.contains("could not connect"), "{err}");

    // A secret that is not set: the hook is not sent, and the error names the variable.
    let out = env
        .cmd()
        .env_remove("JENKINS_TOKEN")
        .args(["comment", "again"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the environment variable JENKINS_TOKEN is not set"),
        "{err}"
    );
}

fn with_gates(server: &TestServer) -> TestEnv {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"
requires = {{ gates = ["ci"] }}

[[gates]]
name = "ci"
url = "{url}/api/ci/{{{{ release.target }}}}"
headers = {{ Authorization = "token ${{JENKINS_TOKEN}}" }}

[[gates]]
name = "image"
method = "HEAD"
url = "{url}/v2/shop/manifests/{{{{ release.tag }}}}"
expect_status = [200]

[[gates]]
name = "build"
url = "{url}/api/build"
expect_json = {{ pointer = "/build/state", equals = "success" }}
"#,
            url = server.url
        ),
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

#[test]
fn a_gate_that_turns_green_on_the_third_poll() {
    let server = TestServer::start(|n, _| {
        if n < 2 {
            Reply::Status(404, String::new())
        } else {
            Reply::Status(200, "{}".into())
        }
    });
    let env = with_gates(&server);
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("gate `ci` has not passed"), "{err}");
    assert!(err.contains("git release wait ci"), "{err}");

    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "50ms", "--timeout", "60s"],
    );
    assert_eq!(code, 0, "{err}");
    let got = server.received();
    assert_eq!(got.len(), 3);
    let target = env.git(&["rev-parse", "HEAD"]);
    assert_eq!(got[2].path, format!("/api/ci/{target}"));
    assert_eq!(
        got[2].header("Authorization"),
        Some(format!("token {SECRET}").as_str())
    );
    let status = json(&run(&env, &["status", "--json"]).1);
    assert_eq!(status["gates"][0]["met"], true, "{status}");
    run(&env, &["deploy", "stage"]);
    assert_not_stored(&env);
}

#[test]
fn a_gate_that_never_passes_times_out_with_exit_3() {
    let server =
        TestServer::start(|_, _| Reply::Status(404, "{\"message\":\"manifest unknown\"}".into()));
    let env = with_gates(&server);
    let (code, _, err) = run(
        &env,
        &["wait", "image", "--interval", "100ms", "--timeout", "1s"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("gave up after 1s: image: HTTP 404"), "{err}");
    // How many polls fit in a second depends on the machine's load; repeated polling is
    // proven by the gate that turns green on its third poll.
    assert!(!server.received().is_empty());
    assert_eq!(server.received()[0].method, "HEAD");
    let (_, log, _) = run(&env, &["log"]);
    assert!(log.contains("gate image timed out"), "{log}");
}

/// The last poll before the deadline may be cut short (the deadline is its time limit); that
/// says nothing about the gate, so the failure and the record keep what the service last said.
#[test]
fn a_poll_cut_short_by_the_deadline_keeps_the_last_answer() {
    let server = TestServer::start(|n, _| match n {
        0 => Reply::Status(404, "{\"message\":\"manifest unknown\"}".into()),
        _ => Reply::Hang(std::time::Duration::from_secs(3)),
    });
    let env = with_gates(&server);
    let (code, _, err) = run(
        &env,
        &["wait", "image", "--interval", "100ms", "--timeout", "1s"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("gave up after 1s: image: HTTP 404"), "{err}");
    assert_eq!(server.received().len(), 2, "{err}");
    // The event recorded, as git shows the file the last commit added.
    let recorded = env.git(&["show", "--format=", "refs/release/2026-11-20"]);
    assert!(recorded.contains("timed out: HTTP 404"), "{recorded}");
}

/// A gate whose service stops answering says so, with the time limit the request really had.
#[test]
fn a_gate_that_stops_answering_says_how_long_it_waited() {
    let server = TestServer::start(|_, _| Reply::Hang(std::time::Duration::from_secs(3)));
    let env = with_gates(&server);
    let (code, _, err) = run(
        &env,
        &["wait", "image", "--interval", "100ms", "--timeout", "1s"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("gave up after 1s: image: "), "{err}");
    // The request had what was left of the second, not the client's 30 s default.
    assert!(err.contains(": timed out after "), "{err}");
    assert!(!err.contains("after 30s"), "{err}");
}

#[test]
fn json_pointer_checks() {
    let server = TestServer::start(|n, _| {
        let state = ["running", "running", "success"][n.min(2)];
        Reply::Status(200, format!("{{\"build\": {{\"state\": \"{state}\"}}}}"))
    });
    let env = with_gates(&server);
    let (code, _, err) = run(
        &env,
        &["wait", "build", "--interval", "50ms", "--timeout", "60s"],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.received().len(), 3);
    assert!(err.contains("/build/state = \"success\""), "{err}");
}

#[test]
fn a_server_that_hangs_is_cut_off_by_the_timeout() {
    let server = TestServer::start(|_, _| Reply::Hang(Duration::from_secs(5)));
    let env = with_gates(&server);
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "100ms", "--timeout", "1s"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("timed out"), "{err}");
    let err = env.fails(&["wait", "nope"], 1);
    assert!(err.contains("the gates are: ci, image, build"), "{err}");
}

#[test]
fn the_deployment_request_bug_is_filed_on_start() {
    let server = TestServer::start(|_, _| Reply::Status(200, "{\"id\": 1234}".into()));
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[mail]
cc = ["qa@example.com"]

[[environments]]
name = "stage"

[[hooks]]
name = "deployment-request"
on = "start"
url = "{url}/rest/bug"
headers = {{ X-BUGZILLA-API-KEY = "${{JENKINS_TOKEN}}", Content-Type = "application/json" }}
body = """{{% set text %}}{{% include "deployment-request" %}}{{% endset %}}{{"product": "Ops", "summary": "Deploy {{{{ release.name }}}}", "cc": {{{{ mail.cc | tojson }}}}, "description": {{{{ text | tojson }}}}}}"""
"#,
            url = server.url
        ),
    );
    let (code, _, err) = run(&env, &["start", "--date", "2026-11-20"]);
    assert_eq!(code, 0, "{err}");
    let got = server.received();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].path, "/rest/bug");
    assert_eq!(got[0].header("X-BUGZILLA-API-KEY"), Some(SECRET));
    let bug = json(&got[0].body);
    assert_eq!(bug["summary"], "Deploy 2026-11-20");
    assert_eq!(bug["cc"][0], "qa@example.com");
    assert!(
        bug["description"]
            .as_str()
            .unwrap()
            .contains("Please deploy release 2026-11-20."),
        "{bug}"
    );
}

#[test]
fn hooks_list_of_a_release_that_does_not_exist_is_an_error() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[hooks]]\nname = \"announce\"\non = \"start\"\nurl = \"https://chat.example.com/hook\"\n",
    );
    // No release yet: the hooks are listed all the same.
    let list = env.ok(&["hooks", "list"]);
    assert!(list.starts_with("announce "), "{list}");
    env.ok(&["--no-hooks", "start", "--date", "2026-11-20"]);
    let (code, out, err) = env.run(&["hooks", "list", "-r", "nope"]);
    assert_eq!((code, out.as_str()), (1, ""), "{err}");
    assert!(err.contains("error: no release named nope"), "{err}");
    assert!(
        err.contains("hint: `git release list` shows the releases"),
        "{err}"
    );
    assert!(
        env.ok(&["hooks", "list", "-r", "2026-11-20"])
            .starts_with("announce ")
    );
}

/// A server on 127.0.0.1 that hands each request (head and body, as received) and the
/// connection to `answer`, for answers `TestServer` cannot script: an echo into the status
/// line, a `Location`, a body without end. Returns its URL and what it received.
fn raw_server(
    answer: impl Fn(usize, &str, &mut std::net::TcpStream) + Send + 'static,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::Read;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = received.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut bytes = Vec::new();
            let mut buf = [0; 4096];
            // The head, then as much body as Content-Length says.
            let complete = |bytes: &[u8]| {
                let text = String::from_utf8_lossy(bytes);
                let Some(end) = text.find("\r\n\r\n") else {
                    return false;
                };
                let length = text[..end]
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                bytes.len() >= end + 4 + length
            };
            while !complete(&bytes) {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => bytes.extend_from_slice(&buf[..n]),
                }
            }
            let request = String::from_utf8_lossy(&bytes).into_owned();
            let n = {
                let mut log = log.lock().unwrap();
                log.push(request.clone());
                log.len() - 1
            };
            answer(n, &request, &mut stream);
        }
    });
    (url, received)
}

/// A service that echoes the whole request — URL in the status line and the body, headers,
/// body, and all of it in base64 — sees the secret in every form a template can give it, and
/// none of those forms reaches the terminal or what is recorded.
#[test]
fn a_secret_echoed_back_in_any_form_is_masked_everywhere() {
    let secret = "s3cr3t~Tok/en+42 x";
    let (url, received) = raw_server(|_, request, stream| {
        use std::io::Write;
        let target = request
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let body = format!("you sent {request} which is {}", base64(request));
        // The gate gets a 200 that is not JSON: its excerpt is recorded.
        let status = if target.starts_with("/gate") {
            200
        } else {
            500
        };
        let _ = write!(
            stream,
            "HTTP/1.1 {status} No {target}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
    });
    let env = TestEnv::new();
    let authority = url.trim_start_matches("http://");
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"

[[hooks]]
name = "echo"
on = "deploy"
url = "http://ci-user:{{{{ env.JENKINS_TOKEN }}}}@{authority}/job?token={{{{ env.JENKINS_TOKEN }}}}&u={{{{ env.JENKINS_TOKEN | urlencode }}}}"
headers = {{ X-Upper = "{{{{ env.JENKINS_TOKEN | upper }}}}", X-Lower = "{{{{ env.JENKINS_TOKEN | lower }}}}", X-Json = "{{{{ env.JENKINS_TOKEN | tojson }}}}" }}
body = "token=${{JENKINS_TOKEN}}"

[[gates]]
name = "echo"
url = "http://ci-user:{{{{ env.JENKINS_TOKEN }}}}@{authority}/gate?token={{{{ env.JENKINS_TOKEN }}}}"
headers = {{ X-Token = "${{JENKINS_TOKEN}}" }}
expect_json = {{ pointer = "/state", equals = "success" }}
"#
        ),
    );
    env.ok(&["--no-hooks", "start", "--date", "2026-11-20"]);
    let runs = [
        &["deploy", "stage"][..],
        &["hooks", "retry"],
        &["hooks", "list"],
        &["log"],
        &["wait", "echo", "--interval", "100ms", "--timeout", "1s"],
    ];
    let mut seen = String::new();
    for args in runs {
        let out = env
            .cmd()
            .env("JENKINS_TOKEN", secret)
            .args(args)
            .output()
            .unwrap();
        seen.push_str(&String::from_utf8_lossy(&out.stdout));
        seen.push_str(&String::from_utf8_lossy(&out.stderr));
    }
    // The forms the service really received, as the service saw them.
    let got = received.lock().unwrap().clone();
    assert!(got.len() >= 3, "{got:?}");
    let basic = base64(&format!("ci-user:{secret}"));
    let forms = [
        secret.to_owned(),
        secret.to_uppercase(),
        secret.to_lowercase(),
        "s3cr3t%7ETok/en%2B42%20x".to_owned(),
        "s3cr3t~Tok%2Fen%2B42%20x".to_owned(),
        basic.trim_end_matches('=').to_owned(),
        base64(secret).trim_end_matches('=').to_owned(),
    ];
    for form in &forms[..6] {
        assert!(
            got[0].contains(form.as_str()),
            "{form} not sent: {}",
            got[0]
        );
    }
    assert!(
        seen.contains("answered 500: you sent POST /job?token=***"),
        "{seen}"
    );
    // What git-release recorded, as git shows it.
    let events = env.git(&["log", "-p", "--all", "--notes=release"]);
    let blobs: String = env
        .git(&["ls-tree", "-r", "--name-only", "refs/release/2026-11-20"])
        .lines()
        .map(|path| env.git(&["cat-file", "-p", &format!("refs/release/2026-11-20:{path}")]))
        .collect();
    assert!(events.contains("hook-failed"), "{events}");
    assert!(
        events.contains("timed out: HTTP 200, not JSON: you sent GET /gate?token=***"),
        "{events}"
    );
    for form in &forms {
        for (what, text) in [("output", &seen), ("log", &events), ("blobs", &blobs)] {
            assert!(
                !text.contains(form.as_str()),
                "{form} in the {what}:\n{text}"
            );
        }
    }
}

/// A value shorter than 6 characters would garble every text it is masked in and give itself
/// away; it is refused where it is used, naming the variable.
#[test]
fn a_secret_too_short_to_mask_is_refused() {
    let server = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let env = with_hook(&server, "");
    let out = env
        .cmd()
        .env("JENKINS_TOKEN", "abc")
        .args(["deploy", "stage"])
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(server.received().is_empty(), "it was sent");
    assert!(
        err.contains("the environment variable JENKINS_TOKEN holds 3 characters"),
        "{err}"
    );
    assert!(err.contains("needs at least 6"), "{err}");
    let list = env.ok(&["hooks", "list"]);
    assert!(
        list.contains("failed on 2026-11-20: jenkins-stage"),
        "{list}"
    );
}

/// A redirect to another port goes without the credentials and without a Referer (the URL it
/// comes from holds the token); one to the same host keeps them.
#[test]
fn a_redirect_to_another_host_drops_credentials() {
    let target = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let next = target.url.clone();
    let (url, received) = raw_server(move |n, _, stream| {
        use std::io::Write;
        let location = if n == 0 {
            "/again".to_owned()
        } else {
            format!("{next}/landed")
        };
        let _ = write!(
            stream,
            "HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    });
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"

[[hooks]]
name = "hop"
on = "deploy"
url = "{url}/start?token={{{{ env.JENKINS_TOKEN }}}}"
headers = {{ Authorization = "Bearer ${{JENKINS_TOKEN}}", X-Api-Key = "${{JENKINS_TOKEN}}", X-Actor = "{{{{ event.actor.email }}}}" }}
body = "release={{{{ release.name }}}}"
"#
        ),
    );
    env.ok(&["--no-hooks", "start", "--date", "2026-11-20"]);
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Hook hop: POST"), "{err}");
    let first = received.lock().unwrap().clone();
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(first[1].starts_with("GET /again "), "{}", first[1]);
    assert!(
        first[1].contains(&format!("authorization: Bearer {SECRET}")),
        "the same host keeps them: {}",
        first[1]
    );
    let got = target.received();
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("GET", "/landed")
    );
    assert_eq!(got[0].header("X-Actor"), Some("ada@example.com"));
    for header in ["Authorization", "X-Api-Key", "Referer"] {
        assert_eq!(
            got[0].header(header),
            None,
            "{header}: {:?}",
            got[0].headers
        );
    }
    assert!(!format!("{:?}", got[0]).contains(SECRET), "{:?}", got[0]);
}

/// A 307 or 308 to another host would carry the body, rendered for the service asked and
/// holding a secret, to the other one: it is not followed.
#[test]
fn a_body_is_never_sent_on_to_another_host() {
    let target = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let next = target.url.clone();
    let (url, _received) = raw_server(move |_, _, stream| {
        use std::io::Write;
        let _ = write!(
            stream,
            "HTTP/1.1 307 Temporary Redirect\r\nLocation: {next}/other\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
    });
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"

[[hooks]]
name = "hop"
on = "deploy"
url = "{url}/start"
body = "token={{{{ env.JENKINS_TOKEN }}}}"
"#
        ),
    );
    env.ok(&["--no-hooks", "start", "--date", "2026-11-20"]);
    let (_, _, err) = run(&env, &["deploy", "stage"]);
    assert!(
        err.contains("with the request's body; not followed"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    assert!(target.received().is_empty(), "{:?}", target.received());
}

/// Release data put into a URL is URL-encoded: a comment cannot add parameters or cut the
/// query short. `| safe` writes a value as it is.
#[test]
fn values_in_a_url_are_encoded() {
    let server = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[hooks]]
name = "chat"
on = "comment"
url = "{url}/notify?text={{{{ event.fields.message }}}}&env=stage&raw={{{{ 'a/b?c' | safe }}}}&enc={{{{ 'x y' | urlencode }}}}"
"#,
            url = server.url
        ),
    );
    env.ok(&["--no-hooks", "start", "--date", "2026-11-20"]);
    let (code, _, err) = run(&env, &["comment", "hi&deploy=production&token=x#"]);
    assert_eq!(code, 0, "{err}");
    let got = server.received();
    assert_eq!(got.len(), 1, "{err}");
    assert_eq!(
        got[0].path,
        "/notify?text=hi%26deploy%3Dproduction%26token%3Dx%23&env=stage&raw=a/b?c&enc=x%20y"
    );
}

/// An answer without end is read up to 1 MiB: the hook fails with that reason, it is recorded
/// and `hooks retry` sees it. Memory is limited, so a regression fails instead of swapping.
#[test]
fn an_endless_answer_is_cut_off_and_recorded() {
    let (url, _) = raw_server(|_, _, stream| {
        use std::io::Write;
        let _ = write!(
            stream,
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
        );
        // Until the client hangs up, or 256 MiB.
        let chunk = vec![b'x'; 64 << 10];
        for _ in 0..4096 {
            if stream.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"

[[hooks]]
name = "firehose"
on = "deploy"
url = "{url}/hook"

[[gates]]
name = "firehose"
url = "{url}/gate"
"#
        ),
    );
    env.ok(&["--no-hooks", "start", "--date", "2026-11-20"]);
    let limited = |args: &[&str]| {
        let base = env.cmd();
        let mut sh = std::process::Command::new("sh");
        sh.arg("-c")
            .arg(r#"ulimit -v 2097152; exec "$0" "$@""#)
            .arg(base.get_program())
            .args(args)
            .current_dir(base.get_current_dir().unwrap());
        for (k, v) in base.get_envs() {
            match v {
                Some(v) => sh.env(k, v),
                None => sh.env_remove(k),
            };
        }
        let out = sh.output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = limited(&["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: hook firehose failed: ")
            && err.contains("the answer is longer than 1 MiB"),
        "{err}"
    );
    let list = env.ok(&["hooks", "list"]);
    assert!(list.contains("the answer is longer than 1 MiB"), "{list}");
    let (code, err) = limited(&["hooks", "retry"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("1 hook still failing"), "{err}");

    let (code, err) = limited(&["wait", "firehose", "--interval", "100ms", "--timeout", "2s"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the answer is longer than 1 MiB"), "{err}");
}
