//! [`TimeoutScope`]: asyncio's `async with asyncio.timeout(...) as cm` — a deadline that the
//! code inside can read and move.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::sleep::deadline_until;
use super::{Elapsed, Sleep};

struct State {
    when: Cell<Option<Instant>>,
    expired: Cell<bool>,
    waker: RefCell<Option<Waker>>,
}

/// A timeout whose deadline can be moved while it runs (asyncio's `Timeout` with `when()`,
/// `reschedule()` and `expired()`). Clone it into the guarded code to reschedule from inside.
///
/// ```
/// use std::time::Duration;
/// use asyncio::time::{now, sleep, TimeoutScope};
///
/// asyncio::run(async {
///     let scope = TimeoutScope::after(Duration::from_millis(10));
///     let inner = scope.clone();
///     let out = scope
///         .run(async move {
///             // Need more time: push the deadline out.
///             inner.reschedule(Some(now() + Duration::from_secs(5)));
///             sleep(Duration::from_millis(30)).await;
///             "finished"
///         })
///         .await;
///     assert_eq!(out, Ok("finished"));
///     assert!(!scope.expired());
/// });
/// ```
#[derive(Clone)]
pub struct TimeoutScope {
    state: Rc<State>,
}

impl TimeoutScope {
    /// A scope expiring `delay` from now on the running loop's clock.
    pub fn after(delay: Duration) -> Self {
        Self::at(Some(super::deadline_after(delay)))
    }

    /// A scope expiring at `when`, or never for `None`.
    pub fn at(when: Option<Instant>) -> Self {
        Self {
            state: Rc::new(State {
                when: Cell::new(when),
                expired: Cell::new(false),
                waker: RefCell::new(None),
            }),
        }
    }

    /// The current deadline, `None` for none.
    pub fn when(&self) -> Option<Instant> {
        self.state.when.get()
    }

    /// Moves the deadline (`None` removes it). Takes effect at once, also from inside the
    /// guarded code.
    pub fn reschedule(&self, when: Option<Instant>) {
        self.state.when.set(when);
        if let Some(w) = self.state.waker.borrow_mut().take() {
            w.wake();
        }
    }

    /// Whether the deadline passed while the guarded code ran (it was then cancelled).
    pub fn expired(&self) -> bool {
        self.state.expired.get()
    }

    /// Runs `future` under this scope.
    pub fn run<F: IntoFuture>(&self, future: F) -> Scoped<F::IntoFuture> {
        Scoped {
            future: future.into_future(),
            scope: self.clone(),
            sleep: None,
        }
    }
}

impl fmt::Debug for TimeoutScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimeoutScope")
            .field("when", &self.when())
            .field("expired", &self.expired())
            .finish()
    }
}

pin_project_lite::pin_project! {
    /// A future running under a [`TimeoutScope`].
    ///
    /// # Cancel safety
    /// As cancel-safe as the guarded future, which is dropped with it.
    #[must_use = "futures do nothing unless awaited"]
    pub struct Scoped<F> {
        #[pin]
        future: F,
        scope: TimeoutScope,
        sleep: Option<Sleep>,
    }
}

impl<F> fmt::Debug for Scoped<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Scoped")
            .field("scope", &self.scope)
            .finish()
    }
}

impl<F: Future> Future for Scoped<F> {
    type Output = Result<F::Output, Elapsed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(v) = this.future.poll(cx) {
            return Poll::Ready(Ok(v));
        }
        let state = &this.scope.state;
        *state.waker.borrow_mut() = Some(cx.waker().clone());
        match state.when.get() {
            None => *this.sleep = None,
            Some(when) => {
                if this.sleep.as_ref().map(Sleep::deadline) != Some(when) {
                    *this.sleep = Some(deadline_until(when, "TimeoutScope"));
                }
            }
        }
        if let Some(sleep) = this.sleep {
            if Pin::new(sleep).poll(cx).is_ready() {
                state.expired.set(true);
                return Poll::Ready(Err(Elapsed::new()));
            }
        }
        Poll::Pending
    }
}
