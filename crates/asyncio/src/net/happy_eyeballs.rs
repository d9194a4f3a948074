//! Happy Eyeballs (RFC 8305): connect to a name with several addresses by starting attempts
//! one after another, a short delay apart, and keeping the first that succeeds.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use super::TcpStream;
use crate::time::{sleep, Sleep};

/// The delay before the next attempt starts (RFC 8305's recommended 250 ms; asyncio's
/// `happy_eyeballs_delay`).
pub const DEFAULT_DELAY: Duration = Duration::from_millis(250);

type Attempt = Pin<Box<dyn Future<Output = io::Result<TcpStream>>>>;

/// Connects to `addr` like [`TcpStream::connect`], with `delay` between Happy Eyeballs attempts
/// instead of the default 250 ms (asyncio's `happy_eyeballs_delay`; `Duration::ZERO` starts
/// every attempt at once).
///
/// # Errors
/// As [`TcpStream::connect`].
///
/// # Cancel safety
/// Cancel-safe: every attempt in flight is closed with the future.
pub async fn connect_with_delay(
    addr: impl super::ToSocketAddrs,
    delay: Duration,
) -> io::Result<TcpStream> {
    let addrs = super::addr::resolve_nonempty(&addr).await?;
    connect(addrs, delay).await
}

/// Connects to the first of `addrs` that answers, interleaving address families.
pub(crate) async fn connect(addrs: Vec<SocketAddr>, delay: Duration) -> io::Result<TcpStream> {
    if let [only] = addrs[..] {
        return TcpStream::connect_addr(only).await;
    }
    Race {
        pending: interleave(addrs).into_iter(),
        attempts: Vec::new(),
        errors: Vec::new(),
        delay,
        timer: None,
    }
    .await
}

/// Orders addresses family by family, starting with the family of the first (RFC 8305 §4).
pub(crate) fn interleave(addrs: Vec<SocketAddr>) -> Vec<SocketAddr> {
    let first_v6 = addrs.first().is_some_and(SocketAddr::is_ipv6);
    let (mut a, mut b): (Vec<_>, Vec<_>) = addrs.into_iter().partition(|x| x.is_ipv6() == first_v6);
    let mut out = Vec::with_capacity(a.len() + b.len());
    a.reverse();
    b.reverse();
    loop {
        match (a.pop(), b.pop()) {
            (None, None) => return out,
            (x, y) => out.extend(x.into_iter().chain(y)),
        }
    }
}

struct Race {
    pending: std::vec::IntoIter<SocketAddr>,
    attempts: Vec<Attempt>,
    errors: Vec<io::Error>,
    delay: Duration,
    timer: Option<Pin<Box<Sleep>>>,
}

impl Race {
    fn start_next(&mut self) -> bool {
        match self.pending.next() {
            Some(addr) => {
                self.attempts.push(Box::pin(TcpStream::connect_addr(addr)));
                self.timer = Some(Box::pin(sleep(self.delay)));
                true
            }
            None => {
                self.timer = None;
                false
            }
        }
    }
}

impl Future for Race {
    type Output = io::Result<TcpStream>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        if this.attempts.is_empty() && this.errors.is_empty() {
            this.start_next();
        }
        loop {
            let mut i = 0;
            let mut progressed = false;
            while i < this.attempts.len() {
                match this.attempts[i].as_mut().poll(cx) {
                    Poll::Ready(Ok(stream)) => return Poll::Ready(Ok(stream)),
                    Poll::Ready(Err(e)) => {
                        drop(this.attempts.swap_remove(i));
                        this.errors.push(e);
                        progressed = true;
                    }
                    Poll::Pending => i += 1,
                }
            }
            // A failed attempt starts the next one at once.
            if progressed && this.start_next() {
                continue;
            }
            if let Some(timer) = &mut this.timer {
                if timer.as_mut().poll(cx).is_ready() && this.start_next() {
                    continue;
                }
            }
            if this.attempts.is_empty() && this.pending.len() == 0 {
                let message = this
                    .errors
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ");
                let kind = this
                    .errors
                    .last()
                    .map_or(io::ErrorKind::Other, io::Error::kind);
                return Poll::Ready(Err(io::Error::new(
                    kind,
                    format!("all connection attempts failed: {message}"),
                )));
            }
            return Poll::Pending;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::interleave;

    #[test]
    fn interleaves_families_starting_with_the_first() {
        let addrs: Vec<std::net::SocketAddr> =
            ["[::1]:1", "[::2]:1", "[::3]:1", "1.1.1.1:1", "2.2.2.2:1"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect();
        let got: Vec<String> = interleave(addrs).iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            ["[::1]:1", "1.1.1.1:1", "[::2]:1", "2.2.2.2:1", "[::3]:1"]
        );
    }
}
