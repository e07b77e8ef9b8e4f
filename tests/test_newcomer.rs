//! The newcomer's first ten minutes: demo, help, man page, completions, duty, schedule, output.

use chrono::{Datelike, Weekday};

use crate::common::{TestEnv, json};

#[test]
fn the_demo_runs_both_processes_and_leaves_the_caller_alone() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let before = env.snapshot();
    let sandbox = env.root.join("demo");
    let out = env.ok(&["demo", sandbox.to_str().unwrap()]);
    for step in [
        "$ git release init",
        "$ git release notes",
        "$ git release render stage-test-mail",
        "cannot be deployed to production: 4 conditions not met",
        "$ git release signoff qa",
        "verified on production",
        "Undo migration 000002_add_email",
        "ALTER TABLE users DROP COLUMN email;",
        "picked",
        "$ git release init --preset push-duty",
        "has push duty",
        "==> push pad for the next push",
        "How it went: no issues",
    ] {
        assert!(out.contains(step), "the demo lacks {step:?}:\n{out}");
    }
    // The weekly process runs on its own preset: releases started on a Tuesday are named
    // after that week's Thursday, dotted, not after the day they were cut.
    let mut weekly = 0;
    let lines: Vec<&str> = out.lines().collect();
    for pair in lines.windows(2) {
        let Some(on) = pair[0].strip_prefix("$ git release start --on ") else {
            continue;
        };
        let tuesday = chrono::NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap();
        assert_eq!(tuesday.weekday(), Weekday::Tue);
        let thursday = tuesday + chrono::Days::new(2);
        assert_eq!(pair[1], thursday.format("%Y.%m.%d").to_string(), "{out}");
        weekly += 1;
    }
    assert_eq!(weekly, 2, "{out}");
    assert_eq!(
        env.snapshot(),
        before,
        "the demo touched the caller's repository"
    );
    // The sandbox is a real repository the user can look at.
    let shop = sandbox.join("shop");
    let git = std::process::Command::new("git")
        .args(["for-each-ref", "--format=%(refname)", "refs/release"])
        .current_dir(&shop)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&git.stdout).lines().count() >= 3);
    let err = env.fails(&["demo", sandbox.to_str().unwrap()], 2);
    assert!(err.contains("is not empty"), "{err}");
}

#[test]
fn every_command_has_help_with_an_example() {
    let env = TestEnv::new();
    let help = env.ok(&["--help"]);
    let commands: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .filter(|c| c != "help")
        .collect();
    assert!(commands.len() > 25, "{help}");
    for command in commands {
        // The help ends with its examples, one command line each.
        let text = env.ok(&[&command, "--help"]);
        let examples: Vec<&str> = text
            .lines()
            .skip_while(|l| !matches!(*l, "Example:" | "Examples:"))
            .skip(1)
            .collect();
        assert!(
            !examples.is_empty() && examples.iter().all(|l| l.starts_with("  git release ")),
            "`git release {command} --help` does not end with examples:\n{text}"
        );
        // Every argument and option says what it is for.
        let short = env.ok(&[&command, "-h"]);
        let arguments = short
            .lines()
            .filter(|l| l.starts_with("  ") && l.trim_start().starts_with(['-', '<', '[']));
        for line in arguments {
            let words = line
                .split_whitespace()
                .filter(|w| !w.starts_with(['-', '<', '[']));
            assert!(
                words.count() > 0,
                "`git release {command} -h`: `{line}` has no help"
            );
        }
    }
}

#[test]
fn man_page_and_completions() {
    let env = TestEnv::new();
    let page = env.ok(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH git-release 1"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(
        page.contains("git\\-release\\-rollforward") || page.contains("git-release-rollforward")
    );
    let groff = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    if let Ok(mut child) = groff {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(page.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "groff: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef git-release"),
        ("fish", "complete -c git-release"),
    ] {
        let script = env.ok(&["completions", shell]);
        assert!(
            script.contains(marker),
            "{shell}: {}",
            &script[..200.min(script.len())]
        );
        assert!(script.contains("rollforward"), "{shell}");
    }
    env.fails(&["completions", "tcsh"], 2);
}

