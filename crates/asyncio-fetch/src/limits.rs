//! The process's descriptor limit (`RLIMIT_NOFILE`).

/// `(soft, hard)`.
pub(crate) fn nofile() -> Option<(u64, u64)> {
    let mut r = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `r` is a valid, writable rlimit for the duration of the call.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) };
    (rc == 0).then_some((r.rlim_cur, r.rlim_max))
}

/// Sets the soft limit (at most the hard one); returns whether it worked.
pub(crate) fn set_soft_nofile(soft: u64) -> bool {
    let Some((_, hard)) = nofile() else {
        return false;
    };
    let r = libc::rlimit {
        rlim_cur: soft.min(hard),
        rlim_max: hard,
    };
    // SAFETY: `r` is a valid rlimit; raising the soft limit up to the hard one is allowed.
    unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &r) == 0 }
}
