//! `[jenkins]` against a local server that speaks Jenkins' remote API: `buildWithParameters`
//! answered 201 with the queue item's `Location`, `/queue/item/N/api/json` until
//! `executable.url`, the build's `api/json` until `building` is false; the CSRF crumb from
//! `/crumbIssuer/api/json` when a POST without it is refused with 403.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::{Received, Reply, TestEnv, TestServer, base64, json};

const TOKEN: &str = "11a2b3c4d5e6f7jenkins";
const CRUMB: &str = "4f2b1e0c9a8d7c6b5a4f3e2d1c0b9a8f";

/// A Jenkins with the job `team/deploy-stage`; `crumb` turns on CSRF protection; the build
/// ends with `result(n)`, n the number of builds triggered so far.
fn jenkins(crumb: bool, result: fn(usize) -> &'static str) -> TestServer {
    let url: Arc<Mutex<String>> = Arc::default();
    let base = url.clone();
    let queue_asks = AtomicUsize::new(0);
    let build_asks = AtomicUsize::new(0);
    let builds = AtomicUsize::new(0);
    let server = TestServer::start(move |_, request: &Received| {
        let base = base.lock().unwrap().clone();
        let basic = format!("Basic {}", base64(&format!("deployer:{TOKEN}")));
        if request.header("authorization") != Some(basic.as_str()) {
            return Reply::Status(
                401,
                "<html><body>Authentication required</body></html>".into(),
            );
        }
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/job/team/job/deploy-stage/buildWithParameters") => {
                if crumb && request.header("jenkins-crumb") != Some(CRUMB) {
                    return Reply::Status(
                        403,
                        "<html><head><title>Error 403 No valid crumb was included in the request</title></head></html>".into(),
                    );
                }
                builds.fetch_add(1, Ordering::SeqCst);
                Reply::Headers(
                    201,
                    vec![("Location".into(), format!("{base}/queue/item/17/"))],
                    String::new(),
                )
            }
            ("GET", "/crumbIssuer/api/json") => Reply::Status(
                200,
                format!(
                    r#"{{"_class":"hudson.security.csrf.DefaultCrumbIssuer","crumb":"{CRUMB}","crumbRequestField":"Jenkins-Crumb"}}"#
                ),
            ),
            ("GET", "/queue/item/17/api/json") => {
                if queue_asks.fetch_add(1, Ordering::SeqCst) == 0 {
                    Reply::Status(
                        200,
                        r#"{"_class":"hudson.model.Queue$WaitingItem","id":17,"why":"Waiting for next available executor","executable":null}"#.into(),
                    )
                } else {
                    Reply::Status(
                        200,
                        format!(
                            r#"{{"_class":"hudson.model.Queue$LeftItem","id":17,"cancelled":false,"executable":{{"_class":"hudson.model.FreeStyleBuild","number":42,"url":"{base}/job/team/job/deploy-stage/42/"}}}}"#
                        ),
                    )
                }
            }
            ("GET", "/job/team/job/deploy-stage/42/api/json") => {
                if build_asks.fetch_add(1, Ordering::SeqCst) == 0 {
                    Reply::Status(
                        200,
                        r#"{"_class":"hudson.model.FreeStyleBuild","number":42,"building":true,"result":null}"#.into(),
                    )
                } else {
                    let result = result(builds.load(Ordering::SeqCst));
                    Reply::Status(
                        200,
                        format!(
                            r#"{{"_class":"hudson.model.FreeStyleBuild","number":42,"building":false,"result":"{result}"}}"#
                        ),
                    )
                }
            }
            _ => Reply::Status(404, "<html><body>Not Found</body></html>".into()),
        }
    });
    *url.lock().unwrap() = server.url.clone();
    server
}

fn repo(url: &str, job: &str, extra: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = {{ gates = ["{job}"] }}

[jenkins]
url = "{url}"
user = "deployer"
token = "${{JENKINS_TOKEN}}"
interval = "10ms"
{extra}
[[jenkins.jobs]]
name = "{job}"
on = "deploy:stage"
parameters = {{ TAG = "{{{{ release.tag }}}}", NOTE = "stage & more" }}
wait = true
"#
        ),
    );
    env.commit_all("Release config");
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

