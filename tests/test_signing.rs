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
        out.contains("signed by lead@example.com, not by kim@qa.example.com"),
        "{out}"
    );
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
}
