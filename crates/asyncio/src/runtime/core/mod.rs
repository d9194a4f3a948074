//! The loop's engine: the ready queue, the task registry, the timer wheel and one iteration of
//! the loop (asyncio's `_run_once`). The runs that repeat it are in `running.rs`, debug mode's
//! timed steps in `timed.rs`, the metrics' reading and publishing in `figures.rs`.

mod figures;
mod guest;
pub(crate) use guest::GuestGuard;
mod running;
mod timed;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use std::any::{Any, TypeId};

use super::callback::{new_slot, new_slot_boxed, CallbackRef};
use super::context;
use super::exception::{ExceptionContext, ExceptionHandler, ExceptionKind};
use super::io::reactor::{Direction, IoState, Reactor};
use super::main_future::MainSlot;
use super::metrics::Counters;
use super::poller::Poller;
use super::pool::ThreadPool;
use super::raw_callback::Raw;
use super::shared::{RemoteQueue, Shared};
use super::task::raw::{
    self, Hooks, Notified, RunResult, SharedPool, SharedRc, Slot, SlotKind, TaskList, TaskRef,
    DETACHED, ENDED_PANICKED,
};
use super::task::{JoinHandle, Task};
use super::time::clock::Clock;
use super::time::wheel::{Payload, TimerKey, Wheel};
use figures::BUSY_PUBLISH_EVERY;

/// When several timers wait in the current millisecond, the loop sleeps this much past the
/// first deadline so one wake-up fires them together (a timer alone gets an exact wake-up).
/// Timers can be this much later; they are never early.
const TIMER_COALESCE_NS: u64 = 100_000;

/// What the task cells of every loop call to reach their loop (see [`Hooks`]).
static TASK_HOOKS: Hooks = Hooks {
    push_local: context::push_local,
    give_back: context::give_back_shared,
};

/// An item of the ready queue, run in FIFO order.
pub(crate) enum Ready {
    Task(Notified),
    Callback(CallbackRef),
    /// A callback that is its own pointer (see [`RawCallback`](super::raw_callback::RawCallback)).
    Raw(Raw),
    /// The main future of `run_until_complete`, tagged with its run's generation.
    Main(u64),
    /// A source's ready callback's turn (see `runtime/io/reactor.rs`).
    Io(Rc<IoState>, Direction),
}

/// The ready queue: FIFO over every kind of item. Each turn is one word in `slots`: a task's
/// entry, or the main future's turn, stay there whole; a raw callback waits in `raws` (two
/// words: Python's `call_soon` queues a million of them) and any other item in `others`, each
/// in the same order, and its slot marks its turn (a second word on every entry cost `spawn` a
/// tenth of its speed: a million queued tasks are a million entries, and their pages are
/// fresh memory).
struct ReadyQueue {
    slots: VecDeque<Slot>,
    raws: VecDeque<Raw>,
    others: VecDeque<Ready>,
}

impl ReadyQueue {
    fn with_capacity(n: usize) -> Self {
        Self {
            slots: VecDeque::with_capacity(n),
            raws: VecDeque::new(),
            others: VecDeque::new(),
        }
    }

    /// The hot path: a task woken or spawned (no conversion of a `Ready`).
    fn push_task(&mut self, task: Notified) {
        self.slots.push_back(Slot::task(task));
    }

    fn push_back(&mut self, item: Ready) {
        match item {
            Ready::Task(t) => self.push_task(t),
            Ready::Main(generation) => self.slots.push_back(Slot::main(generation)),
            Ready::Raw(raw) => {
                self.raws.push_back(raw);
                self.slots.push_back(Slot::raw());
            }
            other => {
                self.others.push_back(other);
                self.slots.push_back(Slot::other());
            }
        }
    }

    fn pop_front(&mut self) -> Option<Ready> {
        let kind = self.slots.pop_front()?.kind();
        Some(self.item_of(kind))
    }

    /// The item whose turn `kind` (a slot just popped) is.
    fn item_of(&mut self, kind: SlotKind) -> Ready {
        match kind {
            SlotKind::Task(t) => Ready::Task(t),
            SlotKind::Main(generation) => Ready::Main(generation),
            SlotKind::Raw => Ready::Raw(self.take_raw()),
            SlotKind::Other => self.others.pop_front().expect("one item per marker"),
        }
    }

