//! Output files that are never mistaken for complete ones, and never an
//! input.
//!
//! An output file is written under a temporary name beside it and renamed
//! onto its name only when whole ([`Pending`]), so a failed or interrupted
//! run never leaves a file under that name that looks complete; and no
//! output may be an input, or another output ([`check_aliasing`]).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A data destination: a file, or standard output for `-` or none.
pub struct Destination {
    /// Where it writes; `-` is standard output.
    pub path: PathBuf,
    writer: BufWriter<Box<dyn Write>>,
    pending: Option<Pending>,
}

impl Destination {
    /// Standard output: line-buffered on a terminal, so a person sees rows
    /// as they come; block-buffered in a pipe, for throughput.
    pub fn stdout() -> Destination {
        use std::io::IsTerminal;
        let stdout = io::stdout();
        let (inner, capacity): (Box<dyn Write>, usize) = if stdout.is_terminal() {
            (Box::new(io::LineWriter::new(stdout.lock())), 0)
        } else {
            (Box::new(stdout.lock()), 1 << 20)
        };
        Destination {
            path: PathBuf::from("-"),
            writer: BufWriter::with_capacity(capacity, inner),
            pending: None,
        }
    }

    /// A file written under a temporary name until [`Destination::finish`]
    /// (standard output for `-`).
    pub fn create(path: &Path) -> Result<Destination> {
        if path == Path::new("-") {
            return Ok(Destination::stdout());
        }
        let (pending, file) = Pending::create(path)?;
        Ok(Destination {
            path: path.to_path_buf(),
            writer: BufWriter::with_capacity(1 << 20, Box::new(file)),
            pending: Some(pending),
        })
    }

    /// The buffered writer, for serialisers that write directly.
    pub fn writer(&mut self) -> &mut dyn Write {
        &mut self.writer
    }

    /// Writes all of `bytes`, naming the file on failure.
    pub fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        self.writer
            .write_all(bytes)
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Flushes and puts the file under its name.
    pub fn finish(mut self) -> Result<()> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))?;
        match self.pending.take() {
            Some(pending) => pending.commit(),
            None => Ok(()),
        }
    }

    /// Flushes and keeps what was written as `NAME.partial`, never under
    /// its name: for a run that failed part way. Returns where it is.
    pub fn abandon(mut self) -> Result<Option<PathBuf>> {
        self.writer.flush().map_err(|e| Error::io(&self.path, e))?;
        match self.pending.take() {
            Some(pending) => pending.keep_partial().map(Some),
            None => Ok(None),
        }
    }
}

/// A file being written under a temporary name beside its target: renamed
/// onto the target by [`Pending::commit`], removed when dropped before.
/// A target that exists and is not a regular file (a FIFO, a device such as
/// `/dev/null`) is written in place: there is nothing to replace. A
/// symbolic link is followed: the file it points to is replaced, the link
/// stays.
#[derive(Debug)]
pub struct Pending {
    /// The temporary file; `None` when writing in place.
    temp: Option<PathBuf>,
    target: PathBuf,
}

