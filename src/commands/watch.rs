//! `git release watch`: poll the monitors after a deployment and record their verdicts; a
//! failed monitor blocks the release.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use super::Session;
use crate::error::Failure;
use crate::hooks::parse_duration;
use crate::release::EventKind;
use crate::store::With;
use crate::watch::{Outcome, Window};

/// Watch the monitors ([[monitors]]: Sentry, Prometheus, Graphite) after a deployment to ENV
/// (default: the last environment), and record each verdict in the release.
///
/// Every monitor is polled every --interval for --for. One that fails (a spike, a new issue)
/// blocks the release with its evidence as the blocker, and the exit code is 3; the commits
/// of the release are listed with the `git release rollforward` command for each.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release watch production --for 30m --interval 1m
  git release watch stage --for 10m --monitor 5xx"#)]
pub struct WatchArgs {
    /// The environment that was deployed (default: the last one, production).
    env: Option<String>,
    /// How long to watch (30s, 30m, 2h; `[ship] watch` when unset, else 30m).
    #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
    length: Option<Duration>,
    /// Time between polls (500ms, 1m; `[ship] interval` when unset, else 1m).
    #[arg(long, value_parser = parse_duration)]
    interval: Option<Duration>,
    /// Only these monitors (default: all of them).
    #[arg(long = "monitor", value_name = "NAME")]
    monitors: Vec<String>,
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Show the requests; send and record nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn cmd_watch(args: &WatchArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.release.as_deref())?;
    let env = match &args.env {
        Some(env) => env.clone(),
        None => last_environment(&session)?,
    };
    session.environment(&env)?;
    let ship = &session.config.config.ship;
    let length = match args.length {
        Some(l) => l,
        None => configured(ship.watch.as_deref(), "30m"),
    };
    let interval = match args.interval {
        Some(i) => i,
        None => configured(ship.interval.as_deref(), "1m"),
    };
    let held = watch(
        &session,
        &name,
        &env,
        &args.monitors,
        length,
        interval,
        args.dry_run,
        out,
    )?;
    if held || args.dry_run {
        return Ok(());
    }
    Err(Failure::gate(format!("a monitor failed after release {name} reached {env}; the release is blocked"))
        .hint("roll the suspect commit forward (commands above), or `git release unblock monitor-<name>` if it was not the release")
        .into())
}

/// A duration from the config (checked when it was read), or `default`.
pub fn configured(text: Option<&str>, default: &str) -> Duration {
    text.and_then(|t| parse_duration(t).ok())
        .unwrap_or_else(|| parse_duration(default).expect("a valid default"))
}

/// The last environment of the config: production.
pub fn last_environment(session: &Session) -> Result<String> {
    session
        .config
        .config
        .environment_names()
        .pop()
        .ok_or_else(|| {
            Failure::new("no environment is defined")
                .hint("define environments with [[environments]] in .release/config.toml")
                .into()
        })
}

