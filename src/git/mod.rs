//! The only module that talks to git: gix for objects, refs, notes and history, and the git
//! binary where gix cannot serve (push and fetch, signing, worktrees). Everything above speaks
//! this module's small vocabulary (`Repo`, `Oid`, `RefUpdate`, `CommitInfo`).

mod leftovers;
mod merge;
mod notes;
mod odb;
mod open;
mod patch_id;
mod refs;
mod sign;
mod transport;
mod walk;
mod worktree;

pub use gix::ObjectId as Oid;
pub use merge::Applied;
pub use open::Identity;
pub use refs::{Expect, RefEntry, RefUpdate, RefUpdateError};
pub use sign::Signature;
pub use transport::Push;
pub use walk::CommitInfo;
pub use worktree::ChangeKind;

/// A map keyed by object id, hashed for ids (they are random already).
pub type OidMap<V> = gix::hashtable::HashMap<Oid, V>;

pub struct Repo {
    repo: gix::Repository,
    /// Whether object writes stay in memory (`batch`, `keep_objects_in_memory`).
    in_memory: bool,
    /// `core.sharedRepository` as gix parses it (0: the umask decides), or why git would
    /// refuse the value; then nothing may be written, as git writes nothing.
    shared: std::result::Result<i32, String>,
    /// Whether refs live in a reftable (`extensions.refStorage = reftable`), which gix cannot
    /// read or write: then refs go through the git binary.
    reftable: bool,
    /// The commit-graph, read once for every ancestry question of a command.
    commit_graph: std::cell::OnceCell<Option<gix::commitgraph::Graph>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// A new repository made by git, opened as the commands open theirs.
    fn repository() -> (tempfile::TempDir, Repo) {
        let dir = tempfile::tempdir().unwrap();
        let status = std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
        let repo = Repo {
            repo: gix::open(dir.path()).unwrap(),
            in_memory: false,
            shared: Ok(0),
            reftable: false,
            commit_graph: Default::default(),
        };
        (dir, repo)
    }

