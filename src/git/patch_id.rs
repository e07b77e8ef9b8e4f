//! git's patch-id: the same change made by two commits (a cherry-pick, a rebase) has the same
//! id, whatever their parents, dates or messages. Computed as `git patch-id --stable` and
//! `git log --cherry-mark` do: a SHA-1 per file of the diff without whitespace and line
//! numbers, summed over the files.

use anyhow::Result;
use gix::diff::blob::{Algorithm, Diff, InternedInput, sources::byte_lines};

use super::{Oid, OidMap, Repo};

/// One side of a changed file: its mode (as git writes it, `100644`) and blob.
type Side = Option<(u32, Oid)>;

/// A file a commit changes, with what it was and what it is.
struct FileChange {
    path: Vec<u8>,
    old: Side,
    new: Side,
}

/// git looks this far into a blob for a NUL byte to call it binary.
const FIRST_FEW_BYTES: usize = 8000;

impl Repo {
    /// The patch-id of a commit against its parent, as `git patch-id --stable` computes it.
    /// `None` for a merge and for a commit that changes no file: git gives those no patch-id
    /// either (two empty commits are not the same change). The notes need only
    /// `equivalent_commits`; this one is for checking against `git patch-id`.
    #[cfg(test)]
    pub fn patch_id(&self, commit: Oid) -> Result<Option<Oid>> {
        match self.file_changes(commit)? {
            Some(changes) if !changes.is_empty() => Ok(Some(self.patch_id_of(&changes)?)),
            _ => Ok(None),
        }
    }

    /// The commits of `left` and `right` that have a commit of the same patch-id on the other
    /// side, each with one such commit: what `git log --cherry-mark left...right` marks `=`.
    /// Only commits that change the same paths with the same modes are diffed in full.
    pub fn equivalent_commits(&self, left: &[Oid], right: &[Oid]) -> Result<OidMap<Oid>> {
        let mut by_header: std::collections::HashMap<Vec<u8>, Vec<(Oid, bool)>> =
            Default::default();
        let mut changes: OidMap<Vec<FileChange>> = OidMap::default();
        for (ids, is_left) in [(left, true), (right, false)] {
            for &id in ids {
                let Some(files) = self.file_changes(id)? else {
                    continue;
                };
                if files.is_empty() {
                    continue;
                }
                by_header
                    .entry(header_key(&files))
                    .or_default()
                    .push((id, is_left));
                changes.insert(id, files);
            }
        }
        let mut pairs = OidMap::default();
        for candidates in by_header.values() {
            let both = candidates.iter().any(|c| c.1) && candidates.iter().any(|c| !c.1);
            if !both {
                continue;
            }
            let mut first: std::collections::HashMap<(Oid, bool), Oid> = Default::default();
            let mut ids = Vec::with_capacity(candidates.len());
            for &(id, is_left) in candidates {
                let patch = self.patch_id_of(&changes[&id])?;
                first.entry((patch, is_left)).or_insert(id);
                ids.push((id, is_left, patch));
            }
            for (id, is_left, patch) in ids {
                if let Some(&other) = first.get(&(patch, !is_left)) {
                    pairs.insert(id, other);
                }
            }
        }
        Ok(pairs)
    }

    /// The files a commit changes against its only parent (an empty tree for a root commit);
    /// `None` for a merge.
    fn file_changes(&self, commit: Oid) -> Result<Option<Vec<FileChange>>> {
        let c = self.repo.find_commit(commit)?;
        let parents: Vec<Oid> = c.parent_ids().map(|p| p.detach()).collect();
        if parents.len() > 1 {
            return Ok(None);
        }
        let tree = c.tree_id()?.detach();
        let before = match parents.first() {
            Some(p) => Some(self.repo.find_commit(*p)?.tree_id()?.detach()),
            None => None,
        };
        let mut out = Vec::new();
        self.tree_changes(before, Some(tree), b"", &mut out)?;
        Ok(Some(out))
    }

