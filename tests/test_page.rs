//! `git release page`: the static site, read by a real browser (Debian's headless Chromium)
//! and its calendar by a real iCalendar parser (Python `icalendar`); `--serve` over HTTP.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::common::TestEnv;
use crate::common::python::venv_python;

const QA: (&str, &str) = ("Kim Tester", "kim@qa.example.com");

const CONFIG: &str = r#"
[release]
date = "push"

[schedule]
tag = "tuesday"
push = "thursday"
time = "10:00"
utc_offset = "+01:00"

[duty]
rotation = ["alice", "bob", "carol"]
start = 2026-11-02
every = "1w"

[[duty.swaps]]
week = 2026-11-30
a = "bob"
b = "carol"

[roles.qa]
members = ["*@qa.example.com"]

[[checklist.items]]
id = "smoke"
text = "Home page and login work"
section = "Stage"

[[checklist.items]]
id = "checkout"
text = "A test order goes through"
section = "Stage"

[[checklist.items]]
id = "dashboards"
text = "Dashboards flat after the push"
section = "Production"

[[environments]]
name = "stage"

[[environments]]
name = "production"
requires = { signoffs = ["qa"], checklist = "all", no_blockers = true, deployed = ["stage"] }
"#;

const SCRIPT: &str = "<script>alert(1)</script>";

/// Two releases: an older one shipped, a newer one on stage with a hostile comment and blocker.
fn train() -> TestEnv {
    let env = TestEnv::new();
    env.write(".release/config.toml", CONFIG);
    env.commit_all("Add the release config");
    env.ok(&["start", "--date", "2026-11-19"]);
    env.ok(&["deploy", "stage"]);
    env.ok_as(QA, &["check", "smoke", "checkout", "dashboards"]);
    env.ok_as(QA, &["signoff", "qa"]);
    env.ok(&["deploy", "production"]);
    env.commit("Fix the basket total (#42)");
    env.ok(&["start", "--date", "2026-11-26"]);
    env.ok(&["deploy", "stage"]);
    env.ok_as(QA, &["check", "smoke"]);
    env.ok(&["comment", SCRIPT]);
    env.ok(&[
        "block",
        "BUG-7",
        "--title",
        "<img src=x onerror=alert(2)>",
        "--url",
        "javascript:alert(3)",
    ]);
    env
}

/// Renders the site into `dir` (relative to the repository's parent) and returns its path.
fn render(env: &TestEnv, dir: &str) -> PathBuf {
    let out = env.root.join(dir);
    env.ok(&["page", "--out", out.to_str().unwrap()]);
    out
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_same_refs_give_the_same_files() {
    let env = train();
    let a = files(&render(&env, "a"));
    let b = files(&render(&env, "b"));
    let names: Vec<&str> = a.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        [
            "calendar.ics",
            "duty.html",
            "index.html",
            "page.js",
            "releases/2026-11-19.html",
            "releases/2026-11-26.html",
            "style.css"
        ]
    );
    assert!(a == b, "two renders of the same refs differ");
    // A new event changes the site.
    env.ok(&["comment", "one more"]);
    let c = files(&render(&env, "c"));
    assert!(a != c);
}

#[test]
fn only_the_releases_asked_for() {
    let env = train();
    let out = env.root.join("one");
    env.ok(&["page", "--out", out.to_str().unwrap()]);
    assert!(out.join("releases/2026-11-26.html").exists());
    std::fs::write(out.join("releases/notes.txt"), "ours").unwrap();
    env.ok(&["page", "--out", out.to_str().unwrap(), "-r", "2026-11-19"]);
    assert!(out.join("releases/2026-11-19.html").exists());
    // The page of a release no longer in the site is removed; other files stay.
    assert!(!out.join("releases/2026-11-26.html").exists());
    assert!(out.join("releases/notes.txt").exists());
    let index = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(index.contains("2026-11-19") && !index.contains("2026-11-26"));
    let err = env.fails(
        &["page", "--out", out.to_str().unwrap(), "-r", "2031-01-01"],
        1,
    );
    assert!(err.contains("there is no release 2031-01-01"), "{err}");
}

#[test]
fn every_value_from_the_repository_is_escaped() {
    let env = train();
    let site = render(&env, "site");
    let page = std::fs::read_to_string(site.join("releases/2026-11-26.html")).unwrap();
    assert!(
        page.contains("comment: &lt;script&gt;alert(1)&lt;&#x2f;script&gt;"),
        "{page}"
    );
    assert!(!page.contains(SCRIPT));
    assert!(page.contains("&lt;img src=x onerror=alert(2)&gt;"));
    assert!(!page.contains("<img"));
    // A link that is not a web address is shown as text, not made a link.
    assert!(!page.contains("javascript:"), "{page}");
}

