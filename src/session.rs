//! The workspace every command runs in: the repository, the config in force, and the
//! questions about releases that several commands ask (which release, which gate, who may).

use std::collections::BTreeSet;

use anyhow::Result;
use chrono::Datelike;
use serde::Serialize;

use crate::config::{EnvironmentConfig, Loaded as LoadedConfig};
use crate::error::Failure;
use crate::git::Repo;
use crate::release::checklist::Checklist;
use crate::release::gate::{GateContext, Unmet, evaluate};
use crate::release::name::ReleaseName;
use crate::release::{Actor, NameFormat, Release};
use crate::store::{EventHistory, Recorded, Store};

/// What a command works in: the repository and the config in force.
pub struct Session {
    pub git: Repo,
    pub config: LoadedConfig,
    /// The event history of each release read so far, with the head it was read at and
    /// whether it holds every version: status and gates ask for it several times.
    histories: std::cell::RefCell<std::collections::HashMap<String, History>>,
    /// The fold cache, opened once for every store this session hands out.
    folds: std::cell::OnceCell<crate::store::Folds>,
    /// A snapshot of the release refs, for a read-only render (`page`).
    heads: Option<std::sync::Arc<crate::store::Heads>>,
}

type History = (crate::git::Oid, bool, std::rc::Rc<EventHistory>);

impl Session {
    pub fn open() -> Result<Session> {
        let git = Repo::discover()?;
        let config = crate::config::load(&git)?;
        Ok(Session {
            git,
            config,
            histories: Default::default(),
            folds: Default::default(),
            heads: None,
        })
    }

    /// A session in the same repository with the same config, for another thread.
    pub fn for_another_thread(&self) -> (Repo, LoadedConfig) {
        (self.git.for_another_thread(), self.config.clone())
    }

    /// The session made of what `for_another_thread` gave, on that thread.
    pub fn from_parts((git, config): (Repo, LoadedConfig)) -> Session {
        Session {
            git,
            config,
            histories: Default::default(),
            folds: Default::default(),
            heads: None,
        }
    }

    /// This session, reading the release refs from `heads` from now on: for a render that
    /// writes nothing and should see one state of the refs.
    pub fn reading(mut self, heads: std::sync::Arc<crate::store::Heads>) -> Session {
        self.heads = Some(heads);
        self
    }

