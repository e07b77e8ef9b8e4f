//! The command of `[[migrations]] generate`: what a migration is called reaches it through
//! environment variables, and the `{name}`/`{sha}` placeholders of a configured command become
//! quoted references to them, so a file name from a reverted commit is never shell code.

use super::systems::NewFile;
use crate::error::Failure;
use crate::git::{ChangeKind, Oid, Repo};

/// The newest migration the reverted commit added, without its extension (`0016_email`).
pub const NAME: &str = "GIT_RELEASE_MIGRATION_NAME";
/// Its path from the top of the repository (`shop/migrations/0016_email.py`).
pub const FILE: &str = "GIT_RELEASE_MIGRATION_FILE";
/// The migration directory as configured (`shop/migrations`).
pub const DIR: &str = "GIT_RELEASE_MIGRATION_DIR";
/// The short id of the reverted commit that added the migration.
pub const COMMIT: &str = "GIT_RELEASE_MIGRATION_COMMIT";

/// What a generator is asked for, and how it is named in messages.
pub struct Generator<'a> {
    /// The script `sh -c` runs (`script` of the configured command).
    pub script: &'a str,
    /// How messages name it: the command and the migration name it was given.
    pub label: &'a str,
    /// The system, for messages (`django`).
    pub system: &'a str,
    /// The migration directory its files must go into.
    pub dir: &'a str,
    /// The migrations it undoes, for messages.
    pub undoes: &'a [&'a str],
}

/// Runs the generator in a temporary worktree of `tip` and returns the files it created. It
/// must exit with 0 and create at least one file, every one new and inside `dir`; anything
/// else (a failure, a missing program, a file changed, deleted or created elsewhere) is refused
/// with the command and the files named, and nothing is written.
pub fn run(
    git: &Repo,
    tip: Oid,
    generator: &Generator<'_>,
    env: &[(&str, String)],
) -> anyhow::Result<Vec<NewFile>> {
    let Generator {
        label,
        system,
        dir,
        undoes,
        ..
    } = generator;
    let undoes = undoes.join(", ");
    let run = git.run_in_worktree(tip, generator.script, env)?;
    if !run.success {
        let why = match run.code {
            Some(127) => "exit 127: the shell did not find a program it runs (a missing interpreter, a wrong path?)".to_owned(),
            Some(126) => "exit 126: a program it runs is not executable".to_owned(),
            Some(code) => format!("exit {code}"),
            None => "killed by a signal".to_owned(),
        };
        let output = run.output.trim_end();
        let shown = if output.is_empty() {
            String::new()
        } else {
            format!(":\n{output}")
        };
        return Err(Failure::new(format!(
            "{label} ({system}, undoing {undoes}) failed ({why}); nothing was written{shown}"
        ))
        .hint("fix the command in [[migrations]] generate (or the program it runs), or write the undo migration by hand")
        .into());
    }
    let (new, other): (Vec<_>, Vec<_>) = run
        .changes
        .into_iter()
        .partition(|c| c.kind == ChangeKind::Created && under(&c.path, dir));
    if !other.is_empty() {
        let listed: Vec<String> = other
            .iter()
            .map(|c| {
                let what = match c.kind {
                    ChangeKind::Created => "created outside the migration directory",
                    ChangeKind::Modified => "changed",
                    ChangeKind::Deleted => "deleted",
                };
                format!("{} ({what})", c.path)
            })
            .collect();
        return Err(Failure::new(format!(
            "{label} ({system}, undoing {undoes}) did more than add migrations to {dir}; nothing was written. It touched:\n  {}",
            listed.join("\n  ")
        ))
        .hint(format!(
            "a generator may only create new files in {dir}; fix the command in [[migrations]] generate, or write the undo migration by hand"
        ))
        .into());
    }
    if new.is_empty() {
        return Err(Failure::new(format!(
            "{label} ({system}, undoing {undoes}) created no file in {dir}; nothing to commit as the undo, nothing was written"
        ))
        .hint("check the command in [[migrations]] generate")
        .into());
    }
    new.into_iter()
        .map(|c| {
            let content = c
                .content
                .and_then(|bytes| String::from_utf8(bytes).ok())
                .ok_or_else(|| {
                    Failure::new(format!(
                        "{label} ({system}, undoing {undoes}) created {}, which is not a text file of at most {} KiB; nothing was written",
                        c.path,
                        crate::files::REPOSITORY_FILE_LIMIT / 1024
                    ))
                })?;
            Ok(NewFile {
                path: c.path,
                content,
            })
        })
        .collect()
}

