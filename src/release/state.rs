//! The folded state of a release (`release.toml`): what you get by applying its events in
//! (time, id) order. It is derived data: folding `events/` must always reproduce it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::event::{Actor, Event, EventKind, FORMAT};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Release {
    pub format: i64,
    pub name: String,
    /// The commit being released (full hex).
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    pub created: DateTime<Utc>,
    pub created_by: Actor,
    /// Time of the newest event; new events are stamped strictly after it.
    pub updated: DateTime<Utc>,
    /// How many events were folded.
    pub events: u64,
    #[serde(default)]
    pub comments: u64,
    /// Kinds of events this version could not interpret (from a newer version).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_kinds: Vec<String>,
    /// Role → everyone who signed for it since it was last revoked.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub signoffs: BTreeMap<String, Vec<Stamp>>,
    /// Checklist item id → who checked it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checked: BTreeMap<String, Stamp>,
    /// Open blockers by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub blockers: BTreeMap<String, Blocker>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub deployments: Vec<Deployment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verifications: Vec<Verification>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollback_approvals: Vec<Stamp>,
    /// Rendered templates kept under `artifacts/`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished: Option<Stamp>,
    /// A cherry-pick release: the release it was cut from, and what was picked onto it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub picks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rollforwards: Vec<Rollforward>,
    /// Hooks whose request failed and was not retried successfully yet.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_hooks: Vec<FailedHook>,
    /// The latest result of each HTTP gate.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub gates: BTreeMap<String, GateResult>,
    /// What services answered, by name (`bug`, `bug_url`): the latest value of each.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, Fact>,
    /// The latest verdict of each monitor on each environment, in the order first judged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub monitors: Vec<MonitorVerdict>,
    /// Set while `git release ship` must not advance it: who froze it and why (the note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen: Option<Stamp>,
}

/// A value a service answered, kept by a hook's or gate's `capture`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub value: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    pub by: Stamp,
}

/// The longest fact value kept, in characters; an event holding more (written by hand, or by
/// another tool) is cut to it.
pub const FACT_CAP: usize = 2048;

