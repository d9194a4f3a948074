//! The task cell: one heap allocation per task holding its header, its future and then its
//! output. This folder is the runtime's only `unsafe` code (see `docs/ARCHITECTURE.md`).
//!
//! # Two sides, two counts
//!
//! A task is touched from two kinds of places. Its *own loop's thread* polls it, owns its
//! registry entry and handles ([`TaskRef`], `Task`, `JoinHandle` — all `!Send`) and queues it on
//! the local ready queue. *Any thread* may hold a [`Waker`] and wake it through the loop's
//! remote queue. The hot path — spawn, local wake, poll, complete, drop the handle — stays on
//! the first side and uses plain `Cell`s; only the second side pays for atomics.
//!
//! - `local_refs` (a `Cell`) counts the owner-thread references: the registry (until the task
//!   ends), handles, and local queue entries of ended tasks. When it reaches zero, the local side
//!   gives up the one unit it holds in `refs`.
//! - `refs` (atomic) counts that unit, every `Waker` clone and every remote queue entry of an
//!   ended task. The cell is freed when it reaches zero.
//!
//! # Two wake-up flags
//!
//! - `LOCAL_NOTIFIED` (owner-thread flag): exactly one entry for the task sits in the local
//!   ready queue. Set by a wake on the loop's own running thread, cleared when the entry runs.
//! - `REMOTE_NOTIFIED` (atomic state bit): exactly one entry sits in (or came from) the remote
//!   queue. Set by a wake from anywhere else, cleared when the entry runs.
//!
//! A task can have one entry of each kind at once; it is then polled twice, which futures allow.
//! Before the task ends an entry *borrows* the registry's reference. `COMPLETE` (atomic, set once
//! on the owner thread) ends that: an entry still queued then gets a reference of its own (local
//! or atomic, by its kind), and running it later only releases that reference.
//!
//! By the time only atomic references remain (the only ones another thread can drop), the stage
//! holds no future and no output and the local fields hold no `!Send` value, so freeing the cell
//! on any thread is sound.

mod cell;
mod list;
mod shared_rc;
mod waker;

use std::borrow::Cow;
use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::Location;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU8, Ordering};
use std::task::Waker;

pub(crate) use cell::{allocate, panic_message, OutputRef};
pub(crate) use list::TaskList;

pub(crate) use shared_rc::{SharedPool, SharedRc};
use waker::task_id_of;
pub(crate) use waker::{
    current, is_current, set_running_loop, Notified, RunResult, Slot, SlotKind, TaskWaker,
};

/// Atomic state bit: a remote queue entry exists (see the module docs).
const REMOTE_NOTIFIED: u8 = 0b01;
/// Atomic state bit: the future finished or was dropped; it will never be polled again.
const COMPLETE: u8 = 0b10;

/// Owner-thread flag: cancellation was requested and not yet acted on.
pub(crate) const CANCEL_REQUESTED: u8 = 1 << 0;
/// Owner-thread flag: the typed handle is gone; an output is dropped as soon as it exists.
pub(crate) const DETACHED: u8 = 1 << 1;
/// Owner-thread flag: the output has been moved out (or dropped).
pub(crate) const OUTPUT_GONE: u8 = 1 << 2;
/// Owner-thread flag: the task ended by cancellation.
pub(crate) const ENDED_CANCELLED: u8 = 1 << 3;
/// Owner-thread flag: the task ended by a panic.
pub(crate) const ENDED_PANICKED: u8 = 1 << 4;
/// Owner-thread flag: the task is linked into its loop's [`TaskList`].
const LISTED: u8 = 1 << 5;
/// Owner-thread flag: a local queue entry exists (see the module docs).
const LOCAL_NOTIFIED: u8 = 1 << 6;
/// Owner-thread flag: the future was dropped (the stage then holds the output unless
/// `OUTPUT_GONE`).
const FUTURE_GONE: u8 = 1 << 7;

