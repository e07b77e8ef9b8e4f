//! `git release ship`: continuous deployment. Starts or continues a release and advances it
//! one recorded step at a time as far as the policy allows; idempotent and resumable.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::error::Failure;
use crate::release::{Event, EventKind, Release};
use crate::store::With;

/// Ship: start a release when HEAD has commits no release contains (named as `start` names
/// it), or continue the newest unfinished one, and advance it as far as the policy allows,
/// recording each step: check its HTTP gates, deploy to each environment in order (firing
/// its hooks), watch the monitors after the last one for `[ship] watch`, and finish it.
///
/// It stops at the first unmet condition with one line saying what is missing. Exit code 3:
/// waiting on a person (a sign-off, a checklist, a manual deployment, a freeze); 1: a
/// failure (a gate, a monitor). Running it again resumes from what is recorded. When
/// another run advances the same release meanwhile, this one stops with exit code 0.
///
/// Policy is `[ship]` in .release/config.toml: `manual` lists environments a person deploys;
/// `watch` how long to watch monitors after production; `git release freeze` stops it.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release sync && git release ship; git release sync
  git release ship --dry-run"#)]
pub struct ShipArgs {
    /// Show the plan; write and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// How long to watch the monitors (overrides `[ship] watch`).
    #[arg(long = "watch", value_name = "DURATION", value_parser = crate::hooks::parse_duration)]
    watch: Option<std::time::Duration>,
    /// Time between monitor polls (overrides `[ship] interval`).
    #[arg(long, value_parser = crate::hooks::parse_duration)]
    interval: Option<std::time::Duration>,
}

/// Another run wrote to the release between this run's reading and writing.
#[derive(Debug)]
struct AnotherRun(String);

impl std::fmt::Display for AnotherRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "another run is advancing {}", self.0)
    }
}

impl std::error::Error for AnotherRun {}

/// What the release needs next.
enum Step {
    /// Poll these HTTP gates before deploying to the environment.
    Gates(String, Vec<String>),
    Deploy(String),
    Watch(String),
    Finish,
    /// Waiting on a person: exit 3.
    Human(String, Vec<String>),
    /// Something failed: exit 1.
    Failed(String, Vec<String>),
}

pub fn cmd_ship(args: &ShipArgs, out: &mut dyn Write) -> Result<()> {
    match ship(args, out) {
        Err(e) if e.downcast_ref::<AnotherRun>().is_some() => {
            writeln!(
                out,
                "{}; leaving it to that run",
                e.downcast_ref::<AnotherRun>()
                    .map(ToString::to_string)
                    .unwrap_or_default()
            )?;
            Ok(())
        }
        Err(e) if e.downcast_ref::<super::start::NameTaken>().is_some() => {
            let name = e
                .downcast_ref::<super::start::NameTaken>()
                .map(|n| n.0.clone())
                .unwrap_or_default();
            writeln!(
                out,
                "another run is advancing {name}; leaving it to that run"
            )?;
            Ok(())
        }
        other => other,
    }
}

fn ship(args: &ShipArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    if session.config.config.environments.is_empty() {
        return Err(Failure::new("there are no environments to ship to")
            .hint("define them with [[environments]] in .release/config.toml")
            .into());
    }
    if let Some(frozen) = frozen(&session)? {
        return Err(Failure::gate(frozen)
            .hint("`git release unfreeze` lifts the freeze")
            .into());
    }
    let name = match release_to_advance(&session, args.dry_run, out)? {
        Some(name) => name,
        None => return Ok(()),
    };
    let mut release = super::load(&session, &name)?;
    if args.dry_run {
        return plan(&session, args, &release, out);
    }
    let mut expected = release.events;
    loop {
        release = super::load(&session, &name)?;
        if release.events != expected {
            return Err(AnotherRun(name).into());
        }
        let step = next_step(&session, &release)?;
        match step {
            Step::Gates(env, gates) => {
                for gate in &gates {
                    let (passed, detail) = super::wait::poll_once(&session, &name, gate)?;
                    if !passed {
                        return Err(Failure::new(format!(
                            "release {name} waits for gate `{gate}` before {env}: {detail}"
                        ))
                        .hint(format!(
                            "run `git release ship` again later, or `git release wait {gate}`"
                        ))
                        .into());
                    }
                    writeln!(out, "gate {gate} passed: {detail}")?;
                    expected = settle(&session, &name, expected + 1)?;
                }
            }
            Step::Deploy(env) => {
                let checklist = session.checklist(&release)?;
                let appended =
                    session.record_on(&name, false, &With::default(), out, |name, current| {
                        if current.events != expected {
                            return Err(AnotherRun(name.to_owned()).into());
                        }
                        let unmet = session.gate(current, &env, &checklist)?;
                        if !unmet.is_empty() {
                            return Err(Failure::gate(format!(
                                "the gate of {env} closed meanwhile: {}",
                                unmet[0].reason
                            ))
                            .into());
                        }
                        Ok(Some(EventKind::Deploy {
                            env: env.clone(),
                            forced: false,
                            reason: None,
                            unmet: Vec::new(),
                        }))
                    })?;
                writeln!(out, "deployed {name} to {env}")?;
                expected = settle(
                    &session,
                    &name,
                    appended.map_or(expected, |a| a.release.events),
                )?;
            }
            Step::Watch(env) => {
                let ship = &session.config.config.ship;
                let length = args
                    .watch
                    .unwrap_or_else(|| super::watch::configured(ship.watch.as_deref(), "30m"));
                let interval = args
                    .interval
                    .unwrap_or_else(|| super::watch::configured(ship.interval.as_deref(), "1m"));
                let before = super::load(&session, &name)?.events;
                let held =
                    super::watch::watch(&session, &name, &env, &[], length, interval, false, out)?;
                let written = super::load(&session, &name)?.events - before;
                expected += written;
                if !held {
                    return Err(Failure::new(format!(
                        "a monitor failed after {name} reached {env}; the release is blocked and ship stops"
                    ))
                    .hint("roll the suspect commit forward (commands above)")
                    .into());
                }
            }
            Step::Finish => {
                session.record_on(&name, false, &With::default(), out, |name, current| {
                    if current.events != expected {
                        return Err(AnotherRun(name.to_owned()).into());
                    }
                    Ok(Some(EventKind::Finished {
                        note: Some("shipped by git release ship".into()),
                    }))
                })?;
                let last = super::watch::last_environment(&session)?;
                writeln!(out, "release {name} is on {last}; finished")?;
                return Ok(());
            }
            Step::Human(line, hints) => return Err(stop(Failure::gate(line), hints)),
            Step::Failed(line, hints) => return Err(stop(Failure::new(line), hints)),
        }
    }
}

