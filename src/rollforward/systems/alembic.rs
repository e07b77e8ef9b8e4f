//! Alembic: `versions/<rev>_<slug>.py` with `revision`, `down_revision`, `upgrade()` and
//! `downgrade()`. The undo is a new revision on top of the current head whose `upgrade()`
//! runs the original's `downgrade()` (and whose `downgrade()` runs its `upgrade()`).

use std::collections::BTreeSet;

use super::code::{self, Lang};
use super::{Cx, Entry, Form, Kind, NewFile, Role, UndoError, split_path};

pub(crate) struct Alembic;

impl Kind for Alembic {
    fn name(&self) -> &'static str {
        "alembic"
    }

    fn claims(&self, path: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<String> {
        let (dir, file) = split_path(path);
        self.entry(file)?;
        let text = read(path)?;
        (assigned(&text, "revision").is_some()
            && text.lines().any(|l| l.starts_with("down_revision"))
            && code::has_line(&text, "def upgrade("))
        .then(|| dir.to_owned())
    }

    fn entry(&self, relative: &str) -> Option<Entry> {
        if relative.contains('/') || relative == "__init__.py" {
            return None;
        }
        let stem = relative.strip_suffix(".py")?;
        let name = stem.split_once('_').map_or(stem, |(_, slug)| slug);
        // Alembic orders revisions by their `down_revision` chain, not by name.
        code::is_safe(stem).then(|| Entry::single(relative, "", "_", name, Role::Code))
    }

    fn undo(&self, cx: &Cx<'_>) -> Result<Form, UndoError> {
        let (path, text) = cx.main_file()?;
        let id = &cx.migration.id;
        if let Some(other) = cx
            .planned
            .iter()
            .find(|u| u.migration.dir == cx.migration.dir)
        {
            return Err(UndoError(format!(
                "the reverted commits add two Alembic revisions to {} ({} and {id}); their undo \
                 order follows the revision chain, which git-release does not follow yet: roll \
                 forward the commit of the newest revision first, then the other",
                super::display_dir(&cx.migration.dir.dir),
                other.migration.id
            )));
        }
        let original = assigned(&text, "revision")
            .filter(|r| code::is_safe(r))
            .ok_or_else(|| {
                UndoError(format!(
                    "{path} has no `revision = \"…\"` line; fix the file and try again"
                ))
            })?;
        let head = head(cx)?;
        let new = revision_id(&[original, cx.sha, &cx.now.to_string(), &head]);
        let slug = cx.undo_name();
        let new_path = cx.migration.dir.join(&format!("{new}_{slug}.py"));
        let down = code::indented_body(&text, "def downgrade(");
        if down
            .as_ref()
            .is_none_or(|body| code::is_blank_code(&body.join("\n")))
        {
            let reason = if down.is_none() {
                "has no downgrade()"
            } else {
                "has an empty downgrade()"
            };
            if !cx.allow_manual {
                return Ok(Form::NoDown(reason.to_owned()));
            }
            let what = format!(
                "Revision {original} ({id}) already ran in production and {reason}, so its undo \
                 could not be written automatically. Write a revision with revision = \"{new}\" \
                 and down_revision = \"{head}\" whose upgrade() reverses it, then delete these \
                 TODO lines."
            );
            return Ok(Form::Files {
                files: vec![NewFile {
                    path: new_path,
                    content: Lang::Python.manual(id, cx.sha, &what),
                }],
                manual: true,
            });
        }
        let content = format!(
            "\"\"\"Undo revision {original} ({id}), roll-forward of {sha}\n\
             \n\
             It already ran, so it stays; this revision runs its downgrade() as an upgrade.\n\
             \n\
             Revision ID: {new}\n\
             Revises: {head}\n\
             \"\"\"\n\
             import importlib.util\n\
             import os\n\
             \n\
             # revision identifiers, used by Alembic.\n\
             revision = \"{new}\"\n\
             down_revision = \"{head}\"\n\
             branch_labels = None\n\
             depends_on = None\n\
             \n\
             \n\
             def _original():\n    \
                 path = os.path.join(os.path.dirname(os.path.abspath(__file__)), \"{id}\")\n    \
                 spec = importlib.util.spec_from_file_location(\"_undone_{original}\", path)\n    \
                 module = importlib.util.module_from_spec(spec)\n    \
                 spec.loader.exec_module(module)\n    \
                 return module\n\
             \n\
             \n\
             def upgrade():\n    \
                 _original().downgrade()\n\
             \n\
             \n\
             def downgrade():\n    \
                 _original().upgrade()\n",
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

/// The string a top-level `name = "…"` (or `name: str = "…"`) assigns.
fn assigned<'t>(text: &'t str, name: &str) -> Option<&'t str> {
    text.lines().find_map(|line| {
        let rest = line.strip_prefix(name)?;
        let rest = match rest.trim_start().strip_prefix(':') {
            Some(typed) => typed.split_once('=')?.1,
            None => rest.trim_start().strip_prefix('=')?,
        };
        let rest = rest.trim();
        let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
        rest[1..].split_once(quote).map(|(value, _)| value)
    })
}

/// Every revision a `down_revision` line names (one, a tuple of several, or `None`).
fn down_revisions(text: &str) -> Vec<String> {
    let Some(line) = text.lines().find(|l| l.starts_with("down_revision")) else {
        return vec![];
    };
    let value = line.split_once('=').map_or("", |(_, v)| v);
    value
        .split(['"', '\''])
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// The one head of the dir's revisions: the revision no other names as its down revision.
fn head(cx: &Cx<'_>) -> Result<String, UndoError> {
    let dir = &cx.migration.dir;
    let mut revisions = BTreeSet::new();
    let mut downs = BTreeSet::new();
    for path in cx.existing.iter().chain(&cx.migration.files) {
        if dir.entry(path).is_none() {
            continue;
        }
        let Some(text) = (cx.read)(path) else {
            continue;
        };
        if let Some(revision) = assigned(&text, "revision") {
            revisions.insert(revision.to_owned());
            downs.extend(down_revisions(&text));
        }
    }
    let heads: Vec<&String> = revisions.difference(&downs).collect();
    match heads.as_slice() {
        [one] if code::is_safe(one) => Ok((*one).clone()),
        _ => Err(UndoError(format!(
            "the Alembic revisions in {} have {} heads ({}), so the undo of {} has nothing \
             single to follow; merge them (alembic merge heads) and try again",
            super::display_dir(&dir.dir),
            heads.len(),
            heads
                .iter()
                .map(|h| code::safe(h))
                .collect::<Vec<_>>()
                .join(", "),
            cx.migration.id
        ))),
    }
}

/// A 12-hex-digit revision id, as Alembic's own, from `parts` (FNV-1a, so the same plan
/// gives the same id).
fn revision_id(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in parts.join("\0").bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{:012x}", hash & 0xffff_ffff_ffff)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{Repo, undo_of};
    use super::super::*;
    use super::assigned;

    const BASE: &str = "\"\"\"create users\n\nRevision ID: 1975ea83b712\nRevises:\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '1975ea83b712'\ndown_revision = None\nbranch_labels = None\n\n\ndef upgrade():\n    op.create_table('users', sa.Column('id', sa.Integer, primary_key=True))\n\n\ndef downgrade():\n    op.drop_table('users')\n";
    const EMAIL: &str = "from alembic import op\nimport sqlalchemy as sa\n\nrevision: str = 'ae1027a6acf'\ndown_revision: Union[str, None] = '1975ea83b712'\n\n\ndef upgrade() -> None:\n    op.add_column('users', sa.Column('email', sa.String))\n\n\ndef downgrade() -> None:\n    op.drop_column('users', 'email')\n";

    fn repo(email: &str) -> Repo {
        Repo::new(&[
            ("alembic.ini", "[alembic]\nscript_location = alembic\n"),
            ("alembic/env.py", "from alembic import context\n"),
            ("alembic/versions/1975ea83b712_create_users.py", BASE),
            ("alembic/versions/ae1027a6acf_add_email.py", email),
        ])
    }

    #[test]
    fn alembic_is_detected_and_look_alikes_are_not() {
        assert_eq!(
            repo(EMAIL).detect(),
            [MigrationDir {
                system: System::Alembic,
                dir: "alembic/versions".into()
            }]
        );
        // A `versions/` of Python files without a revision chain is not Alembic's.
        let other = Repo::new(&[("app/versions/v1.py", "revision = 3\nVERSION = '1'\n")]);
        assert!(other.detect().is_empty());
    }

    #[test]
    fn alembic_undo_is_a_new_head_running_the_downgrade() {
        let repo = repo(EMAIL);
        let dir = &repo.detect()[0];
        let undos = undo_of(
            &repo,
            dir,
            &["alembic/versions/ae1027a6acf_add_email.py"],
            false,
        )
        .unwrap();
        let file = &undos[0].files[0];
        let text = &file.content;
        assert!(
            text.contains("\ndown_revision = \"ae1027a6acf\"\n"),
            "{text}"
        );
        let new = assigned(text, "revision").unwrap();
        assert_eq!(new.len(), 12);
        assert_eq!(
            file.path,
            format!("alembic/versions/{new}_undo_add_email.py")
        );
        assert!(text.contains("def upgrade():\n    _original().downgrade()\n"));
        assert!(text.contains("\"ae1027a6acf_add_email.py\""));
    }

    #[test]
    fn alembic_without_downgrade_or_with_two_heads_is_refused() {
        let empty = EMAIL.replace("op.drop_column('users', 'email')", "pass");
        let repo = repo(&empty);
        let dir = &repo.detect()[0];
        let added = ["alembic/versions/ae1027a6acf_add_email.py"];
        let err = undo_of(&repo, dir, &added, false).unwrap_err();
        assert!(err.0.contains("has an empty downgrade()"), "{err}");
        assert!(undo_of(&repo, dir, &added, true).unwrap()[0].manual);

        let mut two = repo.clone();
        two.put(
            "alembic/versions/bbb_other.py",
            &BASE
                .replace("1975ea83b712", "bbb")
                .replace("down_revision = None", "down_revision = '1975ea83b712'"),
        );
        let err = undo_of(
            &two,
            dir,
            &["alembic/versions/ae1027a6acf_add_email.py"],
            false,
        )
        .unwrap_err();
        assert!(err.0.contains("2 heads"), "{err}");

        let both = [
            "alembic/versions/1975ea83b712_create_users.py",
            "alembic/versions/ae1027a6acf_add_email.py",
        ];
        let repo = super::super::tests::Repo::new(&[
            ("alembic/versions/1975ea83b712_create_users.py", BASE),
            ("alembic/versions/ae1027a6acf_add_email.py", EMAIL),
        ]);
        let err = undo_of(&repo, dir, &both, false).unwrap_err();
        assert!(err.0.contains("two Alembic revisions"), "{err}");
    }
}
