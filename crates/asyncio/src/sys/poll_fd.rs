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
