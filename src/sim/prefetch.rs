//! Software prefetch for the feed loop: viewers with a session and the notes in their slots are
//! scattered in memory, so we ask for them a few steps ahead instead of stalling on each one.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{_MM_HINT_ET0, _MM_HINT_T0, _mm_prefetch};

/// Asks the CPU to start loading every cache line of `value` (a hint: it never faults).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    each_line(value, |line| {
        // SAFETY: prefetching is a hint without side effects; the address lies inside `value`.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(line) }
    });
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Like `prefetch`, for data about to be written (atomic counters): fetches the lines for
/// ownership so the later locked add does not wait for them.
#[inline(always)]
pub fn prefetch_for_write<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    each_line(value, |line| {
        // SAFETY: as above.
        unsafe { _mm_prefetch::<_MM_HINT_ET0>(line) }
    });
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn each_line<T>(value: &T, mut hint: impl FnMut(*const i8)) {
    let start = value as *const T as *const i8;
    let mut offset = 0;
    while offset < std::mem::size_of::<T>() {
        hint(start.wrapping_add(offset));
        offset += 64;
    }
}
