//! The static site: the train, one page per release, push duty and `calendar.ics`, rendered
//! from the refs with minijinja templates (`templates/page/`, overridable in
//! `.release/templates/page/`). The same refs give the same bytes.

pub mod calendar;
pub mod serve;

use std::collections::BTreeMap;

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use minijinja::{AutoEscape, Environment};
use serde::Serialize;

use crate::changelog;
use crate::config::DateRule;
use crate::context::{NotesView, ReleaseView, notes_view_against, recorded_view_with};
use crate::error::Failure;
use crate::release::Release;
use crate::render::{Origin, describe, fix_hint, override_files_in};
use crate::session::{Session, newest_first};
use crate::store::Heads;
use calendar::{Calendar, Plan, Slot, monday_of};

pub const OVERRIDE_DIR: &str = ".release/templates/page";

/// The built-in page templates (`NAME.j2`, known as `NAME`) and static files.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "base.html",
        include_str!("../../templates/page/base.html.j2"),
    ),
    (
        "train.html",
        include_str!("../../templates/page/train.html.j2"),
    ),
    (
        "release.html",
        include_str!("../../templates/page/release.html.j2"),
    ),
    (
        "duty.html",
        include_str!("../../templates/page/duty.html.j2"),
    ),
];
const STATIC: &[(&str, &str)] = &[
    ("style.css", include_str!("../../templates/page/style.css")),
    ("page.js", include_str!("../../templates/page/page.js")),
];

/// How many weeks the duty calendar and the feed cover.
pub const WEEKS: u32 = 8;

/// How many commits the notes of a first release show (`git release notes` shows more).
const FIRST_RELEASE_NOTES: usize = 100;

/// The largest artifact shown inline on a release page.
const ARTIFACT_LIMIT: usize = 64 * 1024;

/// What the site is rendered from, besides the refs.
pub struct Options<'a> {
    /// Only these releases (all when empty).
    pub only: &'a [String],
    /// Count the coming weeks from this day instead of the newest event's.
    pub on: Option<NaiveDate>,
    /// Served by `--serve`: the pages reload themselves.
    pub live: bool,
}

/// The rendered site: file path (relative, `/`-separated) → bytes.
pub type Files = BTreeMap<String, Vec<u8>>;

#[derive(Serialize)]
struct Step {
    label: String,
    done: bool,
}

#[derive(Serialize)]
struct TrainRow {
    name: String,
    href: String,
    stage: String,
    steps: Vec<Step>,
    created: Option<String>,
    created_by: Option<String>,
    tag: Option<String>,
    duty: Option<String>,
    forced: bool,
    blockers: usize,
    /// HTTP gates that failed, monitors whose latest verdict failed and hooks whose
    /// request failed.
    failed: Vec<String>,
    /// Why shipping is frozen, while it is.
    frozen: Option<String>,
    checklist_done: usize,
    checklist_total: usize,
    damaged: Option<String>,
}

#[derive(Serialize)]
struct ItemView {
    id: String,
    text: String,
    env: Option<String>,
    by: Option<String>,
    time: Option<String>,
    note: Option<String>,
}

#[derive(Serialize)]
struct SectionView {
    name: String,
    done: usize,
    total: usize,
    items: Vec<ItemView>,
}

#[derive(Serialize)]
struct RoleView {
    role: String,
    /// The environments whose gate asks for it.
    required_for: Vec<String>,
    signers: Vec<crate::context::Done>,
}

#[derive(Serialize)]
struct TimelineEntry {
    time: String,
    who: String,
    kind: String,
    summary: String,
}

#[derive(Serialize)]
struct ArtifactView {
    template: String,
    path: String,
    by: String,
    time: String,
    text: Option<String>,
}

#[derive(Serialize)]
struct ReleasePage {
    release: ReleaseView,
    href: String,
    steps: Vec<Step>,
    timeline: Vec<TimelineEntry>,
    sections: Vec<SectionView>,
    roles: Vec<RoleView>,
    notes: Option<NotesView>,
    /// The forge's URL of a commit, less the id.
    commit_url: Option<String>,
    artifacts: Vec<ArtifactView>,
}

