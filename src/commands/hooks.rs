//! Hooks: requests sent after events (`[[hooks]]`, and those providers such as `[forge]` add),
//! the facts they keep, and `git release hooks list|retry`.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use super::Session;
use crate::config::HookConfig;
use crate::context::{EventView, template_context};
use crate::error::Failure;
use crate::hooks::{Captured, Http, Request, Secrets, capture, excerpt, expand_env_syntax};
use crate::release::{Event, EventKind, Release};
use crate::render::Templates;
use crate::services::ProviderHook;
use crate::store::With;

static DISABLED: AtomicBool = AtomicBool::new(false);

/// `--no-hooks`: record events, send nothing.
pub fn disable() {
    DISABLED.store(true, Ordering::Relaxed);
}

const HOOK_TIMEOUT: Duration = Duration::from_secs(30);

/// List the hooks, or send again the ones that failed.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release hooks list
  git release hooks retry"#)]
pub struct HooksArgs {
    #[command(subcommand)]
    action: HooksAction,
}

#[derive(clap::Subcommand, Debug)]
enum HooksAction {
    /// The configured hooks, and those that failed for the release.
    List {
        /// The release (default: the newest).
        #[arg(short, long = "release", value_name = "NAME")]
        release: Option<String>,
    },
    /// Send every failed hook of the release again, with the release as it is now.
    Retry {
        /// The release (default: the newest).
        #[arg(short, long = "release", value_name = "NAME")]
        release: Option<String>,
        /// Show the requests; send and record nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn cmd_hooks(args: &HooksArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    match &args.action {
        HooksAction::List { release } => {
            // Without -r, a repository with no release to show still lists its hooks.
            let selected = match release {
                Some(_) => Some(session.select(release.as_deref())?),
                None => session.select(None).ok(),
            };
            for hook in all_hooks(&session) {
                let what = match &hook {
                    Hook::Request { config, .. } => format!("{} {}", config.method, config.url),
                    Hook::Provider(p) => crate::services::describe(&session, p),
                };
                writeln!(out, "{:<24} on {:<16} {what}", hook.name(), hook.on())?;
            }
            if let Some(jenkins) = &session.config.config.jenkins {
                for job in &jenkins.jobs {
                    writeln!(
                        out,
                        "{:<24} on {:<16} POST {}{}/buildWithParameters{}",
                        job.hook_name(),
                        job.on,
                        jenkins.url.trim_end_matches('/'),
                        crate::services::jenkins::job_path(&job.name),
                        if job.wait { " (waits: gate)" } else { "" }
                    )?;
                }
            }
            if let Some(name) = selected {
                let release = super::load(&session, &name)?;
                for f in &release.failed_hooks {
                    writeln!(
                        out,
                        "failed on {name}: {} (event {}): {}",
                        f.hook, f.event, f.error
                    )?;
                }
            }
            Ok(())
        }
        HooksAction::Retry { release, dry_run } => {
            retry(&session, release.as_deref(), *dry_run, out)
        }
    }
}

fn retry(session: &Session, asked: Option<&str>, dry_run: bool, out: &mut dyn Write) -> Result<()> {
    let name = session.select(asked)?;
    let release = super::load(session, &name)?;
    if release.failed_hooks.is_empty() {
        crate::say!("No failed hooks on release {name}.");
        return Ok(());
    }
    let events = session.store().events(&name)?;
    let hooks = all_hooks(session);
    let mut still_failing = 0;
    let mut current = release.clone();
    for failed in &release.failed_hooks {
        let job = crate::services::jenkins::job_named(&session.config.config, &failed.hook);
        let found = hooks.iter().find(|h| h.name() == failed.hook);
        if found.is_none() && job.is_none() {
            crate::warn!(
                "warning: hook {} is no longer in the config; skipped",
                failed.hook
            );
            still_failing += 1;
            continue;
        }
        let Some(event) = events.iter().find(|e| e.id == failed.event) else {
            crate::warn!(
                "warning: event {} of hook {} is not in the release; skipped",
                failed.event,
                failed.hook
            );
            still_failing += 1;
            continue;
        };
        let outcome = match (job, found) {
            (Some(job), _) => crate::services::jenkins::send(session, &current, job, dry_run, out)?
                .map(|()| Vec::new()),
            (None, Some(hook)) => send(session, &current, event, hook, dry_run, out)?,
            (None, None) => unreachable!("skipped above"),
        };
        if dry_run {
            continue;
        }
        let kind = match outcome {
            Ok(facts) => {
                let source = format!("hook {}", failed.hook);
                if let Some(newer) = record_facts(session, &name, &source, &facts)? {
                    current = newer;
                }
                EventKind::HookOk {
                    hook: failed.hook.clone(),
                    event: failed.event.clone(),
                }
            }
            Err(error) => {
                still_failing += 1;
                EventKind::HookFailed {
                    hook: failed.hook.clone(),
                    event: failed.event.clone(),
                    error,
                }
            }
        };
        append_quietly(session, &name, kind)?;
    }
    if still_failing > 0 {
        return Err(Failure::new(format!(
            "{} still failing on release {name}",
            crate::output::count(still_failing, "hook", "hooks")
        ))
        .hint("`git release hooks list` shows why")
        .into());
    }
    Ok(())
}

