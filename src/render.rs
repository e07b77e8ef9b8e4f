//! Templates: built-ins compiled in from `templates/`, overridden (or added to) by
//! `.release/templates/<name>.j2`. Mails render as RFC 5322 messages.

use std::collections::BTreeMap;

use anyhow::Result;
use mail_builder::MessageBuilder;
use mail_builder::headers::{
    address::Address, message_id::generate_message_id_header, raw::Raw, text::Text,
};
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
pub fn environment() -> Environment<'static> {
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

pub fn fix_hint(origin: &Origin) -> String {
    match origin {
        Origin::BuiltIn => "the built-in template failed; please report it".into(),
        Origin::Override(path) | Origin::Custom(path) => {
            format!("fix {path}; `git release templates` lists the templates")
        }
    }
}

/// `template `push-pad` (.release/templates/push-pad.j2), line 3: undefined value `duty.nextt``.
/// `source` is the text of the template the error is in, when known.
pub fn describe(e: &minijinja::Error, origin: &Origin, source: Option<&str>) -> String {
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
    override_files_in(git, OVERRIDE_DIR, &[".j2"])
}

/// The files of a template directory `dir` whose names end in one of `suffixes`, from the
/// working tree (or HEAD in a bare repository): (file name, text).
pub fn override_files_in(
    git: &Repo,
    dir: &str,
    suffixes: &[&str],
) -> Result<Vec<(String, String)>> {
    let wanted = |file: &str| suffixes.iter().any(|s| file.ends_with(s));
    let mut out = Vec::new();
    if let Some(workdir) = git.workdir() {
        let dir_name = dir;
        let dir = workdir.join(dir_name);
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
            if wanted(&file) {
                let path = format!("{dir_name}/{file}");
                if let Some(text) = crate::files::read_in_worktree(workdir, &path)? {
                    out.push((file, text));
                }
            }
        }
        return Ok(out);
    }
    if let Some(head) = git.resolve_commit("HEAD")? {
        for (file, blob) in git.blobs_in(head, dir)? {
            if !wanted(&file) {
                continue;
            }
            let text = git.read_text(blob, crate::files::REPOSITORY_FILE_LIMIT, &file)?;
            out.push((file, text));
        }
    }
    Ok(out)
}

/// Mail templates are the ones named `…-mail`.
pub fn is_mail(name: &str) -> bool {
    name.ends_with("-mail")
}

/// Turns a rendered mail template — header lines, a blank line, the body — into an RFC 5322
/// message with mail-builder: `From`, `Date` and `Message-ID` added when absent, address
/// headers parsed into names and addresses, non-ASCII encoded (RFC 2047), long headers
/// folded, the body in UTF-8 with a transfer encoding that keeps its lines short, empty
/// headers dropped, CRLF line endings. Pipe it to `sendmail -t`.
pub fn to_mail(
    rendered: &str,
    from: &str,
    date: chrono::DateTime<chrono::FixedOffset>,
) -> Result<String> {
    let (head, body) = match rendered.split_once("\n\n") {
        Some((head, body)) => (head, body),
        None => (rendered, ""),
    };
    let mut headers: Vec<(&str, String)> = Vec::new();
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
        headers.push((canonical_name(name), value.trim().to_owned()));
    }
    let has = |headers: &[(&str, String)], name: &str| headers.iter().any(|(n, _)| *n == name);
    if !has(&headers, "Subject") {
        return Err(Failure::new("the mail has no Subject: header")
            .hint("start the mail template with `Subject: …`")
            .into());
    }
    // The sender from the config or git's identity is one mailbox, whatever its name holds
    // (`Lovelace, Ada <ada@example.com>`).
    let default_from = if has(&headers, "From") {
        None
    } else {
        Some(mailbox(from.trim()).ok_or_else(|| {
            Failure::new(format!("the sender `{from}` is not an address"))
                .hint("set it with `git release config set mail.from 'Name <name@example.com>'`")
        })?)
    };
    if !has(&headers, "Date") {
        headers.push(("Date", date.to_rfc2822()));
    }
    let mut sender_domain = None;
    let mut mail = MessageBuilder::new();
    if let Some(sender) = default_from {
        sender_domain = domain(&sender);
        mail = mail.from(sender);
    }
    for (name, value) in &headers {
        if ADDRESS_HEADERS.contains(name) {
            let addresses = addresses(name, value)?;
            if addresses.is_empty() {
                continue;
            }
            if *name == "From" {
                sender_domain = domain(&addresses[0]);
            }
            mail = mail.header(*name, Address::new_list(addresses));
        } else if value.is_empty() {
            continue;
        } else if value.is_ascii() {
            mail = mail.header(*name, Raw::new(value.as_str()));
        } else {
            mail = mail.header(*name, Text::new(value.as_str()));
        }
    }
    if !has(&headers, "Message-ID") {
        // mail-builder would name the host `localhost`; the sender's domain is what a mail
        // client uses, and what spam filters expect.
        let mut id = Vec::new();
        generate_message_id_header(&mut id, sender_domain.as_deref().unwrap_or("localhost"));
        mail = mail.header(
            "Message-ID",
            Raw::new(String::from_utf8_lossy(&id).into_owned()),
        );
    }
    let body: String = body.lines().map(|line| format!("{line}\r\n")).collect();
    Ok(mail.text_body(body).write_to_string()?)
}

