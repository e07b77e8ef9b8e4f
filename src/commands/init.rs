//! `git release init`: write a commented `.release/config.toml` from a preset.

use std::io::Write;

use anyhow::Result;

use crate::config::{CONFIG_PATH, PRESETS};
use crate::error::Failure;
use crate::git::Repo;

/// Write a commented .release/config.toml for one of the two processes.
///
/// `train`: releases named by date (%Y-%m-%d), tagged at the end of the sprint, stage then
/// production. `push-duty`: releases named after Thursday's push (%Y.%m.%d), cut on Tuesday,
/// with a push-duty rotation. Commit the file: the process is reviewed like code.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release init --preset push-duty"#)]
pub struct InitArgs {
    /// Which process to start from.
    #[arg(long, value_enum, default_value_t = Preset::Train)]
    preset: Preset,
    /// Replace an existing config (its edits are lost).
    #[arg(long)]
    force: bool,
    /// Print the file (or the change to the existing one); write nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Preset {
    Train,
    PushDuty,
}

impl Preset {
    fn name(self) -> &'static str {
        match self {
            Preset::Train => "train",
            Preset::PushDuty => "push-duty",
        }
    }

    fn text(self) -> &'static str {
        PRESETS
            .iter()
            .find(|(n, _)| *n == self.name())
            .map(|(_, text)| *text)
            .expect("every preset is compiled in")
    }
}

pub fn cmd_init(args: &InitArgs, out: &mut dyn Write) -> Result<()> {
    let git = Repo::discover()?;
    let workdir = git.workdir().ok_or_else(|| {
        Failure::new("this repository has no working tree to write .release/config.toml into")
            .hint("run `git release init` in a clone with a working tree and commit the file")
    })?;
    let path = workdir.join(CONFIG_PATH);
    let new = args.preset.text();
    let old = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Failure::new(format!("cannot read {}: {e}", path.display())).into()),
    };
    if old.is_some() && !args.force {
        return Err(Failure::new(format!("{CONFIG_PATH} already exists"))
            .hint("`git release config set KEY VALUE` changes one setting; `--force` replaces the whole file")
            .into());
    }
    if args.dry_run {
        match &old {
            Some(old) => crate::files::write_diff(out, old, new, CONFIG_PATH)?,
            None => write!(out, "{new}")?,
        }
        return Ok(());
    }
    crate::files::write_atomically(&path, new)?;
    crate::say!("Wrote {CONFIG_PATH} ({} preset).", args.preset.name());
    crate::warn!(
        "hint: review it, then commit it: git add {CONFIG_PATH} && git commit -m \"Add release config\""
    );
    Ok(())
}