fn push_duty() -> TestEnv {
    let env = TestEnv::new();
    env.ok(&["init", "--preset", "push-duty"]);
    env
}

#[test]
fn duty_rotates_weekly_and_swaps_are_config() {
    let env = push_duty();
    // The preset: alice, bob, carol from Thursday 2026-01-01, weekly.
    assert_eq!(
        env.ok(&["duty", "--date", "2026-01-07"]),
        "alice has push duty (turn from 2026-01-01)\n"
    );
    let v = json(&env.ok(&["duty", "--date", "2026-01-08", "--next", "3", "--json"]));
    let people = people_of(&v);
    assert_eq!(people, ["bob", "carol", "alice", "bob"]);
    assert_eq!(v[1]["starts"], "2026-01-15");

    let before = env.read(".release/config.toml");
    let diff = env.ok(&[
        "duty",
        "swap",
        "bob",
        "carol",
        "--week",
        "2026-01-08",
        "--dry-run",
    ]);
    assert!(diff.contains("+swaps = ["), "{diff}");
    assert_eq!(env.read(".release/config.toml"), before);
    env.ok(&["duty", "swap", "bob", "carol", "--week", "2026-01-08"]);
    let v = json(&env.ok(&["duty", "--date", "2026-01-08", "--next", "2", "--json"]));
    let people = people_of(&v);
    assert_eq!(people, ["carol", "bob", "alice"]);
    let config = env.read(".release/config.toml");
    assert!(
        config.contains("# Push duty rotates through these people"),
        "comments are kept"
    );
    let err = env.fails(
        &["duty", "swap", "alice", "carol", "--week", "2026-01-29"],
        1,
    );
    assert!(
        err.contains("neither alice nor carol has the turn of 2026-01-29; bob has"),
        "{err}"
    );
    let err = env.fails(&["duty", "swap", "alice", "zed", "--week", "2026-01-01"], 1);
    assert!(err.contains("zed is not in the rotation"), "{err}");
}

#[test]
fn a_turn_received_in_a_swap_can_be_swapped_on() {
    let env = push_duty();
    let turns = || {
        let v = json(&env.ok(&["duty", "--date", "2026-01-01", "--next", "4", "--json"]));
        people_of(&v)
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    };
    env.ok(&["duty", "swap", "bob", "carol", "--week", "2026-01-08"]);
    assert_eq!(turns(), ["alice", "carol", "bob", "alice", "bob"]);
    // carol has 2026-01-08 only because of the swap; she passes it on to alice.
    let (code, _, said) = env.run(&["duty", "swap", "carol", "alice", "--week", "2026-01-08"]);
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains(
            "alice takes carol's turn from 2026-01-08; carol takes alice's turn from 2026-01-22."
        ),
        "{said}"
    );
    assert_eq!(turns(), ["alice", "alice", "bob", "carol", "bob"]);
    // The same swap again trades back, and says so.
    let (_, _, said) = env.run(&["duty", "swap", "carol", "alice", "--week", "2026-01-08"]);
    assert!(
        said.contains(
            "carol takes alice's turn from 2026-01-08; alice takes carol's turn from 2026-01-22."
        ),
        "{said}"
    );
    assert_eq!(turns(), ["alice", "carol", "bob", "alice", "bob"]);

    let before = env.read(".release/config.toml");
    let err = env.fails(&["duty", "swap", "bob", "bob", "--week", "2026-01-15"], 2);
    assert!(
        err.contains("bob cannot swap a turn with themselves"),
        "{err}"
    );
    assert_eq!(env.read(".release/config.toml"), before);
}

