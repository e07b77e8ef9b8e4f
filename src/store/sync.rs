//! Syncing releases with a remote's copy: `plan` works out what each release needs from the
//! refs here and the remote's as last fetched; `apply` carries it out here (merges, refs,
//! notes), which leaves the push. A dry run is `apply` with every object kept in memory.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Error, Result};

use super::{NOTES_REF, RELEASE_PREFIX, Store};
use crate::git::{Expect, Identity, Oid, RefUpdate, RefUpdateError, Repo};

/// Where a remote's releases and notes are kept here once fetched.
pub struct Tracking {
    pub remote: String,
    /// The prefix of the remote's releases: `refs/release-remotes/<remote>/`.
    pub releases: String,
    /// The remote's notes ref: `refs/release-remotes/<remote>-notes/release`.
    pub notes: String,
}

impl Tracking {
    pub fn of(remote: &str) -> Tracking {
        Tracking {
            remote: remote.to_owned(),
            releases: format!("refs/release-remotes/{remote}/"),
            notes: format!("refs/release-remotes/{remote}-notes/release"),
        }
    }

    /// The refspecs that fetch the remote's releases and notes here. The notes ref goes as a
    /// pattern: a remote without notes yet is not an error, and one fetch does it all.
    pub fn refspecs(&self) -> Vec<String> {
        vec![
            format!("+{RELEASE_PREFIX}*:{}*", self.releases),
            format!("+{NOTES_REF}*:{}*", self.notes),
        ]
    }
}

/// What one release needs.
#[derive(Debug)]
pub enum Step {
    Same,
    /// Only the remote has it, or the remote is ahead: take theirs. Its state names `tag`,
    /// and has `gained` events more than ours (what replaces a damaged release is counted
    /// whole).
    Take {
        theirs: Oid,
        tag: Option<String>,
        gained: u64,
    },
    /// Only we have it, or we are ahead: keep ours, and push it.
    Keep,
    /// Both moved: merge, then push.
    Merge {
        theirs: Oid,
    },
    /// It cannot be read here, or as the remote has it: it is left as it is on both sides,
    /// and the others sync.
    LeaveOut {
        why: Error,
    },
}

#[derive(Debug)]
pub struct Planned {
    pub name: String,
    /// Where the release is here, if it is.
    pub ours: Option<Oid>,
    pub step: Step,
}

/// Every release here or on the remote, by name, with what it needs.
#[derive(Debug)]
pub struct Plan {
    pub releases: Vec<Planned>,
}

/// What `apply` did with a release that was not left out.
#[derive(Debug, PartialEq)]
pub enum Done {
    Took { gained: u64 },
    Kept,
    Merged { brought: usize },
}

/// A local writer moved something while `apply` was at it: the round starts over.
#[derive(Debug, PartialEq)]
pub enum Race {
    /// A release moved: none of the plan's moves were made.
    Releases,
    /// The notes moved: the releases were moved, their notes not made yet.
    Notes,
}

#[derive(Debug, Default)]
pub struct Applied {
    /// Each release taken, kept or merged, by name.
    pub done: Vec<(String, Done)>,
    /// The releases left out, by name: each differs from the remote's, and is not pushed.
    pub left_out: Vec<String>,
    /// Each release taken or merged, with the tag its new state names.
    pub moved: BTreeMap<String, Option<String>>,
    /// The releases to push: kept or merged.
    pub to_push: Vec<String>,
    /// Releases left out whose note is made again here once the push is done: it is not the
    /// remote's to show.
    pub notes_after_push: Vec<String>,
    pub raced: Option<Race>,
}