    /// The files that differ between two trees, without rename detection (as patch-ids are
    /// computed); a path that is a file on one side and a directory on the other is a removed
    /// file and added ones.
    fn tree_changes(
        &self,
        from: Option<Oid>,
        to: Option<Oid>,
        prefix: &[u8],
        out: &mut Vec<FileChange>,
    ) -> Result<()> {
        use std::collections::BTreeMap;
        if from == to {
            return Ok(());
        }
        let entries = |tree: Option<Oid>| -> Result<BTreeMap<Vec<u8>, (u32, Oid)>> {
            let mut map = BTreeMap::new();
            if let Some(tree) = tree {
                for e in self.repo.find_tree(tree)?.decode()?.entries.iter() {
                    map.insert(
                        e.filename.to_vec(),
                        (e.mode.value() as u32, e.oid.to_owned()),
                    );
                }
            }
            Ok(map)
        };
        let (before, after) = (entries(from)?, entries(to)?);
        let names: std::collections::BTreeSet<&Vec<u8>> =
            before.keys().chain(after.keys()).collect();
        const TREE: u32 = 0o040000;
        for name in names {
            let (a, b) = (before.get(name).copied(), after.get(name).copied());
            if a == b {
                continue;
            }
            let mut path = prefix.to_vec();
            path.extend_from_slice(name);
            let tree = |side: Side| side.filter(|(m, _)| *m == TREE).map(|(_, id)| id);
            let file = |side: Side| side.filter(|(m, _)| *m != TREE);
            if tree(a).is_some() || tree(b).is_some() {
                let mut sub = path.clone();
                sub.push(b'/');
                self.tree_changes(tree(a), tree(b), &sub, out)?;
            }
            if file(a).is_some() || file(b).is_some() {
                out.push(FileChange {
                    path,
                    old: file(a),
                    new: file(b),
                });
            }
        }
        Ok(())
    }

    /// git's stable patch-id of a commit's file changes: each file hashed on its own, the
    /// hashes added up as 20-byte numbers, so the order of the files does not matter.
    fn patch_id_of(&self, changes: &[FileChange]) -> Result<Oid> {
        let mut sum = [0u8; 20];
        for change in changes {
            let mut h = gix::hash::hasher(gix::hash::Kind::Sha1);
            let path: Vec<u8> = change
                .path
                .iter()
                .copied()
                .filter(|b| !is_git_space(*b))
                .collect();
            h.update(b"diff--gita/");
            h.update(&path);
            h.update(b"b/");
            h.update(&path);
            match (change.old, change.new) {
                (None, Some((mode, _))) => {
                    h.update(format!("newfilemode{mode:06o}").as_bytes());
                }
                (Some((mode, _)), None) => {
                    h.update(format!("deletedfilemode{mode:06o}").as_bytes());
                }
                (Some((old, _)), Some((new, _))) if old != new => {
                    h.update(format!("oldmode{old:06o}newmode{new:06o}").as_bytes());
                }
                _ => {}
            }
            let old = self.side_bytes(change.old)?;
            let new = self.side_bytes(change.new)?;
            if is_binary(&old) || is_binary(&new) {
                let hex = |side: Side| {
                    side.map_or_else(|| Oid::null(gix::hash::Kind::Sha1), |(_, id)| id)
                        .to_string()
                };
                h.update(hex(change.old).as_bytes());
                h.update(hex(change.new).as_bytes());
            } else {
                match (change.old.is_some(), change.new.is_some()) {
                    (false, _) => {
                        h.update(b"---/dev/null+++b/");
                        h.update(&path);
                    }
                    (_, false) => {
                        h.update(b"---a/");
                        h.update(&path);
                        h.update(b"+++/dev/null");
                    }
                    _ => {
                        h.update(b"---a/");
                        h.update(&path);
                        h.update(b"+++b/");
                        h.update(&path);
                    }
                }
                hash_diff(&old, &new, &mut h);
            }
            let file = h.try_finalize()?;
            let mut carry: u16 = 0;
            for (s, b) in sum.iter_mut().zip(file.as_bytes()) {
                carry += u16::from(*s) + u16::from(*b);
                *s = carry as u8;
                carry >>= 8;
            }
        }
        Ok(Oid::from_bytes_or_panic(&sum))
    }

    /// What git diffs for one side of a file: the blob, or for a submodule the line git shows.
    fn side_bytes(&self, side: Side) -> Result<Vec<u8>> {
        const GITLINK: u32 = 0o160000;
        Ok(match side {
            None => Vec::new(),
            Some((GITLINK, id)) => format!("Subproject commit {id}\n").into_bytes(),
            Some((_, id)) => self.repo.find_object(id)?.detach().data,
        })
    }
}

/// git's `isspace`: space, tab, newline and carriage return (not vertical tab or form feed).
fn is_git_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

