//! `git release completions`: shell completion scripts.

use std::io::Write;

use anyhow::Result;

/// Print the completion script for a shell. Each completes both `git-release …` and
/// `git release …`: bash through git's own completion (`_git_release`), zsh through zsh's
/// `_git` (it calls `_git-release` from a file of that name on $fpath), fish through lines
/// for `git` (so the script goes in conf.d/).
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release completions bash > ~/.local/share/bash-completion/completions/git-release
  git release completions zsh > ~/.zfunc/_git-release      # a directory on $fpath
  git release completions fish > ~/.config/fish/conf.d/git-release.fish"#)]
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
    if args.shell == clap_complete::Shell::Zsh {
        // zsh's own `_git` takes every `_git-*` file on $fpath for a git command, described by
        // a `#description` second line, and completes `git release …` with `_git-release`.
        let text = String::from_utf8_lossy(&script);
        let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
        script = format!("{first}\n#description {ZSH_DESCRIPTION}\n{rest}").into_bytes();
    }
    out.write_all(&script)?;
    match args.shell {
        clap_complete::Shell::Bash => out.write_all(GIT_BASH_COMPLETION.as_bytes())?,
        clap_complete::Shell::Fish => out.write_all(GIT_FISH_COMPLETION.as_bytes())?,
        _ => {}
    }
    Ok(())
}

const ZSH_DESCRIPTION: &str = "date-based release trains: tag, notes, sign-offs, deploys";

/// For `git release <TAB>` in fish: fish's git completion of 3.6 (Debian 12) offers `git-*`
/// commands but hands their words to none, so this does; later versions do it themselves,
/// and fish shows an answer given twice once. It completes `git`, so the script must be
/// loaded before `git` is completed: from `conf.d/`, not `completions/`.
const GIT_FISH_COMPLETION: &str = r#"
# `git release <TAB>`: the words after `release`, completed as `git-release`'s.
complete -c git -f -n __fish_git_needs_command -a release -d 'Date-based release trains'
complete -c git -f -n '__fish_git_using_command release' -a '(__fish_git_release_from_git)'
function __fish_git_release_from_git
    set -l words (commandline -opc)
    set -l at (contains -i -- release $words)
    set -l rest $words[(math $at + 1)..-1]
    complete -C "git-release $rest "(commandline -ct)
end
"#;

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
