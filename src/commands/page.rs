//! `git release page`: the train, each release and push duty as a static site, or served.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;

use super::Session;
use crate::error::Failure;
use crate::page::{self, Files, Options};

/// Write the release train as a static site: the train, a page per release, push duty and
/// calendar.ics. It works from file:// and from any static host; the same refs give the same
/// files.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release page --out site
  git release page -r 2026-11-20 --out site
  git release page --serve --port 8000 --open"#)]
pub struct PageArgs {
    /// The directory to write (made if missing; files of the site in it are replaced).
    #[arg(long, value_name = "DIR", default_value = "release-page")]
    out: PathBuf,
    /// Only these releases.
    #[arg(short, long = "release", value_name = "NAME", num_args = 1..)]
    release: Vec<String>,
    /// Count the coming weeks from this day instead of the day of the newest event.
    #[arg(long, value_name = "YYYY-MM-DD")]
    on: Option<chrono::NaiveDate>,
    /// Serve the pages on 127.0.0.1 instead, rendered again when the refs change.
    #[arg(long, conflicts_with = "out")]
    serve: bool,
    /// The port to serve on (0: any free one, printed).
    #[arg(long, default_value_t = 8000, requires = "serve")]
    port: u16,
    /// Open the site in a browser (xdg-open).
    #[arg(long)]
    open: bool,
    /// Stop serving after this many requests (for scripts).
    #[arg(long, hide = true, requires = "serve")]
    max_requests: Option<u64>,
}

pub fn cmd_page(args: &PageArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    for name in &args.release {
        if !session.store().exists(name)? {
            return Err(Failure::new(format!("there is no release {name}"))
                .hint("`git release list` lists the releases")
                .into());
        }
    }
    if args.serve {
        drop(session);
        return serve(args, out);
    }
    let options = Options {
        only: &args.release,
        on: args.on,
        live: false,
    };
    let files = page::build(&session, &options)?;
    let written = write_site(&args.out, &files)?;
    let index = args.out.join("index.html");
    crate::say!(
        "Wrote the site to {} ({} files, {written} changed); open {}",
        args.out.display(),
        files.len(),
        index.display()
    );
    if args.open {
        let index = std::path::absolute(&index)?;
        open(&format!("file://{}", index.display()))?;
    }
    Ok(())
}

/// Writes each file of the site under `dir`; a file that already holds the same bytes is left
/// as it is (its time too, for caches and rsync).
fn write_site(dir: &Path, files: &Files) -> Result<usize> {
    let mut written = 0;
    for (path, bytes) in files {
        let target = dir.join(path);
        if std::fs::read(&target).is_ok_and(|old| old == *bytes) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| Failure::new(format!("cannot make {}: {e}", parent.display())))?;
        }
        std::fs::write(&target, bytes)
            .map_err(|e| Failure::new(format!("cannot write {}: {e}", target.display())))?;
        written += 1;
    }
    // The page of a release that is gone (or not asked for with -r) goes too; nothing else in
    // the directory is touched.
    if let Ok(entries) = std::fs::read_dir(dir.join("releases")) {
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.ends_with(".html") && !files.contains_key(&format!("releases/{file}")) {
                std::fs::remove_file(entry.path()).map_err(|e| {
                    Failure::new(format!("cannot remove {}: {e}", entry.path().display()))
                })?;
            }
        }
    }
    Ok(written)
}

struct Live<'a> {
    args: &'a PageArgs,
}

impl page::serve::Source for Live<'_> {
    fn fingerprint(&mut self) -> Result<String> {
        let session = Session::open()?;
        let mut print = String::new();
        for (name, oid) in session.store().heads()? {
            print.push_str(&format!("{name} {oid}\n"));
        }
        print.push_str(&format!("{:?}", session.git.resolve_commit("HEAD")?));
        Ok(print)
    }

    fn render(&mut self) -> Result<Files> {
        let session = Session::open()?;
        page::build(
            &session,
            &Options {
                only: &self.args.release,
                on: self.args.on,
                live: true,
            },
        )
    }
}

fn serve(args: &PageArgs, out: &mut dyn Write) -> Result<()> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", args.port)).map_err(|e| {
        Failure::new(format!("cannot listen on 127.0.0.1:{}: {e}", args.port))
            .hint("choose another port with --port (0 for any free one)")
    })?;
    let url = format!("http://{}/", listener.local_addr()?);
    writeln!(out, "Serving the release page on {url}")?;
    out.flush()?;
    if args.open {
        open(&url)?;
    }
    page::serve::run(
        &listener,
        &mut Live { args },
        Duration::from_secs(5),
        args.max_requests,
    )
}

/// Opens `url` with xdg-open: the URL is one argument, no shell.
fn open(url: &str) -> Result<()> {
    std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .spawn()
        .map_err(|e| {
            Failure::new(format!("cannot run xdg-open: {e}")).hint(format!("open {url} yourself"))
        })?;
    Ok(())
}
