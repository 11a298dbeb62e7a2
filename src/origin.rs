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

    /// The port used when a URL names none.
    #[must_use]
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A robots.txt scope (RFC 9309 §2.3: scheme, host and port): the key of
/// the fetcher and the cache. Written as `scheme://host[:port]`, the port
/// only when it is not the scheme's default, so the written form is itself
/// a URL that `optout fetch` accepts.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin {
    /// The scheme.
    pub scheme: Scheme,
    /// Lower-case punycode host; IPv6 in brackets.
    pub host: String,
    /// The port, `None` when it is the scheme's default.
    pub port: Option<u16>,
}

impl Origin {
    /// The origin of a parsed URL.
    #[must_use]
    pub fn of(url: &UrlParts<'_>) -> Origin {
        Origin {
            scheme: url.scheme,
            host: url.host.to_owned(),
            port: url.port,
        }
    }

    /// Parses the written form `scheme://host[:port]` (a trailing `/` is
    /// allowed). `None` for anything else.
    #[must_use]
    pub fn parse_key(key: &str) -> Option<Origin> {
        let (scheme, host, port) = split_key(key.strip_suffix('/').unwrap_or(key))?;
        Some(Origin {
            scheme,
            host: host.to_owned(),
            port,
        })
    }

    /// The port a connection goes to.
    #[must_use]
    pub fn effective_port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// The URL of one of the origin's files at a fixed path (robots.txt
    /// for the RSL document, whose URL robots.txt gives).
    #[must_use]
    pub fn file_url(&self, file: SiteFile) -> String {
        let mut url = self.robots_url();
        if let Some(path) = file.path() {
            url.truncate(url.len() - "/robots.txt".len());
            url.push_str(path);
        }
        url
    }

    /// The URL of the origin's `/robots.txt`.
    #[must_use]
    pub fn robots_url(&self) -> String {
        format!("{self}/robots.txt")
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host)?;
        match self.port {
            Some(port) => write!(f, ":{port}"),
            None => Ok(()),
        }
    }
}

/// Which per-origin file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SiteFile {
    /// `/robots.txt`.
    #[default]
    Robots,
    /// `/.well-known/tdmrep.json`.
    TdmRep,
    /// `/ai.txt`.
    AiTxt,
    /// The RSL license document robots.txt's `License:` line names (any
    /// URL, on any host).
    Rsl,
}

impl SiteFile {
    /// Every file, robots.txt first.
    pub const ALL: [SiteFile; 4] = [
        SiteFile::Robots,
        SiteFile::TdmRep,
        SiteFile::AiTxt,
        SiteFile::Rsl,
    ];

    /// The path on the origin; `None` for the RSL document, whose URL
    /// robots.txt gives.
    #[must_use]
    pub fn path(self) -> Option<&'static str> {
        match self {
            SiteFile::Robots => Some("/robots.txt"),
            SiteFile::TdmRep => Some("/.well-known/tdmrep.json"),
            SiteFile::AiTxt => Some("/ai.txt"),
            SiteFile::Rsl => None,
        }
    }

    /// The stable name used in the cache, on the command line and in
    /// outputs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            SiteFile::Robots => "robots.txt",
            SiteFile::TdmRep => "tdmrep.json",
            SiteFile::AiTxt => "ai.txt",
            SiteFile::Rsl => "rsl",
        }
    }

    /// The file named `name` ([`SiteFile::name`]).
    #[must_use]
    pub fn from_name(name: &str) -> Option<SiteFile> {
        SiteFile::ALL.into_iter().find(|f| f.name() == name)
    }
}

impl serde::Serialize for SiteFile {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> serde::Deserialize<'de> for SiteFile {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        SiteFile::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown site file `{name}`")))
    }
}

impl std::str::FromStr for SiteFile {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        SiteFile::from_name(s).ok_or_else(|| {
            format!("unknown file `{s}` (expected robots.txt, tdmrep.json, ai.txt or rsl)")
        })
    }
}

