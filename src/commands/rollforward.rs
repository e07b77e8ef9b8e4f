//! `git release rollforward`: fix a bad release by moving forward — revert the bad commits
//! and undo the database migrations they added — on a new branch, without a worktree.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;

use super::{ForceArgs, Session, WriteArgs};
use crate::error::Failure;
use crate::git::{Expect, Oid, RefUpdate};
use crate::release::EventKind;
use crate::rollforward::systems::detect;
use crate::rollforward::{Dir, Request, roll_forward};
use crate::store::With;

/// Roll a bad release forward: revert the commits (newest first) on a new branch, keep the
/// migration files they added — the migrations already ran — and add, in a commit of its own,
/// a new migration that undoes each one.
///
/// Needs an engineering roll-back approval on the release (`git release rollback-approve`),
/// unless --force --reason. Your worktree and index are not touched; the branch is created
/// only when every step succeeded. Migration directories come from [[migrations]] in the
/// config, or are detected.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release rollforward 9f1c2ab
  git release rollforward 9f1c2ab 41d0e7c --onto main --branch fix/checkout --dry-run"#)]
pub struct RollforwardArgs {
    /// The commits to revert.
    #[arg(required = true, value_name = "SHA")]
    commits: Vec<String>,
    /// The new branch (default: rollforward/<release>).
    #[arg(long)]
    branch: Option<String>,
    /// Build on this commit instead of the release's (e.g. main).
    #[arg(long, value_name = "REF")]
    onto: Option<String>,
    /// For a merge commit: the number of the parent whose side stays (1: the branch it was
    /// merged into), as `git revert -m`.
    #[arg(short, long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    mainline: Option<u32>,
    /// Write an undo file with a loud TODO for migrations that cannot be undone automatically.
    #[arg(long)]
    allow_manual_undo: bool,
    #[command(flatten)]
    force: ForceArgs,
    #[command(flatten)]
    write: WriteArgs,
}

