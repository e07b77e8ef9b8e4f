//! What reports and templates see about a release: the release itself (`ReleaseView`), the
//! changes since the previous release, and everything else a template may use.

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use crate::changelog::{self, Entry};
use crate::config::DateRule;
use crate::git::Oid;
use crate::release::schedule::next_slot;
use crate::release::state::Stamp;
use crate::release::{Actor, Release};
use crate::session::{GateStatus, Session};

/// A release as people see it: `status --json` prints it, the human view formats it, and
/// templates get it as `release`.
#[derive(Serialize)]
pub struct ReleaseView {
    pub name: String,
    /// False for a release known only by its tag (made before git-release was used).
    pub recorded: bool,
    pub target: String,
    pub target_subject: String,
    pub tag: Option<String>,
    pub previous: Option<String>,
    pub stage: String,
    pub created: Option<String>,
    pub created_by: Option<Actor>,
    pub updated: Option<String>,
    pub events: u64,
    pub comments: u64,
    pub deployments: Vec<Done>,
    pub verifications: Vec<Done>,
    pub signoffs: Vec<Done>,
    pub checklist: ChecklistSummary,
    pub blockers: Vec<BlockerView>,
    pub gates: Vec<GateStatus>,
    pub rollback_approvals: Vec<Done>,
    /// A cherry-pick release: the release it was cut from, and the commits picked onto it.
    pub from: Option<String>,
    pub picks: Vec<Pick>,
    pub rollforwards: Vec<crate::release::state::Rollforward>,
    /// Who has push duty on the release's day (with a `[duty]` rotation).
    pub duty: Option<String>,
    /// Hooks whose request failed (`git release hooks retry`).
    pub failed_hooks: Vec<crate::release::state::FailedHook>,
    /// The latest result of each HTTP gate `git release wait` polled.
    pub http_gates: BTreeMap<String, crate::release::state::GateResult>,
    /// What services answered, kept by `capture` (`release.facts.bug_url`); control
    /// characters are written as `\u{…}` escapes.
    pub facts: BTreeMap<String, String>,
    /// The latest verdict of each monitor on each environment (`git release watch`).
    pub monitors: Vec<crate::release::state::MonitorVerdict>,
    /// Set while shipping is frozen: who froze it, when, and why (`note`).
    pub frozen: Option<Stamp>,
    /// Event kinds written by a newer git-release that this one does not understand.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_events: Vec<String>,
}

