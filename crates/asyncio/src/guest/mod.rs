//! Guest mode: an [`EventLoop`] driven by another event loop, the host (a GUI toolkit's: glib,
//! Tk, Qt, winit), on the host's thread, without a second thread.
//!
//! The host owns the thread and waits; the guest loop only runs when the host calls it. The
//! contract is three calls:
//!
//! - [`Guest::fd`]: a descriptor the host watches for readability. It turns readable whenever
//!   the loop has something to do: I/O is ready, another thread queued work
//!   (`call_soon_threadsafe`, a finished pool job, a wake-up), the next timer is due (a timerfd
//!   armed after each step, so timers keep the kernel's precision rather than the host's), or
//!   host code scheduled work between two steps.
//! - [`Guest::step`]: runs what is ready now, as iterations of a hosted run do, and never
//!   blocks. A step goes on while work is ready for up to 4 ms, then hands the thread back
//!   (the rest runs first in the next step; [`Guest::set_step_budget`]), and the host gets its
//!   own events in before the next step, so a busy loop cannot freeze the GUI.
//! - [`Guest::timeout`]: when the host should call [`Guest::step`] at the latest, for hosts
//!   that would rather keep a timer as well (the descriptor already covers it on Linux).
//!
//! On top, [`EventLoop::start_guest`] is the guest twin of `run_until_complete`, and [`start`]
//! the twin of [`asyncio::run`](crate::run) (a new loop, Ctrl-C as in a hosted run, the
//! remaining tasks cancelled and the loop closed at the end): both return at once, and report
//! the outcome through a callback. The `glib` module (feature `glib`) attaches a run to a glib
//! `MainContext` in one call. See `docs/guest.md`.
//!
//! During a guest run the loop is the thread's running loop, also while the host runs: a host
//! callback may [`spawn`](crate::spawn) or [`get_running_loop`](crate::get_running_loop), and
//! the work it schedules wakes the host.
//!
//! ```
//! use std::cell::Cell;
//! use std::rc::Rc;
//! use std::time::Duration;
//!
//! let event_loop = asyncio::EventLoop::new();
//! let result = Rc::new(Cell::new(0));
//! let r = result.clone();
//! let run = event_loop.start_guest(
//!     async {
//!         asyncio::time::sleep(Duration::from_millis(5)).await;
//!         42
//!     },
//!     move |outcome| r.set(outcome.unwrap()),
//! );
//! // A host of the simplest kind: wait for the descriptor, then step.
//! while !run.is_done() {
//!     let mut pfd = libc::pollfd { fd: std::os::fd::AsRawFd::as_raw_fd(&run.fd()), events: libc::POLLIN, revents: 0 };
//!     // SAFETY: one valid pollfd.
//!     unsafe { libc::poll(&mut pfd, 1, 1000) };
//!     run.step();
//! }
//! assert_eq!(result.get(), 42);
//! ```

#[cfg(feature = "glib")]
pub mod glib;

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;
use std::time::Duration;

use crate::event_loop::runner;
use crate::runtime::core::GuestGuard;
use crate::task::{Task, TaskError};
use crate::EventLoop;

/// A loop handed to a host: the low-level contract (see the [module docs](self)). The loop
/// counts as running from [`begin`](Self::begin) until [`end`](Self::end) or the drop.
pub struct Guest {
    event_loop: EventLoop,
    guard: RefCell<Option<GuestGuard>>,
    /// A second descriptor on the loop's epoll instance, for the host to watch.
    fd: OwnedFd,
}

impl Guest {
    /// Starts a guest run of `event_loop` on this thread.
    ///
    /// # Panics
    /// As a run: the loop is closed or already running, or another loop runs on this thread;
    /// and if the loop keeps virtual time (whose waits are the loop's own). If no descriptor
    /// is left for the host's handle on the poller.
    pub fn begin(event_loop: &EventLoop) -> Self {
        let fd = crate::sys::dup_cloexec(event_loop.core.guest_fd())
            .expect("a descriptor for the host to watch");
        let guard = event_loop.core.guest_begin();
        Self {
            event_loop: event_loop.clone(),
            guard: RefCell::new(Some(guard)),
            fd,
        }
    }

    /// The descriptor to watch for readability (a duplicate of the loop's epoll descriptor,
    /// closed with `self`).
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// How long the host may wait before the next step at most: zero when work is ready, the
    /// time to the next timer, `None` when only I/O or another thread can bring work. Hosts
    /// that watch [`fd`](Self::fd) need not use it on Linux, where the descriptor turns
    /// readable when the timer is due.
    pub fn timeout(&self) -> Option<Duration> {
        self.event_loop.core.guest_timeout()
    }

    /// Runs what is ready now: I/O events, work from other threads, due timers, then the ready
    /// callbacks and tasks (one batch), and further iterations while work is ready and the
    /// step budget lasts. Never blocks. Does nothing once the run ended.
    pub fn step(&self) {
        if let Some(guard) = &*self.guard.borrow() {
            self.event_loop.core.guest_step(guard);
        }
    }

    /// Whether [`EventLoop::stop`] was called during the run (the twin of `run_forever` ends
    /// there: call [`end`](Self::end)).
    pub fn stop_requested(&self) -> bool {
        self.guard
            .borrow()
            .as_ref()
            .is_some_and(GuestGuard::stop_requested)
    }

