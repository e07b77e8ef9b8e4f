//! `git release sync`: share releases through a git remote — fetch, merge what diverged (the
//! union of events), push fast-forwards only; notes are made again, never merged as text.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::error::Failure;
use crate::git::Push;
use crate::output::count;
use crate::store::sync::{self, Applied, Done, Race, Tracking};
use crate::store::{NOTES_REF, RELEASE_PREFIX, TAG_PREFIX};

/// Share releases with a remote: fetch its refs/release/* into refs/release-remotes/<remote>/,
/// merge every release that diverged (the union of both sides' events), and push the result
/// as fast-forwards only, so nothing anyone recorded is ever overwritten. Tags of releases
/// travel both ways (never replacing one of the same name); notes are made again from the
/// releases.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release sync
  git release sync upstream --dry-run"#)]
pub struct SyncArgs {
    /// The remote (default: release.remote in the config, else origin).
    remote: Option<String>,
    /// Fetch (into refs/release-remotes/, as a plain sync does) and show what would move;
    /// change no release, note or tag here and push nothing.
    #[arg(long)]
    dry_run: bool,
}

/// How many times a push that lost a race (the remote moved) is tried again.
const ROUNDS: usize = 5;

pub fn cmd_sync(args: &SyncArgs, out: &mut dyn Write) -> Result<()> {
    let mut session = Session::open()?;
    if args.dry_run {
        // The merges are worked out as sync works them out, and their objects stay in memory.
        session.git.keep_objects_in_memory();
    }
    let session = session;
    let git = &session.git;
    let remote = args
        .remote
        .clone()
        .unwrap_or_else(|| session.config.config.release.remote.clone());
    if git.remote_url(&remote)?.is_none() {
        return Err(Failure::new(format!("there is no remote named {remote}"))
            .hint("`git remote -v` lists the remotes; `git release sync NAME` picks one")
            .into());
    }
    let tracking = Tracking::of(&remote);
    let who = git.identity()?;
    let store = session.store();
    let mut report: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for round in 1..=ROUNDS {
        git.fetch(&remote, &tracking.refspecs())?;
        let plan = sync::plan(&store, &tracking)?;
        let applied = sync::apply(&store, &who, &tracking, &plan, args.dry_run, |name, e| {
            if args.dry_run {
                crate::warn!("warning: {name} would not be synced: {e:#}");
            } else {
                crate::warn!("warning: {name} was not synced: {e:#}");
            }
        })?;
        if args.dry_run {
            return dry_run(&session, &remote, &applied, out);
        }
        if applied.raced == Some(Race::Releases) {
            crate::say!("A release changed here while syncing; starting over ({round}/{ROUNDS}).");
            continue;
        }
        for (name, done) in &applied.done {
            let line = match done {
                Done::Took { gained } => {
                    format!("+{} from {remote}", count(*gained, "event", "events"))
                }
                Done::Merged { brought } => {
                    format!(
                        "+{} from {remote}, merged",
                        count(*brought, "event", "events")
                    )
                }
                Done::Kept => continue,
            };
            note(&mut report, name, line);
        }
        if applied.raced == Some(Race::Notes) {
            crate::say!("The notes changed here while syncing; starting over ({round}/{ROUNDS}).");
            continue;
        }
        let Applied {
            left_out: skipped,
            moved,
            to_push,
            notes_after_push: kept_here,
            ..
        } = applied;
        let mut pushes: Vec<Push> = Vec::new();
        // A release another clone started comes with its tag; so does, late, one whose tag
        // did not come with it.
        let wanted = sync::tags_wanted(&store, &moved, &tags_here(&session)?)?;
        let brought = bring_tags(&session, &remote, wanted, false)?;
        for name in brought.iter().flatten() {
            note(&mut report, name, format!("tag from {remote}"));
        }
        for name in &to_push {
            note(&mut report, name, "pushed".into());
        }
        // Every release goes in one refspec, not forced: each now contains what the remote had
        // when fetched (we took it or merged it), so a push that is not a fast-forward means the
        // remote moved meanwhile, and git refuses it — a lease on every ref at once. (One
        // explicit refspec per release costs git a scan of all local refs each: seconds.)
        if !to_push.is_empty() {
            pushes.push(Push {
                local_ref: format!("{RELEASE_PREFIX}*"),
                remote_ref: format!("{RELEASE_PREFIX}*"),
                lease: None,
            });
            // Left out by name: a skipped release differs from the remote's.
            pushes.extend(
                skipped
                    .iter()
                    .map(|name| Push::leave_out(&format!("{RELEASE_PREFIX}{name}"))),
            );
        }
        // The tags of the releases pushed travel with them; a tag the remote has differently is
        // refused, not overwritten. (Read again: the tags may have changed while we fetched.)
        let here = tags_here(&session)?;
        pushes.extend(tag_pushes(&here, &to_push));
        // So do the tags of the other releases that the remote lacks: deleted there, or made
        // here by hand after their release was pushed.
        let restored = missing_tags(&session, &remote, &here, &[], &to_push, &skipped);
        pushes.extend(tag_pushes(&here, &restored));
        if git.ref_target(NOTES_REF)?.is_some() {
            pushes.push(Push {
                local_ref: NOTES_REF.into(),
                remote_ref: NOTES_REF.into(),
                lease: Some(git.ref_target(&tracking.notes)?),
            });
        }
        let pushed = git.push(&remote, &pushes)?;
        if let Err(e) = store.update_notes(&kept_here) {
            crate::warn!(
                "warning: the notes of {} were not written: {e:#}",
                kept_here.join(", ")
            );
        }
        // The glob also carries releases we did not plan to push. One recorded here while we
        // synced went too (a fast-forward): its tag follows, and it is reported. One the remote
        // moved meanwhile is refused, which is no race of ours: the next sync takes it.
        let planned: BTreeSet<String> = to_push
            .iter()
            .map(|name| format!("{RELEASE_PREFIX}{name}"))
            .collect();
        let extra: Vec<String> = pushed
            .updated
            .iter()
            .filter(|r| r.starts_with(RELEASE_PREFIX) && !planned.contains(*r))
            .map(|r| r.trim_start_matches(RELEASE_PREFIX).to_owned())
            .collect();
        for name in &extra {
            note(&mut report, name, "pushed".into());
        }
        for name in &restored {
            let tag = format!("{TAG_PREFIX}{name}");
            if pushed.updated.contains(&tag) {
                note(&mut report, name, format!("tag pushed to {remote}"));
            }
        }
        let mut rejected: Vec<(String, String)> = pushed
            .rejected
            .into_iter()
            .filter(|(r, _)| !r.starts_with(RELEASE_PREFIX) || planned.contains(r))
            .collect();
        if !extra.is_empty() {
            // Recorded here while we synced: their tags are looked up now.
            let pushes = tag_pushes(&tags_here(&session)?, &extra);
            rejected.extend(git.push(&remote, &pushes)?.rejected);
        }
        let raced = |reason: &str| {
            // The lease failed here, or there (the remote saw the ref move under it).
            [
                "stale info",
                "fetch first",
                "non-fast-forward",
                "failed to update ref",
                "cannot lock ref",
            ]
            .iter()
            .any(|r| reason.contains(r))
        };
        // A tag the remote has already (`[rejected] (already exists)`) is another tag of that
        // name; one it refused for its own reasons (a hook, permissions) is said as such.
        let (different, refused_tags): (Vec<_>, Vec<_>) = rejected
            .iter()
            .filter(|(r, _)| r.starts_with(TAG_PREFIX))
            .partition(|(_, reason)| reason.contains("already exists"));
        if !different.is_empty() {
            let names: Vec<&str> = different
                .iter()
                .map(|(r, _)| r.trim_start_matches(TAG_PREFIX))
                .collect();
            crate::warn!(
                "warning: {remote} has different tags named {}; they were not overwritten",
                names.join(", ")
            );
        }
        for (tag, reason) in refused_tags {
            crate::warn!(
                "warning: {remote} refused the tag {}: {reason}",
                tag.trim_start_matches(TAG_PREFIX)
            );
        }
        let refused: Vec<String> = rejected
            .iter()
            .filter(|(r, reason)| !r.starts_with(TAG_PREFIX) && !raced(reason))
            .map(|(r, reason)| format!("{r} {reason}"))
            .collect();
        if !refused.is_empty() {
            return Err(
                Failure::new(format!("{remote} refused: {}", refused.join("; ")))
                    .hint(
                        "your local releases are intact; check the remote's permissions and hooks",
                    )
                    .into(),
            );
        }
        let lost_race: Vec<&String> = rejected
            .iter()
            .filter(|(r, reason)| !r.starts_with(TAG_PREFIX) && raced(reason))
            .map(|(r, _)| r)
            .collect();
        if lost_race.is_empty() {
            if report.is_empty() && skipped.is_empty() {
                same(out, &remote, brought.is_some())?;
            }
            for (name, lines) in &report {
                writeln!(out, "{name}: {}", lines.join(", "))?;
            }
            if !skipped.is_empty() {
                return Err(Failure::new(format!(
                    "not synced (the warnings above say why): {}",
                    skipped.join(", ")
                ))
                .hint(format!(
                    "`git release fsck` checks the releases here; what is wrong in {remote}'s \
                     copy is repaired in the clone that pushed it"
                ))
                .into());
            }
            return Ok(());
        }
        crate::say!(
            "{remote} moved while we pushed; fetching and merging again ({round}/{ROUNDS})."
        );
        for r in lost_race {
            if let Some(lines) = report.get_mut(r.trim_start_matches(RELEASE_PREFIX)) {
                lines.retain(|l| l != "pushed");
            }
        }
    }
    Err(Failure::new(format!(
        "{remote} kept moving; gave up after {ROUNDS} rounds"
    ))
    .hint("your local releases are intact; run `git release sync` again")
    .into())
}

