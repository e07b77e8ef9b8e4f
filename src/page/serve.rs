//! `page --serve`: the site over HTTP on 127.0.0.1, one request at a time, rendered again
//! whenever the refs it was rendered from have moved.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

use anyhow::Result;

use super::Files;

/// The longest request head read; anything longer is refused.
const HEAD_LIMIT: usize = 16 * 1024;

/// What the server needs from the repository.
pub trait Source {
    /// Something that changes whenever the site would.
    fn fingerprint(&mut self) -> Result<String>;
    fn render(&mut self) -> Result<Files>;
}

/// Serves `source` on `listener` until the process is stopped (or `max_requests` answered).
pub fn run(
    listener: &TcpListener,
    source: &mut dyn Source,
    read_timeout: Duration,
    max_requests: Option<u64>,
) -> Result<()> {
    let mut seen = source.fingerprint()?;
    let mut site = source.render();
    let mut answered = 0;
    for stream in listener.incoming() {
        let Ok(mut stream) = stream else { continue };
        stream.set_read_timeout(Some(read_timeout))?;
        let Some((method, path)) = read_request(&mut stream) else {
            let _ = respond(
                &mut stream,
                "400 Bad Request",
                "text/plain",
                b"bad request\n",
                true,
            );
            continue;
        };
        // A repository caught mid-change is rendered again at the next request.
        let now = source
            .fingerprint()
            .unwrap_or_else(|e| format!("unreadable: {e:#}"));
        if now != seen {
            crate::say!("The refs moved; rendering the site again.");
            site = source.render();
            seen = now;
        }
        let head_only = method == "HEAD";
        let result = if method != "GET" && !head_only {
            respond(
                &mut stream,
                "405 Method Not Allowed",
                "text/plain",
                b"GET or HEAD only\n",
                head_only,
            )
        } else {
            match &site {
                Err(e) => {
                    let text = format!("the site could not be rendered: {e:#}\n");
                    respond(
                        &mut stream,
                        "500 Internal Server Error",
                        "text/plain; charset=utf-8",
                        text.as_bytes(),
                        head_only,
                    )
                }
                Ok(files) => match lookup(files, &path) {
                    Some((file, bytes)) => {
                        respond(&mut stream, "200 OK", content_type(file), bytes, head_only)
                    }
                    None => respond(
                        &mut stream,
                        "404 Not Found",
                        "text/plain",
                        b"not found\n",
                        head_only,
                    ),
                },
            }
        };
        // A client that went away is its own business.
        let _ = result;
        answered += 1;
        if max_requests.is_some_and(|m| answered >= m) {
            break;
        }
    }
    Ok(())
}

/// The method and path of a request, its head read up to the blank line.
fn read_request(stream: &mut TcpStream) -> Option<(String, String)> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut first = String::new();
    reader.read_line(&mut first).ok()?;
    let mut total = first.len();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).ok()?;
        total += n;
        if n == 0 || total > HEAD_LIMIT {
            return None;
        }
        if line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = first.split_whitespace();
    let method = parts.next()?.to_owned();
    let target = parts.next()?.to_owned();
    Some((method, target))
}

/// The file a request path names: `/` is `index.html`; the query is ignored.
fn lookup<'f>(files: &'f Files, target: &str) -> Option<(&'f str, &'f [u8])> {
    let path = target.split(['?', '#']).next()?;
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut path = decoded.trim_start_matches('/').to_owned();
    if path.is_empty() || path.ends_with('/') {
        path.push_str("index.html");
    }
    files
        .get_key_value(&path)
        .map(|(k, v)| (k.as_str(), v.as_slice()))
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("ics") => "text/calendar; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    head_only: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nCache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    stream.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_files_of_the_site() {
        let mut files = Files::new();
        files.insert("index.html".into(), b"i".to_vec());
        files.insert("releases/2026-11-20.html".into(), b"r".to_vec());
        assert_eq!(lookup(&files, "/").unwrap().0, "index.html");
        assert_eq!(lookup(&files, "/?x=1").unwrap().0, "index.html");
        assert_eq!(
            lookup(&files, "/releases/2026%2D11-20.html").unwrap().0,
            "releases/2026-11-20.html"
        );
        assert!(lookup(&files, "/../etc/passwd").is_none());
        assert!(lookup(&files, "/nothing").is_none());
    }
}
