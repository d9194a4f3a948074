//! The task cell: one heap allocation per task holding its header, its future and then its
//! output. This is the crate's only `unsafe` module besides `sys` (see `docs/ARCHITECTURE.md`).
//!
//! # Ownership
//!
//! A cell is reference counted (`refs`, atomic because wakers travel between threads). References
//! are held by:
//! - the loop's task registry, from spawn until the task completes;
//! - the typed [`JoinHandle`](super::JoinHandle) and every untyped [`Task`](super::Task);
//! - every [`Waker`] clone;
//! - a [`Notified`] queue entry, but only for a task that completed while the entry was queued
//!   (before completion the entry borrows the registry's reference: see `NOTIFIED` below).
//!
//! Everything in [`Local`] and the future/output stage is touched only on the thread that owns the
//! loop: the types that reach them (`Task`, `JoinHandle`) are `!Send`, and a [`Notified`] entry
//! that crosses threads is only ever run by its own loop. By the time only wakers hold references
//! (the only thing that can drop the last reference on another thread), the stage holds no future
//! and no output and `Local` holds no `!Send` value, so freeing the cell anywhere is sound.

use std::any::Any;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

use super::error::TaskError;
use crate::event_loop::Shared;

/// State bit: exactly one queue entry ([`Notified`]) exists for this task. Set by a wake that
/// finds it clear (that wake enqueues the entry), cleared when the entry is run. While the task is
/// incomplete the entry borrows the registry's reference.
const NOTIFIED: usize = 0b01;
/// State bit: the future has finished or been dropped; it will never be polled again. Set once, on
/// the owner thread. If `NOTIFIED` was set at that moment, the pending entry is given a reference
/// of its own.
const COMPLETE: usize = 0b10;

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

/// A callback run when the task ends.
pub(crate) type DoneCallback = Box<dyn FnOnce(&super::Task)>;

/// Rarely used per-task data, allocated only when needed.
#[derive(Default)]
pub(crate) struct Extra {
    pub(crate) name: Option<Box<str>>,
    pub(crate) done_callbacks: Vec<DoneCallback>,
    pub(crate) panic_message: Option<Box<str>>,
}

/// Per-task data used only on the owner thread.
pub(crate) struct Local {
    pub(crate) id: u64,
    pub(crate) registry_key: Cell<usize>,
    pub(crate) flags: Cell<u8>,
    pub(crate) join_waker: Cell<Option<Waker>>,
    pub(crate) location: &'static Location<'static>,
    pub(crate) extra: Cell<Option<Box<Extra>>>,
}

impl Local {
    pub(crate) fn has(&self, flag: u8) -> bool {
        self.flags.get() & flag != 0
    }

    pub(crate) fn set(&self, flag: u8) {
        self.flags.set(self.flags.get() | flag);
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

    /// Reads the extra data without creating it.
    pub(crate) fn peek_extra<R>(&self, f: impl FnOnce(Option<&Extra>) -> R) -> R {
        let extra = self.extra.take();
        let r = f(extra.as_deref());
        self.extra.set(extra);
        r
    }
}

/// The part of the cell that does not depend on the future's type.
#[repr(C)]
pub(crate) struct Header {
    state: AtomicUsize,
    refs: AtomicUsize,
    vtable: &'static Vtable,
    shared: Arc<Shared>,
    local: Local,
}

struct Vtable {
    /// Polls the future (or acts on a cancellation request). Returns true when the task ended.
    poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> bool,
    /// Drops the future without polling it, ending the task as cancelled.
    cancel: unsafe fn(NonNull<Header>),
    /// Moves the stored output into `*mut Option<Result<F::Output, TaskError>>`.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops a stored output.
    drop_output: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    dealloc: unsafe fn(NonNull<Header>),
}

enum Stage<F: Future> {
    Running(F),
    Finished(Result<F::Output, TaskError>),
    Consumed,
}

#[repr(C)]
struct Cell_<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// An untyped, counted reference to a task cell. `!Send`: it exposes the owner-thread data.
pub(crate) struct TaskRef {
    ptr: NonNull<Header>,
    _not_send: PhantomData<*const ()>,
}

/// The queue entry for a scheduled task. It can cross threads (it sits in the loop's remote
/// queue) but is only run by the loop that owns the task.
pub(crate) struct Notified {
    ptr: NonNull<Header>,
}

// SAFETY: a `Notified` only carries the pointer between threads; the only operation on it, `run`,
// is called by the loop that owns the task, on that loop's thread (see `Shared::schedule`).
unsafe impl Send for Notified {}

/// What running a queue entry did.
pub(crate) enum RunResult {
    /// The task was polled and is still pending.
    Pending,
    /// The task ended during this run: remove it from the registry (the key is given).
    Ended(usize),
    /// The entry belonged to a task that had already ended.
    Stale,
}

/// Allocates a task for `future` and returns the registry's reference, the typed handle's
/// reference, and the first queue entry.
pub(crate) fn allocate<F>(
    future: F,
    shared: Arc<Shared>,
    id: u64,
    location: &'static Location<'static>,
    name: Option<Box<str>>,
) -> (TaskRef, OutputRef<F::Output>, Notified)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let extra = name.map(|name| {
        Box::new(Extra {
            name: Some(name),
            ..Extra::default()
        })
    });
    let cell = Box::new(Cell_ {
        header: Header {
            state: AtomicUsize::new(NOTIFIED),
            refs: AtomicUsize::new(2),
            vtable: vtable::<F>(),
            shared,
            local: Local {
                id,
                registry_key: Cell::new(usize::MAX),
                flags: Cell::new(0),
                join_waker: Cell::new(None),
                location,
                extra: Cell::new(extra),
            },
        },
        stage: UnsafeCell::new(Stage::Running(future)),
    });
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    let output = OutputRef {
        task: super::Task {
            raw: TaskRef::from_raw(ptr),
        },
        _output: PhantomData,
    };
    (TaskRef::from_raw(ptr), output, Notified { ptr })
}

