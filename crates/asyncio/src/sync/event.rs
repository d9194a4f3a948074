//! [`Event`] (asyncio's `Event`): a flag tasks can wait on.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::waitlist::{WaitKey, WaitList};

struct State {
    set: bool,
    waiters: WaitList,
}

/// A flag for the tasks of one loop: [`wait`](Self::wait) returns once it is set. Cloning gives
/// another handle to the same event.
///
/// ```
/// asyncio::run(async {
///     let ready = asyncio::sync::Event::new();
///     let r = ready.clone();
///     let waiter = asyncio::spawn(async move { r.wait().await; "woke" });
///     ready.set();
///     assert_eq!(waiter.await.unwrap(), "woke");
/// });
/// ```
#[derive(Clone)]
pub struct Event {
    state: Rc<RefCell<State>>,
}

impl Default for Event {
    fn default() -> Self {
        Self::new()
    }
}

impl Event {
    /// An event that is not set.
    pub fn new() -> Self {
        Self {
            state: Rc::new(RefCell::new(State {
                set: false,
                waiters: WaitList::new(),
            })),
        }
    }

    /// Sets the flag and wakes every waiter. They return even if the flag is cleared before
    /// they run, as in asyncio.
    pub fn set(&self) {
        let mut st = self.state.borrow_mut();
        st.set = true;
        st.waiters.grant_all();
    }

    /// Clears the flag.
    pub fn clear(&self) {
        self.state.borrow_mut().set = false;
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.state.borrow().set
    }

    /// Waits until the flag is set (at once if it is).
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub fn wait(&self) -> Wait<'_> {
        Wait {
            event: self,
            key: None,
        }
    }
}

impl fmt::Debug for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Event")
            .field("set", &self.is_set())
            .finish()
    }
}

/// The future of [`Event::wait`].
///
/// # Cancel safety
/// Cancel-safe.
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<'a> {
    event: &'a Event,
    key: Option<WaitKey>,
}

impl Future for Wait<'_> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        let mut st = this.event.state.borrow_mut();
        if let Some(key) = this.key {
            if !st.waiters.poll_take(key, cx.waker()) {
                return Poll::Pending;
            }
            this.key = None;
            return Poll::Ready(());
        }
        if st.set {
            return Poll::Ready(());
        }
        this.key = Some(st.waiters.push(cx.waker()));
        Poll::Pending
    }
}

impl Drop for Wait<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.event.state.borrow_mut().waiters.remove(key);
        }
    }
}

impl fmt::Debug for Wait<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("waiting", &self.key.is_some())
            .finish()
    }
}
