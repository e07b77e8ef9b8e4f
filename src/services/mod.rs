//! The team's services, one module per external system: each shapes its requests as the
//! service's documented API and reads its answers, over the one HTTP client of `crate::hooks`.

pub mod graphite;
pub mod prometheus;
pub mod sentry;
