//! Links `git-release` so that it starts fast on Linux with glibc. A dynamically linked Rust
//! program pays the loader before `main`: mapping libc, libm and libgcc_s, resolving their
//! symbols, and running libgcc's CPU probe, whose `CPUID` instructions a hypervisor traps.
//! git pays for its own libraries too, but a command of a few milliseconds feels all of it.
//!
//! - **Static, at a fixed address** (the default, when the C compiler has glibc's and
//!   libgcc's archives, as Debian's `libc6-dev` and `gcc` install them): no loader runs at all,
//!   0.25 ms less on every command than the dynamic build below. rustc links a program
//!   against glibc dynamically unless the whole build (proc macros too, which cannot be) is
//!   built `crt-static`; so each library it asks for (`-lc -lm -lgcc_s …`) is met by a linker
//!   script of that name, found first, that hands the linker the archive, and `-static`
//!   makes the C compiler pick a static program's start files. glibc's static name lookups
//!   (`getaddrinfo`, `getpwuid`) read `/etc/hosts`, DNS and `/etc/passwd` as the shared
//!   library does, and load the library of any other NSS module named in `nsswitch.conf`,
//!   which must then be the glibc the program was built with: build it on the machine, or
//!   one like it, that runs it (`cargo install` does). `GIT_RELEASE_DYNAMIC=1` links
//!   dynamically instead.
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
//! `GIT_RELEASE_LINKAGE` tells the tests which of the three was made.

use std::path::{Path, PathBuf};
use std::process::Command;

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
    if !set("GIT_RELEASE_DYNAMIC")
        && let Some(scripts) = static_glibc()
    {
        // The binary and its unit tests; the integration tests' harness stays as rustc
        // links it.
        let dir = linker_scripts("static", &scripts);
        println!("cargo:rustc-link-arg-bins=-static");
        println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=static");
        return;
    }
    if !set("GIT_RELEASE_LIBGCC_S")
        && let Some(unwinder) = archive("libgcc_eh.a")
    {
        let dir = linker_scripts("unwind", &[("gcc_s", format!("INPUT({unwinder})\n"))]);
        println!("cargo:rustc-link-search=native={}", dir.display());
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=dynamic");
    } else {
        println!("cargo:rustc-env=GIT_RELEASE_LINKAGE=dynamic-libgcc_s");
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

/// Where the C compiler that links for rustc keeps the archive `name`, quoted for a linker
/// script. It answers the bare name when it has none.
fn archive(name: &str) -> Option<String> {
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(linker)
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (output.status.success()
        && path.is_absolute()
        && path.is_file()
        && !path.to_string_lossy().contains('"'))
    .then(|| format!("\"{}\"", path.display()))
}
