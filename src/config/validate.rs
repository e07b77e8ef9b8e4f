//! Validation: reading a config text and checking how its sections fit together; every error
//! says `file:line:column` of the value that is wrong.

use std::path::Path;

use super::{Config, DateRule, StatusRule};
use crate::error::Failure;
use crate::hooks::{CaptureFrom, check_pointer};
use crate::release::EventKind;
use crate::release::event::HookQualifier;

/// Parses and checks a config text; errors say `path:line:column: what is wrong`.
pub fn parse(text: &str, path: &Path) -> Result<Config, Failure> {
    let config: Config = toml::from_str(text).map_err(|e| {
        let at = e.span().map(|s| s.start).unwrap_or(0);
        located(path, text, at, e.message())
    })?;
    if *config.release.date.get_ref() == DateRule::Push && config.schedule.is_none() {
        return Err(located(
            path,
            text,
            config.release.date.span().start,
            "`date = \"push\"` names releases after the push day, but there is no [schedule] with `push = \"<weekday>\"`",
        ));
    }
    config
        .check_references()
        .and_then(|()| config.check_requests())
        .map_err(|wrong| match wrong.offset_in(text) {
            Some(at) => located(path, text, at, &wrong.why),
            None => Failure::new(format!("{}: {}", path.display(), wrong.why))
                .hint(format!("fix {} and run the command again", path.display())),
        })?;
    Ok(config)
}

