//! `git release comment`: free text in the audit trail.

use std::io::Write;

use anyhow::Result;

use super::{Session, WriteArgs};
use crate::error::Failure;
use crate::release::EventKind;

/// Add a comment to a release's audit trail — what the team used to write on the push pad.
///
/// A comment is an event like any other (`git log refs/release/NAME` shows it); the summary
/// note on the released commit does not show comments and is left as it is.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release comment "ops delayed stage to 3pm""#)]
pub struct CommentArgs {
    /// The text to record.
    message: String,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_comment(args: &CommentArgs, out: &mut dyn Write) -> Result<()> {
    let message = args.message.trim();
    if message.is_empty() {
        return Err(Failure::usage("the comment is empty")
            .hint("git release comment \"what happened\"")
            .into());
    }
    let session = Session::open()?;
    session.record(&args.write, out, |_, _| {
        Ok(Some(EventKind::Comment {
            message: message.to_owned(),
        }))
    })?;
    Ok(())
}
