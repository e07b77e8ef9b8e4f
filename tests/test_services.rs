//! Providers — `[forge]`, `[bugzilla]`, `[etherpad]` — against servers on 127.0.0.1 that
//! answer as each service's documented API does, and record what they were sent.

use std::sync::{Arc, Mutex};

use crate::common::{Received, Reply, TestEnv, TestServer, json};

const GITHUB_TOKEN: &str = "ghp-s3cr3t-forge-token-1";
const BUGZILLA_KEY: &str = "bz-s3cr3t-api-key-22";
const ETHERPAD_KEY: &str = "ep-s3cr3t-api-key-333";

/// Runs `git release ARGS` with the services' secrets in the environment; none of them may
/// appear in what it prints.
fn run(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    run_as(env, ("Ada Lovelace", "ada@example.com"), args)
}

/// `run` as another person.
fn run_as(env: &TestEnv, who: (&str, &str), args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("GIT_AUTHOR_NAME", who.0)
        .env("GIT_AUTHOR_EMAIL", who.1)
        .env("GIT_COMMITTER_NAME", who.0)
        .env("GIT_COMMITTER_EMAIL", who.1)
        .env("GITHUB_TOKEN", GITHUB_TOKEN)
        .env("GITLAB_TOKEN", GITHUB_TOKEN)
        .env("GITEA_TOKEN", GITHUB_TOKEN)
        .env("BUGZILLA_API_KEY", BUGZILLA_KEY)
        .env("ETHERPAD_API_KEY", ETHERPAD_KEY)
        .args(args)
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    for secret in [GITHUB_TOKEN, BUGZILLA_KEY, ETHERPAD_KEY] {
        assert!(
            !stdout.contains(secret) && !stderr.contains(secret),
            "a secret leaked:\n{stdout}\n{stderr}"
        );
    }
    (out.status.code().unwrap(), stdout, stderr)
}

fn ok(env: &TestEnv, args: &[&str]) -> (String, String) {
    let (code, out, err) = run(env, args);
    assert_eq!(code, 0, "git release {args:?} failed:\n{err}");
    (out, err)
}

/// Nothing git-release stored holds a secret.
fn assert_not_stored(env: &TestEnv) {
    let everything = env.git(&["log", "-p", "--all", "--notes=release"]);
    for secret in [GITHUB_TOKEN, BUGZILLA_KEY, ETHERPAD_KEY] {
        assert!(!everything.contains(secret));
    }
}

fn repo(remote: &str, config: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", config);
    env.commit_all("Release process");
    env.git(&["remote", "add", "origin", remote]);
    env
}

fn body(r: &Received) -> serde_json::Value {
    serde_json::from_str(&r.body).unwrap_or_else(|_| panic!("not JSON: {}", r.body))
}

/// `application/x-www-form-urlencoded` into pairs.
fn form(text: &str) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(&s.replace('+', " "))
            .decode_utf8()
            .unwrap()
            .into_owned()
    };
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn field<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// A GitHub that holds release objects by tag: `GET …/releases/tags/{tag}` finds one (404 and
/// GitHub's error body if none), `POST …/releases` makes one, `PATCH …/releases/{id}` edits
/// one. With `fail_first_create`, the first create is made but answered 502, as a proxy that
/// timed out would.
fn github(fail_first_create: bool) -> TestServer {
    let made: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(None));
    TestServer::start(move |_, r| {
        let mut made = made.lock().unwrap();
        let page = "https://github.com/acme/shop/releases/tag/2026-11-20";
        let release = |title: &str| {
            format!(
                r#"{{"id": 77, "tag_name": "2026-11-20", "name": "{title}", "html_url": "{page}"}}"#
            )
        };
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/repos/acme/shop/releases/tags/2026-11-20") => match &*made {
                Some(title) => Reply::Status(200, release(title)),
                None => Reply::Status(
                    404,
                    r#"{"message": "Not Found", "documentation_url": "https://docs.github.com/rest/releases/releases#get-a-release-by-tag-name", "status": "404"}"#.into(),
                ),
            },
            ("POST", "/repos/acme/shop/releases") => {
                if made.is_some() {
                    return Reply::Status(422, r#"{"message": "Validation Failed", "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]}"#.into());
                }
                let title = body(r)["name"].as_str().unwrap_or_default().to_owned();
                *made = Some(title.clone());
                if fail_first_create {
                    Reply::Status(502, "<html>Bad Gateway</html>".into())
                } else {
                    Reply::Status(201, release(&title))
                }
            }
            ("PATCH", "/repos/acme/shop/releases/77") => {
                let title = body(r)["name"].as_str().unwrap_or_default().to_owned();
                *made = Some(title.clone());
                Reply::Status(200, release(&title))
            }
            _ => Reply::Status(404, r#"{"message": "Not Found"}"#.into()),
        }
    })
}

