//! Mail out: delivers a rendered RFC 5322 message over SMTP (lettre, STARTTLS or TLS with
//! rustls) or through the local `sendmail -t`. The envelope is read from the message's own
//! address headers; `Bcc` reaches the envelope and never the text that is sent.

use std::io::Write as _;
use std::time::{Duration, Instant};

use anyhow::Result;
use lettre::Transport as _;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};

use crate::config::{MailConfig, MailTls};
use crate::error::Failure;
use crate::hooks::{Secrets, env_value, excerpt, parse_duration, shown_duration};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// How a message leaves: what `--dry-run` shows and what errors name.
pub enum Route {
    Smtp {
        /// `smtp://host:587`, without user information.
        url: String,
        host: String,
        port: u16,
        tls: MailTls,
        credentials: Option<(String, String)>,
    },
    Sendmail {
        program: String,
    },
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Route::Smtp { url, tls, .. } => {
                let how = match tls {
                    MailTls::Starttls => "STARTTLS",
                    MailTls::Tls => "TLS",
                    MailTls::None => "no encryption",
                };
                write!(f, "SMTP {url} ({how})")
            }
            Route::Sendmail { program } => write!(f, "{program} -t -i"),
        }
    }
}

/// A message ready to go: who it is from and to, and the text without `Bcc`.
pub struct Outgoing {
    pub from: String,
    pub to: Vec<String>,
    text: String,
}

/// The route `[mail]` configures, with credentials from the environment.
pub fn route(config: &MailConfig) -> Result<Route> {
    let Some(smtp) = &config.smtp else {
        if config.smtp_user.is_some() || config.smtp_password.is_some() {
            return Err(Failure::new("mail.smtp_user and mail.smtp_password need mail.smtp")
                .hint("set mail.smtp = \"smtp://host:587\", or remove the credentials to use sendmail")
                .into());
        }
        return Ok(Route::Sendmail {
            program: config
                .sendmail
                .clone()
                .unwrap_or_else(|| "sendmail".to_owned()),
        });
    };
    let url = reqwest::Url::parse(smtp).map_err(|e| {
        Failure::new(format!("mail.smtp `{smtp}` is not a URL ({e})"))
            .hint("write smtp://host:587 (STARTTLS) or smtps://host:465 (TLS)")
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Failure::new(
            "mail.smtp has a user or password in it; it is in the repository",
        )
        .hint("set mail.smtp_user and mail.smtp_password = \"${SMTP_PASSWORD}\" instead")
        .into());
    }
    let (default_tls, default_port) = match url.scheme() {
        "smtp" => (MailTls::Starttls, 587),
        "smtps" => (MailTls::Tls, 465),
        other => {
            return Err(Failure::new(format!("mail.smtp has the scheme `{other}`"))
                .hint("write smtp://host:587 (STARTTLS) or smtps://host:465 (TLS)")
                .into());
        }
    };
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or_else(|| Failure::new(format!("mail.smtp `{smtp}` has no host")))?
        .trim_matches(['[', ']'])
        .to_owned();
    let port = url.port().unwrap_or(default_port);
    let tls = config.tls.unwrap_or(default_tls);
    let credentials = match (&config.smtp_user, &config.smtp_password) {
        (Some(user), Some(password)) => Some((
            env_value("mail.smtp_user", user, false)?,
            env_value("mail.smtp_password", password, true)?,
        )),
        (None, None) => None,
        _ => {
            return Err(
                Failure::new("mail.smtp_user and mail.smtp_password go together")
                    .hint("set both, or neither for a relay that needs no login")
                    .into(),
            );
        }
    };
    if credentials.is_some() && tls == MailTls::None && !is_loopback(&host) {
        return Err(Failure::new(format!(
            "mail.tls = \"none\" would send the SMTP password to {host} unencrypted"
        ))
        .hint("use STARTTLS (smtp://…, the default) or TLS (smtps://…)")
        .into());
    }
    Ok(Route::Smtp {
        url: format!(
            "{}://{}:{port}",
            url.scheme(),
            url.host_str().unwrap_or(&host)
        ),
        host,
        port,
        tls,
        credentials,
    })
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The secrets a route holds, to mask in anything printed.
pub fn secrets(config: &MailConfig) -> Secrets {
    let templates: Vec<&str> = [&config.smtp_user, &config.smtp_password]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    Secrets::from_env(&templates)
}

/// Reads the envelope from `message` (a message `render::to_mail` made): the sender from
/// `From`, the recipients from `To`, `Cc` and `Bcc`; the text sent drops `Bcc`.
pub fn outgoing(message: &str) -> Result<Outgoing> {
    let (head, _) = message
        .split_once("\r\n\r\n")
        .or_else(|| message.split_once("\n\n"))
        .unwrap_or((message, ""));
    let mut fields: Vec<(String, String)> = Vec::new();
    for line in head.lines() {
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let addresses_of = |name: &str| -> Result<Vec<String>> {
        let mut all = Vec::new();
        for (_, value) in fields.iter().filter(|(n, _)| n == name) {
            for address in crate::render::addresses(name, value)? {
                all.push(address.unwrap_address().email.to_string());
            }
        }
        Ok(all)
    };
    let from = addresses_of("from")?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::new("the mail has no From: address"))?;
    let mut to = Vec::new();
    for header in ["to", "cc", "bcc"] {
        for address in addresses_of(header)? {
            if !to.contains(&address) {
                to.push(address);
            }
        }
    }
    if to.is_empty() {
        return Err(Failure::new("the mail has no recipient (To:, Cc: or Bcc:)")
            .hint("set mail.to in .release/config.toml, or add a To: line to the template")
            .into());
    }
    // Drop the Bcc field with its folded lines.
    let mut text = String::with_capacity(message.len());
    let mut in_head = true;
    let mut skipping = false;
    for line in message.split_inclusive('\n') {
        if in_head {
            if line.trim_end().is_empty() {
                in_head = false;
            } else if line.starts_with([' ', '\t']) {
                if skipping {
                    continue;
                }
            } else {
                skipping = line
                    .split_once(':')
                    .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case("bcc"));
                if skipping {
                    continue;
                }
            }
        }
        text.push_str(line);
    }
    Ok(Outgoing { from, to, text })
}

