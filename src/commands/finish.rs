//! `git release finish`: close the release; render the next push's pad and the "push done" mail.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use super::{ForceArgs, Session, WriteArgs};
use crate::commands::render::artifact_path;
use crate::context::{next_pad, next_push, release_day, template_context};
use crate::error::Failure;
use crate::release::EventKind;
use crate::render::{Templates, to_mail};
use crate::store::With;

/// Close the release. Renders the pad of the next push after the release's own (its name, day
/// and hero from [schedule] and [duty]) and the push-done mail, keeps both in the release's history, and
/// prints them (or writes them into --out DIR). A finished release is no longer the default
/// release of other commands.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release finish --out /tmp/push
  git release finish --send
  git release finish --force --reason "pushed by hand during the outage""#)]
pub struct FinishArgs {
    /// Write `push-pad-<next>.md` and `push-done-mail-<release>.eml` into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// How the push went ("no issues", "rolled forward twice"): kept in the audit trail and
    /// said in the push-done mail.
    #[arg(long)]
    note: Option<String>,
    /// Deliver the push-done mail ([mail] smtp, or sendmail -t) before recording.
    #[arg(long)]
    send: bool,
    /// Plan the next push as if today were this day (YYYY-MM-DD) instead of from the
    /// release's own week.
    #[arg(long, value_name = "YYYY-MM-DD")]
    on: Option<chrono::NaiveDate>,
    /// Finish a release that never reached the last environment (production), with a reason.
    #[command(flatten)]
    force: ForceArgs,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_finish(args: &FinishArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.write.release.as_deref())?;
    let release = super::load(&session, &name)?;
    if let Some(done) = &release.finished {
        return Err(Failure::new(format!(
            "release {name} was finished by {} already",
            done.actor()
        ))
        .hint("`git release start` begins the next one")
        .into());
    }
    args.force.check()?;
    // Finishing says the push is done: a release that never reached production needs a
    // reason, kept in the audit trail.
    let production = session.config.config.environment_names().pop();
    let mut note = args.note.clone();
    if let Some(production) = production
        && !release.deployments.iter().any(|d| d.env == production)
    {
        match &args.force.reason {
            Some(reason) if args.force.force => {
                let forced = format!("finished without a deployment to {production}: {reason}");
                note = Some(match note {
                    Some(note) => format!("{note} ({forced})"),
                    None => forced,
                });
            }
            _ => {
                return Err(Failure::gate(format!(
                    "release {name} was never deployed to {production}"
                ))
                .hint(format!(
                    "`git release deploy {production}` first, or finish anyway with --force --reason \"…\" (recorded)"
                ))
                .into());
            }
        }
    }
    let templates = Templates::load(&session.git)?;
    let mut context = template_context(&session, &release, &[])?;
    // The mail is written before the finish event: it says the note this finish records.
    context.history.finish_note = note.clone();
    // The context plans the push after the release's own; `--on` plans from that day instead
    // (a release finished late).
    if let Some(on) = args.on {
        context.next = next_push(&session, on, release_day(&session, &release));
        context.today = on.to_string();
    }
    // The pad `[etherpad]` makes when the finish is recorded: its page is known already.
    context.next.pad_url = crate::services::next_pad_url(&session, &templates, &mut context)?;
    let mail = to_mail(
        &templates.render("push-done-mail", &context)?,
        &context.mail.from,
        chrono::Local::now().fixed_offset(),
    )?;
    context.pad = next_pad(&context, &context.pad.checklist);
    let pad = templates.render("push-pad", &context)?;
    let next = context.pad.name.clone();

    let dry = args.write.dry_run;
    // The files are written first: if that fails, nothing is recorded and finish can run again.
    if let (Some(dir), false) = (&args.out, dry) {
        let pad_file = dir.join(format!("push-pad-{next}.md"));
        let mail_file = dir.join(format!("push-done-mail-{name}.eml"));
        crate::files::write_atomically(&pad_file, &pad)?;
        crate::files::write_atomically(&mail_file, &mail)?;
        crate::say!("Wrote {} and {}", pad_file.display(), mail_file.display());
    }
    // Sent before anything is recorded: if delivery fails, finish can simply run again.
    if args.send {
        crate::commands::render::send_mail(&session, "push-done-mail", &mail, dry, out)?;
    }
    let still_open = |name: &str, release: &crate::release::Release| -> Result<()> {
        match &release.finished {
            Some(done) => Err(Failure::new(format!(
                "release {name} was just finished by {}",
                done.actor()
            ))
            .into()),
            None => Ok(()),
        }
    };
    // A dry run shows the three events together: each alone would be numbered as the next.
    if dry {
        let first = release.events + 1;
        writeln!(
            out,
            "would record events {first} to {} of release {name}, as {}: the push-done mail and the push pad as artifacts, then finished:",
            first + 2,
            session.git.identity()?.actor()
        )?;
    }
    let record = |with: &With<'_>, kind: EventKind, out: &mut dyn Write| -> Result<()> {
        let decide = |name: &str, release: &crate::release::Release| {
            still_open(name, release)?;
            Ok(Some(kind.clone()))
        };
        if !dry {
            session.record_on(&name, false, with, out, decide)?;
            return Ok(());
        }
        let who = session.git.identity()?;
        let appended = session
            .store()
            .append(&who, &name, true, with, |release| decide(&name, release))?;
        if let Some(appended) = appended {
            write!(out, "{}", appended.event.to_toml())?;
            writeln!(out)?;
            super::hooks::fire(&session, &appended.release, &appended.event, true, out)?;
        }
        Ok(())
    };
    for (template, text) in [("push-done-mail", &mail), ("push-pad", &pad)] {
        let path = artifact_path(template);
        let files = [(path.clone(), text.clone().into_bytes())];
        let with = With {
            files: &files,
            refs: &[],
        };
        let kind = EventKind::Artifact {
            template: template.to_owned(),
            path,
        };
        record(&with, kind, out)?;
    }
    record(&With::default(), EventKind::Finished { note }, out)?;
    if args.out.is_none() || dry {
        writeln!(out, "==> push pad for the next push, {next} <==")?;
        write!(out, "{pad}")?;
        writeln!(out, "\n==> push-done mail for {name} <==")?;
        write!(out, "{mail}")?;
    }
    Ok(())
}
