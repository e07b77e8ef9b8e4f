//! Docker Registry HTTP API v2 (Docker Hub, GHCR, Harbor, a `registry:2`): the gate that an
//! image tag's manifest exists, `HEAD /v2/{name}/manifests/{tag}`. A 401 with
//! `WWW-Authenticate: Bearer realm=…,service=…,scope=…` is answered as the token spec says:
//! a token from the realm (with Basic credentials when configured), then the request again
//! with `Authorization: Bearer`.

use std::cell::RefCell;
use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Check, said};
use crate::hooks::{Http, Request, Response, Secrets, basic_auth};

/// Docker Hub's registry; `url` in the gate names another.
pub const DEFAULT_REGISTRY: &str = "https://registry-1.docker.io";

/// The manifest types a registry may hold for a tag: Docker's and OCI's, single and lists.
const ACCEPT: &str = "application/vnd.docker.distribution.manifest.v2+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.oci.image.index.v1+json";

/// A repository name's path components are encoded, its slashes kept.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// One registry gate, its templates rendered.
pub struct Manifest {
    pub registry: String,
    /// `acme/shop`.
    pub image: String,
    pub tag: String,
    /// For the token service (or a registry that asks for Basic auth itself).
    pub credentials: Option<(String, String)>,
    /// The bearer token of the last dance, used until it is refused.
    token: RefCell<Option<String>>,
}

/// A `WWW-Authenticate` challenge: its scheme and parameters.
#[derive(Debug, PartialEq, Eq)]
struct Challenge {
    scheme: String,
    params: Vec<(String, String)>,
}

impl Challenge {
    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a/b:pull,push"`
/// → the scheme and its parameters; commas inside quotes stay in the value.
fn parse_challenge(header: &str) -> Option<Challenge> {
    let header = header.trim();
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    let mut params = Vec::new();
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ',')).collect();
        if key.trim().is_empty() {
            break;
        }
        chars.next_if_eq(&'=')?;
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '\\' => value.extend(chars.next()),
                    '"' => break,
                    _ => value.push(c),
                }
            }
        } else {
            value = std::iter::from_fn(|| chars.next_if(|c| *c != ',')).collect();
        }
        params.push((key.trim().to_owned(), value.trim().to_owned()));
    }
    Some(Challenge {
        scheme: scheme.to_owned(),
        params,
    })
}

impl Manifest {
    pub fn new(
        registry: String,
        image: String,
        tag: String,
        credentials: Option<(String, String)>,
    ) -> Manifest {
        Manifest {
            registry,
            image,
            tag,
            credentials,
            token: RefCell::new(None),
        }
    }

    pub fn manifest_url(&self) -> String {
        let name: Vec<String> = self
            .image
            .split('/')
            .map(|c| utf8_percent_encode(c, COMPONENT).to_string())
            .collect();
        format!(
            "{}/v2/{}/manifests/{}",
            self.registry.trim_end_matches('/'),
            name.join("/"),
            utf8_percent_encode(&self.tag, COMPONENT)
        )
    }

    fn head(
        &self,
        http: &Http,
        secrets: &Secrets,
        deadline: Instant,
        authorization: Option<String>,
    ) -> Result<Response, Check> {
        let url = self.manifest_url();
        let mut headers = vec![("Accept".to_owned(), ACCEPT.to_owned())];
        headers.extend(authorization.map(|a| ("Authorization".to_owned(), a)));
        let request = Request {
            method: "HEAD".into(),
            url: url.clone(),
            headers,
            body: None,
        };
        http.send(&request, &url, secrets, Some(left(deadline)))
            .map_err(|e| Check::Unanswered(format!("registry: {e}")))
    }

    /// Whether the manifest is there; a 401 starts the token dance once per check.
    pub fn check(&self, http: &Http, secrets: &Secrets, timeout: Duration) -> Check {
        // The URL resolves a `.` or `..` segment, encoded or not: the login would go to
        // another repository's path than the one named.
        if self
            .image
            .split('/')
            .chain([self.tag.as_str()])
            .any(|s| s == "." || s == "..")
        {
            return Check::Refused(format!(
                "registry: the image `{}:{}` has a `.` or `..` component; not asked",
                self.image, self.tag
            ));
        }
        let deadline = Instant::now() + timeout;
        let cached = self.token.borrow().clone();
        let mut response = match self.head(
            http,
            secrets,
            deadline,
            cached.map(|t| format!("Bearer {t}")),
        ) {
            Ok(r) => r,
            Err(check) => return check,
        };
        if response.status == 401 {
            let challenge = response
                .header("www-authenticate")
                .and_then(parse_challenge);
            let authorization = match challenge {
                Some(c) if c.scheme.eq_ignore_ascii_case("bearer") => {
                    match self.fetch_token(http, secrets, deadline, &c) {
                        Ok(token) => {
                            *self.token.borrow_mut() = Some(token.clone());
                            format!("Bearer {token}")
                        }
                        Err(check) => return check,
                    }
                }
                Some(c) if c.scheme.eq_ignore_ascii_case("basic") => match &self.credentials {
                    Some((user, password)) => basic_auth(user, password),
                    None => {
                        return Check::Refused(format!(
                            "registry: HEAD {} asks for a login (Basic); set `user` and `password` on the gate",
                            self.manifest_url()
                        ));
                    }
                },
                _ => {
                    return Check::Refused(format!(
                        "registry: HEAD {} answered 401 without a challenge this gate can answer",
                        self.manifest_url()
                    ));
                }
            };
            response = match self.head(http, secrets, deadline, Some(authorization)) {
                Ok(r) => r,
                Err(check) => return check,
            };
        }
        let shown = format!("{}:{}", self.image, self.tag);
        match response.status {
            200..=299 => {
                let digest = response
                    .header("docker-content-digest")
                    .map(|d| format!(" ({})", crate::hooks::excerpt(d, 80)))
                    .unwrap_or_default();
                Check::Passed(format!("{shown} is in the registry{digest}"))
            }
            404 => Check::Pending(format!("{shown} is not in the registry yet")),
            status => {
                let what = format!(
                    "registry: HEAD {} answered {status}{}",
                    self.manifest_url(),
                    match said(&response.body, secrets) {
                        s if s.is_empty() => String::new(),
                        s => format!(": {s}"),
                    }
                );
                if status == 401 {
                    // A token that worked may have expired; the next check fetches another.
                    self.token.borrow_mut().take();
                }
                if status == 429 || status >= 500 {
                    Check::Unanswered(what)
                } else {
                    Check::Refused(what)
                }
            }
        }
    }

