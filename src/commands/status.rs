//! `git release status`: where a release stands, read from `release.toml` alone.

use std::io::Write;

use anyhow::Result;

use super::{Session, human_time_of};
use crate::context::{Done, ReleaseView, recorded_view, tag_only_view};
use crate::output::{Tone, count, paint};

/// Show where a release stands: target, tag, previous release, stage, sign-offs, checklist,
/// blockers. Defaults to the newest release.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release status
  git release status -r 2026-11-20 --json"#)]
pub struct StatusArgs {
    /// The release (default: the newest).
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    /// Print a JSON object instead of text.
    #[arg(long)]
    json: bool,
}

pub fn cmd_status(args: &StatusArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let (view, removed) = match tag_only_view(&session, args.release.as_deref())? {
        Some(view) => (view, Vec::new()),
        None => {
            let name = session.select(args.release.as_deref())?;
            let release = super::load(&session, &name)?;
            let removed = session.event_removals(&name)?;
            warn_of_removals(&session, &name, &removed);
            (recorded_view(&session, &release)?, removed)
        }
    };
    if args.json {
        /// The view, and what a script must not miss that text output says on stderr.
        #[derive(serde::Serialize)]
        struct Json<'a> {
            #[serde(flatten)]
            view: &'a ReleaseView,
            /// A line for each event file a commit of the release removed, rewrote or moved.
            removed_events: &'a [String],
        }
        let json = Json {
            view: &view,
            removed_events: &removed,
        };
        serde_json::to_writer_pretty(&mut *out, &json)?;
        writeln!(out)?;
    } else {
        print_human(&view, out)?;
    }
    Ok(())
}

/// Says, on one line, that the history of release `name` dropped or changed event files.
fn warn_of_removals(session: &Session, name: &str, removals: &[String]) {
    let Some(first) = removals.first() else {
        return;
    };
    let more = match removals.len() {
        1 => String::new(),
        n => format!(", and {} more", n - 1),
    };
    let signed = if session.config.config.trust.require_signed {
        "; the signed ones still count"
    } else {
        ""
    };
    crate::warn!(
        "warning: release {name} has events taken out of its history ({first}{more}); events are append-only{signed} (see `git release fsck`)"
    );
}

/// A time with how long ago it was, for the lines where that matters.
fn when_ago(time: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(time)
        .map_or_else(|_| time.to_owned(), |t| crate::output::when(t.to_utc()))
}

