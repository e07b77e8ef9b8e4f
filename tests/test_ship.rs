//! `git release ship`: a whole train with local hooks, resuming after a sign-off, two runs at
//! once, a freeze, and the plan of `--dry-run`.

use crate::common::{Reply, TestEnv, TestServer};

const QA: (&str, &str) = ("Kim Tester", "kim@qa.example.com");

fn config(hooks: &str, prometheus: &str) -> String {
    format!(
        r#"
[roles.qa]
members = ["*@qa.example.com"]

[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = {{ signoffs = ["qa"], deployed = ["stage"] }}

[[hooks]]
on = "deploy"
url = "{hooks}/deploy/{{{{ event.fields.env }}}}"
body = '{{"release": "{{{{ release.name }}}}"}}'

[[monitors]]
name = "5xx"
kind = "prometheus"
url = "{prometheus}"
query = "sum(rate(errors[5m]))"
below = 0.5

[ship]
manual = []
watch = "300ms"
interval = "100ms"
"#
    )
}

fn prometheus() -> TestServer {
    TestServer::start(|_, _| {
        Reply::Status(
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1796000000,"0.01"]}]}}"#.into(),
        )
    })
}

#[test]
fn a_train_stops_at_the_sign_off_and_resumes_to_production() {
    let hooks = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let prom = prometheus();
    let env = TestEnv::new();
    env.write(".release/config.toml", &config(&hooks.url, &prom.url));

    let plan = env.ok(&["ship", "--dry-run"]);
    assert!(plan.contains("would start a release at"), "{plan}");
    assert!(
        env.refs().lines().all(|l| !l.contains("refs/release/")),
        "dry run wrote"
    );

    let (code, stdout, stderr) = env.run(&["ship"]);
    assert_eq!(code, 3, "{stdout}\n{stderr}");
    let name = env.git(&[
        "for-each-ref",
        "--format=%(refname:strip=2)",
        "refs/release/",
    ]);
    assert!(
        stdout.contains(&format!("started release {name}")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("deployed {name} to stage")),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "release {name} waits before production: sign-off `qa` missing"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("git release signoff qa"), "{stderr}");
    let sent = hooks.received();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].path, "/deploy/stage");

    // Running it again changes nothing: it waits on the same person.
    let before = env.refs();
    env.fails(&["ship"], 3);
    assert_eq!(env.refs(), before);
    let plan = env.ok(&["ship", "--dry-run"]);
    assert!(
        plan.contains("would stop: release") && plan.contains("sign-off `qa` missing"),
        "{plan}"
    );

    env.ok_as(QA, &["signoff", "qa"]);
    let plan = env.ok(&["ship", "--dry-run"]);
    assert!(plan.contains("would deploy to production"), "{plan}");
    assert!(plan.contains("would watch 5xx on production"), "{plan}");
    let (code, stdout, stderr) = env.run(&["ship"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains(&format!("deployed {name} to production")),
        "{stdout}"
    );
    assert!(stdout.contains("held   5xx: 5xx 0.01 < 0.5"), "{stdout}");
    assert!(
        stdout.contains(&format!("release {name} is on production; finished")),
        "{stdout}"
    );
    assert_eq!(hooks.received().len(), 2);
    assert_eq!(hooks.received()[1].path, "/deploy/production");
    assert!(!prom.received().is_empty());

    let log = env.git(&[
        "log",
        "--reverse",
        "--format=%s",
        &format!("refs/release/{name}"),
    ]);
    let steps: Vec<&str> = log.lines().map(|l| l.split(':').next().unwrap()).collect();
    assert_eq!(
        steps,
        [
            "start at ".to_owned()
                + &env.git(&["rev-parse", "--short=7", "HEAD"])
                + " (first release)",
            "deploy stage".into(),
            "signoff qa".into(),
            "deploy production".into(),
            "monitor 5xx".into(),
            "finish".into()
        ],
        "{log}"
    );
    // Nothing new: nothing to ship.
    assert!(
        env.ok(&["ship"])
            .contains(&format!("nothing to ship: HEAD is in release {name}"))
    );
    env.fsck();
}

#[test]
fn manual_environments_wait_for_a_person() {
    let hooks = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let prom = prometheus();
    let env = TestEnv::new();
    let text = config(&hooks.url, &prom.url)
        .replace("manual = []", "manual = [\"production\"]")
        .replace(
            "requires = { signoffs = [\"qa\"], deployed = [\"stage\"] }",
            "requires = { deployed = [\"stage\"] }",
        );
    env.write(".release/config.toml", &text);
    let err = env.fails(&["ship"], 3);
    assert!(
        err.contains("waits for a person to deploy it to production ([ship] manual)"),
        "{err}"
    );
    env.ok(&["deploy", "production"]);
    let out = env.ok(&["ship"]);
    assert!(out.contains("is on production; finished"), "{out}");
}