/// Writes the origin key of `url` (`scheme://host[:port]`) into `out`,
/// replacing its contents: the allocation-free form of
/// `Origin::of(url).to_string()`, for the engine's hot loop.
pub fn write_origin_key(url: &UrlParts<'_>, out: &mut Vec<u8>) {
    out.clear();
    push_origin_key(url, out);
}

/// Appends the origin key of `url` to `out` (see [`write_origin_key`]).
pub fn push_origin_key(url: &UrlParts<'_>, out: &mut Vec<u8>) {
    use std::io::Write as _;
    out.extend_from_slice(url.scheme.as_str().as_bytes());
    out.extend_from_slice(b"://");
    out.extend_from_slice(url.host.as_bytes());
    if let Some(port) = url.port {
        // Writing into a Vec cannot fail.
        let _ = write!(out, ":{port}");
    }
}

/// Splits an origin key into scheme, host and port, without allocating.
/// `None` when `key` is not of the form `http[s]://host[:port]`.
#[must_use]
pub fn split_key(key: &str) -> Option<(Scheme, &str, Option<u16>)> {
    let (scheme, rest) = if let Some(rest) = key.strip_prefix("https://") {
        (Scheme::Https, rest)
    } else {
        (Scheme::Http, key.strip_prefix("http://")?)
    };
    // A colon after the closing bracket of an IPv6 host, or any colon in
    // other hosts, starts the port.
    let host_end = if rest.starts_with('[') {
        rest.find(']')? + 1
    } else {
        rest.find(':').unwrap_or(rest.len())
    };
    let (host, port) = rest.split_at(host_end);
    if host.is_empty() || host.contains('/') {
        return None;
    }
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        None => return None,
        Some(digits) => {
            let port: u16 = digits.parse().ok()?;
            (port != scheme.default_port()).then_some(port)
        }
    };
    Some((scheme, host, port))
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
    /// The row is not valid UTF-8.
    NotUtf8,
    /// The `url` crate rejected it.
    Syntax(url::ParseError),
    /// A scheme other than `http` or `https`.
    UnsupportedScheme(String),
    /// The URL has no host.
    NoHost,
    /// The host has an empty label (`a..b`, `..`): no DNS name has one.
    EmptyLabel(String),
}

impl fmt::Display for InvalidUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidUrl::NotUtf8 => f.write_str("not UTF-8"),
            InvalidUrl::Syntax(err) => write!(f, "not a URL: {err}"),
            InvalidUrl::UnsupportedScheme(s) => {
                write!(f, "unsupported scheme `{s}` (only http and https)")
            }
            InvalidUrl::NoHost => f.write_str("URL has no host"),
            InvalidUrl::EmptyLabel(host) => write!(f, "host `{host}` has an empty label"),
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
        self.parse_bytes(input.as_bytes())
    }

    /// Parses `input` as bytes: the hot path, which checks UTF-8 only when
    /// the URL is not in common (ASCII) form.
    ///
    /// # Errors
    ///
    /// [`InvalidUrl`] when `input` is not UTF-8, or not an absolute `http`
    /// or `https` URL with a host.
    pub fn parse_bytes<'a>(&'a mut self, input: &'a [u8]) -> Result<UrlParts<'a>, InvalidUrl> {
        if let Some(fast) = fast_split(input) {
            // `fast_split` accepted only ASCII octets in host and path.
            let ascii = |b: &'a [u8]| std::str::from_utf8(b).map_err(|_| InvalidUrl::NotUtf8);
            let host: &str = if fast.host_lowercase {
                ascii(fast.host)?
            } else {
                self.host.clear();
                self.host.push_str(ascii(fast.host)?);
                self.host.make_ascii_lowercase();
                &self.host
            };
            let path = if fast.path_normal {
                fast.path
            } else {
                self.path.clear();
                normalize::normalize_into(fast.path, Side::Url, &mut self.path);
                &self.path
            };
            return Ok(UrlParts {
                scheme: fast.scheme,
                host,
                port: fast.port,
                path,
            });
        }
        self.parse_reference(std::str::from_utf8(input).map_err(|_| InvalidUrl::NotUtf8)?)
    }

    /// The `url` crate's reading of `input`, into the parser's buffers.
    fn parse_slow(&mut self, input: &str) -> Result<(Scheme, Option<u16>), InvalidUrl> {
        let url = url::Url::parse(input).map_err(InvalidUrl::Syntax)?;
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            other => return Err(InvalidUrl::UnsupportedScheme(other.to_owned())),
        };
        // `http://./` has the host `.`: nothing is left once the trailing
        // dot goes, so it has no host. The WHATWG parser also accepts empty
        // labels (`a..b`), which no DNS name has.
        let host = url
            .host_str()
            .map(|h| h.strip_suffix('.').unwrap_or(h))
            .filter(|h| !h.is_empty())
            .ok_or(InvalidUrl::NoHost)?;
        if !host.starts_with('[') && host.split('.').any(str::is_empty) {
            return Err(InvalidUrl::EmptyLabel(host.to_owned()));
        }
        self.host.clear();
        self.host.push_str(host);
        self.raw_path.clear();
        self.raw_path.extend_from_slice(
            url[url::Position::BeforePath..url::Position::AfterQuery].as_bytes(),
        );
        if self.raw_path.first() != Some(&b'/') {
            self.raw_path.insert(0, b'/');
        }
        Ok((scheme, url.port()))
    }

    /// Parses with the `url` crate only: the slow path of
    /// [`UrlParser::parse_bytes`], and the reference its fast path is tested
    /// against.
    ///
    /// # Errors
    ///
    /// As [`UrlParser::parse`].
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

