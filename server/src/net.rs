//! Where the requests the server makes on an app's behalf (cloud code's `http` host call and
//! webhooks, push hooks, OpenID Connect JWKS fetches) may connect, and the one HTTP client that keeps to it ([`client`]).
//!
//! A server runs many apps, and each app's developers choose the hosts their code may call
//! (`functions.httpAllow`, `https` webhooks, a push hook's URL, a sign-in provider's JWKS URL). Without a check here, one app's code could reach
//! what sits next to the server: the server itself, the database's host, a cloud's metadata
//! address. So by default these requests reach public addresses only. A name is checked on the
//! addresses it resolves to when the connection is made (a name cannot answer a public address
//! to a check and a private one to the call); an address written in the URL is checked before
//! the request. The operator may allow private networks (`outbound_private_network`), for
//! webhooks on the same machine or network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// What a refused connection answers, with the way to allow it.
const HINT: &str = "requests made on an app's behalf reach public addresses only on this server (the operator may allow private networks with HEARTH_OUTBOUND_PRIVATE_NETWORK=true)";

/// Whether `ip` is a public address: not loopback, private, link-local, shared (CGNAT),
/// unspecified, multicast, broadcast, documentation, benchmarking or reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && ip.octets()[2] == 0)
        || (a == 198 && (18..20).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    let o = ip.octets();
    // Forms carrying an IPv4 address: NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by it.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    !(s[..6] == [0; 6] // ::/96: unspecified, loopback and IPv4-compatible
        || s[..6] == [0, 0, 0, 0, 0xffff, 0] // SIIT (::ffff:0:a.b.c.d)
        || s[..3] == [0x64, 0xff9b, 1] // local-use NAT64 (64:ff9b:1::/48)
        || s[..4] == [0x100, 0, 0, 0] // discard (100::/64)
        || (s[0] == 0x2001 && s[1] < 0x200) // IETF protocol assignments (2001::/23; Teredo among them)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0) // site-local
}

/// Refuses a URL whose host is a non-public address written as such (names are checked when
/// they resolve).
pub fn check_url(url: &reqwest::Url, private_network: bool) -> Result<(), String> {
    let host = url.host_str().unwrap_or_default();
    let Ok(ip) = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>() else { return Ok(()) };
    if private_network || is_public(ip) { Ok(()) } else { Err(format!("{ip} is not a public address: {HINT}")) }
}

/// The HTTP client's resolver: the system's, keeping only the addresses these requests may reach.
pub struct Resolver {
    pub private_network: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let private_network = self.private_network;
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.into_iter().filter(|a| private_network || is_public(a.ip())).collect();
            if allowed.is_empty() {
                return Err(format!("{host} has no public address: {HINT}").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// An error with its causes, as one line (reqwest's own text leaves them out).
pub fn error_text(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = cause.source();
    }
    text
}

/// The client for requests made on an app's behalf: straight to the addresses [`Resolver`]
/// allows (never through a proxy, which would resolve names itself), no redirects (a public
/// host could redirect to a private one), and a deadline for the whole request.
pub fn client(private_network: bool, timeout: std::time::Duration) -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Resolver { private_network })
        .timeout(timeout)
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2001:db8::1",
            "ff02::1",
            "::7f00:1",
            "::ffff:0:7f00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:a00:1::",
            "2001::1",
            "2001:0:4136:e378::1",
            "fec0::1",
            "100::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "100.128.0.1",
            "172.32.0.1",
            "2606:4700::1111",
            "::ffff:1.1.1.1",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2a00:1450::1",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn addresses_in_urls_are_checked_and_names_left_to_the_resolver() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert!(check_url(&url("http://127.0.0.1:8080/x"), false).unwrap_err().contains("HEARTH_OUTBOUND_PRIVATE_NETWORK"));
        assert!(check_url(&url("http://[::1]/x"), false).is_err());
        // Other ways of writing an IPv4 address are written the usual way by the URL parser.
        for other in
            ["http://2130706433/", "http://0x7f.1/", "http://127.1/", "http://0/", "http://[::ffff:127.0.0.1]/", "http://169.254.169.254./"]
        {
            assert!(check_url(&url(other), false).is_err(), "{other}");
        }
        assert!(check_url(&url("http://127.0.0.1/x"), true).is_ok());
        assert!(check_url(&url("https://1.1.1.1/x"), false).is_ok());
        assert!(check_url(&url("https://example.com/x"), false).is_ok());
    }

    #[tokio::test]
    async fn names_resolving_to_private_addresses_are_refused() {
        let refused = Resolver { private_network: false }.resolve("localhost".parse().unwrap()).await;
        assert!(refused.err().unwrap().to_string().contains("has no public address"));
        let allowed = Resolver { private_network: true }.resolve("localhost".parse().unwrap()).await.unwrap();
        assert!(allowed.into_iter().all(|a| a.ip().is_loopback()));
    }
}