#[test]
fn templates_are_overridden_from_the_repository() {
    let env = train();
    env.write(
        ".release/templates/page/train.html.j2",
        "{% extends \"base.html\" %}{% block main %}<h1>Our train: {{ site.releases|length }} releases</h1><p>{{ site.releases[0].name }}</p>{% endblock %}",
    );
    env.write(
        ".release/templates/page/style.css",
        "body { color: #000; }\n",
    );
    let site = render(&env, "site");
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("<h1>Our train: 2 releases</h1>"), "{index}");
    assert!(index.contains("<p>2026-11-26</p>"));
    assert_eq!(
        std::fs::read_to_string(site.join("style.css")).unwrap(),
        "body { color: #000; }\n"
    );
    // The release pages keep the built-in template.
    let page = std::fs::read_to_string(site.join("releases/2026-11-26.html")).unwrap();
    assert!(page.contains("<h2 id=\"gates-heading\">Gates</h2>"));
    env.write(
        ".release/templates/page/release.html.j2",
        "{% extends \"base.html\" %}{% block main %}{{ page.release.nmae }}{% endblock %}",
    );
    let err = env.fails(&["page", "--out", site.to_str().unwrap()], 1);
    assert!(
        err.contains(".release/templates/page/release.html.j2") && err.contains("undefined"),
        "{err}"
    );
}

/// The events of calendar.ics as Python's `icalendar` reads them, one JSON object a line:
/// uid, summary, start (ISO; for timed events also in +01:00), end.
const READ_ICS: &str = r#"
import json, sys, datetime
from icalendar import Calendar
cal = Calendar.from_ical(open(sys.argv[1], 'rb').read())
tz = datetime.timezone(datetime.timedelta(hours=1))
for e in cal.walk('VEVENT'):
    start = e.decoded('DTSTART')
    end = e.decoded('DTEND') if 'DTEND' in e else None
    timed = isinstance(start, datetime.datetime)
    print(json.dumps({
        'uid': str(e['UID']),
        'summary': str(e['SUMMARY']),
        'description': str(e['DESCRIPTION']),
        'start': start.isoformat(),
        'local': start.astimezone(tz).isoformat() if timed else None,
        'end': end.isoformat() if end else None,
        'stamp': e.decoded('DTSTAMP').isoformat(),
    }))
"#;

fn read_ics(env: &TestEnv, path: &Path) -> Vec<serde_json::Value> {
    let script = env.root.join("read_ics.py");
    std::fs::write(&script, READ_ICS).unwrap();
    let output = Command::new(venv_python())
        .arg(&script)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_calendar_feed_reads_in_icalendar() {
    let env = train();
    let site = render(&env, "site");
    let raw = std::fs::read(site.join("calendar.ics")).unwrap();
    let text = String::from_utf8(raw.clone()).unwrap();
    // RFC 5545: CRLF line endings, lines of at most 75 octets.
    assert!(text.ends_with("\r\n"));
    assert!(!text.replace("\r\n", "").contains('\n'));
    for line in text.split("\r\n") {
        assert!(line.len() <= 75, "{} octets: {line}", line.len());
    }
    let events = read_ics(&env, &site.join("calendar.ics"));
    let by_uid = |uid: &str| {
        events
            .iter()
            .find(|e| e["uid"] == uid)
            .unwrap_or_else(|| panic!("no event {uid} in {events:#?}"))
    };
    // The coming weeks count from the newest event's day: in the week of 2026-11-23 or so
    // (events are stamped with the real time; the week shown is that of the newest one).
    let first_push = events
        .iter()
        .find(|e| e["uid"].as_str().unwrap().starts_with("push-"))
        .unwrap();
    let name = first_push["uid"].as_str().unwrap()["push-".len()..]
        .split('@')
        .next()
        .unwrap()
        .to_owned();
    // Push on Thursday at 10:00 in the team's offset, tag on the Tuesday before.
    let push = by_uid(&format!("push-{name}@git-release"));
    assert_eq!(push["summary"], format!("Push release {name}"));
    assert_eq!(push["local"], format!("{name}T10:00:00+01:00"));
    assert_eq!(push["start"], format!("{name}T09:00:00+00:00"));
    let push_day = chrono::NaiveDate::parse_from_str(&name, "%Y-%m-%d").unwrap();
    assert_eq!(push_day.format("%a").to_string(), "Thu");
    let tag_day = push_day - chrono::Days::new(2);
    let tag = by_uid(&format!("tag-{name}@git-release"));
    assert_eq!(tag["local"], format!("{tag_day}T10:00:00+01:00"));
    // Duty: whole-day events a week long, Monday to Monday; the swap gave carol bob's week of
    // 2026-11-30 (the rotation alone: alice 11-02, bob 11-09, carol 11-16, alice 11-23, bob 11-30).
    let duty: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["uid"].as_str().unwrap().starts_with("duty-"))
        .collect();
    assert!(duty.len() >= 8, "{duty:#?}");
    for d in &duty {
        let start =
            chrono::NaiveDate::parse_from_str(d["start"].as_str().unwrap(), "%Y-%m-%d").unwrap();
        assert_eq!(start.format("%a").to_string(), "Mon");
        assert_eq!(d["end"], (start + chrono::Days::new(7)).to_string());
    }
    let week = |day: &str| {
        duty.iter()
            .find(|d| d["start"] == day)
            .map(|d| d["summary"].as_str().unwrap().to_owned())
    };
    if let Some(summary) = week("2026-11-30") {
        assert_eq!(summary, "Push duty: carol");
    }
    if let Some(summary) = week("2026-12-14") {
        assert_eq!(summary, "Push duty: alice");
    }
    // A second render, and `schedule --ics`, give the same feed: the same UIDs.
    let again = std::fs::read(render(&env, "again").join("calendar.ics")).unwrap();
    assert!(raw == again);
    assert_eq!(env.ok(&["schedule", "--ics"]).as_bytes(), &raw[..]);
    // Counting from another day moves the window, not the UIDs of the days both have.
    let later = env.ok(&["schedule", "--ics", "--on", "2027-03-01"]);
    assert!(
        later.contains("UID:push-2027-03-04@git-release\r\n"),
        "{later}"
    );
    let uids = |events: &[serde_json::Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["uid"].as_str().unwrap().to_owned())
            .collect()
    };
    let first = uids(&events);
    let second = uids(&read_ics(&env, &env.root.join("again/calendar.ics")));
    assert_eq!(first, second);
}