#[test]
fn github_release_is_created_once_and_updated_when_sent_again() {
    let server = github(true);
    let env = repo(
        "git@github.com:acme/shop.git",
        &format!("[forge]\napi = \"{}\"\n", server.url),
    );
    // The request is shown, with the token masked, and nothing is sent.
    let (out, _) = ok(&env, &["start", "--date", "2026-11-20", "--dry-run"]);
    assert!(
        out.contains(&format!(
            "would send hook forge-release: GET {}/repos/acme/shop/releases/tags/2026-11-20",
            server.url
        )),
        "{out}"
    );
    assert!(out.contains("Authorization: Bearer ***"), "{out}");
    assert!(out.contains("POST"), "{out}");
    assert!(server.received().is_empty());
    let (list, _) = ok(&env, &["hooks", "list"]);
    assert!(
        list.starts_with("forge-release            on start            GitHub release of the tag"),
        "{list}"
    );

    // The first create goes through, but its answer is lost: a hook-failed event.
    let (_, err) = ok(&env, &["start", "--date", "2026-11-20"]);
    assert!(
        err.contains("warning: hook forge-release failed: GitHub answered 502 to POST"),
        "{err}"
    );
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].method, "GET");
    assert_eq!(got[1].method, "POST");
    assert_eq!(got[1].path, "/repos/acme/shop/releases");
    assert_eq!(
        got[1].header("Authorization"),
        Some(format!("Bearer {GITHUB_TOKEN}").as_str())
    );
    assert_eq!(got[1].header("Accept"), Some("application/vnd.github+json"));
    assert_eq!(got[1].header("X-GitHub-Api-Version"), Some("2022-11-28"));
    let sent = body(&got[1]);
    let target = env.git(&["rev-parse", "HEAD"]);
    assert_eq!(sent["tag_name"], "2026-11-20");
    assert_eq!(sent["name"], "2026-11-20");
    assert_eq!(sent["target_commitish"], target.as_str());
    let notes = env.ok(&["notes"]);
    assert_eq!(sent["body"].as_str().unwrap().trim(), notes.trim());
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["failed_hooks"][0]["hook"], "forge-release");

    // Sent again, it finds the release of the tag and edits it: one release, not two.
    let (_, err) = ok(&env, &["hooks", "retry"]);
    assert!(err.contains("Hook forge-release: done\nKept fact release_url = https://github.com/acme/shop/releases/tag/2026-11-20 (hook forge-release)"), "{err}");
    let got = server.received();
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        (got[2].method.as_str(), got[2].path.as_str()),
        ("GET", "/repos/acme/shop/releases/tags/2026-11-20")
    );
    assert_eq!(
        (got[3].method.as_str(), got[3].path.as_str()),
        ("PATCH", "/repos/acme/shop/releases/77")
    );
    let patch = body(&got[3]);
    assert_eq!(patch["name"], "2026-11-20");
    assert!(patch.get("tag_name").is_none(), "{patch}");
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["failed_hooks"], serde_json::json!([]));
    assert_eq!(
        status["facts"]["release_url"],
        "https://github.com/acme/shop/releases/tag/2026-11-20"
    );
    assert_not_stored(&env);
}

#[test]
fn gitlab_release_is_created_with_the_private_token() {
    let server = TestServer::start(|_, r| {
        match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/projects/group%2Fshop/releases/2026-11-20") => {
            Reply::Status(404, r#"{"message": "404 Not Found"}"#.into())
        }
        ("POST", "/projects/group%2Fshop/releases") => Reply::Status(
            201,
            r#"{"tag_name": "2026-11-20", "name": "2026-11-20", "_links": {"self": "https://gitlab.example.com/group/shop/-/releases/2026-11-20"}}"#.into(),
        ),
        _ => Reply::Status(404, r#"{"error": "404 Not Found"}"#.into()),
    }
    });
    let env = repo(
        "https://gitlab.example.com/group/shop.git",
        &format!("[forge]\napi = \"{}\"\npublish = \"start\"\n", server.url),
    );
    ok(&env, &["start", "--date", "2026-11-20"]);
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].header("PRIVATE-TOKEN"), Some(GITHUB_TOKEN));
    assert_eq!(got[1].header("Authorization"), None);
    let sent = body(&got[1]);
    assert_eq!(sent["tag_name"], "2026-11-20");
    assert_eq!(sent["name"], "2026-11-20");
    assert!(
        sent["description"]
            .as_str()
            .unwrap()
            .contains("Initial commit"),
        "{sent}"
    );
    assert_eq!(
        json(&env.ok(&["status", "--json"]))["facts"]["release_url"],
        "https://gitlab.example.com/group/shop/-/releases/2026-11-20"
    );
}

