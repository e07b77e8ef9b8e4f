//! Liquibase: changelog files of changesets (XML, YAML, JSON, or formatted SQL), each
//! changeset with its `rollback`. A migration here is a changelog file the reverted commits
//! added; its changesets ran, so they stay, and the undo is new changesets appended to that
//! same changelog (so whatever includes it runs them), each running one original changeset's
//! rollback and rolling back to its changes. Rollbacks are read from formatted SQL and XML
//! changelogs; YAML and JSON ones are refused.

use super::code;
use super::{Cx, Entry, Form, Kind, NewFile, Role, UndoError, split_path};

pub(crate) struct Liquibase;

const EXTENSIONS: [&str; 5] = ["xml", "yaml", "yml", "json", "sql"];

impl Kind for Liquibase {
    fn name(&self) -> &'static str {
        "liquibase"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        let (_, ext) = file.rsplit_once('.')?;
        if !EXTENSIONS.contains(&ext) {
            return None;
        }
        let text = read(path)?;
        let is_changelog = match ext {
            "sql" => text
                .lines()
                .find(|l| !l.trim().is_empty())
                .is_some_and(is_formatted_sql_header),
            "xml" => text.contains("<databaseChangeLog"),
            "json" => text.contains("\"databaseChangeLog\""),
            _ => text.lines().any(|l| l.starts_with("databaseChangeLog:")),
        };
        is_changelog.then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') {
            return None;
        }
        let (stem, ext) = relative.rsplit_once('.')?;
        (EXTENSIONS.contains(&ext) && code::is_safe(stem))
            .then(|| Entry::single(relative, "", "_", stem, Role::Code))
    }

    fn edits_run(&self) -> bool {
        true
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let (path, text) = cx.main_file()?;
        let appended = if path.ends_with(".sql") {
            undo_sql(&text, cx.sha)
        } else if path.ends_with(".xml") {
            undo_xml(&text, cx.sha)
        } else {
            Err("is a YAML or JSON changelog; git-release reads rollbacks from formatted SQL and XML changelogs only".to_owned())
        };
        match appended {
            Ok(content) => Ok(Form::Files {
                files: vec![NewFile {
                    path: path.to_owned(),
                    content,
                }],
                manual: false,
            }),
            Err(reason) if !cx.allow_manual => Ok(Form::NoDown(reason)),
            Err(reason) => {
                // The TODO is a changeset of its own, in a formatted SQL changelog beside it.
                let id = &cx.migration.id;
                let what = format!(
                    "Changelog {id} already ran in production and {reason}, so its undo could \
                     not be written automatically. Replace the failing statement with SQL that \
                     reverses it, include this changelog after it, then delete these TODO lines."
                );
                let body = code::Lang::Sql.manual(id, cx.sha, &what);
                let content = format!(
                    "--liquibase formatted sql\n\n--changeset git-release:undo-{}-{}\n{body}",
                    code::safe(&cx.migration.name),
                    code::safe(cx.sha)
                );
                Ok(Form::Files {
                    files: vec![NewFile {
                        path: cx
                            .migration
                            .dir
                            .join(&format!("{}.undo.sql", code::safe(&cx.migration.name))),
                        content,
                    }],
                    manual: true,
                })
            }
        }
    }
}

fn is_formatted_sql_header(line: &str) -> bool {
    let squeezed: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
    squeezed
        .to_ascii_lowercase()
        .starts_with("--liquibase formatted sql")
}

/// One changeset of a formatted SQL changelog.
struct SqlChangeset {
    author_id: String,
    body: Vec<String>,
    rollback: Vec<String>,
}