fn run(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .args(args)
        .env("JENKINS_TOKEN", TOKEN)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_job_is_built_followed_to_its_result_and_opens_the_gate() {
    let server = jenkins(false, |_| "SUCCESS");
    let env = repo(&server.url, "team/deploy-stage", "");
    let (code, out, err) = run(&env, &["deploy", "stage", "--dry-run"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains(&format!(
            "would send hook jenkins-team/deploy-stage: POST {}/job/team/job/deploy-stage/buildWithParameters\n  NOTE = stage & more\n  TAG = 2026-11-20\n",
            server.url
        )),
        "{out}"
    );
    assert!(server.received().is_empty());

    let (code, out, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(!format!("{out}{err}").contains(TOKEN));
    assert!(
        !format!("{out}{err}").contains(&base64(&format!("deployer:{TOKEN}"))),
        "{err}"
    );
    assert!(
        err.contains(
            "Jenkins team/deploy-stage: in the queue: Waiting for next available executor"
        ),
        "{err}"
    );
    assert!(err.contains("Jenkins team/deploy-stage: building"), "{err}");
    let build = format!("{}/job/team/job/deploy-stage/42/", server.url);
    assert!(
        err.contains(&format!(
            "Gate team/deploy-stage passed: build {build} SUCCESS"
        )),
        "{err}"
    );
    let received = server.received();
    let seen: Vec<String> = received
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        [
            "POST /job/team/job/deploy-stage/buildWithParameters",
            "GET /queue/item/17/api/json",
            "GET /queue/item/17/api/json",
            "GET /job/team/job/deploy-stage/42/api/json",
            "GET /job/team/job/deploy-stage/42/api/json",
        ]
    );
    assert_eq!(received[0].body, "NOTE=stage%20%26%20more&TAG=2026-11-20");
    assert_eq!(
        received[0].header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    // The build's URL is kept as a fact.
    let status = json(&env.ok(&["status", "--json"]));
    assert!(
        status.to_string().contains("\"deploy_stage_build\"")
            && status.to_string().contains(&build),
        "{status}"
    );
    // The job's result is the gate production requires.
    env.ok(&["deploy", "production"]);
}

#[test]
fn the_crumb_is_fetched_when_asked_and_a_failed_build_shuts_the_gate() {
    let server = jenkins(true, |n| if n == 1 { "FAILURE" } else { "SUCCESS" });
    let env = repo(&server.url, "team/deploy-stage", "");
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    // The deployment is recorded; the job's failure is a failed hook.
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning: hook jenkins-team/deploy-stage failed: Jenkins build"),
        "{err}"
    );
    assert!(err.contains("42/ FAILURE"), "{err}");
    let received = server.received();
    let seen: Vec<String> = received
        .iter()
        .take(3)
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert_eq!(
        seen,
        [
            "POST /job/team/job/deploy-stage/buildWithParameters",
            "GET /crumbIssuer/api/json",
            "POST /job/team/job/deploy-stage/buildWithParameters",
        ]
    );
    assert_eq!(received[0].header("jenkins-crumb"), None);
    assert_eq!(received[2].header("jenkins-crumb"), Some(CRUMB));
    let list = env.ok(&["hooks", "list"]);
    assert!(list.contains("jenkins-team/deploy-stage"), "{list}");
    assert!(
        list.contains("failed on 2026-11-20: jenkins-team/deploy-stage"),
        "{list}"
    );
    let err = env.fails(&["deploy", "production"], 3);
    assert!(
        err.contains("gate `team/deploy-stage` has not passed"),
        "{err}"
    );

    let (code, _, err) = run(&env, &["wait", "team/deploy-stage"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("gate `team/deploy-stage` is the result of the Jenkins job, recorded when it runs (on deploy:stage)"),
        "{err}"
    );

    // `hooks retry` builds it again; this time it succeeds and the gate opens.
    let (code, _, err) = run(&env, &["hooks", "retry"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Gate team/deploy-stage passed"), "{err}");
    let posts = server
        .received()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    // Each run asks for the crumb after its first POST is refused.
    assert_eq!(posts, 4);
    let list = env.ok(&["hooks", "list"]);
    assert!(!list.contains("failed on"), "{list}");
    env.ok(&["deploy", "production"]);
}

#[test]
fn jenkins_errors_and_timeouts_name_jenkins() {
    let server = jenkins(false, |_| "SUCCESS");
    let env = repo(&server.url, "team/nope", "");
    let (code, out, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "hook jenkins-team/nope failed: Jenkins answered 404 to POST {}/job/team/job/nope/buildWithParameters: <html><body>Not Found</body></html>",
            server.url
        )),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains(TOKEN));

    let hang = TestServer::start(|_, _| Reply::Hang(std::time::Duration::from_secs(2)));
    let env = repo(&hang.url, "team/deploy-stage", "timeout = \"300ms\"\n");
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "hook jenkins-team/deploy-stage failed: Jenkins: {}/job/team/job/deploy-stage/buildWithParameters: timed out after ",
            hang.url
        )),
        "{err}"
    );
}

/// A build's `result` is Jenkins' word: a giant one is not written into the gate's event in git.
#[test]
fn a_giant_build_result_is_not_recorded_whole() {
    let server = jenkins(false, |_| {
        Box::leak(format!("FAILURE{}", "x".repeat(200_000)).into_boxed_str())
    });
    let env = repo(&server.url, "team/deploy-stage", "");
    let (code, _, err) = run(&env, &["deploy", "stage"]);
    assert_eq!(code, 0, "{}", &err[..err.len().min(2000)]);
    let log = env.ok(&["log", "--json"]);
    assert!(log.contains("build "), "{}", &log[..log.len().min(2000)]);
    assert!(log.len() < 20_000, "the log is {} bytes", log.len());
    let status = json(&env.ok(&["status", "--json"]));
    assert!(!status.to_string().contains("SUCCESS"));
}

/// A job name with a `..` folder would be resolved away by the URL (`/job/team/job/../job/x`
/// is `/job/team/job/x`): the request, with the login, would go to another job than the one
/// named. It is refused and nothing is sent.
#[test]
fn a_job_name_with_a_dot_dot_folder_is_refused() {
    let server = jenkins(false, |_| "SUCCESS");
    let env = repo(&server.url, "team/x/../deploy-stage", "");
    let (_, out, err) = run(&env, &["deploy", "stage"]);
    assert!(server.received().is_empty(), "{:?}", server.received());
    assert!(err.contains("`.` or `..`"), "{out}{err}");
}