/// The release's event count after a step of this run that left `ours` events: the results
/// of the hooks it fired (`hook-failed`) may follow them; any other event is another
/// writer's.
fn settle(session: &Session, name: &str, ours: u64) -> Result<u64> {
    let now = super::load(session, name)?.events;
    if now == ours {
        return Ok(now);
    }
    let mut events = session.store().events(name)?;
    crate::release::state::sort(&mut events);
    let extra = usize::try_from(now.saturating_sub(ours)).unwrap_or(usize::MAX);
    let hook_results = now > ours
        && events.iter().rev().take(extra).all(|e| {
            matches!(
                e.kind,
                EventKind::HookFailed { .. } | EventKind::HookOk { .. }
            )
        });
    if hook_results {
        Ok(now)
    } else {
        Err(AnotherRun(name.to_owned()).into())
    }
}

fn stop(mut failure: Failure, hints: Vec<String>) -> anyhow::Error {
    for hint in hints {
        failure = failure.hint(hint);
    }
    failure.into()
}

/// Why ship may not run, when the newest release carries a freeze.
fn frozen(session: &Session) -> Result<Option<String>> {
    let Ok(newest) = super::freeze::newest(session, None) else {
        return Ok(None);
    };
    let release = super::load(session, &newest)?;
    Ok(release.frozen.map(|f| {
        format!(
            "shipping is frozen since {} by {}: {}",
            super::human_time(f.time),
            f.actor(),
            f.note.unwrap_or_default()
        )
    }))
}