#[test]
fn swaps_written_as_tables_get_one_more_table() {
    let env = TestEnv::new();
    env.write(
        ".release/config.toml",
        "[duty]\nrotation = [\"alice\", \"bob\", \"carol\"]\nstart = 2026-01-01\n\n# bob is away that week\n[[duty.swaps]]\nweek = 2026-01-08\na = \"bob\"\nb = \"carol\"\n",
    );
    env.ok(&["duty", "swap", "carol", "alice", "--week", "2026-01-08"]);
    assert_eq!(
        env.read(".release/config.toml"),
        "[duty]\nrotation = [\"alice\", \"bob\", \"carol\"]\nstart = 2026-01-01\n\n# bob is away that week\n[[duty.swaps]]\nweek = 2026-01-08\na = \"bob\"\nb = \"carol\"\n\n[[duty.swaps]]\nweek = 2026-01-08\na = \"carol\"\nb = \"alice\"\n"
    );
    let v = json(&env.ok(&["duty", "--date", "2026-01-08", "--next", "2", "--json"]));
    assert_eq!(people_of(&v), ["alice", "bob", "carol"]);

    // One written by hand that neither person's turn fits does nothing, and duty says so.
    let text = env.read(".release/config.toml");
    env.write(
        ".release/config.toml",
        &format!("{text}\n[[duty.swaps]]\nweek = 2026-01-08\na = \"bob\"\nb = \"carol\"\n"),
    );
    let (code, out, err) = env.run(&["duty", "--date", "2026-01-08"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "alice has push duty (turn from 2026-01-08)\n");
    assert_eq!(
        err,
        "warning: the swap of 2026-01-08 between bob and carol in .release/config.toml trades nothing: neither has that turn\n"
    );
}

#[test]
fn schedule_lists_tag_days_push_days_names_and_heroes() {
    let env = push_duty();
    let v = json(&env.ok(&["schedule", "--count", "3", "--json"]));
    let today = chrono::Local::now().date_naive();
    let ahead =
        (7 + Weekday::Thu.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    let thursday = today + chrono::Days::new(ahead.into());
    assert_eq!(v[0]["push"], thursday.to_string());
    assert_eq!(v[0]["tag"], (thursday - chrono::Days::new(2)).to_string());
    assert_eq!(v[0]["name"], thursday.format("%Y.%m.%d").to_string());
    assert_eq!(v[1]["push"], (thursday + chrono::Days::new(7)).to_string());
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let hero = ["alice", "bob", "carol"]
        [((thursday - start).num_days().div_euclid(7).rem_euclid(3)) as usize];
    assert_eq!(v[0]["duty"], hero);
    // The hero of a release's day shows in its status.
    env.ok(&["start", "--date", "2026-01-15"]);
    assert!(env.ok(&["status"]).contains("push hero  carol\n"));
    let text = env.ok(&["schedule"]);
    assert!(
        text.starts_with("release      tag              push             duty\n"),
        "{text}"
    );
    assert!(text.contains("Thu "), "{text}");
}

#[test]
fn quiet_plain_output_and_relative_times() {
    let env = TestEnv::new();
    let (code, out, err) = env.run(&["start", "--date", "2026-11-20", "--quiet"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "2026-11-20\n", ""));
    let (_, _, err) = env.run(&["-q", "comment", "shh"]);
    assert_eq!(err, "");
    // After the subcommand, and after a subcommand's own subcommand; not after `--`.
    let (code, _, err) = env.run(&["comment", "--quiet", "--", "-q"]);
    assert_eq!((code, err.as_str()), (0, ""));
    assert!(env.ok(&["log"]).contains("comment: -q\n"));
    let (code, _, err) = env.run(&["comment", "loud"]);
    assert_eq!(code, 0);
    assert!(err.contains("Recorded"), "{err}");
    env.ok(&["init"]);
    let set = ["config", "set", "release.name", "%Y-%m-%d"];
    assert!(env.run(&set).2.contains("Set release.name"));
    let (code, _, err) = env.run(&[&set[..], &["-q", "--no-hooks"]].concat());
    assert_eq!((code, err.as_str()), (0, ""));
    let status = env.ok(&["status"]);
    assert!(status.contains("(just now) by Ada Lovelace"), "{status}");
    assert!(!status.contains('\u{1b}'), "colour codes in piped output");
}

/// The people of `duty --json`'s turns, in order.
fn people_of(turns: &serde_json::Value) -> Vec<&str> {
    turns
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["person"].as_str().unwrap())
        .collect()
}

/// `git release <TAB>` completes through git's own bash completion (it calls `_git_release`),
/// as `git-release <TAB>` does, subcommands and their options alike.
#[test]
fn git_release_tab_completes_through_gits_own_completion() {
    let git_completion = "/usr/share/bash-completion/completions/git";
    assert!(
        std::path::Path::new(git_completion).exists(),
        "git's bash completion ({git_completion}) comes with Debian's git package"
    );
    let env = TestEnv::new();
    let script = env.root.join("git-release.bash");
    std::fs::write(&script, env.ok(&["completions", "bash"])).unwrap();
    let complete = |line: &str| -> String {
        let program = format!(
            r#"source {git_completion}
source {script}
COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1))
if [[ ${{COMP_WORDS[0]}} == git ]]; then __git_wrap__git_main; else _git__release git-release "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"; fi
echo "${{COMPREPLY[*]}}""#,
            script = script.display()
        );
        let out = std::process::Command::new("bash")
            .args(["--norc", "-c", &program])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    assert_eq!(complete("git release sta"), "start status");
    assert_eq!(complete("git release sign"), "signoff");
    assert_eq!(complete("git -C . release rollf"), "rollforward");
    assert_eq!(complete("git release deploy --f"), "--force");
    assert_eq!(complete("git-release deploy --f"), "--force");
}