/// A release with a remote on a forge: the UIDs name the repository; commit and compare links.
#[test]
fn a_forge_remote_names_the_feed_and_links_commits() {
    let env = train();
    env.git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/acme/shop.git",
    ]);
    let site = render(&env, "site");
    let ics = std::fs::read_to_string(site.join("calendar.ics")).unwrap();
    assert!(
        ics.contains("@github.com.acme.shop.git-release\r\n"),
        "{ics}"
    );
    // minijinja escapes `/` as `&#x2f;`, which the browser reads as `/`.
    let page = std::fs::read_to_string(site.join("releases/2026-11-26.html"))
        .unwrap()
        .replace("&#x2f;", "/");
    let head = env.git(&["rev-parse", "refs/tags/2026-11-26^{commit}"]);
    assert!(
        page.contains(&format!("https://github.com/acme/shop/commit/{head}")),
        "{page}"
    );
    assert!(page.contains("https://github.com/acme/shop/compare/2026-11-19...2026-11-26"));
}

// ---- Chromium ----

const CHROMIUM: &str = "/usr/bin/chromium";

/// Runs headless Chromium on `url` with `args`, a fresh profile each time; (stdout, stderr).
fn chromium(args: &[&str], url: &str) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {CHROMIUM}: {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "chromium failed: {stderr}");
    (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
}

/// What the page logged to the console (script errors, refused resources, CSP violations).
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.contains(":CONSOLE")).collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

/// The DOM after load, checked for console errors and script errors the page reported.
fn dom(path: &Path) -> String {
    let (dom, stderr) = chromium(&["--dump-dom"], &file_url(path));
    assert_eq!(
        console_lines(&stderr),
        Vec::<&str>::new(),
        "{}",
        path.display()
    );
    assert!(!dom.contains("data-script-error"), "{dom}");
    dom
}

