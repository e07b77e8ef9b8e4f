//! `git release watch`: Sentry, Prometheus and Graphite monitors against local servers that
//! speak their documented APIs, with scripted series: a clean window, a spike, a new issue.

use crate::common::{Reply, TestEnv, TestServer, json};

const TOKEN: &str = "sntrys-0123456789abcdef";

fn vector(value: &str) -> String {
    format!(
        r#"{{"status":"success","data":{{"resultType":"vector","result":[{{"metric":{{"job":"shop"}},"value":[1796000000.5,"{value}"]}}]}}}}"#
    )
}

fn matrix(values: &[&str]) -> String {
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, v)| format!("[{},\"{v}\"]", 1796000000 + i))
        .collect();
    format!(
        r#"{{"status":"success","data":{{"resultType":"matrix","result":[{{"metric":{{}},"values":[{}]}}]}}}}"#,
        points.join(",")
    )
}

/// Prometheus: the baseline range query answers 0.1 throughout; instant queries answer
/// `series(n)` for the n-th of them.
fn prometheus(series: fn(usize) -> &'static str) -> TestServer {
    let instant = std::sync::atomic::AtomicUsize::new(0);
    TestServer::start(move |_, request| {
        if request.path.starts_with("/api/v1/query_range?") {
            Reply::Status(200, matrix(&["0.1", "0.1", "0.1"]))
        } else if request.path.starts_with("/api/v1/query?") {
            let n = instant.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Reply::Status(200, vector(series(n)))
        } else {
            Reply::Status(
                404,
                r#"{"status":"error","errorType":"not_found","error":"no such path"}"#.into(),
            )
        }
    })
}

