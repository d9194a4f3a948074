//! The connection pool (aiohttp's `TCPConnector`): a total limit and a per-host limit on
//! requests in flight, idle keep-alive connections with an expiry, a cached resolver, TLS with
//! ALPN choosing HTTP/2, and HTTP/2 connections shared by all requests to a host.

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use asyncio::net::{Resolver, TcpStream};
use asyncio::sync::{Permit, Semaphore};
use asyncio::tls::TlsConnector;
use futures_io::{AsyncRead, AsyncWrite};
use hyper::client::conn::{http1, http2};

use super::proxy::{ProxyScheme, Via};
use super::tunnel::{self as handshakes, Target};

use crate::error::{Error, Result, TimeoutKind};

/// The request body type the pool's connections take.
pub(crate) type Body = super::body::RequestBody;

/// Where a connection goes, and through which proxy.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) via: Option<Via>,
}

impl Key {
    /// Whether requests on this connection go to a forward proxy (absolute-form request
    /// line, `Proxy-Authorization`).
    pub(crate) fn forwarded(&self) -> Option<&Via> {
        self.via.as_ref().filter(|v| v.forwards(self.https))
    }
}

/// A byte stream of any kind (through a proxy, TLS in TLS): boxed, since the proxied paths
/// are rarer than the direct ones and need not be monomorphised.
pub(crate) trait IoStream: AsyncRead + AsyncWrite + Unpin {}
impl<T: AsyncRead + AsyncWrite + Unpin> IoStream for T {}
pub(crate) type BoxIo = Box<dyn IoStream>;

/// A connection ready for one request.
pub(crate) enum Sender {
    H1(http1::SendRequest<Body>, ConnTask),
    H2(http2::SendRequest<Body>),
}

/// The task driving an HTTP/1 connection: dropped anywhere but in the pool, it stops, and the
/// socket closes. hyper's own task would otherwise wait for the response of a request its
/// caller abandoned (cancelled, timed out) for as long as the server takes.
pub(crate) struct ConnTask(asyncio::Task);

impl Drop for ConnTask {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

/// A connection taken for a request, with what it took from the limits.
pub(crate) struct Lease {
    pub(crate) sender: Sender,
    /// Whether it came from the pool (a failure before any response may be a stale
    /// keep-alive connection: worth one retry for idempotent requests).
    pub(crate) reused: bool,
    pub(crate) key: Key,
    /// The address of the server at the other end.
    pub(crate) peer: Option<SocketAddr>,
    /// How long making it took, when it is new.
    pub(crate) phases: Phases,
    pub(crate) _permits: (Option<Permit>, Option<Permit>),
}

/// How long a new connection's steps took (all `None` for a pooled one): for the request's
/// trace span and [`RequestRecord`](super::RequestRecord).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Phases {
    /// The name lookup (`None` for an IP address; a cached answer takes next to nothing).
    pub(crate) dns: Option<Duration>,
    /// The TCP connect (to the proxy, through one).
    pub(crate) connect: Option<Duration>,
    /// The TLS handshake with the target.
    pub(crate) tls: Option<Duration>,
}

struct Idle {
    sender: http1::SendRequest<Body>,
    conn: ConnTask,
    peer: Option<SocketAddr>,
    since: Instant,
}

#[derive(Default)]
struct HostPool {
    idle: Vec<Idle>,
    h2: Option<(http2::SendRequest<Body>, Option<SocketAddr>)>,
    limit: Option<Semaphore>,
}

/// Connector settings (aiohttp's `TCPConnector` arguments).
#[derive(Clone, Debug)]
pub struct ConnectorConfig {
    /// Requests in flight across all hosts (default 100; `0`: unlimited).
    pub limit: usize,
    /// Requests in flight per host (default `0`: unlimited).
    pub limit_per_host: usize,
    /// How long an idle connection stays in the pool (aiohttp: 15 s).
    pub keepalive_timeout: Duration,
    /// How long resolved addresses are reused (aiohttp's `ttl_dns_cache`: 10 s).
    pub dns_ttl: Duration,
    /// Speak HTTP/2 over cleartext by prior knowledge (`http://` URLs).
    pub http2_prior_knowledge: bool,
    /// Offer HTTP/2 through ALPN on TLS (default on).
    pub http2: bool,
    /// The TLS connector (default: webpki and system roots, verification on).
    pub tls: Option<TlsConnector>,
    /// Accept any certificate, for targets and proxies alike (with `tls` unset). Dangerous:
    /// anyone on the path can read and change the traffic (aiohttp's `ssl=False`).
    pub accept_invalid_certs: bool,
    /// The most response headers accepted (default 100, hyper's); the header block is also
    /// bounded by hyper's read buffer (about 400 KiB).
    pub max_headers: usize,
}

