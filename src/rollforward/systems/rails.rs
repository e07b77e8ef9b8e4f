//! Rails (Active Record): `db/migrate/<timestamp>_<name>.rb`, a class of
//! `ActiveRecord::Migration[x.y]` with `change`, or `up` and `down`. The undo is the
//! idiomatic one: a new migration whose `change` calls `revert` on the original class, which
//! Rails runs as the original's `down` (or `change` reversed).

use super::code::{self, Lang};
use super::{Cx, Entry, Form, Kind, Role, UndoError, numbered, split_path};

pub(crate) struct Rails;

impl Kind for Rails {
    fn name(&self) -> &'static str {
        "rails"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        self.entry(file)?;
        read(path)?
            .contains("ActiveRecord::Migration")
            .then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        // A timestamp, or a plain number with `timestamped_migrations = false`.
        let (version, _, name) = numbered(relative.strip_suffix(".rb")?, &["_"])?;
        code::is_safe(name).then(|| Entry::single(relative, version, "_", name, Role::Code))
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let (path, text) = cx.main_file()?;
        let id = &cx.migration.id;
        let class = migration_class(&text).ok_or_else(|| {
            UndoError(format!(
                "{path} has no `class … < ActiveRecord::Migration` line; fix the file and try again"
            ))
        })?;
        let no_down = if code::has_line(&text, "def change") {
            None
        } else if !code::has_line(&text, "def down") {
            Some("has `up` but no `down`")
        } else if code::indented_body(&text, "def down")
            .is_some_and(|body| body.iter().any(|l| l.contains("IrreversibleMigration")))
        {
            Some("raises ActiveRecord::IrreversibleMigration in `down`")
        } else {
            None
        };
        let name = cx.undo_name();
        let file = format!("{}_{name}.rb", cx.version);
        let new_path = cx.migration.dir.join(&file);
        if let Some(reason) = no_down {
            if !cx.allow_manual {
                return Ok(Form::NoDown(reason.to_owned()));
            }
            let what = format!(
                "Migration {id} already ran in production and {reason}, so its undo could not be \
                 written automatically. Replace the `raise` with a migration class that reverses \
                 it, then delete these TODO lines."
            );
            return Ok(Form::Files {
                files: vec![super::NewFile {
                    path: new_path,
                    content: Lang::Ruby.manual(id, cx.sha, &what),
                }],
                manual: true,
            });
        }
        let superclass = text
            .split_once("ActiveRecord::Migration")
            .map(|(_, rest)| {
                let version: String = rest
                    .strip_prefix('[')
                    .and_then(|r| r.split_once(']'))
                    .map(|(v, _)| v)
                    .filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
                    .map(|v| format!("[{v}]"))
                    .unwrap_or_default();
                format!("ActiveRecord::Migration{version}")
            })
            .unwrap_or_else(|| "ActiveRecord::Migration".to_owned());
        let stem = id.strip_suffix(".rb").unwrap_or(id);
        let content = format!(
            "# Undo migration {id} (roll-forward of {sha}): it already ran, so it stays, and this\n\
             # migration reverts it.\n\
             require_relative \"{stem}\"\n\
             \n\
             class {undo_class} < {superclass}\n  \
               def change\n    \
                 revert {class}\n  \
               end\n\
             end\n",
            sha = code::safe(cx.sha),
            undo_class = code::camel(&name),
        );
        Ok(Form::Files {
            files: vec![super::NewFile {
                path: new_path,
                content,
            }],
            manual: false,
        })
    }
}

/// The class on the first line `class <Name> < ActiveRecord::Migration…`, when `<Name>` is a
/// Ruby constant path (`AddEmail`, `Shop::AddEmail`): the undo's `revert <Name>` then names
/// that class and never calls a method (`revert foo`, `revert Kernel.exit`).
fn migration_class(text: &str) -> Option<&str> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix("class")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let (name, superclass) = rest.trim_start().split_once('<')?;
        let name = name.trim_end();
        (superclass
            .trim_start()
            .starts_with("ActiveRecord::Migration")
            && is_constant_path(name))
        .then_some(name)
    })
}