    pub fn store(&self) -> Store<'_> {
        let folds = self
            .folds
            .get_or_init(|| crate::store::Folds::open(&self.git))
            .clone();
        Store::with(&self.git, folds, self.heads.clone())
    }

    /// The first line of a commit's message.
    pub fn subject(&self, commit: crate::git::Oid) -> Result<String> {
        Ok(self.git.commit_info(commit)?.subject)
    }

    /// The subject of the commit `release` points at, remembered beside its fold: reading it
    /// is the only thing `status` would otherwise need a pack (and its index) for.
    pub fn target_subject(&self, release: &Release) -> Result<String> {
        let target = release.target.parse()?;
        let folds = self
            .folds
            .get_or_init(|| crate::store::Folds::open(&self.git));
        if let Some(subject) = folds.get_subject(&release.name, target) {
            return Ok(subject);
        }
        let subject = self.subject(target)?;
        folds.put_subject(&self.git, &release.name, target, &subject);
        Ok(subject)
    }

    pub fn format(&self) -> &NameFormat {
        self.config.config.name_format()
    }

    /// The release a command acts on: the one named, or else the newest recorded one.
    pub fn select(&self, asked: Option<&str>) -> Result<String> {
        let store = self.store();
        if let Some(name) = asked {
            if store.exists(name)? {
                return Ok(name.to_owned());
            }
            let mut failure = Failure::new(format!("no release named {name}"));
            if let Some(why) = crate::store::invalid_name(name) {
                failure = failure.hint(format!(
                    "`{name}` cannot be a release name: {why}; `git release list` shows the releases"
                ));
            } else if store.tag_names()?.iter().any(|t| t == name) {
                failure = failure.hint(format!(
                    "{name} is a tag made before git-release recorded releases; record a new release with `git release start`"
                ));
            } else {
                failure = failure.hint("`git release list` shows the releases");
            }
            return Err(failure.into());
        }
        let names = newest_first(self.format(), store.names()?);
        let Some(newest) = names.first() else {
            return Err(
                Failure::new("no release has been started in this repository")
                    .hint("start one with `git release start`")
                    .into(),
            );
        };
        // A finished release is no longer the one people mean.
        let mut damaged = Vec::new();
        for name in &names {
            match store.load(name) {
                Ok(loaded) if loaded.as_ref().is_some_and(|r| r.finished.is_none()) => {
                    return Ok(name.clone());
                }
                Ok(_) => {}
                // A damaged release is skipped here; naming it with -r shows what is wrong.
                Err(e) => {
                    crate::warn!("warning: {e}");
                    damaged.push(name.as_str());
                }
            }
        }
        if !damaged.is_empty() {
            return Err(Failure::new(format!(
                "no release is both readable and unfinished; damaged: {}",
                damaged.join(", ")
            ))
            .hint("`git release fsck` shows what is wrong, `git release fsck --fix` repairs it")
            .into());
        }
        Err(
            Failure::new(format!("every release is finished; the newest is {newest}"))
                .hint(format!(
                    "start the next one with `git release start`, or name one with `-r {newest}`"
                ))
                .into(),
        )
    }

    /// The commit a release stands for: its recorded target, else its tag's commit.
    pub fn release_commit(&self, name: &str) -> Result<Option<crate::git::Oid>> {
        if crate::store::invalid_name(name).is_some() {
            return Ok(None);
        }
        if let Some(release) = self.store().load(name)? {
            return Ok(release.target.parse().ok());
        }
        self.git.peel_ref(&format!("refs/tags/{name}"))
    }

    /// Every release name known: recorded releases and tags that read as release names
    /// (releases made before the tool, "tag only").
    pub fn known_names(&self) -> Result<Known> {
        let store = self.store();
        Ok(Known::new(
            self.format(),
            store.names()?,
            store.tag_names()?,
        ))
    }

    /// The names of `year` — all of them when the pattern does not begin with the year. With
    /// ten thousand tags, reading one year's is what keeps naming a release quick.
    pub fn known_names_in(&self, year: i32) -> Result<Known> {
        let Some(prefix) = self.format().year_prefix(year) else {
            return self.known_names();
        };
        let (recorded, tags) = self.store().names_starting(&prefix)?;
        Ok(Known {
            complete: false,
            ..Known::new(self.format(), recorded, tags)
        })
    }

    /// The release before `name`: the greatest release name below it, recorded or tag. Looked
    /// for among `name`'s year first (`near`, when given, is that year's names already read):
    /// any name found there is greater than every name of an earlier year.
    pub fn previous_release(
        &self,
        name: &ReleaseName,
        near: Option<&Known>,
    ) -> Result<Option<String>> {
        let format = self.format();
        let read;
        let year = match near {
            Some(known) => known,
            None => {
                read = self.known_names_in(name.date.year())?;
                &read
            }
        };
        if let Some(previous) = format.previous(name, &year.parsed) {
            return Ok(Some(previous.text));
        }
        if year.complete {
            return Ok(None);
        }
        Ok(format
            .previous(name, &self.known_names()?.parsed)
            .map(|p| p.text))
    }
}

/// Where the checklist's sections come from, as a gate's reasons name it.
fn checklist_source(config: &crate::config::Config) -> String {
    let items = format!("[[checklist.items]] in {}", crate::config::CONFIG_PATH);
    match (&config.checklist.file, config.checklist.items.is_empty()) {
        (Some(file), true) => file.clone(),
        (Some(file), false) => format!("{file} and {items}"),
        (None, false) => items,
        (None, true) => format!("{} has none", crate::config::CONFIG_PATH),
    }
}

/// One sign-off and whether it counts toward gates: its author must be a member of the role,
/// and with `[trust] require_signed`, its event commit must carry their good signature.
#[derive(Clone, Debug, Serialize)]
pub struct SignoffCheck {
    pub role: String,
    pub by: Actor,
    pub time: String,
    /// `good`, `unsigned`, `bad: …`, `signed by …` (checked only with `require_signed`).
    pub signature: Option<String>,
    pub counts: bool,
    pub problem: Option<String>,
}

/// Whether a release may go to an environment now, and if not, why.
#[derive(Serialize)]
pub struct GateStatus {
    pub environment: String,
    pub met: bool,
    pub unmet: Vec<Unmet>,
}

impl Session {
    /// The verification checklist of `release`: its plan as committed at the release's
    /// target when it is there.
    pub fn checklist(&self, release: &Release) -> Result<Checklist> {
        let at: Option<crate::git::Oid> = release.target.parse().ok();
        crate::config::load_checklist(&self.git, &self.config.config, |file| match at {
            None => Ok(None),
            Some(commit) => self.git.text_at(commit, file),
        })
    }

