//! `git release templates`: which templates there are and where each comes from.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::render::{Origin, Templates};

/// List the templates: built in, overridden by a file in .release/templates/, or your own.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Example:
  git release templates"#)]
pub struct TemplatesArgs {
    /// Print a JSON array instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    origin: &'a Origin,
    error: Option<&'a str>,
}

pub fn cmd_templates(args: &TemplatesArgs, out: &mut dyn Write) -> Result<()> {
    let git = crate::git::Repo::discover()?;
    let templates = Templates::load(&git)?;
    let rows: Vec<Row> = templates
        .list()
        .map(|(name, origin, error)| Row {
            name,
            origin,
            error,
        })
        .collect();
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
        return Ok(());
    }
    for row in rows {
        let origin = match row.origin {
            Origin::BuiltIn => "built in".to_owned(),
            Origin::Override(path) => format!("{path} (overrides the built-in one)"),
            Origin::Custom(path) => path.clone(),
        };
        let broken = row
            .error
            .map(|e| format!("  BROKEN: {e}"))
            .unwrap_or_default();
        writeln!(out, "{:<20} {origin}{broken}", row.name)?;
    }
    Ok(())
}