/// Watches `env` for release `name` and records the verdicts (and a blocker for each failed
/// monitor); prints them and, on a failure, what to do. Returns whether every monitor held.
#[allow(clippy::too_many_arguments)]
pub fn watch(
    session: &Session,
    name: &str,
    env: &str,
    only: &[String],
    length: Duration,
    interval: Duration,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<bool> {
    let release = super::load(session, name)?;
    let configured = &session.config.config.monitors;
    if configured.is_empty() {
        return Err(Failure::new("there are no monitors to watch")
            .hint("define them with [[monitors]] in .release/config.toml (see the README, \"Watch and ship\")")
            .into());
    }
    for wanted in only {
        if !configured.iter().any(|m| &m.name == wanted) {
            let known: Vec<&str> = configured.iter().map(|m| m.name.as_str()).collect();
            return Err(Failure::usage(format!("there is no monitor `{wanted}`"))
                .hint(format!("the monitors are: {}", known.join(", ")))
                .into());
        }
    }
    let chosen: Vec<_> = configured
        .iter()
        .filter(|m| only.is_empty() || only.contains(&m.name))
        .cloned()
        .collect();
    let Some(deployment) = release.last_deployment(env) else {
        return Err(Failure::gate(format!(
            "release {name} has not been deployed to {env}, so there is nothing to watch"
        ))
        .hint(format!("git release deploy {env}"))
        .into());
    };
    let window = Window {
        deployed: deployment.by.time,
        length,
        interval: interval.max(Duration::from_millis(10)),
    };
    let prepared = crate::watch::prepare(&chosen, &release)?;
    if dry_run {
        for p in &prepared {
            for url in crate::watch::describe(p, &window) {
                writeln!(
                    out,
                    "would poll monitor {} ({}): GET {url}",
                    p.config.name,
                    p.config.kind.name()
                )?;
            }
        }
        writeln!(
            out,
            "every {}s for {}s after the deployment to {env} of {}",
            window.interval.as_secs_f64(),
            length.as_secs_f64(),
            crate::commands::human_time(deployment.by.time)
        )?;
        return Ok(true);
    }
    crate::say!(
        "Watching {} on {env} for release {name}, {}s, every {}s",
        crate::output::count(prepared.len(), "monitor", "monitors"),
        length.as_secs_f64(),
        window.interval.as_secs_f64()
    );
    let outcomes = crate::watch::run(&prepared, &window)?;
    record(session, name, env, &outcomes)?;
    for o in &outcomes {
        let mark = if o.verdict.passed { "held  " } else { "FAILED" };
        writeln!(out, "{mark} {}: {}", o.monitor, o.verdict.detail)?;
    }
    let held = outcomes.iter().all(|o| o.verdict.passed);
    if !held {
        what_to_do(session, name, out)?;
    }
    Ok(held)
}

fn record(session: &Session, name: &str, env: &str, outcomes: &[Outcome]) -> Result<()> {
    let mut sink = std::io::sink();
    for o in outcomes {
        session.record_on(name, false, &With::default(), &mut sink, |_, _| {
            Ok(Some(EventKind::Monitor {
                monitor: o.monitor.clone(),
                env: env.to_owned(),
                passed: o.verdict.passed,
                detail: o.verdict.detail.clone(),
            }))
        })?;
        if !o.verdict.passed {
            session.record_on(name, false, &With::default(), &mut sink, |_, _| {
                Ok(Some(EventKind::Block {
                    id: blocker_id(&o.monitor),
                    title: Some(format!(
                        "monitor {} failed on {env}: {}",
                        o.monitor, o.verdict.detail
                    )),
                    url: None,
                }))
            })?;
        }
    }
    Ok(())
}

/// The blocker a failed monitor leaves: `monitor-5xx`.
pub fn blocker_id(monitor: &str) -> String {
    format!("monitor-{monitor}")
}

/// The release's commits since the previous release, each with the roll-forward command.
fn what_to_do(session: &Session, name: &str, out: &mut dyn Write) -> Result<()> {
    let release = super::load(session, name)?;
    let context = crate::context::template_context(session, &release, &[])?;
    let notes = &context.notes;
    match &notes.previous {
        Some(previous) => writeln!(
            out,
            "\nCommits of {name} since {previous}; roll a suspect one forward:"
        )?,
        None => writeln!(out, "\nCommits of {name}; roll a suspect one forward:")?,
    }
    let mut shown = 0;
    for entry in &notes.entries {
        for e in std::iter::once(entry).chain(entry.children.iter()) {
            if shown == 30 {
                writeln!(
                    out,
                    "  … and more: `git release notes {name}` lists them all"
                )?;
                return Ok(());
            }
            writeln!(
                out,
                "  git release rollforward {}   # {}",
                e.short, e.subject
            )?;
            shown += 1;
        }
    }
    if shown == 0 {
        writeln!(out, "  (none found)")?;
    }
    Ok(())
}
