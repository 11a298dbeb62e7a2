//! Blocklists: domains a run must exclude whatever their robots.txt says
//! (sites known for persistent piracy, GPAI Code of Practice Measure 1.2,
//! or any source a user must keep out).
//!
//! [`Blocklist::parse`] reads one list (no I/O: bytes in, entries and bad
//! lines out) in any of three formats, line by line, so one file may mix
//! them:
//!
//! * plain: `example.com` (a leading `*.` or `.` is accepted);
//! * hosts file: `0.0.0.0 example.com [more.com ...]`; `localhost`-style
//!   names are ignored;
//! * adblock: `||example.com^`, with options after `$` ignored; `!` starts a
//!   comment, `[Adblock Plus ...]` headers are ignored.
//!
//! `#` starts a comment; blank lines are ignored. A line that is none of
//! these is a [`BadLine`], reported with its number; the rest of the list is
//! still used.
//!
//! [`Blocklists`] matches hosts against every list: an entry covers the
//! domain and its subdomains on label boundaries (`ex.com` blocks
//! `a.ex.com`, not `notex.com`). Hosts and entries are compared in
//! lower-case punycode. An entry that is itself a public suffix (`co.uk`,
//! `blogspot.com`, per the Public Suffix List) is never widened: it blocks
//! only that exact host, and a warning says so. IP entries match only that
//! literal IP host.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::origin::normalize_host;

/// A line of a list that could not be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadLine {
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub message: String,
}

/// One entry of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Normalised host: lower-case punycode, IPv6 in brackets.
    pub host: String,
    /// 1-based line number in its list.
    pub line: u64,
    /// Whether it matches only the exact host (IP addresses, public
    /// suffixes).
    pub exact: bool,
}

/// One parsed list.
#[derive(Clone, Debug)]
pub struct Blocklist {
    /// The name given on the command line (`--blocklist NAME=PATH`).
    pub name: String,
    /// Where it was read from, for messages and provenance.
    pub source: String,
    /// SHA-256 of the list's bytes, hex.
    pub sha256: String,
    /// Usable entries, in file order (duplicates within the list removed).
    pub entries: Vec<Entry>,
    /// Lines that could not be used.
    pub bad_lines: Vec<BadLine>,
    /// Entries that are public suffixes and so match only exactly.
    pub narrowed: Vec<BadLine>,
}

const HOSTS_IGNORED: [&str; 8] = [
    "localhost",
    "localhost.localdomain",
    "local",
    "broadcasthost",
    "ip6-localhost",
    "ip6-loopback",
    "ip6-localnet",
    "0.0.0.0",
];

impl Blocklist {
    /// Parses a list's bytes.
    #[must_use]
    pub fn parse(name: &str, source: &str, bytes: &[u8]) -> Blocklist {
        let mut list = Blocklist {
            name: name.to_owned(),
            source: source.to_owned(),
            sha256: crate::digest::sha256_hex(bytes),
            entries: Vec::new(),
            bad_lines: Vec::new(),
            narrowed: Vec::new(),
        };
        let mut seen = std::collections::HashSet::new();
        for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
            let line = index as u64 + 1;
            let Ok(text) = std::str::from_utf8(raw) else {
                list.bad_lines.push(BadLine {
                    line,
                    message: "not UTF-8".into(),
                });
                continue;
            };
            let text = text.split('#').next().unwrap_or_default().trim();
            let text = if line == 1 {
                text.trim_start_matches('\u{FEFF}')
            } else {
                text
            };
            // `[Adblock Plus 2.0]` is a header; `[2001:db8::1]` an entry.
            let bracketed_ip = text
                .strip_prefix('[')
                .and_then(|t| t.split_once(']'))
                .is_some_and(|(ip, _)| ip.parse::<Ipv6Addr>().is_ok());
            if text.is_empty() || text.starts_with('!') || (text.starts_with('[') && !bracketed_ip)
            {
                continue;
            }
            for candidate in candidates(text) {
                match candidate.and_then(normalize_entry) {
                    Ok(None) => {}
                    Ok(Some((host, mut exact))) => {
                        if !exact && is_public_suffix(&host) {
                            exact = true;
                            list.narrowed.push(BadLine {
                                line,
                                message: format!(
                                    "`{host}` is a public suffix: it blocks only that exact host, not the domains below it"
                                ),
                            });
                        }
                        if seen.insert(host.clone()) {
                            list.entries.push(Entry { host, line, exact });
                        }
                    }
                    Err(message) => list.bad_lines.push(BadLine { line, message }),
                }
            }
        }
        list
    }
}

