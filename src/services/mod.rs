//! The team's services, one module per external system: each shapes its requests as the
//! service's documented API and reads its answers, over the one HTTP client of `crate::hooks`.
//!
//! A provider (`[forge]`, `[bugzilla]`, `[etherpad]`) is a named bundle of hooks: it expands
//! into `ProviderHook`s that fire on events like `[[hooks]]` entries, are listed, dry-run,
//! recorded as `hook-failed` and retried the same way, and keep what the service answered as
//! facts.

pub mod bugzilla;
pub mod circleci;
pub mod etherpad;
pub mod forge;
pub mod jenkins;
pub mod mail;
pub mod registry;

use std::io::Write;
use std::time::Duration;

use anyhow::Result;
use serde_json::Value;

use crate::config::{Config, Publish};
use crate::context::{EventView, next_pad, template_context};
use crate::error::Failure;
use crate::hooks::{Http, Request, Response, Secrets, excerpt, expand_env_syntax};
use crate::release::gate::Unmet;
use crate::release::{Event, Release};
use crate::render::Templates;
use crate::session::Session;

const TIMEOUT: Duration = Duration::from_secs(30);

/// A monitor's GET: JSON accepted, the token (if any) as a bearer. Only the transport can fail
/// here; what the answer means is the caller's to read.
pub fn get_json(
    http: &Http,
    url: &str,
    token: Option<&str>,
    secrets: &Secrets,
) -> Result<Response, String> {
    let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
    if let Some(token) = token {
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    let request = Request {
        method: "GET".into(),
        url: url.to_owned(),
        headers,
        body: None,
    };
    http.send(&request, url, secrets, None)
}

/// One of a service's requests as `--dry-run` shows it (secrets as `***`), and when it is sent.
pub struct Planned {
    pub request: Request,
    pub when: &'static str,
}

impl Planned {
    pub fn new(request: Request, when: &'static str) -> Planned {
        Planned { request, when }
    }
}

/// A service as the other side of a conversation: its name in messages, the client, the
/// secrets to mask, and how its error answers say what went wrong.
pub struct Service<'a> {
    pub name: &'static str,
    pub http: &'a Http,
    pub secrets: &'a Secrets,
    /// What an error answer says, from its JSON.
    pub said: fn(&Value) -> Option<String>,
}

impl Service<'_> {
    /// Sends `request` and returns whatever it answered; only the transport can fail here.
    pub fn exchange(&self, request: &Request) -> Result<Response, String> {
        let shown = self.secrets.redact(&request.url);
        self.http
            .send(request, &shown, self.secrets, None)
            .map_err(|e| format!("{}: {e}", self.name))
    }

    /// Sends `request` and reads its 2xx JSON answer; any other answer is an error naming the
    /// service and what it said.
    pub fn json(&self, request: &Request) -> Result<Value, String> {
        let response = self.exchange(request)?;
        if !(200..300).contains(&response.status) {
            return Err(self.refused(request, &response));
        }
        self.parse(request, &response)
    }

    /// The JSON of an answer; an error answer in a 2xx (Bugzilla's `"error": true`) is one.
    pub fn parse(&self, request: &Request, response: &Response) -> Result<Value, String> {
        // Read as it came, so a value holding a secret is refused when kept, not kept masked;
        // only what is said in an error is masked.
        let value: Value = serde_json::from_str(&response.body).map_err(|_| {
            let body = self.secrets.redact(&response.body);
            format!(
                "{} answered {} to {} {} with something that is not JSON: {}",
                self.name,
                response.status,
                request.method,
                self.secrets.redact(&request.url),
                excerpt(&body, 200)
            )
        })?;
        if value.get("error").and_then(Value::as_bool) == Some(true) {
            return Err(self.refused(request, response));
        }
        Ok(value)
    }

    /// `Bugzilla answered 400 to POST https://…/rest/bug: …`, secrets masked before anything
    /// is cut.
    pub fn refused(&self, request: &Request, response: &Response) -> String {
        let body = self.secrets.redact(&response.body);
        let said = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| (self.said)(&v))
            .unwrap_or_else(|| body.clone());
        format!(
            "{} answered {} to {} {}: {}",
            self.name,
            response.status,
            request.method,
            self.secrets.redact(&request.url),
            excerpt(&said, 300)
        )
    }
}

