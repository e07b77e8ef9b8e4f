//! The CircleCI and Docker Registry gates against local servers that speak those APIs: CircleCI
//! v2 pipelines (paged with `next_page_token`) and workflows, with the `Circle-Token` header;
//! Docker Registry v2 `HEAD /v2/{name}/manifests/{tag}` behind the bearer-token dance.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::{Received, Reply, TestEnv, TestServer, base64, json};

const CIRCLE_TOKEN: &str = "circle-t0ken-abcdef";
const REGISTRY_PASSWORD: &str = "reg-pa55word-xyz";
const PIPELINE: &str = "5034460f-c7c4-4c43-9457-de07e2029e7b";

fn repo(gates: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            "[[environments]]\nname = \"stage\"\nrequires = {{ gates = [\"ci\"] }}\n\n{gates}"
        ),
    );
    env.commit_all("Release config");
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

fn run(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    env.run_with(args, vars)
}

fn circleci_gate(url: &str) -> String {
    format!(
        "[[gates]]\nname = \"ci\"\nkind = \"circleci\"\nurl = \"{url}\"\nproject = \"gh/acme/shop\"\ntoken = \"${{CIRCLE_TOKEN}}\"\n"
    )
}

/// A CircleCI that knows two pipelines, the release's on the second page, whose workflows
/// stand as `workflows(n)` says on the n-th time they are asked for.
fn circleci(workflows: impl Fn(usize) -> &'static str + Send + 'static) -> TestServer {
    let asked = Arc::new(AtomicUsize::new(0));
    TestServer::start(move |_, request: &Received| {
        if request.header("circle-token") != Some(CIRCLE_TOKEN) {
            return Reply::Status(401, r#"{"message":"You must log in first."}"#.into());
        }
        match request.path.as_str() {
            "/api/v2/project/gh/acme/shop/pipeline" => Reply::Status(
                200,
                r#"{"items":[{"id":"0d5c8a52-0000-4000-8000-000000000001","number":43,"state":"created","vcs":{"branch":"main","revision":"ffffffffffffffffffffffffffffffffffffffff"}}],"next_page_token":"AARLwwV"}"#.into(),
            ),
            "/api/v2/project/gh/acme/shop/pipeline?page-token=AARLwwV" => Reply::Status(
                200,
                format!(
                    r#"{{"items":[{{"id":"{PIPELINE}","number":42,"state":"created","vcs":{{"tag":"2026-11-20","revision":"0123456789012345678901234567890123456789"}}}}],"next_page_token":null}}"#
                ),
            ),
            path if path == format!("/api/v2/pipeline/{PIPELINE}/workflow") => {
                let n = asked.fetch_add(1, Ordering::SeqCst);
                Reply::Status(200, workflows(n).to_owned())
            }
            _ => Reply::Status(404, r#"{"message":"Not found."}"#.into()),
        }
    })
}

const SUCCESS: &str = r#"{"items":[{"id":"fda08377-fe7e-46b1-8992-3a7aaecac9c3","name":"build","status":"success","pipeline_id":"5034460f-c7c4-4c43-9457-de07e2029e7b","pipeline_number":42},{"id":"9f0a3b7e-0000-4000-8000-000000000002","name":"deploy","status":"success","pipeline_id":"5034460f-c7c4-4c43-9457-de07e2029e7b","pipeline_number":42}],"next_page_token":null}"#;
const RUNNING: &str = r#"{"items":[{"id":"fda08377-fe7e-46b1-8992-3a7aaecac9c3","name":"build","status":"success","pipeline_number":42},{"id":"9f0a3b7e-0000-4000-8000-000000000002","name":"deploy","status":"running","pipeline_number":42}],"next_page_token":null}"#;
const FAILED: &str = r#"{"items":[{"id":"fda08377-fe7e-46b1-8992-3a7aaecac9c3","name":"build","status":"failed","pipeline_number":42},{"id":"9f0a3b7e-0000-4000-8000-000000000002","name":"deploy","status":"not_run","pipeline_number":42}],"next_page_token":null}"#;

fn target(env: &TestEnv) -> String {
    env.git(&["rev-parse", "HEAD"])
}

#[test]
fn circleci_gate_passes_when_the_tags_pipeline_succeeded() {
    let server = circleci(|_| SUCCESS);
    let env = repo(&circleci_gate(&server.url));
    let vars = [("CIRCLE_TOKEN", CIRCLE_TOKEN)];
    let err = env.fails(&["deploy", "stage"], 3);
    assert!(err.contains("gate `ci` has not passed"), "{err}");

    let (code, out, err) = run(&env, &["wait", "ci", "--dry-run"], &vars);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "would poll gate ci: GET {}/api/v2/project/gh/acme/shop/pipeline\n",
            server.url
        )
    );
    assert!(server.received().is_empty());

    let (code, out, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &vars,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Gate ci passed: pipeline 42: build success, deploy success"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains(CIRCLE_TOKEN));
    let paths: Vec<String> = server
        .received()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        paths,
        [
            "GET /api/v2/project/gh/acme/shop/pipeline".to_owned(),
            "GET /api/v2/project/gh/acme/shop/pipeline?page-token=AARLwwV".to_owned(),
            format!("GET /api/v2/pipeline/{PIPELINE}/workflow"),
        ]
    );
    assert!(
        server
            .received()
            .iter()
            .all(|r| r.header("circle-token") == Some(CIRCLE_TOKEN))
    );
    env.ok(&["deploy", "stage"]);
}