    /// The raw callback whose marker was just popped.
    fn take_raw(&mut self) -> Raw {
        self.raws.pop_front().expect("one raw per marker")
    }

    fn len(&self) -> usize {
        self.slots.len()
    }

    fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }
}

/// Settings fixed when the loop is built.
pub(crate) struct Config {
    pub(crate) virtual_time: bool,
    pub(crate) debug: bool,
    pub(crate) slow_callback_duration: Duration,
    /// How many busy iterations may pass before the loop checks I/O without blocking. Checking
    /// on every iteration costs a syscall per `yield_now` (tokio's known cost); never checking
    /// would starve I/O behind tasks that are always ready.
    pub(crate) io_check_interval: u64,
}

pub(crate) struct Core {
    shared: SharedPool,
    ready: RefCell<ReadyQueue>,
    tasks: TaskList,
    timers: RefCell<Wheel>,
    fired: RefCell<Vec<Payload>>,
    remote: RefCell<RemoteQueue>,
    clock: Clock,
    poller: RefCell<Poller>,
    pub(super) reactor: Reactor,
    default_executor: RefCell<Option<ThreadPool>>,
    /// Per-loop state of the public modules (signal handlers, fd callbacks...), one value per
    /// type, so the core needs to know none of their types.
    extensions: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    stopping: Cell<bool>,
    running: Cell<bool>,
    closed: Cell<bool>,
    next_task_id: Cell<u64>,
    pub(super) main_generation: Cell<u64>,
    /// A local `Ready::Main` entry is queued for the current main future.
    pub(super) main_notified: Cell<bool>,
    exception_handler: RefCell<Option<ExceptionHandler>>,
    debug: Cell<bool>,
    slow_callback_duration: Cell<Duration>,
    io_check_interval: u64,
    /// Busy iterations left before the next I/O check (a countdown: no division per iteration).
    io_countdown: Cell<u64>,
    /// I/O checks made while busy (metrics are published on every `BUSY_PUBLISH_EVERY`th).
    busy_checks: Cell<u64>,
    iteration: Cell<u64>,
    /// Wraps each wait that may block (see `EventLoop::set_wait_hook`).
    wait_hook: RefCell<Option<WaitHook>>,
    /// The loop's counters (see `metrics.rs`).
    counters: Counters,
    /// A guest run is on and the host runs, between two steps: work scheduled now must wake
    /// the host (see `guest.rs`).
    between_steps: Cell<bool>,
}

/// A function around each blocking wait: it must call the wait it is given, once.
pub(crate) type WaitHook = Rc<dyn Fn(&mut dyn FnMut())>;

impl Core {
    pub(crate) fn new(config: Config) -> std::io::Result<Rc<Self>> {
        static NEXT_LOOP_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT_LOOP_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (poller, waker) = Poller::new()?;
        let reactor = Reactor::new(poller.registry()?);
        let clock = Clock::new(config.virtual_time);
        Ok(Rc::new(Self {
            shared: SharedPool::new(SharedRc::new(Shared::new(waker, id, &TASK_HOOKS))),
            ready: RefCell::new(ReadyQueue::with_capacity(256)),
            tasks: TaskList::new(),
            timers: RefCell::new(Wheel::new(clock.start_ns())),
            fired: RefCell::new(Vec::new()),
            remote: RefCell::new(RemoteQueue::default()),
            clock,
            poller: RefCell::new(poller),
            reactor,
            default_executor: RefCell::new(None),
            extensions: RefCell::new(Vec::new()),
            stopping: Cell::new(false),
            running: Cell::new(false),
            closed: Cell::new(false),
            next_task_id: Cell::new(1),
            main_generation: Cell::new(0),
            main_notified: Cell::new(false),
            exception_handler: RefCell::new(None),
            debug: Cell::new(config.debug),
            slow_callback_duration: Cell::new(config.slow_callback_duration),
            io_check_interval: config.io_check_interval.max(1),
            io_countdown: Cell::new(config.io_check_interval.max(1)),
            busy_checks: Cell::new(0),
            iteration: Cell::new(0),
            wait_hook: RefCell::new(None),
            counters: Counters::default(),
            between_steps: Cell::new(false),
        }))
    }