fn is_binary(data: &[u8]) -> bool {
    data[..data.len().min(FIRST_FEW_BYTES)].contains(&0)
}

/// The lines git's unified diff (3 lines of context, no hunk headers) would show, without
/// whitespace, into `h`. Changes fewer than 7 lines apart share a hunk, as in git, so the
/// lines between them are context.
fn hash_diff(old: &[u8], new: &[u8], h: &mut gix::hash::Hasher) {
    const CONTEXT: u32 = 3;
    let input = InternedInput::new(byte_lines(old), byte_lines(new));
    let mut diff = Diff::compute(Algorithm::Myers, &input);
    diff.postprocess_no_heuristic(&input);
    let mut emit = |prefix: u8, token: gix::diff::blob::Token| {
        // A context line's prefix is a space, which git strips with the rest.
        if prefix != b' ' {
            h.update(&[prefix]);
        }
        let line: Vec<u8> = input.interner[token]
            .iter()
            .copied()
            .filter(|b| !is_git_space(*b))
            .collect();
        h.update(&line);
    };
    let before_len = input.before.len() as u32;
    // The end of the previous hunk's changes in `before`, to emit the context between.
    let mut last_end: Option<u32> = None;
    let hunks: Vec<_> = diff.hunks().collect();
    for (i, hunk) in hunks.iter().enumerate() {
        let start = hunk.before.start;
        match last_end {
            Some(end) if start - end <= 2 * CONTEXT => {
                for t in end..start {
                    emit(b' ', input.before[t as usize]);
                }
            }
            _ => {
                for t in start.saturating_sub(CONTEXT)..start {
                    emit(b' ', input.before[t as usize]);
                }
            }
        }
        for t in hunk.before.clone() {
            emit(b'-', input.before[t as usize]);
        }
        for t in hunk.after.clone() {
            emit(b'+', input.after[t as usize]);
        }
        let end = hunk.before.end;
        let next_close = hunks
            .get(i + 1)
            .is_some_and(|n| n.before.start - end <= 2 * CONTEXT);
        if !next_close {
            for t in end..(end + CONTEXT).min(before_len) {
                emit(b' ', input.before[t as usize]);
            }
        }
        last_end = Some(end);
    }
}

