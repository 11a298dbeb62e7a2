//! Loading policies on the engine's threads: a robots directory's files
//! read, hashed and parsed in parallel (each distinct body parsed once),
//! then taken in file order, so the set is the one a sequential load
//! makes.

use std::collections::HashSet;
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::policy::{DirFile, LoadProblem, PolicySet, SharedParses};

/// [`PolicySet::load_dir_as`] on `threads` threads, and for `hosts` only
/// when given.
///
/// # Errors
///
/// When `dir` cannot be listed or the threads cannot start.
pub fn robots_dir(
    dir: &Path,
    shown: &Path,
    hosts: Option<&HashSet<String>>,
    threads: usize,
) -> Result<(PolicySet, Vec<LoadProblem>)> {
    let (files, problems) = DirFile::list(dir, shown, hosts)?;
    let parses = SharedParses::default();
    let read = if threads <= 1 {
        files.iter().map(|file| file.read(&parses)).collect()
    } else {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("optout-load-{i}"))
            .build()
            .map_err(|e| Error::config(format!("cannot start {threads} threads: {e}")))?
            .install(|| files.par_iter().map(|file| file.read(&parses)).collect())
    };
    Ok(PolicySet::from_read(read, problems))
}
