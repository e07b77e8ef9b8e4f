use crate::common::{TestEnv, json};

const CONFIG: &str = r##"
[release]
name = "%Y.%m.%d"
date = "push"

[schedule]
tag = "tuesday"
push = "thursday"

[duty]
rotation = ["alice", "bob", "carol"]
start = 2026-01-01
every = "1w"

[roles.qa]

[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = { signoffs = ["qa"], no_blockers = true, deployed = ["stage"] }

[[checklist.items]]
id = "smoke"
text = "Home page loads"

[[checklist.items]]
id = "checkout"
text = "A test order goes through\nwith the test card"

[mail]
to = ["dev@lists.example.com"]
cc = ["qa@example.com"]

[vars]
dashboard = "https://grafana.example.com/d/shop"

[[links]]
pattern = "#(\\d+)"
url = "https://github.com/acme/shop/pull/{1}"
"##;

fn push_repo() -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", CONFIG);
    env.commit_all("Release config");
    env.git(&["tag", "2026.11.12"]);
    env.commit("Fix checkout rounding");
    env.git(&["checkout", "-q", "-b", "dark"]);
    env.commit("Dark mode toggle");
    env.git(&["checkout", "-q", "main"]);
    env.merge_no_ff(
        "dark",
        &["Merge pull request #932 from acme/dark", "Add dark mode"],
    );
    env.git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    env.ok(&["start", "--date", "2026-11-19"]);
    env.ok(&[
        "block",
        "1234",
        "--title",
        "checkout 500s on stage",
        "--url",
        "https://bugs.example.com/1234",
    ]);
    env.ok(&["check", "smoke"]);
    env
}

/// `push_repo`, pushed to production past its open blocker, as finish expects.
fn pushed_repo() -> TestEnv {
    let env = push_repo();
    env.ok(&[
        "deploy",
        "production",
        "--force",
        "--reason",
        "1234 accepted by QA",
    ]);
    env
}

/// Lines that depend on the day the test runs, or on chance.
fn stable(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("Date: ") {
                "Date: <now>"
            } else if l.starts_with("Message-ID: ") {
                "Message-ID: <random>"
            } else if l.starts_with("Next push: ") {
                "Next push: <next>"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Compares with `tests/snapshots/<name>`; `UPDATE_SNAPSHOTS=1` writes it instead.
fn snapshot(name: &str, actual: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "no snapshot {}; run with UPDATE_SNAPSHOTS=1 and review it",
            path.display()
        )
    });
    assert_eq!(actual, expected, "snapshot {name} differs");
}

#[test]
fn every_built_in_template_renders_from_a_real_release() {
    let env = push_repo();
    for template in [
        "release-notes",
        "tag-message",
        "deployment-request",
        "stage-test-mail",
        "push-pad",
        "push-done-mail",
    ] {
        let out = env.ok(&[
            "render",
            template,
            "--var",
            "bug=https://bugs.example.com/99",
        ]);
        snapshot(&format!("{template}.txt"), &stable(&out));
    }
}

/// A minimal RFC 5322 reader: unfolded headers and the body.
fn parse_mail(text: &str) -> (Vec<(String, String)>, String) {
    assert!(
        !text.replace("\r\n", "").contains('\n'),
        "a bare LF in the mail"
    );
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("headers end with an empty line");
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with(' ') {
            headers.last_mut().unwrap().1.push_str(line);
            continue;
        }
        let (name, value) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("bad header line {line:?}"));
        assert!(name.bytes().all(|b| b.is_ascii_graphic()), "{name}");
        assert!(value.is_ascii(), "raw non-ASCII in header {name}");
        headers.push((name.to_owned(), value.to_owned()));
    }
    (headers, body.replace("\r\n", "\n"))
}

