//! Mail out: `render … --send` and `finish --send` deliver to a real SMTP sink (Python's
//! aiosmtpd, on 127.0.0.1) or to a `sendmail` program on PATH that records what it was given.

use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::common::python::venv_python;
use crate::common::{TestEnv, json};

const PASSWORD: &str = "sm7p-pa55word";

/// An aiosmtpd sink on 127.0.0.1: what it received is one JSON line per message in `log`.
struct Sink {
    child: Child,
    port: u16,
    log: PathBuf,
}

impl Sink {
    fn start(env: &TestEnv, mode: &str) -> Sink {
        let log = env.root.join(format!("smtp-{mode}.jsonl"));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/smtp_sink.py");
        let mut child = Command::new(venv_python())
            .arg(script)
            .arg(&log)
            .arg(mode)
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().parse().expect("the sink prints its port");
        Sink { child, port, log }
    }

    fn received(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(json)
            .collect()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CONFIG: &str = r#"
[[environments]]
name = "stage"

[mail]
from = "Release Bot <release@example.com>"
to = ["dev@lists.example.com"]
cc = ["qa@example.com"]
"#;

fn repo(mail: &str) -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", &format!("{CONFIG}{mail}"));
    // A Bcc reaches the envelope, never the text.
    env.write(
        ".release/templates/stage-test-mail.j2",
        "To: {{ mail.to | join(\", \") }}\nCc: {{ mail.cc | join(\", \") }}\nBcc: Ops <ops@example.com>\nSubject: Please test {{ release.name }} on stage\n\nHi all,\nplease test {{ release.name }}.\n",
    );
    env.commit_all("Release config");
    env.ok(&["start", "--date", "2026-11-20"]);
    env
}

fn run(env: &TestEnv, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
    env.run_with(args, vars)
}

/// The message's header fields (unfolded) and its body.
fn parse(data: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = data.split_once("\r\n\r\n").expect("a head and a body");
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.split("\r\n") {
        if line.starts_with([' ', '\t']) {
            fields.last_mut().unwrap().1.push_str(line);
        } else {
            let (k, v) = line.split_once(':').unwrap();
            fields.push((k.to_owned(), v.trim().to_owned()));
        }
    }
    (fields, body.to_owned())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn render_send_delivers_over_smtp_with_the_login_from_the_environment() {
    let env = TestEnv::new();
    let sink = Sink::start(&env, "accept");
    let env = repo(&format!(
        "smtp = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\nsmtp_user = \"deployer\"\nsmtp_password = \"${{SMTP_PASSWORD}}\"\n",
        sink.port
    ));
    let vars = [("SMTP_PASSWORD", PASSWORD)];

    // A dry run says how it would go, and sends nothing.
    let (code, out, err) = run(
        &env,
        &["render", "stage-test-mail", "--send", "--dry-run"],
        &vars,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.starts_with(&format!(
            "would send stage-test-mail from release@example.com to dev@lists.example.com, qa@example.com, ops@example.com via SMTP smtp://127.0.0.1:{} (no encryption)\n",
            sink.port
        )),
        "{out}"
    );
    assert!(sink.received().is_empty());

    let (code, out, err) = run(
        &env,
        &["render", "stage-test-mail", "--send", "--record"],
        &vars,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "", "a sent mail is not printed too");
    assert!(
        err.contains("Sent stage-test-mail to dev@lists.example.com, qa@example.com, ops@example.com via SMTP smtp://127.0.0.1:"),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains(PASSWORD));

    let received = sink.received();
    assert_eq!(received.len(), 1, "{received:?}");
    let mail = &received[0];
    assert_eq!(mail["mail_from"], "release@example.com");
    assert_eq!(
        mail["rcpt_tos"],
        serde_json::json!(["dev@lists.example.com", "qa@example.com", "ops@example.com"])
    );
    assert_eq!(mail["login"][1], "deployer");
    assert_eq!(mail["login"][2], PASSWORD);
    let (fields, body) = parse(mail["data"].as_str().unwrap());
    assert_eq!(
        field(&fields, "From"),
        Some("\"Release Bot\" <release@example.com>")
    );
    assert_eq!(field(&fields, "To"), Some("<dev@lists.example.com>"));
    assert_eq!(field(&fields, "Cc"), Some("<qa@example.com>"));
    assert_eq!(
        field(&fields, "Subject"),
        Some("Please test 2026-11-20 on stage")
    );
    assert_eq!(field(&fields, "Bcc"), None, "{fields:?}");
    assert!(
        field(&fields, "Message-ID")
            .unwrap()
            .ends_with("@example.com>")
    );
    assert_eq!(body, "Hi all,\r\nplease test 2026-11-20.\r\n");

    // What was sent is on record, as it was rendered.
    let files = env.git(&[
        "ls-tree",
        "-r",
        "--name-only",
        "refs/release/2026-11-20",
        "artifacts",
    ]);
    assert_eq!(files.lines().count(), 1, "{files}");
    let kept = env.git(&["show", &format!("refs/release/2026-11-20:{files}")]);
    assert!(
        kept.contains("Subject: Please test 2026-11-20 on stage"),
        "{kept}"
    );
}

#[test]
fn a_refused_mail_names_the_server_and_records_nothing() {
    let env = TestEnv::new();
    let sink = Sink::start(&env, "reject");
    let env = repo(&format!(
        "smtp = \"smtp://127.0.0.1:{}\"\ntls = \"none\"\n",
        sink.port
    ));
    let before = env.refs();
    let (code, _, err) = run(
        &env,
        &["render", "stage-test-mail", "--send", "--record"],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "mail via SMTP smtp://127.0.0.1:{} (no encryption): ",
            sink.port
        )),
        "{err}"
    );
    assert!(err.contains("550"), "{err}");
    assert!(err.contains("Recipient address rejected"), "{err}");
    assert_eq!(env.refs(), before, "a mail that did not leave was recorded");
    assert!(sink.received().is_empty());
}