#[test]
fn circleci_gate_waits_while_a_workflow_runs() {
    let server = circleci(|n| if n == 0 { RUNNING } else { SUCCESS });
    let env = repo(&circleci_gate(&server.url));
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &[("CIRCLE_TOKEN", CIRCLE_TOKEN)],
    );
    assert_eq!(code, 0, "{err}");
    let workflow_asks = server
        .received()
        .iter()
        .filter(|r| r.path.ends_with("/workflow"))
        .count();
    assert_eq!(workflow_asks, 2);
    let status = json(&env.ok(&["status", "--json"]));
    assert!(
        status
            .to_string()
            .contains("pipeline 42: build success, deploy success"),
        "{status}"
    );
}

#[test]
fn circleci_gate_fails_at_once_on_a_failed_workflow() {
    let server = circleci(|_| FAILED);
    let env = repo(&circleci_gate(&server.url));
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &[("CIRCLE_TOKEN", CIRCLE_TOKEN)],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains(
            "gate ci failed: pipeline 42: workflow build failed (build failed, deploy not_run)"
        ),
        "{err}"
    );
    // Asked once: a failed workflow does not pass by waiting.
    assert_eq!(
        server
            .received()
            .iter()
            .filter(|r| r.path.ends_with("/workflow"))
            .count(),
        1
    );
    let log = env.ok(&["log", "--json"]);
    assert!(log.contains("workflow build failed"), "{log}");
}

#[test]
fn circleci_gate_finds_a_branch_pipeline_by_commit() {
    // The release's commit is only known once the repository exists: a server that answers
    // any branch listing with a pipeline of whatever commit the test sets.
    let revision = Arc::new(std::sync::Mutex::new(String::new()));
    let seen = revision.clone();
    let server = TestServer::start(move |_, request: &Received| match request.path.as_str() {
        "/api/v2/project/gh/acme/shop/pipeline?branch=release%2F2026" => Reply::Status(
            200,
            format!(
                r#"{{"items":[{{"id":"{PIPELINE}","number":7,"vcs":{{"branch":"release/2026","revision":"{}"}}}}],"next_page_token":null}}"#,
                seen.lock().unwrap()
            ),
        ),
        path if path.ends_with("/workflow") => Reply::Status(200, SUCCESS.into()),
        _ => Reply::Status(404, r#"{"message":"Not found."}"#.into()),
    });
    let env = repo(&format!(
        "{}branch = \"release/2026\"\nworkflows = [\"build\"]\n",
        circleci_gate(&server.url)
    ));
    *revision.lock().unwrap() = target(&env);
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &[("CIRCLE_TOKEN", CIRCLE_TOKEN)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Gate ci passed: pipeline 7: build success"),
        "{err}"
    );
}

#[test]
fn circleci_errors_name_the_service_and_what_it_said() {
    let server =
        TestServer::start(|_, _| Reply::Status(404, r#"{"message":"Project not found"}"#.into()));
    let env = repo(&circleci_gate(&server.url));
    let before = env.refs();
    let (code, out, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &[("CIRCLE_TOKEN", CIRCLE_TOKEN)],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "gate ci: CircleCI: GET {}/api/v2/project/gh/acme/shop/pipeline answered 404: Project not found",
            server.url
        )),
        "{err}"
    );
    assert_eq!(server.received().len(), 1, "a refusal is not asked again");
    assert_eq!(env.refs(), before);
    assert!(!format!("{out}{err}").contains(CIRCLE_TOKEN));

    // No token in the environment: said before anything is sent.
    let (code, _, err) = run(&env, &["wait", "ci"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the environment variable CIRCLE_TOKEN (gates.ci.token) is not set"),
        "{err}"
    );
    assert_eq!(server.received().len(), 1);
}

#[test]
fn a_service_that_does_not_answer_times_out_with_its_name() {
    let server = TestServer::start(|_, _| Reply::Hang(std::time::Duration::from_secs(2)));
    let env = repo(&circleci_gate(&server.url));
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "300ms"],
        &[("CIRCLE_TOKEN", CIRCLE_TOKEN)],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("ci: CircleCI: "), "{err}");
    assert!(err.contains("timed out after"), "{err}");
}