    /// An environment of the config, or an error listing the ones there are.
    pub fn environment(&self, env: &str) -> Result<&EnvironmentConfig> {
        let config = &self.config.config;
        config.environment(env).ok_or_else(|| {
            let known = config.environment_names();
            let failure = Failure::new(format!("`{env}` is not an environment of this repository"));
            if known.is_empty() {
                failure.hint("define environments with [[environments]] in .release/config.toml")
            } else {
                failure.hint(format!("the environments are: {}", known.join(", ")))
            }
            .into()
        })
    }

    /// The unmet conditions for deploying `release` to `env`.
    pub fn gate(&self, release: &Release, env: &str, checklist: &Checklist) -> Result<Vec<Unmet>> {
        self.gate_of_trusted(&self.trusted(release)?, env, checklist)
    }

    /// Like `gate`, for a release whose sign-offs were already checked.
    fn gate_of_trusted(
        &self,
        release: &Release,
        env: &str,
        checklist: &Checklist,
    ) -> Result<Vec<Unmet>> {
        let config = &self.config.config;
        let environment = self.environment(env)?;
        let names = config.environment_names();
        let source = checklist_source(config);
        let ctx = GateContext {
            checklist,
            environments: &names,
            roles: &config.roles,
            checklist_source: &source,
        };
        let mut unmet = evaluate(release, env, &environment.requires, &ctx);
        // Production does not get a release that still owes a migration's undo.
        if names.last().is_some_and(|last| last == env) {
            let target = super::commands::short(&release.target);
            unmet.extend(self.owed_undos(release)?.into_iter().map(|file| Unmet {
                hint: format!("git show {target}:{}", shell_word(&file)),
                reason: format!("manual migration undo owed: {file}"),
            }));
        }
        // An event dated far ahead sorts after every later one, so nothing recorded after it
        // can take it back: the gates stay shut rather than trust it.
        if release.updated > chrono::Utc::now() + chrono::TimeDelta::days(1) {
            unmet.push(Unmet {
                reason: format!(
                    "an event is dated {}, more than a day ahead",
                    release.updated.format("%Y-%m-%d %H:%M UTC")
                ),
                hint: "`git release log` shows it; deploy with --force --reason, or start the release again".into(),
            });
        }
        Ok(unmet)
    }

    /// The files of `release`'s commits (since the previous release, or what `notes` lists of
    /// a first release) that hold `MANUAL_UNDO_MARKER` at its target: undo migrations a person
    /// still owes.
    pub fn owed_undos(&self, release: &Release) -> Result<Vec<String>> {
        let Ok(target) = release.target.parse::<crate::git::Oid>() else {
            return Ok(Vec::new());
        };
        let previous = self.last_in_production(release)?;
        let from = match previous {
            Some(previous) => Some(previous),
            None => {
                // As `notes` reads a first release: its newest commits, up to the limit.
                let limit = crate::context::FIRST_RELEASE_LIMIT;
                let commits = self.git.commits_between(target, None, limit + 1)?;
                if commits.len() > limit {
                    commits[limit - 1].parents.first().copied()
                } else {
                    None
                }
            }
        };
        let changed: Vec<String> = self.git.changed_paths(from, target)?.into_iter().collect();
        // Only migrations can owe an undo: a file elsewhere that quotes the marker (docs, this
        // tool's own source) is not one. Where migrations are is what a roll-forward uses: the
        // configured dirs, or those detected among the changed files, and any directory named
        // like one.
        let mut dirs: Vec<String> = self
            .config
            .config
            .migration_dirs()
            .iter()
            .map(|d| d.path().to_owned())
            .collect();
        if dirs.is_empty() {
            let read = |p: &str| self.git.text_at(target, p).ok().flatten();
            dirs = crate::rollforward::systems::detect(&changed, &read)
                .into_iter()
                .map(|d| d.dir)
                .collect();
        }
        let candidates = changed
            .into_iter()
            .filter(|p| crate::rollforward::systems::may_be_migration(p, &dirs));
        self.git.files_containing(
            target,
            candidates,
            crate::rollforward::MANUAL_UNDO_MARKER,
            crate::files::REPOSITORY_FILE_LIMIT,
        )
    }

