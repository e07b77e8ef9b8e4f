//! `git release status`: where a release stands, read from `release.toml` alone.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Session, human_time};
use crate::error::Failure;
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
    pub deployments: Vec<String>,
    pub signoffs: Vec<String>,
    pub blockers: Vec<String>,
    /// Event kinds written by a newer git-release that this one does not understand.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_events: Vec<String>,
}

pub fn cmd_status(args: &StatusArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let view = match tag_only_view(&session, args.release.as_deref())? {
        Some(view) => view,
        None => {
            let name = session.select(args.release.as_deref())?;
            let loaded = session
                .store()
                .load(&name)?
                .ok_or_else(|| Failure::new(format!("release {name} vanished while reading it")))?;
            recorded_view(&session, &loaded.release)?
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

fn recorded_view(session: &Session, release: &Release) -> Result<StatusView> {
    let target = release.target.parse()?;
    let subject = session.git.commit_info(target)?.subject;
    Ok(StatusView {
        name: release.name.clone(),
        recorded: true,
        target: release.target.clone(),
        target_subject: subject,
        tag: release.tag.clone(),
        previous: release.previous.clone(),
        stage: release.stage().to_owned(),
        created: Some(release.created.to_rfc3339()),
        created_by: Some(release.created_by.clone()),
        updated: Some(release.updated.to_rfc3339()),
        events: release.events,
        comments: release.comments,
        deployments: Vec::new(),
        signoffs: Vec::new(),
        blockers: Vec::new(),
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
        signoffs: Vec::new(),
        blockers: Vec::new(),
        unknown_events: Vec::new(),
    }))
}

fn print_human(v: &StatusView, out: &mut dyn Write) -> Result<()> {
    let none = || "(none)".to_owned();
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
        v.tag.clone().unwrap_or_else(|| "(no tag)".into())
    )?;
    writeln!(
        out,
        "  previous   {}",
        v.previous
            .clone()
            .unwrap_or_else(|| "(first release)".into())
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
        let created = chrono::DateTime::parse_from_rfc3339(created)?.to_utc();
        writeln!(out, "  started    {} by {by}", human_time(created))?;
    }
    let list = |items: &[String]| {
        if items.is_empty() {
            none()
        } else {
            items.join(", ")
        }
    };
    writeln!(out, "  deployed   {}", list(&v.deployments))?;
    writeln!(out, "  sign-offs  {}", list(&v.signoffs))?;
    writeln!(out, "  blockers   {}", list(&v.blockers))?;
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
