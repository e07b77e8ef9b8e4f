//! `git release man`: the manual page, in roff.

use std::io::Write;

use anyhow::Result;

/// Print the manual page (roff), or install it with --install so that `man git-release`,
/// `git help release` and `git release --help` find it.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release man --install
  git release man | man -l -"#)]
pub struct ManArgs {
    /// Write the page as `man1/git-release.1` under the first directory of $MANPATH, else
    /// under `share/man` beside the `bin` directory git-release runs from (~/.cargo/share/man
    /// after `cargo install`), else under ~/.local/share/man; say where.
    #[arg(long)]
    install: bool,
}

pub fn cmd_man(args: &ManArgs, out: &mut dyn Write) -> Result<()> {
    let page = page()?;
    if !args.install {
        out.write_all(&page)?;
        return Ok(());
    }
    let dir = man_dir().ok_or_else(|| {
        crate::error::Failure::new("neither MANPATH nor HOME says where manual pages go")
            .hint("git release man > <dir>/man1/git-release.1")
    })?;
    let path = dir.join("man1").join("git-release.1");
    crate::files::write_atomically(&path, &String::from_utf8_lossy(&page))?;
    writeln!(out, "{}", path.display())?;
    crate::say!("Installed: `man git-release` and `git help release` now show it.");
    Ok(())
}

/// Where a user's manual pages go: the first directory of `MANPATH`; else `share/man` beside
/// the `bin` directory this program runs from (`~/.cargo/share/man` after `cargo install`),
/// which man finds for every directory of `PATH`, as `git release` needs this one there;
/// else `~/.local/share/man`.
fn man_dir() -> Option<std::path::PathBuf> {
    let from_manpath = std::env::var("MANPATH")
        .ok()
        .and_then(|p| p.split(':').find(|d| !d.is_empty()).map(Into::into));
    let beside_bin = || {
        let exe = std::env::current_exe().ok()?;
        let bin = exe.parent()?;
        (bin.file_name()? == "bin").then(|| bin.parent().map(|p| p.join("share/man")))?
    };
    let home = || {
        std::env::var_os("HOME").map(|home| std::path::Path::new(&home).join(".local/share/man"))
    };
    from_manpath.or_else(beside_bin).or_else(home)
}

fn page() -> Result<Vec<u8>> {
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
    Ok(page)
}