/// What each release needs, from the releases here and the remote's in `tracking` (fetched
/// before). A release that cannot be read here (one to push) or as the remote has it (one to
/// take) is left out, with the reason.
pub fn plan(store: &Store, tracking: &Tracking) -> Result<Plan> {
    let git = store.git;
    let remote = &tracking.remote;
    let theirs: BTreeMap<String, Oid> = git.refs_under(&tracking.releases)?.into_iter().collect();
    let ours: BTreeMap<String, Oid> = store.heads()?.into_iter().collect();
    let names: BTreeSet<&String> = theirs.keys().chain(ours.keys()).collect();
    let mut releases = Vec::with_capacity(names.len());
    for name in names {
        let (mine, other) = (ours.get(name).copied(), theirs.get(name).copied());
        if let Some(why) = super::invalid_name(name) {
            releases.push(Planned {
                name: name.clone(),
                ours: mine,
                step: Step::LeaveOut {
                    why: crate::error::Failure::new(format!(
                        "`{name}` is not a name git-release gives a release: {why}"
                    ))
                    .hint(match other {
                        Some(_) => format!(
                            "remove it where it was pushed: `git push {remote} --delete refs/release/{name}`"
                        ),
                        None => format!(
                            "it was made here by hand: `git update-ref -d refs/release/{name}` removes it"
                        ),
                    })
                    .into(),
                },
            });
            continue;
        }
        let step = match (mine, other) {
            (Some(m), Some(t)) if m == t => Step::Same,
            (None, Some(t)) => take(store, name, None, t, remote),
            (Some(m), None) => keep(store, name, m),
            (Some(m), Some(t)) if git.is_ancestor(m, t)? => take(store, name, Some(m), t, remote),
            (Some(m), Some(t)) if git.is_ancestor(t, m)? => keep(store, name, m),
            (Some(_), Some(t)) => Step::Merge { theirs: t },
            (None, None) => unreachable!("the name came from one side"),
        };
        releases.push(Planned {
            name: name.clone(),
            ours: mine,
            step,
        });
    }
    Ok(Plan { releases })
}

/// Taking the remote's `theirs` in place of `ours`, if theirs can be read.
fn take(store: &Store, name: &str, ours: Option<Oid>, theirs: Oid, remote: &str) -> Step {
    match store.state_at(name, theirs) {
        Ok(release) => Step::Take {
            theirs,
            gained: release
                .events
                .saturating_sub(count_events(store, name, ours).unwrap_or(0)),
            tag: release.tag,
        },
        Err(e) => Step::LeaveOut {
            why: e.context(format!("as {remote} has it")),
        },
    }
}

/// Keeping ours to push it: a release this clone cannot read is not handed on to the others.
fn keep(store: &Store, name: &str, ours: Oid) -> Step {
    match store.state_at(name, ours) {
        Ok(_) => Step::Keep,
        Err(why) => Step::LeaveOut { why },
    }
}

