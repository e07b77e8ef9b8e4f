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
/// Markdown plan are `<heading slug>-<n>` (`firefox-3`). An id may be shortened as long as it
/// names one item: `db` for `db-backup`, `prereq-2` for `prerequisites-2`.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release check firefox-1 firefox-2 --note "Firefox 128 on Linux"
  git release check prerequisites --all"#)]
pub struct CheckArgs {
    #[command(flatten)]
    items: Items,
}

/// Reopen checklist items (e.g. after a fix landed on stage).
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release uncheck firefox-3 --note "re-test after the upload fix"
  git release uncheck safari --all"#)]
pub struct UncheckArgs {
    #[command(flatten)]
    items: Items,
}

#[derive(clap::Args, Debug)]
struct Items {
    /// Item ids (or, with --all, sections).
    #[arg(required = true, value_name = "ID")]
    ids: Vec<String>,
    /// Every item of the sections given (`firefox`), instead of single items.
    #[arg(long)]
    all: bool,
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
    let ids = if args.all {
        section_items(&checklist, &args.ids)?
    } else {
        known_items(&checklist, &args.ids)?
    };
    let dry_run = args.write.dry_run;
    let appended = session.record_on(&name, dry_run, &With::default(), out, |name, release| {
        let mut changed: Vec<String> = Vec::new();
        for id in &ids {
            if release.checked.contains_key(id) != done && !changed.contains(id) {
                changed.push(id.clone());
            }
        }
        if changed.is_empty() {
            let state = if done { "done" } else { "open" };
            crate::say!(
                "Already {state} on release {name}: {}; nothing to record",
                ids.join(" ")
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

fn no_checklist(checklist: &Checklist) -> Result<()> {
    if checklist.items.is_empty() {
        return Err(Failure::new("this repository has no verification checklist")
            .hint("add [[checklist.items]] or `checklist.file = \"docs/verification.md\"` to .release/config.toml")
            .into());
    }
    Ok(())
}

/// The ids the arguments name, each in full; refuses the unknown ones, suggesting the ids
/// meant, and the shortened ones that name several items, listing them.
fn known_items(checklist: &Checklist, wanted: &[String]) -> Result<Vec<String>> {
    no_checklist(checklist)?;
    let mut ids: Vec<String> = Vec::new();
    let mut unknown: Vec<&String> = Vec::new();
    let mut ambiguous: Vec<(&String, Vec<&str>)> = Vec::new();
    for arg in wanted {
        match checklist.find(arg)[..] {
            [item] => ids.push(item.id.clone()),
            [] => unknown.push(arg),
            ref several => {
                ambiguous.push((arg, several.iter().map(|i| i.id.as_str()).collect()));
            }
        }
    }
    if let Some((arg, several)) = ambiguous.first().filter(|_| unknown.is_empty()) {
        let mut failure = Failure::new(format!(
            "`{arg}` names several checklist items: {}",
            several.join(", ")
        ));
        for (arg, several) in &ambiguous[1..] {
            failure = failure.hint(format!("`{arg}` names {}", several.join(", ")));
        }
        return Err(failure
            .hint("give ids in full, or a section with --all")
            .into());
    }
    if unknown.is_empty() {
        return Ok(ids);
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
    for (arg, several) in ambiguous {
        failure = failure.hint(format!("`{arg}` names several: {}", several.join(", ")));
    }
    Err(failure
        .hint("`git release checklist` lists every item")
        .into())
}

/// The ids of every item of the sections named (in full, or by a prefix that names one).
fn section_items(checklist: &Checklist, wanted: &[String]) -> Result<Vec<String>> {
    no_checklist(checklist)?;
    let mut sections: Vec<&str> = Vec::new();
    for arg in wanted {
        match checklist.find_section(arg)[..] {
            [section] => sections.push(section),
            [] => {
                return Err(Failure::new(format!("no checklist section `{arg}`"))
                    .hint(format!("sections: {}", checklist.sections().join(", ")))
                    .into());
            }
            ref several => {
                return Err(Failure::new(format!(
                    "`{arg}` names several checklist sections: {}",
                    several.join(", ")
                ))
                .hint("give the section in full")
                .into());
            }
        }
    }
    Ok(checklist
        .items
        .iter()
        .filter(|i| sections.contains(&i.section.as_str()))
        .map(|i| i.id.clone())
        .collect())
}
