//! The only module that talks to git: gix for objects, refs, notes and history. Everything
//! above speaks this module's small vocabulary (`Repo`, `Oid`, `RefUpdate`, `CommitInfo`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use gix::bstr::ByteSlice;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

pub use gix::ObjectId as Oid;

use crate::error::Failure;
use crate::release::Actor;

pub struct Repo {
    repo: gix::Repository,
}

/// The identity a command acts as: author (the actor) and committer, with git's own time.
pub struct Identity {
    author: gix::actor::Signature,
    committer: gix::actor::Signature,
}

impl Identity {
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.author.name.to_string(),
            email: self.author.email.to_string(),
        }
    }
}

/// What a ref must hold for an update to go ahead (compare-and-swap).
#[derive(Clone, Copy, Debug)]
pub enum Expect {
    Absent,
    At(Oid),
}

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

pub struct CommitInfo {
    pub id: Oid,
    pub parents: Vec<Oid>,
    pub subject: String,
    /// The message after the subject line.
    pub body: String,
    pub author: Actor,
}

impl Repo {
    /// Opens the repository around the current directory, honouring `GIT_DIR` and friends.
    pub fn discover() -> Result<Repo> {
        let mut repo = gix::discover_with_environment_overrides(".").map_err(|e| {
            Failure::new(format!("not in a git repository: {e}"))
                .hint("run `git release` inside a clone, or `git init` one first")
        })?;
        repo.object_cache_size_if_unset(64 << 20);
        Ok(Repo { repo })
    }

    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// Who is acting: git's author and committer identity (config or `GIT_AUTHOR_*` etc.).
    pub fn identity(&self) -> Result<Identity> {
        let missing = || {
            Failure::new("git does not know who you are (no user.name / user.email)")
                .hint("git config --global user.name \"Your Name\" && git config --global user.email you@example.com")
        };
        let author = self
            .repo
            .author()
            .ok_or_else(missing)?
            .context("reading the author identity")?
            .to_owned()?;
        let committer = self
            .repo
            .committer()
            .ok_or_else(missing)?
            .context("reading the committer identity")?
            .to_owned()?;
        Ok(Identity { author, committer })
    }

    /// The commit `rev` names (tags are peeled), or `None` if it names nothing.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<Oid>> {
        let Ok(id) = self.repo.rev_parse_single(rev) else {
            return Ok(None);
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
        let platform = self.repo.references()?;
        let mut out = Vec::new();
        for r in platform.prefixed(prefix)? {
            let r = r.map_err(|e| anyhow!("reading refs under {prefix}: {e}"))?;
            let full = r.name().as_bstr().to_str_lossy().into_owned();
            let Some(id) = r.target().try_id().map(ToOwned::to_owned) else {
                continue;
            };
            if let Some(short) = full.strip_prefix(prefix) {
                out.push((short.to_owned(), id));
            }
        }
        Ok(out)
    }

    pub fn read_blob(&self, id: Oid) -> Result<Vec<u8>> {
        Ok(self.repo.find_blob(id)?.take_data())
    }

