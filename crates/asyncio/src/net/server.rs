//! The one server core: [`Server`] accepts from any [`Listen`] socket and runs a tracked task
//! per connection, with `close`, `close_clients`, `abort_clients`, `wait_closed` and graceful
//! `shutdown`. The stream, protocol, TLS and HTTP servers are all built on
//! [`Server::serve_with`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

use slab::Slab;

use super::{TcpListener, TcpStream, UnixListener, UnixStream};
use crate::io::SharedStream;
use crate::sync::Event;
use crate::task::{JoinHandle, Task};

/// A listening socket the server can accept from (TCP or Unix).
pub trait Listen: 'static {
    /// The accepted stream.
    type Stream: Connection;
    /// The listener's address type.
    type Addr: std::fmt::Debug + Clone;
    /// Polls for the next connection.
    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<Self::Stream>>;
    /// The bound address.
    fn addr(&self) -> io::Result<Self::Addr>;
}

/// A connected stream the server can close or abort (TCP or Unix).
pub trait Connection: 'static {
    /// Shuts both directions down: the handler's reads see end of file, its writes fail.
    fn shutdown_both(&self);
    /// Makes the close a reset where the protocol has one.
    fn set_abortive(&self);
}

impl Listen for TcpListener {
    type Stream = TcpStream;
    type Addr = std::net::SocketAddr;

    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<TcpStream>> {
        // asyncio turns Nagle's algorithm off on every TCP transport; so do servers here.
        self.poll_accept(cx).map_ok(|(s, _)| {
            let _ = s.set_nodelay(true);
            s
        })
    }

    fn addr(&self) -> io::Result<Self::Addr> {
        self.local_addr()
    }
}

impl Listen for UnixListener {
    type Stream = UnixStream;
    type Addr = std::os::unix::net::SocketAddr;

    fn poll_accept_stream(&self, cx: &mut Context<'_>) -> Poll<io::Result<UnixStream>> {
        self.poll_accept(cx).map_ok(|(s, _)| s)
    }

    fn addr(&self) -> io::Result<Self::Addr> {
        self.local_addr()
    }
}

impl Connection for TcpStream {
    fn shutdown_both(&self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }

    fn set_abortive(&self) {
        let _ = self.set_linger(Some(Duration::ZERO));
    }
}

impl Connection for UnixStream {
    fn shutdown_both(&self) {
        let _ = self.shutdown(std::net::Shutdown::Both);
    }

    fn set_abortive(&self) {}
}

struct Client<S> {
    task: Task,
    stream: SharedStream<S>,
}

struct Inner<L: Listen> {
    listeners: RefCell<Vec<Rc<L>>>,
    acceptors: RefCell<Vec<JoinHandle<()>>>,
    clients: RefCell<Slab<Client<L::Stream>>>,
    addrs: Vec<L::Addr>,
    serving: Cell<bool>,
    /// Run once when the server closes (graceful shutdown of HTTP connections, say).
    on_close: RefCell<Vec<Box<dyn FnOnce()>>>,
    /// Set when the listeners are closed and the last handler ended.
    closed: Event,
}

/// A running server: from [`streams::start_server`](crate::streams::start_server),
/// [`transport::create_server`](crate::transport::create_server),
/// [`tls::start_server`](crate::tls::start_server), or [`serve_with`](Self::serve_with) for
/// your own connection handling. Cheap to clone.
///
/// It accepts from the moment it is created, with `TCP_NODELAY` set on each connection as
/// asyncio does. Dropping every handle closes it. Out of descriptors (`EMFILE`/`ENFILE`), it logs,
/// waits (10 ms doubling to 1 s) and goes on; other accept errors are logged and skipped.
pub struct Server<L: Listen> {
    inner: Rc<Inner<L>>,
}

impl<L: Listen> Clone for Server<L> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<L: Listen> std::fmt::Debug for Server<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("addrs", &self.inner.addrs)
            .field("serving", &self.inner.serving.get())
            .field("clients", &self.inner.clients.borrow().len())
            .finish()
    }
}

