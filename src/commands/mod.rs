//! One module per subcommand: gather inputs, call the model and the store, print the answer
//! to `out` (stdout) and progress to stderr.

pub mod block;
pub mod check;
pub mod checklist;
pub mod comment;
pub mod completions;
pub mod config;
pub mod demo;
pub mod deploy;
pub mod duty;
pub mod finish;
pub mod freeze;
pub mod fsck;
pub mod hooks;
pub mod init;
pub mod list;
pub mod log;
pub mod man;
pub mod notes;
pub mod page;
pub mod render;
pub mod rollback_approve;
pub mod rollforward;
pub mod schedule;
pub mod ship;
pub mod signoff;
pub mod start;
pub mod status;
pub mod sync;
pub mod templates;
pub mod verify;
pub mod verify_signatures;
pub mod wait;
pub mod watch;

use anyhow::Result;

use crate::error::Failure;
use crate::release::Release;
pub use crate::session::{Session, newest_first};
use crate::store::{Appended, With};

/// Reads a release's state, which must exist (it was just selected).
pub fn load(session: &Session, name: &str) -> Result<Release> {
    Ok(session
        .store()
        .load(name)?
        .ok_or_else(|| Failure::new(format!("release {name} vanished while reading it")))?)
}

/// The options of every command that records an event.
#[derive(clap::Args, Debug)]
pub struct WriteArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    pub release: Option<String>,
    /// Show the event that would be recorded; write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

impl Session {
    /// Records one event on the selected release and says so. `decide` gets the release's
    /// name and current state and returns the event, `None` for nothing to record, or an error.
    pub fn record(
        &self,
        args: &WriteArgs,
        out: &mut dyn std::io::Write,
        decide: impl FnMut(&str, &Release) -> Result<Option<crate::release::EventKind>>,
    ) -> Result<Option<Appended>> {
        let name = self.select(args.release.as_deref())?;
        self.record_on(&name, args.dry_run, &With::default(), out, decide)
    }

    /// Like `record`, on a release already chosen, with files for the release's tree and refs
    /// that move with the event.
    pub fn record_on(
        &self,
        name: &str,
        dry_run: bool,
        with: &With<'_>,
        out: &mut dyn std::io::Write,
        mut decide: impl FnMut(&str, &Release) -> Result<Option<crate::release::EventKind>>,
    ) -> Result<Option<Appended>> {
        let who = self.git.identity()?;
        let appended = self
            .store()
            .append(&who, name, dry_run, with, |release| decide(name, release))?;
        if let Some(appended) = &appended {
            report_event(out, name, appended, dry_run)?;
            hooks::fire(self, &appended.release, &appended.event, dry_run, out)?;
        }
        Ok(appended)
    }
}

/// Going ahead although a gate is shut (or an approval missing), on the record.
#[derive(clap::Args, Debug)]
pub struct ForceArgs {
    /// Go ahead anyway; needs --reason, and both are recorded.
    #[arg(long, requires = "reason")]
    pub force: bool,
    /// Why (recorded with the event).
    #[arg(long, requires = "force")]
    pub reason: Option<String>,
}

impl ForceArgs {
    /// Refuses `--force` with an empty reason.
    pub fn check(&self) -> Result<()> {
        if self.force && self.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(Failure::usage("--reason is empty; say why").into());
        }
        Ok(())
    }
}

/// Says what was recorded (stderr), or with `--dry-run` shows the event (stdout).
pub fn report_event(
    out: &mut dyn std::io::Write,
    name: &str,
    appended: &Appended,
    dry_run: bool,
) -> Result<()> {
    if dry_run {
        writeln!(
            out,
            "would record event {} of release {name}, as {}:",
            appended.release.events, appended.event.actor
        )?;
        write!(out, "{}", appended.event.to_toml())?;
    } else {
        crate::say!(
            "Recorded on release {name}: {}",
            appended.event.kind.summary()
        );
    }
    if let Some(e) = &appended.note_error {
        crate::warn!(
            "warning: the event is recorded, but its note in refs/notes/release is not: {e}"
        );
    }
    Ok(())
}

/// The first 7 characters of a commit id read from a release (which may have been tampered
/// with, so it is not trusted to be long or ASCII).
pub fn short(id: &str) -> String {
    id.chars().take(7).collect()
}

/// Human time: `2026-11-21 22:14 UTC`.
pub fn human_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `human_time` of a time as stored (RFC 3339); text that is not one is shown as it is.
pub fn human_time_of(stored: &str) -> String {
    // Recorded times are UTC (`…+00:00`): their human form is a slice of them, which matters
    // when `list` shows thousands.
    if stored.len() >= 16 && stored.is_ascii() && stored.ends_with("+00:00") {
        return format!("{} {} UTC", &stored[..10], &stored[11..16]);
    }
    chrono::DateTime::parse_from_rfc3339(stored)
        .map_or_else(|_| stored.to_owned(), |t| human_time(t.to_utc()))
}
