//! `git release list`: the recorded releases, newest first; with `--all`, tags from before
//! the tool too.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Session, human_time_of};
use crate::git::RefEntry;
use crate::release::name::{future_typos_line, is_future_typo};
use crate::session::Known;

/// List the recorded releases, newest first; with --all, also tags made before git-release
/// that read as release names ("tag only").
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release list
  git release list --all
  git release list --json | jq -r '.[0].name'"#)]
pub struct ListArgs {
    /// Also list tags from before git-release that read as release names ("tag only").
    #[arg(long)]
    all: bool,
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
    /// How a tag from before the tool spells its date differently from the pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub fn cmd_list(args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let store = session.store();
    // Each ref is read once: the releases, then, with --all, the tags (thousands, in an old
    // repository).
    let heads = store.heads()?;
    let mut tags = if args.all {
        session.git.refs_under_peeled("refs/tags/")?
    } else {
        Vec::new()
    };
    let format = session.format();
    let today = chrono::Local::now().date_naive();
    let mut future_typos = Vec::new();
    tags.retain(|t| match format.parse(&t.name) {
        Some(name) if is_future_typo(&name, today) && !heads.iter().any(|(h, _)| *h == t.name) => {
            future_typos.push(name);
            false
        }
        _ => true,
    });
    if let Some(line) = future_typos_line(&future_typos) {
        crate::say!("note: {line}");
    }
    let names = Known::new(
        session.format(),
        heads.iter().map(|(name, _)| name.clone()).collect(),
        tags.iter().map(|t| t.name.clone()).collect(),
    )
    .newest_first();
    let mut summaries = store.summaries(&heads)?;
    let tags: std::collections::HashMap<&str, &RefEntry> =
        tags.iter().map(|t| (t.name.as_str(), t)).collect();
    let mut entries = Vec::with_capacity(names.len());
    for name in names {
        let entry = match summaries.remove(&name) {
            Some(Ok(summary)) => ListEntry {
                name,
                target: summary.target,
                created: Some(summary.created),
                state: summary.stage,
                events: summary.events,
                note: None,
            },
            // One damaged release must not hide the others.
            Some(Err(e)) => ListEntry {
                name,
                target: "0".repeat(40),
                created: None,
                state: format!("damaged: {e}"),
                events: 0,
                note: None,
            },
            None => {
                let Some(target) = tags.get(name.as_str()).map(|t| session.git.commit_of(t)) else {
                    continue;
                };
                let Some(target) = target? else {
                    continue;
                };
                let note = format.parse(&name).and_then(|n| format.spelling_note(&n));
                ListEntry {
                    name,
                    target: target.to_string(),
                    created: None,
                    state: "tag only".into(),
                    events: 0,
                    note,
                }
            }
        };
        entries.push(entry);
    }
    // On stderr, like the tags set aside: stdout stays one release a line.
    let notes: Vec<&str> = entries.iter().filter_map(|e| e.note.as_deref()).collect();
    let shown = if notes.len() > MAX_NOTES {
        3
    } else {
        notes.len()
    };
    for note in &notes[..shown] {
        crate::say!("note: {note}");
    }
    if notes.len() > shown && !args.json {
        crate::say!(
            "note: and {} more tags spelled another way; `git release list --all --json` shows each",
            notes.len() - shown
        );
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(());
    }
    if entries.is_empty() {
        crate::say!("No releases yet; start one with `git release start`.");
        if !args.all && !session.known_names()?.parsed.is_empty() {
            crate::say!("Tags from before git-release read as releases: `git release list --all`.");
        }
    }
    // Thousands of lines: each is put together by hand rather than through format machinery.
    let width = entries.iter().map(|e| e.name.len()).max().unwrap_or(0);
    let mut line = String::with_capacity(128);
    for e in &entries {
        line.clear();
        line.push_str(&e.name);
        pad(&mut line, width - e.name.len() + 2);
        line.push_str(e.target.get(..7).unwrap_or(&e.target));
        line.push_str("  ");
        let created = e
            .created
            .as_deref()
            .map_or_else(|| "-".into(), human_time_of);
        line.push_str(&created);
        pad(&mut line, 20usize.saturating_sub(created.len()) + 2);
        line.push_str(&e.state);
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Notes on differently spelled tags printed one a line; beyond this, three and a count.
const MAX_NOTES: usize = 5;

fn pad(line: &mut String, spaces: usize) {
    line.extend(std::iter::repeat_n(' ', spaces));
}
