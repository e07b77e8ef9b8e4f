//! What a killed writer leaves behind: ref lock files, temporary object files, a pack's
//! `.keep`. `fsck --fix` removes those old enough that no live writer can still own them.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::Repo;

/// A file no writer has touched for this long belongs to none: git's own writers hold a lock
/// for milliseconds.
pub const ABANDONED_AFTER: Duration = Duration::from_secs(60);

impl Repo {
    /// Lock files of the refs git-release writes (release refs, their tags, the notes ref,
    /// `packed-refs`), temporary object files, and the `.keep` files of packs a sync wrote,
    /// untouched for `ABANDONED_AFTER`.
    pub fn abandoned_files(&self) -> Vec<PathBuf> {
        let dir = self.repo.common_dir();
        let mut found = Vec::new();
        let is_lock = |p: &Path| p.extension().is_some_and(|e| e == "lock");
        collect(&dir.join("refs/release"), &mut found, &is_lock);
        collect_in(&dir.join("refs/tags"), &mut found, &is_lock);
        for file in [
            "refs/notes/release.lock",
            "packed-refs.lock",
            "reftable/tables.list.lock",
        ] {
            found.push(dir.join(file));
        }
        let objects = self.repo.objects.store_ref().path().to_path_buf();
        // gix's temporary objects sit in the object directory, git's in a fan-out one.
        let is_temporary = |p: &Path| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(".tmp") || n.starts_with("tmp_obj_"))
        };
        collect_in(&objects, &mut found, &is_temporary);
        if let Ok(entries) = std::fs::read_dir(&objects) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if name.len() == 2 && entry.path().is_dir() {
                    collect_in(&entry.path(), &mut found, &is_temporary);
                }
            }
        }
        // A pack's `.keep` that a sync wrote (it says so) and did not live to remove.
        let ours = |p: &Path| {
            p.extension().is_some_and(|e| e == "keep")
                && std::fs::read(p).is_ok_and(|text| text == super::odb::KEEP_TEXT.as_bytes())
        };
        collect_in(&objects.join("pack"), &mut found, &ours);
        let now = SystemTime::now();
        found.retain(|path| {
            std::fs::symlink_metadata(path)
                .ok()
                .filter(|m| m.is_file())
                .and_then(|m| m.modified().ok())
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age >= ABANDONED_AFTER)
        });
        found.sort();
        found
    }
}

/// The files directly in `dir` that `wanted` picks.
fn collect_in(dir: &Path, found: &mut Vec<PathBuf>, wanted: &dyn Fn(&Path) -> bool) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if wanted(&path) {
                found.push(path);
            }
        }
    }
}

/// The files at any depth below `dir` that `wanted` picks (release names may nest).
fn collect(dir: &Path, found: &mut Vec<PathBuf>, wanted: &dyn Fn(&Path) -> bool) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            match entry.file_type() {
                Ok(t) if t.is_dir() => collect(&path, found, wanted),
                Ok(t) if t.is_file() && wanted(&path) => found.push(path),
                _ => {}
            }
        }
    }
}
