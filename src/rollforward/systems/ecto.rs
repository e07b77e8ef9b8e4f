//! Ecto: `priv/repo/migrations/<timestamp>_<name>.exs`, a module that does
//! `use Ecto.Migration`. Ecto has no way for one migration to run another's `down` (nothing
//! like Rails' `revert`), so the undo is a TODO for a person, and only with
//! `--allow-manual-undo`.

use super::code::{self, Lang};
use super::{Cx, Entry, Form, Kind, NewFile, Role, UndoError, numbered, split_path};

pub(crate) struct Ecto;

impl Kind for Ecto {
    fn name(&self) -> &'static str {
        "ecto"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        self.entry(file)?;
        read(path)?
            .contains("use Ecto.Migration")
            .then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        // "NUMBER_NAME.exs", the number usually a timestamp (Ecto's docs).
        let (version, _, name) = numbered(relative.strip_suffix(".exs")?, &["_"])?;
        code::is_safe(name).then(|| Entry::single(relative, version, "_", name, Role::Code))
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let reason =
            "is an Ecto migration, and Ecto cannot run one migration's down part from another";
        if !cx.allow_manual {
            return Ok(Form::NoDown(reason.to_owned()));
        }
        let id = &cx.migration.id;
        let what = format!(
            "Migration {id} already ran in production and {reason}, so its undo could not be \
             written automatically. Replace the `raise` with a module that does `use \
             Ecto.Migration` and reverses it, then delete these TODO lines."
        );
        Ok(Form::Files {
            files: vec![NewFile {
                path: cx
                    .migration
                    .dir
                    .join(&format!("{}_{}.exs", cx.version, cx.undo_name())),
                content: Lang::Elixir.manual(id, cx.sha, &what),
            }],
            manual: true,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;

    #[test]
    fn ecto_is_detected_and_its_undo_is_manual() {
        let repo = Repo::new(&[
            ("mix.exs", "defmodule Shop.MixProject do\nend\n"),
            (
                "priv/repo/migrations/20240102000000_add_email.exs",
                "defmodule Shop.Repo.Migrations.AddEmail do\n  use Ecto.Migration\n\n  def change do\n    alter table(:users) do\n      add :email, :string\n    end\n  end\nend\n",
            ),
            // An Elixir script in a migrations dir that is not an Ecto migration.
            (
                "priv/other/migrations/20240102000000_seed.exs",
                "IO.puts(\"seed\")\n",
            ),
        ]);
        let dirs = repo.detect();
        assert_eq!(
            dirs,
            [MigrationDir {
                system: System::Ecto,
                dir: "priv/repo/migrations".into()
            }]
        );
        let added = ["priv/repo/migrations/20240102000000_add_email.exs"];
        let err = undo_of(&repo, &dirs[0], &added, false).unwrap_err();
        assert!(
            err.0
                .contains("20240102000000_add_email.exs is an Ecto migration"),
            "{err}"
        );
        let todo = undo_of(&repo, &dirs[0], &added, true).unwrap();
        assert_eq!(
            todo[0].files[0].path,
            "priv/repo/migrations/20240601120000_undo_add_email.exs"
        );
        assert!(
            todo[0].files[0]
                .content
                .starts_with("# TODO: MANUAL UNDO REQUIRED")
        );
    }
}