/// What a provider's hook does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Create or update the forge's release object for the tag.
    ForgePublish,
    /// File the deployment-request bug.
    BugzillaFile,
    /// Comment on the deployment-request bug about the event.
    BugzillaComment,
    /// Create the next push's pad.
    EtherpadPad,
}

/// A hook a provider adds: fires on `on` like a `[[hooks]]` entry, and is called `name` by
/// `hooks list`, `hooks retry` and `hook-failed` events.
#[derive(Clone, Debug)]
pub struct ProviderHook {
    pub name: String,
    pub on: String,
    pub action: Action,
}

/// Every hook the config's providers add.
pub fn hooks(config: &Config) -> Vec<ProviderHook> {
    let mut hooks = Vec::new();
    let hook = |name: String, on: &str, action| ProviderHook {
        name,
        on: on.to_owned(),
        action,
    };
    if let Some(forge) = &config.forge {
        let on = match forge.publish {
            Publish::Start => Some("start"),
            Publish::Finish => Some("finish"),
            Publish::Never => None,
        };
        hooks.extend(on.map(|on| hook("forge-release".into(), on, Action::ForgePublish)));
    }
    if let Some(bugzilla) = &config.bugzilla {
        hooks.push(hook(
            "bugzilla-file".into(),
            &bugzilla.file_on,
            Action::BugzillaFile,
        ));
        for on in &bugzilla.comment_on {
            hooks.push(hook(
                format!("bugzilla-comment-{}", on.replace(':', "-")),
                on,
                Action::BugzillaComment,
            ));
        }
    }
    if config.etherpad.is_some() {
        hooks.push(hook("etherpad-pad".into(), "finish", Action::EtherpadPad));
    }
    hooks
}

/// The templates of the providers' secrets (`${BUGZILLA_API_KEY}` …), so that no fact ever
/// keeps one.
pub fn secret_templates(config: &Config) -> Vec<String> {
    let mut templates = Vec::new();
    if let Some(forge) = &config.forge {
        match (&forge.token, forge.kind) {
            (Some(token), _) => templates.push(token.clone()),
            (None, Some(kind)) => templates.push(kind.default_token().to_owned()),
            (None, None) => templates.extend(
                [
                    crate::config::ForgeKind::Github,
                    crate::config::ForgeKind::Gitlab,
                    crate::config::ForgeKind::Gitea,
                ]
                .map(|k| k.default_token().to_owned()),
            ),
        }
    }
    if let Some(bugzilla) = &config.bugzilla {
        templates.push(bugzilla.api_key.clone());
    }
    if let Some(etherpad) = &config.etherpad {
        templates.push(etherpad.api_key.clone());
    }
    if let Some(jenkins) = &config.jenkins {
        templates.push(jenkins.token.clone());
    }
    for gate in &config.gates {
        templates.extend(gate.token.iter().chain(&gate.password).cloned());
    }
    templates.extend(config.mail.smtp_password.iter().cloned());
    templates
}

/// The value of a secret written as a template (`${BUGZILLA_API_KEY}`), from the environment.
fn secret(template: &str) -> Result<(String, Secrets)> {
    let env = crate::commands::hooks::env_context(&[template])?;
    let text = minijinja::Environment::new()
        .render_str(&expand_env_syntax(template), minijinja::context! { env })
        .map_err(|e| Failure::new(format!("`{template}`: {e}")))?;
    Ok((text, Secrets::from_env(&[template])))
}

/// What `hooks list` says a provider's hook sends.
pub fn describe(session: &Session, hook: &ProviderHook) -> String {
    let config = &session.config.config;
    match hook.action {
        Action::ForgePublish => {
            let remote = session
                .git
                .remote_url(&config.release.remote)
                .ok()
                .flatten();
            match config
                .forge
                .as_ref()
                .map(|f| forge::locate(f, remote.as_deref()))
            {
                Some(Ok((kind, api, repo))) => format!(
                    "{} release of the tag: {api} {repo} (POST, or PATCH/PUT when it exists)",
                    kind.label()
                ),
                Some(Err(why)) => why,
                None => String::new(),
            }
        }
        Action::BugzillaFile => config.bugzilla.as_ref().map_or_else(String::new, |b| {
            format!("POST {}/rest/bug (the deployment request)", trim(&b.url))
        }),
        Action::BugzillaComment => config.bugzilla.as_ref().map_or_else(String::new, |b| {
            format!("POST {}/rest/bug/<bug>/comment", trim(&b.url))
        }),
        Action::EtherpadPad => config.etherpad.as_ref().map_or_else(String::new, |e| {
            format!(
                "POST {}/api/{}/createPad (then setText if it exists)",
                trim(&e.url),
                etherpad::API_VERSION
            )
        }),
    }
}

