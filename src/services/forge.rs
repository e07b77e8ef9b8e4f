//! The release object on a forge — GitHub, GitLab or Gitea — for the release's tag: its title
//! is the release's name, its body the notes. Looked up by tag first, so running it again
//! updates the one object rather than making a second.
//!
//! - GitHub (REST v3): `GET /repos/{o}/{r}/releases/tags/{tag}`, then `PATCH
//!   /repos/{o}/{r}/releases/{id}` or `POST /repos/{o}/{r}/releases`; `Authorization: Bearer`.
//! - GitLab (v4): `GET /projects/{id}/releases/{tag}`, then `PUT` there or `POST
//!   /projects/{id}/releases`; the project id is the URL-encoded path; `PRIVATE-TOKEN`.
//! - Gitea (v1): as GitHub, under `/api/v1`, with `Authorization: token`.

use serde_json::{Value, json};

use super::{Planned, Service};
use crate::config::{ForgeConfig, ForgeKind};
use crate::hooks::{Request, url_value};

/// A forge's API, for one repository.
pub struct Forge {
    pub kind: ForgeKind,
    /// The API's base URL, without a trailing `/`.
    pub api: String,
    /// `owner/name` (GitLab: the project's full path).
    pub repo: String,
    pub token: String,
}

/// The release object as it should read.
pub struct ReleaseObject<'a> {
    pub tag: &'a str,
    pub title: &'a str,
    pub notes: &'a str,
    /// The commit the tag names, for a forge that must make the tag itself.
    pub target: &'a str,
}

impl ForgeKind {
    /// What messages call it.
    pub fn label(self) -> &'static str {
        match self {
            ForgeKind::Github => "GitHub",
            ForgeKind::Gitlab => "GitLab",
            ForgeKind::Gitea => "Gitea",
        }
    }

    /// The environment variable its token is read from unless `token` says otherwise.
    pub fn default_token(self) -> &'static str {
        match self {
            ForgeKind::Github => "${GITHUB_TOKEN}",
            ForgeKind::Gitlab => "${GITLAB_TOKEN}",
            ForgeKind::Gitea => "${GITEA_TOKEN}",
        }
    }
}

/// The kind, API base and repository of `[forge]`: what it sets, the rest from the remote URL
/// (`git@github.com:acme/shop.git`, `https://gitlab.example.com/group/sub/shop`).
pub fn locate(
    config: &ForgeConfig,
    remote: Option<&str>,
) -> Result<(ForgeKind, String, String), String> {
    let parsed = remote.and_then(crate::changelog::host_and_path);
    let host = parsed.as_ref().map(|(h, _)| h.as_str());
    let kind = match (config.kind, host) {
        (Some(kind), _) => kind,
        (None, Some(h)) if h.contains("github") => ForgeKind::Github,
        (None, Some(h)) if h.contains("gitlab") => ForgeKind::Gitlab,
        (None, Some(h)) if h.contains("gitea") || h.contains("codeberg") => ForgeKind::Gitea,
        (None, _) => {
            return Err(
                "[forge] has no `kind`, and the remote's host does not say which forge it is; set kind = \"github\", \"gitlab\" or \"gitea\"".into(),
            );
        }
    };
    let repo = match (&config.repo, &parsed) {
        (Some(repo), _) => repo.trim_matches('/').to_owned(),
        (None, Some((_, path))) => path.clone(),
        (None, None) => {
            return Err("[forge] has no `repo`, and there is no remote URL to read it from; set repo = \"owner/name\"".into());
        }
    };
    let api = match (&config.api, host) {
        (Some(api), _) => api.trim_end_matches('/').to_owned(),
        (None, Some(host)) => match kind {
            ForgeKind::Github if host == "github.com" => "https://api.github.com".to_owned(),
            ForgeKind::Github => format!("https://{host}/api/v3"),
            ForgeKind::Gitlab => format!("https://{host}/api/v4"),
            ForgeKind::Gitea => format!("https://{host}/api/v1"),
        },
        (None, None) => {
            return Err("[forge] has no `api`, and there is no remote URL to read the host from; set api = \"https://…\"".into());
        }
    };
    if repo.split('/').filter(|s| !s.is_empty()).count() < 2 {
        return Err(format!("[forge] repo `{repo}` is not `owner/name`"));
    }
    // The URL resolves a `.` or `..` segment, encoded or not: the token would go to another
    // repository's path than the one named.
    if repo.split('/').any(|s| s == "." || s == "..") {
        return Err(format!("[forge] repo `{repo}` has a `.` or `..` component"));
    }
    Ok((kind, api, repo))
}

