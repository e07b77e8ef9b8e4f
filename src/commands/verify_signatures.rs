//! `git release verify-signatures`: which sign-offs count, and why the others do not.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::error::Failure;

/// Check every sign-off of a release: its author must be a member of the role and, with
/// `[trust] require_signed = true`, its event commit must carry a good signature by that
/// person (ssh keys from `[trust] allowed_signers`, or gpg). Exit code 1 if one does not count.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release verify-signatures -r 2026-11-20"#)]
pub struct VerifySignaturesArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Print a JSON array instead of text.
    #[arg(long)]
    json: bool,
}

pub fn cmd_verify_signatures(args: &VerifySignaturesArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.release.as_deref())?;
    let release = super::load(&session, &name)?;
    let checks = session.check_signoffs(&release)?;
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &checks)?;
        writeln!(out)?;
    } else {
        if !session.config.config.trust.require_signed {
            crate::say!("note: [trust] require_signed is off, so only membership is checked");
        }
        for c in &checks {
            let verdict = match &c.problem {
                None => "counts".to_owned(),
                Some(p) => format!("DOES NOT COUNT: {p}"),
            };
            let signature = c
                .signature
                .as_deref()
                .map(|s| format!(" [signature {s}]"))
                .unwrap_or_default();
            writeln!(out, "{} {}{signature}: {verdict}", c.role, c.by)?;
        }
    }
    let bad = checks.iter().filter(|c| !c.counts).count();
    if bad > 0 {
        let message = if bad == 1 {
            format!("1 sign-off of release {name} does not count")
        } else {
            format!("{bad} sign-offs of release {name} do not count")
        };
        return Err(Failure::new(message)
            .hint("the person signs off again with a signing key git is set up to use (commit.gpgsign, user.signingkey)")
            .into());
    }
    Ok(())
}
