//! [`Handle`]: a scheduled Python callback (asyncio's `Handle`), and [`TimerHandle`], its
//! subclass for timers (as asyncio's), which alone carries a due time and a wheel entry: a
//! plain handle stays small, since a million of them may wait in the ready queue.

use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, Ordering};

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::bound::{thread_token, GilCell, ThreadToken};
use crate::py_loop::{in_callback, EnvRef};

/// The callback, its arguments and its context; `None` once cancelled (the references go
/// at once, as asyncio's do).
struct Call {
    callback: Py<PyAny>,
    args: Py<PyTuple>,
    context: Py<PyAny>,
    /// Debug mode: where the handle was made (asyncio's `_source_traceback`, a
    /// `traceback.StackSummary`), for the exception handler's context.
    source_traceback: Option<Py<PyAny>>,
}

/// A scheduled callback. `cancel()` stops it from running (from any thread).
#[pyclass(frozen, subclass, weakref, module = "asyncio_rs._core")]
pub struct Handle {
    call: GilCell<Option<Call>>,
    cancelled: AtomicBool,
    /// Whether the handle repeats (readers and writers): it is not spent by running.
    repeats: bool,
    /// The loop that runs it (see [`Scheduled`]).
    env: EnvRef,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("cancelled", &self.cancelled.load(Ordering::Relaxed))
            .finish()
    }
}

/// A scheduled timer (asyncio's `TimerHandle`, a `Handle`): `when()` is its loop time, and
/// `cancel()` also takes it out of the loop's wheel.
#[pyclass(frozen, extends = Handle, module = "asyncio_rs._core")]
pub struct TimerHandle {
    /// The due time (loop time, seconds).
    when: f64,
    /// The timer's entry in the loop's wheel, taken out on `cancel()`.
    timer: GilCell<Option<LoopTimer>>,
}

impl std::fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .finish()
    }
}

/// A timer of the loop, usable only on the loop's thread: cancelled there, and leaked rather
/// than dropped anywhere else (its parts are the loop's, not thread-safe).
pub(crate) struct LoopTimer {
    inner: ManuallyDrop<asyncio::event_loop::RawTimer>,
    thread: ThreadToken,
}

impl LoopTimer {
    pub(crate) fn new(inner: asyncio::event_loop::RawTimer) -> Self {
        Self {
            inner: ManuallyDrop::new(inner),
            thread: thread_token(),
        }
    }
}

// SAFETY: the timer handle is only used (cancelled, dropped) on the thread that made it, the
// loop's; on any other thread it is left alone and leaked (see `Drop`).
unsafe impl Send for LoopTimer {}

impl Drop for LoopTimer {
    fn drop(&mut self) {
        if thread_token() == self.thread {
            // SAFETY: dropped once, here, on the thread that owns it.
            unsafe { ManuallyDrop::drop(&mut self.inner) };
        }
    }
}

impl Handle {
    pub(crate) fn new(
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Py<PyAny>,
        repeats: bool,
        env: EnvRef,
    ) -> Self {
        Self {
            call: GilCell::new(Some(Call {
                callback,
                args,
                context,
                source_traceback: None,
            })),
            cancelled: AtomicBool::new(false),
            repeats,
            env,
        }
    }

    /// Marks the handle cancelled and lets its references go; whether it was not already.
    fn cancel_call(&self, py: Python<'_>) -> bool {
        if self.cancelled.swap(true, Ordering::AcqRel) {
            return false;
        }
        let call = self.call.take(py);
        drop(call);
        true
    }

    /// The repr asyncio gives: `<Handle cancelled callback(args)>`, with `when=` for a timer.
    fn repr_as(&self, py: Python<'_>, kind: &str, when: Option<f64>) -> String {
        let state = if self.cancelled() { " cancelled" } else { "" };
        let when = when.map(|w| format!(" when={w}")).unwrap_or_default();
        match self.parts(py) {
            Some((cb, args, _)) => format!(
                "<{kind}{state}{when} {}>",
                describe(cb.bind(py), args.bind(py))
            ),
            None => format!("<{kind}{state}{when}>"),
        }
    }

    fn parts(&self, py: Python<'_>) -> Option<(Py<PyAny>, Py<PyTuple>, Py<PyAny>)> {
        let call = self.call.borrow(py);
        call.as_ref().map(|c| {
            (
                c.callback.clone_ref(py),
                c.args.clone_ref(py),
                c.context.clone_ref(py),
            )
        })
    }

