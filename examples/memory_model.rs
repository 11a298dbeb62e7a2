//! How a run's policies use memory: opens a policy source as `filter`
//! does (every origin it holds, compiled for an agent set as it loads,
//! parses held slim), builds the snapshot, and prints the heap bytes held
//! after each step, per origin and per distinct body, with what the
//! parses are made of. "loaded" includes the compiled rules. The figures behind the README's
//! memory model.
//!
//! ```text
//! cargo run --release --example memory_model -- robots-dir /tmp/real/robots [AGENTS]
//! cargo run --release --example memory_model -- snapshot /tmp/big/policies.db [AGENTS]
//! ```
//!
//! `AGENTS` is a comma-separated list; the default is the training set.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashSet;
use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};

use optout::config::AsOf;
use optout::policy::Access;
use optout::source::PolicySource;

/// The system allocator, counting the bytes held.
struct Counting;

static HELD: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed to the system allocator unchanged; the
// counters only observe sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let held = HELD.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(held, Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        HELD.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let held = HELD.fetch_add(new_size - layout.size(), Ordering::Relaxed)
                + (new_size - layout.size());
            PEAK.fetch_max(held, Ordering::Relaxed);
        } else {
            HELD.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
        }
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn mib(bytes: usize) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let kind = args.next().unwrap_or_else(|| "robots-dir".into());
    let path = std::path::PathBuf::from(args.next().expect("a source path"));
    let names: Vec<String> = args
        .next()
        .map(|list| list.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    let agents = optout::config::select_agents(None, &names)?;
    let source = match kind.as_str() {
        "robots-dir" => PolicySource::RobotsDir {
            path,
            shown_as: None,
        },
        "snapshot" => PolicySource::Snapshot { path },
        other => return Err(format!("unknown source kind `{other}`").into()),
    };
    let base = HELD.load(Ordering::Relaxed);
    let started = std::time::Instant::now();
    // As runs open their policies: compiled while loading, held slim.
    let opened = source.open_with(AsOf::Now, None, 2, Some(&agents))?;
    let loaded = HELD.load(Ordering::Relaxed) - base;
    let load_peak = PEAK.load(Ordering::Relaxed) - base;
    let load_time = started.elapsed();
    let set = opened.set;
    let compiled_at_load = opened
        .compiled
        .values()
        .filter_map(|c| c.as_ref().ok())
        .map(std::sync::Arc::as_ptr)
        .collect::<HashSet<_>>()
        .len();
    let origins = set.len();

    // What the distinct parses are made of.
    let mut seen = HashSet::new();
    let (mut text, mut patterns, mut rules, mut records) = (0usize, 0usize, 0usize, 0usize);
    let mut aware = 0usize;
    for policy in set.policies() {
        if let Access::Rules(robots) = &policy.access {
            if !seen.insert(std::sync::Arc::as_ptr(robots)) {
                continue;
            }
            for r in std::iter::once(&**robots).chain(robots.aware.as_deref()) {
                text += r.text.len();
                patterns += r.patterns.len();
                rules += r.rules.capacity() * size_of::<optout::signals::robots::Rule>()
                    + r.pattern_at.capacity() * size_of::<optout::signals::robots::PatternAt>();
                records += r.agents.capacity() * size_of::<optout::signals::robots::AgentLine>()
                    + r.groups.capacity() * size_of::<optout::signals::robots::Group>()
                    + r.others.capacity() * size_of::<optout::signals::robots::OtherRecord>()
                    + r.usage.capacity() * size_of::<optout::signals::robots::UsageRule>()
                    + r.licenses.capacity() * size_of::<optout::signals::robots::LicenseRecord>()
                    + size_of::<optout::signals::robots::RobotsTxt>();
            }
            aware += usize::from(robots.aware.is_some());
        }
    }
    let bodies = seen.len();
    let parses = text + patterns + rules + records;

    let before = HELD.load(Ordering::Relaxed);
    let started = std::time::Instant::now();
    let snapshot = optout::engine::compile::policies(set, &agents, 2, opened.compiled)?;
    let mut out = std::io::stdout().lock();
    let signed = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let compiled = signed(HELD.load(Ordering::Relaxed)) - signed(before);
    let compile_time = started.elapsed();

    writeln!(
        out,
        "{}: {origins} policies, {bodies} distinct parses ({aware} with a second, aipref-aware reading), {compiled_at_load} distinct compiled, {} agents",
        source.path().display(),
        agents.len()
    )?;
    writeln!(
        out,
        "  loaded:   {:8.1} MiB held ({:.0} B per policy), peak {:.1} MiB, {:.2} s",
        mib(loaded),
        loaded as f64 / origins.max(1) as f64,
        mib(load_peak),
        load_time.as_secs_f64()
    )?;
    writeln!(
        out,
        "    parses: {:8.1} MiB ({:.0} B per distinct body): text {:.1}, normalised patterns {:.1}, rules {:.1}, other records {:.1}",
        mib(parses),
        parses as f64 / bodies.max(1) as f64,
        mib(text),
        mib(patterns),
        mib(rules),
        mib(records)
    )?;
    writeln!(
        out,
        "    policy records, index and compiled rules: {:.1} MiB ({:.0} B per policy)",
        mib(loaded.saturating_sub(parses)),
        loaded.saturating_sub(parses) as f64 / origins.max(1) as f64
    )?;
    writeln!(
        out,
        "  snapshot: {:+8.1} MiB ({:+.0} B per policy; the compiled rules move into it), {:.2} s",
        compiled as f64 / f64::from(1 << 20),
        compiled as f64 / origins.max(1) as f64,
        compile_time.as_secs_f64()
    )?;
    drop(snapshot);
    Ok(())
}