/// What Python's `email` package, an independent reader, makes of a mail: each header
/// decoded, the addresses of From/To/Cc, the body, and every defect it found.
fn python_reads(mail: &str) -> serde_json::Value {
    use std::io::Write as _;
    let script = include_str!("fixtures/read_mail.py");
    let mut python = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    python
        .stdin
        .take()
        .unwrap()
        .write_all(mail.as_bytes())
        .unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(out.status.success(), "python3 could not read:\n{mail}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn mails_parse_back_as_rfc_5322() {
    let env = push_repo();
    let mail = env.ok(&["render", "stage-test-mail"]);
    let (headers, _) = parse_mail(&mail);
    let get = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("From"), Some("\"Ada Lovelace\" <ada@example.com>"));
    assert_eq!(get("To"), Some("<dev@lists.example.com>"));
    assert_eq!(get("Cc"), Some("<qa@example.com>"));
    assert_eq!(get("Subject"), Some("Please test 2026.11.19 on stage"));
    assert!(chrono::DateTime::parse_from_rfc2822(get("Date").unwrap()).is_ok());
    assert!(get("Message-ID").unwrap().ends_with("@example.com>"));
    assert_eq!(get("Content-Type"), Some("text/plain; charset=\"utf-8\""));
    let read = python_reads(&mail);
    assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
    let body = read["body"].as_str().unwrap();
    assert!(body.contains("release 2026.11.19 is on stage"), "{body}");
    assert!(body.ends_with("\n-- \nAda Lovelace\n"), "{body}");
}

/// Non-ASCII in the sender, the recipients and the subject is encoded, a long body line is
/// wrapped by the transfer encoding, and all of it decodes back to what the template said.
#[test]
fn a_mail_in_any_language_reads_back_as_written() {
    let env = push_repo();
    env.ok(&["config", "set", "mail.from", "Zoë Müller <zoe@example.com>"]);
    let long_line = "Journal : étape terminée, ".repeat(60);
    env.write(
        ".release/templates/push-done-mail.j2",
        &format!(
            "To: Jürgen Groß <jurgen@example.com>, {{{{ mail.to | join(\", \") }}}}\n\
             Cc: \"Ops, nuit\" <ops@example.com>\n\
             Subject: Déploiement {{{{ release.name }}}} réussi\n\
             \n\
             Voilà.\n{long_line}\n"
        ),
    );
    let mail = env.ok(&["render", "push-done-mail"]);
    let (headers, _) = parse_mail(&mail);
    assert!(headers.iter().all(|(_, v)| v.is_ascii()), "{mail}");
    assert!(mail.lines().all(|l| l.len() <= 998), "{mail}");
    let read = python_reads(&mail);
    assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
    assert_eq!(read["headers"]["From"], "Zoë Müller <zoe@example.com>");
    assert_eq!(
        read["addresses"]["To"],
        serde_json::json!([
            ["Jürgen Groß", "jurgen@example.com"],
            ["", "dev@lists.example.com"]
        ]),
        "{mail}"
    );
    assert_eq!(
        read["addresses"]["Cc"],
        serde_json::json!([["Ops, nuit", "ops@example.com"]]),
        "{mail}"
    );
    assert_eq!(read["headers"]["Subject"], "Déploiement 2026.11.19 réussi");
    assert_eq!(read["body"], format!("Voilà.\n{long_line}\n"));
}

#[test]
fn overrides_and_custom_templates() {
    let env = push_repo();
    env.write(
        ".release/templates/push-pad.j2",
        "Pad {{ pad.name }}, hero {{ pad.hero }}, {{ vars.dashboard }}\n",
    );
    env.write(
        ".release/templates/ops-handoff.j2",
        "Handoff {{ release.name }} ({{ release.stage }})\n",
    );
    assert_eq!(
        env.ok(&["render", "push-pad"]),
        "Pad 2026.11.19, hero bob, https://grafana.example.com/d/shop\n"
    );
    assert_eq!(
        env.ok(&["render", "ops-handoff"]),
        "Handoff 2026.11.19 (started)\n"
    );
    let list = env.ok(&["templates"]);
    assert!(
        list.contains(
            "push-pad             .release/templates/push-pad.j2 (overrides the built-in one)"
        ),
        "{list}"
    );
    assert!(
        list.contains("ops-handoff          .release/templates/ops-handoff.j2\n"),
        "{list}"
    );
    assert!(list.contains("release-notes        built in"), "{list}");
    let err = env.fails(&["render", "no-such"], 1);
    assert!(err.contains("there is no template `no-such`"), "{err}");
}

