//! Roll-forward and cherry-pick without a worktree: commits are reverted or picked as
//! three-way tree merges and written as new commits; the migrations the reverted commits
//! added are kept, and undone by new migrations in commits of their own.

pub mod generate;
pub mod systems;

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::error::Failure;
use crate::git::{Applied, Identity, Oid, Repo};
use systems::{Migration, MigrationDir, NewFile};

/// Written in every undo migration a person still owes (any system, any language), and removed
/// by that person when the undo is written: while a release's commits add a file holding it, the
/// undo is owed.
pub const MANUAL_UNDO_MARKER: &str = "TODO: MANUAL UNDO REQUIRED";

/// Where migrations live, and how their undo is made.
#[derive(Clone, Debug)]
pub enum Dir {
    /// A known system that writes the undo itself, from the migration's own down part.
    Known(MigrationDir),
    /// An ORM that generates migrations from models (Django, or any system configured with
    /// `generate`): `command` generates the undo in a temporary worktree at the reverted code.
    Generated {
        system: String,
        dir: String,
        command: String,
    },
}

impl Dir {
    /// A detected (or configured, without `generate`) dir: generated when its system's undo
    /// is generated (Django, with its documented default command), written otherwise.
    pub fn of(dir: MigrationDir) -> Dir {
        match dir.system.generate() {
            Some(command) => Dir::Generated {
                system: dir.system.name().to_owned(),
                dir: dir.dir,
                command: command.to_owned(),
            },
            None => Dir::Known(dir),
        }
    }

    pub fn path(&self) -> &str {
        match self {
            Dir::Known(d) => &d.dir,
            Dir::Generated { dir, .. } => dir,
        }
    }

    /// Whether a revert keeps `path` as it ran (files that follow the model code, such as
    /// EF Core's snapshot, are reverted with it).
    fn keeps(&self, path: &str) -> bool {
        match self {
            Dir::Known(d) => d.keeps(path),
            Dir::Generated { dir, .. } => under(path, dir),
        }
    }
}

/// A commit that was written.
#[derive(Clone, Debug, Serialize)]
pub struct Made {
    pub id: String,
    pub summary: String,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub onto: String,
    pub tip: String,
    /// The reverted commits, newest first.
    pub reverted: Vec<String>,
    pub commits: Vec<Made>,
    /// Migrations undone by a generated migration.
    pub undone: Vec<String>,
    /// Migrations whose undo was left to a person (a TODO file was written).
    pub manual: Vec<String>,
    /// Commands that would generate undo migrations (when they were not run).
    pub not_run: Vec<String>,
    /// `*.sql` files the reverts delete that no migration directory covers.
    pub unguarded: Vec<String>,
}

/// What to roll forward.
pub struct Request<'a> {
    pub commits: &'a [Oid],
    pub onto: Oid,
    /// What `onto` is, for messages: "release 2026-11-20", "`main`".
    pub onto_label: &'a str,
    pub dirs: &'a [Dir],
    pub allow_manual: bool,
    pub now: NaiveDateTime,
    /// Run the generate commands of ORM dirs (not in a dry run: they need the real commits).
    pub run_generators: bool,
    /// For merge commits: the parent whose side stays (from 1), as `git revert -m`.
    pub mainline: Option<u32>,
}

