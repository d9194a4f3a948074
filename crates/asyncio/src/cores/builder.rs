//! [`Builder`]: how many loops, their threads, and the settings every loop gets.

use std::io;

use super::Runtime;
use crate::event_loop;

/// Settings for a new [`Runtime`].
///
/// ```
/// let rt = asyncio::Runtime::builder()
///     .loops(2)
///     .thread_name("worker")
///     .virtual_time(true) // every loop gets the EventLoop settings
///     .build()
///     .unwrap();
/// assert_eq!(rt.loops(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Builder {
    pub(crate) loops: Option<usize>,
    pub(crate) thread_name: String,
    pub(crate) pin_threads: bool,
    pub(crate) event_loop: event_loop::Builder,
    pub(crate) reuseport: bool,
    pub(crate) handle_sigint: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// One loop per available core, threads named `asyncio-loop-N`, no pinning, default loop
    /// settings, `SO_REUSEPORT` servers where the system has them.
    pub fn new() -> Self {
        Self {
            loops: None,
            thread_name: "asyncio-loop".to_owned(),
            pin_threads: false,
            event_loop: event_loop::Builder::new(),
            reuseport: cfg!(target_os = "linux"),
            handle_sigint: true,
        }
    }

    /// How many loops (at least 1; the default is `std::thread::available_parallelism`).
    /// Loop 0 runs on the thread that calls [`Runtime::block_on`]; each other loop gets a
    /// thread of its own.
    pub fn loops(mut self, n: usize) -> Self {
        self.loops = Some(n.max(1));
        self
    }

    /// The prefix of the loop threads' names (`prefix-1`, `prefix-2`, ...).
    pub fn thread_name(mut self, prefix: impl Into<String>) -> Self {
        self.thread_name = prefix.into();
        self
    }

    /// Pins loop `i`'s thread to the `i`-th CPU the process may use (cycling when there are
    /// more loops than CPUs), the thread-per-core runtimes' habit. Loop 0's thread is the one calling
    /// [`build`](Self::build), and it is pinned too. Linux only; elsewhere the setting is
    /// ignored. A failed pin is logged and the loop runs unpinned.
    pub fn pin_threads(mut self, pin: bool) -> Self {
        self.pin_threads = pin;
        self
    }

    /// The settings every loop is built with (debug mode, slow-callback threshold, virtual
    /// time for tests).
    pub fn event_loop(mut self, builder: event_loop::Builder) -> Self {
        self.event_loop = builder;
        self
    }

    /// Virtual time on every loop (see [`event_loop::Builder::virtual_time`]); each loop's
    /// clock jumps on its own.
    pub fn virtual_time(mut self, enabled: bool) -> Self {
        self.event_loop = self.event_loop.virtual_time(enabled);
        self
    }

    /// Debug mode on every loop (see [`event_loop::Builder::debug`]).
    pub fn debug(mut self, enabled: bool) -> Self {
        self.event_loop = self.event_loop.debug(enabled);
        self
    }

    /// Whether [`RuntimeHandle::serve`](super::RuntimeHandle::serve) gives every loop its own
    /// `SO_REUSEPORT` listener (the default on Linux: the kernel spreads connections), or one
    /// listener on loop 0 that hands accepted sockets to the loops in turn (the default
    /// elsewhere, and what `false` forces).
    pub fn reuseport(mut self, enabled: bool) -> Self {
        self.reuseport = enabled;
        self
    }

    /// Leaves Ctrl-C to the program (see [`Runtime::block_on`]), as
    /// [`Runner::without_sigint_handling`](crate::Runner::without_sigint_handling) does.
    pub fn without_sigint_handling(mut self) -> Self {
        self.handle_sigint = false;
        self
    }

    /// Builds the loops and starts their threads.
    ///
    /// # Errors
    /// If a loop cannot be built (out of file descriptors) or a thread cannot be started.
    pub fn build(self) -> io::Result<Runtime> {
        Runtime::from_builder(self)
    }
}