/// `text` with, appended, one changeset per original changeset (newest first) that runs its
/// `--rollback` SQL and rolls back to its SQL.
fn undo_sql(text: &str, sha: &str) -> Result<String, String> {
    let mut changesets: Vec<SqlChangeset> = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim_start();
        if let Some(rest) = trimmed.strip_prefix("--changeset") {
            let author_id = rest.split_whitespace().next().unwrap_or_default();
            let author_id = match author_id.split_once(':') {
                Some((author, id)) => format!("{}:{}", code::safe(author), code::safe(id)),
                None => code::safe(author_id),
            };
            changesets.push(SqlChangeset {
                author_id,
                body: vec![],
                rollback: vec![],
            });
        } else if let Some(changeset) = changesets.last_mut() {
            if let Some(rollback) = trimmed.strip_prefix("--rollback") {
                changeset.rollback.push(rollback.trim().to_owned());
            } else if !trimmed.starts_with("--") && !trimmed.is_empty() {
                changeset.body.push(line.to_owned());
            }
        }
    }
    if changesets.is_empty() {
        return Err("has no changesets".to_owned());
    }
    let mut out = text.trim_end().to_owned();
    out.push('\n');
    for changeset in changesets.iter().rev() {
        let rollback = changeset.rollback.join("\n");
        if changeset.rollback.is_empty()
            || super::sql::is_blank_sql(&rollback)
            || rollback.eq_ignore_ascii_case("not required")
        {
            return Err(format!(
                "has changeset {} with no --rollback",
                changeset.author_id
            ));
        }
        let id = &changeset.author_id;
        out.push_str(&format!(
            "\n--changeset git-release:undo-{}-{}\n\
             --comment: Undo changeset {id} (roll-forward of {})\n\
             {rollback}\n",
            id.replace(':', "-"),
            code::safe(sha),
            code::safe(sha),
        ));
        for line in &changeset.body {
            out.push_str(&format!("--rollback {line}\n"));
        }
    }
    Ok(out)
}

