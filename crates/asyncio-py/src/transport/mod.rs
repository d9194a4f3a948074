//! [`StreamTransport`]: a transport's state and I/O in Rust, for TCP and Unix sockets, pipes
//! (`pipe.rs`) and datagram sockets (`datagram.rs`). The loop's reactor wakes it; it reads
//! into a per-thread buffer and calls the Python protocol (`data_received`, or
//! `get_buffer`/`buffer_updated` for a `BufferedProtocol`), writes straight to the
//! descriptor and buffers the rest, and runs asyncio's flow control (water marks,
//! `pause_writing`/`resume_writing`). The Python classes of `asyncio_rs._transports` wrap it
//! in asyncio's transport classes.
//!
//! Semantics are those of CPython's `_SelectorSocketTransport`, `_UnixReadPipeTransport`,
//! `_UnixWritePipeTransport` and `_SelectorDatagramTransport`, step for step: the same
//! callbacks in the same order, the same messages to the exception handler.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;
use std::task::{Context, Poll};

use asyncio::io::{AsyncFd, Interest};
use asyncio::JoinHandle;
use pyo3::exceptions::{
    PyConnectionError, PyKeyboardInterrupt, PyOSError, PyRuntimeError, PySystemExit, PyTypeError,
    PyValueError,
};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyMemoryView};

mod datagram;
mod methods;
mod pipe;

use crate::bound::OnThread;
use crate::fdio::{self, Kind};
use crate::py_loop::{in_callback, Env};
use crate::pybuf::View;

/// The most one read takes (CPython's `max_size`).
const MAX_READ: usize = 256 * 1024;
/// Writes after the connection is lost are counted; from this many on, each is logged.
const CONNLOST_WRITES_LOGGED: u32 = 5;

thread_local! {
    /// The read buffer of the thread's transports: a read copies out what it got into a
    /// `bytes` before the protocol runs, so one buffer serves them all.
    static READ_BUF: Rc<RefCell<Box<[u8]>>> =
        Rc::new(RefCell::new(vec![0; MAX_READ].into_boxed_slice()));
}

/// The descriptor, owned by the Python socket or pipe object.
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// The Python objects a transport refers to; all but the protocol go when the connection is
/// lost (as CPython's transport forgets its loop, socket and server).
#[derive(Default)]
struct Refs {
    /// The Python transport this is the state of.
    owner: Option<Py<PyAny>>,
    py_loop: Option<Py<PyAny>>,
    protocol: Option<Py<PyAny>>,
    sock: Option<Py<PyAny>>,
    server: Option<Py<PyAny>>,
    /// `sendfile`'s future for "the write buffer is empty".
    empty_waiter: Option<Py<PyAny>>,
}

/// A direction's watcher task, with the number that tells a stopped one it is stale.
#[derive(Default)]
struct Watcher {
    task: RefCell<Option<JoinHandle<()>>>,
    epoch: Cell<u64>,
}

impl Watcher {
    fn active(&self) -> bool {
        self.task.borrow().is_some()
    }

    /// Stops the task (it may be the one running now: it sees the new epoch and returns).
    fn stop(&self) -> bool {
        self.epoch.set(self.epoch.get() + 1);
        match self.task.borrow_mut().take() {
            Some(task) => {
                task.task().cancel();
                true
            }
            None => false,
        }
    }
}

/// Which of asyncio's transports this is: CPython's `_SelectorSocketTransport`,
/// `_UnixReadPipeTransport` or `_UnixWritePipeTransport` (their semantics differ in how
/// errors, the end of the stream and closing go).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    Socket,
    ReadPipe,
    WritePipe,
    Datagram,
}

/// What the write side should do after a step.
enum Step {
    /// Wait for the descriptor to be ready again.
    Wait,
    /// Try again on the next iteration (more may go now).
    Again,
    /// The writer is done (stopped).
    Done,
}

