//! golang-migrate: `<version>_<name>.up.sql` and `<version>_<name>.down.sql`.

use super::{Cx, Entry, Form, Kind, Role, UndoError, numbered, split_path, sql};

pub(crate) struct GolangMigrate;

impl Kind for GolangMigrate {
    fn name(&self) -> &'static str {
        "golang-migrate"
    }

    fn claims(&self, path: &str, _read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        pair_entry(file, false).map(|_| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        pair_entry(relative, false)
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            l.pair(
                format!("{}_{}.up.sql", l.version, l.name),
                format!("{}_{}.down.sql", l.version, l.name),
            )
        })
    }
}

/// Reads an `.up.sql`/`.down.sql` pair's file name; with `one_file_allowed` (sqlx), a plain
/// `.sql` is a one-file, up-only migration.
pub(crate) fn pair_entry(file: &str, one_file_allowed: bool) -> Option<Entry> {
    if file.contains('/') {
        return None;
    }
    let (stem, role) = if let Some(stem) = file.strip_suffix(".up.sql") {
        (stem, Role::Up)
    } else if let Some(stem) = file.strip_suffix(".down.sql") {
        (stem, Role::Down)
    } else if one_file_allowed {
        (file.strip_suffix(".sql")?, Role::UpOnly)
    } else {
        return None;
    };
    let (version, sep, name) = numbered(stem, &["_"])?;
    Some(Entry {
        key: stem.to_string(),
        id: stem.to_string(),
        version: version.to_string(),
        name: name.to_string(),
        sep,
        role,
    })
}
