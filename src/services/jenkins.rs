//! Jenkins: "build with parameters" (`POST /job/{name}/buildWithParameters`, Basic auth
//! `user:token`, the CSRF crumb from `/crumbIssuer/api/json` when the server asks for one),
//! then the queue item the 201's `Location` names until it has a build, then, optionally, the
//! build until it has a result.

use std::time::{Duration, Instant};

use std::io::Write;

use anyhow::Result;

use crate::config::{Config, JenkinsJob};
use crate::context::template_context;
use crate::error::Failure;
use crate::hooks::{
    Http, Request, Response, Secrets, basic_auth, env_value, parse_duration, url_value,
};
use crate::release::state::FACT_CAP;
use crate::release::{EventKind, Release};
use crate::render::Templates;
use crate::session::Session;
use crate::store::With;

/// A Jenkins server and the login its requests carry.
pub struct Server {
    pub url: String,
    pub user: String,
    pub token: String,
    pub secrets: Secrets,
    pub interval: Duration,
}

/// What came of a build.
pub struct Build {
    pub url: String,
    /// `SUCCESS`, `UNSTABLE`, `FAILURE`, `ABORTED` …; `None` when not waited for.
    pub result: Option<String>,
}

/// `team/deploy-stage` → `/job/team/job/deploy-stage`, each name percent-encoded.
pub fn job_path(name: &str) -> String {
    name.split('/')
        .map(|segment| format!("/job/{}", url_value(segment)))
        .collect()
}

