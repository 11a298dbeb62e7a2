//! Which addresses the fetcher may connect to. Hosts named in a corpus are
//! chosen by whoever wrote it, and redirects by whoever runs the site: by
//! default optout connects only to public unicast addresses, so that
//! neither can make it read a service on this machine or its network
//! (server-side request forgery) and store the answer as a policy.
//!
//! Refused: loopback, private (RFC 1918, IPv6 unique local), link-local,
//! shared address space (CGNAT, RFC 6598), multicast, broadcast,
//! unspecified, documentation and other reserved ranges; IPv6 forms that
//! embed an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by
//! that address. The check is made on the addresses a name resolves to
//! (so a name that resolves to a public address once and a private one
//! later is refused then: the connection uses the checked answer) and on
//! IP literals in URLs and redirects. `--resolve` targets are the user's
//! own choice and are not checked; `--allow-private` turns the check off.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address.
#[must_use]
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let reserved = a == 0 // "this network", unspecified
        || a == 10
        || a == 127
        || (a == 100 && (64..128).contains(&b)) // shared address space
        || (a == 169 && b == 254)
        || (a == 172 && (16..32).contains(&b))
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast
        || (a == 192 && b == 168)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || (a == 198 && b == 51 && c == 100) // documentation
        || (a == 203 && b == 0 && c == 113) // documentation
        || a >= 224; // multicast, reserved, broadcast
    !reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let segments = ip.segments();
    let embedded = |hi: usize| {
        Ipv4Addr::new(
            (segments[hi] >> 8) as u8,
            segments[hi] as u8,
            (segments[hi + 1] >> 8) as u8,
            segments[hi + 1] as u8,
        )
    };
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    // IPv4-compatible (deprecated, ::a.b.c.d), also `::` and `::1`.
    if segments[..6].iter().all(|&s| s == 0) {
        return segments[6] != 0 && is_public_v4(embedded(6));
    }
    match segments[0] {
        // NAT64 well-known prefix 64:ff9b::/96 and local-use 64:ff9b:1::/48.
        0x0064 if segments[1] == 0xff9b => is_public_v4(embedded(6)),
        // 6to4: the IPv4 address follows the prefix.
        0x2002 => is_public_v4(embedded(1)),
        // Documentation 2001:db8::/32; Teredo and ORCHID sit in 2001::/23
        // with other special-purpose blocks.
        0x2001 => segments[1] >= 0x0200 && segments[1] != 0x0db8,
        s if s & 0xfe00 == 0xfc00 => false, // unique local fc00::/7
        s if s & 0xffc0 == 0xfe80 => false, // link-local fe80::/10
        s if s & 0xffc0 == 0xfec0 => false, // site-local (deprecated)
        s if s & 0xff00 == 0xff00 => false, // multicast
        // Only 2000::/3 is allocated as global unicast.
        s => s & 0xe000 == 0x2000,
    }
}

/// The error a refused address gives, so the fetcher can tell it from a
/// failed connection.
#[derive(Debug, thiserror::Error)]
#[error("refused to connect to `{host}`: {why} (pass --allow-private to allow)")]
pub struct BlockedAddress {
    /// The host asked for.
    pub host: String,
    /// Why: which address, of what kind.
    pub why: String,
}

/// Why a host given as an IP literal is refused, if it is.
#[must_use]
pub fn literal_refused(host: &url::Host<&str>) -> Option<String> {
    let ip = match host {
        url::Host::Ipv4(v4) => IpAddr::V4(*v4),
        url::Host::Ipv6(v6) => IpAddr::V6(*v6),
        url::Host::Domain(_) => return None,
    };
    (!is_public(ip)).then(|| format!("{ip} is not a public address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Address classes from the IANA IPv4 and IPv6 special-purpose
    /// address registries (RFC 6890 and updates).
    #[test]
    fn special_purpose_addresses_are_refused() {
        let refused = [
            "0.0.0.0",
            "10.1.2.3",
            "127.0.0.1",
            "127.0.0.2",
            "100.64.0.1",
            "100.127.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "64:ff9b::7f00:1",
            "64:ff9b::a00:1",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "100::1",
        ];
        for ip in refused {
            assert!(!is_public(ip.parse().unwrap()), "{ip} must be refused");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "93.184.216.34",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.0.1",
            "172.32.0.1",
            "192.0.1.1",
            "192.169.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2606:4700::1111",
            "2a00:1450::1",
            "2001:4860:4860::8888",
        ];
        for ip in public {
            assert!(is_public(ip.parse().unwrap()), "{ip} is public");
        }
    }

    #[test]
    fn literals() {
        let url = url::Url::parse("http://[::ffff:7f00:1]:8080/").unwrap();
        assert!(literal_refused(&url.host().unwrap()).is_some());
        let url = url::Url::parse("http://0x7f.1/").unwrap();
        assert!(
            literal_refused(&url.host().unwrap()).is_some(),
            "127.0.0.1 in hex"
        );
        let url = url::Url::parse("http://localhost/").unwrap();
        assert!(
            literal_refused(&url.host().unwrap()).is_none(),
            "names are resolved"
        );
    }
}
