//! Fetch and push through the git binary, which owns credentials, ssh config and helpers.

use anyhow::Result;
use gix::bstr::ByteSlice;

use super::{Oid, Repo};
use crate::error::Failure;

/// One ref to push, and the lease it is pushed under.
pub struct Push {
    pub local_ref: String,
    pub remote_ref: String,
    /// `Some(value the remote had, or None for "absent")` forces the update under that lease;
    /// `None` pushes without force (a tag: created if missing, refused if different).
    pub lease: Option<Option<Oid>>,
}

impl Push {
    /// A negative refspec: `name` stays out of the other pushes' patterns.
    pub fn leave_out(name: &str) -> Push {
        Push {
            local_ref: format!("^{name}"),
            remote_ref: String::new(),
            lease: None,
        }
    }
}

/// What a push did on the remote.
#[derive(Default)]
pub struct Pushed {
    /// Remote refs created or moved.
    pub updated: Vec<String>,
    /// Remote refs refused, with git's reason.
    pub rejected: Vec<(String, String)>,
}

impl Repo {
    /// Runs the git binary on this repository (transport: it owns credentials, ssh config and
    /// helpers). Returns stdout; a failure carries git's stderr.
    fn git_binary(&self, args: &[&str]) -> Result<String, String> {
        let out = std::process::Command::new("git")
            .arg("--git-dir")
            .arg(self.repo.git_dir())
            .args(args)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| format!("cannot run git: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
            .trim()
            .to_owned())
        }
    }

    /// `git fetch --no-tags REMOTE REFSPEC…`.
    pub fn fetch(&self, remote: &str, refspecs: &[String]) -> Result<()> {
        let mut args = vec![
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--prune",
            remote,
        ];
        args.extend(refspecs.iter().map(String::as_str));
        self.git_binary(&args).map_err(|e| {
            Failure::new(format!("cannot fetch from {remote}: {e}")).hint(format!(
                "check `git remote -v` and that {remote} is reachable; nothing was changed"
            ))
        })?;
        Ok(())
    }

    /// The tags among `names` that `remote` has (`git ls-remote`), with what each points at.
    pub fn remote_tags(&self, remote: &str, names: &[String]) -> Result<Vec<(String, Oid)>> {
        let patterns: Vec<String> = names.iter().map(|n| format!("refs/tags/{n}")).collect();
        let mut args = vec!["ls-remote", "--refs", remote];
        args.extend(patterns.iter().map(String::as_str));
        let listing = self.git_binary(&args).map_err(|e| {
            Failure::new(format!("cannot list the tags of {remote}: {e}"))
                .hint(format!("check that {remote} is reachable"))
        })?;
        let wanted: std::collections::HashSet<&str> = patterns.iter().map(String::as_str).collect();
        Ok(listing
            .lines()
            .filter_map(|line| {
                let (id, name) = line.split_once('\t')?;
                let id = Oid::from_hex(id.as_bytes()).ok()?;
                wanted
                    .contains(name)
                    .then(|| (name.trim_start_matches("refs/tags/").to_owned(), id))
            })
            .collect())
    }

    /// `git fetch` of the tags `names` from `remote`, each into the local tag of the same
    /// name, never forced: a local tag that is different stays, and the fetch fails.
    pub fn fetch_tags(&self, remote: &str, names: &[String]) -> Result<(), String> {
        let refspecs: Vec<String> = names
            .iter()
            .map(|n| format!("refs/tags/{n}:refs/tags/{n}"))
            .collect();
        let mut args = vec![
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            remote,
        ];
        args.extend(refspecs.iter().map(String::as_str));
        self.git_binary(&args).map(drop)
    }

    /// `git push --porcelain` of `updates` to `remote`, each with a lease on the value the
    /// remote had when it was fetched (`None`: it must not exist there). Says which remote refs
    /// moved and which the remote refused, with git's reason.
    pub fn push(&self, remote: &str, updates: &[Push]) -> Result<Pushed> {
        if updates.is_empty() {
            return Ok(Pushed::default());
        }
        let mut args: Vec<String> = vec!["push".into(), "--porcelain".into()];
        for u in updates {
            if let Some(lease) = &u.lease {
                let expect = lease.map(|o| o.to_string()).unwrap_or_default();
                args.push(format!("--force-with-lease={}:{expect}", u.remote_ref));
            }
        }
        args.push(remote.into());
        for u in updates {
            let force = if u.lease.is_some() { "+" } else { "" };
            match u.remote_ref.as_str() {
                "" => args.push(u.local_ref.clone()),
                to => args.push(format!("{force}{}:{to}", u.local_ref)),
            }
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = match self.git_binary(&refs) {
            Ok(out) => out,
            // A rejected ref makes git exit non-zero; the porcelain lines still say which.
            Err(out) if out.lines().any(|l| l.starts_with("!\t")) => out,
            Err(e) => {
                return Err(Failure::new(format!("cannot push to {remote}: {e}"))
                    .hint("your local releases are intact; run `git release sync` again when the remote is reachable")
                    .into());
            }
        };
        // `<flag><TAB>from:to<TAB>summary`: `!` refused (`[rejected] (stale info)`), `*` new,
        // ` ` fast-forward, `+` forced, `=` up to date.
        let mut pushed = Pushed::default();
        for line in output.lines() {
            let mut parts = line.split('\t');
            let (Some(flag), Some(spec)) = (parts.next(), parts.next()) else {
                continue;
            };
            let Some(to) = spec.split(':').nth(1) else {
                continue;
            };
            let reason = parts.next().unwrap_or_default().to_owned();
            match flag {
                "!" => pushed.rejected.push((to.to_owned(), reason)),
                "*" | " " | "+" => pushed.updated.push(to.to_owned()),
                _ => {}
            }
        }
        Ok(pushed)
    }

    /// The fetch URL of a remote, as configured (`git remote get-url NAME`).
    pub fn remote_url(&self, name: &str) -> Result<Option<String>> {
        let Ok(remote) = self.repo.find_remote(name) else {
            return Ok(None);
        };
        Ok(remote
            .url(gix::remote::Direction::Fetch)
            .map(|u| u.to_bstring().to_str_lossy().into_owned()))
    }
}
