//! `git release checklist`: what is verified, by whom, and what is open.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::{Session, human_time};

/// Show the verification checklist of a release: each item, done or open, and by whom.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release checklist
  git release checklist --open
  git release checklist --json | jq '.open'"#)]
pub struct ChecklistArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
    /// Only the items still open (with --json, `items` holds only those).
    #[arg(long)]
    open: bool,
}

#[derive(Serialize)]
pub struct ChecklistView {
    pub release: String,
    pub done: usize,
    pub total: usize,
    /// Ids of the open items.
    pub open: Vec<String>,
    pub items: Vec<ItemView>,
}

#[derive(Serialize)]
pub struct ItemView {
    pub id: String,
    pub section: String,
    pub text: String,
    pub env: Option<String>,
    pub done: bool,
    pub by: Option<crate::release::Actor>,
    pub time: Option<String>,
    pub note: Option<String>,
}

pub fn cmd_checklist(args: &ChecklistArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.release.as_deref())?;
    let release = super::load(&session, &name)?;
    let checklist = session.checklist(&release)?;
    let items: Vec<ItemView> = checklist
        .items
        .iter()
        .map(|item| {
            let stamp = release.checked.get(&item.id);
            ItemView {
                id: item.id.clone(),
                section: item.section.clone(),
                text: item.text.clone(),
                env: item.env.clone(),
                done: stamp.is_some(),
                by: stamp.map(|s| s.actor()),
                time: stamp.map(|s| s.time.to_rfc3339()),
                note: stamp.and_then(|s| s.note.clone()),
            }
        })
        .collect();
    let mut view = ChecklistView {
        release: name,
        done: items.iter().filter(|i| i.done).count(),
        total: items.len(),
        open: items
            .iter()
            .filter(|i| !i.done)
            .map(|i| i.id.clone())
            .collect(),
        items,
    };
    if args.open {
        view.items.retain(|i| !i.done);
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &view)?;
        writeln!(out)?;
        return Ok(());
    }
    if view.total == 0 {
        crate::say!(
            "No checklist: add [[checklist.items]] or checklist.file to .release/config.toml."
        );
        return Ok(());
    }
    writeln!(
        out,
        "checklist of release {}: {}/{} done",
        view.release, view.done, view.total
    )?;
    if args.open && view.items.is_empty() {
        crate::say!("Nothing is left open.");
    }
    let mut section = "";
    for item in &view.items {
        if item.section != section {
            section = &item.section;
            writeln!(out, "{section}")?;
        }
        let mark = if item.done { "x" } else { " " };
        let first = item.text.lines().next().unwrap_or_default();
        let env = item
            .env
            .as_deref()
            .map(|e| format!(" [on {e}]"))
            .unwrap_or_default();
        write!(out, "  [{mark}] {}  {first}{env}", item.id)?;
        if let (Some(by), Some(release_stamp)) = (&item.by, release.checked.get(&item.id)) {
            write!(out, "  — {}, {}", by.name, human_time(release_stamp.time))?;
        }
        writeln!(out)?;
    }
    Ok(())
}
