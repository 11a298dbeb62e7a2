//! The percent-encoding normal form that robots.txt patterns and URL paths
//! are both brought into before they are compared (RFC 9309 §2.2.2).
//!
//! RFC 9309 asks for two things: octets that may not appear raw in a URI
//! (non-ASCII, controls, space, ...) are percent-encoded on both sides, and
//! percent-encoded *unreserved* characters (`A-Z a-z 0-9 - . _ ~`) are
//! decoded, so that `/%62%61%7A` and `/baz` compare equal. Escapes of
//! reserved characters (`%2F`, `%3F`, ...) keep their meaning and stay
//! encoded, with upper-case hex. A `%` not followed by two hex digits is
//! itself encoded as `%25`, which keeps the form idempotent.
//!
//! The two sides differ in one point: in a pattern, `*` and a final `$` are
//! wildcards and stay raw; in a URL they are ordinary characters and are
//! encoded as `%2A` and `%24`, which is how RFC 9309 §2.2.3 lets a pattern
//! match them literally. A `$` inside a pattern is a literal (as in Google's
//! parser) and is encoded as `%24` too, so it matches a `$` in a URL.
//!
//! CONFLICT: Google's parser upper-cases escapes and encodes non-ASCII octets
//! in patterns only, and never decodes; its test suite expects `/%62%61%7A`
//! not to match `/baz`. We follow the RFC (and crawler-commons).

/// Which side of a comparison a byte string is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// A robots.txt rule pattern: `*` and `$` are wildcards.
    Pattern,
    /// A URL's path and query: `*` and `$` are literal characters.
    Url,
}

/// Per octet: 0 = keep as is, 1 = percent-encode, 2 = `%` (look ahead),
/// 3 = wildcard (`*` or `$`: encoded on the URL side only).
const CLASS: [u8; 256] = {
    let mut table = [1u8; 256];
    let mut b = 0x21;
    while b < 0x7F {
        table[b] = 0;
        b += 1;
    }
    // Not allowed raw anywhere in a URI (RFC 3986 §2): encode.
    let never_raw = b"\"<>\\^`{|}[]";
    let mut i = 0;
    while i < never_raw.len() {
        table[never_raw[i] as usize] = 1;
        i += 1;
    }
    table[b'%' as usize] = 2;
    table[b'*' as usize] = 3;
    table[b'$' as usize] = 3;
    table
};

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Whether `input` is already in normal form for `side`, judged without
/// looking at escapes: any `%` sends the caller to [`normalize_into`]. This
/// is the fast path of the hot loop: most URL paths need no copy.
#[must_use]
pub fn is_plain(input: &[u8], side: Side) -> bool {
    let last = input.len().wrapping_sub(1);
    input
        .iter()
        .enumerate()
        .all(|(i, &b)| match CLASS[b as usize] {
            0 => true,
            3 => raw_wildcard(b, i == last, side),
            _ => false,
        })
}

/// Whether a wildcard octet stays raw: `*` anywhere in a pattern, `$` only
/// as a pattern's last octet.
fn raw_wildcard(b: u8, last: bool, side: Side) -> bool {
    side == Side::Pattern && (b == b'*' || last)
}

/// Appends the normal form of `input` to `out`.
pub fn normalize_into(input: &[u8], side: Side, out: &mut Vec<u8>) {
    out.reserve(input.len());
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        match CLASS[b as usize] {
            0 => out.push(b),
            3 if raw_wildcard(b, i + 1 == input.len(), side) => out.push(b),
            2 => {
                let escape = input
                    .get(i + 1)
                    .and_then(|&h| hex_value(h))
                    .zip(input.get(i + 2).and_then(|&l| hex_value(l)));
                if let Some((high, low)) = escape {
                    let decoded = high << 4 | low;
                    if is_unreserved(decoded) {
                        out.push(decoded);
                    } else {
                        out.extend_from_slice(&[b'%', HEX[high as usize], HEX[low as usize]]);
                    }
                    i += 3;
                    continue;
                }
                out.extend_from_slice(b"%25");
            }
            _ => out.extend_from_slice(&[b'%', HEX[(b >> 4) as usize], HEX[(b & 0xF) as usize]]),
        }
        i += 1;
    }
}

