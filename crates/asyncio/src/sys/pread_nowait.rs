//! `preadv2(2)` with `RWF_NOWAIT`: read a file at its current offset only if that needs no disk
//! I/O (the bytes are in the page cache), so a loop thread can serve cached reads itself and
//! leave the rest to the blocking pool (Linux ≥ 4.14; the same first try io_uring makes).

use std::io;
use std::os::fd::AsRawFd;

/// What a no-wait read found.
pub(crate) enum NoWait {
    /// Read this many bytes (0: end of file).
    Read(usize),
    /// The read would wait for the disk: do it on the pool.
    WouldBlock,
    /// This file or kernel cannot say (the flag is not supported): do it on the pool, always.
    Unsupported,
}

/// Reads into `buf` at `file`'s current offset (moving it) if no disk I/O is needed.
pub(crate) fn pread_nowait(file: &std::fs::File, buf: &mut [u8]) -> io::Result<NoWait> {
    let iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // SAFETY: `iov` describes `buf`, which is valid for writes of its length for the whole
    // call; offset -1 means the file's own offset; the descriptor is open (borrowed from
    // `file`).
    let n = unsafe { libc::preadv2(file.as_raw_fd(), &iov, 1, -1, libc::RWF_NOWAIT) };
    if n >= 0 {
        return Ok(NoWait::Read(n as usize));
    }
    let e = io::Error::last_os_error();
    match e.raw_os_error() {
        Some(libc::EAGAIN) => Ok(NoWait::WouldBlock),
        Some(libc::EOPNOTSUPP | libc::ENOSYS | libc::EINVAL) => Ok(NoWait::Unsupported),
        _ => Err(e),
    }
}
