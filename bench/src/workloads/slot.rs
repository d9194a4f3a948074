//! A minimal one-slot channel for asyncio-rs until `Queue(maxsize=1)` exists (the issue allows
//! it for `pingpong`).

use std::cell::RefCell;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::{Poll, Waker};

struct Inner<T> {
    value: Option<T>,
    rx: Option<Waker>,
    tx: Option<Waker>,
}

pub(crate) struct Slot<T> {
    inner: Rc<RefCell<Inner<T>>>,
}

impl<T> Clone for Slot<T> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<T> Slot<T> {
    pub(crate) fn new() -> Self {
        Self {
            inner: Rc::new(RefCell::new(Inner {
                value: None,
                rx: None,
                tx: None,
            })),
        }
    }

    pub(crate) async fn send(&self, v: T) {
        let mut v = Some(v);
        poll_fn(|cx| {
            let mut i = self.inner.borrow_mut();
            if i.value.is_none() {
                i.value = v.take();
                if let Some(w) = i.rx.take() {
                    w.wake();
                }
                Poll::Ready(())
            } else {
                i.tx = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }

    pub(crate) async fn recv(&self) -> T {
        poll_fn(|cx| {
            let mut i = self.inner.borrow_mut();
            if let Some(v) = i.value.take() {
                if let Some(w) = i.tx.take() {
                    w.wake();
                }
                Poll::Ready(v)
            } else {
                i.rx = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await
    }
}