/// Graphite: the window before the deployment averages 1; the window since holds `peak`.
fn graphite(peak: &'static str) -> TestServer {
    TestServer::start(move |n, request| {
        assert!(request.path.starts_with("/render?"), "{}", request.path);
        let points = if n == 0 {
            "[[1.0,1796000000],[null,1796000010],[1.0,1796000020]]".to_owned()
        } else {
            format!("[[null,1796000030],[{peak},1796000040]]")
        };
        Reply::Status(
            200,
            format!(r#"[{{"target":"sumSeries(stats.shop.5xx)","datapoints":{points}}}]"#),
        )
    })
}

const ISSUE: &str = r#"[{"id":"4711","shortId":"SHOP-1","title":"TypeError: cart is undefined\u001b]0;owned\u0007\u001b[31m","culprit":"cart.js","level":"error","status":"unresolved","firstSeen":"2026-12-07T10:00:00Z","permalink":"https://sentry.io/organizations/acme/issues/4711/"}]"#;

/// Sentry: the first page is empty but says more results follow (`results="true"`); the
/// second holds `second`.
fn sentry(second: &'static str) -> TestServer {
    let base = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let server_base = base.clone();
    let server = TestServer::start(move |_, request| {
        if request.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::Status(401, r#"{"detail":"Invalid token"}"#.into());
        }
        let base = server_base.lock().unwrap().clone();
        if request.path.contains("cursor=0:100:0") {
            let link = format!(
                r#"<{base}/api/0/projects/acme/shop/issues/?cursor=0:100:1>; rel="previous"; results="true"; cursor="0:100:1", <{base}/api/0/projects/acme/shop/issues/?cursor=0:200:0>; rel="next"; results="false"; cursor="0:200:0""#
            );
            Reply::Headers(200, vec![("Link".into(), link)], second.into())
        } else {
            let link = format!(
                r#"<{base}/api/0/projects/acme/shop/issues/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <{base}/api/0/projects/acme/shop/issues/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#
            );
            Reply::Headers(200, vec![("Link".into(), link)], "[]".into())
        }
    });
    *base.lock().unwrap() = server.url.clone();
    server
}

fn config(sentry: &str, prometheus: &str, graphite: &str) -> String {
    format!(
        r#"
[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = {{ deployed = ["stage"], monitors = ["5xx", "new-errors"] }}

[[monitors]]
name = "new-errors"
kind = "sentry"
url = "{sentry}"
org = "acme"
project = "shop"
token = "${{SENTRY_TOKEN}}"
max_new = 0
level = "error"

[[monitors]]
name = "5xx"
kind = "prometheus"
url = "{prometheus}"
query = 'sum(rate(http_requests_total{{code=~"5.."}}[5m]))'
below = 0.5

[[monitors]]
name = "responses"
kind = "graphite"
url = "{graphite}"
target = "sumSeries(stats.shop.5xx)"
max_increase = 2.0
"#
    )
}

/// A release deployed to production, with two commits since the previous release.
fn deployed(config: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", config);
    env.ok(&["start", "--date", "2026-11-30"]);
    env.ok(&["deploy", "stage"]);
    env.ok(&["deploy", "production"]);
    env.ok(&["finish"]);
    env.commit("Add the cart page");
    env.commit("Speed up checkout");
    env.ok(&["start", "--date", "2026-12-07"]);
    env.ok(&["deploy", "stage"]);
    env.ok(&["deploy", "production"]);
    env
}

fn watch(env: &TestEnv, args: &[&str]) -> (i32, String, String) {
    let out = env
        .cmd()
        .env("SENTRY_TOKEN", TOKEN)
        .arg("watch")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn a_clean_window_holds_and_is_recorded() {
    let (s, p, g) = (sentry("[]"), prometheus(|_| "0.1"), graphite("1.5"));
    let env = deployed(&config(&s.url, &p.url, &g.url));
    // verify needs the monitors it requires to have held since the deployment.
    let err = env.fails(&["verify", "production"], 3);
    assert!(
        err.contains("monitor `5xx` has not been watched on production"),
        "{err}"
    );

    let before = env.refs();
    let (code, plan, _) = watch(&env, &["--dry-run", "--for", "10m"]);
    assert_eq!(code, 0, "{plan}");
    assert!(
        plan.contains("would poll monitor 5xx (prometheus): GET "),
        "{plan}"
    );
    assert!(
        !plan.contains("/api/v1/query_range?"),
        "no baseline without max_increase: {plan}"
    );
    assert!(
        plan.contains("would poll monitor responses (graphite): GET ")
            && plan.contains("format=json"),
        "{plan}"
    );
    assert!(!plan.contains(TOKEN), "{plan}");
    assert!(s.received().is_empty() && p.received().is_empty() && g.received().is_empty());
    assert_eq!(env.refs(), before, "a dry run wrote");

    let (code, stdout, stderr) = watch(
        &env,
        &["production", "--for", "300ms", "--interval", "100ms"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("held   5xx: 5xx 0.1 < 0.5"), "{stdout}");
    assert!(
        stdout.contains("held   new-errors: 0 new issues"),
        "{stdout}"
    );
    assert!(
        stdout.contains("held   responses: responses 1.5 <= 2 (baseline 1)"),
        "{stdout}"
    );

    // Each verdict is an event; git is the witness.
    let log = env.git(&["log", "--format=%s", "refs/release/2026-12-07"]);
    assert!(log.contains("monitor 5xx: 5xx 0.1 < 0.5"), "{log}");
    assert!(log.contains("monitor new-errors: 0 new issues"), "{log}");
    assert!(!log.contains("block"), "{log}");
    let status = json(&env.ok(&["status", "--json"]));
    assert_eq!(status["monitors"].as_array().unwrap().len(), 3, "{status}");
    assert!(
        env.ok(&["status"])
            .contains("monitor    5xx on production: held")
    );
    env.ok(&["verify", "production"]);
    let mail = env.ok(&["render", "push-done-mail"]);
    assert!(
        mail.contains("- 5xx on production: held (5xx 0.1 < 0.5)"),
        "{mail}"
    );
    let pad = env.ok(&["render", "push-pad"]);
    assert!(
        pad.contains("## Monitors\n\n- new-errors on production: held"),
        "{pad}"
    );

    // What the services received: their documented requests.
    let sent = s.received();
    assert!(sent.len() >= 2, "{sent:?}");
    let first = &sent[0];
    assert_eq!(first.method, "GET");
    assert!(
        first
            .path
            .starts_with("/api/0/projects/acme/shop/issues/?query=firstSeen%3A%3E%3D2026-"),
        "{}",
        first.path
    );
    assert!(
        first.path.contains("%20level%3Aerror&statsPeriod="),
        "{}",
        first.path
    );
    assert!(
        sent[1].path.ends_with("?cursor=0:100:0"),
        "the next page is followed: {:?}",
        sent[1].path
    );
    let prom = p.received();
    assert!(prom.iter().any(|r| r.path.starts_with(
        "/api/v1/query?query=sum%28rate%28http_requests_total%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29"
    )));
    let graph = g.received();
    assert!(
        graph[0]
            .path
            .starts_with("/render?target=sumSeries%28stats.shop.5xx%29&format=json&from=")
    );
    // Polled more than once over the window.
    assert!(prom.len() >= 2, "{prom:?}");

    // The token went only in the Authorization header: never printed nor written to git.
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    let history = env.git(&["log", "-p", "--all"]);
    assert!(!history.contains(TOKEN));
    env.fsck();
}

#[test]
fn a_spike_fails_the_monitor_blocks_the_release_and_says_what_to_do() {
    let (s, p, g) = (
        sentry("[]"),
        prometheus(|n| if n == 0 { "0.1" } else { "0.9" }),
        graphite("1.0"),
    );
    let env = deployed(&config(&s.url, &p.url, &g.url));
    let (code, stdout, stderr) = watch(
        &env,
        &["--for", "2s", "--interval", "50ms", "--monitor", "5xx"],
    );
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    assert!(stdout.contains("FAILED 5xx: 5xx 0.9 >= 0.5"), "{stdout}");
    // The release's commits since the previous release, each with its roll-forward command.
    let speed = env.git(&["rev-parse", "--short=7", "HEAD"]);
    let cart = env.git(&["rev-parse", "--short=7", "HEAD~1"]);
    assert!(
        stdout.contains("Commits of 2026-12-07 since 2026-11-30"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "git release rollforward {speed}   # Speed up checkout"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "git release rollforward {cart}   # Add the cart page"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("Initial commit"), "{stdout}");
    assert!(stderr.contains("the release is blocked"), "{stderr}");
    // It stopped polling once the monitor failed: far fewer polls than 2s / 50ms.
    assert!(p.received().len() < 10, "{:?}", p.received().len());

    // The blocker carries the evidence, through the existing block mechanism.
    let status = json(&env.ok(&["status", "--json"]));
    let blockers = status["blockers"].as_array().unwrap();
    assert_eq!(blockers[0]["id"], "monitor-5xx", "{status}");
    assert!(
        blockers[0]["title"]
            .as_str()
            .unwrap()
            .contains("0.9 >= 0.5")
    );
    let log = env.git(&["log", "--format=%s", "refs/release/2026-12-07"]);
    assert!(log.contains("monitor 5xx failed: 5xx 0.9 >= 0.5"), "{log}");
    assert!(log.contains("block monitor-5xx"), "{log}");
    let err = env.fails(&["verify", "production"], 3);
    assert!(err.contains("monitor `5xx` failed on production"), "{err}");
    env.ok(&["unblock", "monitor-5xx"]);
    env.fsck();
}

#[test]
fn a_new_issue_on_the_second_page_fails_sentry() {
    let (s, p, g) = (sentry(ISSUE), prometheus(|_| "0.1"), graphite("1.0"));
    let env = deployed(&config(&s.url, &p.url, &g.url));
    let (code, stdout, _) = watch(
        &env,
        &[
            "production",
            "--for",
            "1s",
            "--interval",
            "100ms",
            "--monitor",
            "new-errors",
        ],
    );
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains(
            "FAILED new-errors: 1 new issue > 0: SHOP-1 (error) TypeError: cart is undefined"
        ),
        "{stdout}"
    );
    // The issue's title came from the service: its escape sequence never reaches the terminal.
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\u{7}'),
        "{stdout:?}"
    );
    let log = env.git(&["log", "-p", "refs/release/2026-12-07"]);
    assert!(
        !log.contains('\u{1b}'),
        "recorded with its control characters"
    );
    assert_eq!(s.received().len(), 2, "stopped after the failing poll");
}

#[test]
fn a_missing_token_and_a_graphite_spike() {
    let (s, p, g) = (sentry("[]"), prometheus(|_| "0.1"), graphite("5"));
    let env = deployed(&config(&s.url, &p.url, &g.url));
    let err = env.fails(&["watch", "--for", "100ms"], 1);
    assert!(
        err.contains("needs the environment variable SENTRY_TOKEN"),
        "{err}"
    );
    assert!(s.received().is_empty());
    let (code, stdout, _) = watch(
        &env,
        &[
            "--for",
            "500ms",
            "--interval",
            "100ms",
            "--monitor",
            "responses",
        ],
    );
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("FAILED responses: responses 5 > 2 (2x the baseline 1)"),
        "{stdout}"
    );
}

#[test]
fn monitors_are_checked_when_the_config_is_read() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[[monitors]]\nname = \"s\"\nkind = \"sentry\"\nurl = \"https://sentry.io\"\norg = \"a\"\nproject = \"b\"\ntoken = \"plain-secret\"\n",
    );
    let err = env.fails(&["list"], 1);
    assert!(err.contains("comes from the environment only"), "{err}");
    env.write(
        ".release/config.toml",
        "[[monitors]]\nname = \"p\"\nkind = \"prometheus\"\nurl = \"https://p\"\nquery = \"up\"\n",
    );
    let err = env.fails(&["list"], 1);
    assert!(
        err.contains("needs `below, above or max_increase`"),
        "{err}"
    );
}