/// The paths and modes a commit changes: commits with different keys cannot have the same
/// patch-id, so only those with the same key are diffed.
fn header_key(files: &[FileChange]) -> Vec<u8> {
    let mut parts: Vec<Vec<u8>> = files
        .iter()
        .map(|f| {
            let mut p = f.path.clone();
            let mode = |s: Side| s.map_or(0, |(m, _)| m);
            p.extend_from_slice(format!("\0{:o}\0{:o}", mode(f.old), mode(f.new)).as_bytes());
            p
        })
        .collect();
    parts.sort();
    parts.join(&b'\n')
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::{Command, Stdio};

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "A")
            .env("GIT_AUTHOR_EMAIL", "a@x")
            .env("GIT_COMMITTER_NAME", "A")
            .env("GIT_COMMITTER_EMAIL", "a@x")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The patch-id of every commit of `HEAD`, as `git patch-id --stable` reads them from
    /// `git log -p`: commit id → patch-id. Without the indent heuristic, as git computes the
    /// patch-ids of `--cherry-mark` and `rebase`.
    fn git_patch_ids(dir: &Path) -> std::collections::HashMap<String, String> {
        let log = git(
            dir,
            &[
                "-c",
                "diff.indentHeuristic=false",
                "log",
                "-p",
                "--full-index",
                "--no-renames",
                "--format=commit %H",
            ],
        );
        let mut child = Command::new("git")
            .args(["patch-id", "--stable"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(log.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| {
                let (patch, commit) = l.split_once(' ').unwrap();
                (commit.to_owned(), patch.to_owned())
            })
            .collect()
    }

    fn add(a: Oid, b: Oid) -> Oid {
        let mut sum = [0u8; 20];
        let mut carry: u16 = 0;
        for (i, s) in sum.iter_mut().enumerate() {
            carry += u16::from(a.as_bytes()[i]) + u16::from(b.as_bytes()[i]);
            *s = carry as u8;
            carry >>= 8;
        }
        Oid::from_bytes_or_panic(&sum)
    }

    /// A small deterministic generator (xorshift).
    struct Dice(u64);
    impl Dice {
        fn roll(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    #[test]
    fn patch_ids_agree_with_git_patch_id_stable() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        git(d, &["init", "-q", "-b", "main"]);
        let words = [
            "alpha",
            "beta",
            "  gamma",
            "\tdelta",
            "}",
            "",
            "{",
            "epsilon  x",
        ];
        let mut dice = Dice(0x2545_f491_4f6c_dd1d);
        let mut binary = Vec::new();
        let mut lines: Vec<String> = (0..40).map(|i| format!("line {i}")).collect();
        let write = |name: &str, text: &[u8]| {
            let path = d.join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        for step in 0..80 {
            match step % 10 {
                // CRLF line ends, and a line whose only change is its CR.
                1 => write(
                    "crlf.txt",
                    format!("one\r\ntwo {step}\r\nthree\r\n").as_bytes(),
                ),
                2 => write(
                    "crlf.txt",
                    format!("one\r\ntwo {}\nthree\r\n", step - 1).as_bytes(),
                ),
                // A new file in a new directory, then its deletion.
                3 => write(&format!("dir{step}/sub/new.txt"), b"one\ntwo\n"),
                4 => {
                    let gone = format!("dir{}", step - 1);
                    std::fs::remove_dir_all(d.join(gone)).unwrap();
                }
                // An executable bit, with a change and without.
                5 => {
                    git(d, &["update-index", "--add", "--chmod=+x", "a.txt"]);
                }
                // A binary file, created then changed.
                6 | 7 => write("bin.dat", &[0, 1, 2, step as u8, 0, 9]),
                // A file with no newline at its end, then one.
                8 => write("tail.txt", format!("no newline {step}").as_bytes()),
                9 => write("tail.txt", format!("no newline {step}\n").as_bytes()),
                _ => {}
            }
            // Some edits to a.txt: changes near each other and far apart, whitespace-only ones.
            for _ in 0..1 + dice.roll(4) {
                let at = dice.roll(lines.len());
                match dice.roll(4) {
                    0 => lines.insert(at, words[dice.roll(words.len())].to_owned()),
                    1 if lines.len() > 10 => {
                        lines.remove(at);
                    }
                    2 => lines[at] = format!("{}  ", lines[at]),
                    _ => lines[at] = format!("changed {step} {}", words[dice.roll(words.len())]),
                }
            }
            write("a.txt", (lines.join("\n") + "\n").as_bytes());
            git(d, &["add", "-A"]);
            if step == 5 {
                git(d, &["update-index", "--chmod=+x", "a.txt"]);
            }
            git(
                d,
                &[
                    "commit",
                    "-q",
                    "--allow-empty",
                    "-m",
                    &format!("step {step}"),
                ],
            );
            if matches!(step % 10, 6 | 7) {
                binary.push(git(d, &["rev-parse", "HEAD"]).trim().to_owned());
            }
        }
        let expected = git_patch_ids(d);
        let repo = Repo {
            repo: gix::open(d).unwrap(),
            in_memory: false,
            shared: Ok(0),
            reftable: false,
            commit_graph: Default::default(),
        };
        let commits = git(d, &["rev-list", "HEAD"]);
        let mut compared = 0;
        for id in commits.lines() {
            let mut ours = repo.patch_id(id.parse().unwrap()).unwrap();
            // `git patch-id` reading a patch with "Binary files differ" adds the hash of
            // nothing once more at its end; git's own diff (`--cherry-mark`, rebase) does not.
            if binary.iter().any(|b| b == id) {
                let empty_sha1: Oid = "da39a3ee5e6b4b0d3255bfef95601890afd80709".parse().unwrap();
                ours = ours.map(|o| add(o, empty_sha1));
            }
            assert_eq!(
                ours.map(|o| o.to_string()).as_ref(),
                expected.get(id),
                "commit {id}: {}",
                git(d, &["show", "--stat", "--format=%s", id])
            );
            compared += usize::from(ours.is_some());
        }
        assert!(compared >= 79, "{compared}");
    }

    use gix::bstr::ByteSlice;

    #[test]
    fn git_space_is_what_git_strips() {
        let stripped: Vec<u8> = b" a\tb\r\nc\x0bd\x0c"
            .iter()
            .copied()
            .filter(|b| !is_git_space(*b))
            .collect();
        assert_eq!(stripped.as_bstr(), b"abc\x0bd\x0c".as_bstr());
    }
}
