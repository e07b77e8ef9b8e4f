//! `.release/config.toml`: the team's release process, committed and reviewed with the code.
//! Read with serde (errors carry file:line:column); edited with toml_edit so comments survive.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::Failure;
use crate::git::Repo;
use crate::release::NameFormat;
use crate::release::checklist::{self, Checklist, Item};
use crate::release::gate::{Requirements, Role};
use crate::release::schedule::parse_weekday;

pub mod edit;

pub const CONFIG_PATH: &str = ".release/config.toml";

/// The presets `init` writes, compiled in.
pub const PRESETS: &[(&str, &str)] = &[
    ("train", include_str!("../../templates/config/train.toml")),
    (
        "push-duty",
        include_str!("../../templates/config/push-duty.toml"),
    ),
];

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub release: ReleaseConfig,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleConfig>,
    #[serde(default)]
    pub environments: Vec<EnvironmentConfig>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duty: Option<DutyConfig>,
    /// Who may sign off for what.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
    #[serde(default)]
    pub checklist: ChecklistConfig,
    #[serde(default)]
    pub rollback: RollbackConfig,
    /// Patterns in commit messages that become links in notes.
    #[serde(default)]
    pub links: Vec<LinkConfig>,
    /// Addresses for the mail templates.
    #[serde(default)]
    pub mail: MailConfig,
    /// The team's own values for templates (`vars.dashboard`, `vars.bug`).
    #[serde(default)]
    pub vars: BTreeMap<String, String>,
    /// Where database migrations live (autodetected when empty).
    #[serde(default)]
    pub migrations: Vec<MigrationConfig>,
    /// Requests sent after events (trigger CI, file a bug).
    #[serde(default)]
    pub hooks: Vec<HookConfig>,
    /// Requests polled by `wait` until they pass (CI green, image pushed).
    #[serde(default)]
    pub gates: Vec<GateConfig>,
    #[serde(default)]
    pub trust: TrustConfig,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrustConfig {
    /// Sign-offs count toward gates only when their event commit carries a good signature
    /// by the person who signed off.
    #[serde(default)]
    pub require_signed: bool,
    /// An ssh allowed-signers file in the repository (`git help config`,
    /// gpg.ssh.allowedSignersFile): which key belongs to which e-mail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_signers: Option<String>,
}

/// Event names a hook can fire on (`deploy:stage` narrows `deploy` to one environment).
pub const HOOK_EVENTS: &[&str] = &[
    "start",
    "finish",
    "deploy",
    "verify",
    "signoff",
    "revoke",
    "check",
    "uncheck",
    "block",
    "unblock",
    "comment",
    "rollback-approve",
    "rollforward",
    "artifact",
    "gate",
];

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HookConfig {
    /// `start`, `deploy`, `deploy:stage`, `signoff:qa`, `finish` …
    pub on: String,
    /// What `hooks retry` and messages call it (default: `<on>#<n>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default = "default_post")]
    pub method: String,
    /// minijinja templates, like `headers` and `body`; secrets as `{{ env.NAME }}` or `${NAME}`.
    pub url: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub name: String,
    pub url: String,
    #[serde(default = "default_get")]
    pub method: String,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// The status (or statuses) that pass; any 2xx when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_status: Option<StatusRule>,
    /// A value the JSON response must hold at a JSON pointer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_json: Option<JsonCheck>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum StatusRule {
    One(u16),
    Any(Vec<u16>),
}