/// The domain of an address made by [`mailbox`].
fn domain(address: &Address) -> Option<String> {
    let email = &address.unwrap_address().email;
    email.rsplit_once('@').map(|(_, domain)| domain.to_owned())
}

/// Headers whose value is a list of addresses.
const ADDRESS_HEADERS: &[&str] = &["From", "To", "Cc", "Bcc", "Reply-To", "Sender"];

/// The usual spelling of the headers mail-builder or `sendmail -t` look for: mail-builder
/// compares names as written, so `date:` would get a second `Date`.
fn canonical_name(name: &str) -> &str {
    ADDRESS_HEADERS
        .iter()
        .chain(&["Subject", "Date", "Message-ID", "MIME-Version"])
        .find(|known| known.eq_ignore_ascii_case(name))
        .copied()
        .unwrap_or(name)
}

fn is_header_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_graphic() && b != b':')
}

/// `a@x, "Doe, Jane" <jane@x>, Zoë Müller <zoe@x>` → its addresses (each an
/// `Address::Address`). Commas inside quotes or angle brackets do not separate; empty entries
/// (`a@x, `) are skipped.
pub(crate) fn addresses(header: &str, value: &str) -> Result<Vec<Address<'static>>> {
    let mut entries = Vec::new();
    let (mut start, mut quoted, mut escaped, mut angle) = (0, false, false, false);
    for (i, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                entries.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    entries.push(&value[start..]);
    entries
        .into_iter()
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            mailbox(entry).ok_or_else(|| {
                Failure::new(format!("the mail's {header}: header has `{entry}`, which is not an address"))
                    .hint("write `name@example.com` or `Name <name@example.com>`, separated by commas; put a name with a comma in quotes")
                    .into()
            })
        })
        .collect()
}

