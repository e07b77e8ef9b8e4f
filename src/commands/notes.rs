//! `git release notes`: what changed since the previous release.

use std::io::Write;

use anyhow::Result;

use super::Session;
use crate::context::{NotesView, notes_view, template_context};
use crate::error::Failure;
use crate::render::Templates;

/// Show the release notes: commits since the previous release, folded under the pull requests
/// that merged them, with links and the compare link — and the commits of the previous
/// release that this one no longer contains.
///
/// `md` renders the `release-notes` template (override it in .release/templates/).
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release notes
  git release notes -r 2026-11-20 --format json"#)]
pub struct NotesArgs {
    /// The release (default: the newest); a tag from before git-release works too.
    #[arg(short, long = "release", value_name = "NAME")]
    release: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Md)]
    format: Format,
    /// The remote whose URL makes the compare link (default: release.remote).
    #[arg(long, value_name = "NAME")]
    remote: Option<String>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Md,
    Text,
    Json,
}

pub fn cmd_notes(args: &NotesArgs, out: &mut dyn Write) -> Result<()> {
    let session = Session::open()?;
    let remote = args
        .remote
        .clone()
        .unwrap_or_else(|| session.config.config.release.remote.clone());
    // The default remote may well be missing (a repository never pushed); one named is meant.
    if args.remote.is_some() && session.git.remote_url(&remote)?.is_none() {
        return Err(Failure::new(format!("there is no remote named {remote}"))
            .hint("`git remote -v` lists the remotes")
            .into());
    }
    let recorded = match &args.release {
        // A release tag from before the tool; a name no ref can have is refused by `select`.
        Some(name)
            if crate::store::invalid_name(name).is_none() && !session.store().exists(name)? =>
        {
            None
        }
        asked => Some(session.select(asked.as_deref())?),
    };
    let notes = match &recorded {
        Some(name) => {
            let release = super::load(&session, name)?;
            if args.format == Format::Md {
                let mut context = template_context(&session, &release, &[])?;
                if args.remote.is_some() {
                    context.notes = notes_view(
                        &session,
                        name,
                        release.target.parse()?,
                        release.previous.as_deref(),
                        &remote,
                    )?;
                }
                let text = Templates::load(&session.git)?.render("release-notes", &context)?;
                write!(out, "{text}")?;
                return Ok(());
            }
            notes_view(
                &session,
                name,
                release.target.parse()?,
                release.previous.as_deref(),
                &remote,
            )?
        }
        None => tag_only_notes(
            &session,
            args.release.as_deref().unwrap_or_default(),
            &remote,
        )?,
    };
    match args.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &notes)?;
            writeln!(out)?;
        }
        Format::Text => print_text(&notes, out)?,
        Format::Md => print_md(&notes, out)?,
    }
    // Tens of thousands of entries, about to be handed back to the system whole when the
    // process ends: freeing them one by one first took a sixth of the time after the walk.
    std::mem::forget(notes);
    Ok(())
}

/// Notes of a tag made before git-release: the same computation, from the tag.
fn tag_only_notes(session: &Session, name: &str, remote: &str) -> Result<NotesView> {
    let format = session.format();
    let (Some(parsed), Some(target)) = (
        format.parse(name),
        session.git.peel_ref(&format!("refs/tags/{name}"))?,
    ) else {
        return Err(
            Failure::new(format!("no release or release tag named {name}"))
                .hint("`git release list --all` shows the releases and the release tags")
                .into(),
        );
    };
    let history = super::start::History::read(session)?;
    let previous = history.previous(&parsed);
    history.say_notes(previous.as_ref(), &[], parsed.date);
    let previous = previous.map(|p| p.text);
    notes_view(session, name, target, previous.as_deref(), remote)
}