fn vtable<F: Future + 'static>() -> &'static Vtable {
    &Vtable {
        poll: poll_future::<F>,
        cancel: cancel_future::<F>,
        take_output: take_output::<F>,
        drop_output: drop_output::<F>,
        dealloc: dealloc::<F>,
    }
}

/// Returns the task's header.
///
/// # Safety
/// `ptr` must point to a live cell (a reference to it is held).
unsafe fn header<'a>(ptr: NonNull<Header>) -> &'a Header {
    // SAFETY: the caller holds a reference, so the cell is allocated and initialised.
    unsafe { ptr.as_ref() }
}

/// Returns the stage of a cell whose future type is `F`.
///
/// # Safety
/// `ptr` must point to a live `Cell_<F>`, on its owner thread, with no other borrow of the stage.
unsafe fn stage<'a, F: Future>(ptr: NonNull<Header>) -> &'a mut Stage<F> {
    let cell = ptr.cast::<Cell_<F>>();
    // SAFETY: the caller guarantees the type, liveness and exclusive owner-thread access.
    unsafe { &mut *(*cell.as_ptr()).stage.get() }
}

/// Turns a panic payload into its message.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "Box<dyn Any>".to_owned()
    }
}

/// Replaces a running stage by `outcome`, dropping the future first. A panic while dropping the
/// future turns the outcome into that panic.
fn finish<F: Future>(stage: &mut Stage<F>, local: &Local, outcome: Result<F::Output, TaskError>) {
    let dropped = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    let outcome = match dropped {
        Ok(()) => outcome,
        Err(payload) => Err(TaskError::panicked(panic_message(&*payload))),
    };
    match &outcome {
        Ok(_) => {}
        Err(e) if e.is_cancelled() => local.set(ENDED_CANCELLED),
        Err(e) => {
            local.set(ENDED_PANICKED);
            let message: Box<str> = e.panic_message().unwrap_or_default().into();
            local.with_extra(|x| x.panic_message = Some(message));
        }
    }
    if local.has(DETACHED) {
        local.set(OUTPUT_GONE);
        // A panic in the output's destructor must not escape into the loop.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(outcome)));
    } else {
        *stage = Stage::Finished(outcome);
    }
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, not complete, not being polled.
unsafe fn poll_future<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> bool {
    // SAFETY: guaranteed by the caller.
    let local = unsafe { &header(ptr).local };
    // SAFETY: guaranteed by the caller.
    let stage = unsafe { stage::<F>(ptr) };
    if local.has(CANCEL_REQUESTED) {
        finish(stage, local, Err(TaskError::cancelled()));
        return true;
    }
    let Stage::Running(future) = stage else {
        unreachable!("a task was polled after it ended")
    };
    // SAFETY: the future lives inside the heap cell and is never moved until it is dropped in
    // place (by `finish`, `cancel_future` or `dealloc`).
    let future = unsafe { Pin::new_unchecked(future) };
    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => false,
        Ok(Poll::Ready(output)) => {
            finish(stage, local, Ok(output));
            true
        }
        Err(payload) => {
            let message = panic_message(&*payload);
            finish(stage, local, Err(TaskError::panicked(message)));
            true
        }
    }
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, not complete, not being polled.
unsafe fn cancel_future<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: guaranteed by the caller.
    let local = unsafe { &header(ptr).local };
    // SAFETY: guaranteed by the caller.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Running(_) = stage {
        finish(stage, local, Err(TaskError::cancelled()));
    }
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, with no borrow of the stage, and `out` points
/// to a valid `Option<Result<F::Output, TaskError>>`.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: guaranteed by the caller.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Finished(_) = stage {
        let Stage::Finished(output) = std::mem::replace(stage, Stage::Consumed) else {
            unreachable!()
        };
        // SAFETY: the caller guarantees the pointer's type and validity.
        unsafe { *out.cast::<Option<Result<F::Output, TaskError>>>() = Some(output) };
    }
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, with no borrow of the stage.
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: guaranteed by the caller.
    let stage = unsafe { stage::<F>(ptr) };
    if let Stage::Finished(_) = stage {
        let _ = catch_unwind(AssertUnwindSafe(|| *stage = Stage::Consumed));
    }
}

