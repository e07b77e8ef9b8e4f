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