#[test]
fn the_pages_in_chromium() {
    let env = train();
    let site = render(&env, "site");

    let train = dom(&site.join("index.html"));
    let first = train.find("2026-11-26").expect("the newer release");
    let second = train.find("2026-11-19").expect("the older release");
    assert!(first < second, "newest first");
    assert!(train.contains("<h1>Release train</h1>"));
    assert!(
        train.contains("Stage: <strong>deployed to stage</strong>"),
        "{train}"
    );
    assert!(train.contains("1 open blocker"));
    // The script ran: the filter is shown.
    assert!(train.contains("<p class=\"filter\">"), "{train}");

    let page = dom(&site.join("releases/2026-11-26.html"));
    assert!(page.contains("<h1>Release 2026-11-26</h1>"));
    // The gate of production with each unmet condition and the command that meets it.
    assert!(page.contains("Shut: 3 conditions unmet"), "{page}");
    for (reason, command) in [
        ("not deployed to stage yet", None),
        ("sign-off `qa` missing", Some("git release signoff qa")),
        (
            "2 checklist items open: checkout, dashboards",
            Some("git release check checkout dashboards"),
        ),
        ("blocked by BUG-7", Some("git release unblock BUG-7")),
    ] {
        if reason.starts_with("not deployed") {
            assert!(!page.contains(reason), "stage is deployed: {page}");
            continue;
        }
        assert!(page.contains(reason), "{reason}: {page}");
        assert!(
            page.contains(&format!("<code>{}</code>", command.unwrap())),
            "{page}"
        );
    }
    // The checklist by section, with progress bars.
    assert!(page.contains("max=\"2\" value=\"1\""), "{page}");
    assert!(page.contains("1 of 2 done (50%)"));
    assert!(page.contains("max=\"1\" value=\"0\""));
    // The hostile comment shows as text, and nothing was injected.
    assert!(
        page.contains("comment: &lt;script&gt;alert(1)&lt;/script&gt;"),
        "{page}"
    );
    assert_eq!(page.matches("<script").count(), 1, "only page.js: {page}");
    assert!(!page.contains("<img"));
    assert!(!page.contains("javascript:"));

    let duty = dom(&site.join("duty.html"));
    assert!(duty.contains("<h1>Push duty</h1>"));
    assert!(duty.contains("alice, bob, carol"));
}

/// The PNG's size for a blank page of the same size: a page with content is far larger.
fn blank_png_size(size: &str, dir: &Path) -> u64 {
    let blank = dir.join(format!("blank-{size}.png"));
    let page = dir.join("blank.html");
    std::fs::write(&page, "<!doctype html><title>blank</title>").unwrap();
    screenshot(&page, size, &blank);
    std::fs::metadata(&blank).unwrap().len()
}

fn screenshot(page: &Path, size: &str, png: &Path) {
    let (_, stderr) = chromium(
        &[
            &format!("--screenshot={}", png.display()),
            &format!("--window-size={size}"),
            "--hide-scrollbars",
        ],
        &file_url(page),
    );
    assert_eq!(console_lines(&stderr), Vec::<&str>::new());
    let bytes = std::fs::read(png).unwrap();
    assert_eq!(
        &bytes[..8],
        b"\x89PNG\r\n\x1a\n",
        "{} is not a PNG",
        png.display()
    );
    let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
    let height = u32::from_be_bytes(bytes[20..24].try_into().unwrap());
    assert_eq!(format!("{width},{height}"), size);
}

#[test]
fn screenshots_at_desktop_and_phone_width_are_not_blank() {
    let env = train();
    let site = render(&env, "site");
    let kept = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/page-screenshots");
    std::fs::create_dir_all(&kept).unwrap();
    for size in ["1280,900", "390,844"] {
        let blank = blank_png_size(size, &env.root);
        for (page, name) in [
            ("index.html", "train"),
            ("releases/2026-11-26.html", "release"),
            ("duty.html", "duty"),
        ] {
            let png = kept.join(format!("{name}-{}.png", size.replace(',', "x")));
            screenshot(&site.join(page), size, &png);
            let len = std::fs::metadata(&png).unwrap().len();
            assert!(
                len > blank * 4,
                "{} is {len} bytes, a blank page {blank}",
                png.display()
            );
        }
    }
}

/// Regenerates the README's screenshots, docs/page-train.png and docs/page-release.png:
/// `cargo test --test runner test_page::readme_screenshots -- --ignored`.
#[test]
#[ignore = "writes docs/*.png; run it to refresh the README's screenshots"]
fn readme_screenshots() {
    let env = train();
    let site = render(&env, "site");
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    screenshot(
        &site.join("index.html"),
        "1280,900",
        &docs.join("page-train.png"),
    );
    screenshot(
        &site.join("releases/2026-11-26.html"),
        "1280,1800",
        &docs.join("page-release.png"),
    );
}

// ---- --serve ----

fn get(addr: &str, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.to_owned(), body.to_owned())
}