impl Pending {
    /// Opens the temporary file (or, for a FIFO or device, the target).
    pub fn create(path: &Path) -> Result<(Pending, File)> {
        let target = match std::fs::metadata(path) {
            // Refused now, not at the rename after the whole run.
            Ok(meta) if meta.is_dir() => {
                return Err(Error::config(format!(
                    "`{}` is a directory, not a file to write",
                    path.display()
                )));
            }
            Ok(meta) if !meta.is_file() => {
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .open(path)
                    .map_err(|e| Error::io(path, e))?;
                let pending = Pending {
                    temp: None,
                    target: path.to_path_buf(),
                };
                return Ok((pending, file));
            }
            Ok(_) => std::fs::canonicalize(path).map_err(|e| Error::io(path, e))?,
            Err(_) => path.to_path_buf(),
        };
        let name = target
            .file_name()
            .ok_or_else(|| Error::config(format!("`{}` is not a file name", path.display())))?;
        static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".optout-{}-{n}.tmp", std::process::id()));
        let temp = target.with_file_name(temp_name);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
            .map_err(|e| Error::io(path, e))?;
        Ok((
            Pending {
                temp: Some(temp),
                target,
            },
            file,
        ))
    }

    /// Puts the file under its name.
    pub fn commit(mut self) -> Result<()> {
        if let Some(temp) = self.temp.take() {
            if let Err(e) = std::fs::rename(&temp, &self.target) {
                let _ = std::fs::remove_file(&temp);
                return Err(Error::io(&self.target, e));
            }
        }
        Ok(())
    }

    /// Puts the file under `NAME.partial`.
    fn keep_partial(mut self) -> Result<PathBuf> {
        let mut partial = self.target.clone().into_os_string();
        partial.push(".partial");
        let partial = PathBuf::from(partial);
        match self.temp.take() {
            Some(temp) => {
                std::fs::rename(&temp, &partial).map_err(|e| Error::io(&partial, e))?;
                Ok(partial)
            }
            None => Ok(self.target.clone()),
        }
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(temp) = self.temp.take() {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// What a path names, to tell whether two paths are one file: the device
/// and inode of an existing file, and the canonical path (of the parent,
/// for a file not yet there).
#[derive(Debug)]
struct Identity {
    node: Option<(u64, u64)>,
    path: PathBuf,
    /// A FIFO or device: writing to it replaces nothing.
    special: bool,
}

impl Identity {
    fn of(path: &Path) -> Identity {
        use std::os::unix::fs::MetadataExt;
        let meta = std::fs::metadata(path).ok();
        let canonical = std::fs::canonicalize(path).ok().or_else(|| {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            let parent = std::fs::canonicalize(parent).ok()?;
            Some(parent.join(path.file_name()?))
        });
        Identity {
            node: meta.as_ref().map(|m| (m.dev(), m.ino())),
            path: canonical.unwrap_or_else(|| path.to_path_buf()),
            special: meta.is_some_and(|m| !m.is_file() && !m.is_dir()),
        }
    }

    fn same(&self, other: &Identity) -> bool {
        match (self.node, other.node) {
            (Some(a), Some(b)) => a == b,
            _ => self.path == other.path,
        }
    }
}

/// Refuses outputs that are an input or another output (by path, through
/// symbolic links, or as hard links to one file): writing one would
/// destroy an input or mix two outputs. Each item is (option, path); `-`
/// is standard input or output, which only one output may take. FIFOs and
/// devices (such as `/dev/null`) may be shared by outputs.
pub fn check_aliasing(inputs: &[(&str, &Path)], outputs: &[(&str, &Path)]) -> Result<()> {
    let dash = Path::new("-");
    let to_stdout: Vec<&str> = outputs
        .iter()
        .filter(|(_, p)| *p == dash)
        .map(|(name, _)| *name)
        .collect();
    if to_stdout.len() > 1 {
        return Err(Error::config(format!(
            "{} all write to standard output: give each its own file",
            to_stdout.join(" and ")
        )));
    }
    let inputs: Vec<(&str, &Path, Identity)> = inputs
        .iter()
        .filter(|(_, p)| *p != dash)
        .map(|(name, p)| (*name, *p, Identity::of(p)))
        .collect();
    let mut seen: Vec<(&str, &Path, Identity)> = Vec::new();
    for (name, path) in outputs.iter().filter(|(_, p)| *p != dash) {
        let identity = Identity::of(path);
        for (input, input_path, other) in &inputs {
            if identity.same(other) && !identity.special {
                return Err(Error::config(format!(
                    "{name} `{}` is {input} `{}`: an output never overwrites an input",
                    path.display(),
                    input_path.display()
                )));
            }
        }
        for (earlier, earlier_path, other) in &seen {
            if identity.same(other) && !identity.special {
                return Err(Error::config(format!(
                    "{name} `{}` and {earlier} `{}` are one file: give each output its own",
                    path.display(),
                    earlier_path.display()
                )));
            }
        }
        seen.push((name, path, identity));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in.txt");
        std::fs::write(&input, "x").unwrap();
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&input, &link).unwrap();
        let hard = dir.path().join("hard.txt");
        std::fs::hard_link(&input, &hard).unwrap();
        let out = dir.path().join("out.txt");
        let inputs = [("the input", input.as_path())];
        for alias in [&input, &link, &hard, &dir.path().join("./in.txt")] {
            let err = check_aliasing(&inputs, &[("--kept", alias)]).unwrap_err();
            assert!(
                err.to_string().contains("never overwrites an input"),
                "{err}"
            );
        }
        let err = check_aliasing(&inputs, &[("--kept", &out), ("--removed", &out)]).unwrap_err();
        assert!(err.to_string().contains("are one file"), "{err}");
        let dash = Path::new("-");
        assert!(check_aliasing(&inputs, &[("--kept", dash), ("--removed", dash)]).is_err());
        let null = Path::new("/dev/null");
        check_aliasing(
            &inputs,
            &[("--kept", null), ("--removed", null), ("--stats", &out)],
        )
        .unwrap();
    }

    #[test]
    fn a_pending_file_appears_only_when_committed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.txt");
        std::fs::write(&target, "old").unwrap();
        // A directory is refused before anything is written.
        let err = Pending::create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("is a directory"), "{err}");
        let (pending, mut file) = Pending::create(&target).unwrap();
        file.write_all(b"new").unwrap();
        drop(pending);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temp left"
        );
        let (pending, mut file) = Pending::create(&target).unwrap();
        file.write_all(b"new").unwrap();
        pending.commit().unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        // A link stays a link; the file it points to is replaced.
        let link = dir.path().join("link.txt");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let (pending, mut file) = Pending::create(&link).unwrap();
        file.write_all(b"via link").unwrap();
        pending.commit().unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "via link");
    }
}