impl<L: Listen> Server<L> {
    /// Serves connections from `listeners`: `on_connection` turns each accepted stream (a
    /// [`SharedStream`]: the server keeps a handle for `close_clients` and `abort_clients`)
    /// into the future its task runs (the server tracks those tasks for `close_clients`, `abort`
    /// and `wait_closed`). The building block of the stream, protocol, TLS and HTTP servers.
    ///
    /// # Errors
    /// When a listener's address cannot be read.
    pub fn serve_with<H, F>(listeners: Vec<L>, on_connection: H) -> io::Result<Self>
    where
        H: Fn(SharedStream<L::Stream>) -> F + 'static,
        F: Future<Output = ()> + 'static,
    {
        let addrs = listeners.iter().map(L::addr).collect::<io::Result<_>>()?;
        let listeners: Vec<Rc<L>> = listeners.into_iter().map(Rc::new).collect();
        let inner = Rc::new(Inner {
            listeners: RefCell::new(listeners.clone()),
            acceptors: RefCell::new(Vec::new()),
            clients: RefCell::new(Slab::new()),
            addrs,
            serving: Cell::new(true),
            on_close: RefCell::new(Vec::new()),
            closed: Event::new(),
        });
        let on_connection = Rc::new(on_connection);
        for listener in listeners {
            let weak = Rc::downgrade(&inner);
            let on_connection = on_connection.clone();
            let task = crate::task::spawn_named(
                "server.accept",
                accept_loop(Rc::downgrade(&listener), weak, on_connection),
            );
            inner.acceptors.borrow_mut().push(task);
        }
        Ok(Self { inner })
    }
}

/// Accepts until the listener is gone. It holds the listener weakly, so `close` closes the
/// socket at once instead of when this task next runs.
async fn accept_loop<L: Listen, H, F>(
    listener: std::rc::Weak<L>,
    server: std::rc::Weak<Inner<L>>,
    on_connection: Rc<H>,
) where
    H: Fn(SharedStream<L::Stream>) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let mut backoff = Duration::from_millis(10);
    loop {
        let accepted = std::future::poll_fn(|cx| match listener.upgrade() {
            Some(l) => l.poll_accept_stream(cx).map(Some),
            None => Poll::Ready(None),
        })
        .await;
        let (Some(accepted), Some(inner)) = (accepted, server.upgrade()) else {
            return;
        };
        match accepted {
            Ok(stream) => {
                backoff = Duration::from_millis(10);
                start_client(&inner, stream, &on_connection);
            }
            Err(e) if out_of_resources(&e) => {
                tracing::warn!(error = %e, ?backoff, "accept failed: out of resources; backing off");
                drop(inner);
                crate::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(1));
            }
            Err(e) => {
                // A connection that died in the backlog (ECONNABORTED) and the like.
                tracing::debug!(error = %e, "accept failed; going on");
            }
        }
    }
}

fn out_of_resources(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EMFILE | libc::ENFILE | libc::ENOBUFS | libc::ENOMEM)
    )
}

fn start_client<L: Listen, H, F>(inner: &Rc<Inner<L>>, stream: L::Stream, on_connection: &Rc<H>)
where
    H: Fn(SharedStream<L::Stream>) -> F + 'static,
    F: Future<Output = ()> + 'static,
{
    let stream = SharedStream::new(stream);
    let fut = on_connection(stream.clone());
    let mut clients = inner.clients.borrow_mut();
    let entry = clients.vacant_entry();
    let key = entry.key();
    let weak = Rc::downgrade(inner);
    let handle = crate::task::spawn_named("server.connection", async move {
        // Removes the client when the handler ends, is cancelled or panics.
        let _guard = ClientGuard { server: weak, key };
        fut.await;
    });
    entry.insert(Client {
        task: handle.task().clone(),
        stream,
    });
}

struct ClientGuard<L: Listen> {
    server: std::rc::Weak<Inner<L>>,
    key: usize,
}

impl<L: Listen> Drop for ClientGuard<L> {
    fn drop(&mut self) {
        if let Some(inner) = self.server.upgrade() {
            inner.clients.borrow_mut().try_remove(self.key);
            inner.maybe_closed();
        }
    }
}

