//! URLs as optout judges them: scheme, host, port, and the path and query
//! that robots.txt rules are matched against.
//!
//! The reference is the WHATWG URL Standard as implemented by the `url`
//! crate: a URL is judged by what a client would request, so `/a/../b`
//! is `/b`, `HTTP://Example.COM:80` is `http://example.com`, and IDN hosts
//! are compared in punycode. Parsing every row with `url` costs an
//! allocation and a full normalisation, so [`UrlParser`] first tries a
//! splitter that only accepts URLs whose form `url` would not change (plain
//! ASCII host, no user info, no dot segments, no characters that need
//! encoding) and hands everything else to `url`. A property test holds the
//! two paths equal.
//!
//! After parsing, a trailing dot of the host is dropped (`example.com.` is
//! `example.com` in DNS) and the path is brought into the robots.txt normal
//! form ([`crate::signals::robots::normalize`]).

use std::fmt;

use crate::signals::robots::normalize::{self, Side};

/// The schemes optout judges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// `http`
    Http,
    /// `https`
    Https,
}

impl Scheme {
    /// The scheme's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// The parts of a URL that decisions need. Borrows the parser's buffers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    /// The scheme.
    pub scheme: Scheme,
    /// Lower-case host, punycode for IDN, no trailing dot; IPv6 in brackets.
    pub host: &'a str,
    /// The port, `None` when it is the scheme's default.
    pub port: Option<u16>,
    /// Path and query in robots.txt normal form, starting with `/`.
    pub path: &'a [u8],
}

/// Why a row is not a URL optout can judge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidUrl {
    /// The `url` crate rejected it.
    Syntax(url::ParseError),
    /// A scheme other than `http` or `https`.
    UnsupportedScheme(String),
    /// The URL has no host.
    NoHost,
}

impl fmt::Display for InvalidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidUrl::Syntax(err) => write!(f, "not a URL: {err}"),
            InvalidUrl::UnsupportedScheme(s) => {
                write!(f, "unsupported scheme `{s}` (only http and https)")
            }
            InvalidUrl::NoHost => f.write_str("URL has no host"),
        }
    }
}

impl std::error::Error for InvalidUrl {}

/// Parses URLs into [`UrlParts`], reusing its buffers: after warm-up, a URL
/// in common form costs no allocation.
#[derive(Debug, Default)]
pub struct UrlParser {
    host: String,
    raw_path: Vec<u8>,
    path: Vec<u8>,
}

/// Per octet of a path or query: may the fast path pass it through as is?
/// Unreserved and reserved characters and `%` are fine; anything the WHATWG
/// parser would encode, drop or reinterpret (controls, space, `"`, `'`, `<`,
/// `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, `[`, `]`, non-ASCII) is not.
const PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let ok = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&()*+,;=:@/?%";
    let mut i = 0;
    while i < ok.len() {
        table[ok[i] as usize] = true;
        i += 1;
    }
    table
};

impl UrlParser {
    /// A parser with empty buffers.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Parses `input` (already trimmed of surrounding white space).
    ///
    /// # Errors
    ///
    /// [`InvalidUrl`] when `input` is not an absolute `http` or `https` URL
    /// with a host.
    pub fn parse<'a>(&'a mut self, input: &'a str) -> Result<UrlParts<'a>, InvalidUrl> {
        let (scheme, raw_path, port) = match fast_split(input) {
            Some(fast) => {
                self.host.clear();
                let host = fast.host.strip_suffix('.').unwrap_or(fast.host);
                self.host.push_str(host);
                self.host.make_ascii_lowercase();
                (fast.scheme, RawPath::Borrowed(fast.path), fast.port)
            }
            None => {
                let (scheme, port) = self.parse_slow(input)?;
                (scheme, RawPath::Owned, port)
            }
        };
        let raw: &[u8] = match raw_path {
            RawPath::Borrowed(path) => path,
            RawPath::Owned => &self.raw_path,
        };
        let path = normalize::normalize(raw, Side::Url, &mut self.path);
        Ok(UrlParts {
            scheme,
            host: &self.host,
            port,
            path,
        })
    }

    /// The `url` crate's reading of `input`, into the parser's buffers.
    fn parse_slow(&mut self, input: &str) -> Result<(Scheme, Option<u16>), InvalidUrl> {
        let url = url::Url::parse(input).map_err(InvalidUrl::Syntax)?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(InvalidUrl::UnsupportedScheme(other.to_owned())),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(InvalidUrl::NoHost)?;
        self.host.clear();
        self.host.push_str(host.strip_suffix('.').unwrap_or(host));
        self.raw_path.clear();
        self.raw_path.extend_from_slice(
            url[url::Position::BeforePath..url::Position::AfterQuery].as_bytes(),
        );
        if self.raw_path.first() != Some(&b'/') {
            self.raw_path.insert(0, b'/');
        }
        Ok((scheme, url.port()))
    }

