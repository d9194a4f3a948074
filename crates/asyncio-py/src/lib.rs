//! `asyncio_rs._core`: asyncio-rs's event loop core (the ready queue, the timer wheel, the mio
//! reactor) driving Python callbacks. The Python package `asyncio_rs` (under `python/`) builds
//! the asyncio event loop on it; see `docs/python.md`.
//!
//! - [`Loop`] holds one `asyncio::EventLoop`. It runs on the thread that created it, with the
//!   GIL held while callbacks run and released while the loop waits (a wait hook).
//! - [`Handle`] is what `call_soon` and `add_reader` return: a callback, its arguments and
//!   its `contextvars.Context`; [`TimerHandle`], its subclass, what `call_later` and `call_at`
//!   return.
//! - [`Remote`] reaches the loop from any thread (`call_soon_threadsafe`).
//! - [`Transport`] is the state and I/O of a transport, extended by one class per kind:
//!   [`SocketTransport`], [`ReadPipeTransport`], [`WritePipeTransport`], [`DatagramTransport`].
//! - [`HttpSession`], [`HttpCall`] and [`HttpResponse`] are asyncio-http's client for the
//!   package `asyncio_rs.http` (aiohttp's client API).

use pyo3::prelude::*;

mod bound;
mod fdio;
mod handle;
mod http;
mod py_loop;
mod pybuf;
mod transport;

pub use handle::{Handle, TimerHandle};
pub use http::{HttpBodyPipe, HttpCall, HttpResponse, HttpSession, HttpWebSocket};
pub use py_loop::{Loop, Remote};
pub use transport::{
    DatagramTransport, ReadPipeTransport, SocketTransport, Transport, WritePipeTransport,
};

/// The extension module.
#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Loop>()?;
    m.add_class::<Remote>()?;
    m.add_class::<Handle>()?;
    m.add_class::<TimerHandle>()?;
    m.add_class::<Transport>()?;
    m.add_class::<SocketTransport>()?;
    m.add_class::<ReadPipeTransport>()?;
    m.add_class::<WritePipeTransport>()?;
    m.add_class::<DatagramTransport>()?;
    m.add_class::<HttpSession>()?;
    m.add_class::<HttpCall>()?;
    m.add_class::<HttpResponse>()?;
    m.add_class::<HttpWebSocket>()?;
    m.add_class::<HttpBodyPipe>()?;
    // The crate's version is the wheel's (maturin takes it from Cargo.toml).
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