/// A closed pipe ends output quietly, whatever the command: `… | head -1` exits 0.
#[test]
fn a_closed_pipe_is_no_error() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    for args in [
        "completions bash",
        "completions zsh",
        "completions fish",
        "man",
        "log",
        "status",
        "notes",
        "--help",
    ] {
        let out = std::process::Command::new("bash")
            .args([
                "-c",
                &format!("set -o pipefail; \"$BIN\" {args} | head -c 1 >/dev/null"),
            ])
            .env("BIN", env.cmd().get_program())
            .envs(env.cmd().get_envs().filter_map(|(k, v)| Some((k, v?))))
            .current_dir(&env.repo)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `man --install` puts the page where `git help release` finds it: beside the `bin` directory
/// the program runs from (cargo's), or in $MANPATH's first directory.
#[test]
fn man_install_puts_the_page_where_git_help_finds_it() {
    let env = TestEnv::new();
    let prefix = env.root.join("prefix");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    let bin = prefix.join("bin/git-release");
    std::fs::copy(env.cmd().get_program(), &bin).unwrap();
    // Run from the copy, so that "beside bin" is the test's prefix.
    let out = std::process::Command::new(&bin)
        .args(["man", "--install"])
        .env_remove("MANPATH")
        .env("HOME", &env.root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = prefix.join("share/man/man1/git-release.1");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        page.display().to_string()
    );
    assert!(
        std::fs::read_to_string(&page)
            .unwrap()
            .contains(".TH git-release 1")
    );
    if std::process::Command::new("man")
        .arg("--version")
        .output()
        .is_ok()
    {
        let path = format!("{}:/usr/bin:/bin", prefix.join("bin").display());
        let found = std::process::Command::new("man")
            .args(["-w", "git-release"])
            .env_remove("MANPATH")
            .env("PATH", &path)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&found.stdout).trim(),
            page.display().to_string(),
            "{}",
            String::from_utf8_lossy(&found.stderr)
        );
    } else {
        eprintln!("note: no `man` here; the page's place was checked, not man's search");
    }
    // MANPATH names the place first.
    let manpath = env.root.join("manpages");
    let out = std::process::Command::new(&bin)
        .args(["man", "--install"])
        .env("MANPATH", format!("{}:/usr/share/man", manpath.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(manpath.join("man1/git-release.1").exists());
}

#[test]
fn replaying_a_day_with_on() {
    let env = push_duty();
    // `--on` is "as if today were": on Tuesday the release is named after that week's
    // Thursday; `--date` names it after exactly the day given.
    assert_eq!(env.ok(&["start", "--on", "2026-01-06"]), "2026.01.08\n");
    assert_eq!(env.ok(&["start", "--on", "2026-01-08"]), "2026.01.08-1\n");
    assert_eq!(env.ok(&["start", "--date", "2026-01-06"]), "2026.01.06\n");
    let err = env.fails(&["start", "--on", "2026-01-06", "--date", "2026-01-06"], 2);
    assert!(err.contains("cannot be used with"), "{err}");

    // The preset's rotation: alice from Thursday 2026-01-01, then bob, then carol.
    let v = json(&env.ok(&["schedule", "--on", "2026-01-06", "--json", "--count", "2"]));
    assert_eq!(v[0]["name"], "2026.01.08");
    assert_eq!(v[0]["tag"], "2026-01-06");
    assert_eq!(v[0]["duty"], "bob");
    assert_eq!(v[1]["name"], "2026.01.15");
    assert_eq!(
        env.ok(&["duty", "--on", "2026-01-08"]),
        "bob has push duty (turn from 2026-01-08)\n"
    );
}

#[test]
fn finish_plans_the_push_after_the_release_own_week() {
    let env = push_duty();
    let finish = |release: &str, more: &[&str]| {
        let mut args = vec!["finish", "-r", release, "--force", "--reason", "replayed"];
        args.extend_from_slice(more);
        env.ok(&args)
    };
    assert_eq!(env.ok(&["start", "--on", "2026-01-06"]), "2026.01.08\n");
    // Not the push after the real today: the one after the release's own, with its hero.
    let out = finish("2026.01.08", &[]);
    assert!(
        out.contains(
            "==> push pad for the next push, 2026.01.15 <==\n# Push 2026.01.15 (2026-01-15)\n"
        ),
        "{out}"
    );
    assert!(out.contains("Hero: carol\n"), "{out}");
    assert!(
        out.contains("Next push: 2026.01.15 on 2026-01-15, hero carol."),
        "{out}"
    );

    // `--on` plans from that day instead: finished two weeks late, the next push is the one
    // after that day.
    env.commit("Next sprint");
    assert_eq!(env.ok(&["start", "--on", "2026-01-13"]), "2026.01.15\n");
    let out = finish("2026.01.15", &["--on", "2026-01-27"]);
    assert!(out.contains("# Push 2026.01.29 (2026-01-29)\n"), "{out}");
    assert!(out.contains("Hero: bob\n"), "{out}");
}

/// `git release <TAB>` in zsh: zsh's own git completion lists `release` (from the `_git-release`
/// file on $fpath) and completes its words with `_git-release`. Run in a real zsh on a
/// pseudo-terminal (tests/fixtures/zsh_complete.zsh); .ci/run installs Debian's zsh.
#[test]
fn git_release_tab_completes_in_zsh() {
    let env = TestEnv::new();
    let fpath = env.root.join("zfunc");
    let bin = env.root.join("bin");
    std::fs::create_dir_all(&fpath).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(fpath.join("_git-release"), env.ok(&["completions", "zsh"])).unwrap();
    std::os::unix::fs::symlink(env.cmd().get_program(), bin.join("git-release")).unwrap();
    let driver = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/zsh_complete.zsh"
    );
    let complete = |line: &str| -> Vec<String> {
        let out = std::process::Command::new("zsh")
            .arg("-f")
            .arg(driver)
            .arg(&fpath)
            .arg(&bin)
            .arg(line)
            .env("HOME", &env.root)
            .output()
            .expect("zsh runs (.ci/run installs it)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // The matches, amid the line editor's escape sequences.
        let text = String::from_utf8_lossy(&out.stdout);
        let mut hits: Vec<String> = text
            .split("HIT:")
            .skip(1)
            .map(|rest| {
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || "-_".contains(*c))
                    .collect::<String>()
            })
            // The terminal echoes the wrapper's own `HIT:$h` too.
            .filter(|hit| !hit.is_empty())
            .collect();
        hits.sort();
        hits.dedup();
        hits
    };
    assert_eq!(complete("git release sta"), ["start", "status"]);
    assert_eq!(complete("git rel"), ["release"]);
    assert_eq!(complete("git release deploy --f"), ["--force"]);
    assert_eq!(complete("git-release rollf"), ["rollforward"]);
}