#[test]
fn gitea_release_is_created_at_finish_and_errors_name_gitea() {
    let server = TestServer::start(|n, r| {
        match (r.method.as_str(), r.path.as_str()) {
        ("GET", "/repos/acme/shop/releases/tags/2026-11-20") => {
            Reply::Status(404, r#"{"errors": null, "message": "not found", "url": "https://gitea.example.com/api/swagger"}"#.into())
        }
        // The first create is refused, as Gitea refuses a token without the scope.
        ("POST", "/repos/acme/shop/releases") if n == 1 => Reply::Status(
            403,
            r#"{"message": "token does not have at least one of required scope(s): [write:repository]", "url": "https://gitea.example.com/api/swagger"}"#.into(),
        ),
        ("POST", "/repos/acme/shop/releases") => Reply::Status(
            201,
            r#"{"id": 5, "tag_name": "2026-11-20", "html_url": "https://gitea.example.com/acme/shop/releases/tag/2026-11-20"}"#.into(),
        ),
        _ => Reply::Status(404, "{}".into()),
    }
    });
    let env = repo(
        "ssh://git@git.example.com/acme/shop.git",
        &format!(
            "[forge]\nkind = \"gitea\"\napi = \"{}\"\nrepo = \"acme/shop\"\ntoken = \"${{GITEA_TOKEN}}\"\npublish = \"finish\"\n",
            server.url
        ),
    );
    ok(&env, &["start", "--date", "2026-11-20"]);
    assert!(server.received().is_empty(), "published at start");
    let (_, err) = ok(&env, &["finish"]);
    assert!(err.contains("Gitea answered 403 to POST"), "{err}");
    assert!(
        err.contains("token does not have at least one of required scope(s): [write:repository]"),
        "{err}"
    );
    ok(&env, &["hooks", "retry", "-r", "2026-11-20"]);
    let got = server.received();
    assert_eq!(got.len(), 4, "{got:?}");
    assert_eq!(
        got[3].header("Authorization"),
        Some(format!("token {GITHUB_TOKEN}").as_str())
    );
    assert_eq!(body(&got[3])["tag_name"], "2026-11-20");
    assert_eq!(
        json(&env.ok(&["status", "--json", "-r", "2026-11-20"]))["facts"]["release_url"],
        "https://gitea.example.com/acme/shop/releases/tag/2026-11-20"
    );
}

/// A Bugzilla that files bug 4242, takes comments, and says 4242 depends on 100 (open) and
/// 101 (resolved). With `broken_component`, filing is refused as Bugzilla refuses it.
fn bugzilla(broken_component: bool) -> TestServer {
    TestServer::start(move |_, r| {
        let key_ok = r.header("X-BUGZILLA-API-KEY") == Some(BUGZILLA_KEY);
        if !key_ok {
            return Reply::Status(
                401,
                r#"{"error": true, "message": "The API key you specified is invalid.", "code": 306}"#.into(),
            );
        }
        match (r.method.as_str(), r.path.as_str()) {
            ("POST", "/rest/bug") if broken_component && body(r)["component"] == "Nope" => Reply::Status(
                400,
                r#"{"error": true, "message": "There is no component named 'Nope' in the 'Cloud Services' product.", "code": 51, "documentation": "https://bugzilla.readthedocs.org/en/latest/api/"}"#.into(),
            ),
            ("POST", "/rest/bug") => Reply::Status(200, r#"{"id": 4242}"#.into()),
            ("POST", "/rest/bug/4242/comment") => Reply::Status(201, r#"{"id": 9001}"#.into()),
            ("GET", "/rest/bug/4242?include_fields=depends_on") => Reply::Status(
                200,
                r#"{"bugs": [{"depends_on": [100, 101]}], "faults": []}"#.into(),
            ),
            ("GET", "/rest/bug?id=100,101&include_fields=id,summary,status,is_open") => Reply::Status(
                200,
                r#"{"bugs": [{"id": 100, "status": "NEW", "summary": "Checkout 500s", "is_open": true}, {"id": 101, "status": "RESOLVED", "summary": "Typo", "is_open": false}], "faults": []}"#.into(),
            ),
            _ => Reply::Status(
                404,
                r#"{"error": true, "message": "no such resource", "code": 32614}"#.into(),
            ),
        }
    })
}

fn bugzilla_config(url: &str, component: &str) -> String {
    format!(
        r#"
[roles.qa]
members = ["qa1@example.com", "qa2@example.com", "*@qa.example.com"]

[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = {{ no_blockers = true }}

[bugzilla]
url = "{url}"
api_key = "${{BUGZILLA_API_KEY}}"
product = "Cloud Services"
component = "{component}"
severity = "normal"
cc_role = "qa"
cc = ["ops@example.com"]
comment_on = ["signoff", "deploy"]
"#
    )
}

#[test]
fn bugzilla_files_the_request_comments_and_blocks_on_open_dependencies() {
    let server = bugzilla(false);
    let env = repo(
        "git@github.com:acme/shop.git",
        &bugzilla_config(&server.url, "Operations: Deployment Requests"),
    );
    ok(&env, &["start", "--date", "2026-11-20"]);
    let got = server.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].method.as_str(), got[0].path.as_str()),
        ("POST", "/rest/bug")
    );
    assert_eq!(got[0].header("Content-Type"), Some("application/json"));
    let filed = body(&got[0]);
    assert_eq!(filed["product"], "Cloud Services");
    assert_eq!(filed["component"], "Operations: Deployment Requests");
    assert_eq!(filed["version"], "unspecified");
    assert_eq!(filed["severity"], "normal");
    assert_eq!(filed["summary"], "Deploy 2026-11-20");
    // CC: the role's members (a pattern is not an address), then the extra ones.
    assert_eq!(
        filed["cc"],
        serde_json::json!(["qa1@example.com", "qa2@example.com", "ops@example.com"])
    );
    let description = filed["description"].as_str().unwrap();
    assert!(
        description.contains("Please deploy release 2026-11-20."),
        "{description}"
    );
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["facts"]["bug"], "4242");
    assert_eq!(
        status["facts"]["bug_url"],
        format!("{}/show_bug.cgi?id=4242", server.url)
    );

    // The sign-off is posted to the bug, with who gave it and the note.
    let qa = ("Quinn Ames", "qa1@example.com");
    let (code, _, err) = run_as(&env, qa, &["signoff", "qa", "--note", "stage looks good"]);
    assert_eq!(code, 0, "{err}");
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[1].path, "/rest/bug/4242/comment");
    let comment = body(&got[1])["comment"].as_str().unwrap().to_owned();
    assert!(
        comment.contains("signoff qa by Quinn Ames <qa1@example.com>"),
        "{comment}"
    );
    assert!(comment.contains("stage looks good"), "{comment}");

    ok(&env, &["deploy", "stage"]);
    // Production: bug 100 is open and the deployment bug depends on it; 101 is resolved.
    let (code, _, err) = run(&env, &["deploy", "production"]);
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("bug 100 (NEW, Checkout 500s) is open, and deployment bug 4242 depends on it"),
        "{err}"
    );
    assert!(!err.contains("bug 101"), "{err}");
    let asked: Vec<String> = server
        .received()
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        asked,
        [
            "/rest/bug/4242?include_fields=depends_on",
            "/rest/bug?id=100,101&include_fields=id,summary,status,is_open"
        ]
    );
    // Nothing was filed twice.
    let filed = server
        .received()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/rest/bug")
        .count();
    assert_eq!(filed, 1);
    assert_not_stored(&env);
}

