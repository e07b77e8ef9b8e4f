//! Judging a monitor's reading: thresholds (`below`, `above`), growth over the baseline window
//! before the deployment (`max_increase`), and new issues (`max_new`). Pure: the readings
//! come from `crate::watch`.

/// The rule of a metric monitor (Prometheus, Graphite); every rule set must hold.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rule {
    pub below: Option<f64>,
    pub above: Option<f64>,
    /// At most this many times the baseline.
    pub max_increase: Option<f64>,
}

/// What a poll of a metric read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Reading {
    /// The value now (the worst series); `None` when the query returned no data.
    pub value: Option<f64>,
    /// The value over the window before the deployment; only read for `max_increase`.
    pub baseline: Option<f64>,
}

/// A verdict and its evidence, one line.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub passed: bool,
    pub detail: String,
}

/// A number as people read it: no trailing zeros, at most 4 decimals.
pub fn number(value: f64) -> String {
    let text = format!("{value:.4}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

impl Rule {
    pub fn is_empty(&self) -> bool {
        self.below.is_none() && self.above.is_none() && self.max_increase.is_none()
    }

    /// Judges one reading. No data holds for `below` and `max_increase` (nothing is
    /// happening) and fails `above` (something should be).
    pub fn judge(&self, what: &str, reading: Reading) -> Verdict {
        let baseline = reading
            .baseline
            .map(|b| format!(" (baseline {})", number(b)))
            .unwrap_or_default();
        let Some(value) = reading.value else {
            return match self.above {
                Some(above) => Verdict {
                    passed: false,
                    detail: format!("{what}: no data, expected above {}", number(above)),
                },
                None => Verdict {
                    passed: true,
                    detail: format!("{what}: no data{baseline}"),
                },
            };
        };
        let shown = number(value);
        if let Some(below) = self.below
            && value.partial_cmp(&below) != Some(std::cmp::Ordering::Less)
        {
            return Verdict {
                passed: false,
                detail: format!("{what} {shown} >= {}{baseline}", number(below)),
            };
        }
        if let Some(above) = self.above
            && value.partial_cmp(&above) != Some(std::cmp::Ordering::Greater)
        {
            return Verdict {
                passed: false,
                detail: format!("{what} {shown} <= {}{baseline}", number(above)),
            };
        }
        if let Some(factor) = self.max_increase {
            // No data before the deployment is a baseline of zero.
            let base = reading.baseline.unwrap_or(0.0);
            let limit = base * factor;
            if value.partial_cmp(&limit) != Some(std::cmp::Ordering::Less) && value != limit {
                return Verdict {
                    passed: false,
                    detail: format!(
                        "{what} {shown} > {} ({}x the baseline {})",
                        number(limit),
                        number(factor),
                        number(base)
                    ),
                };
            }
        }
        let mut bounds = Vec::new();
        if let Some(below) = self.below {
            bounds.push(format!("< {}", number(below)));
        }
        if let Some(above) = self.above {
            bounds.push(format!("> {}", number(above)));
        }
        if let Some(factor) = self.max_increase {
            let base = reading.baseline.unwrap_or(0.0);
            bounds.push(format!("<= {}", number(base * factor)));
        }
        Verdict {
            passed: true,
            detail: format!("{what} {shown} {}{baseline}", bounds.join(", ")),
        }
    }
}

/// Judges the new issues a Sentry monitor found against `max_new`.
pub fn judge_new_issues(max_new: u64, found: &[String]) -> Verdict {
    let count = found.len() as u64;
    let listed = if found.is_empty() {
        String::new()
    } else {
        let shown: Vec<&str> = found.iter().take(5).map(String::as_str).collect();
        let more = if found.len() > shown.len() {
            format!(" and {} more", found.len() - shown.len())
        } else {
            String::new()
        };
        format!(": {}{more}", shown.join("; "))
    };
    Verdict {
        passed: count <= max_new,
        detail: {
            let issues = crate::output::count(count, "new issue", "new issues");
            if count <= max_new {
                format!("{issues}, at most {max_new}{listed}")
            } else {
                format!("{issues} > {max_new}{listed}")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(value: Option<f64>, baseline: Option<f64>) -> Reading {
        Reading { value, baseline }
    }

    #[test]
    fn thresholds() {
        let rule = Rule {
            below: Some(0.5),
            ..Rule::default()
        };
        assert!(rule.judge("5xx", read(Some(0.4), None)).passed);
        let v = rule.judge("5xx", read(Some(0.5), None));
        assert!(!v.passed);
        assert_eq!(v.detail, "5xx 0.5 >= 0.5");
        assert!(rule.judge("5xx", read(None, None)).passed);
        let above = Rule {
            above: Some(10.0),
            ..Rule::default()
        };
        assert!(!above.judge("rps", read(None, None)).passed);
        assert!(above.judge("rps", read(Some(11.0), None)).passed);
        assert!(!above.judge("rps", read(Some(f64::NAN), None)).passed);
    }

    #[test]
    fn increase_over_the_baseline() {
        let rule = Rule {
            max_increase: Some(2.0),
            ..Rule::default()
        };
        let held = rule.judge("5xx", read(Some(3.0), Some(1.5)));
        assert!(held.passed, "{held:?}");
        let v = rule.judge("5xx", read(Some(3.5), Some(1.5)));
        assert!(!v.passed);
        assert_eq!(v.detail, "5xx 3.5 > 3 (2x the baseline 1.5)");
        assert!(!rule.judge("5xx", read(Some(0.1), None)).passed);
    }

    #[test]
    fn new_issues() {
        assert!(judge_new_issues(0, &[]).passed);
        let v = judge_new_issues(0, &["SHOP-1 boom".into()]);
        assert!(!v.passed);
        assert_eq!(v.detail, "1 new issue > 0: SHOP-1 boom");
    }

    #[test]
    fn numbers() {
        assert_eq!(number(0.4), "0.4");
        assert_eq!(number(2.0), "2");
        assert_eq!(number(1.0 / 3.0), "0.3333");
    }
}
