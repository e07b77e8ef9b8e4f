//! CircleCI (API v2): the gate that the pipeline of the release's tag, or of its commit, has
//! succeeded. `GET /api/v2/project/{slug}/pipeline` (newest first, `next_page_token` pages)
//! finds the pipeline; `GET /api/v2/pipeline/{id}/workflow` says how its workflows stand.
//! The token travels in the `Circle-Token` header.

use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{Check, said};
use crate::hooks::{Http, Request, Secrets, url_value};

/// The public API; `url` in the gate overrides it (CircleCI server, tests).
pub const DEFAULT_API: &str = "https://circleci.com";

/// How many pages of pipelines are read looking for the release's.
const MAX_PAGES: usize = 10;

/// One CircleCI gate, its templates rendered.
pub struct Pipeline {
    pub api: String,
    /// `gh/acme/shop`.
    pub project: String,
    pub token: Option<String>,
    pub branch: Option<String>,
    /// The git tag whose pipeline counts; without it (or with `branch`), the commit's.
    pub tag: Option<String>,
    /// The release's commit (full hex).
    pub revision: String,
    /// Workflows that must succeed; empty for all of them.
    pub workflows: Vec<String>,
}

/// A slug's segments are encoded, its slashes kept: `gh/acme/shop` is three segments.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

impl Pipeline {
    /// What is looked for, for messages: `tag 2026-11-20` or `commit 1a2b3c4d5e6f`.
    pub fn wanted(&self) -> String {
        match (&self.tag, &self.branch) {
            (Some(tag), None) => format!("tag {tag}"),
            _ => format!("commit {}", &self.revision[..self.revision.len().min(12)]),
        }
    }

    /// The pipelines URL without a page token, as requests and dry runs show it.
    pub fn pipelines_url(&self) -> String {
        let slug: Vec<String> = self
            .project
            .split('/')
            .map(|s| utf8_percent_encode(s, SEGMENT).to_string())
            .collect();
        let mut url = format!(
            "{}/api/v2/project/{}/pipeline",
            self.api.trim_end_matches('/'),
            slug.join("/")
        );
        if let Some(branch) = &self.branch {
            url.push_str(&format!("?branch={}", url_value(branch)));
        }
        url
    }

    fn get(
        &self,
        http: &Http,
        url: &str,
        secrets: &Secrets,
        deadline: Instant,
    ) -> Result<serde_json::Value, Check> {
        let mut headers = vec![("Accept".to_owned(), "application/json".to_owned())];
        if let Some(token) = &self.token {
            headers.push(("Circle-Token".to_owned(), token.clone()));
        }
        let request = Request {
            method: "GET".into(),
            url: url.to_owned(),
            headers,
            body: None,
        };
        let left = deadline
            .saturating_duration_since(Instant::now())
            .max(Duration::from_millis(1));
        let response = http
            .send(&request, url, secrets, Some(left))
            .map_err(|e| Check::Unanswered(format!("CircleCI: {e}")))?;
        let status = response.status;
        if !(200..300).contains(&status) {
            let what = format!(
                "CircleCI: GET {url} answered {status}: {}",
                said(&response.body, secrets)
            );
            // Rate limits and the service's own trouble pass; a wrong token or project not.
            return Err(if status == 429 || status >= 500 {
                Check::Unanswered(what)
            } else {
                Check::Refused(what)
            });
        }
        serde_json::from_str(&response.body).map_err(|_| {
            Check::Unanswered(format!(
                "CircleCI: GET {url} answered {status} with something that is not JSON"
            ))
        })
    }