struct State {
    lp: asyncio::EventLoop,
    env: Arc<Env>,
    fd: RawFd,
    role: Role,
    /// Python 3.13's `Server._attach(transport)` (older: `_attach()`).
    server_takes_transport: bool,
    /// The `contextvars.Context` the protocol's callbacks run in (a copy of the creator's).
    context: Py<PyAny>,
    refs: RefCell<Refs>,
    buffered: Cell<bool>,
    connected: Cell<bool>,
    /// The registration with the reactor: present while a direction is watched.
    source: RefCell<Option<AsyncFd<Borrowed>>>,
    reader: Watcher,
    writer: Watcher,
    /// The write buffer: `out[out_start..]` is still to be sent.
    out: RefCell<Vec<u8>>,
    out_start: Cell<usize>,
    conn_lost: Cell<u32>,
    /// A datagram transport's queue: whole datagrams and their addresses.
    dgrams: RefCell<std::collections::VecDeque<(Py<PyBytes>, Py<PyAny>)>>,
    dgram_size: Cell<usize>,
    /// A connected datagram endpoint's remote address (`sendto` refuses others).
    remote_address: Option<Py<PyAny>>,
    /// The socket has a peer: datagrams go with `send`, not `sendto`.
    peer_connected: bool,
    /// An IPv4 datagram socket: received here, not through `recvfrom`.
    native_v4: bool,
    /// `connection_lost` is scheduled (it runs once).
    lost_scheduled: Cell<bool>,
    /// `close()` or an error started the end (shared with the Python object, which answers
    /// `is_closing()` from any thread: a finalizer may ask from the collector's).
    closing: Arc<AtomicBool>,
    paused: Cell<bool>,
    eof: Cell<bool>,
    protocol_paused: Cell<bool>,
    high: Cell<usize>,
    low: Cell<usize>,
    read_buf: Rc<RefCell<Box<[u8]>>>,
}

fn is_exit(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyKeyboardInterrupt>(py) || e.is_instance_of::<PySystemExit>(py)
}

/// An `OSError` (of the subclass its errno selects, as `OSError(errno, msg)` picks).
fn os_error(e: &std::io::Error) -> PyErr {
    let code = e.raw_os_error().unwrap_or(0);
    let text = std::io::Error::from_raw_os_error(code).to_string();
    // "Broken pipe (os error 32)" → "Broken pipe", as `os.strerror` says it.
    let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
    PyOSError::new_err((code, text))
}

/// `f` on the bytes of `data` (`bytes`, `bytearray` or `memoryview`, as asyncio's transports
/// take); a `TypeError` for anything else.
pub(crate) fn with_bytes<R>(data: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    if data.is_instance_of::<PyByteArray>() || data.is_instance_of::<PyMemoryView>() {
        let view = View::new(data, false)?;
        return Ok(f(view.bytes()));
    }
    Err(PyTypeError::new_err(format!(
        "data argument must be a bytes-like object, not '{}'",
        data.get_type().name()?
    )))
}

fn water_marks(high: Option<i64>, low: Option<i64>) -> PyResult<(usize, usize)> {
    let high = match (high, low) {
        (Some(h), _) => h,
        (None, None) => 64 * 1024,
        (None, Some(l)) => l.saturating_mul(4),
    };
    let low = low.unwrap_or(high / 4);
    if !(high >= low && low >= 0) {
        return Err(PyValueError::new_err(format!(
            "high ({high}) must be >= low ({low}) must be >= 0"
        )));
    }
    Ok((high as usize, low as usize))
}

impl State {
    fn kind(&self) -> Kind {
        match self.role {
            Role::Socket | Role::Datagram => Kind::Socket,
            Role::ReadPipe | Role::WritePipe => Kind::Pipe,
        }
    }

    fn protocol(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.refs
            .borrow()
            .protocol
            .as_ref()
            .map(|p| p.clone_ref(py))
    }

    fn owner(&self, py: Python<'_>) -> Py<PyAny> {
        match &self.refs.borrow().owner {
            Some(o) => o.clone_ref(py),
            None => py.None(),
        }
    }

    fn py_loop(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.refs.borrow().py_loop.as_ref().map(|p| p.clone_ref(py))
    }

