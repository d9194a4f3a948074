//! [`Transport`]: asyncio's stream transport — a socket driven by one task that calls a
//! protocol's callbacks, with a write buffer and flow control.

use std::cell::RefCell;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::os::fd::RawFd;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::raw::RawStream;
use super::sink::Sink;

/// Reads per driver turn before it lets other tasks run.
const READ_BUDGET: usize = 16;

pub(crate) struct State {
    io: Option<Rc<dyn RawStream>>,
    wbuf: Vec<u8>,
    sent: usize,
    high: usize,
    low: usize,
    /// The protocol was told to pause writing and not yet to resume.
    writing_paused: bool,
    /// A pause/resume the driver must deliver (`Some(true)`: pause).
    flow_event: Option<bool>,
    reading_paused: bool,
    eof_requested: bool,
    eof_sent: bool,
    closing: bool,
    aborted: bool,
    driver: Option<Waker>,
}

impl State {
    fn buffered(&self) -> usize {
        self.wbuf.len() - self.sent
    }

    fn wake_driver(&mut self) {
        if let Some(w) = self.driver.take() {
            w.wake();
        }
    }

    fn note_flow(&mut self) {
        let buffered = self.buffered();
        if !self.writing_paused && buffered > self.high {
            self.writing_paused = true;
            self.flow_event = Some(true);
            self.wake_driver();
        } else if self.writing_paused && buffered <= self.low {
            self.writing_paused = false;
            self.flow_event = Some(false);
        }
    }
}

/// A connection's transport (asyncio's `Transport`): write without waiting, flow control
/// through the protocol's `pause_writing`/`resume_writing`, half-close, close and abort.
/// Cheap to clone; all clones are one transport.
///
/// ```
/// use asyncio::transport::{create_connection, create_server, Protocol, Transport};
///
/// struct Echo(Option<Transport>);
/// impl Protocol for Echo {
///     fn connection_made(&mut self, t: &Transport) { self.0 = Some(t.clone()); }
///     fn data_received(&mut self, data: &[u8]) { self.0.as_ref().unwrap().write(data); }
/// }
///
/// #[derive(Default)]
/// struct Client { got: Vec<u8>, done: asyncio::sync::Event }
/// impl Protocol for Client {
///     fn connection_made(&mut self, t: &Transport) { t.write(b"ping"); }
///     fn data_received(&mut self, data: &[u8]) {
///         self.got.extend_from_slice(data);
///         if self.got.len() == 4 { self.done.set(); }
///     }
/// }
///
/// asyncio::run(async {
///     let server = create_server(|| Echo(None), "127.0.0.1:0").await.unwrap();
///     let (t, client) = create_connection(Client::default, server.local_addr().unwrap())
///         .await
///         .unwrap();
///     let done = client.borrow().done.clone();
///     done.wait().await;
///     assert_eq!(client.borrow().got, b"ping");
///     t.close();
/// });
/// ```
#[derive(Clone)]
pub struct Transport {
    state: Rc<RefCell<State>>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.borrow();
        f.debug_struct("Transport")
            .field("peer", &s.io.as_ref().and_then(|io| io.peer_addr()))
            .field("buffered", &s.buffered())
            .field("closing", &s.closing)
            .finish()
    }
}

impl Transport {
    /// Sends `data` now as far as the socket takes it and buffers the rest. Ignored once the
    /// transport is closing (asyncio logs a warning there); errors reach the protocol's
    /// `connection_lost`.
    pub fn write(&self, data: &[u8]) {
        let mut s = self.state.borrow_mut();
        if s.closing || s.eof_requested || data.is_empty() {
            return;
        }
        let Some(io) = s.io.clone() else { return };
        let mut rest = data;
        if s.buffered() == 0 {
            let mut cx = Context::from_waker(Waker::noop());
            loop {
                match io.poll_write(&mut cx, rest) {
                    Poll::Ready(Ok(n)) if n > 0 => {
                        rest = &rest[n..];
                        if rest.is_empty() {
                            return;
                        }
                    }
                    Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                    // Errors and a full socket: the driver sees them on its next write.
                    _ => break,
                }
            }
            s.wbuf.clear();
            s.sent = 0;
        }
        s.wbuf.extend_from_slice(rest);
        s.note_flow();
        s.wake_driver();
    }

    /// Writes each buffer in turn.
    pub fn writelines<'a>(&self, lines: impl IntoIterator<Item = &'a [u8]>) {
        for line in lines {
            self.write(line);
        }
    }

    /// Closes the writing side after the buffer is flushed (the peer reads end of file).
    pub fn write_eof(&self) {
        let mut s = self.state.borrow_mut();
        s.eof_requested = true;
        s.wake_driver();
    }

    /// Whether [`write_eof`](Self::write_eof) is supported (always, for sockets).
    pub fn can_write_eof(&self) -> bool {
        true
    }

    /// Flushes the buffer, then closes; the protocol's `connection_lost(None)` follows.
    pub fn close(&self) {
        let mut s = self.state.borrow_mut();
        s.closing = true;
        s.wake_driver();
    }

    /// Closes at once, dropping buffered data (a reset for TCP).
    pub fn abort(&self) {
        let mut s = self.state.borrow_mut();
        s.closing = true;
        s.aborted = true;
        s.wbuf.clear();
        s.sent = 0;
        s.wake_driver();
    }

    /// Whether `close` or `abort` was called, or the connection ended.
    pub fn is_closing(&self) -> bool {
        let s = self.state.borrow();
        s.closing || s.io.is_none()
    }

    /// Stops calling `data_received` until [`resume_reading`](Self::resume_reading).
    pub fn pause_reading(&self) {
        self.state.borrow_mut().reading_paused = true;
    }

    /// Calls `data_received` again.
    pub fn resume_reading(&self) {
        let mut s = self.state.borrow_mut();
        s.reading_paused = false;
        s.wake_driver();
    }

    /// Whether reading is on.
    pub fn is_reading(&self) -> bool {
        let s = self.state.borrow();
        !s.reading_paused && s.io.is_some()
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
        s.note_flow();
    }

    /// The water marks, `(low, high)` as asyncio orders them.
    pub fn get_write_buffer_limits(&self) -> (usize, usize) {
        let s = self.state.borrow();
        (s.low, s.high)
    }

    /// How many bytes wait to be sent.
    pub fn get_write_buffer_size(&self) -> usize {
        self.state.borrow().buffered()
    }

    /// The peer's address (`get_extra_info("peername")`; `None` for Unix sockets or once
    /// closed).
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.state
            .borrow()
            .io
            .as_ref()
            .and_then(|io| io.peer_addr())
    }

    /// The local address (`get_extra_info("sockname")`).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.state
            .borrow()
            .io
            .as_ref()
            .and_then(|io| io.local_addr())
    }

    /// The socket's descriptor (`get_extra_info("socket")`), while open.
    pub fn fd(&self) -> Option<RawFd> {
        self.state.borrow().io.as_ref().map(|io| io.fd())
    }
}

