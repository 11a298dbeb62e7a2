//! Third-party decoders that panic on corrupt input (the Parquet decoder,
//! the C2PA reader): a call into one runs under [`guarded`], which turns a
//! panic into an error message, and [`in_guarded_decode`] lets the command
//! line's panic hook stay quiet for it, since it is a bad file and not a
//! crash of optout.

thread_local! {
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Whether this thread is inside a guarded call into a decoder whose
/// panics are caught and reported as errors.
#[must_use]
pub fn in_guarded_decode() -> bool {
    GUARDED.with(std::cell::Cell::get)
}

/// Runs `work`, turning a panic into a message saying that `what` failed
/// on corrupt data.
///
/// # Errors
///
/// The panic's message, when `work` panicked.
pub fn guarded<T>(what: &str, work: impl FnOnce() -> T) -> Result<T, String> {
    let outer = GUARDED.with(|g| g.replace(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
    GUARDED.with(|g| g.set(outer));
    result.map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        format!("{what} failed on corrupt data ({message})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_message_and_the_flag_is_restored() {
        assert_eq!(guarded("the reader", || 7), Ok(7));
        let err = guarded("the reader", || -> u8 { panic!("bad box") }).unwrap_err();
        assert_eq!(err, "the reader failed on corrupt data (bad box)");
        assert!(!in_guarded_decode());
    }
}