#[derive(Serialize)]
struct SiteView {
    /// The newest event in the refs: the site's "as of".
    as_of: Option<String>,
    live: bool,
    releases: Vec<TrainRow>,
    next: Option<Slot>,
    calendar: Calendar,
}

/// Every release, newest first, read or why it could not be.
type Read = Vec<(String, Result<Release>)>;

/// The newest event's time over every release (what "now" is for the site), and the
/// releases read.
pub fn as_of(session: &Session) -> Result<(Option<DateTime<Utc>>, Read)> {
    let (newest, releases, _) = read(session)?;
    Ok((newest, releases))
}

/// Like `as_of`, with the release refs as they were read.
fn read(session: &Session) -> Result<(Option<DateTime<Utc>>, Read, Heads)> {
    let store = session.store();
    let heads: Heads = store.heads()?.into_iter().collect();
    let names = newest_first(session.format(), heads.keys().cloned().collect::<Vec<_>>());
    let mut newest = None;
    let mut releases = Vec::with_capacity(names.len());
    for name in names {
        let release = match crate::store::invalid_name(&name) {
            Some(why) => Err(Failure::new(format!("not a release name: {why}")).into()),
            None => store.state_at(&name, heads[&name]),
        };
        if let Ok(r) = &release {
            newest = newest.max(Some(r.updated));
        }
        releases.push((name, release));
    }
    Ok((newest, releases, heads))
}

/// The calendar plan from `from` (its week's Monday on).
pub fn plan<'a>(
    session: &'a Session,
    name: &'a dyn Fn(NaiveDate, NaiveDate) -> String,
    day: NaiveDate,
) -> Plan<'a> {
    let config = &session.config.config;
    Plan {
        schedule: config.schedule.as_ref(),
        duty: config.duty.as_ref(),
        name,
        from: monday_of(day),
        weeks: WEEKS,
    }
}

/// Names a slot's release as `start` would.
pub fn slot_namer(session: &Session) -> impl Fn(NaiveDate, NaiveDate) -> String + '_ {
    move |tag, push| {
        let day = match session.config.config.release.date.get_ref() {
            DateRule::Push => push,
            DateRule::Today => tag,
        };
        session.format().name(day, 0)
    }
}

/// The day the calendar counts from: `on`, else the newest event's, else today.
pub fn anchor_day(on: Option<NaiveDate>, newest: Option<DateTime<Utc>>) -> NaiveDate {
    on.or(newest.map(|t| t.date_naive()))
        .unwrap_or_else(|| Utc::now().date_naive())
}

/// The feed `calendar.ics` holds and `schedule --ics` prints.
pub fn ics(session: &Session, on: Option<NaiveDate>) -> Result<String> {
    let (newest, _) = as_of(session)?;
    let day = anchor_day(on, newest);
    let namer = slot_namer(session);
    let stamp = newest.unwrap_or_else(|| day.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    Ok(plan(session, &namer, day).ics(stamp, &uid_domain(session)?))
}

/// What makes the feed's UIDs this repository's own: its remote's host and path.
fn uid_domain(session: &Session) -> Result<String> {
    let remote = session
        .git
        .remote_url(&session.config.config.release.remote)?;
    let label = changelog::repository_label(remote.as_deref())
        .map(|l| {
            l.chars()
                .map(|c| match c {
                    'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' => c,
                    _ => '.',
                })
                .collect::<String>()
        })
        .map_or_else(|| "git-release".to_owned(), |l| format!("{l}.git-release"));
    Ok(label)
}

/// A release's page file name, below `releases/`: the name where it is a plain file name.
fn page_file(name: &str, taken: &mut std::collections::HashSet<String>) -> String {
    let mut base: String = name
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '_',
        })
        .collect();
    if base.starts_with('.') {
        base.insert(0, '_');
    }
    let mut file = format!("{base}.html");
    let mut n = 1;
    while !taken.insert(file.clone()) {
        file = format!("{base}-{n}.html");
        n += 1;
    }
    file
}

