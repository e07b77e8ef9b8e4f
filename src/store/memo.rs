//! What commits say, remembered between runs: a commit's subject and the text of a file in its
//! tree can never change, so `status` keeps the few it reads in `.git/release-commit-cache`.
//!
//! Reading one object out of a pack makes gix check the whole pack index first, which on a
//! repository of 400,000 objects is half of what `status` does; with the answers remembered,
//! `status` of an unchanged release reads refs and this file, and no object at all. The file is
//! local and derived: each line is believed for its commit only, a file with another header
//! reads as empty and a line that does not parse is skipped; deleting it is always safe, and
//! nothing that writes, nor `fsck`, uses it.

use std::cell::RefCell;
use std::path::PathBuf;

use anyhow::Result;

use crate::git::{Oid, Repo};
use crate::shared::Shared;

const FILE: &str = "release-commit-cache";
const HEADER: &str = "git-release commit cache 1\n";
/// How much is kept, newest first: a release's state is a few hundred bytes to a few KB, a
/// subject a line, so this holds the releases in use and every pick of a cherry-pick release.
const KEEP_BYTES: usize = 256 * 1024;
/// Texts longer than this are read each time rather than remembered.
const LONGEST: usize = 64 * 1024;

/// The remembered answers, read once; new ones are written when the memo is dropped.
pub struct Memo {
    path: PathBuf,
    /// The repository's `core.sharedRepository`, for the file's mode.
    shared: Shared,
    /// The file's lines after the header, oldest first: `[commit, what, value]` in JSON.
    text: String,
    added: RefCell<Vec<String>>,
}

impl Memo {
    pub fn open(git: &Repo) -> Memo {
        let path = git.common_dir().join(FILE);
        let text = std::fs::read_to_string(&path)
            .ok()
            .and_then(|t| t.strip_prefix(HEADER).map(str::to_owned))
            .unwrap_or_default();
        Memo {
            path,
            shared: git.shared(),
            text,
            added: RefCell::new(Vec::new()),
        }
    }

    /// The first line of `commit`'s message.
    pub fn subject(&self, git: &Repo, commit: Oid) -> Result<String> {
        let key = key(commit, "subject");
        if let Some(Some(subject)) = self.lookup(&key) {
            return Ok(subject);
        }
        let subject = git.commit_info(commit)?.subject;
        self.remember(&key, Some(&subject));
        Ok(subject)
    }

    /// The text of `path` in `commit`'s tree (invalid UTF-8 replaced), `None` when there is
    /// no such file.
    pub fn file_at(&self, git: &Repo, commit: Oid, path: &str) -> Result<Option<String>> {
        let key = key(commit, &format!("file:{path}"));
        if let Some(text) = self.lookup(&key) {
            return Ok(text);
        }
        let text = git.text_at(commit, path)?;
        self.remember(&key, text.as_deref());
        Ok(text)
    }

    /// The remembered value of `key`: `Some(None)` is a remembered "no such file".
    fn lookup(&self, key: &str) -> Option<Option<String>> {
        let added = self.added.borrow();
        for line in newest_first(&added, &self.text) {
            if let Some(value) = line.strip_prefix(key).and_then(|v| v.strip_suffix(']')) {
                // A line that does not read back is skipped, as if it were not there.
                if let Ok(value) = serde_json::from_str(value) {
                    return Some(value);
                }
            }
        }
        None
    }

    fn remember(&self, key: &str, value: Option<&str>) {
        if value.is_some_and(|v| v.len() > LONGEST) {
            return;
        }
        if let Ok(value) = serde_json::to_string(&value) {
            self.added.borrow_mut().push(format!("{key}{value}]"));
        }
    }
}

/// The lines added in this run, then the file's, newest first.
fn newest_first<'a>(added: &'a [String], text: &'a str) -> impl Iterator<Item = &'a str> {
    added
        .iter()
        .map(String::as_str)
        .rev()
        .chain(text.lines().rev())
}

/// The start of a line, up to its value: `["<commit>","<what>",`.
fn key(commit: Oid, what: &str) -> String {
    let mut key =
        serde_json::to_string(&[commit.to_string().as_str(), what]).expect("strings serialize");
    key.pop();
    key.push(',');
    key
}

impl Drop for Memo {
    /// Writes the newest lines back (see `files::write_cache`).
    fn drop(&mut self) {
        let added = self.added.get_mut();
        if added.is_empty() {
            return;
        }
        let mut kept = Vec::new();
        let mut size = 0;
        for line in newest_first(added, &self.text) {
            size += line.len() + 1;
            if size > KEEP_BYTES {
                break;
            }
            kept.push(line);
        }
        let mut text = String::from(HEADER);
        for line in kept.iter().rev() {
            text.push_str(line);
            text.push('\n');
        }
        crate::files::write_cache(&self.path, &text);
        let _ = self.shared.apply(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn memo_at(path: PathBuf, text: &str) -> Memo {
        Memo {
            path,
            shared: Shared::Umask,
            text: text.to_owned(),
            added: RefCell::new(Vec::new()),
        }
    }

    #[test]
    fn the_newest_readable_line_answers() {
        let id: Oid = "e9bc939c88fc6210cf5d5a9ed50c74e7bcabe2c1".parse().unwrap();
        let subject = key(id, "subject");
        let plan = key(id, "file:plan.md");
        let text = format!("{subject}\"old\"]\n{subject}\"new\"]\n{plan}not json]\n");
        let dir = tempfile::tempdir().unwrap();
        let memo = memo_at(dir.path().join(FILE), &text);
        assert_eq!(memo.lookup(&subject), Some(Some("new".to_owned())));
        assert_eq!(memo.lookup(&plan), None, "a damaged line is no answer");
        memo.remember(&plan, None);
        assert_eq!(memo.lookup(&plan), Some(None), "a file known to be absent");
        memo.remember(&subject, Some("newer"));
        assert_eq!(memo.lookup(&subject), Some(Some("newer".to_owned())));
        memo.remember(&subject, Some(&"x".repeat(LONGEST + 1)));
        assert_eq!(memo.lookup(&subject), Some(Some("newer".to_owned())));
    }

    #[test]
    fn dropping_writes_the_newest_lines_within_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let id: Oid = "e9bc939c88fc6210cf5d5a9ed50c74e7bcabe2c1".parse().unwrap();
        let memo = memo_at(path.clone(), "");
        let big = "y".repeat(LONGEST - 10);
        for i in 0..6 {
            memo.remember(&key(id, &format!("file:{i}")), Some(&big));
        }
        drop(memo);
        let written = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = written.strip_prefix(HEADER).unwrap().lines().collect();
        assert_eq!(lines.len(), KEEP_BYTES / LONGEST - 1, "{}", written.len());
        assert!(lines[0].starts_with(&key(id, "file:3")), "oldest kept");
        assert!(lines.last().unwrap().starts_with(&key(id, "file:5")));
        let memo = memo_at(path.clone(), written.strip_prefix(HEADER).unwrap());
        assert_eq!(memo.lookup(&key(id, "file:5")), Some(Some(big)));
        assert_eq!(memo.lookup(&key(id, "file:2")), None);
    }

    #[test]
    fn keys_end_where_values_begin() {
        let id: Oid = "e9bc939c88fc6210cf5d5a9ed50c74e7bcabe2c1".parse().unwrap();
        assert_eq!(
            key(id, "file:a \"b\".md"),
            r#"["e9bc939c88fc6210cf5d5a9ed50c74e7bcabe2c1","file:a \"b\".md","#
        );
    }
}
