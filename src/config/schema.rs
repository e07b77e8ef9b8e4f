//! The config's schema: the serde structs `.release/config.toml` is read into, with the
//! defaults of what a file leaves out and the checks a single value carries (patterns, dates).

use std::collections::BTreeMap;

use chrono::{NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use super::edit;
use crate::release::NameFormat;
use crate::release::gate::{Requirements, Role};
use crate::release::schedule::parse_weekday;

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
    /// How notes fold classes of commits (`[[notes.groups]]`).
    #[serde(default)]
    pub notes: NotesConfig,
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
    /// Jenkins jobs built with parameters after events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jenkins: Option<JenkinsConfig>,
    /// The release object on GitHub, GitLab or Gitea.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<ForgeConfig>,
    /// The deployment-request bug in Bugzilla.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bugzilla: Option<BugzillaConfig>,
    /// The next push's pad in Etherpad.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etherpad: Option<EtherpadConfig>,
    /// What `git release watch` polls after a deployment (Sentry, Prometheus, Graphite).
    #[serde(default)]
    pub monitors: Vec<MonitorConfig>,
    /// The policy of `git release ship`.
    #[serde(default)]
    pub ship: ShipConfig,
}

/// `[forge]`: create or update the release object for the tag.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ForgeConfig {
    /// github, gitlab or gitea; from the remote's host when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ForgeKind>,
    /// The API's base URL (Enterprise, self-hosted, tests); from the remote's host when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
    /// `owner/name` (a GitLab path may have subgroups); from the remote URL when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repo: Option<String>,
    /// A template naming the environment variable: `${GITHUB_TOKEN}` (the kind's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default)]
    pub publish: Publish,
    /// How long one request may take (`30s`, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ForgeKind {
    Github,
    Gitlab,
    Gitea,
}

/// When `[forge]` publishes the release object.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Publish {
    #[default]
    Start,
    Finish,
    Never,
}

/// `[bugzilla]`: the deployment-request bug, its comments, and its dependencies as blockers.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BugzillaConfig {
    /// The Bugzilla's base URL, without `/rest`.
    pub url: String,
    /// A template naming the environment variable: `${BUGZILLA_API_KEY}`.
    #[serde(default = "default_bugzilla_key")]
    pub api_key: String,
    pub product: String,
    pub component: String,
    #[serde(default = "default_bugzilla_version")]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// The bug's summary, a template.
    #[serde(default = "default_bugzilla_summary")]
    pub summary: String,
    /// The role whose members (exact addresses, not patterns) are in CC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc_role: Option<String>,
    /// More addresses in CC.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// The event that files the bug, as a hook's `on`.
    #[serde(default = "default_file_on")]
    pub file_on: String,
    /// Events that add a comment to the bug, as hooks' `on`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comment_on: Vec<String>,
    /// How long one request may take (`30s`, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

/// `[etherpad]`: the next push's pad, made by `finish`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EtherpadConfig {
    /// The Etherpad's base URL, without `/api`.
    pub url: String,
    /// A template naming the environment variable: `${ETHERPAD_API_KEY}`.
    #[serde(default = "default_etherpad_key")]
    pub api_key: String,
    /// The pad's id, a template: `amo-{{ next.name }}`.
    pub pad: String,
    /// The template of the pad's text.
    #[serde(default = "default_pad_template")]
    pub template: String,
    /// How long one request may take (`30s`, the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

fn default_bugzilla_key() -> String {
    "${BUGZILLA_API_KEY}".into()
}

fn default_bugzilla_version() -> String {
    "unspecified".into()
}

fn default_bugzilla_summary() -> String {
    "Deploy {{ release.name }}".into()
}

fn default_file_on() -> String {
    "start".into()
}

fn default_etherpad_key() -> String {
    "${ETHERPAD_API_KEY}".into()
}

fn default_pad_template() -> String {
    "push-pad".into()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MonitorKind {
    Sentry,
    Prometheus,
    Graphite,
}

impl MonitorKind {
    pub fn name(self) -> &'static str {
        match self {
            MonitorKind::Sentry => "sentry",
            MonitorKind::Prometheus => "prometheus",
            MonitorKind::Graphite => "graphite",
        }
    }
}

