//! [`TaskGroup`]: asyncio's `TaskGroup` (and trio's nursery): children that fail take their
//! siblings down, every failure is reported together, nothing outlives the group.

use std::cell::RefCell;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::Instant;

use super::catch::CatchUnwind;
use super::{JoinHandle, Task};
use crate::future::Promise;

/// Why one child failed.
#[derive(Debug, PartialEq, Eq)]
pub enum ChildError<E> {
    /// It returned `Err`.
    Failed(E),
    /// It panicked, with this message.
    Panicked(String),
}

/// The failures of a group's children, all of them (asyncio's `ExceptionGroup`), or the
/// group's deadline passing.
#[derive(Debug, PartialEq, Eq)]
pub struct GroupError<E> {
    /// Each failed child's error, in the order they failed.
    pub errors: Vec<ChildError<E>>,
    /// Whether the group's deadline passed (its children were then cancelled).
    pub timed_out: bool,
}

impl<E: fmt::Debug> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.timed_out {
            f.write_str("the task group's deadline passed")?;
            if !self.errors.is_empty() {
                f.write_str("; ")?;
            }
        }
        if !self.errors.is_empty() {
            write!(
                f,
                "{} child task(s) failed: {:?}",
                self.errors.len(),
                self.errors
            )?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug> std::error::Error for GroupError<E> {}

struct State<E> {
    children: Vec<Task>,
    running: usize,
    errors: Vec<ChildError<E>>,
    cancelled: bool,
    waker: Option<Waker>,
}

impl<E> State<E> {
    fn cancel_children(&mut self) {
        self.cancelled = true;
        for child in &self.children {
            child.cancel();
        }
    }
}

/// Children spawned together and awaited together. The first child that fails (returns `Err`
/// or panics) cancels the others; [`wait`](Self::wait) then reports every failure. Dropping
/// the group cancels the children still running (asyncio exits `async with` only when all are
/// done; here the group's owner chooses: `wait` for them, or drop to cancel).
///
/// ```
/// use std::time::Duration;
/// use asyncio::task::{ChildError, TaskGroup};
///
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// lp.run_until_complete(async {
///     let group: TaskGroup<String> = TaskGroup::new();
///     let slow = group.spawn(async {
///         asyncio::time::sleep(Duration::from_secs(60)).await;
///         Ok("never")
///     });
///     group.spawn(async { Err::<(), _>("bad input".to_string()) });
///     let err = group.wait().await.unwrap_err();
///     assert_eq!(err.errors, [ChildError::Failed("bad input".to_string())]);
///     assert!(slow.is_cancelled()); // its sibling's failure cancelled it
/// });
/// ```
pub struct TaskGroup<E = std::convert::Infallible> {
    state: Rc<RefCell<State<E>>>,
    deadline: Option<Instant>,
}

impl<E: 'static> Default for TaskGroup<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E: 'static> TaskGroup<E> {
    /// An empty group.
    pub fn new() -> Self {
        Self {
            state: Rc::new(RefCell::new(State {
                children: Vec::new(),
                running: 0,
                errors: Vec::new(),
                cancelled: false,
                waker: None,
            })),
            deadline: None,
        }
    }

    /// A group whose [`wait`](Self::wait) cancels the children still running at `deadline`
    /// (a group-level timeout).
    pub fn with_deadline(deadline: Instant) -> Self {
        let mut g = Self::new();
        g.deadline = Some(deadline);
        g
    }

    /// Spawns a child on the running loop. Its `Ok` output is the handle's output (`Some`);
    /// an `Err` or a panic is recorded for [`wait`](Self::wait), cancels the siblings, and the
    /// handle yields `None`. Spawning into a group that was cancelled (or whose child failed)
    /// starts the child cancelled, as asyncio does.
    ///
    /// # Panics
    /// If no loop is running on this thread.
    #[track_caller]
    pub fn spawn<T, F>(&self, future: F) -> JoinHandle<Option<T>>
    where
        F: Future<Output = Result<T, E>> + 'static,
        T: 'static,
    {
        let state = self.state.clone();
        state.borrow_mut().running += 1;
        let child = Child {
            state: state.clone(),
        };
        let handle = crate::spawn(async move {
            let child = child;
            let outcome = CatchUnwind::new(AssertUnwindSafe(future)).await;
            match outcome {
                Ok(Ok(v)) => Some(v),
                Ok(Err(e)) => {
                    child.fail(ChildError::Failed(e));
                    None
                }
                Err(message) => {
                    child.fail(ChildError::Panicked(message));
                    None
                }
            }
        });
        let mut st = state.borrow_mut();
        st.children.push(handle.task().clone());
        if st.cancelled {
            handle.cancel();
        }
        handle
    }

    /// Starts a child and waits until it reports that it is ready (trio's `nursery.start`),
    /// e.g. a server once it listens. The child gets a [`Started`] to report with; the value it
    /// reports is returned. The child keeps running in the group afterwards.
    ///
    /// Returns `None` if the child ended (or failed) without reporting.
    ///
    /// # Cancel safety
    /// Dropping the future stops the wait only: the child keeps running in the group, and its
    /// readiness report is discarded.
    pub async fn start<V, T, F, Fut>(&self, f: F) -> Option<V>
    where
        F: FnOnce(Started<V>) -> Fut,
        Fut: Future<Output = Result<T, E>> + 'static,
        V: 'static,
        T: 'static,
    {
        let promise: Promise<V, ()> = Promise::new();
        let handle = self.spawn(f(Started {
            promise: promise.clone(),
        }));
        let task = handle.task().clone();
        drop(handle);
        let p = promise.clone();
        task.add_done_callback(move |_| {
            p.cancel(); // no effect if it reported already
        });
        promise.await.ok()
    }

    /// Cancels every child (asyncio 3.15's `TaskGroup.cancel`). `wait` then returns without a
    /// failure for the cancellation itself.
    pub fn cancel(&self) {
        self.state.borrow_mut().cancel_children();
    }

    /// Waits for every child to end.
    ///
    /// # Errors
    /// A [`GroupError`] with every child's failure (and `timed_out` if the deadline passed).
    ///
    /// # Cancel safety
    /// Dropping the `wait` leaves the group as it is; dropping the group cancels the children.
    pub async fn wait(&self) -> Result<(), GroupError<E>> {
        let mut sleep = self
            .deadline
            .map(|d| crate::time::sleep::deadline_until(d, "TaskGroup::deadline"));
        let mut timed_out = false;
        poll_fn(|cx| {
            let mut st = self.state.borrow_mut();
            if st.running == 0 {
                return Poll::Ready(());
            }
            st.waker = Some(cx.waker().clone());
            if let Some(s) = sleep.as_mut() {
                if std::pin::Pin::new(s).poll(cx).is_ready() {
                    sleep = None;
                    timed_out = true;
                    st.cancel_children();
                }
            }
            Poll::Pending
        })
        .await;
        let mut st = self.state.borrow_mut();
        st.children.clear();
        let errors = std::mem::take(&mut st.errors);
        if errors.is_empty() && !timed_out {
            Ok(())
        } else {
            Err(GroupError { errors, timed_out })
        }
    }

    /// How many children have not ended.
    pub fn running(&self) -> usize {
        self.state.borrow().running
    }
}

impl<E> Drop for TaskGroup<E> {
    fn drop(&mut self) {
        self.state.borrow_mut().cancel_children();
    }
}

impl<E> fmt::Debug for TaskGroup<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let st = self.state.borrow();
        f.debug_struct("TaskGroup")
            .field("running", &st.running)
            .field("failures", &st.errors.len())
            .field("cancelled", &st.cancelled)
            .finish()
    }
}

