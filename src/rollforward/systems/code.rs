//! What the systems whose migrations are code share: TODO undos in each language, and
//! reading just enough of a source file.

use crate::rollforward::MANUAL_UNDO_MARKER;

/// A language an undo file is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lang {
    Sql,
    Python,
    Ruby,
    Php,
    JavaScript,
    Elixir,
    CSharp,
    Xml,
    /// Anything else: `#` comments and a last line no language or data format reads.
    Other,
}

impl Lang {
    pub(crate) fn of_extension(ext: &str) -> Lang {
        match ext.to_ascii_lowercase().as_str() {
            "sql" => Lang::Sql,
            "py" => Lang::Python,
            "rb" => Lang::Ruby,
            "php" => Lang::Php,
            "js" | "mjs" | "cjs" | "ts" | "mts" | "cts" => Lang::JavaScript,
            "ex" | "exs" => Lang::Elixir,
            "cs" => Lang::CSharp,
            "xml" => Lang::Xml,
            _ => Lang::Other,
        }
    }

    fn comment(self, line: &str) -> String {
        let line = line.trim_end();
        match self {
            Lang::Sql => format!("-- {line}").trim_end().to_owned(),
            Lang::Php | Lang::JavaScript | Lang::CSharp => {
                format!("// {line}").trim_end().to_owned()
            }
            Lang::Xml => format!("<!-- {} -->", line.replace("--", "- -")),
            Lang::Python | Lang::Ruby | Lang::Elixir | Lang::Other => {
                format!("# {line}").trim_end().to_owned()
            }
        }
    }

    /// A statement that fails when the file runs (or, for C#, when it compiles).
    fn failure(self, message: &str) -> String {
        match self {
            Lang::Sql => format!("SELECT * FROM \"{}\";", message.replace('"', "\"\"")),
            Lang::Python => format!("raise RuntimeError({message:?})"),
            Lang::Ruby | Lang::Elixir => format!("raise {message:?}"),
            Lang::Php => format!("throw new \\RuntimeException({message:?});"),
            Lang::JavaScript => format!("throw new Error({message:?});"),
            Lang::CSharp => format!("#error {message}"),
            Lang::Xml => format!("<{}/>", "TODO-manual-undo-required"),
            // Unbalanced: no YAML, JSON, TOML or programming language reads it.
            Lang::Other => format!("{{{{ {message}"),
        }
    }

    /// A whole TODO undo file: the marker on a comment line, `what` explained in comments,
    /// and a statement that fails until a person replaces it. `file` and `sha` are made safe
    /// for the source text first.
    pub(crate) fn manual(self, file: &str, sha: &str, what: &str) -> String {
        let file = safe(file);
        let sha = safe(sha);
        let mut text = String::new();
        if self == Lang::Php {
            text.push_str("<?php\n\n");
        }
        if self == Lang::Xml {
            text.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        }
        text.push_str(&self.comment(&format!(
            "{MANUAL_UNDO_MARKER} for {file} (roll-forward of {sha})"
        )));
        text.push('\n');
        for line in wrap(&safe_text(what), 90) {
            text.push_str(&self.comment(&line));
            text.push('\n');
        }
        text.push_str(&self.failure(&format!("TODO: write the undo of {file}")));
        text.push('\n');
        text
    }
}

/// `s` with every character but letters, digits, `_`, `-` and `.` replaced by `_`: names from
/// the repository go into generated source only in this form.
pub(crate) fn safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Whether `s` is a name that goes into generated source as it is.
pub(crate) fn is_safe(s: &str) -> bool {
    !s.is_empty() && safe(s) == s
}

/// Whether `s` is a plain identifier (`AddEmail`, `_x1`): letters, digits and `_`, not
/// starting with a digit. A class name goes into generated code only in this form, so that it
/// names a class and never becomes an expression (`Foo.phpinfo`, `Kernel.exit`).
pub(crate) fn is_identifier(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Text for comments: no control characters (a newline would end the comment).
pub(crate) fn safe_text(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + word.len() + 1 > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines
}

/// The identifier after `keyword` on a line that starts with it (`class AddEmail < …` →
/// `AddEmail`), made of letters, digits, `_`, `.` and `:`.
pub(crate) fn name_after<'t>(text: &'t str, keyword: &str) -> Option<&'t str> {
    text.lines().find_map(|line| {
        let rest = line.trim_start().strip_prefix(keyword)?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let rest = rest.trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "_.:".contains(c)))
            .unwrap_or(rest.len());
        (end > 0).then(|| &rest[..end])
    })
}