/// The newest unfinished release, else a new one at HEAD when HEAD has commits no release
/// contains; `None` when there is nothing to ship.
fn release_to_advance(
    session: &Session,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Option<String>> {
    let store = session.store();
    let names = super::newest_first(session.format(), store.names()?);
    for name in &names {
        if store.load(name)?.is_some_and(|r| r.finished.is_none()) {
            return Ok(Some(name.clone()));
        }
    }
    let head = session.git.resolve_commit("HEAD")?.ok_or_else(|| {
        Failure::new("this repository has no commits yet, so there is nothing to ship")
    })?;
    if let Some(newest) = names.first() {
        let release = super::load(session, newest)?;
        if let Ok(target) = release.target.parse::<crate::git::Oid>()
            && (target == head || session.git.is_ancestor(head, target)?)
        {
            writeln!(out, "nothing to ship: HEAD is in release {newest}")?;
            return Ok(None);
        }
    }
    if dry_run {
        writeln!(
            out,
            "would start a release at {} (HEAD), named as `git release start` names it",
            session.git.short(head)
        )?;
        return Ok(None);
    }
    let mut printed = Vec::new();
    super::start::start_head(names.len(), &mut printed)?;
    let name = String::from_utf8_lossy(&printed).trim().to_owned();
    writeln!(out, "started release {name}")?;
    Ok(Some(name))
}

/// What `release` needs next under the policy.
fn next_step(session: &Session, release: &Release) -> Result<Step> {
    let config = &session.config.config;
    let name = &release.name;
    if let Some(f) = &release.frozen {
        return Ok(Step::Human(
            format!(
                "release {name} is frozen: {}",
                f.note.clone().unwrap_or_default()
            ),
            vec!["`git release unfreeze` lifts the freeze".into()],
        ));
    }
    if let Some(failed) = release.failed_hooks.first() {
        return Ok(Step::Failed(
            format!(
                "release {name}: hook {} failed ({}); what it was to do may not have happened",
                failed.hook, failed.error
            ),
            vec!["`git release hooks retry`, then ship again".into()],
        ));
    }
    let checklist = session.checklist(release)?;
    for env in &config.environments {
        if release.deployed_to(&env.name) {
            continue;
        }
        if config.ship.manual.contains(&env.name) {
            return Ok(Step::Human(
                format!(
                    "release {name} waits for a person to deploy it to {} ([ship] manual)",
                    env.name
                ),
                vec![format!("git release deploy {}", env.name)],
            ));
        }
        let pending: Vec<String> = env
            .requires
            .gates
            .iter()
            .filter(|g| !release.gates.get(*g).is_some_and(|r| r.passed))
            .cloned()
            .collect();
        if !pending.is_empty() {
            return Ok(Step::Gates(env.name.clone(), pending));
        }
        let unmet = session.gate(release, &env.name, &checklist)?;
        if unmet.is_empty() {
            return Ok(Step::Deploy(env.name.clone()));
        }
        let reasons: Vec<&str> = unmet.iter().map(|u| u.reason.as_str()).collect();
        return Ok(Step::Human(
            format!(
                "release {name} waits before {}: {}",
                env.name,
                reasons.join("; ")
            ),
            unmet.iter().map(|u| format!("run: {}", u.hint)).collect(),
        ));
    }
    let last = super::watch::last_environment(session)?;
    let failed: Vec<String> = release
        .monitors
        .iter()
        .filter(|v| !v.passed && release.verdict_since_deploy(&v.monitor, &last).is_some())
        .map(|v| format!("{}: {}", v.monitor, v.detail))
        .collect();
    if !failed.is_empty() {
        return Ok(Step::Failed(
            format!(
                "release {name} failed its monitors on {last}: {}",
                failed.join("; ")
            ),
            vec![
                "roll forward (`git release watch` printed the commands), then ship the fix".into(),
            ],
        ));
    }
    if config.ship.watch.is_some()
        && !config.monitors.is_empty()
        && config
            .monitors
            .iter()
            .any(|m| release.verdict_since_deploy(&m.name, &last).is_none())
    {
        return Ok(Step::Watch(last));
    }
    if !release.blockers.is_empty() {
        let ids: Vec<&str> = release.blockers.keys().map(String::as_str).collect();
        return Ok(Step::Human(
            format!(
                "release {name} is on {last} but blocked by {}",
                ids.join(", ")
            ),
            vec![format!("git release unblock {}", ids[0])],
        ));
    }
    Ok(Step::Finish)
}

/// `--dry-run`: the steps this run would take, on a copy of the release.
fn plan(session: &Session, args: &ShipArgs, release: &Release, out: &mut dyn Write) -> Result<()> {
    let mut sim = release.clone();
    let who = session.git.identity()?.actor();
    let name = &release.name;
    writeln!(out, "release {name}:")?;
    for _ in 0..64 {
        let step = next_step(session, &sim)?;
        let kind = match step {
            Step::Gates(env, gates) => {
                writeln!(
                    out,
                    "  would poll {} {} before {env}; ship stops if one has not passed",
                    if gates.len() == 1 { "gate" } else { "gates" },
                    gates.join(", ")
                )?;
                for gate in gates {
                    sim.gates.insert(
                        gate,
                        crate::release::state::GateResult {
                            passed: true,
                            detail: None,
                            by: crate::release::state::Stamp {
                                name: who.name.clone(),
                                email: who.email.clone(),
                                time: chrono::Utc::now(),
                                note: None,
                            },
                        },
                    );
                }
                continue;
            }
            Step::Deploy(env) => {
                writeln!(out, "  would deploy to {env} (and fire its hooks)")?;
                EventKind::Deploy {
                    env,
                    forced: false,
                    reason: None,
                    unmet: Vec::new(),
                }
            }
            Step::Watch(env) => {
                let length = args.watch.unwrap_or_else(|| {
                    super::watch::configured(session.config.config.ship.watch.as_deref(), "30m")
                });
                let monitors: Vec<&str> = session
                    .config
                    .config
                    .monitors
                    .iter()
                    .map(|m| m.name.as_str())
                    .collect();
                writeln!(
                    out,
                    "  would watch {} on {env} for {}s; a failure blocks the release",
                    monitors.join(", "),
                    length.as_secs_f64()
                )?;
                for m in monitors {
                    sim.apply(&Event::new(
                        "0".into(),
                        chrono::Utc::now(),
                        who.clone(),
                        EventKind::Monitor {
                            monitor: m.to_owned(),
                            env: env.clone(),
                            passed: true,
                            detail: String::new(),
                        },
                    ));
                }
                continue;
            }
            Step::Finish => {
                writeln!(out, "  would finish the release")?;
                return Ok(());
            }
            Step::Human(line, hints) | Step::Failed(line, hints) => {
                writeln!(out, "  would stop: {line}")?;
                for h in hints {
                    writeln!(out, "    {h}")?;
                }
                return Ok(());
            }
        };
        sim.apply(&Event::new(
            "0".into(),
            chrono::Utc::now(),
            who.clone(),
            kind,
        ));
    }
    Ok(())
}
