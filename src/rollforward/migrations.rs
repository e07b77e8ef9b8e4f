//! Migration systems: finding the migrations a commit added and writing their undo.
//!
//! A migration that already ran in production is undone by a new forward migration (the
//! original's down part, named by the system's own next-version rule), never by deleting its
//! file. Everything here is pure: paths and contents in, files to create out.

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;

use chrono::{NaiveDate, NaiveDateTime, TimeDelta};
use serde::{Deserialize, Serialize};

/// A migration tool, told apart by how it names files and where it keeps the down part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum System {
    /// `<version>_<name>.up.sql` and `<version>_<name>.down.sql`.
    GolangMigrate,
    /// Like golang-migrate, plus one-file `<version>_<name>.sql` migrations with no down part.
    Sqlx,
    /// `<version>_<name>/up.sql` and `<version>_<name>/down.sql`.
    Diesel,
    /// `<version>_<name>.sql` with `-- migrate:up` and `-- migrate:down` sections.
    Dbmate,
    /// `<version>_<name>.sql` with `-- +goose Up` and `-- +goose Down` sections, or Go code.
    Goose,
    /// `<anything>.sql` with `-- +migrate Up` and `-- +migrate Down` sections.
    SqlMigrate,
    /// `V<version>__<desc>.sql`, with an optional undo script `U<version>__<desc>.sql`.
    Flyway,
    /// Numbered SQL files (`003-add-index.sql`) with no down part at all.
    PlainSql,
}

impl System {
    pub const ALL: [System; 8] = [
        System::GolangMigrate,
        System::Sqlx,
        System::Diesel,
        System::Dbmate,
        System::Goose,
        System::SqlMigrate,
        System::Flyway,
        System::PlainSql,
    ];

    /// The name used in config and messages; the same spelling serde uses.
    pub fn name(self) -> &'static str {
        match self {
            System::GolangMigrate => "golang-migrate",
            System::Sqlx => "sqlx",
            System::Diesel => "diesel",
            System::Dbmate => "dbmate",
            System::Goose => "goose",
            System::SqlMigrate => "sql-migrate",
            System::Flyway => "flyway",
            System::PlainSql => "plain-sql",
        }
    }

    /// Reads a name as [`System::name`] spells it, ignoring case.
    pub fn parse(s: &str) -> Option<System> {
        let s = s.trim();
        System::ALL
            .into_iter()
            .find(|system| system.name().eq_ignore_ascii_case(s))
    }

    /// How single-file systems mark their sections; `None` for systems with one file a part.
    fn markers(self) -> Option<Markers> {
        let (tag, gap, up, down) = match self {
            System::Dbmate => ("migrate:", "", "up", "down"),
            System::Goose => ("+goose", " ", "Up", "Down"),
            System::SqlMigrate => ("+migrate", " ", "Up", "Down"),
            _ => return None,
        };
        Some(Markers { tag, gap, up, down })
    }
}

impl fmt::Display for System {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A migrations directory, from config (`[[migrations]]` with `system = "goose"` and
/// `dir = "db/migrations"`) or found by [`detect`]. `dir` is relative to the repository root;
/// `""` is the root itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MigrationDir {
    pub system: System,
    pub dir: String,
}

impl MigrationDir {
    /// `path` relative to this dir, if it lies inside it.
    fn relative<'p>(&self, path: &'p str) -> Option<&'p str> {
        let dir = clean_dir(&self.dir);
        if dir.is_empty() {
            return Some(path);
        }
        path.strip_prefix(dir)?.strip_prefix('/')
    }

    fn join(&self, relative: &str) -> String {
        join(clean_dir(&self.dir), relative)
    }

    /// How this dir's system reads `path`, if it names one of its migration files.
    fn entry(&self, path: &str) -> Option<Entry> {
        parse_entry(self.system, self.relative(path)?)
    }
}

/// One migration: `id` is its identifying name (the file name; the shared stem
/// `000003_add_email` for golang-migrate and sqlx pairs; the directory name for diesel; the
/// `V` file name for Flyway), `version` and `name` the two halves of that name, `files` the
/// paths of its files that were given.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Migration {
    pub dir: MigrationDir,
    pub id: String,
    pub version: String,
    pub name: String,
    pub files: Vec<String>,
}

/// A file to create, by its path relative to the repository root.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NewFile {
    pub path: String,
    pub content: String,
}

/// The new migration that undoes `migration`. `manual` means it is a TODO that fails until a
/// person writes the undo: the original had no down part to reuse.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Undo {
    pub migration: Migration,
    pub files: Vec<NewFile>,
    pub manual: bool,
}

/// Why undo migrations could not be planned; the message names the migration and the way out.
#[derive(Debug, PartialEq, Eq)]
pub struct UndoError(pub String);

impl fmt::Display for UndoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UndoError {}

/// Finds the migrations directories among the repository's file paths (every blob path of a
/// tree, relative to its root), reading file contents through `read` where names are not
/// enough. A dir counts when its migration files all belong to one system; dirs under
/// `vendor/`, `node_modules/`, `testdata/` and hidden dirs are someone else's migrations.
pub fn detect(paths: &[String], read: &dyn Fn(&str) -> Option<String>) -> Vec<MigrationDir> {
    let mut files_by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for path in paths.iter().filter(|path| !is_foreign(path)) {
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", path));
        files_by_dir.entry(dir).or_default().push(file);
    }
    let all: HashSet<&str> = paths.iter().map(String::as_str).collect();
    let mut found: BTreeMap<&str, System> = BTreeMap::new();
    for (&dir, files) in &files_by_dir {
        if let Some(system) = classify_dir(dir, files, &all, read) {
            found.insert(dir, system);
        }
    }
    // Diesel's migrations are folders, so its dir is the grandparent of `up.sql`.
    for (&folder_path, files) in &files_by_dir {
        let (parent, folder) = folder_path.rsplit_once('/').unwrap_or(("", folder_path));
        if files.contains(&"up.sql") && diesel_folder(folder).is_some() {
            found.entry(parent).or_insert(System::Diesel);
        }
    }
    found
        .into_iter()
        .map(|(dir, system)| MigrationDir {
            system,
            dir: dir.to_string(),
        })
        .collect()
}

/// The migrations among `added` (paths the rolled-forward commits added) that live in `dir`,
/// oldest first. A file that only accompanies a migration (a Flyway `U` file, a lone
/// `.down.sql`) does not make one.
pub fn added_migrations(dir: &MigrationDir, added: &[String]) -> Vec<Migration> {
    let mut groups: BTreeMap<String, Vec<(&String, Entry)>> = BTreeMap::new();
    for path in added {
        if let Some(entry) = dir.entry(path) {
            groups
                .entry(entry.key.clone())
                .or_default()
                .push((path, entry));
        }
    }
    let mut migrations: Vec<Migration> = groups
        .into_values()
        .filter_map(|files| {
            let (_, main) = files.iter().find(|(_, entry)| entry.role.is_main())?;
            let mut paths: Vec<String> = files.iter().map(|(path, _)| (*path).clone()).collect();
            paths.sort();
            Some(Migration {
                dir: dir.clone(),
                id: main.id.clone(),
                version: main.version.clone(),
                name: main.name.clone(),
                files: paths,
            })
        })
        .collect();
    migrations.sort_by(|a, b| order_of(a).cmp(&order_of(b)));
    migrations
}

