//! Policies from a directory of robots.txt files, one per host, named
//! `<host>.txt`. Loading has three steps so that the middle one, reading,
//! hashing and parsing each file, can run on many threads (the engine's
//! pool does that: see `engine::load`): [`DirFile::list`] names the files
//! in order, [`DirFile::read`] makes each one's policy, sharing the parse
//! of identical bodies through [`SharedParses`], and [`PolicySet`] takes
//! them in order.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use dashmap::DashMap;

use crate::agents::AgentSet;
use crate::error::{Error, Result};
use crate::policy::{
    Access, ByParse, Compiled, CompiledCache, LoadProblem, OriginPolicy, PolicySet, files,
    reading_key,
};
use crate::signals::robots::RobotsTxt;

/// One `<host>.txt` file of a robots directory.
#[derive(Clone, Debug)]
pub struct DirFile {
    /// The file.
    pub path: PathBuf,
    /// Its host, normalised.
    pub host: String,
    /// The name evidence gives it.
    pub source: String,
}

/// Parses by body SHA-256 (and whether the body is the first part of a
/// longer one), shared between threads: a body served by many hosts (a
/// platform's default) is parsed once and held once. Made with
/// [`SharedParses::compiling`], each parse is compiled as it is made and
/// held slim.
#[derive(Debug, Default)]
pub struct SharedParses {
    parses: DashMap<(Box<str>, bool), Arc<RobotsTxt>, foldhash::fast::RandomState>,
    compiler: Option<LoadCompiler>,
}

impl SharedParses {
    /// Parses that are compiled for `agents` as they are made, and held in
    /// their slim form ([`RobotsTxt::slimmed`]).
    #[must_use]
    pub fn compiling(agents: &AgentSet) -> SharedParses {
        SharedParses {
            parses: DashMap::default(),
            compiler: Some(LoadCompiler::new(Arc::new(CompiledCache::unbounded(
                agents,
            )))),
        }
    }

    /// Parses compiled as they are made through `cache`, which outlives
    /// them (a run that loads its policies a window at a time keeps what
    /// it compiled for the next windows).
    #[must_use]
    pub fn compiling_through(cache: Arc<CompiledCache>) -> SharedParses {
        SharedParses {
            parses: DashMap::default(),
            compiler: Some(LoadCompiler::new(cache)),
        }
    }

    /// The parse of the body whose SHA-256 is `sha256` (as a prefix when
    /// `prefix`), made by `parse` when no thread has made it yet.
    ///
    /// # Errors
    ///
    /// When `parse` fails (it could not read the body).
    pub fn get_or_parse(
        &self,
        sha256: &str,
        prefix: bool,
        parse: impl FnOnce() -> Result<RobotsTxt>,
    ) -> Result<Arc<RobotsTxt>> {
        let key = (Box::from(sha256), prefix);
        if let Some(parsed) = self.parses.get(&key) {
            return Ok(Arc::clone(&parsed));
        }
        let parsed = parse()?;
        let parsed = match &self.compiler {
            Some(compiler) => compiler.take(parsed),
            None => Arc::new(parsed),
        };
        // Two threads may parse the same body at once; the first kept
        // wins, so every policy shares one. The other's compiled entries
        // go before it does, unless something else holds it (a slim parse
        // shared by content): its address may be reused.
        let kept = Arc::clone(
            self.parses
                .entry(key)
                .or_insert_with(|| Arc::clone(&parsed))
                .value(),
        );
        if !Arc::ptr_eq(&kept, &parsed) && Arc::strong_count(&parsed) == 1 {
            if let Some(compiler) = &self.compiler {
                compiler.forget(&parsed);
            }
        }
        Ok(kept)
    }

    /// The parse of the body whose SHA-256 is `sha256` (as a prefix when
    /// `prefix`), when a thread has made it.
    #[must_use]
    pub fn get(&self, sha256: &str, prefix: bool) -> Option<Arc<RobotsTxt>> {
        self.parses
            .get(&(Box::from(sha256), prefix))
            .map(|parsed| Arc::clone(&parsed))
    }