    /// Runs the callback in its context, unless cancelled. An `Exception` goes to `report`
    /// (the loop's exception handler); a `BaseException` (`KeyboardInterrupt`, `SystemExit`)
    /// is returned, to end the run with it.
    pub(crate) fn run(
        slf: &Bound<'_, Self>,
        report: impl FnOnce(Bound<'_, PyDict>),
    ) -> Result<(), PyErr> {
        let py = slf.py();
        let this = slf.get();
        if this.cancelled.load(Ordering::Acquire) {
            return Ok(());
        }
        // A one-shot handle gives its references up as it runs (as asyncio's does after);
        // a reader's or writer's keeps them for the next time.
        let parts = if this.repeats {
            let call = this.call.borrow(py);
            call.as_ref().map(|c| {
                (
                    c.callback.clone_ref(py),
                    c.args.clone_ref(py),
                    c.context.clone_ref(py),
                    c.source_traceback.as_ref().map(|t| t.clone_ref(py)),
                )
            })
        } else {
            this.call
                .take(py)
                .map(|c| (c.callback, c.args, c.context, c.source_traceback))
        };
        let Some((callback, args, context, source_traceback)) = parts else {
            return Ok(());
        };
        // Bound: their references go straight back, with no check for the GIL.
        let (callback, args, context) = (
            callback.into_bound(py),
            args.into_bound(py),
            context.into_bound(py),
        );
        let result = run_in_context(py, &context, &callback, &args);
        match result {
            Ok(()) => Ok(()),
            Err(e) if e.is_instance_of::<PyException>(py) => {
                let ctx = PyDict::new(py);
                let message = format!("Exception in callback {}", describe(&callback, &args));
                let _ = ctx.set_item("message", message);
                let _ = ctx.set_item("exception", e.value(py));
                let _ = ctx.set_item("handle", slf);
                if let Some(tb) = source_traceback {
                    let _ = ctx.set_item("source_traceback", tb);
                }
                report(ctx);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// `callback(*args)` inside `context` (what `Context.run` does).
fn run_in_context(
    py: Python<'_>,
    context: &Bound<'_, PyAny>,
    callback: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
) -> PyResult<()> {
    // SAFETY: the GIL is held (`py`); `context` is a live `contextvars.Context` (checked by
    // `PyContext_Enter`, which fails with a Python error otherwise).
    if unsafe { pyo3::ffi::PyContext_Enter(context.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    let result = if args.is_empty() {
        callback.call0()
    } else {
        callback.call1(args)
    }
    .map(drop);
    // SAFETY: as above; the context was entered just before.
    if unsafe { pyo3::ffi::PyContext_Exit(context.as_ptr()) } != 0 {
        return Err(PyErr::fetch(py));
    }
    result
}

/// `callback(args)` as asyncio writes a callback in messages.
fn describe(callback: &Bound<'_, PyAny>, args: &Bound<'_, PyTuple>) -> String {
    let name = callback
        .getattr("__qualname__")
        .and_then(|n| n.extract::<String>())
        .or_else(|_| callback.repr().map(|r| r.to_string()))
        .unwrap_or_else(|_| "<callback>".to_owned());
    let args: Vec<String> = args
        .iter()
        .map(|a| a.repr().map_or_else(|_| "?".to_owned(), |r| r.to_string()))
        .collect();
    format!("{name}({})", args.join(", "))
}

#[pymethods]
impl Handle {
    /// Stops the callback from running; its references are released at once.
    pub(crate) fn cancel(&self, py: Python<'_>) {
        self.cancel_call(py);
    }

    pub(crate) fn cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// The callback (asyncio's `_callback`; `None` once a one-shot handle ran or was
    /// cancelled). asyncio's slow-callback warning looks at it to name a task.
    #[getter]
    fn _callback(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.parts(py).map(|(c, _, _)| c)
    }

    /// Debug mode: where the handle was made (asyncio's `_source_traceback`).
    #[getter]
    fn _source_traceback(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        let call = self.call.borrow(py);
        call.as_ref()
            .and_then(|c| c.source_traceback.as_ref().map(|t| t.clone_ref(py)))
    }

    /// Records where the handle was made (the loop does this in debug mode).
    fn _set_source_traceback(&self, py: Python<'_>, stack: Py<PyAny>) {
        // Out of the cell and back: a replaced stack is dropped outside it.
        let mut call = self.call.replace(py, None);
        let old = call
            .as_mut()
            .and_then(|c| c.source_traceback.replace(stack));
        drop(self.call.replace(py, call));
        drop(old);
    }

    /// The `contextvars.Context` the callback runs in.
    fn get_context(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.parts(py).map(|(_, _, c)| c)
    }

    /// Runs the callback now (as asyncio's `Handle._run`), reporting an exception to
    /// `handler(context)`.
    fn _run(slf: &Bound<'_, Self>, handler: Option<Bound<'_, PyAny>>) -> PyResult<()> {
        Handle::run(slf, |ctx| {
            if let Some(h) = handler {
                let _ = h.call1((ctx,));
            }
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        self.repr_as(py, "Handle", None)
    }
}

impl TimerHandle {
    /// A timer handle for `handle`, due at `when`; its wheel entry is set once scheduled.
    pub(crate) fn new(handle: Handle, when: f64) -> PyClassInitializer<Self> {
        PyClassInitializer::from(handle).add_subclass(Self {
            when,
            timer: GilCell::new(None),
        })
    }

    pub(crate) fn set_timer(&self, py: Python<'_>, timer: LoopTimer) {
        let old = self.timer.replace(py, Some(timer));
        drop(old);
    }
}

#[pymethods]
impl TimerHandle {
    /// Stops the callback from running and takes the timer out of the wheel (on the loop's
    /// thread; elsewhere it stays there, spent, until due).
    fn cancel(slf: &Bound<'_, Self>) {
        let py = slf.py();
        if !slf.as_super().get().cancel_call(py) {
            return;
        }
        let timer = slf.get().timer.take(py);
        if let Some(t) = timer {
            if thread_token() == t.thread {
                // Drops the wheel's reference to this handle.
                t.inner.cancel();
            }
        }
    }

    /// The due time, in the loop's time.
    fn when(&self) -> f64 {
        self.when
    }

    fn __repr__(slf: &Bound<'_, Self>) -> String {
        slf.as_super()
            .get()
            .repr_as(slf.py(), "TimerHandle", Some(slf.get().when))
    }

    fn __lt__(&self, other: &TimerHandle) -> bool {
        self.when < other.when
    }
}

/// A handle in the loop's ready queue or timer wheel, as one owned reference: scheduling it
/// allocates nothing on the Rust side.
pub(crate) struct Scheduled(pub(crate) Py<Handle>);

// SAFETY: `into_raw` gives the reference up as its pointer; `run_raw` and `drop_raw` take that
// same reference back (the loop calls one of them once).
unsafe impl asyncio::event_loop::RawCallback for Scheduled {
    fn into_raw(self) -> NonNull<()> {
        NonNull::new(self.0.into_ptr().cast()).expect("a Python object is never NULL")
    }

    unsafe fn run_raw(ptr: NonNull<()>) {
        in_callback(|py| {
            // SAFETY: the trait's contract: an owned reference to a `Handle`, taken back once.
            let handle = unsafe { Bound::from_owned_ptr(py, ptr.as_ptr().cast()) };
            // SAFETY: as above, the object is a `Handle` (`Scheduled` holds nothing else).
            let handle = unsafe { handle.cast_into_unchecked::<Handle>() };
            handle.get().env.run(py, &handle);
        })
    }

    unsafe fn drop_raw(ptr: NonNull<()>) {
        // The loop is closed or the timer cancelled: from Python, with the GIL, so attaching
        // only looks. Where Python cannot be reached (the interpreter is finalizing and this
        // thread is not attached), the reference is left: leaked, never a panic in a drop.
        let _ = Python::try_attach(|py| {
            // SAFETY: as in `run_raw`.
            let handle = unsafe { Bound::<PyAny>::from_owned_ptr(py, ptr.as_ptr().cast()) };
            // SAFETY: as in `run_raw`, the object is a `Handle`.
            let handle = unsafe { handle.cast_into_unchecked::<Handle>() };
            // Unrun: its references go now. The collector does not see queued handles
            // (untracked), so a cycle through one must not outlive its turn.
            let call = handle.get().call.take(py);
            drop(call);
            drop(handle);
        });
    }
}
