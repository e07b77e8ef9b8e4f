//! One integration test binary: every test drives the real `git-release` in a real
//! temporary repository and checks the result with the real `git`.

mod common;

mod test_checklist;
mod test_ci_gates;
mod test_comment;
mod test_concurrency;
mod test_config;
mod test_django;
mod test_facts;
mod test_gates;
mod test_hooks;
mod test_init;
mod test_jenkins;
mod test_log;
mod test_mail;
mod test_newcomer;
mod test_notes;
mod test_page;
mod test_process;
mod test_reftable;
mod test_render;
mod test_rollforward;
mod test_rollforward_safety;
mod test_safety;
mod test_services;
mod test_shared;
mod test_ship;
mod test_signing;
mod test_start;
mod test_status;
mod test_sync;
mod test_systems;
mod test_watch;
