//! Links `git-release` so that it starts fast on Linux with glibc.
//!
//! - **At a fixed address.** A position-independent (PIE) Rust binary of this size carries
//!   40,000 relocations that the loader applies at every start, writing to 170 pages of its
//!   own: about half a millisecond on every command, a third of what `git cat-file` takes in
//!   all. Linked at a fixed address, the binary starts with none (Go links its binaries this
//!   way by default). What it gives up is the randomized address of the program's own code and
//!   static data; libraries, heap and stack stay randomized. `GIT_RELEASE_PIE=1 cargo install
//!   --path .` builds a PIE binary instead.
//! - **With libgcc's unwinder inside** (`libgcc_eh.a`, as `gcc -static-libgcc` links C++
//!   programs) instead of loading `libgcc_s.so.1`. Loading that library runs its CPU probe
//!   (`__cpu_indicator_init`), a dozen `CPUID` instructions that a hypervisor traps: 0.13 ms
//!   of every command on a virtual machine, where git loads no such library. Rust's standard
//!   library asks the linker for `-lgcc_s`; a linker script of that name, found first, hands
//!   it the static archive. It is done only when the C compiler knows where `libgcc_eh.a`
//!   is; `GIT_RELEASE_LIBGCC_S=1` keeps the shared library.
//!
//! Only dynamically linked glibc builds are changed.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=GIT_RELEASE_PIE");
    println!("cargo:rerun-if-env-changed=GIT_RELEASE_LIBGCC_S");
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // A static build (`-C target-feature=+crt-static`) is linked static-pie by rustc; adding
    // -no-pie to that makes a binary that crashes at start. It links libgcc_eh already.
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_build = features.split(',').any(|f| f == "crt-static");
    if os != "linux" || env != "gnu" || static_build {
        return;
    }
    if !set("GIT_RELEASE_PIE") {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    if !set("GIT_RELEASE_LIBGCC_S")
        && let Some(archive) = libgcc_eh()
    {
        let dir = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("unwind");
        std::fs::create_dir_all(&dir).expect("creating OUT_DIR/unwind");
        let script = format!("INPUT(\"{}\")\n", archive.display());
        std::fs::write(dir.join("libgcc_s.so"), script).expect("writing the linker script");
        println!("cargo:rustc-link-search=native={}", dir.display());
        // For the test that checks the binary does not load libgcc_s.
        println!("cargo:rustc-env=GIT_RELEASE_UNWINDER=libgcc_eh");
    }
}

fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Where the C compiler that links for rustc keeps `libgcc_eh.a`, if it has one. It answers
/// the bare name when it does not.
fn libgcc_eh() -> Option<std::path::PathBuf> {
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_owned());
    let output = Command::new(linker)
        .arg("-print-file-name=libgcc_eh.a")
        .output()
        .ok()?;
    let path = std::path::PathBuf::from(String::from_utf8(output.stdout).ok()?.trim());
    (output.status.success() && path.is_absolute() && path.is_file()).then_some(path)
}
