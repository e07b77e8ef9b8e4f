//! `git release schedule`: the coming tag and push days, the names they get, who is on duty.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use super::Session;
use crate::config::DateRule;
use crate::error::Failure;
use crate::release::schedule::upcoming;

/// List the coming releases: tag day, push day, the release name, and who has push duty.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release schedule --count 6
  git release schedule --on 2026-01-06"#)]
pub struct ScheduleArgs {
    /// How many releases to list.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=520))]
    count: u16,
    /// List from this day instead of today (YYYY-MM-DD), as if today were that day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    on: Option<chrono::NaiveDate>,
    /// Print JSON instead of text.
    #[arg(long, conflicts_with = "ics")]
    json: bool,
    /// Print the calendar feed that `page` writes (calendar.ics).
    ///
    /// RFC 5545: the coming weeks, counted from the day of the newest event (or --on).
    #[arg(long, conflicts_with = "count")]
    ics: bool,
}

#[derive(Serialize)]
struct Planned {
    name: String,
    tag: String,
    push: String,
    duty: Option<String>,
    time: Option<String>,
}

pub fn cmd_schedule(args: &ScheduleArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let config = &session.config.config;
    let schedule = config.schedule.as_ref().ok_or_else(|| {
        Failure::new("there is no [schedule] in this repository").hint(
            "add [schedule] tag = \"tuesday\" and push = \"thursday\" to .release/config.toml",
        )
    })?;
    if args.ics {
        write!(out, "{}", crate::page::ics(&session, args.on)?)?;
        return Ok(());
    }
    let today = args.on.unwrap_or_else(|| chrono::Local::now().date_naive());
    let time = schedule.time.as_ref().map(|t| {
        format!(
            "{t}{}",
            schedule
                .utc_offset
                .as_deref()
                .map(|o| format!(" (UTC{o})"))
                .unwrap_or_default()
        )
    });
    let planned: Vec<Planned> = upcoming(today, schedule.tag.0, schedule.push.0, args.count.into())
        .into_iter()
        .map(|slot| {
            let named_after = match config.release.date.get_ref() {
                DateRule::Push => slot.push,
                DateRule::Today => slot.tag,
            };
            Planned {
                name: session.format().name(named_after, 0),
                tag: slot.tag.to_string(),
                push: slot.push.to_string(),
                duty: config.duty.as_ref().and_then(|d| d.on(slot.push)),
                time: time.clone(),
            }
        })
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &planned)?;
        writeln!(out)?;
        return Ok(());
    }
    let at = time.map(|t| format!(" at {t}")).unwrap_or_default();
    writeln!(out, "{:<12} {:<16} {:<16} duty", "release", "tag", "push")?;
    for p in &planned {
        let tag = chrono::NaiveDate::parse_from_str(&p.tag, "%Y-%m-%d")?;
        let push = chrono::NaiveDate::parse_from_str(&p.push, "%Y-%m-%d")?;
        writeln!(
            out,
            "{:<12} {:<16} {:<16} {}",
            p.name,
            tag.format("%a %Y-%m-%d").to_string(),
            push.format("%a %Y-%m-%d").to_string(),
            p.duty.as_deref().unwrap_or("-")
        )?;
    }
    if !at.is_empty() {
        writeln!(out, "(tag and push{at})")?;
    }
    Ok(())
}
