//! A zero-timeout `poll(2)` on one descriptor: is it readable or writable right now?

use std::io;
use std::os::fd::RawFd;

/// Whether `fd` is ready now for reading (`write == false`) or writing, without waiting.
pub(crate) fn ready_now(fd: RawFd, write: bool) -> io::Result<bool> {
    let events = if write { libc::POLLOUT } else { libc::POLLIN };
    let mut pfd = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: `pfd` is a valid, exclusively borrowed array of one pollfd for the call's duration.
    let n = unsafe { libc::poll(&mut pfd, 1, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(n > 0 && pfd.revents & (events | libc::POLLERR | libc::POLLHUP) != 0)
}

/// A new descriptor for what `fd` refers to (`F_DUPFD_CLOEXEC`): an owned handle on a
/// descriptor whose owner keeps only its number.
pub(crate) fn dup_cloexec(fd: RawFd) -> io::Result<std::os::fd::OwnedFd> {
    // SAFETY: fcntl with F_DUPFD_CLOEXEC reads no memory; any integer is a valid argument (an
    // invalid descriptor is EBADF).
    let new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    if new < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `new` was just returned by the kernel as a fresh descriptor nobody else owns.
    Ok(unsafe { <std::os::fd::OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(new) })
}
