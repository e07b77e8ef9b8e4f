//! One module per subcommand: gather inputs, call the model and the store, print the answer
//! to `out` (stdout) and progress to stderr.

pub mod comment;
pub mod config;
pub mod fsck;
pub mod init;
pub mod list;
pub mod log;
pub mod start;
pub mod status;

use std::collections::BTreeSet;

use anyhow::Result;

use crate::config::Loaded as LoadedConfig;
use crate::error::Failure;
use crate::git::Repo;
use crate::release::NameFormat;
use crate::store::Store;

/// What a command works in: the repository and the config in force.
pub struct Session {
    pub git: Repo,
    pub config: LoadedConfig,
}

impl Session {
    pub fn open() -> Result<Session> {
        let git = Repo::discover()?;
        let config = crate::config::load(&git)?;
        Ok(Session { git, config })
    }

    pub fn store(&self) -> Store<'_> {
        Store::new(&self.git)
    }

    pub fn format(&self) -> &NameFormat {
        self.config.config.name_format()
    }

    /// The release a command acts on: the one named, or else the newest recorded one.
    pub fn select(&self, asked: Option<&str>) -> Result<String> {
        let store = self.store();
        if let Some(name) = asked {
            if store.exists(name)? {
                return Ok(name.to_owned());
            }
            let mut failure = Failure::new(format!("no release named {name}"));
            if store.tag_names()?.iter().any(|t| t == name) {
                failure = failure.hint(format!(
                    "{name} is a tag made before git-release recorded releases; record a new release with `git release start`"
                ));
            } else {
                failure = failure.hint("`git release list` shows the releases");
            }
            return Err(failure.into());
        }
        newest_first(self.format(), store.names()?)
            .into_iter()
            .next()
            .ok_or_else(|| {
                Failure::new("no release has been started in this repository")
                    .hint("start one with `git release start`")
                    .into()
            })
    }

    /// Every release name known: recorded releases and tags that read as release names
    /// (releases made before the tool, "tag only").
    pub fn known_names(&self) -> Result<Known> {
        let store = self.store();
        let recorded: BTreeSet<String> = store.names()?.into_iter().collect();
        let tags: BTreeSet<String> = store
            .tag_names()?
            .into_iter()
            .filter(|t| self.format().parse(t).is_some())
            .collect();
        Ok(Known { recorded, tags })
    }
}

pub struct Known {
    pub recorded: BTreeSet<String>,
    /// Tags that parse as release names, recorded or not.
    pub tags: BTreeSet<String>,
}

impl Known {
    pub fn all(&self) -> impl Iterator<Item = &str> {
        self.recorded.union(&self.tags).map(String::as_str)
    }
}

/// Orders names newest first: release names by (date, suffix); names that do not read as
/// release names (an older pattern, a custom name) after them, in reverse string order.
pub fn newest_first(format: &NameFormat, names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut parsed = Vec::new();
    let mut other = Vec::new();
    for name in names {
        match format.parse(&name) {
            Some(n) => parsed.push(n),
            None => other.push(name),
        }
    }
    parsed.sort_by(|a, b| b.cmp(a));
    other.sort_by(|a, b| b.cmp(a));
    parsed.into_iter().map(|n| n.text).chain(other).collect()
}

/// Human time: `2026-11-21 22:14 UTC`.
pub fn human_time(time: chrono::DateTime<chrono::Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}
