//! Objects: reading blobs and trees, writing blobs, trees, commits and tags through gix's
//! object database, and batches of objects kept in memory, then written as one pack.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use gix::bstr::ByteSlice;

use super::{Identity, Oid, Repo};

/// A blob that differs between two trees: its path, and its id on each side (`None`: absent).
pub type BlobChange = (String, Option<Oid>, Option<Oid>);

/// This process's umask, as Linux reports it (`/proc/self/status`); else the usual 022.
#[cfg(unix)]
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
            u32::from_str_radix(line.trim(), 8).ok()
        })
        .unwrap_or(0o022)
}

/// What the `.keep` file of a pack git-release just wrote says.
pub const KEEP_TEXT: &str = "git-release: kept until the refs that need it are written\n";

/// A pack just written, kept from `git gc` until this is dropped.
#[must_use = "drop it only once refs point at the objects"]
pub struct KeptPack(Option<PathBuf>);

impl Drop for KeptPack {
    fn drop(&mut self) {
        if let Some(keep) = self.0.take() {
            let _ = std::fs::remove_file(keep);
        }
    }
}

impl Repo {
    /// From now on, objects are written to memory only: a dry run can plan with real commits
    /// and trees and leave the repository exactly as it was.
    pub fn keep_objects_in_memory(&mut self) {
        self.repo = self.repo.clone().with_object_memory();
        self.in_memory = true;
    }

    /// Another handle on this repository whose object writes stay in memory until
    /// `write_kept_objects`: for commands that write many objects at once.
    pub fn batch(&self) -> Repo {
        Repo {
            repo: self.repo.clone().with_object_memory(),
            in_memory: true,
            shared: self.shared.clone(),
            reftable: self.reftable,
            commit_graph: Default::default(),
        }
    }

    /// Writes the objects kept in memory (see `batch`) to the object database, and keeps
    /// later ones in memory again. Many objects go into one pack with its index, few go loose,
    /// as git does with what it fetches (`transfer.unpackLimit`, 100). The returned guard
    /// holds the new pack's `.keep` file, which stops a concurrent `git gc` from dropping the
    /// not yet referenced objects; drop it once the refs point at them.
    pub fn write_kept_objects(&mut self) -> Result<KeptPack> {
        const UNPACK_LIMIT: usize = 100;
        self.shared_mode()?;
        let Some(kept) = self.repo.objects.take_object_memory() else {
            return Ok(KeptPack(None));
        };
        self.repo.objects.enable_object_memory();
        if kept.len() < UNPACK_LIMIT {
            for (id, (kind, data)) in kept.iter() {
                self.write_loose(*kind, data, *id)?;
            }
            return Ok(KeptPack(None));
        }
        use gix_pack::data::output;
        let entries = kept
            .iter()
            .map(|(id, (kind, data))| {
                output::Entry::from_data(
                    &output::Count::from_data(*id, None),
                    &gix::objs::Data::new(data, *kind, self.repo.object_hash()),
                    gix::zlib::Compression::BEST_SPEED,
                )
                .map_err(|e| anyhow!("packing {id}: {e}"))
            })
            .collect::<Result<Vec<_>>>()?;
        let count = u32::try_from(entries.len()).context("too many objects for one pack")?;
        let mut pack = Vec::new();
        for written in output::bytes::FromEntriesIter::new(
            std::iter::once(Ok::<_, gix::Error>(entries)),
            &mut pack,
            count,
            gix_pack::data::Version::V2,
            self.repo.object_hash(),
        ) {
            written.map_err(|e| anyhow!("writing the pack: {e}"))?;
        }
        let outcome = gix_pack::Bundle::write_to_directory(
            &mut pack.as_slice(),
            Some(&self.repo.objects.store_ref().path().join("pack")),
            &mut gix::progress::Discard,
            &std::sync::atomic::AtomicBool::new(false),
            None::<gix::objs::find::Never>,
            self.repo.object_hash(),
            Default::default(),
        )
        .map_err(|e| anyhow!("writing a pack of {count} objects: {e}"))?;
        // Held first, so that the `.keep` goes if sharing the files fails. Its text says whose
        // it is, so that `fsck --fix` can tell one a killed sync left from anyone else's.
        let kept = KeptPack(outcome.keep_path.clone());
        if let Some(keep) = &outcome.keep_path {
            std::fs::write(keep, KEEP_TEXT)
                .with_context(|| format!("writing {}", keep.display()))?;
        }
        // Read-only for everyone the umask allows, as git leaves a pack and its index (gix's
        // temporary files were 0600).
        for path in [&outcome.data_path, &outcome.index_path]
            .into_iter()
            .flatten()
        {
            #[cfg(unix)]
            let permissions = std::os::unix::fs::PermissionsExt::from_mode(0o444 & !umask());
            #[cfg(not(unix))]
            let permissions = {
                let mut permissions = std::fs::metadata(path)?.permissions();
                permissions.set_readonly(true);
                permissions
            };
            std::fs::set_permissions(path, permissions)
                .with_context(|| format!("making {} read-only", path.display()))?;
        }
        for path in [outcome.data_path, outcome.index_path, outcome.keep_path]
            .iter()
            .flatten()
        {
            self.give_shared_mode(path)?;
        }
        Ok(kept)
    }

