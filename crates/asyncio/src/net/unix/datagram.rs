//! [`UnixDatagram`]: datagrams on file-system paths.

use std::io;
use std::os::unix::net::SocketAddr;
use std::path::Path;

use crate::runtime::io::reactor::Direction;
use crate::runtime::io::PollEvented;

/// A Unix-domain datagram socket.
#[derive(Debug)]
pub struct UnixDatagram {
    io: PollEvented<mio::net::UnixDatagram>,
}

impl UnixDatagram {
    pub(crate) fn io_ref(&self) -> &mio::net::UnixDatagram {
        self.io.get()
    }

    /// Binds to `path`.
    ///
    /// # Errors
    /// The system's error, naming the path.
    pub fn bind(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let s = mio::net::UnixDatagram::bind(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Self::from_mio(s)
    }

    /// An unbound socket.
    ///
    /// # Errors
    /// The system's error.
    pub fn unbound() -> io::Result<Self> {
        Self::from_mio(mio::net::UnixDatagram::unbound()?)
    }

    /// A connected pair.
    ///
    /// # Errors
    /// The system's error.
    pub fn pair() -> io::Result<(Self, Self)> {
        let (a, b) = mio::net::UnixDatagram::pair()?;
        Ok((Self::from_mio(a)?, Self::from_mio(b)?))
    }

    fn from_mio(s: mio::net::UnixDatagram) -> io::Result<Self> {
        Ok(Self {
            io: PollEvented::new(s)?,
        })
    }

    /// Sends one datagram to `path`. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is sent whole or not at all.
    pub async fn send_to(&self, buf: &[u8], path: impl AsRef<Path>) -> io::Result<usize> {
        let path = path.as_ref();
        std::future::poll_fn(|cx| {
            self.io
                .poll_op(cx, Direction::Write, |s| s.send_to(buf, path))
        })
        .await
    }

    /// Receives one datagram and its sender. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is only taken when the future completes.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        std::future::poll_fn(|cx| self.io.poll_op(cx, Direction::Read, |s| s.recv_from(buf))).await
    }

    /// Sends to the connected peer. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is sent whole or not at all.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.io.poll_op(cx, Direction::Write, |s| s.send(buf))).await
    }

    /// Receives from the connected peer. Cancel-safe.
    ///
    /// # Cancel safety
    /// Cancel-safe: a datagram is only taken when the future completes.
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.io.poll_op(cx, Direction::Read, |s| s.recv(buf))).await
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.io.get().local_addr()
    }
}
