//! Waking and running: the waker vtable, the two kinds of queue entry, completion, and the
//! current-task slot.

use std::cell::Cell;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::task::{Context, RawWaker, RawWakerVTable, Waker};

use crate::runtime::shared::Shared;

use super::{
    acquire, acquire_local, header, release, release_local, Header, TaskList, TaskRef, COMPLETE,
    LOCAL_NOTIFIED, REMOTE_NOTIFIED,
};

/// A ready-queue entry for a task: local (made on the loop's thread, lives in its ready queue)
/// or remote (made by a wake from elsewhere, travels through the remote queue).
///
/// One word: the cell pointer, whose lowest bit (always clear in a cell's address, which is
/// aligned to 8) marks a remote entry. A million queued tasks are a million entries, and a
/// second word cost `spawn` 8 MB of fresh pages.
pub(crate) struct Notified {
    tagged: NonNull<Header>,
}

/// The tag bit of a remote [`Notified`].
const REMOTE_TAG: usize = 0b001;
/// The tag of a [`Slot`] that is the main future's turn (its generation in the bits above).
const MAIN_TAG: usize = 0b010;
/// The tag of a [`Slot`] that is the turn of an item kept outside the slots.
const OTHER_TAG: usize = 0b011;
/// The tag of a [`Slot`] that is the turn of a raw callback (kept outside the slots too).
const RAW_TAG: usize = 0b100;
/// The tag bits (a cell's address is aligned to 8, so they are clear in it).
const TAG_MASK: usize = 0b111;
const _: () = assert!(std::mem::align_of::<Header>() > TAG_MASK);

/// One word of the ready queue: a task's entry, the main future's turn (with its run's
/// generation) or the turn of an item the queue keeps elsewhere. A million queued tasks are a
/// million slots, so every kind of turn fits in the word a task's entry needs.
pub(crate) struct Slot {
    word: NonNull<Header>,
}

/// What a [`Slot`] holds.
pub(crate) enum SlotKind {
    Task(Notified),
    /// The main future's turn, tagged with its run's generation.
    Main(u64),
    /// The turn of the next raw callback kept outside the slots.
    Raw,
    /// The turn of the next other item kept outside the slots.
    Other,
}

impl Slot {
    pub(crate) fn task(task: Notified) -> Self {
        Self { word: task.tagged }
    }

    /// The main future's turn. Generations stay below 2^61 (one per `run_until_complete`).
    pub(crate) fn main(generation: u64) -> Self {
        Self::marker(((generation as usize) << 3) | MAIN_TAG)
    }

    pub(crate) fn other() -> Self {
        Self::marker(OTHER_TAG)
    }

    pub(crate) fn raw() -> Self {
        Self::marker(RAW_TAG)
    }

    /// A word that is not a cell's address: a pointer without provenance, never dereferenced.
    fn marker(word: usize) -> Self {
        let ptr = std::ptr::without_provenance_mut::<Header>(word);
        // SAFETY: the tag bits make the word non-zero.
        let word = unsafe { NonNull::new_unchecked(ptr) };
        Self { word }
    }

    pub(crate) fn kind(self) -> SlotKind {
        let word = self.word.addr().get();
        match word & TAG_MASK {
            0 | REMOTE_TAG => SlotKind::Task(Notified { tagged: self.word }),
            MAIN_TAG => SlotKind::Main((word >> 3) as u64),
            RAW_TAG => SlotKind::Raw,
            _ => SlotKind::Other,
        }
    }
}

// SAFETY: a `Notified` only carries the pointer between threads. Local entries never leave the
// owner thread (they live in the loop's `!Send` core); remote entries are only run by their own
// loop, on its thread, or discarded anywhere (which touches only atomics).
unsafe impl Send for Notified {}

/// What running a queue entry did.
pub(crate) enum RunResult {
    /// The task was polled and is still pending.
    Pending,
    /// The task ended during this run; it was unlinked from the registry, whose reference is
    /// handed back here.
    Ended(TaskRef),
    /// The entry belonged to a task that had already ended.
    Stale,
}

impl Notified {
    pub(super) fn local(ptr: NonNull<Header>) -> Self {
        Self { tagged: ptr }
    }