/// The stages a release passes: started, each environment, verified on the last.
fn steps(session: &Session, release: &Release) -> Vec<Step> {
    let envs = &session.config.config.environments;
    let mut steps = vec![Step {
        label: "started".into(),
        done: true,
    }];
    for env in envs {
        steps.push(Step {
            label: env.name.clone(),
            done: release.deployed_to(&env.name),
        });
    }
    if let Some(last) = envs.last() {
        steps.push(Step {
            label: "verified".into(),
            done: release.verifications.iter().any(|v| v.env == last.name),
        });
    }
    steps
}

/// Renders the whole site.
pub fn build(session: &Session, options: &Options<'_>) -> Result<Files> {
    let templates = PageTemplates::load(session)?;
    let (newest, releases, heads) = read(session)?;
    let heads = std::sync::Arc::new(heads);
    // The commit each release stands for, for the notes of the release after it.
    let targets: std::collections::HashMap<String, Option<crate::git::Oid>> = releases
        .iter()
        .filter_map(|(name, r)| Some((name.clone(), r.as_ref().ok()?.target.parse().ok())))
        .collect();
    let day = anchor_day(options.on, newest);
    let namer = slot_namer(session);
    let plan = plan(session, &namer, day);
    let calendar = plan.calendar(day);
    let remote = session
        .git
        .remote_url(&session.config.config.release.remote)?;
    let commit_url = changelog::commit_url(remote.as_deref(), "");
    // The releases asked for, each with its page's file name.
    let mut taken = std::collections::HashSet::new();
    let work: Vec<(String, String, Result<Release>)> = releases
        .into_iter()
        .filter(|(name, _)| options.only.is_empty() || options.only.contains(name))
        .map(|(name, release)| {
            let file = page_file(&name, &mut taken);
            (name, file, release)
        })
        .collect();
    // Each page on every core, each worker with a session of its own (a session is for one
    // thread); first releases of the same commit share their notes.
    let first_notes = std::sync::Mutex::new(std::collections::HashMap::new());
    let site_value = minijinja::context! {
        as_of => newest.map(|t| t.to_rfc3339()),
        live => options.live,
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut pages: Vec<(usize, Result<Rendered>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let parts = session.for_another_thread();
                let heads = heads.clone();
                let (work, next, templates, site_value, commit_url, first_notes, targets) = (
                    &work,
                    &next,
                    &templates,
                    &site_value,
                    &commit_url,
                    &first_notes,
                    &targets,
                );
                scope.spawn(move || {
                    let session = Session::from_parts(parts).reading(heads);
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((name, file, release)) = work.get(i) else {
                            break;
                        };
                        done.push((
                            i,
                            one_release(
                                &session,
                                templates,
                                site_value,
                                name,
                                file,
                                release,
                                commit_url.clone(),
                                first_notes,
                                targets,
                            ),
                        ));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("a page worker panicked"))
            .collect()
    });
    pages.sort_by_key(|(i, _)| *i);
    let pages = pages.into_iter().map(|(_, page)| page);
    let mut files = Files::new();
    let mut rows = Vec::new();
    for page in pages {
        let (row, file) = page?;
        rows.push(row);
        if let Some((path, bytes)) = file {
            files.insert(path, bytes);
        }
    }
    let site = SiteView {
        as_of: newest.map(|t| t.to_rfc3339()),
        live: options.live,
        releases: rows,
        next: plan.slots().into_iter().find(|s| s.push >= day.to_string()),
        calendar,
    };
    let site = minijinja::Value::from(minijinja::value::Serde(&site));
    for (template, file) in [("train.html", "index.html"), ("duty.html", "duty.html")] {
        let context = minijinja::context! { site => site.clone(), root => "" };
        files.insert(
            file.to_owned(),
            templates.render(template, context)?.into_bytes(),
        );
    }
    for (name, text) in &templates.statics {
        files.insert(name.clone(), text.clone().into_bytes());
    }
    let stamp = newest.unwrap_or_else(|| day.and_hms_opt(0, 0, 0).expect("midnight").and_utc());
    files.insert(
        "calendar.ics".into(),
        plan.ics(stamp, &uid_domain(session)?).into_bytes(),
    );
    Ok(files)
}

/// A release's row on the train and its page: (path, bytes).
type Rendered = (TrainRow, Option<(String, Vec<u8>)>);

/// A release's row on the train and its page (none for a release that cannot be read).
#[allow(clippy::too_many_arguments)]
fn one_release(
    session: &Session,
    templates: &PageTemplates,
    site: &minijinja::Value,
    name: &str,
    file: &str,
    release: &Result<Release>,
    commit_url: Option<String>,
    first_notes: &std::sync::Mutex<std::collections::HashMap<String, NotesView>>,
    targets: &std::collections::HashMap<String, Option<crate::git::Oid>>,
) -> Result<Rendered> {
    let release = match release {
        Ok(r) => r,
        Err(e) => {
            let row = TrainRow {
                name: name.to_owned(),
                href: String::new(),
                stage: "damaged".into(),
                steps: Vec::new(),
                created: None,
                created_by: None,
                tag: None,
                duty: None,
                forced: false,
                blockers: 0,
                failed: Vec::new(),
                frozen: None,
                checklist_done: 0,
                checklist_total: 0,
                damaged: Some(format!("{e:#}")),
            };
            return Ok((row, None));
        }
    };
    let page = release_page(session, release, file, commit_url, first_notes, targets)?;
    let r = &page.release;
    let mut failed: Vec<String> = r
        .http_gates
        .iter()
        .filter(|(_, g)| !g.passed)
        .map(|(n, _)| format!("gate {n} failed"))
        .collect();
    failed.extend(
        r.monitors
            .iter()
            .filter(|m| !m.passed)
            .map(|m| format!("monitor {} failed on {}", m.monitor, m.env)),
    );
    failed.extend(
        r.failed_hooks
            .iter()
            .map(|h| format!("hook {} failed", h.hook)),
    );
    let row = TrainRow {
        name: r.name.clone(),
        href: format!("releases/{file}"),
        stage: r.stage.clone(),
        steps: steps(session, release),
        created: r.created.clone(),
        created_by: r.created_by.as_ref().map(|a| a.name.clone()),
        tag: r.tag.clone(),
        duty: r.duty.clone(),
        forced: r.deployments.iter().any(|d| d.forced),
        blockers: r.blockers.len(),
        failed,
        frozen: r.frozen.as_ref().map(|f| {
            f.note
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("by {}", f.name))
        }),
        checklist_done: r.checklist.done,
        checklist_total: r.checklist.total,
        damaged: None,
    };
    let context = minijinja::context! {
        site => site.clone(),
        page => minijinja::Value::from(minijinja::value::Serde(&page)),
        root => "../",
    };
    let html = templates.render("release.html", context)?;
    Ok((row, Some((format!("releases/{file}"), html.into_bytes()))))
}

