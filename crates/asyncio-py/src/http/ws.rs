//! [`HttpWebSocket`]: a client WebSocket (asyncio-http's) for `ClientSession.ws_connect`.
//!
//! One task owns the socket. It waits for whichever comes first, a message from the peer
//! (queued for Python) or a command from Python (send, ping, close), so that one Python task
//! may send while another receives, as aiohttp allows. A receive dropped for a command loses
//! nothing: asyncio-http's `receive` is cancel-safe.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::poll_fn;
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Poll, Waker};

use asyncio_http::ws::Message;
use bytes::Bytes;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::body::resolve;
use super::errors::{to_py, Phase};
use crate::bound::OnThread;
use crate::py_loop::in_callback;

/// What Python asks the socket's task to do.
#[derive(Debug)]
pub(super) enum Command {
    Send(Message),
    Close(u16, String),
}

/// A message from the peer as Python sees it: aiohttp's `WSMsgType` number and the data.
#[derive(Debug)]
enum Received {
    Text(String),
    Binary(Bytes),
    Ping(Bytes),
    Pong(Bytes),
    /// The peer's close frame: code and reason.
    Close(u16, String),
    /// The connection ended (after a close, or lost).
    Closed,
    /// The connection broke.
    Error(asyncio_http::Error),
}

/// The state shared by the socket's task and Python.
#[derive(Debug)]
pub(super) struct WsState {
    incoming: RefCell<VecDeque<Received>>,
    /// The future a Python `receive` waits on.
    waiter: RefCell<Option<Py<PyAny>>>,
    commands: RefCell<VecDeque<(Command, Py<PyAny>)>>,
    /// The task, waiting for a command or a message.
    wake: RefCell<Option<Waker>>,
    pub(super) task: RefCell<Option<asyncio::Task>>,
    close_code: Cell<Option<u16>>,
    /// No more messages will come.
    ended: Cell<bool>,
    errors: Py<PyAny>,
}

impl WsState {
    pub(super) fn new(errors: Py<PyAny>) -> Self {
        Self {
            incoming: RefCell::default(),
            waiter: RefCell::default(),
            commands: RefCell::default(),
            wake: RefCell::default(),
            task: RefCell::default(),
            close_code: Cell::new(None),
            ended: Cell::new(false),
            errors,
        }
    }

    fn push(&self, py: Python<'_>, r: Received) {
        self.incoming.borrow_mut().push_back(r);
        let waiter = self.waiter.borrow_mut().take();
        if let Some(fut) = waiter {
            resolve(py, &fut);
        }
    }

    fn command(&self, py: Python<'_>, c: Command, fut: Py<PyAny>) {
        if self.ended.get() && self.task.borrow().is_none() {
            // The task is gone: a send fails at once, a close succeeds.
            let r = match c {
                Command::Close(..) => Ok(Some(false)),
                Command::Send(_) => Err(()),
            };
            finish(py, &fut, r);
            return;
        }
        self.commands.borrow_mut().push_back((c, fut));
        if let Some(w) = self.wake.borrow_mut().take() {
            w.wake();
        }
    }
}

/// Resolves a command's future: `True`/`False` for a close (whether this call closed it), `None`
/// for a send (`Ok(None)`); a failed send raises `ConnectionResetError`, as aiohttp's on a closed socket.
fn finish(py: Python<'_>, fut: &Py<PyAny>, r: Result<Option<bool>, ()>) {
    let f = fut.bind(py);
    if f.call_method0(pyo3::intern!(py, "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
    {
        return;
    }
    let outcome = match r {
        Ok(closed) => f.call_method1(pyo3::intern!(py, "set_result"), (closed,)),
        Err(()) => {
            let e = pyo3::exceptions::PyConnectionResetError::new_err(
                "Cannot write to closing transport",
            );
            f.call_method1(pyo3::intern!(py, "set_exception"), (e.value(py),))
        }
    };
    if let Err(e) = outcome {
        e.write_unraisable(py, Some(f));
    }
}

enum Event {
    Command(Command, Py<PyAny>),
    Message(asyncio_http::Result<Option<Message>>),
}

/// The socket's task: messages to Python, Python's commands to the socket.
pub(super) async fn run(mut ws: asyncio_http::ws::WebSocket, st: Rc<WsState>) {
    loop {
        let event = {
            let mut recv = pin!(ws.receive());
            poll_fn(|cx| {
                if let Some((c, fut)) = st.commands.borrow_mut().pop_front() {
                    return Poll::Ready(Event::Command(c, fut));
                }
                *st.wake.borrow_mut() = Some(cx.waker().clone());
                recv.as_mut().poll(cx).map(Event::Message)
            })
            .await
        };
        match event {
            Event::Command(Command::Send(m), fut) => {
                let r = ws.send(m).await.map(|()| None).map_err(|_| ());
                in_callback(|py| finish(py, &fut, r));
            }
            Event::Command(Command::Close(code, reason), fut) => {
                let first = !ws.is_closed();
                let _ = ws.close(code, &reason).await;
                st.close_code.set(ws.close_code());
                in_callback(|py| {
                    finish(py, &fut, Ok(Some(first)));
                    st.push(py, Received::Closed);
                });
                break;
            }
            Event::Message(Ok(Some(m))) => {
                let r = match m {
                    Message::Text(t) => Received::Text(t.as_str().to_owned()),
                    Message::Binary(b) => Received::Binary(b),
                    Message::Ping(b) => Received::Ping(b),
                    Message::Pong(b) => Received::Pong(b),
                    Message::Close(frame) => {
                        st.close_code.set(ws.close_code());
                        let (code, reason) = frame.map_or((1005, String::new()), |f| {
                            (u16::from(f.code), f.reason.as_str().to_owned())
                        });
                        Received::Close(code, reason)
                    }
                    Message::Frame(_) => continue,
                };
                in_callback(|py| st.push(py, r));
            }
            Event::Message(Ok(None)) => {
                st.close_code.set(ws.close_code());
                in_callback(|py| st.push(py, Received::Closed));
                break;
            }
            Event::Message(Err(e)) => {
                st.close_code.set(ws.close_code());
                in_callback(|py| st.push(py, Received::Error(e)));
                break;
            }
        }
    }
    st.ended.set(true);
    // Commands that came too late: sends fail, closes find it closed.
    let late: Vec<_> = st.commands.borrow_mut().drain(..).collect();
    in_callback(|py| {
        for (c, fut) in late {
            let r = match c {
                Command::Close(..) => Ok(Some(false)),
                Command::Send(_) => Err(()),
            };
            finish(py, &fut, r);
        }
    });
    drop(st.task.borrow_mut().take());
}

/// A client WebSocket, driven by its task on the loop.
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct HttpWebSocket {
    pub(super) st: OnThread<Rc<WsState>>,
    /// The subprotocol agreed on.
    #[pyo3(get)]
    pub(super) protocol: Option<String>,
}

impl std::fmt::Debug for HttpWebSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpWebSocket").finish_non_exhaustive()
    }
}