fn registry_gate(url: &str, extra: &str) -> String {
    format!(
        "[[gates]]\nname = \"ci\"\nkind = \"registry\"\nurl = \"{url}\"\nimage = \"acme/shop\"\n{extra}"
    )
}

/// A registry behind a token service, as Docker Hub is: the manifest answers 401 with a
/// Bearer challenge unless the token comes along; the token service wants Basic auth.
fn registry(has_tag: bool, basic: Option<String>) -> TestServer {
    let url: Arc<std::sync::Mutex<String>> = Arc::default();
    let realm = url.clone();
    let server = TestServer::start(move |_, request: &Received| {
        let manifest = "/v2/acme/shop/manifests/2026-11-20";
        if request.path.starts_with("/token?") {
            if basic.is_some() && request.header("authorization") != basic.as_deref() {
                return Reply::Status(
                    401,
                    r#"{"details":"incorrect username or password"}"#.into(),
                );
            }
            return Reply::Status(
                200,
                r#"{"token":"tok-3f9a2c1b","access_token":"tok-3f9a2c1b","expires_in":300,"issued_at":"2026-11-20T10:00:00Z"}"#.into(),
            );
        }
        if request.method == "HEAD" && request.path == manifest {
            if request.header("authorization") != Some("Bearer tok-3f9a2c1b") {
                return Reply::Headers(
                    401,
                    vec![(
                        "WWW-Authenticate".into(),
                        format!(
                            "Bearer realm=\"{}/token\",service=\"registry.test\",scope=\"repository:acme/shop:pull\"",
                            realm.lock().unwrap()
                        ),
                    )],
                    String::new(),
                );
            }
            if has_tag {
                return Reply::Headers(
                    200,
                    vec![(
                        "Docker-Content-Digest".into(),
                        "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b"
                            .into(),
                    )],
                    String::new(),
                );
            }
            return Reply::Status(404, String::new());
        }
        Reply::Status(404, r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#.into())
    });
    *url.lock().unwrap() = server.url.clone();
    server
}

#[test]
fn registry_gate_does_the_token_dance_and_finds_the_tag() {
    let basic = format!("Basic {}", base64(&format!("deployer:{REGISTRY_PASSWORD}")));
    let server = registry(true, Some(basic.clone()));
    let env = repo(&registry_gate(
        &server.url,
        "user = \"deployer\"\npassword = \"${REGISTRY_PASSWORD}\"\n",
    ));
    let (code, out, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &[("REGISTRY_PASSWORD", REGISTRY_PASSWORD)],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("Gate ci passed: acme/shop:2026-11-20 is in the registry (sha256:6c3c624b"),
        "{err}"
    );
    let all = format!("{out}{err}");
    assert!(
        !all.contains(REGISTRY_PASSWORD) && !all.contains(&basic[6..]),
        "{all}"
    );
    let received = server.received();
    let seen: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        [
            "HEAD /v2/acme/shop/manifests/2026-11-20",
            "GET /token?service=registry.test&scope=repository%3Aacme%2Fshop%3Apull",
            "HEAD /v2/acme/shop/manifests/2026-11-20",
        ]
    );
    let accept = received[0].header("accept").unwrap();
    for media in [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.oci.image.index.v1+json",
    ] {
        assert!(accept.contains(media), "{accept}");
    }
    assert_eq!(received[0].header("authorization"), None);
    assert_eq!(received[1].header("authorization"), Some(basic.as_str()));
    assert_eq!(
        received[2].header("authorization"),
        Some("Bearer tok-3f9a2c1b")
    );
    env.ok(&["deploy", "stage"]);
}

