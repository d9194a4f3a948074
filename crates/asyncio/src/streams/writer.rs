//! [`StreamWriter`]: asyncio's writer — `write` buffers without waiting, `drain` waits for the
//! buffer to fall below its low-water mark, a background flush sends the rest.

use std::cell::RefCell;
use std::future::poll_fn;
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use futures_io::AsyncWrite;

/// asyncio's default high-water mark: 64 KiB.
pub const DEFAULT_HIGH_WATER: usize = 64 * 1024;

struct State<W> {
    /// `None` once closed or aborted.
    inner: Option<W>,
    buf: Vec<u8>,
    /// Bytes of `buf` already sent.
    sent: usize,
    high: usize,
    low: usize,
    /// The first write error; later writes and drains report it.
    error: Option<(io::ErrorKind, String)>,
    flushing: bool,
    eof_requested: bool,
    closing: bool,
    drain_waiters: Vec<Waker>,
    close_waiters: Vec<Waker>,
}

impl<W> State<W> {
    fn buffered(&self) -> usize {
        self.buf.len() - self.sent
    }

    fn error(&self) -> Option<io::Error> {
        self.error
            .as_ref()
            .map(|(kind, msg)| io::Error::new(*kind, msg.clone()))
    }

    fn closed(&self) -> bool {
        self.inner.is_none()
    }
}

/// A buffered writer with asyncio's `StreamWriter` methods. Cloning gives another handle on the
/// same writer (a chat server keeps one per client in a shared list).
///
/// `write` never waits: it sends what the socket takes at once and buffers the rest, which a
/// background task flushes. Call [`drain`](Self::drain) after writing to wait while the buffer
/// is above the high-water mark (flow control). Writing after the peer left reports the error
/// on the next `write`/`drain`; it never raises `SIGPIPE`.
///
/// ```
/// use asyncio::streams::{StreamReader, StreamWriter};
/// asyncio::run(async {
///     let (a, b) = asyncio::net::UnixStream::pair().unwrap();
///     let w = StreamWriter::new(a);
///     w.write(b"hello ").unwrap();
///     w.writelines([&b"wor"[..], b"ld\n"]).unwrap();
///     w.drain().await.unwrap();
///     w.close();
///     w.wait_closed().await.unwrap();
///     let mut r = StreamReader::new(b);
///     assert_eq!(r.readline().await.unwrap(), b"hello world\n");
///     assert!(r.read(1).await.unwrap().is_empty());
/// });
/// ```
pub struct StreamWriter<W> {
    state: Rc<RefCell<State<W>>>,
}

impl<W> Clone for StreamWriter<W> {
    fn clone(&self) -> Self {
        Self {
            state: self.state.clone(),
        }
    }
}

impl<W> std::fmt::Debug for StreamWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.borrow();
        f.debug_struct("StreamWriter")
            .field("buffered", &s.buffered())
            .field("closing", &s.closing)
            .finish()
    }
}