    /// Parses with the `url` crate only. For tests and benchmarks that
    /// compare the two paths.
    ///
    /// # Errors
    ///
    /// As [`UrlParser::parse`].
    #[doc(hidden)]
    pub fn parse_reference<'a>(&'a mut self, input: &'a str) -> Result<UrlParts<'a>, InvalidUrl> {
        let (scheme, port) = self.parse_slow(input)?;
        let path = normalize::normalize(&self.raw_path, Side::Url, &mut self.path);
        Ok(UrlParts {
            scheme,
            host: &self.host,
            port,
            path,
        })
    }
}

/// Normalises a host name as written by a person (a blocklist entry, a
/// policy file name): IPv4 and bracketed IPv6 addresses in canonical form,
/// domains in lower-case punycode with no trailing dot. `None` when it is
/// not a host name: a label that is empty, longer than 63 octets, or holds
/// anything but letters, digits, `-` and `_`.
#[must_use]
pub fn normalize_host(raw: &str) -> Option<String> {
    let host = raw.strip_suffix('.').unwrap_or(raw);
    if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
        return Some(ip.to_string());
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if let Ok(ip) = bare.parse::<std::net::Ipv6Addr>() {
        return Some(format!("[{ip}]"));
    }
    let ascii = idna::domain_to_ascii(host).ok()?;
    let valid = !ascii.is_empty()
        && ascii.len() <= 253
        && ascii.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    valid.then_some(ascii)
}

enum RawPath<'a> {
    Borrowed(&'a [u8]),
    Owned,
}

struct FastSplit<'a> {
    scheme: Scheme,
    host: &'a str,
    port: Option<u16>,
    path: &'a [u8],
}

/// Splits a URL whose form the WHATWG parser would leave unchanged, apart
/// from lower-casing scheme and host; `None` sends it to the slow path.
fn fast_split(input: &str) -> Option<FastSplit<'_>> {
    let bytes = input.as_bytes();
    let colon = memchr::memchr(b':', bytes)?;
    let scheme = &bytes[..colon];
    let scheme = if scheme.eq_ignore_ascii_case(b"https") {
        Scheme::Https
    } else if scheme.eq_ignore_ascii_case(b"http") {
        Scheme::Http
    } else {
        return None;
    };
    let rest = bytes[colon + 1..].strip_prefix(b"//")?;
    let authority_end = rest
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(rest.len());
    let (authority, after) = rest.split_at(authority_end);

    let (host, port) = match memchr::memrchr(b':', authority) {
        Some(at) => (&authority[..at], Some(&authority[at + 1..])),
        None => (authority, None),
    };
    if !plain_host(host) {
        return None;
    }
    let port = match port {
        None | Some(b"") => None,
        Some(digits) if digits.len() <= 5 && digits.iter().all(u8::is_ascii_digit) => {
            let n: u32 = digits.iter().fold(0, |n, &d| n * 10 + u32::from(d - b'0'));
            let n = u16::try_from(n).ok()?;
            (n != scheme.default_port()).then_some(n)
        }
        Some(_) => return None,
    };

    let end = memchr::memchr(b'#', after).unwrap_or(after.len());
    let path = &after[..end];
    // An empty path, or a bare query, needs a `/` inserted: slow path.
    if path.first() != Some(&b'/') || !plain_path(path) {
        return None;
    }
    Some(FastSplit {
        scheme,
        // The host is ASCII: `plain_host` checked every byte.
        host: std::str::from_utf8(host).ok()?,
        port,
        path,
    })
}

