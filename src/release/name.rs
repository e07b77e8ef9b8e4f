//! Release names: a date formatted by the team's strftime pattern, plus `-N` for the Nth extra
//! release of that day. Parsing is strict so that stray tags (`sign-test`, `2016-03-15-garbage`)
//! never pass for releases, and ordering is by (date, suffix), never by string. Tags from before
//! the tool may spell a date another way (`2019-03-05` beside `%Y.%m.%d`, `2019.02.14.1`,
//! `2019-4-9`); they count, and `Spelling` says how they differ.

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
    /// The pattern with `.` and `-` between the date's fields swapped, so that history written
    /// with the other separator still counts.
    Option<Box<NameFormat>>,
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
        let other = fast.as_deref().and_then(other_separator);
        let mut format = NameFormat(pattern.to_owned(), items, fast, None);
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
        if let Some(other) = other
            && let Ok(items) = chrono::format::StrftimeItems::new(&other).parse_to_owned()
        {
            let fast = pieces(&items);
            format.3 = Some(Box::new(NameFormat(other, items, fast, None)));
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

    /// Reads `text` as a release name of this format, or `None` if it is not one. Other
    /// spellings of a date count too (see `Spelling`); a new name is always written `name`'s way.
    pub fn parse(&self, text: &str) -> Option<ReleaseName> {
        if let Some(name) = self.parse_as_written(text) {
            return Some(name);
        }
        let mut name = self.3.as_ref()?.parse_as_written(text)?;
        name.spelling.other_separator = true;
        Some(name)
    }

    /// One line saying how `name` is written differently from this pattern, if it is.
    pub fn spelling_note(&self, name: &ReleaseName) -> Option<String> {
        let s = name.spelling;
        let mut how = Vec::new();
        if s.other_separator {
            how.push("another separator");
        }
        if s.unpadded {
            how.push("no zero padding");
        }
        if s.dotted_suffix {
            how.push("a `.N` suffix");
        }
        if how.is_empty() {
            return None;
        }
        Some(format!(
            "{} counts as {} ({} where `{}` has none)",
            name.text,
            self.name(name.date, name.suffix),
            how.join(", "),
            self.0
        ))
    }

    fn parse_as_written(&self, text: &str) -> Option<ReleaseName> {
        let mut unpadded = false;
        let (date, rest) = match self.read_canonical(text) {
            // Four digits of year where the pattern puts them: the year prefix holds.
            Some(found) => found,
            None => {
                let (date, rest) = self.read_with_chrono(text)?;
                // Only names off the canonical path can be unpadded; the check formats a date.
                unpadded = text[..text.len() - rest.len()] != *date.format(&self.0).to_string();
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
        // Hotfixes from before the tool were often `.1`, `.2`; they count as `-1`, `-2`.
        let dotted_suffix = rest.starts_with('.');
        let suffix = match rest.strip_prefix('-').or_else(|| rest.strip_prefix('.')) {
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
            spelling: Spelling {
                other_separator: false,
                unpadded,
                dotted_suffix,
            },
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

/// The pattern written with `.` and `-` swapped where they stand alone between year, month and
/// day (`%Y.%m.%d` for `%Y-%m-%d`), or `None` when no separator stands there.
fn other_separator(pieces: &[Piece]) -> Option<String> {
    let mut pattern = String::new();
    let mut swapped = false;
    for (i, piece) in pieces.iter().enumerate() {
        match piece {
            Piece::Year => pattern.push_str("%Y"),
            Piece::Month => pattern.push_str("%m"),
            Piece::Day => pattern.push_str("%d"),
            Piece::Literal(text) => {
                let between = i > 0
                    && !matches!(pieces[i - 1], Piece::Literal(_))
                    && pieces
                        .get(i + 1)
                        .is_some_and(|p| !matches!(p, Piece::Literal(_)));
                let other = match text.as_str() {
                    "." if between => "-",
                    "-" if between => ".",
                    _ => {
                        pattern.push_str(&text.replace('%', "%%"));
                        continue;
                    }
                };
                pattern.push_str(other);
                swapped = true;
            }
        }
    }
    swapped.then_some(pattern)
}

/// Tags dated more than a day after `today`: typos (`2109-04-02` for `2019-04-02`), never
/// releases. A recorded release may be dated ahead (the next push day); a tag alone may not.
pub fn is_future_typo(name: &ReleaseName, today: NaiveDate) -> bool {
    name.date > today + chrono::Days::new(1)
}

/// One line for the tags `is_future_typo` set aside: how many, and a few of them.
pub fn future_typos_line(names: &[ReleaseName]) -> Option<String> {
    let (first, rest) = names.split_first()?;
    let mut sorted: Vec<&str> = names.iter().map(|n| n.text.as_str()).collect();
    sorted.sort_unstable();
    let shown = sorted
        .iter()
        .take(3)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    Some(match rest.len() {
        0 => format!(
            "ignored tag {} as a release: it is dated in the future (a typo?)",
            first.text
        ),
        n => format!(
            "ignored {} tags as releases: they are dated in the future (typos?): {shown}{}",
            n + 1,
            if n + 1 > 3 { ", …" } else { "" }
        ),
    })
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
    pub spelling: Spelling,
}

/// How a name differs from the way the pattern writes it; all false for the tool's own names.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Spelling {
    /// `-` where the pattern has `.`, or the other way round (`2019-03-05` for `%Y.%m.%d`).
    pub other_separator: bool,
    /// A month or day without its zero (`2019-4-9`).
    pub unpadded: bool,
    /// `.N` where the tool writes `-N` (`2019.02.14.1`).
    pub dotted_suffix: bool,
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
        assert_eq!(
            dots.parse("2015.09.03").unwrap().spelling,
            Spelling::default()
        );
    }

    #[test]
    fn other_spellings_of_a_date_count() {
        let dots = NameFormat::new("%Y.%m.%d").unwrap();
        let n = dots.parse("2019-03-05").unwrap();
        assert_eq!((n.date, n.suffix), (d(2019, 3, 5), 0));
        assert!(n.spelling.other_separator);
        assert_eq!(
            dots.spelling_note(&n).unwrap(),
            "2019-03-05 counts as 2019.03.05 (another separator where `%Y.%m.%d` has none)"
        );
        let n = dots.parse("2019.02.14.2").unwrap();
        assert_eq!((n.date, n.suffix), (d(2019, 2, 14), 2));
        assert!(n.spelling.dotted_suffix && !n.spelling.other_separator);
        let n = dots.parse("2019-4-9").unwrap();
        assert_eq!(n.date, d(2019, 4, 9));
        assert!(n.spelling.unpadded && n.spelling.other_separator);
        let dash = dash();
        let n = dash.parse("2019.03.05.1").unwrap();
        assert_eq!((n.date, n.suffix), (d(2019, 3, 5), 1));
        assert!(dash.parse("2019-03-05").unwrap().spelling == Spelling::default());
        // Same-day releases count across spellings: the next one is `-3`.
        let taken = names(&dots, ["2019.02.14", "2019.02.14.1", "2019.02.14.2"]);
        assert_eq!(dots.next_name(d(2019, 2, 14), &taken), "2019.02.14-3");
        // Version numbers and words after a date are not releases.
        for junk in [
            "4.2.1.3",
            "2019.01.10-hotfix-docs",
            "v2019.1",
            "2019.01.10.",
            "2019.01.10.1a",
        ] {
            assert!(dots.parse(junk).is_none(), "{junk} parsed as a release");
        }
        // No separator, nothing to swap.
        assert!(NameFormat::new("%Y%m%d").unwrap().3.is_none());
        assert_eq!(
            NameFormat::new("rel-%Y.%m.%d").unwrap().3.unwrap().0,
            "rel-%Y-%m-%d"
        );
    }

    #[test]
    fn future_typos_are_named_in_one_line() {
        let f = dash();
        let today = d(2026, 12, 7);
        assert!(!is_future_typo(&f.parse("2026-12-08").unwrap(), today));
        assert!(is_future_typo(&f.parse("2026-12-09").unwrap(), today));
        let one = names(&f, ["2109-04-02-1"]);
        assert_eq!(
            future_typos_line(&one).unwrap(),
            "ignored tag 2109-04-02-1 as a release: it is dated in the future (a typo?)"
        );
        let many = names(
            &f,
            ["2901-01-01", "2109-04-02-1", "2210-01-01", "2031-05-05"],
        );
        assert_eq!(
            future_typos_line(&many).unwrap(),
            "ignored 4 tags as releases: they are dated in the future (typos?): \
             2031-05-05, 2109-04-02-1, 2210-01-01, …"
        );
        assert!(future_typos_line(&[]).is_none());
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