/// How a task reaches its loop: given by the loop when it makes its [`Shared`](
/// crate::runtime::shared::Shared), which every cell points to (async-task's `schedule` function
/// is the model). The cell calls these, and the `Shared`'s remote queue, and knows nothing else
/// of the loop.
pub(crate) struct Hooks {
    /// Queues a local entry on the ready queue of the loop running on this thread (only
    /// called when [`running_loop`](waker::running_loop) says the task's loop runs here).
    pub(crate) push_local: fn(Notified),
    /// Takes back the count of the `Shared` that a cell freed on its owner thread held (into
    /// the loop's pool when the loop runs on this thread; dropped otherwise).
    pub(crate) give_back: fn(SharedRc),
}

/// A callback run when the task ends.
pub(crate) type DoneCallback = Box<dyn FnOnce(&super::Task)>;

/// Rarely used per-task data, allocated only when needed.
#[derive(Default)]
pub(crate) struct Extra {
    pub(crate) name: Option<Cow<'static, str>>,
    pub(crate) done_callbacks: Vec<DoneCallback>,
    /// How many done callbacks were registered before the handle's awaiter: its wake-up runs
    /// after those and before the later ones, as asyncio's wake-up is itself a done callback.
    pub(crate) join_position: usize,
    /// The handle's awaiter when it is not a task of this loop (see [`Local::awaiter`]).
    other_awaiter: Option<Waker>,
    pub(crate) panic_message: Option<Box<str>>,
}

/// What a task's ending sets off, in registration order (see [`Local::take_done`]).
pub(crate) struct Done {
    pub(crate) callbacks: Vec<DoneCallback>,
    pub(crate) join_waker: Option<TaskWaker>,
    pub(crate) join_position: usize,
}

/// The header's fields. All but `state` and `refs` are used only on the owner thread; the four
/// small ones share one word so the header stays 72 bytes.
pub(crate) struct Local {
    state: AtomicU8,
    refs: AtomicU32,
    local_refs: Cell<u16>,
    flags: Cell<u8>,
    pub(crate) id: u64,
    /// The task awaiting the handle, when it is a task of this loop (the usual case: one word,
    /// and waking it costs no atomic operation). Any other awaiter's waker waits in the extra
    /// data. Taken out before the last owner-thread reference goes (see [`release_local`]).
    awaiter: Cell<Option<TaskRef>>,
    pub(crate) location: &'static Location<'static>,
    extra: Cell<Option<Box<Extra>>>,
    prev: Cell<Option<NonNull<Header>>>,
    next: Cell<Option<NonNull<Header>>>,
    /// tokio-console's span for the task (zero-sized without the `console` feature).
    pub(crate) console: crate::runtime::console::TaskSpan,
}