struct FastSplit<'a> {
    scheme: Scheme,
    /// Without a trailing dot.
    host: &'a [u8],
    /// The host has no upper-case letter: it can be borrowed as is.
    host_lowercase: bool,
    port: Option<u16>,
    path: &'a [u8],
    /// The path is already in robots.txt normal form (no `%`, `*`, `$`).
    path_normal: bool,
}

/// Per octet of a path or query, for the fast path: 0 = the WHATWG parser
/// would encode, drop or reinterpret it (controls, space, `"`, `'`, `<`,
/// `>`, `\`, `^`, `` ` ``, `{`, `|`, `}`, `[`, `]`, non-ASCII); 1 = kept as
/// is and already normal; 2 = kept as is, but robots.txt normalisation
/// rewrites it (`%`, `*`, `$`).
const PATH_CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let ok = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!&()+,;=:@/?";
    let mut i = 0;
    while i < ok.len() {
        table[ok[i] as usize] = 1;
        i += 1;
    }
    table[b'%' as usize] = 2;
    table[b'*' as usize] = 2;
    table[b'$' as usize] = 2;
    table
};

/// Splits a URL whose form the WHATWG parser would leave unchanged, apart
/// from lower-casing scheme and host; `None` sends it to the slow path. One
/// pass over each part.
fn fast_split(bytes: &[u8]) -> Option<FastSplit<'_>> {
    let (scheme, skip) = if bytes.len() > 8 && bytes[..8].eq_ignore_ascii_case(b"https://") {
        (Scheme::Https, 8)
    } else if bytes.len() > 7 && bytes[..7].eq_ignore_ascii_case(b"http://") {
        (Scheme::Http, 7)
    } else {
        return None;
    };
    let rest = &bytes[skip..];

    // Host: letters, digits, `-`, `.`; no empty label, no `xn--` label (the
    // `url` crate validates punycode), and a last label that does not start
    // with a digit (it could make the host an IPv4 address in any spelling).
    let mut end = 0;
    let mut label_start = 0;
    let mut lowercase = true;
    while end < rest.len() {
        match rest[end] {
            b'a'..=b'z' | b'0'..=b'9' | b'-' => {}
            b'A'..=b'Z' => lowercase = false,
            b'.' => {
                if end == label_start || starts_punycode(&rest[label_start..end]) {
                    return None;
                }
                label_start = end + 1;
            }
            b':' | b'/' | b'?' | b'#' => break,
            _ => return None,
        }
        end += 1;
    }
    let mut host = &rest[..end];
    if end == label_start {
        // Empty last label: only a single trailing dot is allowed.
        host = host.strip_suffix(b".")?;
        if host.is_empty() {
            return None;
        }
    } else if starts_punycode(&rest[label_start..end]) {
        return None;
    }
    let last = host.rsplit(|&b| b == b'.').next().unwrap_or_default();
    if last.first().is_none_or(u8::is_ascii_digit) {
        return None;
    }
    let mut rest = &rest[end..];

    let mut port = None;
    if let Some(after) = rest.strip_prefix(b":") {
        let digits = after.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits > 5
            || after
                .get(digits)
                .is_some_and(|&b| !matches!(b, b'/' | b'?' | b'#'))
        {
            return None;
        }
        if digits > 0 {
            let n = after[..digits]
                .iter()
                .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
            let n = u16::try_from(n).ok()?;
            port = (n != scheme.default_port()).then_some(n);
        }
        rest = &after[digits..];
    }

    // Path and query, up to the fragment. The fragment is dropped, but must
    // be ASCII, so that a row is accepted exactly when the slow path's UTF-8
    // check would accept it.
    if rest.first() != Some(&b'/') {
        return None;
    }
    let end = memchr::memchr(b'#', rest).unwrap_or(rest.len());
    if !rest[end..].is_ascii() {
        return None;
    }
    let path = &rest[..end];
    let mut normal = true;
    let mut in_query = false;
    let mut previous = 0u8;
    for (at, &b) in path.iter().enumerate() {
        match PATH_CLASS[b as usize] {
            0 => return None,
            2 => {
                normal = false;
                // `%2e` is a dot to the WHATWG parser: maybe a dot segment.
                if b == b'%'
                    && !in_query
                    && path.get(at + 1) == Some(&b'2')
                    && path.get(at + 2).is_some_and(|&e| e | 0x20 == b'e')
                {
                    return None;
                }
            }
            _ => {
                if b == b'?' {
                    in_query = true;
                } else if b == b'.' && previous == b'/' && !in_query {
                    return None;
                }
            }
        }
        previous = b;
    }
    Some(FastSplit {
        scheme,
        host,
        host_lowercase: lowercase,
        port,
        path,
        path_normal: normal,
    })
}

