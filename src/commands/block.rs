//! `git release block` / `unblock`: bugs that block the release.

use std::io::Write;

use anyhow::Result;

use super::{Session, WriteArgs};
use crate::error::Failure;
use crate::release::EventKind;

/// Record a bug that blocks the release. Blocking an open one again changes the title or link
/// given and keeps the other.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release block 1234 --title "checkout 500s on stage" --url https://bugs.example.com/1234"#)]
pub struct BlockArgs {
    /// The bug's id in your tracker.
    id: String,
    /// What the bug is, in a few words.
    #[arg(long)]
    title: Option<String>,
    /// Where the bug is tracked.
    #[arg(long)]
    url: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

/// Mark a blocking bug as resolved for this release.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release unblock 1234 --note "fixed in 9f1c2ab, verified on stage""#)]
pub struct UnblockArgs {
    /// The bug's id, as given to `block`.
    id: String,
    /// Why it no longer blocks (fixed in …, not a blocker after all).
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_block(args: &BlockArgs, out: &mut dyn Write) -> Result<()> {
    if args.id.trim().is_empty() {
        return Err(Failure::usage("the blocker id is empty").into());
    }
    let session = Session::open()?;
    session.record(&args.write, out, |name, release| {
        // A block event replaces the blocker as a whole (that is how stored releases fold),
        // so blocking an open one again carries what it has for the fields not given.
        let (mut title, mut url) = (args.title.clone(), args.url.clone());
        if let Some(open) = release.blockers.get(&args.id) {
            title = title.or_else(|| open.title.clone());
            url = url.or_else(|| open.url.clone());
            if open.title == title && open.url == url {
                crate::say!(
                    "{} already blocks release {name}; nothing to record",
                    args.id
                );
                return Ok(None);
            }
        }
        Ok(Some(EventKind::Block {
            id: args.id.clone(),
            title,
            url,
        }))
    })?;
    Ok(())
}

pub fn cmd_unblock(args: &UnblockArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    session.record(&args.write, out, |name, release| {
        if !release.blockers.contains_key(&args.id) {
            let open: Vec<&str> = release.blockers.keys().map(String::as_str).collect();
            let failure = Failure::new(format!("{} does not block release {name}", args.id));
            return Err(if open.is_empty() {
                failure.hint("the release has no open blockers")
            } else {
                failure.hint(format!("open blockers: {}", open.join(", ")))
            }
            .into());
        }
        Ok(Some(EventKind::Unblock {
            id: args.id.clone(),
            note: args.note.clone(),
        }))
    })?;
    Ok(())
}
