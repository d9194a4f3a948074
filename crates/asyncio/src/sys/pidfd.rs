//! `pidfd_open(2)`: a descriptor that becomes readable when a process exits (Linux ≥ 5.3).

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

/// A pidfd for `pid`, or `Unsupported` on kernels without the call.
pub(crate) fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes a pid and flags; no memory is passed.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    if fd < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::ENOSYS) {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "no pidfd_open"));
        }
        return Err(e);
    }
    // SAFETY: the kernel just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}
