//! The fold of a release's events, remembered between runs in `.git/release-fold-cache/`:
//! one file per release, holding the release commit it was folded at and the state, and two
//! beside it: the commits that removed events, and the subject of the commit the release
//! points at (so that `status` reads no pack at all). Only what this tool computed is kept,
//! never a copy of a file a remote wrote (a subject is the commit's own, which its id names
//! for good), and an entry is believed only for the very commit it names. Deleting the
//! directory is always safe; a read-only repository works without it.

use std::path::PathBuf;

use crate::git::{Oid, Repo};
use crate::release::Release;

const DIR: &str = "release-fold-cache";
/// Names the version that wrote an entry: a newer build may fold the same events otherwise.
const HEADER: &str = concat!("git-release fold cache 4, ", env!("CARGO_PKG_VERSION"));

/// Writes an entry with `how`, making the cache's directory first; a cache that cannot be
/// written is skipped.
fn write(git: &Repo, path: &std::path::Path, text: &str, how: fn(&std::path::Path, &str)) {
    let Some(dir) = path.parent() else {
        return;
    };
    if !dir.exists() {
        if std::fs::create_dir_all(dir).is_err() {
            return;
        }
        let _ = git.give_shared_mode(dir);
    }
    how(path, text);
    let _ = git.give_shared_mode(path);
}

/// A checksum of an entry's state, which it is written with: entries are overwritten in
/// place, so one read while being written (or written by two at once) must not be believed.
/// Not a defence against anyone: only this user writes here (see `open`).
fn checksum(state: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::hash::DefaultHasher::new();
    state.hash(&mut hasher);
    format!("{:016x} {}", hasher.finish(), state.len())
}

#[derive(Clone)]
pub struct FoldCache {
    dir: Option<PathBuf>,
}

impl FoldCache {
    /// The cache of this repository; none at all while `refs/replace/` holds replacements
    /// (a commit id alone then no longer says what was folded), nor in a repository shared by
    /// a group, where another member could write an entry this user's gates would believe.
    pub fn open(git: &Repo) -> FoldCache {
        let replaced = git
            .refs_under("refs/replace/")
            .map_or(true, |refs| !refs.is_empty());
        FoldCache {
            dir: (!replaced && !git.is_shared()).then(|| git.common_dir().join(DIR)),
        }
    }

    /// Whether local caches may be believed at all (no `refs/replace/`).
    pub fn usable(&self) -> bool {
        self.dir.is_some()
    }

    /// The state of release `name` folded at `head`, if it was remembered for that commit.
    pub fn get(&self, name: &str, head: Oid) -> Option<Release> {
        let text = std::fs::read_to_string(self.path(name)?).ok()?;
        let rest = text.strip_prefix(HEADER)?.strip_prefix('\n')?;
        let (commit, rest) = rest.split_once('\n')?;
        if commit.parse::<Oid>().ok()? != head {
            return None;
        }
        let (sum, state) = rest.split_once('\n')?;
        if sum != checksum(state) {
            return None;
        }
        Release::from_toml(state).ok().filter(|r| r.name == name)
    }

    /// Remembers `release` as the fold at `head`; a cache that cannot be written is skipped.
    pub fn put(&self, git: &Repo, name: &str, head: Oid, release: &Release) {
        let Some(path) = self.path(name) else {
            return;
        };
        let state = release.to_toml();
        let text = format!("{HEADER}\n{head}\n{}\n{state}", checksum(&state));
        // Checksummed: written over in place, as every event rewrites it.
        write(git, &path, &text, crate::files::overwrite_cache);
    }

    /// The commits of release `name` that removed or rewrote event files, as remembered at
    /// some head of it (which this returns too): the caller brings it up to date.
    pub fn get_removals(&self, name: &str) -> Option<(Oid, Vec<String>)> {
        let text = std::fs::read_to_string(self.removals_path(name)?).ok()?;
        let rest = text.strip_prefix(HEADER)?.strip_prefix('\n')?;
        let mut lines = rest.lines();
        let head = lines.next()?.parse().ok()?;
        Some((head, lines.map(str::to_owned).collect()))
    }

    /// Remembers the removals of release `name` as of `head`.
    pub fn put_removals(&self, git: &Repo, name: &str, head: Oid, removals: &[String]) {
        let Some(path) = self.removals_path(name) else {
            return;
        };
        if removals.iter().any(|r| r.contains(['\n', '\r'])) {
            return;
        }
        let mut text = format!("{HEADER}\n{head}\n");
        for line in removals {
            text.push_str(line);
            text.push('\n');
        }
        write(git, &path, &text, crate::files::write_cache);
    }

    /// The subject of `commit`, the commit release `name` points at, if remembered for that
    /// very commit. A commit id names its message for good, so an entry is never stale.
    pub fn get_subject(&self, name: &str, commit: Oid) -> Option<String> {
        let text = std::fs::read_to_string(self.beside(name, "~subject")?).ok()?;
        let rest = text.strip_prefix(HEADER)?.strip_prefix('\n')?;
        let (id, subject) = rest.split_once('\n')?;
        let subject = subject.strip_suffix('\n')?;
        (id.parse::<Oid>().ok()? == commit && !subject.contains('\n')).then(|| subject.to_owned())
    }

    /// Remembers the subject of the commit release `name` points at; one of several lines
    /// (which a subject is not) or of more than a few kilobytes is not kept.
    pub fn put_subject(&self, git: &Repo, name: &str, commit: Oid, subject: &str) {
        let Some(path) = self.beside(name, "~subject") else {
            return;
        };
        if subject.contains(['\n', '\r']) || subject.len() > 4096 {
            return;
        }
        let text = format!("{HEADER}\n{commit}\n{subject}\n");
        write(git, &path, &text, crate::files::write_cache);
    }

    /// A release's file: its name with `/` and `%` percent-encoded, so every name is one file.
    fn path(&self, name: &str) -> Option<PathBuf> {
        let file = name.replace('%', "%25").replace('/', "%2F");
        Some(self.dir.as_ref()?.join(file))
    }

    /// Beside it, with `~`, which no release name has.
    fn removals_path(&self, name: &str) -> Option<PathBuf> {
        self.beside(name, "~removals")
    }

    /// A file beside a release's, its name ending in `suffix` (which starts with `~`).
    fn beside(&self, name: &str, suffix: &str) -> Option<PathBuf> {
        let mut path = self.path(name)?;
        path.as_mut_os_string().push(suffix);
        Some(path)
    }
}
