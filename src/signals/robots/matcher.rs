//! Matching one normalised robots.txt pattern against one normalised path,
//! without allocating (RFC 9309 §2.2.2–2.2.3).
//!
//! `*` matches any run of octets, `/` included; `$` is an end anchor only as
//! the last character of a pattern and a literal elsewhere (as in Google's
//! parser). Matching is anchored at the start of the path. A pattern is split
//! at its `*`s into literal segments; the first must be a prefix of the path,
//! every other is found at its leftmost place after the previous one, and
//! with an end anchor the last must also be a suffix. Leftmost placement is
//! optimal for `*`-only globs, so this is exact, and linear in practice where
//! Google's position-set scan is O(path × pattern).

/// A pattern prepared for repeated matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pattern<'a> {
    /// The pattern without its end anchor.
    body: &'a [u8],
    /// Whether the pattern ended with `$`.
    anchored: bool,
    /// Whether `body` has a `*`.
    wildcard: bool,
}

impl<'a> Pattern<'a> {
    /// Prepares a normalised pattern.
    #[must_use]
    pub fn new(pattern: &'a [u8]) -> Self {
        let (body, anchored) = match pattern.split_last() {
            Some((b'$', body)) => (body, true),
            _ => (pattern, false),
        };
        Pattern {
            body,
            anchored,
            wildcard: memchr::memchr(b'*', body).is_some(),
        }
    }

    /// Whether the pattern matches `path`.
    #[must_use]
    pub fn matches(&self, path: &[u8]) -> bool {
        matches(self.body, self.anchored, self.wildcard, path)
    }
}

/// Matching with the pattern's parts precomputed: `body` without the end
/// anchor, whether there was one, and whether `body` has a `*`.
#[inline]
pub(crate) fn matches(body: &[u8], anchored: bool, wildcard: bool, path: &[u8]) -> bool {
    match (wildcard, anchored) {
        (false, false) => path.starts_with(body),
        (false, true) => path == body,
        (true, _) => glob(body, path, anchored),
    }
}

fn glob(body: &[u8], path: &[u8], anchored: bool) -> bool {
    let mut segments = body.split(|&b| b == b'*');
    let first = segments.next().unwrap_or_default();
    if !path.starts_with(first) {
        return false;
    }
    let mut pos = first.len();
    let mut last: &[u8] = &[];
    // Every segment but the last is placed leftmost; the last one waits so
    // that an end anchor can place it as a suffix instead.
    for (n, segment) in segments.enumerate() {
        if n > 0 {
            match find(&path[pos..], last) {
                Some(at) => pos += at + last.len(),
                None => return false,
            }
        }
        last = segment;
    }
    if anchored {
        path.len() >= pos + last.len() && path.ends_with(last)
    } else {
        find(&path[pos..], last).is_some()
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    match needle {
        [] => Some(0),
        [byte] => memchr::memchr(*byte, haystack),
        // A long segment searched byte by byte costs path × segment in the
        // worst case (`aaaa…b` in `aaaa…`); the two-way search is linear.
        long if long.len() > 16 => memchr::memmem::find(haystack, long),
        [first, rest @ ..] => {
            let mut from = 0;
            while let Some(at) = memchr::memchr(*first, &haystack[from..]) {
                let start = from + at;
                if haystack[start + 1..].starts_with(rest) {
                    return Some(start);
                }
                from = start + 1;
            }
            None
        }
    }
}

/// Google's `RobotsMatchStrategy::Matches` (robots.cc), the position-set
/// scan, written out plainly. Not used for decisions: it is the reference the
/// fast matcher is tested against, here and in the oracle test.
#[doc(hidden)]
#[must_use]
pub fn position_set_matches(path: &[u8], pattern: &[u8]) -> bool {
    let mut positions = vec![0usize];
    for (i, &p) in pattern.iter().enumerate() {
        if p == b'$' && i + 1 == pattern.len() {
            return positions.last() == Some(&path.len());
        }
        if p == b'*' {
            let from = positions[0];
            positions = (from..=path.len()).collect();
        } else {
            positions.retain(|&at| at < path.len() && path[at] == p);
            for at in &mut positions {
                *at += 1;
            }
            if positions.is_empty() {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::position_set_matches as reference;

    #[test]
    fn rfc_and_google_examples() {
        let cases: &[(&str, &str, bool)] = &[
            ("/fish", "/fish", true),
            ("/fish", "/fish.html", true),
            ("/fish", "/fish/salmon.html", true),
            ("/fish", "/fishheads", true),
            ("/fish", "/Fish.asp", false),
            ("/fish", "/catfish", false),
            ("/fish*", "/fishheads/yummy.html", true),
            ("/fish/", "/fish", false),
            ("/*.php", "/folder/filename.php?parameters", true),
            ("/*.php", "/windows.PHP", false),
            ("/*.php$", "/filename.php", true),
            ("/*.php$", "/filename.php?parameters", false),
            ("/*.php$", "/filename.php5", false),
            ("/fish*.php", "/fishheads/catfish.php?parameters", true),
            ("/fish*.php", "/Fish.PHP", false),
            ("/a$b", "/a$b", true),
            ("/a$b", "/a", false),
            ("*.gif$", "/img/x.gif", true),
            ("/", "/anything", true),
            ("$", "/", false),
            ("/*", "/", true),
            ("/a*b*c$", "/aXbYbc", true),
            ("/a*b*c$", "/aXbYbcd", false),
        ];
        for &(pattern, path, want) in cases {
            let got = Pattern::new(pattern.as_bytes()).matches(path.as_bytes());
            assert_eq!(got, want, "{pattern} vs {path}");
            assert_eq!(reference(path.as_bytes(), pattern.as_bytes()), want);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4096))]
        #[test]
        fn agrees_with_position_set_scan(
            pattern in "[/ab*$]{0,8}",
            path in "/[/ab$]{0,10}",
        ) {
            prop_assert_eq!(
                Pattern::new(pattern.as_bytes()).matches(path.as_bytes()),
                reference(path.as_bytes(), pattern.as_bytes()),
                "pattern {:?} path {:?}", pattern, path
            );
        }
    }
}
