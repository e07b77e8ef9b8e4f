//! The only module that talks to git: gix for objects, refs, notes and history. Everything
//! above speaks this module's small vocabulary (`Repo`, `Oid`, `RefUpdate`, `CommitInfo`).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use gix::bstr::ByteSlice;
use gix::refs::transaction::{Change, LogChange, PreviousValue, RefEdit, RefLog};

pub use gix::ObjectId as Oid;

/// A map keyed by object id, hashed for ids (they are random already): folding 50,000
/// commits looks each one up several times.
pub type OidMap<V> = gix::hashtable::HashMap<Oid, V>;

use crate::error::Failure;
use crate::release::Actor;
use crate::shared::Shared;

pub struct Repo {
    repo: gix::Repository,
    /// Whether object writes stay in memory (`batch`, `keep_objects_in_memory`).
    in_memory: bool,
    /// `core.sharedRepository`: what the files and directories we make are opened up to; a
    /// value git would refuse is refused when something is to be made, as git does.
    shared: std::result::Result<Shared, String>,
    /// The commit-graph, read once: `is_ancestor` runs once or twice per release in a sync, and
    /// opening the file for each (as `gix::Repository::merge_base` does) mapped and parsed it
    /// hundreds of times.
    commit_graph: std::cell::OnceCell<Option<gix::commitgraph::Graph>>,
}

/// A pack just written, kept from `git gc` until this is dropped.
#[must_use = "drop it only once refs point at the objects"]
pub struct KeptPack(Option<PathBuf>);

impl Drop for KeptPack {
    fn drop(&mut self) {
        if let Some(keep) = self.0.take() {
            let _ = std::fs::remove_file(keep);
        }
    }
}

/// A ref as `refs_under_peeled` lists it: its name under the prefix, its target, and the
/// commit it peels to when packed-refs says so.
pub struct RefEntry {
    pub name: String,
    pub target: Oid,
    pub peeled: Option<Oid>,
}

/// The identity a command acts as: author (the actor) and committer, with git's own time.
pub struct Identity {
    author: gix::actor::Signature,
    committer: gix::actor::Signature,
}

impl Identity {
    pub fn actor(&self) -> Actor {
        Actor {
            name: self.author.name.to_string(),
            email: self.author.email.to_string(),
        }
    }
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

/// The result of applying one commit's change to another tree (revert, cherry-pick).
pub enum Applied {
    Clean {
        tree: Oid,
    },
    /// Paths git would leave conflicted; nothing is written for them.
    Conflicts(Vec<String>),
}

/// What a commit's signature says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    Unsigned,
    /// Valid, made by `signer` (the ssh principal or the e-mail of the gpg key).
    Good {
        signer: String,
    },
    Bad(String),
}

/// A program that signs commits the way git does.
enum Signer {
    Ssh {
        program: String,
        key: String,
    },
    OpenPgp {
        program: String,
        key: Option<String>,
    },
}

impl Signer {
    /// An armored signature of `payload`, from the same program with the same arguments git
    /// uses.
    /// Signs `payload`; `switch` is the setting that asked for it, named if signing fails.
    fn sign(&self, payload: &[u8], switch: &str) -> Result<String> {
        match self {
            Signer::Ssh { program, key } => {
                let dir = tempfile::tempdir().context("making a temporary directory")?;
                let file = dir.path().join("commit");
                std::fs::write(&file, payload)?;
                let key_file = match key.strip_prefix("key::") {
                    Some(literal) => {
                        let path = dir.path().join("key.pub");
                        std::fs::write(&path, literal)?;
                        path
                    }
                    None => PathBuf::from(expand_home(key)),
                };
                let out = std::process::Command::new(program)
                    .args(["-Y", "sign", "-n", "git", "-f"])
                    .arg(&key_file)
                    .arg(&file)
                    .stdin(std::process::Stdio::null())
                    .output()
                    .with_context(|| format!("running {program}"))?;
                if !out.status.success() {
                    return Err(Failure::new(format!(
                        "signing failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                    .hint(format!(
                        "check user.signingkey, or turn {switch} off; nothing was recorded"
                    ))
                    .into());
                }
                Ok(std::fs::read_to_string(dir.path().join("commit.sig"))?)
            }
            Signer::OpenPgp { program, key } => {
                use std::io::Write as _;
                let mut cmd = std::process::Command::new(program);
                cmd.args(["--status-fd=2", "-bsa"]);
                if let Some(key) = key {
                    cmd.args(["-u", key]);
                }
                let mut child = cmd
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .with_context(|| format!("running {program}"))?;
                child.stdin.take().expect("piped").write_all(payload)?;
                let out = child.wait_with_output()?;
                if !out.status.success() {
                    return Err(Failure::new(format!(
                        "signing failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                    .hint(format!(
                        "check user.signingkey and gpg, or turn {switch} off; nothing was recorded"
                    ))
                    .into());
                }
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
        }
    }
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_owned(),
    }
}

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