    /// Takes on the objects a plan (a `batch` of this repository) made, once the plan is
    /// accepted: written to the object database as `write_kept_objects` writes them, or kept in
    /// memory when this repository keeps its own there (a dry run). Hold the guard until the
    /// refs point at them. A plan dropped instead leaves nothing behind.
    pub fn accept(&self, mut plan: Repo) -> Result<KeptPack> {
        if !self.in_memory {
            return plan.write_kept_objects();
        }
        if let Some(kept) = plan.repo.objects.take_object_memory() {
            for (kind, data) in kept.values() {
                self.write_new(*kind, data)?;
            }
        }
        Ok(KeptPack(None))
    }

    /// Writes the objects this repository holds in memory as loose objects into `dir`, an
    /// object directory of their own, and keeps them in memory: git reads them from there when
    /// `dir` is named in `GIT_ALTERNATE_OBJECT_DIRECTORIES`, and the repository's own object
    /// database stays as it was.
    pub fn export_kept_objects(&self, dir: &std::path::Path) -> Result<()> {
        use gix::objs::Write as _;
        let Some(kept) = self.repo.objects.reset_object_memory() else {
            return Ok(());
        };
        let store = gix::odb::loose::Store::at(dir, self.repo.object_hash());
        let mut result = Ok(());
        for (id, (kind, data)) in kept.iter() {
            if result.is_ok() {
                result = store
                    .write_buf_with_known_id(*kind, data, *id)
                    .map(drop)
                    .map_err(|e| anyhow!("writing object {id} to {}: {e}", dir.display()));
            }
            // Back into memory, whatever happened: the plan goes on reading them.
            self.repo.objects.write_buf(*kind, data)?;
        }
        result
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

    /// The text of the regular file at `path` in a commit's tree (not a link), invalid UTF-8
    /// replaced; refused when it is larger than `files::REPOSITORY_FILE_LIMIT`.
    pub fn text_at(&self, commit: Oid, path: &str) -> Result<Option<String>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(path)? else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let limit = crate::files::REPOSITORY_FILE_LIMIT;
        Ok(Some(self.read_text(entry.object_id(), limit, path)?))
    }

