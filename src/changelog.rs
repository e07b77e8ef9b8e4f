//! What changed between two releases: the commits, folded under the merges (pull requests)
//! that brought them, with links from the team's patterns, plus the forge's compare link.
//! Pure: it works on commits the git module has already read.

use std::collections::{HashMap, HashSet};

use regex::Regex;
use serde::Serialize;

use crate::git::{CommitInfo, Oid, OidMap};
use crate::release::Actor;

/// A pattern in commit messages that becomes a link: `#(\d+)` → `…/pull/{1}`.
#[derive(Clone, Debug)]
pub struct LinkRule {
    pub pattern: Regex,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Link {
    pub text: String,
    pub url: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub id: String,
    pub short: String,
    pub subject: String,
    /// The subject with every link pattern turned into a Markdown link.
    pub subject_md: String,
    pub author: Actor,
    /// `#932` for a GitHub pull request merge, `!12` for a GitLab merge request.
    pub pr: Option<String>,
    pub links: Vec<Link>,
    /// The commits a merge brought in, newest first.
    pub children: Vec<Entry>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Changes {
    /// Top-level entries, newest first: mainline commits and merges with their children.
    pub entries: Vec<Entry>,
    /// How many commits in all, children included.
    pub count: usize,
    /// Distinct authors, in order of first appearance.
    pub authors: Vec<Actor>,
    /// Merge commits among them.
    pub merges: usize,
    /// Entries that are merges of a pull request (GitHub) or merge request (GitLab).
    pub pull_requests: usize,
}

/// A class of commits notes fold into one line (`[[notes.groups]]`).
#[derive(Clone, Debug)]
pub struct GroupRule {
    pub name: String,
    /// Matched against `Name <email>`.
    pub author: Option<Regex>,
    pub subject: Option<Regex>,
}

impl GroupRule {
    /// Whether an entry is of this class: it matches every pattern given, or it is a merge
    /// all of whose commits do (a bot's pull request merged by a person).
    fn takes(&self, e: &Entry) -> bool {
        let own = |e: &Entry| {
            let author = format!("{} <{}>", e.author.name, e.author.email);
            self.author.as_ref().is_none_or(|p| p.is_match(&author))
                && self.subject.as_ref().is_none_or(|p| p.is_match(&e.subject))
        };
        own(e) || (!e.children.is_empty() && e.children.iter().all(own))
    }
}

/// The entries of one class, shown as one line: `{count} {name}`.
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    pub name: String,
    /// How many entries (pull requests and commits) the line stands for.
    pub count: usize,
    /// How many commits, those the pull requests merged included.
    pub commits: usize,
    pub entries: Vec<Entry>,
}

/// Takes out of `entries` those each rule takes, the first rule that takes one first; a rule
/// that takes nothing has no group.
pub fn group(entries: &mut Vec<Entry>, rules: &[GroupRule]) -> Vec<Group> {
    let mut groups: Vec<Group> = rules
        .iter()
        .map(|r| Group {
            name: r.name.clone(),
            count: 0,
            commits: 0,
            entries: Vec::new(),
        })
        .collect();
    if rules.is_empty() {
        return Vec::new();
    }
    let mut kept = Vec::with_capacity(entries.len());
    for e in entries.drain(..) {
        match rules.iter().position(|r| r.takes(&e)) {
            Some(i) => {
                groups[i].count += 1;
                groups[i].commits += 1 + e.children.len();
                groups[i].entries.push(e);
            }
            None => kept.push(e),
        }
    }
    *entries = kept;
    groups.retain(|g| g.count > 0);
    groups
}

/// Folds commits (newest first, as `git log` lists `prev..this`) under the merges that
/// brought them: the first-parent line from `tip` is the top level; everything a merge's
/// other parents bring in (and no earlier merge took) becomes its children. Commits reached
/// neither way stay at the top level, so nothing is lost.
pub fn fold(commits: Vec<CommitInfo>, tip: Oid, rules: &[LinkRule]) -> Changes {
    let mut index = OidMap::default();
    index.reserve(commits.len());
    index.extend(commits.iter().enumerate().map(|(i, c)| (c.id, i)));
    let mut mainline: Vec<usize> = Vec::new();
    let mut cursor = index.get(&tip).copied();
    while let Some(i) = cursor {
        mainline.push(i);
        cursor = commits[i]
            .parents
            .first()
            .and_then(|p| index.get(p).copied());
    }
    let mut taken = vec![false; commits.len()];
    for &i in &mainline {
        taken[i] = true;
    }
    let mut groups: HashMap<usize, Vec<usize>> = HashMap::new();
    // Oldest merge first, so a commit merged twice belongs to the merge that brought it first.
    for &m in mainline.iter().rev() {
        let mut children = Vec::new();
        let mut stack: Vec<Oid> = commits[m].parents.iter().skip(1).copied().collect();
        while let Some(id) = stack.pop() {
            let Some(&i) = index.get(&id) else { continue };
            if std::mem::replace(&mut taken[i], true) {
                continue;
            }
            children.push(i);
            stack.extend(commits[i].parents.iter().copied());
        }
        children.sort_unstable();
        groups.insert(m, children);
    }
    let mut top: Vec<usize> = mainline.clone();
    top.extend((0..commits.len()).filter(|&i| !taken[i]));
    top.sort_unstable();

    let mut seen: HashSet<&str> = HashSet::new();
    let authors: Vec<Actor> = commits
        .iter()
        .filter(|c| seen.insert(c.author.email.as_str()))
        .map(|c| c.author.clone())
        .collect();
    let count = commits.len();
    let merges = commits.iter().filter(|c| c.parents.len() > 1).count();
    // Each commit becomes exactly one entry, so its strings are moved, not copied.
    let mut slots: Vec<Option<CommitInfo>> = commits.into_iter().map(Some).collect();
    let mut entry = |i: usize, children: Vec<Entry>| {
        let commit = slots[i].take().expect("each commit is used once");
        make_entry(commit, rules, children)
    };
    let entries = top
        .into_iter()
        .map(|i| {
            let children = groups
                .remove(&i)
                .unwrap_or_default()
                .into_iter()
                .map(|c| entry(c, Vec::new()))
                .collect();
            entry(i, children)
        })
        .collect::<Vec<Entry>>();
    let pull_requests = entries.iter().filter(|e| e.pr.is_some()).count();
    Changes {
        entries,
        count,
        authors,
        merges,
        pull_requests,
    }
}

/// How a count of commits reads: `54 commits (29 without merges; 28 pull requests)`.
/// `git rev-list --count` counts merges too, so the first number is git's.
pub fn count_label(count: usize, merges: usize, pull_requests: usize) -> String {
    use crate::output::count as plural;
    let mut label = plural(count, "commit", "commits");
    let prs = plural(pull_requests, "pull request", "pull requests");
    match (merges, pull_requests) {
        (0, 0) => {}
        (0, _) => label.push_str(&format!(" ({prs})")),
        (m, 0) => label.push_str(&format!(" ({} without merges)", count - m)),
        (m, _) => label.push_str(&format!(" ({} without merges; {prs})", count - m)),
    }
    label
}

fn make_entry(c: CommitInfo, rules: &[LinkRule], children: Vec<Entry>) -> Entry {
    let id = c.id;
    let (subject, pr, author) = match pull_request(&c) {
        Some((title, pr)) => (title, Some(pr), c.author),
        // Most commits are not merges of a pull request: their subject is moved, not copied.
        None => (c.subject, None, c.author),
    };
    let links = links(&subject, rules);
    // Written straight into a buffer (long enough for SHA-256): formatting tens of thousands
    // of ids through `Display` showed in the time of `notes` over a long range.
    let mut hex = [0u8; 64];
    let hex = &*id.hex_to_buf(&mut hex);
    Entry {
        id: hex.to_owned(),
        short: hex[..7].to_owned(),
        subject_md: markdown_links(&subject, rules),
        subject,
        author,
        pr,
        links,
        children,
    }
}

/// A merge of a pull request reads as the pull request's title: GitHub's
/// `Merge pull request #932 from o/branch` + title line, GitLab's `See merge request g/p!12`.
/// `None` for any other commit.
fn pull_request(c: &CommitInfo) -> Option<(String, String)> {
    let subject = &c.subject;
    if let Some(rest) = subject.strip_prefix("Merge pull request #") {
        let number: String = rest.chars().take_while(char::is_ascii_digit).collect();
        if !number.is_empty() {
            let body_first = c.body.lines().map(str::trim).find(|l| !l.is_empty());
            let title = body_first.map_or_else(|| subject.clone(), |t| format!("{t} (#{number})"));
            return Some((title, format!("#{number}")));
        }
    }
    if subject.starts_with("Merge branch ")
        && let Some(mr) = c
            .body
            .lines()
            .find_map(|l| l.trim().strip_prefix("See merge request "))
    {
        let number = mr.rsplit('!').next().unwrap_or_default().trim().to_owned();
        let title = c
            .body
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with("See merge request"))
            .map_or_else(|| subject.clone(), |t| format!("{t} (!{number})"));
        return Some((title, format!("!{number}")));
    }
    None
}

