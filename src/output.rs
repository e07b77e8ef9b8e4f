//! How human output looks: `--quiet` silences progress on stderr; colours only on a terminal
//! and never with NO_COLOR; times also say how long ago they were.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};

static QUIET: AtomicBool = AtomicBool::new(false);

pub fn set_quiet() {
    QUIET.store(true, Ordering::Relaxed);
}

pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Progress and confirmations on stderr, unless `--quiet`. Warnings use `warn!`.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {
        if !$crate::output::quiet() {
            $crate::output::say_line(format!($($arg)*));
        }
    };
}

/// Warnings and hints on stderr, whatever `--quiet` says; in one write, as `say!`.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => {
        $crate::output::say_line(format!($($arg)*))
    };
}

/// Writes `line` and a newline to stderr in one write: stderr is unbuffered, and `eprintln!`
/// writes each piece of its format on its own, which interleaves with other processes writing
/// to the same terminal or log (a CI job running several commands at once). A stderr that is
/// closed is not an error worth stopping for.
pub fn say_line(mut line: String) {
    use std::io::Write;
    line.push('\n');
    let _ = std::io::stderr().write_all(line.as_bytes());
}

#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
}

/// `text` in colour when stdout is a terminal and NO_COLOR is not set.
pub fn paint(text: &str, tone: Tone) -> String {
    let on = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    if !on {
        return text.to_owned();
    }
    let code = match tone {
        Tone::Good => "32",
        Tone::Bad => "31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `2026-11-21 22:14 UTC (2 hours ago)`.
pub fn when(time: DateTime<Utc>) -> String {
    format!(
        "{} ({})",
        time.format("%Y-%m-%d %H:%M UTC"),
        ago(time, Utc::now())
    )
}

/// `just now`, `5 minutes ago`, `3 days ago`, `in 2 hours`.
pub fn ago(time: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - time).num_seconds();
    let (n, future) = (seconds.unsigned_abs(), seconds < 0);
    let (count, unit) = match n {
        0..=59 => return "just now".into(),
        60..=3599 => (n / 60, "minute"),
        3600..=86_399 => (n / 3600, "hour"),
        86_400..=2_591_999 => (n / 86_400, "day"),
        2_592_000..=31_535_999 => (n / 2_592_000, "month"),
        _ => (n / 31_536_000, "year"),
    };
    let plural = if count == 1 { "" } else { "s" };
    if future {
        format!("in {count} {unit}{plural}")
    } else {
        format!("{count} {unit}{plural} ago")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_times() {
        let now = DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .unwrap()
            .to_utc();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        assert_eq!(ago(at("2026-11-21T11:59:30Z"), now), "just now");
        assert_eq!(ago(at("2026-11-21T11:55:00Z"), now), "5 minutes ago");
        assert_eq!(ago(at("2026-11-21T10:00:00Z"), now), "2 hours ago");
        assert_eq!(ago(at("2026-11-20T12:00:00Z"), now), "1 day ago");
        assert_eq!(ago(at("2026-11-23T12:00:00Z"), now), "in 2 days");
        assert_eq!(ago(at("2025-11-21T12:00:00Z"), now), "1 year ago");
    }
}