impl StatusRule {
    pub fn admits(&self, status: u16) -> bool {
        match self {
            StatusRule::One(s) => *s == status,
            StatusRule::Any(list) => list.contains(&status),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JsonCheck {
    /// RFC 6901, e.g. `/state` or `/statuses/0/state`.
    pub pointer: String,
    pub equals: toml::Value,
}

fn default_post() -> String {
    "POST".into()
}

fn default_get() -> String {
    "GET".into()
}

impl HookConfig {
    pub fn name(&self, index: usize) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| format!("{}#{}", self.on, index + 1))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationConfig {
    /// A SQL system (golang-migrate, sqlx, diesel, dbmate, goose, sql-migrate, flyway,
    /// plain-sql), or any name with `generate` (django, rails, alembic …).
    pub system: String,
    pub dir: String,
    /// For ORM systems: the command that writes the undo migration, run in a temporary
    /// worktree at the reverted code; `{name}` is the newest migration's name, `{sha}` the
    /// rolled-forward commit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generate: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    pub pattern: LinkPattern,
    /// `{0}` is the whole match, `{1}`… its groups.
    pub url: String,
}

/// A regular expression, checked when the config is read.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct LinkPattern(pub regex::Regex);

impl TryFrom<String> for LinkPattern {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        regex::Regex::new(&value)
            .map(LinkPattern)
            .map_err(|e| format!("`{value}` is not a regular expression: {e}"))
    }
}

impl From<LinkPattern> for String {
    fn from(p: LinkPattern) -> String {
        p.0.as_str().to_owned()
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    /// Sender; git's identity when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistConfig {
    /// A Markdown test plan in the repository; its steps become items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    #[serde(default)]
    pub items: Vec<ItemConfig>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ItemConfig {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
    /// The environment the item is verified on (after deploying there).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RollbackConfig {
    /// The role whose members approve roll-backs (anyone, if the role is not defined).
    #[serde(default = "default_rollback_role")]
    pub role: String,
}

impl Default for RollbackConfig {
    fn default() -> Self {
        RollbackConfig {
            role: default_rollback_role(),
        }
    }
}

fn default_rollback_role() -> String {
    "eng".into()
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseConfig {
    /// strftime pattern of release names.
    #[serde(default = "default_name")]
    pub name: Pattern,
    /// Which day a release is named after.
    #[serde(default = "default_date")]
    pub date: toml::Spanned<DateRule>,
    /// Whether `start` makes an annotated tag.
    #[serde(default = "yes")]
    pub tag: bool,
    /// The remote that `sync` and compare links use.
    #[serde(default = "default_remote")]
    pub remote: String,
    /// A compare page for forges that are not recognised: `{host}`, `{repo}`, `{previous}`,
    /// `{release}` are filled in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_url: Option<String>,
}

impl Default for ReleaseConfig {
    fn default() -> Self {
        ReleaseConfig {
            name: default_name(),
            date: default_date(),
            tag: true,
            remote: default_remote(),
            compare_url: None,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DateRule {
    /// The day `start` runs (local time).
    #[default]
    Today,
    /// The next push day of `[schedule]` (on or after today).
    Push,
}

/// A release name pattern, checked when the config is read.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pattern(pub NameFormat);

impl TryFrom<String> for Pattern {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        NameFormat::new(&value).map(Pattern)
    }
}

impl From<Pattern> for String {
    fn from(p: Pattern) -> String {
        p.0.pattern().to_owned()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleConfig {
    /// The weekday the release is cut and tagged.
    pub tag: Day,
    /// The weekday it goes to production.
    pub push: Day,
    /// When on those days (shown by `schedule`), e.g. "10:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The team's UTC offset for that time, e.g. "+01:00".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<String>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Day(pub Weekday);

impl TryFrom<String> for Day {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        parse_weekday(&value).map(Day)
    }
}

impl From<Day> for String {
    fn from(d: Day) -> String {
        let name = match d.0 {
            Weekday::Mon => "monday",
            Weekday::Tue => "tuesday",
            Weekday::Wed => "wednesday",
            Weekday::Thu => "thursday",
            Weekday::Fri => "friday",
            Weekday::Sat => "saturday",
            Weekday::Sun => "sunday",
        };
        name.to_owned()
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentConfig {
    pub name: String,
    /// What a release needs before it may be deployed here.
    #[serde(default)]
    pub requires: Requirements,
    /// The role whose members may `git release verify` this environment (anyone if unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_role: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DutyConfig {
    /// Who has push duty, in turn.
    pub rotation: Vec<String>,
    /// The first day of the first person's turn.
    pub start: ConfigDate,
    /// How long a turn lasts: `1d`, `1w`, `2w`.
    #[serde(default = "default_every")]
    pub every: Every,
    /// Turns people traded (`git release duty swap`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub swaps: Vec<SwapConfig>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SwapConfig {
    /// A day in the week whose turn is traded.
    pub week: ConfigDate,
    pub a: String,
    pub b: String,
}

/// A turn's length in days, written `3d` or `2w`.
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(try_from = "String", into = "String")]
pub struct Every(pub u32);

impl TryFrom<String> for Every {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        crate::release::schedule::parse_every(&value).map(Every)
    }
}

impl From<Every> for String {
    fn from(e: Every) -> String {
        if e.0.is_multiple_of(7) {
            format!("{}w", e.0 / 7)
        } else {
            format!("{}d", e.0)
        }
    }
}

impl DutyConfig {
    pub fn swaps(&self) -> Vec<crate::release::schedule::Swap> {
        self.swaps
            .iter()
            .map(|s| crate::release::schedule::Swap {
                week: s.week.0,
                a: s.a.clone(),
                b: s.b.clone(),
            })
            .collect()
    }

    /// Who has duty on `date`, swaps included.
    pub fn on(&self, date: NaiveDate) -> Option<String> {
        self.rotation().on_with_swaps(date, &self.swaps())
    }

    /// What one more swap would trade, after the configured ones.
    pub fn trade(
        &self,
        swap: &crate::release::schedule::Swap,
    ) -> Option<crate::release::schedule::Trade> {
        self.rotation().trade(&self.swaps(), swap)
    }

    pub fn rotation(&self) -> crate::release::schedule::Rotation {
        crate::release::schedule::Rotation {
            people: self.rotation.clone(),
            start: self.start.0,
            days: self.every.0,
        }
    }
}

/// A date written either as a TOML date (`2015-09-03`) or a string (`"2015-09-03"`).
#[derive(Clone, Copy, Debug, Deserialize, Serialize)]
#[serde(try_from = "toml::Value", into = "String")]
pub struct ConfigDate(pub NaiveDate);

impl TryFrom<toml::Value> for ConfigDate {
    type Error = String;
    fn try_from(value: toml::Value) -> Result<Self, String> {
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Datetime(d) => d.to_string(),
            other => return Err(format!("expected a date like 2015-09-03, found {other}")),
        };
        NaiveDate::parse_from_str(&text, "%Y-%m-%d")
            .map(ConfigDate)
            .map_err(|_| format!("`{text}` is not a date like 2015-09-03"))
    }
}

impl From<ConfigDate> for String {
    fn from(d: ConfigDate) -> String {
        d.0.format("%Y-%m-%d").to_string()
    }
}

fn default_name() -> Pattern {
    Pattern(NameFormat::new("%Y-%m-%d").expect("the default pattern is valid"))
}

fn default_date() -> toml::Spanned<DateRule> {
    toml::Spanned::new(0..0, DateRule::Today)
}

fn yes() -> bool {
    true
}

fn default_remote() -> String {
    "origin".into()
}

fn default_every() -> Every {
    Every(7)
}

/// Where the config in force was read from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The working tree's file.
    File,
    /// `HEAD:.release/config.toml`, in a repository without a working tree.
    Head,
    /// No file: the built-in defaults (the `train` preset's rules).
    Defaults,
}

pub struct Loaded {
    pub config: Config,
    pub source: Source,
}

impl Config {
    pub fn name_format(&self) -> &NameFormat {
        &self.release.name.0
    }

    pub fn link_rules(&self) -> Vec<crate::changelog::LinkRule> {
        self.links
            .iter()
            .map(|l| crate::changelog::LinkRule {
                pattern: l.pattern.0.clone(),
                url: l.url.clone(),
            })
            .collect()
    }

    /// The configured migration directories (the caller autodetects when there are none).
    pub fn migration_dirs(&self) -> Vec<crate::rollforward::Dir> {
        use crate::rollforward::{
            Dir,
            migrations::{MigrationDir, System},
        };
        self.migrations
            .iter()
            .map(|m| match (&m.generate, System::parse(&m.system)) {
                (Some(command), _) => Dir::Generated {
                    system: m.system.clone(),
                    dir: m.dir.clone(),
                    command: command.clone(),
                },
                (None, Some(system)) => Dir::Sql(MigrationDir {
                    system,
                    dir: m.dir.clone(),
                }),
                (None, None) => unreachable!("checked when the config was read"),
            })
            .collect()
    }

    pub fn environment(&self, name: &str) -> Option<&EnvironmentConfig> {
        self.environments.iter().find(|e| e.name == name)
    }

    pub fn environment_names(&self) -> Vec<String> {
        self.environments.iter().map(|e| e.name.clone()).collect()
    }

    /// Checks that names used across sections exist (roles and gates in requirements,
    /// environments in `deployed` — earlier ones only — and in checklist items, and what
    /// hooks fire on), that environments, gates and hooks are each named once, and that the
    /// lists that must not be empty are not.
    fn check_references(&self) -> Result<(), Misreference> {
        use Step::{Index, Key};
        let mut seen: Vec<&str> = Vec::new();
        for (i, env) in self.environments.iter().enumerate() {
            let here = |rest: &[Step]| [&[Key("environments"), Index(i)], rest].concat();
            if seen.contains(&env.name.as_str()) {
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
                if !seen.contains(&earlier.as_str()) {
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
                if !self.gates.iter().any(|g| &g.name == gate) {
                    return Err(Misreference::new(
                        format!(
                            "environment `{}` requires gate `{gate}`, which is not defined; add a [[gates]] entry named \"{gate}\"",
                            env.name
                        ),
                        here(&[Key("requires"), Key("gates"), Index(j)]),
                    ));
                }
            }
            seen.push(&env.name);
        }
        let mut gates: Vec<&str> = Vec::new();
        for (i, gate) in self.gates.iter().enumerate() {
            if gates.contains(&gate.name.as_str()) {
                return Err(Misreference::new(
                    format!("gate `{}` is listed twice", gate.name),
                    vec![Key("gates"), Index(i), Key("name")],
                ));
            }
            gates.push(&gate.name);
        }
        let mut hooks: Vec<String> = Vec::new();
        for (i, hook) in self.hooks.iter().enumerate() {
            let name = hook.name(i);
            if hooks.contains(&name) {
                let at = if hook.name.is_some() { "name" } else { "on" };
                return Err(Misreference::new(
                    format!("hook `{name}` is listed twice"),
                    vec![Key("hooks"), Index(i), Key(at)],
                ));
            }
            hooks.push(name);
            self.check_hook_on(&hook.on).map_err(|why| {
                Misreference::new(
                    format!("hook `on = \"{}\"` {why}", hook.on),
                    vec![Key("hooks"), Index(i), Key("on")],
                )
            })?;
        }
        for (i, m) in self.migrations.iter().enumerate() {
            if m.generate.is_none()
                && crate::rollforward::migrations::System::parse(&m.system).is_none()
            {
                let known: Vec<&str> = crate::rollforward::migrations::System::ALL
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
        for (i, gate) in self.gates.iter().enumerate() {
            let here = |rest: &[Step]| [&[Key("gates"), Index(i)], rest].concat();
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

    /// Checks a hook's `on`: an event, and after `:` what the event is narrowed to — a
    /// defined environment for `deploy` and `verify`, a defined role for `signoff` and
    /// `revoke`, a defined gate for `gate`, a bug id for `block` and `unblock`, a template
    /// for `artifact` (found only when one is rendered). Other events have nothing to narrow.
    fn check_hook_on(&self, on: &str) -> Result<(), String> {
        let (kind, qualifier) = match on.split_once(':') {
            Some((kind, qualifier)) => (kind, Some(qualifier)),
            None => (on, None),
        };
        if !HOOK_EVENTS.contains(&kind) {
            return Err(format!(
                "names no event; use one of {} (optionally `:<environment>` or `:<role>`)",
                HOOK_EVENTS.join(", ")
            ));
        }
        let Some(qualifier) = qualifier else {
            return Ok(());
        };
        if qualifier.trim().is_empty() {
            return Err(format!(
                "has nothing after `:`; write `on = \"{kind}\"` for every {kind} event"
            ));
        }
        let (what, known): (&str, Vec<&str>) = match kind {
            "deploy" | "verify" => (
                "environment",
                self.environments.iter().map(|e| e.name.as_str()).collect(),
            ),
            "signoff" | "revoke" => ("role", self.roles.keys().map(String::as_str).collect()),
            "gate" => ("gate", self.gates.iter().map(|g| g.name.as_str()).collect()),
            "block" | "unblock" | "artifact" => return Ok(()),
            _ => {
                return Err(format!(
                    "narrows `{kind}`, but {kind} events have nothing to narrow by; write `on = \"{kind}\"`"
                ));
            }
        };
        if known.contains(&qualifier) {
            return Ok(());
        }
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

/// Whether `pointer` is an RFC 6901 JSON pointer: empty (the whole document), or `/` and a
/// reference token after each `/`, where `~` is only ever `~0` or `~1`.
fn check_pointer(pointer: &str) -> Result<(), &'static str> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err("it must be empty or start with `/`, as in \"/state\"");
    }
    let mut rest = pointer;
    while let Some(at) = rest.find('~') {
        rest = &rest[at + 1..];
        if !rest.starts_with(['0', '1']) {
            return Err("`~` must be followed by 0 (for `~`) or 1 (for `/`)");
        }
    }
    Ok(())
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

/// Reads the config in force: the working tree's file, else the one committed at HEAD in a
/// bare repository, else the defaults.
pub fn load(git: &Repo) -> Result<Loaded> {
    let (shown, source) = match git.workdir() {
        Some(_) => (CONFIG_PATH.to_owned(), Source::File),
        None => (format!("HEAD:{CONFIG_PATH}"), Source::Head),
    };
    Ok(match read_repo_file(git, CONFIG_PATH)? {
        Some(text) => Loaded {
            config: parse(&text, Path::new(&shown))?,
            source,
        },
        None => Loaded {
            config: Config::default(),
            source: Source::Defaults,
        },
    })
}

/// Whether `key` names a setting, set or not, as the config's own reading knows them: a file
/// that sets only `key` to 0 is not refused for an unknown key, nor for a table where a value
/// belongs (`release.name.x`); it may be for the 0.
pub fn is_setting(key: &str) -> bool {
    let Ok(text) = edit::set("", key, "0") else {
        return false;
    };
    match toml::from_str::<Config>(&text) {
        Ok(_) => true,
        Err(e) => {
            let why = e.message();
            !why.starts_with("unknown field") && !why.starts_with("invalid type: map")
        }
    }
}

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

/// The checklist in force: the config's items, then the steps of its Markdown plan — as it is
/// at the release's commit when the plan is committed there (`committed` reads a file there),
/// so ids and ticks stay with the steps they were made for; else from the working tree (or
/// HEAD without one).
pub fn load_checklist(
    git: &Repo,
    config: &Config,
    committed: impl FnOnce(&str) -> Result<Option<String>>,
) -> Result<Checklist> {
    let mut list = Checklist::default();
    let from_config = config
        .checklist
        .items
        .iter()
        .map(|i| Item {
            id: i.id.clone(),
            section: i
                .section
                .as_deref()
                .map_or_else(|| "checklist".to_owned(), checklist::slug),
            text: i.text.clone(),
            env: i.env.clone(),
        })
        .collect();
    list.extend(from_config)
        .map_err(|why| Failure::new(format!("{CONFIG_PATH}: {why}")))?;
    if let Some(file) = &config.checklist.file {
        let text = match committed(file)? {
            Some(text) => Some(text),
            None => read_repo_file(git, file)?,
        };
        let text = text.ok_or_else(|| {
            Failure::new(format!(
                "the checklist file {file} (checklist.file in {CONFIG_PATH}) does not exist"
            ))
            .hint("create it, or `git release config set checklist.file <path>`")
        })?;
        list.extend(checklist::parse_markdown(&text))
            .map_err(|why| {
                Failure::new(format!("{file}: {why}")).hint("rename the heading or the config item")
            })?;
    }
    Ok(list)
}

/// A file of the repository: from the working tree, or from HEAD in a bare repository.
pub fn read_repo_file(git: &Repo, path: &str) -> Result<Option<String>> {
    if let Some(workdir) = git.workdir() {
        return match std::fs::read_to_string(workdir.join(path)) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Failure::new(format!("cannot read {path}: {e}")).into()),
        };
    }
    let Some(head) = git.resolve_commit("HEAD")? else {
        return Ok(None);
    };
    git.text_at(head, path)
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
    use super::*;

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
    fn the_commented_examples_in_presets_are_valid() {
        for (name, text) in PRESETS {
            let (_, rest) = text
                .split_once("# BEGIN EXAMPLES\n")
                .expect("presets have examples");
            let (block, _) = rest.split_once("# END EXAMPLES").expect("the block ends");
            let uncommented: String = block
                .lines()
                .map(|l| {
                    l.strip_prefix("# ")
                        .or_else(|| l.strip_prefix('#'))
                        .unwrap_or(l)
                })
                .collect::<Vec<_>>()
                .join("\n");
            let config = format!("{text}\n{uncommented}\n");
            let parsed =
                parse(&config, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}\n{config}"));
            assert!(!parsed.hooks.is_empty() || !parsed.gates.is_empty());
        }
    }

    #[test]
    fn presets_parse() {
        for (name, text) in PRESETS {
            parse(text, Path::new(name)).unwrap_or_else(|e| panic!("preset {name}: {e}"));
        }
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
                "[[migrations]]\nsystem = \"liquibase\"\ndir = \"db\"\n",
                "c.toml:2:10: ",
                "`liquibase` is not one",
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
    fn settings_are_known_whether_set_or_not() {
        for key in [
            "release.name",
            "release.compare_url",
            "schedule.tag",
            "schedule.utc_offset",
            "mail.from",
            "checklist.file",
            "trust.allowed_signers",
            "duty.every",
            "duty.rotation",
            "roles.eng.members",
        ] {
            assert!(is_setting(key), "{key}");
        }
        for key in [
            "release.nmae",
            "nothing.here",
            "duty.rotation.x",
            "release.name.x",
            "",
        ] {
            assert!(!is_setting(key), "{key}");
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

    #[test]
    fn dates_may_be_toml_dates_or_strings() {
        for start in ["2015-09-03", "\"2015-09-03\""] {
            let c = parse(
                &format!("[duty]\nrotation = [\"a\"]\nstart = {start}\n"),
                Path::new("c.toml"),
            )
            .unwrap();
            assert_eq!(
                c.duty.unwrap().start.0,
                NaiveDate::from_ymd_opt(2015, 9, 3).unwrap()
            );
        }
    }
}
