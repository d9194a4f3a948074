//! The process-wide signal handler: it only touches atomics and writes a byte to each
//! listening loop's pipe (both async-signal-safe). Installed once per signal through
//! `signal-hook-registry`.

use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

/// Signal numbers handled: 1..=64 covers the standard and real-time signals on Linux.
pub(crate) const MAX_SIGNAL: usize = 65;
/// How many loops can listen at once.
pub(crate) const MAX_LOOPS: usize = 128;

/// How many times each signal arrived since the process started.
pub(crate) static COUNTS: [AtomicU64; MAX_SIGNAL] = [const { AtomicU64::new(0) }; MAX_SIGNAL];
/// How many listeners each signal has, across all loops.
pub(crate) static LISTENERS: [AtomicUsize; MAX_SIGNAL] =
    [const { AtomicUsize::new(0) }; MAX_SIGNAL];
/// The write ends of the listening loops' pipes (-1: free).
pub(crate) static PIPES: [AtomicI32; MAX_LOOPS] = [const { AtomicI32::new(-1) }; MAX_LOOPS];

static INSTALLED: [AtomicBool; MAX_SIGNAL] = [const { AtomicBool::new(false) }; MAX_SIGNAL];
static INSTALL_LOCK: Mutex<()> = Mutex::new(());

/// Signals whose default action is not to terminate (ignore, stop, continue): nothing to
/// emulate when nobody listens.
fn default_is_harmless(sig: i32) -> bool {
    matches!(
        sig,
        libc::SIGCHLD
            | libc::SIGURG
            | libc::SIGWINCH
            | libc::SIGCONT
            | libc::SIGTSTP
            | libc::SIGTTIN
            | libc::SIGTTOU
    )
}

fn on_signal(sig: i32) {
    let i = sig as usize;
    COUNTS[i].fetch_add(1, Ordering::SeqCst);
    if LISTENERS[i].load(Ordering::SeqCst) == 0 && !default_is_harmless(sig) {
        // Nobody listens (any more): behave as if no handler were installed.
        // SAFETY: signal() and raise() are async-signal-safe; restoring the default and
        // re-raising is the documented way to get the default action from a handler.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
            libc::raise(sig);
        }
        return;
    }
    for slot in &PIPES {
        let fd = slot.load(Ordering::SeqCst);
        if fd >= 0 {
            let byte = 1u8;
            // SAFETY: write() is async-signal-safe; `fd` is a pipe write end that is never
            // closed (released pipes are kept for reuse), and the buffer is one valid byte. A
            // full pipe (EAGAIN) is fine: the reader is already due to wake.
            unsafe {
                libc::write(fd, (&byte as *const u8).cast(), 1);
            }
        }
    }
}

/// Installs the handler for `sig` (once).
///
/// # Errors
/// `InvalidInput` for signals that cannot be handled (SIGKILL, SIGSTOP, SIGSEGV, …).
pub(crate) fn install(sig: i32) -> io::Result<()> {
    if sig <= 0 || sig as usize >= MAX_SIGNAL {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("no such signal: {sig}"),
        ));
    }
    if signal_hook_registry::FORBIDDEN.contains(&sig) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("signal {sig} cannot be handled"),
        ));
    }
    if INSTALLED[sig as usize].load(Ordering::SeqCst) {
        return Ok(());
    }
    let _guard = INSTALL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    if INSTALLED[sig as usize].load(Ordering::SeqCst) {
        return Ok(());
    }
    // SAFETY: `on_signal` only uses atomics, write(), signal() and raise(), all
    // async-signal-safe, and never allocates or locks.
    unsafe { signal_hook_registry::register(sig, move || on_signal(sig)) }?;
    INSTALLED[sig as usize].store(true, Ordering::SeqCst);
    Ok(())
}

/// Whether `sig` behaves by default: no handler, or only ours (which applies the default
/// action while nobody listens).
pub(crate) fn is_default(sig: i32) -> bool {
    if INSTALLED
        .get(sig as usize)
        .is_some_and(|i| i.load(Ordering::SeqCst))
    {
        return true;
    }
    // SAFETY: a zeroed sigaction is a valid out-parameter; a null new action only queries.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_DFL
    }
}

/// Whether this is the process's main thread (its thread id equals the process id).
pub(crate) fn is_main_thread() -> bool {
    // SAFETY: getpid and gettid take no arguments and cannot fail.
    unsafe { libc::getpid() == libc::gettid() }
}

/// Delivers `sig` to this process with its default action (after a handled Ctrl-C, so the
/// parent sees "killed by SIGINT" as it would without the handler).
pub(crate) fn reraise_default(sig: i32) {
    // SAFETY: restoring the default disposition and raising are plain system calls.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

/// Sends `sig` to process `pid`.
///
/// # Errors
/// The system's error (`ESRCH` for a process that is gone).
pub(crate) fn kill(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill() has no memory arguments.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Remembers a pipe write end as listening (returns its slot).
pub(crate) fn claim_slot(fd: RawFd) -> Option<usize> {
    PIPES.iter().position(|slot| {
        slot.compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })
}
