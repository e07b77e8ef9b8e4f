//! `git release start`: name the release, record it, and tag it.

use std::io::Write;

use anyhow::Result;
use chrono::Datelike;
use chrono::NaiveDate;

use super::Session;
use crate::config::DateRule;
use crate::context::template_context;
use crate::error::Failure;
use crate::git::Oid;
use crate::release::name::{ReleaseName, check_ref_component, future_typos_line, is_future_typo};
use crate::release::schedule::next_weekday;
use crate::release::{Event, EventKind, Release};
use crate::render::Templates;
use crate::session::Known;
use crate::store::{Created, NewRelease};

/// Start a release: name it, record it under refs/release/<name> and make its annotated tag.
///
/// The name is the date formatted by `release.name` (today, or the next push day with
/// `release.date = "push"`); when that name is taken by a release or a tag, `-1`, `-2`, …
/// is added. The previous release is the greatest release name below the new one, tags
/// made before git-release included. Prints the name on stdout.
///
/// When master cannot ship, `--from RELEASE --pick SHA…` starts from that release's commit
/// and cherry-picks the commits that must go, in order, without touching your worktree; the
/// picked commits are tagged and recorded, and RELEASE is the previous release.
#[derive(clap::Args, Debug)]
#[command(after_help = r#"Examples:
  git release start            # tag HEAD as today's release
  git release start v-fix~2 --date 2026-11-24
  git release start --on 2026-11-24   # as if it were that Tuesday
  git release start --from 2026.11.12 --pick 9f1c2ab 41d0e7c"#)]
pub struct StartArgs {
    /// The commit to release.
    #[arg(default_value = "HEAD", conflicts_with = "from")]
    rev: String,
    /// Start from this release's commit instead of REV (a cherry-pick release).
    #[arg(long, value_name = "RELEASE", requires = "picks")]
    from: Option<String>,
    /// Commits to cherry-pick onto --from, in this order.
    #[arg(long = "pick", value_name = "SHA", num_args = 1.., requires = "from")]
    picks: Vec<String>,
    /// Name the release after exactly this day (YYYY-MM-DD) instead of today or the push day.
    #[arg(long, value_name = "YYYY-MM-DD")]
    date: Option<NaiveDate>,
    /// Act as if today were this day (YYYY-MM-DD): the name follows the usual rule from it
    /// (with `release.date = "push"`, that week's push day). For replaying a day.
    #[arg(long, value_name = "YYYY-MM-DD", conflicts_with_all = ["date", "name"])]
    on: Option<NaiveDate>,
    /// Use exactly this name; refused if a release or tag already has it.
    #[arg(long, conflicts_with = "date")]
    name: Option<String>,
    /// Record the release without making a tag.
    #[arg(long)]
    no_tag: bool,
    /// Show what would be recorded and tagged; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// A name taken meanwhile is another writer's release, not a reason to take the next one
    /// (`ship`: two runs must not start two releases).
    #[arg(skip)]
    once: bool,
    /// With `once`: how many releases the caller saw; one recorded since is another writer's.
    #[arg(skip)]
    releases_seen: Option<usize>,
}

/// A name was taken between choosing and writing it, and the caller wanted only that one.
#[derive(Debug)]
pub struct NameTaken(pub String);

impl std::fmt::Display for NameTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "release {} was just started by another writer", self.0)
    }
}

impl std::error::Error for NameTaken {}

/// Starts a release at HEAD as `start` names it, for `ship`, which saw `releases_seen`
/// releases; prints the name on `out`. Fails with `NameTaken` when another writer takes the
/// name first, or recorded a release since.
pub fn start_head(releases_seen: usize, out: &mut dyn Write) -> Result<()> {
    let args = StartArgs {
        rev: "HEAD".into(),
        from: None,
        picks: Vec::new(),
        date: None,
        on: None,
        name: None,
        no_tag: false,
        dry_run: false,
        once: true,
        releases_seen: Some(releases_seen),
    };
    cmd_start(&args, out)
}

