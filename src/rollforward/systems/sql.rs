//! What the SQL systems share: reading a migration's up and down parts from its files, and
//! laying out the undo (the original's down part as a new up, its up as the new down).

use std::collections::BTreeMap;

use super::{Cx, Entry, Form, Migration, NewFile, Role, UndoError, display_dir};

// ---------------------------------------------------------------------------------------------
// Reading and writing migration bodies

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Up,
    Down,
}

/// How a single-file system marks its sections: `-- <tag><gap><word> [options]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Markers {
    tag: &'static str,
    gap: &'static str,
    up: &'static str,
    down: &'static str,
}

impl Markers {
    pub(crate) const fn new(
        tag: &'static str,
        gap: &'static str,
        up: &'static str,
        down: &'static str,
    ) -> Markers {
        Markers { tag, gap, up, down }
    }

    /// The direction a line opens and the options after it (`transaction:false`,
    /// `notransaction`). Case is ignored because goose ignores it.
    pub(crate) fn parse(self, line: &str) -> Option<(Direction, &str)> {
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
pub(crate) struct Half {
    pub(crate) body: String,
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
pub(crate) struct Original {
    /// `None` when it is not SQL (goose's Go migrations).
    pub(crate) up: Option<Half>,
    pub(crate) down: Option<Half>,
    /// File-wide lines such as `-- +goose NO TRANSACTION`, which apply to the undo as well.
    annotations: Vec<String>,
    /// sqlx's one-file migrations: the undo keeps that shape.
    one_file: bool,
}

impl Original {
    pub(crate) fn read(
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
                Role::Go | Role::Code | Role::Other => {}
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
fn split_sections(system: super::System, id: &str, text: &str) -> Result<Original, UndoError> {
    let markers = system.kind().markers().ok_or_else(|| {
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
pub(crate) fn is_blank_sql(sql: &str) -> bool {
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
pub(crate) fn tidy(body: &str) -> &str {
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
    // A file name can hold a newline; in a comment it would end the comment.
    format!(
        "-- Undo migration {} (roll-forward of {sha})",
        super::code::safe_text(&migration.id)
    )
}

/// The up part of an undo nobody could write automatically: it says what is owed and fails
/// until a person replaces it, so an unfinished undo cannot quietly pass as applied.
pub(crate) fn manual_up(
    migration: &Migration,
    sha: &str,
    reason: &str,
    original_up: Option<&str>,
) -> String {
    let id = &super::code::safe_text(&migration.id);
    let mut text = format!(
        "-- {marker} for migration {id} (roll-forward of {sha})\n\
         {header}\n\
         --\n\
         -- Migration {id} already ran in production, and rolling forward\n\
         -- removes the commit that added it, but it {reason}, so its undo\n\
         -- could not be written automatically. Replace the failing statement at the end with\n\
         -- SQL that reverses what the migration did, then delete these TODO lines.\n",
        marker = crate::rollforward::MANUAL_UNDO_MARKER,
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
            let files = super::code::safe_text(&migration.files.join(", "));
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

    /// The undo's up part as a file's text.
    fn up_text(&self) -> String {
        format!("{}\n", self.up.body)
    }

    /// The undo's down part (the original's up) as a file's text.
    fn down_text(&self, migration: &Migration, sha: &str) -> Option<String> {
        self.down
            .as_ref()
            .map(|down| format!("{}\n{}\n", header(migration, sha), down.body))
    }

    /// Both parts in one file, under the system's section markers.
    fn sections(&self, markers: Markers) -> String {
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

/// How an SQL undo is laid out in files: what a system's `undo` gets to name its files.
pub(crate) struct Layout<'a> {
    cx: &'a Cx<'a>,
    body: UndoBody,
    /// `undo_<name>` (or `undo-<name>`), lower case.
    pub(crate) name: String,
    pub(crate) version: &'a str,
    pub(crate) sep: &'static str,
}

impl Layout<'_> {
    /// Whether the original was one sqlx up-only file.
    pub(crate) fn one_file(&self) -> bool {
        self.body.one_file
    }

    /// Whether the undo is a TODO a person still owes.
    pub(crate) fn manual(&self) -> bool {
        self.body.manual
    }

    fn file(&self, relative: String, content: String) -> NewFile {
        NewFile {
            path: self.cx.migration.dir.join(&relative),
            content,
        }
    }

    /// The undo's up part alone, in one file.
    pub(crate) fn up_only(&self, relative: String) -> Vec<NewFile> {
        vec![self.file(relative, self.body.up_text())]
    }

    /// An up file and, when the original had an up part, a down file.
    pub(crate) fn pair(&self, up: String, down: String) -> Vec<NewFile> {
        let mut files = self.up_only(up);
        let text = self.body.down_text(self.cx.migration, self.cx.sha);
        files.extend(text.map(|text| self.file(down, text)));
        files
    }

    /// One file with both parts under `markers`.
    pub(crate) fn sections(&self, relative: String, markers: Markers) -> Vec<NewFile> {
        vec![self.file(relative, self.body.sections(markers))]
    }
}

/// The undo of an SQL migration: its down part as a new migration that `layout` names, or,
/// when it has none, a refusal or (with `--allow-manual-undo`) a TODO.
pub(crate) fn undo(
    cx: &Cx<'_>,
    layout: impl FnOnce(&Layout<'_>) -> Vec<NewFile>,
) -> Result<Form, UndoError> {
    let original = Original::read(cx.migration, cx.existing, cx.read)?;
    if let Err(reason) = original.reusable_down()
        && !cx.allow_manual
    {
        return Ok(Form::NoDown(reason.to_owned()));
    }
    let layout_of = Layout {
        cx,
        body: UndoBody::new(cx.migration, cx.sha, original),
        name: cx.undo_name(),
        version: &cx.version,
        sep: cx.sep,
    };
    let files = layout(&layout_of);
    Ok(Form::Files {
        files,
        manual: layout_of.body.manual,
    })
}

/// The dir of `path` when it is an `.sql` file with an up section under `markers`.
pub(crate) fn claims_sections(
    path: &str,
    read: &dyn Fn(&str) -> Option<String>,
    markers: Markers,
) -> Option<String> {
    let (dir, _) = super::split_path(path);
    if !path.ends_with(".sql") {
        return None;
    }
    let text = read(path)?;
    text.lines()
        .any(|line| matches!(markers.parse(line), Some((Direction::Up, _))))
        .then(|| dir.to_owned())
}