#[test]
fn a_bugzilla_error_names_bugzilla_and_what_it_said_and_retry_files_the_bug() {
    let server = bugzilla(true);
    let env = repo(
        "git@github.com:acme/shop.git",
        &bugzilla_config(&server.url, "Nope"),
    );
    let (_, err) = ok(&env, &["start", "--date", "2026-11-20"]);
    assert!(
        err.contains(&format!(
            "warning: hook bugzilla-file failed: Bugzilla answered 400 to POST {}/rest/bug: There is no component named 'Nope' in the 'Cloud Services' product. (code 51)",
            server.url
        )),
        "{err}"
    );
    let (list, _) = ok(&env, &["hooks", "list"]);
    assert!(list.contains("bugzilla-file            on start"), "{list}");
    assert!(
        list.contains("failed on 2026-11-20: bugzilla-file"),
        "{list}"
    );
    // A comment before the bug exists fails, saying why, and is kept for retry.
    let (code, _, err) = run_as(&env, ("Quinn Ames", "qa1@example.com"), &["signoff", "qa"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("has no deployment bug yet (no fact `bug`)"),
        "{err}"
    );

    // Fixed in the config, retried in order: the bug is filed, then the comment goes to it.
    env.write(
        ".release/config.toml",
        &bugzilla_config(&server.url, "Operations: Deployment Requests"),
    );
    ok(&env, &["hooks", "retry"]);
    let posts: Vec<String> = server
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(posts, ["/rest/bug", "/rest/bug", "/rest/bug/4242/comment"]);
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["facts"]["bug"], "4242");
    assert_eq!(status["failed_hooks"], serde_json::json!([]));
}

