//! [`HttpBodyPipe`]: a request body that Python writes chunk by chunk (an async iterator's
//! chunks, as aiohttp streams them) and the request reads as a stream, with backpressure:
//! past [`HIGH_WATER`] bytes queued, Python's write waits until the connection has taken
//! some.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use pyo3::prelude::*;

use super::body::resolve;
use crate::bound::OnThread;

/// Bytes queued before a write waits.
const HIGH_WATER: usize = 64 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Open,
    /// Python wrote the last chunk.
    Finished,
    /// Python's iterator failed: the request is aborted.
    Failed,
    /// The request no longer reads (it ended or was dropped): writes are dropped.
    Gone,
}

/// The queue between Python's writes and the request's reads.
#[derive(Debug)]
pub(super) struct Pipe {
    chunks: RefCell<VecDeque<Bytes>>,
    queued: Cell<usize>,
    state: Cell<State>,
    /// The request, waiting for a chunk.
    reader: RefCell<Option<Waker>>,
    /// Python's write, waiting for room.
    writer: RefCell<Option<Py<PyAny>>>,
}

impl Pipe {
    fn wake_reader(&self) {
        if let Some(w) = self.reader.borrow_mut().take() {
            w.wake();
        }
    }

    fn wake_writer(&self) {
        let fut = self.writer.borrow_mut().take();
        if let Some(fut) = fut {
            crate::py_loop::in_callback(|py| resolve(py, &fut));
        }
    }
}

/// The request's side: a stream of the chunks Python writes.
pub(super) struct PipeStream(pub(super) Rc<Pipe>);

impl futures_core::Stream for PipeStream {
    type Item = std::io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let pipe = &self.0;
        let next = pipe.chunks.borrow_mut().pop_front();
        if let Some(chunk) = next {
            pipe.queued.set(pipe.queued.get() - chunk.len());
            if pipe.queued.get() < HIGH_WATER {
                pipe.wake_writer();
            }
            return Poll::Ready(Some(Ok(chunk)));
        }
        match pipe.state.get() {
            State::Finished | State::Gone => Poll::Ready(None),
            State::Failed => Poll::Ready(Some(Err(std::io::Error::other(
                "the request body's iterator failed",
            )))),
            State::Open => {
                *pipe.reader.borrow_mut() = Some(cx.waker().clone());
                pipe.wake_writer();
                Poll::Pending
            }
        }
    }
}

impl Drop for PipeStream {
    fn drop(&mut self) {
        // The request is over: a writer waiting for room goes on (its chunks are dropped).
        if self.0.state.get() == State::Open {
            self.0.state.set(State::Gone);
        }
        self.0.wake_writer();
    }
}

/// A request body Python writes chunk by chunk (`ClientSession.post(data=async_iterator)`).
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct HttpBodyPipe {
    pub(super) pipe: OnThread<Rc<Pipe>>,
}

impl std::fmt::Debug for HttpBodyPipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpBodyPipe").finish_non_exhaustive()
    }
}

impl HttpBodyPipe {
    pub(super) fn stream(&self) -> PyResult<PipeStream> {
        Ok(PipeStream(self.pipe.get()?.clone()))
    }
}

#[pymethods]
impl HttpBodyPipe {
    /// An empty pipe, on the loop `py_loop` belongs to (checked when a request takes it).
    #[new]
    fn new(py_loop: &Bound<'_, PyAny>) -> PyResult<Self> {
        let core = py_loop.getattr("_core")?;
        let core = core.cast::<crate::py_loop::Loop>()?;
        let (_, env) = core.get().parts()?;
        let pipe = Pipe {
            chunks: RefCell::default(),
            queued: Cell::new(0),
            state: Cell::new(State::Open),
            reader: RefCell::default(),
            writer: RefCell::default(),
        };
        Ok(Self {
            pipe: OnThread::new(Rc::new(pipe), env.remote.clone()),
        })
    }

    /// Queues `data`; `False` when the queue is full, and then `fut` resolves once there is
    /// room (or the request is over). `True`: go on at once (`fut` is not used).
    fn write(&self, fut: Py<PyAny>, data: &[u8]) -> PyResult<bool> {
        let pipe = self.pipe.get()?;
        if pipe.state.get() != State::Open || data.is_empty() {
            return Ok(true);
        }
        pipe.chunks
            .borrow_mut()
            .push_back(Bytes::copy_from_slice(data));
        pipe.queued.set(pipe.queued.get() + data.len());
        pipe.wake_reader();
        if pipe.queued.get() < HIGH_WATER {
            return Ok(true);
        }
        *pipe.writer.borrow_mut() = Some(fut);
        Ok(false)
    }

    /// The body is complete.
    fn finish(&self) -> PyResult<()> {
        let pipe = self.pipe.get()?;
        if pipe.state.get() == State::Open {
            pipe.state.set(State::Finished);
        }
        pipe.wake_reader();
        Ok(())
    }

    /// The body's source failed: the request is aborted, not sent short.
    fn fail(&self) -> PyResult<()> {
        let pipe = self.pipe.get()?;
        if pipe.state.get() == State::Open {
            pipe.state.set(State::Failed);
        }
        pipe.wake_reader();
        Ok(())
    }

    /// Whether the request stopped reading (it ended, failed or was cancelled).
    #[getter]
    fn gone(&self) -> PyResult<bool> {
        Ok(self.pipe.get()?.state.get() == State::Gone)
    }
}