impl Config {
    /// Checks that names used across sections exist (roles and gates in requirements,
    /// environments in `deployed` — earlier ones only — and in checklist items, and what
    /// hooks fire on), that environments, gates and hooks are each named once, and that the
    /// lists that must not be empty are not.
    fn check_references(&self) -> Result<(), Misreference> {
        use Step::{Index, Key};
        for (i, group) in self.notes.groups.iter().enumerate() {
            if group.author.is_none() && group.subject.is_none() {
                return Err(Misreference::new(
                    format!(
                        "notes group `{}` has no `author` or `subject` pattern, so it would take every commit",
                        group.name
                    ),
                    vec![Key("notes"), Key("groups"), Index(i), Key("name")],
                ));
            }
        }
        let mut environments_before: Vec<&str> = Vec::new();
        for (i, env) in self.environments.iter().enumerate() {
            let here = |rest: &[Step]| [&[Key("environments"), Index(i)], rest].concat();
            if environments_before.contains(&env.name.as_str()) {
                return Err(Misreference::new(
                    format!("environment `{}` is listed twice", env.name),
                    here(&[Key("name")]),
                ));
            }
            let signoffs = env.requires.signoffs.iter().enumerate();
            let roles = signoffs
                .map(|(j, r)| (r, here(&[Key("requires"), Key("signoffs"), Index(j)])))
                .chain(
                    env.verify_role
                        .iter()
                        .map(|r| (r, here(&[Key("verify_role")]))),
                );
            for (role, at) in roles {
                if !self.roles.contains_key(role) {
                    return Err(Misreference::new(
                        format!(
                            "environment `{}` names role `{role}`, which is not defined; add a [roles.{role}] table",
                            env.name
                        ),
                        at,
                    ));
                }
            }
            for (j, earlier) in env.requires.deployed.iter().enumerate() {
                if !environments_before.contains(&earlier.as_str()) {
                    return Err(Misreference::new(
                        format!(
                            "environment `{}` requires `deployed = [\"{earlier}\"]`, but `{earlier}` is not an environment listed before it",
                            env.name
                        ),
                        here(&[Key("requires"), Key("deployed"), Index(j)]),
                    ));
                }
            }
            for (j, gate) in env.requires.gates.iter().enumerate() {
                let jenkins_gate = self
                    .jenkins
                    .iter()
                    .flat_map(|j| &j.jobs)
                    .any(|j| j.wait && &j.name == gate);
                if !self.gates.iter().any(|g| &g.name == gate) && !jenkins_gate {
                    return Err(Misreference::new(
                        format!(
                            "environment `{}` requires gate `{gate}`, which is not defined; add a [[gates]] entry named \"{gate}\"",
                            env.name
                        ),
                        here(&[Key("requires"), Key("gates"), Index(j)]),
                    ));
                }
            }
            environments_before.push(&env.name);
        }
        let mut gate_names: Vec<&str> = Vec::new();
        for (i, gate) in self.gates.iter().enumerate() {
            if gate_names.contains(&gate.name.as_str()) {
                return Err(Misreference::new(
                    format!("gate `{}` is listed twice", gate.name),
                    vec![Key("gates"), Index(i), Key("name")],
                ));
            }
            gate_names.push(&gate.name);
        }
        let mut hook_names: Vec<String> = Vec::new();
        for (i, hook) in self.hooks.iter().enumerate() {
            let name = hook.name(i);
            if hook_names.contains(&name) {
                let at = if hook.name.is_some() { "name" } else { "on" };
                return Err(Misreference::new(
                    format!("hook `{name}` is listed twice"),
                    vec![Key("hooks"), Index(i), Key(at)],
                ));
            }
            hook_names.push(name);
            self.check_hook_on(&hook.on).map_err(|why| {
                Misreference::new(
                    format!("hook `on = \"{}\"` {why}", hook.on),
                    vec![Key("hooks"), Index(i), Key("on")],
                )
            })?;
        }
        for (i, job) in self.jenkins.iter().flat_map(|j| &j.jobs).enumerate() {
            let here = |key| vec![Key("jenkins"), Key("jobs"), Index(i), Key(key)];
            self.check_hook_on(&job.on).map_err(|why| {
                Misreference::new(
                    format!("jenkins job `on = \"{}\"` {why}", job.on),
                    here("on"),
                )
            })?;
            if job.name.split('/').any(|s| s.trim().is_empty()) {
                return Err(Misreference::new(
                    format!("jenkins job `{}` has an empty name or folder", job.name),
                    here("name"),
                ));
            }
            if !crate::release::state::valid_fact_name(&job.fact_name()) {
                return Err(Misreference::new(
                    format!(
                        "jenkins job `{}` keeps its build URL as `{}`, which templates cannot reach; use letters, digits and _",
                        job.name,
                        job.fact_name()
                    ),
                    here("fact"),
                ));
            }
        }
        self.check_providers(&hook_names)?;
        for (i, m) in self.migrations.iter().enumerate() {
            // A `generate` command the values cannot reach safely is refused when the config
            // is read, not only when a roll-forward needs it.
            if let Some(command) = &m.generate
                && let Err(why) = crate::rollforward::generate::script(command)
            {
                return Err(Misreference::new(
                    format!(
                        "[[migrations]] generate: `{}` stands {}, where its value could run as shell code; pass \"${}\" to a program that takes it as data",
                        why.placeholder, why.place, why.variable
                    ),
                    vec![Key("migrations"), Index(i), Key("generate")],
                ));
            }
            if m.generate.is_none()
                && crate::rollforward::systems::System::parse(&m.system).is_none()
            {
                let known: Vec<&str> = crate::rollforward::systems::System::ALL
                    .iter()
                    .map(|s| s.name())
                    .collect();
                return Err(Misreference::new(
                    format!(
                        "[[migrations]] system `{}` is not one git-release can undo by itself ({}); for an ORM, add `generate = \"<command>\"`",
                        m.system,
                        known.join(", ")
                    ),
                    vec![Key("migrations"), Index(i), Key("system")],
                ));
            }
        }
        self.check_monitors()?;
        if self.duty.as_ref().is_some_and(|d| d.rotation.is_empty()) {
            return Err(Misreference::new(
                "[duty] rotation is empty; list who takes push duty, in turn".into(),
                vec![Key("duty"), Key("rotation")],
            ));
        }
        for (i, item) in self.checklist.items.iter().enumerate() {
            let here = |key| vec![Key("checklist"), Key("items"), Index(i), Key(key)];
            if let Some(env) = &item.env
                && self.environment(env).is_none()
            {
                return Err(Misreference::new(
                    format!(
                        "checklist item `{}` names environment `{env}`, which is not defined",
                        item.id
                    ),
                    here("env"),
                ));
            }
            if item.id.is_empty() || item.id.contains(char::is_whitespace) {
                return Err(Misreference::new(
                    format!("checklist item id `{}` must be one word", item.id),
                    here("id"),
                ));
            }
        }
        Ok(())
    }
}