/// The commit a cherry-pick was taken from, as `git cherry-pick -x` (and `start --pick`)
/// records it in the message: the last `(cherry picked from commit <sha>)` line.
pub fn picked_from(body: &str) -> Option<Oid> {
    body.lines().rev().find_map(|line| {
        let sha = line
            .trim()
            .strip_prefix("(cherry picked from commit ")?
            .strip_suffix(')')?;
        sha.parse().ok()
    })
}

/// Every link the rules find in `text`; `{0}` is the whole match, `{1}`… its groups.
pub fn links(text: &str, rules: &[LinkRule]) -> Vec<Link> {
    let mut out = Vec::new();
    for rule in rules {
        for caps in rule.pattern.captures_iter(text) {
            let mut url = rule.url.clone();
            for (i, group) in caps.iter().enumerate() {
                url = url.replace(&format!("{{{i}}}"), group.map_or("", |g| g.as_str()));
            }
            let link = Link {
                text: caps[0].to_owned(),
                url,
            };
            if !out.contains(&link) {
                out.push(link);
            }
        }
    }
    out
}

/// `text` with the first rule that matches at each place turned into `[match](url)`.
fn markdown_links(text: &str, rules: &[LinkRule]) -> String {
    if rules.is_empty() {
        return text.to_owned();
    }
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    for rule in rules {
        for caps in rule.pattern.captures_iter(text) {
            let whole = caps.get(0).expect("group 0 always matches");
            if spans
                .iter()
                .any(|(s, e, _)| whole.start() < *e && *s < whole.end())
            {
                continue;
            }
            let mut url = rule.url.clone();
            for (i, group) in caps.iter().enumerate() {
                url = url.replace(&format!("{{{i}}}"), group.map_or("", |g| g.as_str()));
            }
            spans.push((whole.start(), whole.end(), url));
        }
    }
    spans.sort();
    let mut out = String::new();
    let mut at = 0;
    for (start, end, url) in spans {
        out.push_str(&text[at..start]);
        out.push_str(&format!("[{}]({url})", &text[start..end]));
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

/// The forge's page comparing two tags, from a remote URL in any of git's forms:
/// `https://github.com/o/r.git`, `git@github.com:o/r.git`, `ssh://git@gitlab.com/g/s/r`.
/// `template` (config `release.compare_url`) wins; it may use `{host}`, `{repo}`,
/// `{previous}` and `{release}`.
pub fn compare_url(
    remote: Option<&str>,
    previous: &str,
    release: &str,
    template: Option<&str>,
) -> Option<String> {
    let (host, repo) = remote.and_then(host_and_path).unzip();
    if let Some(t) = template {
        return Some(
            t.replace("{host}", host.as_deref().unwrap_or_default())
                .replace("{repo}", repo.as_deref().unwrap_or_default())
                .replace("{previous}", previous)
                .replace("{release}", release),
        );
    }
    let (host, repo) = (host?, repo?);
    if host.contains("github") {
        Some(format!(
            "https://{host}/{repo}/compare/{previous}...{release}"
        ))
    } else if host.contains("gitlab") {
        Some(format!(
            "https://{host}/{repo}/-/compare/{previous}...{release}"
        ))
    } else if host.contains("bitbucket") {
        Some(format!(
            "https://{host}/{repo}/branches/compare/{release}%0D{previous}"
        ))
    } else {
        None
    }
}

/// The forge's page of the file at `path` as of `rev` (a tag), from a remote URL as
/// `compare_url` reads it; `None` for a forge it does not know.
pub fn file_url(remote: Option<&str>, rev: &str, path: &str) -> Option<String> {
    use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
    const SEGMENT: &AsciiSet = &CONTROLS
        .add(b' ')
        .add(b'"')
        .add(b'#')
        .add(b'%')
        .add(b'/')
        .add(b'<')
        .add(b'>')
        .add(b'?')
        .add(b'`')
        .add(b'{')
        .add(b'}');
    let (host, repo) = host_and_path(remote?)?;
    let encode = |text: &str| -> String {
        text.split('/')
            .map(|part| utf8_percent_encode(part, SEGMENT).to_string())
            .collect::<Vec<_>>()
            .join("/")
    };
    let (rev, path) = (encode(rev), encode(path.trim_start_matches('/')));
    if host.contains("github") {
        Some(format!("https://{host}/{repo}/blob/{rev}/{path}"))
    } else if host.contains("gitlab") {
        Some(format!("https://{host}/{repo}/-/blob/{rev}/{path}"))
    } else if host.contains("bitbucket") {
        Some(format!("https://{host}/{repo}/src/{rev}/{path}"))
    } else {
        None
    }
}

/// The forge's page of a commit, for the remotes `compare_url` knows.
pub fn commit_url(remote: Option<&str>, id: &str) -> Option<String> {
    let (host, repo) = remote.and_then(host_and_path)?;
    if host.contains("github") {
        Some(format!("https://{host}/{repo}/commit/{id}"))
    } else if host.contains("gitlab") {
        Some(format!("https://{host}/{repo}/-/commit/{id}"))
    } else if host.contains("bitbucket") {
        Some(format!("https://{host}/{repo}/commits/{id}"))
    } else {
        None
    }
}

/// `host/owner/repo` of a remote URL: what names the repository in calendar UIDs.
pub fn repository_label(remote: Option<&str>) -> Option<String> {
    remote
        .and_then(host_and_path)
        .map(|(host, repo)| format!("{host}/{repo}"))
}

/// `(host, owner/repo)` of a remote URL, without user, port or `.git`.
pub fn host_and_path(url: &str) -> Option<(String, String)> {
    let url = url.trim();
    let (host, path) = if let Some((_, rest)) = url.split_once("://") {
        let (authority, path) = rest.split_once('/')?;
        let host = authority.rsplit('@').next()?;
        let host = host.split(':').next()?;
        (host.to_owned(), path.to_owned())
    } else {
        // scp-like: [user@]host:path
        let (authority, path) = url.split_once(':')?;
        if authority.contains('/') {
            return None;
        }
        let host = authority.rsplit('@').next()?;
        (host.to_owned(), path.to_owned())
    };
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    (!host.is_empty() && !path.is_empty()).then(|| (host.to_lowercase(), path.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picked_from_reads_the_last_cherry_pick_line() {
        let a = "1".repeat(40);
        let b = "2".repeat(40);
        let body =
            format!("Fix it\n\n(cherry picked from commit {a})\n(cherry picked from commit {b})\n");
        assert_eq!(picked_from(&body), Some(b.parse().unwrap()));
        assert_eq!(picked_from("no trailer here"), None);
        assert_eq!(picked_from("(cherry picked from commit abc)"), None);
    }

    fn oid(n: u8) -> Oid {
        Oid::from_bytes_or_panic(&[n; 20])
    }

    fn commit(n: u8, parents: &[u8], subject: &str, body: &str) -> CommitInfo {
        CommitInfo {
            id: oid(n),
            parents: parents.iter().map(|p| oid(*p)).collect(),
            subject: subject.into(),
            body: body.into(),
            author: Actor {
                name: format!("A{}", n % 2),
                email: format!("a{}@x", n % 2),
            },
        }
    }

    fn rules() -> Vec<LinkRule> {
        vec![
            LinkRule {
                pattern: Regex::new(r"#(\d+)").unwrap(),
                url: "https://github.com/o/r/pull/{1}".into(),
            },
            LinkRule {
                pattern: Regex::new(r"(?i)bug (\d+)").unwrap(),
                url: "https://bugzilla.example.com/{1}".into(),
            },
        ]
    }

    #[test]
    fn merges_fold_their_branch() {
        // 5 = merge of PR #932 (parents 3, 4); 4 → 2 on the branch; 3 → 1 on main; 1 is the base.
        let commits = vec![
            commit(6, &[5], "Fix typo, bug 77", ""),
            commit(
                5,
                &[3, 4],
                "Merge pull request #932 from o/dark-mode",
                "Add dark mode\n",
            ),
            commit(4, &[2], "Dark mode: colors", ""),
            commit(3, &[1], "Bump version", ""),
            commit(2, &[1], "Dark mode: toggle", ""),
        ];
        let changes = fold(commits, oid(6), &rules());
        let top: Vec<&str> = changes.entries.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(
            top,
            ["Fix typo, bug 77", "Add dark mode (#932)", "Bump version"]
        );
        let merge = &changes.entries[1];
        assert_eq!(merge.pr.as_deref(), Some("#932"));
        let kids: Vec<&str> = merge.children.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(kids, ["Dark mode: colors", "Dark mode: toggle"]);
        assert_eq!(changes.count, 5);
        assert_eq!(changes.authors.len(), 2);
        assert_eq!(
            changes.entries[0].links[0].url,
            "https://bugzilla.example.com/77"
        );
        assert_eq!(
            changes.entries[1].subject_md,
            "Add dark mode ([#932](https://github.com/o/r/pull/932))"
        );
    }

    #[test]
    fn groups_take_their_class_whole_and_first_rule_wins() {
        let mut c = vec![
            commit(7, &[6], "Pontoon: Update French (fr) localization", ""),
            commit(
                6,
                &[5, 4],
                "Merge pull request #12 from o/dependabot/x",
                "Bump x",
            ),
            commit(4, &[2], "Bump x from 1 to 2", ""),
            commit(5, &[3], "Pontoon: Update German (de) localization", ""),
            commit(3, &[2], "Fix the cart", ""),
        ];
        // The bot's commit is by A0 <a0@x>, the merge by A0 too: make the merge a person's.
        c[1].author = Actor {
            name: "Person".into(),
            email: "p@x".into(),
        };
        let changes = fold(c, oid(7), &[]);
        assert_eq!(
            (changes.count, changes.merges, changes.pull_requests),
            (5, 1, 1)
        );
        let mut entries = changes.entries;
        let rules = [
            GroupRule {
                name: "localization updates (Pontoon)".into(),
                author: None,
                subject: Some(Regex::new("^Pontoon: ").unwrap()),
            },
            GroupRule {
                name: "dependency updates".into(),
                author: None,
                subject: Some(Regex::new("^Bump ").unwrap()),
            },
            GroupRule {
                name: "nothing".into(),
                author: Some(Regex::new("nobody").unwrap()),
                subject: None,
            },
        ];
        let groups = group(&mut entries, &rules);
        let summary: Vec<(&str, usize, usize)> = groups
            .iter()
            .map(|g| (g.name.as_str(), g.count, g.commits))
            .collect();
        assert_eq!(
            summary,
            [
                ("localization updates (Pontoon)", 2, 2),
                ("dependency updates", 1, 2)
            ]
        );
        let left: Vec<&str> = entries.iter().map(|e| e.subject.as_str()).collect();
        assert_eq!(left, ["Fix the cart"]);
    }

    #[test]
    fn counts_say_what_they_count() {
        assert_eq!(count_label(3, 0, 0), "3 commits");
        assert_eq!(
            count_label(54, 25, 28),
            "54 commits (29 without merges; 28 pull requests)"
        );
        assert_eq!(count_label(4, 1, 0), "4 commits (3 without merges)");
    }

    #[test]
    fn gitlab_merge_requests() {
        let commits = vec![commit(
            2,
            &[1, 3],
            "Merge branch 'search' into 'main'",
            "Faster search\n\nSee merge request group/proj!12",
        )];
        let changes = fold(commits, oid(2), &[]);
        assert_eq!(changes.entries[0].subject, "Faster search (!12)");
        assert_eq!(changes.entries[0].pr.as_deref(), Some("!12"));
    }

    #[test]
    fn nothing_is_lost_off_the_mainline() {
        // The tip's first parent leaves the range at once; the other commits stay top-level.
        let commits = vec![commit(3, &[9], "tip", ""), commit(2, &[1], "elsewhere", "")];
        let changes = fold(commits, oid(3), &[]);
        assert_eq!(changes.entries.len(), 2);
    }

    #[test]
    fn file_links_on_each_forge_encode_the_path() {
        assert_eq!(
            file_url(
                Some("git@github.com:o/r.git"),
                "2026.11.19",
                "docs/QA plan.md"
            )
            .as_deref(),
            Some("https://github.com/o/r/blob/2026.11.19/docs/QA%20plan.md")
        );
        assert_eq!(
            file_url(Some("https://gitlab.com/g/r.git"), "v1", "plan#1.md").as_deref(),
            Some("https://gitlab.com/g/r/-/blob/v1/plan%231.md")
        );
        assert_eq!(file_url(Some("/srv/git/r.git"), "v1", "plan.md"), None);
    }

    #[test]
    fn compare_links_for_every_forge_and_url_form() {
        let cases = [
            (
                "https://github.com/o/r.git",
                "https://github.com/o/r/compare/A...B",
            ),
            (
                "git@github.com:o/r.git",
                "https://github.com/o/r/compare/A...B",
            ),
            (
                "ssh://git@github.com/o/r",
                "https://github.com/o/r/compare/A...B",
            ),
            (
                "https://user@gitlab.com/g/sub/r.git",
                "https://gitlab.com/g/sub/r/-/compare/A...B",
            ),
            (
                "git@gitlab.com:g/r.git",
                "https://gitlab.com/g/r/-/compare/A...B",
            ),
            (
                "ssh://git@gitlab.example.com:2222/g/r.git",
                "https://gitlab.example.com/g/r/-/compare/A...B",
            ),
            (
                "git@bitbucket.org:o/r.git",
                "https://bitbucket.org/o/r/branches/compare/B%0DA",
            ),
            (
                "https://bitbucket.org/o/r",
                "https://bitbucket.org/o/r/branches/compare/B%0DA",
            ),
        ];
        for (remote, expected) in cases {
            assert_eq!(
                compare_url(Some(remote), "A", "B", None).as_deref(),
                Some(expected),
                "{remote}"
            );
        }
        assert_eq!(compare_url(Some("/srv/git/r.git"), "A", "B", None), None);
        assert_eq!(
            compare_url(Some("https://git.example.com/r.git"), "A", "B", None),
            None
        );
        assert_eq!(
            compare_url(
                Some("git@git.example.com:team/r.git"),
                "A",
                "B",
                Some("https://{host}/{repo}/compare?from={previous}&to={release}")
            )
            .as_deref(),
            Some("https://git.example.com/team/r/compare?from=A&to=B")
        );
    }
}
