//! Graphite's render API as JSON: `GET /render?target=…&format=json&from=…&until=…` answers
//! a list of `{"target": …, "datapoints": [[value or null, timestamp], …]}`.

use crate::hooks::{Http, Secrets, excerpt, url_value};

/// `from` and `until` in Unix seconds, which the render API takes as absolute times.
pub fn render_url(base: &str, target: &str, from: i64, until: i64) -> String {
    format!(
        "{}/render?target={}&format=json&from={from}&until={until}",
        base.trim_end_matches('/'),
        url_value(target)
    )
}

/// Every non-null datapoint of every series.
pub fn datapoints(
    http: &Http,
    url: &str,
    token: Option<&str>,
    secrets: &Secrets,
) -> Result<Vec<f64>, String> {
    let response = super::get_json(http, url, token, secrets)?;
    if !(200..300).contains(&response.status) {
        return Err(secrets.redact(&format!(
            "Graphite answered HTTP {}: {}",
            response.status,
            excerpt(&response.body, 120)
        )));
    }
    read(&response.body).map_err(|e| secrets.redact(&e))
}

pub fn read(body: &str) -> Result<Vec<f64>, String> {
    let value: serde_json::Value = serde_json::from_str(body)
        .map_err(|_| format!("Graphite's answer is not JSON: {}", excerpt(body, 80)))?;
    let series = value.as_array().ok_or_else(|| {
        format!(
            "Graphite's answer is not a list of series: {}",
            excerpt(body, 80)
        )
    })?;
    Ok(series
        .iter()
        .filter_map(|s| s.get("datapoints")?.as_array())
        .flatten()
        .filter_map(|point| point.get(0)?.as_f64())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nulls_are_no_data() {
        let body = r#"[{"target":"a","datapoints":[[null,1],[2.5,2],[1,3]]},{"target":"b","datapoints":[[null,1]]}]"#;
        assert_eq!(read(body).unwrap(), vec![2.5, 1.0]);
        assert_eq!(
            render_url("http://g", "sumSeries(a.*)", 10, 20),
            "http://g/render?target=sumSeries%28a.%2A%29&format=json&from=10&until=20"
        );
    }
}
