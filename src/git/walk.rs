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

impl Repo {
    pub fn commit_info(&self, id: Oid) -> Result<CommitInfo> {
        let commit = self.repo.find_commit(id)?;
        let decoded = commit.decode()?;
        let parents = decoded.parents().collect();
        commit_info(id, parents, &decoded)
    }

    /// Commits reachable from `tip` and not from `hidden` (`git log hidden..tip`), newest
    /// first, at most `limit` of them.
    pub fn commits_between(
        &self,
        tip: Oid,
        hidden: Option<Oid>,
        limit: usize,
    ) -> Result<Vec<CommitInfo>> {
        Ok(self.range(tip, hidden, limit)?.commits)
    }

    /// `git log hidden..tip`, and whether `hidden` is an ancestor of `tip`, in one walk that
    /// reads each commit once, for its parents, date and message alike.
    ///
    /// gix's walk would find where the two histories meet first (painting the whole range),
    /// then walk it, then the messages would be read a third time: without a commit-graph,
    /// as in a fresh clone, every commit of the range inflated three times. This is git's own
    /// walk instead (`limit_list` in revision.c): both sides in commit-date order, the hidden
    /// side's mark passed down to parents already seen, until only hidden commits are queued,
    /// and a few more for commits dated out of order.
    pub fn range(&self, tip: Oid, hidden: Option<Oid>, limit: usize) -> Result<Range> {
        let mut walk = RangeWalk::new(self)?;
        walk.discover(tip, VISIBLE)?;
        if let Some(hidden) = hidden {
            walk.discover(hidden, HIDDEN)?;
        }
        // What git calls SLOP: commits popped after only hidden ones are left.
        const SLOP: u32 = 5;
        let mut slop = SLOP;
        let mut candidates = Vec::new();
        while let Some((_, _, id)) = walk.queue.pop() {
            let node = walk.nodes.get_mut(&id).expect("queued commits are known");
            node.flags &= !QUEUED;
            let flags = node.flags;
            let parents = node.parents.clone();
            if flags & HIDDEN == 0 {
                walk.visible_queued -= 1;
                candidates.push(id);
                for parent in parents {
                    walk.discover(parent, VISIBLE)?;
                }
                if hidden.is_none() && candidates.len() >= limit {
                    break;
                }
            } else {
                for parent in parents {
                    walk.hide(parent)?;
                }
            }
            if walk.visible_queued > 0 {
                slop = SLOP;
            } else if hidden.is_none() || {
                slop -= 1;
                slop == 0
            } {
                break;
            }
        }
        let hidden_is_ancestor =
            hidden.is_some_and(|h| walk.nodes.get(&h).is_some_and(|n| n.flags & VISIBLE != 0));
        let shown: Vec<Shown> = candidates
            .into_iter()
            .filter_map(|id| {
                let node = walk.nodes.remove(&id)?;
                let raw = walk.raw_at.get(node.info as usize).cloned();
                (node.flags & HIDDEN == 0).then_some((id, node.parents, raw))
            })
            .take(limit)
            .collect();
        Ok(Range {
            commits: self.messages(shown, &walk.raw)?,
            hidden_is_ancestor,
        })
    }

    /// The commits of a walk with what the log shows of them: read from the bytes the walk
    /// kept, or (where the commit-graph stood in) from the repository now; a long list on
    /// every core, each thread with its own handle.
    fn messages(&self, shown: Vec<Shown>, raw: &[u8]) -> Result<Vec<CommitInfo>> {
        let hash = self.repo.object_hash();
        let read = |repo: &gix::Repository, part: Vec<Shown>| {
            let mut buf = Vec::new();
            part.into_iter()
                .map(|(id, parents, at)| {
                    use gix::objs::FindExt;
                    let commit = match at {
                        Some(at) => gix::objs::CommitRef::from_bytes(&raw[at], hash),
                        None => repo.objects.find_commit(&id, &mut buf),
                    }
                    .map_err(|e| anyhow!("reading commit {id}: {e}"))?;
                    commit_info(id, parents, &commit)
                })
                .collect::<Result<Vec<_>>>()
        };
        const CHUNK: usize = 2048;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if shown.len() <= CHUNK || threads == 1 {
            return read(&self.repo, shown);
        }
        let per_thread = shown.len().div_ceil(threads);
        let mut parts = Vec::new();
        let mut rest = shown;
        while rest.len() > per_thread {
            let tail = rest.split_off(per_thread);
            parts.push(rest);
            rest = tail;
        }
        parts.push(rest);
        let shared = self.repo.clone().into_sync();
        let read = &read;
        let shared = &shared;
        let done: Vec<Result<Vec<CommitInfo>>> = std::thread::scope(|scope| {
            let workers: Vec<_> = parts
                .into_iter()
                .map(|part| scope.spawn(move || read(&shared.to_thread_local(), part)))
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err(anyhow!("a reading thread panicked")))
                })
                .collect()
        });
        let mut commits = Vec::new();
        for part in done {
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

/// A commit the log shows: its id, parents, and where the walk kept its bytes, if it did.
type Shown = (Oid, Vec<Oid>, Option<std::ops::Range<usize>>);

/// `git log hidden..tip`: the commits, and whether `hidden` is an ancestor of `tip`.
pub struct Range {
    pub commits: Vec<CommitInfo>,
    pub hidden_is_ancestor: bool,
}

/// Reachable from the tip.
const VISIBLE: u8 = 1;
/// Reachable from the hidden commit.
const HIDDEN: u8 = 2;
/// Waiting in the queue.
const QUEUED: u8 = 4;

struct Node {
    flags: u8,
    parents: Vec<Oid>,
    /// Where in `RangeWalk::raw` the commit is, when the walk read it (reached from the tip,
    /// and not in the commit-graph); else `NO_INFO`.
    info: u32,
}

const NO_INFO: u32 = u32::MAX;

/// The state of `Repo::range`.
struct RangeWalk<'r> {
    /// A handle of its own without an object cache: each commit is read once.
    repo: gix::Repository,
    /// Parents and dates without reading the commits, for those it holds.
    graph: Option<&'r gix::commitgraph::Graph>,
    shallow: Option<gix::shallow::Commits>,
    buf: Vec<u8>,
    nodes: super::OidMap<Node>,
    /// The commits the walk read from the tip's side, as git stores them, one after the
    /// other: what the log shows is read from them afterwards, on every core.
    raw: Vec<u8>,
    /// Where each one is in `raw`.
    raw_at: Vec<std::ops::Range<usize>>,
    /// Newest commit first; among equal dates, the first one reached.
    queue: std::collections::BinaryHeap<(i64, std::cmp::Reverse<u64>, Oid)>,
    reached: u64,
    /// Queued commits not (yet) known to be hidden.
    visible_queued: usize,
}

