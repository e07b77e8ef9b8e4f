//! `git release render`: a mail, pad or request from a template, optionally kept in the
//! release's history.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use super::{Session, WriteArgs};
use crate::context::template_context;
use crate::error::Failure;
use crate::release::EventKind;
use crate::render::{Templates, is_mail, to_mail};
use crate::services::mail;
use crate::store::With;

/// Render a template for a release: release-notes, tag-message, deployment-request,
/// stage-test-mail, push-pad, push-done-mail, or one of your own in .release/templates/.
///
/// Mail templates (`…-mail`) come out as RFC 5322 messages, ready for `sendmail -t`.
/// `--send` delivers a mail through `[mail] smtp` or `sendmail -t`; `--record` keeps the
/// rendered text in the release (`artifacts/…`), so what was sent is on record.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release render stage-test-mail --var bug=https://bugs.example.com/1234 | sendmail -t
  git release render push-pad --out pad.md
  git release render stage-test-mail --send --record"#)]
pub struct RenderArgs {
    /// The template's name (`git release templates` lists them).
    template: String,
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Keep the rendered text in the release's history.
    #[arg(long)]
    record: bool,
    /// Deliver the mail ([mail] smtp, or sendmail -t) instead of printing it.
    #[arg(long)]
    send: bool,
    /// A value for the template, as `vars.KEY` (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE", value_parser = parse_var)]
    vars: Vec<(String, String)>,
    #[command(flatten)]
    write: WriteArgs,
}

fn parse_var(text: &str) -> Result<(String, String), String> {
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not KEY=VALUE"))?;
    Ok((key.trim().to_owned(), value.to_owned()))
}

pub fn cmd_render(args: &RenderArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.write.release.as_deref())?;
    let release = super::load(&session, &name)?;
    if args.send && !is_mail(&args.template) {
        return Err(Failure::usage(format!(
            "--send delivers mails; `{}` is not a mail template (…-mail)",
            args.template
        ))
        .into());
    }
    let text = render(&session, &args.template, &release, &args.vars)?;
    // Sent before anything is written or recorded: a mail that did not leave leaves no trace.
    if args.send {
        send_mail(&session, &args.template, &text, args.write.dry_run, out)?;
    }
    // The file first: if writing it fails, nothing is recorded.
    match &args.out {
        Some(file) if args.write.dry_run => {
            let old = std::fs::read_to_string(file).unwrap_or_default();
            crate::files::write_diff(out, &old, &text, &file.display().to_string())?;
        }
        Some(file) => {
            crate::files::write_atomically(file, &text)?;
            crate::say!("Wrote {}", file.display());
        }
        None => {}
    }
    if args.record {
        let path = artifact_path(&args.template);
        session.record_on(
            &name,
            args.write.dry_run,
            &With {
                files: &[(path.clone(), text.clone().into_bytes())],
                refs: &[],
            },
            out,
            |_, _| {
                Ok(Some(EventKind::Artifact {
                    template: args.template.clone(),
                    path: path.clone(),
                }))
            },
        )?;
    }
    let sent = args.send && !args.write.dry_run;
    if args.out.is_none() && !sent {
        write!(out, "{text}")?;
    }
    Ok(())
}

/// Renders `template` for `release`; mails become RFC 5322 messages.
pub fn render(
    session: &Session,
    template: &str,
    release: &crate::release::Release,
    vars: &[(String, String)],
) -> Result<String> {
    let context = template_context(session, release, vars)?;
    let text = Templates::load(&session.git)?.render(template, &context)?;
    if is_mail(template) {
        to_mail(
            &text,
            &context.mail.from,
            chrono::Local::now().fixed_offset(),
        )
    } else {
        Ok(text)
    }
}

/// `artifacts/<template>-<UTC time>.<eml|md>`.
pub fn artifact_path(template: &str) -> String {
    let ext = if is_mail(template) { "eml" } else { "md" };
    format!(
        "artifacts/{template}-{}.{ext}",
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    )
}

/// Delivers a rendered mail by the route `[mail]` configures, or says how it would.
pub fn send_mail(
    session: &Session,
    template: &str,
    message: &str,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let config = &session.config.config.mail;
    let route = mail::route(config)?;
    let outgoing = mail::outgoing(message)?;
    let to = outgoing.to.join(", ");
    if dry_run {
        writeln!(
            out,
            "would send {template} from {} to {to} via {route}",
            outgoing.from
        )?;
        return Ok(());
    }
    mail::deliver(config, &route, &outgoing)?;
    crate::say!("Sent {template} to {to} via {route}");
    Ok(())
}
