//! Plain SQL: numbered files (`003-add-index.sql`) that only go up.

use super::{Cx, Entry, Form, Kind, Role, Style, UndoError, numbered, split_path, sql};

pub(crate) struct PlainSql;

impl Kind for PlainSql {
    fn name(&self) -> &'static str {
        "plain-sql"
    }

    /// Only kept when nothing else claims the dir and the dir's name says "migrat…".
    fn claims(&self, path: &str, _read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        entry(file).map(|_| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        entry(relative)
    }

    fn style(&self, latest: Option<&Entry>) -> Style {
        match latest {
            None => Style::Sequence { width: 3 },
            Some(entry) if super::parse_timestamp(&entry.version).is_some() => {
                Style::Timestamp(super::TIMESTAMP)
            }
            Some(entry) => Style::Sequence {
                width: entry.version.len(),
            },
        }
    }

    fn sep(&self, latest: Option<&Entry>) -> &'static str {
        match latest {
            Some(entry) if !entry.sep.is_empty() => entry.sep,
            _ => "_",
        }
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            l.up_only(format!("{}{}{}.sql", l.version, l.sep, l.name))
        })
    }
}

/// Reads `<digits><-|_><name>.sql`.
pub(crate) fn entry(relative: &str) -> Option<Entry> {
    if relative.contains('/') {
        return None;
    }
    let (version, sep, name) = numbered(relative.strip_suffix(".sql")?, &["-", "_"])?;
    Some(Entry::single(relative, version, sep, name, Role::UpOnly))
}
