//! `git release status`: where a release stands, read from `release.toml` alone.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{GateStatus, Session, human_time};
use crate::release::state::Stamp;
use crate::release::{Actor, Release};

/// Show where a release stands: target, tag, previous release, stage, sign-offs, checklist,
/// blockers. Defaults to the newest release.
///
/// Example: git release status
///          git release status -r 2026-11-20 --json
#[derive(clap::Args, Debug)]
pub struct StatusArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// The status as `--json` prints it; the human view formats the same value.
#[derive(Serialize)]
pub struct StatusView {
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
}

#[derive(Serialize, Default)]
pub struct ChecklistSummary {
    pub done: usize,
    pub total: usize,
    pub open: Vec<String>,
}

#[derive(Serialize)]
pub struct BlockerView {
    pub id: String,
    pub title: Option<String>,
    pub url: Option<String>,
    pub by: Actor,
    pub time: String,
}

pub fn cmd_status(args: &StatusArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let view = match tag_only_view(&session, args.release.as_deref())? {
        Some(view) => view,
        None => {
            let name = session.select(args.release.as_deref())?;
            recorded_view(&session, &super::load(&session, &name)?)?
        }
    };
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &view)?;
        writeln!(out)?;
    } else {
        print_human(&view, out)?;
    }
    Ok(())
}

fn done(what: &str, stamp: &Stamp) -> Done {
    Done {
        what: what.to_owned(),
        by: stamp.actor(),
        time: stamp.time.to_rfc3339(),
        note: stamp.note.clone(),
        forced: false,
    }
}

fn recorded_view(session: &Session, release: &Release) -> Result<StatusView> {
    let target = release.target.parse()?;
    let subject = session.git.commit_info(target)?.subject;
    let checklist = session.checklist()?;
    let open: Vec<String> = checklist
        .items
        .iter()
        .filter(|i| !release.checked.contains_key(&i.id))
        .map(|i| i.id.clone())
        .collect();
    Ok(StatusView {
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
        signoffs: release
            .signoffs
            .iter()
            .flat_map(|(role, signers)| signers.iter().map(move |s| done(role, s)))
            .collect(),
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
        gates: session.gates(release, &checklist)?,
        rollback_approvals: release
            .rollback_approvals
            .iter()
            .map(|s| done("rollback", s))
            .collect(),
        unknown_events: release.unknown_kinds.clone(),
    })
}

/// A release named with `-r` that exists only as a tag from before the tool.
fn tag_only_view(session: &Session, asked: Option<&str>) -> Result<Option<StatusView>> {
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
    let known = session.known_names()?;
    let previous = session
        .format()
        .previous(&parsed, known.all())
        .map(|p| p.text);
    Ok(Some(StatusView {
        name: name.to_owned(),
        recorded: false,
        target: target.to_string(),
        target_subject: session.git.commit_info(target)?.subject,
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
        unknown_events: Vec::new(),
    }))
}

fn when(time: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(time)
        .map_or_else(|_| time.to_owned(), |t| human_time(t.to_utc()))
}

fn print_human(v: &StatusView, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "release {}", v.name)?;
    writeln!(
        out,
        "  target     {} {}",
        &v.target[..7.min(v.target.len())],
        v.target_subject
    )?;
    writeln!(
        out,
        "  tag        {}",
        v.tag.as_deref().unwrap_or("(no tag)")
    )?;
    writeln!(
        out,
        "  previous   {}",
        v.previous.as_deref().unwrap_or("(first release)")
    )?;
    writeln!(out, "  stage      {}", v.stage)?;
    if !v.recorded {
        writeln!(
            out,
            "  (a tag made before git-release recorded releases; it has no history)"
        )?;
        return Ok(());
    }
    if let (Some(created), Some(by)) = (&v.created, &v.created_by) {
        writeln!(out, "  started    {} by {by}", when(created))?;
    }
    let rows = |label: &str, items: &[Done], out: &mut dyn Write| -> Result<()> {
        if items.is_empty() {
            writeln!(out, "  {label:<10} (none)")?;
        }
        for (i, d) in items.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            let forced = if d.forced { " (forced)" } else { "" };
            let note = d
                .note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  {label:<10} {} {} by {}{forced}{note}",
                d.what,
                when(&d.time),
                d.by
            )?;
        }
        Ok(())
    };
    rows("deployed", &v.deployments, out)?;
    if !v.verifications.is_empty() {
        rows("verified", &v.verifications, out)?;
    }
    rows("sign-offs", &v.signoffs, out)?;
    if v.checklist.total == 0 {
        writeln!(out, "  checklist  (none configured)")?;
    } else {
        let open = if v.checklist.open.is_empty() {
            String::new()
        } else {
            let shown: Vec<&str> = v
                .checklist
                .open
                .iter()
                .take(6)
                .map(String::as_str)
                .collect();
            let more = if v.checklist.open.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            format!(" (open: {}{more})", shown.join(", "))
        };
        writeln!(
            out,
            "  checklist  {}/{} done{open}",
            v.checklist.done, v.checklist.total
        )?;
    }
    if v.blockers.is_empty() {
        writeln!(out, "  blockers   (none)")?;
    }
    for (i, b) in v.blockers.iter().enumerate() {
        let label = if i == 0 { "blockers" } else { "" };
        let title = b
            .title
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        let url = b
            .url
            .as_deref()
            .map(|u| format!(" <{u}>"))
            .unwrap_or_default();
        writeln!(out, "  {label:<10} {}{title}{url}", b.id)?;
    }
    for (i, g) in v.gates.iter().enumerate() {
        let label = if i == 0 { "gates" } else { "" };
        if g.met {
            writeln!(out, "  {label:<10} {}: open", g.environment)?;
        } else {
            let reasons: Vec<&str> = g.unmet.iter().map(|u| u.reason.as_str()).collect();
            writeln!(
                out,
                "  {label:<10} {}: shut — {}",
                g.environment,
                reasons.join("; ")
            )?;
        }
    }
    if !v.rollback_approvals.is_empty() {
        rows("roll-back", &v.rollback_approvals, out)?;
    }
    writeln!(
        out,
        "  events     {} ({} comment(s)); `git release log` shows them",
        v.events, v.comments
    )?;
    if !v.unknown_events.is_empty() {
        writeln!(
            out,
            "  note: events of kinds this version does not know: {} (written by a newer git-release)",
            v.unknown_events.join(", ")
        )?;
    }
    Ok(())
}
