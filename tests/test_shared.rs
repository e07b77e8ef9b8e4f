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
    gets_the_modes_git_gives(&env, (0o660, 0o440, 0o2770));
}

/// `[core] sharedRepository` with no value, which `git init --shared` never writes but git
/// reads as `group`.
#[test]
fn the_key_without_a_value_shares_with_the_group() {
    let env = TestEnv::new();
    let config = env.repo.join(".git/config");
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str("[core]\n\tsharedRepository\n");
    std::fs::write(&config, text).unwrap();
    gets_the_modes_git_gives(&env, (0o660, 0o440, 0o2770));
}

/// A mode that gives the group nothing: no set-group-id bit on the directories either.
#[test]
fn a_mode_for_the_owner_alone_sets_no_group_bit() {
    let env = TestEnv::new();
    env.git(&["config", "core.sharedRepository", "0600"]);
    gets_the_modes_git_gives(&env, (0o600, 0o400, 0o700));
}

/// Runs the writing commands in `env` under umask 077, and checks that every ref, cache,
/// object and fan-out directory they made has the mode git gives its own, made under the same
/// umask: `(ref, object, directory)`, which git is also checked to give.
fn gets_the_modes_git_gives(env: &TestEnv, git_modes: (u32, u32, u32)) {
    let before = fan_out_dirs(env);
    // A release ref made by a transaction (with its tag and the note), then moved alone; the
    // two local caches.
    masked(env, None, &["start", "--date", "2026-11-20"]);
    masked(env, None, &["comment", "in a shared repository"]);
    masked(env, None, &["status"]);
    masked(env, None, &["list"]);

    // git's own, under the same umask: a ref, and an object in a fan-out directory it makes.
    masked(
        env,
        Some("git"),
        &["update-ref", "refs/heads/witness", "HEAD"],
    );
    let ref_mode = mode(&env.repo.join(".git/refs/heads/witness"));
    let taken = fan_out_dirs(env);
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
            env,
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
        git_modes,
        "git's own modes under umask 077"
    );

    for name in [
        "refs/release/2026-11-20",
        "refs/tags/2026-11-20",
        "refs/notes/release",
    ] {
        assert_eq!(mode(&env.repo.join(".git").join(name)), ref_mode, "{name}");
    }
    // No local cache in a shared repository: another member could write what this user's
    // gates would believe.
    for cache in ["release-fold-cache", "release-list-cache"] {
        assert!(!env.repo.join(".git").join(cache).exists(), "{cache}");
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
    let made: Vec<_> = fan_out_dirs(env)
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

/// Directories that were there before keep their modes: git gives modes only to what it
/// makes, and another user's directory is not ours to change.
#[test]
fn directories_already_there_keep_their_modes() {
    let env = TestEnv::new();
    env.git(&["config", "core.sharedRepository", "group"]);
    let tags = env.repo.join(".git/refs/tags");
    std::fs::create_dir_all(&tags).unwrap();
    std::fs::set_permissions(&tags, std::fs::Permissions::from_mode(0o755)).unwrap();
    masked(&env, None, &["start", "--date", "2026-11-20"]);
    assert!(env.repo.join(".git/refs/tags/2026-11-20").exists());
    assert_eq!(mode(&tags), 0o755);
    // What the same transaction made is shared.
    assert_eq!(mode(&env.repo.join(".git/refs/release")), 0o2770);
    assert_eq!(mode(&env.repo.join(".git/refs/tags/2026-11-20")), 0o660);
    // A reflog is shared again at each entry added to it, as git does.
    let reflog = env.repo.join(".git/logs/refs/notes/release");
    assert_eq!(mode(&reflog), 0o660);
    std::fs::set_permissions(&reflog, std::fs::Permissions::from_mode(0o600)).unwrap();
    masked(&env, None, &["start", "--date", "2026-11-21"]);
    assert!(
        env.git(&["reflog", "show", "refs/notes/release"])
            .lines()
            .count()
            >= 2
    );
    assert_eq!(mode(&reflog), 0o660);
}

/// Under GIT_NAMESPACE the refs are the namespace's, and they are what gets shared.
#[test]
fn refs_in_a_namespace_are_shared() {
    let env = TestEnv::new();
    env.git(&["config", "core.sharedRepository", "group"]);
    // The namespace has no branch of its own: the commit is named.
    let head = env.git(&["rev-parse", "HEAD"]);
    let bin = env.cmd().get_program().to_owned();
    let bin = bin.to_str().unwrap();
    masked(
        &env,
        Some("env"),
        &[
            "GIT_NAMESPACE=team",
            bin,
            "start",
            &head,
            "--date",
            "2026-11-20",
        ],
    );
    let namespaced = env.repo.join(".git/refs/namespaces/team/refs");
    assert_eq!(mode(&namespaced.join("release/2026-11-20")), 0o660);
    assert_eq!(mode(&namespaced.join("tags/2026-11-20")), 0o660);
    assert_eq!(mode(&env.repo.join(".git/refs/namespaces")), 0o2770);
    assert!(!env.has_ref("refs/release/2026-11-20"));
}

/// A value git would refuse stops what writes, before anything is written, and says why;
/// what only reads goes on.
#[test]
fn a_sharing_mode_git_would_refuse_stops_writes() {
    let env = TestEnv::new();
    env.ok(&["start", "--date", "2026-11-20"]);
    let before = env.git(&["rev-parse", "refs/release/2026-11-20"]);
    let objects = env.git(&["count-objects"]);
    let dirs = fan_out_dirs(&env);
    env.git(&["config", "core.sharedRepository", "0066"]);
    let err = env.fails(&["comment", "not written"], 1);
    assert!(err.contains("core.sharedRepository = 0066"), "{err}");
    assert_eq!(env.git(&["rev-parse", "refs/release/2026-11-20"]), before);
    assert_eq!(env.git(&["count-objects"]), objects);
    assert_eq!(fan_out_dirs(&env), dirs, "no directory made either");
    env.ok(&["status"]);
}