/// The host names a line holds, each still to be normalised.
fn candidates(text: &str) -> Vec<Result<&str, String>> {
    if let Some(rest) = text.strip_prefix("||") {
        let rest = rest.split('$').next().unwrap_or_default();
        let Some(host) = rest.strip_suffix('^').or_else(|| rest.strip_suffix("^|")) else {
            return vec![Err(format!(
                "adblock rule `{text}` is not of the form `||domain^`"
            ))];
        };
        return vec![Ok(host)];
    }
    if text.starts_with("@@") {
        return vec![Err(format!("adblock exception `{text}` is not supported"))];
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    match words.as_slice() {
        [one] => vec![Ok(one)],
        [address, hosts @ ..]
            if address.parse::<Ipv4Addr>().is_ok() || address.parse::<Ipv6Addr>().is_ok() =>
        {
            hosts
                .iter()
                .filter(|h| !HOSTS_IGNORED.contains(&h.to_ascii_lowercase().as_str()))
                .map(|h| Ok(*h))
                .collect()
        }
        _ => vec![Err(format!(
            "`{text}` is not a domain, a hosts-file line or an adblock rule"
        ))],
    }
}

/// Normalises one host entry: `Ok(None)` to ignore it, `Ok((host, exact))`.
fn normalize_entry(raw: &str) -> Result<Option<(String, bool)>, String> {
    let host = raw.trim_start_matches("*.").trim_start_matches('.');
    if host.contains('/')
        || (host.contains(':') && !host.contains('[') && host.parse::<Ipv6Addr>().is_err())
    {
        return Err(format!(
            "`{raw}` has a scheme, port or path: give a bare domain"
        ));
    }
    let host = normalize_host(host).ok_or_else(|| format!("`{raw}` is not a valid domain"))?;
    let exact = host.starts_with('[') || host.parse::<Ipv4Addr>().is_ok();
    Ok(Some((host, exact)))
}

fn is_public_suffix(host: &str) -> bool {
    psl::suffix(host.as_bytes()).is_some_and(|s| s.is_known() && s.as_bytes() == host.as_bytes())
}

/// The registrable domain of `host` (eTLD+1 per the Public Suffix List), or
/// the host itself when it has none (IP addresses, bare suffixes).
#[must_use]
pub fn registrable_domain(host: &str) -> &str {
    if host.starts_with('[') || host.parse::<Ipv4Addr>().is_ok() {
        return host;
    }
    psl::domain_str(host).unwrap_or(host)
}

/// A host's match in the lists.
#[derive(Clone, Copy, Debug)]
pub struct Hit<'a> {
    /// The list.
    pub list: &'a Blocklist,
    /// The matching entry.
    pub entry: &'a Entry,
}

/// A compact reference to a [`Hit`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HitRef {
    list: u32,
    entry: u32,
}

/// Every list of a run, merged into one matcher. Read-only once built.
#[derive(Clone, Debug, Default)]
pub struct Blocklists {
    lists: Vec<Blocklist>,
    /// host → (list, entry) of the first list that names it.
    index: HashMap<Box<str>, (u32, u32), foldhash::fast::RandomState>,
}

impl Blocklists {
    /// Merges `lists`; when several name a host, the first list wins.
    #[must_use]
    pub fn new(lists: Vec<Blocklist>) -> Blocklists {
        let mut index: HashMap<Box<str>, (u32, u32), _> = HashMap::default();
        for (l, list) in lists.iter().enumerate() {
            for (e, entry) in list.entries.iter().enumerate() {
                index
                    .entry(entry.host.as_str().into())
                    .or_insert((l as u32, e as u32));
            }
        }
        Blocklists { lists, index }
    }

    /// The lists.
    #[must_use]
    pub fn lists(&self) -> &[Blocklist] {
        &self.lists
    }

    /// Whether there are no entries at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The entry that blocks `host` (lower-case punycode), if any: the host
    /// itself, or the nearest parent domain on a label boundary.
    #[must_use]
    pub fn find(&self, host: &str) -> Option<Hit<'_>> {
        self.find_ref(host).map(|r| self.hit(r))
    }

    /// [`Blocklists::find`], as a compact reference to keep in tables.
    #[must_use]
    pub fn find_ref(&self, host: &str) -> Option<HitRef> {
        if self.index.is_empty() {
            return None;
        }
        let mut suffix = host;
        let mut exact = true;
        loop {
            if let Some(&(l, e)) = self.index.get(suffix) {
                let entry = &self.lists[l as usize].entries[e as usize];
                if exact || !entry.exact {
                    return Some(HitRef { list: l, entry: e });
                }
            }
            let dot = memchr::memchr(b'.', suffix.as_bytes())?;
            suffix = &suffix[dot + 1..];
            exact = false;
        }
    }

    /// The hit a [`HitRef`] from these lists stands for.
    #[must_use]
    pub fn hit(&self, r: HitRef) -> Hit<'_> {
        let list = &self.lists[r.list as usize];
        Hit {
            list,
            entry: &list.entries[r.entry as usize],
        }
    }
}

