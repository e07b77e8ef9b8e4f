//! `git release signoff`: a named approval for a role, or its withdrawal.

use std::io::Write;

use anyhow::Result;

use super::{Session, WriteArgs, human_time};
use crate::error::Failure;
use crate::release::EventKind;

/// Sign off a release for a role (qa, eng …), or withdraw the role's sign-off with --revoke.
///
/// Your identity is git's (user.name / user.email). If the role lists members in
/// .release/config.toml, only they may sign or revoke. Signing twice changes nothing.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release signoff qa --note "stage verified, plan 100% green"
  git release signoff qa --revoke --note "found a regression""#)]
pub struct SignoffArgs {
    /// The role to sign for, as named in [roles.<name>].
    role: String,
    /// A remark kept with the sign-off.
    #[arg(long)]
    note: Option<String>,
    /// Withdraw the role's sign-off instead (every signer's).
    #[arg(long)]
    revoke: bool,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_signoff(args: &SignoffArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let actor = session.git.identity()?.actor();
    session.require_member(&args.role, &actor)?;
    let role = &args.role;
    session.record(&args.write, out, |name, release| {
        let signers = release.signoffs.get(role);
        if args.revoke {
            if signers.is_none_or(Vec::is_empty) {
                return Err(Failure::new(format!(
                    "release {name} has no `{role}` sign-off to revoke"
                ))
                .hint("`git release status` shows the sign-offs")
                .into());
            }
            return Ok(Some(EventKind::Revoke {
                role: role.clone(),
                note: args.note.clone(),
            }));
        }
        if let Some(mine) = signers
            .into_iter()
            .flatten()
            .find(|s| s.email == actor.email)
        {
            crate::say!(
                "{actor} already signed off `{role}` on release {name} ({}); nothing to record",
                human_time(mine.time)
            );
            return Ok(None);
        }
        Ok(Some(EventKind::Signoff {
            role: role.clone(),
            note: args.note.clone(),
        }))
    })?;
    Ok(())
}
