//! sqlx: golang-migrate's pairs, or one-file `<version>_<name>.sql` migrations with no down
//! part. Told apart from golang-migrate and plain SQL by a Cargo manifest that uses sqlx.

use std::collections::HashSet;

use super::golang_migrate::pair_entry;
use super::{Cx, Entry, Form, Kind, UndoError, join, sql};

pub(crate) struct Sqlx;

impl Kind for Sqlx {
    fn name(&self) -> &'static str {
        "sqlx"
    }

    /// Never by a file alone: see [`uses_sqlx`].
    fn claims(&self, _path: &str, _read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        None
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        pair_entry(relative, true)
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            if l.one_file() {
                l.up_only(format!("{}_{}.sql", l.version, l.name))
            } else {
                l.pair(
                    format!("{}_{}.up.sql", l.version, l.name),
                    format!("{}_{}.down.sql", l.version, l.name),
                )
            }
        })
    }
}

/// Whether every numbered `.sql` file among `files` reads as a sqlx migration.
pub(crate) fn names(files: &[&str]) -> bool {
    files
        .iter()
        .filter(|file| super::plain_sql::entry(file).is_some())
        .all(|file| pair_entry(file, true).is_some())
}

/// Whether a Cargo manifest above `dir` (its crate's or its workspace's) mentions sqlx.
pub(crate) fn uses_sqlx(
    dir: &str,
    all: &HashSet<&str>,
    read: &dyn Fn(&str) -> Option<String>,
) -> bool {
    let mut at = dir;
    loop {
        let manifest = join(at, "Cargo.toml");
        if all.contains(manifest.as_str()) && read(&manifest).is_some_and(|t| t.contains("sqlx")) {
            return true;
        }
        if at.is_empty() {
            return false;
        }
        at = at.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}
