//! Events: one immutable record per thing that happened to a release. Each is stored as its
//! own TOML file, `events/<UTC second>-<id>.toml`, and never changed after it is written.

use std::fmt;

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};

/// The storage format version written into every event and `release.toml`.
pub const FORMAT: i64 = 1;

/// Who did it: git's identity of the person running the command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub name: String,
    pub email: String,
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} <{}>", self.name, self.email)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// 12 lowercase hex digits; with the time it makes the file name unique across clones.
    pub id: String,
    /// Microsecond precision. Events fold in (time, id) order.
    pub time: DateTime<Utc>,
    pub actor: Actor,
    pub kind: EventKind,
}

/// What happened. The serde names are the `kind = "…"` values in the event files.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EventKind {
    /// The release was named and recorded. Always the first event.
    Started {
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        previous: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        tag: Option<String>,
        /// A cherry-pick release: the release it was cut from …
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
        /// … and the commits picked onto it, in order (full shas of the originals).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        picks: Vec<String>,
    },
    /// Free text for the audit trail ("ops delayed stage to 3pm").
    Comment { message: String },
    /// A named approval by someone acting for a role.
    Signoff {
        role: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Withdraws every sign-off of a role.
    Revoke {
        role: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Checklist items done.
    Check {
        items: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Checklist items reopened.
    Uncheck {
        items: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A bug that blocks the release.
    Block {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        url: Option<String>,
    },
    Unblock {
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Deployed to an environment; `forced` past the unmet conditions listed, for `reason`.
    Deploy {
        env: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unmet: Vec<String>,
    },
    /// QA verified the release on an environment after deploying it there.
    Verify {
        env: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Engineering approves rolling this release back (forward).
    RollbackApprove {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A rendered template (mail, pad, request) kept in the release's tree at `path`.
    Artifact { template: String, path: String },
    /// Bad commits reverted (and their migrations undone) on a new branch.
    Rollforward {
        branch: String,
        onto: String,
        tip: String,
        reverted: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        undone: Vec<String>,
        /// Migrations whose undo a person still has to write.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        manual: Vec<String>,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        forced: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// A hook's request failed (the event it fired for stays recorded).
    HookFailed {
        hook: String,
        /// The id of the event the hook fired for.
        event: String,
        error: String,
    },
    /// A failed hook was sent again and went through.
    HookOk { hook: String, event: String },
    /// A value a service answered (a bug id, a build URL), kept by a hook's or gate's
    /// `capture`. A later fact of the same name replaces it.
    Fact {
        name: String,
        value: String,
        /// The hook or gate whose answer it came from (`hook bugzilla-file`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        source: Option<String>,
    },
    /// `git release wait` saw a gate pass, or gave up on it.
    Gate {
        gate: String,
        passed: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    /// `git release watch` judged a monitor over its window after a deployment to `env`.
    Monitor {
        monitor: String,
        env: String,
        passed: bool,
        /// The evidence: what was measured, against what.
        detail: String,
    },
    /// Continuous deployment stops: `git release ship` does nothing until `unfreeze`.
    Freeze { reason: String },
    Unfreeze {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// The release is closed; it is no longer the default for other commands.
    Finished {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// A kind this version does not know (written by a newer one). Kept and shown, never dropped.
    #[serde(skip)]
    Unknown { kind: String, fields: toml::Table },
}

/// What a hook's `on = "<event>:<qualifier>"` narrows an event to, and so what the qualifier
/// must name in the config when it is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HookQualifier {
    /// An environment of `[[environments]]`: where the release was deployed or verified.
    Environment,
    /// A role of `[roles]`: who signed off, or whose sign-off was revoked.
    Role,
    /// A gate of `[[gates]]`.
    Gate,
    /// A bug id, which no table lists.
    Bug,
    /// A template, found only when one is rendered.
    Template,
}

impl HookQualifier {
    /// What messages call the thing it names.
    pub fn noun(self) -> &'static str {
        match self {
            HookQualifier::Environment => "environment",
            HookQualifier::Role => "role",
            HookQualifier::Gate => "gate",
            HookQualifier::Bug => "bug id",
            HookQualifier::Template => "template",
        }
    }
}

/// The names of one kind of event: in event files, and in a hook's `on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KindNames {
    /// `kind = "…"` in an event file, as `git release log` shows it.
    pub name: &'static str,
    /// What a hook's `on` calls it; `None` for hooks' own results, which fire no hook.
    pub hook: Option<&'static str>,
    /// What `on = "<hook>:…"` may narrow it to; `None` when it has nothing to narrow by.
    pub qualifier: Option<HookQualifier>,
}

impl KindNames {
    const fn new(
        name: &'static str,
        hook: Option<&'static str>,
        qualifier: Option<HookQualifier>,
    ) -> KindNames {
        KindNames {
            name,
            hook,
            qualifier,
        }
    }
}

impl EventKind {
    /// Every kind this version knows: the one list of event names, which reading event files,
    /// checking the config's hooks and matching hooks to events go by. An event file of any
    /// other kind is read as `Unknown` and kept.
    pub const NAMES: &[KindNames] = {
        use HookQualifier::{Bug, Environment, Gate, Role, Template};
        &[
            KindNames::new("started", Some("start"), None),
            KindNames::new("finished", Some("finish"), None),
            KindNames::new("deploy", Some("deploy"), Some(Environment)),
            KindNames::new("verify", Some("verify"), Some(Environment)),
            KindNames::new("signoff", Some("signoff"), Some(Role)),
            KindNames::new("revoke", Some("revoke"), Some(Role)),
            KindNames::new("check", Some("check"), None),
            KindNames::new("uncheck", Some("uncheck"), None),
            KindNames::new("block", Some("block"), Some(Bug)),
            KindNames::new("unblock", Some("unblock"), Some(Bug)),
            KindNames::new("comment", Some("comment"), None),
            KindNames::new("rollback-approve", Some("rollback-approve"), None),
            KindNames::new("rollforward", Some("rollforward"), None),
            KindNames::new("artifact", Some("artifact"), Some(Template)),
            KindNames::new("gate", Some("gate"), Some(Gate)),
            KindNames::new("monitor", Some("monitor"), Some(Environment)),
            KindNames::new("freeze", Some("freeze"), None),
            KindNames::new("unfreeze", Some("unfreeze"), None),
            KindNames::new("hook-failed", None, None),
            KindNames::new("hook-ok", None, None),
            KindNames::new("fact", None, None),
        ]
    };

    /// The kind called `name` in event files, if this version knows it.
    pub fn named(name: &str) -> Option<&'static KindNames> {
        EventKind::NAMES.iter().find(|k| k.name == name)
    }

    /// The event a hook's `on` names (`deploy` in `deploy:stage`), if any.
    pub fn named_by_hook(on: &str) -> Option<&'static KindNames> {
        EventKind::NAMES.iter().find(|k| k.hook == Some(on))
    }

    /// Its `kind = "…"` in event files (`NAMES` lists those this version knows).
    pub fn name(&self) -> &str {
        match self {
            EventKind::Started { .. } => "started",
            EventKind::Comment { .. } => "comment",
            EventKind::Signoff { .. } => "signoff",
            EventKind::Revoke { .. } => "revoke",
            EventKind::Check { .. } => "check",
            EventKind::Uncheck { .. } => "uncheck",
            EventKind::Block { .. } => "block",
            EventKind::Unblock { .. } => "unblock",
            EventKind::Deploy { .. } => "deploy",
            EventKind::Verify { .. } => "verify",
            EventKind::RollbackApprove { .. } => "rollback-approve",
            EventKind::Artifact { .. } => "artifact",
            EventKind::Rollforward { .. } => "rollforward",
            EventKind::HookFailed { .. } => "hook-failed",
            EventKind::HookOk { .. } => "hook-ok",
            EventKind::Fact { .. } => "fact",
            EventKind::Gate { .. } => "gate",
            EventKind::Monitor { .. } => "monitor",
            EventKind::Freeze { .. } => "freeze",
            EventKind::Unfreeze { .. } => "unfreeze",
            EventKind::Finished { .. } => "finished",
            EventKind::Unknown { kind, .. } => kind,
        }
    }

    /// What a hook's `on` calls this event; `None` when it fires no hook.
    pub fn hook_name(&self) -> Option<&'static str> {
        EventKind::named(self.name()).and_then(|k| k.hook)
    }

    /// What a hook's qualifier is compared with: the environment of a deploy, the role of a
    /// sign-off … (`NAMES` says which kinds have one, and what it names).
    pub fn hook_qualifier(&self) -> Option<&str> {
        match self {
            EventKind::Deploy { env, .. }
            | EventKind::Verify { env, .. }
            | EventKind::Monitor { env, .. } => Some(env),
            EventKind::Signoff { role, .. } | EventKind::Revoke { role, .. } => Some(role),
            EventKind::Block { id, .. } | EventKind::Unblock { id, .. } => Some(id),
            EventKind::Artifact { template, .. } => Some(template),
            EventKind::Gate { gate, .. } => Some(gate),
            _ => None,
        }
    }

    /// The one-line summary used as the event commit's message and in `git release log`.
    pub fn summary(&self) -> String {
        match self {
            EventKind::Started {
                target, previous, ..
            } => {
                let short: String = target.chars().take(7).collect();
                match previous {
                    Some(p) => format!("start at {short} (previous {p})"),
                    None => format!("start at {short} (first release)"),
                }
            }
            EventKind::Comment { message } => {
                let first = message.lines().next().unwrap_or_default();
                format!("comment: {first}")
            }
            EventKind::Signoff { role, .. } => format!("signoff {role}"),
            EventKind::Revoke { role, .. } => format!("revoke signoff {role}"),
            EventKind::Check { items, .. } => format!("check {}", items.join(" ")),
            EventKind::Uncheck { items, .. } => format!("uncheck {}", items.join(" ")),
            EventKind::Block { id, title, .. } => match title {
                Some(t) => format!("block {id}: {t}"),
                None => format!("block {id}"),
            },
            EventKind::Unblock { id, .. } => format!("unblock {id}"),
            EventKind::Deploy { env, forced, .. } => {
                if *forced {
                    format!("deploy {env} (forced)")
                } else {
                    format!("deploy {env}")
                }
            }
            EventKind::Verify { env, .. } => format!("verify {env}"),
            EventKind::RollbackApprove { .. } => "approve roll-back".to_owned(),
            EventKind::Artifact { template, .. } => format!("record {template}"),
            EventKind::Rollforward {
                branch, reverted, ..
            } => format!(
                "roll forward: roll back {} commit{} on {branch}",
                reverted.len(),
                if reverted.len() == 1 { "" } else { "s" }
            ),
            EventKind::Finished { .. } => "finish".to_owned(),
            EventKind::HookFailed { hook, .. } => format!("hook {hook} failed"),
            EventKind::HookOk { hook, .. } => format!("hook {hook} retried"),
            EventKind::Fact { name, value, .. } => format!("fact {name} = {}", one_line(value, 60)),
            EventKind::Gate { gate, passed, .. } => {
                if *passed {
                    format!("gate {gate} passed")
                } else {
                    format!("gate {gate} timed out")
                }
            }
            EventKind::Monitor {
                monitor,
                passed,
                detail,
                ..
            } => {
                let first = detail.lines().next().unwrap_or_default();
                if *passed {
                    format!("monitor {monitor}: {first}")
                } else {
                    format!("monitor {monitor} failed: {first}")
                }
            }
            EventKind::Freeze { reason } => {
                format!("freeze: {}", reason.lines().next().unwrap_or_default())
            }
            EventKind::Unfreeze { .. } => "unfreeze".to_owned(),
            EventKind::Unknown { kind, .. } => format!("{kind} (unknown event kind)"),
        }
    }
}

/// `text` on one line, control characters as spaces, cut to `limit` characters.
fn one_line(text: &str, limit: usize) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > limit {
        format!("{}…", flat.chars().take(limit).collect::<String>())
    } else {
        flat
    }
}

/// Why an event file could not be read.
#[derive(Debug, PartialEq)]
pub struct EventError(pub String);

impl fmt::Display for EventError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EventError {}

const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

impl Event {
    pub fn new(id: String, time: DateTime<Utc>, actor: Actor, kind: EventKind) -> Self {
        Event {
            id,
            time: time.trunc_subsecs(6),
            actor,
            kind,
        }
    }

    /// `20261121T221403Z-0123456789ab.toml`: sorts by time, unique by id.
    pub fn file_name(&self) -> String {
        format!("{}-{}.toml", self.time.format("%Y%m%dT%H%M%SZ"), self.id)
    }

    /// Splits a file name back into its id, or `None` if it is not an event file name.
    pub fn id_from_file_name(file_name: &str) -> Option<&str> {
        let stem = file_name.strip_suffix(".toml")?;
        let (stamp, id) = stem.split_once('-')?;
        let stamp_ok = stamp.len() == 16
            && stamp.as_bytes()[8] == b'T'
            && stamp.ends_with('Z')
            && stamp[..8].bytes().all(|b| b.is_ascii_digit())
            && stamp[9..15].bytes().all(|b| b.is_ascii_digit());
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_hexdigit());
        (stamp_ok && id_ok).then_some(id)
    }

    pub fn to_toml(&self) -> String {
        let mut table = toml::Table::new();
        table.insert("format".into(), FORMAT.into());
        table.insert("kind".into(), self.kind.name().into());
        table.insert(
            "time".into(),
            self.time.format(TIME_FORMAT).to_string().into(),
        );
        table.insert("actor".into(), self.actor.name.clone().into());
        table.insert("email".into(), self.actor.email.clone().into());
        let fields = match &self.kind {
            EventKind::Unknown { fields, .. } => fields.clone(),
            known => toml::Table::try_from(known).expect("event kinds serialize to a table"),
        };
        for (key, value) in fields {
            if key != "kind" {
                table.insert(key, value);
            }
        }
        toml::to_string(&table).expect("a TOML table serializes")
    }

    /// Reads an event file. `id` comes from its file name.
    #[cfg(test)]
    pub fn from_toml(id: &str, text: &str) -> Result<Event, EventError> {
        Event::from_toml_with_format(id, text).map(|(event, _)| event)
    }

    /// `from_toml`, and the `format` the file says it is written in: a newer one than
    /// `FORMAT` is read as well as this version can, and said.
    pub fn from_toml_with_format(id: &str, text: &str) -> Result<(Event, i64), EventError> {
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| EventError(format!("not valid TOML: {}", e.message())))?;
        let mut take_str = |key: &str| -> Result<String, EventError> {
            match table.remove(key) {
                Some(toml::Value::String(s)) => Ok(s),
                Some(_) => Err(EventError(format!("`{key}` is not a string"))),
                None => Err(EventError(format!("`{key}` is missing"))),
            }
        };
        let time = take_str("time")?;
        let name = take_str("actor")?;
        let email = take_str("email")?;
        let time = DateTime::parse_from_rfc3339(&time)
            .map_err(|e| EventError(format!("`time = \"{time}\"` is not an RFC 3339 time: {e}")))?
            .with_timezone(&Utc);
        let format = match table.remove("format") {
            Some(toml::Value::Integer(format)) => format,
            Some(_) => return Err(EventError("`format` is not an integer".into())),
            None => return Err(EventError("`format` is missing".into())),
        };
        let kind_name = match table.get("kind") {
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(EventError("`kind` is not a string".into())),
            None => return Err(EventError("`kind` is missing".into())),
        };
        let kind = if EventKind::named(&kind_name).is_some() {
            table
                .try_into::<EventKind>()
                .map_err(|e| EventError(format!("bad `{kind_name}` event: {}", e.message())))?
        } else {
            table.remove("kind");
            EventKind::Unknown {
                kind: kind_name,
                fields: table,
            }
        };
        let event = Event {
            id: id.to_owned(),
            time,
            actor: Actor { name, email },
            kind,
        };
        Ok((event, format))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn sample(kind: EventKind) -> Event {
        Event::new(
            "0123456789ab".into(),
            Utc.with_ymd_and_hms(2026, 11, 21, 22, 14, 3).unwrap()
                + chrono::Duration::microseconds(1234),
            Actor {
                name: "Jane Doe".into(),
                email: "jane@example.com".into(),
            },
            kind,
        )
    }

    #[test]
    fn file_name_sorts_by_second_and_names_the_id() {
        let e = sample(EventKind::Comment {
            message: "hi".into(),
        });
        assert_eq!(e.file_name(), "20261121T221403Z-0123456789ab.toml");
        assert_eq!(
            Event::id_from_file_name(&e.file_name()),
            Some("0123456789ab")
        );
        assert_eq!(Event::id_from_file_name("notes.toml"), None);
        assert_eq!(Event::id_from_file_name("20261121T221403Z-xyz.toml"), None);
    }

    #[test]
    fn round_trips_through_toml() {
        for kind in [
            EventKind::Started {
                target: "a".repeat(40),
                previous: Some("2026-11-14".into()),
                tag: Some("2026-11-21".into()),
                from: None,
                picks: Vec::new(),
            },
            EventKind::Started {
                target: "b".repeat(40),
                previous: None,
                tag: None,
                from: Some("2026-11-14".into()),
                picks: vec!["c".repeat(40)],
            },
            EventKind::Comment {
                message: "ops delayed stage to 3pm\n\"quoted\"".into(),
            },
            EventKind::Signoff {
                role: "qa".into(),
                note: Some("stage looks good".into()),
            },
            EventKind::Check {
                items: vec!["firefox-1".into(), "firefox-2".into()],
                note: None,
            },
            EventKind::Block {
                id: "1234".into(),
                title: Some("login broken".into()),
                url: None,
            },
            EventKind::Deploy {
                env: "production".into(),
                forced: true,
                reason: Some("hotfix".into()),
                unmet: vec!["sign-off `qa` missing".into()],
            },
            EventKind::RollbackApprove { note: None },
        ] {
            let e = sample(kind);
            let text = e.to_toml();
            assert_eq!(Event::from_toml(&e.id, &text).unwrap(), e, "{text}");
        }
    }

    /// One event of every kind in `NAMES`.
    fn one_of_each() -> Vec<EventKind> {
        let note = || Some("a note".to_owned());
        vec![
            EventKind::Started {
                target: "a".repeat(40),
                previous: None,
                tag: None,
                from: None,
                picks: Vec::new(),
            },
            EventKind::Finished { note: note() },
            EventKind::Deploy {
                env: "stage".into(),
                forced: false,
                reason: None,
                unmet: Vec::new(),
            },
            EventKind::Verify {
                env: "stage".into(),
                note: note(),
            },
            EventKind::Signoff {
                role: "qa".into(),
                note: note(),
            },
            EventKind::Revoke {
                role: "qa".into(),
                note: note(),
            },
            EventKind::Check {
                items: vec!["smoke".into()],
                note: note(),
            },
            EventKind::Uncheck {
                items: vec!["smoke".into()],
                note: note(),
            },
            EventKind::Block {
                id: "1234".into(),
                title: None,
                url: None,
            },
            EventKind::Unblock {
                id: "1234".into(),
                note: note(),
            },
            EventKind::Comment {
                message: "hi".into(),
            },
            EventKind::RollbackApprove { note: note() },
            EventKind::Rollforward {
                branch: "rollforward/x".into(),
                onto: "b".repeat(40),
                tip: "c".repeat(40),
                reverted: vec!["d".repeat(40)],
                undone: Vec::new(),
                manual: Vec::new(),
                forced: false,
                reason: None,
            },
            EventKind::Artifact {
                template: "push-pad".into(),
                path: "artifacts/push-pad.md".into(),
            },
            EventKind::Gate {
                gate: "ci".into(),
                passed: true,
                detail: None,
            },
            EventKind::HookFailed {
                hook: "ci".into(),
                event: "0123456789ab".into(),
                error: "503".into(),
            },
            EventKind::HookOk {
                hook: "ci".into(),
                event: "0123456789ab".into(),
            },
            EventKind::Fact {
                name: "bug".into(),
                value: "1234".into(),
                source: Some("hook bugzilla".into()),
            },
            EventKind::Monitor {
                monitor: "5xx".into(),
                env: "production".into(),
                passed: false,
                detail: "0.4 > 0.1".into(),
            },
            EventKind::Freeze {
                reason: "holidays".into(),
            },
            EventKind::Unfreeze { note: note() },
        ]
    }

    #[test]
    fn names_lists_every_kind_serde_reads() {
        // serde lists the kinds it knows when it meets another: that list must be `NAMES`,
        // or a new kind would be read back as unknown and no hook could fire on it.
        let err = toml::from_str::<EventKind>("kind = \"teleport\"").unwrap_err();
        let message = err.message();
        let (_, expected) = message
            .split_once("expected one of ")
            .unwrap_or_else(|| panic!("{message}"));
        let mut read: Vec<&str> = expected
            .trim_end()
            .split(", ")
            .map(|n| n.trim_matches('`'))
            .collect();
        let mut listed: Vec<&str> = EventKind::NAMES.iter().map(|k| k.name).collect();
        read.sort_unstable();
        listed.sort_unstable();
        assert_eq!(read, listed);
    }

    #[test]
    fn every_kind_reads_back_under_its_name_and_hook() {
        let kinds = one_of_each();
        let mut sampled: Vec<&str> = kinds.iter().map(EventKind::name).collect();
        let mut listed: Vec<&str> = EventKind::NAMES.iter().map(|k| k.name).collect();
        sampled.sort_unstable();
        listed.sort_unstable();
        assert_eq!(sampled, listed, "one sample of each kind in NAMES, once");
        let mut hooks: Vec<&str> = EventKind::NAMES.iter().filter_map(|k| k.hook).collect();
        hooks.sort_unstable();
        hooks.dedup();
        assert_eq!(
            hooks.len(),
            EventKind::NAMES.iter().filter(|k| k.hook.is_some()).count()
        );
        for kind in kinds {
            let e = sample(kind);
            let text = e.to_toml();
            assert_eq!(Event::from_toml(&e.id, &text).unwrap(), e, "{text}");
            let names = EventKind::named(e.kind.name()).expect("listed");
            assert_eq!(e.kind.hook_name(), names.hook);
            if let Some(hook) = names.hook {
                assert_eq!(EventKind::named_by_hook(hook), Some(names));
            }
            assert_eq!(
                names.qualifier.is_some(),
                e.kind.hook_qualifier().is_some(),
                "{}: NAMES and hook_qualifier disagree on whether a hook may narrow it",
                names.name
            );
            assert!(names.hook.is_some() || names.qualifier.is_none());
        }
    }

    #[test]
    fn keeps_unknown_kinds_from_newer_versions() {
        let text = "format = 2\nkind = \"teleport\"\ntime = \"2026-11-21T22:14:03.000001Z\"\n\
                    actor = \"A\"\nemail = \"a@x\"\nwhere = \"mars\"\n";
        let e = Event::from_toml("00", text).unwrap();
        assert_eq!(e.kind.name(), "teleport");
        let again = Event::from_toml("00", &e.to_toml()).unwrap();
        assert_eq!(again, e);
    }

    #[test]
    fn malformed_events_say_what_is_wrong() {
        let err = Event::from_toml("00", "kind = \"comment\"").unwrap_err();
        assert!(err.0.contains("`time` is missing"), "{err}");
        let err = Event::from_toml(
            "00",
            "format = 1\nkind = \"comment\"\ntime = \"2026-11-21T22:14:03Z\"\nactor = \"A\"\nemail = \"a@x\"\n",
        )
        .unwrap_err();
        assert!(err.0.contains("bad `comment` event"), "{err}");
        assert!(Event::from_toml("00", "not toml [").is_err());
    }
}
