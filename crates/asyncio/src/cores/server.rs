//! [`ServerGroup`]: one server per loop of a runtime, behind one `Send` handle, and
//! [`RuntimeHandle::serve`], which starts them.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::listener::{bind_one, bind_reuseport, Handoff, LoopListener};
use super::registry;
use super::runtime::{lock, RuntimeHandle};
use crate::event_loop::{LoopClosed, RemoteHandle};
use crate::net::{Server, TcpListener};

struct Member {
    remote: RemoteHandle,
    key: usize,
}

pub(crate) struct GroupInner {
    addr: SocketAddr,
    reuseport: bool,
    members: Mutex<Vec<Member>>,
}

/// A server on every loop of a [`Runtime`](super::Runtime), from
/// [`RuntimeHandle::serve`]. `Send + Sync + Clone`: `close`, `shutdown` and `wait_closed`
/// cover every loop's server. Dropping every handle closes the servers, as for
/// [`Server`].
///
/// ```
/// use asyncio::streams::Server;
/// use asyncio::io::AsyncWriteExt;
///
/// let rt = asyncio::Runtime::builder().loops(2).build().unwrap();
/// let handle = rt.handle();
/// rt.block_on(async move {
///     let group = handle
///         .serve("127.0.0.1:0".parse().unwrap(), |listener| {
///             Server::serve(vec![listener], |_reader, mut writer| async move {
///                 let loop_index = asyncio::cores::current_loop_index().unwrap();
///                 let _ = writer.write_all(format!("loop {loop_index}\n").as_bytes()).await;
///             })
///         })
///         .await
///         .unwrap();
///     let (mut reader, _writer) = asyncio::streams::open_connection(group.local_addr())
///         .await
///         .unwrap();
///     let line = reader.readline().await.unwrap();
///     assert!(line.starts_with(b"loop "));
///     group.shutdown(std::time::Duration::from_secs(1)).await;
/// });
/// ```
#[derive(Clone)]
pub struct ServerGroup {
    inner: Arc<GroupInner>,
}

