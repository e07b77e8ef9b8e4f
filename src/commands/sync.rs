//! `git release sync`: share releases through a git remote — fetch, merge what diverged (the
//! union of events), push fast-forwards only; notes are made again, never merged as text.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::error::Failure;
use crate::git::{Oid, Push, RefUpdateError};
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

#[derive(Debug)]
enum Step {
    Same,
    /// Only the remote has it, or the remote is ahead: take it.
    Take {
        theirs: Oid,
    },
    /// Only we have it, or we are ahead: push it.
    Give,
    /// Both moved: merge, then push.
    Merge {
        theirs: Oid,
    },
}

pub fn cmd_sync(args: &SyncArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
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
    let tracking = format!("refs/release-remotes/{remote}/");
    let notes_tracking = format!("refs/release-remotes/{remote}-notes/release");
    // The notes ref as a pattern: a remote without notes yet is not an error, and one fetch
    // does it all.
    let refspecs = vec![
        format!("+{RELEASE_PREFIX}*:{tracking}*"),
        format!("+{NOTES_REF}*:{notes_tracking}*"),
    ];
    let who = git.identity()?;
    let store = session.store();
    let mut report: BTreeMap<String, Vec<String>> = BTreeMap::new();

    for round in 1..=ROUNDS {
        git.fetch(&remote, &refspecs)?;
        let theirs: BTreeMap<String, Oid> = git.refs_under(&tracking)?.into_iter().collect();
        let ours: BTreeMap<String, Oid> = git.refs_under(RELEASE_PREFIX)?.into_iter().collect();
        let names: BTreeSet<&String> = theirs.keys().chain(ours.keys()).collect();
        let mut plan: Vec<(String, Option<Oid>, Step)> = Vec::new();
        for name in names {
            let (mine, other) = (ours.get(name).copied(), theirs.get(name).copied());
            let step = match (mine, other) {
                (Some(m), Some(t)) if m == t => Step::Same,
                (None, Some(t)) => Step::Take { theirs: t },
                (Some(_), None) => Step::Give,
                (Some(m), Some(t)) if git.is_ancestor(m, t)? => Step::Take { theirs: t },
                (Some(m), Some(t)) if git.is_ancestor(t, m)? => Step::Give,
                (Some(_), Some(t)) => Step::Merge { theirs: t },
                (None, None) => unreachable!("the name came from one side"),
            };
            plan.push((name.clone(), mine, step));
        }
        if args.dry_run {
            return dry_run(&session, &remote, &who, &plan, out);
        }

        // Local moves first, all in one transaction: if a local writer raced us, start over.
        let mut pushes: Vec<Push> = Vec::new();
        let mut moves: Vec<crate::git::RefUpdate> = Vec::new();
        let mut changed: Vec<String> = Vec::new();
        let mut lines: Vec<(String, String)> = Vec::new();
        let mut to_push: Vec<String> = Vec::new();
        // Each release taken or merged here, with the tag its new state names.
        let mut moved: BTreeMap<String, Option<String>> = BTreeMap::new();
        // Releases that cannot be read on one side or the other: each is left as it is on
        // both, and says why; the others sync.
        let mut skipped: Vec<String> = Vec::new();
        let mut skip = |name: &str, e: anyhow::Error| {
            crate::warn!("warning: {name} was not synced: {e:#}");
            skipped.push(name.to_owned());
        };
        // Hundreds of merges make thousands of objects: written as one pack, not a file each.
        let mut batch = git.batch();
        let merges = crate::store::Store::new(&batch);
        for (name, mine, step) in &plan {
            let new = match step {
                Step::Same => continue,
                Step::Give => {
                    // A release this clone cannot read is not handed on to the others.
                    let head = mine.expect("a release to give is here");
                    if let Err(e) = store.state_at(name, head) {
                        skip(name, e);
                        continue;
                    }
                    to_push.push(name.clone());
                    continue;
                }
                Step::Take { theirs: t } => {
                    let theirs = match store.state_at(name, *t) {
                        Ok(theirs) => theirs,
                        Err(e) => {
                            skip(name, e.context(format!("as {remote} has it")));
                            continue;
                        }
                    };
                    // What replaces a damaged release here is counted whole.
                    let gained = theirs.events - count_events(&session, name, *mine).unwrap_or(0);
                    lines.push((name.clone(), format!("+{gained} event(s) from {remote}")));
                    moved.insert(name.clone(), theirs.tag);
                    *t
                }
                Step::Merge { theirs: t } => {
                    let m = mine.expect("a merge has both sides");
                    let merged =
                        merges.merge(&who, name, m, *t, &format!("sync: merge {remote}'s events"));
                    let merged = match merged {
                        Ok(merged) => merged,
                        Err(e) => {
                            skip(name, e.context(format!("merging with {remote}'s history")));
                            continue;
                        }
                    };
                    lines.push((
                        name.clone(),
                        format!("+{} event(s) from {remote}, merged", merged.brought),
                    ));
                    to_push.push(name.clone());
                    moved.insert(name.clone(), merged.release.tag);
                    merged.commit
                }
            };
            moves.push(crate::git::RefUpdate {
                name: format!("{RELEASE_PREFIX}{name}"),
                new,
                expect: mine.map_or(crate::git::Expect::Absent, crate::git::Expect::At),
                log: format!("release: sync with {remote}"),
            });
            changed.push(name.clone());
        }
        let _kept = batch.write_kept_objects()?;
        if !moves.is_empty() {
            match git.update_refs(&moves) {
                Ok(()) => {}
                Err(RefUpdateError::Raced) => {
                    crate::say!(
                        "A release changed here while syncing; starting over ({round}/{ROUNDS})."
                    );
                    continue;
                }
                Err(RefUpdateError::Failed(e)) => return Err(e),
            }
        }
        for (name, line) in lines {
            note(&mut report, &name, line);
        }
        // Notes are derived. The remote's are the base (they hold what the other clones
        // wrote), and on top of them the note of every release that moved here, goes from
        // here, or whose note says something else here than there is made again from the
        // release: a note removed or gone stale on one side is written anew on both, never
        // copied over the other's.
        let mut renote: BTreeSet<String> = changed.iter().cloned().collect();
        if let Some(theirs) = git.ref_target(&notes_tracking)? {
            let ours = git.ref_target(NOTES_REF)?;
            if ours != Some(theirs) {
                let differing = differing_notes(git, ours, theirs)?;
                if !differing.is_empty() {
                    for (name, summary) in store.summaries(&store.heads()?)? {
                        if summary.is_ok_and(|s| differing.contains(&s.target)) {
                            renote.insert(name);
                        }
                    }
                }
                let take = crate::git::RefUpdate {
                    name: NOTES_REF.into(),
                    new: theirs,
                    expect: ours.map_or(crate::git::Expect::Absent, crate::git::Expect::At),
                    log: format!("release: notes from {remote}"),
                };
                match git.update_refs(&[take]) {
                    Ok(()) => renote.extend(to_push.iter().cloned()),
                    Err(RefUpdateError::Raced) => {
                        crate::say!(
                            "The notes changed here while syncing; starting over ({round}/{ROUNDS})."
                        );
                        continue;
                    }
                    Err(RefUpdateError::Failed(e)) => return Err(e),
                }
            }
        }
        // A release left out keeps its note here, written after the push: it is not the
        // remote's to show.
        let (kept_here, renote): (Vec<String>, Vec<String>) =
            renote.into_iter().partition(|name| skipped.contains(name));
        store.update_notes(&renote)?;
        // A release another clone started comes with its tag; so does, late, one whose tag
        // did not come with it.
        let wanted = tags_to_look_for(&session, &moved, &tags_here(&session)?)?;
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
        pushes.extend(tag_pushes(&tags_here(&session)?, &to_push));
        if git.ref_target(NOTES_REF)?.is_some() {
            pushes.push(Push {
                local_ref: NOTES_REF.into(),
                remote_ref: NOTES_REF.into(),
                lease: Some(git.ref_target(&notes_tracking)?),
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

/// What `sync` would do with `plan`, worked out as it would work it out — the merges made in
/// memory and never written — and said without doing it. A release that sync would leave out
/// (it cannot be read here or as the remote has it, or its histories cannot merge) gets the
/// warning sync would give.
fn dry_run(
    session: &Session,
    remote: &str,
    who: &crate::git::Identity,
    plan: &[(String, Option<Oid>, Step)],
    out: &mut dyn Write,
) -> Result<()> {
    let store = session.store();
    let batch = session.git.batch();
    let merges = crate::store::Store::new(&batch);
    let mut report: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut moved = BTreeMap::new();
    let mut left_out = Vec::new();
    for (name, mine, step) in plan {
        let what = match step {
            Step::Same => continue,
            Step::Give => store
                .state_at(name, mine.expect("a release to give is here"))
                .map(|_| format!("would push to {remote}")),
            Step::Take { theirs } => store
                .state_at(name, *theirs)
                .map(|theirs| {
                    moved.insert(name.clone(), theirs.tag);
                    format!("would take {remote}'s history")
                })
                .map_err(|e| e.context(format!("as {remote} has it"))),
            Step::Merge { theirs } => {
                let ours = mine.expect("a merge has both sides");
                merges
                    .merge(who, name, ours, *theirs, "sync --dry-run")
                    .map(|merged| {
                        moved.insert(name.clone(), merged.release.tag);
                        format!("diverged: would merge with {remote}'s history and push")
                    })
                    .map_err(|e| e.context(format!("merging with {remote}'s history")))
            }
        };
        match what {
            Ok(what) => note(&mut report, name, what),
            Err(e) => {
                crate::warn!("warning: {name} would not be synced: {e:#}");
                left_out.push(name.clone());
            }
        }
    }
    let wanted = tags_to_look_for(session, &moved, &tags_here(session)?)?;
    let tags = bring_tags(session, remote, wanted, true)?;
    for name in tags.iter().flatten() {
        note(
            &mut report,
            name,
            format!("would fetch its tag from {remote}"),
        );
    }
    if report.is_empty() && left_out.is_empty() {
        same(out, remote, tags.is_some())?;
    }
    for name in &left_out {
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

/// The tags to look for on the remote, each with its release (they have the same name unless
/// a foreign tool wrote otherwise): those of the releases that `moved` (taken or merged, each
/// with the tag its new state names), and the missing tag of any other release here (`here`:
/// the tags this clone has). A tag that did not come with its release — the remote lacked it
/// then, or fetching it failed — is looked for again at every sync, until it comes.
fn tags_to_look_for(
    session: &Session,
    moved: &BTreeMap<String, Option<String>>,
    here: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>> {
    let store = session.store();
    let mut wanted: BTreeMap<String, String> = moved
        .iter()
        .filter_map(|(name, tag)| Some((tag.clone()?, name.clone())))
        .collect();
    // Most releases have the tag of their own name. What the others name, if anything, comes
    // from the summaries `list` keeps, read once for every release and cached.
    let heads = store.heads()?;
    if heads
        .iter()
        .all(|(name, _)| here.contains(name) || moved.contains_key(name))
    {
        return Ok(wanted);
    }
    for (name, summary) in store.summaries(&heads)? {
        // A damaged release is `fsck`'s to report; it does not stop the sync.
        let Ok(summary) = summary else { continue };
        if summary.tag.is_empty() || here.contains(&summary.tag) || moved.contains_key(&name) {
            continue;
        }
        wanted.insert(summary.tag, name);
    }
    Ok(wanted)
}

/// The commits (full hex) whose notes differ between two notes commits, `ours` absent for
/// none. A note's path is its commit's hex, fanned out or not.
fn differing_notes(
    git: &crate::git::Repo,
    ours: Option<Oid>,
    theirs: Oid,
) -> Result<BTreeSet<String>> {
    Ok(git
        .changed_paths(ours, theirs)?
        .into_iter()
        .map(|path| path.replace('/', ""))
        .collect())
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

/// Events in a release history (0 for none): read from its release.toml.
fn count_events(session: &Session, name: &str, head: Option<Oid>) -> Result<u64> {
    let Some(head) = head else { return Ok(0) };
    Ok(session.store().state_at(name, head)?.events)
}
