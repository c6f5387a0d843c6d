//! Software prefetch for the feed loop: viewers with a session and the notes in their slots are
//! scattered in memory, so we ask for them a few steps ahead instead of stalling on each one.

/// Asks the CPU to start loading every cache line of `value` (a hint: it never faults).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = value as *const T as *const i8;
        let mut offset = 0;
        while offset < std::mem::size_of::<T>() {
            // SAFETY: prefetching is a hint without side effects; the address lies inside `value`.
            unsafe {
                std::arch::x86_64::_mm_prefetch(start.add(offset), std::arch::x86_64::_MM_HINT_T0)
            };
            offset += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
