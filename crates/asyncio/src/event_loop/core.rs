//! The loop's engine: the ready queue, the task registry, the timer wheel and one iteration of
//! the loop (asyncio's `_run_once`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::callback::{new_slot, new_slot_boxed, CallbackRef};
use super::exception::{ExceptionContext, ExceptionHandler, ExceptionKind};
use super::main_future::MainSlot;
use super::poller::Poller;
use super::reactor::Reactor;
use super::shared::{RemoteQueue, Shared};
use super::EventLoop;
use crate::task::raw::{
    self, Notified, RunResult, SharedPool, SharedRc, TaskList, TaskRef, DETACHED, ENDED_PANICKED,
};
use crate::task::{JoinHandle, Task};
use crate::time::clock::Clock;
use crate::time::wheel::{Payload, TimerKey, Wheel};

/// How many busy iterations may pass before the loop checks I/O without blocking. Checking on
/// every iteration would cost a syscall per `yield_now` (tokio's known cost); never checking
/// would starve I/O behind tasks that are always ready.
const IO_CHECK_INTERVAL: u64 = 61;

/// When several timers wait in the current millisecond, the loop sleeps this much past the
/// first deadline so one wake-up fires them together (a timer alone gets an exact wake-up).
/// Timers can be this much later; they are never early.
const TIMER_COALESCE_NS: u64 = 100_000;

/// An item of the ready queue, run in FIFO order.
pub(crate) enum Ready {
    Task(Notified),
    Callback(CallbackRef),
    /// The main future of `run_until_complete`, tagged with its run's generation.
    Main(u64),
}

/// Settings fixed when the loop is built.
pub(crate) struct Config {
    pub(crate) virtual_time: bool,
    pub(crate) debug: bool,
    pub(crate) slow_callback_duration: Duration,
}

pub(crate) struct Core {
    shared: SharedPool,
    ready: RefCell<VecDeque<Ready>>,
    tasks: TaskList,
    timers: RefCell<Wheel>,
    fired: RefCell<Vec<Payload>>,
    remote: RefCell<RemoteQueue>,
    pub(crate) clock: Clock,
    poller: RefCell<Poller>,
    pub(crate) reactor: Reactor,
    pub(crate) fd_watchers: super::fd_callbacks::FdWatchers,
    default_executor: RefCell<Option<crate::blocking::ThreadPool>>,
    pub(crate) signals: RefCell<Option<Rc<crate::signal::LoopSignals>>>,
    pub(crate) signal_handlers: RefCell<std::collections::HashMap<i32, JoinHandle<()>>>,
    pub(crate) stopping: Cell<bool>,
    pub(crate) running: Cell<bool>,
    closed: Cell<bool>,
    next_task_id: Cell<u64>,
    pub(crate) main_generation: Cell<u64>,
    /// A local `Ready::Main` entry is queued for the current main future.
    pub(crate) main_notified: Cell<bool>,
    exception_handler: RefCell<Option<ExceptionHandler>>,
    pub(crate) debug: Cell<bool>,
    pub(crate) slow_callback_duration: Cell<Duration>,
    iteration: Cell<u64>,
}

impl Core {
    pub(crate) fn new(config: Config) -> std::io::Result<Rc<Self>> {
        static NEXT_LOOP_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_LOOP_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (poller, waker) = Poller::new()?;
        let reactor = Reactor::new(poller.registry()?);
        let clock = Clock::new(config.virtual_time);
        Ok(Rc::new(Self {
            shared: SharedPool::new(SharedRc::new(Shared::new(waker, id))),
            ready: RefCell::new(VecDeque::with_capacity(256)),
            tasks: TaskList::new(),
            timers: RefCell::new(Wheel::new(clock.start_ns())),
            fired: RefCell::new(Vec::new()),
            remote: RefCell::new(RemoteQueue::default()),
            clock,
            poller: RefCell::new(poller),
            reactor,
            fd_watchers: Default::default(),
            default_executor: RefCell::new(None),
            signals: RefCell::new(None),
            signal_handlers: RefCell::new(std::collections::HashMap::new()),
            stopping: Cell::new(false),
            running: Cell::new(false),
            closed: Cell::new(false),
            next_task_id: Cell::new(1),
            main_generation: Cell::new(0),
            main_notified: Cell::new(false),
            exception_handler: RefCell::new(None),
            debug: Cell::new(config.debug),
            slow_callback_duration: Cell::new(config.slow_callback_duration),
            iteration: Cell::new(0),
        }))
    }

