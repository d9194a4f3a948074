//! [`Body`]: a response's body as it arrives — the chunks read ahead of Python, how it ended,
//! and the one future Python waits on — and [`pump`], the task half that fills it.
//!
//! The reader stops at [`HIGH_WATER`] bytes until Python takes some (aiohttp's `StreamReader`
//! pauses its transport likewise), unless Python asked for the whole body.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::task::{Poll, Waker};

use bytes::{Buf, Bytes, BytesMut};
use pyo3::prelude::*;

use super::errors::{to_py, Phase};
use crate::py_loop::in_callback;

/// Bytes read ahead before the reader waits for Python to take some.
pub(super) const HIGH_WATER: usize = 256 * 1024;

/// What a waiter waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Want {
    /// At least this many bytes.
    Bytes(usize),
    /// Any bytes.
    Any,
    /// A whole line (a `\n`), or the end.
    Line,
    /// The end of the body.
    End,
}

impl Want {
    /// From Python's encoding: `n > 0` bytes, `0` any, `-1` the end, `-2` a line.
    pub(super) fn from_py(n: isize) -> Self {
        match n {
            0 => Want::Any,
            -2 => Want::Line,
            n if n < 0 => Want::End,
            n => Want::Bytes(n as usize),
        }
    }
}

/// How the body ended, if it has.
#[derive(Debug, Default)]
pub(super) enum Ending {
    /// Still arriving.
    #[default]
    Open,
    /// Read to the end: the connection went back to the pool.
    Done,
    /// Broken: the error, raised when Python reaches it.
    Failed(asyncio_http::Error),
    /// Given up by Python (`release` or `close` before the end): the connection was closed.
    Released,
}

/// The body's state, shared by the reading task and the Python response.
#[derive(Debug, Default)]
pub(super) struct Body {
    chunks: VecDeque<Bytes>,
    buffered: usize,
    pub(super) ending: Ending,
    /// The future Python waits on, and for what.
    waiter: Option<(Py<PyAny>, Want)>,
    /// Python asked for everything: read on past the high-water mark.
    whole: bool,
    /// The reader, waiting for room.
    room: Option<Waker>,
}

impl Body {
    /// Whether `want` is satisfied (or can never be: the body ended).
    pub(super) fn ready(&self, want: Want) -> bool {
        if !matches!(self.ending, Ending::Open) {
            return true;
        }
        match want {
            Want::Bytes(n) => self.buffered >= n,
            Want::Any => self.buffered > 0,
            Want::Line => self.chunks.iter().any(|c| c.contains(&b'\n')),
            Want::End => false,
        }
    }

    /// Registers `fut` to be resolved when `want` is satisfied; at once if it is.
    pub(super) fn wait(&mut self, py: Python<'_>, fut: Py<PyAny>, want: Want) {
        if want == Want::End {
            self.whole = true;
            self.make_room();
        }
        if self.ready(want) {
            resolve(py, &fut);
            return;
        }
        if matches!(want, Want::Bytes(n) if n > HIGH_WATER) {
            // The reader must go on past the mark to satisfy a large `read(n)`.
            self.whole = true;
            self.make_room();
        }
        self.waiter = Some((fut, want));
    }

    /// Forgets the waiter (Python's wait was cancelled).
    pub(super) fn unwait(&mut self) -> Option<Py<PyAny>> {
        self.waiter.take().map(|(f, _)| f)
    }

    fn make_room(&mut self) {
        if let Some(w) = self.room.take() {
            w.wake();
        }
    }

    fn has_room(&self) -> bool {
        self.whole || self.buffered < HIGH_WATER
    }

    /// The bytes buffered.
    pub(super) fn buffered(&self) -> usize {
        self.buffered
    }

    /// Whether the body has ended and every byte was taken.
    pub(super) fn at_eof(&self) -> bool {
        !matches!(self.ending, Ending::Open) && self.buffered == 0
    }

