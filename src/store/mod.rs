//! Releases stored in git. `refs/release/<name>` points to one commit per event; each commit's
//! tree holds `release.toml` (the folded state) and `events/<time>-<id>.toml` (fanned out into
//! subdirectories in a release of many events: see [`layout`]). Every write puts
//! objects first and then moves the ref with compare-and-swap, re-reading and re-applying the
//! event when another writer got there first. A summary note on the target commit is kept in
//! `refs/notes/release`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use chrono::{DateTime, SubsecRound, Utc};

use crate::error::Failure;
use crate::git::{Expect, Identity, Oid, RefUpdate, RefUpdateError, Repo};
use crate::release::event::FORMAT;
use crate::release::state::{merge, merge_note, merge_notes, sort};
use crate::release::{Event, EventKind, Release};

mod fold_cache;
mod layout;
pub mod sync;
use fold_cache::FoldCache;
use layout::EVENTS_DIR;

pub const RELEASE_PREFIX: &str = "refs/release/";
pub const TAG_PREFIX: &str = "refs/tags/";
pub const NOTES_REF: &str = "refs/notes/release";
const STATE_FILE: &str = "release.toml";
const ARTIFACTS_DIR: &str = "artifacts";

/// How long a writer keeps re-trying while other writers keep winning the race.
const RACE_BUDGET: Duration = Duration::from_secs(120);
/// How long a ref may stay locked without moving before the lock is taken to be stale: 5 s,
/// or the milliseconds in `GIT_RELEASE_STALE_LOCK_MS` (tests set it short).
fn stale_lock_after() -> Duration {
    std::env::var("GIT_RELEASE_STALE_LOCK_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(Duration::from_secs(5), Duration::from_millis)
}

pub fn release_ref(name: &str) -> String {
    format!("{RELEASE_PREFIX}{name}")
}

/// Why `name` cannot be a release, if it cannot: every name git-release gives is one valid
/// ref component (no `/`), and a ref that says otherwise (pushed by hand) is not taken as one.
pub fn invalid_name(name: &str) -> Option<&'static str> {
    crate::release::name::check_ref_component(name).err()
}

pub struct Store<'r> {
    git: &'r Repo,
    /// Folds computed before, by release commit.
    folds: FoldCache,
    /// The release refs as they were when a read-only render began (`page`): reads look
    /// them up here instead of in the ref store each time.
    heads: Option<std::sync::Arc<Heads>>,
}

/// Release name → the commit its ref pointed at.
pub type Heads = std::collections::HashMap<String, Oid>;

pub use fold_cache::FoldCache as Folds;

/// What a new release records and, unless `tag` is `None`, the annotated tag it creates.
pub struct NewRelease {
    pub name: String,
    pub target: Oid,
    pub previous: Option<String>,
    pub tag_message: Option<String>,
    /// A cherry-pick release: the release it was cut from, and the commits picked.
    pub from: Option<String>,
    pub picks: Vec<Oid>,
}

pub enum Created {
    Done(Box<Appended>),
    /// The name was taken (by a release or a tag) between choosing it and writing it.
    Taken,
}

/// What moves together with an event: files put into the release's tree (`artifacts/…`), and
/// other refs updated in the same all-or-nothing transaction (a roll-forward's branch).
#[derive(Default)]
pub struct With<'a> {
    pub files: &'a [(String, Vec<u8>)],
    pub refs: &'a [RefUpdate],
}

/// What `list` shows of a release. Cached in `.git/release-list-cache` by the commit the
/// release's ref points at, so listing thousands of releases does not read thousands of
/// blobs; the cache is local, derived, and checked against the refs every time.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub target: String,
    pub created: String,
    pub stage: String,
    pub events: u64,
    /// The release's tag, empty for none.
    pub tag: String,
}

/// A summary as read from the cache, borrowing the cache's text.
#[derive(Clone, Copy)]
struct CachedSummary<'t> {
    target: &'t str,
    created: &'t str,
    stage: &'t str,
    events: u64,
    tag: &'t str,
}

impl CachedSummary<'_> {
    fn into_summary(self) -> Summary {
        Summary {
            target: self.target.to_owned(),
            created: self.created.to_owned(),
            stage: self.stage.to_owned(),
            events: self.events,
            tag: self.tag.to_owned(),
        }
    }
}

/// The list cache is lines of tab-separated fields: name, head, target, created, events,
/// stage, tag. Reading it is most of what `list` does with two thousand releases, so it is plain
/// text rather than a serialization format.
const LIST_CACHE: &str = "release-list-cache";
const OLD_LIST_CACHE: &str = "release-list-cache.json";
const LIST_CACHE_HEADER: &str = "git-release list cache 2\n";

/// The cached summaries by name, with the head each was read at. A cache of another version,
/// or damaged, reads as empty (or loses the damaged lines): it is made again.
fn read_list_cache(text: &str) -> std::collections::HashMap<&str, (&str, CachedSummary<'_>)> {
    let Some(lines) = text.strip_prefix(LIST_CACHE_HEADER) else {
        return Default::default();
    };
    let mut cached = std::collections::HashMap::new();
    for line in lines.lines() {
        let mut fields = line.split('\t');
        let mut next = || fields.next();
        let (
            Some(name),
            Some(head),
            Some(target),
            Some(created),
            Some(events),
            Some(stage),
            Some(tag),
            None,
        ) = (
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
            next(),
        )
        else {
            continue;
        };
        let Ok(events) = events.parse() else {
            continue;
        };
        let summary = CachedSummary {
            target,
            created,
            stage,
            events,
            tag,
        };
        cached.insert(name, (head, summary));
    }
    cached
}

/// Adds one release to the cache's text, unless a field could not be read back (a tab or a
/// line break in a stage made from a config's environment name): that one goes uncached.
fn write_list_cache_line(cache: &mut String, name: &str, head: Oid, summary: &Summary) {
    let fields = [
        name,
        &summary.target,
        &summary.created,
        &summary.stage,
        &summary.tag,
    ];
    if fields.iter().any(|f| f.contains(['\t', '\n', '\r'])) {
        return;
    }
    use std::fmt::Write;
    let _ = writeln!(
        cache,
        "{name}\t{head}\t{}\t{}\t{}\t{}\t{}",
        summary.target, summary.created, summary.events, summary.stage, summary.tag
    );
}

