use std::collections::BTreeSet;
use std::process::Stdio;
use std::sync::Barrier;
use std::time::Duration;

use crate::common::{TestEnv, json};

#[test]
fn eight_writers_at_once_lose_no_event() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        for writer in 0..8 {
            let env = &env;
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                for i in 0..25 {
                    env.ok(&["comment", &format!("writer {writer} event {i}")]);
                }
            });
        }
    });

    // git itself sees 201 events (the start and 200 comments) in a linear history.
    let files = env.git(&["ls-tree", "--name-only", "refs/release/2026-11-20:events"]);
    assert_eq!(files.lines().count(), 201);
    assert_eq!(
        env.git(&["rev-list", "--count", "refs/release/2026-11-20"]),
        "201"
    );
    let state = env.git(&["cat-file", "-p", "refs/release/2026-11-20:release.toml"]);
    assert!(state.contains("events = 201"), "{state}");
    assert!(state.contains("comments = 200"), "{state}");

    // Every comment exactly once, and each writer's own comments in the order it wrote them.
    let log = json(&env.ok(&["log", "--json"]));
    let messages: Vec<String> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "comment")
        .map(|e| e["fields"]["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(messages.iter().collect::<BTreeSet<_>>().len(), 200);
    for writer in 0..8 {
        let mine: Vec<usize> = messages
            .iter()
            .filter_map(|m| m.strip_prefix(&format!("writer {writer} event ")))
            .map(|i| i.parse().unwrap())
            .collect();
        assert_eq!(mine, (0..25).collect::<Vec<_>>(), "writer {writer}");
    }

    // The stored fold equals a fresh fold of the events.
    assert_eq!(env.ok(&["fsck"]), "2026-11-20: ok (201 events)\n");
    env.fsck();
}

#[test]
fn releases_started_at_once_get_distinct_names() {
    let env = TestEnv::new();
    let barrier = Barrier::new(4);
    let names: BTreeSet<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let env = &env;
                let barrier = &barrier;
                s.spawn(move || {
                    barrier.wait();
                    env.ok(&["start", "--date", "2026-11-20"]).trim().to_owned()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected: BTreeSet<String> = ["2026-11-20", "2026-11-20-1", "2026-11-20-2", "2026-11-20-3"]
        .map(String::from)
        .into();
    assert_eq!(names, expected);
    assert_eq!(env.git(&["tag", "-l"]).lines().count(), 4);
    let note = env.git(&["notes", "--ref=release", "show", "HEAD"]);
    for name in &expected {
        assert!(
            note.contains(&format!("release {name}\n")),
            "{name} missing from note:\n{note}"
        );
    }
    env.fsck();
}

/// A tiny deterministic generator, so "random moments" are reproducible from the seed printed.
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *seed >> 33
}

#[test]
fn writers_killed_at_random_moments_never_leave_a_release_unreadable() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("seed {seed}");
    for round in 0..12 {
        let mut children: Vec<_> = (0..4)
            .map(|w| {
                env.cmd()
                    .args(["comment", &format!("round {round} writer {w}")])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap()
            })
            .collect();
        std::thread::sleep(Duration::from_millis(lcg(&mut seed) % 40));
        for child in &mut children {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
        // Whatever moment they died at, the release reads and its fold is consistent.
        env.ok(&["status"]);
        env.ok(&["log"]);
        let fsck = env.ok(&["fsck"]);
        assert!(fsck.starts_with("2026-11-20: ok"), "round {round}: {fsck}");
        // A writer killed while holding the ref lock leaves it behind, as git would; the
        // user removes it (the error says so), and we do the same here.
        let _ = std::fs::remove_file(env.repo.join(".git/refs/release/2026-11-20.lock"));
        let _ = std::fs::remove_file(env.repo.join(".git/refs/notes/release.lock"));
    }
    env.ok(&["comment", "still writable"]);
    let v = json(&env.ok(&["status", "--json"]));
    assert!(v["events"].as_u64().unwrap() >= 2);
    env.fsck();
}
