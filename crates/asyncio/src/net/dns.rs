//! Name resolution: `getaddrinfo` on the blocking pool, behind a per-loop cache with a TTL that
//! also merges concurrent lookups of one name into a single call.

use std::cell::RefCell;
use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use crate::sync::Event;

/// How long a successful answer is reused by default (aiohttp's `ttl_dns_cache` is 10 s).
pub const DEFAULT_TTL: Duration = Duration::from_secs(10);

/// Resolves `host` to socket addresses with `port`, through the running loop's cached
/// [`Resolver`]. The error names the host.
///
/// ```
/// asyncio::run(async {
///     let addrs = asyncio::net::lookup_host("localhost", 80).await.unwrap();
///     assert!(addrs.iter().all(|a| a.ip().is_loopback() && a.port() == 80));
/// });
/// ```
///
/// # Errors
/// The resolver's error, with the host in its message.
///
/// # Cancel safety
/// Cancel-safe: a dropped lookup leaves the shared one running for other callers and the cache.
pub async fn lookup_host(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    thread_local! {
        static RESOLVER: Resolver = Resolver::new(DEFAULT_TTL);
    }
    let resolver = RESOLVER.with(Resolver::clone);
    resolver.lookup(host, port).await
}

/// A caching resolver: answers are kept for `ttl` (by host; the port is applied on the way
/// out), failures are not cached, and callers asking for a name being looked up wait for that
/// lookup instead of starting another. Cheap to clone (one shared cache); belongs to one thread.
#[derive(Clone)]
pub struct Resolver {
    inner: Rc<RefCell<Cache>>,
    ttl: Duration,
}

#[derive(Default)]
struct Cache {
    answers: HashMap<Box<str>, Entry>,
}

enum Entry {
    Ready {
        addrs: Rc<[std::net::IpAddr]>,
        expires: std::time::Instant,
    },
    Pending(Event),
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("ttl", &self.ttl)
            .field("cached", &self.inner.borrow().answers.len())
            .finish()
    }
}

impl Resolver {
    /// A resolver that reuses answers for `ttl` (`Duration::ZERO`: only merges concurrent
    /// lookups).
    pub fn new(ttl: Duration) -> Self {
        Self {
            inner: Rc::new(RefCell::new(Cache::default())),
            ttl,
        }
    }

    /// Resolves `host` for `port`.
    ///
    /// # Errors
    /// The resolver's error, with the host in its message.
    ///
    /// # Cancel safety
    /// Cancel-safe: dropping stops the wait. If the dropped call was the one resolving, the
    /// other callers waiting for the same name are woken and start a lookup of their own; the
    /// abandoned one finishes on the blocking pool and is discarded.
    pub async fn lookup(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        loop {
            let wait = {
                let mut cache = self.inner.borrow_mut();
                match cache.answers.get(host) {
                    Some(Entry::Ready { addrs, expires })
                        if *expires > std::time::Instant::now() =>
                    {
                        return Ok(addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect());
                    }
                    Some(Entry::Pending(event)) => Some(event.clone()),
                    _ => {
                        cache
                            .answers
                            .insert(host.into(), Entry::Pending(Event::new()));
                        None
                    }
                }
            };
            match wait {
                Some(event) => {
                    event.wait().await;
                    // The lookup we waited for ended; its answer is cached unless it failed
                    // (then the next turn starts one of our own).
                    if let Some(Entry::Ready { addrs, .. }) = self.inner.borrow().answers.get(host)
                    {
                        return Ok(addrs.iter().map(|ip| SocketAddr::new(*ip, port)).collect());
                    }
                }
                None => return self.resolve_now(host, port).await,
            }
        }
    }

    async fn resolve_now(&self, host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
        // If this future is dropped mid-lookup, the guard clears the pending entry and wakes
        // the waiters, who start their own.
        let guard = PendingGuard {
            cache: &self.inner,
            host,
        };
        let name = host.to_owned();
        let result = crate::blocking::to_thread_named(Some("dns"), move || {
            use std::net::ToSocketAddrs;
            (name.as_str(), 0).to_socket_addrs().map(|it| {
                let mut ips: Vec<std::net::IpAddr> = Vec::new();
                for a in it {
                    if !ips.contains(&a.ip()) {
                        ips.push(a.ip());
                    }
                }
                ips
            })
        })
        .await
        .map_err(|e| io::Error::other(format!("resolver thread failed for {host:?}: {e}")))?;
        std::mem::forget(guard);
        let event = {
            let mut cache = self.inner.borrow_mut();
            let previous = match &result {
                Ok(ips) if !ips.is_empty() => cache.answers.insert(
                    host.into(),
                    Entry::Ready {
                        addrs: ips.as_slice().into(),
                        expires: std::time::Instant::now() + self.ttl,
                    },
                ),
                _ => cache.answers.remove(host),
            };
            match previous {
                Some(Entry::Pending(event)) => Some(event),
                _ => None,
            }
        };
        if let Some(event) = event {
            event.set();
        }
        match result {
            Ok(ips) if ips.is_empty() => Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("failed to resolve {host:?}: no addresses"),
            )),
            Ok(ips) => Ok(ips
                .into_iter()
                .map(|ip| SocketAddr::new(ip, port))
                .collect()),
            Err(e) => Err(io::Error::new(
                e.kind(),
                format!("failed to resolve {host:?}: {e}"),
            )),
        }
    }

    /// Forgets every cached answer.
    pub fn clear(&self) {
        self.inner
            .borrow_mut()
            .answers
            .retain(|_, e| matches!(e, Entry::Pending(_)));
    }
}

struct PendingGuard<'a> {
    cache: &'a RefCell<Cache>,
    host: &'a str,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        let entry = self.cache.borrow_mut().answers.remove(self.host);
        if let Some(Entry::Pending(event)) = entry {
            event.set();
        }
    }
}