/// Reads and parses the list at `path` (plain, `.gz` or `.zst`).
///
/// # Errors
///
/// When the file cannot be read or decompressed.
pub fn load(name: &str, path: &std::path::Path) -> crate::Result<Blocklist> {
    use std::io::Read;
    let mut input = crate::corpus::Input::open(path)?;
    let mut bytes = Vec::new();
    input
        .reader
        .read_to_end(&mut bytes)
        .map_err(|e| crate::Error::io(path, e))?;
    Ok(Blocklist::parse(name, &path.display().to_string(), &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lists(text: &str) -> Blocklists {
        Blocklists::new(vec![Blocklist::parse("test", "test.txt", text.as_bytes())])
    }

    #[test]
    fn three_formats_and_comments() {
        let list = Blocklist::parse(
            "t",
            "t",
            b"# header\nplain.com\n0.0.0.0 hosts.com also.org # c\n127.0.0.1 localhost\n||adblock.net^\n||opts.net^$third-party\n! comment\n[Adblock Plus 2.0]\n*.wild.com\n\nTRAILING.COM.\n",
        );
        let hosts: Vec<_> = list.entries.iter().map(|e| e.host.as_str()).collect();
        assert_eq!(
            hosts,
            [
                "plain.com",
                "hosts.com",
                "also.org",
                "adblock.net",
                "opts.net",
                "wild.com",
                "trailing.com"
            ]
        );
        assert!(list.bad_lines.is_empty(), "{:?}", list.bad_lines);
        assert_eq!(list.entries[1].line, 3);
        assert_eq!(list.sha256.len(), 64);
    }

    #[test]
    fn bad_lines_name_their_line() {
        let list = Blocklist::parse("t", "t", b"good.com\nnot a domain line\nhttp://x.com/path\n||broken\n@@||ok.com^\nbad_\xff.com\nex ample.com\n");
        let lines: Vec<u64> = list.bad_lines.iter().map(|b| b.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
        assert_eq!(list.entries.len(), 1);
    }

    #[test]
    fn bracketed_ipv6_entries_match() {
        let lists = lists("[Adblock Plus 2.0]\n[2001:DB8::1]\n2001:db8::2\n");
        assert!(lists.find("[2001:db8::1]").is_some());
        assert!(lists.find("[2001:db8::2]").is_some());
        assert!(lists.find("[2001:db8::3]").is_none());
        let mut parser = crate::origin::UrlParser::new();
        let url = parser.parse("http://[2001:db8::1]:8080/x").unwrap();
        assert!(lists.find(url.host).is_some(), "{}", url.host);
    }

    #[test]
    fn label_boundaries() {
        let lists = lists("ex.com\n");
        assert!(lists.find("ex.com").is_some());
        assert!(lists.find("a.b.ex.com").is_some());
        assert!(lists.find("notex.com").is_none());
        assert!(lists.find("ex.com.au").is_none());
        assert!(lists.find("com").is_none());
    }

    #[test]
    fn idn_entries_match_punycode_hosts() {
        let lists = lists("bücher.de\n");
        assert!(lists.find("xn--bcher-kva.de").is_some());
        assert!(lists.find("shop.xn--bcher-kva.de").is_some());
    }

    #[test]
    fn public_suffixes_are_never_widened() {
        let list = Blocklist::parse("t", "t", b"co.uk\nblogspot.com\n");
        assert_eq!(list.narrowed.len(), 2);
        let lists = Blocklists::new(vec![list]);
        assert!(lists.find("bbc.co.uk").is_none());
        assert!(lists.find("someone.blogspot.com").is_none());
        assert!(lists.find("blogspot.com").is_some());
    }

    #[test]
    fn ip_entries_are_exact() {
        let lists = lists("10.1.2.3\n0.0.0.0 192.168.0.1\n");
        assert!(lists.find("10.1.2.3").is_some());
        assert!(lists.find("192.168.0.1").is_some());
        assert!(lists.find("4.10.1.2.3").is_none());
    }

    #[test]
    fn first_list_wins_and_registrable_domain() {
        let a = Blocklist::parse("a", "a", b"x.com\n");
        let b = Blocklist::parse("b", "b", b"x.com\ny.com\n");
        let lists = Blocklists::new(vec![a, b]);
        assert_eq!(lists.find("w.x.com").unwrap().list.name, "a");
        assert_eq!(lists.find("y.com").unwrap().list.name, "b");
        assert_eq!(registrable_domain("a.b.example.co.uk"), "example.co.uk");
        assert_eq!(registrable_domain("127.0.0.1"), "127.0.0.1");
    }
}