fn starts_punycode(label: &[u8]) -> bool {
    label.len() >= 4 && label[..4].eq_ignore_ascii_case(b"xn--")
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
        // Found by tests/it/hostile.rs: `.` is no host once its dot goes.
        assert!(matches!(parts("https://.\\"), Err(InvalidUrl::NoHost)));
        assert!(matches!(parts("http://./x"), Err(InvalidUrl::NoHost)));
        assert!(matches!(
            parts("https://.."),
            Err(InvalidUrl::EmptyLabel(_))
        ));
        assert!(matches!(
            parts("http://a..b/"),
            Err(InvalidUrl::EmptyLabel(_))
        ));
        assert!(matches!(
            parts("http://.a/"),
            Err(InvalidUrl::EmptyLabel(_))
        ));
    }

    #[test]
    fn fast_path_is_taken_for_common_urls() {
        for url in [
            "http://example.com/",
            "https://a.b.example.co.uk/x?y=1",
            "http://EXAMPLE.com:8080/a%20b",
        ] {
            assert!(fast_split(url.as_bytes()).is_some(), "{url}");
        }
        for url in [
            "http://ex.com",
            "http://ex.com/a/../b",
            "http://1.2.3.4/",
            "http://xn--bcher-kva.de/",
            "http://u@ex.com/",
            "http://ex.com/a b",
            "http://ex.com/%2e%2E/x",
            "http://ex.com/#\u{e9}",
            "http://a..b/",
            "http://ex.com:8x/",
        ] {
            assert!(fast_split(url.as_bytes()).is_none(), "{url}");
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