/// Rails' `camelize` (and Laravel's `Str::studly`) of a file name: `undo_add_email` → `UndoAddEmail`.
pub(crate) fn camel(name: &str) -> String {
    name.split(['_', '-'])
        .map(|word| {
            let mut chars = word.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_ascii_uppercase().to_string() + chars.as_str()
            })
        })
        .collect()
}

/// Whether a line of `text` starts (after indentation) with `prefix`.
pub(crate) fn has_line(text: &str, prefix: &str) -> bool {
    text.lines()
        .any(|line| line.trim_start().starts_with(prefix))
}

/// The body of the block that follows the first line starting with `head` (after
/// indentation), up to the line indented no deeper than that line: the body of a Python `def`
/// or a Ruby/Elixir `def … end`. `None` when there is no such line.
pub(crate) fn indented_body<'t>(text: &'t str, head: &str) -> Option<Vec<&'t str>> {
    let mut lines = text.lines();
    let indent = loop {
        let line = lines.next()?;
        if line.trim_start().starts_with(head) {
            break line.len() - line.trim_start().len();
        }
    };
    Some(
        lines
            .take_while(|line| {
                line.trim().is_empty() || line.len() - line.trim_start().len() > indent
            })
            .filter(|line| !line.trim().is_empty())
            .collect(),
    )
}

/// The text between the `{` after the first occurrence of `head` and its matching `}`
/// (braces in strings and comments are counted too: good enough to tell an empty body).
pub(crate) fn braced_body<'t>(text: &'t str, head: &str) -> Option<&'t str> {
    let at = text.find(head)? + head.len();
    let open = at + text[at..].find('{')?;
    let mut depth = 0usize;
    for (i, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&text[open + 1..open + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether code runs nothing: only whitespace, `//`/`#` line comments and `/* */` comments,
/// `pass`, or a bare `return;`.
pub(crate) fn is_blank_code(body: &str) -> bool {
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        if let Some(comment) = rest.strip_prefix("//").or_else(|| rest.strip_prefix('#')) {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else if let Some(after) = ["pass", "return;", "return"]
            .iter()
            .find_map(|word| rest.strip_prefix(word))
            .filter(|after| after.is_empty() || after.starts_with(char::is_whitespace))
        {
            rest = after;
        } else {
            return false;
        }
        rest = rest.trim_start();
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_files_carry_the_marker_and_fail() {
        for (ext, fails) in [
            (
                "py",
                "raise RuntimeError(\"TODO: write the undo of a_b.py\")",
            ),
            ("rb", "raise \"TODO: write the undo of a_b.rb\""),
            (
                "php",
                "throw new \\RuntimeException(\"TODO: write the undo of a_b.php\");",
            ),
            ("ts", "throw new Error(\"TODO: write the undo of a_b.ts\");"),
            ("cs", "#error TODO: write the undo of a_b.cs"),
            ("sql", "SELECT * FROM \"TODO: write the undo of a_b.sql\";"),
            ("yaml", "{{ TODO: write the undo of a_b.yaml"),
        ] {
            let text = Lang::of_extension(ext).manual(&format!("a\"b.{ext}"), "abc1234", "x\ny");
            let marker = text
                .lines()
                .find(|l| l.contains(MANUAL_UNDO_MARKER))
                .unwrap();
            assert!(
                ["#", "//", "--"].iter().any(|c| marker.starts_with(c)),
                "{text}"
            );
            assert!(text.contains(fails), "{text}");
        }
    }

    #[test]
    fn names_from_the_repository_are_made_safe() {
        assert_eq!(safe("0002_x\"); drop\n"), "0002_x____drop_");
        assert!(is_safe("20240101_add-email.v2"));
        assert!(!is_safe("a b"));
    }

    #[test]
    fn bodies_and_blank_code() {
        let py = "def upgrade():\n    op.add_column('t')\n\n\ndef downgrade():\n    pass\n";
        assert_eq!(
            indented_body(py, "def upgrade(").unwrap(),
            ["    op.add_column('t')"]
        );
        let down = indented_body(py, "def downgrade(").unwrap().join("\n");
        assert!(is_blank_code(&down));
        let php = "public function down(): void\n    {\n        // nothing\n    }\n";
        assert!(is_blank_code(braced_body(php, "function down").unwrap()));
        let php = "public function down(): void { Schema::drop('x'); }";
        assert!(!is_blank_code(braced_body(php, "function down").unwrap()));
    }
}
