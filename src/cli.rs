//! The command line: the top-level parser, the list of subcommands and their dispatch.

use std::io::Write;

use anyhow::Result;
use clap::{Parser, Subcommand};

use crate::commands::{
    block, check, checklist, comment, completions, config, demo, deploy, duty, finish, fsck, hooks,
    init, list, log, man, notes, render, rollback_approve, rollforward, schedule, signoff, start,
    status, sync, templates, verify, verify_signatures, wait,
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
    /// Record events but send no hook requests.
    #[arg(long, global = true)]
    pub no_hooks: bool,
    /// Print only the answer: no progress or confirmations on stderr (warnings still show).
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Init(init::InitArgs),
    Config(config::ConfigArgs),
    Start(start::StartArgs),
    Status(status::StatusArgs),
    List(list::ListArgs),
    Log(log::LogArgs),
    Comment(comment::CommentArgs),
    Signoff(signoff::SignoffArgs),
    Check(check::CheckArgs),
    Uncheck(check::UncheckArgs),
    Checklist(checklist::ChecklistArgs),
    Block(block::BlockArgs),
    Unblock(block::UnblockArgs),
    Deploy(deploy::DeployArgs),
    Verify(verify::VerifyArgs),
    RollbackApprove(rollback_approve::RollbackApproveArgs),
    Rollforward(rollforward::RollforwardArgs),
    Notes(notes::NotesArgs),
    Render(render::RenderArgs),
    Templates(templates::TemplatesArgs),
    Finish(finish::FinishArgs),
    Wait(wait::WaitArgs),
    Hooks(hooks::HooksArgs),
    Sync(sync::SyncArgs),
    VerifySignatures(verify_signatures::VerifySignaturesArgs),
    Duty(duty::DutyArgs),
    Schedule(schedule::ScheduleArgs),
    Demo(demo::DemoArgs),
    Man(man::ManArgs),
    Completions(completions::CompletionsArgs),
    Fsck(fsck::FsckArgs),
}

pub fn run(cli: &Cli, out: &mut dyn Write) -> Result<()> {
    if cli.no_hooks {
        hooks::disable();
    }
    if cli.quiet {
        crate::output::set_quiet();
    }
    match &cli.command {
        Command::Init(args) => init::cmd_init(args, out),
        Command::Config(args) => config::cmd_config(args, out),
        Command::Start(args) => start::cmd_start(args, out),
        Command::Status(args) => status::cmd_status(args, out),
        Command::List(args) => list::cmd_list(args, out),
        Command::Log(args) => log::cmd_log(args, out),
        Command::Comment(args) => comment::cmd_comment(args, out),
        Command::Signoff(args) => signoff::cmd_signoff(args, out),
        Command::Check(args) => check::cmd_check(args, out),
        Command::Uncheck(args) => check::cmd_uncheck(args, out),
        Command::Checklist(args) => checklist::cmd_checklist(args, out),
        Command::Block(args) => block::cmd_block(args, out),
        Command::Unblock(args) => block::cmd_unblock(args, out),
        Command::Deploy(args) => deploy::cmd_deploy(args, out),
        Command::Verify(args) => verify::cmd_verify(args, out),
        Command::RollbackApprove(args) => rollback_approve::cmd_rollback_approve(args, out),
        Command::Rollforward(args) => rollforward::cmd_rollforward(args, out),
        Command::Notes(args) => notes::cmd_notes(args, out),
        Command::Render(args) => render::cmd_render(args, out),
        Command::Templates(args) => templates::cmd_templates(args, out),
        Command::Finish(args) => finish::cmd_finish(args, out),
        Command::Wait(args) => wait::cmd_wait(args, out),
        Command::Hooks(args) => hooks::cmd_hooks(args, out),
        Command::Sync(args) => sync::cmd_sync(args, out),
        Command::VerifySignatures(args) => verify_signatures::cmd_verify_signatures(args, out),
        Command::Duty(args) => duty::cmd_duty(args, out),
        Command::Schedule(args) => schedule::cmd_schedule(args, out),
        Command::Demo(args) => demo::cmd_demo(args, out),
        Command::Man(args) => man::cmd_man(args, out),
        Command::Completions(args) => completions::cmd_completions(args, out),
        Command::Fsck(args) => fsck::cmd_fsck(args, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }
}
