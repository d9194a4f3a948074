//! hyper 1.x's runtime traits on asyncio-rs: sockets as `Read`/`Write`, the loop as
//! `Executor`, its timer wheel as `Timer`. With these, hyper (and whatever sits on it) runs on
//! an asyncio-rs loop with no other runtime.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

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
        drop(crate::task::spawn_named("hyper", fut));
    }
}

/// hyper's timer on the running loop's wheel (virtual time included).
#[derive(Clone, Copy, Debug, Default)]
pub struct LoopTimer;

impl hyper::rt::Timer for LoopTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep::deadline_until(
            crate::time::deadline_after(duration),
            "hyper::Sleep",
        )))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(HyperSleep(crate::time::sleep::deadline_until(
            deadline,
            "hyper::Sleep",
        )))
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