    /// `GET realm?service=…&scope=…`, with Basic credentials when configured; the answer's
    /// `token` (or `access_token`).
    fn fetch_token(
        &self,
        http: &Http,
        secrets: &Secrets,
        deadline: Instant,
        challenge: &Challenge,
    ) -> Result<String, Check> {
        let refused = |why: String| Check::Refused(format!("registry token service: {why}"));
        let realm = challenge
            .param("realm")
            .ok_or_else(|| refused("the registry's challenge names no realm".into()))?;
        let mut url = reqwest::Url::parse(realm)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .ok_or_else(|| refused(format!("the realm `{realm}` is not an http(s) URL")))?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(service) = challenge.param("service") {
                query.append_pair("service", service);
            }
            let scope = challenge
                .param("scope")
                .map_or_else(|| format!("repository:{}:pull", self.image), str::to_owned);
            query.append_pair("scope", &scope);
        }
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if let Some((user, password)) = &self.credentials {
            // The realm is the registry's word: credentials go there only over TLS (or to
            // this machine).
            let loopback = url.host_str().is_some_and(|h| {
                h == "localhost"
                    || h.trim_matches(['[', ']'])
                        .parse::<std::net::IpAddr>()
                        .is_ok_and(|ip| ip.is_loopback())
            });
            if url.scheme() != "https" && !loopback {
                return Err(refused(format!(
                    "the realm {} is not https; the login is not sent there",
                    url.origin().ascii_serialization()
                )));
            }
            headers.push(("Authorization".to_owned(), basic_auth(user, password)));
        }
        let request = Request {
            method: "GET".into(),
            url: url.to_string(),
            headers,
            body: None,
        };
        let shown = url.to_string();
        let response = http
            .send(&request, &shown, secrets, Some(left(deadline)))
            .map_err(|e| Check::Unanswered(format!("registry token service: {e}")))?;
        if !(200..300).contains(&response.status) {
            let what = format!(
                "GET {shown} answered {}: {}",
                response.status,
                said(&response.body, secrets)
            );
            return Err(if response.status >= 500 || response.status == 429 {
                Check::Unanswered(format!("registry token service: {what}"))
            } else {
                refused(what)
            });
        }
        let json: serde_json::Value = serde_json::from_str(&response.body)
            .map_err(|_| refused(format!("GET {shown} answered something that is not JSON")))?;
        json["token"]
            .as_str()
            .or_else(|| json["access_token"].as_str())
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| refused(format!("GET {shown} answered no token")))
    }
}

fn left(deadline: Instant) -> Duration {
    deadline
        .saturating_duration_since(Instant::now())
        .max(Duration::from_millis(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_parse_with_commas_in_quotes() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push""#,
        )
        .unwrap();
        assert_eq!(c.scheme, "Bearer");
        assert_eq!(c.param("realm"), Some("https://auth.docker.io/token"));
        assert_eq!(c.param("service"), Some("registry.docker.io"));
        assert_eq!(
            c.param("scope"),
            Some("repository:samalba/my-app:pull,push")
        );
        let basic = parse_challenge(r#"Basic realm="Registry Realm""#).unwrap();
        assert_eq!(basic.scheme, "Basic");
        assert_eq!(basic.param("realm"), Some("Registry Realm"));
    }

    /// reqwest's URL type is the witness that such a component would leave the repository.
    #[test]
    fn dot_dot_components_are_refused_before_anything_is_sent() {
        let m = Manifest::new(
            "http://127.0.0.1:9".into(),
            "acme/../other/shop".into(),
            "1".into(),
            None,
        );
        let resolved = reqwest::Url::parse(&m.manifest_url()).unwrap();
        assert_eq!(resolved.path(), "/v2/other/shop/manifests/1");
        let http = Http::new(Duration::from_secs(1)).unwrap();
        match m.check(&http, &Secrets::default(), Duration::from_secs(1)) {
            Check::Refused(why) => assert!(why.contains("`..` component"), "{why}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn manifest_urls_encode_names_and_tags() {
        let m = Manifest::new(
            "https://registry.example.com/".into(),
            "acme/shop".into(),
            "2026.11.19?x".into(),
            None,
        );
        assert_eq!(
            m.manifest_url(),
            "https://registry.example.com/v2/acme/shop/manifests/2026.11.19%3Fx"
        );
    }
}
