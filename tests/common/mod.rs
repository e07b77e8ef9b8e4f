//! A real temporary repository with a pinned identity, and the real `git-release` binary run
//! inside it. The real `git` binary is the independent witness.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

#[allow(dead_code)] // not every test module needs Python
pub mod python;

pub struct TestEnv {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub repo: PathBuf,
    /// Commits made by `commit` get distinct, increasing, fixed dates, so their ids and
    /// `git log` order are the same on every run.
    clock: std::sync::atomic::AtomicI64,
}

/// The variables every git and git-release run gets: no user or system config, a fixed
/// identity, and nothing from the developer's environment that could point elsewhere.
fn pin(cmd: &mut Command, home: &Path) {
    for var in [
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_INDEX_FILE",
        "GIT_OBJECT_DIRECTORY",
        "GIT_NOTES_REF",
        "NO_COLOR",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Ada Lovelace")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Lovelace")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("TZ", "UTC")
        .env("NO_PROXY", "127.0.0.1,localhost")
        // A lock nobody releases is reported after 0.5 s, not 5 s.
        .env("GIT_RELEASE_STALE_LOCK_MS", "500");
}

impl TestEnv {
    /// An empty repository on branch `main`.
    pub fn empty() -> TestEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_path_buf();
        let repo = root.join("repo");
        std::fs::create_dir(&repo).unwrap();
        let env = TestEnv {
            _dir: dir,
            root,
            repo,
            clock: std::sync::atomic::AtomicI64::new(1_795_000_000),
        };
        env.git(&["init", "-q", "-b", "main"]);
        env
    }

    /// A repository with one commit.
    pub fn new() -> TestEnv {
        let env = TestEnv::empty();
        env.commit("Initial commit");
        env
    }

    /// `git` in the repository; panics with its stderr if it fails. Returns trimmed stdout.
    pub fn git(&self, args: &[&str]) -> String {
        checked(args, self.git_output(args))
    }

    pub fn git_output(&self, args: &[&str]) -> Output {
        self.git_command(&self.repo)
            .args(args)
            .output()
            .expect("git runs")
    }

    /// A pinned `git` command running in the repository, to be given its arguments.
    pub fn git_cmd(&self) -> Command {
        self.git_command(&self.repo)
    }

    /// A pinned `git` command running in `dir`.
    fn git_command(&self, dir: &Path) -> Command {
        let mut cmd = Command::new("git");
        pin(&mut cmd, &self.root);
        cmd.current_dir(dir);
        cmd
    }

    /// Commits a change to `file.txt` with `subject`; returns the new commit's id.
    pub fn commit(&self, subject: &str) -> String {
        let path = self.repo.join("file.txt");
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(subject);
        text.push('\n');
        std::fs::write(&path, text).unwrap();
        self.git(&["add", "file.txt"]);
        self.git_at_next_time(&["commit", "-q", "-m", subject]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Commits every change in the working tree with `subject` (`git add -A`, then a commit a
    /// minute after the previous one); returns the new commit's id.
    pub fn commit_all(&self, subject: &str) -> String {
        self.git(&["add", "-A"]);
        self.git_at_next_time(&["commit", "-q", "-m", subject]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// Merges `branch` into the current branch with a merge commit (`--no-ff`), its message
    /// made of `paragraphs`, as a pull request's merge button does.
    pub fn merge_no_ff(&self, branch: &str, paragraphs: &[&str]) {
        let mut args = vec!["merge", "-q", "--no-ff", branch];
        for p in paragraphs {
            args.extend(["-m", p]);
        }
        self.git_at_next_time(&args);
    }

    /// `git ARGS` with author and committer dates one minute after the previous such call.
    pub fn git_at_next_time(&self, args: &[&str]) -> String {
        let t = self
            .clock
            .fetch_add(60, std::sync::atomic::Ordering::SeqCst)
            + 60;
        let date = format!("@{t} +0000");
        let out = self
            .git_command(&self.repo)
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .args(args)
            .output()
            .expect("git runs");
        checked(args, out)
    }

    /// The real binary, ready to run in the repository.
    pub fn cmd(&self) -> Command {
        self.cmd_in(&self.repo)
    }

    pub fn cmd_in(&self, dir: &Path) -> Command {
        let mut cmd = Command::cargo_bin("git-release").expect("binary is built");
        pin(&mut cmd, &self.root);
        cmd.current_dir(dir);
        cmd
    }

    /// Runs `git release ARGS` and returns (exit code, stdout, stderr).
    pub fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_with(args, &[])
    }

    /// `run` with more environment variables (the secrets a service's config names).
    pub fn run_with(&self, args: &[&str], vars: &[(&str, &str)]) -> (i32, String, String) {
        let mut cmd = self.cmd();
        cmd.args(args);
        for (k, v) in vars {
            cmd.env(k, v);
        }
        let out = cmd.output().expect("git-release runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Runs `git release ARGS`, requires success, returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run(args);
        assert_eq!(code, 0, "git release {args:?} failed:\n{stderr}");
        stdout
    }

    /// Runs `git release ARGS`, requires exit `code`, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let (actual, stdout, stderr) = self.run(args);
        assert_eq!(
            actual, code,
            "git release {args:?} exited {actual}, not {code}\nstdout: {stdout}\nstderr: {stderr}"
        );
        stderr
    }

    /// Every ref with its target: what "nothing was written" is checked against.
    pub fn refs(&self) -> String {
        self.git(&["for-each-ref", "--format=%(refname) %(objectname)"])
    }

    /// Refs, the config file and the list of objects: a fingerprint of everything a command
    /// could have changed.
    pub fn snapshot(&self) -> String {
        let config =
            std::fs::read_to_string(self.repo.join(".release/config.toml")).unwrap_or_default();
        let status = self.git(&["status", "--porcelain", "--untracked-files=all"]);
        format!("{}\n--\n{config}\n--\n{status}", self.refs())
    }

    /// Whether the ref `name` exists (`git rev-parse --verify`, which exits 1 if it does not).
    pub fn has_ref(&self, name: &str) -> bool {
        let out = self.git_output(&["rev-parse", "--verify", "-q", name]);
        match out.status.code() {
            Some(0) => true,
            Some(1) => false,
            _ => panic!(
                "git rev-parse failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    }

    /// The event files of a release commit, as `git ls-tree -r` lists them below `events/`.
    pub fn event_paths(&self, rev: &str) -> Vec<String> {
        self.git(&["ls-tree", "-r", "--name-only", &format!("{rev}:events")])
            .lines()
            .map(String::from)
            .collect()
    }

    pub fn fsck(&self) {
        self.git(&["fsck", "--strict", "--no-progress"]);
    }

    pub fn write(&self, path: &str, text: &str) {
        let full = self.repo.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.repo.join(path)).unwrap()
    }
}

pub fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

impl TestEnv {
    /// `git hash-object -w --stdin` of `text`.
    pub fn git_hash_object(&self, text: &str) -> String {
        self.git_stdin(&["hash-object", "-w", "--stdin"], text)
    }

    /// `git mktree` of an `ls-tree` listing.
    pub fn mktree(&self, listing: &str) -> String {
        self.git_stdin(&["mktree"], listing)
    }

    pub fn git_stdin(&self, args: &[&str], input: &str) -> String {
        use std::io::Write;
        let mut child = self
            .git_command(&self.repo)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        checked(args, child.wait_with_output().unwrap())
    }
}

impl TestEnv {
    /// Runs `git release ARGS` as another person; returns (exit code, stdout, stderr).
    pub fn run_as(&self, who: (&str, &str), args: &[&str]) -> (i32, String, String) {
        let out = self
            .cmd()
            .env("GIT_AUTHOR_NAME", who.0)
            .env("GIT_AUTHOR_EMAIL", who.1)
            .env("GIT_COMMITTER_NAME", who.0)
            .env("GIT_COMMITTER_EMAIL", who.1)
            .args(args)
            .output()
            .expect("git-release runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    }

    /// Like `ok`, as another person.
    pub fn ok_as(&self, who: (&str, &str), args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run_as(who, args);
        assert_eq!(code, 0, "git release {args:?} as {who:?} failed:\n{stderr}");
        stdout
    }
}

/// A request the test server received.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What the test server answers.
pub enum Reply {
    Status(u16, String),
    /// A status, headers besides Content-Type and Content-Length, and a JSON body.
    Headers(u16, Vec<(String, String)>, String),
    /// Accept the request and answer nothing for this long.
    Hang(std::time::Duration),
}

/// An HTTP server on 127.0.0.1 that the test scripts: `reply(n, request)` answers the n-th
/// request (from 0). It stops when dropped.
pub struct TestServer {
    pub url: String,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TestServer {
    pub fn start(reply: impl Fn(usize, &Received) -> Reply + Send + 'static) -> TestServer {
        use std::io::{BufRead, BufReader, Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (log, halt) = (received.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if halt.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap_or(0) == 0 {
                    continue;
                }
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_owned();
                let path = parts.next().unwrap_or_default().to_owned();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_owned(), v.trim().to_owned()));
                    }
                }
                let length: usize = headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0; length];
                let _ = reader.read_exact(&mut body);
                let request = Received {
                    method,
                    path,
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                };
                let n = {
                    let mut log = log.lock().unwrap();
                    log.push(request.clone());
                    log.len() - 1
                };
                match reply(n, &request) {
                    Reply::Status(status, body) => {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Reply::Headers(status, extra, body) => {
                        let extra: String =
                            extra.iter().map(|(k, v)| format!("{k}: {v}\r\n")).collect();
                        let _ = write!(
                            stream,
                            "HTTP/1.1 {status} Scripted\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{body}",
                            body.len()
                        );
                    }
                    Reply::Hang(time) => std::thread::sleep(time),
                }
            }
        });
        TestServer {
            url,
            received,
            stop,
            thread: Some(thread),
        }
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = std::net::TcpStream::connect(self.url.trim_start_matches("http://"));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl TestEnv {
    /// `git ARGS` in the directory above the repository (to clone into it).
    pub fn git_in_root(&self, args: &[&str]) -> String {
        checked(
            args,
            self.git_command(&self.root)
                .args(args)
                .output()
                .expect("git runs"),
        )
    }
}

/// The trimmed stdout of a git run that must have succeeded; its stderr if it did not.
fn checked(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim_end().to_owned()
}

/// Base64 as coreutils writes it: an independent witness of the form Basic auth sends.
pub fn base64(text: &str) -> String {
    use std::io::Write as _;
    let mut child = Command::new("base64")
        .arg("-w0")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
}
