//! Who the client is. The TCP peer, unless the peer is a proxy listed in
//! `server.trusted_proxies`: then the address that proxy reports, from `Forwarded` (RFC 7239,
//! its `for=`) or `X-Forwarded-For`. The rate limits, the handlers and the request log all ask
//! here, so that they agree on one address and no one else reads those headers.
//!
//! The rule: walk the reported hops from the right (the hop the nearest proxy added) and take
//! the first one that is not itself a trusted proxy. Everything left of it was written by the
//! client and proves nothing. A hop that cannot be read (`unknown`, an obfuscated name, garbage)
//! stops the walk at the nearest trusted proxy, as does a request carrying both headers with
//! different answers: either way the client cannot choose its own address.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use actix_web::http::header::{HeaderMap, HeaderName, FORWARDED};
use actix_web::{web, HttpRequest};
use serde::{Deserialize, Deserializer};

use crate::state::AppState;

const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

/// An address or a CIDR block, IPv4 or IPv6: `10.0.0.7`, `10.0.0.0/8`, `2001:db8::/32`, `::1`.
/// ipnet's `IpNet` does the arithmetic; what is ours is what a trusted proxy may be (see
/// [`FromStr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network(ipnet::IpNet);

impl Network {
    /// Whether `addr` is inside (an IPv4-mapped IPv6 address counts as its IPv4 address).
    pub fn contains(&self, addr: IpAddr) -> bool {
        self.0.contains(&addr.to_canonical())
    }
}

/// The widest block accepted as trusted proxies.
const MIN_PREFIX: u8 = 8;

impl FromStr for Network {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("`{s}` is not an IP address or a CIDR block (e.g. 10.0.0.0/8, 2001:db8::/32)");
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((addr, prefix)) => (addr, Some(prefix)),
            None => (s.trim(), None),
        };
        let addr: IpAddr = addr.parse().map_err(|_| bad())?;
        let width = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            // Digits only: `u8::from_str` would also take `+8`.
            Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => p.parse::<u8>().map_err(|_| bad())?,
            Some(_) => return Err(bad()),
            None => width,
        };
        if prefix > width {
            return Err(bad());
        }
        // `::ffff:10.0.0.7` is how a dual-stack socket shows an IPv4 peer: the same network.
        let (base, prefix) = match addr {
            IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (IpAddr::V4(v4), prefix - 96),
                None => (addr, prefix),
            },
            _ => (addr, prefix),
        };
        // A block wider than /8 holds strangers, not proxies: trusting it would let any of them
        // name itself a client (`0.0.0.0/0` would undo the whole rule).
        if prefix < MIN_PREFIX {
            return Err(format!("`{s}` is wider than /{MIN_PREFIX}: list the proxies, not the internet"));
        }
        Ok(Network(ipnet::IpNet::new(base, prefix).map_err(|_| bad())?))
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.0.addr(), self.0.prefix_len())
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// The client of `req`: see the module's rule; the trusted proxies come from the application's
/// settings. `None` only for a request with no peer (a test request built in memory).
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let trusted = req.app_data::<web::Data<AppState>>().map(|s| s.settings.server.trusted_proxies.as_slice());
    Some(client_addr(peer, req.headers(), trusted.unwrap_or_default()))
}

/// The client of a request from `peer` with `headers`, believing forwarding headers only from
/// the `trusted` proxies.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[Network]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |addr: IpAddr| trusted.iter().any(|n| n.contains(addr));
    if !is_trusted(peer) {
        return peer;
    }
    let rightmost_untrusted = |hops: Vec<Option<IpAddr>>| {
        // The nearest proxy that vouches for the next hop to the left.
        let mut nearest = peer;
        for hop in hops.into_iter().rev() {
            match hop {
                Some(addr) if is_trusted(addr) => nearest = addr,
                Some(addr) => return addr,
                None => return nearest,
            }
        }
        nearest
    };
    let forwarded = hops(headers, &FORWARDED, forwarded_element).map(rightmost_untrusted);
    let x_forwarded_for = hops(headers, &X_FORWARDED_FOR, parse_node).map(rightmost_untrusted);
    match (forwarded, x_forwarded_for) {
        (Some(a), Some(b)) if a != b => peer,
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) => peer,
    }
}

