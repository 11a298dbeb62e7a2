//! The command line's observer: progress bars and messages on standard
//! error (bars only on a terminal), and SIGINT turned into a request to
//! stop that the library honours between units of work. A second SIGINT
//! ends the process at once.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::say;
use crate::observe::{Level, Observer, Stage};

/// Set by the first SIGINT.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Progress on standard error, and SIGINT as cancellation.
pub(crate) struct Terminal {
    quiet: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Terminal {
    /// An observer for a command; `quiet` shows errors only (the command
    /// prints those), no bars and no notes. Installs the SIGINT handler.
    pub(crate) fn new(quiet: bool) -> Terminal {
        catch_interrupts();
        Terminal {
            quiet,
            bar: Mutex::new(None),
        }
    }
}

impl Observer for Terminal {
    fn start(&self, stage: Stage, total: Option<u64>) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let (bar, template) = match total {
            Some(total) => (
                ProgressBar::new(total),
                "{spinner} {prefix} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len}, {per_sec}, ETA {eta} {msg}",
            ),
            None => (
                ProgressBar::no_length(),
                "{spinner} {prefix} [{elapsed_precise}] {human_pos} rows, {per_sec} {msg}",
            ),
        };
        bar.set_style(ProgressStyle::with_template(template).expect("progress template"));
        bar.set_prefix(stage.as_str());
        *self.bar.lock().expect("bar lock") = Some(bar);
    }

    fn progress(&self, _stage: Stage, done: u64, status: &str) {
        if let Some(bar) = &*self.bar.lock().expect("bar lock") {
            bar.set_position(done);
            bar.set_message(status.to_owned());
        }
    }

    fn finish(&self, _stage: Stage) {
        if let Some(bar) = self.bar.lock().expect("bar lock").take() {
            bar.finish_and_clear();
        }
    }

    fn message(&self, level: Level, text: &str) {
        if self.quiet {
            return;
        }
        let bar = self.bar.lock().expect("bar lock");
        let line = match level {
            Level::Note => format!("note: {text}"),
            Level::Warning => format!("warning: {text}"),
        };
        match &*bar {
            Some(bar) => bar.suspend(|| say!("{line}")),
            None => say!("{line}"),
        }
    }

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
    }
}

/// Turns SIGINT into [`INTERRUPTED`], once per process; a second SIGINT
/// exits with 130 at once, for work that does not stop soon enough.
fn catch_interrupts() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        else {
            return;
        };
        // The handler is registered before the command's work starts, so
        // no SIGINT falls between the two.
        let Ok(mut signals) = runtime.block_on(async {
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        }) else {
            return;
        };
        std::thread::Builder::new()
            .name("optout-sigint".into())
            .spawn(move || {
                runtime.block_on(async {
                    signals.recv().await;
                    INTERRUPTED.store(true, Ordering::Relaxed);
                    say!("interrupted: stopping after the work in hand (SIGINT again to stop at once)");
                    signals.recv().await;
                    std::process::exit(130);
                });
            })
            .ok();
    });
}
