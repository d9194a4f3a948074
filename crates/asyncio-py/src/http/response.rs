//! [`HttpCall`], a request in flight (what Python cancels), and [`HttpResponse`], its response:
//! the status line, headers and redirect history, and the body's buffer.

use std::cell::RefCell;
use std::rc::Rc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList, PyTuple};

use super::body::{failure, resolve, Body, Ending, Want};
use crate::bound::OnThread;

/// One request's shared state: its task, and its body once the headers are in.
#[derive(Debug)]
pub(super) struct Exchange {
    pub(super) body: RefCell<Body>,
    /// The task sending the request and then reading the body; `None` once it ended.
    pub(super) task: RefCell<Option<asyncio::Task>>,
    /// The package's exception factory.
    pub(super) errors: Py<PyAny>,
}

impl Exchange {
    /// A request's state before it has sent anything.
    pub(super) fn new(errors: Py<PyAny>) -> Self {
        Self {
            body: RefCell::new(Body::default()),
            task: RefCell::new(None),
            errors,
        }
    }

    /// Gives up the exchange: the task stops (if it still runs), dropping its response and
    /// with it the connection, unless the body was read to its end; a waiter wakes up to find
    /// the body released.
    fn release(&self, py: Python<'_>) {
        let waiter = self.body.borrow_mut().release();
        if let Some(t) = self.task.borrow_mut().take() {
            t.cancel();
        }
        if let Some(fut) = waiter {
            resolve(py, &fut);
        }
    }
}

/// A request in flight: `cancel` stops it.
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct HttpCall {
    pub(super) ex: OnThread<Rc<Exchange>>,
}

impl std::fmt::Debug for HttpCall {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpCall").finish_non_exhaustive()
    }
}

#[pymethods]
impl HttpCall {
    /// Stops the request (the awaiting Python task was cancelled): the connection is closed,
    /// never returned to the pool half-used. After the headers, this releases the body.
    fn cancel(&self, py: Python<'_>) -> PyResult<()> {
        self.ex.get()?.release(py);
        Ok(())
    }
}

/// A response: the status line, headers and history, read once; the body through the methods.
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct HttpResponse {
    pub(super) ex: OnThread<Rc<Exchange>>,
    /// The status code.
    #[pyo3(get)]
    pub(super) status: u16,
    pub(super) reason: String,
    pub(super) version: (u8, u8),
    pub(super) url: String,
    pub(super) headers: http::HeaderMap,
    pub(super) history: Vec<asyncio_http::Redirect>,
    pub(super) peer: Option<std::net::SocketAddr>,
}

impl std::fmt::Debug for HttpResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpResponse")
            .field("status", &self.status)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

/// Headers as a list of `(name, value)` string pairs, values decoded as UTF-8 (invalid bytes
/// replaced), as aiohttp decodes them.
fn header_list<'py>(py: Python<'py>, headers: &http::HeaderMap) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for (k, v) in headers {
        let value = String::from_utf8_lossy(v.as_bytes());
        list.append((k.as_str(), value.as_ref()))?;
    }
    Ok(list)
}