/// # Safety
/// `ptr` is a `Cell_<F>` whose last reference was just released.
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: the cell was allocated by `allocate` as a `Box<Cell_<F>>` and no reference remains.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell_<F>>().as_ptr()) });
}

/// Takes one reference away and frees the cell when it was the last.
///
/// # Safety
/// The caller owns one reference to the live cell at `ptr` and gives it up.
unsafe fn release(ptr: NonNull<Header>) {
    // SAFETY: the caller's reference keeps the cell alive until this decrement.
    let h = unsafe { header(ptr) };
    if h.refs.fetch_sub(1, Ordering::Release) == 1 {
        std::sync::atomic::fence(Ordering::Acquire);
        let dealloc = h.vtable.dealloc;
        // SAFETY: that was the last reference.
        unsafe { dealloc(ptr) };
    }
}

/// Schedules the task unless it is already queued or has ended.
///
/// # Safety
/// The caller holds a reference to the live cell at `ptr`.
unsafe fn wake_by_ref(ptr: NonNull<Header>) {
    // SAFETY: guaranteed by the caller.
    let h = unsafe { header(ptr) };
    let prev = h.state.fetch_or(NOTIFIED, Ordering::AcqRel);
    if prev & (NOTIFIED | COMPLETE) == 0 {
        h.shared.schedule(Notified { ptr });
    }
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    let ptr = data.cast::<Header>().cast_mut();
    // SAFETY: a waker holds a reference, so the cell is live; the data pointer is never null.
    let h = unsafe { header(NonNull::new_unchecked(ptr)) };
    h.refs.fetch_add(1, Ordering::Relaxed);
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: the waker's data pointer is a non-null cell pointer.
    let ptr = unsafe { NonNull::new_unchecked(data.cast::<Header>().cast_mut()) };
    // SAFETY: the waker being consumed holds a reference, released right after.
    unsafe {
        wake_by_ref(ptr);
    }
    // SAFETY: the consumed waker's reference is given up here.
    unsafe { release(ptr) };
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: the waker's data pointer is a non-null cell pointer with a reference held.
    unsafe { wake_by_ref(NonNull::new_unchecked(data.cast::<Header>().cast_mut())) }
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: the dropped waker gives up its reference; the pointer is non-null.
    unsafe { release(NonNull::new_unchecked(data.cast::<Header>().cast_mut())) }
}

impl Notified {
    /// Like [`run`](Self::run), also returning the task that ran (debug mode's slow-callback
    /// report needs its name).
    pub(crate) fn run_observed(self) -> (RunResult, Option<TaskRef>) {
        // SAFETY: the entry keeps the task alive (see `run`); we take a reference of our own.
        let h = unsafe { header(self.ptr) };
        h.refs.fetch_add(1, Ordering::Relaxed);
        let task = TaskRef::from_raw(self.ptr);
        (self.run(), Some(task))
    }

