//! Roll-forward: revert commits without a worktree, and undo the database migrations they added.

pub mod migrations;
