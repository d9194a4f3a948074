//! The pipe transports' own steps (CPython's `_UnixReadPipeTransport` and
//! `_UnixWritePipeTransport`): a read pipe ends with `eof_received()` then `connection_lost`;
//! a write pipe drops writes once closing, and learns that its reader went by watching its
//! descriptor for reading.

use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;

use pyo3::intern;
use pyo3::prelude::*;

use super::base::{Opening, Transport};
use super::state::{Bytes, Outgoing, Role, State, Step};
use super::{os_error, CONNLOST_WRITES_LOGGED};
use crate::fdio;
use crate::py_loop::in_callback;

impl State {
    /// `write` on a write pipe: after the pipe closes (or is closing) writes are dropped and
    /// counted; an error is fatal.
    pub(super) fn write_pipe(self: &Rc<Self>, py: Python<'_>, bytes: &[u8]) -> PyResult<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.conn_lost.get() > 0 || self.closing.load(Relaxed) {
            if self.conn_lost.get() >= CONNLOST_WRITES_LOGGED {
                let msg = "pipe closed by peer or os.write(pipe, data) raised exception.";
                self.log(py, "warning", msg, None);
            }
            self.conn_lost.set(self.conn_lost.get() + 1);
            return Ok(());
        }
        self.send_or_buffer(py, bytes)
    }

    /// A write pipe's writer step.
    pub(super) fn write_pipe_ready(
        self: &Rc<Self>,
        py: Python<'_>,
        sent: std::io::Result<usize>,
    ) -> Step {
        match sent {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => Step::Again,
            Err(e) if fdio::would_block(&e) => Step::Wait,
            Err(e) => {
                self.clear_out();
                self.conn_lost.set(self.conn_lost.get() + 1);
                self.stop_writer();
                let exc = os_error(&e);
                self.fatal_error(py, exc.value(py).as_any(), self.write_error());
                Step::Done
            }
            Ok(n) if n == self.buffered_len() => {
                self.clear_out();
                self.stop_writer();
                if let Err(e) = self.maybe_resume_protocol(py) {
                    self.env.set_fatal(e);
                }
                if self.closing.load(Relaxed) {
                    self.stop_reader();
                    self.connection_lost(py, None);
                }
                Step::Done
            }
            Ok(n) => {
                self.consume(n);
                if n == 0 {
                    Step::Wait
                } else {
                    Step::Again
                }
            }
        }
    }

    /// The reader of a write pipe went (its read side is readable: EOF or error).
    pub(super) fn peer_closed(self: &Rc<Self>, py: Python<'_>) {
        self.debug_log(py, "was closed by peer");
        if self.buffered_len() > 0 {
            let exc = pyo3::exceptions::PyBrokenPipeError::new_err(());
            self.pipe_close(py, Some(exc.value(py).clone().into_any().unbind()));
        } else {
            self.pipe_close(py, None);
        }
    }

    /// A read pipe's end of stream: `eof_received()`, then `connection_lost(None)`.
    pub(super) fn pipe_eof(self: &Rc<Self>, py: Python<'_>) {
        self.debug_log(py, "was closed by peer");
        self.closing.store(true, Relaxed);
        self.stop_reader();
        if !self.lp.is_closed() {
            let st = self.clone();
            drop(self.lp.call_soon(move || {
                in_callback(|py| {
                    st.in_context(py, || {
                        let Some(p) = st.protocol(py) else {
                            return;
                        };
                        if let Err(e) = p.bind(py).call_method0(intern!(py, "eof_received")) {
                            st.callback_error(py, e, "Exception in callback eof_received()");
                        }
                    });
                });
            }));
        }
        self.schedule_connection_lost(py, None);
    }

    /// A pipe's `_close(exc)`: drops what is buffered, stops watching, and schedules
    /// `connection_lost(exc)`.
    pub(super) fn pipe_close(self: &Rc<Self>, py: Python<'_>, exc: Option<Py<PyAny>>) {
        self.closing.store(true, Relaxed);
        if self.buffered_len() > 0 {
            self.stop_writer();
        }
        self.clear_out();
        self.stop_reader();
        self.schedule_connection_lost(py, exc);
    }

    /// A write pipe's `write_eof` (and `close`): closes once the buffer is written.
    pub(super) fn pipe_write_eof(self: &Rc<Self>, py: Python<'_>) {
        if self.closing.load(Relaxed) {
            return;
        }
        self.closing.store(true, Relaxed);
        if self.buffered_len() == 0 {
            self.stop_reader();
            self.schedule_connection_lost(py, None);
        }
    }
}

