//! Revert and cherry-pick as three-way tree merges, without a worktree.

use anyhow::Result;

use super::{Oid, Repo};
use crate::error::Failure;

/// The result of applying one commit's change to another tree (revert, cherry-pick).
pub enum Applied {
    Clean {
        tree: Oid,
    },
    /// Paths git would leave conflicted; nothing is written for them.
    Conflicts(Vec<String>),
}

impl Repo {
    /// The change `commit` made, undone on top of `onto` (a commit): what `git revert` does,
    /// as a three-way merge of trees — base `commit`, ours `onto`, theirs `commit^`. The
    /// paths in `keep` are set to the given blobs on both sides of the change, so the revert
    /// leaves them as `onto` has them and never conflicts on them. A merge commit is reverted
    /// against its parent number `mainline` (from 1), as `git revert -m` does.
    pub fn revert_tree(
        &self,
        commit: Oid,
        mainline: Option<u32>,
        onto: Oid,
        keep: &[(String, Oid)],
    ) -> Result<Applied> {
        let parent = self.mainline_parent(commit, mainline)?;
        let mut base = self.tree_of(commit)?;
        let mut theirs = match parent {
            Some(p) => self.tree_of(p)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        if !keep.is_empty() {
            base = self.edit_tree(base, keep)?;
            theirs = self.edit_tree(theirs, keep)?;
        }
        self.merge3(
            base,
            self.tree_of(onto)?,
            theirs,
            "parent of the reverted commit",
        )
    }

    /// The change `commit` made, applied on top of `onto`: what `git cherry-pick` does —
    /// base `commit^`, ours `onto`, theirs `commit`.
    pub fn cherry_pick_tree(&self, commit: Oid, onto: Oid) -> Result<Applied> {
        let base = match self.mainline_parent(commit, None)? {
            Some(p) => self.tree_of(p)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        self.merge3(
            base,
            self.tree_of(onto)?,
            self.tree_of(commit)?,
            "picked commit",
        )
    }

    /// The parent a commit's change is taken against: its only one, or for a merge commit the
    /// one `mainline` numbers (from 1, as `git revert -m` and `git cherry-pick -m` count).
    /// `None` for a root commit. A merge without `mainline` is refused: which side to undo is
    /// the person's choice, as git makes it theirs.
    pub fn mainline_parent(&self, commit: Oid, mainline: Option<u32>) -> Result<Option<Oid>> {
        let info = self.commit_info(commit)?;
        let short = self.short(commit);
        match (info.parents.as_slice(), mainline) {
            ([], None) => Ok(None),
            ([one], None | Some(1)) => Ok(Some(*one)),
            ([_, _, ..], None) => Err(Failure::new(format!(
                "{short} is a merge commit and no --mainline was given; nothing was written"
            ))
            .hint(format!(
                "add --mainline 1 to undo what the merge brought into its first parent (the branch it was merged into), as `git revert -m 1 {short}` does; or name the commits the merge brought in (`git log --oneline {short}^1..{short}^2`)"
            ))
            .into()),
            (parents, Some(n)) => {
                let index = usize::try_from(n).ok().and_then(|n| n.checked_sub(1));
                match index.and_then(|i| parents.get(i)) {
                    Some(parent) => Ok(Some(*parent)),
                    None => Err(Failure::usage(format!(
                        "--mainline {n}: {short} has {} {}, numbered from 1; nothing was written",
                        parents.len(),
                        if parents.len() == 1 { "parent" } else { "parents" }
                    ))
                    .into()),
                }
            }
        }
    }

    fn merge3(&self, base: Oid, ours: Oid, theirs: Oid, their_label: &str) -> Result<Applied> {
        // gix's merge writes its trees itself; in a shared repository they are made in memory
        // first and written as every other object is, with the modes the sharing asks for.
        if self.is_shared() && !self.in_memory {
            let mut batch = self.batch();
            let applied = batch.merge3(base, ours, theirs, their_label)?;
            drop(batch.write_kept_objects()?);
            return Ok(applied);
        }
        use gix::merge::tree::TreatAsUnresolved;
        let labels = gix::merge::blob::builtin_driver::text::Labels {
            ancestor: Some("base".into()),
            current: Some("ours".into()),
            other: Some(their_label.into()),
        };
        let options = self.repo.tree_merge_options()?;
        let mut outcome = self.repo.merge_trees(base, ours, theirs, labels, options)?;
        let how = TreatAsUnresolved::git();
        if outcome.has_unresolved_conflicts(how) {
            let mut paths: Vec<String> = outcome
                .conflicts
                .iter()
                .filter(|c| c.is_unresolved(how))
                .flat_map(|c| {
                    let (a, b) = c.changes_in_resolution();
                    [a.location().to_string(), b.location().to_string()]
                })
                .collect();
            paths.sort();
            paths.dedup();
            return Ok(Applied::Conflicts(paths));
        }
        Ok(Applied::Clean {
            tree: outcome.tree.write()?.detach(),
        })
    }
}
