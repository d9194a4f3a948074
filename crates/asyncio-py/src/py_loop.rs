//! [`Loop`]: one `asyncio::EventLoop` driving Python callbacks, and [`Remote`], its handle for
//! other threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

use crate::bound::{thread_token, ThreadToken};
use crate::handle::{Handle, LoopTimer, Scheduled, TimerHandle};

/// What the loop's callbacks share, from any thread.
pub(crate) struct Env {
    /// `weakref.ref` to the Python event loop (its exception handler takes the reports).
    owner: Py<PyAny>,
    /// A `BaseException` a callback raised: the run ends with it.
    fatal: Mutex<Option<PyErr>>,
    pub(crate) remote: asyncio::RemoteHandle,
    /// Debug mode: each callback is timed, and a slow one logged (asyncio's
    /// `slow_callback_duration`).
    debug: std::sync::atomic::AtomicBool,
}

impl Env {
    /// Ends the run with `e` (a `KeyboardInterrupt` or `SystemExit` from a callback): the
    /// first one is raised by `run_until_stopped`.
    pub(crate) fn set_fatal(&self, e: PyErr) {
        let mut fatal = self.fatal.lock().unwrap_or_else(|p| p.into_inner());
        fatal.get_or_insert(e);
        drop(fatal);
        self.remote.stop();
    }

    /// Takes the error that ended the run, if one did (see [`Env::set_fatal`]).
    fn take_fatal(&self) -> PyResult<()> {
        match self.fatal.lock().unwrap_or_else(|p| p.into_inner()).take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// asyncio's `call_soon_threadsafe`: a handle queued through the thread-safe queue (which
    /// wakes the loop if it sleeps).
    fn call_soon_threadsafe(
        this: &Arc<Self>,
        py: Python<'_>,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<Handle>> {
        let handle = Py::new(
            py,
            Loop::new_handle(py, this, callback, args, context, false)?,
        )?;
        let (env, h) = (this.clone(), handle.clone_ref(py));
        this.remote
            .call_soon_threadsafe(move || in_callback(|py| env.run(py, h.bind(py))))
            .map_err(|_| PyRuntimeError::new_err("Event loop is closed"))?;
        Ok(handle)
    }

    /// Runs `handle`; reports an `Exception` to the loop's exception handler, and stops the
    /// loop on a `BaseException` (re-raised by `run_until_stopped`).
    pub(crate) fn run(&self, py: Python<'_>, handle: &Bound<'_, Handle>) {
        if self.debug.load(std::sync::atomic::Ordering::Relaxed) {
            // Described before it runs: a one-shot handle gives up its callback as it runs.
            // A task's step is named by its task, described after the step, as asyncio's
            // `_format_handle` does (`Executing <Task finished name='Task-1' ...> took ...`).
            let task = step_of(handle);
            let what = match task {
                Some(_) => String::new(),
                None => handle.repr().map(|r| r.to_string()).unwrap_or_default(),
            };
            let start = monotonic();
            self.run_plain(py, handle);
            let described = || match &task {
                Some(t) => t.repr().map(|r| r.to_string()).unwrap_or_default(),
                None => what,
            };
            self.warn_if_slow(py, described, monotonic() - start);
            return;
        }
        self.run_plain(py, handle);
    }

    /// Runs `f`, which is not a handle (a transport's read or write step, say); in debug mode
    /// it is timed, and logged as `what()` if slow, as asyncio's loop times every handle.
    pub(crate) fn timed<R>(
        &self,
        py: Python<'_>,
        what: impl FnOnce() -> String,
        f: impl FnOnce() -> R,
    ) -> R {
        if !self.debug.load(std::sync::atomic::Ordering::Relaxed) {
            return f();
        }
        let start = monotonic();
        let r = f();
        self.warn_if_slow(py, what, monotonic() - start);
        r
    }

    /// Debug mode: logs a callback that ran `took` seconds or more than the loop's
    /// `slow_callback_duration`, as asyncio's loop does.
    fn warn_if_slow(&self, py: Python<'_>, what: impl FnOnce() -> String, took: f64) {
        let Ok(owner) = self.owner.bind(py).call0() else {
            return;
        };
        let slow = owner
            .getattr("slow_callback_duration")
            .and_then(|s| s.extract::<f64>())
            .unwrap_or(0.1);
        if took < slow {
            return;
        }
        if let Ok(logger) = py.import("asyncio.log").and_then(|m| m.getattr("logger")) {
            let _ =
                logger.call_method1("warning", ("Executing %s took %.3f seconds", what(), took));
        }
    }

    fn run_plain(&self, py: Python<'_>, handle: &Bound<'_, Handle>) {
        let outcome = Handle::run(handle, |ctx| {
            // The loop is looked up only when there is something to report.
            let owner = self.owner.bind(py).call0().ok();
            let Some(lp) = owner.as_ref().filter(|o| !o.is_none()) else {
                return;
            };
            if let Err(e) = lp.call_method1("call_exception_handler", (ctx,)) {
                // The handler itself failed: nothing else can take it.
                e.print(py);
            }
        });
        if let Err(e) = outcome {
            self.set_fatal(e);
        }
    }
}

/// The task whose step `handle` runs (its callback is a bound method of an `asyncio.Task`).
fn step_of<'py>(handle: &Bound<'py, Handle>) -> Option<Bound<'py, PyAny>> {
    let py = handle.py();
    let callback = handle.getattr("_callback").ok()?;
    let owner = callback.getattr("__self__").ok()?;
    let task = py.import("asyncio").ok()?.getattr("Task").ok()?;
    owner.is_instance(&task).ok()?.then_some(owner)
}

