//! The command line: the top-level parser, the list of subcommands and their dispatch.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands::{
    block, check, checklist, comment, completions, config, demo, deploy, duty, finish, freeze,
    fsck, hooks, init, list, log, man, notes, page, render, rollback_approve, rollforward,
    schedule, ship, signoff, start, status, sync, templates, verify, verify_signatures, wait,
    watch,
};

/// Date-based release trains, kept in git.
///
/// git release records each release under refs/release/<name> as a chain of commits, one
/// per event (who did what, when), tags it, and keeps a summary note in refs/notes/release.
/// Everything travels with git push and git fetch; there is no server.
#[derive(Parser, Debug)]
#[command(
    name = "git-release",
    bin_name = "git release",
    version,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub options: Options,
    #[command(subcommand)]
    pub command: Command,
}

// The options every command takes, before its name or after it: the top level and each
// subcommand flatten them in. (Not doc comments: clap would make them the `about` of each
// command they are flattened into.)
#[derive(clap::Args, Debug, Default, Clone, Copy)]
pub struct Options {
    /// Record events but send no hook requests.
    #[arg(long)]
    pub no_hooks: bool,
    /// Print only the answer: no progress or confirmations on stderr (warnings still show).
    #[arg(long, short)]
    pub quiet: bool,
}

impl Options {
    /// Defines the options on a subcommand, global within it: its own subcommands take
    /// them too.
    fn define_on(cmd: clap::Command) -> clap::Command {
        <Options as clap::Args>::augment_args(cmd)
            .mut_arg("no_hooks", |a| a.global(true))
            .mut_arg("quiet", |a| a.global(true))
    }
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Init(Deferred<init::InitArgs>),
    Config(Deferred<config::ConfigArgs>),
    Start(Deferred<start::StartArgs>),
    Status(Deferred<status::StatusArgs>),
    List(Deferred<list::ListArgs>),
    Log(Deferred<log::LogArgs>),
    Comment(Deferred<comment::CommentArgs>),
    Signoff(Deferred<signoff::SignoffArgs>),
    Check(Deferred<check::CheckArgs>),
    Uncheck(Deferred<check::UncheckArgs>),
    Checklist(Deferred<checklist::ChecklistArgs>),
    Block(Deferred<block::BlockArgs>),
    Unblock(Deferred<block::UnblockArgs>),
    Deploy(Deferred<deploy::DeployArgs>),
    Verify(Deferred<verify::VerifyArgs>),
    RollbackApprove(Deferred<rollback_approve::RollbackApproveArgs>),
    Rollforward(Deferred<rollforward::RollforwardArgs>),
    Notes(Deferred<notes::NotesArgs>),
    Render(Deferred<render::RenderArgs>),
    Templates(Deferred<templates::TemplatesArgs>),
    Finish(Deferred<finish::FinishArgs>),
    Wait(Deferred<wait::WaitArgs>),
    Watch(Deferred<watch::WatchArgs>),
    Ship(Deferred<ship::ShipArgs>),
    Freeze(Deferred<freeze::FreezeArgs>),
    Unfreeze(Deferred<freeze::UnfreezeArgs>),
    Hooks(Deferred<hooks::HooksArgs>),
    Sync(Deferred<sync::SyncArgs>),
    VerifySignatures(Deferred<verify_signatures::VerifySignaturesArgs>),
    Duty(Deferred<duty::DutyArgs>),
    Schedule(Deferred<schedule::ScheduleArgs>),
    Page(Deferred<page::PageArgs>),
    Demo(Deferred<demo::DemoArgs>),
    Man(Deferred<man::ManArgs>),
    Completions(Deferred<completions::CompletionsArgs>),
    Fsck(Deferred<fsck::FsckArgs>),
}

/// Parses the command line. Only the subcommand invoked gets its arguments defined (clap's
/// `defer`); a command line without a known subcommand (`--help`, `help`, a typo) gets them
/// all, for the list and for suggestions.
pub fn parse() -> Cli {
    let invoked = std::env::args_os()
        .skip(1)
        .find(|a| !a.to_string_lossy().starts_with('-'));
    let known = invoked
        .as_ref()
        .and_then(|a| a.to_str())
        .is_some_and(|name| name != "help" && <Command as Subcommand>::has_subcommand(name));
    if !known {
        define_all();
    }
    let mut matches = <Cli as clap::CommandFactory>::command().get_matches();
    // The options as the subcommand got them (a global argument's value reaches the
    // subcommand that defines it from any of its own subcommands).
    let given = matches
        .subcommand()
        .and_then(|(_, sub)| <Options as clap::FromArgMatches>::from_arg_matches(sub).ok());
    let mut cli =
        <Cli as clap::FromArgMatches>::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| {
            e.format(&mut <Cli as clap::CommandFactory>::command())
                .exit()
        });
    if let Some(given) = given {
        cli.options.no_hooks |= given.no_hooks;
        cli.options.quiet |= given.quiet;
    }
    cli
}