/// A host the WHATWG parser would only lower-case: ASCII letters, digits,
/// `-` and `.`, no empty label, no punycode label (which `url` validates),
/// and a last label that does not start with a digit (which could make it
/// an IPv4 address in one of its many spellings).
fn plain_host(host: &[u8]) -> bool {
    let host = host.strip_suffix(b".").unwrap_or(host);
    if host.is_empty() {
        return false;
    }
    let mut labels = 0;
    for label in host.split(|&b| b == b'.') {
        labels += 1;
        if label.is_empty()
            || !label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
            || (label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--"))
        {
            return false;
        }
    }
    let last = host.rsplit(|&b| b == b'.').next().unwrap_or_default();
    labels > 0 && !last[0].is_ascii_digit()
}

/// A path and query the WHATWG parser would leave as they are: only plain
/// octets, and no dot segment (`/./`, `/../`, or their `%2e` spellings).
fn plain_path(path: &[u8]) -> bool {
    if !path.iter().all(|&b| PLAIN[b as usize]) {
        return false;
    }
    let end = memchr::memchr(b'?', path).unwrap_or(path.len());
    let path = &path[..end];
    memchr::memmem::find(path, b"/.").is_none()
        && !path
            .windows(3)
            .any(|w| w[0] == b'%' && w[1] == b'2' && (w[2] | 0x20) == b'e')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(input: &str) -> Result<(Scheme, String, Option<u16>, String), InvalidUrl> {
        let mut parser = UrlParser::new();
        parser.parse(input).map(|p| {
            (
                p.scheme,
                p.host.to_owned(),
                p.port,
                String::from_utf8(p.path.to_vec()).unwrap(),
            )
        })
    }

    #[test]
    fn common_forms() {
        let got = parts("HTTPS://Example.COM:443/a/b?c=d&e=f#frag").unwrap();
        assert_eq!(
            got,
            (
                Scheme::Https,
                "example.com".into(),
                None,
                "/a/b?c=d&e=f".into()
            )
        );
        let got = parts("http://example.com").unwrap();
        assert_eq!(got.3, "/");
        let got = parts("http://example.com?q").unwrap();
        assert_eq!(got.3, "/?q");
        let got = parts("http://example.com:8080/x;p").unwrap();
        assert_eq!((got.2, got.3.as_str()), (Some(8080), "/x;p"));
        let got = parts("http://example.com./a/../b/./c").unwrap();
        assert_eq!((got.1.as_str(), got.3.as_str()), ("example.com", "/b/c"));
    }

    #[test]
    fn idn_userinfo_and_ip_hosts() {
        assert_eq!(parts("https://bücher.de/ä").unwrap().1, "xn--bcher-kva.de");
        assert_eq!(parts("https://bücher.de/ä").unwrap().3, "/%C3%A4");
        assert_eq!(
            parts("http://user:pw@example.com/x").unwrap().1,
            "example.com"
        );
        assert_eq!(parts("http://0x7f.1/").unwrap().1, "127.0.0.1");
        assert_eq!(parts("http://[::1]:8080/").unwrap().1, "[::1]");
    }

    #[test]
    fn robots_normal_form_is_applied() {
        assert_eq!(parts("http://x.org/%7efoo/a*b").unwrap().3, "/~foo/a%2Ab");
        assert_eq!(parts("http://x.org/a b").unwrap().3, "/a%20b");
    }

    #[test]
    fn host_normalisation() {
        assert_eq!(
            normalize_host("Example.COM.").as_deref(),
            Some("example.com")
        );
        assert_eq!(
            normalize_host("bücher.de").as_deref(),
            Some("xn--bcher-kva.de")
        );
        assert_eq!(normalize_host("[::1]").as_deref(), Some("[::1]"));
        assert_eq!(normalize_host("::1").as_deref(), Some("[::1]"));
        for bad in ["", "bad host!", "a..b", "x/y", "a.-b.c!"] {
            assert_eq!(normalize_host(bad), None, "{bad}");
        }
    }

    #[test]
    fn invalid() {
        assert!(matches!(parts("not a url"), Err(InvalidUrl::Syntax(_))));
        assert!(matches!(
            parts("/relative/path"),
            Err(InvalidUrl::Syntax(_))
        ));
        assert!(matches!(
            parts("ftp://example.com/"),
            Err(InvalidUrl::UnsupportedScheme(_))
        ));
        assert!(matches!(
            parts("mailto:a@b.c"),
            Err(InvalidUrl::UnsupportedScheme(_))
        ));
        assert!(parts("http://exa mple.com/").is_err());
        assert!(parts("http://example.com:99999/").is_err());
    }

    #[test]
    fn fast_path_is_taken_for_common_urls() {
        for url in [
            "http://example.com/",
            "https://a.b.example.co.uk/x?y=1",
            "http://EXAMPLE.com:8080/a%20b",
        ] {
            assert!(fast_split(url).is_some(), "{url}");
        }
        for url in [
            "http://ex.com",
            "http://ex.com/a/../b",
            "http://1.2.3.4/",
            "http://xn--bcher-kva.de/",
            "http://u@ex.com/",
            "http://ex.com/a b",
        ] {
            assert!(fast_split(url).is_none(), "{url}");
        }
    }

    fn url_strategy() -> impl Strategy<Value = String> {
        let scheme = prop::sample::select(vec![
            "http", "HTTP", "https", "Https", "ftp", "http:", "htp",
        ]);
        let sep = prop::sample::select(vec!["://", ":/", ":", "://u:p@", ":\\\\"]);
        let host = "[a-zA-Z0-9.\\-]{0,12}|[a-z]{1,5}\\.(com|0x1|12|xn--bcher-kva|bücher)|\\[::1\\]";
        let port = prop::sample::select(vec![
            "", ":", ":80", ":443", ":0080", ":8080", ":65536", ":x",
        ]);
        let path = "[a-zA-Z0-9/.%_~!$&'()*+,;=:@? \"<>\\\\^`{|}\\[\\]é\t-]{0,16}";
        let frag = prop::sample::select(vec!["", "#", "#f/../x"]);
        (scheme, sep, host, port, path, frag)
            .prop_map(|(s, sep, h, p, path, f)| format!("{s}{sep}{h}{p}{path}{f}"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        /// The fast splitter and the `url` crate read every URL the same way.
        #[test]
        fn fast_path_agrees_with_url_crate(input in url_strategy()) {
            let mut fast = UrlParser::new();
            let mut reference = UrlParser::new();
            let got = fast.parse(&input).map(|p| (p.scheme, p.host.to_owned(), p.port, p.path.to_vec()));
            let want = reference.parse_reference(&input).map(|p| (p.scheme, p.host.to_owned(), p.port, p.path.to_vec()));
            prop_assert_eq!(got, want, "input {:?}", input);
        }
    }
}