/// A handle's pointer to the [`Env`] of the loop it was scheduled on.
///
/// Followed only by [`EnvRef::run`], which the loop's core calls while it runs, inside
/// `Loop::run_until_stopped`: that method borrows the `Loop`, whose `Arc<Env>` this points
/// into, so the `Env` is alive. (A handle outliving its loop never runs through here.)
#[derive(Clone, Copy)]
pub(crate) struct EnvRef(*const Env);

// SAFETY: a plain pointer, followed only on the loop's thread while the loop runs (see above).
unsafe impl Send for EnvRef {}
// SAFETY: as above.
unsafe impl Sync for EnvRef {}

impl EnvRef {
    /// Runs `handle` on its loop's `Env`: only from a callback the loop runs (see the type).
    pub(crate) fn run(self, py: Python<'_>, handle: &Bound<'_, Handle>) {
        // SAFETY: the loop is running, so its `Env` is alive (see the type's comment).
        let env = unsafe { &*self.0 };
        env.run(py, handle);
    }
}

/// Runs `f` with the GIL token, inside one of the loop's callbacks (or a task it polls).
///
/// The core runs callbacks and tasks only inside `run_until_stopped`, a method called from
/// Python with the GIL held; the GIL is released only inside the wait hook, where nothing
/// runs. So the GIL is held here, and the token is taken without asking (no thread-local
/// lookup per callback, as `Python::attach` makes).
pub(crate) fn in_callback<R>(f: impl FnOnce(Python<'_>) -> R) -> R {
    // SAFETY: as above: every caller is a callback or task of a loop, run with the GIL held.
    f(unsafe { Python::assume_attached() })
}

/// The loop's time: `time.monotonic()`'s clock, in seconds.
fn monotonic() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: a valid out-parameter; CLOCK_MONOTONIC always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
}

/// `contextvars.copy_context()`.
fn copy_context(py: Python<'_>) -> PyResult<Py<PyAny>> {
    // SAFETY: the GIL is held; the call returns a new reference or NULL with an error set.
    unsafe {
        let ctx = pyo3::ffi::PyContext_CopyCurrent();
        Bound::from_owned_ptr_or_err(py, ctx).map(Bound::unbind)
    }
}

