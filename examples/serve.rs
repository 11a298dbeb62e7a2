//! Runs the tests' virtual-host HTTP server on a loopback address, for
//! measuring `optout fetch` as a whole process and for trying it by hand:
//!
//! ```text
//! cargo run --release --example serve -- 127.0.0.1:18080 &
//! seq 1 20000 | sed 's|.*|http://ok&.bench.test/|' > /tmp/origins.txt
//! /usr/bin/time -v target/release/optout fetch /tmp/origins.txt \
//!     --cache /tmp/bench.sqlite --resolve '*.test=127.0.0.1:18080' --resolve '*=-'
//! ```
//!
//! Host names choose the answer; see `tests/it/server.rs`.

#[path = "../tests/it/server.rs"]
mod server;

#[expect(clippy::print_stderr, reason = "a by-hand tool says where it listens")]
fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:18080".to_owned());
    let server = server::Server::start_on(&addr);
    eprintln!(
        "serving virtual hosts on http://{} (Ctrl-C stops)",
        server.addr
    );
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}
