//! `git release list`: every release, newest first, including tags from before the tool.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Session, human_time, newest_first};

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
    let known = session.known_names()?;
    let names = newest_first(
        session.format(),
        known.all().map(str::to_owned).collect::<Vec<_>>(),
    );
    let mut summaries = store.summaries()?;
    let mut tags: std::collections::HashMap<String, crate::git::Oid> = session
        .git
        .commits_under("refs/tags/")?
        .into_iter()
        .collect();
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
                let Some(target) = tags.remove(&name) else {
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
