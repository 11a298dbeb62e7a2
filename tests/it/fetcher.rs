//! The fetcher as a library: single flight across concurrent callers.

use std::sync::Arc;

use optout::fetch::{Fetcher, Outcome, Validators};
use optout::origin::Origin;

use crate::server::Server;

#[test]
fn concurrent_callers_share_one_fetch_per_origin() {
    let server = Server::start();
    let fetcher = Arc::new(Fetcher::new(server.fetch_options()).unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let origin = Origin::parse_key("http://delay.single.test").unwrap();
    let records = runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let fetcher = Arc::clone(&fetcher);
            let origin = origin.clone();
            tasks.push(tokio::spawn(async move {
                fetcher.fetch(&origin, &Validators::default()).await
            }));
        }
        let mut records = Vec::new();
        for task in tasks {
            records.push(task.await.unwrap());
        }
        records
    });
    assert_eq!(server.hits("delay.single.test"), 1);
    assert!(records.iter().all(|r| Arc::ptr_eq(r, &records[0])));
    assert_eq!(records[0].outcome, Outcome::Ok);
}
