//! Where a release's event files sit in its tree. Up to [`FLAT_EVENTS`] of them sit directly in
//! `events/`. A release with more has them fanned out, as git fans out a notes tree: each in
//! the subdirectory named by the last two hex digits of its id,
//! `events/ab/20261121T221403Z-0123456789ab.toml`. Adding an event then rewrites two small
//! trees rather than one that grows with every event. The move happens once: by the event
//! (or the merge) that takes the release past the limit, or by the next event of a release
//! that grew past it flat. Readers take either layout, and a mix.

pub const EVENTS_DIR: &str = "events";

/// How many events a release keeps directly in `events/`. At 256 files the flat tree is
/// 16 KB; a fanned-out one has up to 256 entries of a few bytes each, with a handful of files
/// below each until releases are far larger than any seen.
pub const FLAT_EVENTS: u64 = 256;

/// Whether a release of `count` events has its event files fanned out.
pub fn fanned(count: u64) -> bool {
    count > FLAT_EVENTS
}

/// The path of the event file `file` in the tree of a release of `count` events.
pub fn event_path(file: &str, count: u64) -> String {
    if fanned(count) {
        format!("{EVENTS_DIR}/{}/{file}", bucket(file))
    } else {
        format!("{EVENTS_DIR}/{file}")
    }
}

/// The paths an event file may have in any release: flat, and fanned out.
pub fn event_paths(file: &str) -> [String; 2] {
    [event_path(file, 0), event_path(file, FLAT_EVENTS + 1)]
}

/// The subdirectory of a fanned-out `events/` that holds the event file `file`: the last two
/// digits of its id, lower-case (ids are random, so the files spread evenly).
fn bucket(file: &str) -> String {
    let stem = file.strip_suffix(".toml").unwrap_or(file);
    let id = stem.rsplit_once('-').map_or(stem, |(_, id)| id);
    let start = id.len().saturating_sub(2);
    id.get(start..).unwrap_or(id).to_ascii_lowercase()
}

/// The event file a path below `events/` names: `FILE` or `DIR/FILE`, or `None` if it is
/// nested deeper than either layout puts one.
pub fn file_name(path: &str) -> Option<&str> {
    match path.split_once('/') {
        None => Some(path),
        Some((_, file)) if !file.contains('/') => Some(file),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "20261121T221403Z-0123456789ab.toml";

    #[test]
    fn a_release_keeps_its_events_flat_up_to_the_limit_then_fans_them_out_by_id() {
        assert_eq!(event_path(FILE, 1), format!("events/{FILE}"));
        assert_eq!(event_path(FILE, FLAT_EVENTS), format!("events/{FILE}"));
        assert_eq!(
            event_path(FILE, FLAT_EVENTS + 1),
            format!("events/ab/{FILE}")
        );
        assert_eq!(
            event_path("20261121T221403Z-0123456789AB.toml", 10_000),
            "events/ab/20261121T221403Z-0123456789AB.toml"
        );
        assert_eq!(
            event_paths(FILE),
            [format!("events/{FILE}"), format!("events/ab/{FILE}")]
        );
    }

    #[test]
    fn a_path_below_events_names_its_file_in_either_layout() {
        assert_eq!(file_name(FILE), Some(FILE));
        assert_eq!(file_name(&format!("ab/{FILE}")), Some(FILE));
        assert_eq!(file_name(&format!("ab/cd/{FILE}")), None);
    }
}