pub struct CommitInfo {
    pub id: Oid,
    pub parents: Vec<Oid>,
    pub subject: String,
    /// The message after the subject line.
    pub body: String,
    pub author: Actor,
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
            .map_err(|e| {
                Failure::new(format!("not in a git repository: {e}"))
                    .hint("run `git release` inside a clone, or `git init` one first")
            })?
            .to_thread_local();
        repo.object_cache_size_if_unset(64 << 20);
        // `Some(None)`: the key without a value, which git reads as `group`.
        let shared = match repo
            .config_snapshot()
            .plumbing()
            .string_implicit("core.sharedRepository")
        {
            None => Ok(Shared::Umask),
            Some(value) => Shared::parse(value.as_ref().map(|v| v.to_str_lossy()).as_deref())
                .map_err(|e| e.to_string()),
        };
        Ok(Repo {
            repo,
            in_memory: false,
            shared,
            commit_graph: Default::default(),
        })
    }

    /// `core.sharedRepository`, or why nothing may be written: a value git would refuse stops
    /// every write before it starts, as it stops git's.
    fn sharing(&self) -> Result<Shared> {
        self.shared.clone().map_err(|e| {
            Failure::new(e)
                .hint("set it as `git help config` describes, or unset it")
                .into()
        })
    }

    /// Gives what we just made at `path` (a file or a directory inside the repository) the
    /// permissions `core.sharedRepository` asks for, as git does after each file it makes.
    pub fn share(&self, path: &Path) -> Result<()> {
        self.sharing()?.apply(path)
    }

    /// `core.sharedRepository`, for files written when the repository is no longer at hand
    /// (a cache, whose mode is a courtesy): as unset when its value is wrong.
    pub fn shared(&self) -> Shared {
        self.shared.clone().unwrap_or(Shared::Umask)
    }

    /// What an update of the ref `name` by gix's transaction makes or writes, to be shared
    /// once it has: the ref's file (put in place by a rename, so always new), its reflog (git
    /// shares it at each entry it adds), and each directory above the two, up to the
    /// repository's own, that is not there yet. git gives modes only to what it makes; a
    /// directory that exists may be another user's. Nothing when the repository is not shared.
    fn to_be_made(&self, name: &str) -> Vec<PathBuf> {
        if self.shared == Ok(Shared::Umask) {
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
        if self.shared == Ok(Shared::Umask) {
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
    fn share_made(&self, made: &[PathBuf], packed_before: Option<u64>) {
        let packed = self.packed_refs_file();
        let rewritten = (packed.is_some() && packed != packed_before)
            .then(|| self.repo.common_dir().join("packed-refs"));
        for path in made.iter().chain(&rewritten) {
            if path.exists()
                && let Err(e) = self.share(path)
            {
                crate::warn!("warning: {e:#}");
            }
        }
    }

    /// From now on, objects are written to memory only: a dry run can plan with real commits
    /// and trees and leave the repository exactly as it was.
    pub fn keep_objects_in_memory(&mut self) {
        self.repo = self.repo.clone().with_object_memory();
        self.in_memory = true;
    }

    /// Another handle on this repository whose object writes stay in memory until
    /// `write_kept_objects`: for commands that write many objects at once.
    pub fn batch(&self) -> Repo {
        Repo {
            repo: self.repo.clone().with_object_memory(),
            in_memory: true,
            shared: self.shared.clone(),
            commit_graph: Default::default(),
        }
    }

    /// Writes the objects kept in memory (see `batch`) to the object database,
    /// and keeps later ones in memory again. Many objects go into one pack with its index — a
    /// file per object costs more than the work that made them — few go loose, as git does with
    /// what it fetches (`transfer.unpackLimit`, 100). The returned guard holds the new pack's
    /// `.keep` file, which stops a concurrent `git gc` from dropping the not yet referenced
    /// objects; drop it once the refs point at them.
    pub fn write_kept_objects(&mut self) -> Result<KeptPack> {
        const UNPACK_LIMIT: usize = 100;
        // Before anything is made: a sharing mode git would refuse.
        self.sharing()?;
        let Some(kept) = self.repo.objects.take_object_memory() else {
            return Ok(KeptPack(None));
        };
        if kept.len() < UNPACK_LIMIT {
            for (id, (kind, data)) in kept.iter() {
                self.write_loose(*kind, data, *id)?;
            }
            self.repo.objects.enable_object_memory();
            return Ok(KeptPack(None));
        }
        use gix_pack::data::output;
        // One compressor for every entry: setting one up zeroes zlib-rs's 128 KiB hash table
        // twice and allocates its window, which for objects of a few hundred bytes cost
        // several times the compressing (what `Entry::from_data` does for each entry).
        let mut deflate =
            gix::zlib::stream::deflate::Compress::new(gix::zlib::Compression::BEST_SPEED);
        let entries = kept
            .iter()
            .map(|(id, (kind, data))| {
                Ok(output::Entry {
                    id: *id,
                    kind: output::entry::Kind::Base(*kind),
                    decompressed_size: data.len(),
                    compressed_data: deflated(&mut deflate, data)
                        .with_context(|| format!("packing {id}"))?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut pack = Vec::new();
        let count = u32::try_from(entries.len()).context("too many objects for one pack")?;
        for written in output::bytes::FromEntriesIter::new(
            std::iter::once(Ok::<_, gix::Error>(entries)),
            &mut pack,
            count,
            gix_pack::data::Version::V2,
            self.repo.object_hash(),
        ) {
            written.map_err(|e| anyhow!("writing the pack: {e}"))?;
        }
        let outcome = gix_pack::Bundle::write_to_directory(
            &mut pack.as_slice(),
            Some(&self.repo.objects.store_ref().path().join("pack")),
            &mut gix::progress::Discard,
            &std::sync::atomic::AtomicBool::new(false),
            None::<gix::objs::find::Never>,
            self.repo.object_hash(),
            Default::default(),
        )
        .map_err(|e| anyhow!("writing a pack of {count} objects: {e}"))?;
        // Held first, so that the `.keep` goes if sharing the files fails.
        let kept = KeptPack(outcome.keep_path.clone());
        // Read-only, as git leaves a pack and its index (gix's temporary files were 0600).
        for path in [&outcome.data_path, &outcome.index_path]
            .into_iter()
            .flatten()
        {
            let mut permissions = std::fs::metadata(path)?.permissions();
            permissions.set_readonly(true);
            std::fs::set_permissions(path, permissions)
                .with_context(|| format!("making {} read-only", path.display()))?;
        }
        for path in [outcome.data_path, outcome.index_path, outcome.keep_path]
            .iter()
            .flatten()
        {
            self.share(path)?;
        }
        self.repo.objects.enable_object_memory();
        Ok(kept)
    }

    /// Runs `command` (with `sh -c`) in a temporary detached worktree at `commit`, and returns
    /// the files it created or changed. The worktree is removed afterwards, whatever happens.
    pub fn run_in_worktree(&self, commit: Oid, command: &str) -> Result<Vec<(String, String)>> {
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

    pub fn workdir(&self) -> Option<&Path> {
        self.repo.workdir()
    }

    /// Who is acting: git's author and committer identity (config or `GIT_AUTHOR_*` etc.).
    ///
    /// Resolved as gix does (and git: `author.*`, then `user.*`, then the fallbacks; dates from
    /// `GIT_AUTHOR_DATE` / `GIT_COMMITTER_DATE`), but the current time's offset comes from
    /// chrono: gix's `author()` asks jiff, whose first question loads the whole zoneinfo
    /// database from disk, a third of a small command's time.
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

    /// The commit `rev` names (tags are peeled), or `None` if it names nothing.
    pub fn resolve_commit(&self, rev: &str) -> Result<Option<Oid>> {
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
        match self.repo.try_find_reference(name)? {
            None => Ok(None),
            Some(mut r) => Ok(Some(r.peel_to_commit()?.id)),
        }
    }

    /// What a ref points at directly, without peeling.
    pub fn ref_target(&self, name: &str) -> Result<Option<Oid>> {
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

    /// Every ref under `prefix`, with what it points at and, when packed-refs knows it, the
    /// commit a tag peels to. One pass; peel the rest with `commit_of` only where needed.
    pub fn refs_under_peeled(&self, prefix: &str) -> Result<Vec<RefEntry>> {
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

    pub fn read_blob(&self, id: Oid) -> Result<Vec<u8>> {
        Ok(self.repo.find_blob(id)?.take_data())
    }

    /// The blob at `path` in a commit's tree, or `None` if there is none.
    pub fn blob_at(&self, commit: Oid, path: &str) -> Result<Option<(Oid, Vec<u8>)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(path)? else {
            return Ok(None);
        };
        if !entry.mode().is_blob() {
            return Ok(None);
        }
        let id = entry.object_id();
        Ok(Some((id, self.read_blob(id)?)))
    }

    /// The text of the file at `path` in a commit's tree, invalid UTF-8 replaced.
    pub fn text_at(&self, commit: Oid, path: &str) -> Result<Option<String>> {
        Ok(self
            .blob_at(commit, path)?
            .map(|(_, bytes)| String::from_utf8_lossy(&bytes).into_owned()))
    }

    /// The blobs directly inside the directory `dir` of a commit's tree, by file name.
    pub fn blobs_in(&self, commit: Oid, dir: &str) -> Result<Vec<(String, Oid)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(dir)? else {
            return Ok(Vec::new());
        };
        if !entry.mode().is_tree() {
            return Ok(Vec::new());
        }
        let sub = self.repo.find_tree(entry.object_id())?;
        let mut out = Vec::new();
        for e in sub.decode()?.entries.iter() {
            if e.mode.is_blob() {
                out.push((e.filename.to_str_lossy().into_owned(), e.oid.to_owned()));
            }
        }
        Ok(out)
    }

    /// Every blob beneath the directory `dir` of a commit's tree, at any depth, by its path
    /// below `dir`.
    pub fn blobs_under(&self, commit: Oid, dir: &str) -> Result<Vec<(String, Oid)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let Some(entry) = tree.lookup_entry_by_path(dir)? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        if entry.mode().is_tree() {
            self.collect_blobs(entry.object_id(), "", &mut out)?;
        }
        Ok(out)
    }

    fn collect_blobs(&self, tree: Oid, prefix: &str, out: &mut Vec<(String, Oid)>) -> Result<()> {
        let mut subtrees = Vec::new();
        {
            let tree = self.repo.find_tree(tree)?;
            for e in tree.decode()?.entries.iter() {
                let path = format!("{prefix}{}", e.filename.to_str_lossy());
                if e.mode.is_tree() {
                    subtrees.push((e.oid.to_owned(), path + "/"));
                } else if e.mode.is_blob() {
                    out.push((path, e.oid.to_owned()));
                }
            }
        }
        for (tree, prefix) in subtrees {
            self.collect_blobs(tree, &prefix, out)?;
        }
        Ok(())
    }

    pub fn write_blob(&self, bytes: &[u8]) -> Result<Oid> {
        self.write_new(gix::object::Kind::Blob, bytes)
    }

    /// Writes an object we just made — an event, a state, their trees and commit, a tag —
    /// without first asking whether it exists, as gix's `write_*` do. For an object that is
    /// new that question searches every pack, and gix validates each pack index it opens
    /// (its whole offset table): on a 400,000-object repository, a third of a `comment`. At
    /// worst an object also in a pack is written loose once more, which `git gc` drops.
    fn write_new(&self, kind: gix::object::Kind, data: &[u8]) -> Result<Oid> {
        use gix::objs::Write as _;
        let id = gix::objs::compute_hash(self.repo.object_hash(), kind, data)?;
        if self.in_memory {
            return Ok(self.repo.objects.write_buf_with_known_id(kind, data, id)?);
        }
        self.write_loose(kind, data, id)?;
        Ok(id)
    }

    /// Writes a loose object as git does (a temporary file renamed into place, read-only), in
    /// zlib's stored form: deflate blocks that are not compressed, as git writes them with
    /// `core.looseCompression = 0`. Setting up a compressor costs more than the objects of an
    /// event (zlib-rs zeroes a 128 KiB hash table for each, and a short process pays a page
    /// fault for every fresh page of it); they are a few hundred bytes each, under one disk
    /// block either way, and `git gc` compresses them into a pack as it does any loose object.
    fn write_loose(&self, kind: gix::object::Kind, data: &[u8], id: Oid) -> Result<()> {
        use std::io::Write as _;
        // Before anything is made: a sharing mode git would refuse.
        self.sharing()?;
        let objects = self.repo.objects.store_ref().path();
        let hex = id.to_hex().to_string();
        let (fan, rest) = hex.split_at(2);
        let target = objects.join(fan).join(rest);
        let mut object = Vec::with_capacity(data.len() + 32);
        object.extend_from_slice(kind.as_bytes());
        object.extend_from_slice(format!(" {}\0", data.len()).as_bytes());
        object.extend_from_slice(data);
        let out = zlib_stored(&object);
        // As git does: the temporary file in the fan-out directory, made when missing, so the
        // rename stays in one directory; read-only for everyone the umask allows (0444).
        let dir = objects.join(fan);
        let mut builder = tempfile::Builder::new();
        builder.prefix("tmp_obj_");
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o444));
        let mut file = match builder.tempfile_in(&dir) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                match std::fs::create_dir(&dir) {
                    Ok(()) => self.share(&dir)?,
                    Err(made) if made.kind() == std::io::ErrorKind::AlreadyExists => {}
                    Err(made) => {
                        return Err(
                            anyhow::Error::new(made).context(format!("making {}", dir.display()))
                        );
                    }
                }
                builder.tempfile_in(&dir)
            }
            other => other,
        }
        .with_context(|| format!("writing object {id} into {}", dir.display()))?;
        file.write_all(&out)?;
        self.share(file.path())?;
        #[cfg(not(unix))]
        {
            let mut permissions = file.as_file().metadata()?.permissions();
            permissions.set_readonly(true);
            file.as_file().set_permissions(permissions)?;
        }
        // Into place only if nobody put it there first (the same bytes, then). No `stat`
        // before: a lookup that misses is the slowest thing a file system does here, and the
        // rename looks anyway. An object already there is touched, as git touches it, so a
        // `git gc` running now does not prune it as old and unreachable. A file system that
        // cannot rename without overwriting gets the plain rename, as git falls back to it.
        match file.persist_noclobber(&target) {
            Ok(_) => {}
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                if let Ok(existing) = std::fs::File::open(&target) {
                    let _ = existing.set_modified(std::time::SystemTime::now());
                }
            }
            Err(e) => {
                e.file
                    .persist(&target)
                    .map_err(|e| anyhow!("writing object {id}: {}", e.error))?;
            }
        }
        Ok(())
    }

    /// `write_new` for an object to encode first.
    fn write_new_object(&self, object: &impl gix::objs::WriteTo) -> Result<Oid> {
        let mut data = Vec::with_capacity(object.size() as usize);
        object.write_to(&mut data)?;
        self.write_new(object.kind(), &data)
    }

    /// Writes the tree of `base` (a commit, or nothing for an empty tree) with blobs put at paths.
    pub fn write_tree(&self, base: Option<Oid>, blobs: &[(String, Oid)]) -> Result<Oid> {
        self.write_tree_emptying(base, None, blobs)
    }

    /// Writes the tree of `base` without the directory `empty` (if given), then with blobs put
    /// at paths, which may be inside that directory again.
    pub fn write_tree_emptying(
        &self,
        base: Option<Oid>,
        empty: Option<&str>,
        blobs: &[(String, Oid)],
    ) -> Result<Oid> {
        let tree = match base {
            Some(commit) => self.tree_of(commit)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        self.edit_tree_emptying(tree, empty, blobs)
    }

    /// Writes `tree` with regular-file blobs put at paths.
    ///
    /// gix's own `edit_tree` checks, for every tree it writes, that each entry's object exists:
    /// on a release with 10,000 events that is 10,000 lookups (loose ones a `stat` each) to add
    /// one event. The plumbing editor skips that; the entries it keeps come from a valid tree, and
    /// the ones we add are checked here, name and object.
    pub fn edit_tree(&self, tree: Oid, blobs: &[(String, Oid)]) -> Result<Oid> {
        self.edit_tree_emptying(tree, None, blobs)
    }

    fn edit_tree_emptying(
        &self,
        tree: Oid,
        empty: Option<&str>,
        blobs: &[(String, Oid)],
    ) -> Result<Oid> {
        use gix::objs::tree::EntryKind;
        let root = if tree.is_empty_tree() {
            gix::objs::Tree::empty()
        } else {
            self.repo.find_tree(tree)?.decode()?.into()
        };
        let mut editor =
            gix::objs::tree::Editor::new(root, &self.repo.objects, self.repo.object_hash());
        if let Some(dir) = empty {
            editor.remove(dir.split('/'))?;
        }
        for (path, id) in blobs {
            for part in path.split('/') {
                gix::validate::path::component(part.into(), None, Default::default())
                    .map_err(|e| anyhow!("`{path}` cannot be a path in a tree: {e}"))?;
            }
            if !self.repo.has_object(id) {
                bail!("{id} (to be put at {path}) is not in the object database");
            }
            editor.upsert(path.split('/'), EntryKind::Blob, *id)?;
        }
        let id = editor.write(|tree| self.write_new_object(tree))?;
        Ok(id)
    }

    pub fn tree_of(&self, commit: Oid) -> Result<Oid> {
        Ok(self.repo.find_commit(commit)?.tree_id()?.detach())
    }

    /// Every file (blob or link) of a commit's tree, with its path.
    pub fn files(&self, commit: Oid) -> Result<Vec<(String, Oid)>> {
        let tree = self.repo.find_commit(commit)?.tree()?;
        let mut recorder = gix::traverse::tree::Recorder::default();
        tree.traverse().breadthfirst(&mut recorder)?;
        Ok(recorder
            .records
            .into_iter()
            .filter(|e| !e.mode.is_tree() && !e.mode.is_commit())
            .map(|e| (e.filepath.to_str_lossy().into_owned(), e.oid))
            .collect())
    }

    /// The paths whose file differs between two commits (added, changed or removed); `from`
    /// absent stands for an empty tree.
    pub fn changed_paths(
        &self,
        from: Option<Oid>,
        to: Oid,
    ) -> Result<std::collections::BTreeSet<String>> {
        use std::collections::BTreeMap;
        let before: BTreeMap<String, Oid> = match from {
            Some(from) => self.files(from)?.into_iter().collect(),
            None => BTreeMap::new(),
        };
        let after: BTreeMap<String, Oid> = self.files(to)?.into_iter().collect();
        Ok(before
            .keys()
            .chain(after.keys())
            .filter(|path| before.get(*path) != after.get(*path))
            .cloned()
            .collect())
    }

    /// The change `commit` made, undone on top of `onto` (a commit): what `git revert` does,
    /// as a three-way merge of trees — base `commit`, ours `onto`, theirs `commit^`. The
    /// paths in `keep` are set to the given blobs on both sides of the change, so the revert
    /// leaves them as `onto` has them and never conflicts on them.
    pub fn revert_tree(&self, commit: Oid, onto: Oid, keep: &[(String, Oid)]) -> Result<Applied> {
        let parent = self.single_parent(commit)?;
        let mut base = self.tree_of(commit)?;
        let mut theirs = match parent {
            Some(p) => self.tree_of(p)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        if !keep.is_empty() {
            base = self.edit_tree(base, keep)?;
            theirs = self.edit_tree(theirs, keep)?;
        }
        self.merge3(
            base,
            self.tree_of(onto)?,
            theirs,
            "parent of the reverted commit",
        )
    }

    /// The change `commit` made, applied on top of `onto`: what `git cherry-pick` does —
    /// base `commit^`, ours `onto`, theirs `commit`.
    pub fn cherry_pick_tree(&self, commit: Oid, onto: Oid) -> Result<Applied> {
        let base = match self.single_parent(commit)? {
            Some(p) => self.tree_of(p)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        self.merge3(
            base,
            self.tree_of(onto)?,
            self.tree_of(commit)?,
            "picked commit",
        )
    }

    fn single_parent(&self, commit: Oid) -> Result<Option<Oid>> {
        let info = self.commit_info(commit)?;
        match info.parents.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            _ => Err(Failure::new(format!(
                "{} is a merge commit; git-release reverts and picks single commits",
                self.short(commit)
            ))
            .hint("name the commits the merge brought in instead (`git log --oneline MERGE^1..MERGE^2`)")
            .into()),
        }
    }

    fn merge3(&self, base: Oid, ours: Oid, theirs: Oid, their_label: &str) -> Result<Applied> {
        use gix::merge::tree::TreatAsUnresolved;
        let labels = gix::merge::blob::builtin_driver::text::Labels {
            ancestor: Some("base".into()),
            current: Some("ours".into()),
            other: Some(their_label.into()),
        };
        let options = self.repo.tree_merge_options()?;
        let mut outcome = self.repo.merge_trees(base, ours, theirs, labels, options)?;
        let how = TreatAsUnresolved::git();
        if outcome.has_unresolved_conflicts(how) {
            let mut paths: Vec<String> = outcome
                .conflicts
                .iter()
                .filter(|c| c.is_unresolved(how))
                .flat_map(|c| {
                    let (a, b) = c.changes_in_resolution();
                    [a.location().to_string(), b.location().to_string()]
                })
                .collect();
            paths.sort();
            paths.dedup();
            return Ok(Applied::Conflicts(paths));
        }
        Ok(Applied::Clean {
            tree: outcome.tree.write()?.detach(),
        })
    }

    /// Writes a commit authored as `original` was (name, e-mail and date, as git cherry-pick
    /// keeps them), committed by `who`.
    pub fn write_commit_authored_as(
        &self,
        original: Oid,
        who: &Identity,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        let source = self.repo.find_commit(original)?;
        let author = source.author()?.to_owned()?;
        self.commit_object(author, who.committer.clone(), message, tree, parents)
    }

    /// Writes a commit, signed the way git would sign it when `commit.gpgsign` is set.
    fn commit_object(
        &self,
        author: gix::actor::Signature,
        committer: gix::actor::Signature,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        let mut commit = gix::objs::Commit {
            tree,
            parents: parents.iter().copied().collect(),
            author,
            committer,
            encoding: None,
            message: message.into(),
            extra_headers: Vec::new(),
        };
        if let Some(signer) = self.signer("commit.gpgsign")? {
            let mut payload = Vec::new();
            gix::objs::WriteTo::write_to(&commit, &mut payload)?;
            let signature = signer.sign(&payload, "commit.gpgsign")?;
            commit
                .extra_headers
                .push(("gpgsig".into(), signature.into()));
        }
        self.write_new_object(&commit)
    }

    /// How git is set up to sign, if `switch` (`commit.gpgsign`, `tag.gpgsign`) turns it on.
    fn signer(&self, switch: &str) -> Result<Option<Signer>> {
        let config = self.repo.config_snapshot();
        if !config.boolean(switch).unwrap_or(false) {
            return Ok(None);
        }
        let key = config.string("user.signingkey").map(|k| k.to_string());
        let format = config
            .string("gpg.format")
            .map_or_else(|| "openpgp".to_owned(), |f| f.to_string());
        match format.as_str() {
            "ssh" => {
                let key = key.ok_or_else(|| {
                    Failure::new(format!(
                        "{switch} is on with gpg.format = ssh, but user.signingkey is not set"
                    ))
                    .hint("git config user.signingkey ~/.ssh/id_ed25519.pub")
                })?;
                let program = config
                    .string("gpg.ssh.program")
                    .map_or_else(|| "ssh-keygen".to_owned(), |p| p.to_string());
                Ok(Some(Signer::Ssh { program, key }))
            }
            "openpgp" => {
                let program = config
                    .string("gpg.program")
                    .map_or_else(|| "gpg".to_owned(), |p| p.to_string());
                Ok(Some(Signer::OpenPgp { program, key }))
            }
            other => Err(Failure::new(format!(
                "gpg.format = {other} is not supported for signing"
            ))
            .hint(format!(
                "use gpg.format = ssh or openpgp, or turn {switch} off"
            ))
            .into()),
        }
    }

    /// Checks a commit's signature like `git verify-commit`, with `allowed_signers` (an ssh
    /// allowed-signers file) for ssh signatures.
    pub fn verify_commit(&self, commit: Oid, allowed_signers: Option<&Path>) -> Result<Signature> {
        let object = self.repo.find_commit(commit)?;
        let decoded = object.decode()?;
        if decoded.extra_headers().pgp_signature().is_none() {
            return Ok(Signature::Unsigned);
        }
        let mut cmd = std::process::Command::new("git");
        cmd.arg("--git-dir").arg(self.repo.git_dir());
        if let Some(path) = allowed_signers {
            cmd.arg("-c")
                .arg(format!("gpg.ssh.allowedSignersFile={}", path.display()));
        }
        let out = cmd
            .args(["verify-commit", "--raw", &commit.to_string()])
            .output()
            .context("running git verify-commit")?;
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            let reason = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("bad signature");
            return Ok(Signature::Bad(reason.trim().to_owned()));
        }
        // ssh: `Good "git" signature for kim@qa.example.com with ED25519 key SHA256:…`;
        // openpgp: `[GNUPG:] GOODSIG <id> Kim <kim@qa.example.com>`.
        let signer = text
            .lines()
            .find_map(|l| {
                l.split_once("signature for ")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                    .or_else(|| {
                        l.strip_prefix("[GNUPG:] GOODSIG ")
                            .and_then(|rest| rest.rsplit_once('<'))
                            .map(|(_, email)| email.trim_end_matches('>'))
                    })
            })
            .unwrap_or_default()
            .to_owned();
        Ok(Signature::Good { signer })
    }

    /// The full message of a commit.
    pub fn message(&self, commit: Oid) -> Result<String> {
        Ok(self
            .repo
            .find_commit(commit)?
            .message_raw()?
            .to_str_lossy()
            .into_owned())
    }

    pub fn write_commit(
        &self,
        who: &Identity,
        message: &str,
        tree: Oid,
        parents: &[Oid],
    ) -> Result<Oid> {
        self.commit_object(
            who.author.clone(),
            who.committer.clone(),
            message,
            tree,
            parents,
        )
    }

    /// Writes an annotated tag object (not its ref) for `target`, signed as `git tag` signs
    /// when `tag.gpgSign` is set.
    pub fn write_tag(&self, who: &Identity, name: &str, target: Oid, message: &str) -> Result<Oid> {
        let mut tag = gix::objs::Tag {
            target,
            target_kind: gix::object::Kind::Commit,
            name: name.into(),
            tagger: Some(who.committer.clone()),
            message: message.into(),
            signature: None,
        };
        if let Some(signer) = self.signer("tag.gpgsign")? {
            // git signs the object up to the end of its message and appends the signature;
            // gix writes a newline between message and signature, so the message goes without
            // its own and the newline is part of what is signed.
            tag.message = message.trim_end_matches('\n').into();
            let mut payload = Vec::new();
            gix::objs::WriteTo::write_to(&tag, &mut payload)?;
            payload.push(b'\n');
            tag.signature = Some(signer.sign(&payload, "tag.gpgSign")?.into());
        }
        self.write_new_object(&tag)
    }

    /// Moves one release ref as git's files backend does, without gix's transaction: the
    /// ref's lock file, a look at its value (loose, else packed), the new value into the lock,
    /// and the lock renamed over the ref. gix also locks `packed-refs` for every update in a
    /// repository that has that file (to read it under the lock, which git does not), and its
    /// first lock file makes it read the cgroup files: together a tenth of a `comment`. `None`
    /// when this is not the simple case — another ref namespace, a reflog to write, a name of
    /// more levels, no `refs/release/` yet, a symbolic ref — and gix's transaction does it.
    fn move_release_ref(&self, u: &RefUpdate) -> Option<Result<(), RefUpdateError>> {
        let name = u.name.strip_prefix("refs/release/")?;
        if name.is_empty()
            || name.contains('/')
            || gix::refs::FullName::try_from(u.name.as_str()).is_err()
            || self.repo.refs.namespace.is_some()
            || self.log_all_ref_updates_always()
        {
            return None;
        }
        let dir = self.repo.common_dir();
        if dir.join("logs").join(&u.name).exists() {
            return None;
        }
        let lock = self.lock_path(&u.name);
        let mut file = match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&lock)
        {
            Ok(file) => file,
            // Another writer holds it: a race the caller waits out (or names, if it stays).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Some(Err(RefUpdateError::Raced));
            }
            Err(_) => return None,
        };
        let current = self
            .repo
            .try_find_reference(u.name.as_str())
            .map(|found| found.map(|r| r.target().try_id().map(ToOwned::to_owned)));
        let holds = match (u.expect, current) {
            (_, Ok(Some(None))) => None,
            (_, Err(e)) => Some(Err(RefUpdateError::Failed(e.into()))),
            (Expect::Absent, Ok(None)) => Some(Ok(())),
            (Expect::At(old), Ok(Some(Some(now)))) if now == old => Some(Ok(())),
            _ => Some(Err(RefUpdateError::Raced)),
        };
        let written = holds.map(|holds| {
            holds?;
            use std::io::Write as _;
            writeln!(file, "{}", u.new).map_err(|e| {
                RefUpdateError::Failed(
                    anyhow::Error::new(e).context(format!("writing {}", lock.display())),
                )
            })
        });
        drop(file);
        let written = written.map(|w| {
            w?;
            self.share(&lock).map_err(RefUpdateError::Failed)
        });
        match written {
            Some(Ok(())) => Some(std::fs::rename(&lock, dir.join(&u.name)).map_err(|e| {
                let _ = std::fs::remove_file(&lock);
                RefUpdateError::Failed(
                    anyhow::Error::new(e).context(format!("updating {}", u.name)),
                )
            })),
            other => {
                let _ = std::fs::remove_file(&lock);
                other
            }
        }
    }

    /// `core.logAllRefUpdates = always`: every ref update writes a reflog.
    fn log_all_ref_updates_always(&self) -> bool {
        self.repo
            .config_snapshot()
            .string("core.logAllRefUpdates")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"always"))
    }

    /// Moves every ref in `updates` at once, or none: each only if it still holds what it expects.
    pub fn update_refs(&self, updates: &[RefUpdate]) -> Result<(), RefUpdateError> {
        // A `core.sharedRepository` git would refuse stops every write, refs too.
        self.sharing().map_err(RefUpdateError::Failed)?;
        if let [one] = updates
            && let Some(moved) = self.move_release_ref(one)
        {
            return moved;
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
        // The reflog's committer is ours (gix's own would ask jiff for the time, see identity);
        // without one, gix refuses as it would have anyway.
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
            let error = match self.repo.edit_references_as(edits.clone(), committer) {
                Ok(_) => {
                    self.share_made(&made, packed);
                    return Ok(());
                }
                Err(e) => e,
            };
            // Decide by looking, not by parsing the message: a ref that moved, or one whose
            // lock someone holds, is a lost race.
            for u in updates {
                let current = self.ref_target(&u.name).map_err(RefUpdateError::Failed)?;
                let moved = match u.expect {
                    Expect::Absent => current.is_some_and(|c| c != u.new),
                    Expect::At(old) => current != Some(old),
                };
                if moved || self.lock_path(&u.name).exists() {
                    return Err(RefUpdateError::Raced);
                }
            }
            tries += 1;
            if tries == 3 {
                return Err(RefUpdateError::Failed(
                    anyhow::Error::new(error).context("updating refs"),
                ));
            }
            std::thread::sleep(std::time::Duration::from_millis(5 * tries));
        }
    }

    /// The repository's own directory (`.git`, shared by all worktrees), for local caches.
    pub fn common_dir(&self) -> &Path {
        self.repo.common_dir()
    }

    /// Where git keeps the lock file of a ref.
    pub fn lock_path(&self, name: &str) -> PathBuf {
        self.repo.common_dir().join(format!("{name}.lock"))
    }

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
        // The walk knows the parents (from the commit-graph when there is one); each commit
        // is then read once for its message and author. Inflating commits is most of the
        // work, so a long range is read on every core, batch by batch while the walk goes on.
        const BATCH: usize = 2048;
        let mut walk = walk
            .take(limit)
            .map(|info| info.map(|i| (i.id, i.parent_ids.to_vec())));
        let first: Vec<(Oid, Vec<Oid>)> = walk.by_ref().take(BATCH).collect::<Result<_, _>>()?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        if first.len() < BATCH || threads < 2 {
            let mut walked = first;
            for info in walk {
                walked.push(info?);
            }
            return read_commits(&self.repo, &walked);
        }
        type Batch = (usize, Vec<(Oid, Vec<Oid>)>);
        let (work, jobs) = std::sync::mpsc::channel::<Batch>();
        let jobs = std::sync::Mutex::new(jobs);
        let (finished, results) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let (jobs, finished) = (&jobs, finished.clone());
                let mut repo = self.repo.clone();
                repo.object_cache_size(None);
                scope.spawn(move || {
                    loop {
                        let job = jobs.lock().expect("no worker panics").recv();
                        let Ok((n, batch)) = job else { break };
                        if finished.send((n, read_commits(&repo, &batch))).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(finished);
            let mut batches = 0;
            let mut batch = first;
            loop {
                let full = batch.len() == BATCH;
                if !batch.is_empty() {
                    work.send((batches, batch)).expect("workers wait for work");
                    batches += 1;
                }
                if !full {
                    break;
                }
                batch = walk.by_ref().take(BATCH).collect::<Result<_, _>>()?;
            }
            drop(work);
            let mut parts: Vec<Option<Vec<CommitInfo>>> = (0..batches).map(|_| None).collect();
            for (n, part) in results {
                parts[n] = Some(part?);
            }
            Ok(parts.into_iter().flatten().flatten().collect())
        })
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

    /// Whether `ancestor` is reachable from `descendant` (cheap with a commit-graph).
    pub fn is_ancestor(&self, ancestor: Oid, descendant: Oid) -> Result<bool> {
        if ancestor == descendant {
            return Ok(true);
        }
        let why = |e| anyhow!("finding the merge base of {ancestor} and {descendant}: {e}");
        let cache = match self.commit_graph.get() {
            Some(cache) => cache,
            None => {
                let cache = self.repo.commit_graph_if_enabled().map_err(why)?;
                self.commit_graph.get_or_init(|| cache)
            }
        };
        let mut graph = self.repo.revision_graph(cache.as_ref());
        Ok(self
            .repo
            .merge_base_with_graph(ancestor, descendant, &mut graph)
            .map_err(why)?
            .is_some_and(|base| base.detach() == ancestor))
    }

    /// The note `notes_ref` holds for `target`.
    pub fn note(&self, notes_ref: &str, target: Oid) -> Result<Option<String>> {
        let mut notes = self.repo.notes()?.with_refs([notes_ref])?;
        let found = notes.get(target)?;
        Ok(found
            .into_iter()
            .find(|n| n.reference.as_bstr() == notes_ref)
            .map(|n| n.blob.data.to_str_lossy().into_owned()))
    }

    /// Puts many notes into one commit on `notes_ref` (compare-and-swap on it): `render` gets
    /// each target's current note and returns the new one.
    pub fn set_notes(
        &self,
        notes_ref: &str,
        targets: &[Oid],
        message: &str,
        mut render: impl FnMut(Oid, Option<String>) -> String,
    ) -> Result<(), RefUpdateError> {
        let fail = |e: anyhow::Error| RefUpdateError::Failed(e);
        let before = self.ref_target(notes_ref).map_err(fail)?;
        let root = match before {
            Some(commit) => self.tree_of(commit).map_err(fail)?,
            None => Oid::empty_tree(self.repo.object_hash()),
        };
        // A sync can change hundreds of notes: their objects go out as one pack.
        let mut batch = self.batch();
        let Some(commit) = batch
            .write_notes_commit(root, before, targets, message, &mut render)
            .map_err(fail)?
        else {
            return Ok(());
        };
        let _kept = batch.write_kept_objects().map_err(fail)?;
        self.update_refs(&[RefUpdate {
            name: notes_ref.to_owned(),
            new: commit,
            expect: before.map_or(Expect::Absent, Expect::At),
            log: format!("notes: {message}"),
        }])
    }

    /// The notes commit for `set_notes`: `None` when no note changes.
    fn write_notes_commit(
        &self,
        root: Oid,
        parent: Option<Oid>,
        targets: &[Oid],
        message: &str,
        render: &mut impl FnMut(Oid, Option<String>) -> String,
    ) -> Result<Option<Oid>> {
        let mut state = gix::note::plumbing::State::new(root, &self.repo)?;
        let mut changed = false;
        for &target in targets {
            let existing = match state.get(&target, &self.repo)? {
                Some(blob) => Some(self.read_blob(blob)?.to_str_lossy().into_owned()),
                None => None,
            };
            let text = render(target, existing.clone());
            if existing.as_deref() != Some(text.as_str()) {
                let blob = self.write_blob(text.as_bytes())?;
                state.edit(target, Some(blob), &self.repo)?;
                changed = true;
            }
        }
        if !changed {
            return Ok(None);
        }
        let tree = state.write(&self.repo)?;
        let who = self.identity()?;
        let (mut author_time, mut committer_time) = Default::default();
        let commit = self.repo.new_commit_as(
            who.committer.to_ref(&mut committer_time),
            who.author.to_ref(&mut author_time),
            message,
            tree,
            parent,
        )?;
        Ok(Some(commit.id))
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

    pub fn short(&self, id: Oid) -> String {
        id.to_hex_with_len(7).to_string()
    }
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

/// `data` as one zlib stream, made with `deflate` (reset first, so that it can be used again).
fn deflated(deflate: &mut gix::zlib::stream::deflate::Compress, data: &[u8]) -> Result<Vec<u8>> {
    use gix::zlib::stream::deflate::FlushCompress;
    deflate.reset();
    // zlib's bound (`compressBound`): with `Finish` and room for this, one call ends the stream.
    let mut out = vec![0; zlib_rs::compress_bound(data.len())];
    match deflate.compress(data, &mut out, FlushCompress::Finish) {
        Ok(gix::zlib::Status::StreamEnd) => {}
        Ok(status) => bail!("deflating {} bytes stopped early ({status:?})", data.len()),
        Err(e) => bail!("deflating {} bytes: {e}", data.len()),
    }
    out.truncate(usize::try_from(deflate.total_out())?);
    Ok(out)
}

/// `data` as a zlib stream (RFC 1950) of stored deflate blocks (RFC 1951, 3.2.4): each block a
/// header byte (1 on the last), its length and that length's complement, then the bytes as they
/// are; the stream ends with their Adler-32.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    const BLOCK: usize = u16::MAX as usize;
    let mut out = Vec::with_capacity(data.len() + 6 + 5 * (data.len() / BLOCK + 1));
    // Deflate with a 32 KiB window, no dictionary, "fastest"; the check bits make the pair a
    // multiple of 31.
    out.extend_from_slice(&[0x78, 0x01]);
    let mut blocks = data.chunks(BLOCK).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let len = u16::try_from(block.len()).expect("chunks of at most u16::MAX bytes");
        out.push(u8::from(blocks.peek().is_none()));
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&zlib_rs::adler32::adler32(1, data).to_be_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
            shared: Ok(Shared::Umask),
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

    #[test]
    fn loose_objects_read_back_through_git_whatever_their_size() {
        let (dir, repo) = repository();
        // Objects of many stored blocks, one that fills exactly two ("blob 131058\0" is 12
        // bytes: 2 × 65,535 in all), and nothing at all; each into a fan-out directory that
        // does not exist yet.
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
                .find(|line| line.starts_with(b"garbage:")),
            Some(&b"garbage: 0"[..])
        );
    }

    #[test]
    fn stored_zlib_streams_inflate_to_their_input() {
        for len in [0usize, 1, 65_534, 65_535, 65_536, 131_070, 200_000] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let stream = zlib_stored(&data);
            // Header, five bytes a block (one block even for nothing), the data, Adler-32.
            assert_eq!(stream.len(), 2 + 5 * len.div_ceil(65_535).max(1) + len + 4);
            let mut back = vec![0u8; len + 1];
            let (inflated, rc) =
                zlib_rs::decompress_slice(&mut back, &stream, zlib_rs::InflateConfig::default());
            assert_eq!(rc, zlib_rs::ReturnCode::Ok, "{len} bytes");
            assert_eq!(inflated, &data[..], "{len} bytes");
        }
    }

    #[test]
    fn one_compressor_makes_every_entry_whole() {
        let noise = noise(1 << 20);
        let text = "format = 1\nkind = \"comment\"\n".repeat(3_000);
        let mut deflate =
            gix::zlib::stream::deflate::Compress::new(gix::zlib::Compression::BEST_SPEED);
        // Each input after others, so that what one leaves in the compressor shows in the next.
        for data in [
            &b""[..],
            b"x",
            text.as_bytes(),
            &noise[..65_536],
            &noise,
            b"x",
        ] {
            let stream = deflated(&mut deflate, data).unwrap();
            assert_eq!(stream[0], 0x78, "a zlib header");
            let mut back = vec![0u8; data.len() + 1];
            let (inflated, rc) =
                zlib_rs::decompress_slice(&mut back, &stream, zlib_rs::InflateConfig::default());
            assert_eq!(rc, zlib_rs::ReturnCode::Ok, "{} bytes", data.len());
            assert_eq!(inflated, data, "{} bytes", data.len());
        }
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
}
