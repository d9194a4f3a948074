//! [`HttpSession`]: an `asyncio_http::ClientSession` owned by a Python session, on its loop.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use asyncio_http::{ClientSession, ClientTimeout, Method, Proxies, SessionConfig};
use bytes::Bytes;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use super::body::pump;
use super::errors::{to_py, Phase};
use super::response::{Exchange, HttpCall, HttpResponse};
use super::upload::HttpBodyPipe;
use super::ws::{self, HttpWebSocket, WsState};
use crate::bound::OnThread;
use crate::py_loop::{in_callback, Loop};

/// Timeouts as Python passes them: `(total, connect, sock_connect, sock_read)` in seconds,
/// `None` for no limit.
type Timeouts = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);

fn seconds(s: Option<f64>) -> PyResult<Option<Duration>> {
    match s {
        None => Ok(None),
        Some(s) if s.is_nan() || s < 0.0 => Err(PyValueError::new_err(format!(
            "timeout must be >= 0, not {s}"
        ))),
        // 0 means no limit, as in aiohttp.
        Some(0.0) => Ok(None),
        Some(s) => Ok(Some(Duration::from_secs_f64(s.min(1e9)))),
    }
}

fn timeout_of(t: Timeouts) -> PyResult<ClientTimeout> {
    Ok(ClientTimeout {
        total: seconds(t.0)?,
        connect: seconds(t.1)?,
        sock_connect: seconds(t.2)?,
        sock_read: seconds(t.3)?,
    })
}

struct State {
    lp: asyncio::EventLoop,
    home: asyncio::RemoteHandle,
    /// `None` once closed.
    session: RefCell<Option<ClientSession>>,
    /// A twin that does not verify certificates, for requests made with `ssl=False` on a
    /// session that does; made on first use, sharing the cookie jar.
    insecure: RefCell<Option<ClientSession>>,
    config: SessionConfig,
    errors: Py<PyAny>,
}

impl State {
    /// The session for a new request (its insecure twin for `ssl=False`), refused once the
    /// loop or the session is closed.
    fn session(&self, verify: Option<bool>) -> PyResult<ClientSession> {
        if self.lp.is_closed() {
            return Err(PyRuntimeError::new_err("Event loop is closed"));
        }
        let Some(s) = self.session.borrow().clone() else {
            return Err(PyRuntimeError::new_err("Session is closed"));
        };
        let verifies = !self.config.connector.accept_invalid_certs;
        if verify != Some(false) || !verifies {
            return Ok(s);
        }
        let mut twin = self.insecure.borrow_mut();
        if let Some(t) = &*twin {
            return Ok(t.clone());
        }
        let mut config = self.config.clone();
        config.cookies = s.cookie_jar().cloned();
        config.connector.accept_invalid_certs = true;
        let t = ClientSession::with_config(config);
        *twin = Some(t.clone());
        Ok(t)
    }
}

/// A client session on one loop: its pool, cookie jar and settings.
#[pyclass(frozen, module = "asyncio_rs._core")]
pub struct HttpSession {
    st: OnThread<State>,
}

impl std::fmt::Debug for HttpSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpSession").finish_non_exhaustive()
    }
}