    /// The commit of the newest release before `release` that reached production (the last
    /// environment), or of a tag-only release (made before the tool). A release that never
    /// got there shipped nothing: the changes it holds reach production with a later one, so
    /// what they owe is owed by that one too.
    fn last_in_production(&self, release: &Release) -> Result<Option<crate::git::Oid>> {
        let production = self.config.config.environment_names().pop();
        let mut previous = release.previous.clone();
        let mut seen = std::collections::BTreeSet::new();
        while let Some(name) = previous {
            // A chain this long never reached production through this tool: read as a first
            // release, like a chain that loops, rather than load years of releases.
            if crate::store::invalid_name(&name).is_some()
                || !seen.insert(name.clone())
                || seen.len() > 50
            {
                return Ok(None);
            }
            match self.store().load(&name)? {
                Some(p) if production.as_deref().is_none_or(|env| p.deployed_to(env)) => {
                    return Ok(p.target.parse().ok());
                }
                Some(p) => previous = p.previous,
                None => return self.git.peel_ref(&format!("refs/tags/{name}")),
            }
        }
        Ok(None)
    }

    /// Checks every sign-off of `release` (membership; signatures when required).
    pub fn check_signoffs(&self, release: &Release) -> Result<Vec<SignoffCheck>> {
        Ok(self.weigh(release)?.1)
    }

    /// `release` as gates see it, with a check of each sign-off. With `require_signed`, an
    /// event file that a good signature added to this release counts even when a later commit
    /// removed or rewrote it: events are append-only, and only the signed ones are the
    /// signer's word. Unsigned events are anyone's to write, so their removal is only reported.
    fn weigh(&self, release: &Release) -> Result<(Release, Vec<SignoffCheck>)> {
        let config = &self.config.config;
        let trust = &config.trust;
        let membership = |role: &str, email: &str| match config.roles.get(role) {
            Some(r) if !r.admits(email) => Some(format!("{email} is not a member of `{role}`")),
            _ => None,
        };
        if !trust.require_signed || !self.store().exists(&release.name)? {
            let checks = signoffs(release)
                .map(|(role, s)| {
                    let problem = membership(role, &s.email);
                    SignoffCheck {
                        role: role.to_owned(),
                        by: s.actor(),
                        time: s.time.to_rfc3339(),
                        signature: None,
                        counts: problem.is_none(),
                        problem,
                    }
                })
                .collect();
            return Ok((release.clone(), checks));
        }
        let signers_file = match &trust.allowed_signers {
            Some(path) => {
                let text = crate::config::read_repo_file(&self.git, path)?.ok_or_else(|| {
                    Failure::new(format!(
                        "the allowed signers file {path} ([trust] allowed_signers) does not exist"
                    ))
                    .hint("create it: one `email ssh-ed25519 AAAA…` line per person")
                })?;
                let mut file = tempfile::NamedTempFile::new()?;
                std::io::Write::write_all(&mut file, text.as_bytes())?;
                Some(file)
            }
            None => None,
        };
        let signers = signers_file.as_ref().map(|f| f.path());
        let history = self.event_history(&release.name, true)?;
        let mut signatures = std::collections::HashMap::new();
        let mut verdict = |recorded: &Recorded| {
            self.signature_verdict(&release.name, recorded, signers, &mut signatures)
        };
        // What counts: the events at the head, and every signed one a later commit dropped;
        // of a rewritten file, the signed version. Only dropped events are checked here: they
        // are few, where checking every event would cost a `git verify-commit` each.
        let mut signed_gone = Vec::new();
        for recorded in history.recorded.iter().filter(|r| !r.at_head) {
            // Of two signed versions of one file (never written by git-release), the first.
            let file = recorded.event.file_name();
            if !signed_gone.iter().any(|(f, _)| *f == file) && verdict(recorded)? == "good" {
                signed_gone.push((file, recorded));
            }
        }
        let counted: Vec<&Recorded> = history
            .recorded
            .iter()
            .filter(|r| r.at_head && !signed_gone.iter().any(|(f, _)| *f == r.event.file_name()))
            .chain(signed_gone.iter().map(|(_, r)| *r))
            .collect();
        let folded = if signed_gone.is_empty() {
            release.clone()
        } else {
            let mut events: Vec<crate::release::Event> =
                counted.iter().map(|r| r.event.clone()).collect();
            crate::release::state::sort(&mut events);
            Release::fold(&release.name, &events)?
        };
        let mut checks = Vec::new();
        for (role, s) in signoffs(&folded) {
            let mut problem = membership(role, &s.email);
            let event = counted.iter().find(|r| {
                let e = &r.event;
                e.time == s.time
                    && e.actor.email == s.email
                    && matches!(&e.kind, crate::release::EventKind::Signoff { role: r, .. } if r == role)
            });
            let verdict = match event {
                Some(recorded) => verdict(recorded)?,
                None => "no event found".to_owned(),
            };
            if verdict != "good" && problem.is_none() {
                problem = Some(format!("signature {verdict}"));
            }
            checks.push(SignoffCheck {
                role: role.to_owned(),
                by: s.actor(),
                time: s.time.to_rfc3339(),
                signature: Some(verdict),
                counts: problem.is_none(),
                problem,
            });
        }
        // Sign-offs the head shows that a signed event, dropped since, took back.
        for (role, s) in signoffs(release) {
            let kept = folded
                .signoffs
                .get(role)
                .is_some_and(|signers| signers.iter().any(|k| k.email == s.email));
            if !kept {
                checks.push(SignoffCheck {
                    role: role.to_owned(),
                    by: s.actor(),
                    time: s.time.to_rfc3339(),
                    signature: None,
                    counts: false,
                    problem: Some(
                        "taken back by a signed event that a later commit removed (see `git release fsck`)"
                            .to_owned(),
                    ),
                });
            }
        }
        Ok((folded, checks))
    }