    /// Ends the run: the loop is no longer running (its tasks stay, as after
    /// `run_until_complete`).
    pub fn end(&self) {
        drop(self.guard.borrow_mut().take());
    }

    /// How long one [`step`](Self::step) may run callbacks and tasks before it returns to
    /// the host (the rest of the batch runs first in the next step, so order is kept): 4 ms
    /// unless set, so that a burst of work cannot hold a GUI for long. `None`: each step runs
    /// one whole batch, exactly one iteration of a hosted run.
    pub fn set_step_budget(&self, budget: Option<Duration>) {
        if let Some(guard) = &*self.guard.borrow() {
            guard.budget.set(budget);
        }
    }

    /// Whether the run is still on.
    pub fn is_active(&self) -> bool {
        self.guard.borrow().is_some()
    }

    /// The loop.
    pub fn event_loop(&self) -> &EventLoop {
        &self.event_loop
    }
}

impl fmt::Debug for Guest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Guest")
            .field("active", &self.is_active())
            .finish_non_exhaustive()
    }
}

/// What ends a [`GuestRun`]: set by the main task's done callback, run by the step that sees
/// it, after the run ended.
type Finish = Rc<RefCell<Option<Box<dyn FnOnce()>>>>;

/// A guest run with a main future: [`EventLoop::start_guest`] or [`start`]. Drive it as a
/// [`Guest`] (it derefs to one); when the main future ends, the step that sees it ends the run
/// and calls the done callback.
pub struct GuestRun {
    guest: Guest,
    main: Task,
    finish: Finish,
}

impl std::ops::Deref for GuestRun {
    type Target = Guest;

    fn deref(&self) -> &Guest {
        &self.guest
    }
}

impl GuestRun {
    /// Runs what is ready (see [`Guest::step`]); when the main future has ended, ends the run
    /// and calls the done callback.
    pub fn step(&self) {
        self.guest.step();
        let finish = self.finish.borrow_mut().take();
        if let Some(finish) = finish {
            self.guest.end();
            finish();
        }
    }

    /// Whether the run ended (the done callback was called).
    pub fn is_done(&self) -> bool {
        !self.guest.is_active()
    }

    /// Cancels the main future (a window closing): the done callback then gets a cancelled
    /// [`TaskError`] once the cancellation has run. Returns false if it had already ended.
    pub fn cancel(&self) -> bool {
        self.main.cancel()
    }

    /// The main task.
    pub fn main_task(&self) -> &Task {
        &self.main
    }
}

impl fmt::Debug for GuestRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestRun")
            .field("done", &self.is_done())
            .field("main", &self.main)
            .finish_non_exhaustive()
    }
}

impl EventLoop {
    /// Starts `future` as this loop's main task in guest mode (the twin of
    /// [`run_until_complete`](Self::run_until_complete)) and returns at once; `done` gets its
    /// outcome (a panic or a cancellation as a [`TaskError`]) after the run ended. Tasks it
    /// spawned and did not await stay on the loop, as after `run_until_complete`.
    ///
    /// # Panics
    /// As [`Guest::begin`].
    #[track_caller]
    pub fn start_guest<F, D>(&self, future: F, done: D) -> GuestRun
    where
        F: Future + 'static,
        F::Output: 'static,
        D: FnOnce(Result<F::Output, TaskError>) + 'static,
    {
        let location = std::panic::Location::caller();
        let guest = Guest::begin(self);
        let mut handle = self.core.spawn_at(
            future,
            Some(std::borrow::Cow::Borrowed("guest main")),
            location,
        );
        let main = handle.task().clone();
        let finish: Finish = Rc::new(RefCell::new(None));
        let slot = finish.clone();
        main.add_done_callback(move |_| {
            let outcome = handle
                .try_take()
                .unwrap_or_else(|| Err(TaskError::cancelled()));
            *slot.borrow_mut() = Some(Box::new(move || done(outcome)));
        });
        GuestRun {
            guest,
            main,
            finish,
        }
    }
}

/// The guest twin of [`asyncio::run`](crate::run): runs `future` on a new loop in guest mode
/// and returns at once. At the end the loop's remaining tasks are cancelled and the loop is
/// closed, then `done` gets the outcome. Ctrl-C, on the main thread when nothing else handles
/// `SIGINT`, is as in a hosted run: the future is dropped, the loop cleaned up, and the process
/// ends by `SIGINT`.
///
/// # Errors
/// If the loop cannot be made (descriptors exhausted).
///
/// # Panics
/// If another loop runs on this thread.
#[track_caller]
pub fn start<F, D>(future: F, done: D) -> std::io::Result<GuestRun>
where
    F: Future + 'static,
    F::Output: 'static,
    D: FnOnce(Result<F::Output, TaskError>) + 'static,
{
    let event_loop = crate::event_loop::Builder::new().build()?;
    let lp = event_loop.clone();
    let ours = runner::sigint_is_ours();
    let main = async move {
        if ours {
            runner::interruptible(future).await
        } else {
            Some(future.await)
        }
    };
    Ok(event_loop.start_guest(main, move |outcome| {
        runner::cancel_remaining(&lp);
        lp.close();
        match outcome {
            Ok(Some(v)) => done(Ok(v)),
            Ok(None) => {
                crate::sys::reraise_default(libc::SIGINT);
                panic!("interrupted by Ctrl-C");
            }
            Err(e) => done(Err(e)),
        }
    }))
}