#[pymethods]
impl HttpSession {
    /// A session on `py_loop` (an `asyncio_rs` loop; any other is refused), whose failures are
    /// made into exceptions by `errors(kind, phase, url, message, status, errno)`.
    #[new]
    #[pyo3(signature = (
        py_loop, errors, *, base_url=None, headers=Vec::new(),
        timeout=(Some(300.0), None, Some(30.0), None), limit=100, limit_per_host=0,
        ttl_dns_cache=Some(10.0), keepalive_timeout=15.0, verify_ssl=true, cookies=true,
        auto_decompress=true, trust_env=false, max_redirects=10, proxy=None, max_body=None,
    ))]
    #[expect(
        clippy::too_many_arguments,
        reason = "aiohttp's keyword arguments, one each"
    )]
    fn new(
        py_loop: &Bound<'_, PyAny>,
        errors: Py<PyAny>,
        base_url: Option<&str>,
        headers: Vec<(String, String)>,
        timeout: Timeouts,
        limit: usize,
        limit_per_host: usize,
        ttl_dns_cache: Option<f64>,
        keepalive_timeout: f64,
        verify_ssl: bool,
        cookies: bool,
        auto_decompress: bool,
        trust_env: bool,
        max_redirects: usize,
        proxy: Option<String>,
        max_body: Option<u64>,
    ) -> PyResult<Self> {
        let core = py_loop.getattr("_core").map_err(|_| not_ours(py_loop))?;
        let core = core.cast::<Loop>().map_err(|_| not_ours(py_loop))?;
        let (lp, env) = core.get().parts()?;
        let mut config = SessionConfig::default();
        for (k, v) in &headers {
            let name = asyncio_http::HeaderName::try_from(k.as_str())
                .map_err(|_| PyValueError::new_err(format!("invalid header name {k:?}")))?;
            let value = asyncio_http::HeaderValue::try_from(v.as_str())
                .map_err(|_| PyValueError::new_err(format!("invalid value for header {k}")))?;
            config.headers.insert(name, value);
        }
        if let Some(b) = base_url {
            let url = url::Url::parse(b)
                .map_err(|e| PyValueError::new_err(format!("invalid base_url {b:?}: {e}")))?;
            config.base_url = Some(url);
        }
        config.timeout = timeout_of(timeout)?;
        config.connector.limit = limit;
        config.connector.limit_per_host = limit_per_host;
        config.connector.dns_ttl = seconds(ttl_dns_cache)?.unwrap_or(Duration::ZERO);
        config.connector.keepalive_timeout = seconds(Some(keepalive_timeout))?.unwrap_or_default();
        if !verify_ssl {
            config.connector.accept_invalid_certs = true;
        }
        if !cookies {
            config.cookies = None;
        }
        config.auto_decompress = auto_decompress;
        config.trust_env = trust_env;
        config.max_redirects = max_redirects;
        config.max_body = max_body;
        if let Some(p) = proxy {
            config.proxy = Proxies::all(p);
        }
        let session = ClientSession::with_config(config.clone());
        let home = env.remote.clone();
        let st = State {
            lp,
            home: home.clone(),
            session: RefCell::new(Some(session)),
            insecure: RefCell::new(None),
            config,
            errors,
        };
        Ok(Self {
            st: OnThread::new(st, home),
        })
    }

    /// Starts a request; `fut` (an asyncio future) gets the [`HttpResponse`] once its headers
    /// are in, or the exception. Cancel the returned call if the awaiter is cancelled.
    #[pyo3(signature = (
        fut, method, url, headers=None, body=None, params=None, allow_redirects=true,
        max_redirects=None, timeout=None, proxy=None, verify_ssl=None, cookies=None,
        stream=None,
    ))]
    #[expect(
        clippy::too_many_arguments,
        reason = "aiohttp's keyword arguments, one each"
    )]
    fn request(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        method: &str,
        url: &str,
        headers: Option<Vec<(String, String)>>,
        body: Option<&Bound<'_, PyBytes>>,
        params: Option<Vec<(String, String)>>,
        allow_redirects: bool,
        max_redirects: Option<usize>,
        timeout: Option<Timeouts>,
        proxy: Option<String>,
        verify_ssl: Option<bool>,
        cookies: Option<Vec<(String, String)>>,
        stream: Option<PyRef<'_, HttpBodyPipe>>,
    ) -> PyResult<HttpCall> {
        let st = self.st.get()?;
        let session = st.session(verify_ssl)?;
        let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| PyValueError::new_err(format!("invalid method {method:?}")))?;
        let mut req = session.request(method, url);
        for (k, v) in headers.iter().flatten() {
            req = req.header(k, v);
        }
        if let Some(params) = params.filter(|p| !p.is_empty()) {
            let pairs: Vec<(&str, &str)> = params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            req = req.query(&pairs);
        }
        if let Some(b) = body {
            req = req.body(Bytes::copy_from_slice(b.as_bytes()));
        }
        if let Some(pipe) = stream {
            req = req.body_try_stream(pipe.stream()?);
        }
        req = req.follow_redirects(allow_redirects);
        if let Some(m) = max_redirects {
            req = req.max_redirects(m);
        }
        if let Some(t) = timeout {
            req = req.timeout(timeout_of(t)?);
        }
        if let Some(p) = proxy {
            req = req.proxy(Proxies::all(p));
        }
        for (k, v) in cookies.iter().flatten() {
            req = req.cookie(k, v);
        }
        let ex = Rc::new(Exchange::new(st.errors.clone_ref(py)));
        let (ex2, home) = (ex.clone(), st.home.clone());
        let handle = st.lp.spawn(async move {
            match req.send().await {
                Err(e) => in_callback(|py| fail(py, &fut, &ex2.errors, &e)),
                Ok(resp) => {
                    let taken = in_callback(|py| deliver(py, &fut, &resp, &ex2, home));
                    // The future holds the response object: kept here, it would keep the
                    // response alive for as long as the body is read.
                    in_callback(|_| drop(fut));
                    if taken {
                        pump(resp, &ex2.body).await;
                    }
                }
            }
            // The task's handle goes: nothing holds the exchange in a cycle any more.
            drop(ex2.task.borrow_mut().take());
        });
        *ex.task.borrow_mut() = Some(handle.task().clone());
        Ok(HttpCall {
            ex: OnThread::new(ex, st.home.clone()),
        })
    }

    /// Opens a WebSocket; `fut` gets the [`HttpWebSocket`] once the handshake is done, or the
    /// exception.
    #[pyo3(signature = (
        fut, url, protocols=Vec::new(), headers=Vec::new(), heartbeat=None, autoping=true,
        max_msg_size=4 * 1024 * 1024, timeout=Some(10.0), proxy=None, verify_ssl=None,
    ))]
    #[expect(
        clippy::too_many_arguments,
        reason = "aiohttp's keyword arguments, one each"
    )]
    fn ws_connect(
        &self,
        py: Python<'_>,
        fut: Py<PyAny>,
        url: &str,
        protocols: Vec<String>,
        headers: Vec<(String, String)>,
        heartbeat: Option<f64>,
        autoping: bool,
        max_msg_size: usize,
        timeout: Option<f64>,
        proxy: Option<String>,
        verify_ssl: Option<bool>,
    ) -> PyResult<HttpCall> {
        let st = self.st.get()?;
        let session = st.session(verify_ssl)?;
        let mut c = session
            .ws_connect(url)
            .protocols(protocols)
            .autoping(autoping)
            .max_message_size((max_msg_size > 0).then_some(max_msg_size))
            .timeout(seconds(timeout)?);
        for (k, v) in &headers {
            c = c.header(k, v);
        }
        if let Some(h) = seconds(heartbeat)? {
            c = c.heartbeat(h);
        }
        if let Some(p) = proxy {
            c = c.proxy(Proxies::all(p));
        }
        // The exchange only carries the task, for `HttpCall.cancel` during the handshake.
        let ex = Rc::new(Exchange::new(st.errors.clone_ref(py)));
        let ws_state = Rc::new(WsState::new(st.errors.clone_ref(py)));
        let (ex2, home) = (ex.clone(), st.home.clone());
        let handle = st.lp.spawn(async move {
            match c.connect().await {
                Err(e) => in_callback(|py| fail(py, &fut, &ex2.errors, &e)),
                Ok(ws) => {
                    let protocol = ws.protocol().map(str::to_owned);
                    let taken = in_callback(|py| {
                        let fut = fut.bind(py);
                        if is_done(fut) {
                            return false;
                        }
                        let obj = HttpWebSocket {
                            st: OnThread::new(ws_state.clone(), home),
                            protocol,
                        };
                        let set = Py::new(py, obj)
                            .and_then(|o| fut.call_method1(pyo3::intern!(py, "set_result"), (o,)));
                        set.is_ok()
                    });
                    drop(ex2.task.borrow_mut().take());
                    if taken {
                        let task = asyncio::spawn(ws::run(ws, ws_state.clone()));
                        *ws_state.task.borrow_mut() = Some(task.task().clone());
                    }
                    return;
                }
            }
            drop(ex2.task.borrow_mut().take());
        });
        *ex.task.borrow_mut() = Some(handle.task().clone());
        Ok(HttpCall {
            ex: OnThread::new(ex, st.home.clone()),
        })
    }

    /// Closes the session: its idle connections now, the others as their requests end.
    fn close(&self) -> PyResult<()> {
        let st = self.st.get()?;
        let (a, b) = (st.session.take(), st.insecure.take());
        drop((a, b));
        Ok(())
    }

    /// Whether `close` was called.
    #[getter]
    fn closed(&self) -> PyResult<bool> {
        Ok(self.st.get()?.session.borrow().is_none())
    }

    /// Idle connections in the pool.
    fn idle_connections(&self) -> PyResult<usize> {
        let st = self.st.get()?;
        Ok(st
            .session
            .borrow()
            .as_ref()
            .map_or(0, |s| s.idle_connections()))
    }

    /// The `Cookie` header the jar would send to `url` (`None`: none, or no jar).
    fn cookie_header(&self, url: &str) -> PyResult<Option<String>> {
        let url = parse(url)?;
        let st = self.st.get()?;
        let session = st.session.borrow();
        let jar = session.as_ref().and_then(|s| s.cookie_jar());
        Ok(jar
            .and_then(|j| j.header_for(&url, &[]))
            .and_then(|v| v.to_str().ok().map(str::to_owned)))
    }

    /// Stores a `Set-Cookie` header's cookie as if `url` had sent it; `False` when refused.
    fn set_cookie(&self, header: &str, url: &str) -> PyResult<bool> {
        let url = parse(url)?;
        let st = self.st.get()?;
        let session = st.session.borrow();
        match session.as_ref().and_then(|s| s.cookie_jar()) {
            Some(jar) => Ok(jar.set(header, &url).is_ok()),
            None => Ok(false),
        }
    }

    /// Every cookie in the jar, in Netscape `cookies.txt` form.
    fn cookies_text(&self) -> PyResult<String> {
        let st = self.st.get()?;
        let session = st.session.borrow();
        Ok(session
            .as_ref()
            .and_then(|s| s.cookie_jar())
            .map(|j| j.to_netscape())
            .unwrap_or_default())
    }

    /// Empties the jar.
    fn clear_cookies(&self) -> PyResult<()> {
        let st = self.st.get()?;
        if let Some(jar) = st.session.borrow().as_ref().and_then(|s| s.cookie_jar()) {
            jar.clear();
        }
        Ok(())
    }
}

