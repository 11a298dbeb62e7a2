//! optout
pub mod error;
pub mod signals;
pub use error::{Error, ErrorKind, Result};