impl<'r> RangeWalk<'r> {
    fn new(repo: &'r Repo) -> Result<Self> {
        let mut uncached = repo.repo.clone();
        uncached.object_cache_size(0);
        Ok(RangeWalk {
            repo: uncached,
            graph: repo.commit_graph()?,
            shallow: repo.repo.shallow_commits()?,
            buf: Vec::new(),
            nodes: Default::default(),
            raw: Vec::new(),
            raw_at: Vec::new(),
            queue: Default::default(),
            reached: 0,
            visible_queued: 0,
        })
    }

    /// Marks `id` as reached from the tip (`VISIBLE`) or from the hidden commit (`HIDDEN`),
    /// reading and queueing it the first time.
    fn discover(&mut self, id: Oid, flag: u8) -> Result<()> {
        if let Some(node) = self.nodes.get_mut(&id) {
            if node.flags & flag == 0 {
                if flag == HIDDEN {
                    return self.hide(id);
                }
                node.flags |= flag;
            }
            return Ok(());
        }
        let grafted = self
            .shallow
            .as_ref()
            .is_some_and(|shallow| shallow.contains(&id));
        let (time, parents, info) = match self.graph.and_then(|g| Some((g, g.commit_by_id(id)?))) {
            Some((graph, commit)) => {
                let parents = if grafted {
                    Vec::new()
                } else {
                    commit
                        .iter_parents()
                        .map(|p| Ok(graph.commit_at(p?).id().to_owned()))
                        .collect::<Result<Vec<Oid>>>()?
                };
                (commit.committer_timestamp() as i64, parents, None)
            }
            // Not in the commit-graph (or there is none): read once, and only its parents and
            // date looked at here; from the tip's side it is kept, for its message.
            None => {
                use gix::objs::FindExt;
                let data = self
                    .repo
                    .objects
                    .find(&id, &mut self.buf)
                    .map_err(|e| anyhow!("reading commit {id}: {e}"))?;
                if data.kind != gix::object::Kind::Commit {
                    return Err(anyhow!("{id} is a {}, not a commit", data.kind));
                }
                let bytes = data.data;
                let mut parents = Vec::new();
                let mut time = None;
                for token in gix::objs::CommitRefIter::from_bytes(bytes, id.kind()) {
                    match token.map_err(|e| anyhow!("reading commit {id}: {e}"))? {
                        gix::objs::commit::ref_iter::Token::Parent { id } => parents.push(id),
                        gix::objs::commit::ref_iter::Token::Committer { signature } => {
                            time = Some(signature.seconds());
                            break;
                        }
                        _ => {}
                    }
                }
                let time = time.ok_or_else(|| anyhow!("commit {id} has no committer"))?;
                if grafted {
                    parents.clear();
                }
                let info = (flag == VISIBLE).then(|| {
                    let start = self.raw.len();
                    self.raw.extend_from_slice(bytes);
                    self.raw_at.push(start..self.raw.len());
                    self.raw_at.len() - 1
                });
                (time, parents, info)
            }
        };
        let info = info.map_or(NO_INFO, |i| u32::try_from(i).unwrap_or(NO_INFO));
        self.nodes.insert(
            id,
            Node {
                flags: flag | QUEUED,
                parents,
                info,
            },
        );
        self.reached += 1;
        self.queue.push((time, std::cmp::Reverse(self.reached), id));
        if flag == VISIBLE {
            self.visible_queued += 1;
        }
        Ok(())
    }

    /// Marks `id` and everything below it already reached as hidden (git's
    /// `mark_parents_uninteresting`): a commit reached from the tip first, through a date out
    /// of order, may turn out to be reachable from the hidden commit too.
    fn hide(&mut self, id: Oid) -> Result<()> {
        let mut todo = vec![id];
        while let Some(id) = todo.pop() {
            let Some(node) = self.nodes.get_mut(&id) else {
                self.discover(id, HIDDEN)?;
                continue;
            };
            if node.flags & HIDDEN != 0 {
                continue;
            }
            node.flags |= HIDDEN;
            if node.flags & QUEUED != 0 {
                self.visible_queued -= 1;
            } else {
                todo.extend(node.parents.iter().copied());
            }
        }
        Ok(())
    }
}