impl Default for ConnectorConfig {
    fn default() -> Self {
        Self {
            limit: 100,
            limit_per_host: 0,
            keepalive_timeout: Duration::from_secs(15),
            dns_ttl: Duration::from_secs(10),
            http2_prior_knowledge: false,
            http2: true,
            tls: None,
            accept_invalid_certs: false,
            max_headers: 100,
        }
    }
}

pub(crate) struct Connector {
    config: ConnectorConfig,
    total: Option<Semaphore>,
    hosts: RefCell<HashMap<Key, HostPool>>,
    resolver: Resolver,
    tls: RefCell<Option<TlsConnector>>,
}

impl Connector {
    pub(crate) fn new(config: ConnectorConfig) -> Rc<Self> {
        Rc::new(Self {
            total: (config.limit > 0).then(|| Semaphore::new(config.limit)),
            resolver: Resolver::new(config.dns_ttl),
            tls: RefCell::new(config.tls.clone()),
            hosts: RefCell::new(HashMap::new()),
            config,
        })
    }

    /// Idle connections across all hosts (for tests and metrics).
    pub(crate) fn idle_count(&self) -> usize {
        self.hosts.borrow().values().map(|h| h.idle.len()).sum()
    }

    /// Takes a connection for `key`: waits for the limits, reuses an idle one or connects.
    pub(crate) async fn acquire(
        self: &Rc<Self>,
        key: &Key,
        url: &str,
        sock_connect: Option<Duration>,
        trace: &super::Tracers,
    ) -> Result<Lease> {
        let total = match &self.total {
            Some(s) => Some(s.acquire().await),
            None => None,
        };
        let host_limit = {
            let mut hosts = self.hosts.borrow_mut();
            let pool = hosts.entry(key.clone()).or_default();
            if pool.limit.is_none() && self.config.limit_per_host > 0 {
                pool.limit = Some(Semaphore::new(self.config.limit_per_host));
            }
            pool.limit.clone()
        };
        let per_host = match host_limit {
            Some(s) => Some(s.acquire().await),
            None => None,
        };
        let permits = (total, per_host);
        if let Some((sender, peer)) = self.take_idle(key) {
            trace.each(|t| t.connection_reuse(&key.host));
            return Ok(Lease {
                sender,
                reused: true,
                key: key.clone(),
                peer,
                phases: Phases::default(),
                _permits: permits,
            });
        }
        trace.each(|t| t.connection_create_start(&key.host));
        let started = asyncio::time::now();
        // Boxed: connecting (DNS, Happy Eyeballs, TLS, the handshake) needs kilobytes of
        // state that a request on a pooled connection never uses; inline, every in-flight
        // request's future would carry it.
        let connect = Box::pin(self.connect(key, url, trace));
        let (sender, peer, phases) = match sock_connect {
            Some(d) => asyncio::time::timeout(d, connect)
                .await
                .map_err(|_| Error::Timeout {
                    url: url.to_owned(),
                    kind: TimeoutKind::SockConnect,
                })??,
            None => connect.await?,
        };
        trace.each(|t| t.connection_create_end(&key.host, started.elapsed()));
        Ok(Lease {
            sender,
            reused: false,
            key: key.clone(),
            peer,
            phases,
            _permits: permits,
        })
    }

    fn take_idle(&self, key: &Key) -> Option<(Sender, Option<SocketAddr>)> {
        let mut hosts = self.hosts.borrow_mut();
        let pool = hosts.get_mut(key)?;
        if let Some((h2, peer)) = &pool.h2 {
            if h2.is_ready() {
                return Some((Sender::H2(h2.clone()), *peer));
            }
            pool.h2 = None;
        }
        let expiry = self.config.keepalive_timeout;
        let now = asyncio::time::now();
        while let Some(idle) = pool.idle.pop() {
            if now.duration_since(idle.since) < expiry && idle.sender.is_ready() {
                return Some((Sender::H1(idle.sender, idle.conn), idle.peer));
            }
            // Expired or closed by the server: dropping it closes the connection.
        }
        None
    }

    /// Returns an HTTP/1 connection whose exchange finished.
    pub(crate) fn release(
        &self,
        key: &Key,
        sender: http1::SendRequest<Body>,
        conn: ConnTask,
        peer: Option<SocketAddr>,
    ) {
        if sender.is_closed() {
            return;
        }
        let mut hosts = self.hosts.borrow_mut();
        hosts.entry(key.clone()).or_default().idle.push(Idle {
            sender,
            conn,
            peer,
            since: asyncio::time::now(),
        });
    }