/// Sends the hooks that `event` triggers, after it was recorded (or shows them for a dry
/// run). A failure is reported and recorded as a `hook-failed` event; it never undoes `event`.
pub fn fire(
    session: &Session,
    release: &Release,
    event: &Event,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let hooks: Vec<Hook> = all_hooks(session)
        .into_iter()
        .filter(|h| triggers(h.on(), &event.kind))
        .collect();
    let jobs: Vec<&crate::config::JenkinsJob> = (session.config.config.jenkins.iter())
        .flat_map(|j| &j.jobs)
        .filter(|j| triggers(&j.on, &event.kind))
        .collect();
    if hooks.is_empty() && jobs.is_empty() {
        return Ok(());
    }
    if DISABLED.load(Ordering::Relaxed) {
        let skipped = hooks.len() + jobs.len();
        crate::say!(
            "Skipped {}: --no-hooks",
            crate::output::count(skipped, "hook", "hooks")
        );
        return Ok(());
    }
    // A hook sees the facts the hooks before it captured (the bug filed, then its URL used).
    let mut current = release.clone();
    for hook in &hooks {
        let outcome = send(session, &current, event, hook, dry_run, out)?;
        if dry_run {
            continue;
        }
        match outcome {
            Ok(facts) => {
                let source = format!("hook {}", hook.name());
                if let Some(newer) = record_facts(session, &release.name, &source, &facts)? {
                    current = newer;
                }
            }
            Err(error) => {
                append_quietly(
                    session,
                    &release.name,
                    EventKind::HookFailed {
                        hook: hook.name(),
                        event: event.id.clone(),
                        error,
                    },
                )?;
            }
        }
    }
    for job in jobs {
        let outcome = crate::services::jenkins::send(session, &current, job, dry_run, out)?;
        if let (Err(error), false) = (outcome, dry_run) {
            append_quietly(
                session,
                &release.name,
                EventKind::HookFailed {
                    hook: job.hook_name(),
                    event: event.id.clone(),
                    error,
                },
            )?;
        }
    }
    Ok(())
}

/// A hook: a `[[hooks]]` entry, or one a provider (`[forge]`, `[bugzilla]` …) adds.
pub enum Hook<'a> {
    Request {
        index: usize,
        config: &'a HookConfig,
    },
    Provider(ProviderHook),
}

impl Hook<'_> {
    pub fn name(&self) -> String {
        match self {
            Hook::Request { index, config } => config.name(*index),
            Hook::Provider(p) => p.name.clone(),
        }
    }

    pub fn on(&self) -> &str {
        match self {
            Hook::Request { config, .. } => &config.on,
            Hook::Provider(p) => &p.on,
        }
    }
}

/// The config's hooks, then its providers' in the order of their sections.
pub fn all_hooks(session: &Session) -> Vec<Hook<'_>> {
    let config = &session.config.config;
    let mut hooks: Vec<Hook<'_>> = config
        .hooks
        .iter()
        .enumerate()
        .map(|(index, config)| Hook::Request { index, config })
        .collect();
    hooks.extend(
        crate::services::hooks(config)
            .into_iter()
            .map(Hook::Provider),
    );
    hooks
}

/// Sends one hook (or shows it, for a dry run); see `send_hook`.
fn send(
    session: &Session,
    release: &Release,
    event: &Event,
    hook: &Hook<'_>,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Result<Vec<(String, String)>, String>> {
    match hook {
        Hook::Request { index, config } => {
            send_hook(session, release, event, *index, config, dry_run, out)
        }
        Hook::Provider(p) => crate::services::run(session, release, event, p, dry_run, out),
    }
}

