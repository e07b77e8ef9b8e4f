//! `git release wait`: poll HTTP gates until they pass, then record it.

use std::io::Write;
use std::time::{Duration, Instant};

use anyhow::Result;

use super::Session;
use crate::config::{GateConfig, GateKind};
use crate::error::Failure;
use crate::hooks::{Captured, Http, Request, Secrets, capture, env_value, excerpt, parse_duration};
use crate::release::{EventKind, Release};
use crate::services::{Check, circleci, registry};
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
    /// It ended and failed (a CircleCI workflow): waiting longer will not change it.
    Failed(String),
    /// The service refused the question (a wrong token, project or image).
    Refused(String),
}

impl From<Check> for Seen {
    fn from(check: Check) -> Seen {
        match check {
            Check::Passed(d) => Seen::Passed(d, Captured::default()),
            Check::Pending(d) => Seen::Not(d),
            Check::Unanswered(d) => Seen::Unanswered(d),
            Check::Failed(d) => Seen::Failed(d),
            Check::Refused(d) => Seen::Refused(d),
        }
    }
}

/// What a gate polls: its own request, or a service's state.
enum Target {
    Http(Request),
    Circleci(circleci::Pipeline),
    Registry(registry::Manifest),
}

impl Target {
    fn method(&self) -> &str {
        match self {
            Target::Http(request) => &request.method,
            Target::Circleci(_) => "GET",
            Target::Registry(_) => "HEAD",
        }
    }
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
                    let job = (session.config.config.jenkins.iter())
                        .flat_map(|j| &j.jobs)
                        .find(|j| j.wait && &j.name == g);
                    if let Some(job) = job {
                        return Failure::new(format!(
                            "gate `{g}` is the result of the Jenkins job, recorded when it runs (on {})",
                            job.on
                        ))
                        .hint("`git release hooks retry` builds it again after a failure")
                        .into();
                    }
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
    let prepared: Vec<(&GateConfig, Target, String, Secrets)> = gates
        .iter()
        .map(|g| {
            let (target, shown, secrets) = prepare(&session, &release, g)?;
            Ok((*g, target, shown, secrets))
        })
        .collect::<Result<_>>()?;
    if args.dry_run {
        for (gate, target, shown, _) in &prepared {
            writeln!(
                out,
                "would poll gate {}: {} {shown}",
                gate.name,
                target.method()
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
        for (i, (gate, target, shown, secrets)) in prepared.iter().enumerate() {
            if passed[i] {
                continue;
            }
            let remaining = args
                .timeout
                .saturating_sub(started.elapsed())
                .max(Duration::from_millis(1));
            let secrets = &secrets.and(&kept_secrets);
            match look(&http, gate, target, shown, secrets, remaining) {
                Seen::Failed(detail) => {
                    progress.finish_and_clear();
                    record(&session, &name, &gate.name, false, detail.clone())?;
                    return Err(
                        Failure::gate(format!("gate {} failed: {detail}", gate.name))
                            .hint(format!(
                                "fix it and run it again, then `git release wait {}`",
                                gate.name
                            ))
                            .into(),
                    );
                }
                Seen::Refused(detail) => {
                    progress.finish_and_clear();
                    return Err(Failure::new(format!("gate {}: {detail}", gate.name))
                        .hint("check the gate's settings in .release/config.toml and the token in the environment")
                        .into());
                }
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

/// A CircleCI or registry gate, its settings rendered and its secrets read from the
/// environment; with the URL it shows.
fn service_gate(
    session: &Session,
    release: &Release,
    gate: &GateConfig,
) -> Result<(Target, String, Secrets)> {
    let label = |field: &str| format!("gates.{}.{field}", gate.name);
    let needed = |value: &Option<String>, field: &str, example: &str| {
        value
            .clone()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                Failure::new(format!(
                    "gate {} ({:?}) needs `{field}`",
                    gate.name, gate.kind
                ))
                .hint(format!("add {field} = {example} to its [[gates]] entry"))
            })
    };
    let tag = match &gate.tag {
        Some(source) => {
            let context = crate::context::template_context(session, release, &[])?;
            let rendered = crate::render::Templates::load(&session.git)?.render_inline(
                &label("tag"),
                source,
                &context,
            )?;
            Some(rendered.trim().to_owned())
        }
        None => release.tag.clone(),
    };
    let base = |default: &str| {
        if gate.url.trim().is_empty() {
            default.to_owned()
        } else {
            gate.url.trim().to_owned()
        }
    };
    match gate.kind {
        GateKind::Circleci => {
            let token = gate
                .token
                .as_deref()
                .map(|t| env_value(&label("token"), t, true))
                .transpose()?;
            let pipeline = circleci::Pipeline {
                api: base(circleci::DEFAULT_API),
                project: needed(&gate.project, "project", "\"gh/acme/shop\"")?,
                token: token.clone(),
                branch: gate.branch.clone(),
                tag,
                revision: release.target.clone(),
                workflows: gate.workflows.clone(),
            };
            let shown = pipeline.pipelines_url();
            Ok((Target::Circleci(pipeline), shown, Secrets::of(token)))
        }
        GateKind::Registry => {
            let credentials = match (&gate.user, &gate.password) {
                (Some(user), Some(password)) => Some((
                    env_value(&label("user"), user, false)?,
                    env_value(&label("password"), password, true)?,
                )),
                (None, None) => None,
                _ => {
                    return Err(Failure::new(format!(
                        "gate {} has one of `user` and `password`; they go together",
                        gate.name
                    ))
                    .into());
                }
            };
            let secrets = Secrets::of(credentials.iter().map(|(_, p)| p.clone()));
            let manifest = registry::Manifest::new(
                base(registry::DEFAULT_REGISTRY),
                needed(&gate.image, "image", "\"acme/shop\"")?,
                tag.unwrap_or_else(|| release.name.clone()),
                credentials,
            );
            let shown = manifest.manifest_url();
            Ok((Target::Registry(manifest), shown, secrets))
        }
        GateKind::Http => unreachable!("an http gate is rendered by render_gate"),
    }
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
    let (target, shown, secrets) = prepare(session, &release, config)?;
    let http = Http::new(Duration::from_secs(30))?;
    let secrets = secrets.and(&super::hooks::config_secrets(session));
    match look(
        &http,
        config,
        &target,
        &shown,
        &secrets,
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
        Seen::Failed(detail) => {
            record(session, name, gate, false, detail.clone())?;
            Ok((false, detail))
        }
        Seen::Refused(detail) => Err(Failure::new(format!("gate {gate}: {detail}")).into()),
    }
}

/// A gate ready to poll: its request, or the service it asks.
fn prepare(
    session: &Session,
    release: &Release,
    gate: &GateConfig,
) -> Result<(Target, String, Secrets)> {
    match gate.kind {
        GateKind::Http => {
            let (request, shown, secrets) = render_gate(session, release, gate)?;
            Ok((Target::Http(request), shown, secrets))
        }
        _ => service_gate(session, release, gate),
    }
}

/// One look at a gate.
fn look(
    http: &Http,
    gate: &GateConfig,
    target: &Target,
    shown: &str,
    secrets: &Secrets,
    timeout: Duration,
) -> Seen {
    match target {
        Target::Http(request) => poll(http, gate, request, shown, secrets, timeout),
        Target::Circleci(pipeline) => pipeline.check(http, secrets, timeout).into(),
        Target::Registry(manifest) => manifest.check(http, secrets, timeout).into(),
    }
}