/// The key the rate limits count under: an IPv4 address itself, an IPv6 address's /64 (a home
/// or a server is given a whole /64, so its addresses are one client).
pub fn limit_key(addr: IpAddr) -> IpAddr {
    match addr.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !(u64::MAX as u128))),
        v4 => v4,
    }
}

/// The hops of every `name` header, left to right (several header lines are one list), each read
/// by `hop`; `None` when there is no such header. A header that is not text is one unreadable
/// hop. `Forwarded` has quoted-strings that may hold commas; `X-Forwarded-For` has none.
fn hops(headers: &HeaderMap, name: &HeaderName, hop: fn(&str) -> Option<IpAddr>) -> Option<Vec<Option<IpAddr>>> {
    let mut values = headers.get_all(name).peekable();
    values.peek()?;
    let quoted = name == FORWARDED;
    let mut hops = Vec::new();
    for value in values {
        let Ok(text) = value.to_str() else {
            hops.push(None);
            continue;
        };
        let elements = if quoted { split_outside_quotes(text, ',') } else { text.split(',').collect() };
        hops.extend(elements.into_iter().filter(|e| !e.trim().is_empty()).map(hop));
    }
    Some(hops)
}

/// The `for=` of one `Forwarded` element (`for=192.0.2.60;proto=http;by=203.0.113.43`).
fn forwarded_element(element: &str) -> Option<IpAddr> {
    let value = split_outside_quotes(element, ';').into_iter().find_map(|pair| {
        let (name, value) = pair.split_once('=')?;
        name.trim().eq_ignore_ascii_case("for").then_some(value.trim())
    })?;
    match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        // A quoted-string: `\x` stands for `x`.
        Some(quoted) => parse_node(&unescape(quoted)),
        None => parse_node(value),
    }
}

fn unescape(quoted: &str) -> String {
    let mut out = String::with_capacity(quoted.len());
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next().unwrap_or('\\') } else { c });
    }
    out
}

/// A node as proxies write it: `192.0.2.43`, `192.0.2.43:47011`, `2001:db8::17`,
/// `[2001:db8::17]`, `[2001:db8::17]:4711`. `unknown` and obfuscated names are `None`.
fn parse_node(node: &str) -> Option<IpAddr> {
    let node = node.trim();
    let addr = if let Some(rest) = node.strip_prefix('[') {
        IpAddr::V6(rest.split_once(']')?.0.parse().ok()?)
    } else if let Ok(addr) = node.parse::<IpAddr>() {
        addr
    } else {
        let (host, _port) = node.split_once(':')?;
        IpAddr::V4(host.parse::<Ipv4Addr>().ok()?)
    };
    Some(addr.to_canonical())
}