impl Config {
    /// Checks `[forge]`, `[bugzilla]` and `[etherpad]`: the events their hooks fire on, that
    /// those hooks' names are not taken by `[[hooks]]`, a `cc_role` that exists, URLs that
    /// are http(s), and secrets that come from the environment.
    fn check_providers(&self, hook_names: &[String]) -> Result<(), Misreference> {
        use Step::{Index, Key};
        let url = |value: &str, at: Vec<Step>| {
            if value.starts_with("https://") || value.starts_with("http://") {
                Ok(())
            } else {
                Err(Misreference::new(
                    format!("`{value}` is not an http:// or https:// URL"),
                    at,
                ))
            }
        };
        let secret = |value: &str, at: Vec<Step>| {
            if crate::hooks::env_names(&[value]).is_empty() {
                Err(Misreference::new(
                    format!(
                        "`{value}` names no environment variable; secrets come from the environment only, as \"${{NAME}}\""
                    ),
                    at,
                ))
            } else {
                Ok(())
            }
        };
        if let Some(forge) = &self.forge {
            if let Some(api) = &forge.api {
                url(api, vec![Key("forge"), Key("api")])?;
            }
            if let Some(token) = &forge.token {
                secret(token, vec![Key("forge"), Key("token")])?;
            }
        }
        if let Some(bugzilla) = &self.bugzilla {
            url(&bugzilla.url, vec![Key("bugzilla"), Key("url")])?;
            secret(&bugzilla.api_key, vec![Key("bugzilla"), Key("api_key")])?;
            if let Some(role) = &bugzilla.cc_role
                && !self.roles.contains_key(role)
            {
                return Err(Misreference::new(
                    format!(
                        "[bugzilla] cc_role `{role}` is not defined; add a [roles.{role}] table"
                    ),
                    vec![Key("bugzilla"), Key("cc_role")],
                ));
            }
            self.check_hook_on(&bugzilla.file_on).map_err(|why| {
                Misreference::new(
                    format!("[bugzilla] `file_on = \"{}\"` {why}", bugzilla.file_on),
                    vec![Key("bugzilla"), Key("file_on")],
                )
            })?;
            for (j, on) in bugzilla.comment_on.iter().enumerate() {
                self.check_hook_on(on).map_err(|why| {
                    Misreference::new(
                        format!("[bugzilla] `comment_on` \"{on}\" {why}"),
                        vec![Key("bugzilla"), Key("comment_on"), Index(j)],
                    )
                })?;
            }
        }
        if let Some(etherpad) = &self.etherpad {
            url(&etherpad.url, vec![Key("etherpad"), Key("url")])?;
            secret(&etherpad.api_key, vec![Key("etherpad"), Key("api_key")])?;
        }
        for (section, timeout) in [
            (
                "forge",
                self.forge.as_ref().and_then(|f| f.timeout.as_ref()),
            ),
            (
                "bugzilla",
                self.bugzilla.as_ref().and_then(|b| b.timeout.as_ref()),
            ),
            (
                "etherpad",
                self.etherpad.as_ref().and_then(|e| e.timeout.as_ref()),
            ),
        ] {
            if let Some(text) = timeout
                && let Err(why) = crate::hooks::parse_duration(text)
            {
                return Err(Misreference::new(
                    format!("[{section}] timeout: {why}"),
                    vec![Key(section), Key("timeout")],
                ));
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for hook in crate::services::hooks(self) {
            if hook_names.contains(&hook.name) || seen.contains(&hook.name) {
                let section = hook.name.split('-').next().unwrap_or_default();
                let section: &'static str = match section {
                    "forge" => "forge",
                    "bugzilla" => "bugzilla",
                    _ => "etherpad",
                };
                return Err(Misreference::new(
                    format!(
                        "hook `{}` is listed twice: [{section}] adds a hook of that name; rename the [[hooks]] entry",
                        hook.name
                    ),
                    vec![Key(section)],
                ));
            }
            seen.push(hook.name);
        }
        Ok(())
    }

    /// Checks `[[monitors]]` (named once, each with what its kind needs, a token only from
    /// the environment), `requires.monitors` and `[ship]`.
    fn check_monitors(&self) -> Result<(), Misreference> {
        use super::schema::MonitorKind;
        use Step::{Index, Key};
        let mut names: Vec<&str> = Vec::new();
        for (i, m) in self.monitors.iter().enumerate() {
            let here = |key| vec![Key("monitors"), Index(i), Key(key)];
            if m.name.is_empty() || names.contains(&m.name.as_str()) {
                return Err(Misreference::new(
                    format!("monitor `{}` is listed twice or has no name", m.name),
                    here("name"),
                ));
            }
            names.push(&m.name);
            if !m.url.starts_with("http://") && !m.url.starts_with("https://") {
                return Err(Misreference::new(
                    format!(
                        "monitor `{}`: url must start with http:// or https://",
                        m.name
                    ),
                    here("url"),
                ));
            }
            if let Some(token) = &m.token
                && crate::hooks::env_names(&[token]).is_empty()
            {
                return Err(Misreference::new(
                    format!(
                        "monitor `{}`: a token is a secret and comes from the environment only; write token = \"${{NAME}}\"",
                        m.name
                    ),
                    here("token"),
                ));
            }
            let missing = |key: &'static str, what: &str| {
                Misreference::new(
                    format!(
                        "monitor `{}` of kind {} needs `{key}` ({what})",
                        m.name,
                        m.kind.name()
                    ),
                    vec![Key("monitors"), Index(i), Key("kind")],
                )
            };
            let misplaced = |key: &'static str| {
                Misreference::new(
                    format!(
                        "monitor `{}`: `{key}` does not apply to kind {}",
                        m.name,
                        m.kind.name()
                    ),
                    here(key),
                )
            };
            match m.kind {
                MonitorKind::Sentry => {
                    if m.org.is_none() {
                        return Err(missing("org", "the organization slug"));
                    }
                    if m.project.is_none() {
                        return Err(missing("project", "the project slug"));
                    }
                    for (key, set) in [
                        ("query", m.query.is_some()),
                        ("target", m.target.is_some()),
                        ("below", m.below.is_some()),
                        ("above", m.above.is_some()),
                        ("max_increase", m.max_increase.is_some()),
                    ] {
                        if set {
                            return Err(misplaced(key));
                        }
                    }
                }
                MonitorKind::Prometheus | MonitorKind::Graphite => {
                    let (needed, other) = if m.kind == MonitorKind::Prometheus {
                        (("query", m.query.is_some()), ("target", m.target.is_some()))
                    } else {
                        (("target", m.target.is_some()), ("query", m.query.is_some()))
                    };
                    if !needed.1 {
                        return Err(missing(needed.0, "what to read"));
                    }
                    if m.rule().is_empty() {
                        return Err(missing("below, above or max_increase", "the rule"));
                    }
                    for (key, set) in [
                        other,
                        ("org", m.org.is_some()),
                        ("project", m.project.is_some()),
                        ("max_new", m.max_new.is_some()),
                        ("level", m.level.is_some()),
                        ("first_release", m.first_release.is_some()),
                    ] {
                        if set {
                            return Err(misplaced(key));
                        }
                    }
                }
            }
        }
        for (i, env) in self.environments.iter().enumerate() {
            for (j, monitor) in env.requires.monitors.iter().enumerate() {
                if !names.contains(&monitor.as_str()) {
                    return Err(Misreference::new(
                        format!(
                            "environment `{}` requires monitor `{monitor}`, which is not defined; add a [[monitors]] entry named \"{monitor}\"",
                            env.name
                        ),
                        vec![
                            Key("environments"),
                            Index(i),
                            Key("requires"),
                            Key("monitors"),
                            Index(j),
                        ],
                    ));
                }
            }
        }
        for (j, env) in self.ship.manual.iter().enumerate() {
            if self.environment(env).is_none() {
                return Err(Misreference::new(
                    format!("[ship] manual names environment `{env}`, which is not defined"),
                    vec![Key("ship"), Key("manual"), Index(j)],
                ));
            }
        }
        for (key, value) in [
            ("watch", &self.ship.watch),
            ("interval", &self.ship.interval),
        ] {
            if let Some(text) = value
                && let Err(why) = crate::hooks::parse_duration(text)
            {
                return Err(Misreference::new(
                    format!("[ship] {key}: {why}"),
                    vec![Key("ship"), Key(key)],
                ));
            }
        }
        Ok(())
    }
}

