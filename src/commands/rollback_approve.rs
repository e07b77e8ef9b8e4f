//! `git release rollback-approve`: engineering's approval to roll a release back (forward).

use std::io::Write;

use anyhow::Result;

use super::{Session, WriteArgs};
use crate::release::EventKind;

/// Approve rolling this release back. Engineering approves every roll-back: when the role
/// named by `rollback.role` (default `eng`) is defined, only its members may approve.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release rollback-approve --note "checkout errors since 14:02, revert 9f1c2ab""#)]
pub struct RollbackApproveArgs {
    /// Why, or under which conditions.
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_rollback_approve(args: &RollbackApproveArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let role = &session.config.config.rollback.role;
    if session.config.config.roles.contains_key(role) {
        session.require_member(role, &session.git.identity()?.actor())?;
    }
    session.record(&args.write, out, |_, _| {
        Ok(Some(EventKind::RollbackApprove {
            note: args.note.clone(),
        }))
    })?;
    Ok(())
}