/// Something someone did: a deployment (`what` = environment), a sign-off (`what` = role) …
#[derive(Serialize)]
pub struct Done {
    pub what: String,
    pub by: Actor,
    pub time: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    /// Why a sign-off does not count (not a member; its signature, with `require_signed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The signature check, with `[trust] require_signed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Serialize, Default)]
pub struct ChecklistSummary {
    pub done: usize,
    pub total: usize,
    pub open: Vec<String>,
}

#[derive(Serialize, Clone)]
pub struct Pick {
    pub id: String,
    pub short: String,
    pub subject: String,
}

#[derive(Serialize, Clone)]
pub struct BlockerView {
    pub id: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub by: Actor,
    pub time: String,
}

fn done(what: &str, stamp: &Stamp) -> Done {
    Done {
        what: what.to_owned(),
        by: stamp.actor(),
        time: stamp.time.to_rfc3339(),
        note: stamp.note.clone(),
        forced: false,
        problem: None,
        signature: None,
    }
}

pub fn recorded_view(session: &Session, release: &Release) -> Result<ReleaseView> {
    let subject = session.target_subject(release)?;
    recorded_view_with(session, release, &session.checklist(release)?, subject)
}

/// `recorded_view` with the release's checklist and its target's subject already read.
pub fn recorded_view_with(
    session: &Session,
    release: &Release,
    checklist: &crate::release::checklist::Checklist,
    subject: String,
) -> Result<ReleaseView> {
    let open: Vec<String> = checklist
        .items
        .iter()
        .filter(|i| !release.checked.contains_key(&i.id))
        .map(|i| i.id.clone())
        .collect();
    Ok(ReleaseView {
        name: release.name.clone(),
        recorded: true,
        target: release.target.clone(),
        target_subject: subject,
        tag: release.tag.clone(),
        previous: release.previous.clone(),
        stage: release.stage(),
        created: Some(release.created.to_rfc3339()),
        created_by: Some(release.created_by.clone()),
        updated: Some(release.updated.to_rfc3339()),
        events: release.events,
        comments: release.comments,
        deployments: release
            .deployments
            .iter()
            .map(|d| Done {
                forced: d.forced,
                note: d.reason.clone(),
                ..done(&d.env, &d.by)
            })
            .collect(),
        verifications: release
            .verifications
            .iter()
            .map(|v| done(&v.env, &v.by))
            .collect(),
        signoffs: {
            let checks = session.check_signoffs(release)?;
            release
                .signoffs
                .iter()
                .flat_map(|(role, signers)| signers.iter().map(move |s| (role, s)))
                .map(|(role, s)| {
                    let check = checks
                        .iter()
                        .find(|c| &c.role == role && c.by.email == s.email);
                    Done {
                        problem: check.and_then(|c| c.problem.clone()),
                        signature: check.and_then(|c| c.signature.clone()),
                        ..done(role, s)
                    }
                })
                .collect()
        },
        checklist: ChecklistSummary {
            done: checklist.items.len() - open.len(),
            total: checklist.items.len(),
            open,
        },
        blockers: release
            .blockers
            .iter()
            .map(|(id, b)| BlockerView {
                id: id.clone(),
                title: b.title.clone(),
                url: b.url.clone(),
                by: b.by.actor(),
                time: b.by.time.to_rfc3339(),
            })
            .collect(),
        gates: session.gates(release, checklist)?,
        rollback_approvals: release
            .rollback_approvals
            .iter()
            .map(|s| done("rollback", s))
            .collect(),
        from: release.from.clone(),
        picks: release
            .picks
            .iter()
            .map(|p| -> Result<Pick> {
                let id = p.parse()?;
                Ok(Pick {
                    id: p.clone(),
                    short: session.git.short(id),
                    subject: session.subject(id)?,
                })
            })
            .collect::<Result<_>>()?,
        rollforwards: release.rollforwards.clone(),
        duty: {
            let day = session
                .format()
                .parse(&release.name)
                .map_or_else(|| release.created.date_naive(), |n| n.date);
            session.config.config.duty.as_ref().and_then(|d| d.on(day))
        },
        failed_hooks: release.failed_hooks.clone(),
        http_gates: release.gates.clone(),
        facts: release
            .facts
            .iter()
            .map(|(name, fact)| (name.clone(), printable(&fact.value)))
            .collect(),
        monitors: release.monitors.clone(),
        frozen: release.frozen.clone(),
        unknown_events: release.unknown_kinds.clone(),
    })
}

/// `text` with each control character written as a `\u{…}` escape: a fact a service answered
/// goes into mails and terminals, where a line break or an escape sequence would act.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// A release named with `-r` that exists only as a tag from before the tool.
pub fn tag_only_view(session: &Session, asked: Option<&str>) -> Result<Option<ReleaseView>> {
    let Some(name) = asked else { return Ok(None) };
    let store = session.store();
    if store.exists(name)? {
        return Ok(None);
    }
    let Some(parsed) = session.format().parse(name) else {
        return Ok(None);
    };
    let Some(target) = session.git.peel_ref(&format!("refs/tags/{name}"))? else {
        return Ok(None);
    };
    let previous = session.previous_release(&parsed, None)?;
    Ok(Some(ReleaseView {
        name: name.to_owned(),
        recorded: false,
        target: target.to_string(),
        target_subject: session.subject(target)?,
        tag: Some(name.to_owned()),
        previous,
        stage: "tag only".into(),
        created: None,
        created_by: None,
        updated: None,
        events: 0,
        comments: 0,
        deployments: Vec::new(),
        verifications: Vec::new(),
        signoffs: Vec::new(),
        checklist: ChecklistSummary::default(),
        blockers: Vec::new(),
        gates: Vec::new(),
        rollback_approvals: Vec::new(),
        from: None,
        picks: Vec::new(),
        rollforwards: Vec::new(),
        duty: None,
        failed_hooks: Vec::new(),
        http_gates: BTreeMap::new(),
        facts: BTreeMap::new(),
        monitors: Vec::new(),
        frozen: None,
        unknown_events: Vec::new(),
    }))
}

/// An event as `log --json` prints it and hooks see it (`event` in their templates).
#[derive(Serialize)]
pub struct EventView {
    pub id: String,
    pub time: String,
    pub actor: Actor,
    pub kind: String,
    pub summary: String,
    /// The event's own fields, as stored.
    pub fields: serde_json::Value,
}

impl EventView {
    pub fn of(e: &crate::release::Event) -> Result<EventView> {
        use crate::release::EventKind;
        let mut fields = match &e.kind {
            EventKind::Unknown { fields, .. } => serde_json::to_value(fields)?,
            known => serde_json::to_value(known)?,
        };
        if let Some(map) = fields.as_object_mut() {
            map.remove("kind");
        }
        Ok(EventView {
            id: e.id.clone(),
            time: e.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            actor: e.actor.clone(),
            kind: e.kind.name().to_owned(),
            summary: e.kind.summary(),
            fields,
        })
    }
}

/// How many commits the notes of a first release show (there is nothing to compare with).
pub const FIRST_RELEASE_LIMIT: usize = 1000;

/// What changed in a release since the previous one.
#[derive(Serialize, Clone)]
pub struct NotesView {
    pub release: String,
    pub previous: Option<String>,
    pub compare_url: Option<String>,
    /// Commits in this release and not in the previous one, folded under their merges, less
    /// those of `groups` and `repicked`.
    pub entries: Vec<Entry>,
    /// Classes of commits (`[[notes.groups]]`), each shown as one line.
    pub groups: Vec<changelog::Group>,
    /// Commits of the previous release this one no longer contains (cherry-pick releases,
    /// re-tags), less those `repicked`.
    pub dropped: Vec<Entry>,
    /// Commits of this release that are the same patch (git's patch-id) as a commit of the
    /// previous release that it does not contain: picked again, so neither new nor dropped.
    pub repicked: Vec<Repick>,
    /// New commits: in this release, not in the previous one, not re-picked; merges and
    /// grouped ones included (as `git rev-list --count` counts).
    pub count: usize,
    /// Merge commits among them, and pull (merge) requests.
    pub merges: usize,
    pub pull_requests: usize,
    /// `count` in words: `54 commits (29 without merges; 28 pull requests)`.
    pub count_label: String,
    pub authors: Vec<Actor>,
    /// A first release shows only the newest commits.
    pub truncated: bool,
}

impl NotesView {
    /// The changes in a line: `12 commits, 2 re-picked, 1 dropped; 60 localization updates`.
    pub fn summary(&self) -> String {
        let mut line = self.count_label.clone();
        if !self.repicked.is_empty() {
            line.push_str(&format!(", {} re-picked", self.repicked.len()));
        }
        if !self.dropped.is_empty() {
            line.push_str(&format!(", {} dropped", self.dropped.len()));
        }
        for g in &self.groups {
            line.push_str(&format!("; {} {}", g.count, g.name));
        }
        line
    }
}

/// A commit of this release and the commit of the previous release with the same patch.
#[derive(Clone, Serialize)]
pub struct Repick {
    #[serde(flatten)]
    pub entry: Entry,
    /// The commit of the previous release.
    pub was: String,
    pub was_short: String,
}

/// Computes the notes of release `name` at `target`, against `previous` (a release or tag).
pub fn notes_view(
    session: &Session,
    name: &str,
    target: Oid,
    previous: Option<&str>,
    remote: &str,
) -> Result<NotesView> {
    notes_view_within(session, name, target, previous, remote, FIRST_RELEASE_LIMIT)
}

/// `notes_view`, showing at most `first_limit` commits of a first release.
pub fn notes_view_within(
    session: &Session,
    name: &str,
    target: Oid,
    previous: Option<&str>,
    remote: &str,
    first_limit: usize,
) -> Result<NotesView> {
    let previous_commit = match previous {
        Some(p) => session.release_commit(p)?,
        None => None,
    };
    notes_view_against(
        session,
        name,
        target,
        previous.map(|p| (p, previous_commit)),
        remote,
        first_limit,
    )
}

/// Like `notes_view_within`, with the previous release's commit already known.
pub fn notes_view_against(
    session: &Session,
    name: &str,
    target: Oid,
    previous: Option<(&str, Option<Oid>)>,
    remote: &str,
    first_limit: usize,
) -> Result<NotesView> {
    let git = &session.git;
    let config = &session.config.config;
    let rules = config.link_rules();
    let previous_commit = previous.and_then(|(_, commit)| commit);
    let previous = previous.map(|(p, _)| p);
    let limit = if previous_commit.is_some() {
        usize::MAX
    } else {
        first_limit + 1
    };
    let range = git.range(target, previous_commit, limit)?;
    let mut commits = range.commits;
    let truncated = commits.len() > first_limit && previous_commit.is_none();
    commits.truncate(first_limit.max(if truncated { 0 } else { commits.len() }));
    let mut dropped = Vec::new();
    let mut repicked = Vec::new();
    match previous_commit {
        // The usual case: the previous release is an ancestor, so nothing was dropped (the
        // walk above saw it).
        Some(_) if range.hidden_is_ancestor => {}
        Some(prev) => {
            let mut gone = git.commits_between(prev, Some(target), usize::MAX)?;
            // A commit picked into the previous release is not dropped when this release has
            // the commit it was picked from (the next release from master, say). An original
            // that is not in this repository is not in the release either.
            gone.retain(|c| {
                changelog::picked_from(&c.body)
                    .is_none_or(|original| !git.is_ancestor(original, target).unwrap_or(false))
            });
            // The same patch on both sides (`git log --cherry-mark`): picked again.
            let ours: Vec<Oid> = commits.iter().map(|c| c.id).collect();
            let theirs: Vec<Oid> = gone.iter().map(|c| c.id).collect();
            let same = git.equivalent_commits(&ours, &theirs)?;
            gone.retain(|c| !same.contains_key(&c.id));
            let (again, new): (Vec<_>, Vec<_>) =
                commits.into_iter().partition(|c| same.contains_key(&c.id));
            commits = new;
            repicked = changelog::fold(again, Oid::null(target.kind()), &rules)
                .entries
                .into_iter()
                .map(|entry| -> Result<Repick> {
                    let was = same[&entry.id.parse::<Oid>()?];
                    Ok(Repick {
                        entry,
                        was: was.to_string(),
                        was_short: git.short(was),
                    })
                })
                .collect::<Result<_>>()?;
            dropped = changelog::fold(gone, prev, &rules).entries;
        }
        None => {}
    }
    let changes = changelog::fold(commits, target, &rules);
    let mut entries = changes.entries;
    let groups = changelog::group(&mut entries, &config.group_rules());
    let remote_url = git.remote_url(remote)?;
    let compare_url = previous.and_then(|p| {
        changelog::compare_url(
            remote_url.as_deref(),
            p,
            name,
            config.release.compare_url.as_deref(),
        )
    });
    Ok(NotesView {
        release: name.to_owned(),
        previous: previous.map(str::to_owned),
        compare_url,
        entries,
        groups,
        dropped,
        repicked,
        count: changes.count,
        merges: changes.merges,
        pull_requests: changes.pull_requests,
        count_label: changelog::count_label(changes.count, changes.merges, changes.pull_requests),
        authors: changes.authors,
        truncated,
    })
}

/// A push's shared pad: who is on duty, what changed, what blocks it, what is verified.
#[derive(Serialize)]
pub struct PadView {
    pub name: String,
    pub date: Option<String>,
    pub hero: Option<String>,
    pub previous: Option<String>,
    pub compare_url: Option<String>,
    /// What the push brings, in a line: counts, re-picks, drops and each group
    /// (`12 commits, 2 re-picked; 60 localization updates (Pontoon)`); none before it is cut.
    pub summary: Option<String>,
    pub blockers: Vec<BlockerView>,
    pub picks: Vec<String>,
    pub checklist: Vec<PadItem>,
}

#[derive(Serialize)]
pub struct PadItem {
    pub id: String,
    /// The item's first line.
    pub title: String,
    pub done: bool,
}

/// The next push, from `[schedule]` and `[duty]`.
#[derive(Serialize, Default)]
pub struct NextView {
    pub name: Option<String>,
    pub push_date: Option<String>,
    pub tag_date: Option<String>,
    pub duty: Option<String>,
    /// Its Etherpad page, when `[etherpad]` makes one (set by `finish`, which makes it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pad_url: Option<String>,
}

#[derive(Serialize)]
pub struct MailView {
    pub from: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
}

/// Everything a template can use. The README documents each field.
#[derive(Serialize)]
pub struct TemplateContext {
    pub release: ReleaseView,
    /// The environment tested before production: the first of two or more `[[environments]]`.
    pub stage: Option<EnvironmentView>,
    /// The verification plan: where it is, and how far it got.
    pub plan: PlanView,
    /// What happened during the release: every blocker met, comments, the closing note.
    pub history: HistoryView,
    pub notes: NotesView,
    pub pad: PadView,
    pub user: Actor,
    pub mail: MailView,
    pub vars: BTreeMap<String, String>,
    pub environments: Vec<String>,
    /// Who has push duty on the release's day.
    pub duty: Option<String>,
    pub next: NextView,
    pub today: String,
}

#[derive(Serialize)]
pub struct EnvironmentView {
    pub name: String,
    pub url: Option<String>,
}

#[derive(Serialize)]
pub struct PlanView {
    /// The Markdown plan in the repository (`[checklist] file`).
    pub file: Option<String>,
    /// `[checklist] url`, else the file's page on the forge at the release's tag.
    pub url: Option<String>,
    pub done: usize,
    pub total: usize,
}

#[derive(Serialize, Default)]
pub struct HistoryView {
    /// Every blocker met, in the order they were filed; resolved ones say by whom.
    pub blockers: Vec<BlockerHistory>,
    pub comments: Vec<CommentView>,
    /// `finish --note`: how the push went ("with any issues").
    pub finish_note: Option<String>,
}

#[derive(Serialize)]
pub struct BlockerHistory {
    pub id: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub by: Actor,
    pub resolved: bool,
    pub resolved_by: Option<Actor>,
    /// The note given when it was resolved (`unblock --note`).
    pub note: Option<String>,
}

#[derive(Serialize)]
pub struct CommentView {
    pub by: Actor,
    pub time: String,
    pub message: String,
}

/// The blockers and comments of a recorded release, from its events (the folded state keeps
/// only the blockers still open and how many comments there are).
fn history(session: &Session, release: &Release) -> Result<HistoryView> {
    use crate::release::EventKind;
    let store = session.store();
    let mut view = HistoryView {
        finish_note: release.finished.as_ref().and_then(|f| f.note.clone()),
        ..HistoryView::default()
    };
    if !store.exists(&release.name)? {
        return Ok(view);
    }
    for event in store.events(&release.name)? {
        match event.kind {
            EventKind::Block { id, title, url } => {
                view.blockers.retain(|b| b.id != id || b.resolved);
                view.blockers.push(BlockerHistory {
                    id,
                    title,
                    url,
                    by: event.actor,
                    resolved: false,
                    resolved_by: None,
                    note: None,
                });
            }
            EventKind::Unblock { id, note } => {
                if let Some(b) = view
                    .blockers
                    .iter_mut()
                    .rev()
                    .find(|b| b.id == id && !b.resolved)
                {
                    b.resolved = true;
                    b.resolved_by = Some(event.actor);
                    b.note = note;
                }
            }
            EventKind::Comment { message } => view.comments.push(CommentView {
                by: event.actor,
                time: event.time.to_rfc3339(),
                message,
            }),
            _ => {}
        }
    }
    Ok(view)
}

/// Builds the template context of `release` (recorded, or a draft about to be recorded).
/// `vars` (from `--var`) are laid over the config's `[vars]`.
pub fn template_context(
    session: &Session,
    release: &Release,
    vars: &[(String, String)],
) -> Result<TemplateContext> {
    let config = &session.config.config;
    let view = recorded_view(session, release)?;
    let target: Oid = release.target.parse()?;
    let notes = notes_view(
        session,
        &release.name,
        target,
        release.previous.as_deref(),
        &config.release.remote,
    )?;
    let who = session.git.identity()?.actor();
    let today = chrono::Local::now().date_naive();
    let day = release_day(session, release);
    let duty = config.duty.as_ref().and_then(|d| d.on(day));
    // Planned from the release's own week, not the real today: an old release's next push is
    // the one after it, with that week's hero.
    let next = next_push(session, day, day);
    let checklist = session.checklist(release)?;
    let pad = PadView {
        name: release.name.clone(),
        date: Some(day.to_string()),
        hero: duty.clone(),
        previous: release.previous.clone(),
        compare_url: notes.compare_url.clone(),
        summary: Some(notes.summary()),
        blockers: view.blockers.clone(),
        picks: view
            .picks
            .iter()
            .map(|p| format!("{} {}", p.short, p.subject))
            .collect(),
        checklist: checklist
            .items
            .iter()
            .map(|i| PadItem {
                id: i.id.clone(),
                title: i.text.lines().next().unwrap_or_default().to_owned(),
                done: release.checked.contains_key(&i.id),
            })
            .collect(),
    };
    let mut all_vars = config.vars.clone();
    all_vars.extend(vars.iter().cloned());
    let stage = match config.environments.as_slice() {
        [first, _, ..] => Some(EnvironmentView {
            name: first.name.clone(),
            url: first.url.clone(),
        }),
        _ => None,
    };
    let plan_file = config.checklist.file.clone();
    let plan_url = config.checklist.url.clone().or_else(|| {
        let rev = release.tag.as_deref().unwrap_or(&release.target);
        let remote = session
            .git
            .remote_url(&config.release.remote)
            .ok()
            .flatten();
        changelog::file_url(remote.as_deref(), rev, plan_file.as_deref()?)
    });
    let plan = PlanView {
        file: plan_file,
        url: plan_url,
        done: view.checklist.done,
        total: view.checklist.total,
    };
    Ok(TemplateContext {
        history: history(session, release)?,
        stage,
        plan,
        release: view,
        notes,
        pad,
        mail: MailView {
            from: config.mail.from.clone().unwrap_or_else(|| who.to_string()),
            to: config.mail.to.clone(),
            cc: config.mail.cc.clone(),
        },
        user: who,
        vars: all_vars,
        environments: config.environment_names(),
        duty,
        next,
        today: today.to_string(),
    })
}

/// The pad of the push after this one: its name, day and hero; nothing blocked or checked yet.
pub fn next_pad(context: &TemplateContext, checklist: &[PadItem]) -> PadView {
    PadView {
        name: context
            .next
            .name
            .clone()
            .unwrap_or_else(|| "(next push)".to_owned()),
        date: context.next.push_date.clone(),
        hero: context.next.duty.clone(),
        previous: Some(context.release.name.clone()),
        compare_url: None,
        summary: None,
        blockers: Vec::new(),
        picks: Vec::new(),
        checklist: checklist
            .iter()
            .map(|i| PadItem {
                id: i.id.clone(),
                title: i.title.clone(),
                done: false,
            })
            .collect(),
    }
}

/// The day a release is for: the date in its name, else the day it was created.
pub fn release_day(session: &Session, release: &Release) -> NaiveDate {
    session
        .format()
        .parse(&release.name)
        .map_or_else(|| release.created.date_naive(), |n| n.date)
}

/// The release after the one of `day`, as `git release schedule` lists the coming ones from
/// `today`.
pub fn next_push(session: &Session, today: NaiveDate, day: NaiveDate) -> NextView {
    let config = &session.config.config;
    let Some(schedule) = &config.schedule else {
        return NextView::default();
    };
    let by_push = *config.release.date.get_ref() == DateRule::Push;
    let slot = next_slot(today, day, schedule.tag.0, schedule.push.0, by_push);
    let named_after = if by_push { slot.push } else { slot.tag };
    NextView {
        name: Some(session.format().name(named_after, 0)),
        push_date: Some(slot.push.to_string()),
        tag_date: Some(slot.tag.to_string()),
        duty: config.duty.as_ref().and_then(|d| d.on(slot.push)),
        pad_url: None,
    }
}