    fn buffered_len(&self) -> usize {
        if self.role == Role::Datagram {
            return self.dgram_size.get();
        }
        self.out.borrow().len() - self.out_start.get()
    }

    fn is_reading(&self) -> bool {
        !self.closing.load(Relaxed) && !self.paused.get()
    }

    fn debug(&self, py: Python<'_>) -> bool {
        self.py_loop(py)
            .and_then(|l| l.bind(py).call_method0("get_debug").ok())
            .is_some_and(|d| d.is_truthy().unwrap_or(false))
    }

    /// `logger.<level>(msg, *args)` on the `asyncio` logger; a failure to log is dropped.
    fn log(&self, py: Python<'_>, level: &str, msg: &str, exc: Option<&Bound<'_, PyAny>>) {
        let Ok(logger) = py.import("asyncio.log").and_then(|m| m.getattr("logger")) else {
            return;
        };
        let kwargs = PyDict::new(py);
        if let Some(exc) = exc {
            let _ = kwargs.set_item("exc_info", exc);
        }
        let _ = logger.call_method(level, (msg,), Some(&kwargs));
    }

    /// In debug mode, logs "<transport> `what`" at debug level (as CPython's transports do).
    fn debug_log(&self, py: Python<'_>, what: &str) {
        if self.debug(py) {
            let repr = self.owner(py).bind(py).repr().map(|r| r.to_string());
            self.log(
                py,
                "debug",
                &format!("{} {what}", repr.unwrap_or_default()),
                None,
            );
        }
    }

    /// A read or write step as debug mode names it, like the handle asyncio's loop would have
    /// run: `<Handle _SocketTransport._read_ready()>`.
    fn step_name(&self, py: Python<'_>, step: &str) -> String {
        let class = self
            .refs
            .borrow()
            .owner
            .as_ref()
            .map(|o| o.clone_ref(py))
            .and_then(|o| o.bind(py).get_type().name().ok().map(|n| n.to_string()))
            .unwrap_or_else(|| "transport".to_owned());
        format!("<Handle {class}.{step}()>")
    }

    /// Runs `f` in the transport's context. Already inside it (a nested call), `f` runs
    /// where it is.
    fn in_context<R>(&self, py: Python<'_>, f: impl FnOnce() -> R) -> R {
        // SAFETY: the GIL is held; `context` is the `contextvars.Context` copied at creation.
        let entered = unsafe { pyo3::ffi::PyContext_Enter(self.context.as_ptr()) } == 0;
        if !entered {
            drop(PyErr::take(py));
        }
        let r = f();
        if entered {
            // SAFETY: entered just above, on this thread.
            if unsafe { pyo3::ffi::PyContext_Exit(self.context.as_ptr()) } != 0 {
                drop(PyErr::take(py));
            }
        }
        r
    }

    /// `loop.call_exception_handler({...})` with this transport and its protocol.
    fn report(&self, py: Python<'_>, message: &str, exc: &Bound<'_, PyAny>) {
        let Some(lp) = self.py_loop(py) else {
            return;
        };
        let ctx = PyDict::new(py);
        let _ = ctx.set_item("message", message);
        let _ = ctx.set_item("exception", exc);
        let _ = ctx.set_item("transport", self.owner(py));
        let _ = ctx.set_item("protocol", self.protocol(py));
        if let Err(e) = lp.bind(py).call_method1("call_exception_handler", (ctx,)) {
            e.print(py);
        }
    }

    /// A Python callback's error, where no Python caller takes it: `KeyboardInterrupt` and
    /// `SystemExit` end the loop's run (raised by `run_forever`), the rest is reported.
    fn callback_error(&self, py: Python<'_>, e: PyErr, message: &str) {
        if is_exit(py, &e) {
            self.env.set_fatal(e);
        } else {
            self.report(py, message, e.value(py).as_any());
        }
    }

