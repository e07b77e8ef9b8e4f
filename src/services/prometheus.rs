//! Prometheus' HTTP API: an instant query (`GET /api/v1/query`) for the value now, and a range
//! query (`GET /api/v1/query_range`) for the baseline before a deployment. Answers are
//! `{"status":"success","data":{"resultType":…,"result":…}}`, values strings.

use crate::hooks::{Http, Secrets, excerpt, url_value};

pub fn query_url(base: &str, query: &str) -> String {
    format!(
        "{}/api/v1/query?query={}",
        base.trim_end_matches('/'),
        url_value(query)
    )
}

/// `start` and `end` in Unix seconds; `step` in seconds.
pub fn range_url(base: &str, query: &str, start: f64, end: f64, step: f64) -> String {
    format!(
        "{}/api/v1/query_range?query={}&start={start:.3}&end={end:.3}&step={step:.3}",
        base.trim_end_matches('/'),
        url_value(query)
    )
}

/// The worst (highest) value of the series the instant query returns; `None` for none.
pub fn instant(
    http: &Http,
    url: &str,
    token: Option<&str>,
    secrets: &Secrets,
) -> Result<Option<f64>, String> {
    let values = fetch(http, url, token, secrets)?;
    Ok(values.into_iter().reduce(f64::max))
}

/// The mean of every sample of the range query; `None` when there were none.
pub fn mean(
    http: &Http,
    url: &str,
    token: Option<&str>,
    secrets: &Secrets,
) -> Result<Option<f64>, String> {
    let values = fetch(http, url, token, secrets)?;
    Ok((!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64))
}

fn fetch(
    http: &Http,
    url: &str,
    token: Option<&str>,
    secrets: &Secrets,
) -> Result<Vec<f64>, String> {
    let response = super::get_json(http, url, token, secrets)?;
    read(&response.body).map_err(|e| {
        secrets.redact(&format!(
            "Prometheus answered HTTP {}: {e}",
            response.status
        ))
    })
}

/// The sample values of an answer, whatever its result type.
pub fn read(body: &str) -> Result<Vec<f64>, String> {
    let value: serde_json::Value =
        serde_json::from_str(body).map_err(|_| format!("not JSON: {}", excerpt(body, 80)))?;
    if value.get("status").and_then(|s| s.as_str()) != Some("success") {
        let kind = value
            .get("errorType")
            .and_then(|s| s.as_str())
            .unwrap_or("error");
        let why = value
            .get("error")
            .and_then(|s| s.as_str())
            .unwrap_or_default();
        return Err(format!("{}: {}", excerpt(kind, 40), excerpt(why, 120)));
    }
    let data = value.get("data").ok_or("no `data` in the answer")?;
    let result = data.get("result").ok_or("no `data.result` in the answer")?;
    let sample =
        |pair: &serde_json::Value| -> Option<f64> { pair.get(1)?.as_str()?.parse::<f64>().ok() };
    let mut values = Vec::new();
    match data.get("resultType").and_then(|t| t.as_str()) {
        Some("vector") => {
            for series in result.as_array().into_iter().flatten() {
                values.extend(series.get("value").and_then(sample));
            }
        }
        Some("matrix") => {
            for series in result.as_array().into_iter().flatten() {
                for pair in series
                    .get("values")
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                {
                    values.extend(sample(pair));
                }
            }
        }
        Some("scalar") => values.extend(sample(result)),
        other => return Err(format!("a result of type {other:?} has no numbers")),
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vectors_matrices_and_errors() {
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1435781451.781,"0.4"]},{"metric":{},"value":[1435781451.781,"1"]}]}}"#;
        assert_eq!(read(vector).unwrap(), vec![0.4, 1.0]);
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1"],[2,"3"]]}]}}"#;
        assert_eq!(read(matrix).unwrap(), vec![1.0, 3.0]);
        let error = r#"{"status":"error","errorType":"bad_data","error":"parse error"}"#;
        assert_eq!(read(error).unwrap_err(), "bad_data: parse error");
        assert_eq!(
            query_url("http://p/", "sum(x{a=\"b\"})"),
            "http://p/api/v1/query?query=sum%28x%7Ba%3D%22b%22%7D%29"
        );
    }
}
