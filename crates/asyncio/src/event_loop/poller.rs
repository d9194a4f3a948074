//! The I/O poller: `mio::Poll`, and the `mio::Waker` other threads use to interrupt it.

use std::io;
use std::time::Duration;

/// The token of the waker; I/O sources use the others.
const WAKER_TOKEN: mio::Token = mio::Token(usize::MAX);

pub(crate) struct Poller {
    poll: mio::Poll,
    events: mio::Events,
}

impl Poller {
    pub(crate) fn new() -> io::Result<(Self, mio::Waker)> {
        let poll = mio::Poll::new()?;
        let waker = mio::Waker::new(poll.registry(), WAKER_TOKEN)?;
        Ok((
            Self {
                poll,
                events: mio::Events::with_capacity(1024),
            },
            waker,
        ))
    }

    /// Waits for I/O readiness or a wake-up, at most `timeout` (`None`: no limit).
    pub(crate) fn poll(&mut self, timeout: Option<Duration>) {
        match self.poll.poll(&mut self.events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("the event loop's poller failed: {e}"),
        }
        // Only the waker is registered for now: its events need no handling, the loop drains
        // the remote queue after every poll.
        for event in self.events.iter() {
            debug_assert_eq!(event.token(), WAKER_TOKEN);
        }
    }
}
