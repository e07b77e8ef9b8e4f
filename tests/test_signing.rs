//! Signed sign-offs with real ssh keys: good, unsigned, wrong key, forged.

use std::process::Command;

use crate::common::{TestEnv, json};

const KIM: (&str, &str) = ("Kim Tester", "kim@qa.example.com");
const LEE: (&str, &str) = ("Lee Lead", "lead@example.com");

fn keygen(env: &TestEnv, name: &str) -> (String, String) {
    let path = env.root.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&path)
        .output()
        .expect("ssh-keygen is installed");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    (
        path.to_str().unwrap().to_owned(),
        public
            .split_whitespace()
            .take(2)
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// Signs with `key` from now on (repository config), or not at all.
fn sign_with(env: &TestEnv, key: Option<&str>) {
    match key {
        Some(key) => {
            env.git(&["config", "gpg.format", "ssh"]);
            env.git(&["config", "user.signingkey", key]);
            env.git(&["config", "commit.gpgsign", "true"]);
        }
        None => {
            env.git(&["config", "commit.gpgsign", "false"]);
        }
    }
}

fn setup() -> (TestEnv, String, String) {
    let env = TestEnv::new();
    let (kim_key, kim_pub) = keygen(&env, "kim");
    let (lee_key, lee_pub) = keygen(&env, "lee");
    env.write(
        ".release/allowed_signers",
        &format!("{} {kim_pub}\n{} {lee_pub}\n", KIM.1, LEE.1),
    );
    env.write(
        ".release/config.toml",
        "[roles.qa]\nmembers = [\"*@qa.example.com\"]\n\n[[environments]]\nname = \"production\"\nrequires = { signoffs = [\"qa\"] }\n\n[trust]\nrequire_signed = true\nallowed_signers = \".release/allowed_signers\"\n",
    );
    env.ok(&["start", "--date", "2026-11-20"]);
    (env, kim_key, lee_key)
}

fn counts(env: &TestEnv) -> bool {
    json(&env.ok(&["status", "--json"]))["gates"][0]["met"] == true
}

#[test]
fn a_good_signature_counts_and_git_agrees() {
    let (env, kim_key, _) = setup();
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    assert!(counts(&env));
    let out = env.ok(&["verify-signatures"]);
    assert_eq!(
        out,
        "qa Kim Tester <kim@qa.example.com> [signature good]: counts\n"
    );
    // git itself verifies the event commit.
    let signers = env.repo.join(".release/allowed_signers");
    let verify = env.git_output(&[
        "-c",
        &format!("gpg.ssh.allowedSignersFile={}", signers.display()),
        "verify-commit",
        "refs/release/2026-11-20",
    ]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(
        String::from_utf8_lossy(&verify.stderr)
            .contains("Good \"git\" signature for kim@qa.example.com")
    );
    env.ok(&["deploy", "production"]);
    env.fsck();
}

#[test]
fn an_unsigned_signoff_does_not_count() {
    let (env, _, _) = setup();
    sign_with(&env, None);
    env.ok_as(KIM, &["signoff", "qa"]);
    assert!(!counts(&env));
    let (code, out, err) = env.run(&["verify-signatures"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("[signature unsigned]: DOES NOT COUNT: signature unsigned"),
        "{out}"
    );
    let status = env.ok(&["status"]);
    assert!(
        status.contains("DOES NOT COUNT: signature unsigned"),
        "{status}"
    );
    let err = env.fails(&["deploy", "production"], 3);
    assert!(err.contains("sign-off `qa` missing"), "{err}");
}

#[test]
fn a_signature_with_someone_else_s_key_does_not_count() {
    let (env, _, lee_key) = setup();
    sign_with(&env, Some(&lee_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    assert!(!counts(&env));
    let out = env.run(&["verify-signatures"]).1;
    assert!(
        out.contains(
            "signed with a key that allowed_signers gives to someone else (lead@example.com), not to kim@qa.example.com"
        ),
        "{out}"
    );
}

#[test]
fn a_signature_with_a_key_nobody_in_allowed_signers_has_is_said_to_be_unknown() {
    let (env, _, _) = setup();
    let (eve_key, _) = keygen(&env, "eve");
    sign_with(&env, Some(&eve_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    assert!(!counts(&env));
    let out = env.run(&["verify-signatures"]).1;
    // git prints `Good "git" signature with … key …` and then `No principal matched.`.
    assert!(
        out.contains(
            "DOES NOT COUNT: signature bad: no principal in allowed_signers matches the key it was made with (ED25519 key SHA256:"
        ),
        "{out}"
    );
    assert!(!out.contains("Good"), "{out}");
}

/// The commit release `name` points to.
fn head_of(env: &TestEnv, name: &str) -> String {
    env.git(&["rev-parse", &format!("refs/release/{name}")])
        .trim()
        .to_owned()
}

/// Writes (with plumbing) an unsigned commit on release `name` whose `events/` is `events`
/// (an `ls-tree` listing) and whose release.toml is the blob `state`; `also` is a second parent.
fn tamper(env: &TestEnv, name: &str, events: &str, state: &str, also: Option<&str>) -> String {
    let head = head_of(env, name);
    let events: String = events.lines().map(|l| format!("{l}\n")).collect();
    let events = env.mktree(&events);
    let root = env.mktree(&format!(
        "040000 tree {}\tevents\n100644 blob {}\trelease.toml\n",
        events.trim(),
        state.trim()
    ));
    let mut args = vec!["commit-tree", root.trim(), "-p", &head, "-m", "tidy up"];
    if let Some(other) = also {
        args.extend(["-p", other]);
    }
    let commit = env.git(&args).trim().to_owned();
    env.git(&[
        "update-ref",
        &format!("refs/release/{name}"),
        &commit,
        &head,
    ]);
    commit
}

#[test]
fn a_signed_signoff_of_one_release_merged_into_another_does_not_count_there() {
    let (env, kim_key, _) = setup();
    env.commit("Add checkout page");
    env.ok(&["start", "--date", "2026-11-27"]);
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa", "-r", "2026-11-20"]);
    sign_with(&env, None);
    assert!(!counts(&env));

    // Kim's signed event commit of 2026-11-20 becomes the second parent of an unsigned merge
    // into 2026-11-27, which adds its event file.
    let signed = head_of(&env, "2026-11-20");
    let file = env.git(&["diff-tree", "-r", "--no-commit-id", &signed]);
    let file = file.split_once(':').unwrap().1;
    let entry = file
        .lines()
        .find(|l| l.contains("events/"))
        .unwrap()
        .to_owned();
    let (meta, path) = entry.split_once('\t').unwrap();
    let blob = meta.split_whitespace().nth(3).unwrap();
    let mut events = env.git(&["ls-tree", "refs/release/2026-11-27:events"]);
    events.push_str(&format!(
        "\n100644 blob {blob}\t{}\n",
        path.strip_prefix("events/").unwrap()
    ));
    let state = env.git(&["rev-parse", "refs/release/2026-11-27:release.toml"]);
    tamper(&env, "2026-11-27", &events, &state, Some(&signed));

    let (code, out, err) = env.run(&["verify-signatures", "-r", "2026-11-27"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("DOES NOT COUNT: signature good, but made for release 2026-11-20"),
        "{out}{err}"
    );
    assert!(!counts(&env));
    let err = env.fails(&["deploy", "production", "-r", "2026-11-27"], 3);
    assert!(err.contains("sign-off `qa` missing"), "{err}");
    // In its own release it still counts.
    assert_eq!(
        env.ok(&["verify-signatures", "-r", "2026-11-20"]),
        "qa Kim Tester <kim@qa.example.com> [signature good]: counts\n"
    );
}

#[test]
fn an_unsigned_commit_that_deletes_a_signed_revoke_does_not_bring_the_signoff_back() {
    let (env, kim_key, _) = setup();
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    env.ok_as(KIM, &["signoff", "qa", "--revoke"]);
    sign_with(&env, None);
    assert!(!counts(&env));

    // Someone with push access drops the revoke's file, and puts back the summary of before.
    let revoke = env.git(&[
        "diff-tree",
        "-r",
        "--name-only",
        "--no-commit-id",
        "refs/release/2026-11-20",
    ]);
    let revoke = revoke
        .lines()
        .find_map(|l| l.strip_prefix("events/"))
        .unwrap()
        .to_owned();
    let events: String = env
        .git(&["ls-tree", "refs/release/2026-11-20:events"])
        .lines()
        .filter(|l| !l.ends_with(&revoke))
        .map(|l| format!("{l}\n"))
        .collect();
    let state = env.git(&["rev-parse", "refs/release/2026-11-20~1:release.toml"]);
    let commit = tamper(&env, "2026-11-20", &events, &state, None);
    let short = &commit[..7];

    // The revoke still counts; status, verify-signatures and fsck say what happened.
    assert!(!counts(&env));
    let (code, out, _) = env.run(&["verify-signatures"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("DOES NOT COUNT: taken back by a signed event that a later commit removed"),
        "{out}"
    );
    let (code, _, err) = env.run(&["status"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(&format!(
            "warning: release 2026-11-20 has events taken out of its history (commit {short}"
        )),
        "{err}"
    );
    assert!(
        err.contains(&format!("removes the event file {revoke}")),
        "{err}"
    );
    assert!(err.contains("the signed ones still count"), "{err}");
    // A script reading --json sees it too, not only a person reading stderr.
    let v = json(&env.ok(&["status", "--json"]));
    let removed = v["removed_events"].as_array().unwrap();
    assert_eq!(removed.len(), 1, "{v}");
    let line = removed[0].as_str().unwrap();
    assert!(
        line.starts_with(&format!("commit {short} removes the event file ")),
        "{line}"
    );
    assert!(line.ends_with(&revoke), "{line}");
    let (code, out, _) = env.run(&["fsck"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "2026-11-20: commit {short} removes the event file {revoke}; events are append-only"
        )),
        "{out}"
    );
    let err = env.fails(&["deploy", "production"], 3);
    assert!(err.contains("sign-off `qa` missing"), "{err}");
}

#[test]
fn rewriting_a_signed_event_file_is_reported_and_the_signed_version_counts() {
    let (env, kim_key, _) = setup();
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    env.ok_as(KIM, &["signoff", "qa", "--revoke"]);
    sign_with(&env, None);
    // The revoke's file is given other content: a sign-off in its place.
    let head = head_of(&env, "2026-11-20");
    let listing = env.git(&["ls-tree", "refs/release/2026-11-20:events"]);
    let file = env.git(&["diff-tree", "-r", "--name-only", "--no-commit-id", &head]);
    let file = file
        .lines()
        .find_map(|l| l.strip_prefix("events/"))
        .unwrap()
        .to_owned();
    let text = env.git(&["show", &format!("{head}:events/{file}")]);
    assert!(text.contains("revoke"), "{text}");
    let blob = env.git_hash_object(&text.replace("kind = \"revoke\"", "kind = \"signoff\""));
    let events: String = listing
        .lines()
        .map(|l| match l.ends_with(&file) {
            true => format!("100644 blob {}\t{file}\n", blob.trim()),
            false => format!("{l}\n"),
        })
        .collect();
    let state = env.git(&["rev-parse", "refs/release/2026-11-20:release.toml"]);
    let commit = tamper(&env, "2026-11-20", &events, &state, None);
    // The rewritten file now reads as Kim's sign-off, which would count if the unsigned
    // rewrite were taken for Kim's word.
    assert!(!counts(&env));
    let (code, out, _) = env.run(&["fsck"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.contains(&format!(
            "commit {} rewrites the event file {file}",
            &commit[..7]
        )),
        "{out}"
    );
}

#[test]
fn without_require_signed_a_removed_event_is_reported_and_stays_removed() {
    let (env, kim_key, _) = setup();
    let config = env.read(".release/config.toml");
    env.write(
        ".release/config.toml",
        &config.replace("require_signed = true", "require_signed = false"),
    );
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    env.ok_as(KIM, &["signoff", "qa", "--revoke"]);
    let events: String = env
        .git(&["ls-tree", "refs/release/2026-11-20~1:events"])
        .lines()
        .map(|l| format!("{l}\n"))
        .collect();
    let state = env.git(&["rev-parse", "refs/release/2026-11-20~1:release.toml"]);
    tamper(&env, "2026-11-20", &events, &state, None);
    assert!(counts(&env));
    let (_, _, err) = env.run(&["status"]);
    assert!(
        err.contains("warning: release 2026-11-20 has events taken out of its history"),
        "{err}"
    );
    assert!(!err.contains("signed ones"), "{err}");
    assert_ne!(env.run(&["fsck"]).0, 0);
}

#[test]
fn a_forged_signoff_by_a_non_member_does_not_count() {
    let (env, kim_key, _) = setup();
    // Someone edits the config to let themselves in, signs off with their own (valid, but
    // unknown) key, and puts the config back: the event is there, but it does not count.
    let real = env.read(".release/config.toml");
    env.write(
        ".release/config.toml",
        &real.replace("members = [\"*@qa.example.com\"]", ""),
    );
    sign_with(&env, Some(&kim_key));
    env.ok_as(("Mallory", "mallory@evil.example"), &["signoff", "qa"]);
    env.write(".release/config.toml", &real);
    assert!(!counts(&env));
    let out = env.run(&["verify-signatures"]).1;
    assert!(
        out.contains("mallory@evil.example is not a member of `qa`"),
        "{out}"
    );

    // Without require_signed, membership still decides.
    env.write(
        ".release/config.toml",
        &real.replace("require_signed = true", "require_signed = false"),
    );
    assert!(!counts(&env));
}

#[test]
fn release_tags_are_signed_when_git_signs_tags() {
    let env = TestEnv::new();
    let (key, public) = keygen(&env, "ada");
    let signers = env.root.join("allowed_signers");
    std::fs::write(&signers, format!("ada@example.com {public}\n")).unwrap();
    let verify = |tag: &str| {
        env.git_output(&[
            "-c",
            &format!("gpg.ssh.allowedSignersFile={}", signers.display()),
            "verify-tag",
            tag,
        ])
    };
    // Not asked to: an ordinary annotated tag.
    env.ok(&["start", "--date", "2026-11-13"]);
    assert!(!verify("2026-11-13").status.success());

    env.commit("Add checkout page");
    env.git(&["config", "gpg.format", "ssh"]);
    env.git(&["config", "user.signingkey", &key]);
    env.git(&["config", "tag.gpgSign", "true"]);
    env.ok(&["start", "--date", "2026-11-20"]);
    let out = verify("2026-11-20");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Good \"git\" signature for ada@example.com")
    );
    // The message is still the release notes, and the event commit is not signed (only
    // commit.gpgsign asks for that).
    let message = env.git(&["tag", "-l", "--format=%(contents:subject)", "2026-11-20"]);
    assert!(message.starts_with("Release 2026-11-20"), "{message}");
    let body = env.git(&["tag", "-l", "--format=%(contents:body)", "2026-11-20"]);
    assert!(body.contains("Add checkout page"), "{body}");
    assert!(!body.contains("BEGIN SSH SIGNATURE"), "{body}");
    assert!(
        !env.git_output(&["verify-commit", "refs/release/2026-11-20"])
            .status
            .success()
    );

    // A key that cannot sign stops the release before anything is written.
    env.git(&["config", "user.signingkey", "/nonexistent/key"]);
    let before = env.refs();
    let err = env.fails(&["start", "--date", "2026-11-27"], 1);
    assert!(err.contains("signing failed"), "{err}");
    assert!(err.contains("tag.gpgSign"), "{err}");
    assert_eq!(env.refs(), before);
    env.fsck();
}

#[test]
fn a_signed_signoff_still_counts_after_the_events_are_fanned_out() {
    let (env, kim_key, _) = setup();
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    sign_with(&env, None);
    // 258 events: the sign-off's file moved into a subdirectory with the 257th, and its
    // commit is still the one that first recorded it.
    for i in 0..256 {
        env.ok(&["comment", &format!("note {i}")]);
    }
    let top = env.git(&["ls-tree", "refs/release/2026-11-20:events"]);
    assert!(top.lines().all(|l| l.contains(" tree ")), "{top}");
    assert_eq!(
        env.ok(&["verify-signatures"]),
        "qa Kim Tester <kim@qa.example.com> [signature good]: counts\n"
    );
    assert!(counts(&env));
    // A sign-off recorded after the fan-out is found in its subdirectory.
    env.ok_as(KIM, &["signoff", "qa", "--revoke"]);
    sign_with(&env, Some(&kim_key));
    env.ok_as(KIM, &["signoff", "qa"]);
    let file = env.git(&["diff-tree", "-r", "--name-only", "refs/release/2026-11-20"]);
    assert!(file.contains("\nevents/"), "{file}");
    assert_eq!(file.matches('/').count(), 2, "{file}");
    assert_eq!(
        env.ok(&["verify-signatures"]),
        "qa Kim Tester <kim@qa.example.com> [signature good]: counts\n"
    );
    assert!(counts(&env));
    // Moving the files into subdirectories took nothing out.
    assert!(env.ok(&["fsck"]).contains("2026-11-20: ok"));
    assert!(!env.run(&["status"]).2.contains("taken out"));
}
