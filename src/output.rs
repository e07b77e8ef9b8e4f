//! How human output looks: `--quiet` silences progress on stderr; colours only on a terminal
//! and never with NO_COLOR; times also say how long ago they were; control characters from
//! the repository or a remote are shown escaped, never sent to the terminal.

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
    let mut escaped = Vec::with_capacity(line.len());
    let mut state = EscapeState::default();
    state.escape(line.as_bytes(), &mut escaped);
    state.finish(&mut escaped);
    let _ = std::io::stderr().write_all(&escaped);
}

/// The colour codes `paint` asks for: red, green, and back to normal.
const COLOURS: [&[u8]; 3] = [b"\x1b[31m", b"\x1b[32m", b"\x1b[0m"];

/// What `paint` writes in place of a colour code: a noncharacter, this process's random
/// number and the colour's index. Only the escaper turns it into the code, so text from a
/// repository or a service, which cannot know the number, never gets a colour code through:
/// every escape character in it is shown escaped.
fn colour_mark() -> &'static [u8] {
    static MARK: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    MARK.get_or_init(|| {
        let nonce = getrandom::u64().expect("the operating system's random number source failed");
        format!("\u{fdd0}{nonce:016x}").into_bytes()
    })
}

/// The mark `paint` writes for colour `index` of [`COLOURS`].
fn mark(index: usize) -> String {
    format!("{}{index}", String::from_utf8_lossy(colour_mark()))
}

/// Escapes control characters as git quotes unusual paths (`\033`, `\a`, `\r`), keeping
/// line feeds, tabs, a carriage return right before a line feed (mails end lines so), and
/// turning `paint`'s marks into colours. DEL and the C1 controls (U+0080 to U+009F, which some terminals obey
/// like ESC sequences) become `\u007f` … `\u009f`, which JSON reads as the same characters
/// (serde writes the others as `\u` escapes already), so `--json` stays exact. Text may
/// arrive in pieces: a piece may end inside what needs the next one to decide.
#[derive(Default)]
struct EscapeState {
    held: Vec<u8>,
}

impl EscapeState {
    fn escape(&mut self, input: &[u8], out: &mut Vec<u8>) {
        let mut bytes = std::mem::take(&mut self.held);
        bytes.extend_from_slice(input);
        let mut i = 0;
        while i < bytes.len() {
            let rest = &bytes[i..];
            let b = rest[0];
            let undecided = match b {
                b'\r' | 0xc2 => rest.len() == 1,
                0xef => rest.len() <= colour_mark().len() && colour_mark().starts_with(rest),
                _ => false,
            };
            if undecided {
                self.held = rest.to_vec();
                return;
            }
            if let Some(after) = rest.strip_prefix(colour_mark())
                && let Some(colour) = after
                    .first()
                    .and_then(|d| COLOURS.get(usize::from(d.wrapping_sub(b'0'))))
            {
                out.extend_from_slice(colour);
                i += colour_mark().len() + 1;
                continue;
            }
            match b {
                b'\n' | b'\t' => out.push(b),
                b'\r' if rest.get(1) == Some(&b'\n') => out.push(b),
                b'\r' => out.extend_from_slice(b"\\r"),
                0x07 => out.extend_from_slice(b"\\a"),
                0x00..=0x1f => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
                0x7f => out.extend_from_slice(b"\\u007f"),
                0xc2 if (0x80..=0x9f).contains(&rest[1]) => {
                    out.extend_from_slice(format!("\\u{:04x}", rest[1]).as_bytes());
                    i += 1;
                }
                _ => out.push(b),
            }
            i += 1;
        }
    }

    /// What was held back, at the end: decided as the end of the text.
    fn finish(&mut self, out: &mut Vec<u8>) {
        let held = std::mem::take(&mut self.held);
        for (i, &b) in held.iter().enumerate() {
            match b {
                b'\r' => out.extend_from_slice(b"\\r"),
                0x00..=0x1f => out.extend_from_slice(format!("\\{b:03o}").as_bytes()),
                _ => out.extend_from_slice(&held[i..=i]),
            }
        }
    }
}

