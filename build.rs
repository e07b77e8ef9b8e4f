//! Links `git-release` as a position-dependent executable on Linux.
//!
//! A position-independent (PIE) Rust binary of this size carries 40,000 relocations that the
//! loader applies at every start, writing to 170 pages of its own: about half a millisecond on
//! every command, a third of what `git cat-file` takes in all. Linked at a fixed address, the
//! binary starts with none (Go links its binaries this way by default). What it gives up is
//! the randomized address of the program's own code and static data; libraries, heap and
//! stack stay randomized. `GIT_RELEASE_PIE=1 cargo install --path .` builds a PIE binary
//! instead. Only dynamically linked glibc builds are changed.

fn main() {
    println!("cargo:rerun-if-env-changed=GIT_RELEASE_PIE");
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // A static build (`-C target-feature=+crt-static`) is linked static-pie by rustc; adding
    // -no-pie to that makes a binary that crashes at start.
    let features = std::env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let static_build = features.split(',').any(|f| f == "crt-static");
    let pie = std::env::var_os("GIT_RELEASE_PIE").is_some_and(|v| !v.is_empty() && v != "0");
    if os == "linux" && env == "gnu" && !static_build && !pie {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
