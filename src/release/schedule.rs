//! The release calendar: weekdays named in config and the date a release is named after.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Parses `tuesday`, `Tue`, `thu` … (case-insensitive).
pub fn parse_weekday(text: &str) -> Result<Weekday, String> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("`{text}` is not a weekday; use monday, tuesday, … sunday"))
}

/// `1d` → 1, `2w` → 14.
pub fn parse_every(text: &str) -> Result<u32, String> {
    let bad = || format!("`{text}` is not a length of turn; use days or weeks like 1d, 1w, 2w");
    let text = text.trim();
    let (number, unit) = match text.char_indices().last() {
        Some((at, _)) => text.split_at(at),
        None => return Err(bad()),
    };
    let n: u32 = number.parse().map_err(|_| bad())?;
    let days = match unit {
        "d" => n,
        "w" => n.checked_mul(7).ok_or_else(bad)?,
        _ => return Err(bad()),
    };
    if days == 0 {
        return Err(bad());
    }
    Ok(days)
}

/// Push duty: people take turns of `days` days, in order, counted from `start`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    pub people: Vec<String>,
    pub start: NaiveDate,
    pub days: u32,
}

/// What a swap trades: `takes` gets the turn starting `week` from `gives`, who gets the turn
/// of `takes` starting `later` in exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trade {
    pub week: NaiveDate,
    pub gives: String,
    pub takes: String,
    pub later: NaiveDate,
}

/// Two people trading turns: whoever of `a` and `b` has the turn containing `week` gives it to
/// the other, and takes the other's next turn after it in exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Swap {
    pub week: NaiveDate,
    pub a: String,
    pub b: String,
}

impl Rotation {
    /// Who has duty on `date` by the rotation alone (it runs backwards before `start` too).
    pub fn on(&self, date: NaiveDate) -> Option<&str> {
        if self.people.is_empty() || self.days == 0 {
            return None;
        }
        Some(self.base(self.turn(date)))
    }

    /// Who has duty on `date`, swaps included.
    pub fn on_with_swaps(&self, date: NaiveDate, swaps: &[Swap]) -> Option<String> {
        self.on(date)?;
        let moved = self.moved(swaps);
        Some(self.holder(&moved, self.turn(date)).to_owned())
    }

    /// What `swap` trades once `earlier` swaps are in force, or `None` when neither of its
    /// two people has the turn of its week then.
    pub fn trade(&self, earlier: &[Swap], swap: &Swap) -> Option<Trade> {
        let moved = self.moved(earlier);
        let (t1, x, t2, y) = self.traded_turns(&moved, earlier.len(), swap)?;
        Some(Trade {
            week: self.turn_first_day(t1),
            gives: x,
            takes: y,
            later: self.turn_first_day(t2),
        })
    }

