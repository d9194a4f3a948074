//! [`ToSocketAddrs`]: what `connect` and `bind` accept — an address, or a host name to resolve.

use std::io;
use std::net::{IpAddr, SocketAddr};

use super::dns;

/// Anything that names one or more socket addresses: a `SocketAddr`, `(IpAddr, u16)`,
/// `(&str, u16)` with a host name or a literal IP, `"host:port"`, or a slice of addresses.
///
/// Names are resolved on the blocking pool through the loop's cached resolver
/// ([`dns::lookup_host`]); literal addresses are not looked up.
pub trait ToSocketAddrs {
    /// Resolves to the addresses, in the resolver's order.
    #[expect(async_fn_in_trait, reason = "loop-local futures are never Send")]
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>>;
}

impl ToSocketAddrs for SocketAddr {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![*self])
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::from(*self)])
    }
}

impl ToSocketAddrs for [SocketAddr] {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
}

impl ToSocketAddrs for (&str, u16) {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        let (host, port) = *self;
        if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
            return Ok(vec![SocketAddr::new(ip, port)]);
        }
        dns::lookup_host(host, port).await
    }
}

impl ToSocketAddrs for (String, u16) {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        (self.0.as_str(), self.1).to_socket_addrs().await
    }
}

impl ToSocketAddrs for str {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr]);
        }
        let (host, port) = self.rsplit_once(':').ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid address {self:?}: expected host:port"),
            )
        })?;
        let port: u16 = port.parse().map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid port in address {self:?}"),
            )
        })?;
        (host, port).to_socket_addrs().await
    }
}

impl ToSocketAddrs for String {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        self.as_str().to_socket_addrs().await
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    async fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        (**self).to_socket_addrs().await
    }
}

/// Resolves `addr` and fails with `InvalidInput` when it names no address.
pub(crate) async fn resolve_nonempty(
    addr: &(impl ToSocketAddrs + ?Sized),
) -> io::Result<Vec<SocketAddr>> {
    let addrs = addr.to_socket_addrs().await?;
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the address resolved to no socket address",
        ));
    }
    Ok(addrs)
}