/// A Bugzilla that never answers: the request gives up after `[bugzilla] timeout`, saying
/// which service and how long, and is kept for retry; a bad timeout is refused up front.
#[test]
fn a_silent_bugzilla_times_out_naming_bugzilla() {
    let server = TestServer::start(|_, _| Reply::Hang(std::time::Duration::from_secs(3)));
    let config = bugzilla_config(&server.url, "Operations: Deployment Requests");
    let env = repo(
        "git@github.com:acme/shop.git",
        &format!("{config}timeout = \"200ms\"\n"),
    );
    let (_, err) = ok(&env, &["start", "--date", "2026-11-20"]);
    assert!(
        err.contains(&format!(
            "warning: hook bugzilla-file failed: Bugzilla: {}/rest/bug: timed out after 200 ms",
            server.url
        )),
        "{err}"
    );
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["failed_hooks"][0]["hook"], "bugzilla-file");
    env.write(
        ".release/config.toml",
        &format!("{config}timeout = \"soon\"\n"),
    );
    let (code, _, err) = run(&env, &["status"]);
    assert_ne!(code, 0);
    assert!(err.contains("[bugzilla] timeout"), "{err}");
    assert_not_stored(&env);
}

const PAD_CONFIG: &str = r#"
[schedule]
tag = "friday"
push = "tuesday"

[etherpad]
url = "URL"
pad = "amo-{{ next.name }}"
"#;

/// The next push's name, as finish prints it.
fn next_name(out: &str) -> String {
    let line = out
        .lines()
        .find(|l| l.starts_with("==> push pad for the next push, "))
        .unwrap_or_else(|| panic!("{out}"));
    line.trim_start_matches("==> push pad for the next push, ")
        .trim_end_matches(" <==")
        .to_owned()
}