#[test]
fn broken_templates_are_named_with_their_line() {
    let env = push_repo();
    env.write(
        ".release/templates/push-pad.j2",
        "# Push {{ pad.name }}\n\nHero: {{ pad.heroo.name }}\n",
    );
    let err = env.fails(&["render", "push-pad"], 1);
    assert!(err.contains("template `push-pad` (.release/templates/push-pad.j2), line 3: undefined value `pad.heroo.name`"), "{err}");
    assert!(
        err.contains("hint: fix .release/templates/push-pad.j2"),
        "{err}"
    );

    env.write(
        ".release/templates/push-pad.j2",
        "# Push {{ pad.name }\n{% for x in %}\n",
    );
    let err = env.fails(&["render", "push-pad"], 1);
    assert!(
        err.contains("template `push-pad` (.release/templates/push-pad.j2), line 1:"),
        "{err}"
    );
    let list = env.ok(&["templates"]);
    assert!(list.contains("BROKEN"), "{list}");
    // The others still work, and so does start (which renders tag-message).
    env.ok(&["render", "release-notes"]);
    env.ok(&["start", "--date", "2026-11-26"]);
}

#[test]
fn record_keeps_what_was_sent() {
    let env = push_repo();
    let before = env.refs();
    env.ok(&["render", "stage-test-mail", "--record", "--dry-run"]);
    assert_eq!(env.refs(), before);
    let sent = env.ok(&["render", "stage-test-mail", "--record"]);
    let files = artifacts(&env, "refs/release/2026.11.19");
    assert_eq!(files.lines().count(), 1, "{files}");
    assert!(
        files.starts_with("artifacts/stage-test-mail-") && files.ends_with(".eml"),
        "{files}"
    );
    let kept = env.git(&["show", &format!("refs/release/2026.11.19:{files}")]);
    assert_eq!(kept, sent.trim_end());
    let log = env.ok(&["log"]);
    assert!(log.contains("record stage-test-mail"), "{log}");

    let out = env.root.join("pad.md");
    env.ok(&["render", "push-pad", "--out", out.to_str().unwrap()]);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("# Push 2026.11.19 (2026-11-19)\n")
    );
}