impl RuntimeHandle {
    /// Starts a server on every loop, listening on `addr` (port 0 picks one port for all):
    /// `build` runs on each loop with that loop's [`LoopListener`] and returns the loop's
    /// [`Server`] — the streams server, a protocol server, the HTTP server or your own
    /// `Server::serve_with`.
    ///
    /// With `SO_REUSEPORT` (the default on Linux) each loop has its own socket and the kernel
    /// spreads connections by a hash of their addresses. Without it (other systems, or
    /// [`Builder::reuseport(false)`](super::Builder::reuseport)) loop 0 accepts every
    /// connection and hands them to the loops in turn; the other loops then get connections
    /// only while loop 0 runs.
    ///
    /// # Errors
    /// Bind errors, an error from `build` on any loop (the servers already started are
    /// closed), or `LoopClosed` (as `io::Error`) once the runtime shuts down.
    ///
    /// # Cancel safety
    /// Not cancel-safe: servers already started on some loops keep running until the
    /// runtime shuts down.
    pub async fn serve<B>(&self, addr: SocketAddr, build: B) -> io::Result<ServerGroup>
    where
        B: Fn(LoopListener) -> io::Result<Server<LoopListener>> + Send + Sync + 'static,
    {
        if self.is_closed() {
            return Err(io::Error::other(LoopClosed));
        }
        let n = self.loops();
        let build = Arc::new(build);
        let mut pending = Vec::with_capacity(n);
        let reuseport = self.shared.reuseport;
        let bound;
        if reuseport {
            let sockets = bind_reuseport(addr, n)?;
            bound = sockets[0].local_addr()?;
            for (index, socket) in sockets.into_iter().enumerate() {
                let build = build.clone();
                pending.push(self.start_member(index, move || {
                    build(LoopListener::own(TcpListener::from_std(socket)?)?)
                }));
            }
        } else {
            let socket = bind_one(addr, false)?;
            bound = socket.local_addr()?;
            let handoffs: Vec<Option<Arc<Handoff>>> = (0..n)
                .map(|i| (i != 0).then(|| Arc::new(Handoff::default())))
                .collect();
            let lead_peers = handoffs.clone();
            let lead_build = build.clone();
            pending.push(self.start_member(0, move || {
                lead_build(LoopListener::lead(
                    TcpListener::from_std(socket)?,
                    lead_peers,
                )?)
            }));
            for (index, handoff) in handoffs.into_iter().enumerate().skip(1) {
                let build = build.clone();
                let handoff = handoff.expect("every loop but 0 has a handoff");
                pending.push(
                    self.start_member(index, move || build(LoopListener::handed(bound, handoff))),
                );
            }
        }
        let mut members = Vec::with_capacity(n);
        let mut failure = None;
        for (index, started) in pending.into_iter().enumerate() {
            match started.await {
                Ok(key) => members.push(Member {
                    remote: self.shared.remotes[index].clone(),
                    key,
                }),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
        let inner = Arc::new(GroupInner {
            addr: bound,
            reuseport,
            members: Mutex::new(members),
        });
        if let Some(e) = failure {
            drop(inner); // closes the servers that did start
            return Err(e);
        }
        lock(&self.shared.servers).push(Arc::downgrade(&inner));
        Ok(ServerGroup { inner })
    }

    /// Builds loop `index`'s server there and registers it; resolves to its key.
    fn start_member<B>(
        &self,
        index: usize,
        build: B,
    ) -> std::pin::Pin<Box<dyn Future<Output = io::Result<usize>>>>
    where
        B: FnOnce() -> io::Result<Server<LoopListener>> + Send + 'static,
    {
        let started = self.shared.remotes[index]
            .spawn_with(move || std::future::ready(build().map(registry::insert)));
        Box::pin(async move {
            match started {
                Ok(h) => h.await.map_err(io::Error::other)?,
                Err(closed) => Err(io::Error::other(closed)),
            }
        })
    }
}

impl GroupInner {
    /// Stops every loop's server accepting (running handlers go on).
    pub(crate) fn close(&self) {
        for m in lock(&self.members).iter() {
            let key = m.key;
            let _ = m.remote.call_soon_threadsafe(move || {
                if let Some(s) = registry::get(key) {
                    s.close();
                }
            });
        }
    }

    /// The loops are gone: nothing to send to any more.
    pub(crate) fn forget_members(&self) {
        lock(&self.members).clear();
    }

    /// Runs `f` on every member's loop with its server; the results, by loop.
    async fn on_each<F, Fut, R>(&self, f: F) -> Vec<R>
    where
        F: Fn(Server<LoopListener>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + 'static,
        R: Send + Default + 'static,
    {
        let f = Arc::new(f);
        let handles: Vec<_> = lock(&self.members)
            .iter()
            .map(|m| {
                let key = m.key;
                let f = f.clone();
                m.remote.spawn_with(move || {
                    let server = registry::get(key);
                    async move {
                        match server {
                            Some(s) => f(s).await,
                            None => R::default(),
                        }
                    }
                })
            })
            .collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(match h {
                Ok(h) => h.await.unwrap_or_default(),
                Err(_) => R::default(),
            });
        }
        out
    }
}

impl Drop for GroupInner {
    fn drop(&mut self) {
        for m in lock(&self.members).drain(..) {
            let key = m.key;
            let _ = m.remote.call_soon_threadsafe(move || registry::remove(key));
        }
    }
}

impl ServerGroup {
    /// The bound address (the same port on every loop).
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// How many loops serve.
    pub fn loops(&self) -> usize {
        lock(&self.inner.members).len()
    }

    /// Whether each loop has its own `SO_REUSEPORT` socket (otherwise loop 0 hands
    /// connections out).
    pub fn is_reuseport(&self) -> bool {
        self.inner.reuseport
    }

    /// Stops accepting on every loop (running handlers go on); sent to the loops, it takes
    /// effect in their next turn. [`wait_closed`](Self::wait_closed) waits for the handlers.
    pub fn close(&self) {
        self.inner.close();
    }

    /// How many handlers run on each loop, by loop index.
    ///
    /// # Cancel safety
    /// Cancel-safe: it only asks each loop for a count; dropped midway, nothing is changed.
    pub async fn client_counts(&self) -> Vec<usize> {
        self.inner
            .on_each(|s| async move { s.client_count() })
            .await
    }

    /// Waits until every loop's server is closed and its handlers have ended.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn wait_closed(&self) {
        self.inner
            .on_each(|s| async move { s.wait_closed().await })
            .await;
    }

    /// [`Server::shutdown`] on every loop at once: stop accepting, give handlers `grace`,
    /// then abort the rest. Returns how many handlers had to be cancelled, over all loops.
    ///
    /// # Cancel safety
    /// As [`Server::shutdown`]: dropped midway, the servers stay closed and the shutdowns
    /// already sent to the loops go on.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.inner
            .on_each(move |s| async move { s.shutdown(grace).await })
            .await
            .into_iter()
            .sum()
    }
}

impl fmt::Debug for ServerGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerGroup")
            .field("addr", &self.inner.addr)
            .field("loops", &self.loops())
            .field("reuseport", &self.inner.reuseport)
            .finish()
    }
}
