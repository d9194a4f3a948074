//! [`Barrier`] (asyncio 3.11's `Barrier`): parties wait until all have arrived.

use std::cell::RefCell;
use std::fmt;
use std::future::poll_fn;
use std::rc::Rc;
use std::task::Poll;

use super::waitlist::{WaitKey, WaitList};

/// The barrier was aborted or reset while waiting (asyncio's `BrokenBarrierError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrokenBarrierError;

impl fmt::Display for BrokenBarrierError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the barrier is broken")
    }
}

impl std::error::Error for BrokenBarrierError {}

struct State {
    parties: usize,
    arrived: usize,
    broken: bool,
    waiters: WaitList,
}

/// A meeting point for `parties` tasks: each `wait` returns when the last one arrives, with
/// the arrival index (0 for the first). Then the barrier is ready for the next round.
/// Cloning gives another handle.
///
/// ```
/// asyncio::run(async {
///     let barrier = asyncio::sync::Barrier::new(3);
///     let tasks: Vec<_> = (0..3)
///         .map(|_| {
///             let b = barrier.clone();
///             asyncio::spawn(async move { b.wait().await.unwrap() })
///         })
///         .collect();
///     let mut indexes = Vec::new();
///     for t in tasks {
///         indexes.push(t.await.unwrap());
///     }
///     indexes.sort();
///     assert_eq!(indexes, [0, 1, 2]);
/// });
/// ```
#[derive(Clone)]
pub struct Barrier {
    state: Rc<RefCell<State>>,
}

impl Barrier {
    /// A barrier for `parties` tasks.
    ///
    /// # Panics
    /// If `parties` is zero.
    pub fn new(parties: usize) -> Self {
        assert!(parties > 0, "a barrier needs at least one party");
        Self {
            state: Rc::new(RefCell::new(State {
                parties,
                arrived: 0,
                broken: false,
                waiters: WaitList::new(),
            })),
        }
    }

    /// Waits for every party; returns this party's arrival index.
    ///
    /// # Errors
    /// [`BrokenBarrierError`] if the barrier is (or becomes) aborted, or is reset while waiting.
    ///
    /// # Cancel safety
    /// A party dropped while waiting no longer counts as arrived.
    pub async fn wait(&self) -> Result<usize, BrokenBarrierError> {
        let index = {
            let mut st = self.state.borrow_mut();
            if st.broken {
                return Err(BrokenBarrierError);
            }
            let index = st.arrived;
            st.arrived += 1;
            if st.arrived == st.parties {
                st.arrived = 0;
                st.waiters.grant_all();
                return Ok(index);
            }
            index
        };
        struct Waiting<'a> {
            barrier: &'a Barrier,
            key: Option<WaitKey>,
        }
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                if let Some(key) = self.key.take() {
                    let mut st = self.barrier.state.borrow_mut();
                    if !st.waiters.remove(key) && !st.broken {
                        st.arrived -= 1; // left before the round filled
                    }
                }
            }
        }
        let mut waiting = Waiting {
            barrier: self,
            key: None,
        };
        poll_fn(|cx| {
            let mut st = self.state.borrow_mut();
            match waiting.key {
                None => {
                    waiting.key = Some(st.waiters.push(cx.waker()));
                    Poll::Pending
                }
                Some(key) => {
                    if st.waiters.poll_take(key, cx.waker()) {
                        waiting.key = None;
                        Poll::Ready(())
                    } else {
                        Poll::Pending
                    }
                }
            }
        })
        .await;
        if self.state.borrow().broken {
            Err(BrokenBarrierError)
        } else {
            Ok(index)
        }
    }

    /// Breaks the barrier: waiting and future `wait`s fail until [`reset`](Self::reset).
    pub fn abort(&self) {
        let mut st = self.state.borrow_mut();
        st.broken = true;
        st.arrived = 0;
        st.waiters.grant_all();
    }

    /// Fails the current waiters and makes the barrier usable again.
    pub fn reset(&self) {
        self.abort();
        // The woken waiters read `broken` when they run; a new round starts clean after them.
        let state = self.state.clone();
        crate::runtime::context::running_core()
            .push_callback(move || state.borrow_mut().broken = false);
    }

    /// The number of parties.
    pub fn parties(&self) -> usize {
        self.state.borrow().parties
    }

    /// How many parties wait now.
    pub fn n_waiting(&self) -> usize {
        self.state.borrow().arrived
    }

    /// Whether the barrier is broken.
    pub fn broken(&self) -> bool {
        self.state.borrow().broken
    }
}

impl fmt::Debug for Barrier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Barrier")
            .field("parties", &self.parties())
            .field("waiting", &self.n_waiting())
            .field("broken", &self.broken())
            .finish()
    }
}
