//! Push duty as a calendar: the coming weeks day by day (tag days, push days, who holds duty,
//! swaps), and the same as an RFC 5545 feed. Pure: it works on the config and a day to count
//! from, both given.

use chrono::{Datelike, Days, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::Serialize;

use crate::config::{DutyConfig, ScheduleConfig};
use crate::release::schedule::upcoming;

/// What the calendar is made of: the config's schedule and rotation, how releases are named.
pub struct Plan<'a> {
    pub schedule: Option<&'a ScheduleConfig>,
    pub duty: Option<&'a DutyConfig>,
    /// The release name for a slot's tag and push days.
    pub name: &'a dyn Fn(NaiveDate, NaiveDate) -> String,
    /// The first day shown (a Monday) and how many weeks.
    pub from: NaiveDate,
    pub weeks: u32,
}

#[derive(Serialize, Clone, Debug, PartialEq)]
pub struct Slot {
    pub name: String,
    pub tag: String,
    pub push: String,
    pub duty: Option<String>,
}

#[derive(Serialize, Debug)]
pub struct Day {
    pub date: String,
    pub weekday: String,
    pub duty: Option<String>,
    /// Who the rotation alone gives the day to, when a swap moved it.
    pub swapped_from: Option<String>,
    /// The release tagged that day, and the one pushed.
    pub tag: Option<String>,
    pub push: Option<String>,
    pub anchor: bool,
}

#[derive(Serialize, Debug)]
pub struct Week {
    pub start: String,
    pub days: Vec<Day>,
}

#[derive(Serialize, Debug)]
pub struct SwapView {
    pub week: String,
    pub a: String,
    pub b: String,
    /// What it traded, or `None` when neither had the turn of that week.
    pub trade: Option<String>,
}

#[derive(Serialize, Debug)]
pub struct Calendar {
    pub from: String,
    pub weeks: Vec<Week>,
    pub slots: Vec<Slot>,
    pub swaps: Vec<SwapView>,
    pub rotation: Vec<String>,
    pub turn_days: Option<u32>,
    /// `10:00 (UTC+01:00)` when the schedule says when.
    pub time: Option<String>,
}

/// The Monday of `day`'s week.
pub fn monday_of(day: NaiveDate) -> NaiveDate {
    day - Days::new(day.weekday().num_days_from_monday().into())
}

