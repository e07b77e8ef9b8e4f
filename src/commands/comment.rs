//! `git release comment`: free text in the audit trail.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::error::Failure;
use crate::release::EventKind;

/// Add a comment to a release's audit trail — what the team used to write on the push pad.
///
/// Example: git release comment "ops delayed stage to 3pm"
#[derive(clap::Args, Debug)]
pub struct CommentArgs {
    /// The text to record.
    message: String,
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Show the event that would be recorded; write nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn cmd_comment(args: &CommentArgs, out: &mut dyn Write) -> Result<()> {
    let message = args.message.trim();
    if message.is_empty() {
        return Err(Failure::usage("the comment is empty")
            .hint("git release comment \"what happened\"")
            .into());
    }
    let session = Session::open()?;
    let who = session.git.identity()?;
    let name = session.select(args.release.as_deref())?;
    let appended = session.store().append(&who, &name, args.dry_run, |_| {
        Ok(EventKind::Comment {
            message: message.to_owned(),
        })
    })?;
    if args.dry_run {
        writeln!(
            out,
            "would record event {} of release {name}, as {}:",
            appended.release.events, appended.event.actor
        )?;
        write!(out, "{}", appended.event.to_toml())?;
    } else {
        eprintln!(
            "Recorded on release {name}: {}",
            appended.event.kind.summary()
        );
    }
    Ok(())
}
