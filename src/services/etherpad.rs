//! Etherpad's HTTP API (version 1.2.15): the next push's pad, made with `createPad`, or with
//! `setText` when a pad of that name exists. Every answer is an envelope
//! `{"code": 0, "message": "ok", "data": …}`; any other code is an error. The API key is sent
//! in the form body of a POST, never in a URL, so no log or error message shows it.

use serde_json::Value;

use super::{Planned, Service};
use crate::hooks::{Http, Request, Response, Secrets, excerpt, url_value};

pub const API_VERSION: &str = "1.2.15";

pub struct Etherpad {
    /// The base URL, without `/api` or a trailing `/`.
    pub url: String,
    pub key: String,
}

pub fn service<'a>(http: &'a Http, secrets: &'a Secrets) -> Service<'a> {
    Service {
        name: "Etherpad",
        http,
        secrets,
        said,
    }
}

/// `message (code N)` of an envelope whose code is not 0.
pub fn said(body: &Value) -> Option<String> {
    let code = body.get("code")?;
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("(no message)");
    Some(format!("{message} (code {code})"))
}

impl Etherpad {
    /// A call of API function `function` with `params` (the key first).
    fn call(&self, function: &str, params: &[(&str, &str)]) -> Request {
        let mut form = vec![format!("apikey={}", url_value(&self.key))];
        form.extend(params.iter().map(|(k, v)| format!("{k}={}", url_value(v))));
        Request {
            method: "POST".to_owned(),
            url: format!("{}/api/{API_VERSION}/{function}", self.url),
            headers: vec![(
                "Content-Type".to_owned(),
                "application/x-www-form-urlencoded".to_owned(),
            )],
            body: Some(form.join("&")),
        }
    }

    pub fn create_pad(&self, pad: &str, text: &str) -> Request {
        self.call("createPad", &[("padID", pad), ("text", text)])
    }

    pub fn set_text(&self, pad: &str, text: &str) -> Request {
        self.call("setText", &[("padID", pad), ("text", text)])
    }

    /// The pad's page for people.
    pub fn pad_url(&self, pad: &str) -> String {
        format!("{}/p/{}", self.url, url_value(pad))
    }

    pub fn plan(&self, pad: &str, text: &str) -> Vec<Planned> {
        vec![
            Planned::new(self.create_pad(pad, text), "create the pad"),
            Planned::new(self.set_text(pad, text), "when it exists already"),
        ]
    }

    /// Makes the pad with `text`, or sets the text of the pad of that name; returns its URL.
    pub fn make_pad(&self, service: &Service<'_>, pad: &str, text: &str) -> Result<String, String> {
        let create = self.create_pad(pad, text);
        let answer = service.exchange(&create)?;
        match envelope(service, &create, &answer)? {
            Ok(()) => {}
            // Code 1 is "invalid parameters", which is also how Etherpad says the pad exists.
            Err((1, message)) if message.contains("already exist") => {
                let set = self.set_text(pad, text);
                let answer = service.exchange(&set)?;
                if let Err((_, _)) = envelope(service, &set, &answer)? {
                    return Err(service.refused(&set, &answer));
                }
            }
            Err(_) => return Err(service.refused(&create, &answer)),
        }
        Ok(self.pad_url(pad))
    }
}

/// The envelope's verdict: `Ok(Ok(()))` for code 0, `Ok(Err((code, message)))` for another
/// code, `Err` for an answer that is no envelope at all.
fn envelope(
    service: &Service<'_>,
    request: &Request,
    response: &Response,
) -> Result<Result<(), (i64, String)>, String> {
    let body = service.secrets.redact(&response.body);
    let Some(code) = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| Some((v.get("code")?.as_i64()?, v)))
    else {
        if !(200..300).contains(&response.status) {
            return Err(service.refused(request, response));
        }
        return Err(format!(
            "Etherpad answered {} to {} {} with no {{\"code\": …}} envelope: {}",
            response.status,
            request.method,
            service.secrets.redact(&request.url),
            excerpt(&body, 200)
        ));
    };
    let (code, value) = code;
    if code == 0 {
        return Ok(Ok(()));
    }
    let message = value
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    Ok(Err((code, message)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_in_the_body_not_the_url() {
        let etherpad = Etherpad {
            url: "https://pad.example.com".into(),
            key: "k&y".into(),
        };
        let r = etherpad.create_pad("amo-2026.11.26", "a b\n");
        assert_eq!(r.url, "https://pad.example.com/api/1.2.15/createPad");
        assert_eq!(
            r.body.as_deref(),
            Some("apikey=k%26y&padID=amo-2026.11.26&text=a%20b%0A")
        );
        assert_eq!(
            etherpad.pad_url("amo 1"),
            "https://pad.example.com/p/amo%201"
        );
    }
}