    /// Those of `paths` that are regular files in `commit`'s tree whose bytes contain
    /// `needle`, and those over `limit` bytes, which are not read: a file too large to look
    /// into counts as containing it (a gate fails closed). A symlink is followed inside the
    /// tree; one that leaves it, loops or dangles counts too.
    pub fn files_containing(
        &self,
        commit: Oid,
        paths: impl IntoIterator<Item = String>,
        needle: &str,
        limit: u64,
    ) -> Result<Vec<String>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let mut found = Vec::new();
        for path in paths {
            let Some(mut entry) = tree.lookup_entry_by_path(&path)? else {
                continue;
            };
            // A symlink runs what it points to: follow it inside the tree. One that leaves
            // the tree, loops or dangles cannot be looked into, and counts (fails closed).
            let mut at = path.clone();
            let mut hops = 0;
            while entry.mode().is_link() {
                let target = self.read_blob(entry.object_id())?;
                let next = std::str::from_utf8(&target)
                    .ok()
                    .and_then(|t| resolve_link(&at, t));
                let Some(next) = next.filter(|_| hops < 8) else {
                    break;
                };
                let Some(next_entry) = tree.lookup_entry_by_path(&next)? else {
                    break;
                };
                at = next;
                entry = next_entry;
                hops += 1;
            }
            if entry.mode().is_link() {
                found.push(path);
                continue;
            }
            if !entry.mode().is_blob() {
                continue;
            }
            if self.repo.find_header(entry.object_id())?.size() > limit {
                found.push(path);
                continue;
            }
            if self.read_blob(entry.object_id())?.find(needle).is_some() {
                found.push(path);
            }
        }
        Ok(found)
    }

    /// The text of a blob a person wrote (a template, a plan), refused when it is over `limit`
    /// bytes; `what` names it in the error.
    pub fn read_text(&self, id: Oid, limit: u64, what: &str) -> Result<String> {
        let size = self.repo.find_header(id)?.size();
        if size > limit {
            return Err(crate::error::Failure::new(format!(
                "{what} is not read: it is larger than {} KiB",
                limit / 1024
            ))
            .hint("keep templates and plans small; nothing was written")
            .into());
        }
        Ok(String::from_utf8_lossy(&self.read_blob(id)?).into_owned())
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

    /// Every blob beneath the directory `dir` of a commit's tree, at any depth, by its path
    /// below `dir`.
    pub fn blobs_under(&self, commit: Oid, dir: &str) -> Result<Vec<(String, Oid)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(dir)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if entry.mode().is_tree() {
            self.collect_blobs(entry.object_id(), "", &mut out)?;
        }
        Ok(out)
    }

    /// The blobs beneath the directory `dir` that differ between two commits' trees: each
    /// path below `dir`, with its blob in `from` and in `to` (`None` where there is none).
    /// Subtrees the two commits share are not read, so a commit that adds one file costs the
    /// trees on that file's path, however many files there are.
    pub fn changed_blobs_under(&self, from: Oid, to: Oid, dir: &str) -> Result<Vec<BlobChange>> {
        let subtree = |commit: Oid| -> Result<Option<Oid>> {
            let tree = self.repo.find_commit(commit)?.tree()?;
            Ok(tree
                .lookup_entry_by_path(dir)?
                .filter(|e| e.mode().is_tree())
                .map(|e| e.object_id()))
        };
        let mut out = Vec::new();
        let blob = |mode: gix::object::tree::EntryMode| mode.is_blob();
        self.diff_entries(subtree(from)?, subtree(to)?, "", &blob, &mut out)?;
        Ok(out)
    }

    /// The entries that `keep` admits and that differ between two trees, with their ids on
    /// each side; subtrees with the same id on both sides are not read.
    fn diff_entries(
        &self,
        from: Option<Oid>,
        to: Option<Oid>,
        prefix: &str,
        keep: &dyn Fn(gix::object::tree::EntryMode) -> bool,
        out: &mut Vec<BlobChange>,
    ) -> Result<()> {
        use std::collections::BTreeMap;
        if from == to {
            return Ok(());
        }
        // Name → (is a tree, id), of the blobs and trees of one side.
        let entries = |tree: Option<Oid>| -> Result<BTreeMap<String, (bool, Oid)>> {
            let mut map = BTreeMap::new();
            if let Some(tree) = tree {
                for e in self.repo.find_tree(tree)?.decode()?.entries.iter() {
                    if e.mode.is_tree() || keep(e.mode) {
                        let name = e.filename.to_str_lossy().into_owned();
                        map.insert(name, (e.mode.is_tree(), e.oid.to_owned()));
                    }
                }
            }
            Ok(map)
        };
        let (before, after) = (entries(from)?, entries(to)?);
        let names: std::collections::BTreeSet<&String> =
            before.keys().chain(after.keys()).collect();
        for name in names {
            let (a, b) = (before.get(name).copied(), after.get(name).copied());
            if a == b {
                continue;
            }
            let path = format!("{prefix}{name}");
            let tree = |side: Option<(bool, Oid)>| side.filter(|(t, _)| *t).map(|(_, id)| id);
            let blob = |side: Option<(bool, Oid)>| side.filter(|(t, _)| !*t).map(|(_, id)| id);
            if tree(a).is_some() || tree(b).is_some() {
                self.diff_entries(tree(a), tree(b), &format!("{path}/"), keep, out)?;
            }
            if blob(a).is_some() || blob(b).is_some() {
                out.push((path, blob(a), blob(b)));
            }
        }
        Ok(())
    }

    fn collect_blobs(&self, tree: Oid, prefix: &str, out: &mut Vec<(String, Oid)>) -> Result<()> {
        let mut subtrees = Vec::new();
        {
            let tree = self.repo.find_tree(tree)?;
            for e in tree.decode()?.entries.iter() {
                let path = format!("{prefix}{}", e.filename.to_str_lossy());
                if e.mode.is_tree() {
                    subtrees.push((e.oid.to_owned(), path + "/"));
                } else if e.mode.is_blob() {
                    out.push((path, e.oid.to_owned()));
                }
            }
        }
        for (tree, prefix) in subtrees {
            self.collect_blobs(tree, &prefix, out)?;
        }
        Ok(())
    }

    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid> {
        self.write_new(gix::object::Kind::Blob, bytes)
    }

    /// Writes an object through the object database: to memory in a batch or dry run, else
    /// loose. Objects we just made are new, so gix's "is it there already" lookup is skipped;
    /// one that was there is written loose again, and `git gc` drops the copy.
    fn write_new(&self, kind: gix::object::Kind, data: &[u8]) -> Result<Oid> {
        use gix::objs::Write as _;
        if self.in_memory {
            return Ok(self.repo.objects.write_buf(kind, data)?);
        }
        let id = gix::objs::compute_hash(self.repo.object_hash(), kind, data)?;
        self.write_loose(kind, data, id)?;
        Ok(id)
    }

    /// A loose object through gix's loose store, then given the mode `core.sharedRepository`
    /// asks for (gix-odb makes it 0444 whatever the sharing), with its fan-out directory.
    fn write_loose(&self, kind: gix::object::Kind, data: &[u8], id: Oid) -> Result<()> {
        use gix::objs::Write as _;
        self.shared_mode()?;
        let store = gix::odb::loose::Store::at(
            self.repo.objects.store_ref().path(),
            self.repo.object_hash(),
        );
        let path = store.object_path(&id);
        let fan_out_was_there = path.parent().is_some_and(std::path::Path::exists);
        store
            .write_buf_with_known_id(kind, data, id)
            .map_err(|e| anyhow!("writing object {id}: {e}"))?;
        if self.is_shared() {
            if !fan_out_was_there && let Some(dir) = path.parent() {
                self.give_shared_mode(dir)?;
            }
            self.give_shared_mode(&path)?;
        }
        Ok(())
    }

    /// `write_new` for an object to encode first.
    fn write_new_object(&self, object: &impl gix::objs::WriteTo) -> Result<Oid> {
        let mut data = Vec::with_capacity(object.size() as usize);
        object.write_to(&mut data)?;
        self.write_new(object.kind(), &data)
    }

    /// Writes the tree of `base` (a commit, or nothing for an empty tree) with blobs put at paths.
    pub fn write_tree(&self, base: Option<Oid>, blobs: &[(String, Oid)]) -> Result<Oid> {
        self.write_tree_emptying(base, None, blobs)
    }

    /// Writes the tree of `base` without the directory `empty` (if given), then with blobs put
    /// at paths, which may be inside that directory again.
    pub fn write_tree_emptying(
        &self,
        base: Option<Oid>,
        empty: Option<&str>,
        blobs: &[(String, Oid)],
    ) -> Result<Oid> {
        let tree = match base {
            Some(commit) => self.tree_of(commit)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        self.edit_tree_emptying(tree, empty, blobs)
    }

    /// Writes `tree` with regular-file blobs put at paths.
    ///
    /// gix's own `edit_tree` checks, for every tree it writes, that each entry's object exists:
    /// on a release with 10,000 events that is 10,000 lookups (loose ones a `stat` each) to add
    /// one event. The plumbing editor skips that; the entries it keeps come from a valid tree, and
    /// the ones we add are checked here, name and object.
    pub fn edit_tree(&self, tree: Oid, blobs: &[(String, Oid)]) -> Result<Oid> {
        self.edit_tree_emptying(tree, None, blobs)
    }

    fn edit_tree_emptying(
        &self,
        tree: Oid,
        empty: Option<&str>,
        blobs: &[(String, Oid)],
    ) -> Result<Oid> {
        use gix::objs::tree::EntryKind;
        let root = if tree.is_empty_tree() {
            gix::objs::Tree::empty()
        } else {
            self.repo.find_tree(tree)?.decode()?.into()
        };
        let mut editor =
            gix::objs::tree::Editor::new(root, &self.repo.objects, self.repo.object_hash());
        if let Some(dir) = empty {
            editor.remove(dir.split('/'))?;
        }
        for (path, id) in blobs {
            for part in path.split('/') {
                gix::validate::path::component(part.into(), None, Default::default())
                    .map_err(|e| anyhow!("`{path}` cannot be a path in a tree: {e}"))?;
            }
            if !self.repo.has_object(id) {
                bail!("{id} (to be put at {path}) is not in the object database");
            }
            editor.upsert(path.split('/'), EntryKind::Blob, *id)?;
        }
        let id = editor.write(|tree| self.write_new_object(tree))?;
        Ok(id)
    }

    pub fn tree_of(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id()?.detach())
    }

    /// Every file (blob or link) of a commit's tree, with its path.
    pub fn files(&self, commit: Oid) -> Result<Vec<(String, Oid)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse().breadthfirst(&mut recorder)?;
        Ok(recorder
            .records
            .into_iter()
            .filter(|e| !e.mode.is_tree() && !e.mode.is_commit())
            .map(|e| (e.filepath.to_str_lossy().into_owned(), e.oid))
            .collect())
    }

    /// The paths whose file differs between two commits (added, changed or removed); `from`
    /// absent stands for an empty tree.
    pub fn changed_paths(
        &self,
        from: Option<Oid>,
        to: Oid,
    ) -> Result<std::collections::BTreeSet<String>> {
        let tree =
            |commit: Oid| -> Result<Oid> { Ok(self.repo.find_commit(commit)?.tree_id()?.detach()) };
        let mut out = Vec::new();
        // Blobs and symbolic links; subtrees with the same id are not read, so the cost
        // follows the change, not the size of the repository.
        let file = |mode: gix::object::tree::EntryMode| !mode.is_commit();
        self.diff_entries(
            from.map(tree).transpose()?,
            Some(tree(to)?),
            "",
            &file,
            &mut out,
        )?;
        Ok(out.into_iter().map(|(path, _, _)| path).collect())
    }

    /// The full message of a commit.
    pub fn message(&self, commit: Oid) -> Result<String> {
        Ok(self
            .repo
            .find_commit(commit)?
            .message_raw()?
            .to_str_lossy()
            .into_owned())
    }

    pub fn write_commit(
        &self,
        who: &Identity,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        self.commit_object(
            who.author.clone(),
            who.committer.clone(),
            message,
            tree,
            parents,
        )
    }

    /// Writes a commit authored as `original` was (name, e-mail and date, as git cherry-pick
    /// keeps them), committed by `who`.
    pub fn write_commit_authored_as(
        &self,
        original: Oid,
        who: &Identity,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        let source = self.repo.find_commit(original)?;
        let author = source.author()?.to_owned()?;
        self.commit_object(author, who.committer.clone(), message, tree, parents)
    }

    /// Writes a commit, signed the way git would sign it when `commit.gpgsign` is set.
    fn commit_object(
        &self,
        author: gix::actor::Signature,
        committer: gix::actor::Signature,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        let mut commit = gix::objs::Commit {
            tree,
            parents: parents.iter().copied().collect(),
            author,
            committer,
            encoding: None,
            message: message.into(),
            extra_headers: Vec::new(),
        };
        if let Some(signer) = self.signer("commit.gpgsign")? {
            let mut payload = Vec::new();
            gix::objs::WriteTo::write_to(&commit, &mut payload)?;
            let signature = signer.sign(&payload, "commit.gpgsign")?;
            commit
                .extra_headers
                .push(("gpgsig".into(), signature.into()));
        }
        self.write_new_object(&commit)
    }

    /// Writes an annotated tag object (not its ref) for `target`, signed as `git tag` signs
    /// when `tag.gpgSign` is set.
    pub fn write_tag(&self, who: &Identity, name: &str, target: Oid, message: &str) -> Result<Oid> {
        let mut tag = gix::objs::Tag {
            target,
            target_kind: gix::object::Kind::Commit,
            name: name.into(),
            tagger: Some(who.committer.clone()),
            message: message.into(),
            signature: None,
        };
        if let Some(signer) = self.signer("tag.gpgsign")? {
            // git signs the object up to the end of its message and appends the signature;
            // gix writes a newline between message and signature, so the message goes without
            // its own and the newline is part of what is signed.
            tag.message = message.trim_end_matches('\n').into();
            let mut payload = Vec::new();
            gix::objs::WriteTo::write_to(&tag, &mut payload)?;
            payload.push(b'\n');
            tag.signature = Some(signer.sign(&payload, "tag.gpgSign")?.into());
        }
        self.write_new_object(&tag)
    }
}

/// The path inside the tree that the symlink at `link` with text `target` names, or `None`
/// when it is absolute or climbs out of the tree.
fn resolve_link(link: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = link.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}