    fn remote(ptr: NonNull<Header>) -> Self {
        Self {
            tagged: ptr.map_addr(|a| a | REMOTE_TAG),
        }
    }

    /// Whether the entry came through the remote queue.
    fn is_remote(&self) -> bool {
        self.tagged.addr().get() & REMOTE_TAG != 0
    }

    /// The cell's pointer, without the tag.
    fn ptr(&self) -> NonNull<Header> {
        let ptr = self.tagged.as_ptr().map_addr(|a| a & !REMOTE_TAG);
        // SAFETY: clearing the tag gives back the cell's address, which is not null.
        unsafe { NonNull::new_unchecked(ptr) }
    }

    /// Releases the reference an entry owns once its task has ended.
    ///
    /// # Safety
    /// The task has ended (`COMPLETE`); on the owner thread for a local entry.
    unsafe fn release_ended(self) {
        if self.is_remote() {
            // SAFETY: a remote entry of an ended task owns an atomic reference.
            unsafe { release(self.ptr()) }
        } else {
            // SAFETY: a local entry of an ended task owns a local reference; owner thread.
            unsafe { release_local(self.ptr()) }
        }
    }

    /// Discards the entry without polling (the loop is closed).
    pub(crate) fn discard(self) {
        // SAFETY: the entry keeps its task alive (borrowing the registry's reference, or owning
        // one once the task ended).
        let h = unsafe { header(self.ptr()) };
        if h.local.state.load(Ordering::Acquire) & COMPLETE != 0 {
            // SAFETY: ended; a local entry is only discarded by its loop, on its thread.
            unsafe { self.release_ended() };
        }
    }

    /// Like [`run`](Self::run), also returning the task that ran (debug mode's slow-callback
    /// report needs its name).
    pub(crate) fn run_observed(self, list: &TaskList) -> (RunResult, Option<TaskRef>) {
        // SAFETY: the entry keeps the task alive; we are on the owner thread (the loop runs it).
        acquire_local(&unsafe { header(self.ptr()) }.local);
        let task = TaskRef::from_raw(self.ptr());
        (self.run(list), Some(task))
    }

    /// Polls the task once, or releases the entry if the task already ended. Called by the
    /// owning loop only; `list` is its registry, from which an ended task is unlinked.
    pub(crate) fn run(self, list: &TaskList) -> RunResult {
        let ptr = self.ptr();
        // SAFETY: the entry keeps the task alive; owner thread.
        let h = unsafe { header(ptr) };
        if h.local.state.load(Ordering::Acquire) & COMPLETE != 0 {
            // SAFETY: the task ended; owner thread.
            unsafe { self.release_ended() };
            return RunResult::Stale;
        }
        if self.is_remote() {
            h.local.state.fetch_and(!REMOTE_NOTIFIED, Ordering::AcqRel);
        } else {
            h.local.clear(LOCAL_NOTIFIED);
        }
        // The poll borrows the registry's reference: no count change for this waker.
        let raw = RawWaker::new(ptr.as_ptr().cast_const().cast(), &WAKER_VTABLE);
        // SAFETY: the vtable upholds the RawWaker contract; ManuallyDrop keeps the borrowed
        // reference from being released.
        let waker = ManuallyDrop::new(unsafe { Waker::from_raw(raw) });
        let mut cx = Context::from_waker(&waker);
        let previous = CURRENT.with(|c| c.replace(Some(ptr)));
        let ended = {
            let _entered = h.local.console.enter();
            // SAFETY: owner thread, task incomplete, not being polled (no re-entrancy: a task
            // cannot be polled from inside its own poll because entries are only run by the
            // loop).
            unsafe { (h.vtable.poll)(ptr, &mut cx) }
        };
        CURRENT.with(|c| c.set(previous));
        if ended {
            complete(h);
            let task = list
                .remove_ptr(ptr)
                .expect("a running task is in its loop's registry");
            RunResult::Ended(task)
        } else {
            RunResult::Pending
        }
    }
}

