//! Loading the config: where the file is (the working tree, or HEAD in a bare repository),
//! the presets compiled in, and the checklist the config points at.

use std::path::Path;

use anyhow::Result;

use super::{Config, parse};
use crate::error::Failure;
use crate::git::Repo;
use crate::release::checklist::{self, Checklist, Item};

pub const CONFIG_PATH: &str = ".release/config.toml";

/// The presets `init` writes, compiled in.
pub const PRESETS: &[(&str, &str)] = &[
    ("train", include_str!("../../templates/config/train.toml")),
    (
        "push-duty",
        include_str!("../../templates/config/push-duty.toml"),
    ),
];

/// Where the config in force was read from.
#[derive(Clone, Debug)]
pub enum Source {
    /// The working tree's file.
    File,
    /// `HEAD:.release/config.toml`, in a repository without a working tree.
    Head,
    /// No file: the built-in defaults (the `train` preset's rules).
    Defaults,
}

/// The config in force, and where it was read from.
#[derive(Clone)]
pub struct Loaded {
    pub config: Config,
    pub source: Source,
}

/// Reads the config in force: the working tree's file, else the one committed at HEAD in a
/// bare repository, else the defaults.
pub fn load(git: &Repo) -> Result<Loaded> {
    let (shown, source) = match git.workdir() {
        Some(_) => (CONFIG_PATH.to_owned(), Source::File),
        None => (format!("HEAD:{CONFIG_PATH}"), Source::Head),
    };
    Ok(match read_repo_file(git, CONFIG_PATH)? {
        Some(text) => Loaded {
            config: parse(&text, Path::new(&shown))?,
            source,
        },
        None => Loaded {
            config: Config::default(),
            source: Source::Defaults,
        },
    })
}

/// The checklist in force: the config's items, then the steps of its Markdown plan — as it is
/// at the release's commit when the plan is committed there (`committed` reads a file there),
/// so ids and ticks stay with the steps they were made for; else from the working tree (or
/// HEAD without one).
pub fn load_checklist(
    git: &Repo,
    config: &Config,
    committed: impl FnOnce(&str) -> Result<Option<String>>,
) -> Result<Checklist> {
    let mut list = Checklist::default();
    let from_config = config
        .checklist
        .items
        .iter()
        .map(|i| Item {
            id: i.id.clone(),
            section: i
                .section
                .as_deref()
                .map_or_else(|| "checklist".to_owned(), checklist::slug),
            text: i.text.clone(),
            env: i.env.clone(),
        })
        .collect();
    list.extend(from_config)
        .map_err(|why| Failure::new(format!("{CONFIG_PATH}: {why}")))?;
    if let Some(file) = &config.checklist.file {
        let text = match committed(file)? {
            Some(text) => Some(text),
            None => read_repo_file(git, file)?,
        };
        let text = text.ok_or_else(|| {
            Failure::new(format!(
                "the checklist file {file} (checklist.file in {CONFIG_PATH}) does not exist"
            ))
            .hint("create it, or `git release config set checklist.file <path>`")
        })?;
        list.extend(checklist::parse_markdown(&text))
            .map_err(|why| {
                Failure::new(format!("{file}: {why}")).hint("rename the heading or the config item")
            })?;
    }
    Ok(list)
}

/// A file of the repository: from the working tree, or from HEAD in a bare repository; a
/// regular file inside the repository of at most 1 MiB (see `files::read_in_worktree`).
pub fn read_repo_file(git: &Repo, path: &str) -> Result<Option<String>> {
    if let Some(workdir) = git.workdir() {
        return crate::files::read_in_worktree(workdir, path);
    }
    let Some(head) = git.resolve_commit("HEAD")? else {
        return Ok(None);
    };
    git.text_at(head, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commented_examples_in_presets_are_valid() {
        for (name, text) in PRESETS {
            let (_, rest) = text
                .split_once("# BEGIN EXAMPLES\n")
                .expect("presets have examples");
            let (block, _) = rest.split_once("# END EXAMPLES").expect("the block ends");
            let uncommented: String = block
                .lines()
                .map(|l| {
                    l.strip_prefix("# ")
                        .or_else(|| l.strip_prefix('#'))
                        .unwrap_or(l)
                })
                .collect::<Vec<_>>()
                .join("\n");
            let config = format!("{text}\n{uncommented}\n");
            let parsed =
                parse(&config, Path::new(name)).unwrap_or_else(|e| panic!("{name}: {e}\n{config}"));
            assert!(!parsed.hooks.is_empty() || !parsed.gates.is_empty());
            assert!(parsed.forge.is_some(), "{name} shows [forge]");
            assert!(
                parsed.bugzilla.is_some() || parsed.etherpad.is_some(),
                "{name} shows its team's services"
            );
        }
    }

    #[test]
    fn presets_parse() {
        for (name, text) in PRESETS {
            parse(text, Path::new(name)).unwrap_or_else(|e| panic!("preset {name}: {e}"));
        }
    }
}
