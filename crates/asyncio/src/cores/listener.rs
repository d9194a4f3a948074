//! [`LoopListener`]: one loop's share of a server's listening socket — its own `SO_REUSEPORT`
//! socket, or (without `SO_REUSEPORT`) the sockets loop 0's acceptor hands it.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use super::runtime::lock;
use crate::net::{Listen, TcpListener, TcpStream};

/// A server's listener on one loop of a [`Runtime`](super::Runtime), made by
/// [`RuntimeHandle::serve`](super::RuntimeHandle::serve) and handed to the closure that builds
/// each loop's [`Server`](crate::net::Server). It implements [`Listen`], so every server of
/// this crate runs on it: `streams::Server::serve(vec![listener], handler)`,
/// `transport::serve_protocol`, `asyncio_http::server::serve_on`, or
/// `Server::serve_with` for hyper and your own handling.
pub struct LoopListener {
    addr: SocketAddr,
    kind: Kind,
}

enum Kind {
    /// This loop's own socket in the `SO_REUSEPORT` group: the kernel picks the loop.
    Own(TcpListener),
    /// Loop 0 without `SO_REUSEPORT`: accepts for every loop and deals the sockets out in turn
    /// (`peers[i]` is `None` for itself).
    Lead {
        listener: TcpListener,
        peers: Vec<Option<Arc<Handoff>>>,
        next: Cell<usize>,
    },
    /// Another loop without `SO_REUSEPORT`: takes what the lead hands over.
    Handed(Arc<Handoff>),
}

/// Accepted sockets on their way from the lead loop to another loop.
#[derive(Default)]
pub(crate) struct Handoff {
    state: Mutex<HandoffState>,
}

#[derive(Default)]
struct HandoffState {
    sockets: VecDeque<std::net::TcpStream>,
    waker: Option<Waker>,
    closed: bool,
}

impl Handoff {
    /// Gives `socket` to the loop; returns it if that loop's server is gone.
    fn push(&self, socket: std::net::TcpStream) -> Result<(), std::net::TcpStream> {
        let mut st = lock(&self.state);
        if st.closed {
            return Err(socket);
        }
        st.sockets.push_back(socket);
        let waker = st.waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl LoopListener {
    pub(crate) fn own(listener: TcpListener) -> io::Result<Self> {
        Ok(Self {
            addr: listener.local_addr()?,
            kind: Kind::Own(listener),
        })
    }

    pub(crate) fn lead(
        listener: TcpListener,
        peers: Vec<Option<Arc<Handoff>>>,
    ) -> io::Result<Self> {
        Ok(Self {
            addr: listener.local_addr()?,
            kind: Kind::Lead {
                listener,
                peers,
                next: Cell::new(0),
            },
        })
    }

    pub(crate) fn handed(addr: SocketAddr, handoff: Arc<Handoff>) -> Self {
        Self {
            addr,
            kind: Kind::Handed(handoff),
        }
    }

    /// Whether this loop has a socket of its own in an `SO_REUSEPORT` group.
    pub fn is_reuseport(&self) -> bool {
        matches!(self.kind, Kind::Own(_))
    }
}

impl std::fmt::Debug for LoopListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self.kind {
            Kind::Own(_) => "reuseport",
            Kind::Lead { .. } => "lead",
            Kind::Handed(_) => "handed",
        };
        f.debug_struct("LoopListener")
            .field("addr", &self.addr)
            .field("kind", &kind)
            .finish()
    }
}

impl Drop for LoopListener {
    fn drop(&mut self) {
        if let Kind::Handed(h) = &self.kind {
            // Sockets already handed over are closed with the listener (their peers see a
            // reset, as with a backlog dropped by `close`); the lead serves later ones itself.
            let mut st = lock(&h.state);
            st.closed = true;
            st.sockets.clear();
            st.waker = None;
        }
    }
}

impl Listen for LoopListener {
    type Stream = TcpStream;
    type Addr = SocketAddr;

    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        match &self.kind {
            Kind::Own(l) => l.poll_accept_stream(cx),
            Kind::Lead {
                listener,
                peers,
                next,
            } => loop {
                let stream = match listener.poll_accept_stream(cx) {
                    Poll::Ready(Ok(s)) => s,
                    other => return other,
                };
                let turn = next.get();
                next.set((turn + 1) % peers.len());
                let Some(peer) = &peers[turn] else {
                    return Poll::Ready(Ok(stream));
                };
                if let Err(back) = peer.push(stream.into_std()) {
                    // That loop's server is closed: serve the connection here.
                    return Poll::Ready(TcpStream::from_std(back));
                }
            },
            Kind::Handed(h) => {
                let mut st = lock(&h.state);
                match st.sockets.pop_front() {
                    Some(s) => {
                        drop(st);
                        let stream = TcpStream::from_std(s)?;
                        let _ = stream.set_nodelay(true);
                        Poll::Ready(Ok(stream))
                    }
                    None => {
                        st.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            }
        }
    }

    fn addr(&self) -> io::Result<SocketAddr> {
        Ok(self.addr)
    }
}

/// Binds `n` listeners on `addr` in one `SO_REUSEPORT` group (port 0: the first picks the
/// port, the others join it).
pub(crate) fn bind_reuseport(addr: SocketAddr, n: usize) -> io::Result<Vec<std::net::TcpListener>> {
    let mut out = Vec::with_capacity(n);
    let mut addr = addr;
    for _ in 0..n {
        let l = bind_one(addr, true)?;
        addr = l.local_addr()?;
        out.push(l);
    }
    Ok(out)
}

/// Binds one listener (non-blocking, `SO_REUSEADDR`, optionally `SO_REUSEPORT`).
pub(crate) fn bind_one(addr: SocketAddr, reuseport: bool) -> io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    socket.set_reuse_address(true)?;
    if reuseport {
        #[cfg(all(unix, not(any(target_os = "solaris", target_os = "illumos"))))]
        socket.set_reuse_port(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}