/// Builds the transport for `io` and `sink`, calls `connection_made`, and returns the
/// transport with the driver future its task must run.
pub(crate) fn start<K: Sink>(
    io: Rc<dyn RawStream>,
    sink: K,
) -> (Transport, impl Future<Output = ()>) {
    let transport = Transport {
        state: Rc::new(RefCell::new(State {
            io: Some(io.clone()),
            wbuf: Vec::new(),
            sent: 0,
            high: 64 * 1024,
            low: 16 * 1024,
            writing_paused: false,
            flow_event: None,
            reading_paused: false,
            eof_requested: false,
            eof_sent: false,
            closing: false,
            aborted: false,
            driver: None,
        })),
    };
    sink.connection_made(&transport);
    let driver = Driver {
        transport: transport.clone(),
        io,
        sink,
        read_eof: false,
        finished: false,
    };
    (transport, driver)
}

struct Driver<K: Sink> {
    transport: Transport,
    io: Rc<dyn RawStream>,
    sink: K,
    read_eof: bool,
    finished: bool,
}

// The driver never pins its fields.
impl<K: Sink> Unpin for Driver<K> {}

impl<K: Sink> Driver<K> {
    fn finish(&mut self, error: Option<io::Error>) -> Poll<()> {
        {
            let mut s = self.transport.state.borrow_mut();
            s.closing = true;
            s.io = None;
            s.wbuf = Vec::new();
            s.sent = 0;
            s.driver = None;
        }
        self.finished = true;
        self.sink.connection_lost(error);
        Poll::Ready(())
    }

    /// Delivers a pending pause/resume, if any.
    fn deliver_flow(&mut self) {
        let event = self.transport.state.borrow_mut().flow_event.take();
        match event {
            Some(true) => self.sink.pause_writing(),
            Some(false) => self.sink.resume_writing(),
            None => {}
        }
    }

    /// Flushes the write buffer; `Err` ends the connection.
    fn flush(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let mut s = self.transport.state.borrow_mut();
        while s.buffered() > 0 {
            let start = s.sent;
            match self.io.poll_write(cx, &s.wbuf[start..]) {
                Poll::Ready(Ok(0)) => {
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "socket took no bytes",
                    ))
                }
                Poll::Ready(Ok(n)) => {
                    s.sent += n;
                    if s.buffered() == 0 {
                        s.wbuf.clear();
                        s.sent = 0;
                    }
                    s.note_flow();
                }
                Poll::Ready(Err(e)) if e.kind() == io::ErrorKind::Interrupted => {}
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => break,
            }
        }
        if s.buffered() == 0 && s.eof_requested && !s.eof_sent {
            s.eof_sent = true;
            self.io.shutdown_write()?;
        }
        Ok(())
    }
}

impl<K: Sink> Future for Driver<K> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(());
        }
        let mut reads = 0;
        loop {
            this.deliver_flow();
            let (aborted, closing) = {
                let s = this.transport.state.borrow();
                (s.aborted, s.closing)
            };
            if aborted {
                this.io.abort();
                return this.finish(None);
            }
            if let Err(e) = this.flush(cx) {
                return this.finish(Some(e));
            }
            this.deliver_flow();
            let (buffered, reading_paused, eof_sent) = {
                let s = this.transport.state.borrow();
                (s.buffered(), s.reading_paused, s.eof_sent)
            };
            if closing && buffered == 0 {
                return this.finish(None);
            }
            if this.read_eof && eof_sent && buffered == 0 {
                // Both directions are done.
                return this.finish(None);
            }
            if reading_paused || this.read_eof || closing {
                break;
            }
            if reads == READ_BUDGET {
                // Let other tasks run; come back next turn.
                cx.waker().wake_by_ref();
                break;
            }
            reads += 1;
            match this.sink.poll_receive(&*this.io, cx) {
                Poll::Pending => break,
                Poll::Ready(Ok(0)) => {
                    this.read_eof = true;
                    if !this.sink.eof_received() {
                        this.transport.close();
                    }
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return this.finish(Some(e)),
            }
        }
        this.transport.state.borrow_mut().driver = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<K: Sink> Drop for Driver<K> {
    fn drop(&mut self) {
        // The loop closed (or the task was cancelled) under a live connection.
        if !self.finished {
            let _ = self.finish(Some(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the event loop closed the transport",
            )));
        }
    }
}