/// Reverts `commits` newest first on top of `onto`, keeping the migration files as `onto` has
/// them, then adds one commit per undo migration. Writes objects, moves no ref.
pub fn roll_forward(git: &Repo, who: &Identity, req: &Request<'_>) -> Result<Outcome> {
    contained(git, req)?;
    let order = newest_first(git, req.commits)?;
    // The safety net, before anything is written: migrations no system claims.
    let unknown = unclaimed(git, req, &order)?;
    // The migrations that ran in production are the ones `onto` has, as it has them: a revert
    // leaves them alone, and their undo is written from that version of their down part.
    let ran: BTreeMap<String, Oid> = git
        .files(req.onto)?
        .into_iter()
        .filter(|(path, _)| req.dirs.iter().any(|d| d.keeps(path)) || unknown.contains(path))
        .collect();
    let mut tip = req.onto;
    let mut made = Vec::new();
    // Each reverted commit with the files it added and the files it changed.
    let mut added_by: Vec<(Oid, Vec<String>, BTreeSet<String>)> = Vec::new();
    // Reverts that changed nothing, each with whether it touched migrations that ran.
    let mut empty: Vec<(Oid, bool)> = Vec::new();
    for &commit in &order {
        let info = git.commit_info(commit)?;
        let parent = git.mainline_parent(commit, req.mainline)?;
        let changed = changed_files(git, parent, commit)?;
        let keep: Vec<(String, Oid)> = changed
            .iter()
            .filter_map(|path| ran.get(path).map(|id| (path.clone(), *id)))
            .collect();
        let tree = match git.revert_tree(commit, req.mainline, tip, &keep)? {
            Applied::Clean { tree } => tree,
            Applied::Conflicts(paths) => return Err(conflict("revert", git, commit, &paths)),
        };
        let added = added_files(git, parent, commit)?;
        added_by.push((commit, added.into_iter().map(|(p, _)| p).collect(), changed));
        if tree == git.tree_of(tip)? {
            // Nothing but kept migrations, most likely: their undo may still be owed.
            empty.push((commit, !keep.is_empty()));
            continue;
        }
        // git's words, naming the side kept when a merge is reverted.
        let message = match parent {
            Some(parent) if info.parents.len() > 1 => format!(
                "Revert \"{}\"\n\nThis reverts commit {commit}, reversing\nchanges made to {parent}.\n",
                info.subject
            ),
            _ => format!(
                "Revert \"{}\"\n\nThis reverts commit {commit}.\n",
                info.subject
            ),
        };
        tip = git.write_commit(who, &message, tree, &[tip])?;
        made.push(Made {
            id: tip.to_string(),
            summary: format!("Revert \"{}\"", info.subject),
        });
    }
    let reverted_tip = tip;

    let mut undone = Vec::new();
    let mut manual = Vec::new();
    let mut not_run = Vec::new();
    let mut undid: BTreeSet<Oid> = BTreeSet::new();
    let mut owed: BTreeSet<String> = BTreeSet::new();
    for (commit, added, changed) in &added_by {
        let short = git.short(*commit);
        let before = made.len() + not_run.len();
        for dir in req.dirs {
            match dir {
                Dir::Known(dir) => {
                    let found: Vec<Migration> = systems::added_migrations(dir, added);
                    if found.is_empty() {
                        continue;
                    }
                    for undo in plan_sql(git, tip, dir, &found, req, &short)? {
                        let message = format!(
                            "Undo migration {} (roll-forward of {short})\n",
                            undo.migration.id
                        );
                        tip = commit_files(git, who, tip, &undo.files, &message)?;
                        made.push(Made {
                            id: tip.to_string(),
                            summary: message.trim_end().to_owned(),
                        });
                        if undo.manual {
                            manual.push(undo.migration.id.clone());
                        } else {
                            undone.push(undo.migration.id.clone());
                        }
                    }
                }
                Dir::Generated {
                    system,
                    dir,
                    command,
                } => {
                    let found: Vec<&String> = added.iter().filter(|p| under(p, dir)).collect();
                    let names: Vec<&str> = found.iter().map(|p| file_name(p)).collect();
                    let Some(newest) = found.iter().max_by_key(|p| file_name(p)) else {
                        continue;
                    };
                    let name = file_name(newest);
                    let stem = name.split('.').next().unwrap_or(name);
                    // File names come from the commits being reverted: the command gets them
                    // in variables, and its placeholders become quoted references to those.
                    let script =
                        generate::script(command).map_err(|e| unsafe_generate(dir, command, &e))?;
                    let paths: Vec<String> = git.files(tip)?.into_iter().map(|(p, _)| p).collect();
                    let mut env = vec![
                        (generate::NAME, stem.to_owned()),
                        (generate::FILE, (*newest).clone()),
                        (generate::DIR, dir.clone()),
                        (generate::COMMIT, short.clone()),
                    ];
                    env.extend(systems::generator_env(dir, &paths));
                    let command = format!("`{script}` with {}={stem}", generate::NAME);
                    if !req.run_generators {
                        not_run.push(command);
                        continue;
                    }
                    let generator = generate::Generator {
                        script: &script,
                        label: &command,
                        system,
                        dir,
                        undoes: &names,
                    };
                    let files = generate::run(git, tip, &generator, &env)?;
                    let message = format!(
                        "Undo migration {} (roll-forward of {short})\n\nGenerated by {command}.\n",
                        names.join(", ")
                    );
                    tip = commit_files(git, who, tip, &files, &message)?;
                    made.push(Made {
                        id: tip.to_string(),
                        summary: message.lines().next().unwrap_or_default().to_owned(),
                    });
                    undone.extend(names.iter().map(|n| (*n).to_owned()));
                }
            }
        }
        // Migrations no system undoes, kept with --allow-manual-undo: a TODO each.
        for path in changed
            .iter()
            .filter(|p| unknown.contains(*p) && ran.contains_key(*p))
        {
            if !owed.insert(path.clone()) {
                continue;
            }
            let todo = systems::manual_for_unknown(path, &short);
            let message = format!(
                "Undo migration {} (roll-forward of {short})\n",
                file_name(path)
            );
            tip = commit_files(git, who, tip, std::slice::from_ref(&todo), &message)?;
            made.push(Made {
                id: tip.to_string(),
                summary: message.trim_end().to_owned(),
            });
            manual.push(file_name(path).to_owned());
        }
        if made.len() + not_run.len() > before {
            undid.insert(*commit);
        }
    }
    if let Some((commit, kept)) = empty.iter().find(|(c, _)| !undid.contains(c)) {
        return Err(nothing_to_revert(git, *commit, *kept, req.onto_label));
    }
    Ok(Outcome {
        onto: req.onto.to_string(),
        tip: tip.to_string(),
        reverted: order.iter().map(ToString::to_string).collect(),
        commits: made,
        undone,
        manual,
        not_run,
        unguarded: unguarded_sql(git, req, reverted_tip)?,
    })
}