#[test]
fn finish_creates_the_next_pad_and_keeps_its_url() {
    // createPad says the pad exists (code 1, as Etherpad does), so its text is set instead.
    let server = TestServer::start(|_, r| match r.path.as_str() {
        "/api/1.2.15/createPad" => Reply::Status(
            200,
            r#"{"code": 1, "message": "padID does already exist", "data": null}"#.into(),
        ),
        "/api/1.2.15/setText" => {
            Reply::Status(200, r#"{"code": 0, "message": "ok", "data": null}"#.into())
        }
        _ => Reply::Status(
            404,
            r#"{"code": 3, "message": "no such function", "data": null}"#.into(),
        ),
    });
    let env = repo(
        "git@github.com:acme/shop.git",
        &PAD_CONFIG.replace("URL", &server.url),
    );
    ok(&env, &["start", "--date", "2026-11-20"]);
    let (list, _) = ok(&env, &["hooks", "list"]);
    assert!(
        list.contains("etherpad-pad             on finish"),
        "{list}"
    );
    let (out, _) = ok(&env, &["finish", "--dry-run"]);
    assert!(out.contains("would send hook etherpad-pad: POST"), "{out}");
    assert!(out.contains("body: apikey=***&padID=amo-"), "{out}");
    assert!(server.received().is_empty());

    let (out, _) = ok(&env, &["finish"]);
    let next = next_name(&out);
    let got = server.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for (r, function) in got.iter().zip(["createPad", "setText"]) {
        assert_eq!(r.method, "POST");
        assert_eq!(r.path, format!("/api/1.2.15/{function}"));
        assert_eq!(
            r.header("Content-Type"),
            Some("application/x-www-form-urlencoded")
        );
        let sent = form(&r.body);
        assert_eq!(field(&sent, "apikey"), Some(ETHERPAD_KEY));
        assert_eq!(field(&sent, "padID"), Some(format!("amo-{next}").as_str()));
        // The text is the push-pad template for the next push, as finish printed it.
        let text = field(&sent, "text").unwrap();
        assert!(out.contains(text.trim_end()), "{text}\n---\n{out}");
    }
    let pad_url = format!("{}/p/amo-{next}", server.url);
    assert_eq!(
        json(&env.ok(&["status", "--json", "-r", "2026-11-20"]))["facts"]["pad_url"],
        pad_url.as_str()
    );
    // The push-done mail, made before the pad, links the page the pad got.
    let mail = out
        .split("==> push-done mail")
        .nth(1)
        .expect("finish prints the mail");
    // Quoted-printable: soft line breaks joined.
    let mail = mail.replace("=\r\n", "").replace("=\n", "");
    let line = format!("Its pad: {pad_url}");
    assert!(mail.lines().any(|l| l.trim_end() == line), "{mail}");
    assert_not_stored(&env);
}

#[test]
fn an_etherpad_error_code_fails_the_hook_without_showing_the_key() {
    let server = TestServer::start(|_, _| {
        Reply::Status(
            401,
            r#"{"code": 4, "message": "no or wrong API Key", "data": null}"#.into(),
        )
    });
    let env = repo(
        "git@github.com:acme/shop.git",
        &PAD_CONFIG.replace("URL", &server.url),
    );
    ok(&env, &["start", "--date", "2026-11-20"]);
    let (_, err) = ok(&env, &["finish"]);
    assert!(
        err.contains(&format!(
            "warning: hook etherpad-pad failed: Etherpad answered 401 to POST {}/api/1.2.15/createPad: no or wrong API Key (code 4)",
            server.url
        )),
        "{err}"
    );
    let status = json(&env.ok(&["status", "--json", "-r", "2026-11-20"]));
    assert_eq!(status["failed_hooks"][0]["hook"], "etherpad-pad");
    assert!(status["facts"].get("pad_url").is_none(), "{status}");
    assert_not_stored(&env);
}

/// What `init` writes shows each provider, commented; uncommented, they are hooks like any.
#[test]
fn the_presets_show_the_providers_and_uncommented_they_are_hooks() {
    for (preset, names) in [
        (
            "train",
            &["forge-release", "bugzilla-file", "bugzilla-comment-signoff"][..],
        ),
        ("push-duty", &["forge-release", "etherpad-pad"][..]),
    ] {
        let env = TestEnv::new();
        env.git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
        env.ok(&["init", "--preset", preset]);
        let written = env.read(".release/config.toml");
        let (head, rest) = written.split_once("# BEGIN EXAMPLES\n").unwrap();
        let (block, tail) = rest.split_once("# END EXAMPLES").unwrap();
        let uncommented: Vec<&str> = block
            .lines()
            .map(|l| l.strip_prefix("# ").unwrap_or(l))
            .collect();
        env.write(
            ".release/config.toml",
            &format!("{head}{}\n{tail}", uncommented.join("\n")),
        );
        let (list, _) = ok(&env, &["hooks", "list"]);
        for name in names {
            assert!(
                list.lines().any(|l| l.starts_with(name)),
                "{preset}: {name} missing from\n{list}"
            );
        }
        assert!(
            list.contains("GitHub release of the tag: https://api.github.com acme/shop"),
            "{list}"
        );
    }
}

/// A forge that echoes the token in the address it answers: the address is not kept.
#[test]
fn a_provider_answer_holding_the_token_is_not_kept() {
    let server = TestServer::start(|_, r| match r.method.as_str() {
        "GET" => Reply::Status(404, r#"{"message": "404 Not Found"}"#.into()),
        _ => {
            let token = r.header("PRIVATE-TOKEN").unwrap_or_default().to_owned();
            Reply::Status(
                201,
                format!(
                    r#"{{"_links": {{"self": "https://gitlab.example.com/r?private_token={token}"}}}}"#
                ),
            )
        }
    });
    let env = repo(
        "https://gitlab.example.com/group/shop.git",
        &format!("[forge]\napi = \"{}\"\n", server.url),
    );
    let (_, err) = ok(&env, &["start", "--date", "2026-11-20"]);
    assert!(
        err.contains(
            "warning: hook forge-release: fact release_url: the value holds a secret; not recorded"
        ),
        "{err}"
    );
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["facts"], serde_json::json!({}));
    assert_eq!(status["failed_hooks"], serde_json::json!([]));
    assert_not_stored(&env);
}