    /// The TLS connector for target connections (ALPN offering h2 when enabled).
    fn tls(&self) -> std::io::Result<TlsConnector> {
        if let Some(t) = &*self.tls.borrow() {
            return Ok(t.clone());
        }
        let t = if self.config.http2 {
            self.own_tls(&["h2", "http/1.1"])?
        } else {
            self.own_tls(&["http/1.1"])?
        };
        *self.tls.borrow_mut() = Some(t.clone());
        Ok(t)
    }

    /// A TLS connector of the pool's own (when `tls` is unset), offering `alpn`.
    fn own_tls(&self, alpn: &[&str]) -> std::io::Result<TlsConnector> {
        let mut b = TlsConnector::builder().alpn(alpn.iter().copied());
        if self.config.accept_invalid_certs {
            b = b.danger_accept_invalid_certs();
        }
        b.build()
    }

    /// Resolves `host` (an IP address needs no lookup), with the tracers' DNS hooks.
    async fn resolve(
        &self,
        host: &str,
        port: u16,
        url: &str,
        trace: &super::Tracers,
    ) -> Result<(Vec<SocketAddr>, Option<Duration>)> {
        if let Ok(ip) = host.parse::<std::net::IpAddr>() {
            return Ok((vec![SocketAddr::new(ip, port)], None));
        }
        trace.each(|t| t.dns_start(host));
        let started = asyncio::time::now();
        let r = self
            .resolver
            .lookup(host, port)
            .await
            .map_err(|source| Error::Dns {
                url: url.to_owned(),
                source,
            });
        let took = started.elapsed();
        trace.each(|t| t.dns_end(host, took));
        r.map(|addrs| (addrs, Some(took)))
    }

    async fn tcp(
        &self,
        host: &str,
        port: u16,
        url: &str,
        trace: &super::Tracers,
    ) -> Result<(TcpStream, Phases)> {
        let (addrs, dns) = self.resolve(host, port, url, trace).await?;
        let started = asyncio::time::now();
        let tcp = TcpStream::connect(&addrs[..])
            .await
            .map_err(|source| Error::Connect {
                url: url.to_owned(),
                source,
            })?;
        let _ = tcp.set_nodelay(true);
        let phases = Phases {
            dns,
            connect: Some(started.elapsed()),
            tls: None,
        };
        Ok((tcp, phases))
    }

    /// A stream to the proxy `via`, ready for the target's bytes: TLS to the proxy for an
    /// `https://` proxy, then `CONNECT` or the SOCKS5 handshake unless requests are forwarded.
    async fn through(
        &self,
        key: &Key,
        via: &Via,
        tunnel: bool,
        url: &str,
        trace: &super::Tracers,
    ) -> Result<(BoxIo, Option<SocketAddr>)> {
        let (tcp, _) = self
            .tcp(&via.host, via.port, url, trace)
            .await
            .map_err(|e| match e {
                Error::Connect { source, .. } | Error::Dns { source, .. } => Error::Proxy {
                    url: url.to_owned(),
                    status: None,
                    reason: format!("cannot reach {via}: {source}"),
                },
                other => other,
            })?;
        let peer = tcp.peer_addr().ok();
        let mut stream: BoxIo = if via.scheme == ProxyScheme::Https {
            let tls = self.proxy_tls().map_err(|source| Error::Tls {
                url: url.to_owned(),
                source,
            })?;
            Box::new(
                tls.connect(&via.host, tcp)
                    .await
                    .map_err(|e| Error::Proxy {
                        url: url.to_owned(),
                        status: None,
                        reason: format!("TLS to {via} failed: {e}"),
                    })?,
            )
        } else {
            Box::new(tcp)
        };
        match via.scheme {
            _ if !tunnel && via.forwards(key.https) => {}
            ProxyScheme::Http | ProxyScheme::Https => {
                handshakes::connect(&mut stream, via, &key.host, key.port, url).await?;
            }
            ProxyScheme::Socks5 | ProxyScheme::Socks5h => {
                let resolved;
                let target = match Target::for_host(&key.host, via) {
                    Some(t) => t,
                    None => {
                        resolved = self.resolve(&key.host, key.port, url, trace).await?.0;
                        Target::Ip(resolved[0].ip())
                    }
                };
                handshakes::socks5(&mut stream, via, target, key.port, url).await?;
            }
        }
        Ok((stream, peer))
    }

    /// TLS to an `https://` proxy: no ALPN (the proxy speaks HTTP/1.1 `CONNECT`).
    fn proxy_tls(&self) -> std::io::Result<TlsConnector> {
        match &self.config.tls {
            Some(t) => Ok(t.clone()),
            None => self.own_tls(&["http/1.1"]),
        }
    }

