//! The datagram transport's steps (CPython's `_SelectorDatagramTransport`): one datagram per
//! read, `sendto` straight to the socket with a queue of whole datagrams behind it.
//! IPv4 datagrams are received here, with the sender's address built in Rust; other
//! families go through the socket object's `recvfrom`, and sending through its
//! `send`/`sendto`, so addresses mean exactly what they mean to Python's socket module.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;

use pyo3::exceptions::{PyBlockingIOError, PyInterruptedError, PyOSError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::base::{Opening, Transport};
use super::state::{Outgoing, Role, State, Step};
use super::{is_exit, os_error, CONNLOST_WRITES_LOGGED, MAX_READ};
use crate::fdio;

/// A datagram socket's queue and addressing: what only this kind has.
pub(super) struct Datagrams {
    /// Whole datagrams and their addresses, waiting for the socket.
    pub(super) queue: RefCell<VecDeque<(Py<PyBytes>, Py<PyAny>)>>,
    /// Their bytes in all (the write buffer size).
    pub(super) size: Cell<usize>,
    /// A connected endpoint's remote address (`sendto` refuses others).
    pub(super) remote_address: Option<Py<PyAny>>,
    /// The socket has a peer: datagrams go with `send`, not `sendto`.
    pub(super) peer_connected: bool,
    /// An IPv4 socket: datagrams are received here, not through `recvfrom`.
    pub(super) native_v4: bool,
}

/// What one send came to.
enum Sent {
    Done,
    /// The socket is full: try again when writable.
    Later,
    /// Reported (to `error_received`, or as fatal).
    Failed,
}

impl State {
    /// A datagram transport's queue and addressing.
    ///
    /// # Panics
    /// On a stream transport, whose classes never reach the datagram paths.
    fn datagrams(&self) -> &Datagrams {
        match &self.out {
            Outgoing::Datagrams(d) => d,
            Outgoing::Bytes(_) => unreachable!("a stream transport has no datagram queue"),
        }
    }

    /// One datagram, to the protocol's `datagram_received` (or its error to
    /// `error_received`). Returns whether the socket is drained.
    pub(super) fn read_datagram(
        self: &Rc<Self>,
        py: Python<'_>,
        protocol: &Bound<'_, PyAny>,
    ) -> bool {
        let got: PyResult<(Bound<'_, PyBytes>, Bound<'_, PyAny>)> = if self.datagrams().native_v4 {
            let mut buf = self.read_buf.borrow_mut();
            match fdio::recv_from_v4(self.fd, &mut buf) {
                Ok((n, from)) => {
                    let data = PyBytes::new(py, &buf[..n]);
                    drop(buf);
                    (from.ip().to_string(), from.port())
                        .into_pyobject(py)
                        .map(|a| (data, a.into_any()))
                }
                Err(e) if fdio::would_block(&e) => {
                    return e.kind() == std::io::ErrorKind::WouldBlock
                }
                Err(e) => Err(os_error(&e)),
            }
        } else {
            let sock = self.refs.borrow().sock.as_ref().map(|s| s.clone_ref(py));
            let Some(sock) = sock else {
                return true;
            };
            match sock
                .bind(py)
                .call_method1(intern!(py, "recvfrom"), (MAX_READ,))
            {
                Ok(pair) => pair.extract(),
                Err(e)
                    if e.is_instance_of::<PyBlockingIOError>(py)
                        || e.is_instance_of::<PyInterruptedError>(py) =>
                {
                    return true;
                }
                Err(e) => Err(e),
            }
        };
        let outcome = match got {
            Ok((data, addr)) => protocol
                .call_method1(intern!(py, "datagram_received"), (data, addr))
                .map(drop),
            Err(e) if e.is_instance_of::<PyOSError>(py) => protocol
                .call_method1(intern!(py, "error_received"), (e.value(py),))
                .map(drop),
            Err(e) if is_exit(py, &e) => Err(e),
            Err(e) => {
                self.fatal_error(
                    py,
                    e.value(py).as_any(),
                    "Fatal read error on datagram transport",
                );
                Ok(())
            }
        };
        if let Err(e) = outcome {
            // The protocol's own error leaves the callback, as on CPython's loop: reported,
            // and the transport goes on.
            self.callback_error(
                py,
                e,
                "Exception in callback _DatagramTransport._read_ready()",
            );
        }
        false
    }

    /// Sends one datagram (through the socket object: its address rules are Python's).
    fn send_datagram(
        self: &Rc<Self>,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        addr: &Bound<'_, PyAny>,
    ) -> PyResult<Sent> {
        let sock = self.refs.borrow().sock.as_ref().map(|s| s.clone_ref(py));
        let Some(sock) = sock else {
            return Ok(Sent::Failed);
        };
        let sock = sock.bind(py);
        let r = if self.datagrams().peer_connected {
            sock.call_method1(intern!(py, "send"), (data,))
        } else {
            sock.call_method1(intern!(py, "sendto"), (data, addr))
        };
        match r {
            Ok(_) => Ok(Sent::Done),
            Err(e)
                if e.is_instance_of::<PyBlockingIOError>(py)
                    || e.is_instance_of::<PyInterruptedError>(py) =>
            {
                Ok(Sent::Later)
            }
            Err(e) if e.is_instance_of::<PyOSError>(py) => {
                if let Some(p) = self.protocol(py) {
                    p.bind(py)
                        .call_method1(intern!(py, "error_received"), (e.value(py),))?;
                }
                Ok(Sent::Failed)
            }
            Err(e) if is_exit(py, &e) => Err(e),
            Err(e) => {
                self.fatal_error(
                    py,
                    e.value(py).as_any(),
                    "Fatal write error on datagram transport",
                );
                Ok(Sent::Failed)
            }
        }
    }

    /// asyncio's `DatagramTransport.sendto`.
    pub(super) fn sendto(
        self: &Rc<Self>,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        addr: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let size = super::with_bytes(data, <[u8]>::len)?;
        if size == 0 {
            return Ok(());
        }
        let none = py.None().into_bound(py);
        let mut addr = addr.cloned().unwrap_or(none);
        if let Some(remote) = &self.datagrams().remote_address {
            let remote = remote.bind(py);
            if !addr.is_none() && !addr.eq(remote)? {
                return Err(PyValueError::new_err(format!(
                    "Invalid address: must be None or {}",
                    remote.str()?
                )));
            }
            addr = remote.clone();
            if self.conn_lost.get() > 0 {
                if self.conn_lost.get() >= CONNLOST_WRITES_LOGGED {
                    self.log(py, "warning", "socket.send() raised exception.", None);
                }
                self.conn_lost.set(self.conn_lost.get() + 1);
                return Ok(());
            }
        }
        if self.datagrams().queue.borrow().is_empty() {
            match self.send_datagram(py, data, &addr)? {
                Sent::Done | Sent::Failed => return Ok(()),
                Sent::Later => self.start_writer()?,
            }
        }
        // What waits must not change under us: a copy.
        let copy = super::with_bytes(data, |b| PyBytes::new(py, b))?;
        self.datagrams()
            .queue
            .borrow_mut()
            .push_back((copy.unbind(), addr.unbind()));
        self.datagrams()
            .size
            .set(self.datagrams().size.get() + size);
        self.maybe_pause_protocol(py)
    }

    /// The writer's step: the queued datagrams, in order, until the socket is full.
    pub(super) fn sendto_ready(self: &Rc<Self>, py: Python<'_>) -> Step {
        loop {
            let next = self.datagrams().queue.borrow_mut().pop_front();
            let Some((data, addr)) = next else {
                break;
            };
            let size = data.bind(py).as_bytes().len();
            self.datagrams()
                .size
                .set(self.datagrams().size.get() - size);
            match self.send_datagram(py, data.bind(py).as_any(), addr.bind(py)) {
                Ok(Sent::Done) => {}
                Ok(Sent::Later) => {
                    self.datagrams().queue.borrow_mut().push_front((data, addr));
                    self.datagrams()
                        .size
                        .set(self.datagrams().size.get() + size);
                    return Step::Wait;
                }
                Ok(Sent::Failed) => return Step::Again,
                Err(e) => {
                    self.callback_error(
                        py,
                        e,
                        "Exception in callback _DatagramTransport._sendto_ready()",
                    );
                    return Step::Again;
                }
            }
        }
        if let Err(e) = self.maybe_resume_protocol(py) {
            self.env.set_fatal(e);
        }
        if !self.datagrams().queue.borrow().is_empty() {
            return Step::Again;
        }
        self.stop_writer();
        if self.closing.load(Relaxed) {
            self.connection_lost(py, None);
        }
        Step::Done
    }
}

/// asyncio's `_SelectorDatagramTransport`, in Rust.
#[pyclass(extends = Transport, frozen, module = "asyncio_rs._core")]
#[derive(Debug)]
pub struct DatagramTransport;

#[pymethods]
impl DatagramTransport {
    /// The state of the datagram transport `owner` on `loop` for `sock`; `address` is a
    /// connected endpoint's remote address.
    #[new]
    #[pyo3(signature = (owner, py_loop, sock, protocol, address=None, peer_connected=false))]
    fn new(
        py: Python<'_>,
        owner: Py<PyAny>,
        py_loop: &Bound<'_, PyAny>,
        sock: &Bound<'_, PyAny>,
        protocol: Py<PyAny>,
        address: Option<Py<PyAny>>,
        peer_connected: bool,
    ) -> PyResult<PyClassInitializer<Self>> {
        let datagrams = Datagrams {
            queue: RefCell::new(VecDeque::new()),
            size: Cell::new(0),
            remote_address: address,
            peer_connected,
            native_v4: sock.getattr("family")?.extract::<i32>()? == libc::AF_INET,
        };
        let opening = Opening {
            owner,
            py_loop: py_loop.clone(),
            sock: sock.clone(),
            protocol,
            buffered: false,
            server: None,
            server_takes_transport: false,
        };
        let out = Outgoing::Datagrams(datagrams);
        let base = Transport::open(py, opening, Role::Datagram, out)?;
        Ok(PyClassInitializer::from(base).add_subclass(Self))
    }

    /// asyncio's `DatagramTransport.sendto`.
    #[pyo3(signature = (data, addr=None))]
    fn sendto(
        slf: &Bound<'_, Self>,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        addr: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        Transport::state_of(slf)?.sendto(py, data, addr)
    }

    /// Closes after the queue is sent; `connection_lost(None)` follows.
    fn close(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.close(py);
        Ok(())
    }

    /// Closes now, dropping the queue; `connection_lost(None)` follows.
    fn abort(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.force_close(py, None);
        Ok(())
    }
}