/// Plans the undo of `migrations`: newest first within each dir, each undo taking the next
/// version after everything already in its dir and after the undo planned before it.
///
/// `existing` is every path in the migrations dirs at the commit the undo goes on top of (it
/// still holds the originals; paths outside the dirs are ignored), `read` gives contents by
/// path, `now` is the clock for timestamp versions and `sha` the short sha of the commit being
/// rolled forward, quoted in every file. A migration with no down part (or an empty one) is
/// refused, naming it, unless `allow_manual`: then its undo is a TODO that fails until written.
pub fn plan_undo(
    migrations: &[Migration],
    existing: &[String],
    read: &dyn Fn(&str) -> Option<String>,
    now: NaiveDateTime,
    sha: &str,
    allow_manual: bool,
) -> Result<Vec<Undo>, UndoError> {
    let mut namers: HashMap<&MigrationDir, Namer> = HashMap::new();
    let mut undos = Vec::new();
    let mut refused = Vec::new();
    for migration in newest_first(migrations) {
        let original = Original::read(migration, existing, read)?;
        if let Err(reason) = original.reusable_down()
            && !allow_manual
        {
            refused.push(format!("{} {reason}", migration.id));
            continue;
        }
        let namer = namers
            .entry(&migration.dir)
            .or_insert_with(|| Namer::new(&migration.dir, migrations, existing));
        let version = namer.next(now);
        let body = UndoBody::new(migration, sha, original);
        undos.push(Undo {
            migration: migration.clone(),
            manual: body.manual,
            files: body.render(migration, &version, namer.sep, sha),
        });
    }
    match refused.as_slice() {
        [] => Ok(undos),
        [one] => Err(UndoError(format!(
            "migration {one}, so it cannot be undone automatically; \
             write the undo by hand or pass --allow-manual-undo"
        ))),
        many => Err(UndoError(format!(
            "{} migrations cannot be undone automatically ({}); \
             write their undo by hand or pass --allow-manual-undo",
            many.len(),
            many.join(", ")
        ))),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading file names

/// One file of a migrations dir, as its system reads the file's name.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    /// Files of one migration share a key.
    key: String,
    /// [`Migration::id`], when this is the migration's main file.
    id: String,
    version: String,
    name: String,
    /// Between version and name, for the systems where files choose (`-` or `_`).
    sep: &'static str,
    role: Role,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The up half of a two-file migration (`.up.sql`, diesel's `up.sql`, Flyway's `V`).
    Up,
    /// Its down half (`.down.sql`, diesel's `down.sql`, Flyway's `U`).
    Down,
    /// One file holding both halves in sections.
    Sections,
    /// One SQL file that only goes up (plain SQL, sqlx's one-file migrations).
    UpOnly,
    /// A goose migration written in Go: it ran, but there is no SQL to reverse.
    Go,
    /// Part of a migration but neither half (diesel's `metadata.toml`, Flyway's `B` baseline).
    Other,
}

impl Role {
    fn is_main(self) -> bool {
        matches!(self, Role::Up | Role::Sections | Role::UpOnly | Role::Go)
    }
}

impl Entry {
    /// A migration that is a single file, known by its file name.
    fn single(file: &str, version: &str, sep: &'static str, name: &str, role: Role) -> Entry {
        Entry {
            key: file.to_string(),
            id: file.to_string(),
            version: version.to_string(),
            name: name.to_string(),
            sep,
            role,
        }
    }
}

/// How `system` reads a path relative to its migrations dir; `None` when it is not one of its
/// migration files.
fn parse_entry(system: System, relative: &str) -> Option<Entry> {
    match system {
        System::Diesel => match relative.split_once('/') {
            Some((folder, file)) if !file.contains('/') => diesel_entry(folder, file),
            _ => None,
        },
        _ if relative.contains('/') => None,
        System::GolangMigrate => pair_entry(relative, false),
        System::Sqlx => pair_entry(relative, true),
        System::Dbmate => {
            let (version, rest) = leading_digits(relative.strip_suffix(".sql")?)?;
            let name = rest.strip_prefix('_').unwrap_or(rest);
            Some(Entry::single(relative, version, "_", name, Role::Sections))
        }
        System::Goose => {
            let (stem, role) = match relative.strip_suffix(".sql") {
                Some(stem) => (stem, Role::Sections),
                // Goose skips Go test files next to its Go migrations.
                None if relative.ends_with("_test.go") => return None,
                None => (relative.strip_suffix(".go")?, Role::Go),
            };
            let (version, sep, name) = numbered(stem, &["_"])?;
            Some(Entry::single(relative, version, sep, name, role))
        }
        System::SqlMigrate => {
            // Any `.sql` file is a migration; a number in front only decides the order.
            let stem = relative.strip_suffix(".sql")?;
            let (version, sep, name) = numbered(stem, &["-", "_"])
                .or_else(|| leading_digits(stem).map(|(version, rest)| (version, "", rest)))
                .unwrap_or(("", "", stem));
            Some(Entry::single(relative, version, sep, name, Role::Sections))
        }
        System::Flyway => flyway_entry(relative),
        System::PlainSql => {
            let (version, sep, name) = numbered(relative.strip_suffix(".sql")?, &["-", "_"])?;
            Some(Entry::single(relative, version, sep, name, Role::UpOnly))
        }
    }
}

fn pair_entry(file: &str, one_file_allowed: bool) -> Option<Entry> {
    let (stem, role) = if let Some(stem) = file.strip_suffix(".up.sql") {
        (stem, Role::Up)
    } else if let Some(stem) = file.strip_suffix(".down.sql") {
        (stem, Role::Down)
    } else if one_file_allowed {
        (file.strip_suffix(".sql")?, Role::UpOnly)
    } else {
        return None;
    };
    let (version, sep, name) = numbered(stem, &["_"])?;
    Some(Entry {
        key: stem.to_string(),
        id: stem.to_string(),
        version: version.to_string(),
        name: name.to_string(),
        sep,
        role,
    })
}

fn diesel_entry(folder: &str, file: &str) -> Option<Entry> {
    let (version, name) = diesel_folder(folder)?;
    let role = match file {
        "up.sql" => Role::Up,
        "down.sql" => Role::Down,
        _ => Role::Other,
    };
    Some(Entry {
        key: folder.to_string(),
        id: folder.to_string(),
        version: version.to_string(),
        name: name.to_string(),
        sep: "_",
        role,
    })
}

/// Splits a diesel migration folder name, `2024-01-01-120000_create_users`.
fn diesel_folder(folder: &str) -> Option<(&str, &str)> {
    let (version, name) = folder.split_once('_')?;
    let is_version = version.starts_with(|c: char| c.is_ascii_digit())
        && version.chars().all(|c| c.is_ascii_digit() || c == '-');
    is_version.then_some((version, name))
}

fn flyway_entry(file: &str) -> Option<Entry> {
    let stem = file.strip_suffix(".sql")?;
    let role = match stem.chars().next()? {
        'V' => Role::Up,
        'U' => Role::Down,
        'B' => Role::Other,
        _ => return None,
    };
    let (version, desc) = stem.get(1..)?.split_once("__")?;
    let parts: Vec<&str> = version.split(['.', '_']).collect();
    let is_version = parts
        .iter()
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()));
    if !is_version {
        return None;
    }
    // `V1_1` and `U1.1` are one version to Flyway, so they are one migration here.
    let key = parts
        .iter()
        .map(|part| Number::new(part).to_string())
        .collect::<Vec<_>>()
        .join(".");
    Some(Entry {
        key,
        id: file.to_string(),
        version: version.to_string(),
        name: desc.to_string(),
        sep: "__",
        role,
    })
}

/// Splits `<digits><sep><name>`, where the separator is one of `seps`.
fn numbered<'a>(stem: &'a str, seps: &[&'static str]) -> Option<(&'a str, &'static str, &'a str)> {
    let (version, rest) = leading_digits(stem)?;
    seps.iter()
        .find_map(|&sep| Some((version, sep, rest.strip_prefix(sep)?)))
}

/// Splits a non-empty run of ASCII digits off the front of `s`.
fn leading_digits(s: &str) -> Option<(&str, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    (end > 0).then(|| s.split_at(end))
}

fn clean_dir(dir: &str) -> &str {
    let dir = dir.trim_end_matches('/');
    let dir = dir.strip_prefix("./").unwrap_or(dir);
    if dir == "." { "" } else { dir }
}

fn join(dir: &str, relative: &str) -> String {
    if dir.is_empty() {
        relative.to_string()
    } else {
        format!("{dir}/{relative}")
    }
}

// ---------------------------------------------------------------------------------------------
// Detection

/// Paths whose migrations belong to another project or to a test, not to this repository.
fn is_foreign(path: &str) -> bool {
    let mut dirs = path.split('/').rev().skip(1);
    dirs.any(|dir| matches!(dir, "vendor" | "node_modules" | "testdata") || dir.starts_with('.'))
}

fn classify_dir(
    dir: &str,
    files: &[&str],
    all: &HashSet<&str>,
    read: &dyn Fn(&str) -> Option<String>,
) -> Option<System> {
    let mut systems: BTreeSet<System> = files
        .iter()
        .filter_map(|file| classify_file(&join(dir, file), file, read))
        .collect();
    // A numbered file without markers is only plain SQL when nothing else claims the dir
    // (sqlx's one-file migrations sit next to its pairs).
    if systems.len() > 1 {
        systems.remove(&System::PlainSql);
    }
    let mut systems = systems.into_iter();
    let system = systems.next()?;
    if systems.next().is_some() {
        return None;
    }
    match system {
        System::GolangMigrate if uses_sqlx(dir, all, read) => Some(System::Sqlx),
        // sqlx's default is one-file migrations, which look like plain SQL but for the project.
        System::PlainSql if sqlx_names(files) && uses_sqlx(dir, all, read) => Some(System::Sqlx),
        // Numbered SQL files are everywhere; only a dir that says so holds migrations.
        System::PlainSql if !dir.to_ascii_lowercase().contains("migrat") => None,
        system => Some(system),
    }
}

fn classify_file(path: &str, file: &str, read: &dyn Fn(&str) -> Option<String>) -> Option<System> {
    if !file.ends_with(".sql") {
        return None;
    }
    // Names decide first; golang-migrate and sqlx pairs look alike and are told apart later.
    for system in [System::GolangMigrate, System::Flyway] {
        if parse_entry(system, file).is_some() {
            return Some(system);
        }
    }
    if let Some(text) = read(path) {
        for system in [System::Dbmate, System::Goose, System::SqlMigrate] {
            let Some(markers) = system.markers() else {
                continue;
            };
            let has_up = text
                .lines()
                .any(|line| matches!(markers.parse(line), Some((Direction::Up, _))));
            if has_up {
                return Some(system);
            }
        }
    }
    parse_entry(System::PlainSql, file).map(|_| System::PlainSql)
}

fn sqlx_names(files: &[&str]) -> bool {
    files
        .iter()
        .filter(|file| parse_entry(System::PlainSql, file).is_some())
        .all(|file| parse_entry(System::Sqlx, file).is_some())
}

/// Whether a Cargo manifest above `dir` (its crate's or its workspace's) mentions sqlx.
fn uses_sqlx(dir: &str, all: &HashSet<&str>, read: &dyn Fn(&str) -> Option<String>) -> bool {
    let mut at = dir;
    loop {
        let manifest = join(at, "Cargo.toml");
        if all.contains(manifest.as_str()) && read(&manifest).is_some_and(|t| t.contains("sqlx")) {
            return true;
        }
        if at.is_empty() {
            return false;
        }
        at = at.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

// ---------------------------------------------------------------------------------------------
// Versions

const TIMESTAMP: &str = "%Y%m%d%H%M%S";
const DIESEL_TIMESTAMP: &str = "%Y-%m-%d-%H%M%S";

/// A run of digits compared by value, however long and however zero-padded.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Number(String);

impl Number {
    fn new(digits: &str) -> Number {
        Number(digits.trim_start_matches('0').to_string())
    }
}

impl Ord for Number {
    fn cmp(&self, other: &Number) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Number {
    fn partial_cmp(&self, other: &Number) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "0" } else { &self.0 })
    }
}

/// A version as its system orders it; unnumbered ones (sql-migrate's `init.sql`) come last,
/// as sql-migrate sorts them.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct VersionOrder {
    unnumbered: bool,
    parts: Vec<Number>,
}

fn version_order(system: System, version: &str) -> VersionOrder {
    let parts: Vec<Number> = match system {
        System::Flyway => version.split(['.', '_']).map(Number::new).collect(),
        // Diesel's dashes are only punctuation: `2024-01-01-120000` orders as its digits.
        _ => {
            let digits = digits_of(version);
            if digits.is_empty() {
                vec![]
            } else {
                vec![Number::new(&digits)]
            }
        }
    };
    VersionOrder {
        unnumbered: parts.is_empty(),
        parts,
    }
}

fn order_of(migration: &Migration) -> (VersionOrder, &str) {
    (
        version_order(migration.dir.system, &migration.version),
        &migration.id,
    )
}

fn newest_first(migrations: &[Migration]) -> Vec<&Migration> {
    let mut dirs: Vec<&MigrationDir> = Vec::new();
    for migration in migrations {
        if !dirs.contains(&&migration.dir) {
            dirs.push(&migration.dir);
        }
    }
    let dir_index = |m: &Migration| dirs.iter().position(|dir| **dir == m.dir);
    let mut sorted: Vec<&Migration> = migrations.iter().collect();
    sorted.sort_by(|a, b| {
        dir_index(a)
            .cmp(&dir_index(b))
            .then_with(|| order_of(b).cmp(&order_of(a)))
    });
    sorted.dedup_by(|a, b| a.dir == b.dir && a.id == b.id);
    sorted
}

/// How new versions are spelled in one migrations dir.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Style {
    /// Zero-padded counting, `000004`.
    Sequence { width: usize },
    /// `20240101120000`.
    Timestamp,
    /// `2024-01-01-120000`.
    DieselTimestamp,
    /// Flyway's major version alone, `13`.
    FlywayMajor,
}