    fn git(dir: &Path, args: &[&str]) -> Vec<u8> {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// `len` bytes that do not compress (xorshift, always the same).
    fn noise(len: usize) -> Vec<u8> {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect()
    }

    /// The files that differ between two commits are the ones `git diff --name-only` names:
    /// a file that became a directory, a symbolic link retargeted, a directory removed, a deep
    /// file beside untouched subtrees.
    #[test]
    fn changed_paths_agree_with_git_diff() {
        let (dir, repo) = repository();
        let d = dir.path();
        let commit = |message: &str| {
            git(d, &["add", "-A"]);
            git(
                d,
                &[
                    "-c",
                    "user.name=A",
                    "-c",
                    "user.email=a@example.com",
                    "commit",
                    "-qm",
                    message,
                    "--allow-empty",
                ],
            );
            String::from_utf8(git(d, &["rev-parse", "HEAD"]))
                .unwrap()
                .trim()
                .to_owned()
        };
        let write = |path: &str, text: &str| {
            let path = d.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write("a/b/c/deep.txt", "1");
        write("a/keep/same.txt", "same");
        write("top.txt", "t");
        write("thing", "a file");
        let first = commit("one");
        write("a/b/c/deep.txt", "2");
        std::fs::remove_file(d.join("thing")).unwrap();
        write("thing/inside.txt", "now a dir");
        std::os::unix::fs::symlink("top.txt", d.join("link")).unwrap();
        let second = commit("two");
        std::fs::remove_file(d.join("link")).unwrap();
        std::os::unix::fs::symlink("a/keep/same.txt", d.join("link")).unwrap();
        std::fs::remove_dir_all(d.join("a/b")).unwrap();
        let third = commit("three");
        for (from, to) in [
            (&first, &second),
            (&second, &third),
            (&first, &third),
            (&third, &first),
        ] {
            let ours: Vec<String> = repo
                .changed_paths(Some(from.parse().unwrap()), to.parse().unwrap())
                .unwrap()
                .into_iter()
                .collect();
            let theirs =
                String::from_utf8(git(d, &["diff", "--name-only", "--no-renames", from, to]))
                    .unwrap();
            let theirs: Vec<&str> = theirs.lines().collect();
            assert_eq!(ours, theirs, "{from}..{to}");
        }
        let all: Vec<String> = repo
            .changed_paths(None, third.parse().unwrap())
            .unwrap()
            .into_iter()
            .collect();
        let listed = String::from_utf8(git(d, &["ls-tree", "-r", "--name-only", &third])).unwrap();
        assert_eq!(all, listed.lines().collect::<Vec<_>>());
    }

    #[test]
    fn loose_objects_read_back_through_git_whatever_their_size() {
        let (dir, repo) = repository();
        // Large and small objects, and nothing at all; each into a fan-out directory that does
        // not exist yet.
        let text = (0..20_000)
            .map(|i| format!("100644 events/2026{i:05}-{i:012x}.toml\n"))
            .collect::<String>();
        let noise = noise(300_000);
        let two_blocks = vec![b'x'; 2 * 65_535 - "blob 131058\0".len()];
        for bytes in [text.as_bytes(), &noise, &two_blocks, b""] {
            let id = repo.write_blob(bytes).unwrap().to_string();
            assert_eq!(git(dir.path(), &["cat-file", "blob", &id]), bytes);
            // Written again: already there, nothing changes.
            assert_eq!(repo.write_blob(bytes).unwrap().to_string(), id);
        }
        git(dir.path(), &["fsck", "--strict"]);
        // No temporary file left, in the object directory or any fan-out directory.
        let objects = dir.path().join(".git/objects");
        let leftovers: Vec<_> = std::fs::read_dir(&objects)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.path().is_dir())
            .flat_map(|d| std::fs::read_dir(d.path()).unwrap().filter_map(|e| e.ok()))
            .chain(std::fs::read_dir(&objects).unwrap().filter_map(|e| e.ok()))
            .filter(|e| e.file_name().to_string_lossy().starts_with("tmp_obj_"))
            .map(|e| e.path())
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert_eq!(
            git(dir.path(), &["count-objects", "-v"])
                .split(|&b| b == b'\n')
                .find(|line| line.starts_with(b"size-garbage:")),
            Some(&b"size-garbage: 0"[..])
        );
        assert_eq!(
            git(dir.path(), &["count-objects", "-v"])
                .split(|&b| b == b'\n')
                .find(|line| line.starts_with(b"garbage:")),
            Some(&b"garbage: 0"[..])
        );
    }

    #[test]
    fn ancestry_agrees_with_git_before_and_after_the_commit_graph() {
        let (dir, repo) = repository();
        let commit = |parent: Option<&str>| -> String {
            let tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
            let mut args = vec!["-c", "user.name=T", "-c", "user.email=t@example.com"];
            args.extend(["commit-tree", tree, "-m", "c"]);
            if let Some(parent) = parent {
                args.extend(["-p", parent]);
            }
            String::from_utf8(git(dir.path(), &args))
                .unwrap()
                .trim()
                .to_owned()
        };
        let c1 = commit(None);
        let c2 = commit(Some(&c1));
        let side = commit(Some(&c1));
        git(dir.path(), &["update-ref", "refs/heads/main", &c2]);
        git(dir.path(), &["update-ref", "refs/heads/side", &side]);
        git(dir.path(), &["commit-graph", "write", "--reachable"]);
        // Written after the graph, which knows nothing of it.
        let c3 = commit(Some(&c2));
        let oid = |hex: &str| hex.parse::<Oid>().unwrap();
        for (a, b) in [
            (&c1, &c2),
            (&c2, &c1),
            (&c1, &side),
            (&side, &c2),
            (&c2, &side),
            (&c1, &c3),
            (&c3, &c2),
            (&side, &c3),
            (&c2, &c3),
        ] {
            let by_git = std::process::Command::new("git")
                .args(["merge-base", "--is-ancestor", a, b])
                .current_dir(dir.path())
                .status()
                .unwrap()
                .success();
            assert_eq!(repo.is_ancestor(oid(a), oid(b)).unwrap(), by_git, "{a} {b}");
        }
        assert!(
            matches!(repo.commit_graph.get(), Some(Some(_))),
            "the commit-graph was read"
        );
    }

    /// Writes a commit with the empty tree, `parents` and a committer date of `time`.
    fn commit_at(dir: &Path, parents: &[&str], time: i64, message: &str) -> String {
        let tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
        let mut args = vec!["-c", "user.name=T", "-c", "user.email=t@example.com"];
        args.extend(["commit-tree", tree, "-m", message]);
        for parent in parents {
            args.extend(["-p", parent]);
        }
        let date = format!("{time} +0000");
        let out = std::process::Command::new("git")
            .args(&args)
            .env("GIT_COMMITTER_DATE", &date)
            .env("GIT_AUTHOR_DATE", &date)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// `git rev-list tip ^hidden` (or `-n limit tip`), as `range` should list it.
    fn rev_list(dir: &Path, tip: &str, hidden: Option<&str>, limit: usize) -> Vec<String> {
        let mut args = vec!["rev-list".to_owned(), tip.to_owned()];
        match hidden {
            Some(hidden) => args.push(format!("^{hidden}")),
            None => args.push(format!("--max-count={limit}")),
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        String::from_utf8(git(dir, &args))
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Histories with merges, several roots and equal dates: the range lists what
    /// `git rev-list` lists, in its order, and knows what `git merge-base --is-ancestor` knows.
    #[test]
    fn ranges_agree_with_git_rev_list() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = |n: usize| -> usize {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        for history in 0..6 {
            let (dir, repo) = repository();
            let d = dir.path();
            let mut commits: Vec<String> = Vec::new();
            for i in 0..40 {
                let mut parents = Vec::new();
                if i > 0 && random(10) > 0 {
                    parents.push(commits[random(i)].clone());
                    if random(4) == 0 {
                        parents.push(commits[random(i)].clone());
                    }
                }
                parents.dedup();
                let parents: Vec<&str> = parents.iter().map(String::as_str).collect();
                // Every third history has runs of commits made in the same second.
                let time = if history % 3 == 0 { i / 4 } else { i } as i64;
                commits.push(commit_at(
                    d,
                    &parents,
                    1_700_000_000 + 60 * time,
                    &format!("c{i}"),
                ));
            }
            // Odd histories have a commit-graph of their older half: parents and dates come
            // from it where it knows the commit, from the commit itself where not.
            if history % 2 == 1 {
                let mut child = std::process::Command::new("git")
                    .args(["commit-graph", "write", "--stdin-commits"])
                    .current_dir(d)
                    .stdin(std::process::Stdio::piped())
                    .spawn()
                    .unwrap();
                use std::io::Write as _;
                let older = commits[..20].join("\n");
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(older.as_bytes())
                    .unwrap();
                assert!(child.wait().unwrap().success());
            }
            let oid = |hex: &str| hex.parse::<Oid>().unwrap();
            for _ in 0..25 {
                let tip = &commits[random(40)];
                let hidden = &commits[random(40)];
                let range = repo.range(oid(tip), Some(oid(hidden)), usize::MAX).unwrap();
                let ours: Vec<String> = range.commits.iter().map(|c| c.id.to_string()).collect();
                assert_eq!(ours, rev_list(d, tip, Some(hidden), 0), "{hidden}..{tip}");
                // Each with its own message, read by the walk or after it, in batches.
                for c in &range.commits {
                    let i = commits.iter().position(|h| oid(h) == c.id).unwrap();
                    assert_eq!(c.subject, format!("c{i}"), "{hidden}..{tip}");
                }
                let ancestor = std::process::Command::new("git")
                    .args(["merge-base", "--is-ancestor", hidden, tip])
                    .current_dir(d)
                    .status()
                    .unwrap()
                    .success();
                assert_eq!(range.hidden_is_ancestor, ancestor, "{hidden} {tip}");
                let limit = 1 + random(10);
                let first: Vec<String> = repo
                    .commits_between(oid(tip), None, limit)
                    .unwrap()
                    .iter()
                    .map(|c| c.id.to_string())
                    .collect();
                assert_eq!(first, rev_list(d, tip, None, limit), "-n {limit} {tip}");
            }
            assert_eq!(
                matches!(repo.commit_graph.get(), Some(Some(_))),
                history % 2 == 1,
                "the commit-graph is read where there is one"
            );
        }
    }

    /// A commit dated before its parent (a wrong clock) does not end the walk early: the
    /// hidden side's mark still reaches what the tip reached first.
    #[test]
    fn a_range_survives_a_commit_dated_out_of_order() {
        let (dir, repo) = repository();
        let d = dir.path();
        let base = 1_700_000_000;
        let root = commit_at(d, &[], base, "root");
        let shared = commit_at(d, &[&root], base + 100, "shared");
        // Hidden side: a long way round to `shared`, one commit with a clock far behind.
        let slow = commit_at(d, &[&shared], base + 10, "slow clock");
        let mut hidden = slow.clone();
        for i in 0..3 {
            hidden = commit_at(d, &[&hidden], base + 200 + i, "hidden");
        }
        // Tip side: new work on `shared`.
        let mut tip = shared.clone();
        for i in 0..3 {
            tip = commit_at(d, &[&tip], base + 300 + i, "new");
        }
        let oid = |hex: &str| hex.parse::<Oid>().unwrap();
        let range = repo
            .range(oid(&tip), Some(oid(&hidden)), usize::MAX)
            .unwrap();
        let ours: Vec<String> = range.commits.iter().map(|c| c.id.to_string()).collect();
        assert_eq!(ours, rev_list(d, &tip, Some(&hidden), 0));
        assert_eq!(ours.len(), 3, "only the new work: {ours:?}");
        assert!(!range.hidden_is_ancestor);
    }

    #[test]
    fn a_batch_of_many_objects_becomes_one_pack_git_reads() {
        let (dir, repo) = repository();
        let mut batch = repo.batch();
        let ids: Vec<String> = (0..250)
            .map(|i| {
                batch
                    .write_blob(format!("event {i}\n").as_bytes())
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert!(
            std::fs::read_dir(dir.path().join(".git/objects/pack"))
                .unwrap()
                .next()
                .is_none(),
            "nothing is written before write_kept_objects"
        );
        let kept = batch.write_kept_objects().unwrap();
        let packs: Vec<_> = std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(packs.iter().any(|p| p.ends_with(".keep")), "{packs:?}");
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(
                git(dir.path(), &["cat-file", "blob", id]),
                format!("event {i}\n").as_bytes()
            );
        }
        drop(kept);
        let packs: Vec<_> = std::fs::read_dir(dir.path().join(".git/objects/pack"))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!packs.iter().any(|p| p.ends_with(".keep")), "{packs:?}");
        git(dir.path(), &["fsck", "--strict"]);
    }

    #[test]
    fn a_plan_reaches_the_object_database_only_when_accepted() {
        let (dir, mut repo) = repository();
        let loose = |dir: &Path| {
            String::from_utf8(git(dir, &["count-objects"]))
                .unwrap()
                .trim()
                .to_owned()
        };
        let empty = loose(dir.path());
        let plan = repo.batch();
        let id = plan.write_blob(b"planned\n").unwrap().to_string();
        drop(plan);
        assert_eq!(loose(dir.path()), empty, "a dropped plan leaves nothing");

        // A dry run keeps what it accepts in memory, readable, and writes nothing.
        repo.keep_objects_in_memory();
        let plan = repo.batch();
        plan.write_blob(b"planned\n").unwrap();
        drop(repo.accept(plan).unwrap());
        assert_eq!(repo.read_blob(id.parse().unwrap()).unwrap(), b"planned\n");
        assert_eq!(loose(dir.path()), empty);

        // Its objects, exported for git to read, stay out of the repository's own.
        let alternate = tempfile::tempdir().unwrap();
        repo.export_kept_objects(alternate.path()).unwrap();
        assert_eq!(repo.read_blob(id.parse().unwrap()).unwrap(), b"planned\n");
        let out = std::process::Command::new("git")
            .args(["cat-file", "blob", &id])
            .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", alternate.path())
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"planned\n");
        assert_eq!(loose(dir.path()), empty);

        let (dir, repo) = repository();
        let plan = repo.batch();
        plan.write_blob(b"planned\n").unwrap();
        drop(repo.accept(plan).unwrap());
        assert_eq!(git(dir.path(), &["cat-file", "blob", &id]), b"planned\n");
    }
}