    /// The blob at `path` in a commit's tree, or `None` if there is none.
    pub fn blob_at(&self, commit: Oid, path: &str) -> Result<Option<(Oid, Vec<u8>)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(path)? else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let id = entry.object_id();
        Ok(Some((id, self.read_blob(id)?)))
    }

    /// The blobs directly inside the directory `dir` of a commit's tree, by file name.
    pub fn blobs_in(&self, commit: Oid, dir: &str) -> Result<Vec<(String, Oid)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(dir)? else {
            return Ok(Vec::new());
        };
        if !entry.mode().is_tree() {
            return Ok(Vec::new());
        }
        let sub = self.repo.find_tree(entry.object_id())?;
        let mut out = Vec::new();
        for e in sub.decode()?.entries.iter() {
            if e.mode.is_blob() {
                out.push((e.filename.to_str_lossy().into_owned(), e.oid.to_owned()));
            }
        }
        Ok(out)
    }

    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid> {
        Ok(self.repo.write_blob(bytes)?.detach())
    }

    /// Writes the tree of `base` (a commit, or nothing for an empty tree) with blobs put at paths.
    pub fn write_tree(&self, base: Option<Oid>, blobs: &[(String, Oid)]) -> Result<Oid> {
        let tree = match base {
            Some(commit) => self.repo.find_commit(commit)?.tree_id()?.detach(),
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        let mut editor = self.repo.edit_tree(tree)?;
        for (path, id) in blobs {
            editor.upsert(path.as_str(), gix::object::tree::EntryKind::Blob, *id)?;
        }
        Ok(editor.write()?.detach())
    }

    pub fn write_commit(
        &self,
        who: &Identity,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        let mut a = gix::date::parse::TimeBuf::default();
        let mut c = gix::date::parse::TimeBuf::default();
        let commit = self.repo.new_commit_as(
            who.committer.to_ref(&mut c),
            who.author.to_ref(&mut a),
            message,
            tree,
            parents.iter().copied(),
        )?;
        Ok(commit.id)
    }

    /// Writes an annotated tag object (not its ref) for `target`.
    pub fn write_tag(&self, who: &Identity, name: &str, target: Oid, message: &str) -> Result<Oid> {
        let tag = gix::objs::Tag {
            target,
            target_kind: gix::object::Kind::Commit,
            name: name.into(),
            tagger: Some(who.committer.clone()),
            message: message.into(),
            signature: None,
        };
        Ok(self.repo.write_object(&tag)?.detach())
    }

    /// Moves every ref in `updates` at once, or none: each only if it still holds what it expects.
    pub fn update_refs(&self, updates: &[RefUpdate]) -> Result<(), RefUpdateError> {
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
        match self.repo.edit_references(edits) {
            Ok(_) => Ok(()),
            Err(e) => {
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
                Err(RefUpdateError::Failed(
                    anyhow::Error::new(e).context("updating refs"),
                ))
            }
        }
    }

    /// Where git keeps the lock file of a ref.
    pub fn lock_path(&self, name: &str) -> PathBuf {
        self.repo.common_dir().join(format!("{name}.lock"))
    }

    pub fn commit_info(&self, id: Oid) -> Result<CommitInfo> {
        let commit = self.repo.find_commit(id)?;
        let decoded = commit.decode()?;
        let parents = decoded.parents().collect();
        commit_info(id, parents, &decoded)
    }

    /// Commits reachable from `tip` and not from `hidden`, newest first like `git log`,
    /// at most `limit` of them.
    pub fn commits_between(
        &self,
        tip: Oid,
        hidden: Option<Oid>,
        limit: usize,
    ) -> Result<Vec<CommitInfo>> {
        let walk = self
            .repo
            .rev_walk([tip])
            .with_hidden(hidden)
            .sorting(gix::revision::walk::Sorting::ByCommitTime(
                gix::traverse::commit::simple::CommitTimeOrder::NewestFirst,
            ))
            .all()?;
        let walked: Vec<(Oid, Vec<Oid>)> = walk
            .take(limit)
            .map(|info| info.map(|i| (i.id, i.parent_ids.to_vec())))
            .collect::<Result<_, _>>()?;
        // The walk knows the parents (from the commit-graph when there is one); each commit
        // is then read once for its message and author. Inflating commits is most of the
        // work, so a long range is read on every core.
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if walked.len() < 2048 || threads < 2 {
            return read_commits(&self.repo, &walked);
        }
        let chunk = walked.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let parts: Vec<_> = walked
                .chunks(chunk)
                .map(|part| {
                    let mut repo = self.repo.clone();
                    repo.object_cache_size(None);
                    scope.spawn(move || read_commits(&repo, part))
                })
                .collect();
            let mut out = Vec::with_capacity(walked.len());
            for part in parts {
                out.extend(part.join().expect("reading commits does not panic")?);
            }
            Ok(out)
        })
    }

    /// Whether `ancestor` is reachable from `descendant` (cheap with a commit-graph).
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        Ok(self
            .repo
            .merge_base(ancestor, descendant)
            .map_err(|e| anyhow!("finding the merge base of {ancestor} and {descendant}: {e}"))?
            .is_some_and(|base| base.detach() == ancestor))
    }

    /// The note `notes_ref` holds for `target`.
    pub fn note(&self, notes_ref: &str, target: Oid) -> Result<Option<String>> {
        let mut notes = self.repo.notes()?.with_refs([notes_ref])?;
        let found = notes.get(target)?;
        Ok(found
            .into_iter()
            .find(|n| n.reference.as_bstr() == notes_ref)
            .map(|n| n.blob.data.to_str_lossy().into_owned()))
    }

    /// Replaces the note on `target` (one commit on `notes_ref`, compare-and-swap on it).
    pub fn set_note(
        &self,
        notes_ref: &str,
        target: Oid,
        text: &str,
        message: &str,
    ) -> Result<(), RefUpdateError> {
        let before = self.ref_target(notes_ref).map_err(RefUpdateError::Failed)?;
        let result = self
            .repo
            .notes()
            .and_then(|n| n.with_refs([notes_ref]))
            .and_then(|n| {
                n.with_commit_message(message)
                    .replace(notes_ref, target, text)
            });
        match result {
            Ok(_) => Ok(()),
            Err(e) => {
                let after = self.ref_target(notes_ref).map_err(RefUpdateError::Failed)?;
                if after != before || self.lock_path(notes_ref).exists() {
                    Err(RefUpdateError::Raced)
                } else {
                    Err(RefUpdateError::Failed(
                        anyhow::Error::new(e).context("writing the note"),
                    ))
                }
            }
        }
    }

    /// The fetch URL of a remote, as configured (`git remote get-url NAME`).
    pub fn remote_url(&self, name: &str) -> Result<Option<String>> {
        let Ok(remote) = self.repo.find_remote(name) else {
            return Ok(None);
        };
        Ok(remote
            .url(gix::remote::Direction::Fetch)
            .map(|u| u.to_bstring().to_str_lossy().into_owned()))
    }

    pub fn short(&self, id: Oid) -> String {
        id.to_hex_with_len(7).to_string()
    }
}

fn commit_info(
    id: Oid,
    parents: Vec<Oid>,
    commit: &gix::objs::CommitRef<'_>,
) -> Result<CommitInfo> {
    let message = commit.message();
    let author = commit.author()?;
    Ok(CommitInfo {
        id,
        parents,
        subject: message.summary().to_str_lossy().into_owned(),
        body: message
            .body
            .map(|b| b.to_str_lossy().into_owned())
            .unwrap_or_default(),
        author: Actor {
            name: author.name.to_str_lossy().into_owned(),
            email: author.email.to_str_lossy().into_owned(),
        },
    })
}

fn read_commits(repo: &gix::Repository, walked: &[(Oid, Vec<Oid>)]) -> Result<Vec<CommitInfo>> {
    walked
        .iter()
        .map(|(id, parents)| {
            let commit = repo.find_commit(*id)?;
            commit_info(*id, parents.clone(), &commit.decode()?)
        })
        .collect()
}
