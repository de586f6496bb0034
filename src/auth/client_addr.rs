//! The client address of a request, for the audit log and rate limits. Behind a reverse proxy
//! the TCP peer is the proxy; only a proxy we trust may tell us who its client was, in
//! `X-Forwarded-For`. Anyone else's header is ignored, so a client cannot choose its address.

use std::net::IpAddr;

/// The client of a request whose TCP peer is `peer` and whose `X-Forwarded-For` header lines
/// are `forwarded`: the peer itself unless it is trusted; otherwise the nearest address in the
/// chain (read from the right, as each proxy appends) that is not a trusted proxy. A chain of
/// only trusted proxies, or one holding something unreadable at the point we stop, falls back
/// to the last address we could trust.
pub fn resolve<'a>(
    peer: IpAddr,
    forwarded: impl Iterator<Item = &'a str>,
    trusted: &[IpAddr],
) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let hops: Vec<&str> = forwarded.flat_map(|line| line.split(',')).map(str::trim).collect();
    let mut client = peer;
    for hop in hops.iter().rev() {
        match parse_hop(hop) {
            Some(ip) if trusted.contains(&ip) => client = ip,
            Some(ip) => return ip,
            None => return client,
        }
    }
    client
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5`, `[::1]:5`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    hop.strip_prefix('[').and_then(|h| h.strip_suffix(']')).and_then(|h| h.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_claims() {
        let peer = ip("203.0.113.7");
        let client = resolve(peer, ["198.51.100.1"].into_iter(), &[ip("10.0.0.1")]);
        assert_eq!(client, peer);
        assert_eq!(resolve(peer, ["198.51.100.1"].into_iter(), &[]), peer);
    }

    #[test]
    fn behind_trusted_proxies_the_nearest_untrusted_hop_is_the_client() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let chain = ["6.6.6.6, 198.51.100.9", "10.0.0.2"];
        assert_eq!(resolve(ip("10.0.0.1"), chain.into_iter(), &trusted), ip("198.51.100.9"));
        let ported = ["[2001:db8::5]:443"];
        assert_eq!(resolve(ip("10.0.0.1"), ported.into_iter(), &trusted), ip("2001:db8::5"));
    }

    #[test]
    fn a_trusted_proxy_without_a_usable_header_is_the_client() {
        let trusted = [ip("10.0.0.1")];
        assert_eq!(resolve(ip("10.0.0.1"), std::iter::empty(), &trusted), ip("10.0.0.1"));
        let junk = ["not an address"];
        assert_eq!(resolve(ip("10.0.0.1"), junk.into_iter(), &trusted), ip("10.0.0.1"));
    }
}