impl Local {
    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags.get() & flag != 0
    }

    pub(crate) fn set(&self, flag: u8) {
        self.flags.set(self.flags.get() | flag);
    }

    fn clear(&self, flag: u8) {
        self.flags.set(self.flags.get() & !flag);
    }

    /// Runs `f` on the extra data, creating it if needed.
    pub(crate) fn with_extra<R>(&self, f: impl FnOnce(&mut Extra) -> R) -> R {
        let mut extra = self.extra.take().unwrap_or_default();
        let r = f(&mut extra);
        self.extra.set(Some(extra));
        r
    }

    /// Takes the done callbacks, without allocating the extra data when there is none.
    pub(crate) fn take_done_callbacks(&self) -> Vec<DoneCallback> {
        match self.extra.take() {
            None => Vec::new(),
            Some(mut extra) => {
                let callbacks = std::mem::take(&mut extra.done_callbacks);
                self.extra.set(Some(extra));
                callbacks
            }
        }
    }

    /// Takes what the task's ending sets off: its done callbacks and its awaiter's waker, with
    /// the awaiter's place among the callbacks. No allocation when there are no callbacks.
    pub(crate) fn take_done(&self) -> Done {
        let join_waker = self.take_join_waker();
        match self.extra.take() {
            None => Done {
                callbacks: Vec::new(),
                join_waker,
                join_position: 0,
            },
            Some(mut extra) => {
                let done = Done {
                    callbacks: std::mem::take(&mut extra.done_callbacks),
                    join_waker,
                    join_position: std::mem::take(&mut extra.join_position),
                };
                self.extra.set(Some(extra));
                done
            }
        }
    }

    /// When the task has no extra data (no done callbacks, no panic, no foreign awaiter): the
    /// task awaiting it, taken out, as the only thing its ending sets off. `Err` otherwise, for
    /// [`take_done`](Self::take_done).
    pub(crate) fn take_plain_end(&self) -> Result<Option<TaskRef>, ()> {
        let extra = self.extra.take();
        if extra.is_some() {
            self.extra.set(extra);
            return Err(());
        }
        Ok(self.awaiter.take())
    }

    /// Takes the awaiter's waker out, if there is one.
    pub(crate) fn take_join_waker(&self) -> Option<TaskWaker> {
        if let Some(task) = self.awaiter.take() {
            return Some(TaskWaker::Task(task));
        }
        let mut extra = self.extra.take()?;
        let other = extra.other_awaiter.take();
        self.extra.set(Some(extra));
        other.map(TaskWaker::Other)
    }

    /// The id of the task the awaiter's waker would wake, if it is a task's.
    pub(crate) fn awaiter_id(&self) -> Option<u64> {
        let awaiter = self.awaiter.take();
        let id = match &awaiter {
            Some(task) => Some(task.local().id),
            None => self.peek_extra(|x| x?.other_awaiter.as_ref().and_then(task_id_of)),
        };
        self.awaiter.set(awaiter);
        id
    }

    /// Records the awaiter's waker. On its first registration the awaiter takes its place
    /// after the done callbacks registered so far.
    pub(crate) fn set_join_waker(&self, waker: &Waker) {
        match self.take_join_waker() {
            Some(w) if w.will_wake(waker) => return self.put_join_waker(w),
            Some(w) => drop(w),
            None => {
                let (has_extra, registered) =
                    self.peek_extra(|x| (x.is_some(), x.map_or(0, |x| x.done_callbacks.len())));
                if has_extra {
                    self.with_extra(|x| x.join_position = registered);
                }
            }
        }
        self.put_join_waker(TaskWaker::new(waker));
    }

    fn put_join_waker(&self, waker: TaskWaker) {
        match waker {
            TaskWaker::Task(task) => self.awaiter.set(Some(task)),
            TaskWaker::Other(waker) => self.with_extra(|x| x.other_awaiter = Some(waker)),
        }
    }

    /// Reads the extra data without creating it.
    pub(crate) fn peek_extra<R>(&self, f: impl FnOnce(Option<&Extra>) -> R) -> R {
        let extra = self.extra.take();
        let r = f(extra.as_deref());
        self.extra.set(extra);
        r
    }
}

/// The part of the cell that does not depend on the future's type.
pub(crate) struct Header {
    vtable: &'static cell::Vtable,
    /// Taken out by hand just before the cell is freed (see [`free`]).
    shared: ManuallyDrop<SharedRc>,
    local: Local,
}

// Every spawn allocates a header: keep it at nine words (without tokio-console's span).
#[cfg(not(feature = "console"))]
const _: () = assert!(std::mem::size_of::<Header>() == 72);

/// Returns the task's header.
///
/// # Safety
/// `ptr` must point to a live cell (a reference to it is held).
unsafe fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: the caller holds a reference, so the cell is allocated and initialised.
    unsafe { ptr.as_ref() }
}

/// Takes one atomic reference away and frees the cell when it was the last.
///
/// # Safety
/// The caller owns one atomic reference to the live cell at `ptr` and gives it up.
unsafe fn release(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive until this decrement.
    let h = unsafe { header(ptr) };
    if h.local.refs.fetch_sub(1, Ordering::Release) == 1 {
        std::sync::atomic::fence(Ordering::Acquire);
        // SAFETY: that was the last reference.
        drop(unsafe { free(ptr) });
    }
}

/// Frees the cell and hands back its reference to the loop's `Shared`.
///
/// # Safety
/// No reference to the cell remains.
unsafe fn free(ptr: NonNull<Header>) -> SharedRc {
    // SAFETY: no reference remains, so nothing else reads the field; it is taken exactly once,
    // here, and `Header::shared` is `ManuallyDrop`, so freeing the cell does not drop it again.
    let shared = unsafe { ManuallyDrop::take(&mut (*ptr.as_ptr()).shared) };
    // SAFETY: as above; the vtable frees the allocation `allocate` made.
    let dealloc = unsafe { header(ptr) }.vtable.dealloc;
    // SAFETY: no reference remains.
    unsafe { dealloc(ptr) };
    shared
}