/// An event prepared on top of `head` (the state there is `release`, after it `next`), and
/// its commit once written.
struct Written {
    head: Oid,
    release: Release,
    event: Event,
    next: Release,
    commit: Option<Oid>,
}

/// What `Store::merge` made.
pub struct Merged {
    pub commit: Oid,
    /// How many events the other history brought.
    pub brought: usize,
    /// The release as the merge commit's `release.toml` has it.
    pub release: Release,
}

pub struct Appended {
    pub event: Event,
    pub release: Release,
    /// The event is recorded, but the derived note could not be brought up to date (a stale
    /// lock, say); `git release fsck --fix` makes it again.
    pub note_error: Option<String>,
}

impl<'r> Store<'r> {
    pub fn new(git: &'r Repo) -> Store<'r> {
        Store::with(git, FoldCache::open(git), None)
    }

    /// A store using the fold cache a session opened once, and, for a read-only render, a
    /// snapshot of the release refs.
    pub fn with(
        git: &'r Repo,
        folds: FoldCache,
        heads: Option<std::sync::Arc<Heads>>,
    ) -> Store<'r> {
        Store { git, folds, heads }
    }

    /// Where release `name`'s ref points (from the snapshot, when there is one).
    fn head(&self, name: &str) -> Result<Option<Oid>> {
        match &self.heads {
            Some(heads) => Ok(heads.get(name).copied()),
            None => self.git.ref_target(&release_ref(name)),
        }
    }

