//! Release names: a date formatted by the team's strftime pattern, plus `-N` for the Nth extra
//! release of that day. Parsing is strict so that stray tags (`sign-test`, `2016-03-15-garbage`)
//! never pass for releases, and ordering is by (date, suffix), never by string.

use std::cmp::Ordering;
use std::fmt;

use chrono::{Datelike, NaiveDate};

/// A strftime pattern that turns a date into a release name, e.g. `%Y-%m-%d` or `%Y.%m.%d`.
#[derive(Clone, Debug)]
pub struct NameFormat(
    String,
    Vec<chrono::format::Item<'static>>,
    /// The pattern as fixed-width pieces, when it is only zero-padded year, month, day and
    /// literal text: names in their canonical form are then read without chrono.
    Option<Vec<Piece>>,
);

#[derive(Clone, Debug)]
enum Piece {
    Year,
    Month,
    Day,
    Literal(String),
}

/// `items` as fixed-width pieces, or `None` if any item is something else.
fn pieces(items: &[chrono::format::Item<'_>]) -> Option<Vec<Piece>> {
    use chrono::format::{Item, Numeric, Pad};
    items
        .iter()
        .map(|item| match item {
            Item::Numeric(Numeric::Year, Pad::Zero) => Some(Piece::Year),
            Item::Numeric(Numeric::Month, Pad::Zero) => Some(Piece::Month),
            Item::Numeric(Numeric::Day, Pad::Zero) => Some(Piece::Day),
            Item::Literal(text) if text.is_ascii() => Some(Piece::Literal((*text).to_owned())),
            Item::OwnedLiteral(text) if text.is_ascii() => Some(Piece::Literal(text.to_string())),
            _ => None,
        })
        .collect()
}

impl PartialEq for NameFormat {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Eq for NameFormat {}

impl NameFormat {
    /// Accepts a pattern only if every date formats to a valid ref name and parses back to itself.
    pub fn new(pattern: &str) -> Result<Self, String> {
        use std::fmt::Write as _;
        let items = chrono::format::StrftimeItems::new(pattern)
            .parse_to_owned()
            .map_err(|_| format!("`{pattern}` is not a valid strftime pattern"))?;
        // Parsed once: reading thousands of tag names must not parse the pattern each time.
        let fast = pieces(&items);
        let format = NameFormat(pattern.to_owned(), items, fast);
        // Probe dates with one- and two-digit months and days, so unpadded or ambiguous patterns
        // (`%Y%-m%-d` makes 2026-1-11 and 2026-11-1 the same name) are caught.
        let probes = [(2026, 1, 11), (2026, 11, 1), (2026, 12, 31), (1999, 2, 3)];
        for (y, m, d) in probes {
            let date = NaiveDate::from_ymd_opt(y, m, d).expect("valid probe date");
            let mut name = String::new();
            if write!(name, "{}", date.format(pattern)).is_err() {
                return Err(format!("`{pattern}` is not a valid strftime pattern"));
            }
            if let Err(why) = check_ref_component(&name) {
                return Err(format!(
                    "`{pattern}` makes names like `{name}`, which git cannot use as a tag: {why}"
                ));
            }
            match format.parse(&name) {
                Some(parsed) if parsed.date == date && parsed.suffix == 0 => {}
                _ => {
                    return Err(format!(
                        "`{pattern}` does not name each day uniquely (`{name}` does not read back as {date}); \
                         use year, month and day, e.g. \"%Y-%m-%d\" or \"%Y.%m.%d\""
                    ));
                }
            }
        }
        Ok(format)
    }

    pub fn pattern(&self) -> &str {
        &self.0
    }

    /// The name of the release on `date`; `suffix` 0 is the day's first release.
    pub fn name(&self, date: NaiveDate, suffix: u32) -> String {
        let base = date.format(&self.0).to_string();
        if suffix == 0 {
            base
        } else {
            format!("{base}-{suffix}")
        }
    }

    /// Reads `text` as a release name of this format, or `None` if it is not one.
    pub fn parse(&self, text: &str) -> Option<ReleaseName> {
        let (date, rest) = match self.read_canonical(text) {
            // Four digits of year where the pattern puts them: the year prefix holds.
            Some(found) => found,
            None => {
                let (date, rest) = self.read_with_chrono(text)?;
                // chrono also reads a signed year (`+2026-11-20`); a release name's year is
                // four digits where the pattern puts it.
                if let Some(prefix) = self.year_prefix(date.year())
                    && !text.starts_with(&prefix)
                {
                    return None;
                }
                (date, rest)
            }
        };
        let suffix = match rest.strip_prefix('-') {
            None if rest.is_empty() => 0,
            Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
                digits.parse().ok()?
            }
            _ => return None,
        };
        // chrono accepts any number of year digits; a release name has four.
        if !(1000..=9999).contains(&date.year()) {
            return None;
        }
        Some(ReleaseName {
            date,
            suffix,
            text: text.to_owned(),
        })
    }

    /// What every name of `year` begins with — the pattern's literal text before the year, and
    /// the year — when the pattern begins that way (`%Y-%m-%d`, `rel-%Y%m%d`); `None` otherwise.
    /// `parse` holds names to it, so listing the refs that begin with it finds all of that
    /// year's names, however they are written (`2017-12-1` too).
    pub fn year_prefix(&self, year: i32) -> Option<String> {
        let mut prefix = String::new();
        for piece in self.2.as_ref()? {
            match piece {
                Piece::Literal(text) => prefix.push_str(text),
                Piece::Year => return Some(format!("{prefix}{year:04}")),
                Piece::Month | Piece::Day => return None,
            }
        }
        None
    }

    /// The date at the start of `text` when it is written exactly as this format writes dates
    /// (four-digit year, two-digit month and day), with what follows it. Anything else, even
    /// what chrono would still accept (`2017-12-1`), is left to chrono; so where this finds a
    /// date, chrono finds the same one.
    fn read_canonical<'t>(&self, text: &'t str) -> Option<(NaiveDate, &'t str)> {
        let pieces = self.2.as_ref()?;
        let (mut year, mut month, mut day) = (None, None, None);
        let mut rest = text;
        for piece in pieces {
            let width = match piece {
                Piece::Literal(literal) => {
                    rest = rest.strip_prefix(literal.as_str())?;
                    continue;
                }
                Piece::Year => 4,
                Piece::Month | Piece::Day => 2,
            };
            let digits = rest.get(..width)?;
            if !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let value: u32 = digits.parse().ok()?;
            match piece {
                Piece::Year => year = Some(value as i32),
                Piece::Month => month = Some(value),
                _ => day = Some(value),
            }
            rest = &rest[width..];
        }
        Some((NaiveDate::from_ymd_opt(year?, month?, day?)?, rest))
    }

    fn read_with_chrono<'t>(&self, text: &'t str) -> Option<(NaiveDate, &'t str)> {
        let mut parsed = chrono::format::Parsed::new();
        let rest = chrono::format::parse_and_remainder(&mut parsed, text, self.1.iter()).ok()?;
        Some((parsed.to_naive_date().ok()?, rest))
    }

    /// The name for a new release on `date`, given every name already taken (releases and tags):
    /// the bare date if free, else one more than the highest suffix used that day.
    pub fn next_name<'a>(
        &self,
        date: NaiveDate,
        taken: impl IntoIterator<Item = &'a ReleaseName>,
    ) -> String {
        let highest = taken
            .into_iter()
            .filter(|n| n.date == date)
            .map(|n| n.suffix)
            .max();
        match highest {
            None => self.name(date, 0),
            Some(s) => self.name(date, s + 1),
        }
    }

    /// The release that came before `name`: the greatest release name strictly below it.
    /// A typo'd far-future tag (`2107-03-14`) is never below a real release, so it is never chosen.
    pub fn previous<'a>(
        &self,
        name: &ReleaseName,
        existing: impl IntoIterator<Item = &'a ReleaseName>,
    ) -> Option<ReleaseName> {
        existing.into_iter().filter(|n| *n < name).max().cloned()
    }
}