/// Splits at `separator` outside quoted-strings, reading from the right: the right end is what
/// the nearest proxy wrote, so a stray quote that the client wrote further left cannot change
/// how the proxy's part is read. A `"` after an odd run of backslashes is an escaped one.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut parts = Vec::new();
    let (mut end, mut quoted) = (text.len(), false);
    for (i, c) in text.char_indices().rev() {
        if c == '"' {
            // Each backslash is counted once: by the quote that ends its run.
            let backslashes = bytes[..i].iter().rev().take_while(|b| **b == b'\\').count();
            if backslashes % 2 == 0 {
                quoted = !quoted;
            }
        } else if c == separator && !quoted {
            parts.push(&text[i + c.len_utf8()..end]);
            end = i;
        }
    }
    parts.push(&text[..end]);
    parts.reverse();
    parts
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;
    use proptest::prelude::*;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    fn nets(list: &[&str]) -> Vec<Network> {
        list.iter().map(|s| s.parse().expect("a network")).collect()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_str(value).expect("a header value"));
        }
        map
    }

    fn client(peer: &str, trusted: &[&str], pairs: &[(&'static str, &str)]) -> IpAddr {
        client_addr(ip(peer), &headers(pairs), &nets(trusted))
    }

    #[test]
    fn blocks_wider_than_a_slash_8_are_refused() {
        for wide in ["0.0.0.0/0", "::/0", "128.0.0.0/1", "2000::/3", "::ffff:0.0.0.0/96"] {
            assert!(wide.parse::<Network>().is_err(), "{wide}");
        }
        assert!("fd00::/8".parse::<Network>().is_ok());
    }

    #[test]
    fn networks_parse_addresses_and_blocks() {
        let n: Network = "10.0.0.0/8".parse().expect("valid");
        assert!(n.contains(ip("10.200.3.4")) && !n.contains(ip("11.0.0.1")));
        assert!(n.contains(ip("::ffff:10.1.1.1")), "an IPv4-mapped peer is its IPv4 address");
        let one: Network = "192.0.2.7".parse().expect("valid");
        assert!(one.contains(ip("192.0.2.7")) && !one.contains(ip("192.0.2.8")));
        let v6: Network = "2001:db8::/32".parse().expect("valid");
        assert!(v6.contains(ip("2001:db8:ffff::1")) && !v6.contains(ip("2001:db9::1")));
        assert!(!v6.contains(ip("10.0.0.1")));
        let mapped: Network = "::ffff:10.0.0.0/104".parse().expect("valid");
        assert_eq!(mapped.to_string(), "10.0.0.0/8");
        assert_eq!("::1".parse::<Network>().expect("valid").to_string(), "::1/128");
        for bad in ["", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/+8", "10.0.0.0/8/8", "example.org", "10.0.0"] {
            assert!(bad.parse::<Network>().is_err(), "{bad:?} is refused");
        }
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_says() {
        let forged = [("x-forwarded-for", "203.0.113.9"), ("forwarded", "for=203.0.113.10")];
        assert_eq!(client("198.51.100.1", &[], &forged), ip("198.51.100.1"));
        assert_eq!(client("198.51.100.1", &["10.0.0.0/8"], &forged), ip("198.51.100.1"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client() {
        let trusted = ["10.0.0.0/8"];
        assert_eq!(client("10.0.0.1", &trusted, &[("x-forwarded-for", "203.0.113.9")]), ip("203.0.113.9"));
        // What the client wrote itself is left of what the proxy added.
        assert_eq!(client("10.0.0.1", &trusted, &[("x-forwarded-for", "1.1.1.1, 203.0.113.9")]), ip("203.0.113.9"));
        // Several header lines are one list.
        let two_lines = [("x-forwarded-for", "1.1.1.1"), ("x-forwarded-for", "203.0.113.9")];
        assert_eq!(client("10.0.0.1", &trusted, &two_lines), ip("203.0.113.9"));
        // Proxies in a chain are skipped.
        assert_eq!(client("10.0.0.1", &trusted, &[("x-forwarded-for", "203.0.113.9, 10.0.0.2")]), ip("203.0.113.9"));
        // No header: the proxy's own request.
        assert_eq!(client("10.0.0.1", &trusted, &[]), ip("10.0.0.1"));
        // Every hop a proxy: the farthest one.
        assert_eq!(client("10.0.0.1", &trusted, &[("x-forwarded-for", "10.0.0.3, 10.0.0.2")]), ip("10.0.0.3"));
        // Ports, brackets, mapped addresses.
        assert_eq!(client("10.0.0.1", &trusted, &[("x-forwarded-for", "203.0.113.9:5555")]), ip("203.0.113.9"));
        assert_eq!(client("10.0.0.1", &trusted, &[("x-forwarded-for", "[2001:db8::1]:443")]), ip("2001:db8::1"));
        assert_eq!(
            client("::ffff:10.0.0.1", &trusted, &[("x-forwarded-for", "::ffff:203.0.113.9")]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn forwarded_is_read_as_rfc_7239_writes_it() {
        let trusted = ["10.0.0.0/8", "2001:db8:ffff::/48"];
        let cases = [
            ("for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60"),
            ("For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17"),
            ("for=\"192.0.2.43:47011\"", "192.0.2.43"),
            ("for=192.0.2.43, for=198.51.100.17", "198.51.100.17"),
            ("for=192.0.2.43, for=\"[2001:db8:ffff::1]\";proto=https", "192.0.2.43"),
            ("proto=https;for=\"198.51.100.17\"", "198.51.100.17"),
            // A quoted comma is not a separator.
            ("for=192.0.2.43;host=\"a,b\"", "192.0.2.43"),
            ("for=192.0.2.43;host=\"a\\\",b\"", "192.0.2.43"),
            // A stray quote the client wrote does not swallow what the proxy appended.
            ("for=\"1.1.1.1, for=192.0.2.43", "192.0.2.43"),
            ("for=1.1.1.1;x=\"\\\", for=\"192.0.2.43\"", "192.0.2.43"),
        ];
        for (value, expected) in cases {
            assert_eq!(client("10.0.0.1", &trusted, &[("forwarded", value)]), ip(expected), "{value}");
        }
    }

    #[test]
    fn a_hop_that_cannot_be_read_stops_at_the_nearest_proxy() {
        let trusted = ["10.0.0.0/8"];
        for value in ["for=unknown", "for=_hidden", "by=10.0.0.2", "for=\"[2001:db8::1\"", "garbage"] {
            assert_eq!(client("10.0.0.1", &trusted, &[("forwarded", value)]), ip("10.0.0.1"), "{value}");
        }
        let behind = [("x-forwarded-for", "203.0.113.9, unknown, 10.0.0.2")];
        assert_eq!(client("10.0.0.1", &trusted, &behind), ip("10.0.0.2"));
        let mut map = HeaderMap::new();
        map.append(X_FORWARDED_FOR, HeaderValue::from_bytes(b"203.0.113.\xff").expect("bytes"));
        assert_eq!(client_addr(ip("10.0.0.1"), &map, &nets(&trusted)), ip("10.0.0.1"));
    }

    #[test]
    fn two_headers_that_disagree_name_no_one() {
        let trusted = ["10.0.0.0/8"];
        let agree = [("forwarded", "for=203.0.113.9"), ("x-forwarded-for", "203.0.113.9")];
        assert_eq!(client("10.0.0.1", &trusted, &agree), ip("203.0.113.9"));
        let disagree = [("forwarded", "for=198.51.100.1"), ("x-forwarded-for", "203.0.113.9")];
        assert_eq!(client("10.0.0.1", &trusted, &disagree), ip("10.0.0.1"));
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), ip("2001:db8:1:2::"));
        assert_ne!(limit_key(ip("2001:db8:1:3::1")), limit_key(ip("2001:db8:1:2::1")));
        assert_eq!(limit_key(ip("203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
    }

    fn any_addr() -> impl Strategy<Value = IpAddr> {
        prop_oneof![any::<u32>().prop_map(|a| IpAddr::V4(a.into())), any::<u128>().prop_map(|a| IpAddr::V6(a.into()))]
    }

    proptest! {
        /// Whatever a client writes in either header, once the trusted proxy has appended the
        /// address it saw, that address is the client.
        #[test]
        fn what_the_client_writes_cannot_move_it(
            written in proptest::collection::vec("[ -~]{0,40}", 0..4),
            real in any_addr(),
            rfc_7239 in any::<bool>(),
        ) {
            let trusted = nets(&["10.0.0.0/8", "fd00::/8"]);
            prop_assume!(!trusted.iter().any(|n| n.contains(real)));
            let real = real.to_canonical();
            let mut map = HeaderMap::new();
            let (name, appended) = if rfc_7239 {
                (FORWARDED, format!("for=\"{}\"", std::net::SocketAddr::new(real, 443)))
            } else {
                (X_FORWARDED_FOR, real.to_string())
            };
            let mut value = written.join(",");
            value.push_str(&format!(", {appended}"));
            map.append(name, HeaderValue::from_str(&value).expect("printable"));
            prop_assert_eq!(client_addr(ip("10.0.0.1"), &map, &trusted), real);
        }

        /// Without a trusted proxy in front, headers are never believed.
        #[test]
        fn an_untrusted_peer_is_never_moved(
            peer in any_addr(),
            xff in "[ -~]{0,60}",
            forwarded in "[ -~]{0,60}",
        ) {
            let trusted = nets(&["10.0.0.0/8"]);
            prop_assume!(!trusted.iter().any(|n| n.contains(peer)));
            let mut map = HeaderMap::new();
            map.append(X_FORWARDED_FOR, HeaderValue::from_str(&xff).expect("printable"));
            map.append(FORWARDED, HeaderValue::from_str(&forwarded).expect("printable"));
            prop_assert_eq!(client_addr(peer, &map, &trusted), peer.to_canonical());
        }

        #[test]
        fn a_64_is_one_key(a in any::<u128>(), b in any::<u64>()) {
            let other = (a & !(u64::MAX as u128)) | u128::from(b);
            prop_assert_eq!(limit_key(IpAddr::V6(a.into())), limit_key(IpAddr::V6(other.into())));
        }
    }
}
