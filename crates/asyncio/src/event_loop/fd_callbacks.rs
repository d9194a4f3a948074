//! asyncio's `add_reader`/`add_writer`: call a function whenever a descriptor is readable or
//! writable, for callback-style libraries.

use std::cell::RefCell;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;
use std::task::Poll;

use super::EventLoop;
use crate::io::{AsyncFd, Interest};
use crate::runtime::task::JoinHandle;

/// A descriptor the caller owns (never closed here).
#[derive(Debug)]
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// One watched descriptor: a single registration for both directions (no duplicate
/// descriptor, so nothing here keeps the caller's file open), and the task of each direction.
/// The registration goes the moment neither direction is watched — before the caller closes
/// the descriptor, as asyncio's transports do right after `remove_reader`.
struct Watch {
    source: Rc<RefCell<Option<AsyncFd<Borrowed>>>>,
    reader: Option<JoinHandle<()>>,
    writer: Option<JoinHandle<()>>,
}

/// The watchers of one loop, by descriptor (a loop extension).
#[derive(Default)]
pub(crate) struct FdWatchers {
    watchers: RefCell<HashMap<RawFd, Watch>>,
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

    /// Registers `inner` with this loop's reactor as an [`AsyncFd`], whether the loop runs or
    /// not (for code that builds I/O objects for a loop before running it, as the Python
    /// loop's transports do; [`AsyncFd::new`] takes the running loop).
    ///
    /// # Errors
    /// When the poller refuses the descriptor.
    pub fn async_fd<T: AsRawFd>(&self, inner: T) -> std::io::Result<AsyncFd<T>> {
        AsyncFd::new_on(self.core.clone(), inner)
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
        mut callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        let interest = if write {
            Interest::Writable
        } else {
            Interest::Readable
        };
        let watchers = self.core.extension::<FdWatchers>();
        let source = {
            let mut map = watchers.watchers.borrow_mut();
            if let Some(w) = map.get_mut(&fd) {
                let old = if write {
                    w.writer.take()
                } else {
                    w.reader.take()
                };
                if let Some(old) = old {
                    old.task().cancel();
                }
                w.source.clone()
            } else {
                let source = Rc::new(RefCell::new(Some(AsyncFd::new_on(
                    self.core.clone(),
                    Borrowed(fd),
                )?)));
                map.insert(
                    fd,
                    Watch {
                        source: source.clone(),
                        reader: None,
                        writer: None,
                    },
                );
                source
            }
        };
        let name = if write { "add_writer" } else { "add_reader" };
        let handle = self.spawn_inner(
            async move {
                loop {
                    let watched = std::future::poll_fn(|cx| match source.borrow().as_ref() {
                        Some(s) => s.poll_ready(cx, interest).map(|()| true),
                        None => Poll::Ready(false),
                    })
                    .await;
                    if !watched {
                        return;
                    }
                    // The reactor's bit may be stale (a new registration starts ready, and the
                    // bit stays set after a callback): asyncio's readers are level-triggered, so
                    // the descriptor itself is asked. Not ready: wait for the next edge.
                    if !crate::sys::ready_now(fd, write).unwrap_or(true) {
                        if let Some(s) = source.borrow().as_ref() {
                            s.clear_ready(interest);
                        }
                        continue;
                    }
                    callback();
                    crate::time::yield_now().await;
                }
            },
            Some(std::borrow::Cow::Borrowed(name)),
        );
        let mut map = watchers.watchers.borrow_mut();
        match map.get_mut(&fd) {
            Some(w) if write => w.writer = Some(handle),
            Some(w) => w.reader = Some(handle),
            // Removed meanwhile (cannot happen: nothing ran in between).
            None => {
                handle.task().cancel();
            }
        }
        Ok(())
    }

    fn remove_watcher(&self, fd: RawFd, write: bool) -> bool {
        let Some(watchers) = self.core.try_extension::<FdWatchers>() else {
            return false;
        };
        let mut map = watchers.watchers.borrow_mut();
        let Some(w) = map.get_mut(&fd) else {
            return false;
        };
        let handle = if write {
            w.writer.take()
        } else {
            w.reader.take()
        };
        let Some(handle) = handle else {
            return false;
        };
        handle.task().cancel();
        if w.reader.is_none() && w.writer.is_none() {
            if let Some(w) = map.remove(&fd) {
                // Deregistered now, whatever the tasks do later.
                let source = w.source.borrow_mut().take();
                drop(map);
                drop(source);
            }
        }
        true
    }
}

impl std::fmt::Debug for FdWatchers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FdWatchers")
            .field("count", &self.watchers.borrow().len())
            .finish()
    }
}