pub fn cmd_start(args: &StartArgs, out: &mut dyn Write) -> Result<()> {
    let mut session = Session::open()?;
    if args.dry_run {
        // Picks are planned as real commits; in a dry run they stay in memory.
        session.git.keep_objects_in_memory();
    }
    let session = session;
    let git = &session.git;
    let store = session.store();
    let format = session.format();
    let who = git.identity()?;
    let tag = session.config.config.release.tag && !args.no_tag;

    if let Some(name) = &args.name {
        check_ref_component(name)
            .map_err(|why| Failure::usage(format!("`{name}` cannot be a release name: {why}")))?;
        // Other spellings count in history, but a new name is written the configured way.
        let spelled = |n: ReleaseName| !n.spelling.other_separator && !n.spelling.dotted_suffix;
        if !format.parse(name).is_some_and(spelled) {
            return Err(Failure::usage(format!(
                "`{name}` does not read as a release name of the pattern `{format}`"
            ))
            .hint("release names must sort by date; use --date to pick the day instead")
            .into());
        }
    }
    // `_kept`: the picked commits' objects, kept from `git gc` until the release's refs
    // point at them.
    let (target, picks, _kept) = match &args.from {
        None => (resolve_target(&session, &args.rev)?, Vec::new(), None),
        Some(from) => {
            if !tag {
                return Err(Failure::usage(
                    "a cherry-pick release needs its tag: the tag is what keeps the picked commits",
                )
                .hint("leave out --no-tag (and set release.tag = true)")
                .into());
            }
            let base = session.release_commit(from)?.ok_or_else(|| {
                Failure::new(format!("no release or release tag named {from}"))
                    .hint("`git release list --all` shows the releases and the release tags")
            })?;
            let picks = args
                .picks
                .iter()
                .map(|p| resolve_target(&session, p))
                .collect::<Result<Vec<_>>>()?;
            // Planned in memory, written only once every pick applied.
            let plan = git.batch();
            let (tip, made) = crate::rollforward::pick(&plan, &who, base, from, &picks)?;
            let kept = git.accept(plan)?;
            for m in &made {
                crate::say!("  picked {} {}", &m.id[..7], m.summary);
            }
            (tip, picks, Some(kept))
        }
    };
    let date = match args.date {
        Some(d) => d,
        None => naming_day(&session, args.on)?,
    };

    // Choosing a name and writing it race with other writers; on a lost race, choose again.
    for _ in 0..10 {
        let known = session.known_names_in(date.year())?;
        let name = match &args.name {
            Some(name) => {
                if store.exists(name)? || git.ref_target(&format!("refs/tags/{name}"))?.is_some() {
                    return Err(Failure::new(format!(
                        "a release or tag named {name} already exists"
                    ))
                    .hint("pick another --name, or leave it out to get the next free one")
                    .into());
                }
                name.clone()
            }
            None => format.next_name(date, &known.parsed),
        };
        let parsed = format.parse(&name).expect("release names parse");
        // A cherry-pick release follows the release it was cut from.
        let previous = match &args.from {
            Some(from) => Some(from.clone()),
            None => {
                // Found among the names of the release's own year (read already), the
                // previous release is later than every other year's name, and no typo dated
                // in the future: only when the year has none is all of history read.
                let today = chrono::Local::now().date_naive();
                let near = (parsed.date.year() == date.year() && !is_future_typo(&parsed, today))
                    .then(|| format.previous(&parsed, &known.parsed))
                    .flatten();
                match near {
                    Some(previous) => {
                        History::say_spelling(&session, Some(&previous), &known.parsed, date);
                        Some(previous.text)
                    }
                    None => {
                        let history = History::read(&session)?;
                        let previous = history.previous(&parsed);
                        history.say_notes(previous.as_ref(), &known.parsed, date);
                        previous.map(|p| p.text)
                    }
                }
            }
        };
        let (draft, draft_event) = draft(
            &session,
            &name,
            target,
            previous.as_deref(),
            args.from.as_deref(),
            &picks,
        )?;
        let context = template_context(&session, &draft, &[])?;
        let count = context.notes.count;
        let message = if tag {
            Some(Templates::load(git)?.render("tag-message", &context)?)
        } else {
            None
        };
        let plan = NewRelease {
            name: name.clone(),
            target,
            previous: previous.clone(),
            tag_message: message,
            from: args.from.clone(),
            picks: picks.clone(),
        };
        let target_info = git.commit_info(target)?;
        if args.dry_run {
            writeln!(
                out,
                "would start release {name} at {} {}",
                git.short(target),
                target_info.subject
            )?;
            match &previous {
                Some(p) => writeln!(out, "previous release: {p}")?,
                None => writeln!(out, "previous release: none (first release)")?,
            }
            match &plan.tag_message {
                Some(m) => {
                    writeln!(out, "would create tag {name} with message:")?;
                    for line in m.lines() {
                        writeln!(out, "    {line}")?;
                    }
                }
                None => writeln!(out, "would not create a tag")?,
            }
            super::hooks::fire(&session, &draft, &draft_event, true, out)?;
            return Ok(());
        }
        if let Some(seen) = args.releases_seen {
            let names = store.names()?;
            if names.len() != seen {
                let newest = super::newest_first(format, names).into_iter().next();
                return Err(NameTaken(newest.unwrap_or(name)).into());
            }
        }
        let created = store.create(&who, &plan)?;
        match created {
            Created::Taken if args.name.is_some() => {
                return Err(Failure::new(format!(
                    "a release or tag named {name} was just created by someone else"
                ))
                .hint("pick another --name")
                .into());
            }
            Created::Taken if args.once => return Err(NameTaken(name).into()),
            Created::Taken => continue,
            Created::Done(created) => {
                crate::say!(
                    "Started release {name} at {} {}",
                    git.short(target),
                    target_info.subject
                );
                match &previous {
                    Some(p) if count == 0 => crate::say!("  no commits since {p}"),
                    Some(p) => crate::say!(
                        "  {} since {p}",
                        crate::output::count(count, "commit", "commits")
                    ),
                    None => crate::say!(
                        "  first release: {}",
                        crate::output::count(count, "commit", "commits")
                    ),
                }
                if tag {
                    crate::say!("  tagged {name}; publish it with `git push origin {name}`");
                }
                writeln!(out, "{name}")?;
                if let Some(e) = &created.note_error {
                    crate::warn!(
                        "warning: the release is recorded, but its note in refs/notes/release is not: {e}"
                    );
                }
                super::hooks::fire(&session, &created.release, &created.event, false, out)?;
                return Ok(());
            }
        }
    }
    Err(
        Failure::new("could not claim a release name: other releases kept taking them")
            .hint("try again")
            .into(),
    )
}

