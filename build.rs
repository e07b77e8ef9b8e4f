//! Links `git-release` so that it starts fast on Linux with glibc. A dynamically linked Rust
//! program pays the loader before `main`: mapping libc, libm and libgcc_s, resolving their
//! symbols, and running libgcc's CPU probe, whose `CPUID` instructions a hypervisor traps.
//! git pays for its own libraries too, but a command of a few milliseconds feels all of it.
//!
//! - **Static, at a fixed address** (the default, when the target's glibc is 2.34 or later
//!   and the C compiler has its archives and libgcc's, as Debian's `libc6-dev` and `gcc`
//!   install them): no loader runs at all, 0.25 ms less on every command than the dynamic
//!   build below. rustc links a program against glibc dynamically unless the whole build
//!   (proc macros too, which cannot be) is built `crt-static`; so each library it asks for
//!   (`-lc -lm -lgcc_s …`) is met by a linker script of that name, found first, that hands
//!   the linker the archive, and `-static` makes the C compiler pick a static program's
//!   start files. Since glibc 2.34, static name lookups (`getaddrinfo`, `getpwuid`) read
//!   `/etc/hosts`, DNS and `/etc/passwd` as the shared library does, and load the library of
//!   any other NSS module named in `nsswitch.conf`, which must then be the glibc the program
//!   was built with: build it on the machine, or one like it, that runs it (`cargo install`
//!   does). `GIT_RELEASE_DYNAMIC=1` links dynamically instead.
//! - **Dynamic, at a fixed address**: a position-independent (PIE) Rust binary of this size
//!   carries 40,000 relocations that the loader applies at every start, writing to 170 pages
//!   of its own; at a fixed address it has none (Go links its binaries this way by default).
//!   What it gives up is the randomized address of the program's own code and static data;
//!   libraries, heap and stack stay randomized. libgcc's unwinder is linked in (as `gcc
//!   -static-libgcc` links C++ programs) instead of loading `libgcc_s.so.1` and its CPU
//!   probe; `GIT_RELEASE_LIBGCC_S=1` keeps the shared library.
//! - **Dynamic and position-independent**, as rustc links it: `GIT_RELEASE_PIE=1`.
//!
//! Only glibc builds that rustc links dynamically are changed (not `crt-static` or musl).
//! `GIT_RELEASE_LINKAGE` tells the tests which of the three was made, and whether a dynamic
//! build was asked for or is all this machine can do (`-fallback`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn main() {
    for var in [
        "GIT_RELEASE_PIE",
        "GIT_RELEASE_DYNAMIC",
        "GIT_RELEASE_LIBGCC_S",
        "RUSTC_LINKER",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // A `crt-static` build is linked static-pie by rustc; adding -no-pie to that makes a
    // binary that crashes at start.
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let crt_static = features.split(',').any(|f| f == "crt-static");
    if os != "linux" || env != "gnu" || crt_static {
        return;
    }
    if set("GIT_RELEASE_PIE") {
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=pie");
        return;
    }
    println!("cargo:rustc-link-arg-bins=-no-pie");
    let asked_dynamic = set("GIT_RELEASE_DYNAMIC");
    if !asked_dynamic && let Some(scripts) = static_glibc() {
        // The binary and its unit tests; the integration tests' harness stays as rustc
        // links it.
        let dir = linker_scripts("static", &scripts);
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=static");
        return;
    }
    // Dynamic because it was asked for, or because this machine cannot link statically; the
    // tests check that the second is true when it is said.
    let why = if asked_dynamic { "" } else { "-fallback" };
    if !set("GIT_RELEASE_LIBGCC_S")
        && let Some(unwinder) = archive("libgcc_eh.a")
    {
        let dir = linker_scripts("unwind", &[("gcc_s", format!("INPUT({unwinder})\n"))]);
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=dynamic{why}");
    } else {
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=dynamic-libgcc_s{why}");
    }
}

fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Writes each `(LIB, SCRIPT)` as `libLIB.so` into a directory of OUT_DIR, which it returns.
fn linker_scripts(name: &str, scripts: &[(&str, String)]) -> PathBuf {
    let dir = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join(name);
    std::fs::create_dir_all(&dir).expect("creating a directory in OUT_DIR");
    for (lib, script) in scripts {
        std::fs::write(dir.join(format!("lib{lib}.so")), script).expect("writing a linker script");
    }
    dir
}

/// The linker scripts that stand for the libraries rustc asks for in a static program, if
/// the C compiler has every archive they name: libc's with libgcc's two, grouped as `gcc
/// -static` groups them (for the calls each makes into the others); libgcc's unwinder for
/// `-lgcc_s`; and each of the others (empty since glibc 2.34 moved them into libc).
fn static_glibc() -> Option<Vec<(&'static str, String)>> {
    if !glibc_has_files_and_dns() {
        return None;
    }
    let [libc, libgcc, unwinder] = ["libc.a", "libgcc.a", "libgcc_eh.a"].map(archive);
    let (libc, libgcc, unwinder) = (libc?, libgcc?, unwinder?);
    let mut scripts = vec![
        ("c", format!("GROUP({libc} {libgcc} {unwinder})\n")),
        ("gcc_s", format!("INPUT({unwinder})\n")),
    ];
    for lib in ["m", "rt", "pthread", "dl", "util"] {
        scripts.push((
            lib,
            format!("INPUT({})\n", archive(&format!("lib{lib}.a"))?),
        ));
    }
    Some(scripts)
}

/// The C compiler that links for rustc, asked about the target: the linker cargo was told to
/// use, or else the one the `cc` crate picks, with the flags that make it answer for the
/// target rather than the host (`-m32` for i686 on an x86_64 machine).
fn compiler() -> Command {
    static FOUND: std::sync::OnceLock<cc::Tool> = std::sync::OnceLock::new();
    match std::env::var_os("RUSTC_LINKER") {
        Some(linker) => Command::new(linker),
        None => FOUND
            .get_or_init(|| cc::Build::new().get_compiler())
            .to_command(),
    }
}

/// Where the C compiler keeps the archive `name`, quoted for a linker script. It answers the
/// bare name when it has none. A build that uses it is redone when it changes or goes (a gcc
/// or glibc upgrade), rather than naming a file that is no longer there.
fn archive(name: &str) -> Option<String> {
    let output = compiler()
        .arg(format!("-print-file-name={name}"))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    let found = output.status.success()
        && path.is_absolute()
        && path.is_file()
        && !path.to_string_lossy().contains('"');
    if !found {
        return None;
    }
    println!("cargo:rerun-if-changed={}", path.display());
    Some(format!("\"{}\"", path.display()))
}

/// Whether the target's glibc is 2.34 or later, as its headers say. From 2.34 on, the name
/// lookups of `/etc/hosts`, DNS and `/etc/passwd` are part of libc itself; before it, a
/// static program loads them from the system's shared libraries at every lookup.
fn glibc_has_files_and_dns() -> bool {
    let Ok(output) = compiler()
        .args(["-E", "-dM", "-x", "c", "-include", "features.h", "-"])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
    else {
        return false;
    };
    let defines = String::from_utf8_lossy(&output.stdout);
    let define = |name: &str| {
        defines.lines().find_map(|line| {
            let rest = line.strip_prefix("#define ")?.strip_prefix(name)?;
            rest.trim().parse::<u32>().ok()
        })
    };
    let version = (define("__GLIBC__ "), define("__GLIBC_MINOR__ "));
    output.status.success()
        && matches!(version, (Some(major), Some(minor)) if (major, minor) >= (2, 34))
}
