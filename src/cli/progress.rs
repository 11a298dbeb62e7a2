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
    shown: Mutex<Option<Shown>>,
}

/// The bar on screen and what its message is made of.
struct Shown {
    bar: ProgressBar,
    stage: Stage,
    /// Rows judged (Judge), or units done.
    rows: u64,
    /// Rows in all, when known up front (Parquet): the bar counts rows.
    rows_total: Option<u64>,
    /// Input bytes read and the input's size: the bar counts bytes.
    read: Option<(u64, u64)>,
}

/// A bar over a known total, with the ETA indicatif reckons. The bar is
/// 10 columns wide, so that the line stays within 80 (see the tests).
const COUNTED: &str = "{prefix} {bar:10} {msg} ETA {eta_precise}";

impl Terminal {
    /// An observer for a command; `quiet` shows errors only (the command
    /// prints those), no bars and no notes. Installs the SIGINT handler.
    pub(crate) fn new(quiet: bool) -> Terminal {
        catch_interrupts();
        Terminal {
            quiet,
            shown: Mutex::new(None),
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template)
        .expect("progress template")
        .progress_chars("=> ")
}

impl Observer for Terminal {
    fn start(&self, stage: Stage, total: Option<u64>) {
        if self.quiet || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = match (stage, total) {
            (Stage::Fetch, Some(total)) => {
                let bar = ProgressBar::new(total);
                bar.set_style(style(
                    "{prefix} {bar:10} {human_pos}/{human_len} {per_sec:.0} ETA {eta_precise} {msg}",
                ));
                bar
            }
            (Stage::Judge, Some(total)) => {
                let bar = ProgressBar::new(total);
                bar.set_style(style(COUNTED));
                bar
            }
            (stage, _) => {
                let bar = ProgressBar::new_spinner();
                bar.set_style(style("{spinner} {prefix} [{elapsed_precise}] {msg}"));
                bar.enable_steady_tick(std::time::Duration::from_millis(200));
                bar.set_message(match stage {
                    Stage::Scan => "reading the input for the origins it names",
                    Stage::Load => "loading policies",
                    _ => "",
                });
                bar
            }
        };
        bar.set_prefix(stage.as_str());
        *self.shown.lock().expect("bar lock") = Some(Shown {
            bar,
            stage,
            rows: 0,
            rows_total: total.filter(|_| stage == Stage::Judge),
            read: None,
        });
    }

    fn progress(&self, stage: Stage, done: u64, status: &str) {
        let mut shown = self.shown.lock().expect("bar lock");
        let Some(shown) = shown.as_mut().filter(|s| s.stage == stage) else {
            return;
        };
        if stage != Stage::Judge {
            shown.bar.set_position(done);
            shown.bar.set_message(status.to_owned());
            return;
        }
        shown.rows = done;
        if shown.rows_total.is_some() {
            shown.bar.set_position(done);
        }
        shown.bar.set_message(judge_message(
            shown.rows,
            shown.rows_total,
            shown.read,
            shown.bar.elapsed().as_secs_f64(),
        ));
    }

    fn read(&self, stage: Stage, read: u64, total: Option<u64>) {
        let mut shown = self.shown.lock().expect("bar lock");
        let Some(shown) = shown.as_mut().filter(|s| s.stage == stage) else {
            return;
        };
        let Some(total) = total.filter(|&t| t > 0 && shown.rows_total.is_none()) else {
            return;
        };
        if shown.read.is_none() {
            shown.bar.disable_steady_tick();
            shown.bar.set_length(total);
            shown.bar.set_style(style(COUNTED));
        }
        shown.read = Some((read, total));
        shown.bar.set_position(read.min(total));
        shown.bar.set_message(judge_message(
            shown.rows,
            None,
            shown.read,
            shown.bar.elapsed().as_secs_f64(),
        ));
    }

    fn finish(&self, stage: Stage) {
        let mut shown = self.shown.lock().expect("bar lock");
        if shown.as_ref().is_some_and(|s| s.stage == stage) {
            if let Some(shown) = shown.take() {
                shown.bar.finish_and_clear();
            }
        }
    }

    fn message(&self, level: Level, text: &str) {
        if self.quiet {
            return;
        }
        let shown = self.shown.lock().expect("bar lock");
        let line = match level {
            Level::Note => format!("note: {text}"),
            Level::Warning => format!("warning: {text}"),
        };
        match &*shown {
            Some(shown) => shown.bar.suspend(|| say!("{line}")),
            None => say!("{line}"),
        }
    }

    fn cancelled(&self) -> bool {
        INTERRUPTED.load(Ordering::Relaxed)
    }
}

/// The judge bar's message: bytes read of the input (when its size is
/// known), rows judged (of all, for Parquet) and rows per second, as whole
/// numbers.
fn judge_message(
    rows: u64,
    rows_total: Option<u64>,
    read: Option<(u64, u64)>,
    seconds: f64,
) -> String {
    let rate = if seconds > 0.0 {
        (rows as f64 / seconds) as u64
    } else {
        0
    };
    let rows = match rows_total {
        Some(total) => format!("{}/{} rows", thousands(rows), thousands(total)),
        None => format!("{} rows", thousands(rows)),
    };
    match read {
        Some((read, total)) => format!(
            "{} {rows} {} rows/s",
            bytes_of(read, total),
            thousands(rate)
        ),
        None => format!("{rows} {} rows/s", thousands(rate)),
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `read` of `total` bytes in the total's unit: `1.2/3.4 GiB`.
fn bytes_of(read: u64, total: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut unit = 0;
    let mut scale = 1.0_f64;
    while unit + 1 < UNITS.len() && total as f64 / scale >= 1024.0 {
        scale *= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{read}/{total} B");
    }
    // Three significant digits at most, so the line keeps its width.
    let decimals = usize::from(total as f64 / scale < 100.0);
    format!(
        "{:.decimals$}/{:.decimals$} {}",
        read as f64 / scale,
        total as f64 / scale,
        UNITS[unit]
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_whole_and_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(1_234_567_890), "1,234,567,890");
        assert_eq!(bytes_of(512, 1000), "512/1000 B");
        assert_eq!(bytes_of(1 << 29, 3 << 30), "0.5/3.0 GiB");
        assert_eq!(bytes_of(100 << 30, 340 << 30), "100/340 GiB");
        assert_eq!(
            judge_message(2_000_000, None, None, 4.0),
            "2,000,000 rows 500,000 rows/s"
        );
        assert_eq!(
            judge_message(10, Some(40), None, 0.0),
            "10/40 rows 0 rows/s"
        );
    }

    /// The judge line (prefix, bar, message, ETA) fits 80 columns at the
    /// scale of a large corpus: ten billion rows, hundreds of GiB, a
    /// hundred million rows a second.
    #[test]
    fn the_judge_line_fits_eighty_columns() {
        const BAR: usize = 10;
        let fixed = "judge ".len() + BAR + " ".len() + " ETA 00:00:00".len();
        let worst = [
            judge_message(9_999_999_999, None, Some((999 << 30, 999 << 30)), 100.0),
            // One Parquet file of a billion rows.
            judge_message(999_999_999, Some(999_999_999), None, 10.0),
        ];
        for message in worst {
            assert!(fixed + message.len() <= 80, "{} + `{message}`", fixed);
        }
        assert_eq!(
            COUNTED.matches("{bar:10}").count(),
            1,
            "BAR is the bar's width"
        );
    }
}