fn release_page(
    session: &Session,
    release: &Release,
    file: &str,
    commit_url: Option<String>,
    first_notes: &std::sync::Mutex<std::collections::HashMap<String, NotesView>>,
    targets: &std::collections::HashMap<String, Option<crate::git::Oid>>,
) -> Result<ReleasePage> {
    let checklist = session.checklist(release)?;
    // Read from the pack: a render reads thousands, which one open index serves faster
    // than a file each.
    let subject = session.subject(release.target.parse()?)?;
    let view = recorded_view_with(session, release, &checklist, subject)?;
    let config = &session.config.config;
    let mut sections: Vec<SectionView> = Vec::new();
    for item in &checklist.items {
        let stamp = release.checked.get(&item.id);
        let view = ItemView {
            id: item.id.clone(),
            text: item.text.clone(),
            env: item.env.clone(),
            by: stamp.map(|s| s.name.clone()),
            time: stamp.map(|s| s.time.to_rfc3339()),
            note: stamp.and_then(|s| s.note.clone()),
        };
        let section = match sections.iter_mut().find(|s| s.name == item.section) {
            Some(s) => s,
            None => {
                sections.push(SectionView {
                    name: item.section.clone(),
                    done: 0,
                    total: 0,
                    items: Vec::new(),
                });
                sections.last_mut().expect("just pushed")
            }
        };
        section.total += 1;
        section.done += usize::from(view.by.is_some());
        section.items.push(view);
    }
    let mut role_names: Vec<String> = config.roles.keys().cloned().collect();
    for env in &config.environments {
        for role in &env.requires.signoffs {
            if !role_names.contains(role) {
                role_names.push(role.clone());
            }
        }
    }
    for role in release.signoffs.keys() {
        if !role_names.contains(role) {
            role_names.push(role.clone());
        }
    }
    let mut signoffs = view.signoffs.iter().collect::<Vec<_>>();
    let roles = role_names
        .into_iter()
        .map(|role| RoleView {
            required_for: config
                .environments
                .iter()
                .filter(|e| e.requires.signoffs.contains(&role))
                .map(|e| e.name.clone())
                .collect(),
            signers: {
                let (mine, rest): (Vec<_>, Vec<_>) =
                    signoffs.drain(..).partition(|d| d.what == role);
                signoffs = rest;
                mine.into_iter()
                    .map(|d| crate::context::Done {
                        what: d.what.clone(),
                        by: d.by.clone(),
                        time: d.time.clone(),
                        note: d.note.clone(),
                        forced: d.forced,
                        problem: d.problem.clone(),
                        signature: d.signature.clone(),
                    })
                    .collect()
            },
            role,
        })
        .collect();
    let events = session.store().events(&release.name)?;
    let timeline = events
        .iter()
        .map(|e| TimelineEntry {
            time: e.time.to_rfc3339(),
            who: e.actor.name.clone(),
            kind: e.kind.name().to_owned(),
            summary: e.kind.summary(),
        })
        .collect();
    let notes = match release.target.parse() {
        // First releases of the same commit have the same notes: read once.
        Ok(target) if release.previous.is_none() => {
            let known = first_notes
                .lock()
                .expect("not poisoned")
                .get(&release.target)
                .cloned();
            let notes = match known {
                Some(notes) => notes,
                None => {
                    let notes = notes_view_against(
                        session,
                        &release.name,
                        target,
                        None,
                        &config.release.remote,
                        FIRST_RELEASE_NOTES,
                    )?;
                    first_notes
                        .lock()
                        .expect("not poisoned")
                        .insert(release.target.clone(), notes.clone());
                    notes
                }
            };
            Some(NotesView {
                release: release.name.clone(),
                ..notes
            })
        }
        Ok(target) => Some(notes_view_against(
            session,
            &release.name,
            target,
            match release.previous.as_deref() {
                // A recorded release's commit is known; a tag from before the tool is read.
                Some(p) => Some((
                    p,
                    match targets.get(p) {
                        Some(commit) => *commit,
                        None => session.release_commit(p)?,
                    },
                )),
                None => None,
            },
            &config.release.remote,
            FIRST_RELEASE_NOTES,
        )?),
        Err(_) => None,
    };
    let head = match release.artifacts.is_empty() {
        true => None,
        false => session
            .git
            .ref_target(&crate::store::release_ref(&release.name))?,
    };
    let artifacts = release
        .artifacts
        .iter()
        .map(|a| -> Result<ArtifactView> {
            let text = match head {
                Some(head) => session
                    .git
                    .text_at(
                        head,
                        &format!("artifacts/{}", a.path.trim_start_matches("artifacts/")),
                    )
                    .ok()
                    .flatten()
                    .filter(|t| t.len() <= ARTIFACT_LIMIT),
                None => None,
            };
            Ok(ArtifactView {
                template: a.template.clone(),
                path: a.path.clone(),
                by: a.by.name.clone(),
                time: a.by.time.to_rfc3339(),
                text,
            })
        })
        .collect::<Result<_>>()?;
    Ok(ReleasePage {
        steps: steps(session, release),
        href: format!("releases/{file}"),
        release: view,
        timeline,
        sections,
        roles,
        notes,
        commit_url,
        artifacts,
    })
}