impl fmt::Display for NameFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A parsed release name. Orders by date, then suffix, then text (so `2017-12-1` and
/// `2017-12-01`, both the first of December, still have a stable order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReleaseName {
    pub date: NaiveDate,
    pub suffix: u32,
    pub text: String,
}

impl Ord for ReleaseName {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.date, self.suffix, &self.text).cmp(&(other.date, other.suffix, &other.text))
    }
}

impl PartialOrd for ReleaseName {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for ReleaseName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// The rules git applies to one component of a ref name (`git check-ref-format`), so a bad name
/// is refused with a reason before anything is written.
pub fn check_ref_component(name: &str) -> Result<(), &'static str> {
    if name.is_empty() {
        return Err("it is empty");
    }
    if name.starts_with('.') || name.starts_with('-') {
        return Err("it starts with `.` or `-`");
    }
    if name.ends_with('.') || name.ends_with(".lock") {
        return Err("it ends with `.` or `.lock`");
    }
    if name.contains("..") || name.contains("@{") || name == "@" {
        return Err("it contains `..`, `@{` or is `@`");
    }
    if name
        .chars()
        .any(|c| c.is_control() || " ~^:?*[\\/".contains(c))
    {
        return Err("it contains a space, a control character or one of ~^:?*[\\/");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dash() -> NameFormat {
        NameFormat::new("%Y-%m-%d").unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The names among `texts` that read as release names.
    fn names<'a>(f: &NameFormat, texts: impl IntoIterator<Item = &'a str>) -> Vec<ReleaseName> {
        texts.into_iter().filter_map(|t| f.parse(t)).collect()
    }

    #[test]
    fn parses_plain_and_suffixed_names() {
        let f = dash();
        let n = f.parse("2026-11-20").unwrap();
        assert_eq!((n.date, n.suffix), (d(2026, 11, 20), 0));
        let n = f.parse("2026-11-20-2").unwrap();
        assert_eq!((n.date, n.suffix), (d(2026, 11, 20), 2));
        let dots = NameFormat::new("%Y.%m.%d").unwrap();
        assert_eq!(dots.parse("2015.09.03").unwrap().date, d(2015, 9, 3));
        assert!(dots.parse("2015-09-03").is_none());
    }

    #[test]
    fn rejects_messy_tags() {
        let f = dash();
        for junk in [
            "sign-test",
            "2016-03-15-garbage",
            "v2016-03-15",
            "2016-03-15-",
            "2016-03-15-1a",
            "2016-13-01",
            "2016-02-30",
            "20160-03-15",
            "",
        ] {
            assert!(f.parse(junk).is_none(), "{junk} parsed as a release");
        }
    }

    #[test]
    fn accepts_unpadded_names_from_before_the_tool() {
        let f = dash();
        let n = f.parse("2017-12-1").unwrap();
        assert_eq!((n.date, n.suffix), (d(2017, 12, 1), 0));
        let n = f.parse("2017-12-1-1").unwrap();
        assert_eq!((n.date, n.suffix), (d(2017, 12, 1), 1));
    }

    #[test]
    fn next_name_counts_up_from_the_highest_suffix() {
        let f = dash();
        let day = d(2026, 11, 20);
        let next = |taken: &[&str]| f.next_name(day, &names(&f, taken.iter().copied()));
        assert_eq!(next(&["2026-11-19"]), "2026-11-20");
        assert_eq!(next(&["2026-11-20"]), "2026-11-20-1");
        assert_eq!(
            next(&["2026-11-20", "2026-11-20-3", "2026-11-20-1"]),
            "2026-11-20-4"
        );
        // A suffixed tag alone (the bare name was deleted) still counts.
        assert_eq!(next(&["2026-11-20-2"]), "2026-11-20-3");
    }

    #[test]
    fn previous_ignores_far_future_typos_and_junk() {
        let f = dash();
        let tags = [
            "2016-03-15",
            "2016-03-15-garbage",
            "sign-test",
            "2017-12-1",
            "2107-03-14-1",
            "2017-12-12",
            "2017-12-12-1",
        ];
        let tags = &names(&f, tags);
        let this = f.parse("2017-12-19").unwrap();
        assert_eq!(f.previous(&this, tags).unwrap().text, "2017-12-12-1");
        let this = f.parse("2017-12-12-1").unwrap();
        assert_eq!(f.previous(&this, tags).unwrap().text, "2017-12-12");
        let this = f.parse("2017-12-12").unwrap();
        assert_eq!(f.previous(&this, tags).unwrap().text, "2017-12-1");
        let this = f.parse("2016-03-15").unwrap();
        assert!(f.previous(&this, tags).is_none());
    }

    #[test]
    fn every_name_of_a_year_begins_with_its_prefix() {
        let f = dash();
        assert_eq!(f.year_prefix(2027).as_deref(), Some("2027"));
        for name in ["2027-06-01", "2027-6-1", "2027-06-01-3"] {
            assert!(f.parse(name).is_some(), "{name}");
        }
        assert!(f.parse("+2027-06-01").is_none());
        let rel = NameFormat::new("rel-%Y%m%d").unwrap();
        assert_eq!(rel.year_prefix(2027).as_deref(), Some("rel-2027"));
        let day_first = NameFormat::new("%d.%m.%Y").unwrap();
        assert_eq!(day_first.year_prefix(2027), None);
    }

    #[test]
    fn suffixes_order_numerically() {
        let f = dash();
        assert!(f.parse("2026-11-20-10").unwrap() > f.parse("2026-11-20-9").unwrap());
        assert!(f.parse("2026-11-21").unwrap() > f.parse("2026-11-20-10").unwrap());
    }

    #[test]
    fn rejects_patterns_that_do_not_name_days() {
        assert!(NameFormat::new("%Y-%m").is_err());
        assert!(NameFormat::new("release").is_err());
        assert!(NameFormat::new("%Y %m %d").is_err());
        assert!(NameFormat::new("%Y:%m:%d").is_err());
        assert!(NameFormat::new("%Y%-m%-d").is_err());
        assert!(NameFormat::new("%Y.%m.%d").is_ok());
        assert!(NameFormat::new("release-%Y%m%d").is_ok());
    }

    proptest! {
        #[test]
        fn names_round_trip(days in 0i64..40_000, suffix in 0u32..1000) {
            let date = d(1990, 1, 1) + chrono::Days::new(days as u64);
            for pattern in ["%Y-%m-%d", "%Y.%m.%d", "rel-%Y%m%d"] {
                let f = NameFormat::new(pattern).unwrap();
                let name = f.name(date, suffix);
                let parsed = f.parse(&name).unwrap();
                prop_assert_eq!((parsed.date, parsed.suffix), (date, suffix));
            }
        }

        /// Where the canonical reading finds a date, chrono finds the same one: the fast path
        /// never changes which tags count as releases.
        #[test]
        fn canonical_reading_agrees_with_chrono(text in "[0-9.x-]{0,16}") {
            for pattern in ["%Y-%m-%d", "%Y.%m.%d", "%Y%m%d", "x%Y-%m-%d"] {
                let f = NameFormat::new(pattern).unwrap();
                if let Some(found) = f.read_canonical(&text) {
                    prop_assert_eq!(Some(found), f.read_with_chrono(&text), "{}", pattern);
                }
            }
        }

        /// Whatever reads as a release name begins with its year's prefix: a listing by
        /// prefix misses none.
        #[test]
        fn parsed_names_begin_with_their_year_prefix(text in "[+0-9.x-]{0,16}") {
            for pattern in ["%Y-%m-%d", "%Y.%m.%d", "%Y%m%d", "x%Y-%m-%d"] {
                let f = NameFormat::new(pattern).unwrap();
                if let Some(name) = f.parse(&text) {
                    let prefix = f.year_prefix(name.date.year()).unwrap();
                    prop_assert!(text.starts_with(&prefix), "{} {}", pattern, text);
                }
            }
        }

        #[test]
        fn next_name_is_new_and_after_every_name_that_day(
            suffixes in proptest::collection::vec(0u32..50, 0..10)
        ) {
            let f = dash();
            let day = d(2026, 11, 20);
            let taken: Vec<String> = suffixes.iter().map(|s| f.name(day, *s)).collect();
            let next = f.next_name(day, &names(&f, taken.iter().map(String::as_str)));
            prop_assert!(!taken.contains(&next));
            let parsed = f.parse(&next).unwrap();
            for t in &taken {
                prop_assert!(f.parse(t).unwrap() < parsed);
            }
        }

        #[test]
        fn previous_is_the_greatest_name_below(
            days in proptest::collection::vec((0u64..3000, 0u32..3), 1..30),
            probe in (0u64..3000, 0u32..3),
        ) {
            let f = dash();
            let base = d(2015, 1, 1);
            let texts: Vec<String> = days.iter().map(|(n, s)| f.name(base + chrono::Days::new(*n), *s)).collect();
            let this = f.parse(&f.name(base + chrono::Days::new(probe.0), probe.1)).unwrap();
            let parsed = names(&f, texts.iter().map(String::as_str));
            let prev = f.previous(&this, &parsed);
            let below: Vec<_> = parsed.iter().filter(|n| **n < this).collect();
            match prev {
                None => prop_assert!(below.is_empty()),
                Some(p) => {
                    prop_assert!(p < this);
                    prop_assert!(below.iter().all(|b| **b <= p));
                }
            }
        }
    }
}
