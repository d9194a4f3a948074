//! [`Sink`]: how a driver hands received bytes to a plain or a buffered protocol.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::task::{Context, Poll};

use super::raw::RawStream;
use super::{BufferedProtocol, Protocol, Transport};

/// The size of the loop's shared receive buffer for plain protocols (uvloop's too): one per
/// thread, so its size costs nothing per connection, and a large message arrives in one
/// system call.
const READ_BUFFER: usize = 256 * 1024;

thread_local! {
    /// One receive buffer per thread, lent to whichever plain protocol's driver is reading
    /// (`data_received` runs synchronously, so one is enough — uvloop does the same), instead
    /// of a buffer per connection.
    static SHARED: RefCell<Option<Box<[u8]>>> = const { RefCell::new(None) };
}

pub(crate) trait Sink: 'static {
    fn connection_made(&self, transport: &Transport);
    /// Reads once and delivers; `Ok(0)` at end of file.
    fn poll_receive(&mut self, io: &dyn RawStream, cx: &mut Context<'_>)
        -> Poll<io::Result<usize>>;
    fn eof_received(&self) -> bool;
    fn connection_lost(&self, error: Option<io::Error>);
    fn pause_writing(&self);
    fn resume_writing(&self);
}

pub(crate) struct Plain<P>(pub(crate) Rc<RefCell<P>>);

impl<P: Protocol> Sink for Plain<P> {
    fn connection_made(&self, transport: &Transport) {
        self.0.borrow_mut().connection_made(transport);
    }

    fn poll_receive(
        &mut self,
        io: &dyn RawStream,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let mut buf = SHARED
            .with(|b| b.borrow_mut().take())
            .unwrap_or_else(|| vec![0u8; READ_BUFFER].into_boxed_slice());
        let result = io.poll_read(cx, &mut buf);
        if let Poll::Ready(Ok(n)) = result {
            if n > 0 {
                self.0.borrow_mut().data_received(&buf[..n]);
            }
        }
        SHARED.with(|b| *b.borrow_mut() = Some(buf));
        result
    }

    fn eof_received(&self) -> bool {
        self.0.borrow_mut().eof_received()
    }

    fn connection_lost(&self, error: Option<io::Error>) {
        self.0.borrow_mut().connection_lost(error);
    }

    fn pause_writing(&self) {
        self.0.borrow_mut().pause_writing();
    }

    fn resume_writing(&self) {
        self.0.borrow_mut().resume_writing();
    }
}

pub(crate) struct Buffered<P>(pub(crate) Rc<RefCell<P>>);

impl<P: BufferedProtocol> Sink for Buffered<P> {
    fn connection_made(&self, transport: &Transport) {
        self.0.borrow_mut().connection_made(transport);
    }

    fn poll_receive(
        &mut self,
        io: &dyn RawStream,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<usize>> {
        let mut p = self.0.borrow_mut();
        let buf = p.get_buffer(READ_BUFFER);
        assert!(
            !buf.is_empty(),
            "BufferedProtocol::get_buffer returned an empty buffer"
        );
        let result = io.poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = result {
            if n > 0 {
                p.buffer_updated(n);
            }
        }
        result
    }

    fn eof_received(&self) -> bool {
        self.0.borrow_mut().eof_received()
    }

    fn connection_lost(&self, error: Option<io::Error>) {
        self.0.borrow_mut().connection_lost(error);
    }

    fn pause_writing(&self) {
        self.0.borrow_mut().pause_writing();
    }

    fn resume_writing(&self) {
        self.0.borrow_mut().resume_writing();
    }
}
