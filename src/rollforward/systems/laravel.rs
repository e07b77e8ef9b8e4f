//! Laravel: `database/migrations/YYYY_MM_DD_HHMMSS_<name>.php`, a class extending
//! `Illuminate\Database\Migrations\Migration` (anonymous since Laravel 9, named before) with
//! `up()` and `down()`. The undo is a new migration whose `up()` runs the original's
//! `down()`, and whose `down()` runs its `up()`.

use super::code::{self, Lang};
use super::{Cx, Entry, Form, Kind, NewFile, Role, Style, UndoError, split_path};

pub(crate) struct Laravel;

const TIMESTAMP: &str = "%Y_%m_%d_%H%M%S";

impl Kind for Laravel {
    fn name(&self) -> &'static str {
        "laravel"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        self.entry(file)?;
        let text = read(path)?;
        (text.contains("extends Migration") && text.contains("Illuminate\\Database"))
            .then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let stem = relative.strip_suffix(".php")?;
        let version = stem.get(..17)?;
        let shape = version.char_indices().all(|(i, c)| {
            if [4, 7, 10].contains(&i) {
                c == '_'
            } else {
                c.is_ascii_digit()
            }
        });
        let name = stem.get(17..)?.strip_prefix('_')?;
        (shape && code::is_safe(name))
            .then(|| Entry::single(relative, version, "_", name, Role::Code))
    }

    fn style(&self, _latest: Option<&Entry>) -> Style {
        Style::Timestamp(TIMESTAMP)
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let (path, text) = cx.main_file()?;
        let id = &cx.migration.id;
        let new_path = cx
            .migration
            .dir
            .join(&format!("{}_{}.php", cx.version, cx.undo_name()));
        let down = code::braced_body(&text, "function down");
        if down.is_none_or(code::is_blank_code) {
            let reason = if down.is_none() {
                "has no down() method"
            } else {
                "has an empty down() method"
            };
            if !cx.allow_manual {
                return Ok(Form::NoDown(reason.to_owned()));
            }
            let what = format!(
                "Migration {id} already ran in production and {reason}, so its undo could not be \
                 written automatically. Replace the `throw` with a migration that reverses it, \
                 then delete these TODO lines."
            );
            return Ok(Form::Files {
                files: vec![NewFile {
                    path: new_path,
                    content: Lang::Php.manual(id, cx.sha, &what),
                }],
                manual: true,
            });
        }
        // An anonymous migration file returns its instance; a named one declares its class
        // once, so it is required once and instantiated, and the undo is named too (Laravel
        // before 8.37 knows no anonymous migrations; it finds the class by the file's name).
        let anonymous = code::has_line(&text, "return new class");
        let original = if anonymous {
            format!("(require __DIR__.'/{id}')")
        } else {
            let class = code::name_after(&text, "class")
                .filter(|c| code::is_identifier(c))
                .ok_or_else(|| {
                    UndoError(format!(
                        "{path} has neither `return new class` nor a `class … extends Migration` line; fix the file and try again"
                    ))
                })?;
            format!("(function () {{ require_once __DIR__.'/{id}'; return new \\{class}(); }})()")
        };
        let content = format!(
            "<?php\n\
             \n\
             // Undo migration {id} (roll-forward of {sha}): it already ran, so it stays, and\n\
             // this migration runs its down() as a new migration.\n\
             \n\
             use Illuminate\\Database\\Migrations\\Migration;\n\
             \n\
             {open}\n\
             {{\n    \
                 public function up(){void}\n    \
                 {{\n        \
                     {original}->down();\n    \
                 }}\n\
             \n    \
                 public function down(){void}\n    \
                 {{\n        \
                     {original}->up();\n    \
                 }}\n\
             }}{end}\n",
            sha = code::safe(cx.sha),
            open = if anonymous {
                "return new class extends Migration".to_owned()
            } else {
                format!("class {} extends Migration", code::camel(&cx.undo_name()))
            },
            void = if anonymous { ": void" } else { "" },
            end = if anonymous { ";" } else { "" },
        );
        Ok(Form::Files {
            files: vec![NewFile {
                path: new_path,
                content,
            }],
            manual: false,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;

    const ANONYMOUS: &str = "<?php\n\nuse Illuminate\\Database\\Migrations\\Migration;\nuse Illuminate\\Database\\Schema\\Blueprint;\nuse Illuminate\\Support\\Facades\\Schema;\n\nreturn new class extends Migration\n{\n    public function up(): void\n    {\n        Schema::table('users', function (Blueprint $table) {\n            $table->string('email');\n        });\n    }\n\n    public function down(): void\n    {\n        Schema::table('users', function (Blueprint $table) {\n            $table->dropColumn('email');\n        });\n    }\n};\n";

    fn repo(second: &str) -> Repo {
        Repo::new(&[
            ("artisan", "#!/usr/bin/env php\n"),
            (
                "database/migrations/2014_10_12_000000_create_users_table.php",
                &ANONYMOUS.replace("email", "name"),
            ),
            (
                "database/migrations/2024_01_02_000000_add_email_to_users.php",
                second,
            ),
        ])
    }

    #[test]
    fn laravel_is_detected_and_phinx_is_not() {
        let dirs = repo(ANONYMOUS).detect();
        assert_eq!(
            dirs,
            [MigrationDir {
                system: System::Laravel,
                dir: "database/migrations".into()
            }]
        );
        let phinx = Repo::new(&[(
            "db/migrations/20240101000000_create_users.php",
            "<?php\nuse Phinx\\Migration\\AbstractMigration;\nfinal class CreateUsers extends AbstractMigration\n{\n    public function change(): void {}\n}\n",
        )]);
        assert!(phinx.detect().is_empty());
    }

    #[test]
    fn laravel_undo_runs_the_original_down_as_a_new_migration() {
        let repo = repo(ANONYMOUS);
        let dir = &repo.detect()[0];
        let undos = undo_of(
            &repo,
            dir,
            &["database/migrations/2024_01_02_000000_add_email_to_users.php"],
            false,
        )
        .unwrap();
        let file = &undos[0].files[0];
        assert_eq!(
            file.path,
            "database/migrations/2024_06_01_120000_undo_add_email_to_users.php"
        );
        assert!(file.content.contains(
            "    public function up(): void\n    {\n        (require __DIR__.'/2024_01_02_000000_add_email_to_users.php')->down();\n    }\n"
        ), "{}", file.content);
        assert!(file.content.contains("->up();"));

        let named = ANONYMOUS.replace(
            "return new class extends Migration",
            "class AddEmailToUsers extends Migration",
        );
        let repo = repo_named(&named);
        let dir = &repo.detect()[0];
        let undos = undo_of(
            &repo,
            dir,
            &["database/migrations/2024_01_02_000000_add_email_to_users.php"],
            false,
        )
        .unwrap();
        let text = &undos[0].files[0].content;
        assert!(text.contains("require_once __DIR__.'/2024_01_02_000000_add_email_to_users.php'; return new \\AddEmailToUsers();"), "{text}");
        assert!(
            text.contains(
                "\nclass UndoAddEmailToUsers extends Migration\n{\n    public function up()\n"
            ),
            "{text}"
        );
        assert!(text.ends_with("    }\n}\n"), "{text}");
    }

    #[test]
    fn laravel_class_that_is_not_an_identifier_is_refused() {
        // `new \Foo.phpinfo()` is PHP for a call of phpinfo(): never generate it.
        let named = ANONYMOUS.replace(
            "return new class extends Migration",
            "class Foo.phpinfo extends Migration",
        );
        let repo = repo_named(&named);
        let dir = &repo.detect()[0];
        let added = ["database/migrations/2024_01_02_000000_add_email_to_users.php"];
        let Err(err) = undo_of(&repo, dir, &added, false) else {
            panic!("a class name that is an expression was accepted")
        };
        assert!(err.0.contains("class … extends Migration"), "{err}");
    }

    fn repo_named(second: &str) -> Repo {
        repo(second)
    }

    #[test]
    fn laravel_without_down_is_refused() {
        let without = ANONYMOUS
            .split("    public function down")
            .next()
            .unwrap()
            .to_owned()
            + "};\n";
        let empty = ANONYMOUS.replace("$table->dropColumn('email');", "// nothing");
        let empty = empty.replace("Schema::table('users', function (Blueprint $table) {\n            // nothing\n        });", "");
        for (second, why) in [
            (without, "has no down() method"),
            (empty, "has an empty down() method"),
        ] {
            let repo = repo(&second);
            let dir = &repo.detect()[0];
            let added = ["database/migrations/2024_01_02_000000_add_email_to_users.php"];
            let err = undo_of(&repo, dir, &added, false).unwrap_err();
            assert!(err.0.contains(why), "{err}");
            let todo = undo_of(&repo, dir, &added, true).unwrap();
            assert!(
                todo[0].files[0]
                    .content
                    .starts_with("<?php\n\n// TODO: MANUAL UNDO REQUIRED")
            );
        }
    }
}
