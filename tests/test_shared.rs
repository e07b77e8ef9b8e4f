//! A repository shared by a group (`core.sharedRepository`): what git-release makes in it gets
//! the modes git gives what it makes, whatever the user's umask. git, run under the same umask,
//! is the witness.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::TestEnv;

/// Runs `program args` in the repository under umask 077, with the environment the tests pin.
fn masked(env: &TestEnv, program: Option<&str>, args: &[&str]) -> Output {
    let pinned = env.cmd();
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg("umask 077 && exec \"$@\"")
        .arg("sh")
        .arg(program.map_or_else(|| pinned.get_program().to_owned(), Into::into))
        .args(args)
        .current_dir(&env.repo);
    for (key, value) in pinned.get_envs() {
        match value {
            Some(value) => cmd.env(key, value),
            None => cmd.env_remove(key),
        };
    }
    let out = cmd.output().expect("sh runs");
    assert!(
        out.status.success(),
        "{program:?} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

fn fan_out_dirs(env: &TestEnv) -> Vec<String> {
    std::fs::read_dir(env.repo.join(".git/objects"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 2)
        .collect()
}

#[test]
fn a_shared_repository_gets_the_modes_git_gives() {
    let env = TestEnv::new();
    env.git(&["config", "core.sharedRepository", "group"]);
    let before = fan_out_dirs(&env);
    // A release ref made by a transaction (with its tag and the note), then moved alone; the
    // two local caches.
    masked(&env, None, &["start", "--date", "2026-11-20"]);
    masked(&env, None, &["comment", "in a shared repository"]);
    masked(&env, None, &["status"]);
    masked(&env, None, &["list"]);

    // git's own, under the same umask: a ref, and an object in a fan-out directory it makes.
    masked(
        &env,
        Some("git"),
        &["update-ref", "refs/heads/witness", "HEAD"],
    );
    let ref_mode = mode(&env.repo.join(".git/refs/heads/witness"));
    let taken = fan_out_dirs(&env);
    let blob = (0..)
        .map(|i| format!("witness {i}\n"))
        .find_map(|text| {
            let path = env.root.join("witness.txt");
            std::fs::write(&path, &text).unwrap();
            let id = env.git(&["hash-object", path.to_str().unwrap()]);
            (!taken.contains(&id[..2].to_owned())).then_some(path)
        })
        .unwrap();
    let id = String::from_utf8(
        masked(
            &env,
            Some("git"),
            &["hash-object", "-w", blob.to_str().unwrap()],
        )
        .stdout,
    )
    .unwrap();
    let id = id.trim();
    let object_mode = mode(
        &env.repo
            .join(format!(".git/objects/{}/{}", &id[..2], &id[2..])),
    );
    let dir_mode = mode(&env.repo.join(format!(".git/objects/{}", &id[..2])));
    assert_eq!(
        (ref_mode, object_mode, dir_mode),
        (0o660, 0o440, 0o2770),
        "git's own modes for group sharing under umask 077"
    );

    for name in [
        "refs/release/2026-11-20",
        "refs/tags/2026-11-20",
        "refs/notes/release",
    ] {
        assert_eq!(mode(&env.repo.join(".git").join(name)), ref_mode, "{name}");
    }
    for cache in ["release-commit-cache", "release-list-cache"] {
        assert_eq!(
            mode(&env.repo.join(".git").join(cache)),
            ref_mode,
            "{cache}"
        );
    }
    // Every object the release wrote (loose), and every fan-out directory it made.
    let objects = env.git(&[
        "rev-list",
        "--objects",
        "refs/release/2026-11-20",
        "refs/notes/release",
        "refs/tags/2026-11-20",
        "--not",
        "HEAD",
    ]);
    let mut checked = 0;
    for id in objects.lines().map(|l| &l[..40]) {
        let path = env
            .repo
            .join(format!(".git/objects/{}/{}", &id[..2], &id[2..]));
        assert!(path.exists(), "{id} is loose");
        assert_eq!(mode(&path), object_mode, "object {id}");
        checked += 1;
    }
    assert!(checked >= 10, "{objects}");
    let made: Vec<_> = fan_out_dirs(&env)
        .into_iter()
        .filter(|d| !before.contains(d) && *d != id[..2])
        .collect();
    assert!(!made.is_empty());
    for dir in made {
        assert_eq!(
            mode(&env.repo.join(".git/objects").join(&dir)),
            dir_mode,
            "{dir}"
        );
    }
    env.fsck();
}

/// A value git would refuse stops what writes, before anything is written, and says why;
/// what only reads goes on.
#[test]
fn a_sharing_mode_git_would_refuse_stops_writes() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let before = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    let objects = env.git(&["count-objects"]);
    env.git(&["config", "core.sharedRepository", "0066"]);
    let err = env.fails(&["comment", "not written"], 1);
    assert!(err.contains("core.sharedRepository = 0066"), "{err}");
    assert_eq!(env.git(&["rev-parse", "refs/release/2026-11-20"]), before);
    assert_eq!(env.git(&["count-objects"]), objects);
    env.ok(&["status"]);
}
