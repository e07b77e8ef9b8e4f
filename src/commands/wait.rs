//! `git release wait`: poll HTTP gates until they pass, then record it.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::Session;
use crate::config::GateConfig;
use crate::error::Failure;
use crate::hooks::{Captured, Http, Request, Secrets, capture, excerpt, parse_duration};
use crate::release::{EventKind, Release};
use crate::store::With;

/// Wait until HTTP gates pass — CI green for the tag, the image in the registry — polling each
/// every --interval, and record the result. Exit code 3 when --timeout passes first.
///
/// Gates are `[[gates]]` in .release/config.toml; an environment that requires them
/// (`requires = { gates = ["ci"] }`) refuses deploys until they passed.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release wait ci image --timeout 45m"#)]
pub struct WaitArgs {
    /// Gate names, as in [[gates]].
    #[arg(required = true, value_name = "GATE")]
    gates: Vec<String>,
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Give up after this long (30s, 45m, 2h).
    #[arg(long, default_value = "30m", value_parser = parse_duration)]
    timeout: Duration,
    /// Time between polls.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    interval: Duration,
    /// Show the requests; send and record nothing.
    #[arg(long)]
    dry_run: bool,
}

/// What a poll saw.
enum Seen {
    /// And the facts its `capture` read from the answer.
    Passed(String, Captured),
    Not(String),
    /// No answer: the request failed (connection, DNS, TLS, time-out).
    Unanswered(String),
}

pub fn cmd_wait(args: &WaitArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.release.as_deref())?;
    let release = super::load(&session, &name)?;
    let gates: Vec<&GateConfig> = args
        .gates
        .iter()
        .map(|g| {
            session
                .config
                .config
                .gates
                .iter()
                .find(|c| &c.name == g)
                .ok_or_else(|| {
                    let known: Vec<&str> = session
                        .config
                        .config
                        .gates
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    Failure::new(format!("there is no gate `{g}`"))
                        .hint(if known.is_empty() {
                            "define gates with [[gates]] in .release/config.toml".to_owned()
                        } else {
                            format!("the gates are: {}", known.join(", "))
                        })
                        .into()
                })
        })
        .collect::<Result<_>>()?;
    let prepared: Vec<(&GateConfig, Request, String, Secrets)> = gates
        .iter()
        .map(|g| {
            let (request, shown, secrets) = render_gate(&session, &release, g)?;
            Ok((*g, request, shown, secrets))
        })
        .collect::<Result<_>>()?;
    if args.dry_run {
        for (gate, request, shown, _) in &prepared {
            writeln!(
                out,
                "would poll gate {}: {} {shown}",
                gate.name, request.method
            )?;
        }
        return Ok(());
    }

    let http = Http::new(Duration::from_secs(30))?;
    let kept_secrets = super::hooks::config_secrets(&session);
    let started = Instant::now();
    let progress = if crate::output::quiet() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .expect("a valid progress template"),
    );
    progress.enable_steady_tick(Duration::from_millis(120));
    let mut last: Vec<Option<String>> = vec![None; prepared.len()];
    let mut passed = vec![false; prepared.len()];
    loop {
        for (i, (gate, request, shown, secrets)) in prepared.iter().enumerate() {
            if passed[i] {
                continue;
            }
            let remaining = args.timeout.saturating_sub(started.elapsed());
            match poll(
                &http,
                gate,
                request,
                shown,
                &secrets.and(&kept_secrets),
                remaining.max(Duration::from_millis(1)),
            ) {
                Seen::Passed(detail, captured) => {
                    passed[i] = true;
                    let source = format!("gate {}", gate.name);
                    progress.suspend(|| {
                        crate::say!("Gate {} passed: {detail}", gate.name);
                        super::hooks::warn_refused(&source, &captured);
                    });
                    record(&session, &name, &gate.name, true, detail)?;
                    super::hooks::record_facts(&session, &name, &source, &captured.facts)?;
                }
                Seen::Not(detail) => last[i] = Some(detail),
                // A poll that the deadline cut short says nothing about the gate; what the
                // service last answered says more.
                Seen::Unanswered(detail) => {
                    if last[i].is_none() || started.elapsed() < args.timeout {
                        last[i] = Some(detail);
                    }
                }
            }
        }
        let waiting: Vec<String> = prepared
            .iter()
            .zip(&passed)
            .zip(&last)
            .filter(|((_, p), _)| !**p)
            .map(|(((g, _, _, _), _), l)| format!("{}: {}", g.name, l.as_deref().unwrap_or("…")))
            .collect();
        if waiting.is_empty() {
            progress.finish_and_clear();
            return Ok(());
        }
        let elapsed = started.elapsed();
        progress.set_message(format!(
            "waiting {}s — {}",
            elapsed.as_secs(),
            waiting.join("; ")
        ));
        if elapsed >= args.timeout {
            progress.finish_and_clear();
            for (i, (gate, _, _, _)) in prepared.iter().enumerate() {
                if !passed[i] {
                    let detail = last[i].clone().unwrap_or_default();
                    record(
                        &session,
                        &name,
                        &gate.name,
                        false,
                        format!("timed out: {detail}"),
                    )?;
                }
            }
            return Err(Failure::gate(format!(
                "gave up after {}s: {}",
                args.timeout.as_secs(),
                waiting.join("; ")
            ))
            .hint("run `git release wait` again, or raise --timeout")
            .into());
        }
        std::thread::sleep(args.interval.min(args.timeout.saturating_sub(elapsed)));
    }
}