fn is_constant_path(name: &str) -> bool {
    name.split("::").all(|part| {
        part.starts_with(|c: char| c.is_ascii_uppercase())
            && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;

    const ADD_EMAIL: &str = "class AddEmailToUsers < ActiveRecord::Migration[7.1]\n  \
        def change\n    add_column :users, :email, :string\n  end\nend\n";

    fn repo(second: &str) -> Repo {
        Repo::new(&[
            ("Gemfile", "gem \"rails\"\n"),
            (
                "db/schema.rb",
                "ActiveRecord::Schema[7.1].define(version: 2024_01_02_000000) do\nend\n",
            ),
            (
                "db/migrate/20240101000000_create_users.rb",
                "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n    create_table :users\n  end\nend\n",
            ),
            ("db/migrate/20240102000000_add_email_to_users.rb", second),
        ])
    }

    #[test]
    fn rails_is_detected_and_look_alikes_are_not() {
        let dirs = repo(ADD_EMAIL).detect();
        assert_eq!(
            dirs,
            [MigrationDir {
                system: System::Rails,
                dir: "db/migrate".into()
            }]
        );
        // Sequel's migrations share the layout but not the class.
        let sequel = Repo::new(&[(
            "db/migrate/20240101000000_create_users.rb",
            "Sequel.migration do\n  change do\n    create_table(:users)\n  end\nend\n",
        )]);
        assert!(sequel.detect().is_empty());
    }

    #[test]
    fn rails_undo_reverts_the_original_class() {
        let repo = repo(ADD_EMAIL);
        let dir = &repo.detect()[0];
        let undos = undo_of(
            &repo,
            dir,
            &["db/migrate/20240102000000_add_email_to_users.rb"],
            false,
        )
        .unwrap();
        assert_eq!(undos.len(), 1);
        assert!(!undos[0].manual);
        let file = &undos[0].files[0];
        assert_eq!(
            file.path,
            "db/migrate/20240601120000_undo_add_email_to_users.rb"
        );
        assert!(
            file.content
                .contains("require_relative \"20240102000000_add_email_to_users\"\n")
        );
        assert!(file.content.contains(
            "class UndoAddEmailToUsers < ActiveRecord::Migration[7.1]\n  def change\n    revert AddEmailToUsers\n  end\nend\n"
        ), "{}", file.content);
    }

    #[test]
    fn rails_undo_reverts_only_a_constant_that_is_the_migration_class() {
        // A first `class` line that is not the migration (here in a heredoc), and names that
        // are not constants: the undo must never turn them into `revert <method call>`.
        for (second, want) in [
            (
                "SQL = <<~T\nclass Kernel.exit\nT\nclass AddEmailToUsers < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
                Some("revert AddEmailToUsers\n"),
            ),
            (
                "class Shop::AddEmail < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
                Some("revert Shop::AddEmail\n"),
            ),
            (
                "class add_email < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
                None,
            ),
            (
                "class Kernel.exit < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
                None,
            ),
        ] {
            let repo = repo(second);
            let dir = &repo.detect()[0];
            let added = ["db/migrate/20240102000000_add_email_to_users.rb"];
            let undo = undo_of(&repo, dir, &added, false);
            match want {
                Some(line) => {
                    let content = &undo.unwrap()[0].files[0].content;
                    assert!(content.contains(line), "{content}");
                    assert!(!content.contains("Kernel"), "{content}");
                }
                None => {
                    let Err(err) = undo else {
                        panic!("not refused")
                    };
                    assert!(err.0.contains("ActiveRecord::Migration"), "{err}");
                }
            }
        }
    }

    #[test]
    fn rails_numbered_migrations_count_on() {
        let repo = Repo::new(&[
            (
                "db/migrate/001_create_users.rb",
                "class CreateUsers < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
            ),
            (
                "db/migrate/002_add_email.rb",
                "class AddEmail < ActiveRecord::Migration[7.1]\n  def change\n  end\nend\n",
            ),
        ]);
        let dir = &repo.detect()[0];
        let undos = undo_of(&repo, dir, &["db/migrate/002_add_email.rb"], false).unwrap();
        assert_eq!(undos[0].files[0].path, "db/migrate/003_undo_add_email.rb");
    }

    #[test]
    fn rails_up_without_a_real_down_is_refused() {
        for second in [
            "class AddEmailToUsers < ActiveRecord::Migration[7.1]\n  def up\n    add_column :users, :email, :string\n  end\nend\n",
            "class AddEmailToUsers < ActiveRecord::Migration[7.1]\n  def up\n    x\n  end\n\n  def down\n    raise ActiveRecord::IrreversibleMigration\n  end\nend\n",
        ] {
            let repo = repo(second);
            let dir = &repo.detect()[0];
            let added = ["db/migrate/20240102000000_add_email_to_users.rb"];
            let err = undo_of(&repo, dir, &added, false).unwrap_err();
            assert!(
                err.0.contains("20240102000000_add_email_to_users.rb"),
                "{err}"
            );
            let todo = undo_of(&repo, dir, &added, true).unwrap();
            assert!(todo[0].manual);
            assert!(
                todo[0].files[0]
                    .content
                    .contains(crate::rollforward::MANUAL_UNDO_MARKER)
            );
            assert!(todo[0].files[0].content.contains("\nraise \"TODO"));
        }
    }
}
