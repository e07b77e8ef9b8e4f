//! `git release log`: the audit trail of a release, oldest first.

use std::io::Write;

use super::Session;
use crate::context::EventView;
use anyhow::Result;

/// Show a release's audit trail, oldest first: when, who, what.
///
/// The same trail is in git itself: `git log refs/release/<name>`.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release log
  git release log -r 2026-11-20 --json"#)]
pub struct LogArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Print a JSON array instead of text.
    #[arg(long)]
    json: bool,
}

pub fn cmd_log(args: &LogArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let name = session.select(args.release.as_deref())?;
    let events = session.store().events(&name)?;
    if args.json {
        let entries: Vec<EventView> = events.iter().map(EventView::of).collect::<Result<_>>()?;
        serde_json::to_writer_pretty(&mut *out, &entries)?;
        writeln!(out)?;
        return Ok(());
    }
    for e in &events {
        writeln!(
            out,
            "{}  {}  {}",
            e.time.format("%Y-%m-%d %H:%M:%S"),
            e.actor,
            e.kind.summary()
        )?;
    }
    Ok(())
}
