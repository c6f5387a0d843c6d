//! Data parallelism over the cores natively (rayon), and the same calls run in sequence on plain
//! wasm32, which has no threads: the browser build carries no thread pool at all. Nothing
//! computed through here depends on which: every parallel loop draws each item from its own
//! random stream and writes only that item, and `join` returns both results as they are.
//!
//! Only what the simulation uses is mirrored: `join`, `beside`, `current_num_threads`, and in
//! `prelude` `into_par_iter`, `par_iter` / `par_iter_mut` / `par_sort_unstable` on slices,
//! `collect_into_vec` and `flat_map_iter`. (Systems over users run on Bevy's compute pool,
//! single-threaded on wasm32.)

#[cfg(not(target_arch = "wasm32"))]
pub use rayon::{current_num_threads, join};

/// Runs `here` on the calling thread while `pool` runs on the thread pool, and returns both
/// results. Unlike `join`, `here` stays on the caller: what it allocates comes from the caller's
/// heap (building a world there keeps its memory where the worlds before it left theirs).
#[cfg(not(target_arch = "wasm32"))]
pub fn beside<A, B, RA, RB>(here: A, pool: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB + Send,
    RB: Send,
{
    let mut from_pool = None;
    let from_here = rayon::in_place_scope(|scope| {
        scope.spawn(|_| from_pool = Some(pool()));
        here()
    });
    (from_here, from_pool.expect("the scope waits for its task"))
}

/// Runs both closures, one after the other, and returns both results.
#[cfg(target_arch = "wasm32")]
pub fn beside<A, B, RA, RB>(here: A, pool: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB,
{
    join(here, pool)
}

/// Runs both closures, one after the other, and returns both results.
#[cfg(target_arch = "wasm32")]
pub fn join<A, B, RA, RB>(a: A, b: B) -> (RA, RB)
where
    A: FnOnce() -> RA,
    B: FnOnce() -> RB,
{
    let ra = a();
    (ra, b())
}

/// One thread: the page's.
#[cfg(target_arch = "wasm32")]
pub fn current_num_threads() -> usize {
    1
}

pub mod prelude {
    #[cfg(not(target_arch = "wasm32"))]
    pub use rayon::prelude::*;

    #[cfg(target_arch = "wasm32")]
    pub use sequential::*;

    /// rayon's names for plain iterators.
    #[cfg(target_arch = "wasm32")]
    mod sequential {
        pub trait IntoParallelIterator: IntoIterator + Sized {
            fn into_par_iter(self) -> Self::IntoIter {
                self.into_iter()
            }
        }
        impl<I: IntoIterator> IntoParallelIterator for I {}

        pub trait ParallelSlice<T> {
            fn par_iter(&self) -> std::slice::Iter<'_, T>;
            fn par_iter_mut(&mut self) -> std::slice::IterMut<'_, T>;
            fn par_sort_unstable(&mut self)
            where
                T: Ord;
        }
        impl<T> ParallelSlice<T> for [T] {
            fn par_iter(&self) -> std::slice::Iter<'_, T> {
                self.iter()
            }
            fn par_iter_mut(&mut self) -> std::slice::IterMut<'_, T> {
                self.iter_mut()
            }
            fn par_sort_unstable(&mut self)
            where
                T: Ord,
            {
                self.sort_unstable();
            }
        }

        pub trait ParallelIterator: Iterator + Sized {
            /// Replaces the contents of `into` with the items, in order.
            fn collect_into_vec(self, into: &mut Vec<Self::Item>) {
                into.clear();
                into.extend(self);
            }
            fn flat_map_iter<U, F>(self, f: F) -> std::iter::FlatMap<Self, U, F>
            where
                U: IntoIterator,
                F: FnMut(Self::Item) -> U,
            {
                self.flat_map(f)
            }
        }
        impl<I: Iterator> ParallelIterator for I {}
    }
}
