//! [`WaitList`]: a FIFO queue of waiting futures with *grants*, the building block of the
//! queues and locks.
//!
//! A waiter joins at the back. Whoever frees a resource (an item, a permit, capacity) grants
//! it to the waiter at the front, which is woken and takes the resource when it next polls.
//! Until then the resource is reserved for it, so no later arrival can barge in (FIFO). If the
//! waiter's future is dropped after being granted but before taking the resource, its owner
//! hands the grant on ([`WaitList::remove`] reports it), so nothing is lost to a cancelled
//! waiter.

use std::task::Waker;

use crate::runtime::arena::{Arena, Key};
use crate::runtime::task::raw::TaskWaker;

const NIL: u32 = u32::MAX;

struct Node {
    waker: Option<TaskWaker>,
    granted: bool,
    /// What the waiter wants, for owners that serve several kinds (a read or a write lock).
    tag: u8,
    prev: u32,
    next: u32,
}

/// A waiter's place in a [`WaitList`].
pub(crate) type WaitKey = Key;

/// Waiters in arrival order; granted ones leave the order but keep their node until they take
/// the grant or are removed.
pub(crate) struct WaitList {
    nodes: Arena<Node>,
    head: u32,
    tail: u32,
    /// Waiters not yet granted.
    waiting: usize,
}

impl Default for WaitList {
    fn default() -> Self {
        Self::new()
    }
}

impl WaitList {
    pub(crate) fn new() -> Self {
        Self {
            nodes: Arena::new(),
            head: NIL,
            tail: NIL,
            waiting: 0,
        }
    }

    /// Whether a waiter is waiting (not yet granted).
    pub(crate) fn has_waiters(&self) -> bool {
        self.waiting > 0
    }

    /// Number of waiters not yet granted.
    pub(crate) fn waiting(&self) -> usize {
        self.waiting
    }

    /// Adds a waiter at the back.
    pub(crate) fn push(&mut self, waker: &Waker) -> WaitKey {
        self.push_tagged(waker, 0)
    }

    /// Adds a waiter at the back, with a tag its owner can read with [`front_tag`].
    ///
    /// [`front_tag`]: Self::front_tag
    pub(crate) fn push_tagged(&mut self, waker: &Waker, tag: u8) -> WaitKey {
        let prev = self.tail;
        let waker = TaskWaker::new(waker);
        let key = self.nodes.insert_with(|| Node {
            waker: Some(waker),
            granted: false,
            tag,
            prev,
            next: NIL,
        });
        if self.tail == NIL {
            self.head = key.index;
        } else {
            self.nodes.at(self.tail).next = key.index;
        }
        self.tail = key.index;
        self.waiting += 1;
        key
    }

    #[inline]
    fn unlink(&mut self, index: u32) {
        let (prev, next) = {
            let n = self.nodes.at(index);
            (n.prev, n.next)
        };
        self.unlink_between(prev, next);
    }

    /// Takes a waiter out of the order, given its neighbours.
    #[inline]
    fn unlink_between(&mut self, prev: u32, next: u32) {
        if prev == NIL {
            self.head = next;
        } else {
            self.nodes.at(prev).next = next;
        }
        if next == NIL {
            self.tail = prev;
        } else {
            self.nodes.at(next).prev = prev;
        }
        self.waiting -= 1;
    }

    /// The tag of the front waiter, if any waits.
    pub(crate) fn front_tag(&mut self) -> Option<u8> {
        (self.head != NIL).then(|| self.nodes.at(self.head).tag)
    }

    /// Grants the front waiter and wakes it. Returns false if nobody waits.
    #[inline]
    pub(crate) fn grant_front(&mut self) -> bool {
        if self.head == NIL {
            return false;
        }
        let index = self.head;
        self.unlink(index);
        let node = self.nodes.at(index);
        node.granted = true;
        if let Some(w) = node.waker.take() {
            w.wake();
        }
        true
    }

    /// Wakes the first `n` waiters without granting them anything: they keep their places
    /// and compete for the resource when they poll (for owners that let any poller take a
    /// freed resource: an unfair lock). A waiter already woken is not woken twice.
    pub(crate) fn wake_first(&mut self, n: usize) {
        let mut index = self.head;
        for _ in 0..n {
            if index == NIL {
                return;
            }
            let node = self.nodes.at(index);
            if let Some(w) = node.waker.take() {
                w.wake();
            }
            index = node.next;
        }
    }

    /// Grants and wakes every waiter (for shutdown, `Event::set`, `notify_all`...).
    pub(crate) fn grant_all(&mut self) {
        while self.grant_front() {}
    }

    /// Whether the waiter was granted; if so it is removed (it takes its grant now), if not
    /// `waker` is remembered to wake it.
    pub(crate) fn poll_take(&mut self, key: WaitKey, waker: &Waker) -> bool {
        let Some(node) = self.nodes.get_mut(key) else {
            return true;
        };
        if !node.granted {
            match &mut node.waker {
                Some(w) => w.update(waker),
                slot => *slot = Some(TaskWaker::new(waker)),
            }
            return false;
        }
        // Granted: already out of the order.
        self.nodes.remove(key);
        true
    }

    /// Removes a waiter (it took its grant, or its future was dropped). Returns whether it had
    /// been granted — a dropped waiter's owner then hands the grant on.
    pub(crate) fn remove(&mut self, key: WaitKey) -> bool {
        let Some(node) = self.nodes.remove(key) else {
            return false;
        };
        if !node.granted {
            self.unlink_between(node.prev, node.next);
        }
        node.granted
    }
}