/// Delivers `mail` by `route` within `timeout` (from `[mail] timeout`); errors name the
/// route and what the server or program said, with secrets masked.
pub fn deliver(config: &MailConfig, route: &Route, mail: &Outgoing) -> Result<()> {
    let timeout = match &config.timeout {
        Some(text) => {
            parse_duration(text).map_err(|e| Failure::new(format!("mail.timeout: {e}")))?
        }
        None => DEFAULT_TIMEOUT,
    };
    let secrets = secrets(config);
    let failed = |what: String| -> anyhow::Error {
        Failure::new(secrets.redact(&format!("mail via {route}: {what}")))
            .hint("the mail was not sent; fix the cause and run the command again with --send")
            .into()
    };
    match route {
        Route::Smtp {
            host,
            port,
            tls,
            credentials,
            ..
        } => {
            let parameters =
                || TlsParameters::new(host.clone()).map_err(|e| failed(format!("TLS setup: {e}")));
            let tls = match tls {
                MailTls::Starttls => Tls::Required(parameters()?),
                MailTls::Tls => Tls::Wrapper(parameters()?),
                MailTls::None => Tls::None,
            };
            let mut builder = lettre::SmtpTransport::builder_dangerous(host.as_str())
                .port(*port)
                .tls(tls)
                .timeout(Some(timeout));
            if let Some((user, password)) = credentials {
                builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
            }
            let envelope = envelope(mail).map_err(|e| failed(e.to_string()))?;
            // lettre ends the data with CRLF . CRLF itself.
            let data = mail.text.strip_suffix("\r\n").unwrap_or(&mail.text);
            builder
                .build()
                .send_raw(&envelope, data.as_bytes())
                .map_err(|e| failed(smtp_error(&e, timeout)))?;
            Ok(())
        }
        Route::Sendmail { program } => sendmail(program, mail, timeout).map_err(failed),
    }
}

