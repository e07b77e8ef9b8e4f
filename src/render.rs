//! Templates: built-ins compiled in from `templates/`, overridden (or added to) by
//! `.release/templates/<name>.j2`. Mails render as RFC 5322 messages.

use std::collections::BTreeMap;

use anyhow::Result;
use minijinja::{Environment, UndefinedBehavior, syntax::SyntaxConfig};
use serde::Serialize;

use crate::error::Failure;
use crate::git::Repo;

pub const OVERRIDE_DIR: &str = ".release/templates";

/// The built-in templates, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "release-notes",
        include_str!("../templates/release-notes.j2"),
    ),
    ("tag-message", include_str!("../templates/tag-message.j2")),
    (
        "deployment-request",
        include_str!("../templates/deployment-request.j2"),
    ),
    (
        "stage-test-mail",
        include_str!("../templates/stage-test-mail.j2"),
    ),
    ("push-pad", include_str!("../templates/push-pad.j2")),
    (
        "push-done-mail",
        include_str!("../templates/push-done-mail.j2"),
    ),
];

/// Where a template comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    BuiltIn,
    /// A file under `.release/templates/` that replaces a built-in one.
    Override(String),
    /// A file under `.release/templates/` with a name of its own.
    Custom(String),
}

pub struct Templates {
    env: Environment<'static>,
    origins: BTreeMap<String, Origin>,
    /// Templates that did not compile, with the reason; reported when they are used.
    broken: BTreeMap<String, String>,
}

impl Templates {
    /// The built-ins plus the repository's own (working tree, or HEAD in a bare repository).
    pub fn load(git: &Repo) -> Result<Templates> {
        let mut templates = Templates {
            env: environment(),
            origins: BTreeMap::new(),
            broken: BTreeMap::new(),
        };
        for (name, source) in BUILTIN {
            templates.add(name, source.to_string(), Origin::BuiltIn);
        }
        for (file, source) in override_files(git)? {
            let Some(name) = file.strip_suffix(".j2") else {
                continue;
            };
            let path = format!("{OVERRIDE_DIR}/{file}");
            let origin = if BUILTIN.iter().any(|(n, _)| *n == name) {
                Origin::Override(path)
            } else {
                Origin::Custom(path)
            };
            templates.add(name, source, origin);
        }
        Ok(templates)
    }

    fn add(&mut self, name: &str, source: String, origin: Origin) {
        self.env.remove_template(name);
        self.broken.remove(name);
        if let Err(e) = self.env.add_template_owned(name.to_owned(), source) {
            self.broken
                .insert(name.to_owned(), describe(&e, &origin, None));
        }
        self.origins.insert(name.to_owned(), origin);
    }

    /// Every template and where it comes from.
    pub fn list(&self) -> impl Iterator<Item = (&str, &Origin, Option<&str>)> {
        self.origins.iter().map(|(name, origin)| {
            (
                name.as_str(),
                origin,
                self.broken.get(name).map(String::as_str),
            )
        })
    }

    /// Renders a template written inline in the config (a hook's URL, a header, a body that
    /// may `{% include "deployment-request" %}`); `label` says where it is in errors.
    pub fn render_inline(
        &self,
        label: &str,
        source: &str,
        context: &impl Serialize,
    ) -> Result<String> {
        let value = minijinja::Value::from(minijinja::value::Serde(context));
        self.env.render_str(source, value).map_err(|e| {
            let origin = Origin::Custom(label.to_owned());
            let text = self.source_of(&e);
            Failure::new(describe(&e, &origin, text.as_deref().or(Some(source))))
                .hint("fix it in .release/config.toml")
                .into()
        })
    }

    /// The text of the named template an error is in (not of an inline one).
    fn source_of(&self, e: &minijinja::Error) -> Option<String> {
        let template = self.env.get_template(e.name()?).ok()?;
        Some(template.source().to_owned())
    }

