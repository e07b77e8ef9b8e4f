//! Sentry's REST API: a project's issues (`GET /api/0/projects/{org}/{project}/issues/`),
//! filtered by a search query and paged by the `Link` header's `rel="next"; results="true"`.

use crate::hooks::{Http, Secrets, excerpt, url_value};

/// How many pages of 100 issues are read at most.
const MAX_PAGES: usize = 10;

/// One issue as Sentry lists it, reduced to what the evidence shows.
#[derive(Clone, Debug, PartialEq)]
pub struct Issue {
    pub short_id: String,
    pub title: String,
    pub level: String,
    pub permalink: Option<String>,
}

impl Issue {
    /// `SHOP-1 (error) TypeError: x`, short and on one line, without control characters
    /// (what Sentry answers is anyone's text; it is recorded and shown).
    pub fn line(&self) -> String {
        let clean = |text: &str, limit| {
            let text: String = text
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .collect();
            excerpt(&text, limit)
        };
        format!(
            "{} ({}) {}",
            clean(&self.short_id, 40),
            clean(&self.level, 10),
            clean(&self.title, 80)
        )
    }
}

/// The search query: issues first seen in `first_release`, else first seen since `since`
/// (RFC 3339), optionally of one level.
pub fn search(first_release: Option<&str>, since: &str, level: Option<&str>) -> String {
    let mut query = match first_release {
        Some(release) => format!("firstRelease:\"{}\"", release.replace('"', "")),
        None => format!("firstSeen:>={since}"),
    };
    if let Some(level) = level {
        query.push_str(&format!(" level:{}", level.replace([' ', '"'], "")));
    }
    query
}

/// The first page's URL. `statsPeriod` is empty: no timeline stats, which the verdict does
/// not use.
pub fn issues_url(base: &str, org: &str, project: &str, query: &str) -> String {
    format!(
        "{}/api/0/projects/{}/{}/issues/?query={}&statsPeriod=",
        base.trim_end_matches('/'),
        url_value(org),
        url_value(project),
        url_value(query)
    )
}

/// Every issue the query finds, following the pages Sentry offers on the same host.
pub fn issues(
    http: &Http,
    first: &str,
    token: Option<&str>,
    secrets: &Secrets,
) -> Result<Vec<Issue>, String> {
    let origin = reqwest::Url::parse(first)
        .map(|u| u.origin())
        .map_err(|e| format!("{first}: not a valid URL ({e})"))?;
    let mut url = first.to_owned();
    let mut found = Vec::new();
    // Pages read that named a next one.
    let mut pages = 0;
    for _ in 0..MAX_PAGES {
        let response = super::get_json(http, &url, token, secrets)?;
        if !(200..300).contains(&response.status) {
            let detail = serde_json::from_str::<serde_json::Value>(&response.body)
                .ok()
                .and_then(|v| v.get("detail").and_then(|d| d.as_str()).map(str::to_owned))
                .unwrap_or_else(|| response.body.clone());
            return Err(secrets.redact(&format!(
                "Sentry answered HTTP {}: {}",
                response.status,
                excerpt(&detail, 120)
            )));
        }
        found.extend(read_page(&response.body).map_err(|e| secrets.redact(&e))?);
        let Some(next) = response.header("link").and_then(next_page) else {
            break;
        };
        // The token goes only to the host it was configured for.
        match reqwest::Url::parse(&next) {
            Ok(n) if n.origin() == origin => url = next,
            _ => return Err("Sentry's next page is on another host; not followed".into()),
        }
        pages += 1;
    }
    if pages == MAX_PAGES {
        // A new issue may be on a page not read: the part read proves nothing.
        return Err(format!(
            "Sentry offers more than {MAX_PAGES} pages of issues; not judged on part of them"
        ));
    }
    Ok(found)
}

fn read_page(body: &str) -> Result<Vec<Issue>, String> {
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|_| format!("Sentry's answer is not JSON: {}", excerpt(body, 80)))?;
    let list = value.as_array().ok_or_else(|| {
        format!(
            "Sentry's answer is not a list of issues: {}",
            excerpt(body, 80)
        )
    })?;
    let text = |issue: &serde_json::Value, key: &str| {
        issue
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    Ok(list
        .iter()
        .map(|issue| Issue {
            short_id: text(issue, "shortId"),
            title: text(issue, "title"),
            level: text(issue, "level"),
            permalink: issue
                .get("permalink")
                .and_then(|v| v.as_str())
                .map(str::to_owned),
        })
        .collect())
}

/// The `rel="next"` URL of a `Link` header when it says `results="true"`.
pub fn next_page(link: &str) -> Option<String> {
    let pattern = regex::Regex::new(r"<([^>]*)>([^<]*)").expect("a valid pattern");
    pattern.captures_iter(link).find_map(|c| {
        let params = c.get(2).map_or("", |m| m.as_str());
        let has = |key: &str, value: &str| {
            params.split(';').any(|p| {
                p.trim()
                    .split_once('=')
                    .is_some_and(|(k, v)| k.trim() == key && v.trim().trim_matches('"') == value)
            })
        };
        (has("rel", "next") && has("results", "true")).then(|| c[1].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_next_only_when_it_has_results() {
        let link = r#"<https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;
        assert_eq!(
            next_page(link).as_deref(),
            Some("https://sentry.io/api/0/projects/a/b/issues/?&cursor=0:100:0")
        );
        assert_eq!(
            next_page(&link.replace(r#"results="true""#, r#"results="false""#)),
            None
        );
    }

    #[test]
    fn queries_and_urls() {
        assert_eq!(
            search(None, "2026-12-07T10:00:00Z", Some("error")),
            "firstSeen:>=2026-12-07T10:00:00Z level:error"
        );
        assert_eq!(
            search(Some("2026-12-07"), "x", None),
            "firstRelease:\"2026-12-07\""
        );
        assert_eq!(
            issues_url("https://sentry.io/", "acme", "shop", "level:error"),
            "https://sentry.io/api/0/projects/acme/shop/issues/?query=level%3Aerror&statsPeriod="
        );
    }
}
