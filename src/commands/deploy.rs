//! `git release deploy`: record a deployment, only through an open gate.

use std::io::Write;

use anyhow::Result;

use super::{ForceArgs, Session, WriteArgs};
use crate::error::Failure;
use crate::release::EventKind;

/// Record that the release was deployed to an environment — refused while the environment's
/// gate is shut.
///
/// The gate is `requires` of the environment in .release/config.toml: sign-offs, checklist
/// items, no open blockers (with [bugzilla], also the open bugs the deployment bug depends
/// on), earlier environments. When it is shut, every unmet condition is
/// listed with the command that meets it, and the exit code is 3. `--force --reason` records
/// the deployment anyway, marked as forced, with the reason and what was unmet.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release deploy stage
  git release deploy production --force --reason "security fix, QA on call""#)]
pub struct DeployArgs {
    /// The environment, as named in [[environments]].
    env: String,
    #[command(flatten)]
    force: ForceArgs,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_deploy(args: &DeployArgs, out: &mut dyn Write) -> Result<()> {
    args.force.check()?;
    let session = Session::open()?;
    let environment = session.environment(&args.env)?;
    let name = session.select(args.write.release.as_deref())?;
    let current = super::load(&session, &name)?;
    let checklist = session.checklist(&current)?;
    // Open bugs the deployment bug depends on in Bugzilla block as `git release block` does.
    let tracked = if environment.requires.no_blockers {
        crate::services::bugzilla_blockers(&session, &current)?
    } else {
        Vec::new()
    };
    let env = &args.env;
    let with = crate::store::With::default();
    let appended = session.record_on(&name, args.write.dry_run, &with, out, |name, release| {
        let mut unmet = session.gate(release, env, &checklist)?;
        unmet.extend(tracked.iter().cloned());
        if !unmet.is_empty() && !args.force.force {
            let mut message = format!(
                "release {name} cannot be deployed to {env}: {} not met",
                crate::output::count(unmet.len(), "condition", "conditions")
            );
            for u in &unmet {
                message.push_str(&format!("\n  - {:<40} run: {}", u.reason, u.hint));
            }
            return Err(Failure::gate(message)
                .hint("meet them, or deploy anyway with --force --reason \"…\" (recorded)")
                .into());
        }
        Ok(Some(EventKind::Deploy {
            env: env.clone(),
            forced: args.force.force,
            reason: args.force.reason.clone(),
            unmet: unmet.into_iter().map(|u| u.reason).collect(),
        }))
    })?;
    if let Some(EventKind::Deploy { unmet, .. }) = appended.map(|a| a.event.kind) {
        for u in unmet {
            crate::say!("  forced past: {u}");
        }
    }
    Ok(())
}