    /// The swaps that trade nothing, the ones before each having moved what they moved:
    /// neither of a swap's two people has the turn of its week then.
    pub fn idle_swaps<'s>(&self, swaps: &'s [Swap]) -> Vec<&'s Swap> {
        (0..swaps.len())
            .filter(|&n| self.trade(&swaps[..n], &swaps[n]).is_none())
            .map(|n| &swaps[n])
            .collect()
    }

    /// Who has each turn that swaps moved: each swap applies to the rotation as the swaps
    /// before it left it, so a swap can trade a turn that an earlier one gave away.
    fn moved(&self, swaps: &[Swap]) -> BTreeMap<i64, String> {
        let mut moved = BTreeMap::new();
        if self.people.is_empty() || self.days == 0 {
            return moved;
        }
        for (n, swap) in swaps.iter().enumerate() {
            if let Some((t1, x, t2, y)) = self.traded_turns(&moved, n, swap) {
                moved.insert(t1, y);
                moved.insert(t2, x);
            }
        }
        moved
    }

    /// The turns a swap exchanges, `earlier` swaps having moved `moved`: (turn of its week, who
    /// has it, the other's next turn, the other), or `None` when neither person has that week.
    fn traded_turns(
        &self,
        moved: &BTreeMap<i64, String>,
        earlier: usize,
        swap: &Swap,
    ) -> Option<(i64, String, i64, String)> {
        if self.people.is_empty() || self.days == 0 || swap.a == swap.b {
            return None;
        }
        let t1 = self.turn(swap.week);
        let x = self.holder(moved, t1);
        let y = if x == swap.a {
            swap.b.as_str()
        } else if x == swap.b {
            swap.a.as_str()
        } else {
            return None;
        };
        // Each earlier swap takes at most one turn from a person, so within one more round
        // per earlier swap the other has a turn again.
        let rounds = (earlier + 1) as i64 * self.people.len() as i64;
        let t2 = (t1 + 1..=t1 + rounds).find(|t| self.holder(moved, *t) == y)?;
        Some((t1, x.to_owned(), t2, y.to_owned()))
    }

    fn holder<'a>(&'a self, moved: &'a BTreeMap<i64, String>, turn: i64) -> &'a str {
        moved
            .get(&turn)
            .map_or_else(|| self.base(turn), String::as_str)
    }

    fn turn_first_day(&self, turn: i64) -> NaiveDate {
        let offset = turn * i64::from(self.days);
        if offset >= 0 {
            self.start + Days::new(offset as u64)
        } else {
            self.start - Days::new((-offset) as u64)
        }
    }

    /// The first day of the turn that contains `date`.
    pub fn turn_start(&self, date: NaiveDate) -> NaiveDate {
        self.turn_first_day(self.turn(date))
    }

    fn turn(&self, date: NaiveDate) -> i64 {
        (date - self.start)
            .num_days()
            .div_euclid(i64::from(self.days.max(1)))
    }

    fn base(&self, turn: i64) -> &str {
        &self.people[turn.rem_euclid(self.people.len() as i64) as usize]
    }
}

/// One coming release on the calendar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Slot {
    pub tag: NaiveDate,
    pub push: NaiveDate,
}

/// The next `count` push days from `today`, each with the tag day before it (on or before the
/// push, within the week).
pub fn upcoming(today: NaiveDate, tag: Weekday, push: Weekday, count: usize) -> Vec<Slot> {
    let first_push = next_weekday(today, push);
    let back = (7 + push.num_days_from_monday() - tag.num_days_from_monday()) % 7;
    (0..count)
        .map(|i| {
            let push_day = first_push + Days::new(7 * i as u64);
            Slot {
                tag: push_day - Days::new(back.into()),
                push: push_day,
            }
        })
        .collect()
}

/// The release after the one named for `after`: the first coming slot (its push on or after
/// `today`) whose name's day — its push day when `named_after_push`, else its tag day — is
/// later than `after`. Finishing a release before its own push day still points past it.
pub fn next_slot(
    today: NaiveDate,
    after: NaiveDate,
    tag: Weekday,
    push: Weekday,
    named_after_push: bool,
) -> Slot {
    let first = upcoming(today, tag, push, 1).remove(0);
    let named = if named_after_push {
        first.push
    } else {
        first.tag
    };
    if named > after {
        return first;
    }
    let weeks = (after - named).num_days() / 7 + 1;
    let later = Days::new(7 * weeks as u64);
    Slot {
        tag: first.tag + later,
        push: first.push + later,
    }
}

