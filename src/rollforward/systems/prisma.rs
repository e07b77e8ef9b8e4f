//! Prisma Migrate: `prisma/migrations/<timestamp>_<name>/migration.sql`, beside
//! `migration_lock.toml`. Its migrations only go up, so their undo is refused (or, with
//! `--allow-manual-undo`, a TODO `migration.sql` that fails until written).

use super::{Cx, Entry, Form, Kind, Role, UndoError, split_path, sql, timestamped};

pub(crate) struct Prisma;

impl Kind for Prisma {
    fn name(&self) -> &'static str {
        "prisma"
    }

    /// The dir is the grandparent of `migration.sql`.
    fn claims(&self, path: &str, _read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (folder_path, file) = split_path(path);
        let (parent, folder) = split_path(folder_path);
        (file == "migration.sql" && !folder_path.is_empty() && timestamped(folder).is_some())
            .then(|| parent.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        let (folder, file) = relative.split_once('/')?;
        let (version, name) = timestamped(folder)?;
        let role = match file {
            "migration.sql" => Role::UpOnly,
            _ if !file.contains('/') => Role::Other,
            _ => return None,
        };
        Some(Entry {
            key: folder.to_owned(),
            id: folder.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
            sep: "_",
            role,
        })
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        sql::undo(cx, |l| {
            l.up_only(format!("{}_{}/migration.sql", l.version, l.name))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, at, undo_of};
    use super::super::*;

    fn repo() -> Repo {
        Repo::new(&[
            ("prisma/schema.prisma", "model User { id Int @id }\n"),
            (
                "prisma/migrations/migration_lock.toml",
                "provider = \"sqlite\"\n",
            ),
            (
                "prisma/migrations/20240101000000_init/migration.sql",
                "CREATE TABLE \"User\" (\"id\" INTEGER);\n",
            ),
            (
                "prisma/migrations/20240102000000_add_email/migration.sql",
                "ALTER TABLE \"User\" ADD COLUMN \"email\" TEXT;\n",
            ),
        ])
    }

    #[test]
    fn prisma_is_detected_from_its_folders() {
        let dirs = repo().detect();
        assert_eq!(
            dirs,
            [MigrationDir {
                system: System::Prisma,
                dir: "prisma/migrations".into()
            }]
        );
        // A `migration.sql` in a folder not named like Prisma's is not Prisma's.
        let other = Repo::new(&[("sql/init/migration.sql", "CREATE TABLE t (id INT);\n")]);
        assert!(other.detect().is_empty());
    }

    #[test]
    fn prisma_has_no_down_so_its_undo_is_refused_or_a_todo() {
        let repo = repo();
        let dir = &repo.detect()[0];
        let added = ["prisma/migrations/20240102000000_add_email/migration.sql"];
        let err = undo_of(&repo, dir, &added, false).unwrap_err();
        assert!(
            err.0.contains("20240102000000_add_email has no down part"),
            "{err}"
        );
        let undos = undo_of(&repo, dir, &added, true).unwrap();
        assert!(undos[0].manual);
        let file = &undos[0].files[0];
        assert_eq!(
            file.path,
            format!(
                "prisma/migrations/{}_undo_add_email/migration.sql",
                at("20240601120000").format("%Y%m%d%H%M%S")
            )
        );
        assert!(
            file.content
                .contains(crate::rollforward::MANUAL_UNDO_MARKER)
        );
    }
}