#[test]
fn two_runs_at_once_advance_the_release_once() {
    // Each hook request takes a while, so the two runs overlap.
    let hooks = TestServer::start(|_, _| {
        std::thread::sleep(std::time::Duration::from_millis(300));
        Reply::Status(200, "{}".into())
    });
    let prom = prometheus();
    let env = TestEnv::new();
    let text = config(&hooks.url, &prom.url).replace(
        "requires = { signoffs = [\"qa\"], deployed = [\"stage\"] }",
        "requires = { deployed = [\"stage\"] }",
    );
    env.write(".release/config.toml", &text);
    let barrier = std::sync::Barrier::new(2);
    let outputs: Vec<std::process::Output> = std::thread::scope(|s| {
        let runs: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut cmd = env.cmd();
                    cmd.arg("ship");
                    barrier.wait();
                    cmd.output().unwrap()
                })
            })
            .collect();
        runs.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let mut yielded = 0;
    for out in &outputs {
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if stdout.contains("another run is advancing 20") {
            yielded += 1;
        }
    }
    assert_eq!(yielded, 1, "{outputs:?}");
    // One release, each step once.
    let names = env.git(&["for-each-ref", "--format=%(refname)", "refs/release/"]);
    assert_eq!(names.lines().count(), 1, "{names}");
    let log = env.git(&["log", "--format=%s", names.trim()]);
    assert_eq!(
        log.lines().filter(|l| *l == "deploy stage").count(),
        1,
        "{log}"
    );
    assert_eq!(
        log.lines().filter(|l| *l == "deploy production").count(),
        1,
        "{log}"
    );
    assert_eq!(log.lines().filter(|l| *l == "finish").count(), 1, "{log}");
    env.fsck();
}

#[test]
fn a_freeze_stops_ship_until_it_is_lifted() {
    let hooks = TestServer::start(|_, _| Reply::Status(200, "{}".into()));
    let prom = prometheus();
    let env = TestEnv::new();
    env.write(".release/config.toml", &config(&hooks.url, &prom.url));
    env.fails(&["ship"], 3);
    env.ok(&["freeze", "--reason", "end-of-year freeze"]);
    env.ok_as(QA, &["signoff", "qa"]);
    let before = env.refs();
    let err = env.fails(&["ship"], 3);
    assert!(
        err.contains("shipping is frozen since") && err.contains("end-of-year freeze"),
        "{err}"
    );
    assert!(err.contains("git release unfreeze"), "{err}");
    assert_eq!(env.refs(), before, "a frozen ship wrote");
    assert_eq!(
        hooks.received().len(),
        1,
        "only the stage deploy before the freeze"
    );
    assert!(env.ok(&["status"]).contains("end-of-year freeze"));
    env.ok(&["unfreeze", "--note", "back to work"]);
    let out = env.ok(&["ship"]);
    assert!(out.contains("is on production; finished"), "{out}");
    let log = env.git(&["log", "--format=%s", "--all"]);
    assert!(
        log.contains("freeze: end-of-year freeze") && log.contains("unfreeze"),
        "{log}"
    );
}

#[test]
fn ship_polls_gates_once_and_stops_on_a_failed_hook() {
    // CI is pending on the first poll and green on the second; the stage hook fails once.
    let ci = TestServer::start(|n, _| {
        let state = if n == 0 { "pending" } else { "success" };
        Reply::Status(200, format!(r#"{{"state":"{state}"}}"#))
    });
    let hooks = TestServer::start(|n, _| {
        if n == 0 {
            Reply::Status(503, r#"{"error":"jenkins is restarting"}"#.into())
        } else {
            Reply::Status(201, "{}".into())
        }
    });
    let prom = prometheus();
    let env = TestEnv::new();
    let text = config(&hooks.url, &prom.url)
        .replace(
            "[[environments]]\nname = \"stage\"\n",
            &format!(
                "[[gates]]\nname = \"ci\"\nurl = \"{}/status/{{{{ release.target }}}}\"\nexpect_json = {{ pointer = \"/state\", equals = \"success\" }}\n\n[[environments]]\nname = \"stage\"\nrequires = {{ gates = [\"ci\"] }}\n",
                ci.url
            ),
        )
        .replace("requires = { signoffs = [\"qa\"], deployed = [\"stage\"] }", "requires = { deployed = [\"stage\"] }");
    env.write(".release/config.toml", &text);

    let err = env.fails(&["ship"], 1);
    assert!(
        err.contains("waits for gate `ci` before stage: /state = \"pending\""),
        "{err}"
    );
    let head = env.git(&["rev-parse", "HEAD"]);
    assert_eq!(ci.received()[0].path, format!("/status/{head}"));
    assert!(
        hooks.received().is_empty(),
        "nothing deployed before the gate passed"
    );

    // The gate passes; the stage hook fails: ship stops there, recorded.
    let (code, stdout, stderr) = env.run(&["ship"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("gate ci passed: HTTP 200, /state = \"success\""),
        "{stdout}"
    );
    assert!(stderr.contains("hook deploy#1 failed"), "{stderr}");
    assert!(stderr.contains("git release hooks retry"), "{stderr}");
    assert!(!stdout.contains("another run"), "{stdout}");
    assert_eq!(hooks.received().len(), 1);
    // Again: still stopped, nothing sent, nothing written.
    let before = env.refs();
    env.fails(&["ship"], 1);
    assert_eq!(env.refs(), before);
    env.ok(&["hooks", "retry"]);
    let out = env.ok(&["ship"]);
    assert!(out.contains("is on production; finished"), "{out}");
    let paths: Vec<String> = hooks.received().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        ["/deploy/stage", "/deploy/stage", "/deploy/production"]
    );
}
