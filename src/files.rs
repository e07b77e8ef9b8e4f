//! Files the user asked for (the config, a rendered template): shown as a diff for
//! `--dry-run`, and written all-or-nothing.

use std::io::Write;
use std::path::Path;

use anyhow::Result;

use crate::error::Failure;

/// Prints a unified diff of a file's change.
pub fn write_diff(out: &mut dyn Write, old: &str, new: &str, name: &str) -> Result<()> {
    let diff = similar::TextDiff::from_lines(old, new);
    write!(
        out,
        "{}",
        diff.unified_diff()
            .context_radius(3)
            .header(&format!("a/{name}"), &format!("b/{name}"))
    )?;
    Ok(())
}

/// Writes `text` to `path` through a temporary file in the same directory, so a crash leaves
/// the old file or the new one, never half of each.
pub fn write_atomically(path: &Path, text: &str) -> Result<()> {
    write_aside(path, text, true)
}

/// Writes a local cache the same way, but without waiting for the disk (a cache lost in a
/// crash is made again) and without a word when it cannot: a read-only repository goes
/// without.
pub fn write_cache(path: &Path, text: &str) {
    let _ = write_aside(path, text, false);
}

/// Writes a local cache entry over the one already at `path`, in place: no new file, and no
/// rename over the old one (which ext4 follows with a write of the new file's data, as for a
/// replaced config file). A reader can see the write half done, or two writers' bytes mixed,
/// so what is written must say whether it is whole (the fold cache carries its checksum).
/// Without a regular file there yet (or with a link there), it is written aside as
/// `write_cache` does.
pub fn overwrite_cache(path: &Path, text: &str) {
    if overwrite_in_place(path, text).is_none() {
        write_cache(path, text);
    }
}

fn overwrite_in_place(path: &Path, text: &str) -> Option<()> {
    let seen = std::fs::symlink_metadata(path).ok()?;
    if !seen.file_type().is_file() {
        return None;
    }
    // Opened for writing without truncating it, then checked to be the file looked at: a link
    // put there meanwhile is left alone, and its target unwritten.
    let file = std::fs::OpenOptions::new().write(true).open(path).ok()?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file.metadata().ok()?;
        if (opened.dev(), opened.ino()) != (seen.dev(), seen.ino()) {
            return None;
        }
        use std::os::unix::fs::FileExt;
        file.write_all_at(text.as_bytes(), 0).ok()?;
    }
    #[cfg(not(unix))]
    {
        use std::io::{Seek, SeekFrom};
        let mut file = &file;
        file.seek(SeekFrom::Start(0)).ok()?;
        file.write_all(text.as_bytes()).ok()?;
    }
    file.set_len(text.len() as u64).ok()
}

fn write_aside(path: &Path, text: &str, durable: bool) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        Some(_) => std::path::Path::new("."),
        None => {
            return Err(Failure::new(format!("{} is not a file to write", path.display())).into());
        }
    };
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::new(format!("cannot create {}: {e}", dir.display())))?;
    // The mode a file written in place would have: the old file's, or for a new one what the
    // umask leaves of 0666 — not the 0600 of a temporary file, which would hide the team's
    // config (or a rendered pad) from everyone else who reads this checkout.
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let mut tmp = builder
        .tempfile_in(dir)
        .map_err(|e| Failure::new(format!("cannot write in {}: {e}", dir.display())))?;
    if let Ok(old) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(old.permissions())?;
    }
    tmp.write_all(text.as_bytes())?;
    if durable {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path)
        .map_err(|e| Failure::new(format!("cannot write {}: {e}", path.display())))?;
    Ok(())
}

/// The most a file the repository names (a template, the checklist plan, the allowed
/// signers) may hold: it is read whole into memory.
pub const REPOSITORY_FILE_LIMIT: u64 = 1 << 20;

