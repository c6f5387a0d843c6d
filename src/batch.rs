//! Running many worlds at once (replicates, comparisons, sweeps): one world per worker, as many
//! workers as the pool has threads, each world also spreading its ticks over the same pool.
//!
//! Determinism: a world's results depend on its scenario only, never on which worker ran it or
//! when, and results come back in item order, so the bytes written do not depend on `--threads`.

use anyhow::{Result, bail};
use rayon::ThreadPool;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The pool for `--threads T` (default: all cores).
pub fn thread_pool(threads: Option<usize>) -> Result<ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(n) = threads {
        if n == 0 {
            bail!("--threads: expected 1 or more");
        }
        builder = builder.num_threads(n);
    }
    Ok(builder.build()?)
}

/// Calls `work(i)` for every `i` in `0..count`, as many at once as `pool` has threads (each call
/// inside the pool, so a world's parallel loops use it too), and returns the results in order.
pub fn run_each<T: Send>(
    count: usize,
    pool: &ThreadPool,
    work: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..count).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..pool.current_num_threads().min(count) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let result = pool.install(|| work(i));
                    if let Ok(mut slot) = slots[i].lock() {
                        *slot = Some(result);
                    }
                }
            });
        }
    });
    // Every index was taken by exactly one worker and a worker that panics takes the scope down
    // with it, so every slot is filled here.
    slots
        .into_iter()
        .map(|slot| slot.into_inner().ok().flatten().expect("every item ran"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_item_order_for_any_pool_size() {
        for threads in [1, 2, 5] {
            let pool = thread_pool(Some(threads)).unwrap();
            let out = run_each(23, &pool, |i| i * i);
            assert_eq!(out, (0..23).map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(run_each(0, &thread_pool(Some(2)).unwrap(), |i| i).is_empty());
        assert!(thread_pool(Some(0)).is_err());
    }
}
