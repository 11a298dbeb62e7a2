//! optout
pub mod error;
pub mod signals;
pub use error::{Error, ErrorKind, Result};
pub mod agents;
pub mod blocklist;
pub mod corpus;
pub mod origin;
