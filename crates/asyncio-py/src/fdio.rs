//! The system calls of the transports: one non-blocking read, write or half-close of a
//! descriptor the transport does not own (its Python socket or pipe object does).

use std::io;
use std::os::fd::RawFd;

/// What a descriptor is: sockets take `recv`/`send` (no `SIGPIPE` on a closed peer), pipes
/// `read`/`write`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Socket,
    Pipe,
}

fn result(n: isize) -> io::Result<usize> {
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

/// Reads what is there, at most `buf.len()` bytes; `Ok(0)` is the end of the stream.
pub(crate) fn read(fd: RawFd, kind: Kind, buf: &mut [u8]) -> io::Result<usize> {
    let (ptr, len) = (buf.as_mut_ptr().cast(), buf.len());
    // SAFETY: `ptr` and `len` describe writable memory this call borrows for its duration.
    let n = unsafe {
        match kind {
            Kind::Socket => libc::recv(fd, ptr, len, 0),
            Kind::Pipe => libc::read(fd, ptr, len),
        }
    };
    result(n)
}

/// Writes what the kernel takes now, at most `buf.len()` bytes.
pub(crate) fn write(fd: RawFd, kind: Kind, buf: &[u8]) -> io::Result<usize> {
    let (ptr, len) = (buf.as_ptr().cast(), buf.len());
    // SAFETY: `ptr` and `len` describe readable memory this call borrows for its duration.
    let n = unsafe {
        match kind {
            Kind::Socket => libc::send(fd, ptr, len, libc::MSG_NOSIGNAL),
            Kind::Pipe => libc::write(fd, ptr, len),
        }
    };
    result(n)
}

/// Shuts the socket's sending side (`shutdown(SHUT_WR)`).
pub(crate) fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: a plain system call on a descriptor number; no memory is passed.
    let r = unsafe { libc::shutdown(fd, libc::SHUT_WR) };
    result(r as isize).map(drop)
}

/// Whether an error only means "not now" (try again when the descriptor is ready).
pub(crate) fn would_block(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
    )
}

/// One datagram from an IPv4 socket, with its sender.
pub(crate) fn recv_from_v4(
    fd: RawFd,
    buf: &mut [u8],
) -> io::Result<(usize, std::net::SocketAddrV4)> {
    // SAFETY: all-zero is a valid `sockaddr_in`.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    // SAFETY: `buf` is writable for its length; `addr` and `len` are valid out-parameters
    // sized for an IPv4 address, all borrowed for the call only.
    let n = unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            std::ptr::addr_of_mut!(addr).cast(),
            &mut len,
        )
    };
    let n = result(n)?;
    let ip = std::net::Ipv4Addr::from(u32::from_be(addr.sin_addr.s_addr));
    Ok((
        n,
        std::net::SocketAddrV4::new(ip, u16::from_be(addr.sin_port)),
    ))
}

/// The socket's own (`peer` false) or its peer's (`peer` true) IPv4 address: `Ok(None)` when
/// the socket is not an IPv4 one.
pub(crate) fn name_v4(fd: RawFd, peer: bool) -> io::Result<Option<std::net::SocketAddrV4>> {
    // SAFETY: all-zero is a valid `sockaddr_storage`.
    let mut addr: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let out = std::ptr::addr_of_mut!(addr).cast::<libc::sockaddr>();
    // SAFETY: `addr` and `len` are valid out-parameters sized for any address, borrowed for
    // the call only.
    let r = unsafe {
        if peer {
            libc::getpeername(fd, out, &mut len)
        } else {
            libc::getsockname(fd, out, &mut len)
        }
    };
    result(r as isize)?;
    if i32::from(addr.ss_family) != libc::AF_INET
        || (len as usize) < std::mem::size_of::<libc::sockaddr_in>()
    {
        return Ok(None);
    }
    // SAFETY: the family says the storage holds a `sockaddr_in`, and it is that long.
    let v4 = unsafe { &*std::ptr::addr_of!(addr).cast::<libc::sockaddr_in>() };
    let ip = std::net::Ipv4Addr::from(u32::from_be(v4.sin_addr.s_addr));
    Ok(Some(std::net::SocketAddrV4::new(
        ip,
        u16::from_be(v4.sin_port),
    )))
}
