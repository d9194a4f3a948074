//! Writing: straight to the descriptor while nothing waits, the rest buffered and sent by the
//! writer's steps; asyncio's flow control (`pause_writing`/`resume_writing` at the water
//! marks) and `sendfile`'s empty-buffer waiter.

use std::rc::Rc;
use std::sync::atomic::Ordering::Relaxed;

use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;

use super::state::{Outgoing, Role, State, Step};
use super::{is_exit, os_error, with_bytes, CONNLOST_WRITES_LOGGED};
use crate::fdio::{self, Kind};

impl State {
    pub(super) fn write_error(&self) -> &'static str {
        match self.kind() {
            Kind::Socket => "Fatal write error on socket transport",
            Kind::Pipe => "Fatal write error on pipe transport",
        }
    }

    pub(super) fn write(self: &Rc<Self>, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        with_bytes(data, |bytes| self.write_bytes(py, bytes))?
    }

    pub(super) fn write_bytes(self: &Rc<Self>, py: Python<'_>, bytes: &[u8]) -> PyResult<()> {
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
    pub(super) fn send_or_buffer(self: &Rc<Self>, py: Python<'_>, bytes: &[u8]) -> PyResult<()> {
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
        self.bytes().buf.borrow_mut().extend_from_slice(rest);
        self.maybe_pause_protocol(py)
    }

    /// Takes `n` sent bytes off the buffer.
    pub(super) fn consume(&self, n: usize) {
        let b = self.bytes();
        let mut out = b.buf.borrow_mut();
        let start = b.start.get() + n;
        if start >= out.len() {
            out.clear();
            b.start.set(0);
        } else if start > 64 * 1024 && start > out.len() / 2 {
            out.drain(..start);
            b.start.set(0);
        } else {
            b.start.set(start);
        }
    }

    pub(super) fn clear_out(&self) {
        match &self.out {
            Outgoing::Bytes(b) => {
                b.buf.borrow_mut().clear();
                b.start.set(0);
            }
            Outgoing::Datagrams(d) => {
                let dropped = std::mem::take(&mut *d.queue.borrow_mut());
                drop(dropped);
                d.size.set(0);
            }
        }
    }

    /// The writer's step: send what the buffer holds.
    pub(super) fn write_ready(self: &Rc<Self>, py: Python<'_>) -> Step {
        if self.conn_lost.get() > 0 {
            self.stop_writer();
            return Step::Done;
        }
        if self.role == Role::Datagram {
            return self.in_context(py, || self.sendto_ready(py));
        }
        let sent = {
            let b = self.bytes();
            let out = b.buf.borrow();
            fdio::write(self.fd, self.kind(), &out[b.start.get()..])
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
    pub(super) fn settle_empty_waiter(&self, py: Python<'_>, exc: Option<&Bound<'_, PyAny>>) {
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

    pub(super) fn maybe_pause_protocol(&self, py: Python<'_>) -> PyResult<()> {
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

    pub(super) fn maybe_resume_protocol(&self, py: Python<'_>) -> PyResult<()> {
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
}