fn print_human(v: &ReleaseView, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "release {}", v.name)?;
    writeln!(
        out,
        "  target     {} {}",
        super::short(&v.target),
        v.target_subject
    )?;
    writeln!(
        out,
        "  tag        {}",
        v.tag.as_deref().unwrap_or("(no tag)")
    )?;
    writeln!(
        out,
        "  previous   {}",
        v.previous.as_deref().unwrap_or("(first release)")
    )?;
    writeln!(out, "  stage      {}", v.stage)?;
    if let Some(duty) = &v.duty {
        writeln!(out, "  push hero  {duty}")?;
    }
    if !v.recorded {
        writeln!(
            out,
            "  (a tag made before git-release recorded releases; it has no history)"
        )?;
        return Ok(());
    }
    if let (Some(created), Some(by)) = (&v.created, &v.created_by) {
        writeln!(out, "  started    {} by {by}", when_ago(created))?;
    }
    if let Some(from) = &v.from {
        writeln!(
            out,
            "  cut from   {from}, with {}:",
            count(v.picks.len(), "cherry-pick", "cherry-picks")
        )?;
        for p in &v.picks {
            writeln!(out, "             {} {}", p.short, p.subject)?;
        }
    }
    let rows = |label: &str, items: &[Done], out: &mut dyn Write| -> Result<()> {
        if items.is_empty() {
            writeln!(out, "  {label:<10} (none)")?;
        }
        for (i, d) in items.iter().enumerate() {
            let label = if i == 0 { label } else { "" };
            let forced = if d.forced { " (forced)" } else { "" };
            let note = d
                .note
                .as_deref()
                .map(|n| format!(": {n}"))
                .unwrap_or_default();
            let problem = d
                .problem
                .as_deref()
                .map(|p| format!(" — {}: {p}", paint("DOES NOT COUNT", Tone::Bad)))
                .unwrap_or_default();
            writeln!(
                out,
                "  {label:<10} {} {} by {}{forced}{note}{problem}",
                d.what,
                human_time_of(&d.time),
                d.by
            )?;
        }
        Ok(())
    };
    rows("deployed", &v.deployments, out)?;
    if !v.verifications.is_empty() {
        rows("verified", &v.verifications, out)?;
    }
    rows("sign-offs", &v.signoffs, out)?;
    if v.checklist.total == 0 {
        writeln!(out, "  checklist  (none configured)")?;
    } else {
        let open = if v.checklist.open.is_empty() {
            String::new()
        } else {
            let shown: Vec<&str> = v
                .checklist
                .open
                .iter()
                .take(6)
                .map(String::as_str)
                .collect();
            let more = if v.checklist.open.len() > shown.len() {
                ", …"
            } else {
                ""
            };
            format!(" (open: {}{more})", shown.join(", "))
        };
        writeln!(
            out,
            "  checklist  {}/{} done{open}",
            v.checklist.done, v.checklist.total
        )?;
    }
    if v.blockers.is_empty() {
        writeln!(out, "  blockers   (none)")?;
    }
    for (i, b) in v.blockers.iter().enumerate() {
        let label = if i == 0 { "blockers" } else { "" };
        let title = b
            .title
            .as_deref()
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        let url = b
            .url
            .as_deref()
            .map(|u| format!(" <{u}>"))
            .unwrap_or_default();
        writeln!(out, "  {label:<10} {}{title}{url}", b.id)?;
    }
    for (i, g) in v.gates.iter().enumerate() {
        let label = if i == 0 { "gates" } else { "" };
        if g.met {
            writeln!(
                out,
                "  {label:<10} {}: {}",
                g.environment,
                paint("open", Tone::Good)
            )?;
        } else {
            let reasons: Vec<&str> = g.unmet.iter().map(|u| u.reason.as_str()).collect();
            writeln!(
                out,
                "  {label:<10} {}: {} — {}",
                g.environment,
                paint("shut", Tone::Bad),
                reasons.join("; ")
            )?;
        }
    }
    if !v.rollback_approvals.is_empty() {
        rows("roll-back", &v.rollback_approvals, out)?;
    }
    for (name, g) in &v.http_gates {
        let state = if g.passed { "passed" } else { "not passed" };
        let detail = g
            .detail
            .as_deref()
            .map(|d| format!(" ({d})"))
            .unwrap_or_default();
        writeln!(
            out,
            "  http gate  {name}: {state} {}{detail}",
            super::human_time(g.by.time.to_utc())
        )?;
    }
    for (i, (name, value)) in v.facts.iter().enumerate() {
        let label = if i == 0 { "facts" } else { "" };
        writeln!(out, "  {label:<10} {name} = {value}")?;
    }
    for m in &v.monitors {
        let state = if m.passed {
            paint("held", Tone::Good)
        } else {
            paint("FAILED", Tone::Bad)
        };
        writeln!(
            out,
            "  monitor    {} on {}: {state} {} — {}",
            m.monitor,
            m.env,
            super::human_time(m.by.time.to_utc()),
            m.detail
        )?;
    }
    if let Some(f) = &v.frozen {
        writeln!(
            out,
            "  frozen     {} by {}: {} — `git release unfreeze`",
            super::human_time(f.time.to_utc()),
            f.actor(),
            f.note.as_deref().unwrap_or_default()
        )?;
    }
    for f in &v.failed_hooks {
        writeln!(
            out,
            "  hook       {} FAILED: {} — `git release hooks retry`",
            f.hook, f.error
        )?;
    }
    for (i, r) in v.rollforwards.iter().enumerate() {
        let label = if i == 0 { "rolled fwd" } else { "" };
        let forced = if r.forced { " (forced)" } else { "" };
        // What was rolled back, not how many revert commits it took: a commit that only added
        // a migration needs no revert commit, only the migration's undo.
        let commits: Vec<String> = r.reverted.iter().map(|c| super::short(c)).collect();
        let undone = if r.undone.is_empty() {
            String::new()
        } else {
            format!("; migration undone: {}", r.undone.join(", "))
        };
        writeln!(
            out,
            "  {label:<10} branch {} at {}: rolls back {} ({}){undone}{forced}",
            r.branch,
            super::short(&r.tip),
            count(r.reverted.len(), "commit", "commits"),
            commits.join(", ")
        )?;
        if !r.manual.is_empty() {
            writeln!(
                out,
                "             manual undo owed: {}",
                r.manual.join(", ")
            )?;
        }
    }
    writeln!(
        out,
        "  events     {} ({}); `git release log` shows them",
        v.events,
        count(v.comments, "comment", "comments")
    )?;
    if !v.unknown_events.is_empty() {
        writeln!(
            out,
            "  note: events of kinds this version does not know: {} (written by a newer git-release)",
            v.unknown_events.join(", ")
        )?;
    }
    Ok(())
}
