//! Opening the repository, its sharing mode, and who is acting.

use std::path::Path;

use anyhow::{Context, Result};
use gix::bstr::ByteSlice;

use super::{Oid, Repo};
use crate::error::Failure;
use crate::release::Actor;

/// The identity a command acts as: author (the actor) and committer, with git's own time.
pub struct Identity {
    pub(super) author: gix::actor::Signature,
    pub(super) committer: gix::actor::Signature,
}

impl Identity {
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.author.name.to_string(),
            email: self.author.email.to_string(),
        }
    }
}

/// Why gix could not open the repository around us: one whose object format this build of gix
/// does not read (SHA-256) is named as such, as git names it; anything else is no repository.
fn not_opened(e: impl std::fmt::Display) -> anyhow::Error {
    let format = std::process::Command::new("git")
        .args(["rev-parse", "--show-object-format"])
        .stdin(std::process::Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned());
    match format {
        Some(format) if !format.is_empty() && format != "sha1" => Failure::new(format!(
            "this repository stores its objects as {format} (extensions.objectFormat = {format}), which git-release cannot read; nothing was written"
        ))
        .hint("git-release works in repositories of the sha1 object format, the one `git init` makes by default")
        .into(),
        _ => Failure::new(format!("not in a git repository: {e}"))
            .hint("run `git release` inside a clone, or `git init` one first")
            .into(),
    }
}

impl Repo {
    /// Opens the repository around the current directory, honouring `GIT_DIR` and friends.
    pub fn discover() -> Result<Repo> {
        // `git -c` settings, as git applies them: above every file's.
        let parameters = match std::env::var_os(crate::parameters::VARIABLE) {
            None => Vec::new(),
            Some(text) => crate::parameters::parse(text.as_encoded_bytes()).ok_or_else(|| {
                Failure::new(format!("bogus format in {}", crate::parameters::VARIABLE))
                    .hint("give settings as `git -c key=value release …`")
            })?,
        };
        let mut options = gix::sec::trust::Mapping::<gix::open::Options>::default();
        for level in [&mut options.full, &mut options.reduced] {
            level.modify(|o| o.cli_overrides(parameters.iter().map(|p| p.as_bstr())));
        }
        let mut repo: gix::Repository =
            gix::ThreadSafeRepository::discover_with_environment_overrides_opts(
                ".",
                Default::default(),
                options,
            )
            .map_err(not_opened)?
            .to_thread_local();
        repo.object_cache_size_if_unset(64 << 20);
        let reftable = match repo
            .config_snapshot()
            .plumbing()
            .string("extensions.refStorage")
        {
            None => false,
            Some(format) if format.as_bstr() == "files" => false,
            Some(format) if format.as_bstr() == "reftable" => true,
            Some(format) => {
                return Err(Failure::new(format!(
                    "this repository keeps its refs as `{format}` (extensions.refStorage), which git-release does not know; nothing was written"
                ))
                .hint("git-release works with the `files` and `reftable` ref formats")
                .into());
            }
        };
        // `Some(None)`: the key without a value, which git reads as `group`.
        let shared = match repo
            .config_snapshot()
            .plumbing()
            .string_implicit("core.sharedRepository")
        {
            None => Ok(0),
            Some(value) => gix::config::tree::Core::SHARED_REPOSITORY
                .try_into_shared_repository(value.as_deref())
                .map_err(|_| {
                    let value = value.as_ref().map(|v| v.to_str_lossy()).unwrap_or_default();
                    format!(
                        "core.sharedRepository = {value} is not umask, group, all, a boolean or an octal mode that lets its owner read and write"
                    )
                }),
        };
        Ok(Repo {
            repo,
            in_memory: false,
            shared,
            reftable,
            commit_graph: Default::default(),
        })
    }

    /// The same repository again, to read from on another thread: the same settings, caches
    /// of its own.
    pub fn for_another_thread(&self) -> Repo {
        Repo {
            repo: self.repo.clone(),
            in_memory: self.in_memory,
            shared: self.shared.clone(),
            reftable: self.reftable,
            commit_graph: Default::default(),
        }
    }

    /// `core.sharedRepository`, or why nothing may be written: a value git would refuse stops
    /// every write before it starts, as it stops git's.
    pub(super) fn shared_mode(&self) -> Result<i32> {
        self.shared.clone().map_err(|e| {
            Failure::new(e)
                .hint("set it as `git help config` describes, or unset it")
                .into()
        })
    }

    /// Whether the repository is shared, so that what we make needs its mode adjusted.
    pub fn is_shared(&self) -> bool {
        !matches!(self.shared, Ok(0))
    }

    /// Gives what we just made at `path` (a file or a directory inside the repository) the
    /// permissions `core.sharedRepository` asks for, as git does after each file it makes.
    pub fn give_shared_mode(&self, path: &Path) -> Result<()> {
        let mode = self.shared_mode()?;
        gix::fs::set_shared_repository_permissions(path, mode).with_context(|| {
            format!(
                "giving {} the mode core.sharedRepository asks for",
                path.display()
            )
        })
    }

    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// The repository's own directory (`.git`, shared by all worktrees), for local caches.
    pub fn common_dir(&self) -> &Path {
        self.repo.common_dir()
    }

    /// Who is acting: git's author and committer identity (config or `GIT_AUTHOR_*` etc.).
    ///
    /// Resolved as git does: `author.*`, then `user.*`, then the fallbacks; dates from
    /// `GIT_AUTHOR_DATE` / `GIT_COMMITTER_DATE`, whose errors name the variable.
    pub fn identity(&self) -> Result<Identity> {
        let config = self.repo.config_snapshot();
        let value = |keys: &[&str]| keys.iter().find_map(|k| config.string(*k));
        let now = || {
            let now = chrono::Local::now();
            gix::date::Time::new(now.timestamp(), now.offset().local_minus_utc())
        };
        let time = |role: &str| -> Result<gix::date::Time> {
            let key = format!("gitoxide.commit.{role}Date");
            match config.string(key.as_str()) {
                None => Ok(now()),
                Some(date) => {
                    let date = date.to_str_lossy();
                    gix::date::parse(&date, None)
                        .or_else(|_| gix::date::parse(&date, Some(gix::date::Zoned::now())))
                        .map_err(|e| {
                            let var = format!("GIT_{}_DATE", role.to_uppercase());
                            Failure::new(format!("{var} = `{date}` is not a date git reads: {e}"))
                                .hint(format!(
                                    "unset {var}, or give it as `2026-11-20T10:00:00+01:00`"
                                ))
                                .into()
                        })
                }
            }
        };
        let person = |role: &str| -> Result<gix::actor::Signature> {
            let name = value(&[
                &format!("{role}.name"),
                "user.name",
                &format!("gitoxide.{role}.nameFallback"),
            ]);
            let email = value(&[
                &format!("{role}.email"),
                "user.email",
                "gitoxide.user.emailFallback",
                &format!("gitoxide.{role}.emailFallback"),
            ]);
            let (Some(name), Some(email)) = (name, email) else {
                return Err(Failure::new("git does not know who you are (no user.name / user.email)")
                    .hint("git config --global user.name \"Your Name\" && git config --global user.email you@example.com")
                    .into());
            };
            Ok(gix::actor::Signature {
                name,
                email,
                time: time(role)?,
            })
        };
        Ok(Identity {
            author: person("author")?,
            committer: person("committer")?,
        })
    }

    pub fn short(&self, id: Oid) -> String {
        id.to_hex_with_len(7).to_string()
    }
}