/// Records each fact a hook or gate (`source`: `hook bugzilla-file`) captured, one event each,
/// unless the release already holds that value; returns the release as it is after, if a fact
/// was recorded.
pub fn record_facts(
    session: &Session,
    name: &str,
    source: &str,
    facts: &[(String, String)],
) -> Result<Option<Release>> {
    let who = session.git.identity()?;
    let mut newest = None;
    for (fact, value) in facts {
        let appended = session
            .store()
            .append(&who, name, false, &With::default(), |release| {
                if release.facts.get(fact).is_some_and(|f| &f.value == value) {
                    return Ok(None);
                }
                Ok(Some(EventKind::Fact {
                    name: fact.clone(),
                    value: value.clone(),
                    source: Some(source.to_owned()),
                }))
            })?;
        if let Some(appended) = appended {
            crate::say!("Kept fact {fact} = {value} ({source})");
            newest = Some(appended.release);
        }
    }
    Ok(newest)
}

/// The values of every environment variable the config's requests use: none of them is ever
/// kept as a fact, whichever request it was sent with.
pub fn config_secrets(session: &Session) -> Secrets {
    let config = &session.config.config;
    let mut sources: Vec<&str> = Vec::new();
    for hook in &config.hooks {
        sources.push(&hook.url);
        sources.extend(hook.headers.values().map(String::as_str));
        sources.extend(hook.body.as_deref());
    }
    for gate in &config.gates {
        sources.push(&gate.url);
        sources.extend(gate.headers.values().map(String::as_str));
        sources.extend(gate.body.as_deref());
    }
    let providers = crate::services::secret_templates(config);
    sources.extend(providers.iter().map(String::as_str));
    Secrets::from_env(&sources)
}

/// Says what `capture` would not keep.
pub fn warn_refused(source: &str, captured: &Captured) {
    for why in &captured.refused {
        crate::warn!("warning: {source}: {why}");
    }
}

/// Renders and sends one hook, and reads the facts its `capture` names out of the answer.
/// The outer error is a problem of ours; the inner one is the hook's failure (a template
/// error, the network, a non-2xx answer), already redacted.
fn send_hook(
    session: &Session,
    release: &Release,
    event: &Event,
    index: usize,
    hook: &HookConfig,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Result<Vec<(String, String)>, String>> {
    let name = hook.name(index);
    let template = RequestTemplate {
        method: &hook.method,
        url: &hook.url,
        headers: &hook.headers,
        body: hook.body.as_deref(),
    };
    let secrets = template.secrets();
    let label = format!("hook {name}");
    let rendered = template
        .render(session, release, &label, Some(event), false)
        .and_then(|real| {
            Ok((
                real,
                template.render(session, release, &label, Some(event), true)?,
            ))
        });
    let (request, shown) = match rendered {
        Ok(pair) => pair,
        Err(e) => {
            let error = secrets.redact(&format!("{e:#}"));
            crate::warn!("warning: hook {name} was not sent: {error}");
            return Ok(Err(error));
        }
    };
    if dry_run {
        writeln!(
            out,
            "would send hook {name}: {} {}",
            shown.method, shown.url
        )?;
        for (k, v) in &shown.headers {
            writeln!(out, "  {k}: {v}")?;
        }
        if let Some(body) = &shown.body {
            writeln!(out, "  body: {body}")?;
        }
        for (fact, rule) in &hook.capture {
            writeln!(out, "  capture {fact} from {rule}")?;
        }
        return Ok(Ok(Vec::new()));
    }
    let http = Http::new(HOOK_TIMEOUT)?;
    let shown_url = &shown.url;
    let outcome = match http.send(&request, shown_url, &secrets, None) {
        Ok(response) if (200..300).contains(&response.status) => {
            crate::say!(
                "Hook {name}: {} {shown_url} → {}",
                request.method,
                response.status
            );
            let captured = capture(
                &hook.capture,
                &response,
                &config_secrets(session).and(&secrets),
            );
            warn_refused(&format!("hook {name}"), &captured);
            return Ok(Ok(captured.facts));
        }
        // Redact the whole answer before cutting it, so no part of a secret survives the cut.
        Ok(response) => format!(
            "{} {shown_url} answered {}: {}",
            request.method,
            response.status,
            excerpt(&secrets.redact(&response.body), 200)
        ),
        Err(error) => error,
    };
    crate::warn!("warning: hook {name} failed: {outcome}");
    crate::warn!("hint: it was recorded; `git release hooks retry` sends it again");
    Ok(Err(outcome))
}

/// A request written as templates in the config (a hook's or a gate's).
pub struct RequestTemplate<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a std::collections::BTreeMap<String, String>,
    pub body: Option<&'a str>,
}

#[derive(Serialize)]
struct RequestContext<'a> {
    #[serde(flatten)]
    base: &'a crate::context::TemplateContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<EventView>,
    env: std::collections::BTreeMap<String, String>,
}

