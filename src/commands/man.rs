//! `git release man`: the manual page, in roff.

use std::io::Write;

use anyhow::Result;

/// Print the manual page (roff). Install it so `man git-release` and `git help release` find
/// it: `git release man > ~/.local/share/man/man1/git-release.1`.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release man | man -l -"#)]
pub struct ManArgs {}

pub fn cmd_man(_: &ManArgs, out: &mut dyn Write) -> Result<()> {
    let command = crate::cli::full_command().name("git-release");
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone()).render(&mut page)?;
    // One section per subcommand, so the examples of each are in the page too.
    for sub in command.get_subcommands() {
        let name = format!("git-release-{}", sub.get_name());
        let sub = sub
            .clone()
            .name(&*Box::leak(name.into_boxed_str()))
            .disable_help_subcommand(true);
        clap_mangen::Man::new(sub).render(&mut page)?;
    }
    out.write_all(&page)?;
    Ok(())
}