    /// Takes up to `n` bytes (`None`: all that is buffered).
    pub(super) fn take(&mut self, n: Option<usize>) -> Bytes {
        let n = n.map_or(self.buffered, |n| n.min(self.buffered));
        let out = if self.chunks.front().is_some_and(|c| c.len() >= n) {
            let first = self.chunks.front_mut().expect("checked");
            let out = first.split_to(n);
            if first.is_empty() {
                self.chunks.pop_front();
            }
            out
        } else {
            let mut out = BytesMut::with_capacity(n);
            while out.len() < n {
                let Some(c) = self.chunks.front_mut() else {
                    break;
                };
                let k = c.len().min(n - out.len());
                out.extend_from_slice(&c[..k]);
                c.advance(k);
                if c.is_empty() {
                    self.chunks.pop_front();
                }
            }
            out.freeze()
        };
        self.buffered -= out.len();
        if self.has_room() {
            self.make_room();
        }
        out
    }

    /// The first chunk buffered, whole.
    pub(super) fn take_chunk(&mut self) -> Bytes {
        let out = self.chunks.pop_front().unwrap_or_default();
        self.buffered -= out.len();
        if self.has_room() {
            self.make_room();
        }
        out
    }

    /// Up to and including the first `\n` (all that is buffered when there is none).
    pub(super) fn take_line(&mut self) -> Bytes {
        let mut n = 0;
        for c in &self.chunks {
            match c.iter().position(|&b| b == b'\n') {
                Some(i) => return self.take(Some(n + i + 1)),
                None => n += c.len(),
            }
        }
        self.take(None)
    }

    /// Drops what is buffered and marks the body released (when it was still open).
    pub(super) fn release(&mut self) -> Option<Py<PyAny>> {
        self.chunks.clear();
        self.buffered = 0;
        if matches!(self.ending, Ending::Open) {
            self.ending = Ending::Released;
        }
        self.unwait()
    }

    fn push(&mut self, chunk: Bytes) {
        self.buffered += chunk.len();
        self.chunks.push_back(chunk);
    }

    /// The waiter whose wish came true, taken out to be resolved.
    fn satisfied(&mut self) -> Option<Py<PyAny>> {
        match &self.waiter {
            Some((_, want)) if self.ready(*want) => self.unwait(),
            _ => None,
        }
    }
}

/// Resolves a waiter's future with `None` (unless it was cancelled meanwhile).
pub(super) fn resolve(py: Python<'_>, fut: &Py<PyAny>) {
    let fut = fut.bind(py);
    if fut
        .call_method0(pyo3::intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    if let Err(e) = fut.call_method1(pyo3::intern!(py, "set_result"), (py.None(),)) {
        e.write_unraisable(py, Some(fut));
    }
}

/// Reads `resp`'s body into `body` until it ends, fails, or Python releases it.
pub(super) async fn pump(mut resp: asyncio_http::Response, body: &std::cell::RefCell<Body>) {
    loop {
        poll_fn(|cx| {
            let mut b = body.borrow_mut();
            if !matches!(b.ending, Ending::Open) || b.has_room() {
                return Poll::Ready(());
            }
            b.room = Some(cx.waker().clone());
            Poll::Pending
        })
        .await;
        if !matches!(body.borrow().ending, Ending::Open) {
            return; // released: dropping `resp` closes the connection
        }
        let next = resp.chunk().await;
        let mut b = body.borrow_mut();
        if !matches!(b.ending, Ending::Open) {
            return;
        }
        match next {
            Ok(Some(chunk)) => b.push(chunk),
            Ok(None) => b.ending = Ending::Done,
            Err(e) => b.ending = Ending::Failed(e),
        }
        let done = !matches!(b.ending, Ending::Open);
        let waiter = b.satisfied();
        drop(b);
        if let Some(fut) = waiter {
            in_callback(|py| resolve(py, &fut));
        }
        if done {
            return;
        }
    }
}

/// The error a broken body raises in Python.
pub(super) fn failure(py: Python<'_>, body: &Body, errors: &Py<PyAny>) -> Option<PyErr> {
    match &body.ending {
        Ending::Failed(e) => Some(to_py(py, errors, e, Phase::Body)),
        _ => None,
    }
}
