//! `core.sharedRepository`: the permissions git gives what it makes in a repository that
//! several users share, whatever their umask. Read and applied exactly as git does
//! (`git_config_perm`, `calc_shared_perm` and `adjust_shared_perm` in git's `setup.c` and
//! `path.c`), so that a file git-release makes and one git makes cannot be told apart.

use std::path::Path;

use anyhow::{Result, bail};

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
/// in them keeps their group; on FreeBSD a new file takes its directory's group anyway, and
/// git leaves the bit alone there (`DIR_HAS_BSD_GROUP_SEMANTICS`).
const SET_GROUP_ID: u32 = if cfg!(target_os = "freebsd") {
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
        // An octal number, read with C's `strtol` (the empty value reads as 0) and kept in a C
        // `int`, as git keeps it; anything else is read as a boolean.
        let number = strtol(value, 8);
        if number.used != value.len() {
            return match boolean(value) {
                Some(true) => Ok(Shared::Add(GROUP)),
                Some(false) => Ok(Shared::Umask),
                None => bail!(
                    "core.sharedRepository = {value:?} is not umask, group, all, a boolean or an octal mode"
                ),
            };
        }
        let mode = number.value as i32;
        Ok(match mode {
            0 => Shared::Umask,
            1 => Shared::Add(GROUP),
            2 => Shared::Add(EVERYBODY),
            _ if mode & 0o600 != 0o600 => {
                bail!(
                    "core.sharedRepository = {value} would keep its owner from reading or writing"
                )
            }
            _ => Shared::Exactly((mode & 0o666) as u32),
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
        #[cfg(not(unix))]
        let _ = path;
        #[cfg(unix)]
        {
            use anyhow::Context as _;
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

/// A boolean as git reads one (`git_config_bool`): the words, or an integer that fits a C
/// `int` once its `k`, `m` or `g` is applied (`git_parse_int`), true when it is not zero.
fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => return Some(true),
        "false" | "no" | "off" | "" => return Some(false),
        _ => {}
    }
    let number = strtol(value, 0);
    if number.used == 0 || number.overflowed {
        return None;
    }
    let factor: i64 = match value[number.used..].to_ascii_lowercase().as_str() {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    let int_max = i64::from(i32::MAX);
    if (number.value < 0 && -int_max / factor > number.value)
        || (number.value > 0 && int_max / factor < number.value)
    {
        return None;
    }
    Some(number.value != 0)
}

/// What C's `strtol` reads at the start of a text.
struct Number {
    /// The number, held at the bounds of a 64-bit `long` when it is beyond them.
    value: i64,
    /// How many bytes it took: 0 when the text does not start with a number.
    used: usize,
    overflowed: bool,
}

/// C's `strtol(text, &end, base)` for base 8, or 0 (a `0x` prefix is hexadecimal, a leading
/// `0` octal, else decimal): leading white space, a sign, then as many digits as there are.
fn strtol(text: &str, base: u32) -> Number {
    let bytes = text.as_bytes();
    let mut at = bytes
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r'))
        .count();
    let negative = bytes.get(at) == Some(&b'-');
    if matches!(bytes.get(at), Some(b'-' | b'+')) {
        at += 1;
    }
    let mut radix = base;
    if base == 0 {
        let hex = matches!(bytes.get(at..at + 2), Some(b"0x" | b"0X"))
            && bytes.get(at + 2).is_some_and(u8::is_ascii_hexdigit);
        radix = if hex {
            at += 2;
            16
        } else if bytes.get(at) == Some(&b'0') {
            8
        } else {
            10
        };
    }
    let mut magnitude: u64 = 0;
    let mut overflowed = false;
    let digits_from = at;
    while let Some(digit) = bytes.get(at).and_then(|b| (*b as char).to_digit(radix)) {
        match magnitude
            .checked_mul(u64::from(radix))
            .and_then(|m| m.checked_add(u64::from(digit)))
        {
            Some(m) => magnitude = m,
            None => overflowed = true,
        }
        at += 1;
    }
    if at == digits_from {
        return Number {
            value: 0,
            used: 0,
            overflowed: false,
        };
    }
    let value = if negative {
        overflowed |= magnitude > i64::MIN.unsigned_abs();
        0i64.checked_sub_unsigned(magnitude).unwrap_or(i64::MIN)
    } else {
        overflowed |= magnitude > i64::MAX as u64;
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    };
    Number {
        value,
        used: at,
        overflowed,
    }
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
        for v in [
            "0066",
            "0440",
            "sometimes",
            "Group",
            "08",
            "-0640",
            "2g",
            "3g",
            "  ",
        ] {
            assert!(Shared::parse(Some(v)).is_err(), "{v}");
        }
        // As git's C reads them: a sign, white space before a number, and a number beyond a
        // C `int`, whose low 32 bits are -1.
        assert_eq!(parse("-1"), Shared::Exactly(0o666));
        assert_eq!(parse("77777777777"), Shared::Exactly(0o666));
        assert_eq!(parse(" 0640"), Shared::Exactly(0o640));
        assert_eq!(parse(" 8"), Shared::Add(0o660));
        assert_eq!(parse("1g"), Shared::Add(0o660));
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
