//! Knex: `migrations/<timestamp>_<name>.js` (or `.ts`, `.mjs`, `.cjs`) exporting `up(knex)`
//! and `down(knex)`. The undo is a new migration in the same module style whose `up` runs
//! the original's `down` (and whose `down` runs its `up`).

use super::code::{self, Lang};
use super::{Cx, Entry, Form, Kind, NewFile, Role, UndoError, split_path, timestamped};

pub(crate) struct Knex;

const EXTENSIONS: [&str; 4] = ["js", "ts", "mjs", "cjs"];

impl Kind for Knex {
    fn name(&self) -> &'static str {
        "knex"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        self.entry(file)?;
        let text = read(path)?;
        (text.to_ascii_lowercase().contains("knex") && exports(&text, "up")).then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') || relative.ends_with(".d.ts") {
            return None;
        }
        let (stem, ext) = relative.rsplit_once('.')?;
        if !EXTENSIONS.contains(&ext) {
            return None;
        }
        let (version, name) = timestamped(stem)?;
        code::is_safe(name).then(|| Entry::single(relative, version, "_", name, Role::Code))
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let (_, text) = cx.main_file()?;
        let id = &cx.migration.id;
        let (stem, ext) = id.rsplit_once('.').unwrap_or((id, "js"));
        let new_path = cx
            .migration
            .dir
            .join(&format!("{}_{}.{ext}", cx.version, cx.undo_name()));
        if !exports(&text, "down") {
            let reason = "exports no down function";
            if !cx.allow_manual {
                return Ok(Form::NoDown(reason.to_owned()));
            }
            let what = format!(
                "Migration {id} already ran in production and {reason}, so its undo could not be \
                 written automatically. Replace the `throw` with up and down exports that reverse \
                 it, then delete these TODO lines."
            );
            return Ok(Form::Files {
                files: vec![NewFile {
                    path: new_path,
                    content: Lang::JavaScript.manual(id, cx.sha, &what),
                }],
                manual: true,
            });
        }
        let header = format!(
            "// Undo migration {id} (roll-forward of {sha}): it already ran, so it stays, and\n\
             // this migration runs its down part as a new migration.\n",
            sha = code::safe(cx.sha)
        );
        let esm = text.lines().any(|l| l.starts_with("export ")) || ext == "mjs";
        let content = if ext == "ts" {
            format!(
                "{header}import type {{ Knex }} from \"knex\";\n\
                 import * as original from \"./{stem}\";\n\
                 \n\
                 export async function up(knex: Knex): Promise<void> {{\n  \
                   await original.down(knex);\n\
                 }}\n\
                 \n\
                 export async function down(knex: Knex): Promise<void> {{\n  \
                   await original.up(knex);\n\
                 }}\n"
            )
        } else if esm {
            format!(
                "{header}import * as original from \"./{id}\";\n\
                 \n\
                 export const up = (knex) => original.down(knex);\n\
                 export const down = (knex) => original.up(knex);\n"
            )
        } else {
            format!(
                "{header}const original = require(\"./{id}\");\n\
                 \n\
                 exports.up = (knex) => original.down(knex);\n\
                 exports.down = (knex) => original.up(knex);\n"
            )
        };
        Ok(Form::Files {
            files: vec![NewFile {
                path: new_path,
                content,
            }],
            manual: false,
        })
    }
}

/// Whether `text` exports a function `name` (CommonJS or ES module).
fn exports(text: &str, name: &str) -> bool {
    [
        format!("exports.{name}"),
        format!("export async function {name}("),
        format!("export function {name}("),
        format!("export const {name} "),
        format!("export const {name}="),
    ]
    .iter()
    .any(|form| text.contains(form.as_str()))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;

    const CJS: &str = "exports.up = function (knex) {\n  return knex.schema.table('users', (t) => t.string('email'));\n};\n\nexports.down = function (knex) {\n  return knex.schema.table('users', (t) => t.dropColumn('email'));\n};\n";
    const TS: &str = "import type { Knex } from \"knex\";\n\nexport async function up(knex: Knex): Promise<void> {\n  await knex.schema.table('users', (t) => t.string('email'));\n}\n\nexport async function down(knex: Knex): Promise<void> {\n  await knex.schema.table('users', (t) => t.dropColumn('email'));\n}\n";

    #[test]
    fn knex_is_detected_and_sequelize_is_not() {
        let repo = Repo::new(&[
            ("knexfile.js", "module.exports = {};\n"),
            ("migrations/20240102000000_add_email.js", CJS),
        ]);
        assert_eq!(
            repo.detect(),
            [MigrationDir {
                system: System::Knex,
                dir: "migrations".into()
            }]
        );
        let sequelize = Repo::new(&[(
            "migrations/20240102000000_add_email.js",
            "module.exports = {\n  async up(queryInterface, Sequelize) {},\n  async down(queryInterface) {}\n};\n",
        )]);
        assert!(sequelize.detect().is_empty());
    }

    #[test]
    fn knex_undo_runs_down_in_the_same_module_style() {
        for (file, text, expect) in [
            (
                "migrations/20240102000000_add_email.js",
                CJS,
                "const original = require(\"./20240102000000_add_email.js\");\n\nexports.up = (knex) => original.down(knex);\n",
            ),
            (
                "migrations/20240102000000_add_email.ts",
                TS,
                "import * as original from \"./20240102000000_add_email\";\n\nexport async function up(knex: Knex): Promise<void> {\n  await original.down(knex);\n}\n",
            ),
        ] {
            let repo = Repo::new(&[(file, text)]);
            let dir = &repo.detect()[0];
            let undos = undo_of(&repo, dir, &[file], false).unwrap();
            let ext = file.rsplit('.').next().unwrap();
            assert_eq!(
                undos[0].files[0].path,
                format!("migrations/20240601120000_undo_add_email.{ext}")
            );
            assert!(
                undos[0].files[0].content.contains(expect),
                "{}",
                undos[0].files[0].content
            );
        }
        let up_only = CJS.split("exports.down").next().unwrap();
        let repo = Repo::new(&[("migrations/20240102000000_add_email.js", up_only)]);
        let dir = &repo.detect()[0];
        let err = undo_of(
            &repo,
            dir,
            &["migrations/20240102000000_add_email.js"],
            false,
        )
        .unwrap_err();
        assert!(err.0.contains("exports no down function"), "{err}");
    }
}
