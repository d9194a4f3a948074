//! The queue errors (asyncio's `QueueFull`, `QueueEmpty`, `QueueShutDown`, and the `ValueError`
//! of a `task_done` too many).

use std::fmt;

/// Why an item was not put; the item comes back.
#[derive(PartialEq, Eq)]
pub enum PutError<T> {
    /// The queue is at `maxsize` (asyncio's `QueueFull`; only from `put_nowait`).
    Full(T),
    /// The queue was shut down (asyncio's `QueueShutDown`).
    ShutDown(T),
}

impl<T> PutError<T> {
    /// The item that was not put.
    pub fn into_inner(self) -> T {
        match self {
            PutError::Full(t) | PutError::ShutDown(t) => t,
        }
    }
}

impl<T> fmt::Debug for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "PutError::Full(..)",
            PutError::ShutDown(_) => "PutError::ShutDown(..)",
        })
    }
}

impl<T> fmt::Display for PutError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PutError::Full(_) => "the queue is full",
            PutError::ShutDown(_) => "the queue was shut down",
        })
    }
}

impl<T> std::error::Error for PutError<T> {}

/// Why no item was got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GetError {
    /// The queue is empty (asyncio's `QueueEmpty`; only from `get_nowait`).
    Empty,
    /// The queue was shut down and has no item left for this caller (asyncio's `QueueShutDown`).
    ShutDown,
}

impl fmt::Display for GetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            GetError::Empty => "the queue is empty",
            GetError::ShutDown => "the queue was shut down",
        })
    }
}

impl std::error::Error for GetError {}

/// `task_done` was called more times than items were put (asyncio raises `ValueError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskDoneError;

impl fmt::Display for TaskDoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("task_done() called too many times")
    }
}

impl std::error::Error for TaskDoneError {}