/// The safety net: the files the reverted commits change under a directory that looks like
/// migrations (`migrations`, `migrate`, `versions`) that no migrations dir claims, and the
/// edits to migrations that run again when edited (Liquibase changelogs). Refused, naming
/// them, unless `--allow-manual-undo`: then they are kept as they ran, each with a TODO undo.
fn unclaimed(git: &Repo, req: &Request<'_>, order: &[Oid]) -> Result<BTreeSet<String>> {
    let claimed: Vec<&str> = req.dirs.iter().map(Dir::path).collect();
    let known: Vec<&MigrationDir> = req
        .dirs
        .iter()
        .filter_map(|d| match d {
            Dir::Known(dir) => Some(dir),
            Dir::Generated { .. } => None,
        })
        .collect();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for &commit in order {
        let parent = git.mainline_parent(commit, req.mainline)?;
        let changed: Vec<String> = changed_files(git, parent, commit)?.into_iter().collect();
        let added: BTreeSet<String> = added_files(git, parent, commit)?
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        let edited: Vec<String> = changed
            .iter()
            .filter(|p| !added.contains(*p))
            .cloned()
            .collect();
        let unknown = systems::unclaimed(&changed, &claimed);
        for path in unknown
            .into_iter()
            .chain(systems::edited_migrations(&edited, &known))
        {
            found.entry(path).or_default().push(git.short(commit));
        }
    }
    if found.is_empty() || req.allow_manual {
        return Ok(found.into_keys().collect());
    }
    let lines: Vec<String> = found
        .iter()
        .map(|(path, commits)| format!("{path} (changed by {})", commits.join(", ")))
        .collect();
    Err(Failure::new(format!(
        "the revert would delete or change {} whose undo no known migration system writes, and nothing would undo what they did; nothing was written:\n  {}",
        crate::output::count(found.len(), "migration file", "migration files"),
        lines.join("\n  ")
    ))
    .hint("declare their directory with [[migrations]] in .release/config.toml (system, dir, and `generate` for an ORM), or pass --allow-manual-undo to keep them and write a TODO undo")
    .into())
}

/// Refuses commits that `onto` does not contain: reverting them would add what they added.
fn contained(git: &Repo, req: &Request<'_>) -> Result<()> {
    let mut outside = Vec::new();
    for &commit in req.commits {
        if !git.is_ancestor(commit, req.onto)? {
            let line = format!("{} {}", git.short(commit), git.commit_info(commit)?.subject);
            if !outside.contains(&line) {
                outside.push(line);
            }
        }
    }
    if outside.is_empty() {
        return Ok(());
    }
    let onto = git.short(req.onto);
    Err(Failure::new(format!(
        "{} (at {onto}) does not contain what it would revert; nothing was written. Not in it:\n  {}",
        req.onto_label,
        outside.join("\n  ")
    ))
    .hint(format!(
        "name commits that `git log --oneline {onto}` lists; in a cherry-pick release, name the picked copy"
    ))
    .into())
}

