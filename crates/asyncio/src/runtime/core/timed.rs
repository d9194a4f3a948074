//! Debug mode: each step timed, and a slow one reported to the exception handler.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::super::exception::{ExceptionContext, ExceptionKind};
use super::super::main_future::MainSlot;
use super::super::task::raw::RunResult;
use super::super::task::Task;
use super::{Core, Ready};

impl Core {
    /// Debug mode: runs the item and reports it if it took longer than the threshold.
    pub(super) fn run_timed(self: &Rc<Self>, item: Ready, main: &mut Option<MainSlot<'_>>) {
        let what = match &item {
            Ready::Task(_) => None,
            Ready::Callback(_) | Ready::Raw(_) | Ready::Io(..) => Some("callback"),
            Ready::Main(_) => Some("main future"),
        };
        let started = Instant::now();
        let current = RefCell::new(None);
        self.run_item_recording(item, main, &current);
        let took = started.elapsed();
        if took >= self.slow_callback_duration.get() {
            let task = current.into_inner();
            let message = match (&task, what) {
                (Some(t), _) => format!(
                    "Executing task {:?} took {:.3} seconds",
                    t.name(),
                    secs(took)
                ),
                (None, Some(w)) => format!("Executing {w} took {:.3} seconds", secs(took)),
                (None, None) => format!("Executing a task took {:.3} seconds", secs(took)),
            };
            let ctx = ExceptionContext {
                message,
                kind: ExceptionKind::SlowCallback,
                task,
                panic_message: None,
                duration: Some(took),
            };
            self.call_exception_handler(&ctx);
        }
    }

    fn run_item_recording(
        self: &Rc<Self>,
        item: Ready,
        main: &mut Option<MainSlot<'_>>,
        current: &RefCell<Option<Task>>,
    ) {
        if let Ready::Task(task) = item {
            let (result, raw) = task.run_observed(&self.tasks);
            *current.borrow_mut() = raw.map(|raw| Task { raw });
            if let RunResult::Ended(ended) = result {
                self.task_ended(ended);
            }
        } else {
            self.run_item(item, main);
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}