    pub(crate) fn default_executor(&self) -> Option<crate::blocking::ThreadPool> {
        self.default_executor.borrow().clone()
    }

    pub(crate) fn set_default_executor(&self, pool: Option<crate::blocking::ThreadPool>) {
        *self.default_executor.borrow_mut() = pool;
    }

    pub(crate) fn shared(&self) -> &SharedRc {
        self.shared.get()
    }

    /// Takes back a freed task's `Shared` count into the pool if it is this loop's.
    pub(crate) fn give_back_shared(&self, shared: SharedRc) {
        self.shared.give_back(shared);
    }

    pub(crate) fn id(&self) -> u64 {
        self.shared().id
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.get()
    }

    pub(crate) fn push_ready(&self, item: Ready) {
        self.ready.borrow_mut().push_back(item);
    }

    pub(crate) fn push_callback(&self, f: impl FnOnce() + 'static) -> CallbackRef {
        self.assert_open();
        let slot = new_slot(f);
        self.push_ready(Ready::Callback(slot.clone()));
        slot
    }

    #[track_caller]
    fn assert_open(&self) {
        assert!(!self.closed.get(), "the event loop is closed");
    }

    // ----- tasks -------------------------------------------------------------------------

    #[track_caller]
    pub(crate) fn spawn<F>(&self, future: F, name: Option<Box<str>>) -> JoinHandle<F::Output>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        self.assert_open();
        let id = self.next_task_id.get();
        self.next_task_id.set(id + 1);
        let location = std::panic::Location::caller();
        let (registry, output, notified) =
            raw::allocate(future, self.shared.for_task(), id, location, name);
        self.tasks.push(registry);
        self.push_ready(Ready::Task(notified));
        JoinHandle::new(output)
    }

    pub(crate) fn all_tasks(&self) -> Vec<Task> {
        self.tasks
            .snapshot()
            .into_iter()
            .map(|raw| Task { raw })
            .collect()
    }

    pub(crate) fn task_count(&self) -> usize {
        self.tasks.len()
    }

    fn task_ended(self: &Rc<Self>, raw: TaskRef) {
        let done = raw.local().take_done();
        let task = Task { raw };
        // asyncio's awaiter wake-up is itself a done callback: everything runs in the order it
        // was registered.
        let mut join_waker = done.join_waker;
        for (i, callback) in done.callbacks.into_iter().enumerate() {
            if i == done.join_position {
                if let Some(w) = join_waker.take() {
                    w.wake();
                }
            }
            let t = task.clone();
            self.push_ready(Ready::Callback(new_slot(move || callback(&t))));
        }
        if let Some(w) = join_waker {
            w.wake();
        }
        if local_has(&task, DETACHED) && local_has(&task, ENDED_PANICKED) {
            self.report_unretrieved(&task);
        }
    }

    pub(crate) fn report_unretrieved(self: &Rc<Self>, task: &Task) {
        let ctx = ExceptionContext {
            message: "Task exception was never retrieved".to_owned(),
            kind: ExceptionKind::UnretrievedTaskPanic,
            task: Some(task.clone()),
            panic_message: task.panic_message(),
            duration: None,
        };
        self.call_exception_handler(&ctx);
    }

    // ----- timers ------------------------------------------------------------------------

    pub(crate) fn insert_timer(&self, deadline_ns: u64, payload: Payload) -> TimerKey {
        self.timers.borrow_mut().insert(deadline_ns, payload)
    }

    pub(crate) fn remove_timer(&self, key: TimerKey) -> Option<Payload> {
        self.timers.borrow_mut().remove(key)
    }

    pub(crate) fn timer_pending(&self, key: TimerKey) -> bool {
        self.timers.borrow().contains(key)
    }

    pub(crate) fn update_timer_waker(&self, key: TimerKey, waker: &std::task::Waker) {
        self.timers.borrow_mut().update_waker(key, waker);
    }

    fn fire_timers(&self) {
        let mut fired = {
            let mut timers = self.timers.borrow_mut();
            if timers.len() == 0 {
                return;
            }
            let now = self.clock.recent_ns();
            if !timers.may_fire(now) {
                return;
            }
            let mut fired = std::mem::take(&mut *self.fired.borrow_mut());
            timers.expire(now, &mut fired);
            fired
        };
        for payload in fired.drain(..) {
            match payload {
                Payload::Waker(w) => w.wake(),
                Payload::Callback(cb) => self.push_ready(Ready::Callback(cb)),
            }
        }
        *self.fired.borrow_mut() = fired;
    }

    // ----- exceptions ----------------------------------------------------------------------

    pub(crate) fn set_exception_handler(&self, handler: Option<ExceptionHandler>) {
        *self.exception_handler.borrow_mut() = handler;
    }

    pub(crate) fn call_exception_handler(self: &Rc<Self>, ctx: &ExceptionContext) {
        let handler = self.exception_handler.borrow().clone();
        match handler {
            Some(handler) => {
                let lp = EventLoop { core: self.clone() };
                if catch_unwind(AssertUnwindSafe(|| handler(&lp, ctx))).is_err() {
                    super::exception::default_exception_handler(ctx);
                }
            }
            None => super::exception::default_exception_handler(ctx),
        }
    }

    // ----- one iteration -------------------------------------------------------------------

    /// One iteration: wait for I/O (or not, if work is ready), take what other threads sent,
    /// move due timers to the ready queue, then run the callbacks and tasks that were ready when
    /// the iteration began. Anything they schedule runs in the next iteration.
    pub(crate) fn run_once(self: &Rc<Self>, main: &mut Option<MainSlot<'_>>) {
        let iteration = self.iteration.get().wrapping_add(1);
        self.iteration.set(iteration);
        let busy = !self.ready.borrow().is_empty() || self.stopping.get();
        if busy {
            if iteration % IO_CHECK_INTERVAL == 0 {
                self.poll_io(Some(Duration::ZERO));
            }
        } else {
            self.wait_for_work();
        }
        if self.shared().has_pending() {
            self.drain_remote();
        }
        self.fire_timers();
        let n = self.ready.borrow().len();
        for _ in 0..n {
            let Some(item) = self.ready.borrow_mut().pop_front() else {
                break;
            };
            if self.debug.get() {
                self.run_timed(item, main);
            } else {
                self.run_item(item, main);
            }
        }
    }

    fn wait_for_work(&self) {
        let (next, crowded) = {
            let mut timers = self.timers.borrow_mut();
            (timers.next_deadline(), timers.pending_soon() > 1)
        };
        let Some(deadline) = next else {
            self.poll_io(None);
            return;
        };
        if self.clock.is_virtual() {
            // Virtual time jumps to the next timer once nothing else can happen: no I/O ready,
            // nothing sent from another thread.
            self.poll_io(Some(Duration::ZERO));
            if self.ready.borrow().is_empty() && !self.shared().has_pending() {
                self.clock.advance_to(deadline);
            }
            return;
        }
        let now = self.clock.now_ns();
        let wake = if crowded {
            deadline.saturating_add(TIMER_COALESCE_NS)
        } else {
            deadline
        };
        self.poll_io(Some(Duration::from_nanos(wake.saturating_sub(now))));
    }

    fn poll_io(&self, timeout: Option<Duration>) {
        let reactor = &self.reactor;
        self.poller
            .borrow_mut()
            .poll(timeout, |event| reactor.dispatch(event));
        if timeout != Some(Duration::ZERO) {
            self.clock.mark_stale();
        }
    }

    fn drain_remote(&self) {
        let mut remote = std::mem::take(&mut *self.remote.borrow_mut());
        self.shared().take_remote(&mut remote);
        for task in remote.tasks.drain(..) {
            self.push_ready(Ready::Task(task));
        }
        for callback in remote.callbacks.drain(..) {
            self.push_ready(Ready::Callback(new_slot_boxed(callback)));
        }
        for generation in remote.mains.drain(..) {
            self.push_ready(Ready::Main(generation));
        }
        if std::mem::take(&mut remote.stop) {
            self.stopping.set(true);
        }
        *self.remote.borrow_mut() = remote;
    }

    fn run_item(self: &Rc<Self>, item: Ready, main: &mut Option<MainSlot<'_>>) {
        match item {
            Ready::Task(task) => {
                if let RunResult::Ended(raw) = task.run(&self.tasks) {
                    self.task_ended(raw);
                }
            }
            Ready::Callback(callback) => {
                if callback.cancelled() {
                    return;
                }
                if let Err(payload) = catch_unwind(AssertUnwindSafe(|| callback.run())) {
                    let ctx = ExceptionContext {
                        message: "Exception in callback".to_owned(),
                        kind: ExceptionKind::CallbackPanic,
                        task: None,
                        panic_message: Some(raw::panic_message(&*payload)),
                        duration: None,
                    };
                    self.call_exception_handler(&ctx);
                }
            }
            Ready::Main(generation) => {
                if let Some(main) = main {
                    if generation == self.main_generation.get() {
                        self.main_notified.set(false);
                        main.poll();
                    }
                }
            }
        }
    }

    /// Debug mode: runs the item and reports it if it took longer than the threshold.
    fn run_timed(self: &Rc<Self>, item: Ready, main: &mut Option<MainSlot<'_>>) {
        let what = match &item {
            Ready::Task(_) => None,
            Ready::Callback(_) => Some("callback"),
            Ready::Main(_) => Some("main future"),
        };
        let started = Instant::now();
        let current = RefCell::new(None);
        self.run_item_recording(item, main, &current);
        let took = started.elapsed();
        if took >= self.slow_callback_duration.get() {
            let task = current.into_inner();
            let message = match (&task, what) {
                (Some(t), _) => format!(
                    "Executing task {:?} took {:.3} seconds",
                    t.name(),
                    secs(took)
                ),
                (None, Some(w)) => format!("Executing {w} took {:.3} seconds", secs(took)),
                (None, None) => format!("Executing a task took {:.3} seconds", secs(took)),
            };
            let ctx = ExceptionContext {
                message,
                kind: ExceptionKind::SlowCallback,
                task,
                panic_message: None,
                duration: Some(took),
            };
            self.call_exception_handler(&ctx);
        }
    }

    fn run_item_recording(
        self: &Rc<Self>,
        item: Ready,
        main: &mut Option<MainSlot<'_>>,
        current: &RefCell<Option<Task>>,
    ) {
        if let Ready::Task(task) = item {
            let (result, raw) = task.run_observed(&self.tasks);
            *current.borrow_mut() = raw.map(|raw| Task { raw });
            if let RunResult::Ended(ended) = result {
                self.task_ended(ended);
            }
        } else {
            self.run_item(item, main);
        }
    }

    // ----- shutdown ----------------------------------------------------------------------

    /// Cancels every task that has not ended by dropping its future, and discards everything
    /// queued. Idempotent.
    pub(crate) fn close(&self) {
        if self.closed.replace(true) {
            return;
        }
        let tasks: Vec<TaskRef> = self.tasks.drain();
        for task in &tasks {
            task.cancel_now();
            drop(task.local().take_done_callbacks());
        }
        drop(tasks);
        loop {
            let item = self.ready.borrow_mut().pop_front();
            match item {
                Some(Ready::Task(task)) => task.discard(),
                Some(other) => drop(other),
                None => break,
            }
        }
        let remote = self.shared().close();
        for task in remote.tasks {
            task.discard();
        }
        drop(remote.callbacks);
        let timers = self.timers.borrow_mut().clear();
        drop(timers);
    }

    /// Requests cancellation of every task (asyncio.run's shutdown step).
    pub(crate) fn cancel_all(&self) -> usize {
        let tasks = self.all_tasks();
        tasks.iter().filter(|t| t.cancel()).count()
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn local_has(task: &Task, flag: u8) -> bool {
    task.raw.local().has(flag)
}

impl Drop for Core {
    fn drop(&mut self) {
        self.close();
    }
}
