//! The release calendar: weekdays named in config and the date a release is named after.

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Parses `tuesday`, `Tue`, `thu` … (case-insensitive).
pub fn parse_weekday(text: &str) -> Result<Weekday, String> {
    text.trim()
        .parse::<Weekday>()
        .map_err(|_| format!("`{text}` is not a weekday; use monday, tuesday, … sunday"))
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
