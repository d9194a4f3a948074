//! [`EventLoop`]: the public face of a loop (asyncio's `AbstractEventLoop`, scheduling part).

use std::fmt;
use std::future::Future;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::builder::Builder;
use super::callback::{Handle, RawTimer, TimerHandle};
use super::remote::RemoteHandle;
use crate::runtime::core::Core;
use crate::runtime::exception::ExceptionContext;
use crate::runtime::raw_callback::{Raw, RawCallback};
use crate::runtime::task::{JoinHandle, Task};
use crate::runtime::time::wheel::Payload;

/// A function around each blocking wait of a loop (see [`EventLoop::set_wait_hook`]): it is
/// given the wait and must call it, once.
pub type WaitHook = std::rc::Rc<dyn Fn(&mut dyn FnMut())>;

/// An event loop: one per thread, running tasks, callbacks and timers.
///
/// `EventLoop` is a cheap, cloneable handle (`Rc`), and `!Send`: a loop belongs to its thread.
/// Other threads use a [`RemoteHandle`]. Most programs never touch it and call
/// [`asyncio::run`](crate::run); inside a running loop, [`get_running_loop`](crate::get_running_loop)
/// returns it.
///
/// Seed 001's callback program, as written there:
///
/// ```
/// use asyncio::EventLoop;
///
/// fn event_handler(lp: &EventLoop, stop: bool) {
///     println!("Calling event handler");
///     if stop {
///         println!("Loop is being stopped");
///         lp.stop();
///     }
/// }
///
/// let lp = EventLoop::new();
/// let (a, b) = (lp.clone(), lp.clone());
/// lp.call_soon(move || event_handler(&a, false));
/// println!("Loop is being started");
/// lp.call_soon(move || event_handler(&b, true));
/// lp.run_forever();
/// println!("Loop is being closed");
/// lp.close();
/// ```
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<asyncio::EventLoop>();
/// ```
#[derive(Clone)]
pub struct EventLoop {
    pub(crate) core: Rc<Core>,
}

impl Default for EventLoop {
    fn default() -> Self {
        Self::new()
    }
}

impl EventLoop {
    /// A new loop with default settings (asyncio's `new_event_loop`).
    ///
    /// # Panics
    /// If the OS refuses the poller (out of file descriptors); use [`Builder::build`] to get
    /// the error instead.
    pub fn new() -> Self {
        Builder::new()
            .build()
            .expect("failed to create the event loop's poller")
    }

