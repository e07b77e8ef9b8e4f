//! Bugzilla's REST API (Bugzilla 5): the deployment-request bug (`POST /rest/bug`), comments on
//! it (`POST /rest/bug/{id}/comment`), and the bugs it depends on (`GET /rest/bug/{id}`).
//! The API key goes in the `X-BUGZILLA-API-KEY` header, never in a URL. Errors answer
//! `{"error": true, "message": …, "code": N}`.

use serde_json::{Value, json};

use super::Service;
use crate::hooks::{Http, Request, Secrets, excerpt, url_value};

pub struct Bugzilla {
    /// The base URL, without `/rest` or a trailing `/`.
    pub url: String,
    pub key: String,
}

/// A deployment-request bug to file.
pub struct NewBug {
    pub product: String,
    pub component: String,
    pub version: String,
    pub severity: Option<String>,
    pub summary: String,
    pub description: String,
    pub cc: Vec<String>,
}

/// A bug that is still open.
#[derive(Debug, PartialEq, Eq)]
pub struct OpenBug {
    pub id: String,
    pub status: String,
    pub summary: String,
}

pub fn service<'a>(http: &'a Http, secrets: &'a Secrets) -> Service<'a> {
    Service {
        name: "Bugzilla",
        http,
        secrets,
        said,
    }
}

/// `message (code N)` of Bugzilla's error answer.
pub fn said(body: &Value) -> Option<String> {
    let message = body.get("message").and_then(Value::as_str)?;
    Some(match body.get("code") {
        Some(code) if !code.is_null() => format!("{message} (code {code})"),
        _ => message.to_owned(),
    })
}

/// A bug id as Bugzilla writes it: digits only (anything else would change the URL).
fn bug_id(value: &Value) -> Option<String> {
    let id = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return None,
    };
    (!id.is_empty() && id.len() <= 12 && id.chars().all(|c| c.is_ascii_digit())).then_some(id)
}

impl Bugzilla {
    fn request(&self, method: &str, url: String, body: Option<Value>) -> Request {
        let mut headers = vec![
            ("X-BUGZILLA-API-KEY".to_owned(), self.key.clone()),
            ("Accept".to_owned(), "application/json".to_owned()),
        ];
        if body.is_some() {
            headers.push(("Content-Type".to_owned(), "application/json".to_owned()));
        }
        Request {
            method: method.to_owned(),
            url,
            headers,
            body: body.map(|b| b.to_string()),
        }
    }

    pub fn file(&self, bug: &NewBug) -> Request {
        let mut body = json!({
            "product": bug.product,
            "component": bug.component,
            "version": bug.version,
            "summary": bug.summary,
            "description": bug.description,
        });
        if !bug.cc.is_empty() {
            body["cc"] = json!(bug.cc);
        }
        if let Some(severity) = &bug.severity {
            body["severity"] = json!(severity);
        }
        self.request("POST", format!("{}/rest/bug", self.url), Some(body))
    }

    pub fn comment(&self, id: &str, text: &str) -> Request {
        self.request(
            "POST",
            format!("{}/rest/bug/{}/comment", self.url, url_value(id)),
            Some(json!({ "comment": text })),
        )
    }

    pub fn dependencies(&self, id: &str) -> Request {
        self.request(
            "GET",
            format!(
                "{}/rest/bug/{}?include_fields=depends_on",
                self.url,
                url_value(id)
            ),
            None,
        )
    }

    pub fn statuses(&self, ids: &[String]) -> Request {
        let ids: Vec<String> = ids.iter().map(|i| url_value(i)).collect();
        self.request(
            "GET",
            format!(
                "{}/rest/bug?id={}&include_fields=id,summary,status,is_open",
                self.url,
                ids.join(",")
            ),
            None,
        )
    }

    /// The bug's page for people.
    pub fn show_url(&self, id: &str) -> String {
        format!("{}/show_bug.cgi?id={}", self.url, url_value(id))
    }

    /// Files the bug; returns its id.
    pub fn file_bug(&self, service: &Service<'_>, bug: &NewBug) -> Result<String, String> {
        let answer = service.json(&self.file(bug))?;
        answer
            .get("id")
            .and_then(bug_id)
            .ok_or_else(|| "Bugzilla filed the bug but answered no bug id".to_owned())
    }

    /// The bugs `id` depends on that are open (`is_open`; without it, a status other than
    /// RESOLVED, VERIFIED or CLOSED).
    pub fn open_dependencies(
        &self,
        service: &Service<'_>,
        id: &str,
    ) -> Result<Vec<OpenBug>, String> {
        let answer = service.json(&self.dependencies(id))?;
        let depends: Vec<String> = answer
            .pointer("/bugs/0/depends_on")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(bug_id).collect())
            .unwrap_or_default();
        if depends.is_empty() {
            return Ok(Vec::new());
        }
        let answer = service.json(&self.statuses(&depends))?;
        let bugs = answer
            .get("bugs")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let text = |b: &Value, key: &str| {
            b.get(key)
                .and_then(Value::as_str)
                .map(|s| excerpt(s, 80))
                .unwrap_or_default()
        };
        Ok(bugs
            .iter()
            .filter(|b| match b.get("is_open").and_then(Value::as_bool) {
                Some(open) => open,
                None => !matches!(
                    b.get("status").and_then(Value::as_str),
                    Some("RESOLVED" | "VERIFIED" | "CLOSED")
                ),
            })
            .filter_map(|b| {
                Some(OpenBug {
                    id: b.get("id").and_then(bug_id)?,
                    status: text(b, "status"),
                    summary: text(b, "summary"),
                })
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_shaped_as_the_api_documents() {
        let bugzilla = Bugzilla {
            url: "https://bugzilla.example.com".into(),
            key: "k".into(),
        };
        let filed = bugzilla.file(&NewBug {
            product: "Cloud Services".into(),
            component: "Operations: Deployment Requests".into(),
            version: "unspecified".into(),
            severity: None,
            summary: "Deploy 2026-11-20".into(),
            description: "Please deploy".into(),
            cc: vec!["qa@example.com".into()],
        });
        assert_eq!(filed.url, "https://bugzilla.example.com/rest/bug");
        let body: Value = serde_json::from_str(filed.body.as_deref().unwrap()).unwrap();
        assert_eq!(body["cc"], json!(["qa@example.com"]));
        assert!(body.get("severity").is_none());
        assert!(
            filed
                .headers
                .contains(&("X-BUGZILLA-API-KEY".to_owned(), "k".to_owned()))
        );
        assert_eq!(
            bugzilla.dependencies("42").url,
            "https://bugzilla.example.com/rest/bug/42?include_fields=depends_on"
        );
        assert_eq!(
            bugzilla.show_url("42"),
            "https://bugzilla.example.com/show_bug.cgi?id=42"
        );
        assert_eq!(bug_id(&json!(42)), Some("42".into()));
        assert_eq!(bug_id(&json!("42/../x")), None);
    }

    #[test]
    fn errors_say_message_and_code() {
        let body =
            json!({"error": true, "message": "There is no component named 'X'.", "code": 51});
        assert_eq!(
            said(&body).unwrap(),
            "There is no component named 'X'. (code 51)"
        );
    }
}
