//! asyncio's transports in Rust: [`SocketTransport`] (TCP and Unix sockets),
//! [`ReadPipeTransport`] and [`WritePipeTransport`] (`pipe.rs`) and [`DatagramTransport`]
//! (`datagram.rs`), each a Python class extending [`Transport`] (`base.rs`), which holds the
//! state all kinds share (`state.rs`). The loop's reactor wakes it; it reads
//! into a per-thread buffer and calls the Python protocol (`data_received`, or
//! `get_buffer`/`buffer_updated` for a `BufferedProtocol`), writes straight to the
//! descriptor and buffers the rest, and runs asyncio's flow control (water marks,
//! `pause_writing`/`resume_writing`). The Python classes of `asyncio_rs._transports` wrap it
//! in asyncio's transport classes.
//!
//! Semantics are those of CPython's `_SelectorSocketTransport`, `_UnixReadPipeTransport`,
//! `_UnixWritePipeTransport` and `_SelectorDatagramTransport`, step for step: the same
//! callbacks in the same order, the same messages to the exception handler.

//!
//! The files: `state.rs` (the shared state, its references and error reporting), `watch.rs`
//! (the reactor registration and its two ready callbacks), `read.rs`, `write.rs` and `close.rs` (the
//! steps), `base.rs` (the base class and the methods every kind has), and one file per kind
//! with its class and its own steps.

mod base;
mod close;
mod datagram;
mod pipe;
mod read;
mod socket;
mod state;
mod watch;
mod write;

use std::cell::RefCell;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use pyo3::exceptions::{PyKeyboardInterrupt, PyOSError, PySystemExit, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyMemoryView};

pub use base::Transport;
pub use datagram::DatagramTransport;
pub use pipe::{ReadPipeTransport, WritePipeTransport};
pub use socket::SocketTransport;

use crate::pybuf::View;

/// The most one read takes (CPython's `max_size`).
pub(super) const MAX_READ: usize = 256 * 1024;
/// Writes after the connection is lost are counted; from this many on, each is logged.
pub(super) const CONNLOST_WRITES_LOGGED: u32 = 5;

thread_local! {
    /// The read buffer of the thread's transports: a read copies out what it got into a
    /// `bytes` before the protocol runs, so one buffer serves them all.
    pub(super) static READ_BUF: Rc<RefCell<Box<[u8]>>> =
        Rc::new(RefCell::new(vec![0; MAX_READ].into_boxed_slice()));
}

/// The descriptor, owned by the Python socket or pipe object.
pub(super) struct Borrowed(pub(super) RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

pub(super) fn is_exit(py: Python<'_>, e: &PyErr) -> bool {
    e.is_instance_of::<PyKeyboardInterrupt>(py) || e.is_instance_of::<PySystemExit>(py)
}

/// An `OSError` (of the subclass its errno selects, as `OSError(errno, msg)` picks).
pub(super) fn os_error(e: &std::io::Error) -> PyErr {
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

pub(super) fn water_marks(high: Option<i64>, low: Option<i64>) -> PyResult<(usize, usize)> {
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