/// A tag-only release has no recorded state for a template: the built-in `release-notes`
/// template's Markdown, written out.
fn print_md(notes: &NotesView, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "## {}\n", notes.release)?;
    match &notes.previous {
        Some(p) => {
            let authors = authors(notes);
            writeln!(
                out,
                "{} by {authors} since {p}{}.",
                notes.count_label,
                repicked_clause(notes, ", and")
            )?;
            if let Some(url) = &notes.compare_url {
                writeln!(out, "Compare: {url}")?;
            }
        }
        None => writeln!(
            out,
            "First release: {}{}.",
            notes.count_label,
            if notes.truncated {
                ", the newest shown"
            } else {
                ""
            }
        )?,
    }
    writeln!(out)?;
    let line =
        |e: &crate::changelog::Entry| format!("{} ({}, {})", e.subject_md, e.short, e.author.name);
    for e in &notes.entries {
        writeln!(out, "- {}", line(e))?;
        for c in &e.children {
            writeln!(out, "  - {}", line(c))?;
        }
    }
    for g in &notes.groups {
        writeln!(out, "- {} {}", g.count, g.name)?;
    }
    if let (false, Some(p)) = (notes.repicked.is_empty(), &notes.previous) {
        writeln!(out, "\n### Picked again from {p}\n")?;
        for r in &notes.repicked {
            let e = &r.entry;
            let (subject, short, author) = (&e.subject_md, &e.short, &e.author.name);
            writeln!(out, "- {subject} ({short}, {author}; was {})", r.was_short)?;
        }
    }
    if let (false, Some(p)) = (notes.dropped.is_empty(), &notes.previous) {
        writeln!(out, "\n### In {p} but not in {}\n", notes.release)?;
        for e in &notes.dropped {
            writeln!(out, "- {}", line(e))?;
        }
    }
    Ok(())
}

/// `, and 3 re-picked` when commits were picked again, else nothing.
fn repicked_clause(notes: &NotesView, joiner: &str) -> String {
    match notes.repicked.len() {
        0 => String::new(),
        n => format!("{joiner} {n} re-picked"),
    }
}

/// `3 authors`.
fn authors(notes: &NotesView) -> String {
    crate::output::count(notes.authors.len(), "author", "authors")
}

fn print_text(notes: &NotesView, out: &mut dyn Write) -> Result<()> {
    match &notes.previous {
        Some(p) => writeln!(
            out,
            "release {}: {} by {} since {p}{}",
            notes.release,
            notes.count_label,
            authors(notes),
            repicked_clause(notes, ", and")
        )?,
        None => writeln!(
            out,
            "release {}: first release, {}{}",
            notes.release,
            notes.count_label,
            if notes.truncated {
                " (the newest shown)"
            } else {
                ""
            }
        )?,
    }
    if let Some(url) = &notes.compare_url {
        writeln!(out, "{url}")?;
    }
    writeln!(out)?;
    for e in &notes.entries {
        writeln!(out, "{} {} ({})", e.short, e.subject, e.author.name)?;
        for c in &e.children {
            writeln!(out, "    {} {} ({})", c.short, c.subject, c.author.name)?;
        }
        for link in &e.links {
            writeln!(out, "    {} {}", link.text, link.url)?;
        }
    }
    for g in &notes.groups {
        writeln!(out, "{} {}", g.count, g.name)?;
    }
    if !notes.repicked.is_empty() {
        writeln!(
            out,
            "\npicked again from {}:",
            notes.previous.as_deref().unwrap_or_default()
        )?;
        for r in &notes.repicked {
            let e = &r.entry;
            let was = &r.was_short;
            writeln!(
                out,
                "{} {} ({}; was {was})",
                e.short, e.subject, e.author.name
            )?;
        }
    }
    if !notes.dropped.is_empty() {
        writeln!(
            out,
            "\nin {} but not in {}:",
            notes.previous.as_deref().unwrap_or_default(),
            notes.release
        )?;
        for e in &notes.dropped {
            writeln!(out, "{} {} ({})", e.short, e.subject, e.author.name)?;
        }
    }
    Ok(())
}