/// Says what `sync` would do, as `apply` worked it out with the merges made in memory. A
/// release sync would leave out has had the warning sync would give.
fn dry_run(session: &Session, remote: &str, applied: &Applied, out: &mut dyn Write) -> Result<()> {
    let mut report: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, done) in &applied.done {
        let what = match done {
            Done::Kept => format!("would push to {remote}"),
            Done::Took { .. } => format!("would take {remote}'s history"),
            Done::Merged { .. } => {
                format!("diverged: would merge with {remote}'s history and push")
            }
        };
        note(&mut report, name, what);
    }
    let wanted = sync::tags_wanted(&session.store(), &applied.moved, &tags_here(session)?)?;
    let tags = bring_tags(session, remote, wanted, true)?;
    for name in tags.iter().flatten() {
        note(
            &mut report,
            name,
            format!("would fetch its tag from {remote}"),
        );
    }
    // The tags sync would push again (the remote lacks them) besides those of the releases it
    // pushes, which go with them.
    let taken: Vec<String> = applied.moved.keys().cloned().collect();
    let restored = missing_tags(
        session,
        remote,
        &tags_here(session)?,
        &taken,
        &applied.to_push,
        &applied.left_out,
    );
    for name in &restored {
        note(&mut report, name, format!("would push its tag to {remote}"));
    }
    if report.is_empty() && applied.left_out.is_empty() {
        same(out, remote, tags.is_some())?;
    }
    for name in &applied.left_out {
        note(
            &mut report,
            name,
            "would not be synced (the warning above says why)".into(),
        );
    }
    for (name, lines) in &report {
        writeln!(out, "{name}: {}", lines.join(", "))?;
    }
    Ok(())
}