/// Hands out versions for undo migrations in one dir, each after every version already
/// there, including the ones it handed out before.
#[derive(Debug)]
struct Namer {
    system: System,
    style: Style,
    /// Between version and name in new file names, as the newest existing file has it.
    sep: &'static str,
    taken: Vec<String>,
}

impl Namer {
    /// Reads the dir's versions from `existing` and from the migrations' own files, in case
    /// the caller's `existing` misses them.
    fn new(dir: &MigrationDir, migrations: &[Migration], existing: &[String]) -> Namer {
        let own_files = migrations
            .iter()
            .filter(|migration| migration.dir == *dir)
            .flat_map(|migration| &migration.files);
        let entries: Vec<Entry> = existing
            .iter()
            .chain(own_files)
            .filter_map(|path| dir.entry(path))
            .collect();
        let system = dir.system;
        let latest = entries
            .iter()
            .filter(|entry| !entry.version.is_empty())
            .max_by(|a, b| {
                version_order(system, &a.version).cmp(&version_order(system, &b.version))
            });
        let style = match (system, latest) {
            (System::Diesel, _) => Style::DieselTimestamp,
            (System::Flyway, _) => Style::FlywayMajor,
            (_, Some(entry)) if parse_timestamp(&entry.version).is_some() => Style::Timestamp,
            (_, Some(entry)) => Style::Sequence {
                width: entry.version.len(),
            },
            (System::PlainSql, None) => Style::Sequence { width: 3 },
            (_, None) => Style::Timestamp,
        };
        let sep = match (system, latest) {
            (System::SqlMigrate | System::PlainSql, Some(entry)) if !entry.sep.is_empty() => {
                entry.sep
            }
            // `sql-migrate new` writes `<timestamp>-<name>.sql`.
            (System::SqlMigrate, _) => "-",
            (System::Flyway, _) => "__",
            _ => "_",
        };
        Namer {
            system,
            style,
            sep,
            taken: entries.into_iter().map(|entry| entry.version).collect(),
        }
    }

    fn next(&mut self, now: NaiveDateTime) -> String {
        let latest = self
            .taken
            .iter()
            .filter(|version| !version.is_empty())
            .max_by(|a, b| version_order(self.system, a).cmp(&version_order(self.system, b)));
        let version = match self.style {
            Style::Sequence { width } => {
                let next = increment(latest.map_or("0", String::as_str));
                format!("{next:0>width$}")
            }
            Style::Timestamp => timestamp_after(now, latest.map(String::as_str), TIMESTAMP),
            Style::DieselTimestamp => {
                timestamp_after(now, latest.map(String::as_str), DIESEL_TIMESTAMP)
            }
            Style::FlywayMajor => {
                let major =
                    latest.and_then(|v| version_order(System::Flyway, v).parts.into_iter().next());
                increment(&major.map_or(String::new(), |major| major.0))
            }
        };
        self.taken.push(version.clone());
        version
    }
}

/// `now` in `format`, or one second after `latest` when the clock is not past it: versions
/// must keep increasing even if two roll-forwards run in one second or clocks disagree.
fn timestamp_after(now: NaiveDateTime, latest: Option<&str>, format: &str) -> String {
    let candidate = now.format(format).to_string();
    let Some(latest) = latest else {
        return candidate;
    };
    let latest = digits_of(latest);
    if Number::new(&digits_of(&candidate)) > Number::new(&latest) {
        return candidate;
    }
    match parse_timestamp(&latest).and_then(|time| time.checked_add_signed(TimeDelta::seconds(1))) {
        Some(time) => time.format(format).to_string(),
        // Not a time (a sequence number in a timestamped dir): counting still works.
        None => increment(&latest),
    }
}

