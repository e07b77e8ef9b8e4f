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
    /// `git release wait` saw a gate pass, or gave up on it.
    Gate {
        gate: String,
        passed: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
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

impl EventKind {
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
            EventKind::Gate { .. } => "gate",
            EventKind::Finished { .. } => "finished",
            EventKind::Unknown { kind, .. } => kind,
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
                "roll forward: revert {} commit(s) on {branch}",
                reverted.len()
            ),
            EventKind::Finished { .. } => "finish".to_owned(),
            EventKind::HookFailed { hook, .. } => format!("hook {hook} failed"),
            EventKind::HookOk { hook, .. } => format!("hook {hook} retried"),
            EventKind::Gate { gate, passed, .. } => {
                if *passed {
                    format!("gate {gate} passed")
                } else {
                    format!("gate {gate} timed out")
                }
            }
            EventKind::Unknown { kind, .. } => format!("{kind} (unknown event kind)"),
        }
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
    pub fn from_toml(id: &str, text: &str) -> Result<Event, EventError> {
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
        match table.remove("format") {
            Some(toml::Value::Integer(_)) => {}
            Some(_) => return Err(EventError("`format` is not an integer".into())),
            None => return Err(EventError("`format` is missing".into())),
        }
        let kind_name = match table.get("kind") {
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(EventError("`kind` is not a string".into())),
            None => return Err(EventError("`kind` is missing".into())),
        };
        let kind = if KNOWN_KINDS.contains(&kind_name.as_str()) {
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
        Ok(Event {
            id: id.to_owned(),
            time,
            actor: Actor { name, email },
            kind,
        })
    }
}

const KNOWN_KINDS: &[&str] = &[
    "started",
    "comment",
    "signoff",
    "revoke",
    "check",
    "uncheck",
    "block",
    "unblock",
    "deploy",
    "verify",
    "rollback-approve",
    "artifact",
    "rollforward",
    "hook-failed",
    "hook-ok",
    "gate",
    "finished",
];

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
