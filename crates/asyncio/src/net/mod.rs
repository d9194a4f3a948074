//! Networking: TCP, UDP and Unix-domain sockets driven by the loop's reactor, name resolution
//! with a cache, and Happy Eyeballs.
//!
//! Every socket belongs to the loop running when it was created and is `!Send`; reads and
//! writes take `&self`, and every stream implements `futures-io`'s `AsyncRead`/`AsyncWrite`.

pub(crate) mod addr;
pub mod dns;
pub(crate) mod happy_eyeballs;
mod server;
pub(crate) mod tcp;
mod udp;
mod unix;

pub use addr::ToSocketAddrs;
pub use dns::{lookup_host, Resolver};
pub use happy_eyeballs::{connect_with_delay, DEFAULT_DELAY as HAPPY_EYEBALLS_DELAY};
pub use server::{Connection, Listen, Server};
pub use tcp::{TcpListener, TcpSocket, TcpStream};
pub use udp::UdpSocket;
pub use unix::{UnixDatagram, UnixListener, UnixStream};

macro_rules! impl_fd {
    ($($ty:ty),*) => {$(
        impl std::os::fd::AsRawFd for $ty {
            fn as_raw_fd(&self) -> std::os::fd::RawFd {
                self.io_ref().as_raw_fd()
            }
        }

        impl std::os::fd::AsFd for $ty {
            fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
                self.io_ref().as_fd()
            }
        }
    )*};
}

impl_fd!(
    TcpStream,
    TcpListener,
    UdpSocket,
    UnixStream,
    UnixListener,
    UnixDatagram
);
