//! `refs/notes/release`: reading a note, and writing many in one notes commit.

use anyhow::Result;
use gix::bstr::ByteSlice;

use super::{Expect, Oid, RefUpdate, RefUpdateError, Repo};

impl Repo {
    /// The note `notes_ref` holds for `target`.
    pub fn note(&self, notes_ref: &str, target: Oid) -> Result<Option<String>> {
        if self.reftable {
            // gix's notes read the ref through the files backend: look in the tree ourselves.
            let Some(commit) = self.ref_target(notes_ref)? else {
                return Ok(None);
            };
            let mut state = gix::note::plumbing::State::new(self.tree_of(commit)?, &self.repo)?;
            return match state.get(&target, &self.repo)? {
                Some(blob) => Ok(Some(self.read_blob(blob)?.to_str_lossy().into_owned())),
                None => Ok(None),
            };
        }
        let mut notes = self.repo.notes()?.with_refs([notes_ref])?;
        let found = notes.get(target)?;
        Ok(found
            .into_iter()
            .find(|n| n.reference.as_bstr() == notes_ref)
            .map(|n| n.blob.data.to_str_lossy().into_owned()))
    }

    /// Puts many notes into one commit on `notes_ref` (compare-and-swap on it): `render` gets
    /// each target's current note and returns the new one.
    pub fn set_notes(
        &self,
        notes_ref: &str,
        targets: &[Oid],
        message: &str,
        mut render: impl FnMut(Oid, Option<String>) -> String,
    ) -> Result<(), RefUpdateError> {
        let fail = |e: anyhow::Error| RefUpdateError::Failed(e);
        let before = self.ref_target(notes_ref).map_err(fail)?;
        let root = match before {
            Some(commit) => self.tree_of(commit).map_err(fail)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        // A sync can change hundreds of notes: their objects go out as one pack.
        let mut batch = self.batch();
        let Some(commit) = batch
            .write_notes_commit(root, before, targets, message, &mut render)
            .map_err(fail)?
        else {
            return Ok(());
        };
        let _kept = batch.write_kept_objects().map_err(fail)?;
        self.update_refs(&[RefUpdate {
            name: notes_ref.to_owned(),
            new: commit,
            expect: before.map_or(Expect::Absent, Expect::At),
            log: format!("notes: {message}"),
        }])
    }

    /// The notes commit for `set_notes`: `None` when no note changes.
    fn write_notes_commit(
        &self,
        root: Oid,
        parent: Option<Oid>,
        targets: &[Oid],
        message: &str,
        render: &mut impl FnMut(Oid, Option<String>) -> String,
    ) -> Result<Option<Oid>> {
        let mut state = gix::note::plumbing::State::new(root, &self.repo)?;
        let mut changed = false;
        for &target in targets {
            let existing = match state.get(&target, &self.repo)? {
                Some(blob) => Some(self.read_blob(blob)?.to_str_lossy().into_owned()),
                None => None,
            };
            let text = render(target, existing.clone());
            if existing.as_deref() != Some(text.as_str()) {
                let blob = self.write_blob(text.as_bytes())?;
                state.edit(target, Some(blob), &self.repo)?;
                changed = true;
            }
        }
        if !changed {
            return Ok(None);
        }
        let tree = state.write(&self.repo)?;
        let who = self.identity()?;
        let (mut author_time, mut committer_time) = Default::default();
        let commit = self.repo.new_commit_as(
            who.committer.to_ref(&mut committer_time),
            who.author.to_ref(&mut author_time),
            message,
            tree,
            parent,
        )?;
        Ok(Some(commit.id))
    }
}
