//! Refs: reading them, and moving several at once with compare-and-swap through gix's
//! transactions.

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use gix::bstr::ByteSlice;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

use super::{Oid, Repo};
use crate::error::Failure;

/// A ref as `refs_under_peeled` lists it: its name under the prefix, its target, and the
/// commit it peels to when packed-refs says so.
pub struct RefEntry {
    pub name: String,
    pub target: Oid,
    pub peeled: Option<Oid>,
}

/// What a ref must hold for an update to go ahead (compare-and-swap).
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    Absent,
    At(Oid),
}

#[derive(Clone, Debug)]
pub struct RefUpdate {
    pub name: String,
    pub new: Oid,
    pub expect: Expect,
    pub log: String,
}

/// Why a ref update did not happen.
#[derive(Debug)]
pub enum RefUpdateError {
    /// Someone else moved the ref first, or holds its lock right now: re-read and try again.
    Raced,
    Failed(anyhow::Error),
}

impl Repo {
    /// The commit `rev` names (tags are peeled), or `None` if it names nothing.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<Oid>> {
        let id = match self.repo.rev_parse_single(rev) {
            Ok(id) => id,
            Err(e) => {
                let why = e.to_string();
                if why.to_lowercase().contains("ambiguous") {
                    return Err(Failure::new(format!("`{rev}` is ambiguous: {why}"))
                        .hint("give more characters of the commit id")
                        .into());
                }
                return Ok(None);
            }
        };
        let object = id.object()?;
        match object.peel_to_commit() {
            Ok(commit) => Ok(Some(commit.id)),
            Err(_) => Err(Failure::new(format!("`{rev}` does not name a commit")).into()),
        }
    }

    /// The commit a ref points at, peeling tags; `None` if the ref does not exist.
    pub fn peel_ref(&self, name: &str) -> Result<Option<Oid>> {
        match self.repo.try_find_reference(name)? {
            None => Ok(None),
            Some(mut r) => Ok(Some(r.peel_to_commit()?.id)),
        }
    }

    /// What a ref points at directly, without peeling.
    pub fn ref_target(&self, name: &str) -> Result<Option<Oid>> {
        Ok(self
            .repo
            .try_find_reference(name)?
            .and_then(|r| r.target().try_id().map(ToOwned::to_owned)))
    }

    /// Names (without `prefix`) and direct targets of every ref under `prefix` (e.g. `refs/tags/`).
    pub fn refs_under(&self, prefix: &str) -> Result<Vec<(String, Oid)>> {
        self.refs_starting(prefix, "")
    }

    /// Like `refs_under(dir)`, but only the names that begin with `start`: a binary search in
    /// packed-refs rather than a pass over all of them.
    pub fn refs_starting(&self, dir: &str, start: &str) -> Result<Vec<(String, Oid)>> {
        let platform = self.repo.references()?;
        let mut out = Vec::new();
        let prefix = format!("{dir}{start}");
        for r in platform.prefixed(prefix.as_str())? {
            let r = r.map_err(|e| anyhow!("reading refs under {prefix}: {e}"))?;
            let Some(id) = r.target().try_id().map(ToOwned::to_owned) else {
                continue;
            };
            if let Some(short) = r.name().as_bstr().to_str_lossy().strip_prefix(dir) {
                out.push((short.to_owned(), id));
            }
        }
        Ok(out)
    }

    /// Every ref under `prefix`, with what it points at and, when packed-refs knows it, the
    /// commit a tag peels to. One pass; peel the rest with `commit_of` only where needed.
    pub fn refs_under_peeled(&self, prefix: &str) -> Result<Vec<RefEntry>> {
        let platform = self.repo.references()?;
        let mut out = Vec::new();
        for r in platform.prefixed(prefix)? {
            let r = r.map_err(|e| anyhow!("reading refs under {prefix}: {e}"))?;
            let Some(target) = r.target().try_id().map(ToOwned::to_owned) else {
                continue;
            };
            if let Some(short) = r.name().as_bstr().to_str_lossy().strip_prefix(prefix) {
                out.push(RefEntry {
                    name: short.to_owned(),
                    target,
                    peeled: r.inner.peeled,
                });
            }
        }
        Ok(out)
    }

    /// The commit a ref from `refs_under_peeled` stands for, tags peeled; `None` if it does not
    /// lead to a commit.
    pub fn commit_of(&self, entry: &RefEntry) -> Result<Option<Oid>> {
        if let Some(peeled) = entry.peeled {
            return Ok(Some(peeled));
        }
        if self.repo.find_header(entry.target)?.kind() == gix::object::Kind::Commit {
            return Ok(Some(entry.target));
        }
        Ok(self
            .repo
            .find_object(entry.target)?
            .peel_to_commit()
            .ok()
            .map(|c| c.id))
    }

    /// Moves every ref in `updates` at once, or none: each only if it still holds what it expects.
    pub fn update_refs(&self, updates: &[RefUpdate]) -> Result<(), RefUpdateError> {
        // A `core.sharedRepository` git would refuse stops every write, refs too.
        self.shared_mode().map_err(RefUpdateError::Failed)?;
        let mut edits = Vec::with_capacity(updates.len());
        for u in updates {
            let name = u.name.as_str().try_into().map_err(|e| {
                RefUpdateError::Failed(anyhow!("`{}` is not a valid ref name: {e}", u.name))
            })?;
            let expected = match u.expect {
                Expect::Absent => PreviousValue::MustNotExist,
                Expect::At(old) => PreviousValue::MustExistAndMatch(gix::refs::Target::Object(old)),
            };
            edits.push(RefEdit {
                change: Change::Update {
                    log: LogChange {
                        mode: RefLog::AndReference,
                        force_create_reflog: false,
                        message: u.log.as_str().into(),
                    },
                    expected,
                    new: gix::refs::Target::Object(u.new),
                },
                name,
                deref: false,
            });
        }
        // The reflog's committer is ours (gix's own would ask jiff for the time, see identity);
        // without one, gix refuses as it would have anyway.
        let who = self.identity().ok();
        let mut time = gix::date::parse::TimeBuf::default();
        let committer = who.as_ref().map(|w| w.committer.to_ref(&mut time));
        // A failure nothing explains when we look (no ref moved, no lock left) may still be a
        // writer that held a lock and rolled back just before we looked: try again, a few times,
        // before calling it an error; a real one fails the same way each time.
        let made: Vec<PathBuf> = updates
            .iter()
            .flat_map(|u| self.to_be_made(&u.name))
            .collect();
        let packed = self.packed_refs_file();
        let mut tries = 0;
        loop {
            let error = match self.repo.edit_references_as(edits.clone(), committer) {
                Ok(_) => {
                    self.give_shared_mode_to_made(&made, packed);
                    return Ok(());
                }
                Err(e) => e,
            };
            // Decide by looking, not by parsing the message: a ref that moved, or one whose
            // lock someone holds, is a lost race.
            for u in updates {
                let current = self.ref_target(&u.name).map_err(RefUpdateError::Failed)?;
                let moved = match u.expect {
                    Expect::Absent => current.is_some_and(|c| c != u.new),
                    Expect::At(old) => current != Some(old),
                };
                if moved || self.lock_path(&u.name).exists() {
                    return Err(RefUpdateError::Raced);
                }
            }
            tries += 1;
            if tries == 3 {
                return Err(RefUpdateError::Failed(
                    anyhow::Error::new(error).context("updating refs"),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(5 * tries));
        }
    }

    /// The lock file that holds up an update of the ref `name`: its own, or `packed-refs.lock`
    /// (gix's transaction locks `packed-refs` too) when only that one is there.
    pub fn lock_path(&self, name: &str) -> PathBuf {
        let own = self.repo.common_dir().join(format!("{name}.lock"));
        let packed = self.repo.common_dir().join("packed-refs.lock");
        if !own.exists() && packed.exists() {
            return packed;
        }
        own
    }

    /// What an update of the ref `name` by gix's transaction makes or writes, to be shared
    /// once it has: the ref's file (put in place by a rename, so always new), its reflog (git
    /// shares it at each entry it adds), and each directory above the two, up to the
    /// repository's own, that is not there yet. git gives modes only to what it makes; a
    /// directory that exists may be another user's. Nothing when the repository is not shared.
    fn to_be_made(&self, name: &str) -> Vec<PathBuf> {
        if !self.is_shared() {
            return Vec::new();
        }
        // Under GIT_NAMESPACE, the files are those of the namespaced name.
        let name = match &self.repo.refs.namespace {
            Some(namespace) => format!("{}{name}", namespace.as_bstr()),
            None => name.to_owned(),
        };
        let dir = self.repo.common_dir();
        let (file, log) = (dir.join(&name), dir.join("logs").join(&name));
        let mut made = Vec::new();
        for mut path in [file.parent(), log.parent()]
            .into_iter()
            .flatten()
            .map(Path::to_path_buf)
        {
            while path.starts_with(dir) && path != dir && !path.exists() {
                made.push(path.clone());
                path.pop();
            }
        }
        made.extend([file, log]);
        made
    }

    /// Which `packed-refs` file is there (its inode), to tell whether a transaction
    /// rewrote it. Nothing when the repository is not shared.
    fn packed_refs_file(&self) -> Option<u64> {
        if !self.is_shared() {
            return None;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt as _;
            std::fs::metadata(self.repo.common_dir().join("packed-refs"))
                .ok()
                .map(|m| m.ino())
        }
        #[cfg(not(unix))]
        None
    }

    /// `share` for what a transaction made (`to_be_made`) and a `packed-refs` it rewrote: each
    /// of them, whatever happens to the others (a directory another user made meanwhile
    /// cannot stop the ref from being shared). The refs have moved by then, so what could not
    /// be shared is a warning, not an error.
    fn give_shared_mode_to_made(&self, made: &[PathBuf], packed_before: Option<u64>) {
        let packed = self.packed_refs_file();
        let rewritten = (packed.is_some() && packed != packed_before)
            .then(|| self.repo.common_dir().join("packed-refs"));
        for path in made.iter().chain(&rewritten) {
            if path.exists()
                && let Err(e) = self.give_shared_mode(path)
            {
                crate::warn!("warning: {e:#}");
            }
        }
    }
}