/// The pipe transports' common construction: no server, no buffered protocol.
fn open_pipe(
    py: Python<'_>,
    owner: Py<PyAny>,
    py_loop: &Bound<'_, PyAny>,
    pipe: &Bound<'_, PyAny>,
    protocol: Py<PyAny>,
    role: Role,
) -> PyResult<Transport> {
    let opening = Opening {
        owner,
        py_loop: py_loop.clone(),
        sock: pipe.clone(),
        protocol,
        buffered: false,
        server: None,
        server_takes_transport: false,
    };
    Transport::open(py, opening, role, Outgoing::Bytes(Bytes::default()))
}

/// asyncio's `_UnixReadPipeTransport`, in Rust.
#[pyclass(extends = Transport, frozen, module = "asyncio_rs._core")]
#[derive(Debug)]
pub struct ReadPipeTransport;

#[pymethods]
impl ReadPipeTransport {
    /// The state of the read pipe transport `owner` on `loop` for `pipe` (a file object).
    #[new]
    fn new(
        py: Python<'_>,
        owner: Py<PyAny>,
        py_loop: &Bound<'_, PyAny>,
        pipe: &Bound<'_, PyAny>,
        protocol: Py<PyAny>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let base = open_pipe(py, owner, py_loop, pipe, protocol, Role::ReadPipe)?;
        Ok(PyClassInitializer::from(base).add_subclass(Self))
    }

    /// Stops reading; `connection_lost(None)` follows.
    fn close(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        let st = Transport::state_of(slf)?;
        if !st.closing.load(Relaxed) {
            st.pipe_close(py, None);
        }
        Ok(())
    }

    /// As `close`.
    fn abort(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.pipe_close(py, None);
        Ok(())
    }
}

/// asyncio's `_UnixWritePipeTransport`, in Rust.
#[pyclass(extends = Transport, frozen, module = "asyncio_rs._core")]
#[derive(Debug)]
pub struct WritePipeTransport;

#[pymethods]
impl WritePipeTransport {
    /// The state of the write pipe transport `owner` on `loop` for `pipe` (a file object).
    #[new]
    fn new(
        py: Python<'_>,
        owner: Py<PyAny>,
        py_loop: &Bound<'_, PyAny>,
        pipe: &Bound<'_, PyAny>,
        protocol: Py<PyAny>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let base = open_pipe(py, owner, py_loop, pipe, protocol, Role::WritePipe)?;
        Ok(PyClassInitializer::from(base).add_subclass(Self))
    }

    /// asyncio's `WriteTransport.write`: after the pipe closes, writes are dropped and counted.
    fn write(slf: &Bound<'_, Self>, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        Transport::state_of(slf)?.write(py, data)
    }

    /// Closes once the buffer is written.
    fn write_eof(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.pipe_write_eof(py);
        Ok(())
    }

    /// As `write_eof`, while the pipe is open.
    fn close(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        let st = Transport::state_of(slf)?;
        if st.refs.borrow().sock.is_some() {
            st.pipe_write_eof(py);
        }
        Ok(())
    }

    /// Closes now, dropping the buffer; `connection_lost(None)` follows.
    fn abort(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.pipe_close(py, None);
        Ok(())
    }
}
