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
    // Made in memory, then written: clap_complete panics on a write error, and a closed pipe
    // (`completions bash | head`) is none.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "git-release", &mut script);
    if args.shell == clap_complete::Shell::Bash {
        // The subcommands' cases are named from their `bin_name`, `git release <sub>`, whose
        // space clap_complete turns into `git__subcmd__release`, while the dispatch names them
        // from `git-release`: one spelling for both, or no option of a subcommand completes.
        script = String::from_utf8_lossy(&script)
            .replace("git__subcmd__release__", "git__release__")
            .into_bytes();
    }
    out.write_all(&script)?;
    if args.shell == clap_complete::Shell::Bash {
        out.write_all(GIT_BASH_COMPLETION.as_bytes())?;
    }
    Ok(())
}

/// For `git release <TAB>`: git's own bash completion calls `_git_release` with its words
/// (`words`, `cword`, and `__git_cmd_idx`, where the subcommand's name stands) set; this hands
/// them to the `git-release` completion in the shape it reads.
const GIT_BASH_COMPLETION: &str = r#"
_git_release() {
    local at=${__git_cmd_idx:-1}
    local COMP_WORDS=(git-release "${words[@]:at+1}")
    local COMP_CWORD=$((cword - at))
    _git__release git-release "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
}
"#;