/// `git revert` refuses a revert with nothing to commit; so does roll-forward.
fn nothing_to_revert(git: &Repo, commit: Oid, kept: bool, onto_label: &str) -> anyhow::Error {
    let short = git.short(commit);
    let subject = git
        .commit_info(commit)
        .map(|i| i.subject)
        .unwrap_or_default();
    let why = if kept {
        "it only changes migrations that already ran, which are kept, and it adds none to undo"
            .to_owned()
    } else {
        format!("{onto_label} no longer has its changes")
    };
    Failure::new(format!(
        "reverting {short} (\"{subject}\") changes nothing: {why}; nothing was written"
    ))
    .hint(format!("leave {short} out"))
    .into()
}

/// The `*.sql` files the reverts delete outside every migration directory: if they ran as
/// migrations, nothing undoes them.
fn unguarded_sql(git: &Repo, req: &Request<'_>, tip: Oid) -> Result<Vec<String>> {
    let after: BTreeSet<String> = git.files(tip)?.into_iter().map(|(p, _)| p).collect();
    Ok(git
        .files(req.onto)?
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| path.ends_with(".sql") && !after.contains(path))
        .filter(|path| !req.dirs.iter().any(|d| under(path, d.path())))
        .collect())
}

/// Cherry-picks `commits` in the order given on top of `onto`, as `git cherry-pick -x` does:
/// the original author and message, plus `(cherry picked from commit …)`. A pick that would
/// change nothing is refused, as git refuses it. `from` names `onto` in messages.
pub fn pick(
    git: &Repo,
    who: &Identity,
    onto: Oid,
    from: &str,
    commits: &[Oid],
) -> Result<(Oid, Vec<Made>)> {
    let mut tip = onto;
    let mut made = Vec::new();
    for (i, &commit) in commits.iter().enumerate() {
        let info = git.commit_info(commit)?;
        if info.parents.len() > 1 {
            let short = git.short(commit);
            return Err(Failure::new(format!(
                "{short} (\"{}\") is a merge commit; a release picks single commits; nothing was written",
                info.subject
            ))
            .hint(format!(
                "pick the commits the merge brought in instead (`git log --oneline {short}^1..{short}^2`)"
            ))
            .into());
        }
        let tree = match git.cherry_pick_tree(commit, tip)? {
            Applied::Clean { tree } => tree,
            Applied::Conflicts(paths) => return Err(conflict("cherry-pick", git, commit, &paths)),
        };
        if tree == git.tree_of(tip)? {
            let why = if commits[..i].contains(&commit) {
                "it is named twice".to_owned()
            } else if i == 0 || git.is_ancestor(commit, onto)? {
                format!("{from} already has its changes")
            } else {
                format!("{from} with the picks before it already has its changes")
            };
            let short = git.short(commit);
            return Err(Failure::new(format!(
                "the cherry-pick of {short} (\"{}\") is empty: {why}; nothing was written",
                git.commit_info(commit)?.subject
            ))
            .hint(format!("leave {short} out of --pick"))
            .into());
        }
        let message = picked_message(&git.message(commit)?, commit);
        tip = git.write_commit_authored_as(commit, who, &message, tree, &[tip])?;
        made.push(Made {
            id: tip.to_string(),
            summary: message.lines().next().unwrap_or_default().to_owned(),
        });
    }
    Ok((tip, made))
}

/// git's `-x` note: after a blank line, unless the message already ends in a trailer block.
fn picked_message(original: &str, commit: Oid) -> String {
    let mut message = original.trim_end_matches('\n').to_owned();
    let last = message.rsplit("\n\n").next().unwrap_or_default();
    let trailers = message.contains("\n\n")
        && last.lines().all(|l| {
            l.starts_with("(cherry picked from commit ")
                || l.split_once(": ")
                    .is_some_and(|(k, _)| !k.is_empty() && !k.contains(' '))
        });
    message.push_str(if trailers { "\n" } else { "\n\n" });
    message.push_str(&format!("(cherry picked from commit {commit})\n"));
    message
}