/// Says that nothing differs; unless `tags_checked`, only as far as the releases go (the
/// warning before says why their tags were not looked at).
fn same(out: &mut dyn Write, remote: &str, tags_checked: bool) -> Result<()> {
    if tags_checked {
        writeln!(out, "Releases are the same here and on {remote}.")?;
    } else {
        writeln!(
            out,
            "Releases are the same here and on {remote}; their tags were not checked."
        )?;
    }
    Ok(())
}

/// Brings the `wanted` tags (tag → release) from the remote: one this clone lacks is fetched,
/// never forced; one it has differently is kept, and said. Returns the releases whose tag came
/// (with `dry_run`, would come, and nothing is fetched), or nothing when the remote could not
/// be asked which tags it has. A tag travels with its release but is not its record, so
/// nothing here fails the sync: what goes wrong is a warning with the way to do it by hand.
fn bring_tags(
    session: &Session,
    remote: &str,
    release_of: BTreeMap<String, String>,
    dry_run: bool,
) -> Result<Option<Vec<String>>> {
    let git = &session.git;
    if release_of.is_empty() {
        return Ok(Some(Vec::new()));
    }
    let tags: Vec<String> = release_of.keys().cloned().collect();
    let there = match git.remote_tags(remote, &tags) {
        Ok(there) => there,
        Err(e) => {
            crate::warn!("warning: the tags of releases were not looked for on {remote}: {e:#}");
            crate::warn!("hint: `git fetch {remote} tag <name>` fetches one");
            return Ok(None);
        }
    };
    let mut missing = Vec::new();
    let mut different = Vec::new();
    for (tag, id) in there {
        match git.ref_target(&format!("{TAG_PREFIX}{tag}"))? {
            None => missing.push(tag),
            Some(ours) if ours != id => different.push(tag),
            Some(_) => {}
        }
    }
    if !different.is_empty() {
        crate::warn!(
            "warning: {remote} has different tags named {}; yours were kept",
            different.join(", ")
        );
    }
    if missing.is_empty() {
        return Ok(Some(Vec::new()));
    }
    if dry_run {
        return Ok(Some(
            missing.iter().map(|tag| release_of[tag].clone()).collect(),
        ));
    }
    let fetched = git.fetch_tags(remote, &missing);
    // A fetch of several refs can bring some and refuse others: what came is what is here now.
    let mut came = Vec::new();
    let mut left = Vec::new();
    for tag in missing {
        match git.ref_target(&format!("{TAG_PREFIX}{tag}"))? {
            Some(_) => came.push(release_of[&tag].clone()),
            None => left.push(tag),
        }
    }
    if let Err(e) = fetched
        && !left.is_empty()
    {
        crate::warn!(
            "warning: the tags {} did not come from {remote}: {e}",
            left.join(", ")
        );
        crate::warn!("hint: `git fetch {remote} tag <name>` fetches one");
    }
    Ok(Some(came))
}

