//! Signing commits and tags as git does, and checking signatures with `git verify-commit`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use super::{Oid, Repo};
use crate::error::Failure;

/// What a commit's signature says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    Unsigned,
    /// Valid, made by `signer` (the ssh principal or the e-mail of the gpg key).
    Good {
        signer: String,
    },
    Bad(String),
}

/// A program that signs commits the way git does.
pub(super) enum Signer {
    Ssh {
        program: String,
        key: String,
    },
    OpenPgp {
        program: String,
        key: Option<String>,
    },
}

impl Signer {
    /// An armored signature of `payload`, from the same program with the same arguments git
    /// uses.
    /// Signs `payload`; `switch` is the setting that asked for it, named if signing fails.
    pub(super) fn sign(&self, payload: &[u8], switch: &str) -> Result<String> {
        match self {
            Signer::Ssh { program, key } => {
                let dir = tempfile::tempdir().context("making a temporary directory")?;
                let file = dir.path().join("commit");
                std::fs::write(&file, payload)?;
                let key_file = match key.strip_prefix("key::") {
                    Some(literal) => {
                        let path = dir.path().join("key.pub");
                        std::fs::write(&path, literal)?;
                        path
                    }
                    None => PathBuf::from(expand_home(key)),
                };
                let out = std::process::Command::new(program)
                    .args(["-Y", "sign", "-n", "git", "-f"])
                    .arg(&key_file)
                    .arg(&file)
                    .stdin(std::process::Stdio::null())
                    .output()
                    .with_context(|| format!("running {program}"))?;
                if !out.status.success() {
                    return Err(Failure::new(format!(
                        "signing failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                    .hint(format!(
                        "check user.signingkey, or turn {switch} off; nothing was recorded"
                    ))
                    .into());
                }
                Ok(std::fs::read_to_string(dir.path().join("commit.sig"))?)
            }
            Signer::OpenPgp { program, key } => {
                use std::io::Write as _;
                let mut cmd = std::process::Command::new(program);
                cmd.args(["--status-fd=2", "-bsa"]);
                if let Some(key) = key {
                    cmd.args(["-u", key]);
                }
                let mut child = cmd
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .with_context(|| format!("running {program}"))?;
                child.stdin.take().expect("piped").write_all(payload)?;
                let out = child.wait_with_output()?;
                if !out.status.success() {
                    return Err(Failure::new(format!(
                        "signing failed: {}",
                        String::from_utf8_lossy(&out.stderr).trim()
                    ))
                    .hint(format!(
                        "check user.signingkey and gpg, or turn {switch} off; nothing was recorded"
                    ))
                    .into());
                }
                Ok(String::from_utf8_lossy(&out.stdout).into_owned())
            }
        }
    }
}

/// Why `git verify-commit` refused a signature, from what it printed. For an ssh key that no
/// line of the allowed-signers file has, git says `Good "git" signature with … key …` and then
/// `No principal matched.`: the signature is intact, but nobody is known to own the key.
fn bad_reason(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.iter().any(|l| l.starts_with("No principal matched")) {
        let key = lines
            .iter()
            .find_map(|l| l.strip_prefix("Good \"git\" signature with "))
            .map(|k| format!(" ({k})"))
            .unwrap_or_default();
        return format!("no principal in allowed_signers matches the key it was made with{key}");
    }
    let gpg = [
        "BADSIG",
        "ERRSIG",
        "EXPKEYSIG",
        "REVKEYSIG",
        "EXPSIG",
        "NO_PUBKEY",
    ];
    lines
        .iter()
        .find(|l| gpg.iter().any(|s| l.starts_with(&format!("[GNUPG:] {s}"))))
        .or_else(|| lines.iter().find(|l| !l.starts_with("Good ")))
        .map_or_else(|| "bad signature".to_owned(), |l| (*l).to_owned())
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_owned(),
    }
}