/// `git release <TAB>` in fish, with the script in conf.d/: fish's git completion offers
/// `release`, and the words after it complete as `git-release`'s. .ci/run installs fish.
#[test]
fn git_release_tab_completes_in_fish() {
    let env = TestEnv::new();
    let config = env.root.join("config");
    let conf_d = config.join("fish/conf.d");
    let bin = env.root.join("bin");
    std::fs::create_dir_all(&conf_d).unwrap();
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(
        conf_d.join("git-release.fish"),
        env.ok(&["completions", "fish"]),
    )
    .unwrap();
    std::os::unix::fs::symlink(env.cmd().get_program(), bin.join("git-release")).unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let complete = |line: &str| -> Vec<String> {
        let out = std::process::Command::new("fish")
            .args(["-c", "complete -C $argv[1]"])
            .arg(line)
            .env("HOME", &env.root)
            .env("XDG_CONFIG_HOME", &config)
            .env("PATH", &path)
            .output()
            .expect("fish runs (.ci/run installs it)");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && err.is_empty(), "{err}");
        let mut words: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_owned())
            .collect();
        words.sort();
        words.dedup();
        words
    };
    assert_eq!(complete("git release sta"), ["start", "status"]);
    assert!(complete("git rel").contains(&"release".to_owned()));
    assert_eq!(complete("git -C . release deploy --f"), ["--force"]);
    assert_eq!(complete("git-release rollf"), ["rollforward"]);
}