/// From now on, `Cli::command()` defines every subcommand's arguments up front (for the help
/// listing and suggestions).
fn define_all() {
    DEFINE_ALL.store(true, Ordering::Relaxed);
}

/// The whole command line, every subcommand defined: for the man page and the completions.
pub fn full_command() -> clap::Command {
    define_all();
    <Cli as clap::CommandFactory>::command()
}

static DEFINE_ALL: AtomicBool = AtomicBool::new(false);

/// A subcommand's arguments and the [`Options`], defined when clap enters the subcommand (or
/// up front after `define_all`).
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T: clap::FromArgMatches> clap::FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &clap::ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &clap::ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

impl<T: clap::Args> clap::Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        define(cmd, |cmd| Options::define_on(T::augment_args(cmd)))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        define(cmd, |cmd| {
            Options::define_on(T::augment_args_for_update(cmd))
        })
    }
}

/// Defines a subcommand's arguments with `arguments`: now, or when clap enters it.
fn define(cmd: clap::Command, arguments: fn(clap::Command) -> clap::Command) -> clap::Command {
    if DEFINE_ALL.load(Ordering::Relaxed) {
        arguments(cmd)
    } else {
        cmd.defer(arguments)
    }
}

pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    if cli.options.no_hooks {
        hooks::disable();
    }
    if cli.options.quiet {
        crate::output::set_quiet();
    }
    match &cli.command {
        Command::Init(Deferred(args)) => init::cmd_init(args, out),
        Command::Config(Deferred(args)) => config::cmd_config(args, out),
        Command::Start(Deferred(args)) => start::cmd_start(args, out),
        Command::Status(Deferred(args)) => status::cmd_status(args, out),
        Command::List(Deferred(args)) => list::cmd_list(args, out),
        Command::Log(Deferred(args)) => log::cmd_log(args, out),
        Command::Comment(Deferred(args)) => comment::cmd_comment(args, out),
        Command::Signoff(Deferred(args)) => signoff::cmd_signoff(args, out),
        Command::Check(Deferred(args)) => check::cmd_check(args, out),
        Command::Uncheck(Deferred(args)) => check::cmd_uncheck(args, out),
        Command::Checklist(Deferred(args)) => checklist::cmd_checklist(args, out),
        Command::Block(Deferred(args)) => block::cmd_block(args, out),
        Command::Unblock(Deferred(args)) => block::cmd_unblock(args, out),
        Command::Deploy(Deferred(args)) => deploy::cmd_deploy(args, out),
        Command::Verify(Deferred(args)) => verify::cmd_verify(args, out),
        Command::RollbackApprove(Deferred(args)) => {
            rollback_approve::cmd_rollback_approve(args, out)
        }
        Command::Rollforward(Deferred(args)) => rollforward::cmd_rollforward(args, out),
        Command::Notes(Deferred(args)) => notes::cmd_notes(args, out),
        Command::Render(Deferred(args)) => render::cmd_render(args, out),
        Command::Templates(Deferred(args)) => templates::cmd_templates(args, out),
        Command::Finish(Deferred(args)) => finish::cmd_finish(args, out),
        Command::Wait(Deferred(args)) => wait::cmd_wait(args, out),
        Command::Watch(Deferred(args)) => watch::cmd_watch(args, out),
        Command::Ship(Deferred(args)) => ship::cmd_ship(args, out),
        Command::Freeze(Deferred(args)) => freeze::cmd_freeze(args, out),
        Command::Unfreeze(Deferred(args)) => freeze::cmd_unfreeze(args, out),
        Command::Hooks(Deferred(args)) => hooks::cmd_hooks(args, out),
        Command::Sync(Deferred(args)) => sync::cmd_sync(args, out),
        Command::VerifySignatures(Deferred(args)) => {
            verify_signatures::cmd_verify_signatures(args, out)
        }
        Command::Duty(Deferred(args)) => duty::cmd_duty(args, out),
        Command::Schedule(Deferred(args)) => schedule::cmd_schedule(args, out),
        Command::Page(Deferred(args)) => page::cmd_page(args, out),
        Command::Demo(Deferred(args)) => demo::cmd_demo(args, out),
        Command::Man(Deferred(args)) => man::cmd_man(args, out),
        Command::Completions(Deferred(args)) => completions::cmd_completions(args, out),
        Command::Fsck(Deferred(args)) => fsck::cmd_fsck(args, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        // Deferred: each subcommand is defined when built.
        Cli::command().debug_assert();
        full_command().debug_assert();
    }
}
