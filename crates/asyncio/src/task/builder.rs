//! Spawning tasks: [`spawn`] and the [`Builder`] for named tasks.

use std::borrow::Cow;
use std::future::Future;

use super::JoinHandle;
use crate::event_loop::EventLoop;

/// Spawns a task on the running loop, like `asyncio.create_task`.
///
/// The task starts at the loop's next iteration (after the current batch of ready callbacks) and
/// runs to the end even if the returned handle is dropped. It need not be `Send`.
///
/// # Panics
/// If no loop is running on this thread (asyncio raises `RuntimeError: no running event loop`).
/// Use [`EventLoop::spawn`] to add tasks to a loop that is not running yet.
///
/// ```
/// use std::rc::Rc;
/// asyncio::run(async {
///     let shared = Rc::new(5); // tasks need not be Send
///     let s = shared.clone();
///     let doubled = asyncio::spawn(async move { *s * 2 });
///     assert_eq!(doubled.await.unwrap(), 10);
/// });
/// ```
#[track_caller]
pub fn spawn<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::runtime::context::running_core().spawn(future, None)
}

/// Spawns a task of asyncio-rs's own, made on the user's behalf, under a fixed name (what the
/// task dump, `asyncio-ps` and tokio-console show for it).
#[track_caller]
pub(crate) fn spawn_named<F>(name: &'static str, future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    crate::runtime::context::running_core().spawn(future, Some(Cow::Borrowed(name)))
}

/// Options for a task: its name.
///
/// ```
/// asyncio::run(async {
///     let t = asyncio::task::Builder::new().name("worker").spawn(async { 1 });
///     assert_eq!(t.name(), "worker");
///     assert_eq!(t.await.unwrap(), 1);
/// });
/// ```
#[derive(Debug, Default, Clone)]
pub struct Builder {
    name: Option<String>,
}

impl Builder {
    /// A builder with no name set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Names the task (shown by the task dump and the exception handler).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Spawns on the running loop.
    ///
    /// # Panics
    /// If no loop is running on this thread.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        crate::runtime::context::running_core().spawn(future, self.name.map(Cow::Owned))
    }

    /// Spawns on the given loop, running or not.
    ///
    /// # Panics
    /// If the loop is closed.
    #[track_caller]
    pub fn spawn_on<F>(self, event_loop: &EventLoop, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        event_loop.spawn_inner(future, self.name.map(Cow::Owned))
    }
}