/// The HTTP methods a hook or a gate may use: HTTP's own, and PURGE, which caches (Varnish,
/// Fastly, nginx) take to drop a page.
const METHODS: &[&str] = &[
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PURGE",
];

impl Config {
    /// Checks what hooks and gates send and expect: a known method, status codes HTTP has,
    /// and an RFC 6901 pointer — each refused when the config is read rather than failing
    /// (misleadingly) when a request is made.
    fn check_requests(&self) -> Result<(), Misreference> {
        use Step::{Index, Key};
        let methods = self
            .hooks
            .iter()
            .enumerate()
            .map(|(i, h)| (&h.method, vec![Key("hooks"), Index(i), Key("method")]))
            .chain(
                self.gates
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (&g.method, vec![Key("gates"), Index(i), Key("method")])),
            );
        for (method, at) in methods {
            // Sent in capitals, whatever the case written (as curl's `-X post` is not).
            if !METHODS.iter().any(|m| m.eq_ignore_ascii_case(method)) {
                return Err(Misreference::new(
                    format!(
                        "`method = \"{method}\"` is not an HTTP method git-release sends; use one of {}",
                        METHODS.join(", ")
                    ),
                    at,
                ));
            }
        }
        let captures = self
            .hooks
            .iter()
            .enumerate()
            .map(|(i, h)| (format!("hook `{}`", h.name(i)), &h.capture, Key("hooks"), i))
            .chain(
                self.gates
                    .iter()
                    .enumerate()
                    .map(|(i, g)| (format!("gate `{}`", g.name), &g.capture, Key("gates"), i)),
            );
        for (what, capture, table, i) in captures {
            for (name, rule) in capture {
                let at = vec![table, Index(i), Key("capture")];
                if !crate::release::state::valid_fact_name(name) {
                    return Err(Misreference::new(
                        format!(
                            "{what} captures `{name}`: a fact's name is letters, digits and `_` (up to 64), starting with a letter, so templates can write `release.facts.{}`",
                            name.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                        ),
                        at,
                    ));
                }
                if let Err(why) = CaptureFrom::parse(rule) {
                    return Err(Misreference::new(
                        format!("{what} captures `{name}` from {why}"),
                        at,
                    ));
                }
            }
        }
        for (i, gate) in self.gates.iter().enumerate() {
            let here = |rest: &[Step]| [&[Key("gates"), Index(i)], rest].concat();
            let missing = match gate.kind {
                crate::config::GateKind::Circleci if gate.project.is_none() => {
                    Some(("circleci", "project", "\"gh/acme/shop\""))
                }
                crate::config::GateKind::Registry if gate.image.is_none() => {
                    Some(("registry", "image", "\"acme/shop\""))
                }
                _ => None,
            };
            if let Some((kind, field, example)) = missing {
                return Err(Misreference::new(
                    format!(
                        "gate `{}` of kind \"{kind}\" needs `{field}`, as in {field} = {example}",
                        gate.name
                    ),
                    here(&[Key("kind")]),
                ));
            }
            if gate.kind == crate::config::GateKind::Http && gate.url.trim().is_empty() {
                return Err(Misreference::new(
                    format!(
                        "gate `{}` has no `url`; an http gate polls a URL (or set `kind = \"circleci\"` or `\"registry\"`)",
                        gate.name
                    ),
                    here(&[Key("name")]),
                ));
            }
            let statuses = match &gate.expect_status {
                None => Vec::new(),
                Some(StatusRule::One(s)) => vec![(*s, here(&[Key("expect_status")]))],
                Some(StatusRule::Any(list)) => list
                    .iter()
                    .enumerate()
                    .map(|(j, s)| (*s, here(&[Key("expect_status"), Index(j)])))
                    .collect(),
            };
            for (status, at) in statuses {
                if !(100..=599).contains(&status) {
                    return Err(Misreference::new(
                        format!(
                            "gate `{}` expects status {status}, which HTTP does not have; status codes are 100 to 599",
                            gate.name
                        ),
                        at,
                    ));
                }
            }
            if let Some(check) = &gate.expect_json
                && let Err(why) = check_pointer(&check.pointer)
            {
                return Err(Misreference::new(
                    format!(
                        "gate `{}` has `pointer = \"{}\"`, which is not a JSON pointer: {why}",
                        gate.name, check.pointer
                    ),
                    here(&[Key("expect_json"), Key("pointer")]),
                ));
            }
        }
        Ok(())
    }

    /// Checks a hook's `on`: an event of `EventKind::NAMES`, and after `:` what that event may
    /// be narrowed to — a name its table defines (environment, role, gate), or a bug id or a
    /// template, which no table lists (a template is found only when one is rendered).
    fn check_hook_on(&self, on: &str) -> Result<(), String> {
        let (kind, qualifier) = match on.split_once(':') {
            Some((kind, qualifier)) => (kind, Some(qualifier)),
            None => (on, None),
        };
        let Some(event) = EventKind::named_by_hook(kind) else {
            let events: Vec<&str> = EventKind::NAMES.iter().filter_map(|k| k.hook).collect();
            return Err(format!(
                "names no event; use one of {} (optionally `:<environment>` or `:<role>`)",
                events.join(", ")
            ));
        };
        let Some(qualifier) = qualifier else {
            return Ok(());
        };
        if qualifier.trim().is_empty() {
            return Err(format!(
                "has nothing after `:`; write `on = \"{kind}\"` for every {kind} event"
            ));
        }
        let Some(narrowed_by) = event.qualifier else {
            return Err(format!(
                "narrows `{kind}`, but {kind} events have nothing to narrow by; write `on = \"{kind}\"`"
            ));
        };
        let known: Vec<&str> = match narrowed_by {
            HookQualifier::Environment => {
                self.environments.iter().map(|e| e.name.as_str()).collect()
            }
            HookQualifier::Role => self.roles.keys().map(String::as_str).collect(),
            HookQualifier::Gate => self
                .gates
                .iter()
                .map(|g| g.name.as_str())
                .chain(
                    self.jenkins
                        .iter()
                        .flat_map(|j| &j.jobs)
                        .filter(|j| j.wait)
                        .map(|j| j.name.as_str()),
                )
                .collect(),
            HookQualifier::Bug | HookQualifier::Template => return Ok(()),
        };
        if known.contains(&qualifier) {
            return Ok(());
        }
        let what = narrowed_by.noun();
        let listed = if known.is_empty() {
            "none is defined".to_owned()
        } else {
            format!("the {what}s are: {}", known.join(", "))
        };
        Err(format!(
            "names {what} `{qualifier}`, which is not defined; {listed}"
        ))
    }
}