/// The last part of a path.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A generate command with a placeholder where its variable cannot be referred to safely.
fn unsafe_generate(dir: &str, command: &str, why: &generate::Unsafe) -> anyhow::Error {
    let generate::Unsafe {
        placeholder,
        variable,
        place,
    } = why;
    Failure::new(format!(
        "[[migrations]] generate for {dir} has {placeholder} {place} (`{command}`): its value is passed in ${variable}, and there it cannot be referred to safely; nothing was written"
    ))
    .hint(format!(
        "write {placeholder} unquoted or inside double quotes, at the top level or inside $(…) (`'# undo '{placeholder}`, not `'# undo {placeholder}'`), or use \"${variable}\" where the shell expands it"
    ))
    .into()
}

fn conflict(what: &str, git: &Repo, commit: Oid, paths: &[String]) -> anyhow::Error {
    let short = git.short(commit);
    Failure::new(format!(
        "cannot {what} {short} without conflicts; nothing was written. Conflicting paths:\n  {}",
        paths.join("\n  ")
    ))
    .hint(format!(
        "resolve it by hand in a worktree (`git {what} {short}`, fix, commit), then name the result instead"
    ))
    .into()
}

/// Orders commits so that a descendant comes before its ancestors (newest first).
fn newest_first(git: &Repo, commits: &[Oid]) -> Result<Vec<Oid>> {
    let mut order: Vec<Oid> = Vec::new();
    for &c in commits {
        if order.contains(&c) {
            continue;
        }
        let mut at = order.len();
        for (i, &o) in order.iter().enumerate() {
            if git.is_ancestor(o, c)? {
                at = i;
                break;
            }
        }
        order.insert(at, c);
    }
    Ok(order)
}

/// Paths `commit` added, changed or deleted, compared with `parent`.
fn changed_files(git: &Repo, parent: Option<Oid>, commit: Oid) -> Result<BTreeSet<String>> {
    git.changed_paths(parent, commit)
}

/// Files `commit` added (not in `parent`).
fn added_files(git: &Repo, parent: Option<Oid>, commit: Oid) -> Result<Vec<(String, Oid)>> {
    let before: BTreeSet<String> = match parent {
        Some(p) => git.files(p)?.into_iter().map(|(path, _)| path).collect(),
        None => BTreeSet::new(),
    };
    Ok(git
        .files(commit)?
        .into_iter()
        .filter(|(path, _)| !before.contains(path))
        .collect())
}

fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_matches('/');
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn plan_sql(
    git: &Repo,
    tip: Oid,
    dir: &MigrationDir,
    found: &[Migration],
    req: &Request<'_>,
    short: &str,
) -> Result<Vec<systems::Undo>> {
    let files: BTreeMap<String, Oid> = git
        .files(tip)?
        .into_iter()
        .filter(|(p, _)| under(p, &dir.dir))
        .collect();
    let existing: Vec<String> = files.keys().cloned().collect();
    let read = |path: &str| {
        files
            .get(path)
            .and_then(|id| git.read_blob(*id).ok())
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    systems::plan_undo(found, &existing, &read, req.now, short, req.allow_manual)
        .map_err(|e| Failure::new(e.0).hint("nothing was written").into())
}

fn commit_files(
    git: &Repo,
    who: &Identity,
    tip: Oid,
    files: &[NewFile],
    message: &str,
) -> Result<Oid> {
    let mut blobs = Vec::new();
    for f in files {
        blobs.push((f.path.clone(), git.write_blob(f.content.as_bytes())?));
    }
    let tree = git.edit_tree(git.tree_of(tip)?, &blobs)?;
    git.write_commit(who, message, tree, &[tip])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picked_messages_follow_git() {
        let id = Oid::from_bytes_or_panic(&[0xab; 20]);
        let hex = id.to_string();
        assert_eq!(
            picked_message("Fix it\n", id),
            format!("Fix it\n\n(cherry picked from commit {hex})\n")
        );
        assert_eq!(
            picked_message("Fix it\n\nLonger text.\n", id),
            format!("Fix it\n\nLonger text.\n\n(cherry picked from commit {hex})\n")
        );
        assert_eq!(
            picked_message("Fix it\n\nSigned-off-by: A <a@x>\n", id),
            format!("Fix it\n\nSigned-off-by: A <a@x>\n(cherry picked from commit {hex})\n")
        );
    }

    #[test]
    fn paths_under_dirs() {
        assert!(under("db/migrations/1_a.up.sql", "db/migrations"));
        assert!(under("db/migrations/1_a.up.sql", "db/migrations/"));
        assert!(!under("db/migrations_old/1.sql", "db/migrations"));
        assert!(under("x.sql", ""));
    }
}