/// Lives inside a child's future: however the child ends — output, error, panic or
/// cancellation (its future dropped) — the group learns it.
struct Child<E> {
    state: Rc<RefCell<State<E>>>,
}

impl<E: 'static> Child<E> {
    /// Records a failure. The siblings are cancelled from the loop's next iteration, as
    /// asyncio's done callback does: a sibling failing in this same iteration is still
    /// reported, and children spawned from now on start cancelled.
    fn fail(&self, error: ChildError<E>) {
        let mut st = self.state.borrow_mut();
        st.errors.push(error);
        if !st.cancelled {
            st.cancelled = true;
            let state = self.state.clone();
            crate::runtime::context::running_core()
                .push_callback(move || state.borrow_mut().cancel_children());
        }
    }
}

impl<E> Drop for Child<E> {
    fn drop(&mut self) {
        let mut st = self.state.borrow_mut();
        st.running -= 1;
        if st.running == 0 {
            if let Some(w) = st.waker.take() {
                w.wake();
            }
        }
    }
}

/// Given to a child started with [`TaskGroup::start`]: report readiness with a value.
pub struct Started<V> {
    promise: Promise<V, ()>,
}

impl<V: 'static> Started<V> {
    /// Reports that the child is ready; `start` returns `value`.
    pub fn started(self, value: V) {
        let _ = self.promise.set_result(value);
    }
}

impl<V> fmt::Debug for Started<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Started")
    }
}
