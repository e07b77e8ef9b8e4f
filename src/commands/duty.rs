//! `git release duty`: who has push duty, and trading turns.

use std::io::Write;

use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

use super::Session;
use crate::config::{CONFIG_PATH, edit};
use crate::error::Failure;
use crate::release::schedule::{Swap, Trade};

/// Who has push duty this week (or on --date), and in the next N turns. `duty swap A B --week
/// D` records that A and B trade: whoever of them has the turn containing D gives it to the
/// other and takes the other's next turn.
///
/// Swaps are written to [duty] swaps in .release/config.toml (comments kept) rather than
/// recorded as events: the rotation is team config, reviewed and shared like the code, and a
/// swap belongs next to it; commit the change so everyone sees it.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release duty --next 4
  git release duty swap alice bob --week 2026-12-03"#)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DutyArgs {
    #[command(subcommand)]
    action: Option<DutyAction>,
    /// The day to ask about, as if today were that day (default: today); also `--on`.
    #[arg(long, alias = "on", value_name = "YYYY-MM-DD")]
    date: Option<NaiveDate>,
    /// Also list the next N turns.
    #[arg(long, value_name = "N", default_value_t = 0, value_parser = clap::value_parser!(u16).range(0..=520))]
    next: u16,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Subcommand, Debug)]
enum DutyAction {
    /// Two people trade turns.
    Swap {
        /// One of the two, as written in the rotation.
        a: String,
        /// The other.
        b: String,
        /// A day in the week whose turn they trade.
        #[arg(long, value_name = "YYYY-MM-DD")]
        week: NaiveDate,
        /// Show the change to the config; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Serialize)]
struct Turn {
    /// The first day of the turn.
    starts: String,
    person: String,
}

pub fn cmd_duty(args: &DutyArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let duty = session.config.config.duty.as_ref().ok_or_else(|| {
        Failure::new("there is no push-duty rotation in this repository")
            .hint("add [duty] rotation = [\"alice\", \"bob\"] and start = 2026-01-01 to .release/config.toml (the push-duty preset has one)")
    })?;
    let rotation = duty.rotation();
    if let Some(DutyAction::Swap {
        a,
        b,
        week,
        dry_run,
    }) = &args.action
    {
        if a == b {
            return Err(
                Failure::usage(format!("{a} cannot swap a turn with themselves"))
                    .hint("name the two people who trade turns")
                    .into(),
            );
        }
        for who in [a, b] {
            if !duty.rotation.contains(who) {
                return Err(Failure::new(format!(
                    "{who} is not in the rotation ({})",
                    duty.rotation.join(", ")
                ))
                .into());
            }
        }
        let swap = Swap {
            week: *week,
            a: a.clone(),
            b: b.clone(),
        };
        let Some(trade) = duty.trade(&swap) else {
            let holder = duty.on(*week).unwrap_or_default();
            return Err(Failure::new(format!(
                "neither {a} nor {b} has the turn of {week}; {holder} has"
            ))
            .hint("name the person who has that turn")
            .into());
        };
        let git = &session.git;
        let path = git
            .workdir()
            .ok_or_else(|| Failure::new("this repository has no working tree"))?
            .join(CONFIG_PATH);
        let old = std::fs::read_to_string(&path)
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", path.display())))?;
        let mut item = toml_edit::InlineTable::new();
        item.insert(
            "week",
            toml_edit::Value::from(toml_edit::Date {
                year: chrono::Datelike::year(week) as u16,
                month: chrono::Datelike::month(week) as u8,
                day: chrono::Datelike::day(week) as u8,
            }),
        );
        item.insert("a", a.as_str().into());
        item.insert("b", b.as_str().into());
        let new = edit::append(&old, "duty.swaps", toml_edit::Value::InlineTable(item))?;
        crate::config::parse(&new, std::path::Path::new(CONFIG_PATH))?;
        if *dry_run {
            crate::files::write_diff(out, &old, &new, CONFIG_PATH)?;
            return Ok(());
        }
        crate::files::write_atomically(&path, &new)?;
        let Trade {
            week: from,
            gives,
            takes,
            later,
        } = trade;
        crate::say!(
            "{takes} takes {gives}'s turn from {from}; {gives} takes {takes}'s turn from {later}."
        );
        crate::say!("Recorded in {CONFIG_PATH}; commit it so the team sees the swap.");
        return Ok(());
    }
    // A swap written by hand may name a turn neither person has (any more): it does nothing.
    for swap in rotation.idle_swaps(&duty.swaps()) {
        crate::warn!(
            "warning: the swap of {} between {} and {} in {CONFIG_PATH} trades nothing: neither has that turn",
            swap.week,
            swap.a,
            swap.b
        );
    }
    let day = args
        .date
        .unwrap_or_else(|| chrono::Local::now().date_naive());
    let first = rotation.turn_start(day);
    let turns: Vec<Turn> = (0..=args.next)
        .map(|i| {
            let starts = first
                .checked_add_days(chrono::Days::new(u64::from(i) * u64::from(rotation.days)))
                .unwrap_or(first);
            Turn {
                starts: starts.to_string(),
                person: duty.on(starts).unwrap_or_default(),
            }
        })
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &turns)?;
        writeln!(out)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} has push duty (turn from {})",
        turns[0].person, turns[0].starts
    )?;
    for t in &turns[1..] {
        writeln!(out, "  then {} from {}", t.person, t.starts)?;
    }
    Ok(())
}