/// Marks the task complete (owner thread) and gives queued entries references of their own.
/// Whoever awaits the handle is woken by the loop, in order with the done callbacks
/// ([`Local::take_done`](super::Local::take_done)).
pub(super) fn complete(h: &Header) {
    h.local.console.close();
    let prev = if super::only_local(h) {
        // No other thread can reach the state word (see `only_local`): no atomic RMW needed.
        let prev = h.local.state.load(Ordering::Relaxed);
        h.local.state.store(prev | COMPLETE, Ordering::Release);
        prev
    } else {
        h.local.state.fetch_or(COMPLETE, Ordering::AcqRel)
    };
    if prev & REMOTE_NOTIFIED != 0 {
        acquire(h);
    }
    if h.local.has(LOCAL_NOTIFIED) {
        acquire_local(&h.local);
    }
}

/// Schedules the task unless it is already queued or has ended: on the local ready queue when
/// called on the task's own running loop, else through the loop's remote queue.
///
/// # Safety
/// The caller holds a reference to the live cell at `ptr`.
pub(super) unsafe fn wake_by_ref(ptr: NonNull<Header>) {
    // SAFETY: guaranteed by the caller.
    let h = unsafe { header(ptr) };
    if running_loop(&h.shared) {
        // On the thread running the task's loop: the owner thread.
        if h.local.state.load(Ordering::Relaxed) & COMPLETE != 0 || h.local.has(LOCAL_NOTIFIED) {
            return;
        }
        h.local.set(LOCAL_NOTIFIED);
        (h.shared.hooks.push_local)(Notified::local(ptr));
        return;
    }
    let prev = h.local.state.fetch_or(REMOTE_NOTIFIED, Ordering::AcqRel);
    if prev & (REMOTE_NOTIFIED | COMPLETE) == 0 {
        h.shared.push_remote_task(Notified::remote(ptr));
    }
}

static WAKER_VTABLE: RawWakerVTable =
    RawWakerVTable::new(waker_clone, waker_wake, waker_wake_by_ref, waker_drop);

/// # Safety
/// `data` is a waker's data pointer: a non-null cell pointer.
unsafe fn ptr_of(data: *const ()) -> NonNull<Header> {
    // SAFETY: wakers are only built from cell pointers, which are never null.
    unsafe { NonNull::new_unchecked(data.cast::<Header>().cast_mut()) }
}

/// Reports a waker operation to tokio-console (nothing without the `console` feature), unless
/// the task ended: its span is closed and its id may name another span by now.
///
/// # Safety
/// `data` is a waker's data pointer whose waker keeps the cell alive.
#[inline]
unsafe fn console_op(data: *const (), op: &'static str) {
    if cfg!(feature = "console") {
        // SAFETY: guaranteed by the caller.
        let h = unsafe { header(ptr_of(data)) };
        if h.local.state.load(Ordering::Relaxed) & COMPLETE == 0 {
            h.local.console.waker_op(op);
        }
    }
}

unsafe fn waker_clone(data: *const ()) -> RawWaker {
    // SAFETY: the waker being cloned keeps the cell alive.
    unsafe { console_op(data, "waker.clone") };
    // SAFETY: a waker (or the poll's borrowed one) keeps the cell alive.
    acquire(unsafe { header(ptr_of(data)) });
    RawWaker::new(data, &WAKER_VTABLE)
}

unsafe fn waker_wake(data: *const ()) {
    // SAFETY: the consumed waker holds an atomic reference, released right after the wake.
    unsafe {
        console_op(data, "waker.wake");
        wake_by_ref(ptr_of(data));
        release(ptr_of(data));
    }
}

unsafe fn waker_wake_by_ref(data: *const ()) {
    // SAFETY: the waker holds a reference.
    unsafe {
        console_op(data, "waker.wake_by_ref");
        wake_by_ref(ptr_of(data));
    }
}

unsafe fn waker_drop(data: *const ()) {
    // SAFETY: the dropped waker gives up its atomic reference (after the report).
    unsafe {
        console_op(data, "waker.drop");
        release(ptr_of(data));
    }
}

thread_local! {
    /// The `Shared` of the loop running on this thread (null when none), set by the loop when
    /// it starts and stops running: one plain read tells a wake-up whether it may take the
    /// local path.
    static RUNNING_LOOP: Cell<*const Shared> = const { Cell::new(std::ptr::null()) };
}

/// Records the loop running on this thread (null for none); returns the previous value.
pub(crate) fn set_running_loop(shared: *const Shared) -> *const Shared {
    RUNNING_LOOP.with(|r| r.replace(shared))
}