/// `Name <address>`, `"Name" <address>`, `<address>` or a bare `address`.
fn mailbox(entry: &str) -> Option<Address<'static>> {
    let Some((name, rest)) = entry.rsplit_once('<') else {
        return (!entry.contains(char::is_whitespace))
            .then(|| Address::new_address(None::<String>, entry.to_owned()));
    };
    let email = rest.strip_suffix('>')?.trim();
    if email.is_empty() || email.contains(char::is_whitespace) {
        return None;
    }
    let name = name.trim();
    let name = match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => {
            let mut unescaped = String::new();
            let mut chars = quoted.chars();
            while let Some(c) = chars.next() {
                unescaped.extend(if c == '\\' { chars.next() } else { Some(c) });
            }
            unescaped
        }
        None => name.to_owned(),
    };
    Some(Address::new_address(
        (!name.is_empty()).then_some(name),
        email.to_owned(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> chrono::DateTime<chrono::FixedOffset> {
        chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap()
    }

    /// The deployment bug's URL, once the release knows it as a fact (`release.facts`, which
    /// a tracker's answer fills in), and a clean sentence while it does not.
    #[test]
    fn the_stage_mail_links_the_deployment_bug_when_the_release_knows_it() {
        let mut templates = Templates {
            env: environment(),
            origins: BTreeMap::new(),
            broken: BTreeMap::new(),
        };
        for (name, source) in BUILTIN {
            templates.add(name, source.to_string(), Origin::BuiltIn);
        }
        let mut context = serde_json::json!({
            "release": { "name": "2026-11-20" },
            "mail": { "to": ["dev@example.com"], "cc": [] },
            "stage": { "name": "stage", "url": null },
            "plan": { "url": null, "file": null, "done": 0, "total": 3 },
            "vars": {},
            "user": { "name": "Ada", "email": "ada@example.com" },
            "notes": {
                "previous": "2026-11-13", "compare_url": null, "count_label": "0 commits",
                "authors": [], "entries": [], "groups": [], "repicked": [], "dropped": [],
                "truncated": false
            }
        });
        let mail = templates.render("stage-test-mail", &context).unwrap();
        assert!(
            mail.contains("report problems on\nthe deployment bug.\n"),
            "{mail}"
        );
        context["release"]["facts"] = serde_json::json!({ "ci_build": "https://ci/1" });
        let mail = templates.render("stage-test-mail", &context).unwrap();
        assert!(
            mail.contains("report problems on\nthe deployment bug.\n"),
            "{mail}"
        );
        context["release"]["facts"] = serde_json::json!({
            "bug": "1987654",
            "bug_url": "https://bugzilla.example.com/show_bug.cgi?id=1987654"
        });
        let mail = templates.render("stage-test-mail", &context).unwrap();
        assert!(
            mail.contains(
                "report problems on\nthe deployment bug 1987654: https://bugzilla.example.com/show_bug.cgi?id=1987654\n"
            ),
            "{mail}"
        );
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

    /// What Python's `email` package, an independent reader, makes of `mail`: each header
    /// decoded, the addresses of From/To/Cc, the body, and every defect it found.
    fn python_reads(mail: &str) -> serde_json::Value {
        use std::io::Write as _;
        let script = include_str!("../tests/fixtures/read_mail.py");
        let mut python = std::process::Command::new("python3")
            .args(["-c", script])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 runs");
        python
            .stdin
            .take()
            .unwrap()
            .write_all(mail.as_bytes())
            .unwrap();
        let out = python.wait_with_output().unwrap();
        assert!(out.status.success(), "python3 could not read:\n{mail}");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    /// What SMTP and `sendmail -t` require of the raw text.
    fn assert_wire_format(mail: &str) {
        assert!(!mail.replace("\r\n", "").contains(['\r', '\n']), "{mail}");
        let (head, _) = mail
            .split_once("\r\n\r\n")
            .expect("a blank line after the headers");
        assert!(head.is_ascii(), "raw non-ASCII in the headers:\n{head}");
        for line in mail.split("\r\n") {
            assert!(line.len() <= 998, "a line of {} bytes", line.len());
        }
    }

    #[test]
    fn mails_are_rfc_5322() {
        let mail = to_mail(
            "To: dev@example.com,\nCc: \nBcc: , \nSubject: Please test 2026-11-20\n\nHi,\nplease test.\n",
            "Ada <ada@example.com>",
            date(),
        )
        .unwrap();
        assert!(mail.starts_with("From: \"Ada\" <ada@example.com>\r\nTo: <dev@example.com>\r\nSubject: Please test 2026-11-20\r\n"), "{mail}");
        assert!(
            mail.contains("Date: Fri, 20 Nov 2026 10:00:00 +0100\r\n"),
            "{mail}"
        );
        assert!(mail.contains("Message-ID: <"), "{mail}");
        assert!(mail.contains("@example.com>\r\n"), "{mail}");
        assert!(!mail.contains("Cc:"), "{mail}");
        assert!(!mail.contains("Bcc:"), "{mail}");
        assert!(
            mail.contains("Content-Type: text/plain; charset=\"utf-8\"\r\n"),
            "{mail}"
        );
        assert!(mail.ends_with("\r\n\r\nHi,\r\nplease test.\r\n"), "{mail}");
        assert_wire_format(&mail);
        let read = python_reads(&mail);
        assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
        assert_eq!(read["body"], "Hi,\nplease test.\n");
    }

    #[test]
    fn every_header_with_non_ascii_is_encoded_and_reads_back() {
        let subject = format!(
            "Déploiement réussi de la version 2026-11-20 {}",
            "très ".repeat(30)
        );
        let subject = subject.trim_end();
        let long_line = format!("Journal : {}", "étape terminée, ".repeat(120));
        let body = format!("Bonjour à tous,\n\n{long_line}\n-- \nZoë\n");
        let template = format!(
            "To: Jürgen Groß <jurgen@example.com>, \"Doe, Jane\" <jane@example.com>, ops@example.com,\n\
             Cc: \nSubject: {subject}\nX-Team: Équipe de production\n\n{body}"
        );
        let mail = to_mail(&template, "Zoë Müller <zoe@example.com>", date()).unwrap();
        assert_wire_format(&mail);
        assert!(
            mail.split("\r\n").all(|line| line.len() <= 78),
            "a line over 78 characters:\n{mail}"
        );
        let read = python_reads(&mail);
        assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
        assert_eq!(
            read["headers"]["From"], "Zoë Müller <zoe@example.com>",
            "{mail}"
        );
        assert_eq!(
            read["addresses"]["To"],
            serde_json::json!([
                ["Jürgen Groß", "jurgen@example.com"],
                ["Doe, Jane", "jane@example.com"],
                ["", "ops@example.com"]
            ]),
            "{mail}"
        );
        assert_eq!(read["headers"]["Subject"], subject, "{mail}");
        assert_eq!(read["headers"]["X-Team"], "Équipe de production");
        assert_eq!(read["body"], body.as_str(), "{mail}");
        assert_eq!(
            read["names"],
            serde_json::json!([
                "From",
                "To",
                "Subject",
                "X-Team",
                "Date",
                "Message-ID",
                "MIME-Version",
                "Content-Type",
                "Content-Transfer-Encoding"
            ]),
            "{mail}"
        );
    }

    #[test]
    fn long_address_lists_fold_and_headers_keep_one_spelling() {
        let to: Vec<String> = (0..12)
            .map(|i| format!("Person {i} <person{i}@lists.example.com>"))
            .collect();
        let template = format!(
            "to: {}\ndate: Thu, 19 Nov 2026 09:00:00 +0000\nsubject: {}\n\nbody\n",
            to.join(", "),
            "word ".repeat(40).trim_end()
        );
        let mail = to_mail(&template, "a@example.com", date()).unwrap();
        assert_wire_format(&mail);
        assert!(
            mail.split("\r\n").all(|line| line.len() <= 78),
            "a line over 78 characters:\n{mail}"
        );
        assert_eq!(mail.matches("Date: ").count(), 1, "{mail}");
        assert!(
            mail.contains("Date: Thu, 19 Nov 2026 09:00:00 +0000\r\n"),
            "{mail}"
        );
        let read = python_reads(&mail);
        assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
        assert_eq!(read["addresses"]["To"].as_array().unwrap().len(), 12);
        assert_eq!(read["addresses"]["To"][11][1], "person11@lists.example.com");
        assert_eq!(
            read["headers"]["Subject"],
            "word ".repeat(40).trim_end(),
            "{mail}"
        );
    }

    #[test]
    fn the_sender_is_one_mailbox_whatever_its_name_holds() {
        let mail = to_mail(
            "Subject: s\n\nbody\n",
            "Lovelace, Ada <ada@example.com>",
            date(),
        )
        .unwrap();
        let read = python_reads(&mail);
        assert_eq!(read["defects"], serde_json::json!([]), "{mail}");
        assert_eq!(
            read["addresses"]["From"],
            serde_json::json!([["Lovelace, Ada", "ada@example.com"]]),
            "{mail}"
        );
        let err = to_mail("Subject: s\n\nbody\n", "Ada Lovelace", date()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the sender `Ada Lovelace` is not an address"
        );
    }

    #[test]
    fn broken_headers_are_refused() {
        let err = |template: &str| to_mail(template, "a@x", date()).unwrap_err().to_string();
        assert_eq!(
            err("Hello there\n\nbody"),
            "the mail template's header line `Hello there` is not `Name: value`"
        );
        assert_eq!(err("To: a@x\n\nbody"), "the mail has no Subject: header");
        assert_eq!(
            err("To: Ada Lovelace\nSubject: s\n\nbody"),
            "the mail's To: header has `Ada Lovelace`, which is not an address"
        );
        assert!(err("To: Ada <ada@x\nSubject: s\n\nbody").contains("`Ada <ada@x`"));
    }
}
