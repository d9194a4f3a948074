//! The Python methods of [`StreamTransport`]: asyncio's transport API (`write`, `close`,
//! `pause_reading`, the water marks, …), each on the loop's thread only, and the garbage
//! collector's hooks.

use std::cell::{Cell, RefCell};
use std::os::fd::RawFd;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::Ordering::Relaxed;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::{PyTraverseError, PyVisit};

use super::{os_error, water_marks, Refs, Role, State, StreamTransport, Watcher, READ_BUF};
use crate::bound::OnThread;
use crate::fdio;
use crate::py_loop::Loop;

#[pymethods]
impl StreamTransport {
    /// The state of the Python transport `owner` on `loop` (an `asyncio_rs.EventLoop`) for
    /// `sock` (a socket, or a pipe's file object when `pipe`).
    #[new]
    #[pyo3(signature = (owner, py_loop, sock, protocol, buffered, server=None, server_takes_transport=false, role="socket", address=None, peer_connected=false))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        owner: Py<PyAny>,
        py_loop: &Bound<'_, PyAny>,
        sock: &Bound<'_, PyAny>,
        protocol: Py<PyAny>,
        buffered: bool,
        server: Option<Py<PyAny>>,
        server_takes_transport: bool,
        role: &str,
        address: Option<Py<PyAny>>,
        peer_connected: bool,
    ) -> PyResult<Self> {
        let role = match role {
            "socket" => Role::Socket,
            "read-pipe" => Role::ReadPipe,
            "write-pipe" => Role::WritePipe,
            "datagram" => Role::Datagram,
            other => return Err(PyValueError::new_err(format!("unknown role {other:?}"))),
        };
        let core = py_loop.getattr("_core")?;
        let core = core.cast::<Loop>()?;
        let (lp, env) = core.get().parts()?;
        let fd: RawFd = sock.call_method0("fileno")?.extract()?;
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
            server_takes_transport,
            context,
            refs: RefCell::new(Refs {
                owner: Some(owner),
                py_loop: Some(py_loop.clone().unbind()),
                protocol: Some(protocol),
                sock: Some(sock.clone().unbind()),
                server,
                empty_waiter: None,
            }),
            buffered: Cell::new(buffered),
            connected: Cell::new(true),
            source: RefCell::new(None),
            reader: Watcher::default(),
            writer: Watcher::default(),
            out: RefCell::new(Vec::new()),
            out_start: Cell::new(0),
            conn_lost: Cell::new(0),
            lost_scheduled: Cell::new(false),
            dgrams: RefCell::new(std::collections::VecDeque::new()),
            dgram_size: Cell::new(0),
            remote_address: address,
            peer_connected,
            native_v4: role == Role::Datagram
                && sock.getattr("family")?.extract::<i32>()? == libc::AF_INET,
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

    /// Starts reading, unless paused or closing (scheduled right after `connection_made`).
    fn _start_reading(&self) -> PyResult<()> {
        if self.st.get()?.is_reading() {
            self.st.get()?.start_reader()?;
        }
        Ok(())
    }

    /// asyncio's `Transport.write`: sends now what the descriptor takes, buffers the rest.
    fn write(&self, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        self.st.get()?.write(py, data)
    }

    /// asyncio's `DatagramTransport.sendto`.
    #[pyo3(signature = (data, addr=None))]
    fn sendto(
        &self,
        py: Python<'_>,
        data: &Bound<'_, PyAny>,
        addr: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        self.st.get()?.sendto(py, data, addr)
    }

    /// Closes the sending side once the buffer is sent.
    fn write_eof(&self, py: Python<'_>) -> PyResult<()> {
        let st = self.st.get()?;
        if st.role == Role::WritePipe {
            st.pipe_write_eof(py);
            return Ok(());
        }
        if st.closing.load(Relaxed) || st.eof.get() {
            return Ok(());
        }
        st.eof.set(true);
        if st.buffered_len() == 0 {
            fdio::shutdown_write(st.fd).map_err(|e| os_error(&e))?;
        }
        Ok(())
    }

    /// Closes after the buffer is sent; `connection_lost(None)` follows.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let st = self.st.get()?;
        match st.role {
            Role::Socket | Role::Datagram => st.close(py),
            Role::ReadPipe if !st.closing.load(Relaxed) => st.pipe_close(py, None),
            Role::ReadPipe => {}
            Role::WritePipe => {
                if st.refs.borrow().sock.is_some() {
                    st.pipe_write_eof(py);
                }
            }
        }
        Ok(())
    }

    /// Closes now, dropping the buffer; `connection_lost(None)` follows.
    fn abort(&self, py: Python<'_>) -> PyResult<()> {
        let st = self.st.get()?;
        match st.role {
            Role::Socket | Role::Datagram => st.force_close(py, None),
            Role::ReadPipe | Role::WritePipe => st.pipe_close(py, None),
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
        visit.call(&st.remote_address)?;
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
