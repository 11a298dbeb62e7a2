//! Reading corpora: opening inputs (files or standard input, plain or
//! compressed) and cutting them into chunks of whole lines for the engine.
//!
//! Readers stream with bounded memory and report positions: every error
//! names the input and how far reading got.

pub mod decompress;
pub mod http_body;
pub mod json;
pub mod lines;
pub mod meter;
pub mod origins;
pub mod rows;
pub mod warc;

pub use decompress::{Compression, Input};
pub use lines::{Chunk, ChunkReader};
pub use meter::ReadMeter;
pub use origins::{OriginScan, scan};
pub use rows::{OnError, RowFormat, RowUrl};
