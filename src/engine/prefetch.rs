//! Software prefetch, the engine's only `unsafe`: a hint that a value
//! will be read soon, for loops whose next reads land at random places
//! (a chunk's host table in pass 1, its rows and paths in pass 2) and
//! would otherwise wait for memory one at a time.

/// Starts loading the cache line of `value` into every cache level.
/// Does nothing on other targets than x86_64.
#[inline(always)]
pub(crate) fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is a hint: it never faults, and it neither reads
    // nor writes memory as far as the program can tell. The pointer comes
    // from a live reference anyway. SSE is part of the x86_64 baseline.
    unsafe {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