    pub fn render(&self, name: &str, context: &impl Serialize) -> Result<String> {
        let Some(origin) = self.origins.get(name) else {
            let names: Vec<&str> = self.origins.keys().map(String::as_str).collect();
            return Err(Failure::new(format!("there is no template `{name}`"))
                .hint(format!("templates: {}", names.join(", ")))
                .into());
        };
        if let Some(why) = self.broken.get(name) {
            return Err(Failure::new(why.clone()).hint(fix_hint(origin)).into());
        }
        let template = self
            .env
            .get_template(name)
            .expect("every listed template was added");
        let value = minijinja::Value::from(minijinja::value::Serde(context));
        template.render(value).map_err(|e| {
            // An error inside an included template belongs to that one.
            let origin = e.name().and_then(|n| self.origins.get(n)).unwrap_or(origin);
            Failure::new(describe(&e, origin, self.source_of(&e).as_deref()))
                .hint(fix_hint(origin))
                .into()
        })
    }
}

/// The one way templates are set up: printing an undefined value is an error; block tags
/// do not leave blank lines behind.
fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // minijinja keeps debug information in debug builds only; errors must read the same in
    // the binary people install as in the tests (`describe` has the sources it needs).
    env.set_debug(false);
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_syntax(
        SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters are valid"),
    );
    env
}

fn fix_hint(origin: &Origin) -> String {
    match origin {
        Origin::BuiltIn => "the built-in template failed; please report it".into(),
        Origin::Override(path) | Origin::Custom(path) => {
            format!("fix {path}; `git release templates` lists the templates")
        }
    }
}

/// `template `push-pad` (.release/templates/push-pad.j2), line 3: undefined value `duty.nextt``.
/// `source` is the text of the template the error is in, when known.
fn describe(e: &minijinja::Error, origin: &Origin, source: Option<&str>) -> String {
    let name = e.name().unwrap_or("?");
    let place = match origin {
        Origin::BuiltIn => format!("template `{name}` (built in)"),
        // A template written inline in the config has no name of its own, only its place.
        Origin::Custom(label) if name == "<string>" => label.clone(),
        Origin::Override(path) | Origin::Custom(path) => format!("template `{name}` ({path})"),
    };
    let line = e.line().map(|l| format!(", line {l}")).unwrap_or_default();
    let what = match e.kind() {
        minijinja::ErrorKind::UndefinedError => {
            // minijinja points at the failing lookup (`.heroo.name`); widen it to the whole
            // dotted expression so the message names the variable as written.
            let expr = e
                .range()
                .zip(source)
                .and_then(|(range, source)| {
                    let start = source[..range.start]
                        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                        .map_or(0, |i| i + 1);
                    source.get(start..range.end)
                })
                .map(|s| format!(" `{}`", s.trim()))
                .unwrap_or_default();
            format!("undefined value{expr}; the README lists every variable a template can use")
        }
        _ => e
            .detail()
            .map_or_else(|| e.kind().to_string(), str::to_owned),
    };
    format!("{place}{line}: {what}")
}

/// The `.j2` files of the repository's template directory: (file name, text).
fn override_files(git: &Repo) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    if let Some(workdir) = git.workdir() {
        let dir = workdir.join(OVERRIDE_DIR);
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
            Err(e) => {
                return Err(Failure::new(format!("cannot read {}: {e}", dir.display())).into());
            }
        };
        for entry in entries {
            let entry = entry?;
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.ends_with(".j2") {
                let text = std::fs::read_to_string(entry.path())
                    .map_err(|e| Failure::new(format!("cannot read {OVERRIDE_DIR}/{file}: {e}")))?;
                out.push((file, text));
            }
        }
        return Ok(out);
    }
    if let Some(head) = git.resolve_commit("HEAD")? {
        for (file, blob) in git.blobs_in(head, OVERRIDE_DIR)? {
            out.push((
                file,
                String::from_utf8_lossy(&git.read_blob(blob)?).into_owned(),
            ));
        }
    }
    Ok(out)
}

/// Mail templates are the ones named `…-mail`.
pub fn is_mail(name: &str) -> bool {
    name.ends_with("-mail")
}