    /// Looks at the newest pipeline of the tag (or commit) and its workflows.
    pub fn check(&self, http: &Http, secrets: &Secrets, timeout: Duration) -> Check {
        let deadline = Instant::now() + timeout;
        let pipeline = match self.find(http, secrets, deadline) {
            Ok(Some(pipeline)) => pipeline,
            Ok(None) => return Check::Pending(format!("no pipeline for {} yet", self.wanted())),
            Err(check) => return check,
        };
        let id = pipeline["id"].as_str().unwrap_or_default();
        let number = pipeline["number"]
            .as_u64()
            .map_or_else(|| id.to_owned(), |n| n.to_string());
        let base = format!(
            "{}/api/v2/pipeline/{}/workflow",
            self.api.trim_end_matches('/'),
            url_value(id)
        );
        let mut workflows: Vec<(String, String)> = Vec::new();
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let url = match &page {
                Some(token) => format!("{base}?page-token={}", url_value(token)),
                None => base.clone(),
            };
            let json = match self.get(http, &url, secrets, deadline) {
                Ok(json) => json,
                Err(check) => return check,
            };
            for w in json["items"].as_array().into_iter().flatten() {
                let name = w["name"].as_str().unwrap_or("?").to_owned();
                let status = w["status"].as_str().unwrap_or("?").to_owned();
                workflows.push((name, status));
            }
            page = next_page(&json);
            if page.is_none() {
                break;
            }
        }
        if page.is_some() {
            // A workflow on a page not read may have failed: the part read proves nothing.
            return Check::Unanswered(format!(
                "CircleCI: pipeline {number} has more than {MAX_PAGES} pages of workflows; not judged on part of them"
            ));
        }
        judge(&format!("pipeline {number}"), &workflows, &self.workflows)
    }

    /// The newest pipeline that built the tag (or the commit), reading pages as needed.
    fn find(
        &self,
        http: &Http,
        secrets: &Secrets,
        deadline: Instant,
    ) -> Result<Option<serde_json::Value>, Check> {
        let base = self.pipelines_url();
        let mut page: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let url = match &page {
                Some(token) => {
                    let joiner = if base.contains('?') { '&' } else { '?' };
                    format!("{base}{joiner}page-token={}", url_value(token))
                }
                None => base.clone(),
            };
            let json = self.get(http, &url, secrets, deadline)?;
            let found = json["items"].as_array().into_iter().flatten().find(|p| {
                let vcs = &p["vcs"];
                match (&self.tag, &self.branch) {
                    (Some(tag), None) => vcs["tag"].as_str() == Some(tag.as_str()),
                    _ => vcs["revision"].as_str() == Some(self.revision.as_str()),
                }
            });
            if let Some(found) = found {
                return Ok(Some(found.clone()));
            }
            page = next_page(&json);
            if page.is_none() {
                break;
            }
        }
        Ok(None)
    }
}

fn next_page(json: &serde_json::Value) -> Option<String> {
    json["next_page_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// Workflow statuses that will not change by waiting.
const FAILED: &[&str] = &["failed", "error", "canceled", "unauthorized"];

/// The gate's verdict on a pipeline's workflows (`name`, `status`); `wanted` names the ones
/// that count (all when empty).
fn judge(pipeline: &str, workflows: &[(String, String)], wanted: &[String]) -> Check {
    let counted: Vec<&(String, String)> = workflows
        .iter()
        .filter(|(name, _)| wanted.is_empty() || wanted.contains(name))
        .collect();
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|w| !workflows.iter().any(|(name, _)| name == *w))
        .map(String::as_str)
        .collect();
    let listed = counted
        .iter()
        .map(|(name, status)| format!("{name} {status}"))
        .collect::<Vec<_>>()
        .join(", ");
    if let Some((name, status)) = counted.iter().find(|(_, s)| FAILED.contains(&s.as_str())) {
        return Check::Failed(format!("{pipeline}: workflow {name} {status} ({listed})"));
    }
    if counted.is_empty() {
        return Check::Pending(format!("{pipeline}: no workflows yet"));
    }
    if !missing.is_empty() {
        return Check::Pending(format!(
            "{pipeline}: no workflow {} yet ({listed})",
            missing.join(", ")
        ));
    }
    if counted.iter().all(|(_, s)| s == "success") {
        Check::Passed(format!("{pipeline}: {listed}"))
    } else {
        Check::Pending(format!("{pipeline}: {listed}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn every_counted_workflow_must_succeed() {
        let all = w(&[("build", "success"), ("deploy", "running")]);
        assert_eq!(
            judge("pipeline 7", &all, &[]),
            Check::Pending("pipeline 7: build success, deploy running".into())
        );
        assert_eq!(
            judge("pipeline 7", &all, &["build".into()]),
            Check::Passed("pipeline 7: build success".into())
        );
        let failed = w(&[("build", "failed"), ("deploy", "not_run")]);
        assert!(matches!(judge("p", &failed, &[]), Check::Failed(_)));
        assert!(matches!(
            judge("p", &w(&[("build", "success")]), &["lint".into()]),
            Check::Pending(_)
        ));
        assert!(matches!(judge("p", &[], &[]), Check::Pending(_)));
    }

    #[test]
    fn slugs_keep_their_slashes_and_encode_the_rest() {
        let gate = Pipeline {
            api: "https://circleci.com/".into(),
            project: "gh/acme/shop?x".into(),
            token: None,
            branch: Some("release/1 &x".into()),
            tag: None,
            revision: "a".repeat(40),
            workflows: vec![],
        };
        assert_eq!(
            gate.pipelines_url(),
            "https://circleci.com/api/v2/project/gh/acme/shop%3Fx/pipeline?branch=release%2F1%20%26x"
        );
    }
}
