//! Guest mode: a host's event loop (glib, Tk, Qt, winit) drives this loop. The host watches
//! one descriptor, the epoll descriptor, and calls [`Core::guest_step`] when it turns readable;
//! a step never blocks. Everything that should wake the loop makes that descriptor readable:
//! I/O, other threads' wake-ups (the poller's waker is registered in it), the next timer (the
//! deadline timerfd is armed after each step) and work the host itself schedules between steps
//! (`wake_host`).
//!
//! For the whole run the loop is the thread's running loop (so host callbacks may spawn and
//! call `get_running_loop`), but between steps the wake-up fast path is off: a task woken by
//! host code takes the remote path, which writes the waker, which wakes the host.

use std::rc::Rc;
use std::time::{Duration, Instant};

use super::super::context;
use super::super::task::raw::set_running_loop;
use super::Core;

/// Marks a guest run: the loop counts as running, and the thread's running loop, until it
/// drops.
pub(crate) struct GuestGuard {
    core: Rc<Core>,
    _enter: context::EnterGuard,
    /// When the last step ended: the time since is the loop's idle time.
    step_ended: std::cell::Cell<Instant>,
    /// `stop` was called during the run (taken off the loop each step, so that a stop nobody
    /// acts on does not keep the descriptor readable).
    stopped: std::cell::Cell<bool>,
    /// How long one step may run callbacks before it hands the thread back (the rest of the
    /// batch runs in the next step, first in line).
    pub(crate) budget: std::cell::Cell<Option<Duration>>,
}

/// The default step budget: a quarter of a 60 Hz frame.
pub(crate) const STEP_BUDGET: Duration = Duration::from_millis(4);

impl Core {
    /// Starts a guest run. Panics as a run does: the loop is closed, already running, or
    /// another loop runs on this thread.
    pub(crate) fn guest_begin(self: &Rc<Self>) -> GuestGuard {
        assert!(!self.is_closed(), "the event loop is closed");
        assert!(!self.running.get(), "this event loop is already running");
        assert!(
            !self.clock.is_virtual(),
            "guest mode runs on the real clock (virtual time needs the loop's own waits)"
        );
        let enter = context::enter(self);
        self.running.set(true);
        self.counters.run_started();
        self.end_step();
        // The first step runs what is already queued.
        self.shared().notify();
        GuestGuard {
            core: self.clone(),
            _enter: enter,
            step_ended: std::cell::Cell::new(Instant::now()),
            stopped: std::cell::Cell::new(false),
            budget: std::cell::Cell::new(Some(STEP_BUDGET)),
        }
    }

    /// Wakes the host when called between two steps of a guest run (nothing otherwise): the
    /// descriptor turns readable.
    #[inline]
    pub(crate) fn wake_host(&self) {
        if self.between_steps.get() {
            self.notify_host();
        }
    }

    /// Out of line: hosted runs (and steps) never come here, so the hot paths that call
    /// `wake_host` keep one load and one branch.
    #[cold]
    #[inline(never)]
    fn notify_host(&self) {
        self.shared().notify();
    }

    /// Ends a step: the fast path off, and the descriptor armed for what comes next.
    fn end_step(&self) {
        self.between_steps.set(true);
        set_running_loop(std::ptr::null());
        if !self.ready.borrow().is_empty() {
            // More is ready: come back at once (after the host's own events had their turn).
            self.shared().notify();
        } else if let Some(after) = self.guest_timeout() {
            if !self.poller.borrow().arm_deadline(after) {
                // No timerfd: the host must keep a timer (see `guest_timeout`).
            }
        }
    }

    /// How long the host may wait before the next step at most, if nothing else happens: zero
    /// when work is ready, the time to the next timer, `None` when only I/O or another thread
    /// can bring work. Where the deadline timer exists (Linux) the descriptor turns readable
    /// by itself then, so a host only needs this if it cannot watch a descriptor.
    pub(crate) fn guest_timeout(&self) -> Option<Duration> {
        if !self.ready.borrow().is_empty() || self.shared().has_pending() {
            return Some(Duration::ZERO);
        }
        let deadline = self.timers.borrow_mut().next_deadline()?;
        Some(Duration::from_nanos(
            deadline.saturating_sub(self.clock.now_ns()),
        ))
    }

    /// The descriptor a host watches for readability.
    pub(crate) fn guest_fd(&self) -> std::os::fd::RawFd {
        self.poller.borrow().fd()
    }

    /// One step: take the I/O events without waiting, what other threads sent and the due
    /// timers, and run what is ready (one batch, as one iteration of a hosted run does); then
    /// more iterations while work is ready and the step budget lasts. Without a budget, one
    /// iteration exactly.
    pub(crate) fn guest_step(self: &Rc<Self>, guard: &GuestGuard) {
        debug_assert!(Rc::ptr_eq(self, &guard.core));
        let idle = &self.counters.idle;
        idle.set(idle.get() + guard.step_ended.get().elapsed());
        self.clock.mark_stale();
        self.between_steps.set(false);
        set_running_loop(&**self.shared());
        self.iteration.set(self.iteration.get().wrapping_add(1));
        let until = guard.budget.get().map(|b| Instant::now() + b);
        loop {
            self.poll_io(Some(Duration::ZERO));
            self.run_batch(&mut None, until);
            // Within the budget, a step goes on with the next iteration while work is ready
            // (a chain of callbacks need not cross the host for each link).
            let more = !self.ready.borrow().is_empty() && !self.stopping.get();
            match until {
                Some(until) if more && Instant::now() < until => {
                    self.iteration.set(self.iteration.get().wrapping_add(1));
                }
                _ => break,
            }
        }
        if self.stopping.replace(false) {
            guard.stopped.set(true);
        }
        self.end_step();
        guard.step_ended.set(Instant::now());
    }
}

impl GuestGuard {
    /// Whether `stop` was asked (by the loop's code or another thread) during the run.
    pub(crate) fn stop_requested(&self) -> bool {
        self.stopped.get()
    }
}

impl Drop for GuestGuard {
    fn drop(&mut self) {
        let core = &self.core;
        core.between_steps.set(false);
        core.running.set(false);
        core.stopping.set(false);
        core.counters.run_ended();
        core.publish_metrics();
    }
}
