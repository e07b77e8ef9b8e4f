//! Entity Framework Core: `Migrations/<timestamp>_<Name>.cs` (a `Migration` with `Up` and
//! `Down`), its `<timestamp>_<Name>.Designer.cs`, and the context's `…ModelSnapshot.cs`,
//! which follows the model code. The undo is a new migration deriving from the original whose
//! `Up` runs the original's `Down` (C# lets a subclass call its base's protected methods).

use super::code::{self, Lang};
use super::{Cx, Entry, Form, Kind, NewFile, Role, UndoError, split_path, timestamped};

pub(crate) struct EfCore;

impl Kind for EfCore {
    fn name(&self) -> &'static str {
        "ef-core"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        if self.entry(file)?.role != Role::Code {
            return None;
        }
        let text = read(path)?;
        (text.contains("Microsoft.EntityFrameworkCore.Migrations")
            && text.contains("MigrationBuilder"))
        .then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let (stem, role) = match relative.strip_suffix(".Designer.cs") {
            Some(stem) => (stem, Role::Other),
            None => (relative.strip_suffix(".cs")?, Role::Code),
        };
        let (version, name) = timestamped(stem)?;
        code::is_safe(name).then(|| Entry {
            key: stem.to_owned(),
            id: relative.to_owned(),
            version: version.to_owned(),
            name: name.to_owned(),
            sep: "_",
            role,
        })
    }

    fn follows_code(&self, relative: &str) -> bool {
        relative.ends_with("ModelSnapshot.cs")
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let (path, text) = cx.main_file()?;
        let id = &cx.migration.id;
        let class = code::name_after(&text, "public partial class")
            .or_else(|| code::name_after(&text, "partial class"))
            .filter(|c| code::is_identifier(c))
            .ok_or_else(|| {
                UndoError(format!(
                    "{path} has no `partial class … : Migration` line; fix the file and try again"
                ))
            })?;
        let undo_class = format!("Undo{class}");
        let new_id = format!("{}_{undo_class}", cx.version);
        let new_path = cx.migration.dir.join(&format!("{new_id}.cs"));
        let down = code::braced_body(&text, "void Down(");
        if down.is_none_or(code::is_blank_code) {
            let reason = if down.is_none() {
                "has no Down method"
            } else {
                "has an empty Down method"
            };
            if !cx.allow_manual {
                return Ok(Form::NoDown(reason.to_owned()));
            }
            let what = format!(
                "Migration {id} already ran in production and {reason}, so its undo could not be \
                 written automatically. Replace the #error with a migration that reverses it, \
                 then delete these TODO lines."
            );
            return Ok(Form::Files {
                files: vec![NewFile {
                    path: new_path,
                    content: Lang::CSharp.manual(id, cx.sha, &what),
                }],
                manual: true,
            });
        }
        // The model after the undo is the one before the original: the previous migration's.
        let previous = previous_class(cx)?;
        let target = match &previous {
            Some(previous) => format!("new {previous}().TargetModel"),
            None => "null".to_owned(),
        };
        let namespace = code::name_after(&text, "namespace")
            .map(|n| n.trim_end_matches(';'))
            .filter(|n| code::is_safe(&n.replace('.', "_")));
        let (open, close, indent) = match namespace {
            Some(ns) => (format!("namespace {ns}\n{{\n"), "}\n", "    "),
            None => (String::new(), "", ""),
        };
        let content = format!(
            "// Undo migration {id} (roll-forward of {sha}): it already ran, so it stays, and this\n\
             // migration runs its Down as a new migration.\n\
             using Microsoft.EntityFrameworkCore.Metadata;\n\
             using Microsoft.EntityFrameworkCore.Migrations;\n\
             \n\
             #nullable disable\n\
             \n\
             {open}\
             {indent}/// <inheritdoc />\n\
             {indent}[Migration(\"{new_id}\")]\n\
             {indent}public partial class {undo_class} : {class}\n\
             {indent}{{\n\
             {indent}    /// <summary>The model before {class}, as the migration before it left it.</summary>\n\
             {indent}    public override IModel TargetModel => {target};\n\
             \n\
             {indent}    /// <inheritdoc />\n\
             {indent}    protected override void Up(MigrationBuilder migrationBuilder)\n\
             {indent}    {{\n\
             {indent}        base.Down(migrationBuilder);\n\
             {indent}    }}\n\
             \n\
             {indent}    /// <inheritdoc />\n\
             {indent}    protected override void Down(MigrationBuilder migrationBuilder)\n\
             {indent}    {{\n\
             {indent}        base.Up(migrationBuilder);\n\
             {indent}    }}\n\
             {indent}}}\n\
             {close}",
            sha = code::safe(cx.sha),
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

/// The class of the migration just before `cx.migration` in its dir, if any.
fn previous_class(cx: &Cx<'_>) -> Result<Option<String>, UndoError> {
    let dir = &cx.migration.dir;
    let previous = cx
        .existing
        .iter()
        .filter_map(|path| Some((path, dir.entry(path)?)))
        .filter(|(_, e)| e.role == Role::Code && e.version < cx.migration.version)
        .max_by(|(_, a), (_, b)| a.version.cmp(&b.version));
    let Some((path, _)) = previous else {
        return Ok(None);
    };
    let text = (cx.read)(path).ok_or_else(|| UndoError(format!("cannot read {path}")))?;
    Ok(code::name_after(&text, "public partial class")
        .or_else(|| code::name_after(&text, "partial class"))
        .filter(|c| code::is_identifier(c))
        .map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;

    const ADD_EMAIL: &str = "using Microsoft.EntityFrameworkCore.Migrations;\n\n#nullable disable\n\nnamespace Shop.Migrations\n{\n    /// <inheritdoc />\n    public partial class AddEmail : Migration\n    {\n        /// <inheritdoc />\n        protected override void Up(MigrationBuilder migrationBuilder)\n        {\n            migrationBuilder.AddColumn<string>(name: \"Email\", table: \"Users\", nullable: true);\n        }\n\n        /// <inheritdoc />\n        protected override void Down(MigrationBuilder migrationBuilder)\n        {\n            migrationBuilder.DropColumn(name: \"Email\", table: \"Users\");\n        }\n    }\n}\n";

    fn repo(text: &str) -> Repo {
        Repo::new(&[
            (
                "Shop.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk\"></Project>\n",
            ),
            (
                "Migrations/20240101000000_Initial.cs",
                "public partial class Initial : Migration { }\n",
            ),
            ("Migrations/20240102000000_AddEmail.cs", text),
            (
                "Migrations/20240102000000_AddEmail.Designer.cs",
                "[Migration(\"20240102000000_AddEmail\")]\npartial class AddEmail { }\n",
            ),
            (
                "Migrations/ShopContextModelSnapshot.cs",
                "partial class ShopContextModelSnapshot : ModelSnapshot { }\n",
            ),
        ])
    }

    #[test]
    fn ef_core_is_detected_and_fluent_migrator_is_not() {
        let repo = repo(ADD_EMAIL);
        let dirs = repo.detect();
        assert_eq!(
            dirs,
            [MigrationDir {
                system: System::EfCore,
                dir: "Migrations".into()
            }]
        );
        assert!(dirs[0].keeps("Migrations/20240102000000_AddEmail.Designer.cs"));
        assert!(!dirs[0].keeps("Migrations/ShopContextModelSnapshot.cs"));
        let fluent = Repo::new(&[(
            "Migrations/20240102000000_AddEmail.cs",
            "using FluentMigrator;\n[Migration(20240102000000)]\npublic class AddEmail : Migration\n{\n    public override void Up() { }\n    public override void Down() { }\n}\n",
        )]);
        assert!(fluent.detect().is_empty());
    }

    #[test]
    fn ef_core_undo_derives_from_the_original() {
        let repo = repo(ADD_EMAIL);
        let dir = &repo.detect()[0];
        let added = [
            "Migrations/20240102000000_AddEmail.cs",
            "Migrations/20240102000000_AddEmail.Designer.cs",
        ];
        let migrations = added_migrations(dir, &added.map(String::from));
        assert_eq!(
            migrations.len(),
            1,
            "the Designer file belongs to the migration"
        );
        let undos = undo_of(&repo, dir, &added, false).unwrap();
        let file = &undos[0].files[0];
        assert_eq!(file.path, "Migrations/20240601120000_UndoAddEmail.cs");
        assert!(file.content.contains("namespace Shop.Migrations\n{\n"));
        assert!(file.content.contains("    [Migration(\"20240601120000_UndoAddEmail\")]\n    public partial class UndoAddEmail : AddEmail\n"), "{}", file.content);
        assert!(
            file.content
                .contains("            base.Down(migrationBuilder);\n")
        );

        let empty = ADD_EMAIL.replace(
            "migrationBuilder.DropColumn(name: \"Email\", table: \"Users\");",
            "",
        );
        let repo = repo_of(&empty);
        let err = undo_of(&repo, dir, &added, false).unwrap_err();
        assert!(err.0.contains("has an empty Down method"), "{err}");
        let todo = undo_of(&repo, dir, &added, true).unwrap();
        assert!(
            todo[0].files[0]
                .content
                .contains("\n#error TODO: write the undo of")
        );
    }

    fn repo_of(text: &str) -> Repo {
        repo(text)
    }
}