    /// A stream to the target for a protocol of the caller's own (WebSocket): direct or
    /// through the key's proxy, with TLS (ALPN `http/1.1`) for `https`.
    pub(crate) async fn open_stream(
        &self,
        key: &Key,
        url: &str,
        trace: &super::Tracers,
    ) -> Result<BoxIo> {
        let stream: BoxIo = match &key.via {
            // Another protocol cannot be forwarded: always a tunnel (`CONNECT` for ws://).
            Some(via) => self.through(key, via, true, url, trace).await?.0,
            None => Box::new(self.tcp(&key.host, key.port, url, trace).await?.0),
        };
        if !key.https {
            return Ok(stream);
        }
        let tls = match &self.config.tls {
            Some(t) => t.clone(),
            None => self.own_tls(&["http/1.1"]).map_err(|source| Error::Tls {
                url: url.to_owned(),
                source,
            })?,
        };
        let stream = tls
            .connect(&key.host, stream)
            .await
            .map_err(|source| Error::Tls {
                url: url.to_owned(),
                source,
            })?;
        Ok(Box::new(stream))
    }

    async fn connect(
        self: &Rc<Self>,
        key: &Key,
        url: &str,
        trace: &super::Tracers,
    ) -> Result<(Sender, Option<SocketAddr>, Phases)> {
        let protocol_error = |e: hyper::Error| Error::Protocol {
            url: url.to_owned(),
            reason: e.to_string(),
        };
        if let Some(via) = &key.via {
            let started = asyncio::time::now();
            let (stream, peer) = self.through(key, via, false, url, trace).await?;
            let phases = Phases {
                connect: Some(started.elapsed()),
                ..Phases::default()
            };
            if key.https {
                return self.over_tls(key, stream, peer, url, phases).await;
            }
            return self
                .handshake(key, asyncio::compat::HyperIo(stream), false, peer)
                .await
                .map(|s| (s, peer, phases))
                .map_err(protocol_error);
        }
        let (tcp, phases) = self.tcp(&key.host, key.port, url, trace).await?;
        let peer = tcp.peer_addr().ok();
        if key.https {
            return self.over_tls(key, tcp, peer, url, phases).await;
        }
        self.handshake(key, tcp, self.config.http2_prior_knowledge, peer)
            .await
            .map(|s| (s, peer, phases))
            .map_err(protocol_error)
    }

    /// TLS to the target on `stream` (ALPN may choose HTTP/2), then hyper's handshake.
    async fn over_tls<S>(
        &self,
        key: &Key,
        stream: S,
        peer: Option<SocketAddr>,
        url: &str,
        mut phases: Phases,
    ) -> Result<(Sender, Option<SocketAddr>, Phases)>
    where
        S: AsyncRead + AsyncWrite + Unpin + 'static,
    {
        let tls_error = |source| Error::Tls {
            url: url.to_owned(),
            source,
        };
        let tls = self.tls().map_err(tls_error)?;
        let started = asyncio::time::now();
        let stream = tls.connect(&key.host, stream).await.map_err(tls_error)?;
        phases.tls = Some(started.elapsed());
        let h2 = stream.alpn_protocol() == Some(b"h2");
        self.handshake(key, asyncio::compat::HyperIo(stream), h2, peer)
            .await
            .map(|s| (s, peer, phases))
            .map_err(|e| Error::Protocol {
                url: url.to_owned(),
                reason: e.to_string(),
            })
    }

    /// Runs hyper's HTTP/2 or HTTP/1 handshake on `io` and spawns the connection's task; an
    /// HTTP/2 sender is also kept as the host's shared connection.
    async fn handshake<T>(
        &self,
        key: &Key,
        io: T,
        h2: bool,
        peer: Option<SocketAddr>,
    ) -> Result<Sender, hyper::Error>
    where
        T: hyper::rt::Read + hyper::rt::Write + Unpin + 'static,
    {
        if h2 {
            let (sender, conn) = http2::Builder::new(asyncio::compat::LoopExecutor)
                .timer(asyncio::compat::LoopTimer)
                .handshake(io)
                .await?;
            let name = format!("http/2 connection to {}:{}", key.host, key.port);
            asyncio::task::Builder::new().name(name).spawn(conn);
            self.hosts.borrow_mut().entry(key.clone()).or_default().h2 =
                Some((sender.clone(), peer));
            return Ok(Sender::H2(sender));
        }
        let (sender, conn) = http1::Builder::new()
            .max_headers(self.config.max_headers)
            .handshake(io)
            .await?;
        // Named for the task dump (`asyncio-ps`): which connection this is.
        let name = format!("http/1.1 connection to {}:{}", key.host, key.port);
        let task = asyncio::task::Builder::new()
            .name(name)
            .spawn(conn)
            .task()
            .clone();
        Ok(Sender::H1(sender, ConnTask(task)))
    }
}