/// Reads `20240101120000`; `None` for anything that is not exactly a valid time.
fn parse_timestamp(digits: &str) -> Option<NaiveDateTime> {
    if digits.len() != 14 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let field = |from: usize, to: usize| digits.get(from..to)?.parse::<u32>().ok();
    let year = digits.get(0..4)?.parse::<i32>().ok()?;
    NaiveDate::from_ymd_opt(year, field(4, 6)?, field(6, 8)?)?.and_hms_opt(
        field(8, 10)?,
        field(10, 12)?,
        field(12, 14)?,
    )
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Adds one to a decimal number of any length, keeping its zero padding (`0099` → `0100`).
fn increment(digits: &str) -> String {
    let mut out = digits.as_bytes().to_vec();
    match out.iter().rposition(|&digit| digit != b'9') {
        Some(at) => {
            out[at] += 1;
            out[at + 1..].fill(b'0');
        }
        None => {
            out.fill(b'0');
            out.insert(0, b'1');
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

// ---------------------------------------------------------------------------------------------
// Reading and writing migration bodies

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Direction {
    Up,
    Down,
}

/// How a single-file system marks its sections: `-- <tag><gap><word> [options]`.
#[derive(Clone, Copy, Debug)]
struct Markers {
    tag: &'static str,
    gap: &'static str,
    up: &'static str,
    down: &'static str,
}

impl Markers {
    /// The direction a line opens and the options after it (`transaction:false`,
    /// `notransaction`). Case is ignored because goose ignores it.
    fn parse(self, line: &str) -> Option<(Direction, &str)> {
        let rest = self.after_tag(line)?.trim_start();
        let (word, options) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let direction = if word.eq_ignore_ascii_case(self.up) {
            Direction::Up
        } else if word.eq_ignore_ascii_case(self.down) {
            Direction::Down
        } else {
            return None;
        };
        Some((direction, options.trim()))
    }

    /// A line that speaks to the tool about the whole file (`-- +goose NO TRANSACTION`).
    fn is_annotation(self, line: &str) -> bool {
        self.after_tag(line).is_some()
    }

    fn after_tag(self, line: &str) -> Option<&str> {
        let rest = line.trim().strip_prefix("--")?.trim_start();
        let (head, tail) = (rest.get(..self.tag.len())?, rest.get(self.tag.len()..)?);
        head.eq_ignore_ascii_case(self.tag).then_some(tail)
    }

    fn line(self, direction: Direction, options: &str) -> String {
        let word = match direction {
            Direction::Up => self.up,
            Direction::Down => self.down,
        };
        let mut line = format!("-- {}{}{word}", self.tag, self.gap);
        if !options.is_empty() {
            line.push(' ');
            line.push_str(options);
        }
        line
    }
}

/// One direction of a migration: its SQL and the options its section directive carried.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Half {
    body: String,
    options: String,
}

impl Half {
    fn plain(body: String) -> Half {
        Half {
            body,
            options: String::new(),
        }
    }
}

/// What an original migration does each way, read from its files.
#[derive(Debug, Default, PartialEq, Eq)]
struct Original {
    /// `None` when it is not SQL (goose's Go migrations).
    up: Option<Half>,
    down: Option<Half>,
    /// File-wide lines such as `-- +goose NO TRANSACTION`, which apply to the undo as well.
    annotations: Vec<String>,
    /// sqlx's one-file migrations: the undo keeps that shape.
    one_file: bool,
}

impl Original {
    fn read(
        migration: &Migration,
        existing: &[String],
        read: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Original, UndoError> {
        let dir = &migration.dir;
        let key = migration
            .files
            .iter()
            .filter_map(|path| dir.entry(path))
            .find(|entry| entry.role.is_main())
            .map(|entry| entry.key)
            .ok_or_else(|| {
                UndoError(format!(
                    "migration {} has no {} migration file in {}",
                    migration.id,
                    dir.system,
                    display_dir(&dir.dir)
                ))
            })?;
        // The down half need not be among the added files (a Flyway `U` file written
        // later), so every file of the migration in the dir counts.
        let files: BTreeMap<&str, Entry> = existing
            .iter()
            .chain(&migration.files)
            .filter_map(|path| Some((path.as_str(), dir.entry(path)?)))
            .filter(|(_, entry)| entry.key == key)
            .collect();
        let mut original = Original::default();
        for (path, entry) in files {
            let text = || {
                read(path).ok_or_else(|| {
                    UndoError(format!(
                        "cannot read {path}, a file of migration {}",
                        migration.id
                    ))
                })
            };
            match entry.role {
                Role::Up => original.up = Some(Half::plain(text()?)),
                Role::UpOnly => {
                    original.up = Some(Half::plain(text()?));
                    original.one_file = true;
                }
                Role::Down => original.down = Some(Half::plain(text()?)),
                Role::Sections => original = split_sections(dir.system, &migration.id, &text()?)?,
                Role::Go | Role::Other => {}
            }
        }
        Ok(original)
    }

    /// The down part an undo can run, or why there is none worth running.
    fn reusable_down(&self) -> Result<&Half, &'static str> {
        match (&self.up, &self.down) {
            (None, _) => Err("is Go code, not SQL"),
            (_, None) => Err("has no down part"),
            (_, Some(down)) if is_blank_sql(&down.body) => Err("has an empty down part"),
            (_, Some(down)) => Ok(down),
        }
    }
}

/// Splits a single-file migration at its section directives. Everything between two
/// directives belongs to the first, so goose's `StatementBegin`/`StatementEnd` blocks stay whole.
fn split_sections(system: System, id: &str, text: &str) -> Result<Original, UndoError> {
    let markers = system.markers().ok_or_else(|| {
        UndoError(format!(
            "{system} migrations have no sections (reading {id})"
        ))
    })?;
    let mut halves: [Option<Half>; 2] = [None, None];
    let mut current: Option<usize> = None;
    let mut annotations = Vec::new();
    for line in text.lines() {
        if let Some((direction, options)) = markers.parse(line) {
            let index = direction as usize;
            if halves[index].is_some() {
                return Err(UndoError(format!(
                    "migration {id} has two `{}` lines; fix the file and try again",
                    markers.line(direction, "")
                )));
            }
            halves[index] = Some(Half {
                body: String::new(),
                options: options.to_string(),
            });
            current = Some(index);
        } else if let Some(half) = current.and_then(|index| halves[index].as_mut()) {
            half.body.push_str(line);
            half.body.push('\n');
        } else if markers.is_annotation(line) {
            annotations.push(line.trim().to_string());
        }
    }
    let [up, down] = halves;
    if up.is_none() {
        return Err(UndoError(format!(
            "migration {id} has no `{}` line, so its up and down parts cannot be told apart; \
             fix the file and try again",
            markers.line(Direction::Up, "")
        )));
    }
    Ok(Original {
        up,
        down,
        annotations,
        one_file: false,
    })
}

/// Whether `sql` runs nothing: only whitespace and comments.
fn is_blank_sql(sql: &str) -> bool {
    let mut rest = sql.trim_start();
    while !rest.is_empty() {
        if let Some(comment) = rest.strip_prefix("--") {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            // An unclosed comment runs nothing either (the database rejects it).
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else {
            return false;
        }
        rest = rest.trim_start();
    }
    true
}

/// `body` without blank lines before it or whitespace after it; indentation stays.
fn tidy(body: &str) -> &str {
    let mut rest = body.trim_end();
    while let Some((line, after)) = rest.split_once('\n') {
        if !line.trim().is_empty() {
            break;
        }
        rest = after;
    }
    rest
}

fn header(migration: &Migration, sha: &str) -> String {
    format!("-- Undo migration {} (roll-forward of {sha})", migration.id)
}

/// The up part of an undo nobody could write automatically: it says what is owed and fails
/// until a person replaces it, so an unfinished undo cannot quietly pass as applied.
fn manual_up(migration: &Migration, sha: &str, reason: &str, original_up: Option<&str>) -> String {
    let id = &migration.id;
    let mut text = format!(
        "-- {marker} for migration {id} (roll-forward of {sha})\n\
         {header}\n\
         --\n\
         -- Migration {id} already ran in production, and rolling forward\n\
         -- removes the commit that added it, but it {reason}, so its undo\n\
         -- could not be written automatically. Replace the failing statement at the end with\n\
         -- SQL that reverses what the migration did, then delete these TODO lines.\n",
        marker = super::MANUAL_UNDO_MARKER,
        header = header(migration, sha),
    );
    match original_up.map(tidy) {
        Some(up) if !up.is_empty() => {
            text.push_str("--\n-- What it did:\n--\n");
            for line in up.lines() {
                text.push_str(format!("--   {line}").trim_end());
                text.push('\n');
            }
        }
        _ => {
            let files = migration.files.join(", ");
            text.push_str(&format!("--\n-- Read {files} to see what it did.\n"));
        }
    }
    // A table that does not exist fails on every SQL database, whatever its dialect.
    let table = format!("TODO: write the undo of {id}").replace('"', "\"\"");
    text.push_str(&format!("SELECT * FROM \"{table}\";"));
    text
}

/// The undo's two directions, before they are laid out in its system's files.
#[derive(Debug)]
struct UndoBody {
    /// Starts with the header (and the TODO lines of a manual undo).
    up: Half,
    /// The original's up part, so that rolling the undo back re-applies the original.
    down: Option<Half>,
    annotations: Vec<String>,
    one_file: bool,
    manual: bool,
}

impl UndoBody {
    fn new(migration: &Migration, sha: &str, original: Original) -> UndoBody {
        let (up, manual) = match original.reusable_down() {
            Ok(down) => {
                let body = format!("{}\n{}", header(migration, sha), tidy(&down.body));
                let options = down.options.clone();
                (Half { body, options }, false)
            }
            Err(reason) => {
                let original_up = original.up.as_ref().map(|up| up.body.as_str());
                let body = manual_up(migration, sha, reason, original_up);
                (Half::plain(body), true)
            }
        };
        let down = original.up.map(|up| Half {
            body: tidy(&up.body).to_string(),
            options: up.options,
        });
        UndoBody {
            up,
            down,
            annotations: original.annotations,
            one_file: original.one_file,
            manual,
        }
    }

    /// Lays the undo out the way its system names and splits files.
    fn render(self, migration: &Migration, version: &str, sep: &str, sha: &str) -> Vec<NewFile> {
        let dir = &migration.dir;
        // `undo` joins the name the way its own words are joined: `add-email` → `undo-add-email`.
        let joiner = if migration.name.contains('-') && !migration.name.contains('_') {
            '-'
        } else {
            '_'
        };
        let name = format!("undo{joiner}{}", migration.name).to_lowercase();
        let file = |relative: String, content: String| NewFile {
            path: dir.join(&relative),
            content,
        };
        let up = format!("{}\n", self.up.body);
        let down = self
            .down
            .as_ref()
            .map(|down| format!("{}\n{}\n", header(migration, sha), down.body));
        let pair = |up_name: String, down_name: String| {
            let mut files = vec![file(up_name, up.clone())];
            files.extend(down.clone().map(|down| file(down_name, down)));
            files
        };
        match dir.system {
            System::GolangMigrate | System::Sqlx if self.one_file => {
                vec![file(format!("{version}_{name}.sql"), up)]
            }
            System::GolangMigrate | System::Sqlx => pair(
                format!("{version}_{name}.up.sql"),
                format!("{version}_{name}.down.sql"),
            ),
            System::Diesel => pair(
                format!("{version}_{name}/up.sql"),
                format!("{version}_{name}/down.sql"),
            ),
            // A `U` file is Flyway's own undo; a TODO has nothing trustworthy to pair it with.
            System::Flyway if self.manual => vec![file(format!("V{version}__{name}.sql"), up)],
            System::Flyway => pair(
                format!("V{version}__{name}.sql"),
                format!("U{version}__{name}.sql"),
            ),
            System::Dbmate | System::Goose | System::SqlMigrate => {
                let content = self.sections(dir.system);
                vec![file(format!("{version}{sep}{name}.sql"), content)]
            }
            System::PlainSql => vec![file(format!("{version}{sep}{name}.sql"), up)],
        }
    }

    fn sections(&self, system: System) -> String {
        let Some(markers) = system.markers() else {
            return format!("{}\n", self.up.body);
        };
        let mut text = String::new();
        for annotation in &self.annotations {
            text.push_str(annotation);
            text.push('\n');
        }
        text.push_str(&markers.line(Direction::Up, &self.up.options));
        text.push('\n');
        text.push_str(&self.up.body);
        text.push('\n');
        if let Some(down) = &self.down {
            text.push('\n');
            text.push_str(&markers.line(Direction::Down, &down.options));
            text.push('\n');
            if !down.body.is_empty() {
                text.push_str(&down.body);
                text.push('\n');
            }
        }
        text
    }
}

fn display_dir(dir: &str) -> &str {
    match clean_dir(dir) {
        "" => "the repository root",
        dir => dir,
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;
    use std::process::{Command, Stdio};

    use proptest::prelude::*;

    use super::System::*;
    use super::*;

    const NOW: &str = "20240601120000";
    const SHA: &str = "abc1234";

    /// A repository's files at one commit.
    #[derive(Clone, Debug, Default)]
    struct Repo(BTreeMap<String, String>);

    impl Repo {
        fn new(files: &[(&str, &str)]) -> Repo {
            let mut repo = Repo::default();
            for (path, content) in files {
                repo.put(path, content);
            }
            repo
        }

        fn put(&mut self, path: &str, content: &str) {
            self.0.insert(path.to_string(), content.to_string());
        }

        fn add(&mut self, files: &[NewFile]) {
            for file in files {
                assert!(
                    !self.0.contains_key(&file.path),
                    "{} already exists",
                    file.path
                );
                self.put(&file.path, &file.content);
            }
        }

        fn paths(&self) -> Vec<String> {
            self.0.keys().cloned().collect()
        }

        fn read(&self, path: &str) -> Option<String> {
            self.0.get(path).cloned()
        }

        fn detect(&self) -> Vec<MigrationDir> {
            detect(&self.paths(), &|path| self.read(path))
        }
    }

    fn at(timestamp: &str) -> NaiveDateTime {
        parse_timestamp(timestamp).expect("a valid timestamp")
    }

    fn dir(system: System, dir: &str) -> MigrationDir {
        MigrationDir {
            system,
            dir: dir.to_string(),
        }
    }

    fn strings(paths: &[&str]) -> Vec<String> {
        paths.iter().map(|path| path.to_string()).collect()
    }

    /// Plans the undo of the migrations among `added`, as `git release rollforward` would.
    fn undo(
        repo: &Repo,
        dir: &MigrationDir,
        added: &[&str],
        allow_manual: bool,
    ) -> Result<Vec<Undo>, UndoError> {
        let migrations = added_migrations(dir, &strings(added));
        assert!(!migrations.is_empty(), "no migrations among {added:?}");
        plan_undo(
            &migrations,
            &repo.paths(),
            &|path| repo.read(path),
            at(NOW),
            SHA,
            allow_manual,
        )
    }

    fn new_paths(undos: &[Undo]) -> Vec<&str> {
        undos
            .iter()
            .flat_map(|undo| &undo.files)
            .map(|file| file.path.as_str())
            .collect()
    }

    fn new_file(path: &str, content: &str) -> NewFile {
        NewFile {
            path: path.to_string(),
            content: content.to_string(),
        }
    }

    // --- System ----------------------------------------------------------------------------

    #[test]
    fn system_names_round_trip_through_parse_and_config() {
        for system in System::ALL {
            assert_eq!(System::parse(system.name()), Some(system));
            assert_eq!(System::parse(&system.name().to_uppercase()), Some(system));
            let config = format!("system = \"{system}\"\ndir = \"db/migrations\"\n");
            let parsed: MigrationDir = toml::from_str(&config).expect("config parses");
            assert_eq!(parsed, dir(system, "db/migrations"));
        }
        assert_eq!(System::parse("liquibase"), None);
    }

    // --- Detection -------------------------------------------------------------------------

    #[test]
    fn detect_tells_every_system_apart() {
        let repo = Repo::new(&[
            ("go/db/000001_init.up.sql", "CREATE TABLE a (id int);"),
            ("go/db/000001_init.down.sql", "DROP TABLE a;"),
            ("api/Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"),
            (
                "api/migrations/20240101000000_init.up.sql",
                "CREATE TABLE a (id int);",
            ),
            (
                "api/migrations/20240101000000_init.down.sql",
                "DROP TABLE a;",
            ),
            (
                "api/migrations/20240102000000_seed.sql",
                "INSERT INTO a VALUES (1);",
            ),
            (
                "web/migrations/00000000000000_diesel_initial_setup/up.sql",
                "-- setup",
            ),
            (
                "web/migrations/2024-01-01-000000_init/up.sql",
                "CREATE TABLE a (id int);",
            ),
            (
                "web/migrations/2024-01-01-000000_init/down.sql",
                "DROP TABLE a;",
            ),
            (
                "db/migrations/20240101000000_init.sql",
                "-- migrate:up\nSELECT 1;\n-- migrate:down\n",
            ),
            ("db/schema.sql", "CREATE TABLE a (id int);"),
            (
                "goose/00001_init.sql",
                "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2;\n",
            ),
            ("goose/00002_seed.go", "package migrations"),
            (
                "sqlmigrate/1-init.sql",
                "-- +migrate Up\nSELECT 1;\n-- +migrate Down\n",
            ),
            ("sqlmigrate/init-seed.sql", "-- +migrate Up\nSELECT 1;\n"),
            (
                "src/main/resources/db/migration/V1__init.sql",
                "CREATE TABLE a (id int);",
            ),
            (
                "src/main/resources/db/migration/V1_1__seed.sql",
                "INSERT INTO a VALUES (1);",
            ),
            (
                "src/main/resources/db/migration/U1_1__seed.sql",
                "DELETE FROM a;",
            ),
            (
                "src/main/resources/db/migration/R__views.sql",
                "CREATE VIEW v AS SELECT 1;",
            ),
            ("sql/migrations/001-init.sql", "CREATE TABLE a (id int);"),
            ("sql/migrations/002_seed.sql", "INSERT INTO a VALUES (1);"),
        ]);
        assert_eq!(
            repo.detect(),
            vec![
                dir(Sqlx, "api/migrations"),
                dir(Dbmate, "db/migrations"),
                dir(GolangMigrate, "go/db"),
                dir(Goose, "goose"),
                dir(PlainSql, "sql/migrations"),
                dir(SqlMigrate, "sqlmigrate"),
                dir(Flyway, "src/main/resources/db/migration"),
                dir(Diesel, "web/migrations"),
            ]
        );
    }

    #[test]
    fn detect_skips_what_is_not_clearly_one_systems_migrations() {
        let repo = Repo::new(&[
            // Numbered SQL in a dir that does not call itself migrations: examples, fixtures.
            ("docs/examples/01-select.sql", "SELECT 1;"),
            // Two systems in one dir: which one runs it is not ours to guess.
            ("db/migrate/1_a.sql", "-- +goose Up\nSELECT 1;\n"),
            ("db/migrate/2_b.sql", "-- migrate:up\nSELECT 1;\n"),
            // Other people's migrations.
            (
                "vendor/github.com/x/y/migrations/000001_a.up.sql",
                "SELECT 1;",
            ),
            ("internal/testdata/migrations/000001_a.up.sql", "SELECT 1;"),
            (".github/migrations/000001_a.up.sql", "SELECT 1;"),
            // A Cargo workspace without sqlx keeps golang-migrate.
            ("Cargo.toml", "[workspace]\n"),
            ("tools/migrations/000001_a.up.sql", "SELECT 1;"),
        ]);
        assert_eq!(repo.detect(), vec![dir(GolangMigrate, "tools/migrations")]);
    }

    #[test]
    fn detect_finds_migrations_at_the_repository_root() {
        let repo = Repo::new(&[
            (
                "20240101000000_init.sql",
                "-- migrate:up\nSELECT 1;\n-- migrate:down\n",
            ),
            ("README.md", "# app"),
        ]);
        assert_eq!(repo.detect(), vec![dir(Dbmate, "")]);
    }

    // --- added_migrations ------------------------------------------------------------------

    #[test]
    fn added_migrations_groups_each_migrations_files_oldest_first() {
        let go = dir(GolangMigrate, "db/migrations/");
        let added = strings(&[
            "db/migrations/000010_b.up.sql",
            "db/migrations/000010_b.down.sql",
            "db/migrations/000009_a.up.sql",
            "db/migrations/000008_old.down.sql",
            "db/migrations/nested/000011_c.up.sql",
            "db/other/000012_d.up.sql",
            "db/migrations/README.md",
        ]);
        let found = added_migrations(&go, &added);
        let summary: Vec<(&str, &str, &str, usize)> = found
            .iter()
            .map(|m| {
                (
                    m.id.as_str(),
                    m.version.as_str(),
                    m.name.as_str(),
                    m.files.len(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("000009_a", "000009", "a", 1),
                ("000010_b", "000010", "b", 2)
            ]
        );
        assert_eq!(
            found[1].files,
            [
                "db/migrations/000010_b.down.sql",
                "db/migrations/000010_b.up.sql"
            ]
        );
    }

    /// A system, the paths a commit added, and the `(id, version, name)` of each migration.
    type NameCase = (
        System,
        &'static [&'static str],
        &'static [(&'static str, &'static str, &'static str)],
    );

    #[test]
    fn added_migrations_reads_each_systems_names() {
        let cases: [NameCase; 7] = [
            (
                Diesel,
                &[
                    "m/2024-01-01-120000_add_email/up.sql",
                    "m/2024-01-01-120000_add_email/down.sql",
                ],
                &[(
                    "2024-01-01-120000_add_email",
                    "2024-01-01-120000",
                    "add_email",
                )],
            ),
            (
                Dbmate,
                &["m/20240101120000_add_email.sql"],
                &[(
                    "20240101120000_add_email.sql",
                    "20240101120000",
                    "add_email",
                )],
            ),
            (
                Goose,
                &[
                    "m/00002_add_email.sql",
                    "m/00003_seed.go",
                    "m/00003_seed_test.go",
                ],
                &[
                    ("00002_add_email.sql", "00002", "add_email"),
                    ("00003_seed.go", "00003", "seed"),
                ],
            ),
            (
                SqlMigrate,
                &["m/2-add-email.sql", "m/init.sql"],
                &[
                    ("2-add-email.sql", "2", "add-email"),
                    ("init.sql", "", "init"),
                ],
            ),
            (
                Flyway,
                &[
                    "m/V1_10__Add_email.sql",
                    "m/U1.10__Add_email.sql",
                    "m/U1_2__only_undo.sql",
                    "m/R__views.sql",
                ],
                &[("V1_10__Add_email.sql", "1_10", "Add_email")],
            ),
            (
                Sqlx,
                &["m/20240101120000_seed.sql"],
                &[("20240101120000_seed", "20240101120000", "seed")],
            ),
            (
                PlainSql,
                &["m/0003-add-index.sql", "m/notes.sql"],
                &[("0003-add-index.sql", "0003", "add-index")],
            ),
        ];
        for (system, added, expected) in cases {
            let found = added_migrations(&dir(system, "m"), &strings(added));
            let summary: Vec<(&str, &str, &str)> = found
                .iter()
                .map(|m| (m.id.as_str(), m.version.as_str(), m.name.as_str()))
                .collect();
            assert_eq!(summary, expected, "{system}");
        }
        let flyway = added_migrations(
            &dir(Flyway, "m"),
            &strings(&["m/V1_10__Add_email.sql", "m/U1.10__Add_email.sql"]),
        );
        assert_eq!(flyway[0].files.len(), 2, "the U file belongs to its V file");
    }

    // --- Versions --------------------------------------------------------------------------

    fn next_versions(system: System, existing: &[&str], now: &str, count: usize) -> Vec<String> {
        let mut namer = Namer::new(&dir(system, "m"), &[], &strings(existing));
        (0..count).map(|_| namer.next(at(now))).collect()
    }

    #[test]
    fn sequences_count_on_with_the_existing_padding() {
        assert_eq!(
            next_versions(
                GolangMigrate,
                &["m/000003_a.up.sql", "m/000001_b.up.sql"],
                NOW,
                2
            ),
            ["000004", "000005"]
        );
        assert_eq!(
            next_versions(Goose, &["m/00009_a.sql", "m/00010_b.sql"], NOW, 1),
            ["00011"]
        );
        assert_eq!(
            next_versions(PlainSql, &["m/8-a.sql", "m/9-b.sql"], NOW, 1),
            ["10"]
        );
        assert_eq!(next_versions(PlainSql, &["m/999_a.sql"], NOW, 1), ["1000"]);
    }

    #[test]
    fn timestamps_use_the_clock_unless_a_version_is_already_past_it() {
        let past = ["m/20240101000000_a.up.sql"];
        assert_eq!(
            next_versions(GolangMigrate, &past, NOW, 2),
            [NOW, "20240601120001"]
        );
        let future = ["m/20300101235959_a.sql"];
        assert_eq!(
            next_versions(Dbmate, &future, NOW, 2),
            ["20300102000000", "20300102000001"]
        );
        // Goose migrations may also be Go files; their versions count too.
        assert_eq!(
            next_versions(Goose, &["m/20300101000000_a.go"], NOW, 1),
            ["20300101000001"]
        );
    }

    #[test]
    fn diesel_versions_are_diesel_timestamps() {
        let existing = [
            "m/00000000000000_diesel_initial_setup/up.sql",
            "m/2024-01-01-000000_a/up.sql",
        ];
        assert_eq!(
            next_versions(Diesel, &existing, NOW, 2),
            ["2024-06-01-120000", "2024-06-01-120001"]
        );
        let future = ["m/2030-01-01-000000_a/up.sql"];
        assert_eq!(
            next_versions(Diesel, &future, NOW, 1),
            ["2030-01-01-000001"]
        );
    }

    #[test]
    fn flyway_versions_are_the_next_major_alone() {
        let existing = [
            "m/V1__a.sql",
            "m/V2_1__b.sql",
            "m/V12.3.4__c.sql",
            "m/U12.3.4__c.sql",
            "m/R__views.sql",
        ];
        assert_eq!(next_versions(Flyway, &existing, NOW, 2), ["13", "14"]);
    }

    #[test]
    fn sql_migrate_names_follow_the_newest_file() {
        let numbered = ["m/1-init.sql", "m/2_add_email.sql"];
        let mut namer = Namer::new(&dir(SqlMigrate, "m"), &[], &strings(&numbered));
        assert_eq!((namer.next(at(NOW)).as_str(), namer.sep), ("3", "_"));
        let stamped = ["m/20240101000000-init.sql", "m/schema-notes.sql"];
        let mut namer = Namer::new(&dir(SqlMigrate, "m"), &[], &strings(&stamped));
        assert_eq!((namer.next(at(NOW)).as_str(), namer.sep), (NOW, "-"));
    }

    // --- Undo: two-file systems ------------------------------------------------------------

    fn golang_repo() -> Repo {
        Repo::new(&[
            (
                "db/migrations/000001_create_users.up.sql",
                "CREATE TABLE users (id int);\n",
            ),
            (
                "db/migrations/000001_create_users.down.sql",
                "DROP TABLE users;\n",
            ),
            (
                "db/migrations/000002_add_name.up.sql",
                "ALTER TABLE users ADD COLUMN name text;\n",
            ),
            (
                "db/migrations/000002_add_name.down.sql",
                "ALTER TABLE users DROP COLUMN name;\n",
            ),
            (
                "db/migrations/000003_Add_Email.up.sql",
                "\n\nALTER TABLE users ADD COLUMN email text;\n\n",
            ),
            (
                "db/migrations/000003_Add_Email.down.sql",
                "ALTER TABLE users DROP COLUMN email;\n",
            ),
        ])
    }

    #[test]
    fn golang_migrate_undo_swaps_up_and_down() {
        let repo = golang_repo();
        let added = [
            "db/migrations/000003_Add_Email.up.sql",
            "db/migrations/000003_Add_Email.down.sql",
        ];
        let undos = undo(&repo, &dir(GolangMigrate, "db/migrations"), &added, false).unwrap();
        assert_eq!(undos.len(), 1);
        assert!(!undos[0].manual);
        assert_eq!(undos[0].migration.id, "000003_Add_Email");
        assert_eq!(
            undos[0].files,
            [
                new_file(
                    "db/migrations/000004_undo_add_email.up.sql",
                    "-- Undo migration 000003_Add_Email (roll-forward of abc1234)\n\
                     ALTER TABLE users DROP COLUMN email;\n"
                ),
                new_file(
                    "db/migrations/000004_undo_add_email.down.sql",
                    "-- Undo migration 000003_Add_Email (roll-forward of abc1234)\n\
                     ALTER TABLE users ADD COLUMN email text;\n"
                ),
            ]
        );
    }

    #[test]
    fn several_undos_go_newest_first_with_consecutive_versions() {
        let repo = golang_repo();
        let added = [
            "db/migrations/000002_add_name.up.sql",
            "db/migrations/000002_add_name.down.sql",
            "db/migrations/000003_Add_Email.up.sql",
            "db/migrations/000003_Add_Email.down.sql",
        ];
        let undos = undo(&repo, &dir(GolangMigrate, "db/migrations"), &added, false).unwrap();
        let ids: Vec<&str> = undos.iter().map(|u| u.migration.id.as_str()).collect();
        assert_eq!(ids, ["000003_Add_Email", "000002_add_name"]);
        assert_eq!(
            new_paths(&undos),
            [
                "db/migrations/000004_undo_add_email.up.sql",
                "db/migrations/000004_undo_add_email.down.sql",
                "db/migrations/000005_undo_add_name.up.sql",
                "db/migrations/000005_undo_add_name.down.sql",
            ]
        );
    }

    #[test]
    fn undos_in_two_dirs_each_count_in_their_own_dir() {
        let repo = Repo::new(&[
            ("a/000007_x.up.sql", "CREATE TABLE x (id int);"),
            ("a/000007_x.down.sql", "DROP TABLE x;"),
            (
                "b/20240101000000_y.sql",
                "-- migrate:up\nCREATE TABLE y (id int);\n-- migrate:down\nDROP TABLE y;\n",
            ),
        ]);
        let mut migrations = added_migrations(&dir(Dbmate, "b"), &repo.paths());
        migrations.extend(added_migrations(&dir(GolangMigrate, "a"), &repo.paths()));
        let undos = plan_undo(
            &migrations,
            &repo.paths(),
            &|p| repo.read(p),
            at(NOW),
            SHA,
            false,
        )
        .unwrap();
        assert_eq!(
            new_paths(&undos),
            [
                "b/20240601120000_undo_y.sql",
                "a/000008_undo_x.up.sql",
                "a/000008_undo_x.down.sql"
            ]
        );
    }

    #[test]
    fn sqlx_one_file_migrations_have_no_down_part() {
        let repo = Repo::new(&[
            ("Cargo.toml", "[dependencies]\nsqlx = \"0.8\"\n"),
            (
                "migrations/20240101000000_seed.sql",
                "INSERT INTO users VALUES (1);\n",
            ),
        ]);
        let sqlx = dir(Sqlx, "migrations");
        assert_eq!(repo.detect(), [dir(Sqlx, "migrations")]);
        let added = ["migrations/20240101000000_seed.sql"];
        let refused = undo(&repo, &sqlx, &added, false).unwrap_err();
        assert!(
            refused
                .0
                .starts_with("migration 20240101000000_seed has no down part"),
            "{refused}"
        );
        let undos = undo(&repo, &sqlx, &added, true).unwrap();
        assert!(undos[0].manual);
        assert_eq!(
            new_paths(&undos),
            ["migrations/20240601120000_undo_seed.sql"]
        );
    }

    #[test]
    fn diesel_undo_is_a_new_folder() {
        let repo = Repo::new(&[
            (
                "migrations/00000000000000_diesel_initial_setup/up.sql",
                "-- setup\n",
            ),
            (
                "migrations/00000000000000_diesel_initial_setup/down.sql",
                "-- setup\n",
            ),
            (
                "migrations/2030-01-01-000000_add_email/up.sql",
                "ALTER TABLE users ADD COLUMN email text;\n",
            ),
            (
                "migrations/2030-01-01-000000_add_email/down.sql",
                "ALTER TABLE users DROP COLUMN email;\n",
            ),
        ]);
        let added = [
            "migrations/2030-01-01-000000_add_email/up.sql",
            "migrations/2030-01-01-000000_add_email/down.sql",
        ];
        let undos = undo(&repo, &dir(Diesel, "migrations"), &added, false).unwrap();
        assert_eq!(
            undos[0].files,
            [
                new_file(
                    "migrations/2030-01-01-000001_undo_add_email/up.sql",
                    "-- Undo migration 2030-01-01-000000_add_email (roll-forward of abc1234)\n\
                     ALTER TABLE users DROP COLUMN email;\n"
                ),
                new_file(
                    "migrations/2030-01-01-000001_undo_add_email/down.sql",
                    "-- Undo migration 2030-01-01-000000_add_email (roll-forward of abc1234)\n\
                     ALTER TABLE users ADD COLUMN email text;\n"
                ),
            ]
        );
    }

    #[test]
    fn flyway_undo_is_the_u_file_as_a_new_version() {
        let repo = Repo::new(&[
            (
                "db/migration/V1__create_users.sql",
                "CREATE TABLE users (id int);\n",
            ),
            (
                "db/migration/V2_1__Add_Users_Email.sql",
                "ALTER TABLE users ADD COLUMN email text;\n",
            ),
            (
                "db/migration/U2.1__Add_Users_Email.sql",
                "ALTER TABLE users DROP COLUMN email;\n",
            ),
            (
                "db/migration/V12__add_index.sql",
                "CREATE INDEX users_id ON users (id);\n",
            ),
        ]);
        // The U file was written in an earlier commit; only the V file is being rolled forward.
        let undos = undo(
            &repo,
            &dir(Flyway, "db/migration"),
            &["db/migration/V2_1__Add_Users_Email.sql"],
            false,
        )
        .unwrap();
        assert_eq!(
            undos[0].files,
            [
                new_file(
                    "db/migration/V13__undo_add_users_email.sql",
                    "-- Undo migration V2_1__Add_Users_Email.sql (roll-forward of abc1234)\n\
                     ALTER TABLE users DROP COLUMN email;\n"
                ),
                new_file(
                    "db/migration/U13__undo_add_users_email.sql",
                    "-- Undo migration V2_1__Add_Users_Email.sql (roll-forward of abc1234)\n\
                     ALTER TABLE users ADD COLUMN email text;\n"
                ),
            ]
        );
    }

    #[test]
    fn flyway_without_a_u_file_is_forward_only() {
        let repo = Repo::new(&[(
            "db/migration/V12__add_index.sql",
            "CREATE INDEX users_id ON users (id);\n",
        )]);
        let flyway = dir(Flyway, "db/migration");
        let added = ["db/migration/V12__add_index.sql"];
        assert_eq!(
            undo(&repo, &flyway, &added, false).unwrap_err().to_string(),
            "migration V12__add_index.sql has no down part, so it cannot be undone automatically; \
             write the undo by hand or pass --allow-manual-undo"
        );
        let undos = undo(&repo, &flyway, &added, true).unwrap();
        assert!(undos[0].manual);
        assert_eq!(
            new_paths(&undos),
            ["db/migration/V13__undo_add_index.sql"],
            "no U file for a TODO"
        );
        assert!(undos[0].files[0].content.starts_with(
            "-- TODO: MANUAL UNDO REQUIRED for migration V12__add_index.sql (roll-forward of abc1234)\n"
        ));
    }

    // --- Undo: single-file systems ---------------------------------------------------------

    #[test]
    fn dbmate_undo_swaps_sections_with_their_options() {
        let repo = Repo::new(&[(
            "db/migrations/20240201000000_add_email.sql",
            "-- migrate:up transaction:false\nALTER TABLE users ADD COLUMN email text;\n\n\
                 -- migrate:down\nALTER TABLE users DROP COLUMN email;\n",
        )]);
        let undos = undo(
            &repo,
            &dir(Dbmate, "db/migrations"),
            &["db/migrations/20240201000000_add_email.sql"],
            false,
        )
        .unwrap();
        assert_eq!(
            undos[0].files,
            [new_file(
                "db/migrations/20240601120000_undo_add_email.sql",
                "-- migrate:up\n\
                 -- Undo migration 20240201000000_add_email.sql (roll-forward of abc1234)\n\
                 ALTER TABLE users DROP COLUMN email;\n\
                 \n\
                 -- migrate:down transaction:false\n\
                 ALTER TABLE users ADD COLUMN email text;\n"
            )]
        );
    }

    #[test]
    fn goose_undo_keeps_statement_blocks_and_file_annotations() {
        let original = "-- +goose NO TRANSACTION\n\
                        -- adds the audit trigger\n\
                        -- +goose Up\n\
                        -- +goose StatementBegin\n\
                        CREATE TRIGGER audit AFTER INSERT ON users\n\
                        BEGIN\n    INSERT INTO log VALUES (new.id);\nEND;\n\
                        -- +goose StatementEnd\n\
                        \n\
                        -- +goose Down\n\
                        -- +goose StatementBegin\n\
                        DROP TRIGGER audit;\n\
                        -- +goose StatementEnd\n";
        let repo = Repo::new(&[
            ("db/00001_users.sql", "-- +goose Up\nSELECT 1;\n"),
            ("db/00002_audit.sql", original),
        ]);
        let undos = undo(&repo, &dir(Goose, "db"), &["db/00002_audit.sql"], false).unwrap();
        assert_eq!(
            undos[0].files,
            [new_file(
                "db/00003_undo_audit.sql",
                "-- +goose NO TRANSACTION\n\
                 -- +goose Up\n\
                 -- Undo migration 00002_audit.sql (roll-forward of abc1234)\n\
                 -- +goose StatementBegin\n\
                 DROP TRIGGER audit;\n\
                 -- +goose StatementEnd\n\
                 \n\
                 -- +goose Down\n\
                 -- +goose StatementBegin\n\
                 CREATE TRIGGER audit AFTER INSERT ON users\n\
                 BEGIN\n    INSERT INTO log VALUES (new.id);\nEND;\n\
                 -- +goose StatementEnd\n"
            )]
        );
    }

    #[test]
    fn goose_go_migrations_need_a_manual_undo() {
        let repo = Repo::new(&[("db/00002_backfill.go", "package db\n")]);
        let goose = dir(Goose, "db");
        let refused = undo(&repo, &goose, &["db/00002_backfill.go"], false).unwrap_err();
        assert!(
            refused
                .0
                .starts_with("migration 00002_backfill.go is Go code, not SQL"),
            "{refused}"
        );
        let undos = undo(&repo, &goose, &["db/00002_backfill.go"], true).unwrap();
        let content = &undos[0].files[0].content;
        assert_eq!(undos[0].files[0].path, "db/00003_undo_backfill.sql");
        assert!(content.starts_with(
            "-- +goose Up\n-- TODO: MANUAL UNDO REQUIRED for migration 00002_backfill.go"
        ));
        assert!(
            content.contains("-- Read db/00002_backfill.go to see what it did."),
            "{content}"
        );
        assert!(!content.contains("+goose Down"), "{content}");
    }

    #[test]
    fn sql_migrate_undo_keeps_the_name_style() {
        let repo = Repo::new(&[
            (
                "migrations/1-create-users.sql",
                "-- +migrate Up\nCREATE TABLE users (id int);\n",
            ),
            (
                "migrations/2-add-email.sql",
                "-- +migrate Up notransaction\nALTER TABLE users ADD COLUMN email text;\n\
                 -- +migrate Down\nALTER TABLE users DROP COLUMN email;\n",
            ),
        ]);
        let undos = undo(
            &repo,
            &dir(SqlMigrate, "migrations"),
            &["migrations/2-add-email.sql"],
            false,
        )
        .unwrap();
        assert_eq!(
            undos[0].files,
            [new_file(
                "migrations/3-undo-add-email.sql",
                "-- +migrate Up\n\
                 -- Undo migration 2-add-email.sql (roll-forward of abc1234)\n\
                 ALTER TABLE users DROP COLUMN email;\n\
                 \n\
                 -- +migrate Down notransaction\n\
                 ALTER TABLE users ADD COLUMN email text;\n"
            )]
        );
    }

    // --- Forward-only ----------------------------------------------------------------------

    #[test]
    fn plain_sql_is_refused_with_a_message_that_says_what_to_do() {
        let repo = Repo::new(&[
            (
                "db/migrations/0002-create-users.sql",
                "CREATE TABLE users (id int);\n",
            ),
            (
                "db/migrations/0003-add-index.sql",
                "CREATE INDEX users_id ON users (id);\n",
            ),
        ]);
        let err = undo(
            &repo,
            &dir(PlainSql, "db/migrations"),
            &["db/migrations/0003-add-index.sql"],
            false,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "migration 0003-add-index.sql has no down part, so it cannot be undone automatically; \
             write the undo by hand or pass --allow-manual-undo"
        );
    }

    #[test]
    fn allow_manual_writes_a_todo_that_fails_until_written() {
        let repo = Repo::new(&[(
            "db/migrations/0003-add-index.sql",
            "CREATE INDEX users_id ON users (id);\n",
        )]);
        let undos = undo(
            &repo,
            &dir(PlainSql, "db/migrations"),
            &["db/migrations/0003-add-index.sql"],
            true,
        )
        .unwrap();
        assert!(undos[0].manual);
        assert_eq!(
            undos[0].files,
            [new_file(
                "db/migrations/0004-undo-add-index.sql",
                "-- TODO: MANUAL UNDO REQUIRED for migration 0003-add-index.sql (roll-forward of abc1234)\n\
                 -- Undo migration 0003-add-index.sql (roll-forward of abc1234)\n\
                 --\n\
                 -- Migration 0003-add-index.sql already ran in production, and rolling forward\n\
                 -- removes the commit that added it, but it has no down part, so its undo\n\
                 -- could not be written automatically. Replace the failing statement at the end with\n\
                 -- SQL that reverses what the migration did, then delete these TODO lines.\n\
                 --\n\
                 -- What it did:\n\
                 --\n\
                 --   CREATE INDEX users_id ON users (id);\n\
                 SELECT * FROM \"TODO: write the undo of 0003-add-index.sql\";\n"
            )]
        );
    }

    #[test]
    fn a_down_part_of_only_comments_counts_as_none() {
        let repo = Repo::new(&[
            ("m/000001_a.up.sql", "CREATE TABLE a (id int);\n"),
            ("m/000001_a.down.sql", "-- nothing to do\n/* really */\n\n"),
            (
                "m/20240101000000_b.sql",
                "-- migrate:up\nCREATE TABLE b (id int);\n-- migrate:down\n\n",
            ),
        ]);
        let err = undo(
            &repo,
            &dir(GolangMigrate, "m"),
            &["m/000001_a.up.sql", "m/000001_a.down.sql"],
            false,
        )
        .unwrap_err();
        assert!(
            err.0
                .starts_with("migration 000001_a has an empty down part, so"),
            "{err}"
        );
        let undos = undo(
            &repo,
            &dir(GolangMigrate, "m"),
            &["m/000001_a.up.sql"],
            true,
        )
        .unwrap();
        assert_eq!(
            new_paths(&undos),
            ["m/000002_undo_a.up.sql", "m/000002_undo_a.down.sql"]
        );
        assert!(
            undos[0].files[0]
                .content
                .contains("it has an empty down part")
        );
        let err = undo(&repo, &dir(Dbmate, "m"), &["m/20240101000000_b.sql"], false).unwrap_err();
        assert!(
            err.0
                .starts_with("migration 20240101000000_b.sql has an empty down part"),
            "{err}"
        );
    }

    #[test]
    fn every_refused_migration_is_named_at_once() {
        let repo = Repo::new(&[
            ("m/001_a.sql", "CREATE TABLE a (id int);\n"),
            ("m/002_b.sql", "CREATE TABLE b (id int);\n"),
        ]);
        let err = undo(
            &repo,
            &dir(PlainSql, "m"),
            &["m/001_a.sql", "m/002_b.sql"],
            false,
        )
        .unwrap_err();
        assert_eq!(
            err.0,
            "2 migrations cannot be undone automatically (002_b.sql has no down part, \
             001_a.sql has no down part); write their undo by hand or pass --allow-manual-undo"
        );
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let goose = dir(Goose, "db");
        let repo = Repo::new(&[("db/00001_a.sql", "CREATE TABLE a (id int);\n")]);
        let err = undo(&repo, &goose, &["db/00001_a.sql"], false).unwrap_err();
        assert!(
            err.0
                .starts_with("migration 00001_a.sql has no `-- +goose Up` line"),
            "{err}"
        );

        let repo = Repo::new(&[(
            "db/00001_a.sql",
            "-- +goose Up\nSELECT 1;\n-- +goose Up\nSELECT 2;\n",
        )]);
        let err = undo(&repo, &goose, &["db/00001_a.sql"], false).unwrap_err();
        assert!(err.0.contains("has two `-- +goose Up` lines"), "{err}");

        let unreadable = Repo::default();
        let err = undo(&unreadable, &goose, &["db/00001_a.sql"], false).unwrap_err();
        assert_eq!(
            err.0,
            "cannot read db/00001_a.sql, a file of migration 00001_a.sql"
        );

        let stray = Migration {
            dir: goose.clone(),
            id: "x".to_string(),
            version: String::new(),
            name: "x".to_string(),
            files: vec![],
        };
        let err = plan_undo(&[stray], &[], &|_| None, at(NOW), SHA, true).unwrap_err();
        assert_eq!(err.0, "migration x has no goose migration file in db");
    }

    // --- Proofs on a real database ---------------------------------------------------------

    /// A scratch SQLite database driven through the `sqlite3` binary.
    struct Database {
        _dir: tempfile::TempDir,
        path: std::path::PathBuf,
    }

    impl Database {
        fn new() -> Database {
            if Command::new("sqlite3").arg("-version").output().is_err() {
                panic!(
                    "sqlite3 is not installed, so the migration proofs cannot run; \
                     install it (apt-get install sqlite3) — CI does"
                );
            }
            let dir = tempfile::tempdir().expect("a temporary dir");
            let path = dir.path().join("app.db");
            Database { _dir: dir, path }
        }

        fn try_run(&self, sql: &str) -> Result<String, String> {
            let mut child = Command::new("sqlite3")
                .arg("-bail")
                .arg(&self.path)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("sqlite3 starts");
            child
                .stdin
                .take()
                .expect("stdin is piped")
                .write_all(sql.as_bytes())
                .expect("sqlite3 reads the SQL");
            let output = child.wait_with_output().expect("sqlite3 finishes");
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            if output.status.success() && stderr.is_empty() {
                Ok(String::from_utf8_lossy(&output.stdout).into_owned())
            } else {
                Err(stderr)
            }
        }

        fn run(&self, sql: &str) {
            if let Err(err) = self.try_run(sql) {
                panic!("sqlite3 rejected\n{sql}\n{err}");
            }
        }

        fn schema(&self) -> String {
            let query = "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY name;";
            self.try_run(query).expect("the schema reads")
        }
    }

    const CREATE_USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);";
    const DROP_USERS: &str = "DROP TABLE users;";
    const ADD_EMAIL: &str = "ALTER TABLE users ADD COLUMN email TEXT;";
    const DROP_EMAIL: &str = "ALTER TABLE users DROP COLUMN email;";
    // SQLite refuses to drop an indexed column, so undoing these out of order fails.
    const ADD_SESSIONS: &str = "CREATE INDEX users_email ON users (email);\n\
                                CREATE TABLE sessions (\n    \
                                    id INTEGER PRIMARY KEY,\n    \
                                    user_id INTEGER NOT NULL REFERENCES users (id)\n\
                                );";
    const DROP_SESSIONS: &str = "DROP TABLE sessions;\nDROP INDEX users_email;";
    const ADD_SESSIONS_GOOSE: &str = "CREATE INDEX users_email ON users (email);\n\
                                      -- +goose StatementBegin\n\
                                      CREATE TRIGGER users_upper AFTER INSERT ON users\n\
                                      BEGIN\n    \
                                          UPDATE users SET name = upper(new.name) WHERE id = new.id;\n\
                                      END;\n\
                                      -- +goose StatementEnd";
    const DROP_SESSIONS_GOOSE: &str = "DROP TRIGGER users_upper;\nDROP INDEX users_email;";

    /// The same history in each system's layout: a users table, then two bad migrations (a
    /// column; an index on it and a table or trigger).
    fn history(system: System) -> Repo {
        let (sessions_up, sessions_down) = match system {
            Goose => (ADD_SESSIONS_GOOSE, DROP_SESSIONS_GOOSE),
            _ => (ADD_SESSIONS, DROP_SESSIONS),
        };
        let steps = [
            ("create_users", CREATE_USERS, DROP_USERS),
            ("add_email", ADD_EMAIL, DROP_EMAIL),
            ("add_sessions", sessions_up, sessions_down),
        ];
        let mut repo = Repo::default();
        match system {
            Sqlx => repo.put(
                "Cargo.toml",
                "[dependencies]\nsqlx = { version = \"0.8\" }\n",
            ),
            Diesel => {
                repo.put(
                    "migrations/00000000000000_diesel_initial_setup/up.sql",
                    "-- setup\n",
                );
                repo.put(
                    "migrations/00000000000000_diesel_initial_setup/down.sql",
                    "-- setup\n",
                );
            }
            _ => {}
        }
        for (n, (name, up, down)) in (1..).zip(steps) {
            let sections = |tag: &str, up_word: &str, down_word: &str| {
                format!("-- {tag}{up_word}\n{up}\n\n-- {tag}{down_word}\n{down}\n")
            };
            match system {
                GolangMigrate => {
                    repo.put(&format!("db/migrations/{n:06}_{name}.up.sql"), up);
                    repo.put(&format!("db/migrations/{n:06}_{name}.down.sql"), down);
                }
                Sqlx => {
                    repo.put(&format!("migrations/2024010{n}000000_{name}.up.sql"), up);
                    repo.put(
                        &format!("migrations/2024010{n}000000_{name}.down.sql"),
                        down,
                    );
                }
                Diesel => {
                    repo.put(&format!("migrations/2024-01-0{n}-000000_{name}/up.sql"), up);
                    repo.put(
                        &format!("migrations/2024-01-0{n}-000000_{name}/down.sql"),
                        down,
                    );
                }
                Dbmate => repo.put(
                    &format!("db/migrations/2024010{n}000000_{name}.sql"),
                    &sections("migrate:", "up", "down"),
                ),
                Goose => repo.put(
                    &format!("db/migrations/{n:05}_{name}.sql"),
                    &sections("+goose ", "Up", "Down"),
                ),
                SqlMigrate => repo.put(
                    &format!("migrations/{n}-{}.sql", name.replace('_', "-")),
                    &sections("+migrate ", "Up", "Down"),
                ),
                Flyway => {
                    let version = ["1", "1.1", "2"][n - 1];
                    repo.put(
                        &format!("src/main/resources/db/migration/V{version}__{name}.sql"),
                        up,
                    );
                    repo.put(
                        &format!("src/main/resources/db/migration/U{version}__{name}.sql"),
                        down,
                    );
                }
                PlainSql => repo.put(&format!("db/migrations/{n:03}-{name}.sql"), up),
            }
        }
        repo
    }

    fn part(repo: &Repo, migration: &Migration, direction: Direction) -> String {
        let original =
            Original::read(migration, &repo.paths(), &|path| repo.read(path)).expect("readable");
        let half = match direction {
            Direction::Up => original.up,
            Direction::Down => original.down,
        };
        half.expect("the migration has that part").body
    }

    /// Applies a system's history to SQLite, then the planned undo of its two bad migrations,
    /// and checks the schema is back to what it was before them — and that the undo's own
    /// down part brings them back.
    fn prove_undo_restores_the_schema(system: System) {
        let repo = history(system);
        let dirs = repo.detect();
        assert_eq!(dirs.iter().map(|d| d.system).collect::<Vec<_>>(), [system]);
        let dir = &dirs[0];
        let all = added_migrations(dir, &repo.paths());
        let (good, bad) = all.split_at(all.len() - 2);

        let db = Database::new();
        for migration in good {
            db.run(&part(&repo, migration, Direction::Up));
        }
        let before = db.schema();
        for migration in bad {
            db.run(&part(&repo, migration, Direction::Up));
        }
        let broken = db.schema();
        assert_ne!(before, broken, "the bad migrations change the schema");

        let undos = plan_undo(
            bad,
            &repo.paths(),
            &|path| repo.read(path),
            at(NOW),
            SHA,
            false,
        )
        .expect("the undo is planned");
        let mut after = repo.clone();
        let mut applied = Vec::new();
        for undo in &undos {
            after.add(&undo.files);
            let paths: Vec<String> = undo.files.iter().map(|file| file.path.clone()).collect();
            let mut found = added_migrations(dir, &paths);
            assert_eq!(
                found.len(),
                1,
                "{system} reads the undo as one migration: {paths:?}"
            );
            applied.extend(found.pop());
        }
        assert_eq!(after.detect(), dirs, "the undo keeps the dir {system}'s");
        let in_system_order = added_migrations(dir, &after.paths());
        assert_eq!(
            in_system_order[in_system_order.len() - 2..],
            applied[..],
            "{system} runs them in this order"
        );

        for migration in &applied {
            db.run(&part(&after, migration, Direction::Up));
        }
        assert_eq!(
            db.schema(),
            before,
            "{system}: the undo restores the schema"
        );
        for migration in applied.iter().rev() {
            db.run(&part(&after, migration, Direction::Down));
        }
        assert_eq!(
            db.schema(),
            broken,
            "{system}: rolling the undo back re-applies the originals"
        );
    }

    #[test]
    fn sqlite_proof_golang_migrate() {
        prove_undo_restores_the_schema(GolangMigrate);
    }

    #[test]
    fn sqlite_proof_sqlx() {
        prove_undo_restores_the_schema(Sqlx);
    }

    #[test]
    fn sqlite_proof_diesel() {
        prove_undo_restores_the_schema(Diesel);
    }

    #[test]
    fn sqlite_proof_dbmate() {
        prove_undo_restores_the_schema(Dbmate);
    }

    #[test]
    fn sqlite_proof_goose() {
        prove_undo_restores_the_schema(Goose);
    }

    #[test]
    fn sqlite_proof_sql_migrate() {
        prove_undo_restores_the_schema(SqlMigrate);
    }

    #[test]
    fn sqlite_proof_flyway() {
        prove_undo_restores_the_schema(Flyway);
    }

    #[test]
    fn sqlite_proof_manual_undo_fails_until_written() {
        let repo = history(PlainSql);
        let dir = dir(PlainSql, "db/migrations");
        let all = added_migrations(&dir, &repo.paths());
        let db = Database::new();
        for migration in &all {
            db.run(&part(&repo, migration, Direction::Up));
        }
        let schema = db.schema();
        let undos = plan_undo(
            &all[2..],
            &repo.paths(),
            &|path| repo.read(path),
            at(NOW),
            SHA,
            true,
        )
        .unwrap();
        assert_eq!(
            new_paths(&undos),
            ["db/migrations/004-undo_add_sessions.sql"]
        );
        let err = db
            .try_run(&undos[0].files[0].content)
            .expect_err("a TODO undo must not apply");
        assert!(
            err.contains("no such table: TODO: write the undo of 003-add_sessions.sql"),
            "{err}"
        );
        assert_eq!(db.schema(), schema);
    }

    // --- Properties ------------------------------------------------------------------------

    fn sql_line() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "CREATE TABLE t (id int);",
            "ALTER TABLE t ADD COLUMN c text;",
            "    x int,",
            "-- a comment",
            "",
            "-- +goose StatementBegin",
            "-- +goose StatementEnd",
            "/* block */ DROP TABLE t;",
        ])
    }

    proptest! {
        #[test]
        fn increment_adds_one(n in 0u64..u64::MAX) {
            prop_assert_eq!(increment(&n.to_string()), (n + 1).to_string());
        }

        #[test]
        fn next_sequence_is_after_every_version_and_keeps_the_width(
            existing in prop::collection::vec(0u32..999_999, 1..20),
            width in 1usize..8,
        ) {
            let files: Vec<String> =
                existing.iter().map(|n| format!("m/{n:0width$}_x.up.sql")).collect();
            let next = Namer::new(&dir(GolangMigrate, "m"), &[], &files).next(at(NOW));
            for n in &existing {
                prop_assert!(Number::new(&next) > Number::new(&n.to_string()), "{next} after {n}");
            }
            let max = existing.iter().max().copied().unwrap_or(0);
            prop_assert_eq!(next.len(), width.max((max + 1).to_string().len()));
        }

        #[test]
        fn next_timestamps_are_times_after_the_clock_and_every_version(
            existing in prop::collection::vec(0i64..400_000_000, 1..10),
            clock in 0i64..400_000_000,
        ) {
            let base = at("20200101000000");
            let stamp = |seconds: i64| {
                (base + TimeDelta::seconds(seconds)).format(TIMESTAMP).to_string()
            };
            let files: Vec<String> =
                existing.iter().map(|&s| format!("m/{}_x.sql", stamp(s))).collect();
            let mut namer = Namer::new(&dir(Dbmate, "m"), &[], &files);
            let mut previous: Option<String> = None;
            for _ in 0..3 {
                // Same-width digits: comparing the text compares the times.
                let next = namer.next(base + TimeDelta::seconds(clock));
                prop_assert!(parse_timestamp(&next).is_some(), "{next} is a time");
                prop_assert!(next >= stamp(clock), "{next} is not before the clock");
                for &s in &existing {
                    prop_assert!(next > stamp(s), "{next} after {}", stamp(s));
                }
                if let Some(previous) = &previous {
                    prop_assert!(next > *previous, "{next} after {previous}");
                }
                previous = Some(next);
            }
        }

        #[test]
        fn undoing_the_undo_gives_back_the_original(
            up in prop::collection::vec(sql_line(), 1..6),
            down in prop::collection::vec(sql_line(), 1..6),
        ) {
            let (up, down) = (up.join("\n"), down.join("\n"));
            prop_assume!(!is_blank_sql(&up) && !is_blank_sql(&down));
            let goose = dir(Goose, "db");
            let original = format!("-- +goose Up\n{up}\n-- +goose Down\n{down}\n");
            let mut repo = Repo::new(&[("db/00001_x.sql", &original)]);
            let first = undo(&repo, &goose, &["db/00001_x.sql"], false).unwrap();
            repo.add(&first[0].files);
            let second = undo(&repo, &goose, &[first[0].files[0].path.as_str()], false).unwrap();
            repo.add(&second[0].files);
            let found = added_migrations(&goose, &strings(&["db/00003_undo_undo_x.sql"]));
            let [again] = &found[..] else {
                panic!("the second undo is 00003_undo_undo_x.sql: {:?}", new_paths(&second));
            };
            let header = |id: &str| format!("-- Undo migration {id} (roll-forward of {SHA})");
            let again_up = part(&repo, again, Direction::Up);
            let again_down = part(&repo, again, Direction::Down);
            prop_assert_eq!(
                tidy(&again_up),
                format!("{}\n{}", header("00002_undo_x.sql"), tidy(&up))
            );
            prop_assert_eq!(
                tidy(&again_down),
                format!("{}\n{}", header("00001_x.sql"), tidy(&down))
            );
        }

        #[test]
        fn only_comments_and_whitespace_are_blank(
            pieces in prop::collection::vec(
                prop::sample::select(vec![
                    "-- note\n", "--\n", "/* block */", "/* two\nlines */", "  ", "\n\t",
                ]),
                0..8,
            ),
            statement in prop::sample::select(vec!["SELECT 1;", "DROP TABLE t;", "x"]),
        ) {
            let blank = pieces.concat();
            prop_assert!(is_blank_sql(&blank));
            let with_statement = format!("{blank}{statement}");
            prop_assert!(!is_blank_sql(&with_statement));
        }
    }
}