    /// An error that ends the connection (CPython's `_fatal_error`): reported unless it is
    /// an `OSError` (logged in debug mode only), then the transport is closed at once.
    fn fatal_error(self: &Rc<Self>, py: Python<'_>, exc: &Bound<'_, PyAny>, message: &str) {
        let quiet = match self.role {
            // A read pipe reports every error but EIO (a terminal whose other side went).
            Role::ReadPipe => {
                exc.is_instance_of::<PyOSError>()
                    && exc
                        .getattr("errno")
                        .and_then(|e| e.extract::<i32>())
                        .is_ok_and(|e| e == libc::EIO)
            }
            Role::Socket | Role::WritePipe | Role::Datagram => exc.is_instance_of::<PyOSError>(),
        };
        if quiet {
            if self.debug(py) {
                let owner = self.owner(py);
                let repr = owner
                    .bind(py)
                    .repr()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                self.log(py, "debug", &format!("{repr}: {message}"), Some(exc));
            }
        } else {
            self.report(py, message, exc);
        }
        match self.role {
            Role::Socket | Role::Datagram => self.force_close(py, Some(exc.clone().unbind())),
            Role::ReadPipe | Role::WritePipe => self.pipe_close(py, Some(exc.clone().unbind())),
        }
    }

    /// A protocol method's error: exits end the run, the rest is fatal to the connection.
    fn protocol_failed(self: &Rc<Self>, py: Python<'_>, e: PyErr, message: &str) {
        if is_exit(py, &e) {
            self.env.set_fatal(e);
        } else {
            self.fatal_error(py, e.value(py).as_any(), message);
        }
    }

    // ----- the reactor registration and the watcher tasks -----------------------------------

    fn ensure_source(&self) -> PyResult<()> {
        if self.source.borrow().is_none() {
            let fd = self
                .lp
                .async_fd(Borrowed(self.fd))
                .map_err(|e| os_error(&e))?;
            *self.source.borrow_mut() = Some(fd);
        }
        Ok(())
    }

    /// Deregisters once neither direction is watched (before the descriptor is closed, and
    /// so that `sock_sendfile` and friends may register it themselves meanwhile).
    fn release_source(&self) {
        if !self.reader.active() && !self.writer.active() {
            let source = self.source.borrow_mut().take();
            drop(source);
        }
    }

    fn poll_source(&self, cx: &mut Context<'_>, interest: Interest) -> Poll<bool> {
        match self.source.borrow().as_ref() {
            Some(s) => s.poll_ready(cx, interest).map(|()| true),
            None => Poll::Ready(false),
        }
    }

    fn clear_source(&self, interest: Interest) {
        if let Some(s) = self.source.borrow().as_ref() {
            s.clear_ready(interest);
        }
    }