#[test]
fn finish_dry_run_says_once_what_it_would_record() {
    let env = pushed_repo();
    let before = env.snapshot();
    let events = json(&env.ok(&["status", "--json"]))["events"]
        .as_u64()
        .unwrap();
    let out = env.ok(&["finish", "--dry-run"]);
    assert_eq!(out.matches("would record").count(), 1, "{out}");
    assert!(
        out.contains(&format!(
            "would record events {} to {} of release 2026.11.19",
            events + 1,
            events + 3
        )),
        "{out}"
    );
    assert_eq!(out.matches("kind = \"artifact\"").count(), 2, "{out}");
    assert_eq!(out.matches("kind = \"finished\"").count(), 1, "{out}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn finish_closes_the_release_and_renders_the_next_pad() {
    let env = pushed_repo();
    let dir = env.root.join("out");
    env.ok(&[
        "finish",
        "--out",
        dir.to_str().unwrap(),
        "--note",
        "smooth push",
    ]);

    // The next push is the first one `git release schedule` lists after the finished release.
    let schedule = json(&env.ok(&["schedule", "--json", "--count", "3", "--on", "2026-11-19"]));
    let slot = schedule
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().unwrap() > "2026.11.19")
        .unwrap();
    let (next_name, next, hero) = (
        slot["name"].as_str().unwrap(),
        slot["push"].as_str().unwrap(),
        slot["duty"].as_str().unwrap(),
    );

    let pad = std::fs::read_to_string(dir.join(format!("push-pad-{next_name}.md"))).unwrap();
    assert!(
        pad.starts_with(&format!("# Push {next_name} ({next})\n")),
        "{pad}"
    );
    assert!(pad.contains(&format!("Hero: {hero}\n")), "{pad}");
    assert!(pad.contains("Previous release: 2026.11.19\n"), "{pad}");
    assert!(pad.contains("- [ ] smoke: Home page loads\n"), "{pad}");
    let mail = std::fs::read_to_string(dir.join("push-done-mail-2026.11.19.eml")).unwrap();
    assert!(mail.contains("Subject: Push 2026.11.19 done\r\n"), "{mail}");
    assert!(
        mail.contains(&format!("Next push: {next_name} on {next}, hero {hero}.")),
        "{mail}"
    );

    // Recorded, and no longer the default release.
    let files = artifacts(&env, "refs/release/2026.11.19");
    assert_eq!(files.lines().count(), 2, "{files}");
    let status = env.ok(&["status", "-r", "2026.11.19"]);
    assert!(status.contains("stage      finished"), "{status}");
    let err = env.fails(&["status"], 1);
    assert!(
        err.contains("every release is finished; the newest is 2026.11.19"),
        "{err}"
    );
    let err = env.fails(&["finish", "-r", "2026.11.19"], 1);
    assert!(err.contains("was finished by Ada Lovelace"), "{err}");
    let list = env.ok(&["list"]);
    assert!(list.lines().next().unwrap().ends_with("finished"), "{list}");

    // The next release becomes the default.
    env.commit("Next sprint");
    env.ok(&["start", "--date", next]);
    let status = env.ok(&["status"]);
    assert!(
        status.starts_with(&format!("release {next_name}\n")),
        "{status}"
    );
}

#[test]
fn an_artifact_that_does_not_compress_is_kept_whole() {
    // Text of characters outside ASCII, in no order, over 64 KiB: it must be written whole.
    let env = TestEnv::new();
    let mut seed: u64 = 0x2026_1122;
    let noise: String = (0..40_000)
        .map(|_| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from_u32(0x100 + (seed >> 33) as u32 % 0x700).unwrap()
        })
        .collect();
    env.write(".release/templates/noise.j2", &format!("{noise}\n"));
    env.ok(&["start", "--date", "2026-11-20"]);
    let sent = env.ok(&["render", "noise", "--record"]);
    let files = artifacts(&env, "refs/release/2026-11-20");
    let kept = env.git(&["show", &format!("refs/release/2026-11-20:{files}")]);
    assert_eq!(kept, sent.trim_end());
    assert_eq!(kept, noise);
    env.fsck();
}

/// The files under `artifacts/` in the tree of `release_ref`, one per line.
fn artifacts(env: &TestEnv, release_ref: &str) -> String {
    env.git(&["ls-tree", "-r", "--name-only", release_ref, "artifacts"])
}

#[test]
fn finish_of_a_release_never_in_production_needs_a_reason() {
    let env = push_repo();
    let before = env.snapshot();
    let err = env.fails(&["finish"], 3);
    assert!(
        err.contains("release 2026.11.19 was never deployed to production"),
        "{err}"
    );
    assert!(err.contains("--force --reason"), "{err}");
    assert_eq!(env.snapshot(), before, "nothing was recorded");
    env.ok(&[
        "finish",
        "--note",
        "short week",
        "--force",
        "--reason",
        "pushed by hand during the outage",
    ]);
    let log = json(&env.ok(&["log", "--json", "-r", "2026.11.19"]));
    let last = &log.as_array().unwrap().last().unwrap()["fields"]["note"];
    assert_eq!(
        last,
        "short week (finished without a deployment to production: pushed by hand during the outage)"
    );
}