impl<W: AsyncWrite + Unpin + 'static> StreamWriter<W> {
    /// A writer with asyncio's water marks (high 64 KiB, low 16 KiB).
    pub fn new(inner: W) -> Self {
        Self {
            state: Rc::new(RefCell::new(State {
                inner: Some(inner),
                buf: Vec::new(),
                sent: 0,
                high: DEFAULT_HIGH_WATER,
                low: DEFAULT_HIGH_WATER / 4,
                error: None,
                flushing: false,
                eof_requested: false,
                closing: false,
                drain_waiters: Vec::new(),
                close_waiters: Vec::new(),
            })),
        }
    }

    /// Sends `data` now as far as the socket takes it and buffers the rest.
    ///
    /// # Errors
    /// The connection's error if an earlier write failed; `NotConnected` after `close` or
    /// `write_eof`.
    pub fn write(&self, data: &[u8]) -> io::Result<()> {
        let mut s = self.state.borrow_mut();
        if let Some(e) = s.error() {
            return Err(e);
        }
        if s.closing || s.eof_requested || s.closed() {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                "write after close or write_eof",
            ));
        }
        if data.is_empty() {
            return Ok(());
        }
        let mut rest = data;
        if s.buffered() == 0 {
            // Nothing queued: try the socket directly, as asyncio's transports do.
            let mut cx = Context::from_waker(Waker::noop());
            let inner = s.inner.as_mut().expect("open");
            loop {
                match Pin::new(&mut *inner).poll_write(&mut cx, rest) {
                    Poll::Ready(Ok(0)) | Poll::Pending => break,
                    Poll::Ready(Ok(n)) => {
                        rest = &rest[n..];
                        if rest.is_empty() {
                            return Ok(());
                        }
                    }
                    Poll::Ready(Err(e)) => {
                        let out = io::Error::new(e.kind(), e.to_string());
                        fail(&mut s, e);
                        return Err(out);
                    }
                }
            }
            s.buf.clear();
            s.sent = 0;
        }
        s.buf.extend_from_slice(rest);
        drop(s);
        // The socket just said it is full (or a flush is under way): no point asking again now.
        self.spawn_flush();
        Ok(())
    }

    /// Writes each buffer in turn (asyncio's `writelines`).
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn writelines<'a>(&self, lines: impl IntoIterator<Item = &'a [u8]>) -> io::Result<()> {
        for line in lines {
            self.write(line)?;
        }
        Ok(())
    }

    /// Waits while more than the high-water mark is buffered, until the buffer falls to the
    /// low-water mark.
    ///
    /// # Errors
    /// The connection's error if a write failed.
    ///
    /// # Cancel safety
    /// Cancel-safe: the buffered data keeps flushing.
    pub async fn drain(&self) -> io::Result<()> {
        let mut waiting = false;
        poll_fn(|cx| {
            let mut s = self.state.borrow_mut();
            if let Some(e) = s.error() {
                return Poll::Ready(Err(e));
            }
            let limit = if waiting { s.low } else { s.high };
            if s.buffered() <= limit || s.closed() {
                return Poll::Ready(Ok(()));
            }
            waiting = true;
            s.drain_waiters.push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// Closes the writing side once the buffer is flushed: the peer reads end of file, and
    /// reading from this connection still works (asyncio's `write_eof`).
    pub fn write_eof(&self) {
        self.state.borrow_mut().eof_requested = true;
        self.start_flush();
    }

    /// Whether [`write_eof`](Self::write_eof) is supported (always).
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Flushes what is buffered, then closes. Returns at once; see
    /// [`wait_closed`](Self::wait_closed).
    pub fn close(&self) {
        self.state.borrow_mut().closing = true;
        self.start_flush();
    }

    /// Closes at once, dropping buffered data.
    pub fn abort(&self) {
        let mut s = self.state.borrow_mut();
        s.closing = true;
        s.buf.clear();
        s.sent = 0;
        s.inner = None;
        wake(&mut s.drain_waiters);
        wake(&mut s.close_waiters);
    }

    /// Whether `close` or `abort` was called.
    pub fn is_closing(&self) -> bool {
        self.state.borrow().closing
    }

    /// Waits until the writer is closed.
    ///
    /// # Errors
    /// The error that ended the connection, if one did.
    ///
    /// # Cancel safety
    /// Cancel-safe.
    pub async fn wait_closed(&self) -> io::Result<()> {
        poll_fn(|cx| {
            let mut s = self.state.borrow_mut();
            if s.closed() {
                return Poll::Ready(s.error().map_or(Ok(()), Err));
            }
            s.close_waiters.push(cx.waker().clone());
            Poll::Pending
        })
        .await
    }

    /// How many bytes wait to be sent (asyncio's `transport.get_write_buffer_size()`).
    pub fn write_buffer_size(&self) -> usize {
        self.state.borrow().buffered()
    }

    /// Sets the water marks (`low` defaults to a quarter of `high`).
    ///
    /// # Panics
    /// If `low > high`.
    pub fn set_write_buffer_limits(&self, high: usize, low: Option<usize>) {
        let low = low.unwrap_or(high / 4);
        assert!(low <= high, "low-water mark above high-water mark");
        let mut s = self.state.borrow_mut();
        s.high = high;
        s.low = low;
    }

    /// Flushes everything buffered, then takes the wrapped writer out (for a TLS upgrade);
    /// other clones of this writer see it closed.
    ///
    /// # Errors
    /// The connection's error if a write failed, or `NotConnected` when already closed.
    ///
    /// # Cancel safety
    /// Not cancel-safe: dropped before the flush completes, the writer and its unflushed data
    /// are dropped.
    pub async fn into_inner(self) -> io::Result<W> {
        poll_fn(|cx| {
            let mut s = self.state.borrow_mut();
            if let Some(e) = s.error() {
                return Poll::Ready(Err(e));
            }
            if s.buffered() == 0 || s.closed() {
                return Poll::Ready(Ok(()));
            }
            s.drain_waiters.push(cx.waker().clone());
            Poll::Pending
        })
        .await?;
        let mut s = self.state.borrow_mut();
        s.closing = true;
        let inner = s.inner.take();
        wake(&mut s.close_waiters);
        inner.ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "the writer is closed"))
    }

    /// Calls `f` with the wrapped writer (`None` once closed), e.g. to read the peer's address.
    pub fn with_inner<T>(&self, f: impl FnOnce(&W) -> T) -> Option<T> {
        self.state.borrow().inner.as_ref().map(f)
    }

    /// Finishes buffered work now if it can; otherwise starts the background flush.
    fn start_flush(&self) {
        {
            let mut s = self.state.borrow_mut();
            if s.flushing {
                return;
            }
            let mut cx = Context::from_waker(Waker::noop());
            if let Poll::Ready(()) = step(&mut s, &mut cx) {
                return;
            }
        }
        self.spawn_flush();
    }

    /// Starts the background flush task unless one runs.
    fn spawn_flush(&self) {
        {
            let mut s = self.state.borrow_mut();
            if s.flushing {
                return;
            }
            s.flushing = true;
        }
        let state = self.state.clone();
        crate::task::spawn_named("stream.flush", async move {
            poll_fn(|cx| step(&mut state.borrow_mut(), cx)).await;
            state.borrow_mut().flushing = false;
        });
    }
}

