//! [`Transport`], the Python base class of every kind: the state, and the methods of
//! asyncio's transport API whose behaviour is the same for all (`pause_reading`, the water
//! marks, the protocol, the getters `asyncio_rs._transports` reads), each on the loop's thread
//! only, and the garbage collector's hooks. The kinds' classes (`socket.rs`, `pipe.rs`,
//! `datagram.rs`) extend it with their own constructors and the methods that differ.

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

use super::state::{Outgoing, Refs, Role, State, Watcher};
use super::{water_marks, READ_BUF};
use crate::bound::OnThread;
use crate::py_loop::Loop;

/// The Rust half of `asyncio_rs`'s transports: the base class of [`SocketTransport`](super::SocketTransport),
/// [`ReadPipeTransport`](super::ReadPipeTransport), [`WritePipeTransport`](super::WritePipeTransport)
/// and [`DatagramTransport`](super::DatagramTransport).
#[pyclass(subclass, frozen, module = "asyncio_rs._core")]
pub struct Transport {
    pub(super) st: OnThread<Rc<State>>,
    closing: Arc<AtomicBool>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("fd", &self.st.get().map(|s| s.fd).ok())
            .finish()
    }
}

/// What every kind's constructor is given.
pub(super) struct Opening<'py> {
    /// The Python transport this is the state of.
    pub(super) owner: Py<PyAny>,
    /// An `asyncio_rs.EventLoop`.
    pub(super) py_loop: Bound<'py, PyAny>,
    /// The socket, or the pipe's file object.
    pub(super) sock: Bound<'py, PyAny>,
    pub(super) protocol: Py<PyAny>,
    /// The protocol is a `BufferedProtocol`.
    pub(super) buffered: bool,
    pub(super) server: Option<Py<PyAny>>,
    /// Python 3.13's `Server._attach(transport)` (older: `_attach()`).
    pub(super) server_takes_transport: bool,
}

impl Transport {
    /// The state of a transport of kind `role`, with `out` for what it sends.
    pub(super) fn open(
        py: Python<'_>,
        o: Opening<'_>,
        role: Role,
        out: Outgoing,
    ) -> PyResult<Self> {
        let core = o.py_loop.getattr("_core")?;
        let core = core.cast::<Loop>()?;
        let (lp, env) = core.get().parts()?;
        let fd: RawFd = o.sock.call_method0("fileno")?.extract()?;
        // SAFETY: the GIL is held; a new reference or NULL with an error set comes back.
        let context = unsafe {
            Bound::from_owned_ptr_or_err(py, pyo3::ffi::PyContext_CopyCurrent())?.unbind()
        };
        let closing = Arc::new(AtomicBool::new(false));
        let st = State {
            lp,
            env,
            fd,
            role,
            server_takes_transport: o.server_takes_transport,
            context,
            refs: RefCell::new(Refs {
                owner: Some(o.owner),
                py_loop: Some(o.py_loop.unbind()),
                protocol: Some(o.protocol),
                sock: Some(o.sock.unbind()),
                server: o.server,
                empty_waiter: None,
            }),
            buffered: Cell::new(o.buffered),
            connected: Cell::new(true),
            source: RefCell::new(None),
            reader: Watcher::default(),
            writer: Watcher::default(),
            out,
            conn_lost: Cell::new(0),
            lost_scheduled: Cell::new(false),
            closing: closing.clone(),
            paused: Cell::new(false),
            eof: Cell::new(false),
            protocol_paused: Cell::new(false),
            high: Cell::new(64 * 1024),
            low: Cell::new(16 * 1024),
            read_buf: READ_BUF.with(Rc::clone),
        };
        let home = st.env.remote.clone();
        Ok(Self {
            st: OnThread::new(Rc::new(st), home),
            closing,
        })
    }

    /// The state of the transport `slf` (a kind's class) extends.
    pub(super) fn state_of<T: pyo3::PyClass<BaseType = Transport>>(
        slf: &Bound<'_, T>,
    ) -> PyResult<Rc<State>> {
        Ok(slf.as_super().get().st.get()?.clone())
    }
}

#[pymethods]
impl Transport {
    /// Starts reading, unless paused or closing (scheduled right after `connection_made`).
    fn _start_reading(&self) -> PyResult<()> {
        if self.st.get()?.is_reading() {
            self.st.get()?.start_reader()?;
        }
        Ok(())
    }

    #[pyo3(signature = (exc))]
    fn _force_close(&self, py: Python<'_>, exc: Option<Py<PyAny>>) -> PyResult<()> {
        self.st.get()?.force_close(py, exc);
        Ok(())
    }

    #[pyo3(signature = (exc, message = "Fatal error on transport"))]
    fn _fatal_error(&self, py: Python<'_>, exc: &Bound<'_, PyAny>, message: &str) -> PyResult<()> {
        self.st.get()?.fatal_error(py, exc, message);
        Ok(())
    }

    /// Whether the transport is closing or closed (from any thread).
    fn is_closing(&self) -> bool {
        self.closing.load(Relaxed)
    }

    fn is_reading(&self) -> PyResult<bool> {
        Ok(self.st.get()?.is_reading())
    }

