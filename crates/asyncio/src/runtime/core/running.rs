//! Running the loop: `run_forever` and `run_until_complete` repeat the iteration; the guard
//! marks the loop running (and counts the run's time) for as long as a run lasts.

use std::future::Future;
use std::pin::pin;
use std::rc::Rc;

use super::super::context;
use super::super::main_future::MainSlot;
use super::{Core, Ready};

impl Core {
    /// Runs until [`stop`](Self::stop). Panics if the loop is closed or already running, or
    /// another loop runs on this thread.
    pub(crate) fn run_forever(self: &Rc<Self>) {
        let _guard = RunGuard::new(self);
        loop {
            self.run_once(&mut None);
            if self.stopping.get() {
                break;
            }
        }
    }

    /// Runs until `future` completes, polling it in place. Panics as `run_forever`, and if the
    /// loop is stopped before the future completes.
    pub(crate) fn run_until_complete<F: Future>(self: &Rc<Self>, future: F) -> F::Output {
        let mut capture = pin!(Capture {
            future,
            output: None
        });
        {
            // Refuse first (closed, already running, another loop running): a refused nested
            // call must leave the running main future's generation alone, or its wake-ups
            // would be ignored from then on.
            let guard = RunGuard::new(self);
            let generation = self.main_generation.get() + 1;
            self.main_generation.set(generation);
            let mut slot = Some(MainSlot::new(
                capture.as_mut(),
                self.shared().clone(),
                generation,
            ));
            self.main_notified.set(true);
            self.push_ready(Ready::Main(generation));
            loop {
                self.run_once(&mut slot);
                if slot.as_ref().is_some_and(|s| s.done) {
                    break;
                }
                assert!(
                    !self.stopping.get(),
                    "event loop stopped before the future completed"
                );
            }
            drop(slot);
            drop(guard);
        }
        capture
            .project()
            .output
            .take()
            .expect("the main future completed")
    }
}

/// Marks the loop running (and the thread's running loop) for the duration of a run.
struct RunGuard<'a> {
    core: &'a Core,
    _enter: context::EnterGuard,
}

impl<'a> RunGuard<'a> {
    fn new(core: &'a Rc<Core>) -> Self {
        assert!(!core.is_closed(), "the event loop is closed");
        assert!(!core.running.get(), "this event loop is already running");
        let enter = context::enter(core);
        core.running.set(true);
        core.counters.run_started();
        Self {
            core,
            _enter: enter,
        }
    }
}

impl Drop for RunGuard<'_> {
    fn drop(&mut self) {
        self.core.running.set(false);
        self.core.stopping.set(false);
        self.core.counters.run_ended();
        // The figures as the run left them (published whatever the iteration).
        self.core.publish_metrics();
    }
}

pin_project_lite::pin_project! {
    /// The main future and, once it completed, its output.
    struct Capture<F: Future> {
        #[pin]
        future: F,
        output: Option<F::Output>,
    }
}

impl<F: Future> Future for Capture<F> {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        let this = self.project();
        if this.output.is_none() {
            let v = std::task::ready!(this.future.poll(cx));
            *this.output = Some(v);
        }
        std::task::Poll::Ready(())
    }
}
