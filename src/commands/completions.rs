//! `git release completions`: shell completion scripts.

use std::io::Write;

use anyhow::Result;

/// Print the completion script for a shell.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release completions bash > ~/.local/share/bash-completion/completions/git-release
  git release completions zsh > ~/.zfunc/_git-release
  git release completions fish > ~/.config/fish/completions/git-release.fish"#)]
pub struct CompletionsArgs {
    shell: clap_complete::Shell,
}

pub fn cmd_completions(args: &CompletionsArgs, out: &mut dyn Write) -> Result<()> {
    let mut command = crate::cli::full_command();
    clap_complete::generate(args.shell, &mut command, "git-release", out);
    Ok(())
}