    /// Stops reading until `resume_reading()`.
    fn pause_reading(&self, py: Python<'_>) -> PyResult<()> {
        let st = self.st.get()?;
        if !st.is_reading() {
            return Ok(());
        }
        st.paused.set(true);
        st.stop_reader();
        st.debug_log(py, "pauses reading");
        Ok(())
    }

    fn resume_reading(&self, py: Python<'_>) -> PyResult<()> {
        let st = self.st.get()?;
        if st.closing.load(Relaxed) || !st.paused.get() {
            return Ok(());
        }
        st.paused.set(false);
        st.start_reader()?;
        st.debug_log(py, "resumes reading");
        Ok(())
    }

    fn get_write_buffer_size(&self) -> PyResult<usize> {
        Ok(self.st.get()?.buffered_len())
    }

    /// `(low, high)`.
    fn get_write_buffer_limits(&self) -> PyResult<(usize, usize)> {
        let st = self.st.get()?;
        Ok((st.low.get(), st.high.get()))
    }

    #[pyo3(signature = (high=None, low=None))]
    fn set_write_buffer_limits(
        &self,
        py: Python<'_>,
        high: Option<i64>,
        low: Option<i64>,
    ) -> PyResult<()> {
        let (high, low) = water_marks(high, low)?;
        self.st.get()?.high.set(high);
        self.st.get()?.low.set(low);
        self.st.get()?.maybe_pause_protocol(py)
    }

    fn get_protocol(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self.st.get()?.protocol(py))
    }

    /// Sets the protocol; `buffered` says it is a `BufferedProtocol`.
    fn set_protocol(&self, protocol: Py<PyAny>, buffered: bool) -> PyResult<()> {
        let st = self.st.get()?;
        st.refs.borrow_mut().protocol = Some(protocol);
        st.buffered.set(buffered);
        st.connected.set(true);
        Ok(())
    }

    /// `sendfile`'s waiter for an empty buffer (or `None`).
    fn _set_empty_waiter(&self, waiter: Option<Py<PyAny>>) -> PyResult<()> {
        self.st.get()?.refs.borrow_mut().empty_waiter = waiter;
        Ok(())
    }

    #[getter]
    fn _empty_waiter(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self
            .st
            .get()?
            .refs
            .borrow()
            .empty_waiter
            .as_ref()
            .map(|w| w.clone_ref(py)))
    }

    #[getter]
    fn _sock(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self
            .st
            .get()?
            .refs
            .borrow()
            .sock
            .as_ref()
            .map(|s| s.clone_ref(py)))
    }

    /// Replaces (or forgets, with `None`) the socket or pipe object closed at the end.
    fn _set_sock(&self, sock: Option<Py<PyAny>>) -> PyResult<()> {
        self.st.get()?.refs.borrow_mut().sock = sock;
        Ok(())
    }

    #[getter]
    fn _sock_fd(&self) -> PyResult<RawFd> {
        Ok(self.st.get()?.fd)
    }

    #[getter]
    fn _loop(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self.st.get()?.py_loop(py))
    }

    #[getter]
    fn _server(&self, py: Python<'_>) -> PyResult<Option<Py<PyAny>>> {
        Ok(self
            .st
            .get()?
            .refs
            .borrow()
            .server
            .as_ref()
            .map(|s| s.clone_ref(py)))
    }

    #[getter]
    fn _protocol_paused(&self) -> PyResult<bool> {
        Ok(self.st.get()?.protocol_paused.get())
    }

    #[getter]
    fn _conn_lost(&self) -> PyResult<u32> {
        Ok(self.st.get()?.conn_lost.get())
    }

    #[getter]
    fn _eof(&self) -> PyResult<bool> {
        Ok(self.st.get()?.eof.get())
    }

    #[getter]
    fn _paused(&self) -> PyResult<bool> {
        Ok(self.st.get()?.paused.get())
    }

    /// Whether the reactor watches the descriptor for reading and for writing (for `repr`).
    fn _polling(&self) -> PyResult<(bool, bool)> {
        let st = self.st.get()?;
        Ok((st.reader.active(), st.writer.active()))
    }

    fn __traverse__(&self, visit: PyVisit<'_>) -> Result<(), PyTraverseError> {
        // While the reactor or the ready queue holds this state (a watched descriptor, a
        // pending `connection_lost`), its objects are reachable from there, not garbage:
        // they are not reported, so the collector never breaks them up.
        // On another thread (a collection started there) nothing is reported either: the
        // objects stay, at worst until a collection on the loop's thread.
        let Ok(st) = self.st.get() else {
            return Ok(());
        };
        if Rc::strong_count(st) > 1 {
            return Ok(());
        }
        visit.call(&st.context)?;
        if let Outgoing::Datagrams(d) = &st.out {
            visit.call(&d.remote_address)?;
        }
        let Ok(refs) = st.refs.try_borrow() else {
            return Ok(());
        };
        for r in [
            &refs.owner,
            &refs.py_loop,
            &refs.protocol,
            &refs.sock,
            &refs.server,
            &refs.empty_waiter,
        ] {
            visit.call(r)?;
        }
        Ok(())
    }

    fn __clear__(&self) {
        let Ok(st) = self.st.get() else {
            return;
        };
        if let Ok(mut refs) = st.refs.try_borrow_mut() {
            let old = std::mem::take(&mut *refs);
            drop(refs);
            drop(old);
        }
    }
}