fn envelope(mail: &Outgoing) -> Result<lettre::address::Envelope, String> {
    let parse = |a: &str| {
        a.parse::<lettre::Address>()
            .map_err(|e| format!("`{a}` is not an address ({e})"))
    };
    lettre::address::Envelope::new(
        Some(parse(&mail.from)?),
        mail.to.iter().map(|a| parse(a)).collect::<Result<_, _>>()?,
    )
    .map_err(|e| e.to_string())
}

/// What went wrong with an SMTP delivery, in words, with the server's reply.
fn smtp_error(e: &lettre::transport::smtp::Error, timeout: Duration) -> String {
    use std::error::Error as _;
    // A read that times out surfaces as `WouldBlock` on Linux.
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
            )
        {
            return format!("no answer within {}", shown_duration(timeout));
        }
        source = s.source();
    }
    if e.is_timeout() {
        return format!("no answer within {}", shown_duration(timeout));
    }
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = s.source();
    }
    excerpt(&text, 300)
}

/// `PROGRAM -t -i` with the message on stdin, LF line endings as local mail programs expect;
/// the recipients are the message's own. No shell is involved.
fn sendmail(program: &str, mail: &Outgoing, timeout: Duration) -> Result<(), String> {
    let mut child = std::process::Command::new(program)
        .args(["-t", "-i"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run it ({e})"))?;
    let text = mail.text.replace("\r\n", "\n");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let reader = std::thread::spawn(move || {
        use std::io::Read as _;
        let mut said = Vec::new();
        let _ = (&mut stderr).take(64 * 1024).read_to_end(&mut said);
        String::from_utf8_lossy(&said).into_owned()
    });
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() >= timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "it did not finish within {}",
                    shown_duration(timeout)
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for it failed ({e})")),
        }
    };
    let written = writer.join().unwrap_or(Ok(()));
    let said = reader.join().unwrap_or_default();
    if !status.success() {
        return Err(format!("it exited with {status}: {}", excerpt(&said, 300)));
    }
    written.map_err(|e| format!("writing the message to it failed ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_comes_from_the_headers_and_bcc_is_dropped() {
        let message = "From: \"Ada\" <ada@example.com>\r\nTo: <dev@example.com>,\r\n \"Doe, Jane\" <jane@example.com>\r\nBcc: <hidden@example.com>,\r\n <also@example.com>\r\nSubject: Hi\r\n\r\nBcc: in the body stays\r\n";
        let mail = outgoing(message).unwrap();
        assert_eq!(mail.from, "ada@example.com");
        assert_eq!(
            mail.to,
            [
                "dev@example.com",
                "jane@example.com",
                "hidden@example.com",
                "also@example.com"
            ]
        );
        assert!(!mail.text.contains("hidden"), "{}", mail.text);
        assert!(!mail.text.contains("also@"), "{}", mail.text);
        assert!(
            mail.text
                .contains("Subject: Hi\r\n\r\nBcc: in the body stays\r\n")
        );
    }

    #[test]
    fn routes_follow_the_scheme() {
        let config = |smtp: &str| MailConfig {
            smtp: Some(smtp.to_owned()),
            ..MailConfig::default()
        };
        let shown = |smtp: &str| route(&config(smtp)).map(|r| r.to_string());
        assert_eq!(
            shown("smtp://mail.example.com").unwrap(),
            "SMTP smtp://mail.example.com:587 (STARTTLS)"
        );
        assert_eq!(
            shown("smtps://mail.example.com").unwrap(),
            "SMTP smtps://mail.example.com:465 (TLS)"
        );
        assert!(shown("smtp://u:p@mail.example.com").is_err());
        assert!(shown("http://mail.example.com").is_err());
        assert_eq!(
            route(&MailConfig::default()).unwrap().to_string(),
            "sendmail -t -i"
        );
    }
}
