//! Moving a snapshot between its forms (`optout cache convert`), and
//! what one says about itself (`optout cache info`).

use std::io::BufRead;
use std::path::Path;

use serde::Serialize;

use super::{FORMAT, Header, JsonLines, Sink, read_any};
use crate::corpus::Input;
use crate::error::{Error, ErrorKind, Result};
use crate::time;

/// Copies the snapshot `input` (either form) to `output`: JSON Lines, or
/// an indexed snapshot in `shards` files when `shards` is given.
/// Returns the header of what was read.
///
/// # Errors
///
/// When `input` cannot be read (see [`read_any`]) or `output` written.
pub fn convert(input: &Path, output: &Path, shards: Option<u32>) -> Result<Header> {
    crate::output::check_aliasing(&[("the input snapshot", input)], &[("the output", output)])?;
    match shards {
        Some(shards) => {
            // The time the policies hold comes from the input's header,
            // read before the writer starts.
            let as_of = if crate::cache::indexed::is_indexed(input)? {
                crate::cache::indexed::Reader::open(input)?
                    .meta()
                    .as_of
                    .clone()
            } else {
                first_header(input)?.as_of
            };
            let mut writer =
                crate::cache::indexed::Writer::create(output, shards, time::parse(&as_of)?)?;
            let header = read_any(input, |effective, body, from| {
                writer.add(&effective, body.as_deref(), from)
            })?;
            writer.finish()?;
            Ok(header)
        }
        None => {
            if !crate::cache::indexed::is_indexed(input)? {
                return Err(Error::config(format!(
                    "`{}` is a JSON Lines snapshot already",
                    input.display()
                )));
            }
            let header = crate::cache::indexed::Reader::open(input)?.meta().header();
            let mut out = crate::output::Destination::create(output)?;
            let mut sink = JsonLines::begin(out.writer(), output, &header)?;
            read_any(input, |effective, body, from| {
                sink.add(&effective, body.as_deref(), from)
            })?;
            sink.finish()?;
            out.finish()?;
            Ok(header)
        }
    }
}

/// What a snapshot says about itself (`optout cache info`).
#[derive(Clone, Debug, Serialize)]
pub struct Info {
    /// The file.
    pub file: String,
    /// `json-lines` or `indexed`.
    pub form: &'static str,
    /// Its header (for an indexed snapshot, the same facts).
    #[serde(flatten)]
    pub header: Header,
    /// An indexed snapshot's own description (export id, shard, counts of
    /// entries and distinct bodies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index: Option<crate::cache::indexed::Meta>,
}

impl Info {
    /// Reads the description of `path` (a JSON Lines snapshot's header
    /// only: its lines are checked when it is used).
    ///
    /// # Errors
    ///
    /// When the file cannot be read or is not a snapshot.
    pub fn of(path: &Path) -> Result<Info> {
        let file = path.display().to_string();
        if crate::cache::indexed::is_indexed(path)? {
            let meta = crate::cache::indexed::Reader::open(path)?.meta().clone();
            Ok(Info {
                file,
                form: "indexed",
                header: meta.header(),
                index: Some(meta),
            })
        } else {
            Ok(Info {
                file,
                form: "json-lines",
                header: first_header(path)?,
                index: None,
            })
        }
    }

    /// The description as lines of text.
    #[must_use]
    pub fn to_text(&self) -> String {
        let h = &self.header;
        let mut text = format!(
            "{}: {} snapshot, policies as of {}, written {} by {}\n{} origins, {} other files, {} earlier copies\n",
            self.file, self.form, h.as_of, h.created, h.tool, h.origins, h.files, h.history
        );
        if let Some(meta) = &self.index {
            text.push_str(&format!(
                "export {}, shard {} of {}: {} entries, {} distinct bodies\n",
                meta.id, meta.shard, meta.shards, meta.entries, meta.bodies
            ));
        }
        text
    }
}

/// The header line of a JSON Lines snapshot.
fn first_header(path: &Path) -> Result<Header> {
    let input = Input::open(path)?;
    let mut line = String::new();
    std::io::Read::take(input.reader, 1 << 16)
        .read_line(&mut line)
        .map_err(|e| Error::io(path, e))?;
    let bad = |message: String| -> Error {
        ErrorKind::Snapshot {
            path: path.to_owned(),
            line: 1,
            message,
        }
        .into()
    };
    let header: Header =
        serde_json::from_str(&line).map_err(|e| bad(format!("not a snapshot header: {e}")))?;
    if header.format != FORMAT {
        return Err(bad(format!("format `{}` is not `{FORMAT}`", header.format)));
    }
    Ok(header)
}