/// A Sentry whose every page is empty and says more results follow, without end: the monitor
/// reads a bounded number of pages and does not hold on the part it read, since a new issue
/// may be on a page it never reached.
#[test]
fn an_endless_sentry_issue_list_does_not_hold() {
    let base = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let server_base = base.clone();
    let s = TestServer::start(move |n, request| {
        if request.header("authorization") != Some(&format!("Bearer {TOKEN}")) {
            return Reply::Status(401, r#"{"detail":"Invalid token"}"#.into());
        }
        let base = server_base.lock().unwrap().clone();
        let link = format!(
            r#"<{base}/api/0/projects/acme/shop/issues/?cursor=0:{n}00:0>; rel="next"; results="true"; cursor="0:{n}00:0""#
        );
        Reply::Headers(200, vec![("Link".into(), link)], "[]".into())
    });
    *base.lock().unwrap() = s.url.clone();
    let (p, g) = (prometheus(|_| "0.1"), graphite("1.0"));
    let env = deployed(&config(&s.url, &p.url, &g.url));
    let (code, stdout, err) = watch(
        &env,
        &[
            "production",
            "--for",
            "300ms",
            "--interval",
            "100ms",
            "--monitor",
            "new-errors",
        ],
    );
    assert_eq!(code, 3, "{stdout}{err}");
    assert!(stdout.contains("more than"), "{stdout}");
    assert!(s.received().len() < 1000);
}
