//! Flyway: `V<version>__<desc>.sql`, with an optional undo script `U<version>__<desc>.sql`.

use super::{Cx, Entry, Form, Kind, Number, Role, Style, UndoError, VersionOrder, split_path, sql};

pub(crate) struct Flyway;

impl Kind for Flyway {
    fn name(&self) -> &'static str {
        "flyway"
    }

    fn claims(&self, path: &str, _read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        self.entry(file).map(|_| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let file = relative;
        let stem = file.strip_suffix(".sql")?;
        let role = match stem.chars().next()? {
            'V' => Role::Up,
            'U' => Role::Down,
            'B' => Role::Other,
            _ => return None,
        };
        let (version, desc) = stem.get(1..)?.split_once("__")?;
        let parts: Vec<&str> = version.split(['.', '_']).collect();
        let is_version = parts
            .iter()
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
        if !is_version {
            return None;
        }
        // `V1_1` and `U1.1` are one version to Flyway, so they are one migration here.
        let key = parts
            .iter()
            .map(|part| Number::new(part).to_string())
            .collect::<Vec<_>>()
            .join(".");
        Some(Entry {
            key,
            id: file.to_string(),
            version: version.to_string(),
            name: desc.to_string(),
            sep: "__",
            role,
        })
    }

    fn version_order(&self, version: &str) -> VersionOrder {
        let parts: Vec<Number> = version.split(['.', '_']).map(Number::new).collect();
        VersionOrder {
            unnumbered: parts.is_empty(),
            parts,
        }
    }

    fn style(&self, _latest: Option<&Entry>) -> Style {
        Style::FlywayMajor
    }

    fn sep(&self, _latest: Option<&Entry>) -> &'static str {
        "__"
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            // A `U` file is Flyway's own undo; a TODO has nothing trustworthy to pair it with.
            if l.manual() {
                l.up_only(format!("V{}__{}.sql", l.version, l.name))
            } else {
                l.pair(
                    format!("V{}__{}.sql", l.version, l.name),
                    format!("U{}__{}.sql", l.version, l.name),
                )
            }
        })
    }
}
