//! Refs: reading them, and moving several at once with compare-and-swap through gix's
//! transactions, or through `git for-each-ref` and `git update-ref` in a reftable repository
//! (gix reads and writes only the files backend).

use std::path::{Path, PathBuf};

use anyhow::{Result, anyhow};
use gix::bstr::ByteSlice;
use std::time::Duration;

use gix::lock::acquire::Fail;
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
        if self.reftable {
            return self.resolve_commit_with_git(rev);
        }
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
        if self.reftable {
            // A symbolic ref is listed with what it resolves to, as gix would follow it.
            let Some(found) = self.listed_ref(name)? else {
                return Ok(None);
            };
            return Ok(Some(
                self.repo.find_object(found.target)?.peel_to_commit()?.id,
            ));
        }
        match self.repo.try_find_reference(name)? {
            None => Ok(None),
            Some(mut r) => Ok(Some(r.peel_to_commit()?.id)),
        }
    }

    /// What a ref points at directly, without peeling.
    pub fn ref_target(&self, name: &str) -> Result<Option<Oid>> {
        if self.reftable {
            return Ok(self
                .listed_ref(name)?
                .filter(|r| !r.symbolic)
                .map(|r| r.target));
        }
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
        if self.reftable {
            return Ok(self
                .refs_under_peeled(&format!("{dir}{start}"))?
                .into_iter()
                .map(|r| (format!("{start}{}", r.name), r.target))
                .collect());
        }
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

    /// Every ref under `prefix`, with what it points at and, when packed-refs (or, in a
    /// reftable, git) knows it, the commit a tag peels to. One pass; peel the rest with `commit_of` only where needed.
    pub fn refs_under_peeled(&self, prefix: &str) -> Result<Vec<RefEntry>> {
        if self.reftable {
            return Ok(self
                .listed_refs(prefix)?
                .into_iter()
                .filter(|r| !r.symbolic)
                .filter_map(|r| {
                    Some(RefEntry {
                        name: r.name.strip_prefix(prefix)?.to_owned(),
                        target: r.target,
                        peeled: r.peeled,
                    })
                })
                .collect());
        }
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
        if self.reftable {
            return self.update_refs_with_git(updates);
        }
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
        // The reflog's committer is ours, as `identity` resolves it; without one, gix refuses
        // as it would have anyway.
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
            // Prepared (every lock taken, every expectation checked) and committed in two
            // steps, as gix's `edit_references` does, to know which one failed: a failed
            // preparation moved nothing, a failed commit may have moved some refs, which are
            // ours then and put back. (Another writer may set the same value: a tag object is
            // the same bytes when made in the same second.) The lock waits are git's defaults.
            let prepared = self.repo.refs.transaction().prepare(
                edits.clone(),
                Fail::AfterDurationWithBackoff(Duration::from_millis(100)),
                Fail::AfterDurationWithBackoff(Duration::from_millis(1000)),
            );
            let error = match prepared {
                Ok(transaction) => match transaction.commit(committer) {
                    Ok(_) => {
                        self.give_shared_mode_to_made(&made, packed);
                        return Ok(());
                    }
                    Err(error) => {
                        let landed = self.landed(updates)?;
                        if landed.is_empty() {
                            anyhow::Error::new(error)
                        } else {
                            return Err(RefUpdateError::Failed(self.undo_landed(&landed, error)));
                        }
                    }
                },
                Err(error) => anyhow::Error::new(error),
            };
            // Decide by looking, not by parsing the message.
            if self.lost_race(updates)? {
                return Err(RefUpdateError::Raced);
            }
            tries += 1;
            if tries == 3 {
                return Err(RefUpdateError::Failed(error.context("updating refs")));
            }
            std::thread::sleep(std::time::Duration::from_millis(5 * tries));
        }
    }

    /// The updates whose ref holds the value they set.
    fn landed<'u>(&self, updates: &'u [RefUpdate]) -> Result<Vec<&'u RefUpdate>, RefUpdateError> {
        let mut landed = Vec::new();
        for u in updates {
            if self.ref_target(&u.name).map_err(RefUpdateError::Failed)? == Some(u.new) {
                landed.push(u);
            }
        }
        Ok(landed)
    }

    /// Puts back the refs of a transaction that failed partway (each only if it still holds
    /// what we set), and says what happened.
    fn undo_landed(&self, landed: &[&RefUpdate], error: impl std::fmt::Display) -> anyhow::Error {
        let mut edits = Vec::new();
        for u in landed {
            let Ok(name) = u.name.as_str().try_into() else {
                continue;
            };
            let expected = PreviousValue::MustExistAndMatch(gix::refs::Target::Object(u.new));
            let change = match u.expect {
                Expect::Absent => Change::Delete {
                    expected,
                    log: RefLog::AndReference,
                },
                Expect::At(old) => Change::Update {
                    log: LogChange {
                        mode: RefLog::AndReference,
                        force_create_reflog: false,
                        message: format!("{}: undone", u.log).into(),
                    },
                    expected,
                    new: gix::refs::Target::Object(old),
                },
            };
            edits.push(RefEdit {
                change,
                name,
                deref: false,
            });
        }
        let names: Vec<&str> = landed.iter().map(|u| u.name.as_str()).collect();
        match self.repo.edit_references(edits) {
            Ok(_) => anyhow!(
                "updating refs failed partway ({error}); {} put back",
                names.join(", ")
            ),
            Err(undo) => anyhow!(
                "updating refs failed partway ({error}), and {} could not be put back ({undo}): look at them with `git for-each-ref` and `git release log` before running the command again",
                names.join(", ")
            ),
        }
    }

    /// Whether a failed update lost a race: one of its refs moved, or its lock is held.
    fn lost_race(&self, updates: &[RefUpdate]) -> Result<bool, RefUpdateError> {
        for u in updates {
            let current = self.ref_target(&u.name).map_err(RefUpdateError::Failed)?;
            let moved = match u.expect {
                Expect::Absent => current.is_some_and(|c| c != u.new),
                Expect::At(old) => current != Some(old),
            };
            if moved || self.lock_path(&u.name).exists() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The lock file that holds up an update of the ref `name`: its own, or `packed-refs.lock`
    /// (gix's transaction locks `packed-refs` too) when only that one is there.
    pub fn lock_path(&self, name: &str) -> PathBuf {
        // A reftable transaction locks the whole stack, whichever refs it moves.
        if self.reftable {
            return self.repo.common_dir().join("reftable/tables.list.lock");
        }
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

/// A ref as `git for-each-ref` lists it, by its full name.
struct ListedRef {
    name: String,
    target: Oid,
    /// The commit an annotated tag peels to.
    peeled: Option<Oid>,
    /// A symbolic ref, listed with the id it resolves to.
    symbolic: bool,
}

/// What git says when a transaction's compare-and-swap fails because another writer moved a
/// ref first, or holds the reftable stack's lock right now.
const LOST_RACE: &[&str] = &[
    "but expected",
    "reference already exists",
    "unable to resolve reference",
    "cannot lock references",
];

/// The reftable backend, through the git binary: git-release only ever asks git for refs here.
impl Repo {
    /// `git --git-dir=<ours> ARGS`, never through a shell; `input` on stdin, else nothing.
    fn run_git(&self, args: &[&str], input: Option<&[u8]>) -> Result<std::process::Output> {
        use std::io::Write as _;
        use std::process::Stdio;
        let mut child = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(self.repo.git_dir())
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| anyhow!("cannot run git {}: {e}", args[0]))?;
        if let (Some(input), Some(mut stdin)) = (input, child.stdin.take()) {
            stdin
                .write_all(input)
                .map_err(|e| anyhow!("writing to git {}: {e}", args[0]))?;
        }
        child
            .wait_with_output()
            .map_err(|e| anyhow!("running git {}: {e}", args[0]))
    }

    /// The ref named `name` exactly, from `git for-each-ref`.
    fn listed_ref(&self, name: &str) -> Result<Option<ListedRef>> {
        // git matches a pattern whole or up to a `/`, so this lists `name` and refs below it.
        Ok(self
            .list_refs(name, name)?
            .into_iter()
            .find(|r| r.name == name))
    }

    /// Every ref whose full name begins with `prefix`, from `git for-each-ref`.
    fn listed_refs(&self, prefix: &str) -> Result<Vec<ListedRef>> {
        // git matches a pattern whole or up to a `/`: ask for the directory, keep the prefix.
        let pattern = match prefix.rfind('/') {
            Some(slash) => &prefix[..=slash],
            None => prefix,
        };
        self.list_refs(pattern, prefix)
    }

    /// The refs `git for-each-ref PATTERN` lists whose full name begins with `prefix`.
    fn list_refs(&self, pattern: &str, prefix: &str) -> Result<Vec<ListedRef>> {
        let out = self.run_git(
            &[
                "for-each-ref",
                "--format=%(objectname)%00%(*objectname)%00%(*objecttype)%00%(symref)%00%(refname)",
                pattern,
            ],
            None,
        )?;
        if !out.status.success() {
            return Err(anyhow!(
                "reading refs under {prefix}: git for-each-ref failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        parse_listed(&out.stdout, prefix).map_err(|line| {
            anyhow!("reading refs under {prefix}: git for-each-ref printed {line:?}")
        })
    }

    /// `resolve_commit` through `git rev-parse`, which reads reftable's `HEAD` and branches.
    fn resolve_commit_with_git(&self, rev: &str) -> Result<Option<Oid>> {
        let out = self.run_git(&["rev-parse", "--verify", "--end-of-options", rev], None)?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            if let Some(line) = why.lines().find(|l| l.contains("ambiguous")) {
                return Err(
                    Failure::new(format!("`{rev}` is ambiguous: {}", line.trim()))
                        .hint("give more characters of the commit id")
                        .into(),
                );
            }
            return Ok(None);
        }
        let id = Oid::from_hex(String::from_utf8_lossy(&out.stdout).trim().as_bytes())
            .map_err(|e| anyhow!("git rev-parse {rev} printed no id: {e}"))?;
        match self.repo.find_object(id)?.peel_to_commit() {
            Ok(commit) => Ok(Some(commit.id)),
            Err(_) => Err(Failure::new(format!("`{rev}` does not name a commit")).into()),
        }
    }

    /// `update_refs` as one `git update-ref --stdin` transaction: every ref is created only if
    /// absent, or moved only from what it expects, or none is.
    fn update_refs_with_git(&self, updates: &[RefUpdate]) -> Result<(), RefUpdateError> {
        let input = transaction(updates).map_err(RefUpdateError::Failed)?;
        // git takes one reflog message per transaction.
        let mut logs: Vec<&str> = Vec::new();
        for u in updates {
            if !logs.contains(&u.log.as_str()) {
                logs.push(&u.log);
            }
        }
        let message = logs.join("; ");
        let mut tries = 0;
        loop {
            let out = self
                .run_git(
                    &["update-ref", "-z", "--stdin", "-m", &message],
                    Some(&input),
                )
                .map_err(RefUpdateError::Failed)?;
            if out.status.success() {
                return Ok(());
            }
            let why = String::from_utf8_lossy(&out.stderr).trim().to_owned();
            if LOST_RACE.iter().any(|m| why.contains(m)) || self.lost_race(updates)? {
                return Err(RefUpdateError::Raced);
            }
            // As with gix's transaction: a real failure fails the same way each time.
            tries += 1;
            if tries == 3 {
                return Err(RefUpdateError::Failed(anyhow!(
                    "updating refs: git update-ref failed: {why}"
                )));
            }
            std::thread::sleep(std::time::Duration::from_millis(5 * tries));
        }
    }
}

/// What `git update-ref --stdin -z` reads for `updates`: one transaction, prepared (every
/// compare-and-swap checked under the lock) before it is committed.
fn transaction(updates: &[RefUpdate]) -> Result<Vec<u8>> {
    let mut input = b"start\0".to_vec();
    for u in updates {
        if u.name.is_empty() || u.name.contains('\0') {
            return Err(anyhow!(
                "`{}` is not a valid ref name",
                u.name.escape_debug()
            ));
        }
        let line = match u.expect {
            Expect::Absent => format!("create {}\0{}\0", u.name, u.new),
            Expect::At(old) => format!("update {}\0{}\0{}\0", u.name, u.new, old),
        };
        input.extend(line.as_bytes());
    }
    input.extend(b"prepare\0commit\0");
    Ok(input)
}

/// `git for-each-ref`'s lines (fields separated by NUL, the name last) for the refs whose
/// name begins with `prefix`; a line that does not read is returned as the error.
fn parse_listed(stdout: &[u8], prefix: &str) -> Result<Vec<ListedRef>, String> {
    let id = |hex: &[u8]| Oid::from_hex(hex).ok();
    let mut refs = Vec::new();
    for line in stdout.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let fields: Vec<&[u8]> = line.splitn(5, |&b| b == 0).collect();
        let [target, peeled, peeled_kind, symref, name] = fields[..] else {
            return Err(line.to_str_lossy().into_owned());
        };
        let Some(target) = id(target) else {
            return Err(line.to_str_lossy().into_owned());
        };
        let Ok(name) = name.to_str() else {
            continue;
        };
        if !name.starts_with(prefix) {
            continue;
        }
        refs.push(ListedRef {
            name: name.to_owned(),
            target,
            peeled: (peeled_kind == b"commit").then(|| id(peeled)).flatten(),
            symbolic: !symref.is_empty(),
        });
    }
    Ok(refs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn oid(digit: char) -> Oid {
        Oid::from_hex(digit.to_string().repeat(40).as_bytes()).unwrap()
    }

    #[test]
    fn a_transaction_creates_the_absent_and_moves_the_rest_from_what_they_hold() {
        let updates = [
            RefUpdate {
                name: "refs/release/2026-11-20".into(),
                new: oid('a'),
                expect: Expect::At(oid('b')),
                log: "release: comment".into(),
            },
            RefUpdate {
                name: "refs/tags/2026-11-20".into(),
                new: oid('c'),
                expect: Expect::Absent,
                log: "release: tag".into(),
            },
        ];
        let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
        assert_eq!(
            String::from_utf8(transaction(&updates).unwrap()).unwrap(),
            format!(
                "start\0update refs/release/2026-11-20\0{a}\0{b}\0create refs/tags/2026-11-20\0{c}\0prepare\0commit\0"
            )
        );
        let bad = RefUpdate {
            name: "refs/release/x\0update refs/heads/main".into(),
            ..updates[0].clone()
        };
        assert!(transaction(&[bad]).is_err());
    }

    #[test]
    fn listed_refs_keep_the_prefix_a_commit_peeled_to_and_symbolic_refs_marked() {
        let (a, b, c) = ("a".repeat(40), "b".repeat(40), "c".repeat(40));
        let stdout = format!(
            "{a}\0{b}\0commit\0\0refs/tags/2026-11-20\n\
             {a}\0{c}\0tree\0\0refs/tags/2026-11-21\n\
             {c}\0\0\0refs/tags/2026-11-20\0refs/tags/latest\n\
             {c}\0\0\0\0refs/tags/1.0\n"
        );
        let refs = parse_listed(stdout.as_bytes(), "refs/tags/2026").unwrap();
        let seen: Vec<_> = refs
            .iter()
            .map(|r| (r.name.as_str(), r.target, r.peeled, r.symbolic))
            .collect();
        assert_eq!(
            seen,
            [
                ("refs/tags/2026-11-20", oid('a'), Some(oid('b')), false),
                ("refs/tags/2026-11-21", oid('a'), None, false),
            ]
        );
        let refs = parse_listed(stdout.as_bytes(), "refs/tags/").unwrap();
        assert!(
            refs.iter()
                .any(|r| r.name == "refs/tags/latest" && r.symbolic)
        );
        assert!(parse_listed(b"not an id\0\0\0\0refs/x\n", "refs/").is_err());
    }
}
