//! Kill `optout fetch` mid-run, with SIGKILL and with SIGINT, and run it
//! again: the cache must be intact, no finished fetch lost, and only the
//! unfinished origins fetched again.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::server::Server;
use crate::util::{TestDir, arg};

const ORIGINS: usize = 400;

struct Run {
    server: Server,
    dir: TestDir,
}

impl Run {
    fn new() -> Run {
        let run = Run {
            server: Server::start(),
            dir: TestDir::new(),
        };
        // Each answer takes 100 ms and 8 origins are in flight: about 80
        // origins a second, so a run takes about 5 s.
        let urls: String = (0..ORIGINS)
            .map(|i| format!("http://delay{i}.resume.test/page\n"))
            .collect();
        run.dir.write("urls.txt", urls);
        run
    }

    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_optout"));
        command
            .args(["fetch", &arg(&self.dir.path("urls.txt")), "--json", "-q"])
            .args(["--cache", &arg(&self.dir.path("cache.sqlite"))])
            .args(["--resolve", &self.server.resolve(), "--resolve", "*=-"])
            .args(["--concurrency", "8", "--files", "none"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Starts a run and waits until at least `finished` origins are in the
    /// cache (read through a second connection, as any tool could).
    fn start_and_wait(&self, finished: usize) -> std::process::Child {
        let child = self.command().spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.stored().len() < finished {
            assert!(Instant::now() < deadline, "the run made no progress");
            std::thread::sleep(Duration::from_millis(50));
        }
        child
    }

    /// Origins with a fetch in the cache, with their fetch counts.
    fn stored(&self) -> Vec<(String, i64)> {
        let path = self.dir.path("cache.sqlite");
        if !path.exists() {
            return Vec::new();
        }
        let Ok(conn) = rusqlite::Connection::open(&path) else {
            return Vec::new();
        };
        let Ok(mut stmt) = conn.prepare(
            "SELECT o.origin, COUNT(*) FROM fetches f JOIN origins o ON o.id = f.origin_id GROUP BY o.origin",
        ) else {
            return Vec::new();
        };
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    }

    fn integrity(&self) -> String {
        let conn = rusqlite::Connection::open(self.dir.path("cache.sqlite")).unwrap();
        conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap()
    }

    fn host(origin: &str) -> &str {
        origin.strip_prefix("http://").unwrap()
    }

    /// Runs to the end and checks that only what was unfinished is fetched.
    fn resume(&self, before: &[(String, i64)]) {
        let hits_before: Vec<usize> = before
            .iter()
            .map(|(origin, _)| self.server.hits(Self::host(origin)))
            .collect();
        let output = self.command().output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(summary["fresh"], before.len(), "{summary}");
        assert_eq!(summary["fetched"], ORIGINS - before.len(), "{summary}");
        // What was stored before is not fetched again.
        for ((origin, _), hits) in before.iter().zip(hits_before) {
            assert_eq!(
                self.server.hits(Self::host(origin)),
                hits,
                "{origin} fetched again"
            );
        }
        let after = self.stored();
        assert_eq!(after.len(), ORIGINS);
        assert!(after.iter().all(|(_, n)| *n == 1), "one record per origin");
        assert_eq!(self.integrity(), "ok");
    }
}

#[test]
fn sigkill_loses_no_finished_fetch_and_resume_fetches_only_the_rest() {
    let run = Run::new();
    let mut child = run.start_and_wait(40);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert_eq!(run.integrity(), "ok", "the cache survives SIGKILL");
    let before = run.stored();
    assert!(
        before.len() >= 40 && before.len() < ORIGINS,
        "{}",
        before.len()
    );
    // Every stored origin was really answered by the server.
    for (origin, n) in &before {
        assert_eq!(*n, 1);
        assert!(run.server.hits(Run::host(origin)) >= 1);
    }
    run.resume(&before);
}

#[test]
fn sigint_commits_what_finished_and_exits_130() {
    let run = Run::new();
    let child = run.start_and_wait(40);
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        output.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(summary["interrupted"], true);
    let before = run.stored();
    // Every fetch the run reported finished was written before it exited.
    assert_eq!(summary["fetched"], before.len(), "{summary}");
    assert_eq!(summary["unfinished"], ORIGINS - before.len());
    assert!(before.len() < ORIGINS);
    run.resume(&before);
}

#[test]
fn sigint_during_filters_fetch_stage_exits_130_and_writes_no_rows() {
    let run = Run::new();
    let mut command = Command::new(env!("CARGO_BIN_EXE_optout"));
    command
        .args(["filter", &arg(&run.dir.path("urls.txt")), "-q"])
        .args(["--cache", &arg(&run.dir.path("cache.sqlite"))])
        .args(["--resolve", &run.server.resolve(), "--resolve", "*=-"])
        .args(["--concurrency", "8", "--files", "none"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while run.stored().len() < 20 {
        assert!(Instant::now() < deadline, "no progress");
        std::thread::sleep(Duration::from_millis(50));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130));
    assert!(
        output.stdout.is_empty(),
        "no row is judged on a partial fetch"
    );
    assert_eq!(run.integrity(), "ok");
    run.resume(&run.stored());
}

/// SIGINT while `command` judges rows from a pipe the test feeds: the
/// rows are fed, then the signal, then more rows until the process stops
/// reading. Returns its exit code and standard error.
fn interrupt_judging(dir: &crate::util::TestDir, command: &[&str]) -> (Option<i32>, String) {
    use std::io::Write as _;
    let robots = arg(&crate::util::fixture("robots/real"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_optout"))
        .args(command)
        .args(["-", "--robots-dir", &robots, "--missing-policy", "allow"])
        .args(["--threads", "1", "--chunk-bytes", "4096"])
        .current_dir(dir.path("."))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let rows: String = (0..2000)
        .map(|i| format!("https://cnn.com/story/{i}\nhttps://nosuch.example/{i}\n"))
        .collect();
    stdin.write_all(rows.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(500));
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    // The run notices between chunks: keep it reading until it stops.
    let deadline = Instant::now() + Duration::from_secs(30);
    while stdin.write_all(rows.as_bytes()).is_ok() {
        assert!(Instant::now() < deadline, "the run did not stop");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn sigint_while_judging_keeps_outputs_as_partial_and_says_so() {
    let dir = crate::util::TestDir::new();
    let (code, stderr) = interrupt_judging(
        &dir,
        &["filter", "--kept", "kept.txt", "--removed", "removed.jsonl"],
    );
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        stderr.contains("`kept.txt.partial`") && stderr.contains("`removed.jsonl.partial`"),
        "{stderr}"
    );
    assert!(!dir.path("kept.txt").exists() && !dir.path("removed.jsonl").exists());
    assert!(
        std::fs::metadata(dir.path("kept.txt.partial"))
            .unwrap()
            .len()
            > 0
    );

    let (code, stderr) = interrupt_judging(&dir, &["audit", "--report", "report.md"]);
    assert_eq!(code, Some(130), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(
        !dir.path("report.md").exists(),
        "no report that looks complete"
    );
}