/// Turns a rendered mail template — header lines, a blank line, the body — into an RFC 5322
/// message: `From` and `Date` added, MIME headers for UTF-8 text, non-ASCII subjects
/// encoded (RFC 2047), empty headers dropped, CRLF line endings. Pipe it to `sendmail -t`.
pub fn to_mail(
    rendered: &str,
    from: &str,
    date: chrono::DateTime<chrono::FixedOffset>,
) -> Result<String> {
    let (head, body) = match rendered.split_once("\n\n") {
        Some((head, body)) => (head, body),
        None => (rendered, ""),
    };
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t'])
            && let Some((_, value)) = headers.last_mut()
        {
            value.push(' ');
            value.push_str(line.trim());
            continue;
        }
        let (name, value) = line.split_once(':').filter(|(n, _)| is_header_name(n)).ok_or_else(|| {
            Failure::new(format!("the mail template's header line `{line}` is not `Name: value`"))
                .hint("a mail template starts with headers (To:, Cc:, Subject:), then a blank line, then the body")
        })?;
        headers.push((name.to_owned(), value.trim().to_owned()));
    }
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    if !has(&headers, "Subject") {
        return Err(Failure::new("the mail has no Subject: header")
            .hint("start the mail template with `Subject: …`")
            .into());
    }
    if !has(&headers, "From") {
        headers.insert(0, ("From".into(), from.to_owned()));
    }
    if !has(&headers, "Date") {
        headers.push(("Date".into(), date.to_rfc2822()));
    }
    headers.push(("MIME-Version".into(), "1.0".into()));
    headers.push(("Content-Type".into(), "text/plain; charset=utf-8".into()));
    headers.push(("Content-Transfer-Encoding".into(), "8bit".into()));
    let mut out = String::new();
    for (name, value) in headers {
        if value.is_empty() {
            continue;
        }
        let value = if name.eq_ignore_ascii_case("Subject") && !value.is_ascii() {
            encode_word(&value)
        } else {
            value
        };
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    for line in body.lines() {
        out.push_str(line);
        out.push_str("\r\n");
    }
    Ok(out)
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// RFC 2047 Q-encoding, split into encoded-words of at most 75 characters.
fn encode_word(text: &str) -> String {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        let mut piece = String::new();
        if c == ' ' {
            piece.push('_');
        } else if c.is_ascii_alphanumeric() || "!*+-/".contains(c) {
            piece.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                piece.push_str(&format!("={b:02X}"));
            }
        }
        if word.len() + piece.len() > 75 - "=?UTF-8?Q??=".len() {
            words.push(std::mem::take(&mut word));
        }
        word.push_str(&piece);
    }
    words.push(word);
    words
        .iter()
        .map(|w| format!("=?UTF-8?Q?{w}?="))
        .collect::<Vec<_>>()
        .join("\r\n ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap()
    }

    #[test]
    fn an_inline_template_error_names_the_variable() {
        let templates = Templates {
            env: environment(),
            origins: BTreeMap::new(),
            broken: BTreeMap::new(),
        };
        let context = serde_json::json!({ "release": { "name": "2026-11-20" } });
        let err = templates
            .render_inline("hook `ci` url", "https://ci/{{ release.nmae }}", &context)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("hook `ci` url, line 1: undefined value `release.nmae`"),
            "{err}"
        );
    }

    #[test]
    fn mails_are_rfc_5322() {
        let mail = to_mail(
            "To: dev@example.com\nCc: \nSubject: Please test 2026-11-20\n\nHi,\nplease test.\n",
            "Ada <ada@example.com>",
            date(),
        )
        .unwrap();
        assert!(mail.starts_with("From: Ada <ada@example.com>\r\nTo: dev@example.com\r\nSubject: Please test 2026-11-20\r\n"), "{mail}");
        assert!(
            mail.contains("Date: Fri, 20 Nov 2026 10:00:00 +0100\r\n"),
            "{mail}"
        );
        assert!(!mail.contains("Cc:"), "{mail}");
        assert!(mail.ends_with("\r\n\r\nHi,\r\nplease test.\r\n"), "{mail}");
        assert!(!mail.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn non_ascii_subjects_are_encoded() {
        let mail = to_mail("Subject: Déploiement réussi\n\nbody", "a@x", date()).unwrap();
        assert!(
            mail.contains("Subject: =?UTF-8?Q?D=C3=A9ploiement_r=C3=A9ussi?=\r\n"),
            "{mail}"
        );
        let long = encode_word(&"é".repeat(40));
        assert!(long.split("\r\n ").all(|w| w.len() <= 75), "{long}");
    }

    #[test]
    fn broken_headers_are_refused() {
        assert!(to_mail("Hello there\n\nbody", "a@x", date()).is_err());
        assert!(to_mail("To: a@x\n\nbody", "a@x", date()).is_err());
    }
}
