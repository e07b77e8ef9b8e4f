//! dbmate: `<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down` sections.

use super::sql::{self, Markers};
use super::{Cx, Entry, Form, Kind, Role, UndoError, leading_digits};

pub(crate) struct Dbmate;

const MARKERS: Markers = Markers::new("migrate:", "", "up", "down");

impl Kind for Dbmate {
    fn name(&self) -> &'static str {
        "dbmate"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        sql::claims_sections(path, read, MARKERS)
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let (version, rest) = leading_digits(relative.strip_suffix(".sql")?)?;
        let name = rest.strip_prefix('_').unwrap_or(rest);
        Some(Entry::single(relative, version, "_", name, Role::Sections))
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