/// One step of the way from the top of the config to a value: a key, or a place in an array.
#[derive(Clone, Copy, Debug)]
enum Step {
    Key(&'static str),
    Index(usize),
}

/// What is wrong with how the config's sections fit together (a name one uses that another
/// does not define, say), and where it is written.
#[derive(Debug)]
struct Misreference {
    why: String,
    at: Vec<Step>,
}

impl Misreference {
    fn new(why: String, at: Vec<Step>) -> Misreference {
        Misreference { why, at }
    }

    /// Where the value is written in `text`, as a byte offset (toml_edit keeps the spans that
    /// serde's reading does not).
    fn offset_in(&self, text: &str) -> Option<usize> {
        let document = toml_edit::Document::parse(text).ok()?;
        let mut item = document.as_item();
        for step in &self.at {
            item = match step {
                Step::Key(key) => item.get(key)?,
                Step::Index(i) => item.get(i)?,
            };
        }
        // An array element's span begins with what comes before it (spaces, line breaks,
        // comments): the place shown is the value itself.
        let mut at = item.span()?.start;
        loop {
            let rest = text.get(at..)?;
            let trimmed = rest.trim_start();
            at += rest.len() - trimmed.len();
            if !trimmed.starts_with('#') {
                return Some(at);
            }
            at += trimmed.find('\n').unwrap_or(trimmed.len());
        }
    }
}

fn located(path: &Path, text: &str, offset: usize, message: &str) -> Failure {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Failure::new(format!(
        "{}:{line}:{column}: {}",
        path.display(),
        message.trim_end()
    ))
    .hint(format!("fix {} and run the command again", path.display()))
}

#[cfg(test)]
mod tests {
    use chrono::Weekday;

