//! The state every transport kind shares: its loop, descriptor, Python references, watched
//! directions, flags and water marks, and how it reports errors. What differs by kind is its
//! [`Role`] and its [`Outgoing`] data; the steps are in `watch.rs`, `read.rs`, `write.rs` and
//! `close.rs`, the kinds' own in `pipe.rs` and `datagram.rs`.

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use asyncio::io::AsyncFd;
use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::{is_exit, Borrowed};
use crate::fdio::Kind;
use crate::py_loop::Env;

/// The Python objects a transport refers to; all but the protocol go when the connection is
/// lost (as CPython's transport forgets its loop, socket and server).
#[derive(Default)]
pub(super) struct Refs {
    /// The Python transport this is the state of.
    pub(super) owner: Option<Py<PyAny>>,
    pub(super) py_loop: Option<Py<PyAny>>,
    pub(super) protocol: Option<Py<PyAny>>,
    pub(super) sock: Option<Py<PyAny>>,
    pub(super) server: Option<Py<PyAny>>,
    /// `sendfile`'s future for "the write buffer is empty".
    pub(super) empty_waiter: Option<Py<PyAny>>,
}

/// Whether a direction is watched: its step is then the ready callback of the transport's
/// reactor registration (`watch.rs`).
#[derive(Default)]
pub(super) struct Watcher {
    active: Cell<bool>,
}

impl Watcher {
    pub(super) fn active(&self) -> bool {
        self.active.get()
    }

    /// Marks the direction watched; false if it already was.
    pub(super) fn start(&self) -> bool {
        !self.active.replace(true)
    }

    /// Marks it unwatched; whether it was watched.
    pub(super) fn stop(&self) -> bool {
        self.active.replace(false)
    }
}

/// Which of asyncio's transports this is: CPython's `_SelectorSocketTransport`,
/// `_UnixReadPipeTransport`, `_UnixWritePipeTransport` or `_SelectorDatagramTransport` (their
/// semantics differ in how errors, the end of the stream and closing go). Each has its own
/// Python class, which sets it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Socket,
    ReadPipe,
    WritePipe,
    Datagram,
}

/// What waits to be sent, by kind.
pub(super) enum Outgoing {
    /// A stream's (a socket's or a write pipe's) bytes.
    Bytes(Bytes),
    /// A datagram socket's whole datagrams (`datagram.rs`).
    Datagrams(super::datagram::Datagrams),
}

/// A stream's write buffer: `buf[start..]` is still to be sent.
#[derive(Default)]
pub(super) struct Bytes {
    pub(super) buf: RefCell<Vec<u8>>,
    pub(super) start: Cell<usize>,
}

/// What the write side should do after a step.
pub(super) enum Step {
    /// Wait for the descriptor to be ready again.
    Wait,
    /// Try again on the next iteration (more may go now).
    Again,
    /// The writer is done (stopped).
    Done,
}

/// One transport's state, shared by every kind; what differs by kind is its [`Role`] (set by
/// the kind's class, never by Python) and its [`Outgoing`] data.
pub(super) struct State {
    pub(super) lp: asyncio::EventLoop,
    pub(super) env: Arc<Env>,
    pub(super) fd: RawFd,
    pub(super) role: Role,
    /// Python 3.13's `Server._attach(transport)` (older: `_attach()`).
    pub(super) server_takes_transport: bool,
    /// The `contextvars.Context` the protocol's callbacks run in (a copy of the creator's).
    pub(super) context: Py<PyAny>,
    pub(super) refs: RefCell<Refs>,
    pub(super) buffered: Cell<bool>,
    pub(super) connected: Cell<bool>,
    /// The registration with the reactor: present while a direction is watched.
    pub(super) source: RefCell<Option<AsyncFd<Borrowed>>>,
    pub(super) reader: Watcher,
    pub(super) writer: Watcher,
    /// What waits to be sent: a stream's bytes, or a datagram socket's datagrams.
    pub(super) out: Outgoing,
    pub(super) conn_lost: Cell<u32>,
    /// `connection_lost` is scheduled (it runs once).
    pub(super) lost_scheduled: Cell<bool>,
    /// `close()` or an error started the end (shared with the Python object, which answers
    /// `is_closing()` from any thread: a finalizer may ask from the collector's).
    pub(super) closing: Arc<AtomicBool>,
    pub(super) paused: Cell<bool>,
    pub(super) eof: Cell<bool>,
    pub(super) protocol_paused: Cell<bool>,
    pub(super) high: Cell<usize>,
    pub(super) low: Cell<usize>,
    pub(super) read_buf: Rc<RefCell<Box<[u8]>>>,
}

