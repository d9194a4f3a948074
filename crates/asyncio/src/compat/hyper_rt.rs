//! hyper 1.x's runtime traits on asyncio-rs: sockets as `Read`/`Write`, the loop as
//! `Executor`, its timer wheel as `Timer`. With these, hyper (and whatever sits on it) runs on
//! an asyncio-rs loop with no other runtime.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use hyper::rt::ReadBufCursor;

use super::hyper_io::read_into_cursor;
use crate::net::{TcpStream, UnixStream};
use crate::runtime::io::reactor::Direction;

/// Spawns hyper's background futures (HTTP/2 streams, connection drivers) as tasks on the
/// running loop. They need not be `Send`.
#[derive(Clone, Copy, Debug, Default)]
pub struct LoopExecutor;

impl<F> hyper::rt::Executor<F> for LoopExecutor
where
    F: Future + 'static,
    F::Output: 'static,
{
    fn execute(&self, fut: F) {
        drop(crate::spawn(fut));
    }
}

/// hyper's timer on the running loop's wheel (virtual time included).
#[derive(Clone, Copy, Debug, Default)]
pub struct LoopTimer;

impl hyper::rt::Timer for LoopTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep::deadline_until(
            crate::time::deadline_after(duration),
        )))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep::deadline_until(deadline)))
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<HyperSleep>() {
            Some(mut s) => s.0.reset(new_deadline),
            None => *sleep = self.sleep_until(new_deadline),
        }
    }

    fn now(&self) -> Instant {
        crate::time::now()
    }
}

/// A loop [`Sleep`](crate::time::Sleep) as hyper's `Sleep` (which must be `Send + Sync`; ours
/// holds only a deadline and a timer key).
struct HyperSleep(crate::time::Sleep);

impl Future for HyperSleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx)
    }
}

impl hyper::rt::Sleep for HyperSleep {}

macro_rules! impl_hyper_io {
    ($ty:ty) => {
        impl hyper::rt::Read for $ty {
            fn poll_read(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: ReadBufCursor<'_>,
            ) -> Poll<io::Result<()>> {
                let this = &*self;
                read_into_cursor(buf, |uninit| {
                    let len = uninit.len();
                    let io = this.io_ref_evented();
                    // socket2's `recv` fills uninitialised memory without zeroing it first.
                    let n = std::task::ready!(io.poll_op(cx, Direction::Read, |s| {
                        socket2::SockRef::from(s).recv(&mut *uninit)
                    }))?;
                    if n > 0 && n < len {
                        // A short read drained the socket: wait for the next event rather
                        // than spend a system call learning it would block.
                        io.registration().clear(Direction::Read);
                    }
                    Poll::Ready(Ok(n))
                })
            }
        }

        impl hyper::rt::Write for $ty {
            fn poll_write(
                self: Pin<&mut Self>,
                cx: &mut Context<'_>,
                buf: &[u8],
            ) -> Poll<io::Result<usize>> {
                <$ty>::poll_write(&self, cx, buf)
            }

            fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(Ok(()))
            }

            fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
                Poll::Ready(self.shutdown(std::net::Shutdown::Write))
            }
        }
    };
}

impl_hyper_io!(TcpStream);
impl_hyper_io!(UnixStream);
