//! asyncio's `add_reader`/`add_writer`: call a function whenever a descriptor is readable or
//! writable, for callback-style libraries.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::RawFd;
use std::rc::Rc;

use super::EventLoop;
use crate::io::{AsyncFd, Interest};
use crate::runtime::task::JoinHandle;

/// The watchers of one loop, by descriptor and direction (a loop extension).
#[derive(Default)]
pub(crate) struct FdWatchers {
    watchers: RefCell<HashMap<(RawFd, bool), JoinHandle<()>>>,
}

impl EventLoop {
    /// Calls `callback` each time `fd` is readable, until [`remove_reader`](Self::remove_reader)
    /// (asyncio's `add_reader`). Level-triggered like asyncio: while data stays unread, the
    /// callback runs again on the next iteration. A previous reader of `fd` is replaced.
    ///
    /// The descriptor stays owned by the caller and must outlive the watch.
    ///
    /// # Errors
    /// When the poller refuses the descriptor (regular files, say).
    pub fn add_reader(&self, fd: RawFd, callback: impl FnMut() + 'static) -> std::io::Result<()> {
        self.add_watcher(fd, false, callback)
    }

    /// Calls `callback` each time `fd` is writable (asyncio's `add_writer`).
    ///
    /// # Errors
    /// When the poller refuses the descriptor.
    pub fn add_writer(&self, fd: RawFd, callback: impl FnMut() + 'static) -> std::io::Result<()> {
        self.add_watcher(fd, true, callback)
    }

    /// Stops watching `fd` for reading; returns whether it was watched.
    pub fn remove_reader(&self, fd: RawFd) -> bool {
        self.remove_watcher(fd, false)
    }

    /// Stops watching `fd` for writing; returns whether it was watched.
    pub fn remove_writer(&self, fd: RawFd) -> bool {
        self.remove_watcher(fd, true)
    }

    fn add_watcher(
        &self,
        fd: RawFd,
        write: bool,
        callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        self.remove_watcher(fd, write);
        // Each direction gets its own registration: epoll takes a duplicate of the descriptor.
        let dup = dup(fd)?;
        // The descriptor joins this loop's reactor, whether or not the loop is running.
        let running = crate::runtime::context::with_core(|c| c.map(|c| Rc::ptr_eq(c, &self.core)));
        let source = match running {
            Some(true) => AsyncFd::new(dup)?,
            None => {
                let _entered = crate::runtime::context::enter(&self.core);
                AsyncFd::new(dup)?
            }
            Some(false) => {
                return Err(std::io::Error::other(
                    "another event loop is running on this thread",
                ))
            }
        };
        let callback = Rc::new(RefCell::new(callback));
        let interest = if write {
            Interest::Writable
        } else {
            Interest::Readable
        };
        let handle = self.spawn(async move {
            loop {
                source.ready(interest).await;
                (callback.borrow_mut())();
                // Emulate level triggering: if still ready, keep the bit and run again next
                // turn; otherwise wait for the next edge.
                let still = crate::sys::ready_now(fd, write).unwrap_or(false);
                if !still {
                    source.clear_ready(interest);
                }
                crate::time::yield_now().await;
            }
        });
        self.core
            .extension::<FdWatchers>()
            .watchers
            .borrow_mut()
            .insert((fd, write), handle);
        Ok(())
    }

    fn remove_watcher(&self, fd: RawFd, write: bool) -> bool {
        let watchers = self.core.try_extension::<FdWatchers>();
        let handle = watchers.and_then(|w| w.watchers.borrow_mut().remove(&(fd, write)));
        match handle {
            Some(h) => {
                h.task().cancel();
                true
            }
            None => false,
        }
    }
}

/// `dup`: epoll keys registrations by descriptor, so a reader and a writer on one
/// fd need two.
fn dup(fd: RawFd) -> std::io::Result<std::os::fd::OwnedFd> {
    crate::sys::dup(fd)
}

impl std::fmt::Debug for FdWatchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FdWatchers")
            .field("count", &self.watchers.borrow().len())
            .finish()
    }
}
