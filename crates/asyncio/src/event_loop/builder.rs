//! [`Builder`]: how a loop is configured (no environment variables, no global state).

use std::io;
use std::time::Duration;

use super::EventLoop;
use crate::runtime::core::{Config, Core};

/// Settings for a new [`EventLoop`].
///
/// ```
/// use std::time::Duration;
/// let lp = asyncio::EventLoop::builder().virtual_time(true).build().unwrap();
/// let took = lp.run_until_complete(async {
///     let start = asyncio::time::now();
///     asyncio::time::sleep(Duration::from_secs(3600)).await; // an hour, instantly
///     asyncio::time::now().duration_since(start)
/// });
/// assert_eq!(took, Duration::from_secs(3600));
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    virtual_time: bool,
    debug: bool,
    slow_callback_duration: Duration,
    io_check_interval: u32,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Default settings: real time, debug off, 100 ms slow-callback threshold.
    pub fn new() -> Self {
        Self {
            virtual_time: false,
            debug: false,
            slow_callback_duration: Duration::from_millis(100),
            io_check_interval: 61,
        }
    }

    /// Virtual time: the clock starts at the loop's creation and stands still while anything
    /// runs; whenever nothing is ready (no task, no callback, no I/O event, nothing sent from
    /// another thread) it jumps to the next timer (trio's autojump clock). A test of a minute
    /// of sleeps finishes in microseconds. [`EventLoop::advance`] moves it by hand.
    pub fn virtual_time(mut self, enabled: bool) -> Self {
        self.virtual_time = enabled;
        self
    }

    /// Debug mode (asyncio's `set_debug`): report callbacks and task steps slower than the
    /// threshold to the exception handler.
    pub fn debug(mut self, enabled: bool) -> Self {
        self.debug = enabled;
        self
    }

    /// The debug-mode threshold (asyncio's `slow_callback_duration`).
    pub fn slow_callback_duration(mut self, threshold: Duration) -> Self {
        self.slow_callback_duration = threshold;
        self
    }

    /// While callbacks and tasks keep the loop busy, it checks I/O (without waiting) on one
    /// iteration in `n` (default 61: a system call per iteration is what makes tokio's
    /// `yield_now` costly). `1` checks on every iteration, as CPython's loop does, so I/O that
    /// became ready joins the very next iteration, in the order CPython's loop would run it.
    /// `0` is taken as `1`.
    pub fn io_check_interval(mut self, n: u32) -> Self {
        self.io_check_interval = n.max(1);
        self
    }

    /// Builds the loop.
    ///
    /// # Errors
    /// If the OS refuses the poller or its waker (for example, out of file descriptors).
    pub fn build(self) -> io::Result<EventLoop> {
        let core = Core::new(Config {
            virtual_time: self.virtual_time,
            debug: self.debug,
            slow_callback_duration: self.slow_callback_duration,
            io_check_interval: u64::from(self.io_check_interval),
        })?;
        Ok(EventLoop { core })
    }
}