/// The page templates: built-ins and the repository's overrides, HTML auto-escaped.
pub struct PageTemplates {
    env: Environment<'static>,
    origins: BTreeMap<String, Origin>,
    statics: BTreeMap<String, String>,
}

impl PageTemplates {
    pub fn load(session: &Session) -> Result<PageTemplates> {
        let mut env = crate::render::environment();
        // Every value is escaped in HTML templates, whatever their file is called.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".html.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.add_filter("when", when);
        env.add_filter("day", day);
        env.add_filter("href", href);
        env.add_filter("percent", percent);
        let mut origins = BTreeMap::new();
        let mut sources: BTreeMap<String, String> = TEMPLATES
            .iter()
            .map(|(n, s)| {
                origins.insert((*n).to_owned(), Origin::BuiltIn);
                ((*n).to_owned(), (*s).to_owned())
            })
            .collect();
        let mut statics: BTreeMap<String, String> = STATIC
            .iter()
            .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
            .collect();
        for (file, text) in override_files_in(&session.git, OVERRIDE_DIR, &[".j2", ".css", ".js"])?
        {
            let path = format!("{OVERRIDE_DIR}/{file}");
            if let Some(name) = file.strip_suffix(".j2") {
                let origin = if sources.contains_key(name) {
                    Origin::Override(path)
                } else {
                    Origin::Custom(path)
                };
                origins.insert(name.to_owned(), origin);
                sources.insert(name.to_owned(), text);
            } else if statics.contains_key(&file) {
                statics.insert(file, text);
            }
        }
        for (name, source) in sources {
            if let Err(e) = env.add_template_owned(name.clone(), source) {
                let origin = &origins[&name];
                return Err(Failure::new(describe(&e, origin, None))
                    .hint(fix_hint(origin))
                    .into());
            }
        }
        Ok(PageTemplates {
            env,
            origins,
            statics,
        })
    }