fn parse(url: &str) -> PyResult<url::Url> {
    url::Url::parse(url).map_err(|e| PyValueError::new_err(format!("invalid URL {url:?}: {e}")))
}

fn not_ours(py_loop: &Bound<'_, PyAny>) -> PyErr {
    let name = py_loop
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default();
    PyTypeError::new_err(format!(
        "asyncio_rs.http runs on asyncio_rs's event loop only, not on {name}: start the program \
         with asyncio_rs.run(main()) or call asyncio_rs.install() first, or use aiohttp"
    ))
}

/// Sets `e`, as the package's exception, on `fut` (unless it was cancelled meanwhile).
fn fail(py: Python<'_>, fut: &Py<PyAny>, errors: &Py<PyAny>, e: &asyncio_http::Error) {
    let err = to_py(py, errors, e, Phase::Request);
    let fut = fut.bind(py);
    if !is_done(fut) {
        let _ = fut.call_method1(pyo3::intern!(py, "set_exception"), (err,));
    }
}

fn is_done(fut: &Bound<'_, PyAny>) -> bool {
    fut.call_method0(pyo3::intern!(fut.py(), "done"))
        .and_then(|d| d.is_truthy())
        .unwrap_or(true)
}

/// Hands the response to `fut`; `false` when no one takes it (the future was cancelled).
fn deliver(
    py: Python<'_>,
    fut: &Py<PyAny>,
    resp: &asyncio_http::Response,
    ex: &Rc<Exchange>,
    home: asyncio::RemoteHandle,
) -> bool {
    let fut = fut.bind(py);
    if is_done(fut) {
        return false;
    }
    let version = match resp.version() {
        asyncio_http::Version::HTTP_09 => (0, 9),
        asyncio_http::Version::HTTP_10 => (1, 0),
        asyncio_http::Version::HTTP_2 => (2, 0),
        asyncio_http::Version::HTTP_3 => (3, 0),
        _ => (1, 1),
    };
    let obj = HttpResponse {
        ex: OnThread::new(ex.clone(), home),
        status: resp.status().as_u16(),
        reason: resp.reason().to_owned(),
        version,
        url: resp.url().to_string(),
        headers: resp.headers().clone(),
        history: resp.history().to_vec(),
        peer: resp.remote_addr(),
    };
    let set =
        Py::new(py, obj).and_then(|r| fut.call_method1(pyo3::intern!(py, "set_result"), (r,)));
    if let Err(e) = set {
        e.write_unraisable(py, Some(fut));
        return false;
    }
    true
}