    /// Names of every recorded release (those with a ref), unordered.
    pub fn names(&self) -> Result<Vec<String>> {
        Ok(self
            .git
            .refs_under(RELEASE_PREFIX)?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// Names of the releases, and of the tags, that begin with `start`.
    pub fn names_starting(&self, start: &str) -> Result<(Vec<String>, Vec<String>)> {
        let names = |dir| -> Result<Vec<String>> {
            Ok(self
                .git
                .refs_starting(dir, start)?
                .into_iter()
                .map(|(name, _)| name)
                .collect())
        };
        Ok((names(RELEASE_PREFIX)?, names(TAG_PREFIX)?))
    }

    /// Names of every tag, unordered.
    pub fn tag_names(&self) -> Result<Vec<String>> {
        Ok(self
            .git
            .refs_under(TAG_PREFIX)?
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    pub fn exists(&self, name: &str) -> Result<bool> {
        if invalid_name(name).is_some() {
            return Ok(false);
        }
        Ok(self.head(name)?.is_some())
    }

    /// Every release ref with the commit it points at.
    pub fn heads(&self) -> Result<Vec<(String, Oid)>> {
        self.git.refs_under(RELEASE_PREFIX)
    }

    /// The summary of every release in `heads` (or why it cannot be read), by name.
    pub fn summaries(
        &self,
        heads: &[(String, Oid)],
    ) -> Result<std::collections::HashMap<String, Result<Summary, String>>> {
        let path = self.git.common_dir().join(LIST_CACHE);
        let text = match self.folds.usable() {
            true => std::fs::read_to_string(&path).unwrap_or_default(),
            false => String::new(),
        };
        let mut cached = read_list_cache(&text);
        let mut stale = false;
        let mut out = std::collections::HashMap::with_capacity(heads.len());
        for (name, head) in heads {
            let summary = match cached.remove(name.as_str()) {
                Some((seen, summary)) if seen.parse::<Oid>().ok() == Some(*head) => {
                    Ok(summary.into_summary())
                }
                outdated => {
                    stale |= outdated.is_some();
                    self.state_at(name, *head)
                        .map(|release| Summary {
                            target: release.target.clone(),
                            created: release.created.to_rfc3339(),
                            stage: release.stage(),
                            events: release.events,
                            tag: release.tag.clone().unwrap_or_default(),
                        })
                        .map_err(|e| format!("{e:#}"))
                        // A damaged release is not cached: it alone does not make the cache
                        // worth writing again.
                        .inspect(|_| stale = true)
                }
            };
            out.insert(name.clone(), summary);
        }
        // Entries left over belong to releases that are gone.
        if self.folds.usable() && (stale || !cached.is_empty()) {
            let mut fresh = String::from(LIST_CACHE_HEADER);
            for (name, head) in heads {
                if let Some(Ok(summary)) = out.get(name) {
                    write_list_cache_line(&mut fresh, name, *head, summary);
                }
            }
            crate::files::write_cache(&path, &fresh);
            let _ = self.git.give_shared_mode(&path);
            // The JSON cache that earlier builds wrote is never read again.
            let _ = std::fs::remove_file(self.git.common_dir().join(OLD_LIST_CACHE));
        }
        Ok(out)
    }

    /// A release's state: the fold of its events. `release.toml` is only a summary for
    /// plain-git readers; when it says something else, the fold wins and a warning says so.
    pub fn load(&self, name: &str) -> Result<Option<Release>> {
        if invalid_name(name).is_some() {
            return Ok(None);
        }
        let Some(head) = self.head(name)? else {
            return Ok(None);
        };
        Ok(Some(self.state_at(name, head)?))
    }

    /// The fold of the events at `head` of release `name`.
    pub fn state_at(&self, name: &str, head: Oid) -> Result<Release> {
        let release = self.fold_at(name, head)?;
        if release.updated > Utc::now() + FUTURE {
            warn_once(
                name,
                &format!(
                    "an event is dated {}, more than a day ahead; it is kept, and new events are dated by this clock (see `git release log`)",
                    release.updated.to_rfc3339()
                ),
            );
        }
        Ok(release)
    }

    fn fold_at(&self, name: &str, head: Oid) -> Result<Release> {
        if let Some(release) = self.folds.get(name, head) {
            return Ok(release);
        }
        let warned = WARNINGS.load(std::sync::atomic::Ordering::Relaxed);
        let events = self.events_at(name, head)?;
        if events.is_empty() {
            return Err(Failure::new(format!(
                "release {name} is damaged: commit {head} has no {EVENTS_DIR}/"
            ))
            .hint(format!("inspect it with `git show {head} --stat`"))
            .into());
        }
        let release = Release::fold(name, &events)?;
        if self.stored_at(name, head).ok().as_ref() != Some(&release) {
            warn_once(
                name,
                &format!(
                    "{STATE_FILE} does not match its events; the events are used (see `git release fsck`)"
                ),
            );
        }
        if WARNINGS.load(std::sync::atomic::Ordering::Relaxed) == warned {
            self.folds.put(self.git, name, head, &release);
        }
        Ok(release)
    }

    /// The `format` the `release.toml` of release `name` says it is written in (0 when it
    /// cannot be read).
    pub fn stored_format(&self, name: &str) -> Result<i64> {
        let head = self
            .git
            .ref_target(&release_ref(name))?
            .ok_or_else(|| no_such_release(name))?;
        let text = match self.git.blob_at(head, STATE_FILE)? {
            Some((_, bytes)) => String::from_utf8_lossy(&bytes).into_owned(),
            None => return Ok(0),
        };
        Ok(text
            .parse::<toml::Table>()
            .ok()
            .and_then(|t| t.get("format").and_then(toml::Value::as_integer))
            .unwrap_or(0))
    }

    /// What `release.toml` at `head` says, unchecked.
    pub fn stored_at(&self, name: &str, head: Oid) -> Result<Release> {
        let (blob, bytes) = self.git.blob_at(head, STATE_FILE)?.ok_or_else(|| {
            Failure::new(format!(
                "release {name} is damaged: commit {head} has no {STATE_FILE}"
            ))
            .hint(format!("inspect it with `git show {head} --stat`"))
        })?;
        let text = String::from_utf8_lossy(&bytes);
        Release::from_toml(&text).map_err(|why| {
            Failure::new(format!(
                "release {name} is damaged: {STATE_FILE} (blob {blob}) is unreadable: {why}"
            ))
            .hint(format!("see it with `git cat-file -p {blob}`"))
            .into()
        })
    }

    /// Every event of a release, in fold order (time, then id).
    pub fn events(&self, name: &str) -> Result<Vec<Event>> {
        let head = self.head(name)?.ok_or_else(|| no_such_release(name))?;
        self.events_at(name, head)
    }

    fn events_at(&self, name: &str, head: Oid) -> Result<Vec<Event>> {
        let paths = self.git.blobs_under(head, EVENTS_DIR)?;
        self.read_events(name, &paths, &Default::default())
    }

    /// The events whose files are at `paths` (under `events/`, with their blobs), in fold
    /// order. A file that `known` has with the same blob is not read again: its event is
    /// known already.
    fn read_events(
        &self,
        name: &str,
        paths: &[(String, Oid)],
        known: &std::collections::HashMap<&str, (Oid, &Event)>,
    ) -> Result<Vec<Event>> {
        let mut events = Vec::with_capacity(paths.len());
        let mut seen = std::collections::HashSet::new();
        for (path, blob) in paths {
            let damaged = |why: String| -> anyhow::Error {
                Failure::new(format!(
                    "release {name} is damaged: {EVENTS_DIR}/{path} (blob {blob}) {why}"
                ))
                .hint(format!("see it with `git cat-file -p {blob}`"))
                .into()
            };
            let Some(file) = layout::file_name(path) else {
                return Err(damaged("is nested deeper than event files are kept".into()));
            };
            let Some(id) = Event::id_from_file_name(file) else {
                return Err(damaged("is not named like an event file".into()));
            };
            if !seen.insert(file) {
                return Err(damaged("is there twice, in two directories".into()));
            }
            if let Some((known_blob, event)) = known.get(file)
                && known_blob == blob
            {
                events.push((*event).clone());
                continue;
            }
            let bytes = self.git.read_blob(*blob)?;
            let text = std::str::from_utf8(&bytes).map_err(|_| damaged("is not UTF-8".into()))?;
            let (event, format) = Event::from_toml_with_format(id, text)
                .map_err(|e| damaged(format!("is unreadable: {e}")))?;
            if format > FORMAT {
                warn_once(
                    name,
                    &format!(
                        "{EVENTS_DIR}/{path} is written in format {format}, newer than this git-release reads ({FORMAT}); it is read as well as it can be and kept as it is (update git-release)"
                    ),
                );
            }
            events.push(event);
        }
        sort(&mut events);
        Ok(events)
    }

    /// Folds the events again and compares with the stored `release.toml`.
    pub fn verify(&self, name: &str) -> Result<Result<Release, String>> {
        let head = self
            .git
            .ref_target(&release_ref(name))?
            .ok_or_else(|| no_such_release(name))?;
        let events = self.events_at(name, head)?;
        let folded = Release::fold(name, &events)?;
        let stored = match self.stored_at(name, head) {
            Ok(stored) => stored,
            Err(e) => return Ok(Err(format!("{e:#}"))),
        };
        if folded == stored {
            Ok(Ok(stored))
        } else {
            let (stored, folded) = (stored.to_toml(), folded.to_toml());
            let diff = similar::TextDiff::from_lines(&stored, &folded);
            let diff = diff
                .unified_diff()
                .context_radius(2)
                .header(&format!("{STATE_FILE} (stored)"), "folded from events/")
                .to_string();
            Ok(Err(format!(
                "{STATE_FILE} does not match its events:\n{}",
                diff.trim_end()
            )))
        }
    }

    /// Records a new release and creates its tag, both or neither.
    pub fn create(&self, who: &Identity, new: &NewRelease) -> Result<Created> {
        let event = new_event(
            who,
            EventKind::Started {
                target: new.target.to_string(),
                previous: new.previous.clone(),
                tag: new.tag_message.as_ref().map(|_| new.name.clone()),
                from: new.from.clone(),
                picks: new.picks.iter().map(ToString::to_string).collect(),
            },
            None,
        );
        let release = Release::begin(&new.name, &event)?;
        let commit = self.write_event_commit(who, None, &event, &release, &[])?;
        let mut updates = vec![RefUpdate {
            name: release_ref(&new.name),
            new: commit,
            expect: Expect::Absent,
            log: format!("release: start {}", new.name),
        }];
        if let Some(message) = &new.tag_message {
            let tag = self.git.write_tag(who, &new.name, new.target, message)?;
            updates.push(RefUpdate {
                name: format!("{TAG_PREFIX}{}", new.name),
                new: tag,
                expect: Expect::Absent,
                log: format!("release: tag {}", new.name),
            });
        }
        // Another writer holding a lock on one of these refs may still roll back, so a lock alone
        // does not mean the name is taken: only a ref that exists does. Wait out a live lock;
        // report one that the same lock file outlives stale_lock_after(), as left by a crashed process.
        let started = Instant::now();
        let mut attempt = 0u32;
        let mut stuck: Option<(PathBuf, Option<std::time::SystemTime>, Instant)> = None;
        loop {
            match self.git.update_refs(&updates) {
                Ok(()) => break,
                Err(RefUpdateError::Failed(e)) => return Err(e),
                Err(RefUpdateError::Raced) => {}
            }
            for u in &updates {
                if self.git.ref_target(&u.name)?.is_some() {
                    return Ok(Created::Taken);
                }
            }
            let locked = updates
                .iter()
                .map(|u| (u.name.as_str(), self.git.lock_path(&u.name)))
                .find_map(|(name, lock)| {
                    let modified = std::fs::metadata(&lock).ok()?.modified().ok();
                    Some((name, lock, modified))
                });
            match (locked, &stuck) {
                (Some((refname, lock, modified)), Some((seen, seen_modified, since)))
                    if *seen == lock && *seen_modified == modified =>
                {
                    if since.elapsed() > stale_lock_after() {
                        return Err(stale_lock(
                            refname,
                            &lock,
                            *since,
                            "remove it and try again",
                        ));
                    }
                }
                (Some((_, lock, modified)), _) => stuck = Some((lock, modified, Instant::now())),
                (None, _) => stuck = None,
            }
            if started.elapsed() > RACE_BUDGET {
                return Err(Failure::new(format!(
                    "gave up recording release {}: other writers kept its refs locked for {}s",
                    new.name,
                    RACE_BUDGET.as_secs()
                ))
                .hint("try again when the other writers are done")
                .into());
            }
            attempt += 1;
            backoff(attempt);
        }
        // The release is recorded: the note is derived, so its failure is only a warning.
        let note_error = self
            .update_note(&new.name, Some((commit, &release)))
            .err()
            .map(|e| format!("{e:#}"));
        Ok(Created::Done(Box::new(Appended {
            event,
            release,
            note_error,
        })))
    }

    /// Appends one event to a release. `decide` sees the current state and returns the event to
    /// record, `None` when there is nothing to record (signing twice), or an error (a gate is
    /// shut); after a lost race it is asked again with the newer state.
    pub fn append(
        &self,
        who: &Identity,
        name: &str,
        dry_run: bool,
        with: &With<'_>,
        mut decide: impl FnMut(&Release) -> Result<Option<EventKind>>,
    ) -> Result<Option<Appended>> {
        let refname = release_ref(name);
        let started = Instant::now();
        let mut stuck: Option<(Oid, Instant)> = None;
        let mut attempt = 0u32;
        // The event written on top of a head that has not moved since: a ref that was only
        // locked by another writer is tried again with the same commit, not a new one each
        // time (a crashed writer's lock would otherwise leave hundreds of objects behind).
        let mut written: Option<Written> = None;
        // A fold that warned is not remembered, nor one built on it.
        let warned = WARNINGS.load(std::sync::atomic::Ordering::Relaxed);
        loop {
            let head = self
                .git
                .ref_target(&refname)?
                .ok_or_else(|| no_such_release(name))?;
            let prepared = match written.take() {
                Some(w) if w.head == head => w,
                _ => {
                    let release = self.state_at(name, head)?;
                    let Some(kind) = decide(&release)? else {
                        return Ok(None);
                    };
                    // After the newest event its writer saw, leaving out any dated far ahead.
                    let after = if release.updated > Utc::now() + FUTURE {
                        let ahead = Utc::now() + FUTURE;
                        let events = self.events_at(name, head)?;
                        events.iter().map(|e| e.time).filter(|t| *t <= ahead).max()
                    } else {
                        Some(release.updated)
                    };
                    let event = new_event(who, kind, after);
                    // Applied on top when it sorts last; else (an event dated far ahead is
                    // there) folded in its place, as every reader will fold it.
                    let next = if event.time > release.updated {
                        let mut next = release.clone();
                        next.apply(&event);
                        next
                    } else {
                        let mut events = self.events_at(name, head)?;
                        events.push(event.clone());
                        sort(&mut events);
                        Release::fold(name, &events)?
                    };
                    if dry_run {
                        return Ok(Some(Appended {
                            event,
                            release: next,
                            note_error: None,
                        }));
                    }
                    Written {
                        head,
                        release,
                        event,
                        next,
                        commit: None,
                    }
                }
            };
            for other in with.refs {
                let current = self.git.ref_target(&other.name)?;
                let holds = match other.expect {
                    Expect::Absent => current.is_none(),
                    Expect::At(old) => current == Some(old),
                };
                if !holds {
                    return Err(Failure::new(format!(
                        "{} changed meanwhile; nothing was written",
                        other.name
                    ))
                    .hint("look at it, then run the command again")
                    .into());
                }
            }
            let commit = match prepared.commit {
                Some(commit) => commit,
                None => self.write_event_commit(
                    who,
                    Some(head),
                    &prepared.event,
                    &prepared.next,
                    with.files,
                )?,
            };
            let Written {
                release,
                event,
                next,
                ..
            } = &prepared;
            let mut updates = vec![RefUpdate {
                name: refname.clone(),
                new: commit,
                expect: Expect::At(head),
                log: format!("release: {}", event.kind.summary()),
            }];
            updates.extend(with.refs.iter().cloned());
            match self.git.update_refs(&updates) {
                Ok(()) => {
                    if WARNINGS.load(std::sync::atomic::Ordering::Relaxed) == warned {
                        self.folds.put(self.git, name, commit, next);
                    }
                    // Recorded: the note is derived, so its failure is only a warning. An
                    // event that does not change what the note shows (a comment) leaves it.
                    let shows_change =
                        release.target != next.target || release.note() != next.note();
                    let note_error = shows_change
                        .then(|| self.update_note(name, Some((commit, next))).err())
                        .flatten()
                        .map(|e| format!("{e:#}"));
                    return Ok(Some(Appended {
                        event: prepared.event,
                        release: prepared.next,
                        note_error,
                    }));
                }
                Err(RefUpdateError::Failed(e)) => return Err(e),
                Err(RefUpdateError::Raced) => {
                    self.check_progress(&refname, head, &mut stuck, started)?;
                    written = Some(Written {
                        commit: Some(commit),
                        ..prepared
                    });
                    attempt += 1;
                    backoff(attempt);
                }
            }
        }
    }

    /// Gives up on a lock nobody releases (a writer that crashed while holding it), and on a
    /// race that never ends.
    fn check_progress(
        &self,
        refname: &str,
        head: Oid,
        stuck: &mut Option<(Oid, Instant)>,
        started: Instant,
    ) -> Result<()> {
        let lock = self.git.lock_path(refname);
        match stuck {
            Some((seen, since)) if *seen == head => {
                if since.elapsed() > stale_lock_after() && lock.exists() {
                    return Err(stale_lock(
                        refname,
                        &lock,
                        *since,
                        "remove it and try again",
                    ));
                }
            }
            _ => *stuck = Some((head, Instant::now())),
        }
        if started.elapsed() > RACE_BUDGET {
            return Err(Failure::new(format!(
                "gave up writing {refname}: other writers kept moving it for {}s",
                RACE_BUDGET.as_secs()
            ))
            .hint("try again when the other writers are done")
            .into());
        }
        Ok(())
    }

    /// Merges two histories of one release: the union of their events (and artifacts), folded
    /// again, as a commit whose parents are both. Writes objects, moves no ref.
    pub fn merge(
        &self,
        who: &Identity,
        name: &str,
        ours: Oid,
        theirs: Oid,
        message: &str,
    ) -> Result<Merged> {
        // Both histories share most of their events: each file is read once, and theirs only
        // where their file differs from ours.
        let our_paths = self.git.blobs_under(ours, EVENTS_DIR)?;
        let their_paths = self.git.blobs_under(theirs, EVENTS_DIR)?;
        let our_events = self.read_events(name, &our_paths, &Default::default())?;
        let known: std::collections::HashMap<&str, (Oid, &Event)> = {
            // `read_events` checked every path; the events are in fold order, the paths not.
            let by_file: std::collections::HashMap<String, &Event> =
                our_events.iter().map(|e| (e.file_name(), e)).collect();
            our_paths
                .iter()
                .filter_map(|(path, blob)| {
                    let file = layout::file_name(path)?;
                    Some((file, (*blob, *by_file.get(file)?)))
                })
                .collect()
        };
        let their_events = self.read_events(name, &their_paths, &known)?;
        if let Some(why) = crate::release::state::started_apart(name, &our_events, &their_events) {
            return Err(Failure::new(why)
                .hint(format!(
                    "these are two releases: the clone whose start was the mistake deletes its copy \
                     (`git update-ref -d refs/release/{name}` and its tag) and starts again"
                ))
                .into());
        }
        let all = merge(&our_events, &their_events);
        let brought = all.len().saturating_sub(our_events.len());
        let release = Release::fold(name, &all)?;
        // Their event files that we lack (`read_events` checked every path of both).
        let mine: std::collections::HashSet<&str> = our_paths
            .iter()
            .filter_map(|(path, _)| layout::file_name(path))
            .collect();
        let missing = their_paths
            .iter()
            .filter_map(|(path, blob)| Some((layout::file_name(path)?, *blob)))
            .filter(|(file, _)| !mine.contains(file))
            .map(|(file, blob)| (file.to_owned(), blob))
            .collect();
        let Placement { empty, mut blobs } =
            self.place_events(name, Some(ours), mine.len() as u64, missing)?;
        let mine: std::collections::HashSet<String> = self
            .git
            .blobs_in(ours, ARTIFACTS_DIR)?
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        for (file, blob) in self.git.blobs_in(theirs, ARTIFACTS_DIR)? {
            if !mine.contains(&file) {
                blobs.push((format!("{ARTIFACTS_DIR}/{file}"), blob));
            }
        }
        blobs.push((
            STATE_FILE.to_owned(),
            self.git.write_blob(release.to_toml().as_bytes())?,
        ));
        let tree = self.git.write_tree_emptying(Some(ours), empty, &blobs)?;
        let commit = self.git.write_commit(who, message, tree, &[ours, theirs])?;
        Ok(Merged {
            commit,
            brought,
            release,
        })
    }

    /// Every version of every event file the history of release `name` ever held, with the
    /// commits that added it, and every commit that dropped or changed a file one of its
    /// parents had. Files are compared by name, so the fan-out move into `events/xx/` is
    /// neither an addition nor a removal.
    pub fn event_history(&self, name: &str, with_versions: bool) -> Result<EventHistory> {
        use std::collections::{BTreeMap, BTreeSet};
        let head = self
            .git
            .ref_target(&release_ref(name))?
            .ok_or_else(|| no_such_release(name))?;
        let commits = self.git.history(head)?;
        let mut versions: BTreeMap<(String, Oid), Vec<Oid>> = BTreeMap::new();
        let mut removals = Vec::new();
        for (commit, parents) in &commits {
            if parents.is_empty() {
                for (path, blob) in self.git.blobs_under(*commit, EVENTS_DIR)? {
                    if let Some(file) = layout::file_name(&path) {
                        versions
                            .entry((file.to_owned(), blob))
                            .or_default()
                            .push(*commit);
                    }
                }
                continue;
            }
            let changes = self.commit_changes(*commit, parents)?;
            for version in changes.added {
                versions.entry(version).or_default().push(*commit);
            }
            removals.extend(changes.removals);
        }
        if !with_versions {
            return Ok(EventHistory {
                recorded: Vec::new(),
                removals,
            });
        }
        let at_head: BTreeSet<(String, Oid)> = self
            .git
            .blobs_under(head, EVENTS_DIR)?
            .into_iter()
            .filter_map(|(path, blob)| Some((layout::file_name(&path)?.to_owned(), blob)))
            .collect();
        let mut recorded = Vec::with_capacity(versions.len());
        for ((file, blob), mut commits) in versions {
            // The walk is newest first; the oldest commit that added a version comes first.
            commits.reverse();
            let mut added_by = Vec::with_capacity(commits.len());
            for commit in commits {
                let names = self
                    .git
                    .blob_at(commit, STATE_FILE)?
                    .and_then(|(_, bytes)| {
                        String::from_utf8_lossy(&bytes)
                            .parse::<toml::Table>()
                            .ok()?
                            .get("name")?
                            .as_str()
                            .map(str::to_owned)
                    });
                added_by.push(Adder { commit, names });
            }
            // A version that cannot be read counts for nothing; its removal is reported.
            let Some(event) = self
                .read_events(name, &[(file.clone(), blob)], &Default::default())
                .ok()
                .and_then(|mut events| events.pop())
            else {
                continue;
            };
            recorded.push(Recorded {
                at_head: at_head.contains(&(file, blob)),
                event,
                added_by,
            });
        }
        Ok(EventHistory { recorded, removals })
    }

    /// The commits of release `name` that removed, rewrote or moved an event file, newest
    /// first, each as `format` says it: remembered by release commit, and brought up to date
    /// by the commits since, so that `status` does not walk the whole history each time.
    pub fn removals(&self, name: &str, format: impl Fn(&Removal) -> String) -> Result<Vec<String>> {
        let head = self
            .git
            .ref_target(&release_ref(name))?
            .ok_or_else(|| no_such_release(name))?;
        let lines: Vec<String> = match self.folds.get_removals(name) {
            Some((at, lines)) if at == head => return Ok(lines),
            Some((at, lines)) if self.git.commit_info(head)?.parents == [at] => {
                let changes = self.commit_changes(head, &[at])?;
                changes.removals.iter().map(&format).chain(lines).collect()
            }
            _ => self
                .event_history(name, false)?
                .removals
                .iter()
                .map(&format)
                .collect(),
        };
        self.folds.put_removals(self.git, name, head, &lines);
        Ok(lines)
    }

    /// What one commit of a release did to the event files its parents had: the versions it
    /// added (in no parent, in either layout) and the files it dropped, rewrote or moved.
    /// Only what differs from a parent is read: a commit that adds one event costs the trees
    /// on that event's path.
    pub fn commit_changes(&self, commit: Oid, parents: &[Oid]) -> Result<CommitChanges> {
        use std::collections::{BTreeMap, BTreeSet};
        // Where a file of this name is in a commit (either layout), and its blob.
        let lookup = |commit: Oid, file: &str| -> Result<Option<Oid>> {
            for path in layout::event_paths(file) {
                if let Some((blob, _)) = self.git.blob_at(commit, &path)? {
                    return Ok(Some(blob));
                }
            }
            Ok(None)
        };
        let mut new_versions = Vec::new();
        let mut added: BTreeSet<(String, Oid, String)> = BTreeSet::new();
        let mut dropped = BTreeMap::new();
        for parent in parents {
            for (path, old, new) in self.git.changed_blobs_under(*parent, commit, EVENTS_DIR)? {
                let Some(file) = layout::file_name(&path) else {
                    continue;
                };
                if let Some(new) = new {
                    added.insert((file.to_owned(), new, path.clone()));
                }
                let Some(old) = old else {
                    continue;
                };
                // The fan-out move keeps the file, in its other place.
                let change = match lookup(commit, file)? {
                    Some(now) if now == old => continue,
                    Some(_) => Change::Rewritten,
                    None => Change::Removed,
                };
                dropped.insert(file.to_owned(), change);
            }
        }
        // Same content at a path neither layout gives it: moved, not removed.
        for (file, change) in dropped.iter_mut() {
            if *change == Change::Removed
                && added.iter().any(|(f, _, path)| {
                    f == file && !layout::event_paths(f).contains(&format!("{EVENTS_DIR}/{path}"))
                })
            {
                *change = Change::Moved;
            }
        }
        for (file, blob, _) in added {
            // New in this commit only if no parent had it, in either layout.
            let mut anywhere = false;
            for parent in parents {
                anywhere |= lookup(*parent, &file)? == Some(blob);
            }
            if !anywhere {
                new_versions.push((file, blob));
            }
        }
        let removals = dropped
            .into_iter()
            .map(|(file, change)| Removal {
                commit,
                file,
                change,
            })
            .collect();
        Ok(CommitChanges {
            added: new_versions,
            removals,
        })
    }

    /// The event files of a release's commit, by file name, whichever layout it has.
    fn event_files(&self, name: &str, commit: Oid) -> Result<Vec<(String, Oid)>> {
        let mut files = Vec::new();
        for (path, blob) in self.git.blobs_under(commit, EVENTS_DIR)? {
            let Some(file) = layout::file_name(&path) else {
                return Err(Failure::new(format!(
                    "release {name} is damaged: {EVENTS_DIR}/{path} (blob {blob}) is nested \
                     deeper than event files are kept"
                ))
                .hint(format!("see it with `git cat-file -p {blob}`"))
                .into());
            };
            files.push((file.to_owned(), blob));
        }
        Ok(files)
    }

    /// Where new event files go in the tree of `base`, a release of `before` events. When the
    /// release has more than [`layout::FLAT_EVENTS`] with them and `events/` still holds files
    /// directly — the event that takes it past the limit, or a release that grew past it
    /// before this layout — every file already there moves into the fanned-out layout too.
    fn place_events(
        &self,
        name: &str,
        base: Option<Oid>,
        before: u64,
        mut files: Vec<(String, Oid)>,
    ) -> Result<Placement> {
        let after = before + files.len() as u64;
        let mut empty = None;
        if let Some(base) = base
            && layout::fanned(after)
            && !self.git.blobs_in(base, EVENTS_DIR)?.is_empty()
        {
            files.extend(self.event_files(name, base)?);
            empty = Some(EVENTS_DIR);
        }
        let blobs = files
            .into_iter()
            .map(|(file, blob)| (layout::event_path(&file, after), blob))
            .collect();
        Ok(Placement { empty, blobs })
    }

    /// Writes `release.toml` again from the events (after a tampered or torn state), as a
    /// commit of its own on top of the release.
    pub fn refold(&self, who: &Identity, name: &str) -> Result<Release> {
        let head = self
            .git
            .ref_target(&release_ref(name))?
            .ok_or_else(|| no_such_release(name))?;
        let release = Release::fold(name, &self.events_at(name, head)?)?;
        let blob = self.git.write_blob(release.to_toml().as_bytes())?;
        let tree = self
            .git
            .write_tree(Some(head), &[(STATE_FILE.to_owned(), blob)])?;
        let commit = self.git.write_commit(
            who,
            "fsck: fold release.toml again from the events",
            tree,
            &[head],
        )?;
        self.move_ref(name, Some(head), commit, "release: fsck --fix")
            .map_err(|e| match e {
                RefUpdateError::Raced => Failure::new(format!("release {name} changed meanwhile"))
                    .hint("run `git release fsck --fix` again")
                    .into(),
                RefUpdateError::Failed(e) => e,
            })?;
        self.update_note(name, Some((commit, &release)))?;
        Ok(release)
    }

    /// Moves a release ref from `old` (`None`: create it) to `new`, compare-and-swap.
    pub fn move_ref(
        &self,
        name: &str,
        old: Option<Oid>,
        new: Oid,
        log: &str,
    ) -> Result<(), RefUpdateError> {
        self.git.update_refs(&[RefUpdate {
            name: release_ref(name),
            new,
            expect: old.map_or(Expect::Absent, Expect::At),
            log: log.to_owned(),
        }])
    }

    /// Writes event blob, state blob, tree and commit; moves no ref.
    fn write_event_commit(
        &self,
        who: &Identity,
        parent: Option<Oid>,
        event: &Event,
        release: &Release,
        attachments: &[(String, Vec<u8>)],
    ) -> Result<Oid> {
        let file = (
            event.file_name(),
            self.git.write_blob(event.to_toml().as_bytes())?,
        );
        // `release` counts this event already.
        let Placement { empty, mut blobs } = self.place_events(
            &release.name,
            parent,
            release.events.saturating_sub(1),
            vec![file],
        )?;
        blobs.push((
            STATE_FILE.to_owned(),
            self.git.write_blob(release.to_toml().as_bytes())?,
        ));
        for (path, bytes) in attachments {
            blobs.push((path.clone(), self.git.write_blob(bytes)?));
        }
        let tree = self.git.write_tree_emptying(parent, empty, &blobs)?;
        let parents: Vec<Oid> = parent.into_iter().collect();
        self.git
            .write_commit(who, &event.kind.summary(), tree, &parents)
            .context("writing the event commit")
    }

    /// Brings the notes of many releases up to date in one notes commit (after a sync).
    pub fn update_notes(&self, names: &[String]) -> Result<()> {
        let mut by_target: std::collections::BTreeMap<Oid, Vec<Release>> =
            std::collections::BTreeMap::new();
        for name in names {
            if let Some(release) = self.load(name)? {
                let target: Oid = release
                    .target
                    .parse()
                    .with_context(|| format!("release {name} names a bad target"))?;
                by_target.entry(target).or_default().push(release);
            }
        }
        if by_target.is_empty() {
            return Ok(());
        }
        let targets: Vec<Oid> = by_target.keys().copied().collect();
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let result =
                self.git
                    .set_notes(NOTES_REF, &targets, "release: sync", |target, existing| {
                        merge_notes(existing.as_deref(), &by_target[&target])
                    });
            match result {
                Ok(()) => return Ok(()),
                Err(RefUpdateError::Failed(e)) => return Err(e),
                Err(RefUpdateError::Raced) if started.elapsed() < RACE_BUDGET => {
                    attempt += 1;
                    backoff(attempt);
                }
                Err(RefUpdateError::Raced) => {
                    return Err(Failure::new("gave up updating refs/notes/release")
                        .hint("`git release fsck --fix` rebuilds notes later")
                        .into());
                }
            }
        }
    }

    /// Brings the note on the release's target up to date with the release's newest state.
    /// The note is derived, so on a lost race it is simply made again from the refs.
    /// `written` is the commit just written and its state, not read again while the release's
    /// ref still points there.
    pub fn update_note(&self, name: &str, written: Option<(Oid, &Release)>) -> Result<()> {
        let refname = release_ref(name);
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let Some(head) = self.git.ref_target(&refname)? else {
                return Ok(());
            };
            let read;
            let release = match written {
                Some((commit, release)) if commit == head => release,
                _ => {
                    read = self.state_at(name, head)?;
                    &read
                }
            };
            let target: Oid = release
                .target
                .parse()
                .with_context(|| format!("release {name} names a bad target"))?;
            // The note is made from the notes tree the compare-and-swap expects, so a note
            // another writer added meanwhile is never overwritten with a stale one.
            match self.git.set_notes(
                NOTES_REF,
                &[target],
                &format!("release {name}: {}", release.stage()),
                |_, existing| merge_note(existing.as_deref(), release),
            ) {
                Ok(()) => {}
                Err(RefUpdateError::Failed(e)) => return Err(e),
                Err(RefUpdateError::Raced) => {
                    let lock = self.git.lock_path(NOTES_REF);
                    if started.elapsed() > stale_lock_after() && lock.exists() {
                        return Err(stale_lock(
                            NOTES_REF,
                            &lock,
                            started,
                            "remove it; `git release fsck --fix` then makes the notes again",
                        ));
                    }
                    if started.elapsed() > RACE_BUDGET {
                        return Err(Failure::new("gave up updating refs/notes/release")
                            .hint("`git release fsck --fix` makes the notes again")
                            .into());
                    }
                    attempt += 1;
                    backoff(attempt);
                    continue;
                }
            }
            // Someone recorded a newer event meanwhile: make sure the note shows it.
            if self.git.ref_target(&refname)? == Some(head) {
                return Ok(());
            }
        }
    }
}

/// Event files placed in a release's tree: the directory to empty first (when the files
/// already there move too), and every file to put, at its path.
struct Placement {
    empty: Option<&'static str>,
    blobs: Vec<(String, Oid)>,
}

/// The error for a lock that has outlived every writer we could be waiting for.
/// What the history of a release did with its event files ([`Store::event_history`]).
pub struct EventHistory {
    pub recorded: Vec<Recorded>,
    /// Commits that dropped or changed an event file: events are append-only, so each is
    /// tampering (or damage), newest first.
    pub removals: Vec<Removal>,
}

/// What one commit did to the event files its parents had ([`Store::commit_changes`]).
pub struct CommitChanges {
    /// The versions (file name, blob) it added: in no parent, in either layout.
    pub added: Vec<(String, Oid)>,
    pub removals: Vec<Removal>,
}

/// One version (file and content) of an event file that a release's history added.
pub struct Recorded {
    pub event: Event,
    /// The commits that added this version (it is in their tree, in no parent's), oldest first.
    pub added_by: Vec<Adder>,
    /// Whether the release's newest commit still has it.
    pub at_head: bool,
}

/// A commit that added an event, and the release its own `release.toml` names: a signature
/// on the commit covers that tree, so the name is part of what was signed.
pub struct Adder {
    pub commit: Oid,
    pub names: Option<String>,
}

/// A commit that no longer has an event file one of its parents had, or has it changed.
pub struct Removal {
    pub commit: Oid,
    pub file: String,
    pub change: Change,
}

/// What a commit did to an event file its parent had.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Removed,
    /// Same file name, other content.
    Rewritten,
    /// Same content, at a path neither layout gives it.
    Moved,
}

fn stale_lock(refname: &str, lock: &Path, since: Instant, remedy: &str) -> anyhow::Error {
    Failure::new(format!(
        "{refname} has been locked for {}s",
        since.elapsed().as_secs()
    ))
    .hint(format!(
        "if no other git process is running, a crashed one left {}; {remedy} (`git release fsck --fix` removes a lock untouched for a minute)",
        lock.display()
    ))
    .into()
}

/// How many warnings about releases this command gave: a fold made while one was given is
/// not remembered, so that every command that reads the release says it again.
static WARNINGS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Says `what` of a release once per command, however often the release is read.
fn warn_once(name: &str, what: &str) {
    WARNINGS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    static WARNED: std::sync::Mutex<Vec<(String, String)>> = std::sync::Mutex::new(Vec::new());
    let mut warned = WARNED.lock().unwrap_or_else(|e| e.into_inner());
    if !warned.iter().any(|(n, w)| n == name && w == what) {
        warned.push((name.to_owned(), what.to_owned()));
        crate::warn!("warning: release {name}: {what}");
    }
}

fn no_such_release(name: &str) -> anyhow::Error {
    Failure::new(format!("no release named {name}"))
        .hint("`git release list` shows the releases")
        .into()
}

/// Stamps a new event: git's identity, a fresh id, and a time strictly after every event the
/// writer has seen (so an event never sorts before the state it was decided on, even when
/// clocks disagree).
/// How far ahead of this clock an event may be dated before it is taken to be wrong: it is
/// then kept and named, but a new event is not dated after it.
const FUTURE: chrono::TimeDelta = chrono::TimeDelta::days(1);

/// A new event, dated now, or just after the newest event its writer saw when another clock
/// ran a little ahead, so that cause stays before effect. An event dated more than a day ahead
/// (a wrong clock, or a forged file) is not followed: that would date every later event after
/// it, up to names no reader takes.
fn new_event(who: &Identity, kind: EventKind, after: Option<DateTime<Utc>>) -> Event {
    let now = Utc::now().trunc_subsecs(6);
    let time = match after {
        Some(last) if now <= last && last <= now + FUTURE => {
            last + chrono::Duration::microseconds(1)
        }
        _ => now,
    };
    Event::new(random_id(), time, who.actor(), kind)
}

fn random_id() -> String {
    format!("{:012x}", random_u64() & 0xffff_ffff_ffff)
}

/// From the operating system's random source, which does not fail on the systems git runs on.
fn random_u64() -> u64 {
    getrandom::u64().expect("the operating system's random number source failed")
}

/// Randomised, growing pause between attempts so that racing writers spread out.
fn backoff(attempt: u32) {
    let cap_ms = (2u64 << attempt.min(6)).min(100);
    let ms = 1 + random_u64() % cap_ms;
    std::thread::sleep(Duration::from_millis(ms));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(stage: &str) -> Summary {
        Summary {
            target: "1".repeat(40),
            created: "2026-11-20T10:00:00+00:00".into(),
            stage: stage.into(),
            events: 7,
            tag: "2026-11-20".into(),
        }
    }

    #[test]
    fn the_list_cache_reads_back_what_it_wrote() {
        let head: Oid = "2".repeat(40).parse().unwrap();
        let mut text = String::from(LIST_CACHE_HEADER);
        write_list_cache_line(&mut text, "2026-11-20", head, &summary("deployed to stage"));
        write_list_cache_line(&mut text, "2026-11-21", head, &summary("odd\tstage"));
        let untagged = Summary {
            tag: String::new(),
            ..summary("started")
        };
        write_list_cache_line(&mut text, "2026-11-22", head, &untagged);
        let cached = read_list_cache(&text);
        assert_eq!(cached.len(), 2, "a field with a tab is not cached: {text}");
        let (seen, read) = cached["2026-11-20"];
        assert_eq!(seen, head.to_string());
        assert_eq!(read.into_summary(), summary("deployed to stage"));
        assert_eq!(cached["2026-11-22"].1.into_summary(), untagged);
    }

    #[test]
    fn a_list_cache_of_another_version_or_damaged_reads_as_empty() {
        assert!(read_list_cache("").is_empty());
        assert!(read_list_cache("{\"2026-11-20\": []}").is_empty());
        let version_1 = "git-release list cache 1\n2026-11-20\tabc\tdef\t2026\t1\tstarted\n";
        assert!(read_list_cache(version_1).is_empty());
        let damaged =
            format!("{LIST_CACHE_HEADER}2026-11-20\tabc\tdef\n2026-11-21\ta\tb\tc\tx\ts\n");
        assert!(read_list_cache(&damaged).is_empty());
    }
}
