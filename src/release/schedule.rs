//! The release calendar: weekdays named in config and the date a release is named after.

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
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
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

impl Rotation {
    /// Who has duty on `date` (the rotation runs backwards before `start` too).
    pub fn on(&self, date: NaiveDate) -> Option<&str> {
        if self.people.is_empty() || self.days == 0 {
            return None;
        }
        let turn = (date - self.start)
            .num_days()
            .div_euclid(i64::from(self.days));
        let index = turn.rem_euclid(self.people.len() as i64) as usize;
        Some(&self.people[index])
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