/// Adds an atomic reference.
fn acquire(h: &Header) {
    if h.local.refs.fetch_add(1, Ordering::Relaxed) > u32::MAX / 2 {
        std::process::abort(); // Billions of wakers: a leak, not a program.
    }
}

/// Adds an owner-thread reference.
fn acquire_local(local: &Local) {
    let n = local.local_refs.get().checked_add(1);
    local
        .local_refs
        .set(n.expect("more than 65535 handles to one task"));
}

/// Whether the local side holds the only atomic reference: no `Waker` and no remote entry exist,
/// so no other thread can reach the cell, and none can start to (a waker is only made by a poll,
/// on this thread, or cloned from another waker). Acquire: every earlier release by a waker on
/// another thread happens-before what the caller does next.
fn only_local(h: &Header) -> bool {
    h.local.refs.load(Ordering::Acquire) == 1
}

/// Takes one owner-thread reference away; the last one gives up the local side's atomic unit.
///
/// # Safety
/// On the owner thread; the caller owns one local reference to the live cell at `ptr`.
unsafe fn release_local(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive.
    let h = unsafe { header(ptr) };
    let n = h.local.local_refs.get() - 1;
    h.local.local_refs.set(n);
    if n == 0 {
        // The awaiter is an owner-thread reference: it must not outlive the local side, after
        // which another thread may free the cell.
        drop(h.local.awaiter.take());
        if only_local(h) {
            // No other reference exists or can appear: free without an atomic decrement, and
            // give the `Shared` count back to the loop's pool when it runs on this thread.
            // SAFETY: the local unit was the last reference.
            let shared = unsafe { free(ptr) };
            (shared.hooks.give_back)(shared);
        } else {
            // SAFETY: the local side's unit is given up exactly once, here.
            unsafe { release(ptr) };
        }
    }
}

/// A counted owner-thread reference to a task cell. `!Send`: it exposes the owner-thread data.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
    _not_send: PhantomData<*const ()>,
}

impl TaskRef {
    /// Wraps a local reference the caller already counted.
    fn from_raw(ptr: NonNull<Header>) -> Self {
        Self {
            ptr,
            _not_send: PhantomData,
        }
    }

    fn header(&self) -> &Header {
        // SAFETY: a TaskRef holds a reference to the live cell.
        unsafe { header(self.ptr) }
    }

    /// The owner-thread data.
    pub(crate) fn local(&self) -> &Local {
        &self.header().local
    }

    /// Whether the task has ended.
    pub(crate) fn is_complete(&self) -> bool {
        self.header().local.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// Whether the task sits in a ready queue.
    pub(crate) fn is_scheduled(&self) -> bool {
        self.local().has(LOCAL_NOTIFIED)
            || self.header().local.state.load(Ordering::Acquire) & REMOTE_NOTIFIED != 0
    }

    /// Schedules the task (if it is not queued or ended already).
    pub(crate) fn wake(&self) {
        self.local().console.waker_op("waker.wake_by_ref");
        // SAFETY: self holds a reference.
        unsafe { waker::wake_by_ref(self.ptr) }
    }

    /// Whether two references name the same task.
    pub(crate) fn ptr_eq(&self, other: &TaskRef) -> bool {
        self.ptr == other.ptr
    }

    /// Ends an incomplete task by dropping its future. Used when the loop closes.
    pub(crate) fn cancel_now(&self) -> bool {
        if self.is_complete() {
            return false;
        }
        // SAFETY: the task is incomplete, we are on the owner thread, and it is not being
        // polled (the loop is closing, outside any task poll).
        unsafe { (self.header().vtable.cancel)(self.ptr) };
        waker::complete(self.header());
        if let Some(waker) = self.local().take_join_waker() {
            waker.wake();
        }
        true
    }

    /// Drops the stored output, if any.
    pub(crate) fn drop_output(&self) {
        if self.is_complete() && !self.local().has(OUTPUT_GONE) {
            // SAFETY: owner thread, no borrow of the stage outstanding.
            unsafe { (self.header().vtable.drop_output)(self.ptr) }
        }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        acquire_local(self.local());
        Self::from_raw(self.ptr)
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: this TaskRef owns one local reference, on the owner thread (it is `!Send`).
        unsafe { release_local(self.ptr) }
    }
}