/// One monitor; which fields it needs depends on its kind (checked when the config is read).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorConfig {
    pub name: String,
    pub kind: MonitorKind,
    /// The service's base URL (`https://sentry.io`, `https://prometheus.example.com`).
    pub url: String,
    /// A bearer token, from the environment only: `${SENTRY_TOKEN}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// Sentry: the organization and project slugs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Sentry: how many new issues are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_new: Option<u64>,
    /// Sentry: only issues of this level (`error`, `fatal` …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Sentry: count issues whose first release is this one (`{{ release.name }}`, or the
    /// name your SDK reports) instead of issues first seen since the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_release: Option<String>,
    /// Prometheus: the PromQL expression.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// Graphite: the render target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// At most this many times the same reading over the window before the deployment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_increase: Option<f64>,
}

impl MonitorConfig {
    pub fn rule(&self) -> crate::release::monitor::Rule {
        crate::release::monitor::Rule {
            below: self.below,
            above: self.above,
            max_increase: self.max_increase,
        }
    }
}

/// `[ship]`: what `git release ship` may do on its own.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ShipConfig {
    /// Environments a person must deploy; ship deploys every other one whose gate is open.
    #[serde(default)]
    pub manual: Vec<String>,
    /// How long ship watches the monitors after the last environment (`30m`); no watch when
    /// unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watch: Option<String>,
    /// How often it polls them meanwhile (default `1m`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JenkinsConfig {
    pub url: String,
    /// The user whose API token `token` is (Basic auth `user:token`).
    pub user: String,
    /// From the environment only (`${JENKINS_TOKEN}`).
    pub token: String,
    /// How long a job with `wait = true` may take, from the trigger to its result (`30m`).
    #[serde(default = "default_jenkins_timeout")]
    pub timeout: String,
    /// Time between looks at the queue item and the build (`5s`).
    #[serde(default = "default_jenkins_interval")]
    pub interval: String,
    #[serde(default)]
    pub jobs: Vec<JenkinsJob>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JenkinsJob {
    /// The job's full name; folders with `/` (`team/deploy-stage`).
    pub name: String,
    /// The event that triggers it, as a hook's `on` (`deploy:stage`).
    pub on: String,
    /// Build parameters: name → template (`{{ release.tag }}`).
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// Wait for the build's result and record it as the gate named after the job.
    #[serde(default)]
    pub wait: bool,
    /// The fact the build's URL is kept as (default: the job's name with `_build`,
    /// `deploy_stage_build`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact: Option<String>,
}

impl JenkinsJob {
    /// What `hooks list`, `hooks retry` and `hook-failed` call it.
    pub fn hook_name(&self) -> String {
        format!("jenkins-{}", self.name)
    }

    pub fn fact_name(&self) -> String {
        self.fact.clone().unwrap_or_else(|| {
            let base: String = self
                .name
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            let base = if base.starts_with(|c: char| c.is_ascii_digit()) || base.is_empty() {
                format!("job_{base}")
            } else {
                base
            };
            format!("{}_build", &base[..base.len().min(50)])
        })
    }
}

fn default_jenkins_timeout() -> String {
    "30m".into()
}

