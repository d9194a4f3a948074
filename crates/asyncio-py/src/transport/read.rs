//! Reading: one read per step into the thread's buffer (or the `BufferedProtocol`'s own), then
//! the protocol's `data_received`/`buffer_updated`, or the end of the stream.

use std::rc::Rc;

use asyncio::io::Interest;
use pyo3::exceptions::PyRuntimeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::state::{Role, State};
use super::{os_error, MAX_READ};
use crate::fdio::{self, Kind};
use crate::pybuf::View;

impl State {
    /// One read, and the protocol's callback. Returns whether the descriptor is drained (a
    /// short read or `WouldBlock`): its readiness is then cleared until the next edge.
    pub(super) fn read_ready(self: &Rc<Self>, py: Python<'_>) -> bool {
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

    pub(super) fn read_error(&self) -> &'static str {
        match self.kind() {
            Kind::Socket => "Fatal read error on socket transport",
            Kind::Pipe => "Fatal read error on pipe transport",
        }
    }

    pub(super) fn read_bytes(self: &Rc<Self>, py: Python<'_>, protocol: &Bound<'_, PyAny>) -> bool {
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
    pub(super) fn read_into_protocol(
        self: &Rc<Self>,
        py: Python<'_>,
        protocol: &Bound<'_, PyAny>,
    ) -> bool {
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

    pub(super) fn on_eof(self: &Rc<Self>, py: Python<'_>, protocol: &Bound<'_, PyAny>) {
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
}
