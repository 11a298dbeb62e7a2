//! Bringing the cache up to date for a set of origins: plan what is stale
//! or missing, fetch it with the [`Fetcher`], store every outcome, and say
//! what happened. `optout fetch`, a `filter` or `audit` run that fetches
//! first, and `explain` all refresh through [`refresh`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::cache::{self, Cache};
use crate::error::{ErrorKind, Result};
use crate::fetch::{FetchOptions, Fetcher};
use crate::observe::{Observer, Stage};
use crate::origin::{Origin, SiteFile};

/// How often a running fetch asks its observer whether to stop.
const CANCEL_POLL: Duration = Duration::from_millis(50);

/// What to refresh: the cache, the files per origin and when a stored
/// fetch is stale.
#[derive(Clone, Debug)]
pub struct RefreshPlan {
    /// The cache database (created when missing).
    pub cache: PathBuf,
    /// The files fetched per origin, robots.txt first.
    pub files: Vec<SiteFile>,
    /// When a stored fetch is fetched again: after the maximum age
    /// (RFC 9309 §2.4: at most 24 hours), an unreachable one sooner.
    pub schedule: crate::cache::freshness::Schedule,
    /// How to fetch.
    pub options: FetchOptions,
}

/// What a refresh did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Refresh {
    /// The cache file.
    pub cache: String,
    /// Distinct origins asked for.
    pub origins: usize,
    /// Origins with a fresh fetch in the cache, not fetched.
    pub fresh: usize,
    /// Of the fresh ones, origins whose robots.txt was unreachable (not
    /// yet due for a retry).
    pub fresh_unreachable: usize,
    /// Origins fetched and stored.
    pub fetched: usize,
    /// Fetched origins by outcome code.
    pub by_outcome: BTreeMap<&'static str, u64>,
    /// Fetched origins by outcome class (ok, unavailable, unreachable).
    pub by_class: BTreeMap<&'static str, u64>,
    /// Origins not finished (interrupted): fetched by the next run.
    pub unfinished: usize,
    /// Fetches of files other than robots.txt, by file and outcome class.
    pub files: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// The observer asked to stop before every origin was fetched.
    pub interrupted: bool,
    /// Wall time of the fetching, in seconds.
    pub seconds: f64,
}

impl Refresh {
    /// Origins whose robots.txt is unreachable after this refresh: found
    /// so now, or so recently that it is not yet due for a retry.
    #[must_use]
    pub fn unreachable(&self) -> usize {
        self.fresh_unreachable + self.by_class.get("unreachable").copied().unwrap_or(0) as usize
    }

    /// One line for a person: origins, fetched, fresh and outcomes.
    #[must_use]
    pub fn summary(&self) -> String {
        let outcomes: Vec<String> = self
            .by_outcome
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect();
        let fresh_unreachable = if self.fresh_unreachable > 0 {
            format!(
                " ({} of them unreachable, not yet due for a retry)",
                self.fresh_unreachable
            )
        } else {
            String::new()
        };
        format!(
            "{} origins: {} fetched in {:.1} s, {} fresh in the cache{fresh_unreachable}{}",
            self.origins,
            self.fetched,
            self.seconds,
            self.fresh,
            if outcomes.is_empty() {
                String::new()
            } else {
                format!(" ({})", outcomes.join(", "))
            }
        )
    }
}

/// Finished robots.txt fetches by outcome code and by outcome class, and
/// other files' by file and class.
#[derive(Default)]
struct Counts {
    by_outcome: BTreeMap<&'static str, u64>,
    by_class: BTreeMap<&'static str, u64>,
    files: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
}

/// Fetches the `origins` that have no fresh record in the cache and stores
/// every outcome; returns what it did. Progress counts robots.txt fetches
/// (one per origin). When `observer` asks to stop, no new fetch starts,
/// those in flight are dropped, the cache commits what finished, and the
/// result says `interrupted`.
///
/// # Errors
///
/// When the cache cannot be opened or written, or the options are unusable.
pub fn refresh(plan: &RefreshPlan, origins: &[Origin], observer: &dyn Observer) -> Result<Refresh> {
    let path: &Path = &plan.cache;
    let cache = Cache::open(path)?;
    let work = cache.plan(origins, &plan.files, crate::time::now(), plan.schedule)?;
    let mut refresh = Refresh {
        cache: path.display().to_string(),
        origins: origins.len(),
        fresh: work.fresh,
        fresh_unreachable: work.fresh_unreachable,
        ..Refresh::default()
    };
    if work.jobs.is_empty() {
        return Ok(refresh);
    }
    let jobs = work
        .jobs
        .iter()
        .filter(|j| j.files.iter().any(|(f, _)| *f == SiteFile::Robots))
        .count();
    observer.start(Stage::Fetch, Some(jobs as u64));
    let counts: Arc<Mutex<Counts>> = Arc::default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| ErrorKind::Fetch(format!("cannot start the async runtime: {e}")))?;
    let fetcher = Arc::new(Fetcher::new(plan.options.clone())?);
    let started = Instant::now();
    // The cache writer thread counts; progress is reported from here, on
    // the caller's thread, so the observer need not be `Send`.
    let (tx, writer) = {
        let counts = Arc::clone(&counts);
        cache::spawn_writer(cache, "fetch".into(), move |record| {
            let mut counts = counts.lock().expect("counts lock");
            if record.file != SiteFile::Robots {
                *counts
                    .files
                    .entry(record.file.name())
                    .or_default()
                    .entry(record.outcome.class())
                    .or_default() += 1;
                return;
            }
            *counts.by_outcome.entry(record.outcome.code()).or_default() += 1;
            *counts.by_class.entry(record.outcome.class()).or_default() += 1;
        })
    };
    let end = runtime.block_on(async {
        let watch = async {
            loop {
                tokio::time::sleep(CANCEL_POLL).await;
                if observer.cancelled() {
                    return;
                }
                let counts = counts.lock().expect("counts lock");
                let done: u64 = counts.by_class.values().sum();
                let status: Vec<String> = counts
                    .by_class
                    .iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect();
                drop(counts);
                observer.progress(Stage::Fetch, done, &status.join(", "));
            }
        };
        fetcher.run(work.jobs, tx, watch).await
    });
    // Fetches still in flight were aborted; the writer commits what was
    // sent to it and stops when the channel closes.
    runtime.shutdown_timeout(Duration::from_secs(1));
    let written = writer
        .join()
        .map_err(|_| ErrorKind::Fetch("the cache writer panicked".into()))?;
    observer.finish(Stage::Fetch);
    written?;
    let counts = counts.lock().expect("counts lock");
    refresh.by_outcome = counts.by_outcome.clone();
    refresh.by_class = counts.by_class.clone();
    refresh.files = counts.files.clone();
    refresh.fetched = counts.by_outcome.values().sum::<u64>() as usize;
    refresh.unfinished = jobs - refresh.fetched;
    refresh.interrupted = end.interrupted;
    refresh.seconds = started.elapsed().as_secs_f64();
    Ok(refresh)
}