fn delay_of(seconds: f64) -> PyResult<Duration> {
    if seconds.is_nan() {
        return Err(PyValueError::new_err("delay is NaN"));
    }
    // Far enough to never come (asyncio accepts inf).
    Ok(Duration::from_secs_f64(seconds.clamp(0.0, 1e9)))
}

/// An asyncio-rs event loop for Python callbacks. Not thread-safe: its methods fail on any
/// thread but the one that made it (use [`Remote`] from other threads).
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct Loop {
    lp: OnItsThread,
    env: Arc<Env>,
    /// The handle of each descriptor's reader and writer: replaced or removed, it is
    /// cancelled (asyncio's `sock_recv` and friends check their handle before removing).
    watched: Mutex<HashMap<(i32, bool), Py<Handle>>>,
}

/// The loop, usable on the thread that made it only; dropped there, or leaked (with the
/// callbacks it still holds) if Python collects it on another thread.
struct OnItsThread {
    lp: std::mem::ManuallyDrop<asyncio::EventLoop>,
    /// A guest run's handle on the loop (`guest_begin` to `guest_end`).
    guest: std::mem::ManuallyDrop<std::cell::RefCell<Option<asyncio::guest::Guest>>>,
    thread: ThreadToken,
}

// SAFETY: the loop is only touched through `get`, which checks the thread, and dropped only on
// its own thread (see `Drop`).
unsafe impl Send for OnItsThread {}
// SAFETY: as above: no access from another thread reaches the loop.
unsafe impl Sync for OnItsThread {}

impl OnItsThread {
    fn get(&self) -> PyResult<&asyncio::EventLoop> {
        if thread_token() != self.thread {
            return Err(PyRuntimeError::new_err(
                "this event loop belongs to another thread (use call_soon_threadsafe)",
            ));
        }
        Ok(&self.lp)
    }

    fn guest(&self) -> PyResult<&std::cell::RefCell<Option<asyncio::guest::Guest>>> {
        self.get()?;
        Ok(&self.guest)
    }
}

impl Drop for OnItsThread {
    fn drop(&mut self) {
        if thread_token() == self.thread {
            // SAFETY: dropped once, on the loop's own thread (the guest run first: it holds
            // the loop).
            unsafe {
                std::mem::ManuallyDrop::drop(&mut self.guest);
                std::mem::ManuallyDrop::drop(&mut self.lp);
            }
        }
    }
}

impl std::fmt::Debug for Loop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Loop")
            .field("running", &self.lp.get().is_ok_and(|l| l.is_running()))
            .finish()
    }
}

impl Loop {
    /// The loop and what its callbacks share (on the loop's thread only).
    pub(crate) fn parts(&self) -> PyResult<(asyncio::EventLoop, Arc<Env>)> {
        Ok((self.lp.get()?.clone(), self.env.clone()))
    }