/// What help `git release` gives through the real git: git passes `-h` and a subcommand's
/// `--help` on, so those are the built-in help; `git release --help` git turns into
/// `git help release`, which runs `man git-release` itself, so it shows the page once
/// `man --install` has put it where man looks, and man's "No manual entry" before: git gives
/// a command no way to answer instead (README, "Help").
#[test]
fn help_through_git() {
    let env = TestEnv::new();
    let prefix = env.root.join("prefix");
    std::fs::create_dir_all(prefix.join("bin")).unwrap();
    std::fs::copy(env.cmd().get_program(), prefix.join("bin/git-release")).unwrap();
    let path = format!(
        "{}:{}",
        prefix.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let git = |args: &[&str]| -> (String, String) {
        let out = env
            .git_cmd()
            .args(args)
            .env("PATH", &path)
            .env_remove("MANPATH")
            .env("MANPAGER", "cat")
            .env("PAGER", "cat")
            .env("MANWIDTH", "100")
            .output()
            .unwrap();
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (out, _) = git(&["release", "deploy", "--help"]);
    assert!(
        out.starts_with("Record that the release was deployed"),
        "{out}"
    );
    assert!(out.contains("Examples:"), "{out}");
    let (out, _) = git(&["release", "-h"]);
    assert!(
        out.contains("Usage: git release [OPTIONS] <COMMAND>"),
        "{out}"
    );
    let (out, err) = git(&["release", "--help"]);
    assert!(
        err.contains("No manual entry for git-release"),
        "{out}{err}"
    );
    let (out, _) = git(&["release", "man", "--install"]);
    assert_eq!(
        out.trim(),
        prefix
            .join("share/man/man1/git-release.1")
            .display()
            .to_string()
    );
    let (out, err) = git(&["release", "--help"]);
    assert!(
        out.contains("git-release - Date-based release trains"),
        "{out}{err}"
    );
    let (out, _) = git(&["help", "release"]);
    assert!(out.contains("git-release-deploy"), "{out}");
}