/// `application/x-www-form-urlencoded`, every name and value encoded.
pub fn form(parameters: &[(String, String)]) -> String {
    parameters
        .iter()
        .map(|(k, v)| format!("{}={}", url_value(k), url_value(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Server {
    pub fn build_url(&self, job: &str) -> String {
        format!(
            "{}{}/buildWithParameters",
            self.url.trim_end_matches('/'),
            job_path(job)
        )
    }

    fn send(
        &self,
        http: &Http,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
        deadline: Option<Instant>,
    ) -> Result<Response, String> {
        let mut all = vec![
            (
                "Authorization".to_owned(),
                basic_auth(&self.user, &self.token),
            ),
            ("Accept".to_owned(), "application/json".to_owned()),
        ];
        all.extend(headers);
        let request = Request {
            method: method.into(),
            url: url.to_owned(),
            headers: all,
            body,
        };
        let left = deadline.map(|d| {
            d.saturating_duration_since(Instant::now())
                .max(Duration::from_millis(1))
        });
        http.send(&request, url, &self.secrets, left)
            .map_err(|e| format!("Jenkins: {e}"))
    }

    fn refused(&self, method: &str, url: &str, response: &Response) -> String {
        format!(
            "Jenkins answered {} to {method} {url}: {}",
            response.status,
            super::said(&response.body, &self.secrets)
        )
    }

    /// A URL Jenkins handed back, where the login may go: on the configured server only.
    fn own(&self, url: &str) -> Result<reqwest::Url, String> {
        let base = reqwest::Url::parse(&self.url).map_err(|e| format!("jenkins.url: {e}"))?;
        let found = base
            .join(url)
            .map_err(|_| format!("Jenkins answered a URL that is not one: {url}"))?;
        if found.origin() != base.origin() {
            return Err(format!(
                "Jenkins answered a URL on another server ({}); the login is not sent there",
                found.origin().ascii_serialization()
            ));
        }
        Ok(found)
    }

    /// The crumb header (`Jenkins-Crumb: …`) from `/crumbIssuer/api/json`.
    fn crumb(&self, http: &Http) -> Result<(String, String), String> {
        let url = format!("{}/crumbIssuer/api/json", self.url.trim_end_matches('/'));
        let response = self.send(http, "GET", &url, Vec::new(), None, None)?;
        if !(200..300).contains(&response.status) {
            return Err(self.refused("GET", &url, &response));
        }
        let json: serde_json::Value = serde_json::from_str(&response.body)
            .map_err(|_| format!("Jenkins answered GET {url} with something that is not JSON"))?;
        match (json["crumbRequestField"].as_str(), json["crumb"].as_str()) {
            (Some(field), Some(crumb)) => Ok((field.to_owned(), crumb.to_owned())),
            _ => Err(format!(
                "Jenkins answered GET {url} without crumbRequestField and crumb"
            )),
        }
    }

    /// Triggers `job`; follows its queue item to the build, and with `wait` (a deadline) the
    /// build to its result. `progress` hears what happens.
    pub fn build(
        &self,
        http: &Http,
        job: &str,
        parameters: &[(String, String)],
        wait: Option<Instant>,
        progress: &mut dyn FnMut(String),
    ) -> Result<Build, String> {
        // The URL resolves a `.` or `..` segment, encoded or not: the login would go to
        // another job than the one named.
        if job.split('/').any(|s| s == "." || s == "..") {
            return Err(format!(
                "the job name `{job}` has a `.` or `..` folder; it is not sent"
            ));
        }
        let url = self.build_url(job);
        let form_header = (
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        );
        let body = Some(form(parameters));
        let mut response = self.send(
            http,
            "POST",
            &url,
            vec![form_header.clone()],
            body.clone(),
            wait,
        )?;
        // A server with CSRF protection refuses a POST without its crumb.
        if response.status == 403 {
            let crumb = self.crumb(http)?;
            response = self.send(http, "POST", &url, vec![form_header, crumb], body, wait)?;
        }
        if response.status != 201 && !(200..300).contains(&response.status) {
            return Err(self.refused("POST", &url, &response));
        }
        let location = response.header("location").ok_or_else(|| {
            format!(
                "Jenkins answered {} to POST {url} without a Location (queue item)",
                response.status
            )
        })?;
        let queue = self.own(location)?;
        progress(format!("queued as {queue}"));
        let item = format!("{}/api/json", queue.as_str().trim_end_matches('/'));
        // Without `wait`, the queue is still followed until the build starts, for its URL.
        let deadline = wait.unwrap_or_else(|| Instant::now() + Duration::from_secs(300));
        let build = loop {
            let response = self.send(http, "GET", &item, Vec::new(), None, Some(deadline))?;
            if !(200..300).contains(&response.status) {
                return Err(self.refused("GET", &item, &response));
            }
            let json: serde_json::Value = serde_json::from_str(&response.body).map_err(|_| {
                format!("Jenkins answered GET {item} with something that is not JSON")
            })?;
            if json["cancelled"].as_bool() == Some(true) {
                return Err(format!("Jenkins: the queue item {queue} was cancelled"));
            }
            if let Some(build) = json["executable"]["url"].as_str() {
                break self.own(build)?;
            }
            let why = json["why"].as_str().unwrap_or("waiting");
            progress(format!("in the queue: {}", crate::hooks::excerpt(why, 100)));
            self.pause(deadline, &format!("the queue item {queue} has no build"))?;
        };
        progress(format!("build {build}"));
        let Some(deadline) = wait else {
            return Ok(Build {
                url: build.to_string(),
                result: None,
            });
        };
        let status = format!("{}/api/json", build.as_str().trim_end_matches('/'));
        loop {
            let response = self.send(http, "GET", &status, Vec::new(), None, Some(deadline))?;
            if !(200..300).contains(&response.status) {
                return Err(self.refused("GET", &status, &response));
            }
            let json: serde_json::Value = serde_json::from_str(&response.body).map_err(|_| {
                format!("Jenkins answered GET {status} with something that is not JSON")
            })?;
            let building = json["building"].as_bool().unwrap_or(true);
            match json["result"].as_str() {
                Some(result) if !building => {
                    return Ok(Build {
                        url: build.to_string(),
                        result: Some(result.to_owned()),
                    });
                }
                _ => progress("building".to_owned()),
            }
            self.pause(deadline, &format!("build {build} has no result"))?;
        }
    }

    fn pause(&self, deadline: Instant, what: &str) -> Result<(), String> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(format!("Jenkins: gave up waiting: {what} yet"));
        }
        std::thread::sleep(self.interval.min(left));
        Ok(())
    }
}

/// The job `[[jenkins.jobs]]` lists under the hook name `jenkins-<name>`.
pub fn job_named<'a>(config: &'a Config, hook: &str) -> Option<&'a JenkinsJob> {
    config
        .jenkins
        .iter()
        .flat_map(|j| &j.jobs)
        .find(|j| j.hook_name() == hook)
}