    use super::*;

    #[test]
    fn providers_are_checked() {
        let bugzilla = |extra: &str| {
            parse(
                &format!(
                    "[roles.qa]\n[bugzilla]\nurl = \"https://b\"\nproduct = \"P\"\ncomponent = \"C\"\n{extra}"
                ),
                Path::new("c.toml"),
            )
        };
        bugzilla("cc_role = \"qa\"\ncomment_on = [\"signoff:qa\", \"deploy\"]\n").unwrap();
        let err = bugzilla("cc_role = \"ops\"\n").unwrap_err();
        assert!(
            err.message.contains("cc_role `ops` is not defined"),
            "{}",
            err.message
        );
        let err = bugzilla("comment_on = [\"deploy\", \"sign-off\"]\n").unwrap_err();
        assert!(err.message.starts_with("c.toml:6:25: "), "{}", err.message);
        let err = bugzilla("api_key = \"hunter22\"\n").unwrap_err();
        assert!(
            err.message.contains("names no environment variable"),
            "{}",
            err.message
        );
        let err = parse(
            "[[hooks]]\nname = \"forge-release\"\non = \"start\"\nurl = \"http://x\"\n[forge]\nkind = \"github\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(
            err.message.contains("[forge] adds a hook of that name"),
            "{}",
            err.message
        );
        let err = parse(
            "[etherpad]\nurl = \"pad.example.com\"\npad = \"x\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:2:7: "), "{}", err.message);
    }

