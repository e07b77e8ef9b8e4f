//! `git release demo`: both processes, end to end, in a sandbox repository — a script over
//! the real commands (it runs this very binary), printing each command before its output.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result};

use crate::error::Failure;

/// Walk through a release train in a new sandbox repository: init, start, notes, a mail,
/// a refused deploy, the checklist, sign-offs, production, a roll-forward that undoes a
/// database migration, a cherry-pick release, and then the weekly push-duty process from its
/// own preset (named after Thursday's push, a hero, the pad, finish) — each with the real
/// command, printed before its output. Your own repository is never touched.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release demo
  git release demo /tmp/release-demo --step"#)]
pub struct DemoArgs {
    /// Where to make the sandbox (must not exist yet, or be empty); default: a new temporary
    /// directory, printed at the start.
    dir: Option<PathBuf>,
    /// Pause for Enter between steps.
    #[arg(long)]
    step: bool,
}

const ADA: (&str, &str) = ("Ada Lovelace", "ada@example.com");
const KIM: (&str, &str) = ("Kim Tester", "kim@qa.example.com");
const LEE: (&str, &str) = ("Lee Lead", "lead@example.com");

struct Demo<'a> {
    repo: PathBuf,
    exe: PathBuf,
    step: bool,
    out: &'a mut dyn Write,
    /// Commit dates move forward a day at a time from here, so the history spans weeks.
    clock: i64,
}

pub fn cmd_demo(args: &DemoArgs, out: &mut dyn Write) -> Result<()> {
    let dir = match &args.dir {
        Some(dir) => {
            if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                return Err(Failure::usage(format!("{} is not empty", dir.display()))
                    .hint("name a new directory, or leave it out for a temporary one")
                    .into());
            }
            std::fs::create_dir_all(dir)?;
            dir.canonicalize()?
        }
        None => tempfile::Builder::new()
            .prefix("git-release-demo-")
            .tempdir()?
            .keep(),
    };
    let repo = dir.join("shop");
    std::fs::create_dir_all(&repo)?;
    writeln!(
        out,
        "# Sandbox: {}  (your own repository is not touched)\n",
        repo.display()
    )?;
    let today = chrono::Local::now().date_naive();
    let mut demo = Demo {
        repo,
        exe: std::env::current_exe().context("finding the git-release binary")?,
        step: args.step,
        out,
        clock: (today - chrono::Days::new(30))
            .and_hms_opt(9, 0, 0)
            .expect("a valid time")
            .and_utc()
            .timestamp(),
    };
    demo.run_all(today)
}

