//! The settings `git -c key=value release …` hands down. git passes them to a subcommand in
//! `GIT_CONFIG_PARAMETERS`, single-quoted as its shell quoting does; gix reads
//! `GIT_CONFIG_COUNT` (what `git --config-env` and scripts set) but not this variable, so it
//! is read here, as git's `parse_config_env_list` reads it. Each setting then reaches gix as
//! one `key=value` string, which gix splits at the first `=` and trims: a key that contains
//! `=` (a URL in `url.<base>.insteadOf`), or blanks around a value, do not come through as git
//! reads them.

/// The name of the variable, for messages.
pub const VARIABLE: &str = "GIT_CONFIG_PARAMETERS";

/// The settings in `text`, in order, each as `key=value`, or `key` alone for git's implicit
/// `true` (`git -c key`); `None` when git would call the text bogus.
pub fn parse(text: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut settings = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = sq_word(rest)?;
        rest = match after {
            // Old style, `'key=value'` (git before 2.31, and scripts): the word is the setting.
            None => {
                settings.push(old_style(key)?);
                &[]
            }
            Some(after) if blank(after[0]) => {
                settings.push(old_style(key)?);
                after
            }
            // New style: `'key'='value'`, or `'key'=` for the implicit `true`.
            Some([b'=', after @ ..]) => {
                let mut setting = key;
                match after.first() {
                    Some(b'\'') => {
                        let (value, after) = sq_word(after)?;
                        if after.is_some_and(|a| !blank(a[0])) {
                            return None;
                        }
                        setting.push(b'=');
                        setting.extend(value);
                        settings.push(setting);
                        after.unwrap_or_default()
                    }
                    None => {
                        settings.push(setting);
                        after
                    }
                    Some(&c) if blank(c) => {
                        settings.push(setting);
                        after
                    }
                    Some(_) => return None,
                }
            }
            Some(_) => return None,
        };
        let skip = rest.iter().take_while(|&&b| blank(b)).count();
        rest = &rest[skip..];
    }
    Some(settings)
}

/// git's `isspace`: space, tab, newline and carriage return (not C's form feed or vertical tab).
fn blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// An old-style `key=value` word, its key trimmed as git trims it; `None` for an empty key.
fn old_style(word: Vec<u8>) -> Option<Vec<u8>> {
    let (key, value) = match word.iter().position(|&b| b == b'=') {
        Some(at) => (&word[..at], Some(&word[at + 1..])),
        None => (&word[..], None),
    };
    let start = key.iter().take_while(|&&b| blank(b)).count();
    let end = key.len() - key.iter().rev().take_while(|&&b| blank(b)).count();
    let key = &key[start.min(end)..end];
    if key.is_empty() {
        return None;
    }
    let mut setting = key.to_vec();
    if let Some(value) = value {
        setting.push(b'=');
        setting.extend_from_slice(value);
    }
    Some(setting)
}

/// The single-quoted word at the start of `text`, as git's `sq_dequote_step` reads it (`'\''`
/// and `'\!'` stand for a quote and a `!`), and what follows it, if anything does. `None`
/// when `text` does not start with a quote or the quote is not closed.
fn sq_word(text: &[u8]) -> Option<(Vec<u8>, Option<&[u8]>)> {
    let mut rest = text.strip_prefix(b"'")?;
    let mut word = Vec::new();
    loop {
        let (&c, after) = rest.split_first()?;
        rest = after;
        if c != b'\'' {
            word.push(c);
            continue;
        }
        match rest {
            [] => return Some((word, None)),
            [b'\\', quoted @ (b'\'' | b'!'), b'\'', after @ ..] => {
                word.push(*quoted);
                rest = after;
            }
            _ => return Some((word, Some(rest))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(text: &str) -> Option<Vec<String>> {
        parse(text.as_bytes()).map(|all| {
            all.into_iter()
                .map(|s| String::from_utf8(s).unwrap())
                .collect()
        })
    }

    #[test]
    fn new_style_as_git_writes_it() {
        // `git -c user.name='Lee Lead' -c user.email=lee@example.com -c core.quotePath`.
        assert_eq!(
            settings("'user.name'='Lee Lead' 'user.email'='lee@example.com' 'core.quotepath'="),
            Some(vec![
                "user.name=Lee Lead".into(),
                "user.email=lee@example.com".into(),
                "core.quotepath".into(),
            ])
        );
        // `-c key=` is an empty value, not the implicit true.
        assert_eq!(settings("'a.b'=''"), Some(vec!["a.b=".into()]));
        assert_eq!(settings(""), Some(vec![]));
        // git does not skip leading blanks.
        assert_eq!(settings("  "), None);
    }

    #[test]
    fn quotes_inside_values() {
        // git writes a quote as '\'' and a ! as '\!'.
        assert_eq!(
            settings(r"'user.name'='Miles O'\''Brien'\!''"),
            Some(vec!["user.name=Miles O'Brien!".into()])
        );
        // What git 2.47 hands down for `-c 'alias.p=!printf …'`.
        assert_eq!(
            settings(r#"'alias.p'=''\!'printf "%s\n" "$X"'"#),
            Some(vec![r#"alias.p=!printf "%s\n" "$X""#.into()])
        );
        assert_eq!(
            settings("'alias.x'='a = b' 'x.y'='multi\nline'"),
            Some(vec!["alias.x=a = b".into(), "x.y=multi\nline".into()])
        );
    }

    #[test]
    fn old_style_words() {
        assert_eq!(
            settings("'user.name=Old Style' 'core.bare'"),
            Some(vec!["user.name=Old Style".into(), "core.bare".into()])
        );
        assert_eq!(settings("' a.b =c'"), Some(vec!["a.b=c".into()]));
    }

    #[test]
    fn what_git_calls_bogus() {
        for bogus in [
            "user.name=x",
            "'user.name'=x",
            "'unclosed",
            "'a.b'='c'd",
            "'a.b'x",
            "'=value'",
            "'a.b'='unclosed",
            // Form feed is no blank to git.
            "'a.b=c'\x0c'd.e=f'",
        ] {
            assert_eq!(parse(bogus.as_bytes()), None, "{bogus}");
        }
    }
}
