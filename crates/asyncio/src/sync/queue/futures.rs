//! The futures of `put`, `get` and `join`. Each is cancel-safe: see [`WaitList`].
//!
//! [`WaitList`]: crate::sync::waitlist::WaitList

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::store::Store;
use super::{GetError, PutError, Queue};
use crate::sync::waitlist::WaitKey;

/// The future of [`Queue::put`].
#[must_use = "futures do nothing unless awaited"]
pub struct Put<'a, T, S: Store<T>> {
    pub(super) queue: &'a Queue<T, S>,
    pub(super) item: Option<T>,
    pub(super) key: Option<WaitKey>,
}

// The item is moved in and out, never pinned.
impl<T, S: Store<T>> Unpin for Put<'_, T, S> {}

impl<T, S: Store<T>> Future for Put<'_, T, S> {
    type Output = Result<(), PutError<T>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut st = this.queue.state.borrow_mut();
        if let Some(key) = this.key {
            if !st.putters.poll_take(key, cx.waker()) {
                return Poll::Pending;
            }
            this.key = None;
            let item = this.item.take().expect("Put polled after completion");
            if st.shutdown {
                return Poll::Ready(Err(PutError::ShutDown(item)));
            }
            st.reserved_space -= 1;
            st.push(item);
            return Poll::Ready(Ok(()));
        }
        let item = this.item.take().expect("Put polled after completion");
        if st.shutdown {
            return Poll::Ready(Err(PutError::ShutDown(item)));
        }
        if st.has_space() && !st.putters.has_waiters() {
            st.push(item);
            return Poll::Ready(Ok(()));
        }
        this.item = Some(item);
        this.key = Some(st.putters.push(cx.waker()));
        Poll::Pending
    }
}

impl<T, S: Store<T>> Drop for Put<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut st = self.queue.state.borrow_mut();
            if st.putters.remove(key) && !st.shutdown {
                // Granted a place it will not use: pass it on. The item is dropped, not put.
                st.reserved_space -= 1;
                st.grant_putters();
            }
        }
    }
}

impl<T, S: Store<T>> fmt::Debug for Put<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Put")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The future of [`Queue::get`].
#[must_use = "futures do nothing unless awaited"]
pub struct Get<'a, T, S: Store<T>> {
    pub(super) queue: &'a Queue<T, S>,
    pub(super) key: Option<WaitKey>,
}

impl<T, S: Store<T>> Future for Get<'_, T, S> {
    type Output = Result<T, GetError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let mut st = this.queue.state.borrow_mut();
        if let Some(key) = this.key {
            if !st.getters.poll_take(key, cx.waker()) {
                return Poll::Pending;
            }
            this.key = None;
            if !st.shutdown {
                st.reserved_items -= 1;
                return Poll::Ready(Ok(st.pop()));
            }
        }
        if st.available() > 0 {
            return Poll::Ready(Ok(st.pop()));
        }
        if st.shutdown {
            return Poll::Ready(Err(GetError::ShutDown));
        }
        this.key = Some(st.getters.push(cx.waker()));
        Poll::Pending
    }
}

impl<T, S: Store<T>> Drop for Get<'_, T, S> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            let mut st = self.queue.state.borrow_mut();
            if st.getters.remove(key) && !st.shutdown {
                // Granted an item it will not take: the item stays queued for the next getter.
                st.reserved_items -= 1;
                st.grant_getters();
            }
        }
    }
}

impl<T, S: Store<T>> fmt::Debug for Get<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Get")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}

/// The future of [`Queue::join`].
#[must_use = "futures do nothing unless awaited"]
pub struct Join<'a, T, S: Store<T>> {
    pub(super) queue: &'a Queue<T, S>,
}

impl<T, S: Store<T>> Future for Join<'_, T, S> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.queue.state.borrow_mut();
        if st.unfinished == 0 {
            return Poll::Ready(());
        }
        if !st.joiners.iter().any(|w| w.will_wake(cx.waker())) {
            st.joiners.push(cx.waker().clone());
        }
        Poll::Pending
    }
}

impl<T, S: Store<T>> fmt::Debug for Join<'_, T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Join")
    }
}
