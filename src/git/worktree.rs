//! Running a command in a temporary worktree of a commit (a migration generator).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use super::{Oid, Repo};

/// What a command run in a temporary worktree did.
pub struct WorktreeRun {
    /// Whether it exited with 0.
    pub success: bool,
    /// Its exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// The end of what it printed (stdout, then stderr), at most `OUTPUT_LIMIT` bytes of each.
    pub output: String,
    /// What `git status` saw afterwards, by path.
    pub changes: Vec<WorktreeChange>,
}

/// A path the command created, changed or deleted in the worktree (ignored files are not seen).
pub struct WorktreeChange {
    pub path: String,
    pub kind: ChangeKind,
    /// The new file's bytes, when it is a regular file of at most `files::REPOSITORY_FILE_LIMIT`.
    pub content: Option<Vec<u8>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    Created,
    Modified,
    Deleted,
}

/// How much of a command's stdout, and of its stderr, is kept for the error message.
const OUTPUT_LIMIT: usize = 4000;

impl Repo {
    /// Runs `command` (with `sh -c`, `env` added to its environment) in a temporary detached
    /// worktree at `commit`, and returns what it did. `commit` may be one this repository still
    /// holds in memory (a plan not yet accepted): git reads such objects from a temporary object
    /// directory, and nothing is written to the repository's own. The worktree is removed
    /// afterwards, whatever happens.
    pub fn run_in_worktree(
        &self,
        commit: Oid,
        command: &str,
        env: &[(&str, String)],
    ) -> Result<WorktreeRun> {
        let dir = tempfile::Builder::new()
            .prefix("git-release-generate-")
            .tempdir()
            .context("making a temporary directory")?;
        let objects = dir.path().join("objects");
        std::fs::create_dir(&objects).context("making a temporary object directory")?;
        self.export_kept_objects(&objects)?;
        let alternates = match std::env::var_os("GIT_ALTERNATE_OBJECT_DIRECTORIES") {
            Some(more) if !more.is_empty() => {
                let mut all = objects.clone().into_os_string();
                all.push(":");
                all.push(more);
                all
            }
            _ => objects.clone().into_os_string(),
        };
        let path = dir.path().join("worktree");
        let git = |args: &[&str], at: Option<&Path>| -> Result<std::process::Output> {
            let mut git = std::process::Command::new("git");
            match at {
                Some(at) => git.current_dir(at).env_remove("GIT_DIR"),
                None => git.arg("--git-dir").arg(self.repo.git_dir()),
            };
            let out = git
                .args(args)
                .env_remove("GIT_WORK_TREE")
                .env_remove("GIT_INDEX_FILE")
                .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &alternates)
                .output()
                .context("running git")?;
            if !out.status.success() {
                return Err(anyhow!(
                    "git {} failed: {}",
                    args.join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                ));
            }
            Ok(out)
        };
        let path_str = path.to_string_lossy().into_owned();
        let added = git(
            &[
                "worktree",
                "add",
                "--detach",
                "--quiet",
                &path_str,
                &commit.to_string(),
            ],
            None,
        );
        // Where git keeps the worktree's administrative files, to remove them whatever the
        // command did to the worktree itself.
        let admin = admin_dir(&path);
        let result = added.and_then(|_| {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .env("GIT_ALTERNATE_OBJECT_DIRECTORIES", &alternates)
                .current_dir(&path)
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .env_remove("GIT_INDEX_FILE")
                .stdin(std::process::Stdio::null())
                .output()
                .with_context(|| format!("running `{command}` with sh"))?;
            let mut output = tail(&out.stdout);
            output.push_str(&tail(&out.stderr));
            // What a failed command left is not looked at (it may have gone with its worktree).
            let changes = if out.status.success() {
                let status = git(
                    &[
                        "status",
                        "--porcelain",
                        "--untracked-files=all",
                        "--no-renames",
                        "-z",
                    ],
                    Some(&path),
                )?;
                status
                    .stdout
                    .split(|b| *b == 0)
                    .filter(|r| r.len() > 3)
                    .map(|record| change(&path, record))
                    .collect()
            } else {
                Vec::new()
            };
            Ok(WorktreeRun {
                success: out.status.success(),
                code: out.status.code(),
                output,
                changes,
            })
        });
        let _ = git(&["worktree", "remove", "--force", &path_str], None);
        // What `git worktree prune` would do, had the command removed the worktree itself.
        if let Some(admin) = admin
            && admin.exists()
        {
            let _ = std::fs::remove_dir_all(&admin);
        }
        result
    }
}

/// The worktree's directory under `$GIT_DIR/worktrees`, from the `.git` file git wrote in it.
fn admin_dir(worktree: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(worktree.join(".git")).ok()?;
    let dir = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
    // Only a directory git made for a worktree is ever removed.
    (dir.parent()?.file_name()? == "worktrees").then_some(dir)
}

/// One record of `git status --porcelain -z`: `XY path`.
fn change(worktree: &Path, record: &[u8]) -> WorktreeChange {
    let (x, y) = (record[0], record[1]);
    let path = String::from_utf8_lossy(&record[3..]).into_owned();
    let kind = if x == b'D' || y == b'D' {
        ChangeKind::Deleted
    } else if (x, y) == (b'?', b'?') || x == b'A' {
        ChangeKind::Created
    } else {
        ChangeKind::Modified
    };
    let full = worktree.join(&path);
    let content = std::fs::symlink_metadata(&full)
        .ok()
        .filter(|m| m.is_file() && m.len() <= crate::files::REPOSITORY_FILE_LIMIT)
        .and_then(|_| std::fs::read(&full).ok());
    WorktreeChange {
        path,
        kind,
        content,
    }
}

/// The last `OUTPUT_LIMIT` bytes of a command's output, as text.
fn tail(bytes: &[u8]) -> String {
    let start = bytes.len().saturating_sub(OUTPUT_LIMIT);
    let text = String::from_utf8_lossy(&bytes[start..]);
    if start > 0 {
        format!("…{text}")
    } else {
        text.into_owned()
    }
}
