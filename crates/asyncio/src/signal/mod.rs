//! Unix signals on the loop: [`ctrl_c`], a stream of any signal ([`signal`]), and the loop's
//! [`add_signal_handler`](crate::EventLoop::add_signal_handler).
//!
//! The process-wide handler comes from `signal-hook-registry`; it counts arrivals and writes a
//! byte to the pipe of every loop that listens. While a signal has no listener left, its
//! default action applies again (Ctrl-C ends a program that stopped listening), except for
//! signals whose default is harmless (`SIGCHLD`, `SIGWINCH`, …).

mod kind;

pub(crate) use crate::runtime::signal_pipe::LoopSignals;
pub use kind::SignalKind;

use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use crate::runtime::signal_pipe::Listener;

/// Listens for `kind` on the running loop, from now on.
///
/// ```no_run
/// use asyncio::signal::{signal, SignalKind};
/// asyncio::run(async {
///     let mut hangups = signal(SignalKind::hangup()).unwrap();
///     while hangups.recv().await.is_some() {
///         println!("reloading configuration");
///     }
/// });
/// ```
///
/// # Errors
/// `InvalidInput` for signals that cannot be handled (`SIGKILL`, `SIGSTOP`, `SIGSEGV`, …); no
/// running loop; out of descriptors for the loop's pipe.
pub fn signal(kind: SignalKind) -> io::Result<Signal> {
    let loop_signals = LoopSignals::current()?;
    signal_on(loop_signals, kind)
}

/// [`signal`] on a given loop's state.
pub(crate) fn signal_on(loop_signals: Rc<LoopSignals>, kind: SignalKind) -> io::Result<Signal> {
    let sig = kind.as_raw();
    crate::sys::install_signal(sig)?;
    let listener = loop_signals.listen(sig);
    Ok(Signal {
        kind,
        loop_signals,
        listener,
    })
}

/// Waits for the next Ctrl-C (`SIGINT`). While the future exists, Ctrl-C does not end the
/// program.
///
/// # Errors
/// As [`signal`].
///
/// # Cancel safety
/// Cancel-safe; a Ctrl-C after the drop has its default effect again.
pub async fn ctrl_c() -> io::Result<()> {
    let mut s = signal(SignalKind::interrupt())?;
    s.recv().await;
    Ok(())
}

/// A stream of one signal's arrivals on this loop ([`signal`]). Arrivals between two
/// `recv`s are counted, not merged: each delivery is one item (the kernel itself keeps only
/// one of a standard signal sent again while still pending; real-time signals queue).
/// Implements `futures-core`'s `Stream`.
pub struct Signal {
    kind: SignalKind,
    loop_signals: Rc<LoopSignals>,
    listener: Rc<Listener>,
}

impl std::fmt::Debug for Signal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signal")
            .field("kind", &self.kind)
            .field("pending", &self.listener.pending.get())
            .finish()
    }
}

impl Signal {
    /// Waits for the next arrival. Never `None` (the `Option` matches tokio's shape for loops
    /// like `while let Some(()) = s.recv().await`).
    ///
    /// # Cancel safety
    /// Cancel-safe: an arrival is only taken when the future completes.
    pub async fn recv(&mut self) -> Option<()> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await;
        Some(())
    }

    /// Polls for the next arrival.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.loop_signals.poll_recv(&self.listener, cx)
    }

    /// The signal listened for.
    pub fn kind(&self) -> SignalKind {
        self.kind
    }
}

impl futures_core::Stream for Signal {
    type Item = ();

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<()>> {
        self.get_mut().poll_recv(cx).map(Some)
    }
}

impl Drop for Signal {
    fn drop(&mut self) {
        self.loop_signals.unlisten(self.kind.as_raw());
    }
}

/// The future of [`crate::EventLoop::add_signal_handler`]'s task.
pub(crate) async fn handler_task(mut s: Signal, mut callback: impl FnMut() + 'static) {
    while s.recv().await.is_some() {
        callback();
    }
}

/// Sends `kind` to process `pid` (`kill(2)`).
///
/// # Errors
/// The system's error (`ESRCH` when the process is gone, `EPERM`).
pub fn send(pid: u32, kind: SignalKind) -> io::Result<()> {
    crate::sys::kill(pid as i32, kind.as_raw())
}
