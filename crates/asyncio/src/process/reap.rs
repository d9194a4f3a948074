//! Learning that a child exited, without a helper thread: a pidfd registered with the loop
//! (Linux ≥ 5.3), or `SIGCHLD` where pidfds are missing. Children whose handle was dropped are
//! reaped in the background, so none is left a zombie.

use std::io;
use std::os::fd::OwnedFd;
use std::process::ExitStatus;
use std::sync::Mutex;
use std::task::{Context, Poll};

use crate::io::{AsyncFd, Interest};
use crate::signal::{Signal, SignalKind};

/// Children dropped while no loop could wait for them; reaped on every later spawn.
static ORPHANS: Mutex<Vec<std::process::Child>> = Mutex::new(Vec::new());

enum Notify {
    Pidfd(AsyncFd<OwnedFd>),
    Sigchld(Signal),
}

/// A running child and how its exit is noticed.
pub(crate) struct Reaper {
    child: Option<std::process::Child>,
    notify: Notify,
}

impl Reaper {
    pub(crate) fn new(child: std::process::Child) -> io::Result<Self> {
        reap_orphans();
        let notify = match crate::sys::pidfd_open(child.id()).and_then(AsyncFd::new) {
            Ok(fd) => Notify::Pidfd(fd),
            Err(e) if e.kind() == io::ErrorKind::Unsupported => {
                Notify::Sigchld(crate::signal::signal(SignalKind::child())?)
            }
            Err(e) => return Err(e),
        };
        Ok(Self {
            child: Some(child),
            notify,
        })
    }

    pub(crate) fn try_wait(&mut self) -> io::Result<Option<ExitStatus>> {
        self.child
            .as_mut()
            .expect("present until dropped")
            .try_wait()
    }

    /// Waits for the exit (and reaps).
    pub(crate) fn poll_wait(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<ExitStatus>> {
        loop {
            if let Some(status) = self.try_wait()? {
                return Poll::Ready(Ok(status));
            }
            match &mut self.notify {
                Notify::Pidfd(fd) => {
                    std::task::ready!(fd.poll_ready(cx, Interest::Readable));
                    // Readable means exited; if waitpid disagrees, wait for the next event.
                    if let Some(status) = self.try_wait()? {
                        return Poll::Ready(Ok(status));
                    }
                    if let Notify::Pidfd(fd) = &self.notify {
                        fd.clear_ready(Interest::Readable);
                    }
                }
                Notify::Sigchld(s) => std::task::ready!(s.poll_recv(cx)),
            }
        }
    }
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if !matches!(child.try_wait(), Ok(Some(_))) {
                ORPHANS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(child);
            }
        }
    }
}

/// A child started on the pool for `spawn_async`, until the loop claims it. If the
/// `spawn_async` future was dropped before that, the child is killed (with `kill_on_drop`) and
/// left to the orphan list, reaped on a later spawn, instead of staying a zombie.
pub(crate) struct Unclaimed {
    child: Option<std::process::Child>,
    kill_on_drop: bool,
}

impl Unclaimed {
    pub(crate) fn new(child: std::process::Child, kill_on_drop: bool) -> Self {
        Self {
            child: Some(child),
            kill_on_drop,
        }
    }

    pub(crate) fn claim(mut self) -> std::process::Child {
        self.child.take().expect("claimed once")
    }
}

impl Drop for Unclaimed {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if self.kill_on_drop {
                let _ = child.kill();
            }
            if !matches!(child.try_wait(), Ok(Some(_))) {
                ORPHANS
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(child);
            }
        }
    }
}

/// Reaps the orphans that exited.
pub(crate) fn reap_orphans() {
    let mut orphans = ORPHANS.lock().unwrap_or_else(|e| e.into_inner());
    orphans.retain_mut(|c| matches!(c.try_wait(), Ok(None)));
}

/// Waits for `reaper` in a task of the running loop, or leaves it to the orphan list.
pub(crate) fn reap_in_background(mut reaper: Reaper) {
    if crate::try_get_running_loop().is_some() {
        drop(crate::task::spawn_named("process.reap", async move {
            let _ = std::future::poll_fn(|cx| reaper.poll_wait(cx)).await;
        }));
    }
    // Without a loop, dropping the reaper puts the child on the orphan list.
}
