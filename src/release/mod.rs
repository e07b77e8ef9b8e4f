//! The release model: events, the state they fold into, release names and the calendar.
//! Pure: no I/O, no git; everything here is unit-tested on values.

pub mod checklist;
pub mod event;
pub mod gate;
pub mod monitor;
pub mod name;
pub mod schedule;
pub mod state;

pub use event::{Actor, Event, EventKind};
pub use name::NameFormat;
pub use state::Release;