    /// The compiled rules of every parse kept, by [`reading_key`] (empty
    /// without a compiler). The parses must be held while the map is used.
    #[must_use]
    pub fn into_compiled(self) -> ByParse {
        self.compiler
            .map(|c| c.by_parse.into_iter().collect())
            .unwrap_or_default()
    }
}

/// A slim parse held by content, with the access key of its rules.
type SlimHeld = ([u8; 32], Arc<RobotsTxt>);

/// Compiles parses as loading makes them (see [`SharedParses::compiling`]).
#[derive(Debug)]
struct LoadCompiler {
    /// By access key: bodies whose rules compile alike share one.
    by_key: Arc<CompiledCache>,
    by_parse: DashMap<usize, Compiled, foldhash::fast::RandomState>,
    /// Slim parses by [`RobotsTxt::slim_hash`], with their access keys:
    /// bodies whose slim parses are equal share one (and its compiled
    /// rules, which the access key says are the same).
    slims: DashMap<u64, Vec<SlimHeld>, foldhash::fast::RandomState>,
}

impl LoadCompiler {
    fn new(by_key: Arc<CompiledCache>) -> LoadCompiler {
        LoadCompiler {
            by_key,
            by_parse: DashMap::default(),
            slims: DashMap::default(),
        }
    }

    /// Compiles `parsed` (and its aipref-aware reading) and returns what to
    /// hold: its slim form when it has one, shared with every equal one.
    fn take(&self, parsed: RobotsTxt) -> Arc<RobotsTxt> {
        let key = parsed.access_key();
        let whole = self.by_key.compiled_as(key, &parsed);
        if let Some(slim) = parsed.slimmed() {
            return self.shared(key, slim, whole);
        }
        let parsed = Arc::new(parsed);
        self.by_parse.insert(reading_key(&parsed), whole);
        if let Some(aware) = &parsed.aware {
            let compiled = self.by_key.compiled(aware);
            self.by_parse.insert(reading_key(aware), compiled);
        }
        parsed
    }

    /// The slim parse equal to `slim` whose rules have access key `key`,
    /// held from now on if it is the first.
    fn shared(&self, key: [u8; 32], slim: RobotsTxt, whole: Compiled) -> Arc<RobotsTxt> {
        let mut held = self.slims.entry(slim.slim_hash()).or_default();
        if let Some((_, equal)) = held.iter().find(|(k, p)| *k == key && **p == slim) {
            return Arc::clone(equal);
        }
        let slim = Arc::new(slim);
        self.by_parse.insert(reading_key(&slim), whole);
        held.push((key, Arc::clone(&slim)));
        slim
    }

    /// Drops the entries of a parse that is not kept.
    fn forget(&self, parsed: &RobotsTxt) {
        self.by_parse.remove(&reading_key(parsed));
        if let Some(aware) = &parsed.aware {
            self.by_parse.remove(&reading_key(aware));
        }
    }
}

impl DirFile {
    /// The `<host>.txt` files of `dir`, sorted by name, with evidence naming
    /// them under `shown`; when `hosts` is given, only theirs. Files that
    /// are not such (other names, sub-directories, a second file for a
    /// host) are reported and skipped.
    ///
    /// # Errors
    ///
    /// When `dir` itself cannot be listed.
    pub fn list(
        dir: &Path,
        shown: &Path,
        hosts: Option<&HashSet<String>>,
    ) -> Result<(Vec<DirFile>, Vec<LoadProblem>)> {
        let mut problems = Vec::new();
        let mut entries: Vec<_> = fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .collect::<std::io::Result<_>>()
            .map_err(|e| Error::io(dir, e))?;
        // Directory order is arbitrary; sorted order makes runs repeatable.
        entries.sort_by_key(fs::DirEntry::file_name);
        let mut seen = HashSet::new();
        let mut files = Vec::new();
        for entry in entries {
            let path = entry.path();
            let mut problem = |message: String| {
                problems.push(LoadProblem {
                    path: path.clone(),
                    message,
                });
            };
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                problem("file name is not UTF-8: skipped".into());
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let Some(stem) = name.strip_suffix(".txt") else {
                problem("not a `<host>.txt` file: skipped".into());
                continue;
            };
            let host = match crate::origin::normalize_host(stem) {
                Some(host) => host,
                None => {
                    problem(format!("`{stem}` is not a host name: skipped"));
                    continue;
                }
            };
            if hosts.is_some_and(|wanted| !wanted.contains(&host)) {
                continue;
            }
            // The type from the listing: no second system call per file.
            if !entry.file_type().is_ok_and(|t| t.is_file()) && !path.is_file() {
                problem("not a regular file: skipped".into());
                continue;
            }
            if !seen.insert(host.clone()) {
                problem(format!("a second file for host `{host}`: skipped"));
                continue;
            }
            let source = shown.join(entry.file_name()).display().to_string();
            files.push(DirFile { path, host, source });
        }
        Ok((files, problems))
    }