#[test]
fn a_silent_server_times_out_with_the_route_named() {
    // A server that accepts and never greets.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let env = repo(&format!(
        "smtp = \"smtp://127.0.0.1:{port}\"\ntls = \"none\"\ntimeout = \"300ms\"\nsmtp_user = \"deployer\"\nsmtp_password = \"${{SMTP_PASSWORD}}\"\n"
    ));
    let (code, out, err) = run(
        &env,
        &["render", "stage-test-mail", "--send"],
        &[("SMTP_PASSWORD", PASSWORD)],
    );
    drop(listener);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "mail via SMTP smtp://127.0.0.1:{port} (no encryption): no answer within 300 ms"
        )),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains(PASSWORD));
}

#[test]
fn credentials_never_travel_unencrypted_to_another_host_nor_live_in_the_config() {
    let env = repo(
        "smtp = \"smtp://mail.example.com\"\ntls = \"none\"\nsmtp_user = \"deployer\"\nsmtp_password = \"${SMTP_PASSWORD}\"\n",
    );
    let (code, _, err) = run(
        &env,
        &["render", "stage-test-mail", "--send"],
        &[("SMTP_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("would send the SMTP password to mail.example.com unencrypted"),
        "{err}"
    );

    let env = repo(
        "smtp = \"smtp://mail.example.com\"\nsmtp_user = \"deployer\"\nsmtp_password = \"hunter22\"\n",
    );
    let (code, _, err) = run(&env, &["render", "stage-test-mail", "--send"], &[]);
    assert_eq!(code, 1);
    assert!(
        err.contains("mail.smtp_password is written in the config"),
        "{err}"
    );
    assert!(!err.contains("hunter22"), "{err}");

    // The default for smtp:// is STARTTLS, for smtps:// TLS.
    let env = repo("smtp = \"smtps://mail.example.com\"\n");
    let out = env.ok(&["render", "stage-test-mail", "--send", "--dry-run"]);
    assert!(
        out.contains("via SMTP smtps://mail.example.com:465 (TLS)"),
        "{out}"
    );
    let env = repo("smtp = \"smtp://mail.example.com\"\n");
    let out = env.ok(&["render", "stage-test-mail", "--send", "--dry-run"]);
    assert!(
        out.contains("via SMTP smtp://mail.example.com:587 (STARTTLS)"),
        "{out}"
    );
    // Only mails are sent.
    let err = env.fails(&["render", "push-pad", "--send"], 2);
    assert!(err.contains("not a mail template"), "{err}");
}

/// A `sendmail` on PATH that keeps its arguments and its input.
fn fake_sendmail(env: &TestEnv, exit: i32) -> PathBuf {
    let bin = env.root.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("sendmail");
    let log = env.root.join("sendmail");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{log}.argv'\ncat > '{log}.stdin'\nif [ {exit} -ne 0 ]; then echo 'sendmail: fatal: no route to the relay' >&2; fi\nexit {exit}\n",
            log = log.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn path_with(bin: &Path) -> String {
    format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn finish_send_hands_the_mail_to_sendmail() {
    let env = repo("");
    env.ok(&["deploy", "stage"]);
    let bin = fake_sendmail(&env, 0);
    let (code, _, err) = run(&env, &["finish", "--send"], &[("PATH", &path_with(&bin))]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "Sent push-done-mail to dev@lists.example.com, qa@example.com via sendmail -t -i"
        ),
        "{err}"
    );
    let argv = std::fs::read_to_string(env.root.join("sendmail.argv")).unwrap();
    assert_eq!(argv, "-t\n-i\n");
    let stdin = std::fs::read_to_string(env.root.join("sendmail.stdin")).unwrap();
    assert!(!stdin.contains('\r'), "local mail programs read LF lines");
    assert!(
        stdin.contains("\nSubject: Push 2026-11-20 done\n"),
        "{stdin}"
    );
    assert!(
        stdin.starts_with("From: \"Release Bot\" <release@example.com>\n"),
        "{stdin}"
    );
    assert!(stdin.contains("\nTo: <dev@lists.example.com>\n"), "{stdin}");
    assert!(
        stdin.contains("release 2026-11-20 is in production"),
        "{stdin}"
    );
    let log = env.ok(&["log", "-r", "2026-11-20"]);
    assert!(log.contains("finish"), "{log}");
}

#[test]
fn a_failing_sendmail_leaves_the_release_open() {
    let env = repo("");
    env.ok(&["deploy", "stage"]);
    let bin = fake_sendmail(&env, 75);
    let before = env.refs();
    let (code, _, err) = run(&env, &["finish", "--send"], &[("PATH", &path_with(&bin))]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("mail via sendmail -t -i: it exited with"),
        "{err}"
    );
    assert!(err.contains("no route to the relay"), "{err}");
    assert_eq!(env.refs(), before);
}

#[test]
fn starttls_is_required_not_hoped_for() {
    // The sink offers no STARTTLS: a smtp:// route (STARTTLS by default) must not fall back
    // to sending the password in the clear.
    let env = TestEnv::new();
    let sink = Sink::start(&env, "accept");
    let env = repo(&format!(
        "smtp = \"smtp://127.0.0.1:{}\"\nsmtp_user = \"deployer\"\nsmtp_password = \"${{SMTP_PASSWORD}}\"\n",
        sink.port
    ));
    let (code, out, err) = run(
        &env,
        &["render", "stage-test-mail", "--send"],
        &[("SMTP_PASSWORD", PASSWORD)],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains(&format!(
            "mail via SMTP smtp://127.0.0.1:{} (STARTTLS): ",
            sink.port
        )),
        "{err}"
    );
    assert!(!format!("{out}{err}").contains(PASSWORD));
    assert!(sink.received().is_empty());
}

#[test]
fn finish_send_dry_run_says_how_and_sends_nothing() {
    let env = repo("");
    env.ok(&["deploy", "stage"]);
    let bin = fake_sendmail(&env, 0);
    let before = env.refs();
    let (code, out, err) = run(
        &env,
        &["finish", "--send", "--dry-run"],
        &[("PATH", &path_with(&bin))],
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("would send push-done-mail from release@example.com to dev@lists.example.com, qa@example.com via sendmail -t -i\n"),
        "{out}"
    );
    assert!(!env.root.join("sendmail.stdin").exists());
    assert_eq!(env.refs(), before);
}
