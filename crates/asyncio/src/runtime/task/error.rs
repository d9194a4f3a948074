//! The error a task ends with when it does not return normally.

use std::fmt;

/// Why a task produced no output: it was cancelled, or it panicked.
///
/// asyncio raises `CancelledError` or the task's exception when its result is read; asyncio-rs
/// returns this error from awaiting the [`JoinHandle`](crate::task::JoinHandle).
#[derive(Clone, PartialEq, Eq)]
pub struct TaskError {
    // Boxed: a task's output slot holds `Result<T, TaskError>`, so the error is kept one
    // pointer wide.
    kind: Box<Kind>,
}

#[derive(Clone, PartialEq, Eq)]
enum Kind {
    Cancelled,
    Panicked(String),
}

impl TaskError {
    pub(crate) fn cancelled() -> Self {
        Self {
            kind: Box::new(Kind::Cancelled),
        }
    }

    pub(crate) fn panicked(message: String) -> Self {
        Self {
            kind: Box::new(Kind::Panicked(message)),
        }
    }

    /// Whether the task was cancelled (asyncio's `CancelledError`).
    pub fn is_cancelled(&self) -> bool {
        matches!(*self.kind, Kind::Cancelled)
    }

    /// Whether the task panicked.
    pub fn is_panic(&self) -> bool {
        matches!(*self.kind, Kind::Panicked(_))
    }

    /// The panic's message, if the task panicked with a string payload (otherwise a placeholder).
    pub fn panic_message(&self) -> Option<&str> {
        match &*self.kind {
            Kind::Panicked(m) => Some(m),
            Kind::Cancelled => None,
        }
    }
}

impl fmt::Debug for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            Kind::Cancelled => f.write_str("TaskError::Cancelled"),
            Kind::Panicked(m) => write!(f, "TaskError::Panicked({m:?})"),
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            Kind::Cancelled => f.write_str("task was cancelled"),
            Kind::Panicked(m) => write!(f, "task panicked: {m}"),
        }
    }
}

impl std::error::Error for TaskError {}
