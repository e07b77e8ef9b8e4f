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
    /// Names in lower case, in the order they came.
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    /// The first header called `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub struct Http {
    client: reqwest::blocking::Client,
    timeout: Duration,
}

/// How much of an answer is read: a service that streams without end must not fill memory.
pub const BODY_CAP: u64 = 1 << 20;

/// How many redirects a request follows.
const MAX_REDIRECTS: usize = 5;

impl Http {
    /// A client with a timeout per request and proxies from the standard environment variables
    /// (`HTTPS_PROXY`, `NO_PROXY` …). Redirects are followed by `send`, not by reqwest, so that
    /// every header holding a secret, not only the ones reqwest knows, stays with its host.
    pub fn new(timeout: Duration) -> Result<Http> {
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .redirect(reqwest::redirect::Policy::none())
            // The URL a redirect came from may hold a secret in its query.
            .referer(false)
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
    ///
    /// Up to 5 redirects are followed. One to another scheme, host or port goes without
    /// `Authorization`, cookies and every header that holds a secret; 303 (and 301/302 after
    /// a POST) turn the request into a GET without a body, as browsers do.
    pub fn send(
        &self,
        request: &Request,
        shown_url: &str,
        secrets: &Secrets,
        timeout: Option<Duration>,
    ) -> Result<Response, String> {
        let mut method = reqwest::Method::from_bytes(request.method.to_uppercase().as_bytes())
            .map_err(|_| format!("`{}` is not an HTTP method", request.method))?;
        let limit = timeout.map_or(self.timeout, |t| t.min(self.timeout));
        let started = std::time::Instant::now();
        let mut url = reqwest::Url::parse(&request.url)
            .map_err(|e| secrets.redact(&format!("{shown_url}: not a valid URL ({e})")))?;
        let mut headers = request.headers.clone();
        let mut body = request.body.clone();
        let mut hops = 0;
        loop {
            let mut builder = self.client.request(method.clone(), url.clone());
            for (name, value) in &headers {
                builder = builder.header(name, value);
            }
            if let Some(body) = &body {
                builder = builder.body(body.clone());
            }
            let left = limit.saturating_sub(started.elapsed());
            let response = builder
                .timeout(left.max(Duration::from_millis(1)))
                .send()
                .map_err(|e| secrets.redact(&describe(&e, shown_url, limit)))?;
            let status = response.status();
            let location = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .and_then(|l| url.join(l).ok());
            let Some(next) = location.filter(|_| status.is_redirection()) else {
                let headers = response
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_owned(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = read_capped(response)
                    .map_err(|e| secrets.redact(&format!("{shown_url}: {e}")))?;
                return Ok(Response {
                    status: status.as_u16(),
                    headers,
                    body,
                });
            };
            hops += 1;
            if hops > MAX_REDIRECTS {
                return Err(format!("{shown_url}: too many redirects"));
            }
            if !matches!(next.scheme(), "http" | "https") {
                return Err(format!(
                    "{shown_url}: redirected to a URL that is not http or https"
                ));
            }
            let to_get = status == reqwest::StatusCode::SEE_OTHER
                || (matches!(status.as_u16(), 301 | 302) && method == reqwest::Method::POST);
            if next.origin() != url.origin() {
                // A body is what was rendered for the service asked, secrets and all: it goes
                // to nobody else (307 and 308 would send it on as it is).
                if body.is_some() && !to_get {
                    return Err(secrets.redact(&format!(
                        "{shown_url}: redirected to another host ({}) with the request's body; not followed",
                        next.origin().ascii_serialization()
                    )));
                }
                headers.retain(|(name, value)| !carries_credentials(name, value, secrets));
            }
            if to_get && method != reqwest::Method::HEAD {
                method = reqwest::Method::GET;
                body = None;
                headers.retain(|(name, _)| {
                    !name.eq_ignore_ascii_case("content-type")
                        && !name.eq_ignore_ascii_case("content-length")
                });
            }
            url = next;
        }
    }
}

/// Whether a header must not follow a redirect to another host.
fn carries_credentials(name: &str, value: &str, secrets: &Secrets) -> bool {
    ["authorization", "proxy-authorization", "cookie", "cookie2"]
        .iter()
        .any(|n| name.eq_ignore_ascii_case(n))
        || secrets.holds(value)
}

/// The body of `response`, up to `BODY_CAP`; a longer one is an error.
fn read_capped(response: reqwest::blocking::Response) -> Result<String, String> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    response
        .take(BODY_CAP + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading the answer failed ({e})"))?;
    if bytes.len() as u64 > BODY_CAP {
        return Err(format!(
            "the answer is longer than {} MiB; stopped reading",
            BODY_CAP >> 20
        ));
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
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
        format!("timed out after {}", shown_duration(limit))
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

/// `250 ms`, `30s`, `2.5s`: a time limit as errors say it.
pub fn shown_duration(limit: Duration) -> String {
    let secs = limit.as_secs_f64();
    if secs < 1.0 {
        format!("{} ms", limit.as_millis())
    } else if secs.fract() == 0.0 {
        format!("{secs}s")
    } else {
        format!("{secs:.1}s")
    }
}

/// Where a captured fact is read from in an answer: `capture = { bug = "/id" }` (an RFC 6901
/// pointer into its JSON) or `capture = { queue = "header:Location" }`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CaptureFrom {
    Pointer(String),
    Header(String),
}

impl CaptureFrom {
    /// Reads a `capture` value; the error says what is wrong with it.
    pub fn parse(rule: &str) -> Result<CaptureFrom, String> {
        if let Some(name) = rule.strip_prefix("header:") {
            let name = name.trim();
            let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
            if name.is_empty() || !name.chars().all(token) {
                return Err(format!(
                    "`header:{name}` does not name an HTTP header, as in \"header:Location\""
                ));
            }
            return Ok(CaptureFrom::Header(name.to_owned()));
        }
        check_pointer(rule).map_err(|why| {
            format!("`{rule}` is neither a JSON pointer nor `header:<Name>`: {why}")
        })?;
        Ok(CaptureFrom::Pointer(rule.to_owned()))
    }

    /// The value in `response`, as text: a JSON string as it is, a number or a boolean as
    /// JSON writes it, an object or array as compact JSON.
    pub fn read(&self, response: &Response) -> Result<String, String> {
        match self {
            CaptureFrom::Header(name) => response
                .header(name)
                .map(str::to_owned)
                .ok_or_else(|| format!("the answer has no {name} header")),
            CaptureFrom::Pointer(pointer) => {
                let json: serde_json::Value = serde_json::from_str(&response.body)
                    .map_err(|_| "the answer is not JSON".to_owned())?;
                match json.pointer(pointer) {
                    None | Some(serde_json::Value::Null) => {
                        Err(format!("the answer has no value at {pointer}"))
                    }
                    Some(serde_json::Value::String(s)) => Ok(s.clone()),
                    Some(other) => Ok(other.to_string()),
                }
            }
        }
    }
}

/// Whether `pointer` is an RFC 6901 JSON pointer: empty (the whole document), or `/` and a
/// reference token after each `/`, where `~` is only ever `~0` or `~1`.
pub fn check_pointer(pointer: &str) -> Result<(), &'static str> {
    if !pointer.is_empty() && !pointer.starts_with('/') {
        return Err("it must be empty or start with `/`, as in \"/state\"");
    }
    let mut rest = pointer;
    while let Some(at) = rest.find('~') {
        rest = &rest[at + 1..];
        if !rest.starts_with(['0', '1']) {
            return Err("`~` must be followed by 0 (for `~`) or 1 (for `/`)");
        }
    }
    Ok(())
}

/// What `capture` kept from an answer, and what it would not or could not keep.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Captured {
    pub facts: Vec<(String, String)>,
    /// `fact bug: …`, said as a warning; nothing of a secret is in them.
    pub refused: Vec<String>,
}

/// Reads the facts `rules` name out of `response`. A value holding a secret is refused, never
/// kept, and so is one longer than `FACT_CAP` characters.
pub fn capture(
    rules: &std::collections::BTreeMap<String, String>,
    response: &Response,
    secrets: &Secrets,
) -> Captured {
    let read = rules.iter().map(|(name, rule)| {
        let value = CaptureFrom::parse(rule).and_then(|from| from.read(response));
        (name.clone(), value)
    });
    vet(read, secrets)
}

/// Keeps the facts whose value may be kept: one holding a secret is refused, never kept, and
/// so is one longer than `FACT_CAP` characters or one that could not be read (`Err`).
pub fn vet(
    facts: impl IntoIterator<Item = (String, Result<String, String>)>,
    secrets: &Secrets,
) -> Captured {
    use crate::release::state::FACT_CAP;
    let mut captured = Captured::default();
    for (name, value) in facts {
        match value {
            Ok(value) if secrets.holds(&value) => captured.refused.push(format!(
                "fact {name}: the value holds a secret; not recorded"
            )),
            Ok(value) if value.chars().count() > FACT_CAP => captured.refused.push(format!(
                "fact {name}: the value is longer than {FACT_CAP} characters; not recorded"
            )),
            Ok(value) => captured.facts.push((name, value)),
            Err(why) => captured
                .refused
                .push(secrets.redact(&format!("fact {name}: {why}; not recorded"))),
        }
    }
    captured
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

    /// These values, in every form they can take, as secrets.
    pub fn of(values: impl IntoIterator<Item = String>) -> Secrets {
        let values: Vec<String> = values
            .into_iter()
            .filter(|v| !v.is_empty())
            .flat_map(|v| forms(&v))
            // A form this short would mask ordinary text and say what the secret is.
            .filter(|f| f.chars().count() >= 4)
            .collect();
        Secrets::of_forms(values)
    }

    /// Both sets of values.
    pub fn and(&self, other: &Secrets) -> Secrets {
        Secrets::of_forms(self.values.iter().chain(&other.values).cloned())
    }

    fn of_forms(forms: impl IntoIterator<Item = String>) -> Secrets {
        let mut values: Vec<String> = forms.into_iter().collect();
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

    /// Whether `text` holds a secret in any of its forms.
    pub fn holds(&self, text: &str) -> bool {
        self.values.iter().any(|v| text.contains(v.as_str()))
    }
}

/// Every form of `secret` that can reach a request or come back in an answer: as written and
/// as the template filters that keep it whole write it (`upper`, `tojson` …); each of those as
/// URL encoding makes it (`urlencode`, a value in a URL, the `url` crate's escaping of a path,
/// query or password) and as JSON escapes it; and the part of any base64 text that comes from
/// it alone, wherever it sits (`user:secret` in HTTP Basic auth, which reqwest builds from a
/// URL's user info).
fn forms(secret: &str) -> Vec<String> {
    let env = minijinja::Environment::new();
    let mut written = vec![secret.to_owned()];
    for filter in [
        "upper",
        "lower",
        "title",
        "capitalize",
        "tojson",
        "escape",
        "reverse",
    ] {
        let source = format!("{{{{ secret | {filter} }}}}");
        if let Ok(text) = env.render_str(&source, minijinja::context! { secret }) {
            written.push(text.trim_matches('"').to_owned());
        }
    }
    let mut forms = Vec::new();
    for text in &written {
        forms.extend([text.clone(), percent_encoded(text), url_value(text)]);
        for base in ["http://h/", "http://h/?", "http://h/#"] {
            if let Ok(url) = reqwest::Url::parse(&format!("{base}{text}")) {
                forms.extend(url.as_str().get(base.len()..).map(str::to_owned));
            }
        }
        if let Ok(mut url) = reqwest::Url::parse("http://h/")
            && url.set_password(Some(text)).is_ok()
        {
            forms.extend(url.password().map(str::to_owned));
        }
        // Services that decode and encode again may write hex digits in lower case, or a
        // space as `+`.
        for encoded in [percent_encoded(text), url_value(text)] {
            forms.push(lower_hex(&encoded));
            forms.push(encoded.replace("%20", "+"));
        }
        let json = serde_json::to_string(text).unwrap_or_default();
        forms.push(json.trim_matches('"').to_owned());
        for offset in 0..3 {
            for alphabet in [BASE64, BASE64_URL] {
                forms.push(base64_core(text.as_bytes(), offset, alphabet));
            }
        }
    }
    forms
}

/// The `Authorization` value of HTTP Basic auth (RFC 7617): `Basic base64(user:password)`.
pub fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {encoded}")
}

/// `%2F` → `%2f`: the same percent-encoding with hex digits in lower case.
fn lower_hex(encoded: &str) -> String {
    let mut out = String::with_capacity(encoded.len());
    let mut hex_left = 0;
    for c in encoded.chars() {
        if hex_left > 0 {
            out.push(c.to_ascii_lowercase());
            hex_left -= 1;
        } else {
            hex_left = if c == '%' { 2 } else { 0 };
            out.push(c);
        }
    }
    out
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The base64 characters that depend only on `bytes` when they start `offset` bytes into a
/// 3-byte group: the same whatever comes before and after them.
fn base64_core(bytes: &[u8], offset: usize, alphabet: &[u8; 64]) -> String {
    let mut input = vec![0u8; offset];
    input.extend_from_slice(bytes);
    let end = input.len();
    input.resize(end.div_ceil(3) * 3, 0);
    let mut out = String::new();
    for (g, group) in input.chunks(3).enumerate() {
        let n = (u32::from(group[0]) << 16) | (u32::from(group[1]) << 8) | u32::from(group[2]);
        for k in 0..4 {
            // Which input bytes character k of group g is made of.
            let (first, last) = match k {
                0 => (3 * g, 3 * g),
                1 => (3 * g, 3 * g + 1),
                2 => (3 * g + 1, 3 * g + 2),
                _ => (3 * g + 2, 3 * g + 2),
            };
            if first >= offset && last < end {
                out.push(char::from(alphabet[((n >> (18 - 6 * k)) & 63) as usize]));
            }
        }
    }
    out
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

/// Everything but the characters RFC 3986 leaves unreserved: a value put into a URL cannot
/// end a path segment, start a query or add a parameter.
const URL_VALUE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~');

/// A value as a URL template writes it unless it is marked `safe`.
pub fn url_value(text: &str) -> String {
    utf8_percent_encode(text, URL_VALUE_SET).to_string()
}

/// Renders a URL template: every value it writes is URL-encoded (`url_value`), unless it is
/// marked `| safe` or comes from `| urlencode`. `label` (`hook ci, url`) says where it is in
/// errors. It renders on its own, without the release's named templates.
pub fn render_url(label: &str, source: &str, context: &impl serde::Serialize) -> Result<String> {
    let mut env = minijinja::Environment::new();
    env.set_debug(false);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::SemiStrict);
    env.set_formatter(|out, state, value| {
        if value.is_safe() || value.is_undefined() || value.is_none() {
            return minijinja::escape_formatter(out, state, value);
        }
        out.write_str(&url_value(&value.to_string()))
            .map_err(minijinja::Error::from)
    });
    // Already encoded: encoding it again would break it.
    env.add_filter("urlencode", |value: &minijinja::Value| {
        minijinja::filters::urlencode(value).map(minijinja::Value::from_safe_string)
    });
    let value = minijinja::Value::from(minijinja::value::Serde(context));
    env.render_str(source, value).map_err(|e| {
        let line = e.line().map(|l| format!(", line {l}")).unwrap_or_default();
        let what = e
            .detail()
            .map_or_else(|| e.kind().to_string(), str::to_owned);
        Failure::new(format!("{label}{line}: {what}"))
            .hint("fix it in .release/config.toml")
            .into()
    })
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

/// A provider's setting that may name environment variables (`${JENKINS_TOKEN}`, or
/// `deploy-${USER}`), with them filled in. `label` (`jenkins.token`) says where it is in errors.
/// `secret` settings must name one: a secret written in the config is in the repository.
pub fn env_value(label: &str, value: &str, secret: bool) -> Result<String> {
    let pattern = regex::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}").expect("a valid pattern");
    if secret && !pattern.is_match(value) {
        return Err(Failure::new(format!(
            "{label} is written in the config; a secret comes from the environment"
        ))
        .hint(format!(
            "write {label} = \"${{NAME}}\" and export NAME=… where git release runs"
        ))
        .into());
    }
    let mut missing = None;
    let filled = pattern.replace_all(value, |c: &regex::Captures<'_>| {
        std::env::var(&c[1]).unwrap_or_else(|_| {
            missing.get_or_insert_with(|| c[1].to_owned());
            String::new()
        })
    });
    if let Some(name) = missing {
        return Err(Failure::new(format!(
            "the environment variable {name} ({label}) is not set"
        ))
        .hint(format!(
            "export {name}=… (secrets come from the environment, never from the repository)"
        ))
        .into());
    }
    Ok(filled.into_owned())
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

    /// Each form a secret can take on its way out is masked whole; base64 and the `url`
    /// crate are witnessed by coreutils and by reqwest's own URL type.
    #[test]
    fn every_form_of_a_secret_is_masked() {
        let secret = "s3cr3t~Tok/en+42 x";
        let secrets = Secrets::of([secret.to_owned()]);
        let base64 = |text: &str| {
            use std::io::Write as _;
            let mut child = std::process::Command::new("base64")
                .arg("-w0")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child
                .stdin
                .take()
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
        };
        let env = minijinja::Environment::new();
        let filtered = |filter: &str| {
            env.render_str(
                &format!("{{{{ secret | {filter} }}}}"),
                minijinja::context! { secret },
            )
            .unwrap()
        };
        let mut url = reqwest::Url::parse("http://h/").unwrap();
        url.set_password(Some(secret)).unwrap();
        url.set_query(Some(secret));
        let mut forms = vec![
            filtered("upper"),
            filtered("lower"),
            filtered("tojson"),
            url_value(secret),
            url_value(&secret.to_uppercase()),
            url.password().unwrap().to_owned(),
            url.query().unwrap().to_owned(),
            "s3cr3t~Tok%2fen%2b42%20x".to_owned(),
            "s3cr3t%7ETok/en%2B42+x".to_owned(),
        ];
        // Basic auth with user names of every length modulo 3, and the secret alone.
        for user in ["a", "ab", "ci-user"] {
            let encoded = base64(&format!("{user}:{secret}"));
            let left = secrets.redact(&encoded).replace("***", "");
            assert!(
                left.len() <= base64(&format!("{user}:")).len() + 2,
                "{encoded}: {left}"
            );
        }
        forms.push(base64(&format!(":{secret}")));
        forms.push(base64(secret));
        for form in forms {
            let text = format!("before {form} after");
            let masked = secrets.redact(&text);
            assert!(masked.contains("***"), "{form} is not masked: {masked}");
            // What is left of a base64 form is at most the characters it shares with its
            // neighbours.
            let left = masked.len() - "before  after".len() - 3;
            assert!(left <= 6, "{form}: {masked}");
        }
    }

    #[test]
    fn basic_auth_is_rfc_7617() {
        // The example of RFC 7617, section 2.
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(basic_auth("a", "b"), "Basic YTpi");
        assert_eq!(basic_auth("ab", "c"), "Basic YWI6Yw==");
    }

    #[test]
    fn base64_cores_are_the_characters_only_the_bytes_make() {
        // "abc" at offset 0 is "YWJj", all of it its own.
        assert_eq!(base64_core(b"abc", 0, BASE64), "YWJj");
        // base64("xabcdef") is "eGFiY2RlZg==": "eG" and "g" hold bits of what is around.
        assert_eq!(base64_core(b"abcdef", 1, BASE64), "FiY2RlZ");
        // base64("xyabcdef") is "eHlhYmNkZWY=".
        assert_eq!(base64_core(b"abcdef", 2, BASE64), "hYmNkZW");
    }

    #[test]
    fn url_templates_encode_values_unless_safe() {
        let context = serde_json::json!({ "message": "hi&deploy=production#", "s": "a b" });
        let url = render_url(
            "hook x, url",
            "https://h/p?m={{ message }}&s={{ s | urlencode }}&raw={{ '?x=1' | safe }}",
            &context,
        )
        .unwrap();
        assert_eq!(
            url,
            "https://h/p?m=hi%26deploy%3Dproduction%23&s=a%20b&raw=?x=1"
        );
        let err = render_url("hook x, url", "https://h/{{ nope.x }}", &context).unwrap_err();
        assert!(
            err.to_string().starts_with("hook x, url, line 1: "),
            "{err}"
        );
    }

    fn answer(headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status: 201,
            headers: headers
                .iter()
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            body: body.to_owned(),
        }
    }