#[test]
fn registry_gate_waits_for_a_missing_tag_and_says_so() {
    let server = registry(false, None);
    let env = repo(&registry_gate(&server.url, ""));
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "50ms", "--timeout", "400ms"],
        &[],
    );
    assert_eq!(code, 3, "{err}");
    assert!(
        err.contains("ci: acme/shop:2026-11-20 is not in the registry yet"),
        "{err}"
    );
    // The token was fetched once and kept for the next polls.
    let tokens = server
        .received()
        .iter()
        .filter(|r| r.path.starts_with("/token"))
        .count();
    assert_eq!(tokens, 1);
    assert!(
        server
            .received()
            .iter()
            .filter(|r| r.method == "HEAD")
            .count()
            >= 3
    );
}

#[test]
fn registry_token_refusal_names_the_token_service() {
    let server = registry(true, Some("Basic nobody".into()));
    let env = repo(&registry_gate(
        &server.url,
        "user = \"deployer\"\npassword = \"${REGISTRY_PASSWORD}\"\n",
    ));
    let (code, out, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "5s"],
        &[("REGISTRY_PASSWORD", REGISTRY_PASSWORD)],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("gate ci: registry token service: GET "),
        "{err}"
    );
    assert!(
        err.contains("answered 401: incorrect username or password"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains(REGISTRY_PASSWORD));
}

#[test]
fn a_service_gate_without_its_subject_is_refused_when_the_config_is_read() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[gates]]\nname = \"image\"\nkind = \"registry\"\n",
    );
    let err = env.fails(&["list"], 1);
    assert!(
        err.contains(
            ".release/config.toml:3:8: gate `image` of kind \"registry\" needs `image`, as in image = \"acme/shop\""
        ),
        "{err}"
    );
    env.write(
        ".release/config.toml",
        "[[gates]]\nname = \"ci\"\nkind = \"circleci\"\n",
    );
    let err = env.fails(&["list"], 1);
    assert!(err.contains("needs `project`"), "{err}");
}

/// A CircleCI whose workflow list never ends (every page says success and names a next one):
/// the gate reads a bounded number of pages and does not pass on the part it read, since a
/// failed workflow may be on a page it did not read.
#[test]
fn circleci_gate_does_not_pass_on_a_workflow_list_it_could_not_finish() {
    let server = TestServer::start(move |_, request: &Received| {
        if request.header("circle-token") != Some(CIRCLE_TOKEN) {
            return Reply::Status(401, r#"{"message":"You must log in first."}"#.into());
        }
        let path = request.path.as_str();
        if path == "/api/v2/project/gh/acme/shop/pipeline" {
            return Reply::Status(
                200,
                format!(
                    r#"{{"items":[{{"id":"{PIPELINE}","number":42,"state":"created","vcs":{{"tag":"2026-11-20","revision":"0123456789012345678901234567890123456789"}}}}],"next_page_token":null}}"#
                ),
            );
        }
        if path.starts_with(&format!("/api/v2/pipeline/{PIPELINE}/workflow")) {
            return Reply::Status(
                200,
                r#"{"items":[{"id":"fda08377-fe7e-46b1-8992-3a7aaecac9c3","name":"build","status":"success","pipeline_number":42}],"next_page_token":"AARLwwV"}"#.into(),
            );
        }
        Reply::Status(404, r#"{"message":"Not found."}"#.into())
    });
    let env = repo(&circleci_gate(&server.url));
    let (code, _, err) = run(
        &env,
        &["wait", "ci", "--interval", "10ms", "--timeout", "300ms"],
        &[("CIRCLE_TOKEN", CIRCLE_TOKEN)],
    );
    assert_ne!(code, 0, "{err}");
    assert!(err.contains("pages of workflows"), "{err}");
    let status = json(&env.ok(&["status", "--json"]));
    assert!(!status.to_string().contains("build success"), "{status}");
    // Each look reads a bounded number of pages.
    let asks = server.received().len();
    assert!(asks < 1000, "{asks} requests");
}
