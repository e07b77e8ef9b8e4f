//! Running a command in a temporary worktree of a commit (a migration generator).

use anyhow::{Context, Result, anyhow};

use super::{Oid, Repo};
use crate::error::Failure;

impl Repo {
    /// Runs `command` (with `sh -c`, `env` added to its environment) in a temporary detached
    /// worktree at `commit`, and returns the files it created or changed. The worktree is
    /// removed afterwards, whatever happens.
    pub fn run_in_worktree(
        &self,
        commit: Oid,
        command: &str,
        env: &[(&str, String)],
    ) -> Result<Vec<(String, String)>> {
        let dir = tempfile::Builder::new()
            .prefix("git-release-worktree-")
            .tempdir()
            .context("making a temporary directory")?;
        let path = dir.path().join("tree");
        let git = |args: &[&str]| -> Result<std::process::Output> {
            let out = std::process::Command::new("git")
                .arg("--git-dir")
                .arg(self.repo.git_dir())
                .args(args)
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
        git(&[
            "worktree",
            "add",
            "--detach",
            "--quiet",
            &path_str,
            &commit.to_string(),
        ])?;
        let result = (|| -> Result<Vec<(String, String)>> {
            let out = std::process::Command::new("sh")
                .arg("-c")
                .arg(command)
                .envs(env.iter().map(|(k, v)| (k, v)))
                .current_dir(&path)
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .output()
                .with_context(|| format!("running `{command}`"))?;
            if !out.status.success() {
                return Err(Failure::new(format!(
                    "`{command}` failed ({}); nothing was written:\n{}{}",
                    out.status,
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ))
                .hint("fix the command in [[migrations]] generate, or write the undo migration by hand")
                .into());
            }
            let status = std::process::Command::new("git")
                .args(["status", "--porcelain", "--untracked-files=all", "-z"])
                .current_dir(&path)
                .env_remove("GIT_DIR")
                .env_remove("GIT_WORK_TREE")
                .output()
                .context("running git status")?;
            let mut files = Vec::new();
            for record in status.stdout.split(|b| *b == 0).filter(|r| r.len() > 3) {
                let name = String::from_utf8_lossy(&record[3..]).into_owned();
                if let Ok(text) = std::fs::read_to_string(path.join(&name)) {
                    files.push((name, text));
                }
            }
            files.sort();
            Ok(files)
        })();
        let _ = git(&["worktree", "remove", "--force", &path_str]);
        result
    }
}