    #[test]
    fn captures_are_checked() {
        let err = parse(
            "[[hooks]]\non = \"start\"\nurl = \"http://x\"\ncapture = { bug-id = \"/id\" }\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:4:11: "), "{}", err.message);
        assert!(
            err.message.contains("release.facts.bug_id"),
            "{}",
            err.message
        );
        let err = parse(
            "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\ncapture = { build = \"id\" }\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(
            err.message
                .contains("gate `ci` captures `build` from `id` is neither"),
            "{}",
            err.message
        );
        parse(
            "[[hooks]]\non = \"start\"\nurl = \"http://x\"\ncapture = { bug = \"/id\", queue = \"header:Location\" }\n",
            Path::new("c.toml"),
        )
        .unwrap();
    }

    #[test]
    fn links_and_turns_are_checked() {
        let err = parse(
            "[[links]]\npattern = \"#(\\\\d+\"\nurl = \"x\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:2:11: "), "{}", err.message);
        assert!(
            err.message.contains("not a regular expression"),
            "{}",
            err.message
        );
        let err = parse(
            "[duty]\nrotation = [\"a\"]\nstart = 2026-01-01\nevery = \"fortnight\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:4:9: "), "{}", err.message);
    }

    #[test]
    fn errors_point_at_line_and_column() {
        let err = parse("[release]\nname = \"%Y\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.message.starts_with("c.toml:2:8: "), "{}", err.message);
        let err = parse("[release]\nnmae = \"x\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.message.starts_with("c.toml:2:1: "), "{}", err.message);
        assert!(err.message.contains("nmae"), "{}", err.message);
        let err = parse(
            "[schedule]\ntag = \"tuesday\"\npush = \"thorsday\"\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert!(err.message.starts_with("c.toml:3:8: "), "{}", err.message);
        assert!(err.message.contains("not a weekday"), "{}", err.message);
    }

    #[test]
    fn misreferences_point_at_the_name_that_is_wrong() {
        let cases = [
            (
                "[roles.qa]\n[[environments]]\nname = \"stage\"\nrequires = { signoffs = [\"qa\", \"eng\"] }\n",
                "c.toml:4:32: ",
                "role `eng`",
            ),
            (
                "[[environments]]\nname = \"stage\"\nverify_role = \"qa\"\n",
                "c.toml:3:15: ",
                "role `qa`",
            ),
            (
                "[[environments]]\nname = \"prod\"\n\n[environments.requires]\ndeployed = [\"stage\"]\n",
                "c.toml:5:13: ",
                "`stage` is not an environment listed before it",
            ),
            (
                "[[environments]]\nname = \"a\"\n[[environments]]\nname = \"a\"\n",
                "c.toml:4:8: ",
                "listed twice",
            ),
            (
                "[[hooks]]\non = \"deploy\"\nurl = \"http://x\"\n[[hooks]]\non = \"depoly\"\nurl = \"http://x\"\n",
                "c.toml:5:6: ",
                "names no event",
            ),
            (
                "[[environments]]\nname = \"stage\"\n[[hooks]]\non = \"deploy:stgae\"\nurl = \"http://x\"\n",
                "c.toml:4:6: ",
                "names environment `stgae`, which is not defined; the environments are: stage",
            ),
            (
                "[roles.qa]\n[[hooks]]\non = \"signoff:qaa\"\nurl = \"http://x\"\n",
                "c.toml:3:6: ",
                "names role `qaa`, which is not defined; the roles are: qa",
            ),
            (
                "[[hooks]]\non = \"gate:ci\"\nurl = \"http://x\"\n",
                "c.toml:2:6: ",
                "names gate `ci`, which is not defined; none is defined",
            ),
            (
                "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\n\n[[gates]]\nname = \"ci\"\nurl = \"http://y\"\n",
                "c.toml:6:8: ",
                "gate `ci` is listed twice",
            ),
            (
                "[[hooks]]\nname = \"ci\"\non = \"start\"\nurl = \"http://x\"\n[[hooks]]\nname = \"ci\"\non = \"finish\"\nurl = \"http://y\"\n",
                "c.toml:6:8: ",
                "hook `ci` is listed twice",
            ),
            (
                "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\nexpect_json = { pointer = \"state\", equals = \"success\" }\n",
                "c.toml:4:27: ",
                "not a JSON pointer: it must be empty or start with `/`",
            ),
            (
                "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\nexpect_json = { pointer = \"/a~2\", equals = 1 }\n",
                "c.toml:4:27: ",
                "`~` must be followed by 0",
            ),
            (
                "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\nexpect_status = [200, 2000]\n",
                "c.toml:4:23: ",
                "expects status 2000, which HTTP does not have",
            ),
            (
                "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\nexpect_status = 99\n",
                "c.toml:4:17: ",
                "expects status 99",
            ),
            (
                "[[gates]]\nname = \"ci\"\nurl = \"http://x\"\nmethod = \"HEDA\"\n",
                "c.toml:4:10: ",
                "`method = \"HEDA\"` is not an HTTP method git-release sends; use one of GET, HEAD,",
            ),
            (
                "[[hooks]]\non = \"start\"\nurl = \"http://x\"\nmethod = \"pots\"\n",
                "c.toml:4:10: ",
                "`method = \"pots\"` is not an HTTP method",
            ),
            (
                "[[hooks]]\non = \"check:smoke\"\nurl = \"http://x\"\n",
                "c.toml:2:6: ",
                "check events have nothing to narrow by",
            ),
            (
                "[[hooks]]\non = \"deploy:\"\nurl = \"http://x\"\n",
                "c.toml:2:6: ",
                "has nothing after `:`",
            ),
            (
                "[[environments]]\nname = \"prod\"\nrequires = { gates = [\"ci\"] }\n",
                "c.toml:3:23: ",
                "gate `ci`",
            ),
            (
                "[[migrations]]\nsystem = \"hibernate\"\ndir = \"db\"\n",
                "c.toml:2:10: ",
                "`hibernate` is not one",
            ),
            (
                "[checklist]\nitems = [{ id = \"smoke\", text = \"x\", env = \"stage\" }]\n",
                "c.toml:2:44: ",
                "names environment `stage`",
            ),
        ];
        let cases = cases.into_iter().chain([(
            "[duty]\nrotation = []\nstart = 2026-01-01\n",
            "c.toml:2:12: ",
            "rotation is empty",
        )]);
        // In a long array, past the comment before the element.
        let cases = cases.into_iter().chain([(
            "[roles.qa]\n[[environments]]\nname = \"stage\"\nrequires.signoffs = [\n  \"qa\",\n  # the engineers\n  \"eng\",\n]\n",
            "c.toml:7:3: ",
            "role `eng`",
        )]);
        for (text, place, what) in cases {
            let err = parse(text, Path::new("c.toml")).unwrap_err();
            assert!(err.message.starts_with(place), "{text}\n{}", err.message);
            assert!(err.message.contains(what), "{}", err.message);
        }
    }

    #[test]
    fn hooks_may_narrow_events_to_what_the_config_defines() {
        let defined = "[roles.qa]\n[[environments]]\nname = \"stage\"\n[[gates]]\nname = \"ci\"\nurl = \"http://x\"\n";
        for on in [
            "deploy",
            "deploy:stage",
            "verify:stage",
            "signoff:qa",
            "revoke:qa",
            "gate:ci",
            "block:1234",
            "artifact:push-pad",
        ] {
            let text = format!("{defined}[[hooks]]\non = \"{on}\"\nurl = \"http://x\"\n");
            parse(&text, Path::new("c.toml")).unwrap_or_else(|e| panic!("{on}: {e}"));
        }
        for event in EventKind::NAMES.iter().filter_map(|k| k.hook) {
            let text = format!("[[hooks]]\non = \"{event}\"\nurl = \"http://x\"\n");
            parse(&text, Path::new("c.toml")).unwrap_or_else(|e| panic!("{event}: {e}"));
        }
        // A method in any case is sent in capitals.
        let text = "[[hooks]]\non = \"start\"\nurl = \"http://x\"\nmethod = \"post\"\n";
        parse(text, Path::new("c.toml")).unwrap();
    }

    #[test]
    fn json_pointers_follow_rfc_6901() {
        for good in ["", "/", "/state", "/statuses/0/state", "/a~0b~1c"] {
            assert_eq!(check_pointer(good), Ok(()), "{good}");
        }
        for bad in ["state", "#/state", "/a~", "/a~2"] {
            assert!(check_pointer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn push_dates_need_a_schedule() {
        let err = parse("[release]\ndate = \"push\"\n", Path::new("c.toml")).unwrap_err();
        assert!(err.message.starts_with("c.toml:2:8: "), "{}", err.message);
        let ok = parse(
            "[release]\ndate = \"push\"\n[schedule]\ntag = \"tue\"\npush = \"thu\"\n",
            Path::new("c.toml"),
        )
        .unwrap();
        assert_eq!(ok.schedule.unwrap().push.0, Weekday::Thu);
    }
}