    fn check_loop(&self) -> PyResult<()> {
        if self.lp.is_closed() {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        Ok(())
    }

    fn start_reader(self: &Rc<Self>) -> PyResult<()> {
        if self.reader.active() {
            return Ok(());
        }
        self.check_loop()?;
        self.ensure_source()?;
        let epoch = self.reader.epoch.get() + 1;
        self.reader.epoch.set(epoch);
        let st = self.clone();
        let task = self.lp.spawn(async move {
            loop {
                let watched = poll_fn(|cx| st.poll_source(cx, Interest::Readable)).await;
                if !watched || st.reader.epoch.get() != epoch {
                    return;
                }
                let drained = in_callback(|py| {
                    st.env
                        .timed(py, || st.step_name(py, "_read_ready"), || st.read_ready(py))
                });
                if st.reader.epoch.get() != epoch {
                    return;
                }
                if drained {
                    st.clear_source(Interest::Readable);
                }
                // One read per iteration, as asyncio's loop does.
                asyncio::time::yield_now().await;
            }
        });
        *self.reader.task.borrow_mut() = Some(task);
        Ok(())
    }

    fn stop_reader(&self) -> bool {
        let was = self.reader.stop();
        self.release_source();
        was
    }

    fn start_writer(self: &Rc<Self>) -> PyResult<()> {
        if self.writer.active() {
            return Ok(());
        }
        self.check_loop()?;
        self.ensure_source()?;
        let epoch = self.writer.epoch.get() + 1;
        self.writer.epoch.set(epoch);
        let st = self.clone();
        let task = self.lp.spawn(async move {
            loop {
                let watched = poll_fn(|cx| st.poll_source(cx, Interest::Writable)).await;
                if !watched || st.writer.epoch.get() != epoch {
                    return;
                }
                let step = in_callback(|py| {
                    st.env.timed(
                        py,
                        || st.step_name(py, "_write_ready"),
                        || st.write_ready(py),
                    )
                });
                if st.writer.epoch.get() != epoch {
                    return;
                }
                match step {
                    Step::Wait => st.clear_source(Interest::Writable),
                    Step::Again => asyncio::time::yield_now().await,
                    Step::Done => return,
                }
            }
        });
        *self.writer.task.borrow_mut() = Some(task);
        Ok(())
    }

    fn stop_writer(&self) -> bool {
        let was = self.writer.stop();
        self.release_source();
        was
    }

    // ----- reading ---------------------------------------------------------------------------

    /// One read, and the protocol's callback. Returns whether the descriptor is drained (a
    /// short read or `WouldBlock`): its readiness is then cleared until the next edge.
    fn read_ready(self: &Rc<Self>, py: Python<'_>) -> bool {
        if self.conn_lost.get() > 0 {
            return true;
        }
        if self.role == Role::WritePipe {
            // A write pipe is watched for reading only to learn that its reader went (the
            // descriptor turns readable then; the reactor's first report may be stale).
            if asyncio::io::ready_now(self.fd, Interest::Readable).unwrap_or(true) {
                self.in_context(py, || self.peer_closed(py));
            }
            return true;
        }
        let Some(protocol) = self.protocol(py) else {
            return true;
        };
        let protocol = protocol.bind(py);
        self.in_context(py, || {
            if self.role == Role::Datagram {
                self.read_datagram(py, protocol)
            } else if self.buffered.get() {
                self.read_into_protocol(py, protocol)
            } else {
                self.read_bytes(py, protocol)
            }
        })
    }

    fn read_error(&self) -> &'static str {
        match self.kind() {
            Kind::Socket => "Fatal read error on socket transport",
            Kind::Pipe => "Fatal read error on pipe transport",
        }
    }

    fn read_bytes(self: &Rc<Self>, py: Python<'_>, protocol: &Bound<'_, PyAny>) -> bool {
        let got = {
            let mut buf = self.read_buf.borrow_mut();
            fdio::read(self.fd, self.kind(), &mut buf).map(|n| (n, PyBytes::new(py, &buf[..n])))
        };
        match got {
            Err(e) if fdio::would_block(&e) => e.kind() == std::io::ErrorKind::WouldBlock,
            Err(e) => {
                let exc = os_error(&e);
                self.fatal_error(py, exc.value(py).as_any(), self.read_error());
                true
            }
            Ok((0, _)) if self.role == Role::ReadPipe => {
                self.pipe_eof(py);
                true
            }
            Ok((0, _)) => {
                self.on_eof(py, protocol);
                true
            }
            Ok((n, data)) => {
                let r = protocol.call_method1(intern!(py, "data_received"), (data,));
                if let (Err(e), Role::ReadPipe) = (&r, self.role) {
                    // A read pipe lets the error out of its callback: reported, not fatal.
                    let e = e.clone_ref(py);
                    self.callback_error(
                        py,
                        e,
                        "Exception in callback _ReadPipeTransport._read_ready()",
                    );
                } else if let Err(e) = r {
                    self.protocol_failed(
                        py,
                        e,
                        "Fatal error: protocol.data_received() call failed.",
                    );
                }
                n < MAX_READ
            }
        }
    }