/// Builds `job` for `event` (or shows the request, for a dry run). The build's URL is kept as
/// a fact; with `wait`, its result is recorded as the gate named after the job. The outer
/// error is a problem of ours; the inner one the hook's failure, secrets masked.
pub fn send(
    session: &Session,
    release: &Release,
    job: &JenkinsJob,
    dry_run: bool,
    out: &mut dyn Write,
) -> Result<Result<(), String>> {
    let config = session
        .config
        .config
        .jenkins
        .as_ref()
        .expect("a job comes from [jenkins]");
    let hook = job.hook_name();
    let context = template_context(session, release, &[])?;
    let templates = Templates::load(&session.git)?;
    let parameters: Vec<(String, String)> = job
        .parameters
        .iter()
        .map(|(k, v)| {
            let label = format!("jenkins job {}, parameter {k}", job.name);
            Ok((k.clone(), templates.render_inline(&label, v, &context)?))
        })
        .collect::<Result<_>>()?;
    let token = env_value("jenkins.token", &config.token, true)?;
    let user = env_value("jenkins.user", &config.user, false)?;
    let duration = |field: &str, text: &str| {
        parse_duration(text).map_err(|e| Failure::new(format!("jenkins.{field}: {e}")))
    };
    let server = Server {
        url: config.url.trim().to_owned(),
        user,
        secrets: Secrets::of([token.clone()]).and(&crate::commands::hooks::config_secrets(session)),
        token,
        interval: duration("interval", &config.interval)?,
    };
    if dry_run {
        writeln!(
            out,
            "would send hook {hook}: POST {}",
            server.build_url(&job.name)
        )?;
        for (k, v) in &parameters {
            writeln!(out, "  {k} = {v}")?;
        }
        if job.wait {
            writeln!(out, "  and wait for the build's result (gate {})", job.name)?;
        }
        return Ok(Ok(()));
    }
    let http = Http::new(Duration::from_secs(30))?;
    let deadline = job
        .wait
        .then(|| duration("timeout", &config.timeout).map(|t| Instant::now() + t))
        .transpose()?;
    let name = &job.name;
    let mut progress = |what: String| crate::say!("Jenkins {name}: {what}");
    let build = match server.build(&http, name, &parameters, deadline, &mut progress) {
        Ok(build) => build,
        Err(e) => {
            let error = server.secrets.redact(&e);
            crate::warn!("warning: hook {hook} failed: {error}");
            crate::warn!("hint: it was recorded; `git release hooks retry` sends it again");
            return Ok(Err(error));
        }
    };
    let fact = job.fact_name();
    if server.secrets.holds(&build.url) || build.url.len() > FACT_CAP {
        crate::warn!("warning: the build URL of {name} is not kept as fact {fact}");
    } else {
        crate::commands::hooks::record_facts(
            session,
            &release.name,
            &format!("hook {hook}"),
            &[(fact, build.url.clone())],
        )?;
    }
    let Some(result) = build.result else {
        return Ok(Ok(()));
    };
    let passed = result == "SUCCESS";
    // Jenkins' word, written into git: a result is one short word, never a giant.
    let detail = format!("build {} {}", build.url, crate::hooks::excerpt(&result, 40));
    let who = session.git.identity()?;
    session
        .store()
        .append(&who, &release.name, false, &With::default(), |_| {
            Ok(Some(EventKind::Gate {
                gate: job.name.clone(),
                passed,
                detail: Some(detail.clone()),
            }))
        })?;
    if passed {
        crate::say!("Gate {name} passed: {detail}");
        Ok(Ok(()))
    } else {
        let error = format!("Jenkins {detail}");
        crate::warn!("warning: hook {hook} failed: {error}");
        Ok(Err(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_and_parameters_are_encoded() {
        assert_eq!(
            job_path("team a/deploy-stage"),
            "/job/team%20a/job/deploy-stage"
        );
        assert_eq!(
            form(&[
                ("TAG".into(), "2026-11-20".into()),
                ("NOTE".into(), "a&b=c d".into())
            ]),
            "TAG=2026-11-20&NOTE=a%26b%3Dc%20d"
        );
    }
}
