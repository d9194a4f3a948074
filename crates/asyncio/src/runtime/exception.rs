//! The loop's exception handler: where panics in callbacks, panics nobody retrieved and (in
//! debug mode) slow callbacks are reported.

use std::fmt;
use std::rc::Rc;
use std::time::Duration;

use super::core::Core;
use super::task::Task;

/// A handler set with `EventLoop::set_exception_handler`, given the loop's core (the public
/// side wraps it in an `EventLoop`).
pub(crate) type ExceptionHandler = Rc<dyn Fn(&Rc<Core>, &ExceptionContext)>;

/// What is being reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExceptionKind {
    /// A task panicked and its handle was dropped without reading the error (asyncio: "Task
    /// exception was never retrieved").
    UnretrievedTaskPanic,
    /// A `call_soon`/`call_later`/`call_at`/`call_soon_threadsafe` callback panicked.
    CallbackPanic,
    /// Debug mode: a callback or a task step ran longer than the slow-callback threshold.
    SlowCallback,
    /// Another loop of the same [`Runtime`](crate::Runtime) died: a panic escaped it (reported
    /// to loop 0).
    LoopDied,
}

/// The report passed to the exception handler, like asyncio's context dict.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExceptionContext {
    /// A one-line description.
    pub message: String,
    /// What happened.
    pub kind: ExceptionKind,
    /// The task concerned, if any.
    pub task: Option<Task>,
    /// The panic's message, for panics.
    pub panic_message: Option<String>,
    /// For slow callbacks: how long the step took.
    pub duration: Option<Duration>,
}

impl ExceptionContext {
    /// The report for a panicked task whose error nobody read.
    pub(crate) fn unretrieved(task: &Task) -> Self {
        Self {
            message: "Task exception was never retrieved".to_owned(),
            kind: ExceptionKind::UnretrievedTaskPanic,
            task: Some(task.clone()),
            panic_message: task.panic_message(),
            duration: None,
        }
    }
}

impl ExceptionContext {
    /// The report, on loop 0, that loop `index` of its runtime died.
    pub(crate) fn loop_died(index: usize, panic: &str) -> Self {
        Self {
            message: format!("loop {index} of the runtime died"),
            kind: ExceptionKind::LoopDied,
            task: None,
            panic_message: Some(panic.to_owned()),
            duration: None,
        }
    }
}

impl fmt::Display for ExceptionContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(task) = &self.task {
            write!(
                f,
                "\ntask: {} (id {}, spawned at {})",
                task.name(),
                task.id(),
                task.location()
            )?;
        }
        if let Some(p) = &self.panic_message {
            write!(f, "\npanic: {p}")?;
        }
        Ok(())
    }
}

/// The default handler: prints the report to standard error (slow callbacks as a `tracing`
/// warning as well).
pub fn default_exception_handler(ctx: &ExceptionContext) {
    if ctx.kind == ExceptionKind::SlowCallback {
        tracing::warn!("{}", ctx.message);
    }
    eprintln!("{ctx}");
}