    /// The file's policy: its robots.txt read, hashed and parsed (once per
    /// distinct body, through `parses`). A file that cannot be read makes
    /// the host unreachable (complete disallow), never "allowed", with the
    /// problem to report.
    pub fn read(&self, parses: &SharedParses) -> (OriginPolicy, Option<LoadProblem>) {
        match fs::read(&self.path) {
            Ok(body) => {
                let sha256 = crate::digest::sha256_hex(&body);
                let parsed = parses
                    .get_or_parse(&sha256, false, || Ok(RobotsTxt::parse(&body)))
                    .expect("parsing a body at hand cannot fail");
                let policy = OriginPolicy {
                    key: self.host.clone(),
                    host: self.host.clone(),
                    source: self.source.clone(),
                    sha256,
                    fetched_at: None,
                    note: String::new(),
                    access: Access::Rules(parsed),
                    files: files::SiteFiles::none(),
                };
                (policy, None)
            }
            Err(e) => {
                let problem = LoadProblem {
                    path: self.path.clone(),
                    message: format!(
                        "cannot be read ({e}): host `{}` is treated as unreachable (complete disallow)",
                        self.host
                    ),
                };
                let policy = OriginPolicy {
                    key: self.host.clone(),
                    host: self.host.clone(),
                    source: self.source.clone(),
                    sha256: String::new(),
                    fetched_at: None,
                    note: String::new(),
                    access: Access::Unreachable {
                        detail: format!("reading the policy file failed: {e}"),
                    },
                    files: files::SiteFiles::none(),
                };
                (policy, Some(problem))
            }
        }
    }
}

impl PolicySet {
    /// Loads every `<host>.txt` file of `dir`: one robots.txt per host,
    /// named in lower-case punycode. Files that are not such (other names,
    /// sub-directories, duplicate hosts) are reported and skipped; a file
    /// that cannot be read becomes an unreachable policy, never "allowed".
    ///
    /// # Errors
    ///
    /// When `dir` itself cannot be listed.
    pub fn load_dir(dir: &Path) -> Result<(PolicySet, Vec<LoadProblem>)> {
        PolicySet::load_dir_as(dir, dir)
    }

    /// [`PolicySet::load_dir`], with evidence naming each file under
    /// `shown` instead of `dir`: a copy of a directory (shipped to a
    /// worker) gives the evidence the original gives. On one thread; the
    /// engine loads on its pool.
    ///
    /// # Errors
    ///
    /// When `dir` itself cannot be listed.
    pub fn load_dir_as(dir: &Path, shown: &Path) -> Result<(PolicySet, Vec<LoadProblem>)> {
        let (files, problems) = DirFile::list(dir, shown, None)?;
        let parses = SharedParses::default();
        let read = files.iter().map(|file| file.read(&parses)).collect();
        Ok(PolicySet::from_read(read, problems))
    }

    /// The set of policies read from a directory's files, in their order,
    /// with the read problems after the listing's.
    #[must_use]
    pub fn from_read(
        read: Vec<(OriginPolicy, Option<LoadProblem>)>,
        mut problems: Vec<LoadProblem>,
    ) -> (PolicySet, Vec<LoadProblem>) {
        let mut set = PolicySet::new();
        set.policies.reserve_exact(read.len());
        for (policy, problem) in read {
            problems.extend(problem);
            set.insert(policy);
        }
        (set, problems)
    }
}