    fn render(&self, name: &str, context: minijinja::Value) -> Result<String> {
        let template = self.env.get_template(name)?;
        template.render(context).map_err(|e| {
            let origin = e
                .name()
                .and_then(|n| self.origins.get(n))
                .unwrap_or(&Origin::BuiltIn);
            let source = e
                .name()
                .and_then(|n| self.env.get_template(n).ok())
                .map(|t| t.source().to_owned());
            Failure::new(describe(&e, origin, source.as_deref()))
                .hint(fix_hint(origin))
                .into()
        })
    }
}

/// `2026-11-21 22:14 UTC` from a stored time; other text as it is.
fn when(stored: String) -> String {
    DateTime::parse_from_rfc3339(&stored).map_or(stored, |t| {
        t.to_utc().format("%Y-%m-%d %H:%M UTC").to_string()
    })
}

/// `2026-11-21` from a stored time.
fn day(stored: String) -> String {
    DateTime::parse_from_rfc3339(&stored)
        .map_or(stored, |t| t.to_utc().format("%Y-%m-%d").to_string())
}

/// A link target from the repository, only if it is a web address: `javascript:` and the
/// like become nothing.
fn href(url: String) -> String {
    let lower = url.trim_start().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        url.trim().to_owned()
    } else {
        String::new()
    }
}

/// A whole number out of a total, for `<progress>` text.
fn percent(done: usize, total: usize) -> usize {
    (done * 100).checked_div(total).unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_web_addresses_are_links() {
        assert_eq!(href("https://x.test/a".into()), "https://x.test/a");
        assert_eq!(href("javascript:alert(1)".into()), "");
        assert_eq!(href(" JaVaScRiPt:alert(1)".into()), "");
        assert_eq!(href("data:text/html,x".into()), "");
    }

    #[test]
    fn page_files_are_plain_and_distinct() {
        let mut taken = Default::default();
        assert_eq!(page_file("2026-11-20", &mut taken), "2026-11-20.html");
        assert_eq!(page_file("a/b", &mut taken), "a_b.html");
        assert_eq!(page_file("a_b", &mut taken), "a_b-1.html");
        assert_eq!(page_file("..x", &mut taken), "_..x.html");
    }
}
