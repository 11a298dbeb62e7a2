//! The `optout` binary's allocator: the system's, with large allocations
//! backed by transparent huge pages where the system offers them on
//! request (Linux's default `madvise` mode).
//!
//! A run over millions of origins holds a few tables of hundreds of
//! megabytes (the policy records, their index, the engine's per-host
//! facts) and looks into them at random places, a handful per host of
//! every chunk. On 4 KiB pages nearly each of those reads misses the TLB
//! as well as the cache; on 2 MiB pages the tables fit the TLB (1M
//! origins, 10M URLs in random order: about 5% off the whole run's wall
//! time, the same peak). Allocations under [`HUGE_FROM`] are left alone:
//! most are small, short-lived and on pages shared with others.

use std::alloc::{GlobalAlloc, Layout, System};

/// Allocations from this size on are advised onto huge pages.
pub const HUGE_FROM: usize = 4 << 20;

/// The size of a transparent huge page on x86-64 and most arm64 kernels.
const HUGE_PAGE: usize = 2 << 20;

/// The system allocator, with allocations of [`HUGE_FROM`] bytes and more
/// advised onto huge pages. Install it with `#[global_allocator]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct HugePages;

/// Advises the whole huge pages inside `size` bytes at `ptr`.
fn advise(ptr: *mut u8, size: usize) {
    if ptr.is_null() || size < HUGE_FROM {
        return;
    }
    let start = (ptr as usize).next_multiple_of(HUGE_PAGE);
    let end = (ptr as usize).saturating_add(size) & !(HUGE_PAGE - 1);
    if end <= start {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: the range lies inside an allocation just made and owned by
    // the caller; the advice changes how its pages are backed, never
    // their contents, and a refusal (no THP support) is harmless.
    unsafe {
        libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = (start, end);
}

// SAFETY: every call goes to the system allocator unchanged; `advise` only
// adds a hint about pages of the memory it returned.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is passed on as it is.
        let ptr = unsafe { System.alloc(layout) };
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        advise(ptr, layout.size());
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as `alloc`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as `alloc`.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        advise(new, new_size);
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_and_small_allocations_work_as_the_system_s() {
        let alloc = HugePages;
        for size in [16, 4096, HUGE_FROM, HUGE_FROM * 3 + 123] {
            let layout = Layout::from_size_align(size, 16).unwrap();
            // SAFETY: a non-zero layout; the memory is written within it
            // and freed with it.
            unsafe {
                let ptr = alloc.alloc_zeroed(layout);
                assert!(!ptr.is_null());
                assert_eq!(*ptr.add(size - 1), 0);
                ptr.add(size - 1).write(7);
                let grown = alloc.realloc(ptr, layout, size * 2);
                assert_eq!(*grown.add(size - 1), 7);
                alloc.dealloc(grown, Layout::from_size_align(size * 2, 16).unwrap());
            }
        }
    }
}