/// `text` with, before `</databaseChangeLog>`, one changeset per original changeset (newest
/// first) whose changes are its `<rollback>` and whose rollback is its changes.
fn undo_xml(text: &str, sha: &str) -> Result<String, String> {
    let end = text
        .rfind("</databaseChangeLog>")
        .ok_or("has no </databaseChangeLog>")?;
    let mut undos = Vec::new();
    let mut rest = &text[..end];
    while let Some(start) = rest.find("<changeSet") {
        let after = &rest[start..];
        let close = after
            .find("</changeSet>")
            .ok_or("has a <changeSet> that never closes")?;
        let element = &after[..close];
        let open_end = element.find('>').ok_or("has a malformed <changeSet>")?;
        let attributes = &element[..open_end];
        let inner = &element[open_end + 1..];
        let attr = |name: &str| {
            attributes
                .split_once(&format!("{name}=\""))
                .and_then(|(_, v)| v.split_once('"'))
                .map(|(v, _)| code::safe(v))
                .unwrap_or_default()
        };
        let id = format!("{}:{}", attr("author"), attr("id"));
        let (changes, rollback) = match (inner.find("<rollback>"), inner.find("</rollback>")) {
            (Some(open), Some(shut)) if open < shut => (
                format!("{}{}", &inner[..open], &inner[shut + "</rollback>".len()..]),
                &inner[open + "<rollback>".len()..shut],
            ),
            _ => return Err(format!("has changeset {id} with no <rollback>")),
        };
        if rollback.trim().is_empty() {
            return Err(format!("has changeset {id} with an empty <rollback>"));
        }
        undos.push(format!(
            "    <!-- Undo changeset {id} (roll-forward of {sha}) -->\n    \
             <changeSet id=\"undo-{}-{}\" author=\"git-release\">\n        \
             {}\n        \
             <rollback>\n        {}\n        </rollback>\n    \
             </changeSet>\n",
            attr("id"),
            code::safe(sha),
            rollback.trim(),
            changes.trim(),
            sha = code::safe(sha),
        ));
        rest = &after[close + "</changeSet>".len()..];
    }
    if undos.is_empty() {
        return Err("has no changesets".to_owned());
    }
    undos.reverse();
    let mut out = text[..end].trim_end().to_owned();
    out.push_str("\n\n");
    out.push_str(&undos.concat());
    out.push_str(&text[end..]);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;

    const MASTER: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<databaseChangeLog xmlns=\"http://www.liquibase.org/xml/ns/dbchangelog\">\n    <includeAll path=\"changes/\" relativeToChangelogFile=\"true\"/>\n</databaseChangeLog>\n";
    const SQL: &str = "--liquibase formatted sql\n\n--changeset alice:2\nALTER TABLE users ADD COLUMN email TEXT;\n--rollback ALTER TABLE users DROP COLUMN email;\n";
    const XML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<databaseChangeLog xmlns=\"http://www.liquibase.org/xml/ns/dbchangelog\">\n    <changeSet id=\"2\" author=\"alice\">\n        <addColumn tableName=\"users\"><column name=\"email\" type=\"TEXT\"/></addColumn>\n        <rollback>\n            <dropColumn tableName=\"users\" columnName=\"email\"/>\n        </rollback>\n    </changeSet>\n</databaseChangeLog>\n";

    #[test]
    fn liquibase_is_detected_from_changelogs_and_plain_xml_is_not() {
        let repo = Repo::new(&[
            ("db/changelog/db.changelog-master.xml", MASTER),
            ("db/changelog/changes/002-email.sql", SQL),
        ]);
        let mut systems: Vec<(System, String)> = repo
            .detect()
            .into_iter()
            .map(|d| (d.system, d.dir))
            .collect();
        systems.sort();
        assert_eq!(
            systems,
            [
                (System::Liquibase, "db/changelog".into()),
                (System::Liquibase, "db/changelog/changes".into())
            ]
        );
        let other = Repo::new(&[("config/migrations/app.xml", "<config><x/></config>\n")]);
        assert!(other.detect().is_empty());
    }

    #[test]
    fn liquibase_undo_appends_changesets_that_run_the_rollback() {
        for (path, text) in [
            ("changes/002-email.sql", SQL),
            ("changes/002-email.xml", XML),
        ] {
            let repo = Repo::new(&[(path, text)]);
            let dir = &repo.detect()[0];
            let undos = undo_of(&repo, dir, &[path], false).unwrap();
            let file = &undos[0].files[0];
            assert_eq!(file.path, path, "the changelog grows");
            let kept = text
                .split("</databaseChangeLog>")
                .next()
                .unwrap()
                .trim_end();
            assert!(file.content.starts_with(kept), "{}", file.content);
            if path.ends_with(".sql") {
                assert!(file.content.ends_with(
                    "--changeset git-release:undo-alice-2-abc1234\n--comment: Undo changeset alice:2 (roll-forward of abc1234)\nALTER TABLE users DROP COLUMN email;\n--rollback ALTER TABLE users ADD COLUMN email TEXT;\n"
                ), "{}", file.content);
            } else {
                assert!(file.content.contains("<changeSet id=\"undo-2-abc1234\" author=\"git-release\">\n        <dropColumn tableName=\"users\" columnName=\"email\"/>\n        <rollback>\n        <addColumn"), "{}", file.content);
                assert!(
                    file.content
                        .ends_with("</changeSet>\n</databaseChangeLog>\n")
                );
            }
        }
    }

    #[test]
    fn changesets_appended_to_a_changelog_are_migrations_too() {
        let dir = MigrationDir {
            system: System::Liquibase,
            dir: "db".into(),
        };
        let golang = MigrationDir {
            system: System::GolangMigrate,
            dir: "sql".into(),
        };
        let edited = ["db/changes.sql", "db/notes.txt", "sql/000001_x.up.sql"].map(String::from);
        assert_eq!(
            edited_migrations(&edited, &[&dir, &golang]),
            ["db/changes.sql"]
        );
    }

    #[test]
    fn liquibase_without_rollback_is_refused() {
        let no_rollback = SQL.replace("--rollback ALTER TABLE users DROP COLUMN email;\n", "");
        let repo = Repo::new(&[("changes/002-email.sql", no_rollback.as_str())]);
        let dir = &repo.detect()[0];
        let err = undo_of(&repo, dir, &["changes/002-email.sql"], false).unwrap_err();
        assert!(
            err.0.contains("changeset alice:2 with no --rollback"),
            "{err}"
        );
        let todo = undo_of(&repo, dir, &["changes/002-email.sql"], true).unwrap();
        assert_eq!(todo[0].files[0].path, "changes/002-email.undo.sql");
        assert!(
            todo[0].files[0]
                .content
                .contains("-- TODO: MANUAL UNDO REQUIRED")
        );
    }
}
