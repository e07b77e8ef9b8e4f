//! goose: `<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down` sections, or Go
//! code (which ran, but has no SQL to reverse).

use super::sql::{self, Markers};
use super::{Cx, Entry, Form, Kind, Role, UndoError, numbered};

pub(crate) struct Goose;

const MARKERS: Markers = Markers::new("+goose", " ", "Up", "Down");

impl Kind for Goose {
    fn name(&self) -> &'static str {
        "goose"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        sql::claims_sections(path, read, MARKERS)
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let (stem, role) = match relative.strip_suffix(".sql") {
            Some(stem) => (stem, Role::Sections),
            // Goose skips Go test files next to its Go migrations.
            None if relative.ends_with("_test.go") => return None,
            None => (relative.strip_suffix(".go")?, Role::Go),
        };
        let (version, sep, name) = numbered(stem, &["_"])?;
        Some(Entry::single(relative, version, sep, name, role))
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
