//! diesel: a folder per migration, `<version>_<name>/up.sql` and `down.sql`.

use super::{Cx, Entry, Form, Kind, Role, Style, UndoError, split_path, sql};

pub(crate) struct Diesel;

const DIESEL_TIMESTAMP: &str = "%Y-%m-%d-%H%M%S";

impl Kind for Diesel {
    fn name(&self) -> &'static str {
        "diesel"
    }

    /// The dir is the grandparent of `up.sql`.
    fn claims(&self, path: &str, _read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (folder_path, file) = split_path(path);
        let (parent, folder) = split_path(folder_path);
        (file == "up.sql" && !folder_path.is_empty() && folder_name(folder).is_some())
            .then(|| parent.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        let (folder, file) = relative.split_once('/')?;
        if file.contains('/') {
            return None;
        }
        let (version, name) = folder_name(folder)?;
        let role = match file {
            "up.sql" => Role::Up,
            "down.sql" => Role::Down,
            _ => Role::Other,
        };
        Some(Entry {
            key: folder.to_string(),
            id: folder.to_string(),
            version: version.to_string(),
            name: name.to_string(),
            sep: "_",
            role,
        })
    }

    fn style(&self, _latest: Option<&Entry>) -> Style {
        Style::Timestamp(DIESEL_TIMESTAMP)
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            l.pair(
                format!("{}_{}/up.sql", l.version, l.name),
                format!("{}_{}/down.sql", l.version, l.name),
            )
        })
    }
}

/// Splits a diesel migration folder name, `2024-01-01-120000_create_users`.
fn folder_name(folder: &str) -> Option<(&str, &str)> {
    let (version, name) = folder.split_once('_')?;
    let is_version = version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '-');
    is_version.then_some((version, name))
}