/// Carries out `plan`: merges what diverged, then moves the releases taken or merged in one
/// transaction, and makes their notes again on top of the remote's. `left_out` hears of each
/// release left out, and why, as it is. With `dry_run` (the repository keeping its objects in
/// memory) the merges are made as they would be, and no ref or note moves.
pub fn apply(
    store: &Store,
    who: &Identity,
    tracking: &Tracking,
    plan: &Plan,
    dry_run: bool,
    mut left_out: impl FnMut(&str, &Error),
) -> Result<Applied> {
    let git = store.git;
    let remote = &tracking.remote;
    let mut applied = Applied::default();
    let mut moves: Vec<RefUpdate> = Vec::new();
    let mut changed: Vec<String> = Vec::new();
    // Hundreds of merges make thousands of objects: written as one pack, not a file each.
    let mut batch = git.batch();
    let merges = Store::new(&batch);
    for Planned { name, ours, step } in &plan.releases {
        let new = match step {
            Step::Same => continue,
            Step::LeaveOut { why } => {
                left_out(name, why);
                applied.left_out.push(name.clone());
                continue;
            }
            Step::Keep => {
                applied.done.push((name.clone(), Done::Kept));
                applied.to_push.push(name.clone());
                continue;
            }
            Step::Take {
                theirs,
                tag,
                gained,
            } => {
                applied
                    .done
                    .push((name.clone(), Done::Took { gained: *gained }));
                applied.moved.insert(name.clone(), tag.clone());
                *theirs
            }
            Step::Merge { theirs } => {
                let mine = ours.expect("a merge has both sides");
                let message = format!("sync: merge {remote}'s events");
                let merged = match merges.merge(who, name, mine, *theirs, &message) {
                    Ok(merged) => merged,
                    Err(e) => {
                        let why = e.context(format!("merging with {remote}'s history"));
                        left_out(name, &why);
                        applied.left_out.push(name.clone());
                        continue;
                    }
                };
                applied.done.push((
                    name.clone(),
                    Done::Merged {
                        brought: merged.brought,
                    },
                ));
                applied.to_push.push(name.clone());
                applied.moved.insert(name.clone(), merged.release.tag);
                merged.commit
            }
        };
        moves.push(RefUpdate {
            name: format!("{RELEASE_PREFIX}{name}"),
            new,
            expect: ours.map_or(Expect::Absent, Expect::At),
            log: format!("release: sync with {remote}"),
        });
        changed.push(name.clone());
    }
    if dry_run {
        return Ok(applied);
    }
    let _kept = batch.write_kept_objects()?;
    // Local moves all in one transaction: if a local writer raced us, the round starts over.
    if !moves.is_empty() {
        match git.update_refs(&moves) {
            Ok(()) => {}
            Err(RefUpdateError::Raced) => {
                applied.raced = Some(Race::Releases);
                return Ok(applied);
            }
            Err(RefUpdateError::Failed(e)) => return Err(e),
        }
    }
    // Notes are derived. The remote's are the base (they hold what the other clones wrote),
    // and on top of them the note of every release that moved here, goes from here, or whose
    // note says something else here than there is made again from the release: a note
    // removed or gone stale on one side is written anew on both, never copied over the
    // other's.
    let mut renote: BTreeSet<String> = changed.into_iter().collect();
    if let Some(theirs) = git.ref_target(&tracking.notes)? {
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
            let take = RefUpdate {
                name: NOTES_REF.into(),
                new: theirs,
                expect: ours.map_or(Expect::Absent, Expect::At),
                log: format!("release: notes from {remote}"),
            };
            match git.update_refs(&[take]) {
                Ok(()) => renote.extend(applied.to_push.iter().cloned()),
                Err(RefUpdateError::Raced) => {
                    applied.raced = Some(Race::Notes);
                    return Ok(applied);
                }
                Err(RefUpdateError::Failed(e)) => return Err(e),
            }
        }
    }
    let (kept_here, renote): (Vec<String>, Vec<String>) = renote
        .into_iter()
        .partition(|name| applied.left_out.contains(name));
    store.update_notes(&renote)?;
    applied.notes_after_push = kept_here;
    Ok(applied)
}

/// The tags to look for on the remote, each with its release (they have the same name unless
/// a foreign tool wrote otherwise): those of the releases that `moved` (taken or merged, each
/// with the tag its new state names), and the missing tag of any other release here (`here`:
/// the tags this clone has). A tag that did not come with its release — the remote lacked it
/// then, or fetching it failed — is looked for again at every sync, until it comes.
pub fn tags_wanted(
    store: &Store,
    moved: &BTreeMap<String, Option<String>>,
    here: &BTreeSet<String>,
) -> Result<BTreeMap<String, String>> {
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
fn differing_notes(git: &Repo, ours: Option<Oid>, theirs: Oid) -> Result<BTreeSet<String>> {
    Ok(git
        .changed_paths(ours, theirs)?
        .into_iter()
        .map(|path| path.replace('/', ""))
        .collect())
}

/// Events in a release history (0 for none): read from its release.toml.
fn count_events(store: &Store, name: &str, head: Option<Oid>) -> Result<u64> {
    let Some(head) = head else { return Ok(0) };
    Ok(store.state_at(name, head)?.events)
}
