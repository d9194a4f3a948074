//! [`SocketTransport`]: asyncio's `_SelectorSocketTransport` (TCP and Unix stream sockets),
//! in Rust.

use std::net::SocketAddrV4;
use std::sync::atomic::Ordering::Relaxed;

use pyo3::prelude::*;

use super::base::{Opening, Transport};
use super::os_error;
use super::state::{Bytes, Outgoing, Role};
use crate::fdio;

/// A stream socket's transport.
#[pyclass(extends = Transport, frozen, module = "asyncio_rs._core")]
#[derive(Debug)]
pub struct SocketTransport {
    /// An IPv4 socket's own address and its peer's (`None` when not connected), read when the
    /// transport was made, as CPython's transport reads them. Kept as 16 bytes rather than two
    /// Python tuples: the Python side builds `get_extra_info`'s entries from them when first
    /// asked. `None` for other sockets, whose entries the Python side fills at once.
    names: Option<(SocketAddrV4, Option<SocketAddrV4>)>,
}

/// `(sockname, peername)` as Python tuples.
type Names = (Py<PyAny>, Option<Py<PyAny>>);

/// `(host, port)`, as Python's socket module gives an IPv4 address.
fn address_tuple(py: Python<'_>, addr: SocketAddrV4) -> PyResult<Py<PyAny>> {
    Ok((addr.ip().to_string(), addr.port())
        .into_pyobject(py)?
        .into_any()
        .unbind())
}

#[pymethods]
impl SocketTransport {
    /// The state of the Python transport `owner` on `loop` (an `asyncio_rs.EventLoop`) for
    /// `sock`; `buffered` says `protocol` is a `BufferedProtocol`.
    #[new]
    #[pyo3(signature = (owner, py_loop, sock, protocol, buffered, server=None, server_takes_transport=false))]
    #[expect(
        clippy::too_many_arguments,
        reason = "the Python transport's constructor passes each of asyncio's own arguments"
    )]
    fn new(
        py: Python<'_>,
        owner: Py<PyAny>,
        py_loop: &Bound<'_, PyAny>,
        sock: &Bound<'_, PyAny>,
        protocol: Py<PyAny>,
        buffered: bool,
        server: Option<Py<PyAny>>,
        server_takes_transport: bool,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opening = Opening {
            owner,
            py_loop: py_loop.clone(),
            sock: sock.clone(),
            protocol,
            buffered,
            server,
            server_takes_transport,
        };
        let out = Outgoing::Bytes(Bytes::default());
        let base = Transport::open(py, opening, Role::Socket, out)?;
        let fd = base.st.get()?.fd;
        let names = match fdio::name_v4(fd, false) {
            Ok(Some(own)) => Some((own, fdio::name_v4(fd, true).ok().flatten())),
            _ => None,
        };
        Ok(PyClassInitializer::from(base).add_subclass(Self { names }))
    }

    /// Whether the socket's addresses were kept (an IPv4 socket): `get_extra_info`'s entries
    /// can then be built when first asked for.
    #[getter]
    fn _names_kept(&self) -> bool {
        self.names.is_some()
    }

    /// `(sockname, peername)` as `getsockname()`/`getpeername()` gave them when the
    /// transport was made (`peername` is `None` if it was not connected then).
    fn _names(&self, py: Python<'_>) -> PyResult<Option<Names>> {
        let Some((own, peer)) = self.names else {
            return Ok(None);
        };
        let peer = match peer {
            Some(p) => Some(address_tuple(py, p)?),
            None => None,
        };
        Ok(Some((address_tuple(py, own)?, peer)))
    }

    /// asyncio's `Transport.write`: sends now what the socket takes, buffers the rest.
    fn write(slf: &Bound<'_, Self>, py: Python<'_>, data: &Bound<'_, PyAny>) -> PyResult<()> {
        Transport::state_of(slf)?.write(py, data)
    }

    /// Closes the sending side once the buffer is sent.
    fn write_eof(slf: &Bound<'_, Self>) -> PyResult<()> {
        let st = Transport::state_of(slf)?;
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
    fn close(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.close(py);
        Ok(())
    }

    /// Closes now, dropping the buffer; `connection_lost(None)` follows.
    fn abort(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        Transport::state_of(slf)?.force_close(py, None);
        Ok(())
    }
}
