//! sql-migrate: any `.sql` file with `-- +migrate Up` and `-- +migrate Down` sections; a
//! number in front only decides the order.

use super::sql::{self, Markers};
use super::{Cx, Entry, Form, Kind, Role, UndoError, leading_digits, numbered};

pub(crate) struct SqlMigrate;

const MARKERS: Markers = Markers::new("+migrate", " ", "Up", "Down");

impl Kind for SqlMigrate {
    fn name(&self) -> &'static str {
        "sql-migrate"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        sql::claims_sections(path, read, MARKERS)
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let stem = relative.strip_suffix(".sql")?;
        let (version, sep, name) = numbered(stem, &["-", "_"])
            .or_else(|| leading_digits(stem).map(|(version, rest)| (version, "", rest)))
            .unwrap_or(("", "", stem));
        Some(Entry::single(relative, version, sep, name, Role::Sections))
    }

    fn sep(&self, latest: Option<&Entry>) -> &'static str {
        match latest {
            Some(entry) if !entry.sep.is_empty() => entry.sep,
            // `sql-migrate new` writes `<timestamp>-<name>.sql`.
            _ => "-",
        }
    }

    fn markers(&self) -> Option<Markers> {
        Some(MARKERS)
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            l.sections(format!("{}{}{}.sql", l.version, l.sep, l.name), MARKERS)
        })
    }
}