    /// A builder for a loop with virtual time, debug mode and other settings.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// Spawns a task on this loop, running or not (asyncio's `loop.create_task`).
    ///
    /// # Panics
    /// If the loop is closed.
    #[doc(alias = "create_task")]
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(future, None)
    }

    #[track_caller]
    pub(crate) fn spawn_inner<F>(
        &self,
        future: F,
        name: Option<std::borrow::Cow<'static, str>>,
    ) -> JoinHandle<F::Output>
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.core.spawn(future, name)
    }

    /// Schedules `f` to run in the next iteration, after everything already scheduled (FIFO),
    /// including what other threads sent with `call_soon_threadsafe` before this call.
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_soon(&self, f: impl FnOnce() + 'static) -> Handle {
        self.core.take_remote_first();
        Handle {
            slot: self.core.push_callback(f),
        }
    }

    /// [`call_soon`](Self::call_soon) for a callback that is its own pointer: nothing is
    /// allocated, and nothing cancels it but the callback itself (when it runs, it may find
    /// it has nothing to do). Closing the loop drops it unrun.
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_soon_raw<C: RawCallback>(&self, callback: C) {
        self.core.take_remote_first();
        self.core.push_raw(Raw::new(callback));
    }

    /// [`call_later`](Self::call_later) for a callback that is its own pointer (see
    /// [`call_at_raw`](Self::call_at_raw)).
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_later_raw<C: RawCallback>(&self, delay: Duration, callback: C) -> RawTimer {
        let when = crate::time::add_clamped(self.time(), delay);
        self.call_at_raw(when, callback)
    }

    /// [`call_at`](Self::call_at) for a callback that is its own pointer: nothing is allocated
    /// but the timer's entry in the wheel. [`RawTimer::cancel`] takes it out and drops it.
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_at_raw<C: RawCallback>(&self, when: Instant, callback: C) -> RawTimer {
        assert!(!self.core.is_closed(), "the event loop is closed");
        let key = self.core.insert_timer(
            self.core.deadline_ns(when),
            Payload::Raw(Raw::new(callback)),
        );
        RawTimer {
            when,
            key,
            core: Rc::downgrade(&self.core),
        }
    }

    /// Schedules `f` to run `delay` from now. Callbacks due at the same time run in the order
    /// they were scheduled.
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_later(&self, delay: Duration, f: impl FnOnce() + 'static) -> TimerHandle {
        let when = crate::time::add_clamped(self.time(), delay);
        self.call_at(when, f)
    }

    /// Schedules `f` to run at `when` (on this loop's clock: see [`time`](Self::time)).
    ///
    /// # Panics
    /// If the loop is closed.
    pub fn call_at(&self, when: Instant, f: impl FnOnce() + 'static) -> TimerHandle {
        assert!(!self.core.is_closed(), "the event loop is closed");
        let slot = crate::runtime::callback::new_slot(f);
        let key = self
            .core
            .insert_timer(self.core.deadline_ns(when), Payload::Callback(slot.clone()));
        TimerHandle {
            slot,
            when,
            key,
            core: Rc::downgrade(&self.core),
        }
    }

    /// The loop's current time: a monotonic [`Instant`], virtual under virtual time.
    pub fn time(&self) -> Instant {
        self.core.time()
    }

    /// Whether the loop runs on virtual time.
    pub fn is_virtual_time(&self) -> bool {
        self.core.is_virtual_time()
    }

    /// Moves virtual time forward by `by`; timers due by then fire in the next iteration.
    /// Virtual time stops ~290 years after the loop's creation: a larger jump saturates there.
    ///
    /// # Panics
    /// If the loop does not run on virtual time.
    pub fn advance(&self, by: Duration) {
        assert!(
            self.is_virtual_time(),
            "advance() needs a loop with virtual time"
        );
        self.core.advance(by);
    }

    /// Stops the loop after the current batch of callbacks: `run_forever` returns then.
    pub fn stop(&self) {
        self.core.stop();
    }

    /// Whether the loop is running.
    pub fn is_running(&self) -> bool {
        self.core.is_running()
    }

    /// Whether the loop was closed.
    pub fn is_closed(&self) -> bool {
        self.core.is_closed()
    }

    /// Runs until [`stop`](Self::stop) is called. If `stop` was called before, runs one
    /// iteration.
    ///
    /// # Panics
    /// If the loop is closed or already running, or another loop runs on this thread.
    pub fn run_forever(&self) {
        self.core.run_forever();
    }

    /// Runs until `future` completes and returns its output. The future is polled in place (it
    /// may borrow local variables) and keeps its FIFO turn among the loop's tasks.
    ///
    /// # Panics
    /// If the loop is closed or already running, if another loop runs on this thread, if
    /// [`stop`](Self::stop) is called before the future completes (asyncio: "Event loop stopped
    /// before Future completed."), or if the future panics (the panic propagates, as an
    /// exception does in asyncio).
    pub fn run_until_complete<F: Future>(&self, future: F) -> F::Output {
        self.core.run_until_complete(future)
    }

    /// Closes the loop: every task that has not ended is cancelled by dropping its future,
    /// pending callbacks and timers are discarded. Idempotent.
    ///
    /// # Panics
    /// If the loop is running.
    pub fn close(&self) {
        assert!(!self.is_running(), "cannot close a running event loop");
        self.core.close();
    }

    /// A `Send + Sync` handle for other threads.
    pub fn remote(&self) -> RemoteHandle {
        RemoteHandle::new(self.core.shared().clone())
    }

    /// Sets the exception handler (asyncio's `set_exception_handler`). It receives panics from
    /// callbacks, task panics nobody retrieved and, in debug mode, slow-callback reports. A
    /// handler that panics falls back to the default one.
    pub fn set_exception_handler(&self, handler: impl Fn(&EventLoop, &ExceptionContext) + 'static) {
        self.core.set_exception_handler(Some(Rc::new(
            move |core: &Rc<Core>, ctx: &ExceptionContext| {
                handler(&EventLoop { core: core.clone() }, ctx)
            },
        )));
    }

    /// Restores the default exception handler.
    pub fn reset_exception_handler(&self) {
        self.core.set_exception_handler(None);
    }

    /// Passes `context` to the exception handler.
    pub fn call_exception_handler(&self, context: &ExceptionContext) {
        self.core.call_exception_handler(context);
    }

    /// Turns debug mode on or off: in debug mode, callbacks and task steps slower than
    /// [`slow_callback_duration`](Self::set_slow_callback_duration) are reported.
    pub fn set_debug(&self, enabled: bool) {
        self.core.set_debug(enabled);
    }

    /// Whether debug mode is on.
    pub fn get_debug(&self) -> bool {
        self.core.debug()
    }

    /// Sets the debug-mode threshold (default 100 ms).
    pub fn set_slow_callback_duration(&self, threshold: Duration) {
        self.core.set_slow_callback_duration(threshold);
    }

    /// Every task that has not ended yet.
    pub fn all_tasks(&self) -> Vec<Task> {
        self.core.all_tasks()
    }

    /// The loop's figures now: tasks, polls, busy and idle time, queue depths, timers, I/O
    /// sources, the blocking pool and how late timers fire. From another thread, read them
    /// through [`RemoteHandle::metrics`](super::RemoteHandle::metrics).
    pub fn metrics(&self) -> super::LoopMetrics {
        self.core.metrics().into()
    }

    /// A table of the live tasks: id, name, state and where each was spawned (what asyncio 3.14's
    /// `python -m asyncio ps` shows).
    pub fn dump_tasks(&self) -> String {
        super::dump::dump(&self.all_tasks())
    }

    /// Calls `callback` on this loop each time `signal` arrives, until
    /// [`remove_signal_handler`](Self::remove_signal_handler) (asyncio's
    /// `loop.add_signal_handler`). A previous handler for the signal on this loop is replaced.
    ///
    /// # Errors
    /// As [`signal::signal`](crate::signal::signal).
    pub fn add_signal_handler(
        &self,
        signal: crate::signal::SignalKind,
        callback: impl FnMut() + 'static,
    ) -> std::io::Result<()> {
        let s = crate::signal::signal_on(crate::signal::LoopSignals::of(&self.core)?, signal)?;
        self.remove_signal_handler(signal);
        let task = self.spawn_inner(
            crate::signal::handler_task(s, callback),
            Some(std::borrow::Cow::Borrowed("add_signal_handler")),
        );
        self.core
            .extension::<SignalHandlers>()
            .0
            .borrow_mut()
            .insert(signal.as_raw(), task);
        Ok(())
    }

    /// Removes the handler of `signal`; returns whether there was one.
    pub fn remove_signal_handler(&self, signal: crate::signal::SignalKind) -> bool {
        let handlers = self.core.try_extension::<SignalHandlers>();
        let task = handlers.and_then(|h| h.0.borrow_mut().remove(&signal.as_raw()));
        match task {
            Some(t) => {
                t.task().cancel();
                true
            }
            None => false,
        }
    }

    /// Makes `pool` this loop's executor for [`to_thread`](crate::blocking::to_thread)
    /// (asyncio's `loop.set_default_executor`); `None` goes back to the process's default pool.
    pub fn set_default_executor(&self, pool: Option<crate::blocking::ThreadPool>) {
        self.core.set_default_executor(pool);
    }

    /// Shuts this loop's default executor down (the process's pool if none was set), waiting
    /// up to `timeout` for running calls (asyncio's `loop.shutdown_default_executor`). Returns
    /// whether every thread finished in time.
    pub fn shutdown_default_executor(&self, timeout: Duration) -> bool {
        match self.core.default_executor() {
            Some(p) => p.shutdown(timeout),
            None => crate::blocking::shutdown_default_pool(timeout),
        }
    }

    /// Wraps every wait of this loop that may block (for I/O, timers or another thread's
    /// call): `hook` is given the wait and must call it, once. For embeddings that hold a lock
    /// while the loop runs and must let go of it while the loop sleeps — the Python binding
    /// releases the GIL around the wait this way. Waits that cannot block (the loop has work
    /// ready) are not wrapped. `None` removes the hook.
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    /// use std::time::Duration;
    ///
    /// let lp = asyncio::EventLoop::new();
    /// let waits = Rc::new(Cell::new(0));
    /// let seen = waits.clone();
    /// lp.set_wait_hook(Some(Rc::new(move |wait: &mut dyn FnMut()| {
    ///     seen.set(seen.get() + 1);
    ///     wait();
    /// })));
    /// lp.run_until_complete(asyncio::time::sleep(Duration::from_millis(5)));
    /// assert!(waits.get() >= 1);
    /// ```
    pub fn set_wait_hook(&self, hook: Option<WaitHook>) {
        self.core.set_wait_hook(hook);
    }

    /// How many sockets and descriptors are registered with this loop's reactor (for
    /// diagnostics and leak checks).
    pub fn io_source_count(&self) -> usize {
        self.core.io_source_count()
    }

    /// Whether two handles name the same loop.
    pub fn same_loop(&self, other: &EventLoop) -> bool {
        Rc::ptr_eq(&self.core, &other.core)
    }
}

/// The tasks behind `add_signal_handler`, one per signal (a loop extension).
#[derive(Default)]
struct SignalHandlers(std::cell::RefCell<std::collections::HashMap<i32, JoinHandle<()>>>);

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop")
            .field("id", &self.core.id())
            .field("running", &self.is_running())
            .field("closed", &self.is_closed())
            .field("tasks", &self.core.task_count())
            .finish()
    }
}