/// How long one request of a provider's hook may take: its section's `timeout` (checked when
/// the config is read), or 30 seconds.
fn timeout(config: &Config, action: Action) -> Duration {
    let text = match action {
        Action::ForgePublish => config.forge.as_ref().and_then(|f| f.timeout.as_ref()),
        Action::BugzillaFile | Action::BugzillaComment => {
            config.bugzilla.as_ref().and_then(|b| b.timeout.as_ref())
        }
        Action::EtherpadPad => config.etherpad.as_ref().and_then(|e| e.timeout.as_ref()),
    };
    text.and_then(|t| crate::hooks::parse_duration(t).ok())
        .unwrap_or(TIMEOUT)
}

fn trim(url: &str) -> &str {
    url.trim_end_matches('/')
}

/// Runs a provider's hook for `event` (or prints its requests, for a dry run). The outer
/// error is a problem of ours; the inner one is the hook's failure, already redacted; the
/// facts are what it kept.
pub fn run(
    session: &Session,
    release: &Release,
    event: &Event,
    hook: &ProviderHook,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Result<Vec<(String, String)>, String>> {
    let config = &session.config.config;
    let mut all: Vec<&str> = Vec::new();
    let templates = secret_templates(config);
    all.extend(templates.iter().map(String::as_str));
    let masking = Secrets::from_env(&all);
    let outcome = match prepare(session, release, event, hook) {
        Ok(prepared) if dry_run => {
            for planned in prepared.plan() {
                let r = &planned.request;
                writeln!(
                    out,
                    "would send hook {}: {} {} ({})",
                    hook.name,
                    r.method,
                    masking.redact(&r.url),
                    planned.when
                )?;
                for (k, v) in &r.headers {
                    writeln!(out, "  {k}: {}", masking.redact(v))?;
                }
                if let Some(body) = &r.body {
                    // The mask as a form or a URL encodes it, shown as the mask.
                    let body = masking.redact(body).replace("%2A%2A%2A", "***");
                    writeln!(out, "  body: {body}")?;
                }
            }
            return Ok(Ok(Vec::new()));
        }
        Ok(prepared) => {
            let http = Http::new(timeout(config, hook.action))?;
            prepared.send(&http, &masking)
        }
        Err(e) => Err(format!("{e:#}")),
    };
    // What a service answered is vetted as a hook's `capture` is: no secret, no giant.
    let outcome = outcome.map_err(|e| masking.redact(&e)).map(|facts| {
        let all = crate::commands::hooks::config_secrets(session).and(&masking);
        let vetted = crate::hooks::vet(facts.into_iter().map(|(n, v)| (n, Ok(v))), &all);
        crate::commands::hooks::warn_refused(&format!("hook {}", hook.name), &vetted);
        vetted.facts
    });
    match &outcome {
        Ok(_) => crate::say!("Hook {}: done", hook.name),
        Err(error) => {
            crate::warn!("warning: hook {} failed: {error}", hook.name);
            crate::warn!("hint: it was recorded; `git release hooks retry` sends it again");
        }
    }
    Ok(outcome)
}

/// A provider's hook with everything it sends rendered.
enum Prepared {
    Forge {
        forge: forge::Forge,
        shown: forge::Forge,
        tag: String,
        title: String,
        notes: String,
        target: String,
        secrets: Secrets,
    },
    BugFile {
        bugzilla: bugzilla::Bugzilla,
        shown: bugzilla::Bugzilla,
        bug: bugzilla::NewBug,
        secrets: Secrets,
    },
    /// The bug was filed already (its fact is there): filing again would make a second.
    BugFiled(String),
    BugComment {
        bugzilla: bugzilla::Bugzilla,
        shown: bugzilla::Bugzilla,
        id: String,
        text: String,
        secrets: Secrets,
    },
    Pad {
        etherpad: etherpad::Etherpad,
        shown: etherpad::Etherpad,
        pad: String,
        text: String,
        secrets: Secrets,
    },
}

fn prepare(
    session: &Session,
    release: &Release,
    event: &Event,
    hook: &ProviderHook,
) -> Result<Prepared> {
    let config = &session.config.config;
    let templates = Templates::load(&session.git)?;
    let label = format!("hook {}", hook.name);
    match hook.action {
        Action::ForgePublish => {
            let cfg = config
                .forge
                .as_ref()
                .ok_or_else(|| Failure::new("[forge] is not configured"))?;
            let remote = session.git.remote_url(&config.release.remote)?;
            let (kind, api, repo) = forge::locate(cfg, remote.as_deref()).map_err(Failure::new)?;
            let tag = release.tag.clone().ok_or_else(|| {
                Failure::new(format!(
                    "release {} has no tag, and a forge's release belongs to one",
                    release.name
                ))
            })?;
            let token_template = cfg
                .token
                .clone()
                .unwrap_or_else(|| kind.default_token().to_owned());
            let (token, secrets) = secret(&token_template)?;
            let context = template_context(session, release, &[])?;
            let notes = templates.render("release-notes", &context)?;
            let make = |token: String| forge::Forge {
                kind,
                api: api.clone(),
                repo: repo.clone(),
                token,
            };
            Ok(Prepared::Forge {
                forge: make(token),
                shown: make("***".into()),
                tag,
                title: release.name.clone(),
                notes,
                target: release.target.clone(),
                secrets,
            })
        }
        Action::BugzillaFile | Action::BugzillaComment => {
            let cfg = config
                .bugzilla
                .as_ref()
                .ok_or_else(|| Failure::new("[bugzilla] is not configured"))?;
            let (key, secrets) = secret(&cfg.api_key)?;
            let make = |key: String| bugzilla::Bugzilla {
                url: trim(&cfg.url).to_owned(),
                key,
            };
            let known = release.facts.get("bug").map(|f| f.value.clone());
            if hook.action == Action::BugzillaFile {
                if let Some(id) = known {
                    return Ok(Prepared::BugFiled(id));
                }
                let context = template_context(session, release, &[])?;
                let summary = templates.render_inline(
                    &format!("{label}, summary"),
                    &cfg.summary,
                    &context,
                )?;
                let description = templates.render("deployment-request", &context)?;
                let mut cc: Vec<String> = cfg
                    .cc_role
                    .as_ref()
                    .and_then(|r| config.roles.get(r))
                    .map(|r| {
                        r.members
                            .iter()
                            .filter(|m| !m.contains('*'))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                cc.extend(cfg.cc.iter().cloned());
                cc.dedup();
                return Ok(Prepared::BugFile {
                    bugzilla: make(key),
                    shown: make("***".into()),
                    bug: bugzilla::NewBug {
                        product: cfg.product.clone(),
                        component: cfg.component.clone(),
                        version: cfg.version.clone(),
                        severity: cfg.severity.clone(),
                        summary: summary.trim().to_owned(),
                        description,
                        cc,
                    },
                    secrets,
                });
            }
            let id = known.ok_or_else(|| {
                Failure::new(format!(
                    "release {} has no deployment bug yet (no fact `bug`)",
                    release.name
                ))
                .hint("it is filed by the hook bugzilla-file; `git release hooks retry` once it is")
            })?;
            let view = EventView::of(event)?;
            let mut text = format!(
                "git release: {} — {} by {} <{}>",
                release.name, view.summary, view.actor.name, view.actor.email
            );
            if let Some(note) = view
                .fields
                .get("note")
                .or_else(|| view.fields.get("reason"))
                .and_then(Value::as_str)
            {
                text.push_str(&format!("\n\n{note}"));
            }
            text.push_str(&format!("\n\nStage: {}", release.stage()));
            Ok(Prepared::BugComment {
                bugzilla: make(key),
                shown: make("***".into()),
                id,
                text,
                secrets,
            })
        }
        Action::EtherpadPad => {
            let cfg = config
                .etherpad
                .as_ref()
                .ok_or_else(|| Failure::new("[etherpad] is not configured"))?;
            let (key, secrets) = secret(&cfg.api_key)?;
            let mut context = template_context(session, release, &[])?;
            context.pad = next_pad(&context, &context.pad.checklist);
            let pad = templates
                .render_inline(&format!("{label}, pad"), &cfg.pad, &context)?
                .trim()
                .to_owned();
            if pad.is_empty() {
                return Err(Failure::new(format!("{label}: the pad's name renders empty")).into());
            }
            let text = templates.render(&cfg.template, &context)?;
            let make = |key: String| etherpad::Etherpad {
                url: trim(&cfg.url).to_owned(),
                key,
            };
            Ok(Prepared::Pad {
                etherpad: make(key),
                shown: make("***".into()),
                pad,
                text,
                secrets,
            })
        }
    }
}

impl Prepared {
    fn plan(&self) -> Vec<Planned> {
        match self {
            Prepared::Forge {
                shown,
                tag,
                title,
                notes,
                target,
                ..
            } => shown.plan(&forge::ReleaseObject {
                tag,
                title,
                notes,
                target,
            }),
            Prepared::BugFile { shown, bug, .. } => {
                vec![Planned::new(shown.file(bug), "file the deployment request")]
            }
            Prepared::BugFiled(_) => Vec::new(),
            Prepared::BugComment {
                shown, id, text, ..
            } => vec![Planned::new(shown.comment(id, text), "comment")],
            Prepared::Pad {
                shown, pad, text, ..
            } => shown.plan(pad, text),
        }
    }

    fn send(self, http: &Http, masking: &Secrets) -> Result<Vec<(String, String)>, String> {
        match self {
            Prepared::Forge {
                forge,
                tag,
                title,
                notes,
                target,
                secrets,
                ..
            } => {
                let secrets = secrets.and(masking);
                let service = Service {
                    name: forge.kind.label(),
                    http,
                    secrets: &secrets,
                    said: forge::said,
                };
                let object = forge::ReleaseObject {
                    tag: &tag,
                    title: &title,
                    notes: &notes,
                    target: &target,
                };
                let url = forge.publish(&service, &object)?;
                Ok(vec![("release_url".to_owned(), url)])
            }
            Prepared::BugFile {
                bugzilla,
                bug,
                secrets,
                ..
            } => {
                let secrets = secrets.and(masking);
                let service = bugzilla::service(http, &secrets);
                let id = bugzilla.file_bug(&service, &bug)?;
                let url = bugzilla.show_url(&id);
                Ok(vec![("bug".to_owned(), id), ("bug_url".to_owned(), url)])
            }
            Prepared::BugFiled(id) => {
                crate::say!(
                    "Bugzilla: the deployment request is bug {id} already; not filed again"
                );
                Ok(Vec::new())
            }
            Prepared::BugComment {
                bugzilla,
                id,
                text,
                secrets,
                ..
            } => {
                let secrets = secrets.and(masking);
                let service = bugzilla::service(http, &secrets);
                service.json(&bugzilla.comment(&id, &text))?;
                Ok(Vec::new())
            }
            Prepared::Pad {
                etherpad,
                pad,
                text,
                secrets,
                ..
            } => {
                let secrets = secrets.and(masking);
                let service = etherpad::service(http, &secrets);
                let url = etherpad.make_pad(&service, &pad, &text)?;
                Ok(vec![("pad_url".to_owned(), url)])
            }
        }
    }
}

/// The page of the pad `[etherpad]` makes for the next push (`context` is the release's, as
/// `finish` renders it), known before the pad is made: its name is the `pad` template's.
pub fn next_pad_url(
    session: &Session,
    templates: &Templates,
    context: &mut crate::context::TemplateContext,
) -> Result<Option<String>> {
    let Some(cfg) = &session.config.config.etherpad else {
        return Ok(None);
    };
    let next = next_pad(context, &context.pad.checklist);
    let own = std::mem::replace(&mut context.pad, next);
    let name = templates.render_inline("[etherpad] pad", &cfg.pad, context);
    context.pad = own;
    let name = name?.trim().to_owned();
    if name.is_empty() {
        return Ok(None);
    }
    let etherpad = etherpad::Etherpad {
        url: trim(&cfg.url).to_owned(),
        key: String::new(),
    };
    Ok(Some(etherpad.pad_url(&name)))
}

/// The open bugs the deployment bug depends on in Bugzilla, as conditions a gate with
/// `no_blockers` does not meet. Without `[bugzilla]` or a filed bug there are none; a
/// Bugzilla that cannot be asked is one too (the gate stays shut rather than guess).
pub fn bugzilla_blockers(session: &Session, release: &Release) -> Result<Vec<Unmet>> {
    let (Some(cfg), Some(bug)) = (&session.config.config.bugzilla, release.facts.get("bug")) else {
        return Ok(Vec::new());
    };
    let (key, secrets) = match secret(&cfg.api_key) {
        Ok(found) => found,
        // Without the key the gate cannot know; `--force --reason` still goes past it.
        Err(e) => {
            return Ok(vec![Unmet {
                reason: format!(
                    "the bugs deployment bug {} depends on are unknown: {e}",
                    bug.value
                ),
                hint: "set the [bugzilla] api_key's environment variable".into(),
            }]);
        }
    };
    let bugzilla = bugzilla::Bugzilla {
        url: trim(&cfg.url).to_owned(),
        key,
    };
    let http = Http::new(timeout(&session.config.config, Action::BugzillaFile))?;
    let service = bugzilla::service(&http, &secrets);
    match bugzilla.open_dependencies(&service, &bug.value) {
        Ok(open) => Ok(open
            .into_iter()
            .map(|b| Unmet {
                // Recorded with a forced deploy: what Bugzilla said is masked first.
                reason: secrets.redact(&format!(
                    "bug {} ({}, {}) is open, and deployment bug {} depends on it",
                    b.id, b.status, b.summary, bug.value
                )),
                hint: format!("resolve it: {}", bugzilla.show_url(&b.id)),
            })
            .collect()),
        Err(why) => Ok(vec![Unmet {
            reason: format!(
                "the bugs deployment bug {} depends on are unknown: {}",
                bug.value,
                secrets.redact(&why)
            ),
            hint: "try again when Bugzilla answers".into(),
        }]),
    }
}

pub mod graphite;
pub mod prometheus;
pub mod sentry;

/// What one look at a service's state saw, for a gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Passed(String),
    /// Not yet: worth asking again.
    Pending(String),
    /// It ended, and not well (a failed workflow): asking again will not change it.
    Failed(String),
    /// No answer (connection, DNS, TLS, time-out): worth asking again.
    Unanswered(String),
    /// The service refused the question (a 4xx: a wrong token, project or image); asking again
    /// will not help until the config or the environment changes.
    Refused(String),
}

/// What a service said in an error answer, from the error JSON shapes services use
/// (`{"message"}`, `{"errors": [{"message"}]}`, `{"details"}`, `{"error"}`), else the text.
pub fn said(body: &str, secrets: &crate::hooks::Secrets) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => {
            let pick = |v: &serde_json::Value| -> Option<String> {
                ["message", "details", "detail", "error_description", "error"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_owned))
            };
            let listed: Vec<String> = json
                .get("errors")
                .and_then(|e| e.as_array())
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| {
                            let message = pick(e)?;
                            Some(match e.get("code").and_then(|c| c.as_str()) {
                                Some(code) => format!("{code}: {message}"),
                                None => message,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !listed.is_empty() {
                listed.join("; ")
            } else {
                pick(&json).unwrap_or_else(|| body.to_owned())
            }
        }
        Err(_) => body.to_owned(),
    };
    crate::hooks::excerpt(&secrets.redact(&text), 200)
}

#[cfg(test)]
mod check_tests {
    use super::*;

    #[test]
    fn error_answers_are_read_in_the_shapes_services_use() {
        let none = crate::hooks::Secrets::default();
        assert_eq!(
            said(r#"{"message":"Project not found"}"#, &none),
            "Project not found"
        );
        assert_eq!(
            said(
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
                &none
            ),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(
            said("<html>\n  Bad  gateway</html>", &none),
            "<html> Bad gateway</html>"
        );
    }
}