impl Forge {
    fn headers(&self) -> Vec<(String, String)> {
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        match self.kind {
            ForgeKind::Github => {
                headers.push(("Accept".into(), "application/vnd.github+json".into()));
                headers.push(("X-GitHub-Api-Version".into(), "2022-11-28".into()));
                headers.push(("Authorization".into(), format!("Bearer {}", self.token)));
            }
            ForgeKind::Gitlab => headers.push(("PRIVATE-TOKEN".into(), self.token.clone())),
            ForgeKind::Gitea => {
                headers.push(("Accept".into(), "application/json".into()));
                headers.push(("Authorization".into(), format!("token {}", self.token)));
            }
        }
        headers
    }

    /// `/repos/o/r` or `/projects/o%2Fr`: every part encoded, so nothing in them adds a path.
    fn base(&self) -> String {
        match self.kind {
            ForgeKind::Gitlab => format!("{}/projects/{}", self.api, url_value(&self.repo)),
            _ => {
                let parts: Vec<String> = self.repo.split('/').map(url_value).collect();
                format!("{}/repos/{}", self.api, parts.join("/"))
            }
        }
    }

    fn request(&self, method: &str, url: String, body: Option<Value>) -> Request {
        Request {
            method: method.to_owned(),
            url,
            headers: self.headers(),
            body: body.map(|b| b.to_string()),
        }
    }

    /// The release object of `tag`, if there is one (404 if not).
    pub fn lookup(&self, tag: &str) -> Request {
        let url = match self.kind {
            ForgeKind::Gitlab => format!("{}/releases/{}", self.base(), url_value(tag)),
            _ => format!("{}/releases/tags/{}", self.base(), url_value(tag)),
        };
        self.request("GET", url, None)
    }

    pub fn create(&self, object: &ReleaseObject<'_>) -> Request {
        let body = match self.kind {
            ForgeKind::Gitlab => json!({
                "tag_name": object.tag,
                "name": object.title,
                "description": object.notes,
                "ref": object.target,
            }),
            _ => json!({
                "tag_name": object.tag,
                "name": object.title,
                "body": object.notes,
                "target_commitish": object.target,
            }),
        };
        self.request("POST", format!("{}/releases", self.base()), Some(body))
    }

    /// Updates the object `found` (what `lookup` answered); `id` names it where the URL
    /// needs it (`<id>` in a plan).
    pub fn update(&self, id: &str, object: &ReleaseObject<'_>) -> Request {
        match self.kind {
            ForgeKind::Gitlab => self.request(
                "PUT",
                format!("{}/releases/{}", self.base(), url_value(object.tag)),
                Some(json!({ "name": object.title, "description": object.notes })),
            ),
            _ => self.request(
                "PATCH",
                format!("{}/releases/{id}", self.base()),
                Some(json!({ "name": object.title, "body": object.notes })),
            ),
        }
    }

    /// What `publish` sends, for `--dry-run`.
    pub fn plan(&self, object: &ReleaseObject<'_>) -> Vec<Planned> {
        vec![
            Planned::new(self.lookup(object.tag), "find the release of the tag"),
            Planned::new(self.update("<id>", object), "when it exists"),
            Planned::new(self.create(object), "when it does not"),
        ]
    }

    /// Creates the release object of the tag, or updates it; returns its web page.
    pub fn publish(
        &self,
        service: &Service<'_>,
        object: &ReleaseObject<'_>,
    ) -> Result<String, String> {
        let lookup = self.lookup(object.tag);
        let found = service.exchange(&lookup)?;
        let answer = match found.status {
            404 => service.json(&self.create(object))?,
            200..=299 => {
                let existing = service.parse(&lookup, &found)?;
                let id = match self.kind {
                    ForgeKind::Gitlab => String::new(),
                    _ => existing
                        .get("id")
                        .map(|id| match id {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        })
                        .filter(|id| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit()))
                        .ok_or_else(|| {
                            format!("{} answered a release without a numeric `id`", service.name)
                        })?,
                };
                service.json(&self.update(&id, object))?
            }
            _ => return Err(service.refused(&lookup, &found)),
        };
        let url = match self.kind {
            ForgeKind::Gitlab => answer.pointer("/_links/self"),
            _ => answer.get("html_url"),
        };
        url.and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "{} answered without the release's web address",
                    service.name
                )
            })
    }
}