    /// A `BufferedProtocol`: the read goes straight into the protocol's buffer.
    fn read_into_protocol(self: &Rc<Self>, py: Python<'_>, protocol: &Bound<'_, PyAny>) -> bool {
        let buf = protocol
            .call_method1(intern!(py, "get_buffer"), (-1,))
            .and_then(|b| match b.len() {
                Ok(0) => Err(PyRuntimeError::new_err(
                    "get_buffer() returned an empty buffer",
                )),
                Ok(_) => Ok(b),
                Err(e) => Err(e),
            });
        let buf = match buf {
            Ok(b) => b,
            Err(e) => {
                self.protocol_failed(py, e, "Fatal error: protocol.get_buffer() call failed.");
                return true;
            }
        };
        let got = View::new(&buf, true).and_then(|mut view| {
            fdio::read(self.fd, self.kind(), view.bytes_mut()).map_err(|e| {
                if fdio::would_block(&e) {
                    // Not an error: told apart below by its type.
                    pyo3::exceptions::PyBlockingIOError::new_err(())
                } else {
                    os_error(&e)
                }
            })
        });
        drop(buf);
        match got {
            Err(e) if e.is_instance_of::<pyo3::exceptions::PyBlockingIOError>(py) => true,
            Err(e) => {
                self.protocol_failed(py, e, self.read_error());
                true
            }
            Ok(0) => {
                self.on_eof(py, protocol);
                true
            }
            Ok(n) => {
                if let Err(e) = protocol.call_method1(intern!(py, "buffer_updated"), (n,)) {
                    self.protocol_failed(
                        py,
                        e,
                        "Fatal error: protocol.buffer_updated() call failed.",
                    );
                }
                false
            }
        }
    }

    fn on_eof(self: &Rc<Self>, py: Python<'_>, protocol: &Bound<'_, PyAny>) {
        self.debug_log(py, "received EOF");
        let keep_open = match protocol
            .call_method0(intern!(py, "eof_received"))
            .and_then(|r| r.is_truthy())
        {
            Ok(k) => k,
            Err(e) => {
                self.protocol_failed(py, e, "Fatal error: protocol.eof_received() call failed.");
                return;
            }
        };
        if keep_open {
            // The protocol may still write; nothing more can be read.
            self.stop_reader();
        } else {
            self.close(py);
        }
    }

    // ----- writing ---------------------------------------------------------------------------

