//! `git release fsck`: check every release's history against its folded state and its note.

use std::io::Write;

use anyhow::Result;

use super::{Session, newest_first};
use crate::release::event::FORMAT;
use crate::store::NOTES_REF;

/// Check that each release's events read, fold to its release.toml, and that its summary note
/// in refs/notes/release is current, and name lock and temporary files that a killed writer
/// left. With --fix, a release.toml that does not match its events is folded again (a commit
/// of its own), stale notes are made again, and leftovers untouched for a minute are removed.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release fsck"#)]
pub struct FsckArgs {
    /// Check only this release.
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Fold release.toml again where it does not match the events; rewrite stale notes.
    #[arg(long)]
    fix: bool,
}

/// How many removed or rewritten event files fsck names one by one, per release.
const SHOWN_REMOVALS: usize = 20;

pub fn cmd_fsck(args: &FsckArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let store = session.store();
    let names = match &args.release {
        Some(name) => vec![session.select(Some(name))?],
        None => newest_first(session.format(), store.names()?),
    };
    let mut problems = 0;
    // What killed writers left: with --fix removed, else named.
    for path in session.git.abandoned_files() {
        let shown = path.display();
        if args.fix {
            std::fs::remove_file(&path)
                .map_err(|e| crate::error::Failure::new(format!("cannot remove {shown}: {e}")))?;
            writeln!(out, "removed {shown}, left by a writer that stopped")?;
        } else {
            problems += 1;
            writeln!(
                out,
                "{shown} was left by a writer that stopped over a minute ago (`git release fsck --fix` removes it)"
            )?;
        }
    }
    for name in &names {
        // Events are append-only: a commit that took one out is tampering, and no fold fixes it.
        let removals = match session.event_removals(name) {
            Ok(removals) => removals,
            Err(e) => vec![format!("its history cannot be read: {e:#}")],
        };
        if !removals.is_empty() {
            problems += 1;
            for removal in removals.iter().take(SHOWN_REMOVALS) {
                writeln!(out, "{name}: {removal}; events are append-only")?;
            }
            if removals.len() > SHOWN_REMOVALS {
                let more = removals.len() - SHOWN_REMOVALS;
                let more = crate::output::count(more, "more such change", "more such changes");
                writeln!(out, "{name}: and {more}")?;
            }
            let signed = if session.config.config.trust.require_signed {
                "with [trust] require_signed, an event a good signature added still counts; "
            } else {
                ""
            };
            writeln!(
                out,
                "{name}: {signed}see the commits with `git log --stat refs/release/{name} -- events`"
            )?;
        }
        let release = match store.verify(name) {
            Ok(Ok(release)) => release,
            Ok(Err(mismatch)) if args.fix && store.stored_format(name)? > FORMAT => {
                // Written by a newer git-release: what this one would fold is not the whole.
                problems += 1;
                writeln!(out, "{name}: {mismatch}")?;
                writeln!(
                    out,
                    "{name}: release.toml is of a newer format than this git-release writes ({FORMAT}); left as it is (update git-release)"
                )?;
                continue;
            }
            Ok(Err(_)) if args.fix => {
                let who = session.git.identity()?;
                let release = store.refold(&who, name)?;
                writeln!(
                    out,
                    "{name}: release.toml did not match its events; folded again ({} events)",
                    release.events
                )?;
                continue;
            }
            Ok(Err(mismatch)) => {
                problems += 1;
                writeln!(out, "{name}: {mismatch}")?;
                writeln!(
                    out,
                    "{name}: `git release fsck --fix` folds it again from the events"
                )?;
                continue;
            }
            Err(e) => {
                problems += 1;
                writeln!(out, "{name}: {e:#}")?;
                continue;
            }
        };
        let target = release.target.parse()?;
        let note = session.git.note(NOTES_REF, target)?.unwrap_or_default();
        if !note.contains(&release.note()) {
            if args.fix {
                store.update_note(name, None)?;
                writeln!(
                    out,
                    "{name}: note on {} was stale; rewritten",
                    super::short(&release.target)
                )?;
            } else {
                problems += 1;
                writeln!(
                    out,
                    "{name}: note on {} is stale (`git release fsck --fix` rewrites it)",
                    super::short(&release.target)
                )?;
            }
            continue;
        }
        if !removals.is_empty() {
            continue;
        }
        // Kept, as every event is; said, since a clock that far ahead is wrong or forged.
        let ahead = release.updated > chrono::Utc::now() + chrono::TimeDelta::days(1);
        match ahead {
            true => writeln!(
                out,
                "{name}: ok ({} events; the newest is dated {}, more than a day ahead)",
                release.events,
                release.updated.to_rfc3339()
            )?,
            false => writeln!(out, "{name}: ok ({} events)", release.events)?,
        }
    }
    if problems > 0 {
        return Err(crate::error::Failure::new(if problems == 1 {
            "1 release has problems".to_owned()
        } else {
            format!("{problems} releases have problems")
        })
        .into());
    }
    Ok(())
}
