//! `.release/config.toml`: the team's release process, committed and reviewed with the code.
//! Read with serde (errors carry file:line:column); edited with toml_edit so comments survive.

pub mod edit;
mod load;
mod schema;
mod validate;

pub use load::{CONFIG_PATH, Loaded, PRESETS, Source, load, load_checklist, read_repo_file};
pub use schema::*;
pub use validate::parse;