/// Reads the file at `path` (relative, as the config names it) inside the working tree
/// `workdir`: `None` when there is none. The path and every directory on the way must be
/// inside the tree and no symbolic link, and the file a regular one of at most
/// `REPOSITORY_FILE_LIMIT` bytes: the repository is written by others, and a link to
/// `/proc/self/environ` or `/dev/zero` must not be read.
pub fn read_in_worktree(workdir: &Path, path: &str) -> Result<Option<String>> {
    let refuse = |why: &str| -> anyhow::Error {
        Failure::new(format!("{path} is not read: {why}"))
            .hint("name a regular file inside the repository, with a relative path")
            .into()
    };
    let relative = Path::new(path);
    let mut at = workdir.to_path_buf();
    let parts: Vec<_> = relative.components().collect();
    if parts.is_empty() {
        return Err(refuse("it is empty"));
    }
    // Whatever the case (file systems that ignore it) or a Windows short name.
    let is_git = |p: &std::path::Component| {
        let name = p.as_os_str().to_string_lossy();
        name.eq_ignore_ascii_case(".git") || name.eq_ignore_ascii_case("git~1")
    };
    if parts.iter().any(is_git) {
        return Err(refuse("it is inside a .git directory"));
    }
    for (i, part) in parts.iter().enumerate() {
        let std::path::Component::Normal(name) = part else {
            return Err(refuse("it must be a relative path without `..`"));
        };
        at.push(name);
        let meta = match std::fs::symlink_metadata(&at) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Failure::new(format!("cannot read {path}: {e}")).into()),
        };
        let last = i + 1 == parts.len();
        if meta.file_type().is_symlink() {
            return Err(refuse("it is a symbolic link, or lies behind one"));
        }
        if !last && !meta.is_dir() {
            return Ok(None);
        }
        if last && !meta.is_file() {
            return Err(refuse("it is not a regular file"));
        }
    }
    let checked = std::fs::symlink_metadata(&at)
        .map_err(|e| Failure::new(format!("cannot read {path}: {e}")))?;
    let file =
        std::fs::File::open(&at).map_err(|e| Failure::new(format!("cannot read {path}: {e}")))?;
    // What was opened is what was checked, not something put in its place meanwhile.
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let opened = file
            .metadata()
            .map_err(|e| Failure::new(format!("cannot read {path}: {e}")))?;
        if !opened.is_file() || (opened.dev(), opened.ino()) != (checked.dev(), checked.ino()) {
            return Err(refuse("it changed while it was read"));
        }
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(file, REPOSITORY_FILE_LIMIT + 1),
        &mut bytes,
    )
    .map_err(|e| Failure::new(format!("cannot read {path}: {e}")))?;
    if bytes.len() as u64 > REPOSITORY_FILE_LIMIT {
        return Err(refuse("it is larger than 1 MiB"));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| refuse("it is not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_tree_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("docs")).unwrap();
        std::fs::write(root.join("docs/plan.md"), "## Stage\n").unwrap();
        std::fs::write(
            root.join("big.md"),
            vec![b'x'; REPOSITORY_FILE_LIMIT as usize + 1],
        )
        .unwrap();
        std::os::unix::fs::symlink("/etc/hostname", root.join("link.md")).unwrap();
        std::os::unix::fs::symlink(root.join("docs"), root.join("linked-dir")).unwrap();
        assert_eq!(
            read_in_worktree(root, "docs/plan.md").unwrap().as_deref(),
            Some("## Stage\n")
        );
        assert_eq!(read_in_worktree(root, "docs/missing.md").unwrap(), None);
        for (path, why) in [
            ("link.md", "symbolic link"),
            ("linked-dir/plan.md", "symbolic link"),
            ("../outside.md", "without `..`"),
            ("/etc/hostname", "relative path"),
            ("docs", "not a regular file"),
            ("big.md", "larger than 1 MiB"),
            (".git/config", "inside a .git directory"),
            ("sub/.git/config", "inside a .git directory"),
            (".GIT/config", "inside a .git directory"),
        ] {
            let err = format!("{:#}", read_in_worktree(root, path).unwrap_err());
            assert!(err.contains(why), "{path}: {err}");
        }
    }
}