/// The normal form of `input`, borrowed when it is already normal.
pub fn normalize<'a>(input: &'a [u8], side: Side, scratch: &'a mut Vec<u8>) -> &'a [u8] {
    if is_plain(input, side) {
        input
    } else {
        scratch.clear();
        normalize_into(input, side, scratch);
        scratch
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(input: &str, side: Side) -> String {
        let mut out = Vec::new();
        normalize_into(input.as_bytes(), side, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn rfc9309_figure_4() {
        // RFC 9309 §2.2.2: the rule `/foo/bar/ツ` matches the encoded URI
        // `/foo/bar/%E3%83%84`, and `/foo/bar/%62%61%7A` is compared as
        // `/foo/bar/baz`; an encoded reserved character stays encoded.
        assert_eq!(norm("/foo/bar/ツ", Side::Pattern), "/foo/bar/%E3%83%84");
        assert_eq!(norm("/foo/bar/%E3%83%84", Side::Url), "/foo/bar/%E3%83%84");
        assert_eq!(norm("/foo/bar/%62%61%7A", Side::Url), "/foo/bar/baz");
        assert_eq!(
            norm("/?q=https%3A%2F%2Ffoo.bar", Side::Url),
            "/?q=https%3A%2F%2Ffoo.bar"
        );
    }

    #[test]
    fn escapes_are_upper_cased_and_invalid_percent_encoded() {
        assert_eq!(norm("/a%e3%83%84", Side::Url), "/a%E3%83%84");
        assert_eq!(norm("/a%2f", Side::Pattern), "/a%2F");
        assert_eq!(norm("/100%", Side::Url), "/100%25");
        assert_eq!(norm("/%zz", Side::Url), "/%25zz");
    }

    #[test]
    fn wildcards_differ_by_side() {
        assert_eq!(norm("/a*b$", Side::Pattern), "/a*b$");
        assert_eq!(norm("/a*b$", Side::Url), "/a%2Ab%24");
        assert_eq!(norm("/a%2A", Side::Pattern), "/a%2A");
        assert_eq!(norm("/a$b$", Side::Pattern), "/a%24b$");
        assert_eq!(norm("$$", Side::Pattern), "%24$");
    }

    #[test]
    fn never_raw_octets_are_encoded() {
        assert_eq!(norm("/a b\"<>{}|", Side::Url), "/a%20b%22%3C%3E%7B%7D%7C");
        assert_eq!(norm("/a\0", Side::Pattern), "/a%00");
        assert_eq!(norm("/é", Side::Url), "/%C3%A9");
    }

    #[test]
    fn plain_input_is_borrowed() {
        let mut scratch = Vec::new();
        let input = b"/a/b?c=d&e=f";
        assert!(std::ptr::eq(
            normalize(input, Side::Url, &mut scratch).as_ptr(),
            input.as_ptr()
        ));
        assert!(!is_plain(b"/a%41", Side::Url));
        assert!(is_plain(b"/a*", Side::Pattern));
        assert!(!is_plain(b"/a*", Side::Url));
    }

    proptest! {
        #[test]
        fn normal_form_is_idempotent(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for side in [Side::Pattern, Side::Url] {
                let mut once = Vec::new();
                normalize_into(&bytes, side, &mut once);
                let mut twice = Vec::new();
                normalize_into(&once, side, &mut twice);
                prop_assert_eq!(&once, &twice);
                prop_assert!(is_plain(&once, side) || once.contains(&b'%'));
            }
        }

        #[test]
        fn fast_path_agrees(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for side in [Side::Pattern, Side::Url] {
                if is_plain(&bytes, side) {
                    let mut out = Vec::new();
                    normalize_into(&bytes, side, &mut out);
                    prop_assert_eq!(&out, &bytes);
                }
            }
        }
    }
}