impl State {
    pub(super) fn kind(&self) -> Kind {
        match self.role {
            Role::Socket | Role::Datagram => Kind::Socket,
            Role::ReadPipe | Role::WritePipe => Kind::Pipe,
        }
    }

    pub(super) fn protocol(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.refs
            .borrow()
            .protocol
            .as_ref()
            .map(|p| p.clone_ref(py))
    }

    pub(super) fn owner(&self, py: Python<'_>) -> Py<PyAny> {
        match &self.refs.borrow().owner {
            Some(o) => o.clone_ref(py),
            None => py.None(),
        }
    }

    pub(super) fn py_loop(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.refs.borrow().py_loop.as_ref().map(|p| p.clone_ref(py))
    }

    pub(super) fn buffered_len(&self) -> usize {
        match &self.out {
            Outgoing::Bytes(b) => b.buf.borrow().len() - b.start.get(),
            Outgoing::Datagrams(d) => d.size.get(),
        }
    }

    /// A stream's write buffer.
    ///
    /// # Panics
    /// On a datagram transport, whose classes never reach the byte-stream paths.
    pub(super) fn bytes(&self) -> &Bytes {
        match &self.out {
            Outgoing::Bytes(b) => b,
            Outgoing::Datagrams(_) => unreachable!("a datagram transport has no byte stream"),
        }
    }

    pub(super) fn is_reading(&self) -> bool {
        !self.closing.load(Relaxed) && !self.paused.get()
    }

    pub(super) fn debug(&self, py: Python<'_>) -> bool {
        self.py_loop(py)
            .and_then(|l| l.bind(py).call_method0("get_debug").ok())
            .is_some_and(|d| d.is_truthy().unwrap_or(false))
    }

    /// `logger.<level>(msg, *args)` on the `asyncio` logger; a failure to log is dropped.
    pub(super) fn log(
        &self,
        py: Python<'_>,
        level: &str,
        msg: &str,
        exc: Option<&Bound<'_, PyAny>>,
    ) {
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
    pub(super) fn debug_log(&self, py: Python<'_>, what: &str) {
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
    pub(super) fn step_name(&self, py: Python<'_>, step: &str) -> String {
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
    pub(super) fn in_context<R>(&self, py: Python<'_>, f: impl FnOnce() -> R) -> R {
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
    pub(super) fn report(&self, py: Python<'_>, message: &str, exc: &Bound<'_, PyAny>) {
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
    pub(super) fn callback_error(&self, py: Python<'_>, e: PyErr, message: &str) {
        if is_exit(py, &e) {
            self.env.set_fatal(e);
        } else {
            self.report(py, message, e.value(py).as_any());
        }
    }

    /// An error that ends the connection (CPython's `_fatal_error`): reported unless it is
    /// an `OSError` (logged in debug mode only), then the transport is closed at once.
    pub(super) fn fatal_error(
        self: &Rc<Self>,
        py: Python<'_>,
        exc: &Bound<'_, PyAny>,
        message: &str,
    ) {
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
    pub(super) fn protocol_failed(self: &Rc<Self>, py: Python<'_>, e: PyErr, message: &str) {
        if is_exit(py, &e) {
            self.env.set_fatal(e);
        } else {
            self.fatal_error(py, e.value(py).as_any(), message);
        }
    }
}
