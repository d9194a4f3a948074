//! [`DatagramTransport`]: asyncio's datagram endpoint — a UDP socket driven by one task that
//! calls a [`DatagramProtocol`].

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

use super::DatagramProtocol;
use crate::net::UdpSocket;

/// The largest datagram received (UDP's limit).
const MAX_DATAGRAM: usize = 65_536;

struct State {
    socket: Option<Rc<UdpSocket>>,
    queue: VecDeque<(Vec<u8>, Option<SocketAddr>)>,
    queued_bytes: usize,
    closing: bool,
    driver: Option<Waker>,
}

/// A datagram endpoint's transport (asyncio's `DatagramTransport`). Cheap to clone.
#[derive(Clone)]
pub struct DatagramTransport {
    state: Rc<RefCell<State>>,
}

impl std::fmt::Debug for DatagramTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.state.borrow();
        f.debug_struct("DatagramTransport")
            .field("queued", &s.queue.len())
            .field("closing", &s.closing)
            .finish()
    }
}

impl DatagramTransport {
    /// Sends one datagram to `addr` (or the connected peer with `None`), now if the socket
    /// takes it, otherwise queued. Errors go to the protocol's `error_received`.
    pub fn sendto(&self, data: &[u8], addr: Option<SocketAddr>) {
        let mut s = self.state.borrow_mut();
        if s.closing {
            return;
        }
        let Some(socket) = s.socket.clone() else {
            return;
        };
        if s.queue.is_empty() {
            let sent = match addr {
                Some(a) => socket.try_send_to(data, a),
                None => socket.try_send(data),
            };
            match sent {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // Sent, or an error the driver reports on its next turn by retrying.
                Ok(_) => return,
                Err(_) => {}
            }
        }
        s.queued_bytes += data.len();
        s.queue.push_back((data.to_vec(), addr));
        if let Some(w) = s.driver.take() {
            w.wake();
        }
    }

    /// Bytes queued and not yet sent.
    pub fn get_write_buffer_size(&self) -> usize {
        self.state.borrow().queued_bytes
    }

    /// Sends what is queued, then closes.
    pub fn close(&self) {
        let mut s = self.state.borrow_mut();
        s.closing = true;
        if let Some(w) = s.driver.take() {
            w.wake();
        }
    }

    /// Closes now, dropping what is queued.
    pub fn abort(&self) {
        let mut s = self.state.borrow_mut();
        s.queue.clear();
        s.queued_bytes = 0;
        s.closing = true;
        if let Some(w) = s.driver.take() {
            w.wake();
        }
    }

    /// Whether the endpoint is closing or closed.
    pub fn is_closing(&self) -> bool {
        self.state.borrow().closing
    }

    /// The bound address.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        let s = self.state.borrow();
        s.socket.as_ref().and_then(|u| u.local_addr().ok())
    }
}

pub(crate) fn start<P: DatagramProtocol>(
    socket: UdpSocket,
    protocol: Rc<RefCell<P>>,
) -> DatagramTransport {
    let socket = Rc::new(socket);
    let transport = DatagramTransport {
        state: Rc::new(RefCell::new(State {
            socket: Some(socket.clone()),
            queue: VecDeque::new(),
            queued_bytes: 0,
            closing: false,
            driver: None,
        })),
    };
    protocol.borrow_mut().connection_made(&transport);
    crate::task::spawn_named(
        "transport.datagram",
        Driver {
            transport: transport.clone(),
            socket,
            protocol,
            buf: vec![0; MAX_DATAGRAM].into_boxed_slice(),
            finished: false,
        },
    );
    transport
}

struct Driver<P: DatagramProtocol> {
    transport: DatagramTransport,
    socket: Rc<UdpSocket>,
    protocol: Rc<RefCell<P>>,
    buf: Box<[u8]>,
    finished: bool,
}

impl<P: DatagramProtocol> Driver<P> {
    fn finish(&mut self, error: Option<io::Error>) -> Poll<()> {
        {
            let mut s = self.transport.state.borrow_mut();
            s.closing = true;
            s.socket = None;
            s.queue.clear();
            s.queued_bytes = 0;
        }
        self.finished = true;
        self.protocol.borrow_mut().connection_lost(error);
        Poll::Ready(())
    }
}

impl<P: DatagramProtocol> Future for Driver<P> {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let this = &mut *self;
        if this.finished {
            return Poll::Ready(());
        }
        // Send what is queued.
        loop {
            let front = this.transport.state.borrow_mut().queue.pop_front();
            let Some((data, addr)) = front else { break };
            let r = match addr {
                Some(a) => this.socket.poll_send_to(cx, &data, a),
                None => this.socket.poll_send(cx, &data),
            };
            match r {
                Poll::Pending => {
                    this.transport
                        .state
                        .borrow_mut()
                        .queue
                        .push_front((data, addr));
                    break;
                }
                Poll::Ready(r) => {
                    this.transport.state.borrow_mut().queued_bytes -= data.len();
                    if let Err(e) = r {
                        this.protocol.borrow_mut().error_received(e);
                    }
                }
            }
        }
        let (closing, empty) = {
            let s = this.transport.state.borrow();
            (s.closing, s.queue.is_empty())
        };
        if closing && empty {
            return this.finish(None);
        }
        // Receive, a bounded number per turn.
        for i in 0..64 {
            if closing {
                break;
            }
            if i == 63 {
                cx.waker().wake_by_ref();
                break;
            }
            match this.socket.poll_recv_from(cx, &mut this.buf) {
                Poll::Pending => break,
                Poll::Ready(Ok((n, addr))) => {
                    this.protocol
                        .borrow_mut()
                        .datagram_received(&this.buf[..n], addr);
                }
                Poll::Ready(Err(e)) => this.protocol.borrow_mut().error_received(e),
            }
            if this.transport.state.borrow().closing {
                cx.waker().wake_by_ref();
                break;
            }
        }
        this.transport.state.borrow_mut().driver = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl<P: DatagramProtocol> Drop for Driver<P> {
    fn drop(&mut self) {
        if !self.finished {
            let _ = self.finish(Some(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "the event loop closed the transport",
            )));
        }
    }
}
