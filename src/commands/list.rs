//! `git release list`: every release, newest first, including tags from before the tool.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Session, human_time};
use crate::git::RefEntry;
use crate::session::Known;

/// List releases, newest first: recorded ones and tags made before git-release ("tag only").
///
/// Example: git release list
///          git release list --json | jq -r '.[0].name'
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    /// Print a JSON array instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
pub struct ListEntry {
    pub name: String,
    pub target: String,
    pub created: Option<String>,
    /// `started`, … for recorded releases; `tag only` for the others.
    pub state: String,
    pub events: u64,
}

pub fn cmd_list(args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let store = session.store();
    // Each ref is read once: the releases, then the tags (thousands, in an old repository).
    let heads = store.heads()?;
    let tags = session.git.refs_under_peeled("refs/tags/")?;
    let names = Known::new(
        session.format(),
        heads.iter().map(|(name, _)| name.clone()).collect(),
        tags.iter().map(|t| t.name.clone()).collect(),
    )
    .newest_first();
    let mut summaries = store.summaries(&heads)?;
    let mut tags: std::collections::HashMap<String, RefEntry> =
        tags.into_iter().map(|t| (t.name.clone(), t)).collect();
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        let entry = match summaries.remove(&name) {
            Some(Ok(summary)) => ListEntry {
                name,
                target: summary.target,
                created: Some(summary.created),
                state: summary.stage,
                events: summary.events,
            },
            // One damaged release must not hide the others.
            Some(Err(e)) => ListEntry {
                name,
                target: "0".repeat(40),
                created: None,
                state: format!("damaged: {e}"),
                events: 0,
            },
            None => {
                let Some(target) = tags.remove(&name).map(|t| session.git.commit_of(&t)) else {
                    continue;
                };
                let Some(target) = target? else {
                    continue;
                };
                ListEntry {
                    name,
                    target: target.to_string(),
                    created: None,
                    state: "tag only".into(),
                    events: 0,
                }
            }
        };
        entries.push(entry);
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(());
    }
    if entries.is_empty() {
        crate::say!("No releases yet; start one with `git release start`.");
    }
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in &entries {
        let created = match &e.created {
            Some(c) => human_time(chrono::DateTime::parse_from_rfc3339(c)?.to_utc()),
            None => "-".into(),
        };
        writeln!(
            out,
            "{:width$}  {}  {:20}  {}",
            e.name,
            super::short(&e.target),
            created,
            e.state
        )?;
    }
    Ok(())
}