/// The `futures-io` view: `poll_write` buffers like [`StreamWriter::write`] but waits while more
/// than the high-water mark is buffered; `poll_flush` waits for the buffer to empty;
/// `poll_close` closes and waits for it.
impl<W: AsyncWrite + Unpin + 'static> AsyncWrite for StreamWriter<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        {
            let mut s = self.state.borrow_mut();
            if let Some(e) = s.error() {
                return Poll::Ready(Err(e));
            }
            if s.buffered() > s.high {
                s.drain_waiters.push(cx.waker().clone());
                return Poll::Pending;
            }
        }
        Poll::Ready(self.write(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let mut s = self.state.borrow_mut();
        if let Some(e) = s.error() {
            return Poll::Ready(Err(e));
        }
        if s.buffered() == 0 || s.closed() {
            return Poll::Ready(Ok(()));
        }
        s.drain_waiters.push(cx.waker().clone());
        Poll::Pending
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if !self.is_closing() {
            self.close();
        }
        let mut s = self.state.borrow_mut();
        if s.closed() {
            return Poll::Ready(s.error().map_or(Ok(()), Err));
        }
        s.close_waiters.push(cx.waker().clone());
        Poll::Pending
    }
}

/// Sends the buffer, then performs a requested `write_eof` or close. `Ready` when nothing is
/// left to do.
fn step<W: AsyncWrite + Unpin>(s: &mut State<W>, cx: &mut Context<'_>) -> Poll<()> {
    loop {
        let State {
            inner, buf, sent, ..
        } = &mut *s;
        let Some(inner) = inner.as_mut() else {
            return Poll::Ready(());
        };
        if *sent < buf.len() {
            match Pin::new(&mut *inner).poll_write(cx, &buf[*sent..]) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    fail(
                        s,
                        io::Error::new(io::ErrorKind::WriteZero, "the stream took no bytes"),
                    );
                    return Poll::Ready(());
                }
                Poll::Ready(Ok(n)) => {
                    s.sent += n;
                    if s.buffered() == 0 {
                        s.buf.clear();
                        s.sent = 0;
                    }
                    if s.buffered() <= s.low {
                        wake(&mut s.drain_waiters);
                    }
                    continue;
                }
                Poll::Ready(Err(e)) => {
                    fail(s, e);
                    return Poll::Ready(());
                }
            }
        }
        if s.eof_requested || s.closing {
            let inner = s.inner.as_mut().expect("checked above");
            match Pin::new(inner).poll_close(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Err(e)) if e.kind() != io::ErrorKind::NotConnected => fail(s, e),
                Poll::Ready(_) => {}
            }
            s.eof_requested = false;
            if s.closing {
                s.inner = None;
                wake(&mut s.close_waiters);
                wake(&mut s.drain_waiters);
            }
        }
        return Poll::Ready(());
    }
}

fn fail<W>(s: &mut State<W>, e: io::Error) {
    if s.error.is_none() {
        s.error = Some((e.kind(), e.to_string()));
    }
    s.buf.clear();
    s.sent = 0;
    s.inner = None;
    s.closing = true;
    wake(&mut s.drain_waiters);
    wake(&mut s.close_waiters);
}

fn wake(waiters: &mut Vec<Waker>) {
    for w in waiters.drain(..) {
        w.wake();
    }
}