impl<L: Listen> Inner<L> {
    fn maybe_closed(&self) {
        if !self.serving.get() && self.clients.borrow().is_empty() {
            self.closed.set();
        }
    }
}

impl<L: Listen> Server<L> {
    /// The bound addresses (several when the name resolved to several).
    pub fn addrs(&self) -> &[L::Addr] {
        &self.inner.addrs
    }

    /// The first bound address.
    ///
    /// # Errors
    /// Never for a server built by this crate (it always has an address).
    pub fn local_addr(&self) -> io::Result<L::Addr> {
        self.inner
            .addrs
            .first()
            .cloned()
            .ok_or_else(|| io::Error::other("the server has no socket"))
    }

    /// Whether it still accepts connections.
    pub fn is_serving(&self) -> bool {
        self.inner.serving.get()
    }

    /// How many handlers are running.
    pub fn client_count(&self) -> usize {
        self.inner.clients.borrow().len()
    }

    /// Stops accepting and closes the listening sockets; running handlers go on.
    pub fn close(&self) {
        if !self.inner.serving.replace(false) {
            return;
        }
        for task in self.inner.acceptors.borrow_mut().drain(..) {
            task.task().cancel();
        }
        self.inner.listeners.borrow_mut().clear();
        let hooks = std::mem::take(&mut *self.inner.on_close.borrow_mut());
        for hook in hooks {
            hook();
        }
        self.inner.maybe_closed();
    }

    /// Runs `f` when the server closes (by [`close`](Self::close), [`shutdown`](Self::shutdown)
    /// or `serve_forever` being dropped); at once if it is closed already. Protocols with a
    /// graceful goodbye (HTTP's) start it here.
    pub fn on_close(&self, f: impl FnOnce() + 'static) {
        if self.inner.serving.get() {
            self.inner.on_close.borrow_mut().push(Box::new(f));
        } else {
            f();
        }
    }

    /// Shuts every client connection down: handlers see end of file and failing writes
    /// (asyncio 3.13's `close_clients`).
    pub fn close_clients(&self) {
        let streams: Vec<_> = self
            .inner
            .clients
            .borrow()
            .iter()
            .map(|(_, c)| c.stream.clone())
            .collect();
        for s in streams {
            s.shutdown_both();
        }
    }

    /// Cancels every handler and resets its connection (asyncio 3.13's `abort_clients`).
    pub fn abort_clients(&self) {
        let clients: Vec<_> = self
            .inner
            .clients
            .borrow()
            .iter()
            .map(|(_, c)| (c.task.clone(), c.stream.clone()))
            .collect();
        for (task, stream) in clients {
            stream.set_abortive();
            stream.shutdown_both();
            task.cancel();
        }
    }

    /// Waits until the server is closed and every handler has ended.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn wait_closed(&self) {
        self.inner.closed.wait().await;
    }

    /// Serves until the server is closed (asyncio's `serve_forever`; the server already
    /// accepts before this is called). Cancelling this future closes the server.
    ///
    /// # Cancel safety
    /// Dropping the future closes the server (as cancelling asyncio's `serve_forever` does);
    /// running handlers go on.
    pub async fn serve_forever(&self) {
        struct CloseOnDrop<'a, L: Listen>(&'a Server<L>);
        impl<L: Listen> Drop for CloseOnDrop<'_, L> {
            fn drop(&mut self) {
                self.0.close();
            }
        }
        let _guard = CloseOnDrop(self);
        while self.is_serving() {
            self.inner.closed.wait().await;
        }
    }

    /// Graceful shutdown: stop accepting, give handlers `grace` to finish, then shut their
    /// connections down and, if they still run a moment later, cancel them. Returns how many
    /// handlers had to be cancelled.
    ///
    /// # Cancel safety
    /// Dropped midway, the server stays closed (no new connections) but the handlers still
    /// running are neither waited for nor aborted; call `abort_clients` for that.
    pub async fn shutdown(&self, grace: Duration) -> usize {
        self.close();
        if crate::time::timeout(grace, self.wait_closed())
            .await
            .is_ok()
        {
            return 0;
        }
        let n = self.client_count();
        self.abort_clients();
        self.wait_closed().await;
        n
    }
}
