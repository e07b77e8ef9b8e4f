//! `core.sharedRepository`: the permissions git gives what it makes in a repository that
//! several users share, whatever their umask. Read and applied exactly as git does
//! (`git_config_perm`, `calc_shared_perm` and `adjust_shared_perm` in git's `setup.c` and
//! `path.c`), so that a file git-release makes and one git makes cannot be told apart.

use std::path::Path;

use anyhow::{Context, Result, bail};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shared {
    /// Unset, `umask`, `false` or `0`: the umask decides, as for any file.
    Umask,
    /// `group` (`true`, `1`, the key without a value) is 0660 and `all` (`world`,
    /// `everybody`, `2`) 0664: bits added to what the umask gave.
    Add(u32),
    /// An octal mode such as `0640`: what files get exactly (with execute bits for
    /// directories where read bits are).
    Exactly(u32),
}

const GROUP: u32 = 0o660;
const EVERYBODY: u32 = 0o664;

/// Directories made in a shared repository get the set-group-id bit, so that what is made
/// in them keeps their group; on the BSDs a new file takes its directory's group anyway, and
/// git leaves the bit alone there.
const SET_GROUP_ID: u32 = if cfg!(any(
    target_os = "freebsd",
    target_os = "openbsd",
    target_os = "netbsd"
)) {
    0
} else {
    0o2000
};

impl Shared {
    /// The value of `core.sharedRepository` when it is set: `None` for the key written without
    /// a value (`[core] sharedRepository`), which git reads as `group`.
    pub fn parse(value: Option<&str>) -> Result<Shared> {
        let Some(value) = value else {
            return Ok(Shared::Add(GROUP));
        };
        match value {
            "umask" => return Ok(Shared::Umask),
            "group" => return Ok(Shared::Add(GROUP)),
            "all" | "world" | "everybody" => return Ok(Shared::Add(EVERYBODY)),
            _ => {}
        }
        // An octal number (the empty value reads as 0); anything else is read as a boolean.
        let digits = value.trim_start();
        let Some(mode) = (if digits.is_empty() {
            Some(0)
        } else {
            u32::from_str_radix(digits, 8).ok()
        }) else {
            return match boolean(value) {
                Some(true) => Ok(Shared::Add(GROUP)),
                Some(false) => Ok(Shared::Umask),
                None => bail!(
                    "core.sharedRepository = {value:?} is not umask, group, all, a boolean or an octal mode"
                ),
            };
        };
        Ok(match mode {
            0 => Shared::Umask,
            1 => Shared::Add(GROUP),
            2 => Shared::Add(EVERYBODY),
            _ if mode & 0o600 != 0o600 => {
                bail!(
                    "core.sharedRepository = {value} would keep its owner from reading or writing"
                )
            }
            _ => Shared::Exactly(mode & 0o666),
        })
    }

    /// The mode git gives a file or directory that was made with `mode`: the shared bits,
    /// without write bits for a read-only file, with execute bits where read bits are for
    /// what is executable (a directory), and the set-group-id bit on a directory whose group
    /// gets any access.
    pub fn mode(self, mode: u32, is_dir: bool) -> u32 {
        let (mut tweak, exactly) = match self {
            Shared::Umask => return mode,
            Shared::Add(bits) => (bits, false),
            Shared::Exactly(bits) => (bits, true),
        };
        if mode & 0o200 == 0 {
            tweak &= !0o222;
        }
        if mode & 0o100 != 0 {
            tweak |= (tweak & 0o444) >> 2;
        }
        let mut mode = if exactly {
            (mode & !0o777) | tweak
        } else {
            mode | tweak
        };
        if is_dir {
            mode |= (mode & 0o444) >> 2;
            if mode & 0o060 != 0 {
                mode |= SET_GROUP_ID;
            }
        }
        mode
    }

    /// Gives `path`, just made, the mode `mode` says. Nothing to do, and no `stat`, when the
    /// repository is not shared.
    pub fn apply(self, path: &Path) -> Result<()> {
        if self == Shared::Umask {
            return Ok(());
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let meta = std::fs::symlink_metadata(path)
                .with_context(|| format!("reading the mode of {}", path.display()))?;
            let old = meta.permissions().mode() & 0o7777;
            let new = self.mode(old, meta.is_dir());
            if new != old {
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(new)).with_context(
                    || format!("sharing {} (core.sharedRepository)", path.display()),
                )?;
            }
        }
        Ok(())
    }
}

/// A boolean as git reads one (`git_config_bool`): the words, or any integer (with an optional
/// `k`, `m` or `g`), true when it is not zero.
fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => return Some(true),
        "false" | "no" | "off" | "" => return Some(false),
        _ => {}
    }
    let number = value
        .strip_suffix(['k', 'K', 'm', 'M', 'g', 'G'])
        .unwrap_or(value);
    let unsigned = number.strip_prefix(['-', '+']).unwrap_or(number);
    let parsed = if let Some(hex) = unsigned
        .strip_prefix("0x")
        .or_else(|| unsigned.strip_prefix("0X"))
    {
        u64::from_str_radix(hex, 16)
    } else if unsigned.len() > 1
        && let Some(octal) = unsigned.strip_prefix('0')
    {
        u64::from_str_radix(octal, 8)
    } else {
        unsigned.parse()
    };
    parsed.ok().map(|n| n != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_as_git_reads_them() {
        let parse = |v| Shared::parse(Some(v)).unwrap();
        assert_eq!(Shared::parse(None).unwrap(), Shared::Add(0o660));
        for v in ["umask", "false", "no", "OFF", "0", "", "000"] {
            assert_eq!(parse(v), Shared::Umask, "{v}");
        }
        // Not an octal number, so a boolean: any integer but zero is true.
        for v in ["group", "true", "Yes", "on", "1", "8", "9", "0x10", "1k"] {
            assert_eq!(parse(v), Shared::Add(0o660), "{v}");
        }
        for v in ["all", "world", "everybody", "2"] {
            assert_eq!(parse(v), Shared::Add(0o664), "{v}");
        }
        assert_eq!(parse("0640"), Shared::Exactly(0o640));
        assert_eq!(parse("0777"), Shared::Exactly(0o666));
        // git compares the words exactly: `Group` is neither a word nor a boolean.
        for v in ["0066", "0440", "sometimes", "Group", "08"] {
            assert!(Shared::parse(Some(v)).is_err(), "{v}");
        }
    }

    #[test]
    fn modes_are_git_modes() {
        let group = Shared::Add(0o660);
        // A loose object (0444 under umask 077), a lock file (0666 under 077), a directory.
        assert_eq!(group.mode(0o400, false), 0o440);
        assert_eq!(group.mode(0o600, false), 0o660);
        assert_eq!(group.mode(0o700, true), 0o770 | SET_GROUP_ID);
        assert_eq!(Shared::Add(0o664).mode(0o600, false), 0o664);
        // An exact mode takes bits away too: umask 022 gave 0644.
        let exact = Shared::Exactly(0o640);
        assert_eq!(exact.mode(0o444, false), 0o440);
        assert_eq!(exact.mode(0o644, false), 0o640);
        assert_eq!(exact.mode(0o755, true), 0o750 | SET_GROUP_ID);
        // A mode that gives the group nothing: no set-group-id bit on its directories.
        assert_eq!(Shared::Exactly(0o600).mode(0o755, true), 0o700);
        assert_eq!(Shared::Umask.mode(0o600, false), 0o600);
    }
}
