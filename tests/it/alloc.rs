//! The hot path allocates nothing: after warm-up, parsing URLs in common
//! form, matching compiled rules and deciding whole rows make no heap
//! allocation. Counted by the test binary's global allocator, per thread.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use optout::agents::{AgentRule, AgentSet, Purpose, Registry};
use optout::blocklist::{Blocklist, Blocklists};
use optout::engine::{Decision, Engine, MissingPolicy, Scratch};
use optout::origin::UrlParser;
use optout::policy::PolicySet;

use crate::util::fixture;

/// Counts allocations made by the current thread.
pub(crate) struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; the counter is a
// thread-local `Cell` that never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

fn allocations_in(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn urls() -> Vec<String> {
    let hosts = [
        "cnn.com",
        "lemonde.fr",
        "facebook.com",
        "ibm.com",
        "libgen.is",
        "no-policy.example",
    ];
    let paths = [
        "/",
        "/search?q=x",
        "/private/a",
        "/news/2025/a.html",
        "/wp-admin/x",
        "/ajax/",
        "/login",
    ];
    let mut out = Vec::new();
    for (i, host) in hosts.iter().enumerate() {
        for path in paths {
            let scheme = if i % 2 == 0 { "https" } else { "HTTP" };
            out.push(format!("{scheme}://{host}{path}"));
        }
    }
    out
}

#[test]
fn the_counter_counts() {
    assert_eq!(allocations_in(|| {}), 0);
    assert!(
        allocations_in(|| {
            std::hint::black_box(vec![1u8; 16]);
        }) >= 1
    );
    let mut parser = UrlParser::new();
    // The slow path (IDN host) allocates, and the counter sees it.
    assert!(
        allocations_in(|| {
            std::hint::black_box(parser.parse("https://bücher.de/x").is_ok());
        }) >= 1
    );
}

#[test]
fn url_parsing_and_matching_do_not_allocate() {
    let agents = AgentSet::for_purpose(Registry::builtin(), Purpose::Train).unwrap();
    let robots = optout::signals::robots::RobotsTxt::parse(
        &std::fs::read(fixture("robots/real/facebook.com.txt")).unwrap(),
    );
    let compiled = robots.compile(agents.keys());
    let urls = urls();
    let mut parser = UrlParser::new();
    let mut work = || {
        let mut disallowed = 0;
        for url in &urls {
            let parts = parser.parse(url).unwrap();
            for agent in 0..agents.len() {
                disallowed += usize::from(!compiled.verdict(agent, parts.path).allowed);
            }
        }
        disallowed
    };
    work();
    assert_eq!(
        allocations_in(|| {
            std::hint::black_box(work());
        }),
        0
    );
}

#[test]
fn deciding_rows_does_not_allocate() {
    let agents = AgentSet::for_purpose(Registry::builtin(), Purpose::Train).unwrap();
    let (policies, _) = PolicySet::load_dir(&fixture("robots/real")).unwrap();
    let lists = Blocklists::new(vec![Blocklist::parse("piracy", "test", b"libgen.is\n")]);
    let engine = Engine::new(
        policies.compile(&agents),
        lists,
        agents,
        AgentRule::Any,
        MissingPolicy::Deny,
    );
    let urls = urls();
    let mut scratch = Scratch::default();
    let decide_all = |scratch: &mut Scratch| {
        let (mut kept, mut removed) = (0, 0);
        for url in &urls {
            match engine.decide(url.as_bytes(), scratch) {
                Decision::Keep { .. } => kept += 1,
                Decision::Remove(_) => removed += 1,
                Decision::Skip(_) => {}
            }
        }
        (kept, removed)
    };
    let (kept, removed) = decide_all(&mut scratch);
    assert!(
        kept > 0 && removed > 0,
        "both paths are exercised: {kept} kept, {removed} removed"
    );
    assert_eq!(
        allocations_in(|| {
            std::hint::black_box(decide_all(&mut scratch));
        }),
        0
    );
}