fn poll(
    http: &Http,
    gate: &GateConfig,
    request: &Request,
    shown_url: &str,
    secrets: &Secrets,
    timeout: Duration,
) -> Seen {
    let response = match http.send(request, shown_url, secrets, Some(timeout)) {
        Ok(r) => r,
        Err(e) => return Seen::Unanswered(e),
    };
    let status_ok = match &gate.expect_status {
        Some(rule) => rule.admits(response.status),
        None => (200..300).contains(&response.status),
    };
    if !status_ok {
        return Seen::Not(format!("HTTP {}", response.status));
    }
    let passed = |detail: String| Seen::Passed(detail, capture(&gate.capture, &response, secrets));
    let Some(check) = &gate.expect_json else {
        return passed(format!("HTTP {}", response.status));
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&response.body) else {
        return Seen::Not(format!(
            "HTTP {}, not JSON: {}",
            response.status,
            excerpt(&secrets.redact(&response.body), 80)
        ));
    };
    let expected = serde_json::to_value(&check.equals).unwrap_or(serde_json::Value::Null);
    // What the service answered may echo a secret; it is recorded, so redact it.
    let found = json
        .pointer(&check.pointer)
        .map(|v| (v == &expected, secrets.redact(&v.to_string())));
    match found {
        Some((true, found)) => passed(format!(
            "HTTP {}, {} = {found}",
            response.status, check.pointer
        )),
        Some((false, found)) => Seen::Not(format!(
            "{} = {found}, waiting for {expected}",
            check.pointer
        )),
        None => Seen::Not(format!("no {} in the answer", check.pointer)),
    }
}

fn render_gate(
    session: &Session,
    release: &Release,
    gate: &GateConfig,
) -> Result<(Request, String, Secrets)> {
    let template = super::hooks::RequestTemplate {
        method: &gate.method,
        url: &gate.url,
        headers: &gate.headers,
        body: gate.body.as_deref(),
    };
    let label = format!("gate {}", gate.name);
    let request = template.render(session, release, &label, None, false)?;
    let shown = template.render(session, release, &label, None, true)?;
    Ok((request, shown.url, template.secrets()))
}

fn record(session: &Session, name: &str, gate: &str, passed: bool, detail: String) -> Result<()> {
    let mut sink = std::io::sink();
    session.record_on(name, false, &With::default(), &mut sink, |_, _| {
        Ok(Some(EventKind::Gate {
            gate: gate.to_owned(),
            passed,
            detail: Some(detail.clone()),
        }))
    })?;
    Ok(())
}

/// Polls the gate called `gate` once for release `name` and records it when it passed;
/// returns what it saw (`ship` checks gates without waiting for them).
pub fn poll_once(session: &Session, name: &str, gate: &str) -> Result<(bool, String)> {
    let config = session
        .config
        .config
        .gates
        .iter()
        .find(|g| g.name == gate)
        .ok_or_else(|| Failure::new(format!("there is no gate `{gate}`")))?;
    let release = super::load(session, name)?;
    let (request, shown, secrets) = render_gate(session, &release, config)?;
    let http = Http::new(Duration::from_secs(30))?;
    match poll(
        &http,
        config,
        &request,
        &shown,
        &secrets.and(&super::hooks::config_secrets(session)),
        Duration::from_secs(30),
    ) {
        Seen::Passed(detail, captured) => {
            let source = format!("gate {gate}");
            super::hooks::warn_refused(&source, &captured);
            record(session, name, gate, true, detail.clone())?;
            super::hooks::record_facts(session, name, &source, &captured.facts)?;
            Ok((true, detail))
        }
        Seen::Not(detail) | Seen::Unanswered(detail) => Ok((false, detail)),
    }
}
