//! `git release log`: the audit trail of a release, oldest first.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::Session;
use crate::release::{Actor, Event, EventKind};

/// Show a release's audit trail, oldest first: when, who, what.
///
/// The same trail is in git itself: `git log refs/release/<name>`.
///
/// Example: git release log
///          git release log -r 2026-11-20 --json
#[derive(clap::Args, Debug)]
pub struct LogArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Print a JSON array instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
pub struct LogEntry {
    pub id: String,
    pub time: String,
    pub actor: Actor,
    pub kind: String,
    pub summary: String,
    /// The event's own fields, as stored.
    pub fields: serde_json::Value,
}

pub fn cmd_log(args: &LogArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.release.as_deref())?;
    let events = session.store().events(&name)?;
    if args.json {
        let entries: Vec<LogEntry> = events.iter().map(entry).collect::<Result<_>>()?;
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(());
    }
    for e in &events {
        writeln!(
            out,
            "{}  {}  {}",
            e.time.format("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.kind.summary()
        )?;
    }
    Ok(())
}

fn entry(e: &Event) -> Result<LogEntry> {
    let mut fields = match &e.kind {
        EventKind::Unknown { fields, .. } => serde_json::to_value(fields)?,
        known => serde_json::to_value(known)?,
    };
    if let Some(map) = fields.as_object_mut() {
        map.remove("kind");
    }
    Ok(LogEntry {
        id: e.id.clone(),
        time: e.time.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        actor: e.actor.clone(),
        kind: e.kind.name().to_owned(),
        summary: e.kind.summary(),
        fields,
    })
}