impl RequestTemplate<'_> {
    fn sources(&self) -> Vec<&str> {
        let mut sources = vec![self.url];
        sources.extend(self.headers.values().map(String::as_str));
        sources.extend(self.body);
        sources
    }

    /// The values of the environment variables it uses, to redact.
    pub fn secrets(&self) -> Secrets {
        Secrets::from_env(&self.sources())
    }

    /// Renders it over the release (and, for a hook, the event that fired it); `label`
    /// (`hook jenkins-stage`) says where it is in errors. `masked` renders the copy that may be
    /// shown: every environment value is `***`.
    pub fn render(
        &self,
        session: &Session,
        release: &Release,
        label: &str,
        event: Option<&Event>,
        masked: bool,
    ) -> Result<Request> {
        let base = template_context(session, release, &[])?;
        let context = RequestContext {
            base: &base,
            event: event.map(EventView::of).transpose()?,
            env: {
                // The copy that may be printed has every secret replaced.
                let mut env = env_context(&self.sources())?;
                if masked {
                    env.values_mut().for_each(|v| *v = "***".into());
                }
                env
            },
        };
        let templates = Templates::load(&session.git)?;
        let render = |what: &str, source: &str| {
            templates.render_inline(
                &format!("{label}, {what}"),
                &expand_env_syntax(source),
                &context,
            )
        };
        let mut url = crate::hooks::render_url(
            &format!("{label}, url"),
            &expand_env_syntax(self.url),
            &context,
        )?
        .trim()
        .to_owned();
        if masked {
            // The mask as a URL writes it, shown as the mask.
            url = url.replace("%2A%2A%2A", "***");
        }
        Ok(Request {
            method: self.method.to_owned(),
            url,
            headers: self
                .headers
                .iter()
                .map(|(k, v)| Ok((k.clone(), render(&format!("header {k}"), v)?)))
                .collect::<Result<_>>()?,
            body: self.body.map(|b| render("body", b)).transpose()?,
        })
    }
}

/// Values of environment variables shorter than this are refused.
const MIN_SECRET_LENGTH: usize = 6;

/// The environment variables the templates use: missing ones, and ones too short to be
/// masked, are an error naming them.
pub fn env_context(sources: &[&str]) -> Result<std::collections::BTreeMap<String, String>> {
    let mut env = std::collections::BTreeMap::new();
    for name in crate::hooks::env_names(sources) {
        let value = std::env::var(&name).map_err(|_| {
            Failure::new(format!("the environment variable {name} is not set")).hint(format!(
                "export {name}=… (secrets come from the environment, never from the repository)"
            ))
        })?;
        // A short value garbles every text it is masked in, and the masks give it away.
        let length = value.chars().count();
        if length < MIN_SECRET_LENGTH {
            return Err(Failure::new(format!(
                "the environment variable {name} holds {}; a value used in a hook or gate needs \
                 at least {MIN_SECRET_LENGTH}",
                crate::output::count(length, "character", "characters")
            ))
            .hint(format!(
                "it is masked as a secret wherever it appears; give {name} a longer value"
            ))
            .into());
        }
        env.insert(name, value);
    }
    Ok(env)
}

/// Records an event without firing hooks (hook results must not trigger hooks).
fn append_quietly(session: &Session, name: &str, kind: EventKind) -> Result<()> {
    let who = session.git.identity()?;
    session
        .store()
        .append(&who, name, false, &With::default(), |_| {
            Ok(Some(kind.clone()))
        })?;
    Ok(())
}

/// Whether a hook's `on` (`deploy`, `deploy:stage`, `signoff:qa` …) matches an event.
fn triggers(on: &str, kind: &EventKind) -> bool {
    let (wanted, qualifier) = match on.split_once(':') {
        Some((k, q)) => (k, Some(q)),
        None => (on, None),
    };
    kind.hook_name() == Some(wanted) && qualifier.is_none_or(|q| kind.hook_qualifier() == Some(q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_match_events_and_qualifiers() {
        let deploy = EventKind::Deploy {
            env: "stage".into(),
            forced: false,
            reason: None,
            unmet: vec![],
        };
        assert!(triggers("deploy", &deploy));
        assert!(triggers("deploy:stage", &deploy));
        assert!(!triggers("deploy:production", &deploy));
        assert!(!triggers("signoff", &deploy));
        let failed = EventKind::HookFailed {
            hook: "x".into(),
            event: "y".into(),
            error: "z".into(),
        };
        assert!(!triggers("hook-failed", &failed));
        // Hooks name a start and a finish by the command, not by the event file's kind.
        let started = EventKind::Started {
            target: "a".repeat(40),
            previous: None,
            tag: None,
            from: None,
            picks: Vec::new(),
        };
        assert!(triggers("start", &started));
        assert!(!triggers("started", &started));
        assert!(!triggers("start:x", &started));
    }
}