/// Standard output for human eyes: control characters escaped (see `EscapeState`). JSON
/// passes unchanged, since serde writes control characters as `\u` escapes already.
pub struct Escaped<W: std::io::Write> {
    inner: W,
    state: EscapeState,
    buffer: Vec<u8>,
}

impl<W: std::io::Write> Escaped<W> {
    pub fn new(inner: W) -> Escaped<W> {
        Escaped {
            inner,
            state: EscapeState::default(),
            buffer: Vec::new(),
        }
    }
}

impl<W: std::io::Write> std::io::Write for Escaped<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.clear();
        self.state.escape(buf, &mut self.buffer);
        self.inner.write_all(&self.buffer)?;
        Ok(buf.len())
    }

    /// Flushes what was escaped; bytes held to decide (a `\r` before a possible `\n`) stay
    /// until more comes or `finish`.
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: std::io::Write> Escaped<W> {
    /// Writes what was held back, decided as the end of the output, and flushes.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.buffer.clear();
        self.state.finish(&mut self.buffer);
        self.inner.write_all(&self.buffer)?;
        self.inner.flush()
    }
}

#[derive(Clone, Copy)]
pub enum Tone {
    Good,
    Bad,
}

/// `1 comment`, `2 comments`, `0 comments`: a count of any unsigned integer type.
pub fn count<N: Copy + std::fmt::Display + PartialEq + From<u8>>(
    n: N,
    one: &str,
    many: &str,
) -> String {
    format!("{n} {}", if n == N::from(1) { one } else { many })
}

/// `text` in colour when stdout is a terminal and NO_COLOR is not set.
pub fn paint(text: &str, tone: Tone) -> String {
    let on = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        && std::io::stdout().is_terminal();
    if !on {
        return text.to_owned();
    }
    painted(text, tone)
}

/// `text` marked for colour, whatever the terminal: the escaper makes the marks codes.
fn painted(text: &str, tone: Tone) -> String {
    let code = match tone {
        Tone::Good => 1,
        Tone::Bad => 0,
    };
    format!("{}{text}{}", mark(code), mark(2))
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

    fn escaped(pieces: &[&[u8]]) -> String {
        let mut out = Vec::new();
        let mut state = EscapeState::default();
        for piece in pieces {
            state.escape(piece, &mut out);
        }
        state.finish(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn control_characters_are_shown_not_obeyed() {
        assert_eq!(
            escaped(&[b"a\x1b]0;pwned\x07b\x1b[2Jc\rd\x7f"]),
            "a\\033]0;pwned\\ab\\033[2Jc\\rd\\u007f"
        );
        assert_eq!(escaped(&["\u{9b}31m é".as_bytes()]), "\\u009b31m é");
        assert_eq!(escaped(&[b"line\r\n\tnext\n"]), "line\r\n\tnext\n");
        // A colour code in the text is shown, not obeyed: only `paint`'s marks become codes.
        assert_eq!(escaped(&[b"\x1b[31mred\x1b[0m"]), "\\033[31mred\\033[0m");
        assert_eq!(
            escaped(&[painted("red", Tone::Bad).as_bytes()]),
            "\x1b[31mred\x1b[0m"
        );
        // A mark with another number is text.
        assert_eq!(
            escaped(&["\u{fdd0}0000000000000000".as_bytes()]),
            "\u{fdd0}0000000000000000"
        );
        // Split anywhere, the same.
        let text = format!("x\r\ny{}z\x1b[0m\u{85}\r", painted("g", Tone::Good));
        let text = text.as_bytes();
        let whole = escaped(&[text]);
        for cut in 0..=text.len() {
            assert_eq!(
                escaped(&[&text[..cut], &text[cut..]]),
                whole,
                "cut at {cut}"
            );
        }
        assert_eq!(whole, "x\r\ny\x1b[32mg\x1b[0mz\\033[0m\\u0085\\r");
    }

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
