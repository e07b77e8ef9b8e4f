//! Talking to the team's services over HTTP: the requests hooks send and gates poll. The only
//! module that uses reqwest (blocking, rustls). Secrets come from the environment only and
//! are redacted from everything this module hands back for printing.

use std::time::Duration;

use anyhow::Result;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::error::Failure;

/// A request, rendered and ready to send.
#[derive(Clone, Debug)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub body: String,
}

pub struct Http {
    client: reqwest::blocking::Client,
    timeout: Duration,
}

impl Http {
    /// A client with a timeout per request, at most 5 redirects, and proxies from the standard
    /// environment variables (`HTTPS_PROXY`, `NO_PROXY` …).
    pub fn new(timeout: Duration) -> Result<Http> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::limited(5))
            .user_agent(concat!("git-release/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Failure::new(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Http { client, timeout })
    }

    /// Sends `request`; a transport failure (DNS, connection, TLS, timeout) is an error that
    /// says which, with secrets redacted.
    /// `timeout` shortens this request's time limit (a gate's deadline is near).
    /// `shown_url` is the URL as it may be printed (secrets masked); errors name it, never the
    /// real one.
    pub fn send(
        &self,
        request: &Request,
        shown_url: &str,
        secrets: &Secrets,
        timeout: Option<Duration>,
    ) -> Result<Response, String> {
        let method = reqwest::Method::from_bytes(request.method.to_uppercase().as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", request.method))?;
        let mut builder = self.client.request(method, &request.url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        let limit = timeout.map_or(self.timeout, |t| t.min(self.timeout));
        let response = builder
            .timeout(limit)
            .send()
            .map_err(|e| secrets.redact(&describe(&e, shown_url, limit)))?;
        let status = response.status().as_u16();
        let body = response.text().unwrap_or_default();
        Ok(Response { status, body })
    }
}

/// What went wrong with a request to `url` that had `limit` to complete, in words.
fn describe(e: &reqwest::Error, url: &str, limit: Duration) -> String {
    use std::error::Error as _;
    let mut cause = String::new();
    let mut source = e.source();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    let what = if e.is_timeout() {
        let secs = limit.as_secs_f64();
        if secs < 1.0 {
            format!("timed out after {} ms", limit.as_millis())
        } else if secs.fract() == 0.0 {
            format!("timed out after {secs}s")
        } else {
            format!("timed out after {secs:.1}s")
        }
    } else if e.is_connect() {
        let lower = cause.to_lowercase();
        if lower.contains("dns") || lower.contains("resolve") || lower.contains("lookup") {
            "could not resolve the host".to_owned()
        } else if lower.contains("certificate") || lower.contains("tls") {
            "the TLS handshake failed".to_owned()
        } else {
            "could not connect".to_owned()
        }
    } else if e.is_redirect() {
        "too many redirects".to_owned()
    } else if e.is_builder() {
        "the request is not valid".to_owned()
    } else {
        "the request failed".to_owned()
    };
    if cause.is_empty() {
        format!("{url}: {what}")
    } else {
        format!("{url}: {what} ({cause})")
    }
}

/// Values of environment variables a hook or gate uses; they never reach any output.
#[derive(Clone, Debug, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    /// The values of the variables named in `templates` (`{{ env.NAME }}` or `${NAME}`).
    pub fn from_env(templates: &[&str]) -> Secrets {
        Secrets::of(
            env_names(templates)
                .iter()
                .filter_map(|name| std::env::var(name).ok()),
        )
    }

    fn of(values: impl IntoIterator<Item = String>) -> Secrets {
        let mut values: Vec<String> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            // As written, and as `urlencode` writes it into a URL.
            .flat_map(|v| [percent_encoded(&v), v])
            .collect();
        values.sort();
        values.dedup();
        // Longest first, so a secret that contains another is replaced whole.
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        Secrets { values }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for value in &self.values {
            out = out.replace(value.as_str(), "***");
        }
        out
    }
}

/// The set minijinja's `urlencode` filter escapes (`filters::urlencode` in its source): a
/// secret is masked only if this is byte for byte the form a template makes of it.
const URLENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .add(b' ');

fn percent_encoded(text: &str) -> String {
    utf8_percent_encode(text, URLENCODE_SET).to_string()
}

/// Names of environment variables used in templates, in either syntax.
pub fn env_names(templates: &[&str]) -> Vec<String> {
    let pattern =
        regex::Regex::new(r"\benv\.([A-Za-z_][A-Za-z0-9_]*)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
            .expect("a valid pattern");
    let mut names: Vec<String> = templates
        .iter()
        .flat_map(|t| pattern.captures_iter(t).collect::<Vec<_>>())
        .filter_map(|c| c.get(1).or_else(|| c.get(2)).map(|m| m.as_str().to_owned()))
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `${NAME}` → `{{ env.NAME }}`, so both spellings render the same way.
pub fn expand_env_syntax(template: &str) -> String {
    let pattern = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("a valid pattern");
    pattern.replace_all(template, "{{ env.$1 }}").into_owned()
}

/// The first `limit` characters of a response body, on one line, for error messages.
pub fn excerpt(body: &str, limit: usize) -> String {
    let flat: String = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() > limit {
        format!("{}…", flat.chars().take(limit).collect::<String>())
    } else {
        flat
    }
}

/// `30s`, `5m`, `2h`, `250ms` → a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let bad = || format!("`{text}` is not a duration like 30s, 5m, 2h or 250ms");
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    let n: u64 = number.parse().map_err(|_| bad())?;
    let factor = match unit {
        "ms" => 1,
        "s" => 1000,
        "m" => 60_000,
        "h" => 3_600_000,
        _ => return Err(bad()),
    };
    let millis = n.checked_mul(factor).ok_or_else(bad)?;
    Ok(Duration::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_found_in_both_spellings_and_redacted() {
        let names = env_names(&[
            "Bearer {{ env.JENKINS_TOKEN }}",
            "${API_KEY}/x",
            "{{ release.name }}",
        ]);
        assert_eq!(names, ["API_KEY", "JENKINS_TOKEN"]);
        assert_eq!(expand_env_syntax("a ${API_KEY} b"), "a {{ env.API_KEY }} b");
        let secrets = Secrets {
            values: vec!["s3cr3t-long".into(), "s3cr3t".into()],
        };
        assert_eq!(
            secrets.redact("token=s3cr3t-long&b=s3cr3t"),
            "token=***&b=***"
        );
    }

    /// Whatever `urlencode` makes of a secret is masked: minijinja's filter is the witness.
    #[test]
    fn a_secret_is_masked_as_urlencode_writes_it() {
        let secret = "a/b~c d&e+f=ü";
        let secrets = Secrets::of([secret.to_owned()]);
        let env = minijinja::Environment::new();
        let url = env
            .render_str(
                "https://ci.example.com/job?token={{ secret | urlencode }}&x=1",
                minijinja::context! { secret },
            )
            .unwrap();
        assert_eq!(
            url,
            "https://ci.example.com/job?token=a/b%7Ec%20d%26e%2Bf%3D%C3%BC&x=1"
        );
        assert_eq!(
            secrets.redact(&url),
            "https://ci.example.com/job?token=***&x=1"
        );
        assert_eq!(secrets.redact(&format!("echo: {secret}")), "echo: ***");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5 minutes").is_err());
    }

    #[test]
    fn excerpts_are_short_and_flat() {
        assert_eq!(excerpt("a\n  b", 10), "a b");
        assert_eq!(excerpt("abcdef", 3), "abc…");
    }
}
