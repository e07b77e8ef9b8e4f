//! `git release check` / `uncheck`: tick or reopen verification checklist items.

use std::io::Write;

use anyhow::Result;

use super::{Session, WriteArgs};
use crate::error::Failure;
use crate::release::EventKind;
use crate::release::checklist::Checklist;
use crate::store::With;

/// Tick verification checklist items as done.
///
/// Item ids come from `git release checklist`: config items keep their `id`; steps of the
/// Markdown plan are `<heading slug>-<n>` (`firefox-3`).
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release check firefox-1 firefox-2 --note "Firefox 128 on Linux""#)]
pub struct CheckArgs {
    #[command(flatten)]
    items: Items,
}

/// Reopen checklist items (e.g. after a fix landed on stage).
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release uncheck firefox-3 --note "re-test after the upload fix""#)]
pub struct UncheckArgs {
    #[command(flatten)]
    items: Items,
}

#[derive(clap::Args, Debug)]
struct Items {
    /// Item ids.
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// A remark kept with the items.
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_check(args: &CheckArgs, out: &mut dyn Write) -> Result<()> {
    tick(&args.items, true, out)
}

pub fn cmd_uncheck(args: &UncheckArgs, out: &mut dyn Write) -> Result<()> {
    tick(&args.items, false, out)
}

fn tick(args: &Items, done: bool, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.write.release.as_deref())?;
    let checklist = session.checklist(&super::load(&session, &name)?)?;
    known_items(&checklist, &args.ids)?;
    let dry_run = args.write.dry_run;
    let appended = session.record_on(&name, dry_run, &With::default(), out, |name, release| {
        let mut changed: Vec<String> = Vec::new();
        for id in &args.ids {
            if release.checked.contains_key(id) != done && !changed.contains(id) {
                changed.push(id.clone());
            }
        }
        if changed.is_empty() {
            let state = if done { "done" } else { "open" };
            crate::say!(
                "Already {state} on release {name}: {}; nothing to record",
                args.ids.join(" ")
            );
            return Ok(None);
        }
        let note = args.note.clone();
        Ok(Some(if done {
            EventKind::Check {
                items: changed,
                note,
            }
        } else {
            EventKind::Uncheck {
                items: changed,
                note,
            }
        }))
    })?;
    if let Some(appended) = appended {
        let total = checklist.items.len();
        let finished = checklist
            .items
            .iter()
            .filter(|i| appended.release.checked.contains_key(&i.id))
            .count();
        crate::say!("  checklist: {finished}/{total} done");
    }
    Ok(())
}

/// Refuses ids the checklist does not have, suggesting the ones meant.
fn known_items(checklist: &Checklist, ids: &[String]) -> Result<()> {
    if checklist.items.is_empty() {
        return Err(Failure::new("this repository has no verification checklist")
            .hint("add [[checklist.items]] or `checklist.file = \"docs/verification.md\"` to .release/config.toml")
            .into());
    }
    let unknown: Vec<&String> = ids
        .iter()
        .filter(|id| checklist.get(id).is_none())
        .collect();
    if unknown.is_empty() {
        return Ok(());
    }
    let mut failure = Failure::new(format!(
        "no checklist item {}",
        unknown
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for id in unknown {
        let near = checklist.near(id);
        if !near.is_empty() {
            failure = failure.hint(format!("for `{id}`, did you mean: {}", near.join(", ")));
        }
    }
    Err(failure
        .hint("`git release checklist` lists every item")
        .into())
}