/// Whether the loop that owns `shared` is running on this thread.
pub(crate) fn running_loop(shared: &Shared) -> bool {
    RUNNING_LOOP.with(|r| std::ptr::eq(r.get(), shared))
}

thread_local! {
    /// The task being polled on this thread, if any. Set only for the duration of a poll, during
    /// which the registry holds a reference.
    static CURRENT: Cell<Option<NonNull<Header>>> = const { Cell::new(None) };
}

/// Whether `task` is the task being polled on this thread.
pub(crate) fn is_current(task: &TaskRef) -> bool {
    CURRENT.with(Cell::get) == Some(task.ptr)
}

/// The task being polled on this thread.
pub(crate) fn current() -> Option<TaskRef> {
    let ptr = CURRENT.with(Cell::get)?;
    // SAFETY: CURRENT is set only while the task is being polled on this (its owner) thread,
    // and the registry holds a reference for that whole time; we take one of our own.
    acquire_local(&unsafe { header(ptr) }.local);
    Some(TaskRef::from_raw(ptr))
}

/// A stored waker that costs no atomic operation when it wakes a task of this thread's loop:
/// if the waker a future is polled with is the current task's own, a counted owner-thread
/// reference to the task is kept instead of a `Waker` clone (whose count is atomic). `!Send`:
/// for structures that live on one loop's thread (wait lists, the timer wheel).
pub(crate) enum TaskWaker {
    /// The current task of this thread, woken through the local ready queue.
    Task(TaskRef),
    /// Any other waker.
    Other(Waker),
}

impl TaskWaker {
    /// Keeps what is needed to wake `waker` later.
    pub(crate) fn new(waker: &Waker) -> Self {
        // With tokio-console watching, a real clone: the console counts a task's wakers, and
        // one kept without a clone would look lost.
        if cfg!(feature = "console") {
            return TaskWaker::Other(waker.clone());
        }
        if let Some(ptr) = own_task(waker) {
            // SAFETY: `own_task` found the cell being polled on this thread: alive (the
            // registry holds it during the poll) and owned by this thread.
            acquire_local(&unsafe { header(ptr) }.local);
            return TaskWaker::Task(TaskRef::from_raw(ptr));
        }
        TaskWaker::Other(waker.clone())
    }

    /// Whether waking `self` would wake the same thing as `waker`.
    pub(crate) fn will_wake(&self, waker: &Waker) -> bool {
        match self {
            TaskWaker::Task(t) => {
                std::ptr::eq(waker.vtable(), &WAKER_VTABLE)
                    && std::ptr::eq(waker.data(), t.ptr.as_ptr().cast_const().cast())
            }
            TaskWaker::Other(w) => w.will_wake(waker),
        }
    }

    /// Replaces the stored waker unless it already wakes the same thing.
    pub(crate) fn update(&mut self, waker: &Waker) {
        if !self.will_wake(waker) {
            *self = TaskWaker::new(waker);
        }
    }

    /// Wakes it.
    pub(crate) fn wake(self) {
        match self {
            TaskWaker::Task(t) => t.wake(),
            TaskWaker::Other(w) => w.wake(),
        }
    }
}

/// The task `waker` belongs to, if it is the task being polled on this thread right now.
fn own_task(waker: &Waker) -> Option<NonNull<Header>> {
    if !std::ptr::eq(waker.vtable(), &WAKER_VTABLE) {
        return None;
    }
    let current = CURRENT.with(Cell::get)?;
    std::ptr::eq(waker.data(), current.as_ptr().cast_const().cast()).then_some(current)
}

/// The id of the task `waker` wakes, if it is an asyncio-rs task's waker (a task awaiting a
/// `JoinHandle` leaves its own there): what the task dump's awaiter tree is built from.
pub(crate) fn task_id_of(waker: &Waker) -> Option<u64> {
    if !std::ptr::eq(waker.vtable(), &WAKER_VTABLE) {
        return None;
    }
    let ptr = NonNull::new(waker.data().cast_mut())?.cast::<Header>();
    // SAFETY: a task waker's data is its cell's header, kept alive by the reference the waker
    // owns; the id is written once, at spawn.
    Some(unsafe { header(ptr) }.local.id)
}
