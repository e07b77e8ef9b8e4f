//! Errors a person can act on: what failed, why, and a `hint:` with the next step, plus the
//! exit code that tells scripts what kind of failure it was.

use std::fmt;

/// Exit codes: 0 success, 1 error, 2 usage (clap's own and ours), 3 a gate is not met.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitKind {
    Error = 1,
    Usage = 2,
    GateNotMet = 3,
}

/// A failure the user can do something about. Travels inside `anyhow::Error`; `main` finds it
/// in the chain for the exit code and hints.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub hints: Vec<String>,
    pub exit: ExitKind,
}

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure {
            message: message.into(),
            hints: Vec::new(),
            exit: ExitKind::Error,
        }
    }

    pub fn usage(message: impl Into<String>) -> Failure {
        Failure {
            exit: ExitKind::Usage,
            ..Failure::new(message)
        }
    }

    /// A gate that is not met: exit code 3, so scripts can tell "not yet" from "broken".
    pub fn gate(message: impl Into<String>) -> Failure {
        Failure {
            exit: ExitKind::GateNotMet,
            ..Failure::new(message)
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Failure {
        self.hints.push(hint.into());
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}
