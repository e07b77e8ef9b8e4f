//! `git-release`: parse the command line, run the command, report errors. Nothing else.

mod changelog;
mod cli;
mod commands;
mod config;
mod context;
mod error;
mod files;
mod git;
mod hooks;
mod output;
mod page;
mod parameters;
mod release;
mod render;
mod rollforward;
mod services;
mod session;
mod store;
mod watch;

use std::process::ExitCode;

use crate::error::{ExitKind, Failure};

fn main() -> ExitCode {
    let cli = cli::parse();
    // Buffered: a long `log` or `notes` is one write, not one per line.
    let mut out = std::io::BufWriter::new(output::Escaped::new(std::io::stdout().lock()));
    let result = cli::run(&cli, &mut out);
    // What was written goes out, after an error too; then the escaper's last held bytes.
    let flushed = out
        .into_inner()
        .map_err(|e| anyhow::Error::new(e.into_error()))
        .and_then(|escaped| escaped.finish().map_err(Into::into));
    let result = result.and(flushed);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => report(&e),
    }
}

fn report(e: &anyhow::Error) -> ExitCode {
    // `git release log | head` closing the pipe is not an error.
    if e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) {
        return ExitCode::SUCCESS;
    }
    // One write, as every line on stderr (see `output::say_line`).
    let mut text = format!("error: {e}");
    for cause in e.chain().skip(1) {
        text.push_str(&format!("\n  caused by: {cause}"));
    }
    let failure = e.chain().find_map(|c| c.downcast_ref::<Failure>());
    for hint in failure.iter().flat_map(|f| &f.hints) {
        text.push_str(&format!("\nhint: {hint}"));
    }
    output::say_line(text);
    ExitCode::from(failure.map_or(ExitKind::Error, |f| f.exit) as u8)
}
