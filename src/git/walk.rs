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
        let mut decoded = walk.decoded()?;
        let mut shown: Vec<Shown> = Vec::new();
        for id in candidates {
            if shown.len() == limit {
                break;
            }
            let Some(node) = walk.nodes.remove(&id) else {
                continue;
            };
            if node.flags & HIDDEN != 0 {
                continue;
            }
            // A commit that could not be decoded fails the log only if the log shows it.
            let info = decoded
                .get_mut(node.info as usize)
                .and_then(Option::take)
                .transpose()?;
            shown.push((id, node.parents, info));
        }
        Ok(Range {
            commits: self.messages(shown)?,
            hidden_is_ancestor,
        })
    }

    /// The commits of a walk with what the log shows of them: decoded already, or (where the
    /// commit-graph stood in for reading them) read from the repository now, a long list on
    /// every core, each thread with its own handle. The parents are the walk's (a shallow
    /// clone's graft has none).
    fn messages(&self, shown: Vec<Shown>) -> Result<Vec<CommitInfo>> {
        let unread: Vec<Oid> = shown
            .iter()
            .filter(|(_, _, info)| info.is_none())
            .map(|(id, _, _)| *id)
            .collect();
        let mut read = self.read_commits(unread)?.into_iter();
        shown
            .into_iter()
            .map(|(id, parents, info)| {
                let mut info = match info {
                    Some(info) => info,
                    None => read
                        .next()
                        .ok_or_else(|| anyhow!("commit {id} was not read"))?,
                };
                info.parents = parents;
                Ok(info)
            })
            .collect()
    }

    /// What the log shows of each of `ids`, in their order, read on every core when there are
    /// many; the parents are left empty for the caller.
    fn read_commits(&self, ids: Vec<Oid>) -> Result<Vec<CommitInfo>> {
        let read = |repo: &gix::Repository, part: Vec<Oid>| {
            let mut buf = Vec::new();
            part.into_iter()
                .map(|id| {
                    use gix::objs::FindExt;
                    let commit = repo
                        .objects
                        .find_commit(&id, &mut buf)
                        .map_err(|e| anyhow!("reading commit {id}: {e}"))?;
                    commit_info(id, Vec::new(), &commit)
                })
                .collect::<Result<Vec<_>>>()
        };
        const CHUNK: usize = 2048;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if ids.len() <= CHUNK || threads == 1 {
            return read(&self.repo, ids);
        }
        let per_thread = ids.len().div_ceil(threads);
        let mut parts = Vec::new();
        let mut rest = ids;
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

/// A commit the log shows: its id, parents, and what it says, if the walk read it.
type Shown = (Oid, Vec<Oid>, Option<CommitInfo>);

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
    /// Its place, from 0, among the commits the walk read from the tip's side (those the
    /// commit-graph did not hold); else `NO_INFO`.
    info: u32,
}

const NO_INFO: u32 = u32::MAX;

/// How many commits read from the tip's side go to the decoding thread at a time; a walk that
/// reads fewer decodes them itself at the end. The unit tests' small histories cross several.
#[cfg(not(test))]
const BATCH: usize = 1024;
#[cfg(test)]
const BATCH: usize = 3;

/// Commits the walk read from the tip's side, as git stores them, one after the other.
#[derive(Default)]
struct Batch {
    ids: Vec<Oid>,
    raw: Vec<u8>,
    at: Vec<std::ops::Range<usize>>,
}

impl Batch {
    /// What the log shows of each commit, in order; the parents are left to the walk. A
    /// commit that cannot be decoded is an error only if the log shows it (it may turn out
    /// to be hidden).
    fn decode(self, hash: gix::hash::Kind) -> Vec<Result<CommitInfo>> {
        self.ids
            .into_iter()
            .zip(self.at)
            .map(|(id, at)| {
                let commit = gix::objs::CommitRef::from_bytes(&self.raw[at], hash)
                    .map_err(|e| anyhow!("reading commit {id}: {e}"))?;
                commit_info(id, Vec::new(), &commit)
            })
            .collect()
    }
}

/// A thread decoding the walk's batches while the walk goes on: on two cores, reading the
/// messages then costs no time of the walk's. Dropped, it is told there is no more and
/// waited for, so a walk that fails leaves no thread behind.
struct Decoder {
    batches: Option<std::sync::mpsc::Sender<Batch>>,
    done: Option<std::thread::JoinHandle<Vec<Result<CommitInfo>>>>,
}

impl Decoder {
    fn start(hash: gix::hash::Kind) -> Self {
        let (batches, receive) = std::sync::mpsc::channel::<Batch>();
        let done = std::thread::spawn(move || {
            let mut decoded = Vec::new();
            for batch in receive {
                decoded.extend(batch.decode(hash));
            }
            decoded
        });
        Decoder {
            batches: Some(batches),
            done: Some(done),
        }
    }

    fn send(&self, batch: Batch) {
        if let Some(batches) = &self.batches {
            // The thread only stops early by panicking, which `finish` reports.
            let _ = batches.send(batch);
        }
    }

    /// Everything decoded, in the order the batches were sent.
    fn finish(mut self) -> Result<Vec<Result<CommitInfo>>> {
        self.batches = None;
        let done = self.done.take().expect("joined once");
        done.join()
            .map_err(|_| anyhow!("the thread reading commits panicked"))
    }
}

impl Drop for Decoder {
    fn drop(&mut self) {
        self.batches = None;
        if let Some(done) = self.done.take() {
            let _ = done.join();
        }
    }
}

/// The state of `Repo::range`.
struct RangeWalk<'r> {
    /// A handle of its own without an object cache: each commit is read once.
    repo: gix::Repository,
    /// Parents and dates without reading the commits, for those it holds.
    graph: Option<&'r gix::commitgraph::Graph>,
    shallow: Option<gix::shallow::Commits>,
    buf: Vec<u8>,
    nodes: super::OidMap<Node>,
    /// Commits read from the tip's side not yet handed to the decoder.
    batch: Batch,
    /// How many commits the walk read from the tip's side.
    read: u32,
    /// Started once a whole batch is read, where there is more than one core.
    decoder: Option<Decoder>,
    one_core: bool,
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
            batch: Batch::default(),
            read: 0,
            decoder: None,
            one_core: std::thread::available_parallelism().map_or(true, |n| n.get() == 1),
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
                    let start = self.batch.raw.len();
                    self.batch.raw.extend_from_slice(bytes);
                    self.batch.at.push(start..self.batch.raw.len());
                    self.batch.ids.push(id);
                    self.read += 1;
                    self.read - 1
                });
                if self.batch.ids.len() >= BATCH {
                    self.hand_over();
                }
                (time, parents, info)
            }
        };
        let info = info.unwrap_or(NO_INFO);
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

    /// Gives the batch read so far to the decoding thread, starting it the first time; with
    /// one core the batch grows instead, to be decoded at the end.
    fn hand_over(&mut self) {
        if self.one_core {
            return;
        }
        let hash = self.repo.object_hash();
        let decoder = self.decoder.get_or_insert_with(|| Decoder::start(hash));
        decoder.send(std::mem::take(&mut self.batch));
    }

    /// What the log shows of every commit read from the tip's side, indexed by `Node::info`:
    /// the last batch decoded here, after what the decoder has.
    fn decoded(&mut self) -> Result<Vec<Option<Result<CommitInfo>>>> {
        let mut decoded = match self.decoder.take() {
            Some(decoder) => decoder.finish()?,
            None => Vec::new(),
        };
        decoded.extend(std::mem::take(&mut self.batch).decode(self.repo.object_hash()));
        Ok(decoded.into_iter().map(Some).collect())
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