    pub(crate) fn default_executor(&self) -> Option<ThreadPool> {
        self.default_executor.borrow().clone()
    }

    pub(crate) fn set_default_executor(&self, pool: Option<ThreadPool>) {
        *self.default_executor.borrow_mut() = pool;
    }

    /// This loop's value of type `T`, made with `T::default()` on first use. For the per-loop
    /// state of the public modules; dropped when the loop closes.
    pub(crate) fn extension<T: Default + 'static>(&self) -> Rc<T> {
        let id = TypeId::of::<T>();
        let mut extensions = self.extensions.borrow_mut();
        if let Some((_, value)) = extensions.iter().find(|(t, _)| *t == id) {
            return value.clone().downcast().expect("keyed by its type");
        }
        let value = Rc::new(T::default());
        extensions.push((id, value.clone()));
        value
    }

    /// This loop's value of type `T` if one was made.
    pub(crate) fn try_extension<T: 'static>(&self) -> Option<Rc<T>> {
        let id = TypeId::of::<T>();
        let extensions = self.extensions.borrow();
        let (_, value) = extensions.iter().find(|(t, _)| *t == id)?;
        Some(value.clone().downcast().expect("keyed by its type"))
    }

    // ----- state and settings ------------------------------------------------------------

    pub(crate) fn is_running(&self) -> bool {
        self.running.get()
    }

    /// Stops the loop after the current batch (`run_forever` returns then).
    pub(crate) fn stop(&self) {
        self.stopping.set(true);
        self.wake_host();
    }

    pub(crate) fn debug(&self) -> bool {
        self.debug.get()
    }

    pub(crate) fn set_debug(&self, enabled: bool) {
        self.debug.set(enabled);
    }

    pub(crate) fn set_slow_callback_duration(&self, threshold: Duration) {
        self.slow_callback_duration.set(threshold);
    }

    /// How many sources are registered with the reactor.
    pub(crate) fn io_source_count(&self) -> usize {
        self.reactor.len()
    }

    // ----- the clock ---------------------------------------------------------------------

    /// The loop's time, virtual under virtual time.
    pub(crate) fn time(&self) -> Instant {
        self.clock.now()
    }

    pub(crate) fn is_virtual_time(&self) -> bool {
        self.clock.is_virtual()
    }

    /// Moves virtual time forward by `by` (no effect on a real clock).
    pub(crate) fn advance(&self, by: Duration) {
        self.clock.advance_by(by);
    }

    /// `when` on the loop's clock, in the wheel's unit.
    pub(crate) fn deadline_ns(&self, when: Instant) -> u64 {
        self.clock.ns_of(when)
    }

    /// Whether a deadline has certainly passed, judged from the latest clock reading (no clock
    /// read: it may say "not yet" for a deadline that just passed, never the reverse).
    pub(crate) fn deadline_passed(&self, deadline: Instant) -> bool {
        self.clock.passed(deadline)
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
        self.wake_host();
        self.ready.borrow_mut().push_back(item);
    }

    /// Queues a task (what `push_ready(Ready::Task(..))` does, on the hottest path).
    pub(crate) fn push_task(&self, task: Notified) {
        self.ready.borrow_mut().push_task(task);
    }

    pub(crate) fn push_callback(&self, f: impl FnOnce() + 'static) -> CallbackRef {
        self.assert_open();
        let slot = new_slot(f);
        self.push_ready(Ready::Callback(slot.clone()));
        slot
    }

    pub(crate) fn push_raw(&self, raw: Raw) {
        self.assert_open();
        self.push_ready(Ready::Raw(raw));
    }

    #[track_caller]
    fn assert_open(&self) {
        assert!(!self.closed.get(), "the event loop is closed");
    }

    // ----- tasks -------------------------------------------------------------------------

    #[track_caller]
    pub(crate) fn spawn<F>(
        &self,
        future: F,
        name: Option<std::borrow::Cow<'static, str>>,
    ) -> JoinHandle<F::Output>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        self.spawn_at(future, name, std::panic::Location::caller())
    }

    /// [`spawn`](Self::spawn) blaming `location` (a spawn made on another thread's behalf).
    #[track_caller]
    pub(crate) fn spawn_at<F>(
        &self,
        future: F,
        name: Option<std::borrow::Cow<'static, str>>,
        location: &'static std::panic::Location<'static>,
    ) -> JoinHandle<F::Output>
    where
        F: std::future::Future + 'static,
        F::Output: 'static,
    {
        self.assert_open();
        self.wake_host();
        let id = self.next_task_id.get();
        self.next_task_id.set(id + 1);
        let (registry, output, notified) =
            raw::allocate(future, self.shared.for_task(), id, location, name);
        self.tasks.push(registry);
        self.push_task(notified);
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
        // The usual end: nothing but the awaiting task to wake.
        if let Ok(awaiter) = raw.local().take_plain_end() {
            if let Some(awaiter) = awaiter {
                awaiter.wake();
            }
            return;
        }
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
        self.call_exception_handler(&ExceptionContext::unretrieved(task));
    }

    // ----- timers ------------------------------------------------------------------------

    pub(crate) fn insert_timer(&self, deadline_ns: u64, payload: Payload) -> TimerKey {
        self.wake_host();
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
            let Some(now) = self.clock.reached(timers.earliest()) else {
                return;
            };
            let late = now.saturating_sub(timers.earliest());
            self.counters
                .timers_fired_late_by(Duration::from_nanos(late));
            let mut fired = std::mem::take(&mut *self.fired.borrow_mut());
            timers.expire(now, &mut fired);
            fired
        };
        for payload in fired.drain(..) {
            match payload {
                Payload::Waker(w) => w.wake(),
                Payload::Callback(cb) => self.push_ready(Ready::Callback(cb)),
                Payload::Raw(cb) => self.push_ready(Ready::Raw(cb)),
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
                if catch_unwind(AssertUnwindSafe(|| handler(self, ctx))).is_err() {
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
            let left = self.io_countdown.get() - 1;
            if left == 0 {
                self.io_countdown.set(self.io_check_interval);
                let checks = self.busy_checks.get().wrapping_add(1);
                self.busy_checks.set(checks);
                if checks % BUSY_PUBLISH_EVERY == 0 {
                    self.publish_metrics();
                }
                self.poll_io(Some(Duration::ZERO));
            } else {
                self.io_countdown.set(left);
            }
        } else {
            self.wait_for_work();
        }
        self.run_batch(main, None);
    }

    /// The second half of an iteration: take what other threads sent, move due timers to the
    /// ready queue, then run what was ready when the batch began.
    /// Runs what is ready now (one iteration's batch). With `until`, stops early once that
    /// instant has passed (looked at every 16 items): the rest stays first in line.
    fn run_batch(self: &Rc<Self>, main: &mut Option<MainSlot<'_>>, until: Option<Instant>) {
        if self.shared().has_pending() {
            self.drain_remote();
        }
        self.fire_timers();
        let n = self.ready.borrow().len();
        match until {
            // A hosted run: no clock in the loop (the hot path stays as it was).
            None => {
                for _ in 0..n {
                    if !self.run_next(main) {
                        break;
                    }
                }
            }
            Some(until) => {
                for i in 0..n {
                    if i % 16 == 15 && Instant::now() >= until {
                        break;
                    }
                    if !self.run_next(main) {
                        break;
                    }
                }
            }
        }
    }

    /// Runs the ready queue's first item; false if it was empty.
    ///
    /// A task's entry and a raw callback go from the queue to their run without becoming a
    /// [`Ready`]: written to the stack field by field and read back whole, that enum cost a
    /// failed store-to-load forward per item (three quarters of `run_batch`'s samples with a
    /// million Python `call_soon` handles queued).
    #[inline(always)]
    fn run_next(self: &Rc<Self>, main: &mut Option<MainSlot<'_>>) -> bool {
        let Some(slot) = self.ready.borrow_mut().slots.pop_front() else {
            return false;
        };
        let kind = slot.kind();
        if self.debug.get() {
            let item = self.ready.borrow_mut().item_of(kind);
            self.run_timed(item, main);
            return true;
        }
        match kind {
            SlotKind::Task(task) => self.run_task(task),
            SlotKind::Raw => {
                let callback = self.ready.borrow_mut().take_raw();
                self.run_raw(callback);
            }
            other => {
                let item = self.ready.borrow_mut().item_of(other);
                self.run_item(item, main);
            }
        }
        true
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
        let mut poll = || {
            self.poller.borrow_mut().poll(timeout, |event| {
                reactor.dispatch(event, &mut |state, dir| {
                    self.push_ready(Ready::Io(state, dir));
                });
            });
        };
        if timeout == Some(Duration::ZERO) {
            poll();
            return;
        }
        // About to block: other threads see the figures as they are now.
        self.publish_metrics();
        let hook = self.wait_hook.borrow().clone();
        let waited = Instant::now();
        match hook {
            Some(hook) => hook(&mut poll),
            None => poll(),
        }
        let idle = &self.counters.idle;
        idle.set(idle.get() + waited.elapsed());
        self.clock.mark_stale();
    }

    pub(crate) fn set_wait_hook(&self, hook: Option<WaitHook>) {
        *self.wait_hook.borrow_mut() = hook;
    }

    /// Takes what other threads sent, if anything: a callback scheduled now runs after the
    /// ones sent before it (asyncio keeps one FIFO for both).
    pub(crate) fn take_remote_first(&self) {
        if self.shared().has_pending() {
            self.drain_remote();
        }
    }

    fn drain_remote(&self) {
        let mut remote = std::mem::take(&mut *self.remote.borrow_mut());
        self.shared().take_remote(&mut remote);
        for task in remote.tasks.drain(..) {
            self.push_task(task);
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
            Ready::Task(task) => self.run_task(task),
            Ready::Callback(callback) => {
                if !callback.cancelled() {
                    self.counters
                        .callbacks
                        .set(self.counters.callbacks.get() + 1);
                    self.run_callback(|| callback.run());
                }
            }
            Ready::Raw(callback) => self.run_raw(callback),
            Ready::Io(state, dir) => {
                if let Some(callback) = state.take_turn(dir) {
                    self.counters
                        .callbacks
                        .set(self.counters.callbacks.get() + 1);
                    self.run_callback(|| callback());
                    // Still ready (no `WouldBlock` cleared it): again next iteration.
                    if state.claim_turn(dir) {
                        self.push_ready(Ready::Io(state, dir));
                    }
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

    #[inline(always)]
    fn run_task(self: &Rc<Self>, task: Notified) {
        self.counters.polls.set(self.counters.polls.get() + 1);
        if let RunResult::Ended(raw) = task.run(&self.tasks) {
            self.task_ended(raw);
        }
    }

    #[inline(always)]
    fn run_raw(self: &Rc<Self>, callback: Raw) {
        self.counters
            .callbacks
            .set(self.counters.callbacks.get() + 1);
        self.run_callback(|| callback.run());
    }

    /// Runs a callback; a panic goes to the exception handler and the loop goes on.
    fn run_callback(self: &Rc<Self>, f: impl FnOnce()) {
        if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
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
        // Ready callbacks hold what they serve (a transport keeps itself alive while it
        // reads, as a selector's handle does): let go of them as of the tasks.
        self.reactor.drop_callbacks();
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
        let extensions = std::mem::take(&mut *self.extensions.borrow_mut());
        drop(extensions);
    }

    /// Requests cancellation of every task (asyncio.run's shutdown step).
    pub(crate) fn cancel_all(&self) -> usize {
        let tasks = self.all_tasks();
        tasks.iter().filter(|t| t.cancel()).count()
    }
}

fn local_has(task: &Task, flag: u8) -> bool {
    task.raw.local().has(flag)
}

impl Drop for Core {
    fn drop(&mut self) {
        self.close();
    }
}