/// The first `day` on or after `from`.
pub fn next_weekday(from: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - from.weekday().num_days_from_monday()) % 7;
    from + Days::new(ahead.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_next_slot_comes_after_the_release_finished() {
        // The train: tag Friday, push Tuesday, named after the tag day. Release 2026-11-20
        // (Fri) is pushed Tue 11-24; finished that Tuesday, or early on Sunday, or late.
        for today in [day(2026, 11, 24), day(2026, 11, 22), day(2026, 11, 28)] {
            let next = next_slot(today, day(2026, 11, 20), Weekday::Fri, Weekday::Tue, false);
            assert_eq!(
                (next.tag, next.push),
                (day(2026, 11, 27), day(2026, 12, 1)),
                "{today}"
            );
        }
        // Push duty: tag Tuesday, push Thursday, named after the push day. 2026.11.26
        // finished on its Thursday, or before it.
        for today in [day(2026, 11, 26), day(2026, 11, 22)] {
            let next = next_slot(today, day(2026, 11, 26), Weekday::Tue, Weekday::Thu, true);
            assert_eq!(
                (next.tag, next.push),
                (day(2026, 12, 1), day(2026, 12, 3)),
                "{today}"
            );
        }
        // A release far behind: the next one is simply the coming slot.
        let next = next_slot(
            day(2026, 11, 22),
            day(2025, 1, 1),
            Weekday::Fri,
            Weekday::Tue,
            false,
        );
        assert_eq!(
            (next.tag, next.push),
            (day(2026, 11, 20), day(2026, 11, 24))
        );
    }

    #[test]
    fn parses_weekdays() {
        assert_eq!(parse_weekday("Thursday").unwrap(), Weekday::Thu);
        assert_eq!(parse_weekday("tue").unwrap(), Weekday::Tue);
        assert!(
            parse_weekday("someday")
                .unwrap_err()
                .contains("not a weekday")
        );
    }

    #[test]
    fn turns_rotate() {
        let r = Rotation {
            people: vec!["andym".into(), "kumar".into(), "jo".into()],
            start: NaiveDate::from_ymd_opt(2015, 9, 3).unwrap(),
            days: 7,
        };
        let day = |m, d| NaiveDate::from_ymd_opt(2015, m, d).unwrap();
        assert_eq!(r.on(day(9, 3)), Some("andym"));
        assert_eq!(r.on(day(9, 9)), Some("andym"));
        assert_eq!(r.on(day(9, 10)), Some("kumar"));
        assert_eq!(r.on(day(9, 24)), Some("andym"));
        assert_eq!(r.on(day(9, 2)), Some("jo"));
        assert_eq!(parse_every("2w"), Ok(14));
        assert!(parse_every("0d").is_err());
        assert!(parse_every("w").is_err());
    }

    #[test]
    fn swaps_trade_two_turns() {
        let r = Rotation {
            people: vec!["a".into(), "b".into(), "c".into()],
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            days: 7,
        };
        let week = |n: u64| r.start + Days::new(7 * n);
        // Base: a b c a b c …; b takes a's week 3, a takes b's week 4.
        let swaps = [Swap {
            week: week(3),
            a: "a".into(),
            b: "b".into(),
        }];
        let who: Vec<String> = (0..7)
            .map(|n| r.on_with_swaps(week(n), &swaps).unwrap())
            .collect();
        assert_eq!(who, ["a", "b", "c", "b", "a", "c", "a"]);
        // A swap naming people who do not have that week changes nothing.
        let odd = [Swap {
            week: week(3),
            a: "b".into(),
            b: "c".into(),
        }];
        assert_eq!(r.on_with_swaps(week(3), &odd).unwrap(), "a");
        assert_eq!(r.turn_start(week(3) + Days::new(4)), week(3));
        assert_eq!(r.turn_start(r.start - Days::new(1)), r.start - Days::new(7));
    }

    #[test]
    fn a_swap_applies_to_the_rotation_the_earlier_ones_left() {
        let r = Rotation {
            people: vec!["alice".into(), "bob".into(), "carol".into()],
            start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            days: 7,
        };
        let week = |n: u64| r.start + Days::new(7 * n);
        let swap = |n, a: &str, b: &str| Swap {
            week: week(n),
            a: a.into(),
            b: b.into(),
        };
        let who = |swaps: &[Swap]| -> Vec<String> {
            (0..6)
                .map(|n| r.on_with_swaps(week(n), swaps).unwrap())
                .collect()
        };
        // bob gives week 1 to carol and takes her week 2; carol passes week 1 on to alice and
        // takes alice's next turn, week 3.
        let chained = [swap(1, "carol", "bob"), swap(1, "carol", "alice")];
        assert_eq!(
            r.trade(&chained[..1], &chained[1]),
            Some(Trade {
                week: week(1),
                gives: "carol".into(),
                takes: "alice".into(),
                later: week(3),
            })
        );
        assert_eq!(
            who(&chained),
            ["alice", "alice", "bob", "carol", "bob", "carol"]
        );
        // The same swap again trades back, as it says.
        let again = [chained[0].clone(), chained[1].clone(), chained[1].clone()];
        assert_eq!(
            who(&again),
            ["alice", "carol", "bob", "alice", "bob", "carol"]
        );
        // A swap of someone with themselves trades nothing.
        assert_eq!(r.trade(&[], &swap(1, "bob", "bob")), None);
        // Neither has week 1 once carol gave it to alice: the last swap is idle, and said so.
        let idle = [
            chained[0].clone(),
            chained[1].clone(),
            swap(1, "bob", "carol"),
        ];
        assert_eq!(r.idle_swaps(&idle), [&idle[2]]);
        assert!(r.idle_swaps(&chained).is_empty());
    }

    #[test]
    fn the_calendar_pairs_tag_and_push_days() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 21).unwrap(); // a Saturday
        let slots = upcoming(today, Weekday::Tue, Weekday::Thu, 2);
        assert_eq!(
            slots[0].push,
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
        assert_eq!(slots[0].tag, NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        assert_eq!(slots[1].push, NaiveDate::from_ymd_opt(2026, 12, 3).unwrap());
        // Train: tag on Friday, push the next Tuesday.
        let slots = upcoming(today, Weekday::Fri, Weekday::Tue, 1);
        assert_eq!(
            slots[0].push,
            NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
        );
        assert_eq!(slots[0].tag, NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());
    }

    proptest::proptest! {
        #[test]
        fn every_turn_has_one_person_and_swaps_keep_each_count(
            people in 1usize..6,
            days in 1u32..15,
            offset in -400i64..400,
            swap_week in 0u64..60,
            pick in 0usize..6,
        ) {
            let r = Rotation {
                people: (0..people).map(|i| format!("p{i}")).collect(),
                start: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
                days,
            };
            let date = if offset >= 0 {
                r.start + Days::new(offset as u64)
            } else {
                r.start - Days::new((-offset) as u64)
            };
            let who = r.on(date).unwrap();
            proptest::prop_assert!(r.people.iter().any(|p| p == who));
            // Every day of a turn has the same person.
            let first = r.turn_start(date);
            for d in 0..days {
                proptest::prop_assert_eq!(r.on(first + Days::new(d.into())).unwrap(), who);
            }
            // A swap moves duties between two turns and keeps how many each person has.
            let week = r.start + Days::new(swap_week * u64::from(days));
            let swap = Swap {
                week,
                a: r.on(week).unwrap().to_owned(),
                b: r.people[pick % people].clone(),
            };
            let span = 3 * people as u64 + 4;
            let count = |swaps: &[Swap], p: &str| {
                (0..span)
                    .filter(|t| {
                        r.on_with_swaps(week + Days::new(t * u64::from(days)), swaps).as_deref() == Some(p)
                    })
                    .count()
            };
            for p in &r.people {
                proptest::prop_assert_eq!(count(&[], p), count(std::slice::from_ref(&swap), p));
            }
        }
    }

    #[test]
    fn next_weekday_is_on_or_after() {
        let tue = NaiveDate::from_ymd_opt(2026, 11, 17).unwrap();
        let thu = NaiveDate::from_ymd_opt(2026, 11, 19).unwrap();
        assert_eq!(next_weekday(tue, Weekday::Thu), thu);
        assert_eq!(next_weekday(thu, Weekday::Thu), thu);
        let fri = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(
            next_weekday(fri, Weekday::Thu),
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()
        );
    }
}