/// The names of the tags this clone has, as a set.
fn tags_here(session: &Session) -> Result<BTreeSet<String>> {
    Ok(session.store().tag_names()?.into_iter().collect())
}

/// The releases, other than those pushed or left out, whose tag this clone has and the remote
/// lacks; `taken` names releases a dry run would take, which are not here yet. A remote that
/// cannot be asked is no reason to stop: their tags wait for a later sync.
fn missing_tags(
    session: &Session,
    remote: &str,
    here: &BTreeSet<String>,
    taken: &[String],
    pushed: &[String],
    skipped: &[String],
) -> Vec<String> {
    let Ok(names) = session.store().names() else {
        return Vec::new();
    };
    let names: BTreeSet<String> = names.into_iter().chain(taken.iter().cloned()).collect();
    let tagged: Vec<String> = names
        .into_iter()
        .filter(|n| here.contains(n) && !pushed.contains(n) && !skipped.contains(n))
        .collect();
    if tagged.is_empty() {
        return Vec::new();
    }
    match session.git.remote_tags(remote, &tagged) {
        Ok(there) => {
            let there: BTreeSet<String> = there.into_iter().map(|(tag, _)| tag).collect();
            tagged.into_iter().filter(|n| !there.contains(n)).collect()
        }
        Err(_) => Vec::new(),
    }
}

/// The pushes of the tags of `releases` that this clone has (`here`), not forced.
fn tag_pushes(here: &BTreeSet<String>, releases: &[String]) -> Vec<Push> {
    releases
        .iter()
        .filter(|name| here.contains(*name))
        .map(|name| Push {
            local_ref: format!("{TAG_PREFIX}{name}"),
            remote_ref: format!("{TAG_PREFIX}{name}"),
            lease: None,
        })
        .collect()
}

fn note(report: &mut BTreeMap<String, Vec<String>>, name: &str, line: String) {
    let lines = report.entry(name.to_owned()).or_default();
    if !lines.contains(&line) {
        lines.push(line);
    }
}
