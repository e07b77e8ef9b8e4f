//! `git release verify`: QA's verification of an environment after the deployment.

use std::io::Write;

use anyhow::Result;

use super::{Session, WriteArgs};
use crate::error::Failure;
use crate::release::EventKind;
use crate::release::gate::verify_unmet;

/// Record that the release was verified on an environment after it was deployed there.
///
/// If the environment has `verify_role`, only that role's members may verify.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release verify production --note "smoke tests green, dashboards flat""#)]
pub struct VerifyArgs {
    /// The environment, as named in [[environments]].
    env: String,
    /// What was checked, and how it went.
    #[arg(long)]
    note: Option<String>,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_verify(args: &VerifyArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let environment = session.environment(&args.env)?;
    if let Some(role) = &environment.verify_role {
        session.require_member(role, &session.git.identity()?.actor())?;
    }
    session.record(&args.write, out, |name, release| {
        if !release.deployed_to(&args.env) {
            return Err(Failure::gate(format!(
                "release {name} has not been deployed to {} yet, so it cannot be verified there",
                args.env
            ))
            .hint(format!("git release deploy {}", args.env))
            .into());
        }
        let unmet = verify_unmet(release, &args.env, &environment.requires);
        if !unmet.is_empty() {
            let mut message = format!(
                "release {name} cannot be verified on {}: {} not met",
                args.env,
                crate::output::count(unmet.len(), "condition", "conditions")
            );
            for u in &unmet {
                message.push_str(&format!("\n  - {:<40} run: {}", u.reason, u.hint));
            }
            return Err(Failure::gate(message).into());
        }
        Ok(Some(EventKind::Verify {
            env: args.env.clone(),
            note: args.note.clone(),
        }))
    })?;
    Ok(())
}
