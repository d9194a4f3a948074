//! The typed part of the cell: the future/output stage, allocation, and the vtable that reaches
//! them through an untyped header pointer.

use std::any::Any;
use std::borrow::Cow;
use std::cell::{Cell, UnsafeCell};
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, AtomicU8};
use std::task::{Context, Poll};

use super::SharedRc;
use super::{
    header, Extra, Header, Local, TaskRef, DETACHED, ENDED_CANCELLED, ENDED_PANICKED, FUTURE_GONE,
    LOCAL_NOTIFIED, OUTPUT_GONE,
};
use crate::runtime::task::TaskError;

pub(crate) struct Vtable {
    /// Polls the future (or acts on a cancellation request). Returns true when the task ended.
    pub(super) poll: unsafe fn(NonNull<Header>, &mut Context<'_>) -> bool,
    /// Drops the future without polling it, ending the task as cancelled.
    pub(super) cancel: unsafe fn(NonNull<Header>),
    /// Moves the stored output into `*mut Option<Result<F::Output, TaskError>>`.
    take_output: unsafe fn(NonNull<Header>, *mut ()),
    /// Drops a stored output.
    pub(super) drop_output: unsafe fn(NonNull<Header>),
    /// Frees the cell.
    pub(super) dealloc: unsafe fn(NonNull<Header>),
}

/// The future until the task ends, then its output until it is taken. Which one is there is
/// told by the header's flags (`FUTURE_GONE`, `OUTPUT_GONE`), so the stage needs no tag of its
/// own: a tag word made a small task's cell a malloc size class larger.
union Stage<F: Future> {
    future: ManuallyDrop<F>,
    output: ManuallyDrop<Result<F::Output, TaskError>>,
}

#[repr(C)]
struct Cell_<F: Future> {
    header: Header,
    stage: UnsafeCell<Stage<F>>,
}

/// Allocates a task for `future` and returns the registry's reference, the typed handle, and
/// the first (local) queue entry.
pub(crate) fn allocate<F>(
    future: F,
    shared: SharedRc,
    id: u64,
    location: &'static Location<'static>,
    name: Option<Cow<'static, str>>,
) -> (TaskRef, OutputRef<F::Output>, super::Notified)
where
    F: Future + 'static,
    F::Output: 'static,
{
    let console = crate::runtime::console::TaskSpan::new("task", id, name.as_deref(), location);
    let extra = name.map(|name| {
        Box::new(Extra {
            name: Some(name),
            ..Extra::default()
        })
    });
    // Allocated first and then filled: `Box::new(value)` builds the cell on the stack around
    // the call to the allocator and copies it in with wide loads of narrow stores (failed
    // store-to-load forwards, the larger part of a spawn's own time).
    let mut cell = Box::<Cell_<F>>::new_uninit();
    cell.write(Cell_ {
        header: Header {
            vtable: vtable::<F>(),
            shared: ManuallyDrop::new(shared),
            local: Local {
                state: AtomicU8::new(0),
                refs: AtomicU32::new(1),
                local_refs: Cell::new(2),
                flags: Cell::new(LOCAL_NOTIFIED),
                id,
                awaiter: Cell::new(None),
                location,
                extra: Cell::new(extra),
                prev: Cell::new(None),
                next: Cell::new(None),
                console,
            },
        },
        stage: UnsafeCell::new(Stage {
            future: ManuallyDrop::new(future),
        }),
    });
    // SAFETY: written just above.
    let cell = unsafe { cell.assume_init() };
    let ptr = NonNull::from(Box::leak(cell)).cast::<Header>();
    let output = OutputRef {
        task: crate::runtime::task::Task {
            raw: TaskRef::from_raw(ptr),
        },
        _output: PhantomData,
    };
    (TaskRef::from_raw(ptr), output, super::Notified::local(ptr))
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

/// Replaces the running future by `outcome`, dropping the future first. A panic while dropping
/// the future turns the outcome into that panic.
///
/// # Safety
/// The stage holds the future (`FUTURE_GONE` is clear); owner thread, not being polled.
unsafe fn finish<F: Future>(
    stage: &mut Stage<F>,
    local: &Local,
    outcome: Result<F::Output, TaskError>,
) {
    // Nothing counts as stored while the future drops: a panic in its destructor must not lead
    // to a second drop.
    local.set(FUTURE_GONE | OUTPUT_GONE);
    // SAFETY: the caller guarantees the future is there; the flags set above say it is gone,
    // so it is dropped exactly once.
    let dropped = catch_unwind(AssertUnwindSafe(|| unsafe {
        ManuallyDrop::drop(&mut stage.future)
    }));
    let outcome = match dropped {
        Ok(()) => outcome,
        Err(payload) => Err(TaskError::panicked(panic_message(&*payload))),
    };
    if let Err(e) = &outcome {
        if e.is_cancelled() {
            local.set(ENDED_CANCELLED);
        } else {
            local.set(ENDED_PANICKED);
            let message: Box<str> = e.panic_message().unwrap_or_default().into();
            local.with_extra(|x| x.panic_message = Some(message));
        }
    }
    if local.has(DETACHED) {
        // A panic in the output's destructor must not escape into the loop.
        let _ = catch_unwind(AssertUnwindSafe(|| drop(outcome)));
    } else {
        stage.output = ManuallyDrop::new(outcome);
        local.clear(OUTPUT_GONE);
    }
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, not complete, not being polled.
unsafe fn poll_future<F: Future>(ptr: NonNull<Header>, cx: &mut Context<'_>) -> bool {
    // SAFETY: guaranteed by the caller.
    let local = unsafe { &header(ptr).local };
    // SAFETY: guaranteed by the caller.
    let stage = unsafe { stage::<F>(ptr) };
    assert!(!local.has(FUTURE_GONE), "a task was polled after it ended");
    if local.has(super::CANCEL_REQUESTED) {
        // SAFETY: the future is there (checked above); the caller guarantees the rest.
        unsafe { finish(stage, local, Err(TaskError::cancelled())) };
        return true;
    }
    // SAFETY: the future is there (checked above). It lives inside the heap cell and is never
    // moved until it is dropped in place (by `finish` or `dealloc`).
    let future = unsafe { Pin::new_unchecked(&mut *stage.future) };
    match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
        Ok(Poll::Pending) => false,
        Ok(Poll::Ready(output)) => {
            if local.has(super::CANCEL_REQUESTED) {
                // The task asked for its own cancellation during this poll and then returned:
                // asyncio ends such a task cancelled, its result discarded.
                // SAFETY: the future is still there (a poll does not drop it).
                unsafe { finish(stage, local, Err(TaskError::cancelled())) };
                // A panic in the output's destructor must not escape into the loop.
                let _ = catch_unwind(AssertUnwindSafe(|| drop(output)));
            } else {
                // SAFETY: as above.
                unsafe { finish(stage, local, Ok(output)) };
            }
            true
        }
        Err(payload) => {
            let message = panic_message(&*payload);
            // SAFETY: as above: a panicking poll leaves the future in place.
            unsafe { finish(stage, local, Err(TaskError::panicked(message))) };
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
    if !local.has(FUTURE_GONE) {
        // SAFETY: the future is there; the caller guarantees the rest.
        unsafe { finish(stage, local, Err(TaskError::cancelled())) };
    }
}

/// Whether the stage holds an output (the future ended and the output was neither taken nor
/// dropped).
fn has_output(local: &Local) -> bool {
    local.has(FUTURE_GONE) && !local.has(OUTPUT_GONE)
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, with no borrow of the stage, and `out` points
/// to a valid `Option<Result<F::Output, TaskError>>`.
unsafe fn take_output<F: Future>(ptr: NonNull<Header>, out: *mut ()) {
    // SAFETY: guaranteed by the caller.
    let local = unsafe { &header(ptr).local };
    if has_output(local) {
        local.set(OUTPUT_GONE);
        // SAFETY: guaranteed by the caller; the output is there (checked above) and now
        // marked gone, so it is moved out exactly once.
        unsafe {
            let output = ManuallyDrop::take(&mut stage::<F>(ptr).output);
            *out.cast::<Option<Result<F::Output, TaskError>>>() = Some(output);
        }
    }
}

/// # Safety
/// `ptr` is a live `Cell_<F>` on its owner thread, with no borrow of the stage.
unsafe fn drop_output<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: guaranteed by the caller.
    let local = unsafe { &header(ptr).local };
    if has_output(local) {
        local.set(OUTPUT_GONE);
        // SAFETY: the output is there (checked above) and now marked gone: dropped once.
        let output = unsafe { ManuallyDrop::take(&mut stage::<F>(ptr).output) };
        let _ = catch_unwind(AssertUnwindSafe(|| drop(output)));
    }
}

/// # Safety
/// `ptr` is a `Cell_<F>` whose last reference was just released and whose `shared` field was
/// taken out. A future or output still in the stage is dropped, so the caller is on the owner
/// thread unless the stage is empty (see the module docs).
unsafe fn dealloc<F: Future>(ptr: NonNull<Header>) {
    // SAFETY: no reference remains, so nothing else reads the cell.
    let local = unsafe { &header(ptr).local };
    // SAFETY: as above; the flags say which part of the stage is there, if any.
    unsafe {
        let stage = stage::<F>(ptr);
        if !local.has(FUTURE_GONE) {
            ManuallyDrop::drop(&mut stage.future);
        } else if !local.has(OUTPUT_GONE) {
            ManuallyDrop::drop(&mut stage.output);
        }
    }
    // SAFETY: the cell was allocated by `allocate` as a `Box<Cell_<F>>` and no reference
    // remains; the stage's contents were dropped above and the stage itself has no drop glue.
    drop(unsafe { Box::from_raw(ptr.cast::<Cell_<F>>().as_ptr()) });
}

/// A task reference that knows the task's output type, so taking the output is safe. Only
/// [`allocate`] makes one.
pub(crate) struct OutputRef<T> {
    pub(crate) task: crate::runtime::task::Task,
    _output: PhantomData<fn() -> T>,
}

impl<T> OutputRef<T> {
    /// Takes the output if the task has ended and it is still there.
    pub(crate) fn take(&self) -> Option<Result<T, TaskError>> {
        let raw = &self.task.raw;
        if !raw.is_complete() || raw.local().has(OUTPUT_GONE) {
            return None;
        }
        let mut slot: Option<Result<T, TaskError>> = None;
        // SAFETY: `allocate` made this `OutputRef<F::Output>` for a `Cell_<F>`, so the vtable
        // writes an `Option<Result<T, TaskError>>`; owner thread (OutputRef is `!Send`), no
        // borrow of the stage outstanding.
        unsafe { (raw.header().vtable.take_output)(raw.ptr, (&mut slot as *mut Option<_>).cast()) };
        slot
    }
}