/// Whether `name` may name a fact: what a template can write after `release.facts.`.
pub fn valid_fact_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= 64
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonitorVerdict {
    pub monitor: String,
    pub env: String,
    pub passed: bool,
    pub detail: String,
    pub by: Stamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedHook {
    pub hook: String,
    pub event: String,
    pub error: String,
    pub by: Stamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GateResult {
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub by: Stamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rollforward {
    pub branch: String,
    pub tip: String,
    pub reverted: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub undone: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub manual: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    pub by: Stamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub template: String,
    pub path: String,
    pub by: Stamp,
}

/// Who did something, when, and what they said about it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamp {
    pub name: String,
    pub email: String,
    pub time: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Stamp {
    fn of(event: &Event, note: &Option<String>) -> Stamp {
        Stamp {
            name: event.actor.name.clone(),
            email: event.actor.email.clone(),
            time: event.time,
            note: note.clone(),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            name: self.name.clone(),
            email: self.email.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub by: Stamp,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub env: String,
    pub by: Stamp,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub env: String,
    pub by: Stamp,
}

/// Why a history does not fold into a release.
#[derive(Debug, PartialEq)]
pub struct FoldError(pub String);

impl std::fmt::Display for FoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FoldError {}

/// Sorts events into fold order: time, then id.
pub fn sort(events: &mut [Event]) {
    events.sort_by(|a, b| (a.time, &a.id).cmp(&(b.time, &b.id)));
}

impl Release {
    /// Starts the state from the release's `started` event.
    pub fn begin(name: &str, first: &Event) -> Result<Release, FoldError> {
        let EventKind::Started {
            target,
            previous,
            tag,
            from,
            picks,
        } = &first.kind
        else {
            return Err(FoldError(format!(
                "release {name}: the first event is `{}`, not `started`",
                first.kind.name()
            )));
        };
        Ok(Release {
            format: FORMAT,
            name: name.to_owned(),
            target: target.clone(),
            tag: tag.clone(),
            previous: previous.clone(),
            created: first.time,
            created_by: first.actor.clone(),
            updated: first.time,
            events: 1,
            comments: 0,
            unknown_kinds: Vec::new(),
            signoffs: BTreeMap::new(),
            checked: BTreeMap::new(),
            blockers: BTreeMap::new(),
            deployments: Vec::new(),
            verifications: Vec::new(),
            rollback_approvals: Vec::new(),
            artifacts: Vec::new(),
            finished: None,
            from: from.clone(),
            picks: picks.clone(),
            rollforwards: Vec::new(),
            failed_hooks: Vec::new(),
            gates: BTreeMap::new(),
            facts: BTreeMap::new(),
            monitors: Vec::new(),
            frozen: None,
        })
    }

    /// Applies one more event, which must sort after every event already folded.
    pub fn apply(&mut self, event: &Event) {
        self.events += 1;
        self.updated = self.updated.max(event.time);
        match &event.kind {
            // A second start (two clones racing to record the same name) changes nothing: the
            // first one named the target and the tag. (`sync` refuses to merge two histories
            // that started at different commits: see `started_apart`.)
            EventKind::Started { .. } => {}
            EventKind::Comment { .. } => self.comments += 1,
            EventKind::Signoff { role, note } => {
                let signers = self.signoffs.entry(role.clone()).or_default();
                if !signers.iter().any(|s| s.email == event.actor.email) {
                    signers.push(Stamp::of(event, note));
                }
            }
            EventKind::Revoke { role, .. } => {
                self.signoffs.remove(role);
            }
            EventKind::Check { items, note } => {
                for id in items {
                    self.checked
                        .entry(id.clone())
                        .or_insert_with(|| Stamp::of(event, note));
                }
            }
            EventKind::Uncheck { items, .. } => {
                for id in items {
                    self.checked.remove(id);
                }
            }
            EventKind::Block { id, title, url } => {
                self.blockers.insert(
                    id.clone(),
                    Blocker {
                        title: title.clone(),
                        url: url.clone(),
                        by: Stamp::of(event, &None),
                    },
                );
            }
            EventKind::Unblock { id, .. } => {
                self.blockers.remove(id);
            }
            EventKind::Deploy {
                env,
                forced,
                reason,
                ..
            } => self.deployments.push(Deployment {
                env: env.clone(),
                by: Stamp::of(event, &None),
                forced: *forced,
                reason: reason.clone(),
            }),
            EventKind::Verify { env, note } => self.verifications.push(Verification {
                env: env.clone(),
                by: Stamp::of(event, note),
            }),
            EventKind::RollbackApprove { note } => {
                self.rollback_approvals.push(Stamp::of(event, note));
            }
            EventKind::Artifact { template, path } => self.artifacts.push(Artifact {
                template: template.clone(),
                path: path.clone(),
                by: Stamp::of(event, &None),
            }),
            EventKind::Rollforward {
                branch,
                tip,
                reverted,
                undone,
                manual,
                forced,
                reason,
                ..
            } => self.rollforwards.push(Rollforward {
                branch: branch.clone(),
                tip: tip.clone(),
                reverted: reverted.clone(),
                undone: undone.clone(),
                manual: manual.clone(),
                forced: *forced,
                by: Stamp::of(event, reason),
            }),
            EventKind::HookFailed {
                hook,
                event: id,
                error,
            } => {
                self.failed_hooks
                    .retain(|f| !(f.hook == *hook && f.event == *id));
                self.failed_hooks.push(FailedHook {
                    hook: hook.clone(),
                    event: id.clone(),
                    error: error.clone(),
                    by: Stamp::of(event, &None),
                });
            }
            EventKind::HookOk { hook, event: id } => {
                self.failed_hooks
                    .retain(|f| !(f.hook == *hook && f.event == *id));
            }
            EventKind::Gate {
                gate,
                passed,
                detail,
            } => {
                self.gates.insert(
                    gate.clone(),
                    GateResult {
                        passed: *passed,
                        detail: detail.clone(),
                        by: Stamp::of(event, &None),
                    },
                );
            }
            EventKind::Fact {
                name,
                value,
                source,
            } => {
                // A name no template could reach is kept in the event, not in the state.
                if valid_fact_name(name) {
                    self.facts.insert(
                        name.clone(),
                        Fact {
                            value: value.chars().take(FACT_CAP).collect(),
                            source: source.clone(),
                            by: Stamp::of(event, &None),
                        },
                    );
                }
            }
            EventKind::Monitor {
                monitor,
                env,
                passed,
                detail,
            } => {
                let verdict = MonitorVerdict {
                    monitor: monitor.clone(),
                    env: env.clone(),
                    passed: *passed,
                    detail: detail.clone(),
                    by: Stamp::of(event, &None),
                };
                match self
                    .monitors
                    .iter_mut()
                    .find(|v| v.monitor == *monitor && v.env == *env)
                {
                    Some(old) => *old = verdict,
                    None => self.monitors.push(verdict),
                }
            }
            EventKind::Freeze { reason } => {
                self.frozen = Some(Stamp::of(event, &Some(reason.clone())));
            }
            EventKind::Unfreeze { .. } => self.frozen = None,
            EventKind::Finished { note } => {
                if self.finished.is_none() {
                    self.finished = Some(Stamp::of(event, note));
                }
            }
            EventKind::Unknown { kind, .. } => {
                if !self.unknown_kinds.contains(kind) {
                    self.unknown_kinds.push(kind.clone());
                }
            }
        }
    }

    /// Folds a whole history. Events need not be sorted.
    pub fn fold(name: &str, events: &[Event]) -> Result<Release, FoldError> {
        let mut sorted = events.to_vec();
        sort(&mut sorted);
        let (first, rest) = sorted
            .split_first()
            .ok_or_else(|| FoldError(format!("release {name} has no events")))?;
        let mut release = Release::begin(name, first)?;
        for event in rest {
            release.apply(event);
        }
        Ok(release)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("the release state serializes")
    }

    pub fn from_toml(text: &str) -> Result<Release, String> {
        toml::from_str(text).map_err(|e| e.message().to_owned())
    }

    /// Where the release stands: `started`, `deployed to stage`, `verified on production`.
    pub fn stage(&self) -> String {
        if self.finished.is_some() {
            return "finished".into();
        }
        let Some(last) = self.deployments.last() else {
            return "started".into();
        };
        let verified = self
            .verifications
            .iter()
            .any(|v| v.env == last.env && v.by.time >= last.by.time);
        if verified {
            format!("verified on {}", last.env)
        } else {
            format!("deployed to {}", last.env)
        }
    }

    /// Whether the release has been deployed to `env`.
    pub fn deployed_to(&self, env: &str) -> bool {
        self.deployments.iter().any(|d| d.env == env)
    }

    /// The newest deployment to `env`.
    pub fn last_deployment(&self, env: &str) -> Option<&Deployment> {
        self.deployments.iter().rev().find(|d| d.env == env)
    }

    /// The verdict of `monitor` on `env` since the newest deployment there, if it was judged.
    pub fn verdict_since_deploy(&self, monitor: &str, env: &str) -> Option<&MonitorVerdict> {
        let deployed = self.last_deployment(env)?.by.time;
        self.monitors
            .iter()
            .find(|v| v.monitor == monitor && v.env == env && v.by.time >= deployed)
    }

    /// The human summary kept in `refs/notes/release` on the target commit.
    pub fn note(&self) -> String {
        let mut note = format!("release {}\n", self.name);
        if let Some(tag) = &self.tag {
            note.push_str(&format!("  tag: {tag}\n"));
        }
        if let Some(previous) = &self.previous {
            note.push_str(&format!("  previous: {previous}\n"));
        }
        note.push_str(&format!("  stage: {}\n", self.stage()));
        note.push_str(&format!(
            "  started: {} by {}\n",
            self.created.format("%Y-%m-%d %H:%M UTC"),
            self.created_by
        ));
        for (role, signers) in &self.signoffs {
            for s in signers {
                note.push_str(&format!("  signoff {role}: {} <{}>\n", s.name, s.email));
            }
        }
        for d in &self.deployments {
            let forced = if d.forced { " (forced)" } else { "" };
            note.push_str(&format!(
                "  deployed {}: {} by {}{forced}\n",
                d.env,
                d.by.time.format("%Y-%m-%d %H:%M UTC"),
                d.by.name
            ));
        }
        for v in &self.verifications {
            note.push_str(&format!("  verified {}: by {}\n", v.env, v.by.name));
        }
        note
    }
}

/// Puts `release`'s block into a note that may also describe other releases of the same commit,
/// replacing its old block and keeping the others in name order.
pub fn merge_note(existing: Option<&str>, release: &Release) -> String {
    merge_notes(existing, std::slice::from_ref(release))
}

/// `merge_note` for several releases of one commit at once: the note is split into blocks once,
/// however many releases it describes.
pub fn merge_notes(existing: Option<&str>, releases: &[Release]) -> String {
    // One block per name, the last release of a name winning, as when merged one by one.
    let mut newest: BTreeMap<&str, &Release> = BTreeMap::new();
    for release in releases {
        newest.insert(release.name.as_str(), release);
    }
    let mut blocks: Vec<(String, String)> = Vec::new();
    for block in existing.unwrap_or_default().split("\nrelease ") {
        let block = block.strip_prefix("release ").unwrap_or(block).trim_end();
        let Some(name) = block.lines().next().filter(|n| !n.trim().is_empty()) else {
            continue;
        };
        let name = name.trim().to_owned();
        if !newest.contains_key(name.as_str()) {
            blocks.push((name, format!("release {block}\n")));
        }
    }
    blocks.extend(newest.values().map(|r| (r.name.clone(), r.note())));
    blocks.sort_by(|a, b| a.0.cmp(&b.0));
    blocks
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Two histories of one name that began at different commits, said as the reason not to merge
/// them: they are two releases, and one fold would count the deployments and sign-offs of one
/// for the other's commit. (A history merged before this was refused keeps both starts; its
/// first start is the same on every side, so it merges on.)
pub fn started_apart(name: &str, ours: &[Event], theirs: &[Event]) -> Option<String> {
    fn first(events: &[Event]) -> Option<(String, &Event)> {
        events.iter().find_map(|e| match &e.kind {
            EventKind::Started { target, .. } => Some((target.clone(), e)),
            _ => None,
        })
    }
    let ((here, a), (there, b)) = (first(ours)?, first(theirs)?);
    if here == there {
        return None;
    }
    let short = |t: &str| t.chars().take(7).collect::<String>();
    let when = |e: &Event| e.time.format("%Y-%m-%d %H:%M UTC");
    Some(format!(
        "release {name} was started twice, for different commits: {} by {} at {} here, and {} \
         by {} at {} there",
        short(&here),
        a.actor.email,
        when(a),
        short(&there),
        b.actor.email,
        when(b),
    ))
}

/// Two histories of one release merged: the union of their events (an event is its file
/// name; file names never collide), folded again. No event is ever lost, whatever the order.
pub fn merge(a: &[Event], b: &[Event]) -> Vec<Event> {
    let mut by_file = std::collections::BTreeMap::new();
    for event in a.iter().chain(b) {
        by_file
            .entry(event.file_name())
            .or_insert_with(|| event.clone());
    }
    let mut all: Vec<Event> = by_file.into_values().collect();
    sort(&mut all);
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn at(secs: i64, id: &str, kind: EventKind) -> Event {
        Event::new(
            id.into(),
            Utc.timestamp_opt(1_800_000_000 + secs, 0).unwrap(),
            Actor {
                name: "A".into(),
                email: "a@x".into(),
            },
            kind,
        )
    }

    fn started(secs: i64) -> Event {
        at(
            secs,
            "000000000000",
            EventKind::Started {
                target: "c".repeat(40),
                previous: Some("2026-11-14".into()),
                tag: Some("2026-11-21".into()),
                from: None,
                picks: Vec::new(),
            },
        )
    }

    fn comment(secs: i64, id: &str) -> Event {
        at(
            secs,
            id,
            EventKind::Comment {
                message: format!("c{id}"),
            },
        )
    }

    #[test]
    fn folds_a_history() {
        let r = Release::fold(
            "2026-11-21",
            &[comment(5, "b"), started(0), comment(3, "a")],
        )
        .unwrap();
        assert_eq!(r.events, 3);
        assert_eq!(r.comments, 2);
        assert_eq!(r.target, "c".repeat(40));
        assert_eq!(r.updated, comment(5, "b").time);
        assert_eq!(Release::from_toml(&r.to_toml()).unwrap(), r);
    }

    fn fact(secs: i64, id: &str, name: &str, value: &str) -> Event {
        at(
            secs,
            id,
            EventKind::Fact {
                name: name.into(),
                value: value.into(),
                source: Some("hook bugzilla".into()),
            },
        )
    }

    #[test]
    fn a_later_fact_replaces_an_earlier_one_of_its_name() {
        let r = Release::fold(
            "2026-11-21",
            &[
                fact(5, "b", "bug", "2"),
                started(0),
                fact(3, "a", "bug", "1"),
                fact(4, "c", "bug_url", "https://b/1"),
                fact(6, "d", "not a name", "x"),
                fact(7, "e", "big", &"x".repeat(FACT_CAP + 10)),
            ],
        )
        .unwrap();
        assert_eq!(r.facts["bug"].value, "2");
        assert_eq!(r.facts["bug_url"].value, "https://b/1");
        assert_eq!(r.facts["bug"].source.as_deref(), Some("hook bugzilla"));
        assert!(!r.facts.contains_key("not a name"));
        assert_eq!(r.facts["big"].value.chars().count(), FACT_CAP);
        assert_eq!(Release::from_toml(&r.to_toml()).unwrap(), r);
    }

    #[test]
    fn fact_names_are_what_templates_can_reach() {
        for good in ["bug", "bug_url", "_x", "B2"] {
            assert!(valid_fact_name(good), "{good}");
        }
        for bad in ["", "2x", "bug-url", "a.b", "é", &"a".repeat(65)] {
            assert!(!valid_fact_name(bad), "{bad}");
        }
    }

    #[test]
    fn refuses_a_history_without_start() {
        let err = Release::fold("x", &[comment(1, "a")]).unwrap_err();
        assert!(err.0.contains("not `started`"));
        assert!(Release::fold("x", &[]).is_err());
    }

    #[test]
    fn two_starts_of_different_commits_are_apart() {
        let mut second = started(5);
        second.id = "111111111111".into();
        // The same commit started twice (two clones racing for the name) is one release.
        assert_eq!(
            started_apart("2026-11-21", &[started(0)], &[second.clone()]),
            None
        );
        if let EventKind::Started { target, .. } = &mut second.kind {
            *target = "d".repeat(40);
        }
        assert_eq!(
            started_apart(
                "2026-11-21",
                &[started(0), comment(9, "a")],
                &[second.clone()]
            )
            .unwrap(),
            "release 2026-11-21 was started twice, for different commits: ccccccc by a@x at \
             2027-01-15 08:00 UTC here, and ddddddd by a@x at 2027-01-15 08:00 UTC there"
        );
        // A history an older version merged anyway has the same first start on every side.
        let both = merge(&[started(0)], &[second.clone()]);
        assert_eq!(started_apart("2026-11-21", &both, &[started(0)]), None);
        assert!(Release::fold("2026-11-21", &both).is_ok());
    }

    #[test]
    fn merge_is_a_union() {
        let base = vec![started(0), comment(1, "a")];
        let mut left = base.clone();
        left.push(comment(2, "b"));
        let mut right = base.clone();
        right.push(comment(2, "c"));
        let merged = merge(&left, &right);
        assert_eq!(merged.len(), 4);
        assert_eq!(
            merged.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["000000000000", "a", "b", "c"]
        );
        assert_eq!(merge(&left, &left), left);
    }

    #[test]
    fn notes_keep_other_releases_of_the_same_commit() {
        let one = Release::fold("2026-11-21", &[started(0)]).unwrap();
        let mut two = one.clone();
        two.name = "2026-11-21-1".into();
        let note = merge_note(None, &one);
        let note = merge_note(Some(&note), &two);
        assert!(note.contains("release 2026-11-21\n"));
        assert!(note.contains("release 2026-11-21-1\n"));
        // Updating one block leaves exactly one copy of each.
        let note = merge_note(Some(&note), &one);
        assert_eq!(note.matches("release ").count(), 2, "{note}");
    }

    #[test]
    fn notes_of_several_releases_at_once_are_those_made_one_by_one() {
        let base = Release::fold("2026-11-21", &[started(0)]).unwrap();
        let named = |name: &str| Release {
            name: name.into(),
            ..base.clone()
        };
        let (a, b, c) = (
            named("2026-11-20"),
            named("2026-11-21"),
            named("2026-11-22"),
        );
        let existing = merge_note(Some(&merge_note(None, &c)), &a);
        let one_by_one = merge_note(Some(&merge_note(Some(&existing), &b)), &c);
        assert_eq!(
            merge_notes(Some(&existing), &[c.clone(), b.clone()]),
            one_by_one
        );
        assert_eq!(merge_notes(Some(&existing), &[]), existing);
        assert_eq!(
            merge_notes(None, &[b.clone(), a.clone()]),
            merge_note(Some(&merge_note(None, &b)), &a)
        );
        // Two states of one name (two refs whose release.toml say the same name): one block,
        // the last one's.
        let b_later = Release {
            tag: Some("later".into()),
            ..b.clone()
        };
        let twice = merge_notes(Some(&existing), &[b.clone(), b_later.clone()]);
        assert_eq!(
            twice,
            merge_note(Some(&merge_note(Some(&existing), &b)), &b_later)
        );
        assert_eq!(twice.matches("release 2026-11-21\n").count(), 1, "{twice}");
        assert!(twice.contains("  tag: later\n"), "{twice}");
    }

    fn history() -> impl Strategy<Value = Vec<Event>> {
        proptest::collection::vec((1i64..100, 0u32..1000), 0..20).prop_map(|cs| {
            let mut events = vec![started(0)];
            events.extend(
                cs.into_iter()
                    .map(|(t, n)| comment(t, &format!("{n:012x}"))),
            );
            events
        })
    }

    proptest! {
        #[test]
        fn merge_commutes_and_loses_nothing(a in history(), b in history()) {
            let ab = merge(&a, &b);
            let ba = merge(&b, &a);
            prop_assert_eq!(&ab, &ba);
            for e in a.iter().chain(&b) {
                prop_assert!(ab.contains(e));
            }
            prop_assert_eq!(Release::fold("r", &ab).unwrap(), Release::fold("r", &ba).unwrap());
        }

        #[test]
        fn merge_is_idempotent_and_associative(a in history(), b in history(), c in history()) {
            prop_assert_eq!(merge(&a, &a), merge(&a, &[]));
            prop_assert_eq!(merge(&merge(&a, &b), &c), merge(&a, &merge(&b, &c)));
        }

        #[test]
        fn applying_in_order_equals_folding(a in history()) {
            let mut sorted = a.clone();
            sort(&mut sorted);
            let mut r = Release::begin("r", &sorted[0]).unwrap();
            for e in &sorted[1..] { r.apply(e); }
            prop_assert_eq!(r, Release::fold("r", &a).unwrap());
        }
    }
}