/// What a forge's error answer says: GitHub and Gitea `{"message": …, "errors": [...]}`,
/// GitLab `{"message": …}` (a string, a list or an object of lists) or `{"error": …}`.
pub fn said(body: &Value) -> Option<String> {
    let flat = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut text = body
        .get("message")
        .or_else(|| body.get("error"))
        .map(flat)?;
    if let Some(errors) = body.get("errors").and_then(Value::as_array) {
        let details: Vec<String> = errors
            .iter()
            .map(|e| {
                e.get("message")
                    .map(flat)
                    .or_else(|| {
                        e.get("code").map(|c| {
                            format!(
                                "{} {}",
                                flat(e.get("field").unwrap_or(&Value::Null)),
                                flat(c)
                            )
                        })
                    })
                    .unwrap_or_else(|| flat(e))
            })
            .collect();
        if !details.is_empty() {
            text.push_str(&format!(" ({})", details.join("; ")));
        }
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(kind: Option<ForgeKind>) -> ForgeConfig {
        ForgeConfig {
            kind,
            ..ForgeConfig::default()
        }
    }

    #[test]
    fn kind_repo_and_api_come_from_the_remote() {
        let at = |remote: &str, kind| locate(&config(kind), Some(remote)).unwrap();
        assert_eq!(
            at("git@github.com:acme/shop.git", None),
            (
                ForgeKind::Github,
                "https://api.github.com".into(),
                "acme/shop".into()
            )
        );
        assert_eq!(
            at(
                "https://github.example.com/acme/shop",
                Some(ForgeKind::Github)
            ),
            (
                ForgeKind::Github,
                "https://github.example.com/api/v3".into(),
                "acme/shop".into()
            )
        );
        assert_eq!(
            at("https://gitlab.com/group/sub/shop.git", None),
            (
                ForgeKind::Gitlab,
                "https://gitlab.com/api/v4".into(),
                "group/sub/shop".into()
            )
        );
        assert_eq!(
            at("https://codeberg.org/acme/shop", None).1,
            "https://codeberg.org/api/v1"
        );
        assert!(locate(&config(None), Some("https://git.example.com/a/b")).is_err());
        assert!(locate(&config(Some(ForgeKind::Gitea)), None).is_err());
        assert!(
            locate(
                &config(Some(ForgeKind::Github)),
                Some("https://github.com/acme/..")
            )
            .is_err()
        );
    }

    #[test]
    fn paths_are_encoded() {
        let forge = Forge {
            kind: ForgeKind::Gitlab,
            api: "https://gitlab.com/api/v4".into(),
            repo: "group/sub/shop".into(),
            token: "t".into(),
        };
        assert_eq!(
            forge.lookup("2026-11-20").url,
            "https://gitlab.com/api/v4/projects/group%2Fsub%2Fshop/releases/2026-11-20"
        );
        let github = Forge {
            kind: ForgeKind::Github,
            repo: "acme/sh op".into(),
            ..forge
        };
        assert!(
            github
                .lookup("a/b")
                .url
                .ends_with("/repos/acme/sh%20op/releases/tags/a%2Fb")
        );
    }

    #[test]
    fn error_answers_are_said() {
        let github = serde_json::json!({"message": "Validation Failed", "errors": [{"resource": "Release", "code": "already_exists", "field": "tag_name"}]});
        assert_eq!(
            said(&github).unwrap(),
            "Validation Failed (tag_name already_exists)"
        );
        let gitlab = serde_json::json!({"message": "403 Forbidden"});
        assert_eq!(said(&gitlab).unwrap(), "403 Forbidden");
        assert_eq!(said(&serde_json::json!({"x": 1})), None);
    }
}
