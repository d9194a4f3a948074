//! The queue's shared state and its bookkeeping rules (no futures here).

use std::task::Waker;

use super::store::Store;
use crate::sync::waitlist::WaitList;

pub(super) struct State<T, S> {
    pub(super) items: S,
    pub(super) maxsize: usize,
    /// Items put and not yet marked done (`task_done`/`join`).
    pub(super) unfinished: usize,
    pub(super) getters: WaitList,
    pub(super) putters: WaitList,
    /// Items reserved for getters that were granted and have not taken them yet.
    pub(super) reserved_items: usize,
    /// Places reserved for putters that were granted and have not put yet.
    pub(super) reserved_space: usize,
    pub(super) joiners: Vec<Waker>,
    pub(super) shutdown: bool,
    pub(super) _item: std::marker::PhantomData<T>,
}

impl<T, S: Store<T>> State<T, S> {
    pub(super) fn new(maxsize: usize) -> Self {
        Self {
            items: S::default(),
            maxsize,
            unfinished: 0,
            getters: WaitList::new(),
            putters: WaitList::new(),
            reserved_items: 0,
            reserved_space: 0,
            joiners: Vec::new(),
            shutdown: false,
            _item: std::marker::PhantomData,
        }
    }

    /// Items nobody has reserved.
    pub(super) fn available(&self) -> usize {
        self.items.len() - self.reserved_items
    }

    /// Whether a new item fits (counting places reserved for granted putters).
    pub(super) fn has_space(&self) -> bool {
        self.maxsize == 0 || self.items.len() + self.reserved_space < self.maxsize
    }

    pub(super) fn is_full(&self) -> bool {
        self.maxsize > 0 && self.items.len() >= self.maxsize
    }

    /// Adds an item and hands it to the first waiting getter.
    pub(super) fn push(&mut self, item: T) {
        self.items.push(item);
        self.unfinished += 1;
        self.grant_getters();
    }

    /// Takes an item and hands the freed place to the first waiting putter.
    pub(super) fn pop(&mut self) -> T {
        let item = self.items.pop().expect("an item is available");
        self.grant_putters();
        item
    }

    pub(super) fn grant_getters(&mut self) {
        while self.available() > 0 && self.getters.grant_front() {
            self.reserved_items += 1;
        }
    }

    pub(super) fn grant_putters(&mut self) {
        while self.has_space() && self.putters.grant_front() {
            self.reserved_space += 1;
        }
    }

    pub(super) fn task_done(&mut self) -> bool {
        if self.unfinished == 0 {
            return false;
        }
        self.unfinished -= 1;
        if self.unfinished == 0 {
            self.wake_joiners();
        }
        true
    }

    pub(super) fn wake_joiners(&mut self) {
        for w in self.joiners.drain(..) {
            w.wake();
        }
    }

    pub(super) fn shutdown(&mut self, immediate: bool) {
        self.shutdown = true;
        if immediate {
            let dropped = self.items.len();
            self.items.clear();
            self.unfinished = self.unfinished.saturating_sub(dropped);
            if self.unfinished == 0 {
                self.wake_joiners();
            }
        }
        // Every waiter wakes and sees the shutdown; reservations end with it.
        self.reserved_items = 0;
        self.reserved_space = 0;
        self.getters.grant_all();
        self.putters.grant_all();
    }
}