fn resolve_target(session: &Session, rev: &str) -> Result<Oid> {
    let git = &session.git;
    if let Some(id) = git.resolve_commit(rev)? {
        return Ok(id);
    }
    if rev == "HEAD" {
        return Err(Failure::new(
            "this repository has no commits yet, so there is nothing to release",
        )
        .hint("commit your work first, then run `git release start`")
        .into());
    }
    Err(Failure::new(format!("`{rev}` does not name a commit"))
        .hint("name a branch, tag or commit; `git log --oneline` shows them")
        .into())
}

/// The day the release is named after when `--date` is not given, from today or `on`.
fn naming_day(session: &Session, on: Option<NaiveDate>) -> Result<NaiveDate> {
    let today = on.unwrap_or_else(|| chrono::Local::now().date_naive());
    let config = &session.config.config;
    Ok(match config.release.date.get_ref() {
        DateRule::Today => today,
        DateRule::Push => {
            let schedule = config
                .schedule
                .as_ref()
                .expect("config checks that push dates have a schedule");
            next_weekday(today, schedule.push.0)
        }
    })
}

/// The release as it will be recorded, for the tag message's template.
fn draft(
    session: &Session,
    name: &str,
    target: Oid,
    previous: Option<&str>,
    from: Option<&str>,
    picks: &[Oid],
) -> Result<(Release, Event)> {
    let event = Event::new(
        "000000000000".into(),
        chrono::Utc::now(),
        session.git.identity()?.actor(),
        EventKind::Started {
            target: target.to_string(),
            previous: previous.map(str::to_owned),
            tag: Some(name.to_owned()),
            from: from.map(str::to_owned),
            picks: picks.iter().map(ToString::to_string).collect(),
        },
    );
    Ok((Release::begin(name, &event)?, event))
}

/// Every release name in the repository, recorded or tag, as history for finding the previous
/// release; tags dated in the future are typos, set aside so that they are never "previous".
pub(super) struct History<'s> {
    session: &'s Session,
    known: Known,
    pub future_typos: Vec<ReleaseName>,
}

impl<'s> History<'s> {
    /// The notes on spelling: the previous release, or the day's releases, written another
    /// way than the configured pattern.
    pub fn say_spelling(
        session: &Session,
        previous: Option<&ReleaseName>,
        near: &[ReleaseName],
        day: NaiveDate,
    ) {
        let format = session.format();
        let mut noted = std::collections::BTreeSet::new();
        let same_day = near.iter().filter(|n| n.date == day);
        for name in previous.into_iter().chain(same_day) {
            if let Some(note) = format.spelling_note(name) {
                noted.insert(note);
            }
        }
        for note in noted {
            crate::say!("  note: {note}");
        }
    }

    pub fn read(session: &'s Session) -> Result<History<'s>> {
        let store = session.store();
        let format = session.format();
        let today = chrono::Local::now().date_naive();
        let recorded = store.names()?;
        let is_recorded: std::collections::HashSet<&str> =
            recorded.iter().map(String::as_str).collect();
        let mut tags = Vec::new();
        let mut future_typos = Vec::new();
        for tag in store.tag_names()? {
            match format.parse(&tag) {
                Some(name)
                    if !is_recorded.contains(tag.as_str()) && is_future_typo(&name, today) =>
                {
                    future_typos.push(name)
                }
                _ => tags.push(tag),
            }
        }
        let known = Known::new(format, recorded, tags);
        Ok(History {
            session,
            known,
            future_typos,
        })
    }

    /// The greatest release name below `name`.
    pub fn previous(&self, name: &ReleaseName) -> Option<ReleaseName> {
        self.session.format().previous(name, &self.known.parsed)
    }

    /// One line for each thing a person should know about how history was read: the previous
    /// release or the day's releases spelled another way, and the tags set aside.
    pub fn say_notes(&self, previous: Option<&ReleaseName>, near: &[ReleaseName], day: NaiveDate) {
        History::say_spelling(self.session, previous, near, day);
        if let Some(line) = future_typos_line(&self.future_typos) {
            crate::say!("  note: {line}");
        }
    }
}
