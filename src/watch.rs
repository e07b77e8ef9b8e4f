//! Watching monitors after a deployment: polls each `[[monitors]]` entry over a window and
//! judges it (`crate::release::monitor`). A monitor that fails once stays failed; the others
//! are judged on their last reading when the window ends.

use std::time::{Duration, Instant};

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::{MonitorConfig, MonitorKind};
use crate::error::Failure;
use crate::hooks::{Http, Secrets, env_names};
use crate::release::Release;
use crate::release::monitor::{Reading, Verdict, judge_new_issues};
use crate::services::{graphite, prometheus, sentry};

/// A monitor ready to poll: its token read from the environment, its templates rendered.
pub struct Prepared {
    pub config: MonitorConfig,
    token: Option<String>,
    secrets: Secrets,
    first_release: Option<String>,
}

/// The verdict of one monitor over the window.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub monitor: String,
    pub verdict: Verdict,
}

/// Reads each monitor's token and renders its `first_release` for `release`.
pub fn prepare(monitors: &[MonitorConfig], release: &Release) -> Result<Vec<Prepared>> {
    monitors
        .iter()
        .map(|m| {
            let (token, secrets) = match &m.token {
                None => (None, Secrets::default()),
                Some(template) => {
                    let mut value = crate::hooks::expand_env_syntax(template);
                    for name in env_names(&[template]) {
                        let secret = std::env::var(&name).map_err(|_| {
                            Failure::new(format!(
                                "monitor `{}` needs the environment variable {name}, which is not set",
                                m.name
                            ))
                            .hint(format!("export {name}=… (the token) and run the command again"))
                        })?;
                        // A short value garbles every text it is masked in, and gives it away.
                        if secret.chars().count() < 6 {
                            return Err(Failure::new(format!(
                                "monitor `{}`: the environment variable {name} holds fewer than 6 characters; a secret needs at least 6",
                                m.name
                            ))
                            .hint(format!("give {name} the real token"))
                            .into());
                        }
                        value = value.replace(&format!("{{{{ env.{name} }}}}"), &secret);
                    }
                    (Some(value), Secrets::from_env(&[template]))
                }
            };
            let first_release = match &m.first_release {
                None => None,
                Some(template) => {
                    let env = minijinja::Environment::new();
                    let context = minijinja::context! { release => minijinja::context! {
                        name => release.name.clone(),
                        target => release.target.clone(),
                        tag => release.tag.clone(),
                    }};
                    Some(env.render_str(template, context).map_err(|e| {
                        Failure::new(format!("monitor `{}`, first_release: {e}", m.name))
                            .hint("fix it in .release/config.toml")
                    })?)
                }
            };
            Ok(Prepared {
                config: m.clone(),
                token,
                secrets,
                first_release,
            })
        })
        .collect()
}

/// The window the watch judges: from the deployment, for `length`.
#[derive(Clone, Copy)]
pub struct Window {
    pub deployed: DateTime<Utc>,
    pub length: Duration,
    pub interval: Duration,
}

impl Window {
    fn baseline(&self) -> (f64, f64) {
        let end = self.deployed.timestamp_millis() as f64 / 1000.0;
        (end - self.length.as_secs_f64().max(1.0), end)
    }
}

/// The request each monitor's poll sends, as it may be shown (no token).
pub fn describe(p: &Prepared, window: &Window) -> Vec<String> {
    let m = &p.config;
    let now = Utc::now();
    match m.kind {
        MonitorKind::Sentry => vec![sentry_url(p, window)],
        MonitorKind::Prometheus => {
            let query = m.query.as_deref().unwrap_or_default();
            let mut urls = vec![prometheus::query_url(&m.url, query)];
            if m.max_increase.is_some() {
                let (start, end) = window.baseline();
                urls.push(prometheus::range_url(
                    &m.url,
                    query,
                    start,
                    end,
                    step(window),
                ));
            }
            urls
        }
        MonitorKind::Graphite => {
            let target = m.target.as_deref().unwrap_or_default();
            let mut urls = vec![graphite::render_url(
                &m.url,
                target,
                window.deployed.timestamp(),
                now.timestamp().max(window.deployed.timestamp() + 1),
            )];
            if m.max_increase.is_some() {
                let (start, end) = window.baseline();
                urls.push(graphite::render_url(
                    &m.url,
                    target,
                    start as i64,
                    end as i64,
                ));
            }
            urls
        }
    }
}

fn step(window: &Window) -> f64 {
    (window.length.as_secs_f64() / 100.0).max(1.0)
}

fn sentry_url(p: &Prepared, window: &Window) -> String {
    let m = &p.config;
    let since = window
        .deployed
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let query = sentry::search(p.first_release.as_deref(), &since, m.level.as_deref());
    sentry::issues_url(
        &m.url,
        m.org.as_deref().unwrap_or_default(),
        m.project.as_deref().unwrap_or_default(),
        &query,
    )
}

/// What one monitor has seen so far.
struct Progress {
    last: Option<Verdict>,
    error: Option<String>,
    baseline: Option<Option<f64>>,
    failed: bool,
}