#[pymethods]
impl HttpWebSocket {
    /// Queues a text message; `fut` resolves once the socket took it.
    fn send_str(&self, py: Python<'_>, fut: Py<PyAny>, data: String) -> PyResult<()> {
        self.st
            .get()?
            .command(py, Command::Send(Message::text(data)), fut);
        Ok(())
    }

    /// Queues a binary message.
    fn send_bytes(&self, py: Python<'_>, fut: Py<PyAny>, data: &[u8]) -> PyResult<()> {
        let m = Message::Binary(Bytes::copy_from_slice(data));
        self.st.get()?.command(py, Command::Send(m), fut);
        Ok(())
    }

    /// Queues a ping (`pong=True`: a pong).
    #[pyo3(signature = (fut, data, pong=false))]
    fn ping(&self, py: Python<'_>, fut: Py<PyAny>, data: &[u8], pong: bool) -> PyResult<()> {
        let b = Bytes::copy_from_slice(data);
        let m = if pong {
            Message::Pong(b)
        } else {
            Message::Ping(b)
        };
        self.st.get()?.command(py, Command::Send(m), fut);
        Ok(())
    }

    /// Closes with `code` and `reason`; `fut` gets whether this call closed it.
    fn close(&self, py: Python<'_>, fut: Py<PyAny>, code: u16, reason: String) -> PyResult<()> {
        self.st
            .get()?
            .command(py, Command::Close(code, reason), fut);
        Ok(())
    }

    /// The next message as `(type, data, extra)` with aiohttp's `WSMsgType` numbers, or
    /// `None` when none is queued (then `wait` for one).
    fn next_message<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let st = self.st.get()?;
        let Some(r) = st.incoming.borrow_mut().pop_front() else {
            return Ok(None);
        };
        let none = py.None().into_bound(py);
        let t = match r {
            Received::Text(s) => (1, s.into_pyobject(py)?.into_any(), none),
            Received::Binary(b) => (2, PyBytes::new(py, &b).into_any(), none),
            Received::Ping(b) => (9, PyBytes::new(py, &b).into_any(), none),
            Received::Pong(b) => (10, PyBytes::new(py, &b).into_any(), none),
            Received::Close(code, reason) => (
                8,
                code.into_pyobject(py)?.into_any(),
                reason.into_pyobject(py)?.into_any(),
            ),
            Received::Closed => {
                // Stays queued: every later receive sees it too.
                st.incoming.borrow_mut().push_front(Received::Closed);
                (0x101, none.clone(), none)
            }
            Received::Error(e) => {
                let exc = to_py(py, &st.errors, &e, Phase::Body)
                    .into_value(py)
                    .into_any();
                st.incoming.borrow_mut().push_front(Received::Closed);
                (0x102, exc.into_bound(py), none)
            }
        };
        Ok(Some(t.into_pyobject(py)?.into_any()))
    }

    /// Resolves `fut` once a message is queued (at once if one is).
    fn wait(&self, py: Python<'_>, fut: Py<PyAny>) -> PyResult<()> {
        let st = self.st.get()?;
        if !st.incoming.borrow().is_empty() {
            resolve(py, &fut);
            return Ok(());
        }
        *st.waiter.borrow_mut() = Some(fut);
        Ok(())
    }

    /// Forgets the waiting future (its receive was cancelled).
    fn unwait(&self) -> PyResult<()> {
        let fut = self.st.get()?.waiter.borrow_mut().take();
        drop(fut);
        Ok(())
    }

    /// The close code, once closed.
    #[getter]
    fn close_code(&self) -> PyResult<Option<u16>> {
        Ok(self.st.get()?.close_code.get())
    }

    /// Whether the connection ended.
    #[getter]
    fn ended(&self) -> PyResult<bool> {
        Ok(self.st.get()?.ended.get())
    }

    /// Drops the connection at once, without a close handshake.
    fn abort(&self) -> PyResult<()> {
        let st = self.st.get()?;
        if let Some(t) = st.task.borrow_mut().take() {
            t.cancel();
        }
        st.ended.set(true);
        Ok(())
    }
}

impl Drop for HttpWebSocket {
    fn drop(&mut self) {
        // Python let go of it: the socket is dropped (no close frame), as aiohttp's
        // garbage-collected response.
        if let Ok(st) = self.st.get() {
            if let Some(t) = st.task.borrow_mut().take() {
                t.cancel();
            }
        }
    }
}
