//! `git release freeze` / `unfreeze`: stop and resume continuous deployment (`ship`).

use std::io::Write;

use anyhow::Result;

use super::{Session, newest_first};
use crate::error::Failure;
use crate::release::EventKind;
use crate::store::With;

/// Freeze continuous deployment: `git release ship` advances nothing and starts no release
/// until `git release unfreeze`. Recorded on the newest release, with the reason.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release freeze --reason "end-of-year change freeze""#)]
pub struct FreezeArgs {
    /// Why (recorded, and shown by `ship` and `status`).
    #[arg(long, required = true)]
    reason: String,
    /// The release (default: the newest, finished or not).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Show the event that would be recorded; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// Lift a freeze: `git release ship` may advance releases again.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release unfreeze --note "freeze over""#)]
pub struct UnfreezeArgs {
    /// A remark for the audit trail.
    #[arg(long)]
    note: Option<String>,
    /// The release (default: the newest, finished or not).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Show the event that would be recorded; write nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The release a freeze is recorded on: the one named, else the newest.
pub fn newest(session: &Session, asked: Option<&str>) -> Result<String> {
    if let Some(name) = asked {
        return session.select(Some(name));
    }
    newest_first(session.format(), session.store().names()?)
        .into_iter()
        .next()
        .ok_or_else(|| {
            Failure::new("no release has been started in this repository")
                .hint("start one with `git release start`")
                .into()
        })
}

pub fn cmd_freeze(args: &FreezeArgs, out: &mut dyn Write) -> Result<()> {
    if args.reason.trim().is_empty() {
        return Err(Failure::usage("--reason is empty; say why").into());
    }
    let session = Session::open()?;
    let name = newest(&session, args.release.as_deref())?;
    session.record_on(&name, args.dry_run, &With::default(), out, |_, _| {
        Ok(Some(EventKind::Freeze {
            reason: args.reason.clone(),
        }))
    })?;
    Ok(())
}

pub fn cmd_unfreeze(args: &UnfreezeArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = newest(&session, args.release.as_deref())?;
    session.record_on(
        &name,
        args.dry_run,
        &With::default(),
        out,
        |name, release| {
            if release.frozen.is_none() {
                crate::say!("Release {name} is not frozen; nothing to record");
                return Ok(None);
            }
            Ok(Some(EventKind::Unfreeze {
                note: args.note.clone(),
            }))
        },
    )?;
    Ok(())
}
