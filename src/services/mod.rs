//! The team's services, one module per external system: each shapes its requests as the
//! service's documented API and reads its answers, over the one HTTP client of `crate::hooks`.

pub mod circleci;
pub mod jenkins;
pub mod mail;
pub mod registry;

/// What one look at a service's state saw, for a gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Check {
    Passed(String),
    /// Not yet: worth asking again.
    Pending(String),
    /// It ended, and not well (a failed workflow): asking again will not change it.
    Failed(String),
    /// No answer (connection, DNS, TLS, time-out): worth asking again.
    Unanswered(String),
    /// The service refused the question (a 4xx: a wrong token, project or image); asking again
    /// will not help until the config or the environment changes.
    Refused(String),
}

/// What a service said in an error answer, from the error JSON shapes services use
/// (`{"message"}`, `{"errors": [{"message"}]}`, `{"details"}`, `{"error"}`), else the text.
pub fn said(body: &str, secrets: &crate::hooks::Secrets) -> String {
    let text = match serde_json::from_str::<serde_json::Value>(body) {
        Ok(json) => {
            let pick = |v: &serde_json::Value| -> Option<String> {
                ["message", "details", "detail", "error_description", "error"]
                    .iter()
                    .find_map(|k| v.get(k).and_then(|m| m.as_str()).map(str::to_owned))
            };
            let listed: Vec<String> = json
                .get("errors")
                .and_then(|e| e.as_array())
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| {
                            let message = pick(e)?;
                            Some(match e.get("code").and_then(|c| c.as_str()) {
                                Some(code) => format!("{code}: {message}"),
                                None => message,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            if !listed.is_empty() {
                listed.join("; ")
            } else {
                pick(&json).unwrap_or_else(|| body.to_owned())
            }
        }
        Err(_) => body.to_owned(),
    };
    crate::hooks::excerpt(&secrets.redact(&text), 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_answers_are_read_in_the_shapes_services_use() {
        let none = crate::hooks::Secrets::default();
        assert_eq!(
            said(r#"{"message":"Project not found"}"#, &none),
            "Project not found"
        );
        assert_eq!(
            said(
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#,
                &none
            ),
            "MANIFEST_UNKNOWN: manifest unknown"
        );
        assert_eq!(
            said("<html>\n  Bad  gateway</html>", &none),
            "<html> Bad gateway</html>"
        );
    }
}
