//! asyncio's `add_reader`/`add_writer`: call a function whenever a descriptor is readable or
//! writable, for callback-style libraries.

use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::os::fd::{AsRawFd, RawFd};
use std::rc::Rc;

use super::EventLoop;
use crate::io::{AsyncFd, Interest};

/// A descriptor the caller owns (never closed here).
#[derive(Debug)]
struct Borrowed(RawFd);

impl AsRawFd for Borrowed {
    fn as_raw_fd(&self) -> RawFd {
        self.0
    }
}

/// One watched descriptor: a single registration for both directions (no duplicate
/// descriptor, so nothing here keeps the caller's file open), with a ready callback per watched
/// direction (no task per watcher: the loop runs the callback in its own turn, as asyncio's
/// selector runs a reader's handle). The registration goes the moment neither direction is
/// watched — before the caller closes the descriptor, as asyncio's transports do right after
/// `remove_reader`.
struct Watch {
    /// The only strong reference: the callbacks hold it weakly.
    source: Rc<AsyncFd<Borrowed>>,
    reading: bool,
    writing: bool,
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
        callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        let interest = if write {
            Interest::Writable
        } else {
            Interest::Readable
        };
        let watchers = self.core.extension::<FdWatchers>();
        let source = {
            let mut map = watchers.watchers.borrow_mut();
            let watch = match map.entry(fd) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(Watch {
                    source: Rc::new(AsyncFd::new_on(self.core.clone(), Borrowed(fd))?),
                    reading: false,
                    writing: false,
                }),
            };
            if write {
                watch.writing = true;
            } else {
                watch.reading = true;
            }
            watch.source.clone()
        };
        let weak = Rc::downgrade(&source);
        let callback = RefCell::new(callback);
        let on_ready = move || {
            let Some(source) = weak.upgrade() else {
                return;
            };
            // The reactor's bit may be stale (a new registration starts ready, and the bit
            // stays set after a callback, which reads the descriptor itself): asyncio's readers
            // are level-triggered, so the descriptor is asked. Not ready: no call, and no turn
            // until the next edge.
            if !crate::sys::ready_now(fd, write).unwrap_or(true) {
                source.clear_ready(interest);
                return;
            }
            // The callback may remove its own watch (dropping the registration): nothing here
            // holds it meanwhile.
            drop(source);
            if let Ok(mut callback) = callback.try_borrow_mut() {
                (*callback)();
            }
        };
        // Replaces a previous callback of this direction, if any.
        source.set_ready_callback(interest, Some(Rc::new(on_ready)));
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
        let (was, interest) = if write {
            (std::mem::take(&mut w.writing), Interest::Writable)
        } else {
            (std::mem::take(&mut w.reading), Interest::Readable)
        };
        if !was {
            return false;
        }
        if w.reading || w.writing {
            let source = w.source.clone();
            drop(map);
            source.set_ready_callback(interest, None);
        } else if let Some(w) = map.remove(&fd) {
            // Deregistered now (the callbacks go with the registration).
            drop(map);
            drop(w);
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