pub fn cmd_rollforward(args: &RollforwardArgs, out: &mut dyn Write) -> Result<()> {
    let mut session = Session::open()?;
    if args.write.dry_run {
        session.git.keep_objects_in_memory();
    }
    let session = session;
    let git = &session.git;
    let who = git.identity()?;
    let name = session.select(args.write.release.as_deref())?;
    let release = super::load(&session, &name)?;
    approved(&session, &release, args)?;

    let commits = args
        .commits
        .iter()
        .map(|c| {
            git.resolve_commit(c)?
                .ok_or_else(|| Failure::new(format!("`{c}` does not name a commit")).into())
        })
        .collect::<Result<Vec<Oid>>>()?;
    let onto = match &args.onto {
        Some(r) => git
            .resolve_commit(r)?
            .ok_or_else(|| Failure::new(format!("`{r}` does not name a commit")))?,
        None => release.target.parse()?,
    };
    let branch = args
        .branch
        .clone()
        .unwrap_or_else(|| format!("rollforward/{name}"));
    if let Some(why) = branch
        .split('/')
        .find_map(|part| crate::release::name::check_ref_component(part).err())
    {
        return Err(Failure::usage(format!("`{branch}` cannot be a branch name: {why}")).into());
    }
    let branch_ref = format!("refs/heads/{branch}");
    if git.ref_target(&branch_ref)?.is_some() {
        return Err(Failure::new(format!("branch {branch} already exists"))
            .hint("pick another --branch, or delete the old one")
            .into());
    }
    let mut dirs = session.config.config.migration_dirs();
    if dirs.is_empty() {
        let files: BTreeMap<String, Oid> = git.files(onto)?.into_iter().collect();
        let read = |p: &str| {
            files
                .get(p)
                .and_then(|id| git.read_blob(*id).ok())
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        let paths: Vec<String> = files.keys().cloned().collect();
        dirs = detect(&paths, &read).into_iter().map(Dir::of).collect();
    }
    let onto_label = match &args.onto {
        Some(r) => format!("`{r}`"),
        None => format!("release {name}"),
    };
    // Planned in memory: a refusal anywhere in the plan leaves no object behind.
    let plan = git.batch();
    let outcome = roll_forward(
        &plan,
        &who,
        &Request {
            commits: &commits,
            onto,
            onto_label: &onto_label,
            dirs: &dirs,
            allow_manual: args.allow_manual_undo,
            now: chrono::Utc::now().naive_utc(),
            run_generators: !args.write.dry_run,
            mainline: args.mainline,
        },
    )?;
    // Accepted: its objects are written (kept in memory in a dry run), before any ref moves.
    let _kept = git.accept(plan)?;
    let tip: Oid = outcome.tip.parse()?;
    for path in &outcome.unguarded {
        crate::warn!(
            "warning: the revert deletes {path}, which is in no migration directory; if it ran as a migration, nothing undoes it"
        );
    }
    if !outcome.unguarded.is_empty() {
        crate::warn!(
            "hint: declare its directory with [[migrations]] in .release/config.toml (system and dir) to have it kept and undone"
        );
    }

    if args.write.dry_run {
        writeln!(
            out,
            "would create branch {branch} at {}, starting at {onto_label} ({}):",
            &outcome.tip[..7],
            git.short(onto)
        )?;
        for m in &outcome.commits {
            writeln!(out, "  {} {}", &m.id[..7], m.summary)?;
        }
        for command in &outcome.not_run {
            writeln!(
                out,
                "  then run {command} in a temporary worktree for the undo migration"
            )?;
        }
        write_changes(&session, onto, tip, out)?;
        return Ok(());
    }

    // The event and the branch move together, or neither does.
    let branch_update = RefUpdate {
        name: branch_ref,
        new: tip,
        expect: Expect::Absent,
        log: format!("release: roll forward {name}"),
    };
    let with = With {
        files: &[],
        refs: std::slice::from_ref(&branch_update),
    };
    session.record_on(&name, false, &with, out, |_, _| {
        Ok(Some(EventKind::Rollforward {
            branch: branch.clone(),
            onto: outcome.onto.clone(),
            tip: outcome.tip.clone(),
            reverted: outcome.reverted.clone(),
            undone: outcome.undone.clone(),
            manual: outcome.manual.clone(),
            forced: args.force.force,
            reason: args.force.reason.clone(),
        }))
    })?;
    crate::say!("Created branch {branch} at {}:", &outcome.tip[..7]);
    for m in &outcome.commits {
        crate::say!("  {} {}", &m.id[..7], m.summary);
    }
    if !outcome.manual.is_empty() {
        crate::warn!(
            "warning: manual undo owed for {}: fill in the TODO files before deploying",
            outcome.manual.join(", ")
        );
    }
    writeln!(out, "{branch}")?;
    Ok(())
}

/// Engineering approves every roll-back: an approval by a member of `rollback.role`, or
/// --force with a reason.
fn approved(
    session: &Session,
    release: &crate::release::Release,
    args: &RollforwardArgs,
) -> Result<()> {
    if args.force.force {
        return args.force.check();
    }
    let role_name = &session.config.config.rollback.role;
    let role = session.config.config.roles.get(role_name);
    let ok = release
        .rollback_approvals
        .iter()
        .any(|a| role.is_none_or(|r| r.admits(&a.email)));
    if ok {
        return Ok(());
    }
    Err(Failure::gate(format!(
        "release {} has no roll-back approval{}",
        release.name,
        role.map(|_| format!(" from `{role_name}`"))
            .unwrap_or_default()
    ))
    .hint("git release rollback-approve (by engineering), or --force --reason \"…\" (recorded)")
    .into())
}

/// The unified diff of every file the roll-forward creates or changes.
fn write_changes(session: &Session, onto: Oid, tip: Oid, out: &mut dyn Write) -> Result<()> {
    let git = &session.git;
    let before: BTreeMap<String, Oid> = git.files(onto)?.into_iter().collect();
    let after: BTreeMap<String, Oid> = git.files(tip)?.into_iter().collect();
    let text = |id: Option<&Oid>| -> Result<Option<String>> {
        match id {
            None => Ok(Some(String::new())),
            Some(id) => Ok(String::from_utf8(git.read_blob(*id)?).ok()),
        }
    };
    let paths: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for path in paths {
        let (old, new) = (before.get(path), after.get(path));
        if old == new {
            continue;
        }
        match (text(old)?, text(new)?) {
            (Some(a), Some(b)) => crate::files::write_diff(out, &a, &b, path)?,
            _ => writeln!(out, "Binary file {path} changes")?,
        }
    }
    Ok(())
}
