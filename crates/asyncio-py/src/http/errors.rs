//! asyncio-http's errors as Python exceptions: the kind, the phase (`"request"` while waiting for
//! the headers, `"body"` while reading it), the URL, a message, and the status or `errno` where
//! there is one, handed to the package's factory (`asyncio_rs.http._exceptions.make`), which
//! picks aiohttp's class.

use asyncio_http::{Error, TimeoutKind};
use pyo3::prelude::*;

/// Where in the exchange an error happened.
#[derive(Clone, Copy, Debug)]
pub(super) enum Phase {
    /// Before the response's headers.
    Request,
    /// While reading the body.
    Body,
}

/// The exception `factory` makes for `e`.
pub(super) fn to_py(py: Python<'_>, factory: &Py<PyAny>, e: &Error, phase: Phase) -> PyErr {
    let kind = match e {
        Error::Timeout { kind, .. } => match kind {
            TimeoutKind::Total => "timeout_total",
            TimeoutKind::Connect => "timeout_connect",
            TimeoutKind::SockConnect => "timeout_sock_connect",
            TimeoutKind::SockRead => "timeout_sock_read",
        },
        other => other.kind(),
    };
    let status = match e {
        Error::Status { status, .. } => Some(status.as_u16()),
        Error::Proxy { status, .. } => status.map(|s| s.as_u16()),
        _ => None,
    };
    let errno = match e {
        Error::Dns { source, .. } | Error::Connect { source, .. } | Error::Tls { source, .. } => {
            os_errno(source)
        }
        _ => None,
    };
    let phase = match phase {
        Phase::Request => "request",
        Phase::Body => "body",
    };
    let made = factory
        .bind(py)
        .call1((kind, phase, e.url(), e.to_string(), status, errno));
    match made {
        Ok(exc) => PyErr::from_value(exc),
        Err(err) => err,
    }
}

/// The `errno` behind `e`: its own, an inner error's (asyncio-rs's connect wraps the system's
/// error with the address it tried), or the one its kind stands for.
fn os_errno(e: &std::io::Error) -> Option<i32> {
    use std::io::ErrorKind as K;
    if let Some(n) = e.raw_os_error() {
        return Some(n);
    }
    if let Some(n) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<std::io::Error>())
        .and_then(std::io::Error::raw_os_error)
    {
        return Some(n);
    }
    Some(match e.kind() {
        K::ConnectionRefused => libc::ECONNREFUSED,
        K::ConnectionReset => libc::ECONNRESET,
        K::ConnectionAborted => libc::ECONNABORTED,
        K::TimedOut => libc::ETIMEDOUT,
        K::HostUnreachable => libc::EHOSTUNREACH,
        K::NetworkUnreachable => libc::ENETUNREACH,
        K::AddrNotAvailable => libc::EADDRNOTAVAIL,
        K::PermissionDenied => libc::EACCES,
        _ => return None,
    })
}