impl HttpResponse {
    fn body(&self) -> PyResult<std::cell::RefMut<'_, Body>> {
        Ok(self.ex.get()?.body.borrow_mut())
    }

    /// Raises the body's error, if it broke.
    fn check(&self, py: Python<'_>) -> PyResult<()> {
        let ex = self.ex.get()?;
        let body = ex.body.borrow();
        match failure(py, &body, &ex.errors) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

impl Drop for HttpResponse {
    fn drop(&mut self) {
        // Python let go of the response without reading it to the end or releasing it: the
        // reading task would otherwise hold its connection, paused at the high-water mark,
        // for as long as the session lives.
        if let Ok(ex) = self.ex.get() {
            let waiter = ex.body.borrow_mut().release();
            drop(waiter);
            if let Some(t) = ex.task.borrow_mut().take() {
                t.cancel();
            }
        }
    }
}

#[pymethods]
impl HttpResponse {
    /// The reason phrase.
    #[getter]
    fn reason(&self) -> &str {
        &self.reason
    }

    /// The HTTP version as `(major, minor)`.
    #[getter]
    fn version(&self) -> (u8, u8) {
        self.version
    }

    /// The final URL.
    #[getter]
    fn url(&self) -> &str {
        &self.url
    }

    /// The server's address as `(host, port)`, when known.
    #[getter]
    fn peer(&self) -> Option<(String, u16)> {
        self.peer.map(|a| (a.ip().to_string(), a.port()))
    }

    /// The headers as `(name, value)` pairs, in the order received.
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        header_list(py, &self.headers)
    }

    /// The redirects followed: `(url, status, headers)` each.
    fn history<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for r in &self.history {
            let item = PyTuple::new(
                py,
                [
                    r.url.as_str().into_pyobject(py)?.into_any(),
                    r.status.as_u16().into_pyobject(py)?.into_any(),
                    header_list(py, &r.headers)?.into_any(),
                ],
            )?;
            list.append(item)?;
        }
        Ok(list)
    }

    /// Whether `n` bytes can be taken now (`0`: any, `-1`: the whole body, `-2`: a line), or
    /// never will be (the body ended).
    fn ready(&self, n: isize) -> PyResult<bool> {
        Ok(self.body()?.ready(Want::from_py(n)))
    }

    /// Resolves `fut` (with `None`) once `ready(n)` holds.
    fn wait(&self, py: Python<'_>, fut: Py<PyAny>, n: isize) -> PyResult<()> {
        let mut body = self.body()?;
        body.wait(py, fut, Want::from_py(n));
        Ok(())
    }

    /// Forgets the future given to `wait` (its awaiter was cancelled).
    fn unwait(&self) -> PyResult<()> {
        let fut = self.body()?.unwait();
        drop(fut);
        Ok(())
    }

    /// Takes up to `n` buffered bytes (`-1`: all of them). Raises the body's error once what
    /// came before it was taken.
    fn take<'py>(&self, py: Python<'py>, n: isize) -> PyResult<Bound<'py, PyBytes>> {
        let chunk = self.body()?.take(usize::try_from(n).ok());
        if chunk.is_empty() {
            self.check(py)?;
        }
        Ok(PyBytes::new(py, &chunk))
    }

    /// The whole body if it ended (`None` while it has not): raises its error if it broke.
    fn take_whole<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyBytes>>> {
        self.check(py)?;
        let mut body = self.body()?;
        if matches!(body.ending, Ending::Open) {
            return Ok(None);
        }
        let all = body.take(None);
        Ok(Some(PyBytes::new(py, &all)))
    }

    /// The first buffered chunk, as it came (`iter_any`).
    fn take_chunk<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let chunk = self.body()?.take_chunk();
        if chunk.is_empty() {
            self.check(py)?;
        }
        Ok(PyBytes::new(py, &chunk))
    }

    /// Up to and including the next `\n`, or the rest at the end.
    fn take_line<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let line = self.body()?.take_line();
        if line.is_empty() {
            self.check(py)?;
        }
        Ok(PyBytes::new(py, &line))
    }

    /// Bytes buffered now.
    fn buffered(&self) -> PyResult<usize> {
        Ok(self.body()?.buffered())
    }

    /// Whether the body ended and every byte was taken.
    fn at_eof(&self) -> PyResult<bool> {
        Ok(self.body()?.at_eof())
    }

    /// Whether the body was read to its end (so its connection went back to the pool).
    fn complete(&self) -> PyResult<bool> {
        Ok(matches!(self.body()?.ending, Ending::Done))
    }

    /// Gives up the body: unless it was read to the end, the connection is closed.
    fn release(&self, py: Python<'_>) -> PyResult<()> {
        self.ex.get()?.release(py);
        Ok(())
    }
}