impl Plan<'_> {
    pub fn slots(&self) -> Vec<Slot> {
        let Some(schedule) = self.schedule else {
            return Vec::new();
        };
        upcoming(
            self.from,
            schedule.tag.0,
            schedule.push.0,
            self.weeks as usize,
        )
        .into_iter()
        .map(|s| Slot {
            name: (self.name)(s.tag, s.push),
            tag: s.tag.to_string(),
            push: s.push.to_string(),
            duty: self.duty.and_then(|d| d.on(s.push)),
        })
        .collect()
    }

    fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        (0..u64::from(self.weeks) * 7).map(|i| self.from + Days::new(i))
    }

    pub fn calendar(&self, anchor: NaiveDate) -> Calendar {
        let slots = self.slots();
        let rotation = self.duty.map(DutyConfig::rotation);
        let days: Vec<Day> = self
            .days()
            .map(|date| {
                let duty = self.duty.and_then(|d| d.on(date));
                let base = rotation
                    .as_ref()
                    .and_then(|r| r.on(date))
                    .map(str::to_owned);
                let key = date.to_string();
                Day {
                    weekday: date.format("%a").to_string(),
                    swapped_from: base.filter(|b| Some(b) != duty.as_ref()),
                    duty,
                    tag: slots.iter().find(|s| s.tag == key).map(|s| s.name.clone()),
                    push: slots.iter().find(|s| s.push == key).map(|s| s.name.clone()),
                    anchor: date == anchor,
                    date: key,
                }
            })
            .collect();
        let mut weeks = Vec::new();
        let mut days = days.into_iter().peekable();
        while days.peek().is_some() {
            let week: Vec<Day> = days.by_ref().take(7).collect();
            weeks.push(Week {
                start: week[0].date.clone(),
                days: week,
            });
        }
        let swaps = match (self.duty, &rotation) {
            (Some(duty), Some(rotation)) => {
                let all = duty.swaps();
                all.iter()
                    .enumerate()
                    .map(|(n, swap)| SwapView {
                        week: swap.week.to_string(),
                        a: swap.a.clone(),
                        b: swap.b.clone(),
                        trade: rotation.trade(&all[..n], swap).map(|t| {
                            format!(
                                "{} takes the turn from {} of {}; {} takes the turn from {}",
                                t.takes, t.week, t.gives, t.gives, t.later
                            )
                        }),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        Calendar {
            from: self.from.to_string(),
            weeks,
            slots,
            swaps,
            rotation: self.duty.map(|d| d.rotation.clone()).unwrap_or_default(),
            turn_days: self.duty.map(|d| d.every.0),
            time: self.schedule.and_then(|s| {
                s.time.as_ref().map(|t| {
                    let offset = s
                        .utc_offset
                        .as_deref()
                        .map(|o| format!(" (UTC{o})"))
                        .unwrap_or_default();
                    format!("{t}{offset}")
                })
            }),
        }
    }

    /// The feed: tag and push days (at the schedule's time, in its UTC offset, when it has
    /// one) and each turn of push duty that overlaps the weeks shown. `stamp` is DTSTAMP;
    /// `domain` makes the UIDs this repository's own.
    pub fn ics(&self, stamp: chrono::DateTime<Utc>, domain: &str) -> String {
        let mut events = Vec::new();
        let at = self.schedule.and_then(schedule_time);
        for slot in self.slots() {
            let duty = slot
                .duty
                .as_deref()
                .map(|d| format!("Push duty: {d}."))
                .unwrap_or_default();
            for (kind, day, summary) in [
                ("tag", &slot.tag, format!("Tag release {}", slot.name)),
                ("push", &slot.push, format!("Push release {}", slot.name)),
            ] {
                let date: NaiveDate = day.parse().expect("slots hold dates");
                events.push(Event {
                    uid: format!("{kind}-{}@{domain}", slot.name),
                    summary,
                    description: format!("Release {}: {kind} day. {duty}", slot.name)
                        .trim_end()
                        .to_owned(),
                    when: match at {
                        Some(at) => When::At(at.at(date)),
                        None => When::Day(date, date + Days::new(1)),
                    },
                });
            }
        }
        if let Some(duty) = self.duty {
            let rotation = duty.rotation();
            let mut start = rotation.turn_start(self.from);
            let end = self.from + Days::new(u64::from(self.weeks) * 7);
            while start < end {
                let next = start + Days::new(u64::from(duty.every.0.max(1)));
                if let Some(who) = duty.on(start) {
                    events.push(Event {
                        uid: format!("duty-{start}@{domain}"),
                        summary: format!("Push duty: {who}"),
                        description: format!("{who} holds push duty from {start} until {next}."),
                        when: When::Day(start, next),
                    });
                }
                start = next;
            }
        }
        feed(&events, stamp)
    }
}

/// A time of day in a fixed UTC offset.
#[derive(Clone, Copy)]
struct LocalTime {
    time: NaiveTime,
    offset: FixedOffset,
}

impl LocalTime {
    fn at(&self, date: NaiveDate) -> NaiveDateTime {
        self.offset
            .from_local_datetime(&date.and_time(self.time))
            .single()
            .expect("a fixed offset has one time for each local time")
            .naive_utc()
    }
}

fn schedule_time(schedule: &ScheduleConfig) -> Option<LocalTime> {
    let time = NaiveTime::parse_from_str(schedule.time.as_deref()?.trim(), "%H:%M").ok()?;
    let offset = match schedule.utc_offset.as_deref() {
        Some(o) => o.trim().parse::<FixedOffset>().ok()?,
        None => FixedOffset::east_opt(0)?,
    };
    Some(LocalTime { time, offset })
}

enum When {
    /// All day, from the first day up to (not including) the second.
    Day(NaiveDate, NaiveDate),
    /// A moment, in UTC.
    At(NaiveDateTime),
}

struct Event {
    uid: String,
    summary: String,
    description: String,
    when: When,
}

fn feed(events: &[Event], stamp: chrono::DateTime<Utc>) -> String {
    let mut out = String::new();
    let mut line = |text: &str| fold_line(&mut out, text);
    line("BEGIN:VCALENDAR");
    line("VERSION:2.0");
    line("PRODID:-//git-release//page//EN");
    line("CALSCALE:GREGORIAN");
    line("X-WR-CALNAME:Release train");
    let stamp = stamp.format("%Y%m%dT%H%M%SZ").to_string();
    for e in events {
        line("BEGIN:VEVENT");
        line(&format!("UID:{}", escape_text(&e.uid)));
        line(&format!("DTSTAMP:{stamp}"));
        match e.when {
            When::Day(start, end) => {
                line(&format!("DTSTART;VALUE=DATE:{}", start.format("%Y%m%d")));
                line(&format!("DTEND;VALUE=DATE:{}", end.format("%Y%m%d")));
            }
            When::At(at) => line(&format!("DTSTART:{}", at.format("%Y%m%dT%H%M%SZ"))),
        }
        line(&format!("SUMMARY:{}", escape_text(&e.summary)));
        line(&format!("DESCRIPTION:{}", escape_text(&e.description)));
        line("TRANSP:TRANSPARENT");
        line("END:VEVENT");
    }
    line("END:VCALENDAR");
    out
}

/// RFC 5545 3.3.11: backslash, semicolon, comma and newline escaped; other control
/// characters dropped (they are not allowed in a content line).
pub fn escape_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded so that no line is longer than 75 octets (RFC 5545 3.1),
/// never inside a UTF-8 character, each line ending in CRLF.
pub fn fold_line(out: &mut String, text: &str) {
    let mut width = 0;
    for c in text.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let text = format!("SUMMARY:{}", "é".repeat(60));
        fold_line(&mut out, &text);
        for line in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(line.len() <= 75, "{} octets: {line}", line.len());
        }
        let unfolded = out.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, text);
    }

    #[test]
    fn text_values_are_escaped() {
        assert_eq!(escape_text("a,b;c\\d\ne\u{7}"), "a\\,b\\;c\\\\d\\ne");
    }
}
