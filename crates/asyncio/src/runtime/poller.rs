//! The I/O poller: `mio::Poll`, the `mio::Waker` other threads use to interrupt it, and (on
//! Linux) a timerfd so a wait with a deadline ends at the exact nanosecond, not at the next
//! millisecond `epoll_wait` can express.

use std::io;
use std::time::Duration;

/// The token of the waker; I/O sources use the others.
const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);
/// The token of the deadline timer.
#[cfg(target_os = "linux")]
const TIMER_TOKEN: mio::Token = mio::Token(usize::MAX - 1);

pub(crate) struct Poller {
    poll: mio::Poll,
    events: mio::Events,
    #[cfg(target_os = "linux")]
    timer: Option<crate::sys::TimerFd>,
}

impl Poller {
    pub(crate) fn new() -> io::Result<(Self, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        #[cfg(target_os = "linux")]
        let timer = {
            // Without a timerfd the loop still works, with millisecond wake-ups.
            let timer = crate::sys::TimerFd::new().ok();
            if let Some(t) = &timer {
                use std::os::fd::AsRawFd;
                poll.registry().register(
                    &mut mio::unix::SourceFd(&t.as_raw_fd()),
                    TIMER_TOKEN,
                    mio::Interest::READABLE,
                )?;
            }
            timer
        };
        Ok((
            Self {
                poll,
                events: mio::Events::with_capacity(1024),
                #[cfg(target_os = "linux")]
                timer,
            },
            waker,
        ))
    }

    /// A second handle on the poller's registry, for the reactor.
    pub(crate) fn registry(&self) -> io::Result<mio::Registry> {
        self.poll.registry().try_clone()
    }

    /// Waits for I/O readiness or a wake-up, at most `timeout` (`None`: no limit), and hands
    /// each I/O event to `dispatch`.
    pub(crate) fn poll(
        &mut self,
        timeout: Option<Duration>,
        mut dispatch: impl FnMut(&mio::event::Event),
    ) {
        let timeout = self.arm(timeout);
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("the event loop's poller failed: {e}"),
        }
        for event in self.events.iter() {
            #[cfg(target_os = "linux")]
            if event.token() == TIMER_TOKEN {
                if let Some(t) = &self.timer {
                    t.drain();
                }
                continue;
            }
            // The loop drains the remote queue after every poll; the waker needs no action.
            if event.token() != WAKER_TOKEN {
                dispatch(event);
            }
        }
    }

    /// The epoll descriptor: readable when an event waits (I/O, a wake-up, the armed deadline).
    pub(crate) fn fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.poll.as_raw_fd()
    }

    /// Arms the deadline timer `after` from now, so that the descriptor turns readable then
    /// (guest mode: the host only watches the descriptor). False where there is no timerfd.
    pub(crate) fn arm_deadline(&self, after: Duration) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(t) = &self.timer {
            return t.set_after(after.max(Duration::from_nanos(1))).is_ok();
        }
        let _ = after;
        false
    }

    /// For a wait with a positive timeout, arms the timerfd at the exact deadline and returns a
    /// backstop timeout a millisecond later for `epoll_wait`.
    #[cfg(target_os = "linux")]
    fn arm(&self, timeout: Option<Duration>) -> Option<Duration> {
        match (timeout, &self.timer) {
            (Some(t), Some(timer)) if !t.is_zero() && timer.set_after(t).is_ok() => {
                Some(t + Duration::from_millis(1))
            }
            _ => timeout,
        }
    }

    #[cfg(not(target_os = "linux"))]
    fn arm(&self, timeout: Option<Duration>) -> Option<Duration> {
        timeout
    }
}