/// The stage-test mail says where stage is and where the plan is, and the push-done mail
/// what happened on the way: the blockers met and how they were resolved, the comments,
/// and finish's note. Both read back with Python's `email` package.
#[test]
fn mails_say_where_to_test_and_how_the_push_went() {
    let env = TestEnv::new();
    let config = CONFIG
        .replace(
            "[[environments]]\nname = \"stage\"\n",
            "[[environments]]\nname = \"stage\"\nurl = \"https://stage.shop.example.com\"\n",
        )
        .replace(
            "[[checklist.items]]\nid = \"smoke\"\ntext = \"Home page loads\"\n\n\
             [[checklist.items]]\nid = \"checkout\"\ntext = \"A test order goes through\\nwith the test card\"\n",
            "[checklist]\nfile = \"docs/QA plan.md\"\n",
        );
    assert!(config.contains("QA plan"), "{config}");
    env.write(".release/config.toml", &config);
    env.write(
        "docs/QA plan.md",
        "# Plan\n\n## Smoke\n\n1. Home page loads\n2. Search works\n",
    );
    env.commit_all("Release config and plan");
    env.git(&["tag", "2026.11.12"]);
    env.commit("Fix checkout rounding");
    env.git(&["remote", "add", "origin", "git@github.com:acme/shop.git"]);
    env.ok(&["start", "--date", "2026-11-19"]);

    let mail = env.ok(&["render", "stage-test-mail"]);
    let read = python_reads(&mail);
    assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
    let body = read["body"].as_str().unwrap();
    assert!(
        body.contains(
            "release 2026.11.19 is on stage at https://stage.shop.example.com. Please give it a try"
        ),
        "{body}"
    );
    // No bug known: the mail says so without a dangling link.
    assert!(
        body.contains("report problems on\nthe deployment bug.\n"),
        "{body}"
    );
    assert!(
        body.contains(
            "QA follows the verification plan: https://github.com/acme/shop/blob/2026.11.19/docs/QA%20plan.md\n(0/2 done)."
        ),
        "{body}"
    );
    // A plan kept elsewhere is linked as configured.
    env.ok(&[
        "config",
        "set",
        "checklist.url",
        "https://wiki.example.com/QA/Shop",
    ]);
    let read = python_reads(&env.ok(&["render", "stage-test-mail"]));
    let body = read["body"].as_str().unwrap();
    assert!(
        body.contains("verification plan: https://wiki.example.com/QA/Shop\n"),
        "{body}"
    );

    env.ok(&[
        "block",
        "1234",
        "--title",
        "checkout 500s on stage",
        "--url",
        "https://bugs.example.com/1234",
    ]);
    env.ok(&["block", "1240", "--title", "slow search"]);
    env.ok(&["comment", "stage looks good apart from search"]);
    env.ok(&["unblock", "1234", "--note", "fixed in 2026.11.19-1"]);
    env.ok(&[
        "deploy",
        "production",
        "--force",
        "--reason",
        "1240 accepted by QA",
    ]);
    let dir = env.root.join("out");
    env.ok(&[
        "finish",
        "--out",
        dir.to_str().unwrap(),
        "--note",
        "with one blocker left open, accepted by QA",
    ]);
    let mail = std::fs::read_to_string(dir.join("push-done-mail-2026.11.19.eml")).unwrap();
    let read = python_reads(&mail);
    assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
    let body = read["body"].as_str().unwrap();
    assert!(
        body.contains("How it went: with one blocker left open, accepted by QA\n"),
        "{body}"
    );
    assert!(
        body.contains(
            "Blockers met:\n\
             - 1234 checkout 500s on stage <https://bugs.example.com/1234>: resolved by Ada Lovelace (fixed in 2026.11.19-1)\n\
             - 1240 slow search: still open\n"
        ),
        "{body}"
    );
    assert!(
        body.contains("Comments:\n- Ada Lovelace: stage looks good apart from search\n"),
        "{body}"
    );
    // The note is the one the finish event records.
    let log = env.ok(&["log", "-r", "2026.11.19", "--json"]);
    assert!(
        log.contains("with one blocker left open, accepted by QA"),
        "{log}"
    );
}