fn default_jenkins_interval() -> String {
    "5s".into()
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
    /// Facts kept from a 2xx answer: name → an RFC 6901 pointer into its JSON (`/id`) or
    /// `header:<Name>` (`header:Location`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GateConfig {
    pub name: String,
    /// `http` (the request below), `circleci` or `registry`.
    #[serde(default)]
    pub kind: GateKind,
    /// The request's URL; for `circleci` the API's base (default `https://circleci.com`), for
    /// `registry` the registry's (default Docker Hub's, `https://registry-1.docker.io`).
    #[serde(default)]
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
    /// `circleci`: the project slug, `gh/acme/shop`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// `circleci`: the API token, sent as `Circle-Token` (`${CIRCLE_TOKEN}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// `circleci`: look among this branch's pipelines for the release's commit, rather than
    /// for the pipeline of its tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    /// `circleci`: the workflows that must succeed (default: every workflow of the pipeline).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workflows: Vec<String>,
    /// `registry`: the repository, `acme/shop` (`library/nginx` for an official image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `registry`: the tag (a template; default the release's tag, else its name); `circleci`:
    /// the git tag whose pipeline counts (default the release's tag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// `registry`: a user for the token service (Basic auth), with `password`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `registry`: from the environment only (`${REGISTRY_PASSWORD}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Facts kept from the answer that passed, as a hook's `capture`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capture: BTreeMap<String, String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateKind {
    /// A request of the gate's own, judged by `expect_status` and `expect_json`.
    #[default]
    Http,
    /// The CircleCI pipeline of the release's tag (or commit) has succeeded (API v2).
    Circleci,
    /// The image tag's manifest exists in a Docker Registry v2 (Docker Hub, GHCR, Harbor …).
    Registry,
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
    /// A known system (golang-migrate, sqlx, diesel, dbmate, goose, sql-migrate, flyway,
    /// plain-sql, django, alembic, rails, laravel, prisma, knex, ecto, liquibase, ef-core), or
    /// any name with `generate`.
    pub system: String,
    pub dir: String,
    /// For ORM systems: the command that writes the undo migration, run in a temporary
    /// worktree at the reverted code (Django has a documented default); `{name}` is the
    /// newest migration's name, `{sha}` the
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

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NotesConfig {
    /// Classes of commits folded into one line each ("60 localization updates").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupConfig>,
}

/// A class of commits that notes show as one line: those whose author (`Name <email>`) and
/// subject match the patterns given (regular expressions, as in `[[links]]`, found anywhere
/// in the text unless anchored).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GroupConfig {
    /// The line's words after the count: `localization updates (Pontoon)`.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<LinkPattern>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<LinkPattern>,
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
    /// Where `--send` delivers: `smtp://host:587` (STARTTLS) or `smtps://host:465` (TLS).
    /// Unset: the `sendmail` program.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<String>,
    /// `starttls`, `tls` or `none`; by default `tls` for `smtps://`, `starttls` for `smtp://`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<MailTls>,
    /// The SMTP user, as written or from the environment (`${SMTP_USER}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_user: Option<String>,
    /// The SMTP password: from the environment only (`${SMTP_PASSWORD}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp_password: Option<String>,
    /// The program run as `sendmail -t -i` when `smtp` is unset (default: `sendmail` on PATH).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sendmail: Option<String>,
    /// How long delivery may take (`30s`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTls {
    /// Plain connection, then STARTTLS; refused if the server does not offer it.
    Starttls,
    /// TLS from the first byte (SMTPS).
    Tls,
    /// No encryption: only for a relay on the same machine or a test sink.
    None,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ChecklistConfig {
    /// A Markdown test plan in the repository; its steps become items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Where people read the plan (a wiki page); the stage-test mail links it. Without it, a
    /// `file` is linked on the forge at the release's tag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
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
    pub name: NamePattern,
    /// Which day a release is named after.
    #[serde(default = "default_date")]
    pub date: toml::Spanned<DateRule>,
    /// Whether `start` makes an annotated tag.
    #[serde(default = "default_tag")]
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
pub struct NamePattern(pub NameFormat);

impl TryFrom<String> for NamePattern {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        NameFormat::new(&value).map(NamePattern)
    }
}

impl From<NamePattern> for String {
    fn from(p: NamePattern) -> String {
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
    /// Where the environment is seen (`https://stage.example.com`): the stage-test mail names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
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
    #[serde(default = "default_turn_length")]
    pub every: TurnLength,
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
pub struct TurnLength(pub u32);

impl TryFrom<String> for TurnLength {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        crate::release::schedule::parse_every(&value).map(TurnLength)
    }
}

impl From<TurnLength> for String {
    fn from(e: TurnLength) -> String {
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

fn default_name() -> NamePattern {
    NamePattern(NameFormat::new("%Y-%m-%d").expect("the default pattern is valid"))
}

fn default_date() -> toml::Spanned<DateRule> {
    toml::Spanned::new(0..0, DateRule::Today)
}

fn default_tag() -> bool {
    true
}

fn default_remote() -> String {
    "origin".into()
}

fn default_turn_length() -> TurnLength {
    TurnLength(7)
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

    pub fn group_rules(&self) -> Vec<crate::changelog::GroupRule> {
        self.notes
            .groups
            .iter()
            .map(|g| crate::changelog::GroupRule {
                name: g.name.clone(),
                author: g.author.as_ref().map(|p| p.0.clone()),
                subject: g.subject.as_ref().map(|p| p.0.clone()),
            })
            .collect()
    }

    /// The configured migration directories (the caller autodetects when there are none).
    pub fn migration_dirs(&self) -> Vec<crate::rollforward::Dir> {
        use crate::rollforward::{
            Dir,
            systems::{MigrationDir, System},
        };
        self.migrations
            .iter()
            .map(|m| match (&m.generate, System::parse(&m.system)) {
                (Some(command), _) => Dir::Generated {
                    system: m.system.clone(),
                    dir: m.dir.clone(),
                    command: command.clone(),
                },
                (None, Some(system)) => Dir::of(MigrationDir {
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::config::parse;

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
