//! `git release config get|set`: read the config in force; change one key in place.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::config::{CONFIG_PATH, Source, edit};
use crate::error::Failure;

/// Read or change one setting of .release/config.toml; comments and layout are kept.
///
/// Keys are dotted paths: `release.name`, `schedule.push`, `environments.0.name`.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release config get release.name
  git release config set schedule.push thursday"#)]
pub struct ConfigArgs {
    #[command(subcommand)]
    action: ConfigAction,
}

#[derive(clap::Subcommand, Debug)]
enum ConfigAction {
    /// Print the value in force (from the file, or the built-in default).
    Get {
        /// Dotted key, e.g. release.name.
        key: String,
        /// Also say where the value comes from (the file, HEAD's file, or the default).
        #[arg(long)]
        show_origin: bool,
    },
    /// Set a value in the file. VALUE is read as TOML when it is one (true, 3, ["a","b"]),
    /// else as a string.
    Set {
        /// Dotted key, e.g. schedule.push or environments.1.requires.no_blockers.
        key: String,
        /// The new value: TOML (true, 3, ["a","b"]) or else a string.
        value: String,
        /// Show the change as a diff; write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub fn cmd_config(args: &ConfigArgs, out: &mut dyn Write) -> Result<()> {
    match &args.action {
        ConfigAction::Get { key, show_origin } => {
            let session = Session::open()?;
            let value = toml::Value::try_from(&session.config.config)?;
            let found = edit::lookup(&value, key).ok_or_else(|| {
                if crate::config::is_setting(key) {
                    // As `git config` does for an unset key: exit 1, nothing on stdout.
                    Failure::new(format!("`{key}` is not set, and has no default"))
                        .hint(format!("`git release config set {key} VALUE` sets it"))
                } else {
                    Failure::new(format!("`{key}` is not a setting"))
                        .hint("settings are listed in the README's configuration reference")
                }
            })?;
            if *show_origin {
                let origin = match &session.config.source {
                    Source::File => CONFIG_PATH.to_owned(),
                    Source::Head => format!("HEAD:{CONFIG_PATH}"),
                    Source::Defaults => "default".to_owned(),
                };
                write!(out, "{origin}\t")?;
            }
            match found {
                toml::Value::String(s) => writeln!(out, "{s}")?,
                other => writeln!(out, "{other}")?,
            }
        }
        ConfigAction::Set {
            key,
            value,
            dry_run,
        } => {
            let git = crate::git::Repo::discover()?;
            let path = git
                .workdir()
                .ok_or_else(|| Failure::new("this repository has no working tree"))?
                .join(CONFIG_PATH);
            let old = std::fs::read_to_string(&path).map_err(|e| {
                Failure::new(format!("cannot read {}: {e}", path.display()))
                    .hint("create it with `git release init`")
            })?;
            let new = edit::set(&old, key, value)?;
            crate::config::parse(&new, std::path::Path::new(CONFIG_PATH)).map_err(|e| {
                Failure::new(format!("refusing to set {key}: {}", e.message))
                    .hint("nothing was written")
            })?;
            if *dry_run {
                crate::files::write_diff(out, &old, &new, CONFIG_PATH)?;
            } else {
                crate::files::write_atomically(&path, &new)?;
                crate::say!("Set {key} in {CONFIG_PATH}; commit it so the team shares the change.");
            }
        }
    }
    Ok(())
}