fn under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_matches('/');
    dir.is_empty()
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The placeholders older configs use, and the variable each stands for.
const PLACEHOLDERS: [(&str, &str); 2] = [("{name}", NAME), ("{sha}", COMMIT)];

/// Programs that run an argument as shell code.
const SHELLS: [&str; 11] = [
    "sh", "bash", "dash", "zsh", "ksh", "eval", "ssh", "su", "sudo", "xargs", "env",
];

/// Why a placeholder cannot be rewritten: where it stands, and which one it is.
#[derive(Debug, PartialEq, Eq)]
pub struct Unsafe {
    pub placeholder: &'static str,
    pub variable: &'static str,
    pub place: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// Shell code: the top level, or inside `$(…)` (counting parentheses).
    Code {
        parens: usize,
    },
    Double,
    Single,
    Backquote,
    /// `${…}`: its quoting rules differ between shells.
    Param,
    /// `$((…))`: bash evaluates a variable's value there as an expression, subscripts and all.
    Arith {
        parens: usize,
    },
    Comment,
}

/// Rewrites each `{name}` and `{sha}` in `command` to a quoted reference to its variable:
/// `"${VAR}"` where the shell reads code, `${VAR}` inside double quotes. Anywhere else the
/// value would have to be spliced into the text, and that is refused: inside single quotes
/// the text is literal to this shell and is often code for another (`sh -c '…'`).
pub fn script(command: &str) -> Result<String, Unsafe> {
    // A program that runs its arguments as shell code would run the value as code, however
    // this shell quotes it: no placeholder in such a command.
    if let Some(&(placeholder, variable)) = PLACEHOLDERS.iter().find(|(p, _)| command.contains(p))
        && command
            .split(|c: char| c.is_whitespace() || ";&|()`'\"$".contains(c))
            .any(|word| SHELLS.contains(&word.rsplit('/').next().unwrap_or(word)))
    {
        return Err(Unsafe {
            placeholder,
            variable,
            place: "in a command that runs its arguments as shell code (sh, bash, eval, ssh …)",
        });
    }
    let mut out = String::with_capacity(command.len());
    let mut stack = vec![Frame::Code { parens: 0 }];
    let mut heredoc = false;
    let mut prev: Option<char> = None;
    let mut rest = command;
    while let Some(c) = rest.chars().next() {
        let frame = *stack.last().expect("the top frame is never popped");
        if let Some(&(placeholder, variable)) =
            PLACEHOLDERS.iter().find(|(p, _)| rest.starts_with(p))
        {
            let unsafe_at = |place| Unsafe {
                placeholder,
                variable,
                place,
            };
            match frame {
                _ if heredoc => return Err(unsafe_at("in a here-document")),
                Frame::Code { .. } => out.push_str(&format!("\"${{{variable}}}\"")),
                Frame::Double => out.push_str(&format!("${{{variable}}}")),
                Frame::Comment => out.push_str(placeholder),
                Frame::Single => return Err(unsafe_at("inside single quotes")),
                Frame::Backquote => return Err(unsafe_at("inside backquotes")),
                Frame::Param => return Err(unsafe_at("inside ${…}")),
                Frame::Arith { .. } => return Err(unsafe_at("inside $((…))")),
            }
            rest = &rest[placeholder.len()..];
            prev = Some('}');
            continue;
        }
        let next = rest[c.len_utf8()..].chars().next();
        let mut take = c.len_utf8();
        match (frame, c) {
            (Frame::Single, '\'') | (Frame::Double, '"') | (Frame::Backquote, '`') => {
                stack.pop();
            }
            (Frame::Param, '}') => {
                stack.pop();
            }
            (Frame::Comment, '\n') => {
                stack.pop();
            }
            (Frame::Single | Frame::Comment, _) => {}
            (_, '\\') => {
                // An escaped `{` would leave the placeholder as text the user meant filled in.
                if let Some(&(placeholder, variable)) =
                    PLACEHOLDERS.iter().find(|(p, _)| rest[1..].starts_with(p))
                {
                    return Err(Unsafe {
                        placeholder,
                        variable,
                        place: "after a backslash",
                    });
                }
                take += next.map_or(0, char::len_utf8);
            }
            (_, '$') if rest.starts_with("$((") => {
                stack.push(Frame::Arith { parens: 2 });
                take = 3;
            }
            (_, '$') if rest.starts_with("$(") => {
                stack.push(Frame::Code { parens: 1 });
                take = 2;
            }
            (_, '$') if rest.starts_with("${") => {
                stack.push(Frame::Param);
                take = 2;
            }
            (Frame::Code { parens } | Frame::Arith { parens }, '(') if parens > 0 => {
                bump(&mut stack, 1);
            }
            (Frame::Code { parens } | Frame::Arith { parens }, ')') if parens > 0 => {
                if parens == 1 {
                    stack.pop();
                } else {
                    bump(&mut stack, -1);
                }
            }
            (_, '`') => stack.push(Frame::Backquote),
            (Frame::Double, _) => {}
            (_, '"') => stack.push(Frame::Double),
            (Frame::Backquote | Frame::Arith { .. }, _) => {}
            (_, '\'') => stack.push(Frame::Single),
            (Frame::Code { .. }, '#')
                if prev.is_none_or(|p| p.is_whitespace() || ";&|()<>".contains(p)) =>
            {
                stack.push(Frame::Comment);
            }
            (Frame::Code { .. }, '<') if rest.starts_with("<<") => {
                heredoc = true;
                take = 2;
            }
            _ => {}
        }
        out.push_str(&rest[..take]);
        prev = rest[..take].chars().last();
        rest = &rest[take..];
    }
    Ok(out)
}