impl Repo {
    /// How git is set up to sign, if `switch` (`commit.gpgsign`, `tag.gpgsign`) turns it on.
    pub(super) fn signer(&self, switch: &str) -> Result<Option<Signer>> {
        let config = self.repo.config_snapshot();
        if !config.boolean(switch).unwrap_or(false) {
            return Ok(None);
        }
        let key = config.string("user.signingkey").map(|k| k.to_string());
        let format = config
            .string("gpg.format")
            .map_or_else(|| "openpgp".to_owned(), |f| f.to_string());
        match format.as_str() {
            "ssh" => {
                let key = key.ok_or_else(|| {
                    Failure::new(format!(
                        "{switch} is on with gpg.format = ssh, but user.signingkey is not set"
                    ))
                    .hint("git config user.signingkey ~/.ssh/id_ed25519.pub")
                })?;
                let program = config
                    .string("gpg.ssh.program")
                    .map_or_else(|| "ssh-keygen".to_owned(), |p| p.to_string());
                Ok(Some(Signer::Ssh { program, key }))
            }
            "openpgp" => {
                let program = config
                    .string("gpg.program")
                    .map_or_else(|| "gpg".to_owned(), |p| p.to_string());
                Ok(Some(Signer::OpenPgp { program, key }))
            }
            other => Err(Failure::new(format!(
                "gpg.format = {other} is not supported for signing"
            ))
            .hint(format!(
                "use gpg.format = ssh or openpgp, or turn {switch} off"
            ))
            .into()),
        }
    }

    /// Checks a commit's signature like `git verify-commit`, with `allowed_signers` (an ssh
    /// allowed-signers file) for ssh signatures.
    pub fn verify_commit(&self, commit: Oid, allowed_signers: Option<&Path>) -> Result<Signature> {
        let object = self.repo.find_commit(commit)?;
        let decoded = object.decode()?;
        if decoded.extra_headers().pgp_signature().is_none() {
            return Ok(Signature::Unsigned);
        }
        let mut cmd = std::process::Command::new("git");
        cmd.arg("--git-dir").arg(self.repo.git_dir());
        if let Some(path) = allowed_signers {
            cmd.arg("-c")
                .arg(format!("gpg.ssh.allowedSignersFile={}", path.display()));
        }
        let out = cmd
            .args(["verify-commit", "--raw", &commit.to_string()])
            .output()
            .context("running git verify-commit")?;
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        if !out.status.success() {
            return Ok(Signature::Bad(bad_reason(&text)));
        }
        // ssh: `Good "git" signature for kim@qa.example.com with ED25519 key SHA256:…`;
        // openpgp: `[GNUPG:] GOODSIG <id> Kim <kim@qa.example.com>`.
        let signer = text
            .lines()
            .find_map(|l| {
                l.split_once("signature for ")
                    .and_then(|(_, rest)| rest.split_whitespace().next())
                    .or_else(|| {
                        l.strip_prefix("[GNUPG:] GOODSIG ")
                            .and_then(|rest| rest.rsplit_once('<'))
                            .map(|(_, email)| email.trim_end_matches('>'))
                    })
            })
            .unwrap_or_default()
            .to_owned();
        Ok(Signature::Good { signer })
    }
}

#[cfg(test)]
mod tests {
    use super::bad_reason;

    #[test]
    fn a_key_nobody_owns_is_said_so_not_called_good() {
        let git =
            "Good \"git\" signature with ED25519 key SHA256:iskFX5vW\nNo principal matched.\n";
        assert_eq!(
            bad_reason(git),
            "no principal in allowed_signers matches the key it was made with (ED25519 key SHA256:iskFX5vW)"
        );
        assert_eq!(
            bad_reason("error: gpg.ssh.allowedSignersFile needs to be configured\n"),
            "error: gpg.ssh.allowedSignersFile needs to be configured"
        );
        assert_eq!(bad_reason(""), "bad signature");
    }
}
