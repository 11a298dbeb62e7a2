//! Politeness and single flight: at most one request in flight per host,
//! and one fetch per origin however many tasks ask at once.
//!
//! Both maps hold an entry only while someone uses it, so memory follows
//! the fetches in flight, not the origins seen.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::{Mutex, OnceCell, OwnedMutexGuard};

/// One lock per host name. Redirects to another host take that host's
/// lock, so a CDN that every site redirects to still sees one request at a
/// time from us.
#[derive(Debug, Default)]
pub struct HostLocks {
    locks: DashMap<String, Arc<Mutex<()>>>,
}

/// The turn of one host; the next request to the host waits until it drops.
#[derive(Debug)]
pub struct HostTurn<'a> {
    locks: &'a HostLocks,
    host: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl HostLocks {
    /// Waits for `host`'s turn.
    pub async fn lock(&self, host: &str) -> HostTurn<'_> {
        let lock = Arc::clone(&self.locks.entry(host.to_owned()).or_default());
        let guard = lock.lock_owned().await;
        HostTurn {
            locks: self,
            host: host.to_owned(),
            guard: Some(guard),
        }
    }

    /// Hosts with a request in flight or waiting.
    #[must_use]
    pub fn busy(&self) -> usize {
        self.locks.len()
    }
}

impl Drop for HostTurn<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        // The map's own reference is the last one: nobody waits for the
        // host, so its entry goes. The shard lock held by `remove_if` keeps
        // this consistent with a concurrent `lock`.
        self.locks
            .locks
            .remove_if(&self.host, |_, lock| Arc::strong_count(lock) == 1);
    }
}

/// Concurrent callers asking for the same key share one run of the work.
#[derive(Debug)]
pub struct SingleFlight<K: Eq + Hash, V> {
    cells: DashMap<K, Arc<OnceCell<V>>>,
}

impl<K: Eq + Hash, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        SingleFlight {
            cells: DashMap::new(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// Runs `work` for `key`, unless a run for `key` is already in flight,
    /// whose result is then shared. A call after the run finished starts a
    /// new run: remembering results is the cache's job.
    pub async fn run<F, Fut>(&self, key: &K, work: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = Arc::clone(&self.cells.entry(key.clone()).or_default());
        let value = cell.get_or_init(work).await.clone();
        self.cells.remove_if(key, |_, c| Arc::ptr_eq(c, &cell));
        value
    }

    /// Keys in flight.
    #[must_use]
    pub fn in_flight(&self) -> usize {
        self.cells.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn one_run_for_concurrent_callers() {
        let flights: Arc<SingleFlight<String, usize>> = Arc::default();
        let runs = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let flights = Arc::clone(&flights);
            let runs = Arc::clone(&runs);
            tasks.push(tokio::spawn(async move {
                flights
                    .run(&"https://a.test".to_owned(), || async {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        runs.fetch_add(1, Ordering::SeqCst) + 1
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), 1);
        }
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(flights.in_flight(), 0, "finished runs leave no entry");
    }

    #[tokio::test]
    async fn one_request_per_host_at_a_time() {
        let locks = Arc::new(HostLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let (locks, inside, most) =
                (Arc::clone(&locks), Arc::clone(&inside), Arc::clone(&most));
            tasks.push(tokio::spawn(async move {
                let _turn = locks.lock("a.test").await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1);
        assert_eq!(locks.busy(), 0);
    }
}