    /// `good` when a commit that added `recorded` to release `name` carries a good signature
    /// by the event's actor and its own `release.toml` names this release (so a signed event
    /// of another release, merged in, is not taken for one of this); else why not.
    fn signature_verdict(
        &self,
        name: &str,
        recorded: &crate::store::Recorded,
        signers: Option<&std::path::Path>,
        signatures: &mut std::collections::HashMap<crate::git::Oid, crate::git::Signature>,
    ) -> Result<String> {
        let email = &recorded.event.actor.email;
        let mut first = None;
        for adder in &recorded.added_by {
            let signature = match signatures.get(&adder.commit) {
                Some(s) => s.clone(),
                None => {
                    let s = self.git.verify_commit(adder.commit, signers)?;
                    signatures.insert(adder.commit, s.clone());
                    s
                }
            };
            let verdict = match signature {
                crate::git::Signature::Good { signer } if &signer == email => {
                    match adder.names.as_deref() {
                        Some(n) if n == name => return Ok("good".to_owned()),
                        Some(other) => format!(
                            "good, but made for release {other} (commit {})",
                            self.git.short(adder.commit)
                        ),
                        None => format!(
                            "good, but its commit {} names no release",
                            self.git.short(adder.commit)
                        ),
                    }
                }
                crate::git::Signature::Good { signer } => format!(
                    "signed with a key that allowed_signers gives to someone else ({signer}), not to {email}"
                ),
                crate::git::Signature::Unsigned => "unsigned".to_owned(),
                crate::git::Signature::Bad(why) => format!("bad: {why}"),
            };
            first.get_or_insert(verdict);
        }
        Ok(first.unwrap_or_else(|| "no commit found".to_owned()))
    }

    /// What the history of release `name` did with its event files, read once per head.
    fn event_history(&self, name: &str, with_versions: bool) -> Result<std::rc::Rc<EventHistory>> {
        let head = self.git.ref_target(&crate::store::release_ref(name))?;
        if let Some((at, versions, history)) = self.histories.borrow().get(name)
            && Some(*at) == head
            && (*versions || !with_versions)
        {
            return Ok(history.clone());
        }
        let history = std::rc::Rc::new(self.store().event_history(name, with_versions)?);
        if let Some(head) = head {
            self.histories
                .borrow_mut()
                .insert(name.to_owned(), (head, with_versions, history.clone()));
        }
        Ok(history)
    }

    /// One line per commit of release `name` that removed or rewrote an event file.
    pub fn event_removals(&self, name: &str) -> Result<Vec<String>> {
        self.store().removals(name, |r| {
            let what = match r.change {
                crate::store::Change::Removed => "removes",
                crate::store::Change::Rewritten => "rewrites",
                crate::store::Change::Moved => "moves",
            };
            format!(
                "commit {} {what} the event file {}",
                self.git.short(r.commit),
                r.file
            )
        })
    }

    /// `release` with only the sign-offs that count (what gates are evaluated on).
    fn trusted(&self, release: &Release) -> Result<Release> {
        let (mut trusted, checks) = self.weigh(release)?;
        for check in checks {
            if !check.counts
                && let Some(signers) = trusted.signoffs.get_mut(&check.role)
            {
                signers.retain(|s| s.email != check.by.email);
            }
        }
        Ok(trusted)
    }