fn bump(stack: &mut [Frame], by: isize) {
    if let Some(Frame::Code { parens } | Frame::Arith { parens }) = stack.last_mut() {
        *parens = parens.saturating_add_signed(by);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(command: &str) -> String {
        script(command).unwrap_or_else(|e| panic!("{command}: {e:?}"))
    }

    fn refused(command: &str) -> &'static str {
        script(command).expect_err(command).place
    }

    #[test]
    fn placeholders_become_quoted_variables() {
        assert_eq!(
            ok("python manage.py makemigrations shop --name undo_{name}"),
            "python manage.py makemigrations shop --name undo_\"${GIT_RELEASE_MIGRATION_NAME}\""
        );
        assert_eq!(
            ok("alembic revision -m \"undo {name} of {sha}\""),
            "alembic revision -m \"undo ${GIT_RELEASE_MIGRATION_NAME} of ${GIT_RELEASE_MIGRATION_COMMIT}\""
        );
        assert_eq!(
            ok("echo '# undo' > \"m/{name}_x.py\"; echo 'it''s' {sha}"),
            "echo '# undo' > \"m/${GIT_RELEASE_MIGRATION_NAME}_x.py\"; echo 'it''s' \"${GIT_RELEASE_MIGRATION_COMMIT}\""
        );
        // Inside $(…) is code again, quotes and all.
        assert_eq!(
            ok("x \"$(echo \"{name}\" | tr a-z A-Z)\" $(f {sha}) {name}"),
            "x \"$(echo \"${GIT_RELEASE_MIGRATION_NAME}\" | tr a-z A-Z)\" $(f \"${GIT_RELEASE_MIGRATION_COMMIT}\") \"${GIT_RELEASE_MIGRATION_NAME}\""
        );
        assert_eq!(
            ok("x $( (a) ) '(' \")\" {name}"),
            "x $( (a) ) '(' \")\" \"${GIT_RELEASE_MIGRATION_NAME}\""
        );
        // Escaped quotes do not open or close anything; a comment expands nothing.
        assert_eq!(
            ok("echo \\' \"a\\\"b\" {name} # it's {name}\necho {sha}"),
            "echo \\' \"a\\\"b\" \"${GIT_RELEASE_MIGRATION_NAME}\" # it's {name}\necho \"${GIT_RELEASE_MIGRATION_COMMIT}\""
        );
        assert_eq!(ok("a#{name}"), "a#\"${GIT_RELEASE_MIGRATION_NAME}\"");
        assert_eq!(
            ok("no placeholders, 'ünïcode'"),
            "no placeholders, 'ünïcode'"
        );
    }

    #[test]
    fn places_where_the_value_would_be_spliced_are_refused() {
        assert_eq!(
            script("echo '# undo {name}' > x"),
            Err(Unsafe {
                placeholder: "{name}",
                variable: NAME,
                place: "inside single quotes",
            })
        );
        let shell = "in a command that runs its arguments as shell code (sh, bash, eval, ssh …)";
        assert_eq!(refused("sh -c 'touch {sha}'"), shell);
        // Double quotes or none: the inner shell would read the value as code all the same.
        assert_eq!(refused("sh -c \"touch {name}\""), shell);
        assert_eq!(refused("bash -c undo_{name}"), shell);
        assert_eq!(refused("eval \"x={name}\""), shell);
        assert_eq!(refused("ssh db '/usr/bin/undo {name}'"), shell);
        assert_eq!(refused("cd app && /bin/sh -c \"m {name}\""), shell);
        assert_eq!(refused("\"$(echo '{name}')\""), "inside single quotes");
        assert_eq!(refused("echo `echo {name}`"), "inside backquotes");
        assert_eq!(refused("echo \"`echo {name}`\""), "inside backquotes");
        assert_eq!(refused("echo ${X:-{name}}"), "inside ${…}");
        assert_eq!(refused("echo $(( {sha} + 1 ))"), "inside $((…))");
        assert_eq!(refused("cat <<EOF > x\n{name}\nEOF"), "in a here-document");
        assert_eq!(refused("echo \\{name}"), "after a backslash");
        // After a $(…) with parentheses, the single quotes are still seen.
        assert_eq!(refused("$(f (a)) '{name}'"), "inside single quotes");
    }

    /// Runs the rewritten `command` with `sh -c`, the name in its variable.
    fn run(command: &str, name: &str) -> String {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(ok(command))
            .env(NAME, name)
            .env(COMMIT, "abc1234")
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    proptest::proptest! {
        #[test]
        fn the_shell_sees_the_name_as_data(name in "[^\\x00\\n]{0,24}") {
            let printed = format!("<{name}|{name}|{name}|abc1234>");
            proptest::prop_assert_eq!(
                run("printf '<%s|%s|%s|%s>' {name} \"{name}\" \"$(printf %s \"{name}\")\" {sha}", &name),
                printed
            );
        }
    }

    #[test]
    fn names_that_are_shell_code_stay_names() {
        for name in [
            "0002_$(echo PWNED >&2)",
            "0002_`echo PWNED >&2`",
            "0002;echo PWNED >&2",
            "a'b\"c",
            "*",
            "$HOME",
        ] {
            let printed = run("printf '%s|' undo_{name} \"undo {name}\"", name);
            assert_eq!(printed, format!("undo_{name}|undo {name}|"));
        }
    }
}