#[test]
fn serve_renders_again_when_the_refs_move() {
    let env = train();
    let mut child = env
        .cmd()
        .args(["page", "--serve", "--port", "0", "--max-requests", "5"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("Serving the release page on http://")
        .unwrap_or_else(|| panic!("{line}"))
        .trim_end_matches('/')
        .to_owned();
    assert!(url.starts_with("127.0.0.1:"), "{url}");

    let (head, body) = get(&url, "/");
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    assert!(head.contains("Content-Type: text/html; charset=utf-8"));
    assert!(body.contains("2026-11-26") && !body.contains("2026-12-03"));
    // The served pages reload themselves.
    assert!(body.contains("<meta http-equiv=\"refresh\""));

    env.commit("Another change");
    env.ok(&["start", "--date", "2026-12-03"]);
    let (_, body) = get(&url, "/index.html");
    assert!(body.contains("2026-12-03"), "{body}");
    let (head, body) = get(&url, "/releases/2026-12-03.html");
    assert!(head.starts_with("HTTP/1.1 200 OK"));
    assert!(body.contains("<h1>Release 2026-12-03</h1>"));
    let (head, body) = get(&url, "/calendar.ics");
    assert!(head.contains("Content-Type: text/calendar"));
    assert!(body.starts_with("BEGIN:VCALENDAR\r\n"));
    let (head, _) = get(&url, "/../.git/config");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    // Five requests answered: it stops.
    let status = child.wait().unwrap();
    assert!(status.success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("The refs moved; rendering the site again."),
        "{stderr}"
    );
}

/// A release whose Prometheus monitor failed on stage, with facts a tracker answered (one a
/// web address, one not) and shipping frozen.
#[test]
fn monitors_freezes_and_facts_in_chromium() {
    use crate::common::{Reply, TestServer};
    let tracker = TestServer::start(|_, _| {
        Reply::Status(
            201,
            r#"{"id": 4242, "url": "https://bugs.example.com/4242", "odd": "javascript:alert(4)"}"#
                .into(),
        )
    });
    let prometheus = TestServer::start(|_, request| {
        assert!(
            request.path.starts_with("/api/v1/query?"),
            "{}",
            request.path
        );
        Reply::Status(
            200,
            r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1796000000.5,"0.9"]}]}}"#.into(),
        )
    });
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        &format!(
            r#"
[[hooks]]
name = "file-bug"
on = "start"
url = "{tracker}/bugs"
body = '{{"summary": "deploy"}}'
capture = {{ bug = "/id", bug_url = "/url", odd = "/odd" }}

[[environments]]
name = "stage"

[[monitors]]
name = "5xx"
kind = "prometheus"
url = "{prometheus}"
query = 'sum(rate(http_requests_total{{code=~"5.."}}[5m]))'
below = 0.5
"#,
            tracker = tracker.url,
            prometheus = prometheus.url
        ),
    );
    env.commit_all("Add the release config");
    env.ok(&["start", "--date", "2026-12-03"]);
    env.ok(&["deploy", "stage"]);
    let out = env
        .cmd()
        .args(["watch", "stage", "--for", "200ms", "--interval", "100ms"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("5xx"), "{stdout}");
    let log = env.git(&["log", "--format=%s", "refs/release/2026-12-03"]);
    assert!(log.contains("monitor 5xx"), "{log}");
    env.ok(&["freeze", "--reason", "year-end <b>freeze</b>"]);
    let site = render(&env, "site");

    let train = dom(&site.join("index.html"));
    assert!(
        train.contains("monitor 5xx failed on stage"),
        "the failed monitor's badge: {train}"
    );
    assert!(
        train.contains("Frozen: year-end &lt;b&gt;freeze&lt;/b&gt;"),
        "{train}"
    );

    let page = dom(&site.join("releases/2026-12-03.html"));
    assert!(page.contains("<h3>Monitors</h3>"), "{page}");
    assert!(page.contains("5xx on stage: failed"), "{page}");
    assert!(page.contains("0.9"), "the verdict's evidence: {page}");
    assert!(page.contains("data-frozen"), "{page}");
    assert!(
        page.contains("year-end &lt;b&gt;freeze&lt;/b&gt;"),
        "{page}"
    );
    assert!(page.contains("git release unfreeze"), "{page}");
    // Facts: a web address is a link, anything else is text.
    assert!(page.contains("<dt>bug</dt><dd>4242</dd>"), "{page}");
    assert!(
        page.contains(
            "<a href=\"https://bugs.example.com/4242\">https://bugs.example.com/4242</a>"
        ),
        "{page}"
    );
    assert!(page.contains("<dd>javascript:alert(4)</dd>"), "{page}");
    assert!(!page.contains("href=\"javascript:"), "{page}");

    // Once unfrozen, the badge goes.
    env.ok(&["unfreeze"]);
    let site = render(&env, "site");
    let train = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(!train.contains("Frozen"), "{train}");
}