/// Polls every monitor every `interval` for the window's length (at least once), with a
/// progress line on stderr, and returns each verdict.
pub fn run(prepared: &[Prepared], window: &Window) -> Result<Vec<Outcome>> {
    let http = Http::new(Duration::from_secs(30))?;
    let started = Instant::now();
    let progress = if crate::output::quiet() {
        indicatif::ProgressBar::hidden()
    } else {
        indicatif::ProgressBar::new_spinner()
    };
    progress.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .expect("a valid progress template"),
    );
    progress.enable_steady_tick(Duration::from_millis(120));
    let mut seen: Vec<Progress> = prepared
        .iter()
        .map(|_| Progress {
            last: None,
            error: None,
            baseline: None,
            failed: false,
        })
        .collect();
    loop {
        for (p, state) in prepared.iter().zip(seen.iter_mut()) {
            if state.failed {
                continue;
            }
            match poll(&http, p, window, state) {
                Ok(verdict) => {
                    state.failed = !verdict.passed;
                    state.last = Some(verdict);
                    state.error = None;
                }
                Err(e) => state.error = Some(e),
            }
        }
        let elapsed = started.elapsed();
        let line: Vec<String> = prepared
            .iter()
            .zip(&seen)
            .map(|(p, s)| {
                let what = match (&s.last, &s.error) {
                    (_, Some(e)) => format!("no answer ({e})"),
                    (Some(v), None) if !v.passed => format!("FAILED {}", v.detail),
                    (Some(v), None) => v.detail.clone(),
                    (None, None) => "…".to_owned(),
                };
                format!("{}: {what}", p.config.name)
            })
            .collect();
        progress.set_message(format!(
            "watching {:.0}s of {:.0}s — {}",
            elapsed.as_secs_f64(),
            window.length.as_secs_f64(),
            line.join("; ")
        ));
        if elapsed >= window.length || seen.iter().all(|s| s.failed) {
            break;
        }
        std::thread::sleep(window.interval.min(window.length.saturating_sub(elapsed)));
    }
    progress.finish_and_clear();
    Ok(prepared
        .iter()
        .zip(seen)
        .map(|(p, s)| Outcome {
            monitor: p.config.name.clone(),
            verdict: match (s.last, s.error) {
                (Some(v), _) if !v.passed => v,
                (Some(v), None) => v,
                (Some(v), Some(e)) => Verdict {
                    passed: v.passed,
                    detail: format!("{} (the last poll had no answer: {e})", v.detail),
                },
                (None, e) => Verdict {
                    passed: false,
                    detail: format!(
                        "no answer in the whole window: {}",
                        e.unwrap_or_else(|| "never polled".into())
                    ),
                },
            },
        })
        .collect())
}

fn poll(
    http: &Http,
    p: &Prepared,
    window: &Window,
    state: &mut Progress,
) -> Result<Verdict, String> {
    let m = &p.config;
    let token = p.token.as_deref();
    match m.kind {
        MonitorKind::Sentry => {
            let found = sentry::issues(http, &sentry_url(p, window), token, &p.secrets)?;
            let lines: Vec<String> = found.iter().map(sentry::Issue::line).collect();
            Ok(judge_new_issues(m.max_new.unwrap_or(0), &lines))
        }
        MonitorKind::Prometheus => {
            let query = m.query.as_deref().unwrap_or_default();
            let baseline = match (m.max_increase, state.baseline) {
                (None, _) => None,
                (Some(_), Some(b)) => b,
                (Some(_), None) => {
                    let (start, end) = window.baseline();
                    let url = prometheus::range_url(&m.url, query, start, end, step(window));
                    let b = prometheus::mean(http, &url, token, &p.secrets)?;
                    state.baseline = Some(b);
                    b
                }
            };
            let value = prometheus::instant(
                http,
                &prometheus::query_url(&m.url, query),
                token,
                &p.secrets,
            )?;
            Ok(m.rule().judge(&m.name, Reading { value, baseline }))
        }
        MonitorKind::Graphite => {
            let target = m.target.as_deref().unwrap_or_default();
            let baseline = match (m.max_increase, state.baseline) {
                (None, _) => None,
                (Some(_), Some(b)) => b,
                (Some(_), None) => {
                    let (start, end) = window.baseline();
                    let url = graphite::render_url(&m.url, target, start as i64, end as i64);
                    let points = graphite::datapoints(http, &url, token, &p.secrets)?;
                    let b = (!points.is_empty())
                        .then(|| points.iter().sum::<f64>() / points.len() as f64);
                    state.baseline = Some(b);
                    b
                }
            };
            let from = window.deployed.timestamp();
            let until = Utc::now().timestamp().max(from + 1);
            let url = graphite::render_url(&m.url, target, from, until);
            let points = graphite::datapoints(http, &url, token, &p.secrets)?;
            let value = points.into_iter().reduce(f64::max);
            Ok(m.rule().judge(&m.name, Reading { value, baseline }))
        }
    }
}