impl Demo<'_> {
    fn run_all(&mut self, today: chrono::NaiveDate) -> Result<()> {
        let day = |n: u64| {
            (today - chrono::Days::new(n))
                .format("%Y-%m-%d")
                .to_string()
        };
        self.say("A shop with a few weeks of history, one SQL migration included.")?;
        self.git(&["init", "-q", "-b", "main"])?;
        self.file("app.txt", "shop v1\n")?;
        self.file(
            "db/migrations/000001_users.up.sql",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n",
        )?;
        self.file("db/migrations/000001_users.down.sql", "DROP TABLE users;\n")?;
        self.file(
            "docs/verification.md",
            "# Verification plan\n\n## Shop\n\n1. Open the home page\n   - no errors in the console\n2. Log in as the test user\n3. Put a book in the basket and check out\n",
        )?;
        self.commit("Shop with users")?;
        self.commit_file("search.txt", "search\n", "Add search (#12)")?;

        self.say(
            "The train: tag at the end of the sprint, stage, checklist, sign-offs, production.",
        )?;
        self.release(ADA, &["init"], 0)?;
        self.release(
            ADA,
            &[
                "config",
                "set",
                "roles.qa.members",
                "[\"*@qa.example.com\"]",
            ],
            0,
        )?;
        self.release(
            ADA,
            &[
                "config",
                "set",
                "roles.eng.members",
                "[\"lead@example.com\"]",
            ],
            0,
        )?;
        self.release(
            ADA,
            &["config", "set", "checklist.file", "docs/verification.md"],
            0,
        )?;
        self.git(&["add", "-A"])?;
        self.commit("Release process")?;
        self.release(ADA, &["start", "--date", &day(14)], 0)?;
        self.commit_file("basket.txt", "basket\n", "Faster basket, bug 1234")?;
        self.file(
            "db/migrations/000002_add_email.up.sql",
            "ALTER TABLE users ADD COLUMN email TEXT;\n",
        )?;
        self.file(
            "db/migrations/000002_add_email.down.sql",
            "ALTER TABLE users DROP COLUMN email;\n",
        )?;
        self.file("app.txt", "shop v2: log in by e-mail\n")?;
        self.commit("Log in by e-mail")?;
        let bad = self.git(&["rev-parse", "HEAD"])?;
        let name = day(0);
        self.release(ADA, &["start", "--date", &name], 0)?;
        self.release(ADA, &["notes"], 0)?;
        self.release(
            ADA,
            &[
                "render",
                "stage-test-mail",
                "--var",
                "bug=https://bugs.example.com/1234",
            ],
            0,
        )?;
        self.release(ADA, &["deploy", "production"], 3)?;
        self.release(ADA, &["deploy", "stage"], 0)?;
        self.release(KIM, &["checklist"], 0)?;
        self.release(
            KIM,
            &[
                "check",
                "shop-1",
                "shop-2",
                "shop-3",
                "--note",
                "Firefox and Chrome",
            ],
            0,
        )?;
        self.release(KIM, &["signoff", "qa", "--note", "stage is good"], 0)?;
        self.release(LEE, &["signoff", "eng"], 0)?;
        self.release(ADA, &["deploy", "production"], 0)?;
        self.release(KIM, &["verify", "production"], 0)?;
        self.release(ADA, &["status"], 0)?;

        self.say("Production breaks: roll forward — revert the commit, undo its migration with a new one.")?;
        self.release(
            LEE,
            &["rollback-approve", "--note", "log-ins fail since the push"],
            0,
        )?;
        self.release(ADA, &["rollforward", &bad[..7], "--dry-run"], 0)?;
        self.release(ADA, &["rollforward", &bad[..7]], 0)?;
        let branch = format!("rollforward/{name}");
        self.show_git(&["log", "--oneline", &format!("{name}..{branch}")])?;
        self.show_git(&[
            "show",
            &format!("{branch}:db/migrations/000003_undo_add_email.up.sql"),
        ])?;

        self.say("Master cannot ship as is: a cherry-pick release from the last good one.")?;
        self.commit_file("fix.txt", "fix\n", "Fix the basket total")?;
        let fix = self.git(&["rev-parse", "HEAD"])?;
        let pick_day = (today + chrono::Days::new(1))
            .format("%Y-%m-%d")
            .to_string();
        self.release(
            ADA,
            &[
                "start",
                "--date",
                &pick_day,
                "--from",
                &day(14),
                "--pick",
                &fix[..7],
            ],
            0,
        )?;
        self.release(ADA, &["notes", "-r", &pick_day], 0)?;

        self.say("The train's release is closed; the audit trail is plain git.")?;
        self.release(ADA, &["finish", "-r", &name], 0)?;
        self.release(ADA, &["log", "-r", &name], 0)?;
        self.show_git(&["log", "--oneline", &format!("refs/release/{name}")])?;
        let shop = self.repo.clone();
        self.push_duty(today)?;
        self.say(&format!(
            "That was all real: the sandboxes are still at {} and {} — look around with git.",
            shop.display(),
            self.repo.display()
        ))?;
        Ok(())
    }

    /// The weekly process, from its own preset: the tag is cut on Tuesday and named after
    /// Thursday's push, a hero per week, a pad and a push-done mail.
    fn push_duty(&mut self, today: chrono::NaiveDate) -> Result<()> {
        use chrono::Datelike;
        self.say("Push duty, the weekly process (`init --preset push-duty`): a tag cut on Tuesday is named after Thursday's push, and a hero rotates weekly.")?;
        let addons = self.repo.with_file_name("addons");
        std::fs::create_dir_all(&addons)?;
        self.repo = addons;
        self.git(&["init", "-q", "-b", "main"])?;
        self.commit_file("addons.txt", "add-ons v1\n", "Add-ons site")?;
        self.release(ADA, &["init", "--preset", "push-duty"], 0)?;
        self.commit("Release process")?;
        // This week's Tuesday (last week's, early in the week), and the one before.
        let back = (today.weekday().num_days_from_monday() + 7 - 1) % 7;
        let tuesday = today - chrono::Days::new(u64::from(back));
        let before = tuesday - chrono::Days::new(7);
        let thursday = (tuesday + chrono::Days::new(2)).to_string();
        let (tuesday, before) = (tuesday.to_string(), before.to_string());
        self.release(ADA, &["start", "--on", &before], 0)?;
        self.commit_file("search.txt", "search\n", "Faster search (#40)")?;
        self.commit_file(
            "l10n.txt",
            "fr\n",
            "Pontoon: Update French (fr) localization",
        )?;
        self.release(ADA, &["duty", "--on", &thursday], 0)?;
        self.release(ADA, &["schedule", "--count", "3", "--on", &tuesday], 0)?;
        self.release(ADA, &["start", "--on", &tuesday], 0)?;
        self.release(ADA, &["notes"], 0)?;
        self.release(ADA, &["render", "push-pad"], 0)?;
        self.release(ADA, &["deploy", "stage"], 0)?;
        self.release(KIM, &["signoff", "qa"], 0)?;
        self.release(ADA, &["deploy", "production"], 0)?;
        self.release(ADA, &["finish", "--note", "no issues"], 0)?;
        Ok(())
    }

    fn say(&mut self, text: &str) -> Result<()> {
        writeln!(self.out, "# {text}\n")?;
        Ok(())
    }

    /// Runs `git release ARGS` as `who`, printing the command and its output; any other exit
    /// code than `expect` stops the demo.
    fn release(&mut self, who: (&str, &str), args: &[&str], expect: i32) -> Result<()> {
        let shown: Vec<String> = args
            .iter()
            .map(|a| {
                if a.contains(' ') || a.contains('"') {
                    format!("'{a}'")
                } else {
                    (*a).to_owned()
                }
            })
            .collect();
        writeln!(self.out, "$ git release {}", shown.join(" "))?;
        let output = self.command(&self.exe, who).args(args).output()?;
        self.out.write_all(&output.stdout)?;
        self.out.write_all(&output.stderr)?;
        writeln!(self.out)?;
        let code = output.status.code().unwrap_or(-1);
        if code != expect {
            return Err(Failure::new(format!(
                "the demo's step `git release {}` exited with {code}, not {expect}",
                args.join(" ")
            ))
            .hint("this is a bug in git-release; please report it with the output above")
            .into());
        }
        self.pause()
    }

    fn show_git(&mut self, args: &[&str]) -> Result<()> {
        writeln!(self.out, "$ git {}", args.join(" "))?;
        let text = self.git(args)?;
        writeln!(self.out, "{text}\n")?;
        self.pause()
    }

    fn pause(&mut self) -> Result<()> {
        if self.step {
            use std::io::IsTerminal;
            if !std::io::stdin().is_terminal() {
                // Nobody to press Enter: run straight through, as without --step.
                crate::warn!("note: --step needs a terminal to wait on; running straight through");
                self.step = false;
                return Ok(());
            }
            eprint!("[Enter for the next step] ");
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
        }
        Ok(())
    }

    /// A command in the sandbox, isolated from the caller's repository and git config.
    fn command(&self, program: &Path, who: (&str, &str)) -> Command {
        let mut cmd = Command::new(program);
        for var in [
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_INDEX_FILE",
            "GIT_OBJECT_DIRECTORY",
            "GIT_CEILING_DIRECTORIES",
        ] {
            cmd.env_remove(var);
        }
        cmd.current_dir(&self.repo)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .env("NO_COLOR", "1");
        cmd
    }

    fn git(&mut self, args: &[&str]) -> Result<String> {
        self.clock += 86_400 / 3;
        let date = format!("@{} +0000", self.clock);
        let out = self
            .command(Path::new("git"), ADA)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(args)
            .output()
            .context("running git")?;
        if !out.status.success() {
            return Err(Failure::new(format!(
                "git {} failed in the sandbox: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ))
            .into());
        }
        Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_owned())
    }

    fn file(&self, path: &str, text: &str) -> Result<()> {
        let full = self.repo.join(path);
        std::fs::create_dir_all(full.parent().expect("files are in directories"))?;
        std::fs::write(full, text)?;
        Ok(())
    }

    fn commit(&mut self, subject: &str) -> Result<()> {
        self.git(&["add", "-A"])?;
        self.git(&["commit", "-q", "-m", subject])?;
        Ok(())
    }

    fn commit_file(&mut self, path: &str, text: &str, subject: &str) -> Result<()> {
        self.file(path, text)?;
        self.commit(subject)
    }
}