    /// Polls the task once, or discards the entry if the task already ended.
    pub(crate) fn run(self) -> RunResult {
        let ptr = self.ptr;
        // SAFETY: an entry keeps its task alive (borrowing the registry's reference before
        // completion, owning one after), and we are on the owner thread: only the owning loop
        // runs entries.
        let h = unsafe { header(ptr) };
        if h.state.load(Ordering::Acquire) & COMPLETE != 0 {
            // SAFETY: an entry of a completed task owns a reference (given in `complete`).
            unsafe { release(ptr) };
            return RunResult::Stale;
        }
        h.state.fetch_and(!NOTIFIED, Ordering::AcqRel);
        // The poll borrows the registry's reference: no count change for this waker.
        let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &WAKER_VTABLE);
        // SAFETY: the vtable upholds the RawWaker contract; ManuallyDrop keeps the borrowed
        // reference from being released.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        let mut cx = Context::from_waker(&waker);
        // The registry's reference, lent for the duration of the poll.
        let previous = CURRENT.with(|c| c.replace(Some(ptr)));
        // SAFETY: owner thread, task incomplete, not being polled (no re-entrancy: a task cannot
        // be polled from inside its own poll because entries are only run by the loop).
        let ended = unsafe { (h.vtable.poll)(ptr, &mut cx) };
        CURRENT.with(|c| c.set(previous));
        if ended {
            complete(h);
            RunResult::Ended(h.local.registry_key.get())
        } else {
            RunResult::Pending
        }
    }
}

thread_local! {
    /// The task being polled on this thread, if any. Set only for the duration of a poll, during
    /// which the registry holds a reference.
    static CURRENT: Cell<Option<NonNull<Header>>> = const { Cell::new(None) };
}

/// The task being polled on this thread.
pub(crate) fn current() -> Option<TaskRef> {
    let ptr = CURRENT.with(Cell::get)?;
    // SAFETY: CURRENT is set only while the task is being polled, and the registry holds a
    // reference for that whole time; we take a reference of our own.
    unsafe { header(ptr) }.refs.fetch_add(1, Ordering::Relaxed);
    Some(TaskRef::from_raw(ptr))
}

/// Marks the task complete and wakes whoever awaits its handle.
fn complete(h: &Header) {
    let prev = h.state.fetch_or(COMPLETE, Ordering::AcqRel);
    if prev & NOTIFIED != 0 {
        // A queued entry outlives completion: it needs a reference of its own.
        h.refs.fetch_add(1, Ordering::Relaxed);
    }
    if let Some(waker) = h.local.join_waker.take() {
        waker.wake();
    }
}

impl TaskRef {
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
        self.header().state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// Whether the task sits in a ready queue.
    pub(crate) fn is_scheduled(&self) -> bool {
        self.header().state.load(Ordering::Acquire) & NOTIFIED != 0
    }

    /// Schedules the task (if it is not queued or ended already).
    pub(crate) fn wake(&self) {
        // SAFETY: self holds a reference.
        unsafe { wake_by_ref(self.ptr) }
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
        complete(self.header());
        true
    }

    /// Takes the output of a completed task. Returns `None` if it was already taken.
    ///
    /// # Safety
    /// `T` must be the output type of the task's future.
    unsafe fn take_output<T>(&self) -> Option<Result<T, TaskError>> {
        debug_assert!(self.is_complete());
        if self.local().has(OUTPUT_GONE) {
            return None;
        }
        self.local().set(OUTPUT_GONE);
        let mut slot: Option<Result<T, TaskError>> = None;
        // SAFETY: the caller guarantees `T` is the future's output type, so the vtable writes an
        // `Option<Result<T, TaskError>>`; owner thread, no borrow of the stage outstanding.
        unsafe {
            (self.header().vtable.take_output)(self.ptr, (&mut slot as *mut Option<_>).cast())
        };
        slot
    }

    /// Drops the stored output, if any.
    pub(crate) fn drop_output(&self) {
        if self.is_complete() && !self.local().has(OUTPUT_GONE) {
            self.local().set(OUTPUT_GONE);
            // SAFETY: owner thread, no borrow of the stage outstanding.
            unsafe { (self.header().vtable.drop_output)(self.ptr) }
        }
    }
}

/// A task reference that knows the task's output type, so taking the output is safe. Only
/// [`allocate`] makes one.
pub(crate) struct OutputRef<T> {
    pub(crate) task: super::Task,
    _output: PhantomData<fn() -> T>,
}

impl<T> OutputRef<T> {
    /// Takes the output if the task has ended and it is still there.
    pub(crate) fn take(&self) -> Option<Result<T, TaskError>> {
        if !self.task.raw.is_complete() {
            return None;
        }
        // SAFETY: `allocate` made this `OutputRef<F::Output>` for a `Cell_<F>`.
        unsafe { self.task.raw.take_output::<T>() }
    }
}

impl Clone for TaskRef {
    fn clone(&self) -> Self {
        self.header().refs.fetch_add(1, Ordering::Relaxed);
        Self::from_raw(self.ptr)
    }
}

impl Drop for TaskRef {
    fn drop(&mut self) {
        // SAFETY: this TaskRef owns one reference.
        unsafe { release(self.ptr) }
    }
}