    /// The gate of every environment, in deployment order.
    pub fn gates(&self, release: &Release, checklist: &Checklist) -> Result<Vec<GateStatus>> {
        let release = &self.trusted(release)?;
        self.config
            .config
            .environments
            .iter()
            .map(|e| {
                let unmet = self.gate_of_trusted(release, &e.name, checklist)?;
                Ok(GateStatus {
                    environment: e.name.clone(),
                    met: unmet.is_empty(),
                    unmet,
                })
            })
            .collect()
    }

    /// Refuses `actor` unless they may act for `role` (a role without members admits anyone).
    pub fn require_member(&self, role: &str, actor: &Actor) -> Result<()> {
        let roles = &self.config.config.roles;
        let Some(definition) = roles.get(role) else {
            let known: Vec<&str> = roles.keys().map(String::as_str).collect();
            let failure = Failure::new(format!("`{role}` is not a role of this repository"));
            return Err(if known.is_empty() {
                failure.hint("define roles with [roles.<name>] in .release/config.toml")
            } else {
                failure.hint(format!("the roles are: {}", known.join(", ")))
            }
            .into());
        };
        if definition.admits(&actor.email) {
            return Ok(());
        }
        Err(Failure::new(format!(
            "{actor} is not a member of role `{role}` (members: {})",
            definition.members.join(", ")
        ))
        .hint(format!(
            "ask a member of `{role}`, or change [roles.{role}] members in .release/config.toml"
        ))
        .into())
    }
}

pub struct Known {
    /// Every recorded release and every tag that reads as a release name, each once, read once:
    /// with thousands of tags, reading names is what naming a release costs.
    pub parsed: Vec<ReleaseName>,
    /// Recorded releases whose names do not read as release names (`--name hotfix`).
    other: Vec<String>,
    /// Whether these are all the names, or one year's (`Session::known_names_in`).
    complete: bool,
}

impl Known {
    pub fn new(format: &NameFormat, recorded: Vec<String>, tags: Vec<String>) -> Known {
        let mut parsed = Vec::with_capacity(tags.len() + recorded.len());
        let mut other = Vec::new();
        let recorded: BTreeSet<String> = recorded.into_iter().collect();
        for name in &recorded {
            match format.parse(name) {
                Some(n) => parsed.push(n),
                None => other.push(name.clone()),
            }
        }
        parsed.extend(
            tags.iter()
                .filter(|t| !recorded.contains(*t))
                .filter_map(|t| format.parse(t)),
        );
        Known {
            parsed,
            other,
            complete: true,
        }
    }

    /// Every name, newest first (see `newest_first`).
    pub fn newest_first(self) -> Vec<String> {
        order(self.parsed, self.other)
    }
}

/// Every sign-off of `release`, with its role.
fn signoffs(release: &Release) -> impl Iterator<Item = (&str, &crate::release::state::Stamp)> {
    release
        .signoffs
        .iter()
        .flat_map(|(role, signers)| signers.iter().map(move |s| (role.as_str(), s)))
}

/// Orders names newest first: release names by (date, suffix); names that do not read as
/// release names (an older pattern, a custom name) after them, in reverse string order.
pub fn newest_first(format: &NameFormat, names: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut parsed = Vec::new();
    let mut other = Vec::new();
    for name in names {
        match format.parse(&name) {
            Some(n) => parsed.push(n),
            None => other.push(name),
        }
    }
    order(parsed, other)
}

fn order(mut parsed: Vec<ReleaseName>, mut other: Vec<String>) -> Vec<String> {
    parsed.sort_unstable_by(|a, b| b.cmp(a));
    other.sort_unstable_by(|a, b| b.cmp(a));
    parsed.into_iter().map(|n| n.text).chain(other).collect()
}

/// A path as one word of a shell command line: as it is when that is safe, else in single quotes.
fn shell_word(path: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+,:@%".contains(c);
    if !path.is_empty() && path.chars().all(plain) {
        path.to_owned()
    } else {
        format!("'{}'", path.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn paths_become_one_shell_word() {
        assert_eq!(shell_word("sql/003-undo.sql"), "sql/003-undo.sql");
        assert_eq!(shell_word("a b.sql"), "'a b.sql'");
        assert_eq!(shell_word("it's;$(x).sql"), "'it'\\''s;$(x).sql'");
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", shell_word("it's; $(x) `y`")))
            .output()
            .unwrap();
        assert_eq!(out.stdout, b"it's; $(x) `y`");
    }
}