    #[test]
    fn capture_reads_pointers_and_headers_and_refuses_secrets() {
        let rules: std::collections::BTreeMap<String, String> = [
            ("bug", "/id"),
            ("url", "/links/0/href"),
            ("ok", "/ok"),
            ("queue", "header:Location"),
            ("token", "/echo"),
            ("missing", "/nope"),
        ]
        .into_iter()
        .map(|(n, r)| (n.to_owned(), r.to_owned()))
        .collect();
        let response = answer(
            &[("location", "http://j/queue/item/7/")],
            r#"{"id": 1234, "ok": true, "links": [{"href": "https://b/1"}], "echo": "key s3cr3t-value"}"#,
        );
        let secrets = Secrets::of(["s3cr3t-value".to_owned()]);
        let captured = capture(&rules, &response, &secrets);
        assert_eq!(
            captured.facts,
            [
                ("bug".to_owned(), "1234".to_owned()),
                ("ok".to_owned(), "true".to_owned()),
                ("queue".to_owned(), "http://j/queue/item/7/".to_owned()),
                ("url".to_owned(), "https://b/1".to_owned()),
            ]
        );
        assert_eq!(
            captured.refused,
            [
                "fact missing: the answer has no value at /nope; not recorded",
                "fact token: the value holds a secret; not recorded",
            ]
        );
        assert!(CaptureFrom::parse("id").is_err());
        assert!(CaptureFrom::parse("header:").is_err());
        assert!(CaptureFrom::parse("header:Bad Name").is_err());
        assert_eq!(
            CaptureFrom::parse("header:Location"),
            Ok(CaptureFrom::Header("Location".into()))
        );
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
