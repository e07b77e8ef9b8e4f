//! History: commits between two points, ancestry, and what a commit says.

use anyhow::{Result, anyhow};
use gix::bstr::ByteSlice;

use super::{Oid, Repo};
use crate::release::Actor;

pub struct CommitInfo {
    pub id: Oid,
    pub parents: Vec<Oid>,
    pub subject: String,
    /// The message after the subject line.
    pub body: String,
    pub author: Actor,
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

impl Repo {
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
        // Inflating commits for their messages is most of the work. Without a commit-graph
        // the walk inflated them already, into this handle's object cache: read them there.
        // With one, a long range is read on every core, each worker with its own handle.
        const CHUNK: usize = 2048;
        if walked.len() <= CHUNK || self.commit_graph()?.is_none() {
            return read_commits(&self.repo, &walked);
        }
        use rayon::prelude::*;
        let shared = self.repo.clone().into_sync();
        let parts: Vec<Result<Vec<CommitInfo>>> = walked
            .par_chunks(CHUNK)
            .map_init(
                || shared.to_thread_local(),
                |repo, chunk| read_commits(repo, chunk),
            )
            .collect();
        let mut commits = Vec::with_capacity(walked.len());
        for part in parts {
            commits.extend(part?);
        }
        Ok(commits)
    }

    /// Every commit reachable from `tip`, with its parents, newest first.
    pub fn history(&self, tip: Oid) -> Result<Vec<(Oid, Vec<Oid>)>> {
        self.repo
            .rev_walk([tip])
            .all()?
            .map(|info| {
                info.map(|i| (i.id, i.parent_ids.to_vec()))
                    .map_err(Into::into)
            })
            .collect()
    }

    /// The commit-graph, read once per command; `None` when there is none.
    fn commit_graph(&self) -> Result<Option<&gix::commitgraph::Graph>> {
        let graph = match self.commit_graph.get() {
            Some(graph) => graph,
            None => {
                let graph = self
                    .repo
                    .commit_graph_if_enabled()
                    .map_err(|e| anyhow!("reading the commit-graph: {e}"))?;
                self.commit_graph.get_or_init(|| graph)
            }
        };
        Ok(graph.as_ref())
    }

    /// Whether `ancestor` is reachable from `descendant` (cheap with a commit-graph).
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        let mut graph = self.repo.revision_graph(self.commit_graph()?);
        Ok(self
            .repo
            .merge_base_with_graph(ancestor, descendant, &mut graph)
            .map_err(|e| anyhow!("finding the merge base of {ancestor} and {descendant}: {e}"))?
            .is_some_and(|base| base.detach() == ancestor))
    }
}