    fn write_error(&self) -> &'static str {
        match self.kind() {
            Kind::Socket => "Fatal write error on socket transport",
            Kind::Pipe => "Fatal write error on pipe transport",
        }
    }

    fn write(self: &Rc<Self>, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        with_bytes(data, |bytes| self.write_bytes(py, bytes))?
    }

    fn write_bytes(self: &Rc<Self>, py: Python<'_>, bytes: &[u8]) -> PyResult<()> {
        if self.role == Role::WritePipe {
            return self.write_pipe(py, bytes);
        }
        if self.eof.get() {
            return Err(PyRuntimeError::new_err(
                "Cannot call write() after write_eof()",
            ));
        }
        if self.refs.borrow().empty_waiter.is_some() {
            return Err(PyRuntimeError::new_err(
                "unable to write; sendfile is in progress",
            ));
        }
        if bytes.is_empty() {
            return Ok(());
        }
        if self.conn_lost.get() > 0 {
            if self.conn_lost.get() >= CONNLOST_WRITES_LOGGED {
                self.log(py, "warning", "socket.send() raised exception.", None);
            }
            self.conn_lost.set(self.conn_lost.get() + 1);
            return Ok(());
        }
        self.send_or_buffer(py, bytes)
    }

    /// Sends `bytes` at once if nothing waits in the buffer, and buffers what the descriptor
    /// does not take (starting the writer, pausing the protocol past the high-water mark); an
    /// error is fatal (a pipe also counts it as a lost write, as CPython's does).
    fn send_or_buffer(self: &Rc<Self>, py: Python<'_>, bytes: &[u8]) -> PyResult<()> {
        let mut rest = bytes;
        if self.buffered_len() == 0 {
            // Straight to the descriptor; only what it does not take is buffered.
            match fdio::write(self.fd, self.kind(), bytes) {
                Ok(n) if n == bytes.len() => return Ok(()),
                Ok(n) => rest = &bytes[n..],
                Err(e) if fdio::would_block(&e) => {}
                Err(e) => {
                    if self.role == Role::WritePipe {
                        self.conn_lost.set(self.conn_lost.get() + 1);
                    }
                    let exc = os_error(&e);
                    self.fatal_error(py, exc.value(py).as_any(), self.write_error());
                    return Ok(());
                }
            }
            self.start_writer()?;
        }
        self.out.borrow_mut().extend_from_slice(rest);
        self.maybe_pause_protocol(py)
    }

    /// Takes `n` sent bytes off the buffer.
    fn consume(&self, n: usize) {
        let mut out = self.out.borrow_mut();
        let start = self.out_start.get() + n;
        if start >= out.len() {
            out.clear();
            self.out_start.set(0);
        } else if start > 64 * 1024 && start > out.len() / 2 {
            out.drain(..start);
            self.out_start.set(0);
        } else {
            self.out_start.set(start);
        }
    }

    fn clear_out(&self) {
        self.out.borrow_mut().clear();
        self.out_start.set(0);
        let dropped = std::mem::take(&mut *self.dgrams.borrow_mut());
        drop(dropped);
        self.dgram_size.set(0);
    }

    /// The writer's step: send what the buffer holds.
    fn write_ready(self: &Rc<Self>, py: Python<'_>) -> Step {
        if self.conn_lost.get() > 0 {
            self.stop_writer();
            return Step::Done;
        }
        if self.role == Role::Datagram {
            return self.in_context(py, || self.sendto_ready(py));
        }
        let sent = {
            let out = self.out.borrow();
            fdio::write(self.fd, self.kind(), &out[self.out_start.get()..])
        };
        if self.role == Role::WritePipe {
            return self.in_context(py, || self.write_pipe_ready(py, sent));
        }
        self.in_context(py, || match sent {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Step::Again,
            Err(e) if fdio::would_block(&e) => Step::Wait,
            Err(e) => {
                self.stop_writer();
                self.clear_out();
                let exc = os_error(&e);
                let exc = exc.value(py);
                self.fatal_error(py, exc.as_any(), self.write_error());
                self.settle_empty_waiter(py, Some(exc.as_any()));
                Step::Done
            }
            Ok(n) => {
                self.consume(n);
                if let Err(e) = self.maybe_resume_protocol(py) {
                    self.env.set_fatal(e);
                }
                if self.buffered_len() > 0 {
                    return if n == 0 { Step::Wait } else { Step::Again };
                }
                self.stop_writer();
                self.settle_empty_waiter(py, None);
                if self.closing.load(Relaxed) {
                    self.connection_lost(py, None);
                } else if self.eof.get() {
                    if let Err(e) = fdio::shutdown_write(self.fd) {
                        self.callback_error(py, os_error(&e), "Exception in write_eof()");
                    }
                }
                Step::Done
            }
        })
    }

    /// Resolves `sendfile`'s empty-buffer waiter, unless there is none or it is done: with
    /// `exc`, or with `None`. No borrow is held while Python runs.
    fn settle_empty_waiter(&self, py: Python<'_>, exc: Option<&Bound<'_, PyAny>>) {
        let waiter = self
            .refs
            .borrow()
            .empty_waiter
            .as_ref()
            .map(|w| w.clone_ref(py));
        let Some(w) = waiter else {
            return;
        };
        let w = w.bind(py);
        if w.call_method0("done")
            .and_then(|d| d.is_truthy())
            .unwrap_or(true)
        {
            return;
        }
        let _ = match exc {
            Some(e) => w.call_method1("set_exception", (e,)),
            None => w.call_method1("set_result", (py.None(),)),
        };
    }

    fn maybe_pause_protocol(&self, py: Python<'_>) -> PyResult<()> {
        if self.buffered_len() <= self.high.get() || self.protocol_paused.get() {
            return Ok(());
        }
        self.protocol_paused.set(true);
        if let Some(p) = self.protocol(py) {
            if let Err(e) = p.bind(py).call_method0(intern!(py, "pause_writing")) {
                if is_exit(py, &e) {
                    return Err(e);
                }
                self.report(py, "protocol.pause_writing() failed", e.value(py).as_any());
            }
        }
        Ok(())
    }

    fn maybe_resume_protocol(&self, py: Python<'_>) -> PyResult<()> {
        if !self.protocol_paused.get() || self.buffered_len() > self.low.get() {
            return Ok(());
        }
        self.protocol_paused.set(false);
        if let Some(p) = self.protocol(py) {
            if let Err(e) = p.bind(py).call_method0(intern!(py, "resume_writing")) {
                if is_exit(py, &e) {
                    return Err(e);
                }
                self.report(py, "protocol.resume_writing() failed", e.value(py).as_any());
            }
        }
        Ok(())
    }

    // ----- closing ---------------------------------------------------------------------------

    fn close(self: &Rc<Self>, py: Python<'_>) {
        if self.closing.load(Relaxed) {
            return;
        }
        self.closing.store(true, Relaxed);
        self.stop_reader();
        if self.buffered_len() == 0 {
            self.conn_lost.set(self.conn_lost.get() + 1);
            self.stop_writer();
            self.schedule_connection_lost(py, None);
        }
    }

    fn force_close(self: &Rc<Self>, py: Python<'_>, exc: Option<Py<PyAny>>) {
        if self.conn_lost.get() > 0 {
            return;
        }
        if self.buffered_len() > 0 {
            self.clear_out();
            self.stop_writer();
        }
        if !self.closing.load(Relaxed) {
            self.closing.store(true, Relaxed);
            self.stop_reader();
        }
        self.conn_lost.set(self.conn_lost.get() + 1);
        self.schedule_connection_lost(py, exc);
    }

    fn schedule_connection_lost(self: &Rc<Self>, _py: Python<'_>, exc: Option<Py<PyAny>>) {
        if self.lp.is_closed() || self.lost_scheduled.replace(true) {
            return;
        }
        let st = self.clone();
        drop(self.lp.call_soon(move || {
            in_callback(|py| st.in_context(py, || st.connection_lost(py, exc)));
        }));
    }

    /// The end: the protocol's `connection_lost`, then the descriptor is closed and the
    /// transport lets go of its loop, socket and server.
    fn connection_lost(self: &Rc<Self>, py: Python<'_>, exc: Option<Py<PyAny>>) {
        if self.refs.borrow().owner.is_none() {
            // Already lost (or the collector broke the transport up): once only.
            return;
        }
        let result = if self.connected.get() {
            match self.protocol(py) {
                Some(p) => p
                    .bind(py)
                    .call_method1(intern!(py, "connection_lost"), (exc,))
                    .map(drop),
                None => Ok(()),
            }
        } else {
            Ok(())
        };
        self.stop_reader();
        self.stop_writer();
        let refs = {
            let mut r = self.refs.borrow_mut();
            Refs {
                owner: r.owner.take(),
                py_loop: r.py_loop.take(),
                protocol: r.protocol.take(),
                sock: r.sock.take(),
                server: r.server.take(),
                empty_waiter: None,
            }
        };
        let mut failure = result.err();
        if let Some(sock) = &refs.sock {
            if let Err(e) = sock.bind(py).call_method0("close") {
                failure.get_or_insert(e);
            }
        }
        if let Some(server) = &refs.server {
            let detached = if self.server_takes_transport {
                server
                    .bind(py)
                    .call_method1("_detach", (refs.owner.as_ref(),))
            } else {
                server.bind(py).call_method0("_detach")
            };
            if let Err(e) = detached {
                failure.get_or_insert(e);
            }
        }
        let lost = PyConnectionError::new_err("Connection is closed by peer");
        self.settle_empty_waiter(py, Some(lost.value(py).as_any()));
        if let Some(e) = failure {
            // The loop was forgotten just above; report through the one from before.
            self.refs.borrow_mut().py_loop = refs.py_loop.as_ref().map(|l| l.clone_ref(py));
            self.callback_error(py, e, "Exception in callback connection_lost()");
            self.refs.borrow_mut().py_loop = None;
        }
    }
}

/// The Rust half of `asyncio_rs`'s stream transports.
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct StreamTransport {
    st: OnThread<Rc<State>>,
    closing: Arc<AtomicBool>,
}

impl std::fmt::Debug for StreamTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamTransport")
            .field("fd", &self.st.get().map(|s| s.fd).ok())
            .finish()
    }
}