    fn check_open(&self) -> PyResult<()> {
        if self.lp.get()?.is_closed() {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        Ok(())
    }

    /// A handle (not yet a Python object): the callback in its context (the caller's, copied,
    /// unless one is given), on this loop.
    fn new_handle(
        py: Python<'_>,
        env: &Arc<Env>,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
        repeats: bool,
    ) -> PyResult<Handle> {
        let context = match context {
            Some(c) if !c.is_none(py) => c,
            _ => copy_context(py)?,
        };
        let env = EnvRef(Arc::as_ptr(env));
        Ok(Handle::new(callback, args, context, repeats, env))
    }

    /// `call_at`. From a thread that is not the loop's, with debug off (in debug mode the
    /// Python layer raises first, as CPython's loop does), the timer is armed by the loop's
    /// thread through the thread-safe queue, which also wakes the loop to see the new
    /// deadline: CPython's loop tolerates such calls, and programs make them.
    fn schedule_at(
        &self,
        py: Python<'_>,
        when: f64,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<TimerHandle>> {
        let here = self.lp.get().ok();
        if here.is_some_and(asyncio::EventLoop::is_closed) {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        // A NaN deadline fails here, in the caller's thread.
        let delay = delay_of(when - monotonic())?;
        let contents = Self::new_handle(py, &self.env, callback, args, context, false)?;
        let handle = Bound::new(py, TimerHandle::new(contents, when))?;
        let queued: Py<Handle> = handle.as_super().clone().unbind();
        if let Some(lp) = here {
            // Left out of the cycle collector, as `call_soon`'s handles are: the timer gives
            // its callback, arguments and context up when it runs, is cancelled, or is dropped
            // unrun by a closing loop (`Scheduled::drop_raw`), so no cycle through it outlives
            // its wheel entry. Tracked, every collection while 100 k timers wait walked them
            // all (a twentieth of `py-timers`' instructions).
            // SAFETY: the GIL is held (`py`); the object is alive (`handle` holds it);
            // untracking a tracked object only takes it off the collector's list.
            unsafe { pyo3::ffi::PyObject_GC_UnTrack(handle.as_ptr().cast()) };
            let timer = lp.call_later_raw(delay, Scheduled(queued));
            handle.get().set_timer(py, LoopTimer::new(timer));
            return Ok(handle.unbind());
        }
        let timer_handle = handle.clone().unbind();
        let arm = move || {
            in_callback(|py| {
                if queued.get().cancelled() {
                    return;
                }
                let delay = delay_of(when - monotonic()).unwrap_or(Duration::ZERO);
                let timer = asyncio::get_running_loop().call_later_raw(delay, Scheduled(queued));
                timer_handle.get().set_timer(py, LoopTimer::new(timer));
            })
        };
        self.env
            .remote
            .call_soon_threadsafe(arm)
            .map_err(|_| PyRuntimeError::new_err("Event loop is closed"))?;
        Ok(handle.unbind())
    }

    fn watch(
        &self,
        py: Python<'_>,
        fd: i32,
        write: bool,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
    ) -> PyResult<Py<Handle>> {
        self.check_open()?;
        let handle = Py::new(
            py,
            Self::new_handle(py, &self.env, callback, args, None, true)?,
        )?;
        let (env, h) = (self.env.clone(), handle.clone_ref(py));
        let lp = self.lp.get()?.clone();
        let on_ready = move || {
            in_callback(|py| {
                if h.get().cancelled() {
                    // A cancelled reader or writer stops being watched (asyncio's selector
                    // loop does the same when it meets one).
                    if write {
                        lp.remove_writer(fd);
                    } else {
                        lp.remove_reader(fd);
                    }
                    return;
                }
                env.run(py, h.bind(py));
            })
        };
        if write {
            self.lp.get()?.add_writer(fd, on_ready)?;
        } else {
            self.lp.get()?.add_reader(fd, on_ready)?;
        }
        let old = self
            .watched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((fd, write), handle.clone_ref(py));
        if let Some(old) = old {
            old.get().cancel(py);
        }
        Ok(handle)
    }

    fn unwatch(&self, py: Python<'_>, fd: i32, write: bool) -> PyResult<bool> {
        let lp = self.lp.get()?;
        let removed = if write {
            lp.remove_writer(fd)
        } else {
            lp.remove_reader(fd)
        };
        let old = self
            .watched
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&(fd, write));
        if let Some(old) = old {
            old.get().cancel(py);
        }
        Ok(removed)
    }
}

#[pymethods]
impl Loop {
    /// A new loop; `owner` is the Python event loop whose `call_exception_handler` takes the
    /// errors of callbacks.
    #[new]
    fn new(owner: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = owner.py();
        let lp = asyncio::EventLoop::builder()
            // I/O is checked on every iteration, as CPython's loop does: what became ready
            // runs in the same iteration it would there (a server accepts before its client
            // finishes connecting, say), whatever else keeps the loop busy.
            .io_check_interval(1)
            .build()?;
        let weak = py.import("weakref")?.getattr("ref")?.call1((owner,))?;
        let env = Arc::new(Env {
            owner: weak.unbind(),
            fatal: Mutex::new(None),
            remote: lp.remote(),
            debug: std::sync::atomic::AtomicBool::new(false),
        });
        Ok(Self {
            lp: OnItsThread {
                lp: std::mem::ManuallyDrop::new(lp),
                guest: Default::default(),
                thread: thread_token(),
            },
            env,
            watched: Mutex::new(HashMap::new()),
        })
    }

    /// The loop's time (`time.monotonic()`).
    fn time(&self) -> f64 {
        monotonic()
    }

    /// asyncio's `call_soon`.
    #[pyo3(signature = (callback, *args, context=None))]
    fn call_soon(
        &self,
        py: Python<'_>,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<Handle>> {
        // One thread check for the whole call (this is the hottest path). From another
        // thread (debug off: debug mode raises in Python first, as CPython's loop does), the
        // thread-safe path, which CPython's loop tolerates without it.
        let Ok(lp) = self.lp.get() else {
            return Env::call_soon_threadsafe(&self.env, py, callback, args, context);
        };
        if lp.is_closed() {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        let handle = Py::new(
            py,
            Self::new_handle(py, &self.env, callback, args, context, false)?,
        )?;
        // Left out of the cycle collector, as rloop's handles are: a `call_soon` handle runs
        // on the next iteration (or is cancelled, or dropped with the closing loop), and
        // gives its callback, arguments and context up then, so no cycle through it outlives
        // that. Tracked, a million queued handles made every full collection walk them all.
        // SAFETY: the GIL is held (`py`); the object is alive (`handle` holds it); untracking
        // a tracked object only takes it off the collector's list (pyo3's dealloc untracks
        // it again, which is a no-op then).
        unsafe { pyo3::ffi::PyObject_GC_UnTrack(handle.as_ptr().cast()) };
        lp.call_soon_raw(Scheduled(handle.clone_ref(py)));
        Ok(handle)
    }

    /// asyncio's `call_later`.
    #[pyo3(signature = (delay, callback, *args, context=None))]
    fn call_later(
        &self,
        py: Python<'_>,
        delay: f64,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<TimerHandle>> {
        let when = monotonic() + delay;
        self.schedule_at(py, when, callback, args, context)
    }

    /// asyncio's `call_at`.
    #[pyo3(signature = (when, callback, *args, context=None))]
    fn call_at(
        &self,
        py: Python<'_>,
        when: f64,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<TimerHandle>> {
        self.schedule_at(py, when, callback, args, context)
    }

    /// Calls `callback(*args)` whenever `fd` is readable, until `remove_reader(fd)`.
    #[pyo3(signature = (fd, callback, *args))]
    fn add_reader(
        &self,
        py: Python<'_>,
        fd: i32,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
    ) -> PyResult<Py<Handle>> {
        self.watch(py, fd, false, callback, args)
    }

    /// Calls `callback(*args)` whenever `fd` is writable, until `remove_writer(fd)`.
    #[pyo3(signature = (fd, callback, *args))]
    fn add_writer(
        &self,
        py: Python<'_>,
        fd: i32,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
    ) -> PyResult<Py<Handle>> {
        self.watch(py, fd, true, callback, args)
    }

    /// Stops watching `fd` for reading (its handle is cancelled); returns whether it was.
    fn remove_reader(&self, py: Python<'_>, fd: i32) -> PyResult<bool> {
        self.unwatch(py, fd, false)
    }

    /// Stops watching `fd` for writing (its handle is cancelled); returns whether it was.
    fn remove_writer(&self, py: Python<'_>, fd: i32) -> PyResult<bool> {
        self.unwatch(py, fd, true)
    }

    /// Runs the loop until `stop()`, with the GIL released while it waits. A `BaseException`
    /// from a callback (`KeyboardInterrupt`, `SystemExit`) ends the run and is raised here.
    fn run_until_stopped(&self, py: Python<'_>) -> PyResult<()> {
        self.check_open()?;
        if self.lp.get()?.is_running() {
            return Err(PyRuntimeError::new_err(
                "This event loop is already running",
            ));
        }
        let env = self.env.clone();
        self.lp
            .get()?
            .set_wait_hook(Some(std::rc::Rc::new(move |wait: &mut dyn FnMut()| {
                // SAFETY: this thread holds the GIL (the loop runs inside this method, called
                // from Python); nothing touches Python objects until it is taken back.
                let state = unsafe { pyo3::ffi::PyEval_SaveThread() };
                wait();
                // SAFETY: `state` is this thread's, saved just above.
                unsafe { pyo3::ffi::PyEval_RestoreThread(state) };
                // A signal that came during the wait runs its Python handler now (Ctrl-C's
                // raises KeyboardInterrupt), as it would after CPython's own loop's select().
                // SAFETY: the GIL is held again.
                if unsafe { pyo3::ffi::PyErr_CheckSignals() } != 0 {
                    Python::attach(|py| env.set_fatal(PyErr::fetch(py)));
                }
            })));
        self.lp.get()?.run_forever();
        self.lp.get()?.set_wait_hook(None);
        let _ = py;
        self.env.take_fatal()
    }

    /// Starts a guest run on this thread (see `asyncio_rs.guest`): the loop counts as running
    /// until `guest_end`. Returns the descriptor the host watches for readability (valid
    /// until `guest_end`). `step_budget`: seconds of callbacks one step may run before it
    /// returns (the rest of the batch runs first in the next step); `None`, no limit.
    #[pyo3(signature = (step_budget))]
    fn guest_begin(&self, step_budget: Option<f64>) -> PyResult<i32> {
        let budget = step_budget.map(delay_of).transpose()?;
        self.check_open()?;
        let lp = self.lp.get()?;
        if lp.is_running() {
            return Err(PyRuntimeError::new_err(
                "This event loop is already running",
            ));
        }
        if asyncio::try_get_running_loop().is_some() {
            return Err(PyRuntimeError::new_err(
                "another asyncio-rs loop is running on this thread",
            ));
        }
        let guest = asyncio::guest::Guest::begin(lp);
        guest.set_step_budget(budget);
        let fd = std::os::fd::AsRawFd::as_raw_fd(&guest.fd());
        *self.lp.guest()?.borrow_mut() = Some(guest);
        Ok(fd)
    }

    /// One step of a guest run: runs what is ready now, never waiting. A `BaseException` from
    /// a callback (`KeyboardInterrupt`, `SystemExit`) is raised here. Returns whether `stop()`
    /// was called (the run should end).
    fn guest_step(&self, py: Python<'_>) -> PyResult<bool> {
        let stop = {
            let cell = self.lp.guest()?;
            let guest = cell.borrow();
            let guest = guest
                .as_ref()
                .ok_or_else(|| PyRuntimeError::new_err("no guest run on this loop"))?;
            guest.step();
            guest.stop_requested()
        };
        let _ = py;
        self.env.take_fatal().map(|()| stop)
    }

    /// Seconds until the host should step at the latest (0 when work is ready), or `None`
    /// when only I/O or another thread can bring work. The descriptor covers timers too.
    fn guest_timeout(&self) -> PyResult<Option<f64>> {
        let cell = self.lp.guest()?;
        let guest = cell.borrow();
        Ok(guest
            .as_ref()
            .and_then(|g| g.timeout())
            .map(|d| d.as_secs_f64()))
    }

    /// Ends the guest run (its descriptor is closed); the loop's tasks stay.
    fn guest_end(&self) -> PyResult<()> {
        let guest = self.lp.guest()?.borrow_mut().take();
        drop(guest);
        Ok(())
    }

    /// Ends `run_until_stopped` after the callbacks already due.
    fn stop(&self) -> PyResult<()> {
        self.lp.get()?.stop();
        Ok(())
    }

    fn is_running(&self) -> PyResult<bool> {
        Ok(self.lp.get()?.is_running())
    }

    fn is_closed(&self) -> PyResult<bool> {
        Ok(self.lp.get()?.is_closed())
    }

    /// Closes the loop: callbacks not run yet are dropped. On another thread (the garbage
    /// collector finalizing a forgotten loop) nothing can be done: the loop is left as it is.
    fn close(&self) -> PyResult<()> {
        let Ok(lp) = self.lp.get() else {
            return Ok(());
        };
        if lp.is_running() {
            return Err(PyRuntimeError::new_err("Cannot close a running event loop"));
        }
        lp.close();
        Ok(())
    }

    /// Debug mode on or off: on, each callback is timed and a slow one logged.
    fn set_debug(&self, enabled: bool) {
        self.env
            .debug
            .store(enabled, std::sync::atomic::Ordering::Relaxed);
    }

    /// The handle other threads use.
    fn remote(&self) -> Remote {
        Remote {
            env: self.env.clone(),
        }
    }

    /// Descriptors registered with the reactor (for leak checks).
    fn _io_sources(&self) -> PyResult<usize> {
        Ok(self.lp.get()?.io_source_count())
    }

    /// The loop's figures now, as a dict (`EventLoop.metrics()`): the Rust loop's
    /// `LoopMetrics`, durations in seconds.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        metrics_dict(py, &self.lp.get()?.metrics())
    }
}

/// `LoopMetrics` as a dict (durations in seconds).
fn metrics_dict<'py>(
    py: Python<'py>,
    m: &asyncio::event_loop::LoopMetrics,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let d = pyo3::types::PyDict::new(py);
    d.set_item("tasks_alive", m.tasks_alive)?;
    d.set_item("tasks_spawned", m.tasks_spawned)?;
    d.set_item("polls", m.polls)?;
    d.set_item("callbacks", m.callbacks)?;
    d.set_item("iterations", m.iterations)?;
    d.set_item("busy", m.busy.as_secs_f64())?;
    d.set_item("idle", m.idle.as_secs_f64())?;
    d.set_item("ready_depth", m.ready_depth)?;
    d.set_item("remote_depth", m.remote_depth)?;
    d.set_item("timers_armed", m.timers_armed)?;
    d.set_item("io_sources", m.io_sources)?;
    d.set_item("blocking_threads", m.blocking_threads)?;
    d.set_item("blocking_queue", m.blocking_queue)?;
    d.set_item("timer_batches", m.timer_batches)?;
    d.set_item("timer_lateness_mean", m.timer_lateness_mean().as_secs_f64())?;
    d.set_item("timer_lateness_max", m.timer_lateness_max.as_secs_f64())?;
    Ok(d)
}

/// Reaches a [`Loop`] from any thread.
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct Remote {
    env: Arc<Env>,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").finish()
    }
}

#[pymethods]
impl Remote {
    /// The loop's figures as it last published them, from any thread (`metrics()`'s dict).
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        metrics_dict(py, &self.env.remote.metrics())
    }

    /// asyncio's `call_soon_threadsafe`: wakes the loop if it sleeps.
    #[pyo3(signature = (callback, *args, context=None))]
    fn call_soon_threadsafe(
        &self,
        py: Python<'_>,
        callback: Py<PyAny>,
        args: Py<PyTuple>,
        context: Option<Py<PyAny>>,
    ) -> PyResult<Py<Handle>> {
        Env::call_soon_threadsafe(&self.env, py, callback, args, context)
    }

    /// Asks the loop to stop, from any thread.
    fn stop(&self) {
        self.env.remote.stop();
    }
}
